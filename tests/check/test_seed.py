"""Rows made up for a table: every type each engine reflects gets values it accepts, keys
stay distinct, foreign keys point at the parent's rows, simple CHECKs are honoured."""

from __future__ import annotations

import enum
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic_gate.check import seed

POSTGRES_TYPES = """
CREATE TYPE mood AS ENUM ('ok', 'bad');;
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);;
CREATE TABLE every_type (
  id serial PRIMARY KEY, m mood NOT NULL, inet inet NOT NULL, cidr cidr NOT NULL,
  mac macaddr NOT NULL, mac8 macaddr8 NOT NULL, money money NOT NULL, tsv tsvector NOT NULL,
  tsq tsquery NOT NULL, b bit(3) NOT NULL, vb bit varying(5) NOT NULL, js json NOT NULL,
  jb jsonb NOT NULL UNIQUE, u uuid NOT NULL UNIQUE, arr integer[] NOT NULL, earr mood[] NOT NULL,
  tarr text[][] NOT NULL, r int4range NOT NULL, dr daterange NOT NULL, tr tstzrange NOT NULL,
  nr numrange NOT NULL, mr int4multirange NOT NULL, o oid NOT NULL, rc regclass NOT NULL,
  cfg regconfig NOT NULL, iv interval NOT NULL, tz timestamptz NOT NULL,
  ts timestamp(3) NOT NULL, t time NOT NULL, ttz timetz NOT NULL, d date NOT NULL,
  n numeric(4, 2) NOT NULL, n0 numeric(2, 2) NOT NULL, n1 numeric NOT NULL, f real NOT NULL,
  dp double precision NOT NULL, si smallint NOT NULL UNIQUE, bi bigint NOT NULL,
  ct text NOT NULL, cv varchar(3) NOT NULL UNIQUE, by bytea NOT NULL, ch char(2) NOT NULL,
  bo boolean NOT NULL, dom positive NOT NULL, nm name NOT NULL, pt point,
  idn integer GENERATED ALWAYS AS IDENTITY, gen integer GENERATED ALWAYS AS (si * 2) STORED
)
"""
MYSQL_TYPES = """
CREATE TABLE every_type (
  id int AUTO_INCREMENT PRIMARY KEY, ti tinyint NOT NULL, tu tinyint unsigned NOT NULL,
  si smallint NOT NULL, mi mediumint NOT NULL, bi bigint unsigned NOT NULL,
  de decimal(5, 2) NOT NULL, de0 decimal(2, 2) NOT NULL, fl float NOT NULL, db double NOT NULL,
  bt bit(4) NOT NULL, b1 bit(1) NOT NULL, bo boolean NOT NULL, ch char(3) NOT NULL UNIQUE,
  vc varchar(2) NOT NULL, nc nchar(4) NOT NULL, nv nvarchar(9) NOT NULL, tt tinytext NOT NULL,
  tx text NOT NULL, mt mediumtext NOT NULL, lt longtext NOT NULL, bn binary(4) NOT NULL,
  vb varbinary(6) NOT NULL, tb tinyblob NOT NULL, bl blob NOT NULL, mb mediumblob NOT NULL,
  lb longblob NOT NULL, d date NOT NULL, dt datetime(6) NOT NULL,
  ts timestamp NOT NULL DEFAULT current_timestamp, t time NOT NULL, y year NOT NULL,
  e enum('a', 'b', 'c') NOT NULL, s set('x', 'y') NOT NULL, j json NOT NULL,
  g geometry NULL, gen int AS (si * 2) STORED, CONSTRAINT ck_tu CHECK (tu < 100)
)
"""
SQLITE_TYPES = """
CREATE TABLE every_type (
  id integer PRIMARY KEY, i int NOT NULL, bi bigint NOT NULL, sm smallint NOT NULL,
  n numeric(5, 2) NOT NULL, de decimal NOT NULL, f float NOT NULL, r real NOT NULL,
  dd double NOT NULL, b boolean NOT NULL, v varchar(5) NOT NULL UNIQUE, c char(2) NOT NULL,
  nv nvarchar(10) NOT NULL, t text NOT NULL, bl blob NOT NULL, d date NOT NULL,
  dt datetime NOT NULL, ts timestamp NOT NULL, tm time NOT NULL, j json NOT NULL,
  p point NOT NULL, cur text NOT NULL DEFAULT (datetime('now'))
)
"""


