"""The application's models (what `alembic check` compares the migrated schema with), in
SQLAlchemy 1.4's style, which 2.x reads too."""

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Org(Base):
    __tablename__ = "orgs"

    id = Column(Integer, primary_key=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("level >= 10", name="ck_users_level"),
        UniqueConstraint("active", name="uq_users_active"),
    )

    id = Column(Integer, primary_key=True)
    org_id = Column(Integer, ForeignKey("orgs.id", name="fk_users_org"))
    level = Column(Integer)
    active = Column(Boolean)
    code = Column(String(10))


class Post(Base):
    __tablename__ = "posts"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
