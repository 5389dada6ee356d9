"""nickname not null

Revision ID: 3b1e6f0a9c04
Revises: 3b1e6f0a9c03
Create Date: 2024-06-04 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "3b1e6f0a9c04"
down_revision: Union[str, Sequence[str], None] = "3b1e6f0a9c03"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # No backfill: rows whose nickname is NULL make this fail.
    op.alter_column("users", "nickname", existing_type=sa.String(length=50), nullable=False)


def downgrade() -> None:
    op.alter_column("users", "nickname", existing_type=sa.String(length=50), nullable=True)
