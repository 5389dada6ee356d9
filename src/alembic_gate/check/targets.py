"""The worker's databases: made from a DatabaseSpec, checked for emptiness, read.

Runs inside the worker process (it imports SQLAlchemy and the project's drivers).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from alembic_gate.check.errors import WorkerError
from alembic_gate.check.protocol import DatabaseSpec, mask

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
# Templates kept on a kept server (one per history hash), newest first.
TEMPLATE_PREFIX = "alembic_gate_tpl_"
KEPT_TEMPLATES = 8
# Schemas that belong to the server, not to the project.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast"})
# Backends whose URL must name a database: without one, a connection has none selected.
NEEDS_DATABASE = frozenset({"mysql", "mariadb"})


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
    """A connection of the worker's own (NullPool: closed for real afterwards)."""
    with _connected(url) as conn:
        yield conn


@contextmanager
def _connected(url: URL, **options: Any) -> Iterator[Connection]:
    url = sync_url(url)
    try:
        engine = sa.create_engine(url, poolclass=NullPool, **options)
    except ImportError as exc:  # the driver the URL names (mysql+mysqldb://) is not installed
        raise WorkerError(
            f"the database URL's driver {url.drivername} is not installed ({exc}): install it, "
            f"or name an installed one ({url.get_backend_name()}+DRIVER://...)",
            "env",
        ) from None
    try:
        conn = engine.connect()
    except Exception as exc:  # the driver's own errors too (a missing auth dependency)
        engine.dispose()
        reason = first_line(exc) if isinstance(exc, sa_exc.DBAPIError) else _one_line(exc)
        raise WorkerError(f"cannot connect to the database: {reason}", "env") from None
    try:
        with conn:
            yield conn
    finally:
        engine.dispose()


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def first_line(exc: sa_exc.DBAPIError) -> str:
    text = str(exc.orig).strip() or type(exc.orig).__name__
    return text.splitlines()[0]


def numbered(base: str, count: int) -> list[str]:
    """`base`, `base_1`, ...: one name per engine of a multi-database env.py."""
    return [base if i == 0 else f"{base}_{i}" for i in range(count)]


def provide(spec: DatabaseSpec, count: int, is_async: bool) -> tuple[list[URL], bool]:
    """`count` databases (one per engine of a multi-database env.py), empty or, with a
    template of this history on a kept server, already migrated; and which it is."""
    if spec.kind == "sqlite":
        assert spec.directory is not None
        folder = Path(spec.directory)
        return [
            with_driver(make_url(f"sqlite:///{folder / f'{spec.prefix}_{i}.db'}"), is_async)
            for i in range(count)
        ], False
    assert spec.url is not None
    url = make_url(spec.url)
    if spec.kind == "url":
        if count > 1:
            raise WorkerError(
                f"env.py migrates {count} databases (a multi-database setup) but "
                "--database-url names one: run it with --db to use a throwaway server",
                "usage",
            )
        if url.get_backend_name() in NEEDS_DATABASE and not url.database:
            raise WorkerError(
                f"--database-url {mask(spec.url)} names no database: end it with the name of "
                "an empty one (.../dbname)",
                "usage",
            )
        return [with_driver(url, is_async)], False
    names = numbered(spec.prefix, count)
    templates = numbered(spec.template, count) if spec.template else []
    cloned = _create_databases(url, names, templates)
    return [with_driver(url.set(database=name), is_async) for name in names], cloned


def _admin(url: URL) -> AbstractContextManager[Connection]:
    return _connected(url, isolation_level="AUTOCOMMIT")


def _create_databases(admin: URL, names: Sequence[str], templates: Sequence[str]) -> bool:
    with _admin(admin) as conn:
        found = set(_databases(conn, templates)) if templates else set()
        cloned = bool(templates) and found == set(templates)
        for name, template in zip(names, templates or names, strict=True):
            copy = f" TEMPLATE {template}" if cloned else ""
            conn.exec_driver_sql(f"CREATE DATABASE {name}{copy}")
    return cloned


def _databases(conn: Connection, names: Sequence[str]) -> list[str]:
    rows = conn.execute(
        sa.text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
        {"names": list(names)},
    )
    return [str(row[0]) for row in rows]


def save_templates(admin: URL, names: Sequence[str], templates: Sequence[str]) -> None:
    """Keep migrated copies of `names` as `templates` (PostgreSQL), and only the newest few."""
    with _admin(admin) as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(:names) AND pid <> pg_backend_pid()"
            ),
            {"names": list(names)},
        )
        for name, template in zip(names, templates, strict=True):
            with suppress(sa_exc.ProgrammingError):  # made meanwhile by a run of this history
                conn.exec_driver_sql(f"CREATE DATABASE {template} TEMPLATE {name}")
        stale = conn.execute(
            sa.text(
                "SELECT datname FROM pg_database WHERE starts_with(datname, :prefix) "
                "ORDER BY oid DESC OFFSET :keep"
            ),
            {"prefix": TEMPLATE_PREFIX, "keep": KEPT_TEMPLATES},
        )
        for (name,) in list(stale):
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")


def drop_databases(admin: URL, names: Sequence[str]) -> None:
    with _admin(admin) as conn:
        force = " WITH (FORCE)" if conn.dialect.name == "postgresql" else ""
        for name in names:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")


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
