"""add billing account iban

Revision ID: 5099aa9cd451
Revises: 356669b9836c
Create Date: 2026-11-21 02:10:16.701714

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5099aa9cd451'
down_revision: Union[str, Sequence[str], None] = '356669b9836c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("billing_account", sa.Column("iban", sa.String(length=34), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("billing_account", "iban")
