"""backfill event kind

Revision ID: 8101b153e463
Revises: c59c544a28c2
Create Date: 2026-11-21 02:10:27.545699

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8101b153e463'
down_revision: Union[str, Sequence[str], None] = 'c59c544a28c2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("UPDATE event SET kind = 'legacy' WHERE kind IS NULL")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("UPDATE event SET kind = NULL WHERE kind = 'legacy'")
