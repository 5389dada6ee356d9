"""The worker's databases: made from a DatabaseSpec, checked for emptiness, read.

Runs inside the worker process (it imports SQLAlchemy and the project's drivers).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from alembic_gate.check.errors import WorkerError
from alembic_gate.check.protocol import DatabaseSpec
from alembic_gate.shared import drivers
from alembic_gate.shared.records import field, record
from alembic_gate.shared.redact import mask_urls

# Templates kept on a kept server (one per history hash), newest first.
TEMPLATE_PREFIX = "alembic_gate_tpl_"
KEPT_TEMPLATES = 8
EXAMPLE = "e.g. postgresql://user:password@host:5432/dbname"
MAX_PORT = 65535
# Schemas that belong to the server, not to the project.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast"})


def with_driver(url: URL, is_async: bool, configured: URL | None = None) -> URL:
    """`url` with a driver this SQLAlchemy can use when it names none (or an async one
    for async envs, or a synchronous one for the worker's own connections): the one
    the project's own URL (`configured`) names first. Where that is the driver
    SQLAlchemy picks for a URL naming none, the URL names none, as users write it
    (Airflow refuses a SQLite URL that does not start with `sqlite:////`)."""
    try:
        chosen = drivers.choose(url, is_async, configured)
    except drivers.DriverError as exc:
        raise WorkerError(str(exc), "usage") from None
    return drivers.unnamed_default(url, chosen)


def checked_url(text: str) -> URL:
    """`--database-url` parsed, with a dialect this SQLAlchemy knows and its driver
    installed (a usage error otherwise)."""
    try:
        url = make_url(text)
    except sa_exc.ArgumentError:
        raise WorkerError(f"--database-url is not a database URL ({EXAMPLE})", "usage") from None
    except ValueError:
        raise WorkerError(
            f"--database-url: its port is not a number ({EXAMPLE})", "usage"
        ) from None
    _check_port(url)
    _refuse_in_memory(url)
    try:
        if "+" in url.drivername:
            drivers.validate(url)
        drivers.validate(drivers.choose(url, is_async=False))
    except drivers.DriverError as exc:
        raise WorkerError(f"--database-url: {exc}", "usage") from None
    return url


def _check_port(url: URL) -> None:
    # Drivers read 0 as "the default port" and report others only once they connect, as
    # an unreachable database (exit 3) although the URL is what is wrong.
    if url.port is not None and not 1 <= url.port <= MAX_PORT:
        raise WorkerError(
            f"--database-url: its port {url.port} is not in 1-{MAX_PORT} ({EXAMPLE})", "usage"
        )


def _refuse_in_memory(url: URL) -> None:
    if url.get_backend_name() != "sqlite":
        return
    database = url.database or ""
    memory = database in {"", ":memory:"} or database.startswith("file::memory:")
    if memory or url.query.get("mode") == "memory":
        raise WorkerError(
            "--database-url: an in-memory SQLite database cannot hold the migrated schema: "
            "each step of check (env.py's upgrade, the comparison) opens its own connection "
            "and would meet a new, empty database; name a file (sqlite:///check.db) or "
            "use --db sqlite",
            "usage",
        )


def sync_url(url: URL) -> URL:
    """A URL the worker's own (synchronous) connections can use."""
    return with_driver(url, is_async=False)


@contextmanager
def connect(url: URL, timeout: float | None = None) -> Iterator[Connection]:
    """A connection of the worker's own (NullPool: closed for real afterwards), given up
    after `timeout` seconds where the driver can be told so."""
    connect_args = drivers.timeout_args(sync_url(url), timeout) if timeout else {}
    with _connected(url, connect_args=connect_args) as conn:
        yield conn


@contextmanager
def lend(url: URL) -> Iterator[Connection]:
    """The connection check lends env.py in `config.attributes["connection"]`. alembic's
    old cookbook recipe (JupyterHub's env.py) calls `.connect()` on whatever it was given,
    a Connection as well as an Engine, as SQLAlchemy 1.x's "branching" allowed: this one
    answers it with itself, in a `with` block that leaves it open."""
    with _connected(url, branching=True) as conn:
        yield conn


class _Branch:
    """What `.connect()` on a lent connection gives: its parent in a `with` block, which
    closing the branch leaves open (SQLAlchemy 1.x's branching)."""

    def __init__(self, parent: Connection) -> None:
        self._parent = parent

    def __enter__(self) -> Connection:
        return self._parent

    def __exit__(self, *exc: object) -> None:
        return None

    def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parent, name)


