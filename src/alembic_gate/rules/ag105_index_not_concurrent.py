"""AG105: `create_index` on PostgreSQL without CONCURRENTLY inside an autocommit block,
and `create_unique_constraint` / `create_primary_key` / `create_exclude_constraint` on an
existing table (PostgreSQL builds their index under ACCESS EXCLUSIVE).

SQL run by execute() that creates an index (`CREATE INDEX ... ON t`) is read as the call it
stands for, CONCURRENTLY as `postgresql_concurrently=True`. Only where the index can be built
on PostgreSQL: not in a branch for another dialect
(`if op.get_bind().dialect.name == "sqlite":`), not in a versions folder named after
another dialect, and not in a history that names other databases but never
PostgreSQL, unless the project's dependency files name a PostgreSQL driver and no other
database's (a project that moved: medium confidence). A revision committed before the
project named PostgreSQL anywhere in its files, where it names it now, is reported with
low confidence (a project that moved later ran it on empty tables on PostgreSQL). A
history that names no database is judged by what the project's dotenv and Compose files
name, where they name one database and its dependency files no driver of another: not
reported for SQLite, as PostgreSQL's for PostgreSQL; where they do not, with medium
confidence. Not for tables this revision creates or empties. A `postgresql_concurrently=`
given a value known only at run time (an opt-in read from the environment) is reported
with medium confidence, naming both outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import UNKNOWN, Call
from alembic_gate.rules.ag1xx import (
    POSTGRESQL,
    Checked,
    as_written,
    column_of,
    each_revision,
    name_confidence,
    runs_wherever,
    suppress_hint,
    table_of,
)

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from alembic_gate.findings import Confidence

RULE = rule("AG105")
_OPTION = "postgresql_concurrently"
# The drivers that begin a new transaction after a COMMIT sent as SQL (measured).
_NEW_TRANSACTION = frozenset({"psycopg", "pg8000"})
_DRIVER_NAMES = {"psycopg": "psycopg 3", "pg8000": "pg8000"}
_UNKNOWN_DRIVER = (
    "psycopg 3 (SQLAlchemy 2.1's driver for `postgresql://`) and pg8000 (psycopg2 and "
    "asyncpg do not; neither the setup nor the project's dependency files name the driver)"
)


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass)."""
    for call in checked.calls:
        if not _builds_index(call):
            continue
        if checked.is_new_table(call.table, call, rows=False) or checked.emptied(call):
            continue
        if checked.empty_when_reached(call):
            continue
        dialects, certain = checked.dialects(call)
        if dialects is None:
            dialects = _settings_dialect(checked)  # (SQLite, MySQL: not moved, left alone)
        moved = False
        if dialects is not None and POSTGRESQL not in dialects:
            if certain or not _moved_to_postgresql(checked):
                continue
            moved = True
        judged = _judged(checked, call)
        if judged is None:
            continue
        message, fix, confidence = judged
        key = message  # (no dialect note, nor the lock held before)
        message += _held_before(checked, call)
        if dialects is None:
            confidence = "medium"  # nothing says the history runs on PostgreSQL
            message += " (if this history runs on PostgreSQL)"
        elif moved:
            confidence = "medium"
            message += f" (if this history runs on PostgreSQL now: {_MOVED})"
        if checked.history().ran_before_postgresql(checked.rid):
            confidence = "low"
            message += f" ({_BEFORE_POSTGRESQL})"
        yield checked.finding(RULE, call.line, message, fix, confidence, key)


_MOVED = "its revisions name other databases only, its dependencies a PostgreSQL driver only"
# Said of a revision committed before the project named PostgreSQL anywhere
# (`Knowledge.ran_before_postgresql`): a project that moved to it later ran it on rows of
# another database only; one that ran on PostgreSQL without naming it (Hasjob's URL
# came from the deployment) did not.
_BEFORE_POSTGRESQL = (
    "committed before any file of the project named PostgreSQL: where the project ran on "
    "another database then, every PostgreSQL database ran this revision on a new, empty "
    "table"
)


