"""create events

Revision ID: f6b8dae10006
Revises: e5a7c9db0005
Create Date: 2024-06-06 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "f6b8dae10006"
down_revision: Union[str, Sequence[str], None] = "e5a7c9db0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_events_kind"), "events", ["kind"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_events_kind"), table_name="events")
    op.drop_table("events")
