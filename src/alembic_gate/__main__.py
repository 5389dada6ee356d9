from alembic_gate.main import console

console()
