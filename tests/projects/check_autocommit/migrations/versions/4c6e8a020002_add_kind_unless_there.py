"""add items.note, then items.kind unless it is there

Revision ID: 4c6e8a020002
Revises: 3b5d7f910001
Create Date: 2024-06-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.exc import ProgrammingError


# revision identifiers, used by Alembic.
revision: str = "4c6e8a020002"
down_revision: Union[str, Sequence[str], None] = "3b5d7f910001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("items", sa.Column("note", sa.String(length=200), nullable=True))
    try:
        op.add_column("items", sa.Column("kind", sa.String(length=30), nullable=True))
    except ProgrammingError:
        print("items.kind is there already")


def downgrade() -> None:
    op.drop_column("items", "note")
