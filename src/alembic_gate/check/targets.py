"""The worker's databases: made from a DatabaseSpec, checked for emptiness, read.

Runs inside the worker process (it imports SQLAlchemy and the project's drivers).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from alembic_gate.check.errors import WorkerError
from alembic_gate.check.protocol import DatabaseSpec

# Drivers tried, in order, when a URL names none. Async env.py files need an async one.
SYNC_DRIVERS = {
    "postgresql": (("psycopg", "psycopg"), ("psycopg2", "psycopg2"), ("pg8000", "pg8000")),
    "mysql": (("pymysql", "pymysql"), ("mysqldb", "MySQLdb"), ("mysqlconnector", "mysql")),
    "mariadb": (("pymysql", "pymysql"), ("mysqldb", "MySQLdb"), ("mysqlconnector", "mysql")),
    "sqlite": (("pysqlite", "sqlite3"),),
}
ASYNC_DRIVERS = {
    "postgresql": (("psycopg", "psycopg"), ("asyncpg", "asyncpg")),
    "mysql": (("aiomysql", "aiomysql"), ("asyncmy", "asyncmy")),
    "mariadb": (("aiomysql", "aiomysql"), ("asyncmy", "asyncmy")),
    "sqlite": (("aiosqlite", "aiosqlite"),),
}
ASYNC_ONLY = frozenset({"asyncpg", "aiomysql", "asyncmy", "aiosqlite", "psycopg_async"})
# Schemas that belong to the server, not to the project.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast"})


def with_driver(url: URL, is_async: bool) -> URL:
    """`url` with an installed driver when it names none (or an async one for async envs)."""
    backend = url.get_backend_name()
    table = ASYNC_DRIVERS if is_async else SYNC_DRIVERS
    if backend not in table:
        return url
    if "+" in url.drivername and (is_async or url.get_driver_name() not in ASYNC_ONLY):
        return url
    for driver, module in table[backend]:
        if importlib.util.find_spec(module) is not None:
            return url.set(drivername=f"{backend}+{driver}")
    wanted = " or ".join(module for _, module in table[backend])
    kind = "an async" if is_async else "a"
    raise WorkerError(f"env.py needs {kind} {backend} driver: install {wanted}", "env")


def sync_url(url: URL) -> URL:
    """A URL the worker's own (synchronous) connections can use."""
    return with_driver(url, is_async=False)


@contextmanager
def connect(url: URL) -> Iterator[Connection]:
    engine = sa.create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    except sa_exc.OperationalError as exc:
        raise WorkerError(f"cannot connect to the database: {first_line(exc)}", "env") from None
    finally:
        engine.dispose()


def first_line(exc: sa_exc.DBAPIError) -> str:
    text = str(exc.orig).strip() or type(exc.orig).__name__
    return text.splitlines()[0]


def provide(spec: DatabaseSpec, count: int, is_async: bool) -> list[URL]:
    """`count` empty databases (one per engine of a multi-database env.py)."""
    if spec.kind == "sqlite":
        assert spec.directory is not None
        folder = Path(spec.directory)
        return [
            with_driver(make_url(f"sqlite:///{folder / f'{spec.prefix}_{i}.db'}"), is_async)
            for i in range(count)
        ]
    assert spec.url is not None
    url = make_url(spec.url)
    if spec.kind == "url":
        if count > 1:
            raise WorkerError(
                f"env.py migrates {count} databases (a multi-database setup) but "
                "--database-url names one: run it with --db to use a throwaway server",
                "usage",
            )
        return [with_driver(url, is_async)]
    names = [spec.prefix if i == 0 else f"{spec.prefix}_{i}" for i in range(count)]
    _create_databases(url, names)
    return [with_driver(url.set(database=name), is_async) for name in names]


def _create_databases(admin: URL, names: Sequence[str]) -> None:
    engine = sa.create_engine(sync_url(admin), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa_exc.OperationalError as exc:
        raise WorkerError(f"cannot create a database: {first_line(exc)}", "env") from None
    finally:
        engine.dispose()


def tables_in(conn: Connection) -> list[str]:
    """Every table and view in the database (PostgreSQL: in every user schema)."""
    inspector = sa.inspect(conn)
    schemas: list[str | None] = [None]
    if conn.dialect.name == "postgresql":
        schemas += [
            s
            for s in inspector.get_schema_names()
            if s not in SYSTEM_SCHEMAS
            and not s.startswith("pg_")
            and s != inspector.default_schema_name
        ]
    found = []
    for schema in schemas:
        prefix = f"{schema}." if schema else ""
        names = inspector.get_table_names(schema) + inspector.get_view_names(schema)
        found += [prefix + name for name in names]
    return sorted(found)


def refuse_nonempty(url: URL, shown: str) -> None:
    with connect(url) as conn:
        tables = tables_in(conn)
    if tables:
        listed = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise WorkerError(
            f"the database {shown} already holds {len(tables)} table(s) ({listed}): check "
            "applies every migration from scratch and will not touch a database in use; "
            "point --database-url at an empty database, or pass --allow-nonempty",
            "usage",
        )


def same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return _sqlite_path(a) == _sqlite_path(b)
    return (a.host or "localhost", a.port, a.database) == (
        b.host or "localhost",
        b.port,
        b.database,
    )


def _sqlite_path(url: URL) -> str:
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file:"):
        return database
    return os.path.realpath(database)
