"""The application's models (what `alembic check` compares the migrated schema with);
written for SQLAlchemy 1.4 and 2.x alike."""

from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"

    id = Column(Integer, primary_key=True)
    kind = Column(String(30))
    note = Column(String(200))
