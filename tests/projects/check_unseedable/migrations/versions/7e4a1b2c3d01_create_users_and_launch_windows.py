"""create users and launch windows

Revision ID: 7e4a1b2c3d01
Revises: 
Create Date: 2024-06-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "7e4a1b2c3d01"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Windows only open next century: no row check can make satisfies this.
    op.create_table(
        "launch_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.CheckConstraint("opens_on >= '2100-01-01'", name="ck_launch_windows_future"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("launch_windows")
    op.drop_table("users")