_BRANCHING: dict[type[Connection], type[Connection]] = {}


def _branching(base: type[Connection]) -> type[Connection]:
    """`base` (2.0's Connection, or 1.4's future one) with a `.connect()` that branches."""

    def connect(self: Connection) -> _Branch:
        return _Branch(self)

    if base not in _BRANCHING:
        _BRANCHING[base] = type(f"Lent{base.__name__}", (base,), {"connect": connect})
    return _BRANCHING[base]


@contextmanager
def _connected(url: URL, branching: bool = False, **options: Any) -> Iterator[Connection]:
    options = {**drivers.engine_options(), **options}
    engine = sa.create_engine(sync_url(url), poolclass=NullPool, **options)
    if branching:
        engine._connection_cls = _branching(engine._connection_cls)
    try:
        conn = engine.connect()
    except Exception as exc:  # the driver's own errors too (a missing auth dependency)
        engine.dispose()
        reason = first_line(exc) if isinstance(exc, sa_exc.DBAPIError) else one_line(exc)
        raise WorkerError(f"cannot connect to the database: {reason}", "env") from None
    try:
        with conn:
            yield conn
    finally:
        engine.dispose()


# SQL text a revision sends that ends the transaction itself (`TRUNCATE t;commit;`,
# `op.execute("COMMIT")`): a COMMIT, ROLLBACK or ABORT of its own, not ROLLBACK TO.
ENDS_TRANSACTION = re.compile(r"(?i)(?:^|;)\s*(?:commit|abort|rollback(?!\s+to\b))\b")


