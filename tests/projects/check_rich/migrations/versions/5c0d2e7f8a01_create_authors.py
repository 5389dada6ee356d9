"""create authors

Revision ID: 5c0d2e7f8a01
Revises: 
Create Date: 2024-06-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "5c0d2e7f8a01"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column("rating", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Enum("staff", "guest", name="author_kind"), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.CheckConstraint("rating >= 0 AND rating <= 5", name="ck_authors_rating"),
        sa.ForeignKeyConstraint(["mentor_id"], ["authors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("authors")
    sa.Enum(name="author_kind").drop(op.get_bind(), checkfirst=True)
