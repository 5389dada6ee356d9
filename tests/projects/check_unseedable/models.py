"""The application's models (what `alembic check` compares the migrated schema with)."""

import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(120))


class LaunchWindow(Base):
    __tablename__ = "launch_windows"
    __table_args__ = (
        CheckConstraint("opens_on >= '2100-01-01'", name="ck_launch_windows_future"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opens_on: Mapped[datetime.date]
    site: Mapped[str] = mapped_column(String(40))
