"""add mood meh

Revision ID: e1a0b2c3d402
Revises: e1a0b2c3d401
Create Date: 2026-12-03 20:41:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = "e1a0b2c3d402"
down_revision: Union[str, Sequence[str], None] = "e1a0b2c3d401"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("ALTER TYPE other.mood ADD VALUE IF NOT EXISTS 'meh'")


def downgrade() -> None:
    # Lossy: PostgreSQL cannot drop an enum value, and this does not rebuild the type,
    # so other.mood keeps 'meh' after the downgrade.
    pass
