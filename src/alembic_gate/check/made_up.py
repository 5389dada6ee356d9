"""Constraints added over values seeding made up: told apart from real hazards.

Runs in the worker, for check.seeding. A foreign key, a unique or primary key, or a
CHECK constraint added over columns whose values seeding made up fails or passes by
those values (users.org_id 2, 3, 4 against orgs' ids 1, 2, 3; booleans true, NULL,
true): that is no measurement of the migration, since real rows may well satisfy it.
It is one only where the rows' values are the migrations' own: rows a revision wrote,
a column a revision filled with its default. So seeding keeps, per table, whether a
revision wrote values into it since seeding filled it (`written_names`), and a
constraint's violation on a table that holds only seeding's values is noted, not
reported as AG904.

A table may hold both: the rows seeding made up and rows a revision added beside them
(`inserted_into`: a plain INSERT, which leaves the made-up rows as they were). Seeding
knows its own rows there by their primary keys (read before and after it fills the
table), so the constraint is measured again with their made-up values NULL (below), or,
where NULL cannot take them away (a key), without them: where it passes on the rows the
revisions wrote, only made-up values broke it (a note); where it still fails, the
revisions' rows break it (AG904).

A revision may also have set columns of the made-up rows (`updated_columns`: an UPDATE's SET
columns): their other columns still hold seeding's values. The constraint is then
measured again with those set to NULL in seeding's rows (`Rows.nulling`), the values the
revisions wrote kept: NULL passes a foreign key, a CHECK and a unique constraint, so where
it still fails the revisions' values break it (AG904), and where it passes it failed on
the made-up ones (a note).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops as alembic_ops
from sqlalchemy.engine import Dialect

# What each database says when rows break a constraint being added: SQLSTATE
# (PostgreSQL), error number (MySQL, MariaDB), message (SQLite).
_SQLSTATES = {"23503": "foreign key", "23505": "unique", "23514": "check"}
_ERRNOS = {1452: "foreign key", 1062: "unique", 3819: "check", 4025: "check"}
_SQLITE = re.compile(r"^(FOREIGN KEY|UNIQUE|CHECK) constraint failed", re.IGNORECASE)

# An SQL name, bare or quoted ("", ``, []); check.renames reads names with it too.
NAME = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"({NAME}(?:\s*\.\s*{NAME})?)"
_ALTER_ADD = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+(?:ADD\s+"
    r"(?:CONSTRAINT\s+\S+\s+)?(?:FOREIGN|UNIQUE|PRIMARY|CHECK)|VALIDATE\s+CONSTRAINT)\b",
    re.IGNORECASE,
)
_UNIQUE_INDEX = re.compile(
    r"^\s*CREATE\s+UNIQUE\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?:{NAME}\s+)?ON\s+(?:ONLY\s+)?{_QUALIFIED}",
    re.IGNORECASE,
)
# A batch's copy of a table into the new one (SQLite; recreate="always" elsewhere).
_COPY = re.compile(rf"^\s*INSERT\s+INTO\s+{_QUALIFIED}\s*\(", re.IGNORECASE)
_INSERT = re.compile(
    rf"^\s*(?:INSERT|REPLACE)\b(?:\s+(?:OR\s+\w+|IGNORE|LOW_PRIORITY|DELAYED))*\s+INTO\s+{_QUALIFIED}",
    re.IGNORECASE,
)
_UPSERT = re.compile(r"\bON\s+(?:CONFLICT|DUPLICATE\s+KEY)\b", re.IGNORECASE)
_WRITES = re.compile(r"^\s*(?:UPDATE|MERGE|COPY|LOAD|UPSERT)\b", re.IGNORECASE)
# What makes an ALTER TABLE put values of its own into existing rows: a column's default,
# a conversion, NOT NULL (MySQL turns NULL into 0 or ''), a generated column.
_SETS_VALUES = re.compile(
    r"\bDEFAULT\b|\bUSING\b|\bNOT\s+NULL\b|\bGENERATED\b|\bIDENTITY\b|\bAUTO_INCREMENT\b"
    r"|\bSERIAL\b|\bAS\s*\(",
    re.IGNORECASE,
)
# ... and what only says so in its words: defaults for rows to come, a relaxed NULL, a
# foreign key's ON DELETE SET DEFAULT.
_KEEPS_VALUES = re.compile(r"\b(?:SET|DROP)\s+(?:DEFAULT|NOT\s+NULL)\b", re.IGNORECASE)
TEMPORARY = "_alembic_tmp_"
# A PostgreSQL DO block, as idempotent migrations wrap a statement in one: `DO $$ BEGIN IF
# NOT EXISTS (SELECT 1 FROM pg_constraint ...) THEN ALTER TABLE t ADD CONSTRAINT ...; END
# IF; END $$`; and the control flow around the statements it runs.
_DO = re.compile(r"^\s*DO\s+(?:LANGUAGE\s+\w+\s+)?(\$\w*\$)(.*)\1", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(
    r"^\s*(?:BEGIN\b|END\s+IF\b|END\b|ELSE\b|NULL\s*$"
    r"|(?:IF|ELSIF|EXCEPTION\s+WHEN|WHEN)\b.*?\bTHEN\b)",
    re.IGNORECASE | re.DOTALL,
)


def violation(error: BaseException) -> str | None:
    """The kind of constraint rows broke, when `error` (a DBAPI error) says so: "foreign
    key", "unique" or "check"; None for anything else (a NULL refused, a failed cast)."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int):  # MySQL's number (its SQLSTATE is 23000 for all)
        return _ERRNOS.get(args[0])
    state = sqlstate(error)
    if state is not None:
        return _SQLSTATES.get(state)
    match = _SQLITE.match(str(error))
    return match.group(1).lower() if match else None


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL driver's error: psycopg's `sqlstate`, psycopg2's
    `pgcode`, asyncpg's `sqlstate`, or the 'C' field of the dict pg8000 gives as its
    one argument; None where there is none."""
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    args = getattr(error, "args", ())
    if state is None and args and isinstance(args[0], dict):
        state = args[0].get("C")
    return state if isinstance(state, str) else None


# Errors no row can cause: the schema's or the statement's own (a column, table or index
# that is not there or is already, a type that cannot be cast, a syntax error). PostgreSQL:
# SQLSTATE class 42 and dependent_objects_still_exist; MySQL's and MariaDB's numbers;
# SQLite's messages.
_SCHEMA_ERRNOS = frozenset({1050, 1054, 1060, 1061, 1064, 1091, 1146, 1553})
_SQLITE_SCHEMA = re.compile(
    r"^(?:no such (?:table|column|index)|near .*: syntax error|table .* already exists"
    r"|duplicate column name|index .* already exists)",
    re.IGNORECASE,
)


def schema_error(error: BaseException) -> bool:
    """Whether `error` (a DBAPI error) is one no row can cause: it fails on empty tables
    as on full ones (`column "period" cannot be cast automatically to type interval`)."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _SCHEMA_ERRNOS
    state = sqlstate(error)
    if state is not None:
        return state.startswith("42") or state == "2BP01"
    return _SQLITE_SCHEMA.match(str(error)) is not None


