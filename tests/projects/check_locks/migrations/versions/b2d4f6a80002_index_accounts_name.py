"""index accounts name

Revision ID: b2d4f6a80002
Revises: a1c3e5f70001
Create Date: 2024-06-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "b2d4f6a80002"
down_revision: Union[str, Sequence[str], None] = "a1c3e5f70001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(op.f("ix_accounts_name"), "accounts", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_accounts_name"), table_name="accounts")
