"""Seeding: the tables hold rows while `check` migrates, as production's do (AG904).

Runs in the worker, as an Observer of `upgrade heads` (check.observe):

- Once the first revision in scope (`since`, `--base`; all without them) is about to
  run, every table that exists then gets a few rows (check.seed). From then on each
  table a revision creates gets rows as soon as that revision has run, except, with a
  scope, the tables revisions in scope create: those are new, empty in production
  when the revisions after them run. Tables the database held before the first
  revision ran (`--allow-nonempty`) are never touched.
- Each statement a revision runs is watched: the op.* lines whose statements touched a
  table holding rows are reported as `Observed("data", ...)`, so the parent drops the
  AG101/AG102 guesses the rows disproved. On PostgreSQL the statement runs inside a
  savepoint. When it fails, the tables it touched (and the tables referencing them that
  hold seeding's rows, or only what a revision's INSERT ... SELECT copied from them) are
  emptied and the statement runs again: if it passes now, it failed only because of the
  rows (AG904 at the op.* line, for revisions in scope); if not, its error stands and is
  AG901 as without seeding. The rest of that op.* call (the other statements of a
  batch's copy) runs on the empty tables; they get rows again before the revision's next
  op.* call, or a batch's next batch_op.* call where it runs one ALTER per call
  (`Tracker.refill`), and once it has run, so the calls and revisions after it are
  still measured.
- A table no rows could be made for (a CHECK constraint, a trigger, a type) gets a
  note in the report (never a finding: it does not fail the run); it stays empty, and
  nothing is measured on it.
- Before the round trip downgrades to base, the rows seeding inserted are deleted, and
  only those (check.clearing), so a correct downgrade meets the tables as it did without
  seeding, with the rows the revisions wrote.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic.operations import ops as alembic_ops
from alembic.operations.base import AbstractOperations, BatchOperations
from alembic.operations.batch import BatchOperationsImpl
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from alembic_gate.check import attribute, clearing, made_up, renames, rows, seed
from alembic_gate.check.attribute import Attributor, BatchCall, Line
from alembic_gate.check.locate import created_in, revision_message, table_created_at
from alembic_gate.check.observe import Observer
from alembic_gate.check.protocol import Note, Observed, RawFinding
from alembic_gate.check.seed import TableKey, key_of, shown
from alembic_gate.check.targets import ENDS_TRANSACTION, connect, one_line, sql_tail

SAVEPOINT = "alembic_gate_rows"
# Statements that read, or set up a session: they cannot fail because of rows.
READS = frozenset(
    {"SELECT", "SHOW", "PRAGMA", "EXPLAIN", "DESCRIBE", "DESC", "SET", "USE", "VALUES"}
    | {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "ANALYZE"}
)
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"((?:[^\"]|\"\")+)\"|`([^`]+)`|([A-Za-z_][\w$]*)")
_TABLE_DDL = re.compile(
    r"^\s*(?:(?:CREATE|DROP)\s+(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED|OR|REPLACE)\s+)*TABLE"
    r"|RENAME\s+TABLE|ALTER\s+TABLE\b[^;]*\bRENAME\s+TO)\b",
    re.IGNORECASE,
)
# Statements on a new table that leave its columns and rows as create_table made them.
_HARMLESS = ("CREATE INDEX", "CREATE UNIQUE", "COMMENT ON", "GRANT", "DROP INDEX")

# Statements whose outcome cannot depend on the rows in the tables (PostgreSQL needs a
# savepoint around every other one, to run it again if it fails).
_ROWLESS = (
    "CREATE TABLE",
    "CREATE INDEX",
    "CREATE SEQUENCE",
    "CREATE TYPE",
    "CREATE SCHEMA",
    "CREATE EXTENSION",
    "CREATE VIEW",
    "CREATE OR",
    "DROP",
    "COMMENT ON",
    "GRANT",
    "REVOKE",
    "ALTER INDEX",
    "ALTER SEQUENCE",
    "ALTER TYPE",
)
# What makes an ALTER TABLE check (or rewrite) the rows already there.
_ROWS_CHECKED = re.compile(
    r"\bNOT\s+NULL\b|\bTYPE\b|\bUNIQUE\b|\bPRIMARY\b|\bCHECK\b|\bREFERENCES\b|\bFOREIGN\b"
    r"|\bVALIDATE\b|\bUSING\b|\bEXCLUDE\b|\bATTACH\b|\bIDENTITY\b|\bGENERATED\b",
    re.IGNORECASE,
)

# What a database says when a row holds NULL where a column is NOT NULL.
_NULL_REFUSED = re.compile(r"\bnull\b|doesn't have a default value", re.IGNORECASE)
# ... and the column it names there: SQLite's `table.column` (a batch's copy is
# `_alembic_tmp_<table>`), PostgreSQL's "column", MySQL's and MariaDB's 'column'.
_NULL_COLUMN = (
    re.compile(r"NOT NULL constraint failed: [^.\s]+\.(.+?)(?: \[SQL: |$)"),
    re.compile(r'null value in column "([^"]+)"'),
    re.compile(r'column "([^"]+)" (?:of relation "[^"]+" )?contains null values'),
    re.compile(r"(?:Column|Field) '([^']+)' (?:cannot be null|doesn't have a default value)"),
    re.compile(r"Data truncated for column '([^']+)'"),
)

_OBSERVER: Seeding | None = None
_V = TypeVar("_V")


def _never_sent(exc: BaseException) -> bool:
    """Whether the failing operation never reached the database: SQLAlchemy could not
    write its SQL (a type the dialect cannot render), or alembic refused it
    (NotImplementedError: no ALTER of constraints on SQLite outside batch mode)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, sa.exc.CompileError | NotImplementedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def may_fail_on_rows(statement: str, head: str) -> bool:
    """Whether rows in the tables can make `statement` fail (False only when certain)."""
    if head.startswith(_ROWLESS):
        return (
            head.startswith("CREATE TABLE")
            and re.search(r"\bSELECT\b", statement, re.I) is not None
        )
    if head.startswith("ALTER TABLE"):
        relaxed = re.sub(r"\bDROP\s+NOT\s+NULL\b", "", statement, flags=re.IGNORECASE)
        return _ROWS_CHECKED.search(relaxed) is not None
    return True


def identifiers(statement: str) -> set[str]:
    """The words of a statement that can name a table (lowercase; literals skipped)."""
    found = set()
    for match in _TOKEN.finditer(statement):
        name = match.group(1) or match.group(2) or match.group(3)
        if name:
            found.add(name.lower())
    return found


def _head(statement: str) -> str:
    """The first two words of the main statement (after comments and a WITH clause)."""
    return " ".join(made_up.main_statement(statement)[:40].upper().split()[:2])