def _last(qualified: str) -> str:
    name = re.split(r"\s*\.\s*", qualified)[-1]
    if name[:1] in '"`[':
        name = name[1:-1]
    return name.lower()


def constrained(statement: str, copying: bool) -> str | None:
    """The table (lowercase name) whose rows `statement` checks against a constraint it
    adds, when it puts no values of its own into them; `copying`: a batch copies a
    table now (the INSERT into its new table is checked, by the original's name); the
    one statement of a DO block is read as that statement."""
    inner = block_statements(statement)
    if inner is not None:
        return constrained(inner[0], copying) if len(inner) == 1 else None
    if sets_values(statement):
        return None
    for pattern in (_ALTER_ADD, _UNIQUE_INDEX):
        match = pattern.match(statement)
        if match:
            return _last(match.group(1))
    match = _COPY.match(statement) if copying else None
    if match and _last(match.group(1)).startswith(TEMPORARY):
        return _last(match.group(1))[len(TEMPORARY) :]
    return None


def sets_values(statement: str) -> bool:
    """Whether an ALTER TABLE puts values of its own into the rows already there."""
    if not re.match(r"^\s*ALTER\s+TABLE\b", statement, re.IGNORECASE):
        return False
    return _SETS_VALUES.search(_KEEPS_VALUES.sub("", statement)) is not None


