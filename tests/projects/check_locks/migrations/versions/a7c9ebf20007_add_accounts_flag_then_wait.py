"""add accounts flag, then wait

Revision ID: a7c9ebf20007
Revises: f6b8dae10006
Create Date: 2024-06-07 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "a7c9ebf20007"
down_revision: Union[str, Sequence[str], None] = "f6b8dae10006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("flag", sa.Boolean(), nullable=True))
    # Stands for a slow backfill: the lock taken above is held all along.
    op.execute("SELECT pg_sleep(1.2)")


def downgrade() -> None:
    op.drop_column("accounts", "flag")
