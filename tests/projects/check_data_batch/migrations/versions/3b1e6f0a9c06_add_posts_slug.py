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
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=200), nullable=True))
    op.execute("UPDATE posts SET slug = title WHERE slug IS NULL")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("slug")