def written_names(statement: str, head: str, words: Iterable[str]) -> set[str]:
    """The tables (lowercase names; `words` are the statement's) whose rows get values
    of the migration's own from `statement`. A batch's copy into its new table copies
    values: it writes none of its own. A DO block that writes with any of its statements
    counts as writing every table it names."""
    inner = block_statements(statement)
    if inner is not None:
        writes = any(written_names(part, head, words) for part in inner)
        return {_original(word) for word in words} if writes else set()
    at, modifies = _main(statement)
    if modifies:  # a WITH clause that writes rows itself: any table it names
        return {_original(word) for word in words}
    statement = statement[at:]
    insert = _INSERT.match(statement)
    if insert:
        target = _last(insert.group(1))
        return set() if target.startswith(TEMPORARY) else {target}
    if _WRITES.match(statement) or sets_values(statement):
        return {_original(word) for word in words}
    return set()


def block_statements(statement: str) -> list[str] | None:
    """The statements a PostgreSQL DO block runs, without its control flow (BEGIN, IF ...
    THEN, ELSE, EXCEPTION WHEN ... THEN, END IF, END, NULL); None for a statement that is
    no DO block."""
    match = _DO.match(statement)
    if match is None:
        return None
    found = []
    for part in match.group(2).split(";"):
        while (control := _CONTROL.match(part)) is not None:
            part = part[control.end() :]
        if part.strip():
            found.append(part.strip())
    return found


def inserted_into(statement: str) -> str | None:
    """The table (lowercase name) a plain INSERT adds rows to, leaving the rows there as
    they were; None for anything else (REPLACE, an upsert: they may change rows)."""
    statement = main_statement(statement)
    insert = _INSERT.match(statement)
    if insert is None or not re.match(r"^\s*INSERT\s+(?:INTO|IGNORE)\b", statement, re.I):
        return None
    if _UPSERT.search(statement):
        return None
    target = _last(insert.group(1))
    return None if target.startswith(TEMPORARY) else target


_UPDATE = re.compile(
    r"^\s*UPDATE\s+(?:(?:LOW_PRIORITY|IGNORE)\s+)*(?:ONLY\s+)?",
    re.IGNORECASE,
)
_COMMENT = r"--[^\n]*|/\*.*?\*/"
_SCAN = re.compile(
    rf"{_COMMENT}|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|[(),=]|[A-Za-z_][\w$]*|\S",
    re.DOTALL,
)
_MODIFIES = frozenset({"insert", "update", "delete", "merge"})
# The words a main statement after a WITH clause begins with.
_STARTS = _MODIFIES | {"select", "replace", "values", "upsert"}
_SET_ENDS = frozenset({"where", "from", "returning", "order", "limit"})
# What joins the tables of a multi-table UPDATE (MySQL, MariaDB).
_JOINS = frozenset({"join", "inner", "cross", "left", "right", "outer", "natural", "straight_join"})
# A SET item's column: the table (or alias) before it, if any (a schema before that).
_TARGET = re.compile(rf"^(?:{NAME}\s*\.\s*)*?(?:({NAME})\s*\.\s*)?({NAME})$")


