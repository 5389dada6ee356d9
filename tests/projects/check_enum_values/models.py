"""The application's models (what `alembic check` compares the migrated schema with), in
SQLAlchemy 1.4's style, which 2.x reads too. The type other.mood is the database's own,
there before the first revision (check --allow-nonempty)."""

from sqlalchemy import Column, Integer
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import declarative_base

Base = declarative_base()

MOOD = postgresql.ENUM("happy", "sad", "meh", name="mood", schema="other", create_type=False)


class Entry(Base):
    __tablename__ = "entries"

    id = Column(Integer, primary_key=True)
    mood = Column(MOOD)
