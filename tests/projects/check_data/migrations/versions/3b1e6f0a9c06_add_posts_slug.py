"""add posts.slug

Revision ID: 3b1e6f0a9c06
Revises: 3b1e6f0a9c05
Create Date: 2024-06-06 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "3b1e6f0a9c06"
down_revision: Union[str, Sequence[str], None] = "3b1e6f0a9c05"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The safe way: nullable first, backfill, then NOT NULL.
    op.add_column("posts", sa.Column("slug", sa.String(length=200), nullable=True))
    op.execute("UPDATE posts SET slug = title WHERE slug IS NULL")
    op.alter_column("posts", "slug", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    op.drop_column("posts", "slug")
