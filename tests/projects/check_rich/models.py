"""The application's models (what `alembic check` compares the migrated schema with)."""

import datetime
import decimal
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Kind(enum.Enum):
    staff = "staff"
    guest = "guest"


class Author(Base):
    __tablename__ = "authors"
    __table_args__ = (
        CheckConstraint("rating >= 0 AND rating <= 5", name="ck_authors_rating"),
        Index("ix_authors_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(120), unique=True)
    bio: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.current_timestamp())
    rating: Mapped[decimal.Decimal | None] = mapped_column(Numeric(3, 2))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"))
    kind: Mapped[Kind] = mapped_column(Enum(Kind, name="author_kind"))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    country: Mapped[str] = mapped_column(String(2), server_default="NL")


class Book(Base):
    __tablename__ = "books"
    __table_args__ = (
        CheckConstraint("price > 0", name="ck_books_price"),
        CheckConstraint("format IN ('paper', 'ebook', 'audio')", name="ck_books_format"),
        UniqueConstraint("author_id", "title", name="uq_books_author_title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    isbn: Mapped[str] = mapped_column(String(13), unique=True)
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(8, 2))
    published_on: Mapped[datetime.date | None] = mapped_column(index=True)
    format: Mapped[str] = mapped_column(String(10))
    token: Mapped[uuid.UUID] = mapped_column(unique=True)
    pages: Mapped[int | None] = mapped_column(SmallInteger)
    weight: Mapped[float | None] = mapped_column(Float)
    cover: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), server_default="draft")
    subtitle: Mapped[str | None] = mapped_column(String(200))


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)


class BookTag(Base):
    __tablename__ = "book_tags"

    book_id: Mapped[int] = mapped_column(ForeignKey("books.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="ck_events_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int | None] = mapped_column(ForeignKey("books.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime.datetime]
    ends_at: Mapped[datetime.datetime]
    opens: Mapped[datetime.time | None]
    note: Mapped[str | None] = mapped_column(Text)
