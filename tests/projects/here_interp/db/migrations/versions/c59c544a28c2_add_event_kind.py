"""add event kind

Revision ID: c59c544a28c2
Revises: 0fa07b567762
Create Date: 2026-11-21 02:10:27.173677

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c59c544a28c2'
down_revision: Union[str, Sequence[str], None] = '0fa07b567762'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("event", sa.Column("kind", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("event", "kind")
