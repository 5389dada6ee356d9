"""A few rows for a table, made up from its columns, and inserted in one statement.

Runs in the worker. The columns come from the `Table` that `op.create_table` returned
(no reflection needed) or from reflecting the table. Each column gets values its type
accepts on PostgreSQL, MySQL/MariaDB and SQLite: small distinct numbers (within a
numeric's precision and scale), short strings within the column's length (numeric
text, so casts to numbers succeed), dates a day apart, enum labels, JSON objects,
UUIDs, arrays, ranges, addresses... Keys the server assigns (autoincrement, identity,
computed columns) and server defaults are left to the server; foreign keys take the
parent's values; nullable columns are NULL in one row and filled in the others. Values
a simple CHECK constraint allows (`IN (...)`, `> 0`) are preferred. When the insert
fails anyway, other shapes of rows are tried before the table is given up.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import re
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import TableClause

from alembic_gate.check.targets import one_line
from alembic_gate.shared.records import field, record

# Rows given to each table.
ROWS = 3
# Marks the statements seeding runs itself, for other measurements' event hooks.
OPTIONS = {"alembic_gate": "seed"}
BASE_DAY = datetime.date(2024, 1, 15)
MAX_TEXT = 24

TableKey = tuple[str | None, str]  # (schema, name); schema None: the default one


class Unfillable(Exception):
    """No rows of this shape can be made for the table; the message says why."""


@record(frozen=True)
class Shape:
    """How the rows look: how many, which nullable columns are NULL, how long strings are."""

    rows: int = ROWS
    nulls: str = "mixed"  # "mixed": NULL in the second row; "none"; "all"
    long: bool = False


# Tried in order until an insert succeeds.
SHAPES = (
    Shape(),
    Shape(nulls="none", long=True),
    Shape(nulls="all", long=True),
    Shape(rows=1, nulls="none"),
    Shape(rows=1, nulls="all", long=True),
)


def key_of(table: sa.Table) -> TableKey:
    return (table.schema, table.name)


def shown(key: TableKey) -> str:
    return f"{key[0]}.{key[1]}" if key[0] else key[1]


@record
class Constraints:
    """What simple CHECK constraints say about single columns."""

    choices: dict[str, list[str]] = field(default_factory=dict)
    low: dict[str, tuple[decimal.Decimal, bool]] = field(default_factory=dict)  # (bound, strict)
    high: dict[str, tuple[decimal.Decimal, bool]] = field(default_factory=dict)


_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_OPS = {">": (True, "low"), ">=": (False, "low"), "<": (True, "high"), "<=": (False, "high")}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


def constraints(table: sa.Table) -> Constraints:
    found = Constraints()
    names = {c.name.lower(): c.name for c in table.columns}
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint):
            continue
        try:
            text = str(constraint.sqltext)
        except Exception:  # an expression that cannot render without a dialect
            continue
        words = {w.lower() for w in re.findall(r"[A-Za-z_][\w$]*", _LITERAL.sub("", text))}
        mentioned = [names[w] for w in words if w in names]
        if len(mentioned) != 1:
            continue
        _read_check(text, mentioned[0], found)
    return found


def _read_check(text: str, column: str, found: Constraints) -> None:
    if re.search(r"\bIN\b|\bANY\b|(?<![<>!])=", text, re.IGNORECASE) and not re.search(
        r"<>|!=|\bNOT\b", text, re.IGNORECASE
    ):
        literals = [m.replace("''", "'") for m in _LITERAL.findall(text)]
        if literals:
            found.choices[column] = literals
            return
    name = re.escape(column)
    for op, number in re.findall(rf'\b{name}"?\)?\s*(>=|<=|>|<)\s*\(?{_NUMBER}', text, re.I):
        _bound(found, column, op, number)
    for number, op in re.findall(rf'{_NUMBER}\)?\s*(>=|<=|>|<)\s*\(?"?{name}\b', text, re.I):
        _bound(found, column, _FLIP[op], number)
    between = re.search(rf"\b{name}\b\s+BETWEEN\s+{_NUMBER}\s+AND\s+{_NUMBER}", text, re.I)
    if between:
        _bound(found, column, ">=", between.group(1))
        _bound(found, column, "<=", between.group(2))


def _bound(found: Constraints, column: str, op: str, number: str) -> None:
    strict, side = _OPS[op]
    getattr(found, side)[column] = (decimal.Decimal(number), strict)


# -- values per type ---------------------------------------------------------------------


def resolve(type_: Any, dialect: Dialect) -> Any:
    """The type the database stores: variants picked, TypeDecorators and domains unwrapped."""
    for _ in range(8):
        mapping = getattr(type_, "_variant_mapping", None) or getattr(type_, "mapping", None)
        if isinstance(mapping, dict) and dialect.name in mapping:
            type_ = mapping[dialect.name]
            continue
        if isinstance(type_, satypes.TypeDecorator):
            type_ = type_.load_dialect_impl(dialect)
            continue
        data_type = getattr(type_, "data_type", None)  # PostgreSQL DOMAIN
        if data_type is not None and type(type_).__name__ == "DOMAIN":
            type_ = data_type
            continue
        break
    if isinstance(type_, type):
        type_ = type_()
    return type_


@record
class Cell:
    """What one value depends on."""

    row: int  # 0-based row number
    position: int  # the column's position in the table
    name: str  # the column's name
    long: bool  # long strings (for CHECKs on length)

    @property
    def number(self) -> int:
        return 1 + self.row + self.position


def value(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    """A value of `type_` (already resolved) for `cell`; raises Unfillable."""
    name = type(type_).__name__
    maker = _BY_NAME.get(name)
    if maker is not None:
        return maker(type_, dialect, cell)
    for base, make in _BY_BASE:
        if isinstance(type_, base):
            return make(type_, dialect, cell)
    return _by_python_type(type_, cell)


def _enum(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    labels = list(getattr(type_, "enums", []) or [])
    if not labels:
        raise Unfillable(f"enum column {cell.name} has no values")
    return labels[cell.row % len(labels)]


def _set(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    labels = list(getattr(type_, "values", []) or [])
    return {labels[cell.row % len(labels)]} if labels else set()


def _boolean(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return cell.row % 2 == 0


def _integer(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return cell.number


def _year(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return 2001 + cell.row


def _bits(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    length = getattr(type_, "length", None) or 1
    if dialect.name == "postgresql":
        bits = format(cell.row + 1, "b")
        if getattr(type_, "varying", False):
            return bits[-length:]
        return bits.rjust(length, "0")[-length:]
    return (cell.row + 1) & ((1 << length) - 1)


def _numeric(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    if isinstance(type_, sa.Float) or not getattr(type_, "asdecimal", True):
        return float(cell.number) + 0.5
    precision = getattr(type_, "precision", None)
    scale = getattr(type_, "scale", None) or 0
    whole = cell.number
    if precision is not None:
        digits = precision - scale
        if digits <= 0:
            return decimal.Decimal(cell.row + 1) / (10**scale)
        whole = (cell.number - 1) % (10**digits - 1) + 1
    fraction = decimal.Decimal("0.5") if scale else decimal.Decimal(0)
    return decimal.Decimal(whole) + fraction


def _money(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"{cell.number}.50"


def _text(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    length = getattr(type_, "length", None)
    lowered = cell.name.lower()
    shaped = None
    if "email" in lowered:
        shaped = f"user{cell.row + 1}@example.com"
    elif lowered.endswith(("url", "uri", "link", "website")):
        shaped = f"https://example.com/{cell.row + 1}"
    elif lowered.endswith(("uuid", "guid")) or _uuid_sized(type_, 36):
        shaped = str(_uuid_for(cell))
    elif _uuid_sized(type_, 32):  # SQLAlchemy's Uuid where the engine has none: hex
        shaped = _uuid_for(cell).hex
    if shaped is not None and (length is None or len(shaped) <= length):
        return shaped
    if cell.long:
        size = min(length or MAX_TEXT, MAX_TEXT)
        tail = str(cell.row + 1)
        head = f"{cell.name}-"[: max(size - len(tail), 0)]
        return (head + "x" * size)[: max(size - len(tail), 0)] + tail
    text = str(cell.number)
    return text[-length:] if length else text


def _uuid_sized(type_: Any, length: int) -> bool:
    """A fixed CHAR(32) or CHAR(36): how a UUID is kept where the engine has no type for it
    (SQLAlchemy's Uuid, the GUID recipe of its docs), read back by parsing it."""
    return isinstance(type_, sa.CHAR) and getattr(type_, "length", None) == length


def _binary(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    data = f"seed{cell.row + 1}".encode()
    length = getattr(type_, "length", None)
    return data[-length:] if length else data


def _uuid_for(cell: Cell) -> uuid.UUID:
    return uuid.UUID(f"5eed0000-0000-4000-8000-{cell.row:06d}{cell.position:06d}")


def _uuid(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    made = _uuid_for(cell)
    return made if getattr(type_, "as_uuid", True) else str(made)


def _date(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return BASE_DAY + datetime.timedelta(days=cell.row + cell.position)


def _datetime(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    day = BASE_DAY + datetime.timedelta(days=cell.row)
    moment = datetime.datetime(day.year, day.month, day.day, 9) + datetime.timedelta(
        hours=cell.position
    )
    if getattr(type_, "timezone", False):
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _time(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    moment = datetime.time((8 + cell.position) % 24, (cell.row * 5) % 60)
    if getattr(type_, "timezone", False):
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _interval(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return datetime.timedelta(days=cell.row, hours=1 + cell.position)


def _json(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return {"seed": cell.row + 1}


def _array(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    item = value(resolve(type_.item_type, dialect), dialect, cell)
    made: Any = [item]
    for _ in range((getattr(type_, "dimensions", None) or 1) - 1):
        made = [made]
    return made


def _inet(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"192.0.2.{cell.row + 1}"


def _cidr(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"198.51.{100 + cell.row}.0/24"


def _macaddr(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"08:00:2b:01:02:{cell.row + 1:02x}"


def _macaddr8(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"08:00:2b:01:02:03:04:{cell.row + 1:02x}"


def _words(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"seed{cell.row + 1}"


def _jsonpath(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return f"$.seed{cell.row + 1}"


def _hstore(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return {"seed": str(cell.row + 1)}


def _regclass(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return ("pg_class", "pg_type", "pg_proc")[cell.row % 3]


def _regconfig(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    return ("simple", "english", "french")[cell.row % 3]


def _range(type_: Any, dialect: Dialect, cell: Cell) -> Any:
    from sqlalchemy.dialects.postgresql import Range

    name = type(type_).__name__.upper()
    if name.startswith("DATE"):
        start: Any = BASE_DAY + datetime.timedelta(days=cell.row)
        end: Any = start + datetime.timedelta(days=7)
    elif name.startswith("TS"):
        start = datetime.datetime(2024, 1, 15 + cell.row, 9)
        if name.startswith("TSTZ"):
            start = start.replace(tzinfo=datetime.timezone.utc)
        end = start + datetime.timedelta(hours=2)
    elif name.startswith("NUM"):
        start, end = decimal.Decimal(cell.row + 1), decimal.Decimal(cell.row + 10)
    else:
        start, end = cell.row + 1, cell.row + 10
    made = Range(start, end)
    return [made] if "MULTIRANGE" in name else made


def _by_python_type(type_: Any, cell: Cell) -> Any:
    try:
        python = type_.python_type
    except (NotImplementedError, AttributeError):
        raise Unfillable(f"column {cell.name} has a type check cannot fill ({type_!r})") from None
    simple: dict[type, Callable[[Cell], Any]] = {
        bool: lambda c: c.row % 2 == 0,
        int: lambda c: c.number,
        float: lambda c: c.number + 0.5,
        decimal.Decimal: lambda c: decimal.Decimal(c.number),
        str: lambda c: str(c.number),
        bytes: lambda c: f"seed{c.row + 1}".encode(),
        datetime.date: lambda c: BASE_DAY + datetime.timedelta(days=c.row),
        datetime.datetime: lambda c: datetime.datetime(2024, 1, 15 + c.row, 9),
        datetime.time: lambda c: datetime.time(9, c.row),
        datetime.timedelta: lambda c: datetime.timedelta(hours=c.row + 1),
        dict: lambda c: {"seed": c.row + 1},
        list: lambda c: [c.row + 1],
        uuid.UUID: _uuid_for,
    }
    for kind, make in simple.items():
        if python is kind:
            return make(cell)
    raise Unfillable(f"column {cell.name} has a type check cannot fill ({type_!r})")


Maker = Callable[[Any, Dialect, Cell], Any]

# Types known by their class name (dialect types that subclass a generic one differently).
_BY_NAME: dict[str, Maker] = {
    "YEAR": _year,
    "BIT": _bits,
    "SET": _set,
    "MONEY": _money,
    "INET": _inet,
    "CIDR": _cidr,
    "MACADDR": _macaddr,
    "MACADDR8": _macaddr8,
    "TSVECTOR": _words,
    "TSQUERY": _words,
    "JSONPATH": _jsonpath,
    "HSTORE": _hstore,
    "OID": _integer,
    "REGCLASS": _regclass,
    "REGCONFIG": _regconfig,
}
_RANGES = ("INT4", "INT8", "NUM", "DATE", "TS", "TSTZ")
_BY_NAME |= dict.fromkeys([f"{kind}RANGE" for kind in _RANGES], _range)
_BY_NAME |= dict.fromkeys([f"{kind}MULTIRANGE" for kind in _RANGES], _range)
# Checked in order: subclasses before the classes they extend.
_BY_BASE: list[tuple[type, Maker]] = [
    (sa.Enum, _enum),
    (sa.Boolean, _boolean),
    (sa.Integer, _integer),
    (sa.Numeric, _numeric),
    (sa.JSON, _json),
    (sa.ARRAY, _array),
    (sa.DateTime, _datetime),
    (sa.Date, _date),
    (sa.Time, _time),
    (sa.Interval, _interval),
    (sa.String, _text),
    (sa.LargeBinary, _binary),
    (satypes._Binary, _binary),
]
if hasattr(sa, "Uuid"):  # SQLAlchemy 2
    _BY_BASE.insert(0, (sa.Uuid, _uuid))
_BY_NAME["UUID"] = _uuid


# -- rows for a table ----------------------------------------------------------------------


def server_filled(table: sa.Table, column: sa.Column[Any]) -> bool:
    """Whether the server gives `column` its value: autoincrement, identity, computed,
    a server default."""
    if column.server_default is not None or column.computed is not None:
        return True
    if getattr(column, "identity", None) is not None:
        return True
    return autoincrement_column(table) is column


def autoincrement_column(table: sa.Table) -> sa.Column[Any] | None:
    """The key column the server numbers: `autoincrement_column` on SQLAlchemy 2,
    `_autoincrement_column` on 1.4 (which has no public name for it)."""
    for name in ("autoincrement_column", "_autoincrement_column"):
        try:
            found = getattr(table, name, None)
        except Exception:  # an odd primary key SQLAlchemy cannot judge
            return None
        if isinstance(found, sa.Column):
            return found
    return None


@record
class Reference:
    """One foreign key of the table: its columns and the parent's."""

    columns: list[str]
    parent: TableKey
    parent_columns: list[str]

    def nullable(self, table: sa.Table) -> bool:
        return all(table.c[name].nullable for name in self.columns)


def references(table: sa.Table) -> list[Reference]:
    found = []
    for constraint in table.foreign_key_constraints:
        columns, parents = [], []
        parent: TableKey | None = None
        for element in constraint.elements:
            spec = element.target_fullname.split(".")
            if len(spec) < 2:
                break
            parent = (".".join(spec[:-2]) or None, spec[-2])
            columns.append(element.parent.name)
            parents.append(spec[-1])
        else:
            if parent is not None and columns:
                if parent[0] is None and table.schema and parent[1] != table.name:
                    parent = (None, parent[1])
                found.append(Reference(columns, parent, parents))
    return found


ParentValues = Callable[[TableKey, Sequence[str]], list[tuple[Any, ...]]]


def rows_for(
    table: sa.Table, dialect: Dialect, parent_values: ParentValues, shape: Shape
) -> tuple[TableClause, list[dict[str, Any]]]:
    """The insert's target and its rows; raises Unfillable."""
    checks = constraints(table)
    refs = references(table)
    by_column = {name: ref for ref in refs for name in ref.columns}
    own = key_of(table)
    parents = {id(ref): parent_values(ref.parent, ref.parent_columns) for ref in refs}
    rows: list[dict[str, Any]] = [{} for _ in range(shape.rows)]
    types: dict[str, Any] = {}
    filled = [
        (position, column)
        for position, column in enumerate(table.columns)
        if not server_filled(table, column)
    ]
    # Plain columns first: a reference to the table's own rows needs their keys.
    for position, column in sorted(filled, key=lambda item: item[1].name in by_column):
        decorated = _decorated(column.type)
        type_ = resolve(column.type, dialect)
        types[column.name] = column.type if decorated else _bind_type(type_, dialect)
        ref = by_column.get(column.name)
        for row in range(shape.rows):
            if ref is not None and ref.parent == own:
                made = _self_reference(table, ref, rows, row, column.name)
            elif ref is not None:
                made = _reference(table, ref, row, parents[id(ref)], column.name, shape)
            elif _null(column, row, shape):
                made = None
            elif decorated is not None:
                made = decorated(Cell(row, position, column.name, shape.long))
            else:
                cell = Cell(row, position, column.name, shape.long)
                try:
                    made = _checked(type_, dialect, cell, checks)
                except Unfillable:
                    if not column.nullable:
                        raise
                    made = None  # a type seeding cannot fill: NULL where that is allowed
            rows[row][column.name] = made
    order = [column.name for _, column in filled]
    clause = sa.table(
        table.name, *[sa.column(name, types[name]) for name in order], schema=table.schema
    )
    # SQL NULL: a JSON column would store None as the JSON value null.
    return clause, [
        {name: sa.null() if row[name] is None else row[name] for name in order} for row in rows
    ]


def _decorated(type_: Any) -> Callable[[Cell], Any] | None:
    """Values for a project's own type (a TypeDecorator) bound through it, where what it
    takes is known: what the application reads back is then what it wrote."""
    if isinstance(type_, sa.PickleType):
        return lambda cell: {"seed": cell.row + 1}
    if not isinstance(type_, satypes.TypeDecorator):
        return None
    try:
        python = type_.python_type
    except NotImplementedError:
        return None
    if python is uuid.UUID:
        return _uuid_for
    if isinstance(python, type) and issubclass(python, enum.Enum):
        members = list(python)
        return (lambda cell: members[cell.row % len(members)]) if members else None
    return None


def _null(column: sa.Column[Any], row: int, shape: Shape) -> bool:
    if not column.nullable or column.primary_key:
        return False
    return shape.nulls == "all" or (shape.nulls == "mixed" and row == 1)


def _checked(type_: Any, dialect: Dialect, cell: Cell, checks: Constraints) -> Any:
    choices = checks.choices.get(cell.name)
    if choices:
        return choices[cell.row % len(choices)]
    made = value(type_, dialect, cell)
    low, high = checks.low.get(cell.name), checks.high.get(cell.name)
    if (
        (low or high)
        and isinstance(made, int | float | decimal.Decimal)
        and not isinstance(made, bool)
    ):
        made = _within(made, low, high, cell.row)
    return made


def _within(
    made: Any,
    low: tuple[decimal.Decimal, bool] | None,
    high: tuple[decimal.Decimal, bool] | None,
    row: int,
) -> Any:
    number = decimal.Decimal(str(made))
    if low is not None and (number < low[0] or (low[1] and number == low[0])):
        number = low[0] + 1 + row
    if high is not None and (number > high[0] or (high[1] and number == high[0])):
        number = high[0] - (1 if high[1] else 0) - row
    if isinstance(made, int):
        return int(number)
    return float(number) if isinstance(made, float) else number


def _reference(
    table: sa.Table,
    ref: Reference,
    row: int,
    parents: list[tuple[Any, ...]],
    name: str,
    shape: Shape,
) -> Any:
    """A foreign key column's value in `row`: a parent's key, or NULL."""
    if ref.nullable(table) and (
        not parents or shape.nulls == "all" or (shape.nulls == "mixed" and row == 1)
    ):
        return None
    if not parents:
        raise Unfillable(
            f"its NOT NULL foreign key ({', '.join(ref.columns)}) references "
            f"{shown(ref.parent)}, which holds no rows"
        )
    return parents[row % len(parents)][ref.columns.index(name)]


def _self_reference(
    table: sa.Table, ref: Reference, rows: list[dict[str, Any]], row: int, name: str
) -> Any:
    """NULL in the first row (NOT NULL: the row itself), the first row's key after it."""
    target = ref.parent_columns[ref.columns.index(name)]
    nullable = ref.nullable(table)
    if target not in rows[0]:  # a key the server assigns: unknown before the insert
        if nullable:
            return None
        raise Unfillable(
            f"its NOT NULL foreign key ({', '.join(ref.columns)}) references the table's "
            "own rows, whose keys the server assigns"
        )
    if row == 0 and nullable:
        return None
    return rows[0][target]


def _bind_type(type_: Any, dialect: Dialect) -> Any:
    """The type the insert binds with: the column's own, so casts and JSON serialising
    happen, except enums that carry a Python class (their labels are bound as strings)."""
    if isinstance(type_, sa.Enum) and dialect.name != "postgresql":
        return sa.String()
    return type_


# -- inserting -------------------------------------------------------------------------------


def savepoint(conn: Connection) -> AbstractContextManager[Any]:
    """A savepoint around a statement that may fail, where a failure would otherwise end
    the transaction (PostgreSQL); elsewhere a failed statement undoes only itself."""
    if conn.dialect.name == "postgresql" and not autocommit(conn.connection.dbapi_connection):
        return conn.begin_nested()
    return nullcontext()


def autocommit(dbapi_connection: Any) -> bool:
    return bool(getattr(dbapi_connection, "autocommit", False))


def insert(conn: Connection, clause: TableClause, rows: list[dict[str, Any]]) -> None:
    if rows and rows[0]:
        conn.execute(sa.insert(clause).values(rows), execution_options=OPTIONS)
        advance(conn, clause)
    else:  # every column is the server's: one DEFAULT VALUES row each
        for _ in rows:
            conn.execute(sa.insert(clause), execution_options=OPTIONS)


def advance(conn: Connection, clause: TableClause) -> None:
    """After seeding wrote keys itself into a column the server counts, the counter moves
    past them, so a revision's INSERT that leaves the key to the server never meets them.
    PostgreSQL's sequences (serial, identity) stay where they were: setval. MySQL's and
    MariaDB's AUTO_INCREMENT and SQLite's rowid move past an explicit key by themselves."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    table = quote.format_table(clause)
    for column in clause.c:
        if isinstance(resolve(column.type, conn.dialect), sa.Integer):
            _setval(conn, table, column.name, quote.quote(column.name))


# The sequence behind a column: the one it owns (serial, identity), or the one its
# default's nextval() names.
_SEQUENCE = sa.text(
    "SELECT COALESCE(pg_get_serial_sequence(:table, :column), substring("
    "pg_get_expr(d.adbin, d.adrelid) FROM 'nextval\\(''([^'']+)''::regclass\\)')) "
    "FROM pg_attribute a LEFT JOIN pg_attrdef d "
    "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE a.attrelid = CAST(:table AS regclass) AND a.attname = :column"
)


def _setval(conn: Connection, table: str, name: str, quoted: str) -> None:
    """The sequence behind `table`.`name` moved past the keys the column holds, in the
    direction it counts: to the largest for one that counts up, the smallest for one that
    counts down; left alone where its next value is past them already, or where its
    bounds leave no room beyond them (setval would refuse)."""
    params = {"table": table, "column": name}
    sequence = conn.execute(_SEQUENCE, params, execution_options=OPTIONS)
    found = sequence.scalar()
    if found is None:
        return
    # (the name as regclass prints it: quoted where it needs to be)
    state = sa.text(
        f"SELECT (SELECT max({quoted}) FROM {table}), (SELECT min({quoted}) FROM {table}), "
        f"s.last_value, s.is_called, p.seqincrement, p.seqmin, p.seqmax FROM {found} s "
        "JOIN pg_sequence p ON p.seqrelid = CAST(:sequence AS regclass)"
    )
    read = conn.execute(state, {"sequence": found}, execution_options=OPTIONS).one()
    value = _past_keys(*read)
    if value is not None:
        conn.execute(
            sa.text("SELECT setval(CAST(:sequence AS regclass), :value)"),
            {"sequence": found, "value": value},
            execution_options=OPTIONS,
        )


def _past_keys(
    largest: int | None,
    smallest: int | None,
    last: int,
    called: bool,
    step: int,
    lowest: int,
    highest: int,
) -> int | None:
    """The value to set a sequence to so that its next one is past the column's keys,
    or None where it is past them already (or cannot be moved there)."""
    upcoming = last + step if called else last
    if step > 0:
        key = largest
        ahead = key is not None and key >= upcoming
    else:
        key = smallest
        ahead = key is not None and key <= upcoming
    if key is None or not ahead or not lowest <= key <= highest:
        return None
    return key


def fill(table: sa.Table, conn: Connection, parent_values: ParentValues) -> tuple[int, str]:
    """Insert rows of the first shape that works: (rows inserted, why none could be).
    Each try (the parents' keys read, the insert) runs in a savepoint: it runs inside the
    migration's transaction, which a failure must not leave aborted. No shape is sure to
    work even on a table as create_table declared it: a revision may have written rows
    through the DBAPI cursor, which seeding does not see, whose keys the insert meets."""
    refused: list[str] = []  # what the database said: the first is the most telling
    failures: list[str] = []
    for shape in SHAPES:
        try:
            with savepoint(conn):
                clause, rows = rows_for(table, conn.dialect, parent_values, shape)
                insert(conn, clause, rows)
        except Unfillable as exc:
            failures.append(str(exc))
        except sa.exc.DBAPIError as exc:  # a CHECK, a trigger, a value the database refused
            refused.append(reason(exc))
        except sa.exc.StatementError as exc:  # a value a bind processor refused
            failures.append(reason(exc))
        else:
            return len(rows), ""
    return 0, (refused + failures + ["no rows could be made"])[0]


def reason(exc: BaseException) -> str:
    """One line saying what the database (or driver) refused."""
    return one_line(getattr(exc, "orig", None) or exc)
