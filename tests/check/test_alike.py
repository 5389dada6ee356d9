"""alike.stored_alike on real databases: a model type read back from a temporary table,
held against the column type the comparison reflected."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import mysql

from alembic_gate.check.alike import indexed_alike, stored_alike
from alembic_gate.check.targets import connect

from .conftest import tables


def _alike(url: str, reflected: object, model: object) -> bool:
    with connect(sa.make_url(url)) as conn:
        return stored_alike(conn, reflected, model)


@pytest.mark.mariadb
def test_mariadb_stores_float_53_as_double(mariadb_url: str) -> None:
    assert _alike(mariadb_url, mysql.DOUBLE(asdecimal=True), sa.Float(precision=53))
    assert not _alike(mariadb_url, mysql.MEDIUMTEXT(), sa.Text())
    assert not _alike(mariadb_url, sa.VARCHAR(9), sa.String(20))
    assert tables(mariadb_url) == []


@pytest.mark.postgres
def test_postgres_tells_lengths_apart_and_keeps_nothing(postgres_url: str) -> None:
    assert _alike(postgres_url, sa.VARCHAR(20), sa.String(20))
    assert not _alike(postgres_url, sa.VARCHAR(9), sa.String(20))
    # A type the server refuses: no verdict, so the difference stays.
    assert not _alike(postgres_url, sa.INTEGER(), mysql.MEDIUMTEXT())
    assert tables(postgres_url) == []


def test_sqlite_and_types_that_say_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    assert _alike(url, sa.INTEGER(), sa.Integer())
    assert not _alike(url, sa.VARCHAR(9), sa.String(20))
    assert not _alike(url, None, sa.Integer())
    assert tables(url) == []


@pytest.mark.mariadb
def test_mariadb_reads_no_desc_back_from_either_index(mariadb_url: str) -> None:
    """The database's index and the models' read back alike (SQLAlchemy reads no DESC
    from MariaDB): no difference; other columns are one."""
    engine = sa.create_engine(mariadb_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER, b INTEGER)")
        conn.exec_driver_sql("CREATE INDEX ix_t ON t (a, b DESC)")
    engine.dispose()
    drop = ops.DropIndexOp("ix_t", table_name="t")
    same = ops.CreateIndexOp("ix_t", "t", ["a", sa.text("b DESC")])
    other = ops.CreateIndexOp("ix_t", "t", ["b", sa.text("a DESC")])
    with connect(sa.make_url(mariadb_url)) as conn:
        assert indexed_alike(conn, drop, same)
        assert not indexed_alike(conn, drop, other)
    assert tables(mariadb_url) == ["t"]


def test_sqlite_reads_a_partial_index_of_a_temporary_table_back(tmp_path: Path) -> None:
    """SQLAlchemy reads a partial index's WHERE from `sqlite_master`, which holds none of
    a temporary table's, and gives it as a text() clause, equal to no other: the same
    index measured no longer reads back unlike the database's; another WHERE still does."""
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, f BOOLEAN)")
        conn.exec_driver_sql("CREATE INDEX ix_t ON t (a, id DESC) WHERE f")
    engine.dispose()
    drop = ops.DropIndexOp("ix_t", table_name="t")
    columns = ["a", sa.column("id").desc()]
    same = ops.CreateIndexOp("ix_t", "t", columns, sqlite_where=sa.text("f"))
    other = ops.CreateIndexOp("ix_t", "t", columns, sqlite_where=sa.text("NOT f"))
    with connect(sa.make_url(url)) as conn:
        assert indexed_alike(conn, drop, same)
        assert not indexed_alike(conn, drop, other)
    assert tables(url) == ["t"]
