"""create accounts

Revision ID: a1c3e5f70001
Revises: 
Create Date: 2024-06-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "a1c3e5f70001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    accounts = op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(
        accounts,
        [
            {"id": 1, "balance": 10, "name": "ada"},
            {"id": 2, "balance": 20, "name": "grace"},
            {"id": 3, "balance": 30, "name": "edsger"},
        ],
    )


def downgrade() -> None:
    op.drop_table("accounts")