def _held_before(checked: Checked, call: Call) -> str:
    """A note for a CREATE INDEX without CONCURRENTLY in the migration's transaction,
    where an earlier operation of the same transaction took ACCESS EXCLUSIVE on the
    table (o²S²PARC's DROP INDEX on `projects`, then its CREATE INDEX; an ADD COLUMN
    and the index on it): the lock is held until the transaction commits, so reads
    wait for the build too, not only writes. Not after a COMMIT run as SQL (the lock
    is released), nor for an operation that may not run (under an if, a loop or a try,
    or in a branch for other databases)."""
    if call.name != "create_index" or call.autocommit or call.options.get(_OPTION):
        return ""
    table = (call.table or "").lower()
    if not table:
        return ""
    for earlier in reversed(checked.before(call)):
        if earlier.name == "commit":
            return ""
        if (earlier.table or "").lower() != table or earlier.name not in _EXCLUSIVE:
            continue
        if earlier.autocommit or earlier.conditional or not runs_wherever(earlier, call):
            continue
        if earlier.name == "alter_column" and set(earlier.options) <= _COMMENT_ONLY:
            continue
        if earlier.name == "drop_index" and earlier.options.get(_OPTION):
            continue  # DROP INDEX CONCURRENTLY: SHARE UPDATE EXCLUSIVE
        how = as_written(earlier, _EXCLUSIVE[earlier.name], f"{earlier.receiver}.{earlier.name}")
        return (
            f"; the {how} at line {earlier.line} already holds ACCESS EXCLUSIVE on the table "
            "in the migration's transaction, so every read waits too"
        )
    return ""


# alter_column keywords that change nothing a lock is taken for (COMMENT ON COLUMN takes
# SHARE UPDATE EXCLUSIVE; the others only describe the column).
_COMMENT_ONLY = frozenset(
    {
        "comment",
        "existing_comment",
        "existing_type",
        "existing_nullable",
        "existing_server_default",
        "schema",
    }
)


def _moved_to_postgresql(checked: Checked) -> bool:
    """Whether a history that names other databases only (never PostgreSQL) belongs to a
    project whose dependency files name a PostgreSQL driver and no other database's: a
    project that moved to PostgreSQL (LVFS left MySQL in 2020 and kept building plain
    indexes on its tables)."""
    return checked.history().depended_dialects() == {POSTGRESQL}


def _settings_dialect(checked: Checked) -> frozenset[str] | None:
    """For a history that names no database, the one database the project's own settings
    (dotenv and Compose files) name, where its dependency files name no driver of another
    one: Ambuda's `.flaskenv` and `.env.docker` set `sqlite:///` URLs and its dependencies
    name no driver (SQLite: not reported); SpaceDock's `.env` and Compose files name
    PostgreSQL only (reported as PostgreSQL's, with the confidence of the finding). None
    where the settings name none, or several."""
    history = checked.history()
    configured = history.configured_dialects()
    if len(configured) != 1 or not history.depended_dialects() <= configured:
        return None
    return configured


def _builds_index(call: Call) -> bool:
    """create_index, a constraint built on a unique index, or add_column of a column
    with `index=True` or `unique=True` (`Call.keywords_text`), which alembic builds."""
    if call.name == "add_column":
        return bool(call.keywords_text)
    return call.name == "create_index" or call.name in _CONSTRAINTS


def _judged(checked: Checked, call: Call) -> tuple[str, str, Confidence] | None:
    if call.name == "create_index":
        return _index(checked, call)
    if call.name == "add_column":
        return _with_column(call)
    return _constraint(call)


def _with_column(call: Call) -> tuple[str, str, Confidence]:
    """add_column of a column with `index=True` (and maybe `unique=True`) or only
    `unique=True`: alembic builds the index (adds the unique constraint) right after ADD
    COLUMN; in the migration's transaction ADD COLUMN's ACCESS EXCLUSIVE is still held."""
    if call.sql is not None:
        return _with_column_in_sql(call)
    given = dict(call.keywords_text)
    unique = "unique" in given
    flags = ", ".join(f"{name}=True" for name in given)
    how = f"{call.receiver}.add_column adds {column_of(call)} with {flags}"
    if "index" not in given:
        built = "adds a UNIQUE constraint right after ADD COLUMN, and PostgreSQL builds its index"
        waits = "while it holds ACCESS EXCLUSIVE on the table: every read and write waits"
    else:
        built = f"runs CREATE {'UNIQUE ' if unique else ''}INDEX right after ADD COLUMN"
        waits = (
            "which blocks every write to the table"
            if call.autocommit
            else (
                "in the migration's transaction, which still holds ADD COLUMN's ACCESS "
                "EXCLUSIVE on the table: every read and write waits"
            )
        )
    message = f"{how}: alembic {built} {waits} until the index is built"
    fix = f"add the column without {flags}, then build the index concurrently: " + _built_apart(
        call, unique, constraint="index" not in given
    )
    return message, fix, name_confidence(call.table, call.column)


