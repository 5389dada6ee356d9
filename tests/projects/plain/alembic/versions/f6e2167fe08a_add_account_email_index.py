"""add account email index

Revision ID: f6e2167fe08a
Revises: c8ad9e954c83
Create Date: 2026-11-21 02:09:38.524900

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f6e2167fe08a'
down_revision: Union[str, Sequence[str], None] = 'c8ad9e954c83'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_account_email", "account", ["email"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_account_email", table_name="account")