class Seeding(Observer):
    """The observer: one Tracker per engine env.py migrates."""

    def __init__(
        self, scope: Collection[str] | None, revision_files: Callable[[], Collection[str]]
    ) -> None:
        self.scope = None if scope is None else frozenset(scope)
        # The revision files, newest first, once alembic has imported them.
        self.attributor = Attributor(revision_files)
        self.revision_files = revision_files
        self.trackers: dict[int, Tracker] = {}
        self.raw: list[RawFinding] = []
        self.noted_tables: list[Note] = []
        self.lines: set[Line] = set()
        self.measured = False
        self.noted: set[TableKey] = set()
        self.at_failure: list[tuple[TableKey, int]] = []
        # Tables holding seeding's rows that the failed revision had read, when its error
        # stood on empty tables: what it wrote may have come from those rows.
        self.read_at_failure: list[tuple[TableKey, int]] = []
        # Of those, the tables whose rows a revision copied from seeding's.
        self.copied_at_failure: set[TableKey] = set()
        # Tables that still held seeding's rows when the round trip began, and the
        # notes that say so.
        self.uncleared: list[TableKey] = []
        self.left: list[Note] = []
        _install(self)

    def in_scope(self, step: Any) -> bool:
        return self.scope is None or step.revision.revision in self.scope

    def tracker(self, engine: Engine | None) -> Tracker | None:
        return None if engine is None else self.trackers.get(id(engine))

    # -- the session's hooks -------------------------------------------------------------

    def configured(self, context: Any) -> None:
        engine = context.connection.engine
        tracker = self.tracker(engine)
        if tracker is None:
            tracker = self.trackers[id(engine)] = Tracker(self, engine)
        tracker.context = context
        schema = context.version_table_schema
        tracker.versions.add(
            (
                None if schema == engine.dialect.default_schema_name else schema,
                context.version_table,
            )
        )

    def before(self, step: Any, context: Any) -> None:
        tracker = self.tracker(context.connection.engine)
        if tracker is not None:
            tracker.begin(step, context.connection)

    def after(self, step: Any, context: Any) -> None:
        tracker = self.tracker(context.connection.engine)
        if tracker is not None:
            tracker.end(step, context.connection)

    def failed(self, step: Any, exc: BaseException) -> None:
        self.at_failure = []
        self.read_at_failure = []
        self.copied_at_failure = set()
        rowless = _never_sent(exc)
        for tracker in self.trackers.values():
            tracker.step = None
            if rowless:  # SQL that could not be written: no statement met any row
                continue
            # After an error that stood on empty tables (caught by the migration, or
            # this one), the failure is the statement's own: no word about the rows it
            # met; but the revision may have written what it read of seeding's rows.
            if not tracker.stood:
                self.at_failure += [(key, n) for key, n in tracker.held.items() if n]
                self.copied_at_failure |= tracker.copies & tracker.held.keys()
            else:
                self.read_at_failure += list(tracker.read.items())

    def failure_note(self) -> str:
        """For AG901: the tables that held rows seeding made up when the upgrade failed,
        so that a failure their values caused can be told from the migration's own; or,
        where the failing statement failed on empty tables too, those the revision read
        before it (a data migration writing rows for the rows it found)."""
        if self.read_at_failure:
            read = ", ".join(
                f"{shown(key)} ({n} rows)" for key, n in sorted(self.read_at_failure, key=str)
            )
            return (
                f"before it, this revision read rows check's seeding made up (not data of "
                f"yours) in {read}: the failing statement fails on empty tables too, but "
                "what it writes may come from those rows; `check --no-seed` migrates empty "
                "tables"
            )
        if not self.at_failure and not self.copied_at_failure:
            return ""
        held = ", ".join(
            f"{shown(key)} held {n} rows" for key, n in sorted(self.at_failure, key=str)
        )
        copies = ", ".join(shown(key) for key in sorted(self.copied_at_failure, key=str))
        copied = f"{copies} held rows a revision copied from"
        if not held:
            made_up = f"{copied} rows made up by check's seeding"
        elif copies:
            made_up = f"{held} made up by check's seeding, and {copied} them"
        else:
            made_up = f"{held} made up by check's seeding"
        return (
            f"{made_up} (not data of yours) when this failed; if their values caused it, "
            "`check --no-seed` migrates empty tables"
        )

    def before_roundtrip(self) -> None:
        for tracker in self.trackers.values():
            for tables, reason in tracker.clear():
                self.uncleared += tables
                self.left.append(Note(clearing.described(tables, reason)))

    def findings(self) -> list[RawFinding]:
        return self.raw

    def notes(self) -> list[Note]:
        return self.noted_tables

    def observed(self) -> list[Observed]:
        if not self.measured:
            return []
        return [Observed("data", [[path, line] for path, line in sorted(self.lines)])]

    # -- what trackers report ------------------------------------------------------------

    def note(
        self, key: TableKey, why: str, where: Line | None, step: Any, starting: bool = False
    ) -> None:
        """A note: a table that got no rows (after `step` ran, or, `starting`, before it)."""
        if key in self.noted:
            return
        self.noted.add(key)
        if where is None:
            # The statement creating it (the files run newest first: the first upgrade
            # naming it may be a later revision's, outside the scope).
            files = list(self.revision_files())
            where = table_created_at(files, key[1], key[0])
            where = where or created_in(files, key[1])
        rid = step.revision.revision
        after = f"the revisions from {rid} on ran" if starting else f"the revisions after {rid} ran"
        message = (
            f"check could not give table {shown(key)} rows ({why}); {after} on it empty, "
            "so whether they fail on a table holding rows was not measured there"
        )
        path, line = where if where is not None else (None, None)
        self.noted_tables.append(Note(message, path, line))


