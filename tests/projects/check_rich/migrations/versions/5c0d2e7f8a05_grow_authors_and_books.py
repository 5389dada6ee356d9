"""grow authors and books

Revision ID: 5c0d2e7f8a05
Revises: 5c0d2e7f8a04
Create Date: 2024-06-05 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "5c0d2e7f8a05"
down_revision: Union[str, Sequence[str], None] = "5c0d2e7f8a04"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Safe on tables that hold rows: a NOT NULL column with a server default, a nullable
    # column, an index.
    op.add_column(
        "authors", sa.Column("country", sa.String(length=2), server_default="NL", nullable=False)
    )
    op.add_column("books", sa.Column("subtitle", sa.String(length=200), nullable=True))
    op.create_index("ix_authors_kind", "authors", ["kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_authors_kind", table_name="authors")
    op.drop_column("books", "subtitle")
    op.drop_column("authors", "country")
