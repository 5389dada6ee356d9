"""add tag color

Revision ID: ffb331da8692
Revises: 2bad814f64b3
Create Date: 2026-11-21 02:09:54.819733

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'ffb331da8692'
down_revision: Union[str, Sequence[str], None] = '2bad814f64b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("tag", sa.Column("color", sa.String(length=7), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("tag", "color")