def updated_columns(statement: str) -> dict[str, set[str]] | None:
    """The tables (lowercase names) an UPDATE writes and the columns it sets in each
    (lowercase), also of MySQL's multi-table UPDATE (`UPDATE a JOIN b ON ... SET a.x =
    1`; a column named without its table counts for each); None for anything it cannot
    read so (a derived table, a WITH clause that writes rows too). Comments and a WITH
    clause before it are skipped."""
    at, modifies = _main(statement)
    if modifies:
        return None
    statement = _uncommented(statement[at:])
    match = _UPDATE.match(statement)
    if match is None:
        return None
    tokens = _grouped(statement, match.end())
    ends = [i for i, text in enumerate(tokens) if text.lower() == "set"]
    tables = _references(tokens[: ends[0]]) if ends else None
    if not tables:
        return None
    items: list[list[str]] = [[]]
    for text in tokens[ends[0] + 1 :]:
        if text.lower() in _SET_ENDS:
            break
        if text == ",":
            items.append([])
        else:
            items[-1].append(text)
    written: dict[str, set[str]] = {}
    for item in items:
        target = _assigned(item)
        if target is None:
            return None
        for qualifier, column in target:
            if len(set(tables.values())) == 1:
                qualifier = None
            if qualifier is not None and qualifier not in tables:
                return None
            for table in {tables[qualifier]} if qualifier else set(tables.values()):
                written.setdefault(table, set()).add(column)
    return written


def _grouped(statement: str, start: int) -> list[str]:
    """The tokens from `start`, each parenthesized group one token (its text)."""
    tokens: list[str] = []
    depth, group = 0, ""
    for token in _SCAN.finditer(statement, start):
        text = token.group(0)
        if text == "(":
            depth += 1
        if depth:
            group += " " + text
        else:
            tokens.append(text)
        if text == ")" and depth:
            depth -= 1
            if not depth:
                tokens.append(group.strip())
                group = ""
    return tokens


def _references(tokens: list[str]) -> dict[str, str] | None:
    """The tables an UPDATE names before SET, by each name it may give them (lowercase:
    table and alias); None for what is not read so (a derived table, UPDATE OR ...)."""
    tables: dict[str, str] = {}
    at, factor = 0, True
    while at < len(tokens):
        word = tokens[at].lower()
        if word == "," or word in _JOINS:
            at, factor = at + 1, True
        elif word in ("on", "using"):
            at += 1
            while at < len(tokens) and tokens[at] != "," and tokens[at].lower() not in _JOINS:
                at += 1
        elif factor and re.fullmatch(NAME, tokens[at]):
            while at + 2 < len(tokens) and tokens[at + 1] == ".":
                at += 2
            table = _last(tokens[at])
            tables[table] = table
            at += 1
            if at < len(tokens) and tokens[at] == "*":  # PostgreSQL: and its descendants
                at += 1
            if at < len(tokens) and tokens[at].lower() == "as":
                at += 1
            alias = tokens[at] if at < len(tokens) else ""
            if re.fullmatch(NAME, alias) and alias.lower() not in _JOINS | {"on", "using"}:
                tables[_last(alias)] = table
                at += 1
            factor = False
        else:
            return None
    return tables


def _assigned(item: list[str]) -> list[tuple[str | None, str]] | None:
    """The columns one SET item assigns, each with the table name or alias before it
    (None where there is none): `a.x = ...`, `(x, y) = (...)` (PostgreSQL)."""
    if "=" not in item:
        return None
    target = item[: item.index("=")]
    if len(target) == 1 and target[0].startswith("("):
        names = [n.strip() for n in target[0][1:-1].split(",")]
    else:
        names = ["".join(target)]
    found = []
    for name in names:
        match = _TARGET.match(re.sub(r"\s*\.\s*", ".", name))
        if match is None:
            return None
        qualifier = _last(match.group(1)) if match.group(1) else None
        found.append((qualifier, _last(match.group(2))))
    return found


def main_statement(statement: str) -> str:
    """`statement` from where its main statement begins: after the comments before it
    and a WITH clause's common table expressions (`WITH x AS (...) UPDATE t SET ...`)."""
    return statement[_main(statement)[0] :]


def _uncommented(statement: str) -> str:
    """`statement` with each comment made a space (literals and quoted names kept)."""
    parts, at = [], 0
    for token in _SCAN.finditer(statement):
        if token.group(0).startswith(("--", "/*")):
            parts += [statement[at : token.start()], " "]
            at = token.end()
    return "".join(parts) + statement[at:]


