"""Which database driver a URL gets, by what this Python's SQLAlchemy and packages offer.

check's worker and doctor both connect with the SQLAlchemy and drivers of the project's
own environment, which may be SQLAlchemy 1.4 (no `postgresql+psycopg` dialect, no
`sqlalchemy.make_url`) or 2.x. A URL that names no driver (or an async one where a
synchronous one is needed) gets, as the project's own alembic would use: the driver the
project's own URL names (alembic.ini's `sqlalchemy.url`), when it is installed; else the
one this SQLAlchemy itself gives a URL naming none (psycopg2 on 1.4 and 2.0, psycopg on
2.1; mysqldb), when installed; else the first candidate whose module is installed *and*
whose dialect this SQLAlchemy has. An async env.py gets an async driver (SQLAlchemy has
no default one).

Imports SQLAlchemy when called, never at import time.
"""

from __future__ import annotations

import importlib.util
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# Backends whose URL must name a database: without one, a connection has none selected
# (check's --database-url and doctor's refuse such a URL).
NEEDS_DATABASE = frozenset({"mysql", "mariadb"})

# Candidates (driver name, module) per backend, best first.
SYNC_DRIVERS = {
    "postgresql": (("psycopg", "psycopg"), ("psycopg2", "psycopg2"), ("pg8000", "pg8000")),
    "mysql": (("pymysql", "pymysql"), ("mysqldb", "MySQLdb"), ("mysqlconnector", "mysql")),
    "mariadb": (("pymysql", "pymysql"), ("mysqldb", "MySQLdb"), ("mysqlconnector", "mysql")),
    "sqlite": (("pysqlite", "sqlite3"),),
}
# Named so that the dialect itself is async: env.py files of alembic's older async
# template wrap `engine_from_config()` in `AsyncEngine`, which takes no sync driver.
ASYNC_DRIVERS = {
    "postgresql": (("psycopg_async", "psycopg"), ("asyncpg", "asyncpg")),
    "mysql": (("aiomysql", "aiomysql"), ("asyncmy", "asyncmy")),
    "mariadb": (("aiomysql", "aiomysql"), ("asyncmy", "asyncmy")),
    "sqlite": (("aiosqlite", "aiosqlite"),),
}
# The drivers' own options that end a connection attempt, in whole seconds (libpq takes 2
# at least). PyMySQL's connect_timeout ends at the TCP connect: the server's greeting is
# read with read_timeout, so it gets one too (and write_timeout: every wait is bounded;
# each then also bounds a query's answer). mysqlclient (MySQLdb) takes the same three
# names: its client library reads the greeting within connect_timeout, and read_timeout
# and write_timeout bound a server that answers the login and then stops answering (a
# query waiting for a table another session locked waits a day by default).
# mysql-connector's own name is connection_timeout, connect_timeout its alias (see
# TIMEOUT_ALIASES). MariaDB Connector/Python (mariadbconnector) takes the three names of
# PyMySQL and mysqlclient, with Connector/C's meaning: without read_timeout a query that
# waits for a lock waits as long as the server lets it.
TIMEOUT_OPTIONS = {
    "psycopg": (("connect_timeout",), 2),
    "psycopg2": (("connect_timeout",), 2),
    "pymysql": (("connect_timeout", "read_timeout", "write_timeout"), 1),
    "mysqldb": (("connect_timeout", "read_timeout", "write_timeout"), 1),
    "mysqlconnector": (("connection_timeout",), 1),
    "mariadbconnector": (("connect_timeout", "read_timeout", "write_timeout"), 1),
}
# Other names a driver reads as the same option.
TIMEOUT_ALIASES = {"connection_timeout": ("connect_timeout",)}
# What to install for each backend, by SQLAlchemy's major version.
ADVICE = {
    ("postgresql", False, 1): "psycopg2-binary (SQLAlchemy 1.4 has no dialect for psycopg 3)",
    ("postgresql", True, 1): "asyncpg (SQLAlchemy 1.4 has no async dialect for psycopg 3)",
    ("postgresql", False, 2): "psycopg[binary] or psycopg2-binary",
    ("postgresql", True, 2): "psycopg[binary] or asyncpg",
    ("mysql", False, 1): "pymysql",
    ("mysql", True, 1): "aiomysql or asyncmy",
    ("sqlite", True, 1): "aiosqlite",
}


