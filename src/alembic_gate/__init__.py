"""alembic-gate: stop broken Alembic migrations before they reach a shared database."""

__version__ = "0.1.0"
