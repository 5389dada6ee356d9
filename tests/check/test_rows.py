"""Tables read and emptied with plain SQL: an emptied table takes the rows that reference
it along, whatever the engine enforces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from alembic_gate.check import rows

SCHEMA = [
    "CREATE TABLE users (id integer PRIMARY KEY, name varchar(20))",
    "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id))",
    "CREATE TABLE likes (post_id integer NOT NULL REFERENCES posts (id))",
    "CREATE TABLE tags (id integer PRIMARY KEY)",
    "INSERT INTO users VALUES (1, 'a')",
    "INSERT INTO posts VALUES (1, 1)",
    "INSERT INTO likes VALUES (1)",
    "INSERT INTO tags VALUES (7)",
]

MINE = [(None, "users"), (None, "posts"), (None, "likes"), (None, "tags")]


def counts(conn: sa.Connection) -> dict[str, int]:
    found = {}
    for name in ("users", "posts", "likes", "tags"):
        found[name] = conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
    return found


def emptied(conn: sa.Connection) -> list[rows.TableKey]:
    for statement in SCHEMA:
        conn.exec_driver_sql(statement)
    run = rows.raw(conn.connection.dbapi_connection)
    assert rows.tables(run, conn.dialect) >= {(None, "users"), (None, "posts"), (None, "likes")}
    assert ((None, "posts"), (None, "users")) in rows.references(run, conn.dialect)
    order = rows.empty(run, conn.dialect, [(None, "users")], mine=MINE)
    assert counts(conn) == {"users": 0, "posts": 0, "likes": 0, "tags": 1}
    return order


def engine_connection(url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_sqlite_with_foreign_keys_enforced(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    sa.event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA foreign_keys = ON"))
    with engine.connect() as conn:
        order = emptied(conn)
    assert order == [(None, "likes"), (None, "posts"), (None, "users")]


@pytest.mark.postgres
def test_postgres_children_first_and_cycles(postgres_url: str) -> None:
    for conn in engine_connection(postgres_url):
        emptied(conn)
        conn.exec_driver_sql("CREATE TABLE a (id integer PRIMARY KEY, b_id integer)")
        conn.exec_driver_sql("CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a)")
        conn.exec_driver_sql("ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b")
        conn.exec_driver_sql("INSERT INTO a VALUES (1, NULL)")
        conn.exec_driver_sql("INSERT INTO b VALUES (1, 1)")
        conn.exec_driver_sql("UPDATE a SET b_id = 1")
        run = rows.raw(conn.connection.dbapi_connection)
        rows.empty(run, conn.dialect, [(None, "a")], mine=[(None, "a"), (None, "b")])
        left = conn.exec_driver_sql("SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)")
        assert left.scalar_one() == 0


@pytest.mark.mariadb
def test_mariadb(mariadb_url: str) -> None:
    for conn in engine_connection(mariadb_url):
        emptied(conn)
        run = rows.raw(conn.connection.dbapi_connection)
        assert run("SELECT @@foreign_key_checks") == [(1,)]  # switched back on


def test_sqlite_tables_not_mine_keep_their_rows(tmp_path: Path) -> None:
    """A table outside `mine` that references an emptied one is not emptied with it."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    with engine.connect() as conn:
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("UPDATE posts SET user_id = 2")  # references no user now
        run = rows.raw(conn.connection.dbapi_connection)
        mine = [(None, "users"), (None, "likes")]
        assert rows.empty(run, conn.dialect, [(None, "users")], mine=mine) == [(None, "users")]
        assert counts(conn) == {"users": 0, "posts": 1, "likes": 1, "tags": 1}


@pytest.mark.postgres
def test_postgres_tables_not_mine_keep_their_rows(postgres_url: str) -> None:
    """Rows outside `mine` that reference a row being deleted make the emptying fail
    rather than go; a cycle is emptied without reaching a table outside `mine` (with
    DELETEs in one statement: a row of its referencing nothing lets it go)."""
    for conn in engine_connection(postgres_url):
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
        run = rows.raw(conn.connection.dbapi_connection)
        with pytest.raises(Exception, match="foreign key"), conn.begin_nested():
            rows.empty(run, conn.dialect, [(None, "users")], mine=[(None, "users")])
        assert counts(conn) == {"users": 1, "posts": 1, "likes": 1, "tags": 1}
        conn.exec_driver_sql("CREATE TABLE a (id integer PRIMARY KEY, b_id integer)")
        conn.exec_driver_sql("CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a)")
        conn.exec_driver_sql("ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b")
        conn.exec_driver_sql("CREATE TABLE old (id integer, a_id integer REFERENCES a)")
        conn.exec_driver_sql("INSERT INTO a VALUES (1, NULL)")
        conn.exec_driver_sql("INSERT INTO b VALUES (1, 1)")
        conn.exec_driver_sql("UPDATE a SET b_id = 1")
        conn.exec_driver_sql("INSERT INTO old VALUES (1, 1)")
        with pytest.raises(Exception, match="foreign key"), conn.begin_nested():
            rows.empty(run, conn.dialect, [(None, "a")], mine=[(None, "a"), (None, "b")])
        assert conn.exec_driver_sql("SELECT count(*) FROM a").scalar_one() == 1
        conn.exec_driver_sql("UPDATE old SET a_id = NULL")
        emptied = rows.empty(run, conn.dialect, [(None, "a")], mine=[(None, "a"), (None, "b")])
        assert sorted(emptied) == [(None, "a"), (None, "b")]
        counted = conn.exec_driver_sql("SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b)")
        assert tuple(counted.one()) == (0, 0)
        left = conn.exec_driver_sql("SELECT count(*) FROM old")
        assert left.scalar_one() == 1
