"""Reading a database's version table and table list, read-only.

The connection is made read-only where the engine allows it, so that not even a bug
here could change the database:

- SQLite: the file is opened as a `mode=ro` URI (a missing file is not created; a WAL
  database with no writer is opened `immutable`, so no -wal/-shm files appear);
- PostgreSQL: `default_transaction_read_only=on` as a connection option, and
  `SET TRANSACTION READ ONLY` before the first query;
- MySQL / MariaDB: `SET SESSION TRANSACTION READ ONLY` as soon as the connection opens.

Only SELECTs and the inspector's catalogue queries run; the transaction is rolled back.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from alembic_gate.doctor.state import DatabaseState
from alembic_gate.errors import EnvError, UsageError
from alembic_gate.shared import drivers
from alembic_gate.shared.redact import Redactor

CONNECT_TIMEOUT = 10
DEFAULT_VERSION_TABLE = "alembic_version"
PG_READ_ONLY = "-c default_transaction_read_only=on"
# A table's columns as the inspector reflects them (name, type, ...).
Columns = Sequence[Mapping[str, Any]]


def mask(url: str | URL) -> str:
    """The URL without its password (in the user part or a query parameter), or
    `<not a database URL>`."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return "<not a database URL>"
    return shown(parsed)


def shown(url: URL) -> str:
    """`url` as text, safe to print."""
    text = url.render_as_string(hide_password=False)
    return _redactor(url)(text)


def _redactor(url: URL) -> Redactor:
    redact = Redactor()
    redact.add_url(url.render_as_string(hide_password=False))
    if isinstance(url.password, str):
        redact.add(url.password)
    return redact


def read_state(
    url: str,
    version_table: str = DEFAULT_VERSION_TABLE,
    schema: str | None = None,
    timeout: int | None = None,
    *,
    computed: bool = False,
) -> DatabaseState:
    """Read the version rows and the tables of the database at `url`, read-only.

    `computed` says that env.py names the version table with an expression doctor does
    not run: where `version_table` is missing, the one table of the schema read that is
    shaped as alembic's version table is read instead.

    Raises UsageError for a URL that is not one (or names a driver that is not
    installed), for a version table found in several schemas but the default one and,
    with `computed`, for several tables shaped as one; EnvError when the database cannot
    be reached or read. `timeout`
    (whole seconds, as libpq and libmysqlclient take it; CONNECT_TIMEOUT by default)
    bounds the wait for a server that does not answer.
    """
    with connect(url, timeout) as (conn, masked, how):
        try:
            return _read(conn, masked, version_table, schema, how, computed)
        except sa.exc.SQLAlchemyError as exc:
            raise EnvError(f"cannot read {masked}: {reason(exc, conn.engine.url)}") from None


@contextmanager
def connect(url: str, timeout: int | None = None) -> Iterator[tuple[Connection, str, str]]:
    """A read-only connection to `url` (rolled back and closed after), the URL with its
    password masked, and how the connection is kept read-only.

    Raises UsageError for a bad URL, EnvError when the database is unreachable.
    """
    target = database_url(url)
    masked = shown(target)
    engine, how = _engine(target, CONNECT_TIMEOUT if timeout is None else timeout)
    try:
        try:
            conn = engine.connect()
            if target.get_backend_name() == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        except sa.exc.SQLAlchemyError as exc:
            raise EnvError(f"cannot connect to {masked}: {reason(exc, target)}") from None
        try:
            yield conn, masked, how
        finally:
            conn.rollback()
            conn.close()
    finally:
        engine.dispose()


