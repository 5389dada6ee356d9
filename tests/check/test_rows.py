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
    order = rows.empty(run, conn.dialect, [(None, "users")])
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
        rows.empty(rows.raw(conn.connection.dbapi_connection), conn.dialect, [(None, "a")])
        left = conn.exec_driver_sql("SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)")
        assert left.scalar_one() == 0


@pytest.mark.mariadb
def test_mariadb(mariadb_url: str) -> None:
    for conn in engine_connection(mariadb_url):
        emptied(conn)
        run = rows.raw(conn.connection.dbapi_connection)
        assert run("SELECT @@foreign_key_checks") == [(1,)]  # switched back on
