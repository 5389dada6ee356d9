"""add customer phone

Revision ID: 6ba9e8d4413d
Revises: f0b4c24f9a1c
Create Date: 2026-11-21 02:10:15.957145

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6ba9e8d4413d'
down_revision: Union[str, Sequence[str], None] = 'f0b4c24f9a1c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("customer", sa.Column("phone", sa.String(length=30), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("customer", "phone")