class DriverError(Exception):
    """No usable driver, an unknown dialect or a driver that is not installed."""


def sqlalchemy_major() -> int:
    import sqlalchemy

    return int(sqlalchemy.__version__.split(".", 1)[0])


def engine_options() -> dict[str, Any]:
    """`create_engine` options for connections of our own: 2.0-style (commit, rollback,
    autobegin) on SQLAlchemy 1.4 too."""
    return {"future": True} if sqlalchemy_major() < 2 else {}


def dialect_class(url: URL, is_async: bool) -> Any:
    """The dialect class SQLAlchemy uses for `url`; None when this SQLAlchemy has no
    such dialect, or it is not async when it must be."""
    from sqlalchemy.exc import NoSuchModuleError

    try:
        cls: Any = url.get_dialect()
    except (NoSuchModuleError, ImportError):
        return None
    if is_async and not getattr(cls, "is_async", False):
        return None
    return cls


def _async_variant(url: URL) -> URL:
    """`postgresql+psycopg` as `postgresql+psycopg_async`: the name whose dialect is the
    async one (create_async_engine finds it by itself, AsyncEngine(engine_from_config())
    does not). `url` itself when it is async already or has no such variant."""
    if dialect_class(url, is_async=True) is not None:
        return url
    variant = url.set(drivername=f"{url.drivername}_async")
    return variant if dialect_class(variant, is_async=True) is not None else url


def usable(url: URL, module: str, is_async: bool) -> bool:
    return importlib.util.find_spec(module) is not None and dialect_class(url, is_async) is not None


def timeout_args(url: URL, timeout: float) -> dict[str, int]:
    """`connect_args` that end a connection attempt to `url` after about `timeout`
    seconds; none for other drivers, nor for an option the URL sets itself (under any of
    its names): the user's choice wins."""
    names, least = TIMEOUT_OPTIONS.get(url.get_driver_name(), ((), 0))
    seconds = max(least, math.ceil(timeout))
    return {name: seconds for name in names if not _given(url, name)}


def _given(url: URL, option: str) -> bool:
    return any(name in url.query for name in (option, *TIMEOUT_ALIASES.get(option, ())))


def choose(url: URL, is_async: bool, configured: URL | None = None) -> URL:
    """`url` with an installed driver that this SQLAlchemy can use, when it names none
    (or names an async one and a synchronous one is needed); otherwise `url` itself.
    `configured` is the project's own URL for this database (alembic.ini's): its driver
    comes first."""
    backend = _backend(url)
    if backend != url.get_backend_name():
        url = url.set(drivername=backend + url.drivername[len(url.get_backend_name()) :])
    table = ASYNC_DRIVERS if is_async else SYNC_DRIVERS
    if backend not in table:
        return url
    if "+" in url.drivername and is_async:
        return _async_variant(url)
    if "+" in url.drivername and not _is_async_driver(url):
        return url
    named = _configured(url, configured, is_async)
    if named is not None:
        return named
    for driver, module in _ordered(url, table[backend], is_async):
        candidate = url.set(drivername=f"{backend}+{driver}")
        if usable(candidate, module, is_async):
            return candidate
    major = sqlalchemy_major()
    key = ("mysql" if backend == "mariadb" else backend, is_async, min(major, 2))
    advice = ADVICE.get(key) or ADVICE.get((key[0], is_async, 1)) or "a driver for it"
    kind = "async" if is_async else "synchronous"
    raise DriverError(
        f"no {kind} {backend} driver that SQLAlchemy {_version()} can use is installed: "
        f"install {advice}"
    )


