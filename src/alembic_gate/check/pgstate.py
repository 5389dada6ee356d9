"""The catalog queries lock tracing runs on PostgreSQL, and what it knows of the tables;
and the schema of the version table a migration's connection sees.

Every query runs on the migration's own connection, through its DBAPI connection (the
per-statement one runs inside SQLAlchemy's cursor events, and skipping SQLAlchemy spares
its per-query cost). Counters are this backend's pending statistics
(`pg_stat_get_xact_*`): sequential scans, and rows inserted, updated or deleted. They only
reset when the server flushes them, which it does while the session is idle outside a
transaction.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from alembic_gate.check.hazards import Table

# FirstNormalObjectId: relations with a smaller oid belong to the system.
FIRST_USER_OID = 16384
USER_KINDS = "c.relkind IN ('r', 'p', 'm') AND c.relpersistence <> 't'"
USER_TABLES = f"c.oid >= {FIRST_USER_OID} AND {USER_KINDS}"
WORK = (
    "pg_stat_get_xact_numscans(c.oid) AS scans, pg_stat_get_xact_tuples_inserted(c.oid)"
    " + pg_stat_get_xact_tuples_updated(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid)"
    " AS written"
)
OWN_LOCKS = """
    SELECT relation, array_agg(mode::text) AS modes FROM pg_locks
    WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
    GROUP BY relation
"""
# After each statement: a row per lock mode this backend holds on a user table, and a row
# with the session's lock_timeout. The oid bound is put on the locks: on pg_class it would
# have the planner scan every user relation for each lock (the more tables, the slower)
# instead of looking each lock's relation up by its oid.
AFTER_STATEMENT = f"""
SELECT c.oid::int8, c.relfilenode::int8, {WORK}, l.mode::text,
       c.relnamespace::regnamespace::text, c.relname::text, NULL
FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.relation >= {FIRST_USER_OID} AND {USER_KINDS}
UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, current_setting('lock_timeout')
"""
# Every table, with its counters.
TABLES = f"""
SELECT c.oid::int8, c.relfilenode::int8, {WORK}, c.relnamespace::regnamespace::text,
       c.relname::text
