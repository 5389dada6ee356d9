"""Lock tracing on PostgreSQL: the locks and rewrites of every statement of a revision.

An Observer (see `check.observe`). For each revision in scope it

1. makes sure no lock of an earlier revision hides what this one takes: a table
   created earlier in the same transaction is held ACCESS EXCLUSIVE until that
   transaction ends, so when the backend holds such locks, the transaction is committed
   before the revision, as alembic's own `autocommit_block()` does (settings made with
   `SET LOCAL` are carried over). A transaction env.py began itself is never touched;
   the tables locked in it are named as not measured;
2. reads the tables that exist (oid, relfilenode, scan and row counters);
3. after each statement emitted from a revision file (`before/after_cursor_execute`,
   attributed to its op.* line with `check.attribute`), runs one catalog query on the
   same connection: the lock modes this backend holds on user tables, their
   relfilenodes and counters, and `lock_timeout` as the session has it;
4. once the revision has run, hands the records to `check.hazards`.

Statements in an autocommit block run outside any transaction: their locks end with them,
so there is nothing to read afterwards; they are recorded, not queried.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Collection
from itertools import chain
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from alembic_gate.check.attribute import Attributor
from alembic_gate.check.hazards import (
    RANK,
    SHARE_UPDATE_EXCLUSIVE,
    Analysis,
    Revision,
    Statement,
    Table,
    analyse,
)
from alembic_gate.check.observe import Observer
from alembic_gate.check.protocol import Observed, RawFinding
from alembic_gate.findings import RevisionLocks

# FirstNormalObjectId: relations with a smaller oid belong to the system.
USER_OIDS = "c.oid >= 16384 AND c.relkind IN ('r', 'p', 'm') AND c.relpersistence <> 't'"
# Sequential scans, and rows inserted, updated or deleted (this backend's counters).
WORK = (
    "pg_stat_get_xact_numscans(c.oid), pg_stat_get_xact_tuples_inserted(c.oid)"
    " + pg_stat_get_xact_tuples_updated(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid)"
)
WORK_AS = (
    "pg_stat_get_xact_numscans(c.oid) AS scans, pg_stat_get_xact_tuples_inserted(c.oid)"
    " + pg_stat_get_xact_tuples_updated(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid)"
    " AS written"
)
# After each statement: one row per user table this backend holds a lock on, and one
# row with the session's lock_timeout.
AFTER_STATEMENT = f"""
SELECT c.oid::int8, c.relfilenode::int8, {WORK}, l.modes, n.nspname::text, c.relname::text,
       NULL
FROM (
    SELECT relation, array_agg(mode::text) AS modes FROM pg_locks
    WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
    GROUP BY relation
) AS l JOIN pg_class AS c ON c.oid = l.relation JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE {USER_OIDS}
UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, current_setting('lock_timeout')
"""
# Before a revision: the locks this backend holds on user tables (but the version table).
HELD = f"""
SELECT l.relation::int8, array_agg(l.mode::text)
FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND {USER_OIDS}
  AND c.relname <> :version_table
