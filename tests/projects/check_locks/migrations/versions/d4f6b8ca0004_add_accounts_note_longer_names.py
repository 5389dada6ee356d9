"""add accounts note, longer names

Revision ID: d4f6b8ca0004
Revises: c3e5a7b90003
Create Date: 2024-06-04 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "d4f6b8ca0004"
down_revision: Union[str, Sequence[str], None] = "c3e5a7b90003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("note", sa.String(length=200), nullable=True))
    op.alter_column(
        "accounts",
        "name",
        existing_type=sa.String(length=50),
        type_=sa.String(length=100),
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "accounts",
        "name",
        existing_type=sa.String(length=100),
        type_=sa.String(length=50),
        existing_nullable=False,
    )
    op.drop_column("accounts", "note")