FROM pg_class AS c WHERE {USER_TABLES}
"""
# The counters that are not zero (the others were flushed, or never moved).
COUNTERS = f"""
SELECT oid, scans, written FROM (
    SELECT c.oid::int8 AS oid, {WORK} FROM pg_class AS c WHERE {USER_TABLES}
) AS w WHERE scans + written > 0
"""
# The counters of the tables this transaction locked: the only ones it can have moved.
LOCKED_COUNTERS = f"""
SELECT c.oid::int8, {WORK} FROM pg_class AS c
WHERE c.oid = ANY (ARRAY(SELECT relation FROM ({OWN_LOCKS}) AS l)) AND {USER_TABLES}
"""
# The locks this backend holds on user tables (but the version table).
HELD = f"""
SELECT l.relation::int8, l.modes FROM ({OWN_LOCKS}) AS l JOIN pg_class AS c ON c.oid = l.relation
WHERE {USER_TABLES} AND c.relname <> :version_table
"""
# The settings this session made, SET LOCAL ones included (they end with the transaction).
SETTINGS = """
SELECT array_agg(name ORDER BY name), array_agg(setting ORDER BY name)
FROM pg_settings
WHERE source = 'session' AND name NOT LIKE 'transaction\\_%' AND name <> 'synchronous_commit'
"""
RESTORE = """
SELECT set_config(s.name, s.setting, true)
FROM unnest(CAST(:names AS text[]), CAST(:settings AS text[])) AS s(name, setting)
JOIN pg_settings AS p ON p.name = s.name
WHERE p.setting IS DISTINCT FROM s.setting
"""

# The schema of the version table the session sees through its search_path (alembic reads
# it unqualified), or, before alembic made it, the one it would be made in.
VERSION_SCHEMA = """
SELECT COALESCE((
    SELECT n.nspname::text FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relname = '{name}' AND pg_catalog.pg_table_is_visible(c.oid)
), current_schema()::text)
"""

Work = tuple[int, int]


class Tables:
    """One database's tables as the tracer knows them: the name and relfilenode of each
    (but alembic's version table), and the counters that are not zero. Kept up to date
    from the rows of the traced statements, so that a revision need not read them all."""

    def __init__(self, version_table: str, version_schema: str | None) -> None:
        self.version = (version_table, version_schema)
        self.by_oid: dict[int, Table] = {}
        self.work: dict[int, Work] = {}

    def load(self, rows: list[Any]) -> None:
        """From the rows of TABLES."""
        self.by_oid, self.work = {}, {}
        for oid, node, scans, written, schema, name in rows:
            if not self.is_version_table(schema, name):
                self.by_oid[int(oid)] = Table(shown(schema, name), int(node), (0, 0))
            self.count(int(oid), (int(scans or 0), int(written or 0)))

    def counters(self, rows: list[Any], complete: bool) -> None:
        """From the rows of COUNTERS (`complete`: the others are zero) or LOCKED_COUNTERS."""
        if complete:
            self.work = {}
        for oid, scans, written in rows:
            self.count(int(oid), (int(scans or 0), int(written or 0)))

    def count(self, oid: int, work: Work) -> None:
        if work != (0, 0):
            self.work[oid] = work
        else:
            self.work.pop(oid, None)

    def learn(self, oid: int, node: int, schema: str, name: str) -> None:
        """A table a statement created, rewrote or renamed."""
        seen, named = self.by_oid.get(oid), shown(schema, name)
        if seen is not None and (seen.relfilenode, seen.name) == (node, named):
            return
        if not self.is_version_table(schema, name):
            self.by_oid[oid] = Table(named, node, (0, 0))

    def is_version_table(self, schema: str, name: str) -> bool:
        table, version_schema = self.version
        return name == table and version_schema in {None, schema}


def shown(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


# A cursor per psycopg connection, kept: making one costs more than a small query. It
# holds its connection, so no other connection can have the same id while it is here.
_CURSORS: dict[int, Any] = {}


def query(connection: Any, sql: str) -> list[Any]:
    """Rows of `sql` on the connection's DBAPI connection. Of several statements, psycopg
    keeps every result (the first that has rows is read), psycopg2 only the last."""
    dbapi = dbapi_connection(connection)
    name = driver(connection)
    kept = name != ""
    cursor = _CURSORS.get(id(dbapi)) if kept else None
    if cursor is None or cursor.connection is not dbapi or cursor.closed:
        cursor = connection.connection.cursor()
        if kept:
            _CURSORS[id(dbapi)] = cursor
    try:
        if name == "psycopg":
            # Not prepared: each migration's DDL would make the server plan it again, and
            # preparing costs more than that.
            cursor.execute(sql, prepare=False)
        else:
            cursor.execute(sql)
        while cursor.description is None:  # psycopg 3: a result per statement
            if not _next_result(cursor):
                return []
        return list(cursor.fetchall())
    finally:
        if not kept:
            cursor.close()


def version_schema(connection: Any, version_table: str) -> str | None:
    """The schema holding `version_table` for a version table named without one: the
    first schema of the connection's search_path that has it (env.py may have set the
    search_path, as Netflix/dispatch's `SET search_path TO dispatch_core` does)."""
    name = version_table.replace("'", "''")
    rows = query(connection, VERSION_SCHEMA.format(name=name))
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def forget_cursors() -> None:
    """Close the cursors kept (the run is over)."""
    for cursor in _CURSORS.values():
        with suppress(Exception):
            cursor.close()
    _CURSORS.clear()


def _next_result(cursor: Any) -> bool:
    try:
        return bool(cursor.nextset())
    except Exception:  # psycopg2: NotSupportedError, it keeps the last result only
        return False


def dbapi_connection(connection: Any) -> Any:
    proxied = connection.connection
    return getattr(proxied, "dbapi_connection", None) or proxied.connection


def driver(connection: Any) -> str:
    """ "psycopg" or "psycopg2" (drivers that send a query without parameters as it is,
    several statements in one, and follow the transaction from what the server reports),
    or ""."""
    name = type(dbapi_connection(connection)).__module__.split(".")[0]
    return name if name in {"psycopg", "psycopg2"} else ""
