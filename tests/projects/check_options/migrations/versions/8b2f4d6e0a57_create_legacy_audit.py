"""create legacy audit table (kept for the old reporting job; no model)

Revision ID: 8b2f4d6e0a57
Revises: 0d4e6b8a1c23
Create Date: 2024-06-02 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "8b2f4d6e0a57"
down_revision: Union[str, Sequence[str], None] = "0d4e6b8a1c23"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "legacy_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("legacy_audit")
