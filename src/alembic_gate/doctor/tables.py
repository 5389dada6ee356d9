"""Which tables and columns a revision's upgrade() creates, drops and renames.

The calls come from `alembic_gate.history.operations` (the reader the lint rules use), read
from upgrade() and the module-level helpers it calls: `op.create_table` (with its
`sa.Column(...)` names), `op.drop_table`, `op.rename_table`, `op.add_column`,
`op.drop_column`, `op.alter_column(..., new_column_name=)`, the same on a
`with op.batch_alter_table(...) as batch_op` alias, and literal SQL given to
`.execute()` (`CREATE TABLE`, `DROP TABLE`, `ALTER TABLE ... RENAME/ADD/DROP`), read
here. Tables in another schema (`schema=`) are left out, since doctor compares the
default schema.

What cannot be read is recorded as `unknown` (an `op.execute()` of SQL built at run
time, a table name that is not a literal, an operation under `if`/`for`/`try`, a call
into code imported from the project or a library, also through an alias: the reader's
"foreign" steps), so a comparison that depends on it is never presented as certain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from alembic_gate.history.operations import UNKNOWN, Call, read_operations
from alembic_gate.shared.records import record

ChangeKind = Literal["create", "drop", "rename", "add_column", "drop_column", "rename_column"]

# The `op.*` methods read here; on a batch_alter_table alias, only the column ones.
_OPERATIONS = frozenset(
    {"create_table", "drop_table", "rename_table", "add_column", "drop_column", "alter_column"}
)
# The `op.*` methods that make, drop or rename a table (the others need it to exist).
_TABLE_OPERATIONS = frozenset({"create_table", "drop_table", "rename_table"})
_BATCH_OPERATIONS = frozenset({"add_column", "drop_column", "alter_column"})
_SQL_METHODS = frozenset({"execute", "exec_driver_sql"})
_METADATA_METHODS = frozenset({"create_all", "drop_all"})
_NAME = r"(?:\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|[\w$]+)"
_QUALIFIED = rf"({_NAME}(?:\s*\.\s*{_NAME})?)"
_SQL_PATTERNS: tuple[tuple[ChangeKind, str], ...] = (
    ("create", rf"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}"),
    ("drop", rf"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}"),
    (
        "rename",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+RENAME\s+TO\s+{_QUALIFIED}",
    ),
    (
        "rename_column",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+RENAME\s+(?:COLUMN\s+)?"
        rf"(?!TO\b){_QUALIFIED}\s+TO\s+{_QUALIFIED}",
    ),
    (
        "add_column",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+ADD\s+(?:COLUMN\s+)?"
        rf"(?:IF\s+NOT\s+EXISTS\s+)?(?!CONSTRAINT\b|PRIMARY\b|FOREIGN\b|UNIQUE\b|CHECK\b|"
        rf"INDEX\b|KEY\b){_QUALIFIED}",
    ),
    (
        "drop_column",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+DROP\s+(?:COLUMN\s+)?"
        rf"(?:IF\s+EXISTS\s+)?(?!CONSTRAINT\b|PRIMARY\b|FOREIGN\b|INDEX\b|KEY\b|DEFAULT\b|"
        rf"NOT\b){_QUALIFIED}",
    ),
)
_SQL_RULES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _SQL_PATTERNS)
_TABLE_DDL = re.compile(r"\b(?:CREATE|DROP|ALTER)\s+(?:\w+\s+)?TABLE\b", re.IGNORECASE)
_IF_NOT_EXISTS = re.compile(r"\bIF\s+NOT\s+EXISTS\b", re.IGNORECASE)


@record(frozen=True)
class Change:
    """One change to the default schema's tables, names in lower case."""

    kind: ChangeKind
    table: str
    # add_column / drop_column / rename_column: the column; rename_column: its old name.
    column: str | None = None
    # rename / rename_column: the new name.
    new_name: str | None = None
    # create: the columns, or None when some are not literal.
    columns: frozenset[str] | None = None
    # create / add_column: skipped where the table or column exists (`if_not_exists=True`,
    # `IF NOT EXISTS`), so finding it there says nothing of whether it ran.
    guarded: bool = False


@record(frozen=True)
class TableChanges:
    """What one revision's upgrade() does to tables, as far as `ast` can tell."""

    changes: tuple[Change, ...] = ()
    # Why the list may be incomplete: "line 12: op.execute() of SQL built at run time".
    unknown: tuple[str, ...] = ()
    # The first line of the module docstring (alembic's `-m` message).
    message: str | None = None
    # Tables the other calls name (create_index, constraints, alter_column, a
    # batch_alter_table, a backfill ...), lower case: they must exist when it runs.
    touched: tuple[str, ...] = ()
    # The dialects upgrade() branches on (`if dialect.name == "postgresql":`), sorted.
    dialects: tuple[str, ...] = ()


