"""Lock tracing on PostgreSQL: the locks and rewrites of every statement of a revision.

An Observer (see `check.observe`). For each revision in scope it

1. makes sure no lock of an earlier revision hides what this one takes: a table created
   earlier in the same transaction is held ACCESS EXCLUSIVE until that transaction ends,
   so when a revision ran before in alembic's transaction, that transaction is committed
   first, as alembic's own `autocommit_block()` does (settings made with `SET LOCAL` are
   carried over). A transaction env.py began itself is never touched; the tables locked
   in it are named as not measured;
2. knows the tables that exist (name, relfilenode, scan and row counters): read once,
   then kept up to date from the statements' rows (`check.pgstate`);
3. after each statement emitted from a revision file (`before/after_cursor_execute`,
   attributed to its op.* line with `check.attribute`: in a batch that runs one ALTER
   per call, the batch_op.* line that queued it), runs one catalog query on the
   same connection: the lock modes this backend holds on user tables, their
   relfilenodes and counters, and `lock_timeout` as the session has it. Not after a
   statement that cannot touch a table that existed before the revision
   (`check.untouched`: a SET, a CREATE TABLE or CREATE INDEX of a table the revision
   created): it is recorded with the locks the statement before it left. A table such a
   statement created is learnt from the next query's locks, or, when none came in that
   revision, by reading the tables again before the next one;
4. once the revision has run, hands the records to `check.hazards`.

Statements that are not the revision's (alembic's version table, another measurement's
rows: seeding) are not traced, nor those on a connection a revision opened itself (another
backend: its locks and counters are not the migration's); the counters they may have
moved are read again before the next traced statement. Statements in an autocommit block
run outside any transaction: their locks end with them, so there is nothing to read
afterwards; they are recorded, not queried.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from itertools import chain
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from alembic_gate.check import pgstate
from alembic_gate.check.attribute import Attributor, Line, follow_batches
from alembic_gate.check.hazards import (
    RANK,
    SHARE_UPDATE_EXCLUSIVE,
    Analysis,
    Revision,
    Statement,
    Table,
    analyse,
)
from alembic_gate.check.locate import real
from alembic_gate.check.observe import Observer
from alembic_gate.check.pgstate import Tables
from alembic_gate.check.protocol import Note, Observed, RawFinding
from alembic_gate.check.targets import ENDS_TRANSACTION
from alembic_gate.check.untouched import Untouched
from alembic_gate.findings.locks import RevisionLocks

# SET LOCAL and set_config(..., true) in a statement: settings a commit would drop.
LOCAL_SETTING = re.compile(r"\bset\s+local\b|\bset_config\s*\(", re.IGNORECASE)
OWN_TRANSACTION = "env.py runs the migrations in a transaction it began itself"


class LockTracer(Observer):
    """Traces the revisions in `scope` (None: all) on PostgreSQL connections."""

    def __init__(
        self,
        scope: Collection[str] | None,
        revision_files: Callable[[], Collection[str]],
        redact: Callable[[str], str] = str,
    ) -> None:
        self.scope = None if scope is None else frozenset(scope)
        # Statements are shown (lock tables, messages) shortened: a password one carries
        # is hidden while it is whole.
        self._redact = redact
        self._revision_files = revision_files
        self._attributor: Attributor | None = None
        self._engines: set[int] = set()
        self._results: list[Revision] = []
        self._analyses: list[Analysis] | None = None
        self._ran = False
        # The revision being traced, the statement running, the time tracing took.
        self._revision: Revision | None = None
        self._pending: tuple[tuple[str, int], str, float, bool] | None = None
        # The revision's statements that need no query; whether a table one of them
        # created has not been seen in a query's rows yet.
        self._untouched = Untouched(())
        self._unseen = False
        self._overhead = 0.0
        # Whether a transaction was committed before a revision (session: AG901's note).
        self.committed = False
        # Whether a statement made a transaction-local setting.
        self._local_settings = False
        # Per migration context: whether its transaction ran a revision already, and its
        # database's tables (None once statements ran that were not traced).
        self._ran_in: set[int] = set()
        self._tables: dict[int, Tables | None] = {}
        # Revisions that began on a connection in autocommit (env.py's isolation level).
        self._autocommitted: list[str] = []
        # Where traced revisions ended the transaction themselves (a COMMIT they sent):
        # the first such line of each.
        self._ended: dict[str, Line] = {}
        self._current: Tables | None = None
        # Whether statements ran outside the transaction (they may change tables unseen).
        self._stale = False
        # Whether statements not traced ran since the counters were last read (another
        # measurement's: they may have moved them), and the counters read again then.
        # alembic's own statements on its version table do not count.
        self._dirty = False
        self._version_statement: re.Pattern[str] | None = None
        self._baseline: dict[int, tuple[int, int]] = {}
        # The connection the revision being traced runs on (env.py's, op.get_bind()).
        self._connection: Any = None

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
        self._revision = self._current = None
        if context.dialect.name != "postgresql" or context.connection is None:
            return
        script = step.revision
        key = id(context)
        if self.scope is not None and script.revision not in self.scope:
            self._ran_in.add(key)
            self._tables[key] = None  # it may change tables unseen
            return
        if _autocommit(context.connection):
            self._autocommitted.append(script.revision)
        if self._attributor is None:
            self._attributor = Attributor(self._revision_files)
            follow_batches(self._attributor)
        tables = self._tables.get(key)
        known = tables is not None
        if tables is None:
            tables = self._tables[key] = Tables(context.version_table, context.version_table_schema)
        path = real(script.path)
        try:
            held, masked = self._prepare(context, context.connection, tables, known)
        except Exception as exc:  # tracing must never break a migration
            self._tables[key] = None
            self._revision = Revision(script.revision, path, {}, [], stopped=_why(exc))
            return
        self._ran_in.add(key)
        self._connection = context.connection
        self._current, self._stale, self._dirty = tables, False, False
        self._version_statement = _version_statement(context)
        existing = dict(tables.by_oid)
        for oid, modes in held.items():
            if oid in existing:
                table = existing[oid]
                existing[oid] = Table(table.name, table.relfilenode, table.work, modes)
        self._revision = Revision(script.revision, path, existing, [])
        self._revision.masked_because = masked
        self._untouched = Untouched(table.name for table in existing.values())
        self._unseen = False

    def after(self, step: Any, context: Any) -> None:
        revision, self._revision = self._revision, None
        if revision is None:
            return
        if revision.stopped or self._stale or self._unseen:
            self._tables[id(context)] = None  # read them all again before the next one
        revision.end = self._clock()
        self._results.append(revision)
        self._analyses = None

    def failed(self, step: Any, exc: BaseException) -> None:
        self._revision = None  # AG901 says what happened; its locks are moot
        # Nor is it one that ran in autocommit: the note counts the revisions applied.
        if self._autocommitted and self._autocommitted[-1] == step.revision.revision:
            self._autocommitted.pop()

    def findings(self) -> list[RawFinding]:
        pgstate.forget_cursors()  # the migrations have run
        return [f for analysis in self._analysed() for f in analysis.findings]

    def observed(self) -> list[Observed]:
        if not self._ran:
            return []
        lines = [[path, line] for a in self._analysed() for path, line in a.watched]
        return [Observed("locks", lines)]

    def notes(self) -> list[Note]:
        notes = [_ended_note(revision, where) for revision, where in self._ended.items()]
        count = len(self._autocommitted)
        if not count:
            return notes
        message = (
            "env.py's connection is in AUTOCOMMIT (isolation_level): each statement commits "
            "alone and its locks end with it, so no lock or rewrite of the "
            f"{count} {'revision' if count == 1 else 'revisions'} that ran there was "
            "measured (AG905, AG906 and AG907 are read inside a transaction); lint's "
            "warnings (AG1xx) on their lines stay"
        )
        return [*notes, Note(message)]

    def locks(self) -> list[RevisionLocks]:
        return [analysis.locks for analysis in self._analysed()]

    def _analysed(self) -> list[Analysis]:
        if self._analyses is None:
            self._analyses = [analyse(revision) for revision in self._results]
        return self._analyses

    # -- before a revision -----------------------------------------------------------

    def _prepare(
        self, context: Any, connection: Connection, tables: Tables, known: bool
    ) -> tuple[dict[int, frozenset[str]], str]:
        """Commit before the revision when a revision ran earlier in alembic's transaction
        (its locks would hide this one's), and bring `tables` up to date (`known`: only
        their counters may have moved). Returns the locks still held per table, and why
        they could not be released ("" when none are)."""
        if context._in_external_transaction:
            params = {"version_table": context.version_table}
            locks = connection.execute(text(pgstate.HELD), params)
            held = {int(oid): frozenset(modes) for oid, modes in locks}
            self._read_tables(connection, tables, known)
            blocking = any(RANK.get(m, 0) >= SHARE_UPDATE_EXCLUSIVE for m in chain(*held.values()))
            return held, OWN_TRANSACTION if blocking else ""
        ran_before = id(context) in self._ran_in
        if (
            context._transaction is None
            or not ran_before
            or not connection.in_transaction()
            or _autocommit(connection)
        ):
            # A transaction per migration, nothing ran in this one yet, or none at all:
            # on an AUTOCOMMIT connection each statement commits alone (a BEGIN sent
            # there would open a transaction that a failing statement aborts).
            self._read_tables(connection, tables, known)
            return {}, ""
        names = settings = None
        if self._local_settings:
            names, settings = connection.execute(text(pgstate.SETTINGS)).one()
        self._commit(context, connection, tables, known)
        if names:
            restore = {"names": list(names), "settings": list(settings or [])}
            connection.execute(text(pgstate.RESTORE), restore).all()
        return {}, ""

    def _commit(self, context: Any, connection: Connection, tables: Tables, known: bool) -> None:
        self.committed = True
        driver = pgstate.driver(connection)
        if not driver:
            # As MigrationContext.autocommit_block() does.
            context._transaction.commit()
            context._transaction = connection.begin()
            self._read_tables(connection, tables, known)
            return
        # psycopg: never idle outside a transaction (when the server may flush the
        # counters), so the counters known stay right: only those of the tables this
        # transaction locked can have moved. The commit need not wait for the disk (a
        # throwaway database); SQLAlchemy's transaction carries on into the new one.
        commit = "SET LOCAL synchronous_commit = off; COMMIT; BEGIN"
        if not known:
            tables.load(pgstate.query(connection, f"{commit}; {pgstate.TABLES}"))
        elif not self._dirty:  # nothing but the revisions traced moved the counters
            pgstate.query(connection, commit)
        elif driver == "psycopg":  # every result kept: one round trip
            sql = f"{pgstate.LOCKED_COUNTERS}; {commit}"
            tables.counters(pgstate.query(connection, sql), complete=False)
        else:
            tables.counters(pgstate.query(connection, pgstate.LOCKED_COUNTERS), complete=False)
            pgstate.query(connection, commit)

    def _read_tables(self, connection: Connection, tables: Tables, known: bool) -> None:
        if known:
            tables.counters(pgstate.query(connection, pgstate.COUNTERS), complete=True)
        else:
            tables.load(pgstate.query(connection, pgstate.TABLES))

    # -- around each statement ---------------------------------------------------------

    def _clock(self) -> float:
        return time.perf_counter() - self._overhead

    def _before_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._pending = None
        if not self._local_settings and LOCAL_SETTING.search(statement):
            self._local_settings = True  # from now on, carry settings over commits
        revision = self._revision
        if revision is None or self._attributor is None:
            self._dirty = self._dirty or not self._versions(statement)
            return
        if self._elsewhere(conn):
            # A connection of the revision's own: another backend, whose locks and
            # counters are not the migration's (its DDL can rename tables, though).
            self._untouched.saw(statement)
            return
        # alembic-gate's own statements first: they need no walk up the stack.
        where = None if _issued_by_gate(args) else self._attributor.current(skip=2)
        if where is None:
            self._dirty = self._dirty or not self._versions(statement)
            self._untouched.saw(statement)
            return
        self._baseline = {}
        if revision.revision not in self._ended and ENDS_TRANSACTION.search(statement):
            self._ended[revision.revision] = where
        if self._untouched.skips(statement):
            self._pending = (where, statement, self._clock(), True)
            return
        if self._dirty and not revision.stopped:
            began = time.perf_counter()
            try:
                self._recount(conn)
            except Exception as exc:  # tracing must never break a migration
                revision.stopped = _why(exc)
            finally:
                self._overhead += time.perf_counter() - began
        self._pending = (where, statement, self._clock(), False)

    def _elsewhere(self, conn: Any) -> bool:
        """Whether `conn` is not the migration's connection (nor a branch of it)."""
        own = self._connection
        if conn is own or own is None:
            return False
        return pgstate.dbapi_connection(conn) is not pgstate.dbapi_connection(own)

    def _versions(self, statement: str) -> bool:
        """Whether `statement` is alembic's update of its version table."""
        pattern = self._version_statement
        return pattern is not None and pattern.match(statement) is not None

    def _recount(self, conn: Any) -> None:
        """Counters that statements not traced may have moved: those of the tables this
        transaction locked, read again before the next traced statement."""
        self._dirty = False
        if _autocommit(conn):
            return
        for oid, scans, written in pgstate.query(conn, pgstate.LOCKED_COUNTERS):
            self._baseline[int(oid)] = (int(scans or 0), int(written or 0))
        if self._current is not None:
            for oid, work in self._baseline.items():
                self._current.count(oid, work)

    def _after_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        pending, self._pending = self._pending, None
        revision = self._revision
        if pending is None or revision is None or revision.stopped:
            return
        (path, line), sql, start, skipped = pending
        shown = self._redact(sql)
        record = Statement(path, line, shown, start, self._clock(), baseline=self._baseline)
        began = time.perf_counter()
        try:
            self._read(conn, revision, record, skipped)
        except Exception as exc:  # tracing must never break a migration
            revision.stopped = _why(exc)
            return
        finally:
            self._overhead += time.perf_counter() - began
        revision.statements.append(record)

    def _read(self, conn: Any, revision: Revision, record: Statement, skipped: bool) -> None:
        if _autocommit(conn):
            record.autocommit = True
            self._stale = True
            return
        if skipped:
            _as_before(revision, record)
            self._unseen = self._unseen or bool(self._untouched.created)
            return
        self._unseen = False  # the rows name every table this transaction locked
        tables = self._current
        modes: dict[int, set[str]] = {}
        for oid, node, scans, written, mode, schema, name, timeout in pgstate.query(
            conn, pgstate.AFTER_STATEMENT
        ):
            if oid is None:
                record.lock_timeout = str(timeout)
                continue
            oid, node, work = int(oid), int(node), (int(scans or 0), int(written or 0))
            modes.setdefault(oid, set()).add(mode)
            if oid in record.relfilenodes:
                continue
            record.relfilenodes[oid] = node
            record.work[oid] = work
            record.names[oid] = pgstate.shown(schema, name)
            if tables is not None:
                if oid not in revision.work_before:
                    revision.work_before[oid] = tables.work.get(oid, (0, 0))
                tables.learn(oid, node, schema, name)
                tables.count(oid, work)
        record.locks = {oid: frozenset(held) for oid, held in modes.items()}