def one_line(exc: BaseException) -> str:
    """``TypeName: the first line of its message``."""
    lines = said(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def sql_tail(statement: str, redact: Callable[[str], str] = mask_urls) -> str:
    """`` [SQL: ...]``: the statement on one line, masked, its first 200 characters (as
    AG901 shows it)."""
    flat = " ".join(redact(statement).split())
    return f" [SQL: {flat[:200]}{'...' if len(flat) > 200 else ''}]"


def first_line(exc: sa_exc.DBAPIError) -> str:
    return whole_message(exc.orig).splitlines()[0]


def whole_message(exc: BaseException | None) -> str:
    """The driver's whole message, without trailing blanks."""
    return "\n".join(line.rstrip() for line in said(exc).strip().splitlines()) or type(exc).__name__


def said(exc: BaseException | None) -> str:
    """What an exception says: its text; for pg8000's, whose one argument is the server's
    fields (a dict), the message and its detail as libpq writes them."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    fields = args[0] if len(args) == 1 and isinstance(args[0], dict) else {}
    message, detail = fields.get("M"), fields.get("D")
    if not isinstance(message, str):
        return str(exc)
    return message + (f"\nDETAIL:  {detail}" if isinstance(detail, str) else "")


def placeholders(url: URL, given: str | None = None) -> dict[str, str]:
    """What --env values may hold, for the throwaway database at `url`; `{url}` is
    `given` (--database-url) as typed where it is that URL: SQLAlchemy would render a
    `!` of its password as `%21`, which an env.py passing it to `config.set_main_option`
    reads as interpolation, where `alembic upgrade` with the same URL works."""
    rendered = url.render_as_string(hide_password=False)
    return {
        "url": given if given and _same_url(given, url) else rendered,
        "host": url.host or "",
        "port": str(url.port or _PORTS.get(url.get_backend_name()) or ""),
        "user": url.username or "",
        "password": url.password if isinstance(url.password, str) else "",
        "database": url.database or "",
    }


def _same_url(text: str, url: URL) -> bool:
    try:
        return make_url(text) == url
    except Exception:  # no URL SQLAlchemy reads: not the same
        return False


ENGINE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "sqlite": "SQLite"}


def engine_name(dialect: Any) -> str:
    """ "PostgreSQL 16.4", "MariaDB 10.11.6", "SQLite 3.45.1"."""
    name = "MariaDB" if getattr(dialect, "is_mariadb", False) else None
    name = name or ENGINE_NAMES.get(dialect.name, dialect.name)
    info = getattr(dialect, "server_version_info", None) or ()
    version = ".".join(str(part) for part in info[:3] if isinstance(part, int))
    return f"{name} {version}" if version else name


# Hosts that name this machine, and each engine's default port.
_LOCAL = frozenset({"", "localhost", "127.0.0.1", "::1"})
_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


@record(frozen=True)
class Target:
    """Where a connection goes, as a dialect's connect arguments say."""

    server: tuple[str, str, int | None]  # engine, host, port (SQLite: the file)
    database: str
    shown: str = field(compare=False)

    @classmethod
    def of(cls, dialect: Any, cargs: Sequence[Any], cparams: dict[str, Any]) -> Target | None:
        """None when the arguments do not say (a DSN string, a driver of unknown shape)."""
        name = dialect.name
        if name == "sqlite":
            file = str(cargs[0]) if cargs else ":memory:"
            path = (
                file if file.startswith("file:") or file == ":memory:" else os.path.realpath(file)
            )
            return cls((name, path, None), "", f"sqlite:///{file}")
        host = cparams.get("host") or cparams.get("unix_socket")
        database = cparams.get("dbname") or cparams.get("database") or cparams.get("db")
        if not isinstance(host, str | None) or not isinstance(database, str | None):
            return None
        if host is None and database is None:
            return None
        port = cparams.get("port")
        port = int(port) if isinstance(port, int | str) and str(port).isdigit() else None
        local = "localhost" if (host or "") in _LOCAL else str(host)
        shown = URL.create(
            f"{name}+{dialect.driver}",
            username=cparams.get("user"),
            host=host,
            port=port,
            database=database,
        ).render_as_string(hide_password=True)
        return cls((name, local, port or _PORTS.get(name)), database or "", shown)

    @classmethod
    def of_url(cls, dialect: Any, url: URL) -> Target | None:
        if url.get_backend_name() != dialect.name:
            return None
        try:
            cargs, cparams = dialect.create_connect_args(url)
        except Exception:  # a URL this driver reads otherwise: compare nothing
            return None
        return cls.of(dialect, cargs, cparams)


def numbered(base: str, count: int) -> list[str]:
    """`base`, `base_1`, ...: one name per engine of a multi-database env.py."""
    return [base if i == 0 else f"{base}_{i}" for i in range(count)]


def provide(
    spec: DatabaseSpec, configured: Sequence[URL | None], is_async: bool
) -> tuple[list[URL], bool]:
    """One database per engine of env.py (several for a multi-database one), empty or,
    with a template of this history on a kept server, already migrated; and which it is.
    `configured` holds each engine's own URL (alembic.ini's), None where it has none:
    a driver it names is used where the database URL names none."""
    count = len(configured)
    if spec.kind == "sqlite":
        assert spec.directory is not None
        folder = Path(spec.directory)
        files = [make_url(f"sqlite:///{folder / f'{spec.prefix}_{i}.db'}") for i in range(count)]
        return [
            with_driver(url, is_async, own) for url, own in zip(files, configured, strict=True)
        ], False
    assert spec.url is not None
    url = checked_url(spec.url) if spec.kind == "url" else make_url(spec.url)
    if spec.kind == "url":
        if count > 1:
            raise WorkerError(
                f"env.py migrates {count} databases (a multi-database setup) but "
                "--database-url names one: run it with --db to use a throwaway server",
                "usage",
            )
        if url.get_backend_name() in drivers.NEEDS_DATABASE and not url.database:
            raise WorkerError(
                f"--database-url {mask_urls(spec.url)} names no database: end it with the name of "
                "an empty one (.../dbname)",
                "usage",
            )
        return [with_driver(url, is_async, configured[0])], False
    names = numbered(spec.prefix, count)
    templates = numbered(spec.template, count) if spec.template else []
    cloned = _create_databases(url, names, templates)
    return [
        with_driver(url.set(database=name), is_async, own)
        for name, own in zip(names, configured, strict=True)
    ], cloned


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
        names = drivers.table_names(inspector, schema) + inspector.get_view_names(schema)
        found += [prefix + name for name in names]
    return sorted(found)


# Everything a migration could collide with, in the schemas a project can see.
_PG_USER_SCHEMA = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
)
_PG_OBJECTS = f"""
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
         WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' ELSE 'table' END,
       n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {_PG_USER_SCHEMA}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain'
         WHEN 'r' THEN 'range type' WHEN 'c' THEN 'composite type' ELSE 'type' END,
       n.nspname, t.typname
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class r ON r.oid = t.typrelid
WHERE {_PG_USER_SCHEMA} AND t.typcategory <> 'A' AND t.typtype <> 'm'
  AND (t.typtype <> 'c' OR r.relkind = 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       n.nspname, p.proname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {_PG_USER_SCHEMA}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'schema', n.nspname, ''
FROM pg_namespace n
WHERE {_PG_USER_SCHEMA} AND n.nspname <> 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                  AND d.objid = n.oid AND d.deptype = 'e')
"""
_MYSQL_OBJECTS = """
SELECT CASE TABLE_TYPE WHEN 'VIEW' THEN 'view' WHEN 'SEQUENCE' THEN 'sequence' ELSE 'table' END,
       '', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT LOWER(ROUTINE_TYPE), '', ROUTINE_NAME
FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
UNION ALL
SELECT 'event', '', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()
UNION ALL
SELECT 'trigger', '', TRIGGER_NAME
FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
"""
_SQLITE_OBJECTS = (
    "SELECT type, '', name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)


def objects_in(conn: Connection) -> list[str]:
    """What the database holds that a migration could collide with: tables, views,
    sequences, types, functions and the like ("materialized view stats.daily")."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        query = _PG_OBJECTS
    elif dialect in {"mysql", "mariadb"}:
        query = _MYSQL_OBJECTS
    elif dialect == "sqlite":
        query = _SQLITE_OBJECTS
    else:
        return [f"table {name}" for name in tables_in(conn)]
    found = []
    for kind, schema, name in conn.execute(sa.text(query)):
        if kind == "schema":
            found.append(f"schema {schema}")
        else:
            where = f"{schema}." if schema and schema != "public" else ""
            found.append(f"{kind} {where}{name}")
    return sorted(found)


def refuse_nonempty(
    url: URL, shown: str, allowed: bool = False, timeout: float | None = None
) -> None:
    """A usage error for a database that holds anything unless `allowed`; an environment
    error, allowed or not, for one that cannot be read (or reached within `timeout`)."""
    with connect(url, timeout) as conn:
        try:
            found = objects_in(conn)
        except sa_exc.DBAPIError as exc:  # SQLite opens any file, then cannot read it
            raise WorkerError(
                f"cannot use the database {shown}: {first_line(exc)}", "env"
            ) from None
    if found and not allowed:
        listed = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
        raise WorkerError(
            f"the database {shown} is not empty: it holds {len(found)} object(s) ({listed}); "
            "check applies every migration from scratch and will not touch a database in "
            "use: point --database-url at an empty database, or pass --allow-nonempty",
            "usage",
        )


def same_database(a: URL, b: URL) -> bool:
    """Whether two URLs name one database (any driver, user or password; `localhost`,
    `127.0.0.1` and no host alike; no port is the engine's default one)."""
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return _sqlite_path(a) == _sqlite_path(b)
    return _server(a) == _server(b) and a.database == b.database


def _server(url: URL) -> tuple[str, int | None]:
    host = "localhost" if (url.host or "") in _LOCAL else str(url.host)
    return host, url.port or _PORTS.get(url.get_backend_name())


def _sqlite_path(url: URL) -> str:
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file:"):
        return database
    return os.path.realpath(database)
