"""add post body

Revision ID: e5a8f3c6b2d9
Revises: c9e2b7d41a05
Create Date: 2024-05-05 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "e5a8f3c6b2d9"
down_revision: Union[str, Sequence[str], None] = "c9e2b7d41a05"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("body", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "body")