def no_parents(key: seed.TableKey, columns: Any) -> list[tuple[Any, ...]]:
    return []


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[sa.Connection]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'seed.db'}")
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def connected(url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[sa.Connection]:
    yield from connected(postgres_url)


@pytest.fixture
def mariadb(mariadb_url: str) -> Iterator[sa.Connection]:
    yield from connected(mariadb_url)


@pytest.fixture
def mysql(mysql_url: str) -> Iterator[sa.Connection]:
    yield from connected(mysql_url)


def reflected(conn: sa.Connection, ddl: str, name: str = "every_type") -> sa.Table:
    for statement in ddl.split(";;"):
        if statement.strip():
            conn.exec_driver_sql(statement)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "did not recognize type 'point'"
        return sa.Table(name, sa.MetaData(), autoload_with=conn)


def filled(conn: sa.Connection, table: sa.Table) -> list[Any]:
    count, why = seed.fill(table, conn, no_parents)
    assert (count, why) == (3, "")
    return list(conn.execute(sa.select(table)))


def test_every_sqlite_type(sqlite: sa.Connection) -> None:
    table = reflected(sqlite, SQLITE_TYPES)
    rows = filled(sqlite, table)
    assert [row.id for row in rows] == [1, 2, 3]  # the server's keys
    assert len({row.v for row in rows}) == 3  # unique: distinct
    assert all(row.cur for row in rows)  # the server default filled it


@pytest.mark.postgres
def test_every_postgres_type(postgres: sa.Connection) -> None:
    table = reflected(postgres, POSTGRES_TYPES)
    rows = filled(postgres, table)
    assert [row.m for row in rows] == ["ok", "bad", "ok"]
    assert all(row.dom > 0 for row in rows)  # within the domain's CHECK
    assert [row.gen for row in rows] == [row.si * 2 for row in rows]  # computed: the server's
    assert {row.pt for row in rows} == {None}  # a type seeding cannot fill, nullable: NULL
    assert all(abs(row.n) < 100 and abs(row.n0) < 1 for row in rows)  # precision and scale


@pytest.mark.mariadb
def test_every_mariadb_type(mariadb: sa.Connection) -> None:
    table = reflected(mariadb, MYSQL_TYPES.replace("json NOT NULL,", "json NOT NULL, u uuid,"))
    rows = filled(mariadb, table)
    assert [row.e for row in rows] == ["a", "b", "c"]
    assert all(row.tu < 100 for row in rows)
    assert all(len(row.vc) <= 2 for row in rows)


@pytest.mark.docker
def test_every_mysql_type(mysql: sa.Connection) -> None:
    table = reflected(mysql, MYSQL_TYPES)
    rows = filled(mysql, table)
    assert [row.y for row in rows] == [2001, 2002, 2003]
    assert {row.g for row in rows} == {None}


class Shade(enum.Enum):
    light = "l"
    dark = "d"


class Guid(sa.types.TypeDecorator[uuid.UUID]):
    """A project's own type: stored as CHAR(32)."""

    impl = sa.CHAR(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else uuid.UUID(str(value)).hex


def test_char_32_and_36_get_uuids(sqlite: sa.Connection) -> None:
    # A fixed CHAR(32) is how SQLAlchemy's Uuid (and the GUID TypeDecorator recipe of its
    # docs) stores a UUID where the engine has none: a migration that reads the rows back
    # through such a model parses them ("badly formed hexadecimal UUID string" on "1").
    ddl = "CREATE TABLE keyed (id CHAR(32) PRIMARY KEY, owner CHAR(36) NOT NULL, code CHAR(3))"
    rows = filled(sqlite, reflected(sqlite, ddl, "keyed"))
    assert len({uuid.UUID(hex=row.id) for row in rows}) == 3
    assert len({uuid.UUID(row.owner) for row in rows}) == 3
    assert all(len(row.owner) == 36 for row in rows)
    assert all(row.code is None or len(row.code) <= 3 for row in rows)


def test_declared_types_as_create_table_gives_them(sqlite: sa.Connection) -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "declared",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("guid", Guid(), nullable=False, unique=True),
        sa.Column("shade", sa.Enum(Shade), nullable=False),
        sa.Column("blob", sa.PickleType(), nullable=False),
        sa.Column("span", sa.Interval(), nullable=False),
        sa.Column("doc", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("token", sa.Uuid(), nullable=False),
        sa.Column("price", sa.Numeric(6, 2), nullable=False),
    )
    metadata.create_all(sqlite)
    rows = filled(sqlite, table)
    assert [row.shade for row in rows] == [Shade.light, Shade.dark, Shade.light]
    assert len({row.guid for row in rows}) == 3


def test_simple_checks_are_honoured(sqlite: sa.Connection) -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "checked",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("score", sa.Numeric(4, 1), nullable=False),
        sa.Column("code", sa.String(3), nullable=False),
        sa.CheckConstraint("status IN ('new', 'done')"),
        sa.CheckConstraint("amount > 100"),
        sa.CheckConstraint("score BETWEEN 0 AND 5"),
        sa.CheckConstraint("length(code) = 3"),
    )
    metadata.create_all(sqlite)
    rows = filled(sqlite, table)
    assert [row.status for row in rows] == ["new", "done", "new"]
    assert all(row.amount > 100 and 0 <= row.score <= 5 for row in rows)
    assert all(len(row.code) == 3 for row in rows)


def test_foreign_keys_take_the_parents_rows(sqlite: sa.Connection) -> None:
    metadata = sa.MetaData()
    parent = sa.Table(
        "parent",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(5), unique=True, nullable=False),
    )
    child = sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_code", sa.ForeignKey("parent.code"), nullable=False),
        sa.Column("other_id", sa.ForeignKey("parent.id"), nullable=True),
    )
    metadata.create_all(sqlite)
    filled(sqlite, parent)
    codes = [row.code for row in sqlite.execute(sa.select(parent))]

    def values(key: seed.TableKey, columns: Any) -> list[tuple[Any, ...]]:
        assert key == (None, "parent")
        query = sa.select(*[parent.c[c] for c in columns])
        return [tuple(row) for row in sqlite.execute(query)]

    assert seed.fill(child, sqlite, values) == (3, "")
    rows = list(sqlite.execute(sa.select(child)))
    assert [row.parent_code for row in rows] == codes
    assert [row.other_id is None for row in rows] == [False, True, False]


