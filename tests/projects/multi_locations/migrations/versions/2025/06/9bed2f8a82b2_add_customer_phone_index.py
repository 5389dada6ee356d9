"""add customer phone index

Revision ID: 9bed2f8a82b2
Revises: 6ba9e8d4413d
Create Date: 2026-11-21 02:10:17.057844

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9bed2f8a82b2'
down_revision: Union[str, Sequence[str], None] = '6ba9e8d4413d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_customer_phone", "customer", ["phone"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_customer_phone", table_name="customer")