def _main(statement: str) -> tuple[int, bool]:
    """Where the main statement begins, and whether a WITH clause before it writes rows
    itself (`WITH d AS (DELETE ... RETURNING id) UPDATE ...`, PostgreSQL)."""
    tokens = [t for t in _SCAN.finditer(statement) if not t.group(0).startswith(("--", "/*"))]
    if not tokens:
        return len(statement), False
    if tokens[0].group(0).lower() != "with":
        return tokens[0].start(), False
    depth, modifies = 0, False
    for before, token in pairwise(tokens):
        text = token.group(0).lower()
        if depth == 1 and before.group(0) == "(" and text in _MODIFIES:
            modifies = True
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0 and text in _STARTS:
            return token.start(), modifies
    return len(statement), modifies


def _original(name: str) -> str:
    return name[len(TEMPORARY) :] if name.startswith(TEMPORARY) else name


def batch_writes(operations: Iterable[Any]) -> bool:
    """Whether batch_op.* calls put values of their own into the rows: a column added with
    a default, NOT NULL (MySQL fills in 0 or ''), or computed."""
    for operation in operations:
        if isinstance(operation, alembic_ops.AddColumnOp):
            column = operation.column
            if column.server_default is not None or column.computed is not None:
                return True
            if column.nullable is False:
                return True
    return False


def requirement(kind: str, table: str, operation: Any) -> str:
    """What real rows of `table` need for the constraint to pass, said as a fact."""
    if kind == "foreign key":
        if isinstance(operation, alembic_ops.CreateForeignKeyOp):
            local = _columns(table, operation.local_cols)
            remote = _columns(operation.referent_table, operation.remote_cols)
            return f"every {local} that is not NULL matches a value of {remote}"
        return f"every row of {table} references a row that exists"
    if kind == "check":
        if isinstance(operation, alembic_ops.CreateCheckConstraintOp):
            return f"every row of {table} satisfies {operation.condition}"
        return f"every row of {table} satisfies the CHECK constraint"
    columns = getattr(operation, "columns", None)
    if isinstance(operation, alembic_ops.CreateIndexOp):
        columns = [getattr(c, "name", None) or str(c) for c in operation.columns]
    if columns and all(isinstance(c, str) for c in columns):
        together = columns[0] if len(columns) == 1 else f"({', '.join(columns)})"
        return f"no two rows of {table} hold the same {together}"
    return f"no two rows of {table} hold the same values in the constraint's columns"


def _columns(table: str, columns: list[str]) -> str:
    if len(columns) == 1:
        return f"{table}.{columns[0]}"
    return f"({', '.join(f'{table}.{c}' for c in columns)})"


def _written(dialect: Dialect, value: Any) -> Any:
    """A key value as a statement writes it out: bytes as a hex literal of the dialect's
    (SQLAlchemy writes them as text, which a SQLite or MySQL BLOB never equals, so the
    DELETE of seeding's rows deleted nothing; or fails on bytes that are no UTF-8)."""
    if not isinstance(value, bytes | bytearray | memoryview):
        return value
    digits = bytes(value).hex()
    if dialect.name == "postgresql":
        return sa.literal_column(f"decode('{digits}', 'hex')")
    return sa.literal_column(f"X'{digits}'")


