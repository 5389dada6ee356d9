"""a level of 10 at least

Revision ID: a1c0de000004
Revises: a1c0de000003
Create Date: 2026-12-03 20:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "a1c0de000004"
down_revision: Union[str, Sequence[str], None] = "a1c0de000003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_check_constraint("ck_users_level", "level >= 10")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("ck_users_level", type_="check")
