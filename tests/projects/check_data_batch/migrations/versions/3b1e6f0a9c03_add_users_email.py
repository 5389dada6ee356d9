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
    # Copy-and-move: the rows are copied into a table whose email is NOT NULL.
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=120), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email")