def _as_before(revision: Revision, record: Statement) -> None:
    """A statement that touched no table that existed before the revision: those hold
    the locks the statement before it left (none after an autocommit block), or those
    held when the revision started."""
    if revision.statements:
        previous = revision.statements[-1]
        record.locks = dict(previous.locks)
        record.lock_timeout = previous.lock_timeout
    else:
        record.locks = {oid: t.held for oid, t in revision.tables.items() if t.held}


def _ended_note(revision: str, where: Line) -> Note:
    """The note on a revision that sent a COMMIT (or ROLLBACK) of its own."""
    message = (
        f"revision {revision} ends the transaction itself here (a COMMIT or ROLLBACK in its "
        "SQL): the locks its statements took before it end there, and the statements after "
        "it may run with no transaction around them, each committing alone, so the lock "
        "tables of this revision and of those after it need not show what a deploy holds "
        "(AG905, AG906 and AG907 are read inside a transaction); lint's warnings (AG1xx) on "
        "their lines stay"
    )
    return Note(message, where[0], where[1])


def _autocommit(connection: Any) -> bool:
    """Whether the driver's connection is in autocommit mode (isolation_level="AUTOCOMMIT"),
    where SQLAlchemy's transaction is only a name and the server runs each statement alone."""
    return bool(getattr(pgstate.dbapi_connection(connection), "autocommit", False))


def _version_statement(context: Any) -> re.Pattern[str]:
    table = re.escape(context.version_table)
    return re.compile(
        rf'\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?{table}"?[\s(]',
        re.IGNORECASE,
    )


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _issued_by_gate(event_args: tuple[Any, ...]) -> bool:
    """Whether a statement is one alembic-gate issues itself (seeding's rows, say): every
    such statement carries the execution option `alembic_gate`, which SQLAlchemy hands
    to `before_cursor_execute` in its execution context (after the parameters)."""
    context = event_args[1] if len(event_args) > 1 else None
    options = getattr(context, "execution_options", None) or {}
    return bool(options.get("alembic_gate"))
