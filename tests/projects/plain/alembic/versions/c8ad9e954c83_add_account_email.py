"""add account email

Revision ID: c8ad9e954c83
Revises: 939dbcec735e
Create Date: 2026-11-21 02:09:37.980294

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c8ad9e954c83'
down_revision: Union[str, Sequence[str], None] = '939dbcec735e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("account", sa.Column("email", sa.String(length=255), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("account", "email")
