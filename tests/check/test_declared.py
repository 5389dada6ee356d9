"""declared: which `ForeignKey(...)` of a column is the key a difference names, read
from the source alone."""

from __future__ import annotations

from pathlib import Path

from alembic_gate.check import declared

from .conftest import line_of

MODELS = """
class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_name", "name"), {"schema": "audit"})

    id = Column("user_id", Integer, primary_key=True)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = {**SHARED}

    id = Column(Integer, primary_key=True)


class Team(Base):
    __tablename__ = "teams"


class Team(Base):
    __tablename__ = "groups"


class Owned:
    @declared_attr
    def owner_id(cls):
        if cls.__name__ == "Post":
            return None
        column = Column(
            Integer,
            ForeignKey("orgs.id"),
            ForeignKey(Account.id),
            ForeignKey(Team.id),
            ForeignKey(User.id),
        )
        return column
"""


def test_a_foreign_key_naming_a_class_is_told_by_the_class_body(tmp_path: Path) -> None:
    """The schema of `__table_args__` and the column's own name count; a class whose
    schema is not a literal, or whose name two classes take, is not guessed at: the
    column's first key."""
    path = tmp_path / "models.py"
    path.write_text(MODELS, encoding="utf-8")
    method = line_of(path, "def owner_id")
    first = line_of(path, 'ForeignKey("orgs.id")')
    found = declared.foreign_key_line(str(path), method, {"audit.users.user_id"})
    assert found == line_of(path, "ForeignKey(User.id)")
    assert declared.foreign_key_line(str(path), method, {"users.user_id"}) == first
    assert declared.foreign_key_line(str(path), method, {"audit.users.id"}) == first
    assert declared.foreign_key_line(str(path), method, {"accounts.id"}) == first
    assert declared.foreign_key_line(str(path), method, {"groups.id", "teams.id"}) == first