class Tracker:
    """Seeding on one engine: which tables hold rows, and the revision running now."""

    def __init__(self, observer: Seeding, engine: Engine) -> None:
        self.observer = observer
        self.engine = engine
        self.dialect = engine.dialect
        self.context: Any = None
        self.versions: set[TableKey] = set()
        self.initial: set[TableKey] | None = None  # tables there before any revision ran
        self.known: set[TableKey] = set()
        self.active = False
        self.held: dict[TableKey, int] = {}  # tables holding rows: how many seeding gave
        self.by_name: dict[str, set[TableKey]] = {}
        self.seeded: set[TableKey] = set()
        # Seeded tables a revision has put values of its own into since (check.made_up),
        # and those it only added rows to, beside seeding's.
        self.written: set[TableKey] = set()
        self.inserted: set[TableKey] = set()
        # Seeded tables whose columns a revision's UPDATE set, by lowercase name: the
        # other columns of seeding's rows still hold the values it made up.
        self.updated: dict[TableKey, set[str]] = {}
        # Seeding's own rows of a table, by primary key (where it has one).
        self.own_rows: dict[TableKey, made_up.Rows] = {}
        # Seeded tables that held no rows when seeding filled them (check.clearing).
        self.alone: set[TableKey] = set()
        # Tables holding only rows a revision copied (INSERT ... SELECT) from seeding's
        # rows alone: made up too, so a retry may empty them as it empties seeding's.
        self.copies: set[TableKey] = set()
        self.reseed: set[TableKey] = set()
        self.where: dict[TableKey, Line | None] = {}
        self.parents: dict[tuple[TableKey, tuple[str, ...]], list[tuple[Any, ...]]] = {}
        self.busy = False
        self.step: Any = None
        self.in_scope = False
        self._reset()
        _listen(self, engine)

    def _reset(self) -> None:
        """What one revision's run gathers, made empty as the next one begins."""
        # The errors this revision raised after a statement failed on emptied tables
        # too: rows did not cause them (an earlier revision's say nothing of its).
        self.stood: list[BaseException] = []
        # Tables holding seeding's rows that the revision read, with how many it made.
        self.read: dict[TableKey, int] = {}
        self.created: list[tuple[sa.Table, Line | None]] = []
        self.stale: set[TableKey] = set()
        self.raw_ddl = False
        # Seeded tables the revision deleted rows of (DELETE, TRUNCATE).
        self.deleted: set[TableKey] = set()
        self.creating = 0
        self.operation: Any = None

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Seeding's own statements: not watched, not retried."""
        busy, self.busy = self.busy, True
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # reflection's "did not recognize type"
                yield
        finally:
            self.busy = busy

    # -- steps -----------------------------------------------------------------------------

    def begin(self, step: Any, conn: Connection) -> None:
        self._reset()
        self.in_scope = self.observer.in_scope(step)
        fresh = self.initial is None
        if self.initial is None:
            with self.quiet():
                self.initial = self._tables(conn)
                self.known = set(self.initial)
        if not self.active and self.in_scope:
            self.active = self.observer.measured = True
            with self.quiet():
                if not fresh:  # the tables made since the first revision ran
                    self.known = self._tables(conn)
                existing = self.known - self.initial - self.versions
                self._seed(conn, self._empty_ones(conn, existing), step, starting=True)
        self.step = step

    def end(self, step: Any, conn: Connection) -> None:
        self.step = None
        if not self.active:
            return
        with self.quiet():
            self._settle(step, conn)

    def _settle(self, step: Any, conn: Connection) -> None:
        """Give rows to the tables the revision created (and those it emptied)."""
        self._emptied_by_revision(conn)
        made = {key_of(table): (table, line) for table, line in self.created}
        for key, (_, line) in made.items():
            self.where[key] = line
        probe = set(self.stale & made.keys())
        if self.raw_ddl:
            now = self._tables(conn)
            for key in self.known - now:
                self._release(key)
            probe |= now - self.known - made.keys() - self.versions - (self.initial or set())
            self.known = now
        else:
            self.known |= made.keys()
        # With a scope, tables created in it are new: empty in production when the
        # revisions after them run. Tables that hold rows anyway (renamed, filled by the
        # migration) hold them here too.
        fill_new = self.observer.scope is None or not self.in_scope
        empty = self._empty_ones(conn, probe)  # reflected: changed after it was created
        wanted: dict[TableKey, sa.Table | None] = dict(empty) if fill_new else {}
        if fill_new:
            for key, (table, _) in made.items():
                if key not in probe:
                    wanted[key] = table
        for key in self._refillable():
            wanted.setdefault(key, None)
        self.reseed = set()
        self._seed(conn, wanted, step)

    def _emptied_by_revision(self, conn: Connection) -> None:
        """The seeded tables the revision's DELETE or TRUNCATE left empty get rows again
        for the revisions after it (production's table holds rows again by the time they
        are deployed); within the revision they stayed as it left them."""
        for key in sorted(self.deleted & self.held.keys(), key=str):
            if self._has_rows(conn, key) is False:
                self._release(key)
                self.reseed.add(key)

    def _refillable(self) -> list[TableKey]:
        """The tables a failed statement's retry emptied (or took seeding's rows from);
        not those holding seeding's rows still (a batch's copy of them took their place)."""
        return sorted((k for k in self.reseed & self.known if not self.held.get(k)), key=str)

    def refill(self, conn: Connection | None) -> None:
        """Before a revision's next op.* call (or batch), give rows again to the tables a
        statement's retry emptied: the calls after it are measured on rows too, not on
        tables emptied by check. Not after an error that stood (the transaction may be
        aborted), nor before the first revision in scope."""
        if conn is None or not self.active or self.stood or self.step is None:
            return
        wanted: dict[TableKey, sa.Table | None] = dict.fromkeys(self._refillable())
        self.reseed -= wanted.keys()
        if wanted:
            with self.quiet():
                self._seed(conn, wanted, self.step)

    # -- tables and rows ---------------------------------------------------------------------

    def _tables(self, conn: Connection) -> set[TableKey]:
        return rows.tables(_run(conn), self.dialect)

    def _has_rows(self, conn: Connection, key: TableKey) -> bool | None:
        """Whether the table holds rows; None where it cannot be read (a revision renamed
        or dropped it after creating it). Read in a savepoint: inside the migration's
        transaction, which a failure must not leave aborted."""
        query = sa.select(sa.literal(1)).select_from(sa.table(key[1], schema=key[0])).limit(1)
        try:
            with seed.savepoint(conn):
                return conn.execute(query, execution_options=seed.OPTIONS).first() is not None
        except sa.exc.DBAPIError:
            return None

    def _hold(self, key: TableKey, count: int) -> None:
        self.held[key] = count
        self.by_name.setdefault(key[1].lower(), set()).add(key)
        self.parents = {k: v for k, v in self.parents.items() if k[0] != key}

    def _release(self, key: TableKey) -> None:
        self.held.pop(key, None)
        self.seeded.discard(key)
        self.written.discard(key)
        self.inserted.discard(key)
        self.updated.pop(key, None)
        self.own_rows.pop(key, None)
        self.alone.discard(key)
        self.copies.discard(key)
        self.by_name.get(key[1].lower(), set()).discard(key)
        self.parents = {k: v for k, v in self.parents.items() if k[0] != key}

    def _parent_values(self, conn: Connection) -> seed.ParentValues:
        def values(key: TableKey, columns: Sequence[str]) -> list[tuple[Any, ...]]:
            cached = self.parents.get((key, tuple(columns)))
            if cached is not None:
                return cached
            table = sa.table(key[1], *[sa.column(c) for c in columns], schema=key[0])
            query = sa.select(*table.c).where(*[c.isnot(None) for c in table.c]).limit(seed.ROWS)
            found = [tuple(r) for r in conn.execute(query, execution_options=seed.OPTIONS)]
            self.parents[(key, tuple(columns))] = found
            return found

        return values

    def _row_keys(
        self, conn: Connection, key: TableKey, table: sa.Table
    ) -> set[tuple[Any, ...]] | None:
        """The primary keys of the table's rows; None without one (or where it cannot
        be read)."""
        names = [column.name for column in table.primary_key.columns]
        if not names:
            return None
        clause = sa.table(key[1], *[sa.column(name) for name in names], schema=key[0])
        query = sa.select(*clause.c)
        try:
            with seed.savepoint(conn):
                found = conn.execute(query, execution_options=seed.OPTIONS)
                return {tuple(row) for row in found}
        except sa.exc.DBAPIError:
            return None

    def _reflect(self, conn: Connection, key: TableKey) -> sa.Table | None:
        try:
            with seed.savepoint(conn):
                return sa.Table(
                    key[1], sa.MetaData(), schema=key[0], autoload_with=conn, resolve_fks=False
                )
        except Exception:  # a table reflection cannot read: seeding skips it
            return None

    def _empty_ones(self, conn: Connection, keys: set[TableKey]) -> dict[TableKey, None]:
        """Of `keys`, the tables holding no rows yet; those that hold rows already are
        held as they are, and those that cannot be read (gone) are left out."""
        wanted: dict[TableKey, None] = {}
        for key in sorted(keys, key=str):
            held = self._has_rows(conn, key)
            if held:
                self._hold(key, 0)
            elif held is not None:
                wanted[key] = None
        return wanted

    def _seed(
        self,
        conn: Connection,
        wanted: Mapping[TableKey, sa.Table | None],
        step: Any,
        starting: bool = False,
    ) -> None:
        tables: dict[TableKey, sa.Table] = {}
        for key, table in wanted.items():
            found = table if table is not None else self._reflect(conn, key)
            if found is None:
                why = "reflection cannot read it"
                self.observer.note(key, why, self.where.get(key), step, starting)
            else:
                tables[key] = found
        values = self._parent_values(conn)
        for key in parents_first(tables):
            declared = wanted[key] is not None
            # (a table create_table declared in this revision may hold the rows of its
            # bulk_insert already: seeding's own are told apart by their keys)
            before = self._row_keys(conn, key, tables[key])
            empty = not before if before is not None else self._has_rows(conn, key) is False
            count, why = self._fill(conn, key, tables[key], declared, values)
            if count:
                self._hold(key, count)
                if empty:
                    self.alone.add(key)
                else:
                    self.alone.discard(key)
                self.seeded.add(key)
                self.written.discard(key)
                self.updated.pop(key, None)
                # Rows there before seeding's are a revision's (written where seeding
                # did not see them: a table created and filled in the same revision).
                if empty:
                    self.inserted.discard(key)
                else:
                    self.inserted.add(key)
                after = self._row_keys(conn, key, tables[key])
                if before is not None and after is not None and len(after - before) == count:
                    self.own_rows[key] = made_up.Rows(tables[key], after - before)
                else:
                    self.own_rows.pop(key, None)
            elif not why:
                self._hold(key, 0)
            else:
                self.observer.note(key, why, self.where.get(key), step, starting)

    def _fill(
        self,
        conn: Connection,
        key: TableKey,
        table: sa.Table,
        declared: bool,
        values: seed.ParentValues,
    ) -> tuple[int, str]:
        """Rows for `table`: (rows inserted, why none could be); (0, "") when the insert
        failed on rows the table holds already. Those are rows a revision wrote where
        seeding does not see them (through the DBAPI cursor), whose keys seeding's met:
        the table holds rows, kept as after a revision's op.execute("INSERT ...")."""
        count, why = seed.fill(table, conn, values)
        if count:
            return count, ""
        if self._has_rows(conn, key):
            return 0, ""
        if declared:  # declared by create_table, and changed since: reflect it
            reflected = self._reflect(conn, key)
            if reflected is not None:
                return seed.fill(reflected, conn, values)
        return 0, why

    def clear(self) -> list[tuple[list[TableKey], str]]:
        """Delete the rows seeding inserted, and only those (before the round trip):
        what could not be deleted, with why (check.clearing)."""
        if not self.seeded:
            return []
        own = {key: self.own_rows.get(key) for key in self.seeded}
        alone = {
            key
            for key in self.seeded
            if key in self.alone and key not in self.inserted | self.written
        }
        with connect(self.engine.url) as conn:
            left = clearing.clear(conn, own, alone)
        self.seeded = set()
        self.held = {}
        return left

    # -- statements ------------------------------------------------------------------------

    def execute(self, cursor: Any, statement: str, parameters: Any, context: Any, how: str) -> bool:
        """Run one of the revision's statements (do_execute); False: SQLAlchemy runs it."""
        if self.step is None or self.busy or not self.active:
            return False
        copy = self._copy_target(statement, context)
        ran = False
        try:
            ran = self._watch(cursor, statement, parameters, context, how)
            return ran
        finally:
            self._note_writes(statement)
            self._follow_renames(statement)
            if ran and copy is not None:
                self._hold_copy(copy)

    def _note_writes(self, statement: str) -> None:
        """The seeded tables `statement` put values of the migration's own into (or only
        added rows to); those it deleted rows of, whose keys a row added later may take."""
        head = _head(statement)
        words = identifiers(statement)
        added = made_up.inserted_into(statement)
        update = made_up.updated_columns(statement) if head.startswith("UPDATE") else None
        if update is not None:
            # Only the columns it sets hold the migration's values now (the tables it
            # only joins keep theirs); a key it sets leaves seeding's rows unknown.
            for table, columns in update.items():
                for key in self.by_name.get(table, ()):
                    self.updated.setdefault(key, set()).update(columns)
                    made = self.own_rows.get(key)
                    if made is not None and columns & {n.lower() for n in made.names}:
                        self.own_rows.pop(key, None)
            return
        for name in made_up.written_names(statement, head, words):
            keys = self.by_name.get(name, set())
            if not head.startswith("ALTER"):  # rows of a revision's own beside the copies
                self.copies -= keys
            if name == added:
                self.inserted |= keys
            else:
                self.written |= keys
        if head.startswith(("DELETE", "TRUNCATE")):
            for word in words:
                for key in self.by_name.get(word, set()):
                    self.own_rows.pop(key, None)
                    self.deleted.add(key)

    def _follow_renames(self, statement: str) -> None:
        """What seeding knows of a table a statement renames goes with it (check.renames);
        a note about it later is at the line that renamed it."""
        if self.flushing is not None:
            return  # a batch's copy taking its table's place: the same table
        for old, new in renames.renamed(statement):
            key = self._known_as(old)
            if key is not None:
                name = new[1] if new[2] or self.dialect.name != "postgresql" else new[1].lower()
                self.rename(key, (key[0], name))

    def _known_as(self, name: renames.Name) -> TableKey | None:
        """The table a statement's (schema, name, quoted) means, of those seeding knows."""
        schema, table, quoted = name
        if schema == self.dialect.default_schema_name:
            schema = None
        for key in sorted(self.known | set(self.held), key=str):
            same = key[1] == table if quoted else key[1].lower() == table.lower()
            if same and key[0] == schema:
                return key
        return None

    def rename(self, old: TableKey, new: TableKey) -> None:
        """Table `old` is called `new` now: its rows, made-up values and notes follow."""
        sets = [self.known, self.seeded, self.written, self.inserted, self.reseed, self.copies]
        for keys in [*sets, self.initial or set(), self.observer.noted]:
            if old in keys:
                keys.discard(old)
                keys.add(new)
        _move(self.held, old, new)
        _move(self.updated, old, new)
        _move(self.own_rows, old, new)
        if new in self.own_rows:
            self.own_rows[new].name = new[1]
        self.by_name.get(old[1].lower(), set()).discard(old)
        if new in self.held:
            self.by_name.setdefault(new[1].lower(), set()).add(new)
        self.parents = {k: v for k, v in self.parents.items() if k[0] != old}
        self.where.pop(old, None)
        self.where[new] = self.observer.attributor.current()

    def _only_made_up(self, statement: str) -> str | None:
        """The table a constraint `statement` adds is checked on, where every value
        of it the constraint can meet is one seeding made up (None otherwise)."""
        name = made_up.constrained(statement, self.flushing is not None)
        keys = self.by_name.get(name or "", set())
        if not keys or any(
            key not in self.seeded
            or key in self.written
            or key in self.inserted
            or key in self.updated
            or not self.held.get(key)
            for key in keys
        ):
            return None
        return name

    def _copies_made_up(
        self, statement: str, words: set[str], rows_only: bool = False
    ) -> tuple[str, list[str]] | None:
        """The table an INSERT ... SELECT writes and the tables it copies from, where every
        table it reads that seeding knows the rows of holds only values seeding made up
        (a table this revision created holds what the revision copied there): a foreign
        key that refuses the rows it copies refuses made-up values. With `rows_only`,
        where each holds seeding's rows alone (or copies of them), whatever columns of
        them revisions set: the rows it copies are made up."""
        alone = self._seedings_rows_only if rows_only else self._made_up_only
        target = made_up.inserted_into(statement)
        named = made_up.tables_named(statement)
        if target is None or named is None or "select" not in words:
            return None
        created = {key_of(table)[1].lower() for table, _ in self.created}
        sources = []
        for name in sorted(named - {target}):
            keys = self.by_name.get(name, set())
            if any(not alone(key) for key in keys):
                return None
            if keys:
                sources.append(name)
            elif name not in created and any(key[1].lower() == name for key in self.known):
                return None  # rows seeding does not know: the database's or a revision's
        return (target, sources) if sources else None

    def _made_up_only(self, key: TableKey) -> bool:
        """Whether the table holds seeding's rows alone, their values as it made them."""
        return (
            key in self.seeded
            and bool(self.held.get(key))
            and key not in self.written | self.inserted
            and key not in self.updated
        )

    def _seedings_rows_only(self, key: TableKey) -> bool:
        """Whether the table holds seeding's rows alone (a revision may have set some of
        their columns), or rows a revision copied from such rows alone."""
        if key in self.copies:
            return True
        seedings = key in self.seeded and bool(self.held.get(key))
        return seedings and key not in self.written | self.inserted

    def _copy_target(self, statement: str, context: Any) -> TableKey | None:
        """The table an INSERT ... SELECT is about to fill with copies of seeding's rows
        alone (every table it reads that seeding filled holds them alone), where it holds
        no other rows: none, or copies made so before. None for any other statement."""
        if not self.held or not _head(statement).startswith("INSERT"):
            return None
        copied = self._copies_made_up(statement, identifiers(statement), rows_only=True)
        if copied is None:
            return None
        held = self.by_name.get(copied[0], set())
        if held:
            return next(iter(held)) if len(held) == 1 and held <= self.copies else None
        return self._empty_table(copied[0], context)

    def _empty_table(self, name: str, context: Any) -> TableKey | None:
        """The table called `name` (lowercase) that revisions made, where it holds no rows
        now; None where no one table is so called, or it cannot be read (read on the
        revision's connection: a transaction a failure aborted stays as it was)."""
        dialect = context.dialect
        run = rows.raw(context.root_connection.connection.dbapi_connection)
        initial = self.initial or set()
        with suppress((getattr(dialect, "loaded_dbapi", None) or dialect.dbapi).Error):
            found = [
                key
                for key in rows.tables(run, dialect)
                if key[1].lower() == name and key not in initial
            ]
            if len(found) == 1 and not run(
                f"SELECT 1 FROM {rows.quote(dialect, found[0])} LIMIT 1"
            ):
                return found[0]
        return None

    def _hold_copy(self, key: TableKey) -> None:
        """The table holds rows a revision copied from seeding's alone (`_copy_target`)."""
        if key not in self.held:
            self._hold(key, 0)
        self.copies.add(key)
        self.inserted.discard(key)
        self.written.discard(key)

    def _mixed(self, statement: str) -> tuple[str, list[TableKey]] | None:
        """The table a constraint `statement` adds is checked on, and its keys, where it
        holds seeding's rows, known by their keys, beside rows revisions only added or
        with columns revisions set."""
        name = made_up.constrained(statement, self.flushing is not None)
        keys = self.by_name.get(name or "", set())
        if not keys or any(
            key not in self.seeded
            or key in self.written
            or not self.held.get(key)
            or key not in self.own_rows
            for key in keys
        ):
            return None
        return name or "", sorted(keys, key=str)

    def _named(self, statement: str) -> set[str]:
        """The words that name the columns a constraint `statement` adds is on (and
        more): the statement's own (an ALTER, a CREATE UNIQUE INDEX); for a batch's copy
        of the table, those of its calls. Seeding's values are set to NULL only there, so
        that the other columns keep them for the statements after this one."""
        calls = self.flushing
        if calls is None or attribute.running() is not None:
            return identifiers(statement)
        named: set[str] = set()
        for call in calls:
            operation = call.operation
            named.update(_columns(operation))
            for attr in ("local_cols", "columns"):
                for column in getattr(operation, attr, None) or []:
                    named |= identifiers(getattr(column, "name", None) or str(column))
            condition = getattr(operation, "condition", None)
            if condition is not None:
                named |= identifiers(str(condition))
        return named

    def forget_made_up(self, keys: Collection[TableKey]) -> None:
        """Seeding's rows of `keys` were deleted; the rows the revisions wrote stay."""
        for key in keys:
            self.own_rows.pop(key, None)
            self.seeded.discard(key)
            if key in self.held:
                self.held[key] = 0
            self.reseed.add(key)

    def _watch(self, cursor: Any, statement: str, parameters: Any, context: Any, how: str) -> bool:
        head = _head(statement)
        if head.split(" ")[0] in READS:
            if head.startswith("SELECT") and self.held:
                self._note_read(identifiers(statement))
            return False
        if ENDS_TRANSACTION.search(statement):  # no savepoint can wrap it
            return False  # run as it is: not retried, so not measured on rows
        words = identifiers(statement)
        self._note_statement(statement, head, words)
        if not self.held:
            return False
        touched = self._touched(statement, words)
        if not touched and any(key[1].lower() in words for key in self.versions):
            return False
        lines = self._lines() if self.in_scope else []
        if self.dialect.name == "postgresql" and not may_fail_on_rows(statement, head):
            # No savepoint (a round trip each way) for what rows cannot break.
            if touched and self.in_scope:
                self.observer.lines.update(line for line in lines if line is not None)
            return False
        # Read before a retry empties the tables.
        guessed = self._only_made_up(statement)
        mixed = None if guessed is not None else self._mixed(statement)
        copied = None if guessed or mixed else self._copies_made_up(statement, words)
        retry = Retry(self, cursor, statement, parameters, context, how)
        retry.mixed = mixed[1] if mixed is not None else []
        retry.named = self._named(statement) if mixed is not None else set()
        if _constant_insert(head, words):
            retry.seeding_first = touched
        failure = retry.run(touched)
        if failure is not None and failure.kind is not None and failure.without_made_up:
            if self.in_scope and mixed is not None:
                beside = "nulled" if failure.nulled else "rows"
                self._unmeasured(failure, failure.kind, mixed[0], words, lines, beside)
        elif failure is not None and failure.kind is not None and guessed is not None:
            self.reseed |= {key for key, _ in failure.held}
            if self.in_scope:
                self._unmeasured(failure, failure.kind, guessed, words, lines)
        elif failure is not None and failure.kind == "foreign key" and copied is not None:
            self.reseed |= {key for key, _ in failure.held}
            if self.in_scope:
                self._copy_unmeasured(failure, copied, words, lines)
        elif failure is not None:
            self._failed_with_rows(failure, statement, head, words, lines)
        elif touched and self.in_scope:
            self.observer.lines.update(line for line in lines if line is not None)
        return True

    def _touched(self, statement: str, words: set[str]) -> list[TableKey]:
        """The tables holding rows that `statement` reads or writes: those its SQL names
        as tables (a column that shares a table's name is not that table), or, where it
        does not say (a DO block), those any of its words names."""
        named = made_up.tables_named(statement)
        names = words if named is None else named
        return sorted({key for name in names for key in self.by_name.get(name, ())}, key=str)

    def _note_read(self, words: set[str]) -> None:
        """The tables holding seeding's rows that a SELECT of the revision names."""
        for word in words:
            for key in self.by_name.get(word, ()):
                if self.held.get(key) and key in self.seeded:
                    self.read[key] = self.held[key]

    def _note_statement(self, statement: str, head: str, words: set[str]) -> None:
        if self.creating or self.flushing is not None:
            return
        if _TABLE_DDL.match(statement):
            self.raw_ddl = True
        for table, _ in self.created:
            if table.name.lower() in words and not head.startswith(_HARMLESS):
                self.stale.add(key_of(table))

    @property
    def flushing(self) -> list[BatchCall] | None:
        """The batch_op.* calls of the batch whose statements run now (check.attribute)."""
        return attribute.flushing()

    def _lines(self) -> list[Line | None]:
        running = attribute.running()
        if running is not None and running.line is not None:
            return [running.line]
        calls = self.flushing or []
        return [call.line for call in calls] + [self.observer.attributor.current()]

    def _failed_with_rows(
        self, failure: Failure, statement: str, head: str, words: set[str], lines: list[Line | None]
    ) -> None:
        """AG904, for a revision in scope: the statement failed with rows, passed without."""
        self.reseed |= {key for key, _ in failure.held}
        constant = _constant_insert(head, words)
        if not self.in_scope or (constant and self._met_seeding(failure)):
            return  # an INSERT of constant rows that met seeding's own rows
        where, operation = self._culprit(failure, words, lines)
        if constant and not failure.told_apart and any(count for _, count in failure.held):
            self._insert_unmeasured(failure, where)
            return
        if where is None:
            return
        self.observer.lines.add(where)
        rev = self.step.revision
        held = ", ".join(_held_rows(failure, key, count) for key, count in failure.held)
        message = (
            f"upgrade of {rev.revision} ({revision_message(rev)}) fails on tables "
            f"that hold rows and passes on empty ones: {failure.error}; held rows: {held}"
        )
        self.observer.raw.append(
            RawFinding("AG904", message, where[0], where[1], recipe(operation, self.flushing))
        )

    def _insert_unmeasured(self, failure: Failure, where: Line | None) -> None:
        """A note for an INSERT of constant rows that failed on tables holding seeding's
        rows beside the revisions' (seeding's not known by key) and passed on emptied
        ones: which rows it met is not known."""
        rev = self.step.revision
        message = (
            f"upgrade of {rev.revision} ({revision_message(rev)}): its INSERT was not "
            f"measured on rows: it failed ({failure.error}) on tables holding rows check made "
            "up beside rows revisions wrote, which check cannot tell apart, and passed on "
            "emptied ones"
        )
        path, line = where if where is not None else (None, None)
        self.observer.noted_tables.append(Note(message, path, line))

    def _met_seeding(self, failure: Failure) -> bool:
        """Whether what a statement failed on were seeding's rows alone: it passed once
        they were deleted (the revisions' rows kept), or its tables held no other rows."""
        if failure.without_made_up:
            return True
        return all(
            count
            and key not in failure.beside
            and key not in failure.updated
            and key not in self.written
            for key, count in failure.held
        )

    def _unmeasured(
        self,
        failure: Failure,
        kind: str,
        table: str,
        words: set[str],
        lines: list[Line | None],
        beside: str = "",
    ) -> None:
        """A note for a constraint that failed on values seeding made up and passed on
        empty tables (`beside` "rows": on the rows revisions wrote, without seeding's;
        "nulled": with seeding's values NULL where no revision set them): whether real
        rows pass it depends on their values, not measured."""
        where, operation = self._culprit(failure, words, lines)
        rev = self.step.revision
        failed, passed = {
            "rows": ("rows", "passed without them, on the rows the revisions wrote"),
            "nulled": ("values", "passed with them NULL, on the values the revisions wrote"),
        }.get(beside, ("values", "passed on empty tables"))
        message = (
            f"upgrade of {rev.revision} ({revision_message(rev)}): its {kind} constraint was "
            f"not measured on rows: it failed on the {failed} check made up for "
            f"{table} ({failure.error}) and {passed}; real rows pass it only "
            f"where {made_up.requirement(kind, table, operation)}"
        )
        path, line = where if where is not None else (None, None)
        self.observer.noted_tables.append(Note(message, path, line))

    def _copy_unmeasured(
        self,
        failure: Failure,
        copied: tuple[str, list[str]],
        words: set[str],
        lines: list[Line | None],
    ) -> None:
        """A note for an INSERT ... SELECT whose rows a foreign key refused, copied from
        values seeding made up, that passed on empty tables: whether real rows pass it
        depends on their values, not measured."""
        where, _ = self._culprit(failure, words, lines)
        rev = self.step.revision
        target, sources = copied
        message = (
            f"upgrade of {rev.revision} ({revision_message(rev)}): its foreign key constraint "
            f"was not measured on rows: it failed on the values check made up for "
            f"{', '.join(sources)}, copied into {target} ({failure.error}), and passed on "
            f"empty tables; real rows pass it only where every row it copies into {target} "
            "references a row that exists"
        )
        path, line = where if where is not None else (None, None)
        self.observer.noted_tables.append(Note(message, path, line))

    def _culprit(
        self, failure: Failure, words: set[str], lines: list[Line | None]
    ) -> tuple[Line | None, Any]:
        """The op.* line that failed, and its operation. In a batch that runs its calls
        one by one (ALTERs), the call that ran the statement; in one that copies the
        table, where the error is a NULL refused in a column it names, the call that made
        that column NOT NULL; else the batch_op.* call whose column the statement or the
        error names, and of those, where the error is a NULL refused, the one that made
        the column NOT NULL."""
        calls = self.flushing
        if calls is None:
            return lines[-1], self.operation
        running = attribute.running()
        if running is not None and running.line is not None:
            return running.line, running.operation
        tightened = _tightening(calls, _null_column(failure.error))
        if tightened is not None:
            return tightened.line, tightened.operation
        said = words | identifiers(failure.error.replace(".", " "))
        named = [c for c in calls if c.line is not None and set(_columns(c.operation)) & said]
        if _NULL_REFUSED.search(failure.error):
            named = [c for c in named if _makes_not_null(c.operation)][-1:] or named
        if named:
            return named[0].line, named[0].operation
        calls = [c for c in calls if c.line is not None]
        if len(calls) == 1:  # the batch's only call: its copy is that call's doing
            return calls[0].line, calls[0].operation
        return lines[-1], None

    # -- the batch_op.* calls and create_table -----------------------------------------------

    def invoke(self, original: Callable[..., Any], ops: AbstractOperations, operation: Any) -> Any:
        if isinstance(ops, BatchOperations):  # queued: check.attribute keeps the call
            return original(ops, operation)
        if self.operation is None:
            self.refill(ops.migration_context.connection)
        creating = isinstance(operation, alembic_ops.CreateTableOp)
        previous, self.operation = self.operation, operation
        self.creating += creating
        try:
            result = original(ops, operation)
        finally:
            self.operation = previous
            self.creating -= creating
        if creating and isinstance(result, sa.Table):
            self.created.append((result, self.observer.attributor.current()))
        return result

    def batch_runs(self, impl: BatchOperationsImpl, calls: list[BatchCall]) -> None:
        """A batch is about to run its calls (or, where it runs them one ALTER each, its
        next call): the tables emptied before get rows again; the seeded table it writes
        values into."""
        self.refill(impl.operations.migration_context.connection)
        if made_up.batch_writes(call.operation for call in calls):
            self.written |= self.by_name.get(impl.table_name.lower(), set())