def read_table_changes(path: Path) -> TableChanges:
    """The table changes of the revision file at `path`; never raises."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        return TableChanges(unknown=(f"cannot read the file: {exc}",))
    # The multi-database template's upgrade_<name>() change other databases.
    ops = read_operations(source, multidb=False)
    if ops.problem is not None:
        return TableChanges(unknown=(f"cannot read the file: {ops.problem}",), message=ops.message)
    if ops.upgrade.line is None:
        return TableChanges(unknown=("no upgrade() function",), message=ops.message)
    changes: list[Change] = []
    unknown: list[str] = []
    touched: dict[str, None] = {}
    for call in ops.upgrade.steps:
        for found in _read(call):
            if isinstance(found, str):
                unknown.append(found)
            else:
                changes.append(found)
        if call.table and _needs_table(call):
            touched.setdefault(call.table.lower())
    dialects = sorted({d for call in ops.upgrade.steps for d in call.dialects or ()})
    # (a call read once per item of a literal loop, or in two scopes, is said once)
    reasons = tuple(dict.fromkeys(unknown))
    return TableChanges(tuple(changes), reasons, ops.message, tuple(touched), tuple(dialects))


def _needs_table(call: Call) -> bool:
    """Whether `call` surely runs on a table of the default schema that exists."""
    return call.name not in _TABLE_OPERATIONS and not call.conditional and call.schema is None


def _read(call: Call) -> Iterator[Change | str]:
    """The changes `call` makes, or (as text) why they cannot be read."""
    if call.sql is not None and call.name not in _SQL_METHODS:
        return  # DDL the lint rules read from SQL: read here from its execute() (`_sql`)
    if call.batch:
        if call.name in _BATCH_OPERATIONS:
            yield from _operation(call)
    elif call.name in _OPERATIONS:
        yield from _operation(call)
    elif call.name in _SQL_METHODS:
        yield from _sql(call)
    elif call.name in _METADATA_METHODS:
        yield f"line {call.line}: {call.name}() changes tables it does not name"
    elif call.name == "foreign" and call.foreign is not None:
        yield _foreign(call.line, *call.foreign)


def _foreign(line: int, shown: str, meant: str, module: str) -> str:
    """`line 9: upgrade() calls helper() (util.add_col from myapp), which doctor does
    not read`."""
    called = f"{shown}() from {module}" if meant == shown else f"{shown}() ({meant} from {module})"
    return f"line {line}: upgrade() calls {called}, which doctor does not read"


def _operation(call: Call) -> Iterator[Change | str]:
    if call.schema is not None:
        return
    label = f"line {call.line}: {call.receiver}.{call.name}()"
    if call.conditional:
        yield f"{label} runs inside if/for/while/try"
        return
    change = _change(call)
    if change is None:
        yield f"{label} names a table or column that is not a literal"
    elif change.kind != "rename_column" or change.new_name:
        yield change


def _change(call: Call) -> Change | None:
    table = _lower(call.table)
    if call.name == "rename_table":
        new = _lower(call.new_table)
        return Change("rename", table, new_name=new) if table and new else None
    if table is None:
        return None
    guarded = call.options.get("if_not_exists", False) is not False
    if call.name == "create_table":
        columns = None if call.columns is None else frozenset(map(str.lower, call.columns))
        return Change("create", table, columns=columns, guarded=guarded)
    if call.name == "drop_table":
        return Change("drop", table)
    column = _lower(call.column)
    if call.name == "add_column":
        return Change("add_column", table, column, guarded=guarded) if column else None
    if column is None:
        return None
    if call.name == "drop_column":
        return Change("drop_column", table, column)
    if "new_column_name" not in call.options:
        return Change("rename_column", table, column)  # not a rename: dropped by the caller
    new = _lower(call.new_column_name)
    return Change("rename_column", table, column, new_name=new) if new else None


def _sql(call: Call) -> Iterator[Change | str]:
    where = f"line {call.line}"
    if call.sql is UNKNOWN:
        yield f"{where}: execute() of SQL built at run time"
    if not isinstance(call.sql, str):
        return
    changes = list(_sql_changes(call.sql))
    if None in changes:
        yield f"{where}: SQL changes a table doctor cannot follow"
    elif changes and call.conditional:
        yield f"{where}: SQL that changes tables runs inside if/for/while/try"
    else:
        yield from (c for c in changes if c is not None)


def already_there(changes: TableChanges, tables: Mapping[str, frozenset[str]]) -> list[str]:
    """What of the tables and columns `changes` make the live `tables` already hold
    ("table orders", "column users.email"): made by an earlier run of the revision that
    failed half-way, or by hand; either way its upgrade fails on them. Not those made
    only where missing (`if_not_exists`), nor a table it dropped first."""
    found: list[str] = []
    made: set[str] = set()
    for change in changes.changes:
        if change.kind == "drop":
            made.add(change.table)  # dropped first: creating it again is no clash
        if change.guarded or change.table in made:
            continue
        if change.kind == "create":
            made.add(change.table)
            if change.table in tables:
                found.append(f"table {change.table}")
        elif change.kind == "add_column" and change.column in tables.get(change.table, ()):
            found.append(f"column {change.table}.{change.column}")
    return found


def _lower(name: str | None) -> str | None:
    return None if name is None else name.lower()


def _sql_changes(text: str) -> Iterator[Change | None]:
    """The table changes in literal SQL; None for one that cannot be followed."""
    for statement in text.split(";"):
        if not _TABLE_DDL.search(statement):
            continue
        for kind, pattern in _SQL_RULES:
            match = pattern.search(statement)
            if match is None:
                continue
            names = [_sql_name(group) for group in match.groups()]
            guarded = _IF_NOT_EXISTS.search(match.group()) is not None
            if None in names:
                yield None
            elif kind == "create":
                yield Change(kind, str(names[0]), guarded=guarded)
            elif kind == "drop":
                yield Change(kind, str(names[0]))
            elif kind == "rename":
                yield Change(kind, str(names[0]), new_name=names[1])
            elif kind == "rename_column":
                yield Change(kind, str(names[0]), names[1], new_name=names[2])
            else:
                yield Change(kind, str(names[0]), names[1], guarded=guarded)
            break


def _sql_name(text: str) -> str | None:
    """An unqualified SQL name, unquoted and lower case; None for `schema.table`."""
    parts = re.findall(_NAME, text)
    return parts[0].strip('"`[]').lower() if len(parts) == 1 else None