def test_self_references_point_at_the_first_row(sqlite: sa.Connection) -> None:
    metadata = sa.MetaData()
    node = sa.Table(
        "node",
        metadata,
        sa.Column("name", sa.String(10), primary_key=True),
        sa.Column("parent_name", sa.ForeignKey("node.name"), nullable=True),
    )
    served = sa.Table(  # keys the server assigns: unknown before the insert, so NULL
        "served",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.ForeignKey("served.id"), nullable=True),
    )
    metadata.create_all(sqlite)
    rows = filled(sqlite, node)
    assert [row.parent_name for row in rows] == [None, rows[0].name, rows[0].name]
    assert {row.parent_id for row in filled(sqlite, served)} == {None}


def test_what_cannot_be_made_says_why(sqlite: sa.Connection) -> None:
    metadata = sa.MetaData()
    orphan = sa.Table(
        "orphan",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("nowhere.id"), nullable=False),
    )
    sa.Table("nowhere", metadata, sa.Column("id", sa.Integer, primary_key=True))
    refused = sa.Table(
        "refused",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.CheckConstraint("day >= '2100-01-01'", name="ck_future"),
    )
    metadata.create_all(sqlite)
    count, why = seed.fill(orphan, sqlite, no_parents)
    assert count == 0
    assert why == "its NOT NULL foreign key (parent_id) references nowhere, which holds no rows"
    count, why = seed.fill(refused, sqlite, no_parents)
    assert (count, why) == (0, "IntegrityError: CHECK constraint failed: ck_future")
    assert sqlite.execute(sa.select(sa.func.count()).select_from(refused)).scalar() == 0


def test_a_table_of_server_keys_only_gets_default_rows(sqlite: sa.Connection) -> None:
    metadata = sa.MetaData()
    table = sa.Table("posts", metadata, sa.Column("id", sa.Integer, primary_key=True))
    metadata.create_all(sqlite)
    assert [row.id for row in filled(sqlite, table)] == [1, 2, 3]