class Rows:
    """The rows seeding inserted into a table, by their primary keys."""

    def __init__(self, table: sa.Table, keys: set[tuple[Any, ...]]) -> None:
        self.names = [column.name for column in table.primary_key.columns]
        self.types = [table.c[name].type for name in self.names]
        self.schema, self.name = table.schema, table.name
        self.keys = sorted(keys, key=repr)
        # The columns whose made-up values may be set to NULL (`nulling`).
        self.nullable = [c.name for c in table.columns if c.nullable and not c.primary_key]

    def nulling(self, dialect: Dialect, columns: Iterable[str]) -> str | None:
        """The UPDATE that sets `columns` to NULL in these rows; None where it cannot be
        written out."""
        names = sorted(set(columns))
        if not names:
            return None
        table = sa.table(
            self.name,
            *[sa.column(n, t) for n, t in zip(self.names, self.types, strict=True)],
            *[sa.column(n) for n in names if n not in self.names],
            schema=self.schema,
        )
        try:
            compiled = (
                sa.update(table)
                .where(self._where(table, dialect))
                .values({table.c[name]: sa.null() for name in names})
                .compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            )
            return str(compiled)
        except Exception:  # a value SQLAlchemy cannot write out: not told apart
            return None

    def _where(self, table: Any, dialect: Dialect) -> sa.ColumnElement[bool]:
        columns = [table.c[name] for name in self.names]
        keys = [[_written(dialect, value) for value in key] for key in self.keys]
        if len(columns) == 1:
            where: sa.ColumnElement[bool] = columns[0].in_([key[0] for key in keys])
            return where
        return sa.or_(
            *[sa.and_(*[c == v for c, v in zip(columns, key, strict=True)]) for key in keys]
        )

    def deletion(self, dialect: Dialect) -> str | None:
        """The DELETE of these rows, values written out; None where they cannot be."""
        table = sa.table(
            self.name,
            *[sa.column(n, t) for n, t in zip(self.names, self.types, strict=True)],
            schema=self.schema,
        )
        try:
            compiled = (
                sa.delete(table)
                .where(self._where(table, dialect))
                .compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            )
            return str(compiled)
        except Exception:  # a value SQLAlchemy cannot write out: not told apart
            return None


# The statements whose tables tables_named reads from their SQL, and the words after
# which a table's name (or a list of them) comes.
_NAMING = re.compile(
    r"^(?:INSERT|REPLACE|UPDATE|DELETE|MERGE|TRUNCATE|ALTER\s+TABLE|CREATE\s+(?:UNIQUE\s+)?INDEX"
    r"|CREATE\s+(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED)\s+)*TABLE|DROP\s+TABLE|RENAME\s+TABLE)\b",
    re.IGNORECASE,
)
_BEFORE_NAMES = frozenset({"from", "join", "into", "update", "table", "references", "truncate"})
_SKIPPED = frozenset({"only", "if", "not", "exists", "lateral"})


def tables_named(statement: str) -> set[str] | None:
    """The tables (lowercase names) `statement` reads or writes, as its SQL names them:
    after FROM, JOIN, INTO, UPDATE, TABLE, REFERENCES and TRUNCATE, a CREATE INDEX's ON,
    a RENAME's TO, a DELETE's or MERGE's USING; None for a statement whose tables its SQL
    does not say so (a DO block, a procedure's CALL, anything else)."""
    main = _uncommented(main_statement(statement))
    if _NAMING.match(main) is None:
        return None
    tokens = [t.group(0) for t in _SCAN.finditer(_uncommented(statement))]
    lowered = [t.lower() for t in tokens]
    using = lowered[0] in ("delete", "merge") or "merge" in lowered
    found: set[str] = set()
    for at, word in enumerate(lowered):
        index_on = word == "on" and "index" in lowered[:at] and lowered[0] == "create"
        if (
            word in _BEFORE_NAMES
            or index_on
            or (word == "to" and (lowered[at - 1] == "rename" or lowered[0] == "rename"))
            or (word == "using" and using)
        ):
            found |= _names_from(tokens, at + 1)
    return found


def _names_from(tokens: list[str], at: int) -> set[str]:
    """The table names from tokens[at] on: one, or a list of them with commas (each
    maybe with its schema and an alias)."""
    names: set[str] = set()
    while at < len(tokens):
        while at < len(tokens) and tokens[at].lower() in _SKIPPED:
            at += 1
        if at >= len(tokens) or not re.fullmatch(NAME, tokens[at]):
            break
        while at + 2 < len(tokens) and tokens[at + 1] == "." and re.fullmatch(NAME, tokens[at + 2]):
            at += 2
        names.add(_last(tokens[at]))
        at += 1
        if at < len(tokens) and tokens[at].lower() == "as":
            at += 1
        if at < len(tokens) and re.fullmatch(NAME, tokens[at]) and tokens[at] != ",":
            at += 1  # an alias (or the next keyword: harmless, a comma must follow)
        if at >= len(tokens) or tokens[at] != ",":
            break
        at += 1
    return names