def _constant_insert(head: str, words: set[str]) -> bool:
    """An INSERT of rows written out in the statement (no SELECT)."""
    return head.startswith("INSERT") and "select" not in words


def _move(mapping: dict[TableKey, _V], old: TableKey, new: TableKey) -> None:
    if old in mapping:
        mapping[new] = mapping.pop(old)


def _held_rows(failure: Failure, key: TableKey, count: int) -> str:
    """What a table held when a statement failed on it, for AG904's message."""
    if count:
        return f"{shown(key)} ({count} rows made up by check{_beside(failure, key)})"
    if key in failure.copies:
        return f"{shown(key)} (rows a revision copied from rows made up by check)"
    return f"{shown(key)} (rows earlier revisions inserted)"


def _beside(failure: Failure, key: TableKey) -> str:
    """What revisions wrote into a table holding seeding's rows, for AG904's message."""
    said = ", beside rows revisions inserted" if key in failure.beside else ""
    columns = sorted(failure.updated.get(key, ()))
    if columns:
        said += f", {', '.join(columns)} set by revisions"
    return said


class Failure:
    """A statement that failed on rows and passed once its tables were emptied (or,
    `without_made_up`, once seeding's rows of the table it constrains were deleted)."""

    def __init__(
        self,
        error: str,
        held: list[tuple[TableKey, int]],
        kind: str | None,
        without_made_up: bool = False,
    ) -> None:
        self.error = error
        self.held = held
        self.kind = kind  # a constraint's violation: "foreign key", "unique", "check"
        self.without_made_up = without_made_up
        # Tables that held rows revisions inserted beside seeding's.
        self.beside: set[TableKey] = set()
        # ... and columns revisions set in them; `nulled`: passed with seeding's other
        # values NULL (where `without_made_up`).
        self.updated: dict[TableKey, set[str]] = {}
        self.nulled = False
        # Tables that held rows a revision copied from seeding's alone.
        self.copies: set[TableKey] = set()
        # Seeding's rows were deleted by key (the revisions' kept) and it failed still.
        self.told_apart = False


