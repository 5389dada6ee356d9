"""status not null

Revision ID: 3b1e6f0a9c05
Revises: 3b1e6f0a9c04
Create Date: 2024-06-05 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "3b1e6f0a9c05"
down_revision: Union[str, Sequence[str], None] = "3b1e6f0a9c04"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # No backfill either, but every row holds the server default: this one passes.
    op.alter_column(
        "users",
        "status",
        existing_type=sa.String(length=20),
        existing_server_default=sa.text("'active'"),
        nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "users",
        "status",
        existing_type=sa.String(length=20),
        existing_server_default=sa.text("'active'"),
        nullable=True,
    )
