"""create events

Revision ID: 5c0d2e7f8a04
Revises: 5c0d2e7f8a03
Create Date: 2024-06-04 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "5c0d2e7f8a04"
down_revision: Union[str, Sequence[str], None] = "5c0d2e7f8a03"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("starts_at < ends_at", name="ck_events_order"),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("events")