def _with_column_in_sql(call: Call) -> tuple[str, str, Confidence]:
    """`ALTER TABLE t ADD COLUMN c ... UNIQUE` run as SQL: PostgreSQL builds the unique
    index in the same statement, under its ACCESS EXCLUSIVE."""
    how = as_written(call, "ADD COLUMN ... UNIQUE", "add_column")
    message = (
        f"{how} adds {column_of(call)} with a UNIQUE constraint: "
        "PostgreSQL builds its index while it holds ACCESS EXCLUSIVE on the table: every "
        "read and write waits until the index is built"
    )
    fix = "add the column without UNIQUE, build the index concurrently: " + _built_apart(
        call, unique=True, constraint=True
    )
    return message, fix, name_confidence(call.table, call.column)


def _built_apart(call: Call, unique: bool, constraint: bool) -> str:
    """The fix's index on the added column built concurrently in an autocommit block,
    and, for a UNIQUE constraint, the constraint then made from it."""
    table, name = call.table or "t", call.column or "c"
    index = (
        f'op.create_index("ix_{table}_{name}", "{table}", ["{name}"], '
        f"{'unique=True, ' if unique else ''}postgresql_concurrently=True)"
    )
    fix = f"with op.get_context().autocommit_block(): {index}"
    if constraint:
        fix += (
            f'; then op.execute("ALTER TABLE {table} ADD CONSTRAINT c UNIQUE USING INDEX '
            f'ix_{table}_{name}")'
        )
    return fix


def _index(checked: Checked, call: Call) -> tuple[str, str, Confidence] | None:
    """What is wrong with a `create_index` on a table that exists, its fix and the
    confidence; None when nothing is."""
    committed = _committed(checked, call)
    message = _message(call, None if committed is None else committed[0])
    if message is None:
        return None
    confidence = name_confidence(call.table)
    if call.options.get(_OPTION) is UNKNOWN and confidence == "high":
        confidence = "medium"  # the run-time value decides which hazard it is
    if committed is not None and committed[1] != "high" and confidence == "high":
        confidence = committed[1]
    return message, _fix(call), confidence


# Constraints PostgreSQL enforces with a unique index it builds under ACCESS EXCLUSIVE.
_CONSTRAINTS = frozenset(
    {"create_unique_constraint", "create_primary_key", "create_exclude_constraint"}
)
_KINDS = {
    "create_primary_key": ("primary key", "ADD PRIMARY KEY"),
    "create_unique_constraint": ("unique constraint", "ADD UNIQUE"),
    "create_exclude_constraint": ("exclusion constraint", "ADD EXCLUDE"),
}

# Operations on a table that take ACCESS EXCLUSIVE on it in PostgreSQL, held until the
# transaction ends (alter_column: unless it only sets a comment), with the words of
# their SQL (`_held_before`); the constraints whose index AG105 reports, as `_KINDS` says.
_EXCLUSIVE = {
    "add_column": "ADD COLUMN",
    "drop_column": "DROP COLUMN",
    "alter_column": "ALTER COLUMN",
    "drop_index": "DROP INDEX",
    "drop_constraint": "DROP CONSTRAINT",
    "create_check_constraint": "ADD CONSTRAINT",
    **{name: sql for name, (_, sql) in _KINDS.items()},
}


def _constraint(call: Call) -> tuple[str, str, Confidence]:
    """A UNIQUE, PRIMARY KEY or EXCLUDE constraint added to a table that exists:
    PostgreSQL builds its index under ACCESS EXCLUSIVE (reads wait too), and no option
    makes the call build it concurrently (an exclusion constraint's, nothing does)."""
    kind, sql = _KINDS[call.name]
    how = as_written(call, sql, f"{call.receiver}.{call.name}")
    article = "an" if kind[0] == "e" else "a"
    message = (
        f"{how} adds {article} {kind} to {table_of(call)}, and PostgreSQL builds its "
        "index while it holds ACCESS EXCLUSIVE on the table: every read and write waits "
        "until the index is built"
    )
    if kind == "exclusion constraint":
        fix = (
            "PostgreSQL cannot build an exclusion constraint's index concurrently: add it "
            "while the table is small or in a maintenance window; if the table is known to "
            f"stay small, add `{suppress_hint(RULE.code)}`"
        )
        return message, fix, name_confidence(call.table)
    fix = (
        'with op.get_context().autocommit_block(): op.execute("CREATE UNIQUE INDEX '
        'CONCURRENTLY ix ON t (...)"); then op.execute("ALTER TABLE t ADD CONSTRAINT c '
        f'{"PRIMARY KEY" if kind == "primary key" else "UNIQUE"} USING INDEX ix")'
    )
    return message, fix, name_confidence(call.table)