GROUP BY l.relation
"""
# Before committing: the settings this session made, SET LOCAL ones included (they end
# with the transaction).
SETTINGS = """
SELECT array_agg(name ORDER BY name), array_agg(setting ORDER BY name)
FROM pg_settings
WHERE source = 'session' AND name NOT LIKE 'transaction\\_%' AND name <> 'synchronous_commit'
"""
# SET LOCAL and set_config(..., true) in a statement: settings a commit would drop.
LOCAL_SETTING = re.compile(r"\bset\s+local\b|\bset_config\s*\(", re.IGNORECASE)
RESTORE = """
SELECT set_config(s.name, s.setting, true)
FROM unnest(CAST(:names AS text[]), CAST(:settings AS text[])) AS s(name, setting)
JOIN pg_settings AS p ON p.name = s.name
WHERE p.setting IS DISTINCT FROM s.setting
"""
# Before the first revision traced (or after statements not traced): every table.
TABLES = f"""
SELECT c.oid::int8, c.relfilenode::int8, {WORK}, n.nspname::text, c.relname::text
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE {USER_OIDS}
"""
# Before the other revisions (the tables are known from the statements traced since): the
# tables whose counters are not zero.
COUNTERS = f"""
SELECT oid, scans, written FROM (
    SELECT c.oid::int8 AS oid, {WORK_AS} FROM pg_class AS c WHERE {USER_OIDS}
) AS w WHERE scans + written > 0
"""


class LockTracer(Observer):
    """Traces the revisions in `scope` (None: all) on PostgreSQL connections."""

    def __init__(
        self, scope: Collection[str] | None, revision_files: Callable[[], Collection[str]]
    ) -> None:
        self.scope = None if scope is None else frozenset(scope)
        self._revision_files = revision_files
        self._attributor: Attributor | None = None
        self._engines: set[int] = set()
        self._results: list[Revision] = []
        self._analyses: list[Analysis] | None = None
        self._ran = False
        # The revision being traced, the statement running, the time tracing took.
        self._revision: Revision | None = None
        self._pending: tuple[tuple[str, int], str, float] | None = None
        self._overhead = 0.0
        # Whether a transaction was committed before a revision (session: AG901's note).
        self.committed = False
        # Whether a statement made a transaction-local setting.
        self._local_settings = False
        # The migration contexts whose transaction has run a revision already.
        self._ran_in: set[int] = set()
        # Per migration context: the tables that exist (kept up to date from the traced
        # statements' rows), or None when statements ran that were not traced.
        self._known: dict[int, dict[int, Table] | None] = {}
        self._known_now: dict[int, Table] | None = None
        self._version_table = ("", "")

    # -- Observer hooks --------------------------------------------------------------

    def configured(self, context: Any) -> None:
        if context.dialect.name != "postgresql" or context.connection is None:
            return
        self._ran = True
        engine = context.connection.engine
        if id(engine) not in self._engines:
            self._engines.add(id(engine))
            event.listen(engine, "before_cursor_execute", self._before_statement)
            event.listen(engine, "after_cursor_execute", self._after_statement)

    def before(self, step: Any, context: Any) -> None:
        self._revision = None
        if context.dialect.name != "postgresql" or context.connection is None:
            return
        script = step.revision
        if self.scope is not None and script.revision not in self.scope:
            self._ran_in.add(id(context))
            self._known[id(context)] = None  # it may change tables unseen
            return
        if self._attributor is None:
            self._attributor = Attributor(self._revision_files())
        connection: Connection = context.connection
        self._version_table = (context.version_table, context.version_table_schema)
        known = self._known.get(id(context))
        # The tables (all of them, or only the counters that are not zero), read in the
        # same round trip as the commit when there is one.
        baseline = TABLES if known is None else COUNTERS
        held, masked, rows = self._fresh_transaction(context, connection, baseline)
        self._ran_in.add(id(context))
        if known is None:
            known = self._known[id(context)] = self._tables(rows)
            counters = {oid: table.work for oid, table in known.items()}
        else:
            counters = {int(oid): (int(s), int(w)) for oid, s, w in rows}
        self._known_now = known
        tables = dict(known)
        for oid in set(counters) | set(held):
            if oid in tables:
                table = tables[oid]
                work = counters.get(oid, (0, 0))
                tables[oid] = Table(table.name, table.relfilenode, work, held.get(oid, frozenset()))
        self._revision = Revision(script.revision, real_path(script.path), tables, [])
        self._revision.masked_because = masked

    def after(self, step: Any, context: Any) -> None:
        revision, self._revision = self._revision, None
        if revision is not None and (revision.stopped or self._known_now is None):
            self._known[id(context)] = None
        if revision is not None:
            revision.end = self._clock()
            self._results.append(revision)
            self._analyses = None

    def failed(self, step: Any, exc: BaseException) -> None:
        self._revision = None  # AG901 says what happened; its locks are moot

    def findings(self) -> list[RawFinding]:
        return [f for analysis in self._analysed() for f in analysis.findings]

    def observed(self) -> list[Observed]:
        if not self._ran:
            return []
        lines = [[path, line] for a in self._analysed() for path, line in a.watched]
        return [Observed("locks", lines)]

    def locks(self) -> list[RevisionLocks]:
        return [analysis.locks for analysis in self._analysed()]

    def _analysed(self) -> list[Analysis]:
        if self._analyses is None:
            self._analyses = [analyse(revision) for revision in self._results]
        return self._analyses

    # -- before a revision -----------------------------------------------------------

    def _fresh_transaction(
        self, context: Any, connection: Connection, baseline: str
    ) -> tuple[dict[int, frozenset[str]], str, list[Any]]:
        """Commit before the revision when earlier revisions ran in the same transaction
        (their locks would hide this one's), then read `baseline`. Returns the locks still
        held per table, why they could not be released ("" when none are), and the rows
        of `baseline`."""
        if context._in_external_transaction:
            params = {"version_table": context.version_table}
            locks = connection.execute(text(HELD), params)
            held = {int(oid): frozenset(modes) for oid, modes in locks}
            masked = any(RANK.get(m, 0) >= SHARE_UPDATE_EXCLUSIVE for m in chain(*held.values()))
            reason = "env.py runs the migrations in a transaction it began itself" if masked else ""
            return held, reason, _query(connection, baseline)
        ran_before = id(context) in self._ran_in
        if context._transaction is None or not ran_before or not connection.in_transaction():
            # A transaction per migration, or nothing ran in this one yet.
            return {}, "", _query(connection, baseline)
        names = settings = None
        if self._local_settings:
            names, settings = connection.execute(text(SETTINGS)).one()
        self.committed = True
        if _simple_queries(connection):
            # One round trip, and no moment outside a transaction in between (when the
            # server may flush the counters). The commit need not wait for the disk: a
            # throwaway database. SQLAlchemy's transaction carries on into the new one.
            sql = f"SET LOCAL synchronous_commit = off; COMMIT; BEGIN; {baseline}"
            rows = _query(connection, sql)
        else:
            # As MigrationContext.autocommit_block() does.
            context._transaction.commit()
            context._transaction = connection.begin()
            rows = _query(connection, baseline)
        if names:
            restore = {"names": list(names), "settings": list(settings or [])}
            connection.execute(text(RESTORE), restore).all()
        return {}, "", rows

    def _tables(self, rows: list[Any]) -> dict[int, Table]:
        """The tables of TABLES' rows, but alembic's version table, with their counters."""
        tables = {}
        for oid, node, scans, written, schema, name in rows:
            if not self._is_version_table(schema, name):
                work = (int(scans or 0), int(written or 0))
                tables[int(oid)] = Table(_shown(schema, name), int(node), work)
        return tables

    def _is_version_table(self, schema: str, name: str) -> bool:
        table, version_schema = self._version_table
        return name == table and version_schema in {None, schema}

    # -- around each statement ---------------------------------------------------------

    def _clock(self) -> float:
        return time.perf_counter() - self._overhead

    def _before_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._pending = None
        if not self._local_settings and LOCAL_SETTING.search(statement):
            self._local_settings = True  # from now on, carry settings over commits
        if self._revision is None or self._attributor is None:
            return
        where = self._attributor.current()
        if where is not None:
            self._pending = (where, statement, self._clock())

    def _after_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        pending, self._pending = self._pending, None
        revision = self._revision
        if pending is None or revision is None:
            return
        (path, line), sql, start = pending
        record = Statement(path, line, sql, start, self._clock())
        if revision.stopped:
            return
        began = time.perf_counter()
        try:
            self._read(conn, record)
        except Exception as exc:  # tracing must never break a migration
            revision.stopped = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            return
        finally:
            self._overhead += time.perf_counter() - began
        revision.statements.append(record)

    def _read(self, conn: Any, record: Statement) -> None:
        proxied = conn.connection
        dbapi = getattr(proxied, "dbapi_connection", None) or proxied.connection
        if getattr(dbapi, "autocommit", False):
            record.autocommit = True
            self._known_now = None  # it may change tables unseen
            return
        known = self._known_now
        for oid, node, scans, written, modes, schema, name, timeout in _query(
            conn, AFTER_STATEMENT
        ):
            if oid is None:
                record.lock_timeout = str(timeout)
                continue
            oid, node = int(oid), int(node)
            record.locks[oid] = frozenset(modes or ())
            record.relfilenodes[oid] = node
            record.work[oid] = (int(scans or 0), int(written or 0))
            if known is not None:
                self._learn(known, oid, node, schema, name)

    def _learn(self, known: dict[int, Table], oid: int, node: int, schema: str, name: str) -> None:
        """Keep the known tables up to date: created, rewritten or renamed."""
        seen, shown = known.get(oid), _shown(schema, name)
        if seen is not None and (seen.relfilenode, seen.name) == (node, shown):
            return
        if not self._is_version_table(schema, name):
            known[oid] = Table(shown, node, (0, 0))


def _shown(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _query(connection: Any, sql: str) -> list[Any]:
    """Rows of `sql` (of its last statement that returns rows) on the connection's own
    DBAPI connection: no SQLAlchemy events (it runs inside them) and none of its
    per-query cost."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        while cursor.description is None:  # psycopg 3: one result per statement
            if not cursor.nextset():
                return []
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _simple_queries(connection: Any) -> bool:
    """Whether the driver sends a query without parameters as it is, several statements
    in one (psycopg 3 and psycopg2), keeping track of the transaction from the server."""
    proxied = connection.connection
    dbapi = getattr(proxied, "dbapi_connection", None) or proxied.connection
    return type(dbapi).__module__.split(".")[0] in {"psycopg", "psycopg2"}


def real_path(path: str) -> str:
    return os.path.realpath(path)