def database_url(url: str) -> URL:
    """Parse the URL and pick a synchronous driver that is installed and that this
    SQLAlchemy has a dialect for (SQLAlchemy 1.4 or 2.x)."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise UsageError(
            "--database-url is not a database URL (expected e.g. "
            "postgresql://user:password@host/dbname or sqlite:///path/to/file.db)"
        ) from None
    try:
        chosen = drivers.choose(parsed, is_async=False)
        drivers.validate(chosen)
    except drivers.DriverError as exc:
        raise UsageError(f"--database-url: {exc}") from None
    if chosen.get_backend_name() in drivers.NEEDS_DATABASE and not chosen.database:
        raise UsageError(
            f"--database-url {shown(chosen)} names no database: end it with the name of the "
            "database to inspect (.../dbname)"
        )
    return chosen


def _engine(url: URL, timeout: int) -> tuple[Engine, str]:
    """An engine that cannot write where the backend allows it, and how it is kept so."""
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    how = f"only SELECT statements (no read-only mode for {backend})"
    if backend == "sqlite":
        url = _sqlite_read_only(url)
        how = "SQLite mode=ro"
    elif backend == "postgresql":
        given = url.query.get("options")
        options = f"{given} {PG_READ_ONLY}" if isinstance(given, str) else PG_READ_ONLY
        if url.get_driver_name() in ("psycopg", "psycopg2"):
            connect_args = {"options": options}
        how = "a PostgreSQL read-only transaction"
    elif backend in ("mysql", "mariadb"):
        how = "SET SESSION TRANSACTION READ ONLY"
    connect_args.update(drivers.timeout_args(url, timeout))
    engine = sa.create_engine(
        url, poolclass=NullPool, connect_args=connect_args, **drivers.engine_options()
    )
    if backend in ("mysql", "mariadb"):
        sa.event.listen(engine, "connect", _mysql_read_only)
    return engine, how


def _sqlite_read_only(url: URL) -> URL:
    database = url.database
    if not database or database == ":memory:":
        raise UsageError("--database-url names an in-memory SQLite database: it is always empty")
    if url.query.get("uri"):  # already a `file:` URI: force its mode
        return url.update_query_dict({"mode": "ro"})
    path = Path(database).resolve()
    if not path.is_file():
        raise EnvError(f"cannot read {mask(url)}: the SQLite file {path} does not exist")
    query = {**url.query, "mode": "ro", "uri": "true"}
    if _idle_wal(path):
        # A read-only connection to a WAL database would leave -wal and -shm files
        # behind; with no -wal file there is nothing uncommitted, so the file is read as is.
        query["immutable"] = "1"
    return url.set(database=f"file:{quote(path.as_posix())}", query=query)


def _idle_wal(path: Path) -> bool:
    """A database in WAL mode (header bytes 18-19) with no -wal file next to it."""
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return False
    wal = path.with_name(path.name + "-wal")
    return (
        header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02" and not wal.exists()
    )


def _mysql_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


def _read(
    conn: Connection,
    masked: str,
    version_table: str,
    schema: str | None,
    how: str,
    computed: bool,
) -> DatabaseState:
    inspector = sa.inspect(conn)
    columns = _columns(inspector)
    has_table = inspector.has_table(version_table, schema=schema)
    shaped = [] if has_table else _shaped(inspector, schema, columns)
    by_shape = computed and bool(shaped)
    if by_shape:
        version_table = _only_shaped(shaped, version_table, schema, masked)
        has_table = True
    found = None
    if not has_table and schema is None:
        found = _schema_holding(conn, inspector, version_table, masked)
        has_table = found is not None
    where = schema if found is None else found
    versions = _versions(conn, version_table, where) if has_table else ()
    owned = extension_tables(conn)
    skip = {version_table.lower()} if where is None else set()
    skip |= owned.get(inspector.default_schema_name or "", set())
    tables = {name: cols for name, cols in _names(columns).items() if name not in skip}
    return DatabaseState(
        url=masked,
        dialect=conn.dialect.name,
        version_table=version_table,
        version_table_schema=where,
        has_version_table=has_table,
        versions=versions,
        tables=tables,
        read_only=how,
        found_in_schema=found is not None,
        found_by_shape=by_shape,
        lookalikes=() if has_table else tuple(shaped),
        default_schema=inspector.default_schema_name,
        elsewhere={}
        if tables or versions
        else _other_tables(conn, inspector, version_table, owned),
    )


def _shaped(
    inspector: sa.Inspector, schema: str | None, columns: Mapping[str, Columns]
) -> list[str]:
    """The tables of `schema` (`columns`, the default schema's, for None) shaped as
    alembic's version table: a single column, version_num, of a string type."""
    found = columns if schema is None else _columns(inspector, schema)
    return sorted(
        name
        for name, cols in found.items()
        if len(cols) == 1
        and str(cols[0]["name"]).lower() == "version_num"
        and isinstance(cols[0]["type"], sa.String)
    )


def _only_shaped(shaped: list[str], version_table: str, schema: str | None, masked: str) -> str:
    """The one table shaped as a version table; several are a usage error: which one is
    this setup's only env.py knows."""
    if len(shaped) > 1:
        where = f" in schema {schema}" if schema else ""
        raise UsageError(
            f"{masked} has no {version_table} table{where}, and env.py names its version "
            "table with an expression doctor does not run; tables "
            f"{', '.join(shaped)} are each shaped as one (a single string column, version_num): "
            "pass --version-table NAME to name the one this setup uses"
        )
    return shaped[0]


def _schema_holding(
    conn: Connection, inspector: sa.Inspector, version_table: str, masked: str
) -> str | None:
    """On PostgreSQL, the one schema other than the default that holds the version table,
    where env.py names it with an expression (`version_table_schema=target_metadata.schema`,
    `os.getenv("DB_SCHEMA", "hbi")`) or sets a search_path, which doctor does not run; None
    if none. Several are a usage error: which one is this setup's only env.py knows."""
    names = _other_schemas(conn, inspector)
    holding = [name for name in names if inspector.has_table(version_table, schema=name)]
    if len(holding) > 1:
        raise UsageError(
            f"{masked} has no {version_table} table in its default schema "
            f"({inspector.default_schema_name}), but schemas {', '.join(holding)} each hold "
            "one: pass --version-table-schema NAME to name the one this setup uses (env.py "
            "picks it with an expression or a search_path it sets, which doctor does not run)"
        )
    return holding[0] if holding else None


def _other_schemas(conn: Connection, inspector: sa.Inspector) -> list[str]:
    """On PostgreSQL, the user schemas other than the default one; [] elsewhere."""
    if conn.dialect.name != "postgresql":
        return []  # on MySQL a schema is another database
    return [
        name
        for name in inspector.get_schema_names()
        if name != inspector.default_schema_name
        and name != "information_schema"
        and not name.startswith("pg_")
    ]


# Tables an extension owns (PostGIS's spatial_ref_sys), by schema: the extension's, not
# the project's, as check holds them too.
_PG_EXTENSION_TABLES = """
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass
  AND d.objid = c.oid AND d.deptype = 'e'
WHERE c.relkind IN ('r', 'p')
"""


def extension_tables(conn: Connection) -> dict[str, set[str]]:
    """On PostgreSQL, the tables an extension owns by schema, lower case; none elsewhere."""
    if conn.dialect.name != "postgresql":
        return {}
    owned: dict[str, set[str]] = {}
    for schema, name in conn.exec_driver_sql(_PG_EXTENSION_TABLES).all():
        owned.setdefault(str(schema), set()).add(str(name).lower())
    return owned


def _other_tables(
    conn: Connection, inspector: sa.Inspector, version_table: str, owned: dict[str, set[str]]
) -> dict[str, tuple[str, ...]]:
    """The schemas other than the default one that hold tables (but an empty version
    table, and those an extension owns: `owned`) -> their tables' names."""
    found = {name: drivers.table_names(inspector, name) for name in _other_schemas(conn, inspector)}
    kept = {
        name: sorted(set(tables) - {version_table} - owned.get(name, set()))
        for name, tables in found.items()
    }
    return {name: tuple(tables) for name, tables in kept.items() if tables}


def _versions(conn: Connection, version_table: str, schema: str | None) -> tuple[str, ...]:
    table = sa.Table(
        version_table, sa.MetaData(), sa.Column("version_num", sa.String(255)), schema=schema
    )
    rows = conn.execute(sa.select(table.c.version_num)).scalars()
    return tuple(sorted(str(value) for value in rows if value is not None))


def table_columns(inspector: sa.Inspector) -> dict[str, frozenset[str]]:
    """Default-schema tables -> column names, lower case."""
    return _names(_columns(inspector))


def _names(columns: Mapping[str, Columns]) -> dict[str, frozenset[str]]:
    """Tables -> their column names, all lower case."""
    return {
        name.lower(): frozenset(str(col["name"]).lower() for col in cols)
        for name, cols in columns.items()
    }


def _columns(inspector: sa.Inspector, schema: str | None = None) -> dict[str, Columns]:
    """The tables of `schema` (None: the default one) -> their columns, as reflected.

    SQLAlchemy's warnings about types it does not know (an extension's `vector`, a
    composite type) are no concern of the person reading doctor: such a type is read as
    NullType.
    """
    multi = getattr(inspector, "get_multi_columns", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        if multi is not None:  # SQLAlchemy 2: one query for every table
            return {key[1]: cols for key, cols in multi(schema=schema).items()}
        names = drivers.table_names(inspector, schema)
        return {name: inspector.get_columns(name, schema=schema) for name in names}


def reason(exc: sa.exc.SQLAlchemyError, url: URL) -> str:
    """The driver's own message on one line, without the password."""
    original = getattr(exc, "orig", None) or exc
    text = " ".join(line.strip() for line in str(original).splitlines() if line.strip())
    text = text.split("(Background on this error at:")[0].strip()
    return _redactor(url)(text) or type(original).__name__
