"""add invoice total

Revision ID: 8ebfea65ea29
Revises: ec858f50fa39
Create Date: 2026-11-21 02:10:07.155018

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8ebfea65ea29'
down_revision: Union[str, Sequence[str], None] = 'ec858f50fa39'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("invoice", sa.Column("total_cents", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("invoice", "total_cents")