def unnamed_default(given: URL, chosen: URL) -> URL:
    """`chosen` without its driver name where `given` named none and SQLAlchemy picks
    that driver itself for a URL naming none: the same connection, written as given."""
    if "+" in given.drivername or "+" not in chosen.drivername:
        return chosen
    if chosen.get_driver_name() != _default_driver(chosen):
        return chosen
    return chosen.set(drivername=chosen.get_backend_name())


def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    return "postgresql" if backend == "postgres" else backend  # Heroku-style URLs


def _configured(url: URL, configured: URL | None, is_async: bool) -> URL | None:
    """`url` with the driver `configured` names, when it is one for the same engine
    that is installed and fits (async or not); else None."""
    if configured is None or "+" not in configured.drivername:
        return None
    if _family(_backend(configured)) != _family(url.get_backend_name()):
        return None
    candidate = url.set(drivername=f"{url.get_backend_name()}+{configured.get_driver_name()}")
    if is_async:
        candidate = _async_variant(candidate)
    elif _is_async_driver(candidate):
        return None
    return candidate if _installed(candidate, is_async) else None


def _family(backend: str) -> str:
    return "mysql" if backend == "mariadb" else backend


def _ordered(
    url: URL, candidates: tuple[tuple[str, str], ...], is_async: bool
) -> list[tuple[str, str]]:
    """The candidates, the driver this SQLAlchemy gives a URL naming none first (a
    synchronous one: there is no async default)."""
    default = None if is_async else _default_driver(url)
    return sorted(candidates, key=lambda candidate: candidate[0] != default)


def _default_driver(url: URL) -> str | None:
    cls = dialect_class(url.set(drivername=url.get_backend_name()), is_async=False)
    return None if cls is None else str(cls.driver)


def _installed(url: URL, is_async: bool) -> bool:
    cls = dialect_class(url, is_async)
    if cls is None:
        return False
    try:
        _load_dbapi(cls)
    except Exception:  # not installed, or failing on import (a missing libpq)
        return False
    return True


def _load_dbapi(cls: Any) -> Any:
    load = getattr(cls, "import_dbapi", None) or cls.dbapi
    return load()


def _is_async_driver(url: URL) -> bool:
    cls = dialect_class(url, is_async=False)
    return cls is not None and bool(getattr(cls, "is_async", False))


def validate(url: URL, is_async: bool = False) -> None:
    """Raise DriverError unless SQLAlchemy knows the URL's dialect and its driver is installed."""
    from sqlalchemy.exc import NoSuchModuleError

    try:
        cls: Any = url.get_dialect()
    except NoSuchModuleError:
        raise DriverError(
            f"SQLAlchemy {_version()} has no dialect {url.drivername!r}" + _psycopg_note(url)
        ) from None
    try:
        _load_dbapi(cls)
    except ImportError as exc:
        raise DriverError(
            f"the {url.drivername} driver is not installed ({exc.name or exc}): install it "
            "in the environment alembic-gate runs in"
        ) from None


def _psycopg_note(url: URL) -> str:
    driver = url.drivername.partition("+")[2]
    if driver in {"psycopg", "psycopg_async"} and sqlalchemy_major() < 2:
        return (
            " (psycopg 3 needs SQLAlchemy 2: use postgresql+psycopg2:// or postgresql+asyncpg://)"
        )
    return ""


def _version() -> str:
    import sqlalchemy

    return str(sqlalchemy.__version__)


def table_names(inspector: Any, schema: str | None = None) -> list[str]:
    """A schema's tables as SQLAlchemy 2 lists them: on SQLite without SQLite's own
    (`sqlite_sequence`, which it makes for an AUTOINCREMENT key; `sqlite_stat1`), which
    SQLAlchemy 1.4 lists with the project's."""
    names: list[str] = inspector.get_table_names(schema)
    if inspector.dialect.name == "sqlite":
        return [name for name in names if not internal(name)]
    return names


def internal(table: str) -> bool:
    """Whether a SQLite table name is SQLite's own (it refuses `sqlite_` names to users)."""
    return table.startswith("sqlite_")
