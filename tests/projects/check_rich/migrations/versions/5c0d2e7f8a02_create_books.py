"""create books

Revision ID: 5c0d2e7f8a02
Revises: 5c0d2e7f8a01
Create Date: 2024-06-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "5c0d2e7f8a02"
down_revision: Union[str, Sequence[str], None] = "5c0d2e7f8a01"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "books",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("isbn", sa.String(length=13), nullable=False),
        sa.Column("price", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("token", sa.Uuid(), nullable=False),
        sa.Column("pages", sa.SmallInteger(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("cover", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.CheckConstraint("price > 0", name="ck_books_price"),
        sa.CheckConstraint("format IN ('paper', 'ebook', 'audio')", name="ck_books_format"),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("isbn"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("author_id", "title", name="uq_books_author_title"),
    )
    op.create_index(op.f("ix_books_published_on"), "books", ["published_on"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_books_published_on"), table_name="books")
    op.drop_table("books")
