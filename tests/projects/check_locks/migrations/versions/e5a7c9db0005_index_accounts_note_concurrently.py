"""index accounts note concurrently

Revision ID: e5a7c9db0005
Revises: d4f6b8ca0004
Create Date: 2024-06-05 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "e5a7c9db0005"
down_revision: Union[str, Sequence[str], None] = "d4f6b8ca0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            op.f("ix_accounts_note"),
            "accounts",
            ["note"],
            unique=False,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            op.f("ix_accounts_note"), table_name="accounts", postgresql_concurrently=True
        )
