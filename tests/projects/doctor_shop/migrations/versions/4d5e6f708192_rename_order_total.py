"""rename order total to amount

Revision ID: 4d5e6f708192
Revises: 3c4d5e6f7081
Create Date: 2024-03-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4d5e6f708192"
down_revision = "3c4d5e6f7081"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.alter_column(
            "total",
            new_column_name="amount",
            existing_type=sa.Numeric(precision=10, scale=2),
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.alter_column(
            "amount",
            new_column_name="total",
            existing_type=sa.Numeric(precision=10, scale=2),
        )
