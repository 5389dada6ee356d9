"""widen balance to bigint

Revision ID: c3e5a7b90003
Revises: b2d4f6a80002
Create Date: 2024-06-03 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "c3e5a7b90003"
down_revision: Union[str, Sequence[str], None] = "b2d4f6a80002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.alter_column(
        "accounts", "balance", existing_type=sa.Integer(), type_=sa.BigInteger()
    )


def downgrade() -> None:
    op.alter_column(
        "accounts", "balance", existing_type=sa.BigInteger(), type_=sa.Integer()
    )