def _committed(checked: Checked, call: Call) -> tuple[str, Confidence] | None:
    """After a COMMIT run as SQL earlier in upgrade() (hypothesis/h's `op.execute("COMMIT")`
    before its concurrent indexes), what the driver makes of it (measured on PostgreSQL
    15): psycopg2 and asyncpg do not see a COMMIT sent as SQL and begin no new
    transaction, so the rest runs outside one ("" here: nothing to report); psycopg 3 and
    pg8000 begin a new one (why, and the confidence). The drivers are those the setup's
    URLs name, else those the project's dependency files name; None without a COMMIT."""
    if not any(c.name == "commit" for c in checked.before(call)):
        return None
    history = checked.history()
    named = history.drivers()
    if named:
        fresh = named & _NEW_TRANSACTION
        return (f"{_listed(fresh)} (named in the setup's URL)", "high") if fresh else ("", "high")
    depended = history.depended_drivers()
    fresh = depended & _NEW_TRANSACTION
    if fresh:
        return f"{_listed(fresh)} (which the project depends on)", "medium"
    if depended:
        return "", "high"
    return _UNKNOWN_DRIVER, "low"


def _listed(drivers: frozenset[str]) -> str:
    return " and ".join(_DRIVER_NAMES[d] for d in sorted(drivers))


def _message(call: Call, committed: str | None = None) -> str | None:
    """What is wrong with the index `call` builds; None when it is built concurrently
    in an autocommit block, or after a COMMIT with a driver that then runs it outside
    a transaction (`committed` "": see `_committed`)."""
    concurrently = call.options.get(_OPTION, False)
    sql = call.sql is not None  # CREATE INDEX written as SQL
    if concurrently is UNKNOWN:
        return _chosen_at_run_time(call)
    if concurrently is False or concurrently is None:
        how = as_written(call, "CREATE INDEX", "create_index")
        missing = "CONCURRENTLY" if sql else f"{_OPTION}=True"
        return (
            f"{how} builds an index on {table_of(call)} without {missing}: "
            "CREATE INDEX blocks every write to the table until the index is built"
        )
    if not call.autocommit and committed:
        how = as_written(call, "CREATE INDEX CONCURRENTLY", "create_index")
        given = "" if sql else f" with {_OPTION}=True"
        return (
            f"{how}{given} on {table_of(call)} runs after a COMMIT run as SQL, "
            f"which {committed} follow with a new transaction, where PostgreSQL refuses "
            "CREATE INDEX CONCURRENTLY"
        )
    if not call.autocommit and committed is None:
        how = as_written(call, "CREATE INDEX CONCURRENTLY", "create_index")
        given = "" if sql else f" with {_OPTION}=True"
        return (
            f"{how}{given} on {table_of(call)} runs inside the migration's "
            "transaction, where PostgreSQL refuses CREATE INDEX CONCURRENTLY"
        )
    return None


def _chosen_at_run_time(call: Call) -> str:
    """`postgresql_concurrently=<a value known at run time>` (Phoenix's opt-in from the
    environment): plain when it is false; when true, refused inside the transaction."""
    how = as_written(call, "CREATE INDEX", "create_index")
    message = (
        f"{how} builds an index on {table_of(call)} without CONCURRENTLY unless "
        f"{_OPTION} (a value known only at run time) is true: CREATE INDEX blocks every "
        "write to the table until the index is built"
    )
    if call.autocommit:
        return message
    return message + (
        "; a concurrent build needs the connection in autocommit, which PostgreSQL "
        "otherwise refuses inside the migration's transaction"
    )


def _fix(call: Call) -> str:
    """The call rewritten as `op.create_index(..., postgresql_concurrently=True)` inside
    an autocommit block (batch_op's form gains the table name)."""
    if call.sql is not None:
        return (
            'with op.get_context().autocommit_block(): op.execute("CREATE INDEX CONCURRENTLY ...")'
        )
    statement = "op.create_index(..., postgresql_concurrently=True)"
    written = call.args_text or call.keywords_text
    if written and not (call.batch and call.table is None):
        args = list(call.args_text)
        if call.batch:
            args.insert(1, repr(call.table))
        keywords = [f"{name}={value}" for name, value in call.keywords_text if name != _OPTION]
        keywords.append(f"{_OPTION}=True")
        statement = f"op.create_index({', '.join([*args, *keywords])})"
    return f"with op.get_context().autocommit_block(): {statement}"


check = each_revision(check_revision)
