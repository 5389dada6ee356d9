"""the first org and its users

Revision ID: a1c0de000002
Revises: a1c0de000001
Create Date: 2026-12-03 20:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "a1c0de000002"
down_revision: Union[str, Sequence[str], None] = "a1c0de000001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Rows of the migration's own, beside the ones check's seeding made up: they
    # satisfy every constraint added after this one.
    op.execute("INSERT INTO orgs (id) VALUES (100)")
    op.execute(
        "INSERT INTO users (id, org_id, level, active, code) "
        "VALUES (100, 100, 20, false, 'a'), (101, 100, 30, true, 'a')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE id IN (100, 101)")
    op.execute("DELETE FROM orgs WHERE id = 100")