class Retry:
    """One statement of a revision, run so that a failure caused by rows can be told
    from one that is not: on PostgreSQL inside a savepoint; failed, the tables emptied
    and run again."""

    def __init__(
        self, tracker: Tracker, cursor: Any, statement: str, parameters: Any, context: Any, how: str
    ) -> None:
        self.tracker = tracker
        self.cursor = cursor
        self.statement = statement
        self.parameters = parameters
        self.context = context
        self.how = how
        # The tables whose rows a constraint the statement adds is checked on, where they
        # hold seeding's rows (known by their keys) beside rows revisions added.
        self.mixed: list[TableKey] = []
        # The columns the constraint is on (check.seeding's Tracker._named).
        self.named: set[str] = set()
        # The tables whose seeding rows (known by key) are deleted first, before any
        # table is emptied: an INSERT of constant rows may meet seeding's keys, or the
        # rows the revisions wrote, which emptying would take away with them.
        self.seeding_first: list[TableKey] = []
        # The statement ran with seeding's rows deleted by key (_without_made_up).
        self.tried = False
        dialect = context.dialect
        self.dbapi_error = (getattr(dialect, "loaded_dbapi", None) or dialect.dbapi).Error
        connection = context.root_connection.connection.dbapi_connection
        self.connection = connection
        self.sql = rows.raw(connection)
        self.savepoint = dialect.name == "postgresql" and not seed.autocommit(connection)
        # psycopg (3) sends a statement without parameters as a simple query, which may
        # hold several: the savepoint, the statement and its release go in one round trip.
        self.together = (
            self.savepoint
            and how != "many"
            and not parameters
            and type(connection).__module__.split(".")[0] == "psycopg"
        )

    def send(self) -> None:
        dialect = self.context.dialect
        if self.how == "many":
            dialect.do_executemany(self.cursor, self.statement, self.parameters, self.context)
        elif self.how == "none":
            dialect.do_execute_no_params(self.cursor, self.statement, self.context)
        else:
            dialect.do_execute(self.cursor, self.statement, self.parameters, self.context)

    def _mark(self) -> None:
        if self.savepoint:
            self.sql(f"SAVEPOINT {SAVEPOINT}")

    def _undo(self) -> None:
        if self.savepoint:
            self.sql(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")

    def _done(self) -> None:
        if self.savepoint:
            self.sql(f"RELEASE SAVEPOINT {SAVEPOINT}")

    def run(self, touched: list[TableKey]) -> Failure | None:
        """Run the statement; a Failure when it failed only because of rows. Its own
        error is raised when it fails on empty tables too, and the transaction is then
        left as the failure left it (aborted, on PostgreSQL), as `alembic upgrade`
        leaves it: a revision that catches the error fails at its next statement."""
        if self.together:
            return self._run_together(touched)
        self._mark()
        try:
            self.send()
        except self.dbapi_error as first:
            failure = self._again(first, touched)
            if failure is None:
                raise
            return failure
        self._done()
        return None

    def _run_together(self, touched: list[TableKey]) -> Failure | None:
        """As run, with the savepoint, the statement and the release sent as one query;
        the cursor is then left on the statement's result. When the statement fails, the
        server stops there: the savepoint is set, not released. The runs after a failure
        send the statement alone (its error, when it stands, shows nothing of ours)."""
        sent = self.statement
        # The savepoint on a line of its own, so that the server's excerpt of a syntax
        # error shows the statement's line alone; a line break after the statement, as
        # it may end in a -- comment.
        self.statement = f"SAVEPOINT {SAVEPOINT};\n{sent}\n;RELEASE SAVEPOINT {SAVEPOINT}"
        try:
            self.send()
        except self.dbapi_error as first:
            self.statement = sent
            if not self._rolled_back():
                # The server could not parse the query: nothing of it ran, not even the
                # savepoint. Rows play no part in that; the error is the statement's.
                self.tracker.stood.append(first)
                raise _own_lines(first) from None
            failure = self._again(first, touched, rolled_back=True)
            if failure is None:
                raise
            return failure
        finally:
            self.statement = sent
        self.cursor.nextset()  # from the savepoint's result to the statement's
        return None

    def _rolled_back(self) -> bool:
        """Back to the savepoint; False when there is none to go back to."""
        try:
            self._undo()
        except self.dbapi_error:
            return False
        return True

    def _again(
        self, first: BaseException, touched: list[TableKey], rolled_back: bool = False
    ) -> Failure | None:
        """Empty the tables the statement touched (then the others) and run it again:
        the Failure when it passes now. When it fails on empty tables too, that error is
        raised: the statement's own problem, AG901 as without seeding. The last failure
        (the statement's or an emptying's) is not rolled back, so an error that stands
        leaves the transaction as it would be without check."""
        error = describe(first, self.statement)
        counts = dict(self.tracker.held)
        held = [(key, counts.get(key, 0)) for key in touched]
        rest = sorted(set(self.tracker.held) - set(touched), key=str)
        last: BaseException | None = None
        kind = made_up.violation(first)
        deleted = False
        if kind is not None and self.mixed:
            if not rolled_back:
                self._undo()
            rolled_back = False
            # Seeding's values NULL first: its rows stay, for the statements after this
            # one (a batch's DROP TABLE meets the rows that reference them). Deleting
            # them is for what NULL cannot take away (a key), where revisions only
            # inserted rows beside them.
            nulled = self._made_up_nulled()
            if not nulled and not any(key in self.tracker.updated for key in self.mixed):
                self._undo()
                deleted = self._without_made_up(self.mixed)
            if nulled or deleted:
                failure = Failure(error, held, kind, without_made_up=True)
                failure.nulled = nulled
                return failure
        if self.seeding_first:
            if not rolled_back:
                self._undo()
            rolled_back = False
            if self._without_made_up(self.seeding_first):
                return Failure(error, held, kind, without_made_up=True)
        beside = set(self.tracker.held) & self.tracker.inserted
        updated = {k: v for k, v in self.tracker.updated.items() if k in self.tracker.held}
        copies = set(self.tracker.held) & self.tracker.copies
        for targets in (touched, rest):
            if not targets:
                continue
            if not rolled_back:
                self._undo()
            rolled_back = False
            emptied = self._empty(targets)
            if emptied is None:
                continue
            if not self.savepoint:  # emptied for good
                self._forget(emptied)
            try:
                self.send()
            except self.dbapi_error as exc:
                last = exc  # (on PostgreSQL, the next _undo brings the rows back)
                continue
            self._done()
            if self.savepoint:  # the emptying stays now that the statement passed
                self._forget(emptied)
            held = held or [(key, counts.get(key, 0)) for key in targets]
            failure = Failure(error, held, kind)
            failure.beside = beside
            failure.updated = updated
            failure.copies = copies
            failure.told_apart = self.tried
            return failure
        if last is not None:
            self.tracker.stood.append(last)
            raise last
        return None

    def _without_made_up(self, tables: list[TableKey]) -> bool:
        """Delete seeding's rows of `tables` (and first of the seeded tables referencing
        them) and run the statement again: True when it passes on the rows the revisions
        wrote. When it fails there too, they break it (the caller goes on to the emptied
        tables); on PostgreSQL the savepoint then brings seeding's rows back, elsewhere
        they stay deleted and are made again after the revision."""
        tracker = self.tracker
        dialect = self.context.dialect
        deleted: list[TableKey] = []
        try:
            edges = rows.references(self.sql, dialect)
            wanted = set(tables)
            grown = True
            while grown:
                children = {c for c, p in edges if p in wanted and c in tracker.seeded}
                grown = not children <= wanted
                wanted |= children
            order = rows.children_first(wanted, edges)
            found = [tracker.own_rows.get(key) for key in order]
            deletions = [made.deletion(dialect) if made else None for made in found]
            if len(order) < len(wanted) or None in deletions:
                return False
            for key, sql in zip(order, deletions, strict=True):
                self.sql(str(sql))
                deleted.append(key)
            self.tried = True
            self.send()
        except self.dbapi_error:
            if not self.savepoint:
                tracker.forget_made_up(deleted)
            return False
        self._done()
        tracker.forget_made_up(deleted)
        return True

    def _made_up_nulled(self) -> bool:
        """Set the columns of seeding's rows of the constrained tables that no revision
        set to NULL (where they may be), the values revisions wrote kept, and run the
        statement again: True when it passes (NULL passes a foreign key, a CHECK and a
        unique constraint, so the made-up values broke it). When it fails there too, the
        revisions' values (or seeding's keys, or NOT NULL columns) break it: the caller
        deletes seeding's rows instead (where revisions only inserted rows) or goes on to
        the emptied tables; on PostgreSQL the savepoint brings seeding's values
        back, elsewhere they stay NULL until the tables are emptied and filled again."""
        tracker = self.tracker
        dialect = self.context.dialect
        try:
            for key in self.mixed:
                made = tracker.own_rows[key]
                present = self._columns(key)
                written = tracker.updated.get(key, set())
                names = [
                    name
                    for name in made.nullable
                    if name.lower() in present - written and name.lower() in self.named
                ]
                sql = made.nulling(dialect, names)
                if sql is None:  # nothing made up left to take away: not told apart
                    return False
                self.sql(sql)
            self.send()
        except self.dbapi_error:
            return False
        self._done()
        return True

    def _columns(self, key: TableKey) -> set[str]:
        """The table's columns now (lowercase names)."""
        return rows.columns(self.connection, self.context.dialect, key)

    def _empty(self, targets: Sequence[TableKey]) -> list[TableKey] | None:
        """Empty `targets` (and the seeded tables referencing them): the held tables
        emptied, those a batch has copied left out; None when they could not be."""
        tracker = self.tracker
        try:
            # Only tables seeding filled are emptied for referencing the targets: the
            # database's own tables (--allow-nonempty) and rows migrations wrote stay.
            mine = tracker.seeded | tracker.copies
            emptied = rows.empty(self.sql, self.context.dialect, targets, mine=mine)
        except self.dbapi_error:
            return None
        copied = self._copied(emptied)
        return [key for key in emptied if key in tracker.held and key not in copied]

    def _forget(self, emptied: list[TableKey]) -> None:
        """The tables emptied hold no rows of seeding's now: they get rows again later.
        Not before the emptying stays (on PostgreSQL the statement passed on them): a
        rollback to the savepoint brings their rows back, and seeding's there would then
        be taken for a revision's, left by --roundtrip's clearing without a word."""
        tracker = self.tracker
        for key in emptied:
            if key in tracker.held:
                tracker.reseed.add(key)
                tracker._release(key)

    def _copied(self, keys: Collection[TableKey]) -> set[TableKey]:
        """Of `keys`, the tables whose rows a batch has copied into its new table
        (`_alembic_tmp_<name>`, which takes the table's place once the batch drops it):
        emptied now, the table's rows seeding's and the revisions' still, in the copy."""
        if self.tracker.flushing is None:
            return set()
        existing = rows.tables(self.sql, self.context.dialect)
        copied = set()
        for key in keys:
            copy = (key[0], made_up.TEMPORARY + key[1])
            if copy in existing and self.sql(
                f"SELECT 1 FROM {rows.quote(self.context.dialect, copy)} LIMIT 1"
            ):
                copied.add(key)
        return copied


_EXCERPT = re.compile(r"^LINE (\d+): ", re.MULTILINE)


def _own_lines(error: BaseException) -> BaseException:
    """`error`, raised by the server on the query whose first line was check's
    savepoint, with the line numbers of its excerpt (libpq's `LINE n:`) counted in the
    statement alone, as the statement sent alone would have shown them."""
    if not error.args or not isinstance(error.args[0], str):
        return error
    text = error.args[0]
    match = _EXCERPT.search(text)
    if match is None or int(match.group(1)) < 2:
        return error
    number = int(match.group(1))
    label, own = f"LINE {number}: ", f"LINE {number - 1}: "
    # libpq lines the caret up under the excerpt, after the label: keep it there.
    lines = text.split("\n")
    at = lines.index(next(line for line in lines if line.startswith(label)))
    lines[at] = own + lines[at][len(label) :]
    if at + 1 < len(lines) and len(own) < len(label):
        lines[at + 1] = lines[at + 1][len(label) - len(own) :]
    error.args = ("\n".join(lines), *error.args[1:])
    return error


def describe(error: BaseException, statement: str) -> str:
    """The database's message and the statement, one line (as AG901 shows them)."""
    return one_line(error) + sql_tail(statement)


def parents_first(tables: dict[TableKey, sa.Table]) -> list[TableKey]:
    """The order to fill `tables` in: a table after those its NOT NULL foreign keys
    reference; a cycle is broken where a foreign key is nullable (it gets NULL)."""
    needs: dict[TableKey, set[TableKey]] = {}
    hard: dict[TableKey, set[TableKey]] = {}
    for key, table in tables.items():
        refs = [ref for ref in seed.references(table) if ref.parent in tables and ref.parent != key]
        needs[key] = {ref.parent for ref in refs}
        hard[key] = {ref.parent for ref in refs if not ref.nullable(table)}
    order: list[TableKey] = []
    pending = list(tables)
    while pending:
        ready = [k for k in pending if not needs[k] & set(pending)] or [
            k for k in pending if not hard[k] & set(pending)
        ]
        if not ready:  # NOT NULL references in a circle: fill in any order, some fail
            ready = pending[:1]
        order.append(ready[0])
        pending.remove(ready[0])
    return order


def recipe(operation: Any, batch: list[BatchCall] | None) -> str:
    """How to write the migration so it works on a table that holds rows."""
    prefix = "batch_op." if batch is not None else "op."
    if isinstance(operation, alembic_ops.AddColumnOp):
        table, column = operation.table_name, operation.column.name
        later = (
            f'{prefix}alter_column("{column}", nullable=False)'
            if batch is not None
            else f'op.alter_column("{table}", "{column}", nullable=False)'
        )
        return (
            f"add it with nullable=True, backfill it with "
            f'op.execute("UPDATE {table} SET {column} = ... WHERE {column} IS NULL"), then '
            f"{later} in a later revision; or give it a server_default"
        )
    if isinstance(operation, alembic_ops.AlterColumnOp):
        table, column = operation.table_name, operation.column_name
        if operation.modify_nullable is False:
            backfill = f'op.execute("UPDATE {table} SET {column} = ... WHERE {column} IS NULL")'
            if _added_in(batch, column):  # no UPDATE can fill it before the block ends
                return (
                    f'add "{column}" with nullable=True in a batch of its own, backfill it '
                    f'with {backfill}, then batch_op.alter_column("{column}", nullable=False) '
                    "in a later revision; or give it a server_default"
                )
            return f"{backfill} before the alter_column, in this revision or an earlier one"
        if operation.modify_type is not None:
            return (
                "convert the existing values first: add a new column, backfill it from the old "
                "one, then swap them; or give postgresql_using= a cast every row survives"
            )
    if isinstance(
        operation, alembic_ops.CreateUniqueConstraintOp | alembic_ops.CreatePrimaryKeyOp
    ) or (isinstance(operation, alembic_ops.CreateIndexOp) and operation.unique):
        return "remove or merge the duplicate rows before the constraint, in this revision"
    if isinstance(operation, alembic_ops.CreateForeignKeyOp):
        return "delete or repair the rows that reference nothing before adding the foreign key"
    if isinstance(operation, alembic_ops.CreateCheckConstraintOp):
        return "update the rows that break the constraint before adding it"
    return "make the revision work on the rows already there: backfill or convert them first"


def _added_in(batch: list[BatchCall] | None, column: str) -> bool:
    """Whether a call of `batch` adds `column`."""
    return any(
        isinstance(call.operation, alembic_ops.AddColumnOp) and call.operation.column.name == column
        for call in batch or []
    )


def _null_column(error: str) -> str | None:
    """The column (lowercase) a database's error says a NULL was refused in, if any."""
    for pattern in _NULL_COLUMN:
        match = pattern.search(error)
        if match is not None:
            return match.group(1).lower()
    return None


def _tightening(calls: list[BatchCall], column: str | None) -> BatchCall | None:
    """The last of a batch's calls that makes `column` NOT NULL (None: none does)."""
    found = [
        call
        for call in calls
        if call.line is not None
        and column in _columns(call.operation)
        and _makes_not_null(call.operation)
    ]
    return found[-1] if found else None


def _makes_not_null(operation: Any) -> bool:
    if isinstance(operation, alembic_ops.AddColumnOp):
        return operation.column.nullable is False
    return isinstance(operation, alembic_ops.AlterColumnOp) and operation.modify_nullable is False


def _columns(operation: Any) -> list[str]:
    names = []
    column = getattr(operation, "column", None)
    if isinstance(column, sa.Column):
        names.append(column.name)
    for attr in ("column_name", "new_column_name"):
        if isinstance(getattr(operation, attr, None), str):
            names.append(getattr(operation, attr))
    names += [c for c in getattr(operation, "columns", None) or [] if isinstance(c, str)]
    return [name.lower() for name in names]


def _run(conn: Connection) -> rows.Run:
    """A Run through SQLAlchemy (seeding's own statements, marked)."""

    def run(sql: str) -> list[tuple[Any, ...]]:
        result = conn.exec_driver_sql(sql, execution_options=seed.OPTIONS)
        return [tuple(row) for row in result] if result.returns_rows else []

    return run


# -- hooks into SQLAlchemy and alembic ---------------------------------------------------------


def _listen(tracker: Tracker, engine: Engine) -> None:
    def one(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return tracker.execute(cursor, statement, parameters, context, "one")

    def many(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return tracker.execute(cursor, statement, parameters, context, "many")

    def none(cursor: Any, statement: str, context: Any) -> bool:
        return tracker.execute(cursor, statement, None, context, "none")

    event.listen(engine, "do_execute", one)
    event.listen(engine, "do_executemany", many)
    event.listen(engine, "do_execute_no_params", none)


def _tracker_of(ops: Any) -> Tracker | None:
    observer = _OBSERVER
    context = getattr(ops, "migration_context", None)
    connection = getattr(context, "connection", None)
    if observer is None or connection is None:
        return None
    tracker = observer.tracker(connection.engine)
    return tracker if tracker is not None and tracker.step is not None else None


def _install(observer: Seeding) -> None:
    """Patch alembic's invoke (which op.* call runs, what create_table made) and follow
    its batches (check.attribute: which batch_op.* calls a batch's statements carry out)."""
    global _OBSERVER
    _OBSERVER = observer
    attribute.follow_batches(observer.attributor, _batch_runs)
    if getattr(AbstractOperations.invoke, "_alembic_gate_seeding", False):
        return
    invoke_original = AbstractOperations.invoke

    def invoke(self: AbstractOperations, operation: Any) -> Any:
        tracker = _tracker_of(self)
        if tracker is None:
            return invoke_original(self, operation)
        return tracker.invoke(invoke_original, self, operation)

    invoke._alembic_gate_seeding = True  # type: ignore[attr-defined]
    setattr(AbstractOperations, "invoke", invoke)  # noqa: B010 - patching a method


def _batch_runs(impl: BatchOperationsImpl, calls: list[BatchCall]) -> None:
    tracker = _tracker_of(impl.operations)
    if tracker is not None:
        tracker.batch_runs(impl, calls)
