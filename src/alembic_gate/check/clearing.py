"""Seeding's rows deleted before `check --roundtrip` downgrades to base, and only those.

Runs in the worker, on a connection of its own once `upgrade heads` is done. Each seeded
table is cleared as seeding knows its rows there (check.seeding): by their primary keys,
so the rows the revisions wrote (a data migration, a bulk_insert) stay for the
downgrades, as in production; or wholly, where seeding's rows were the only rows the
table held and no revision added any since (also when a revision dropped the key's
column: their keys tell nothing then). A table whose rows seeding cannot tell from
the revisions' is left as it is, and said so.

Tables go children first, each in a transaction of its own. Tables that reference each
other in a cycle (and those they reference) go together, in one statement on PostgreSQL
(its foreign keys are checked once the statement is done), on MySQL and MariaDB with
seeding's rows letting go of each other first (their nullable columns NULL), deferred
to the commit on SQLite: no TRUNCATE, which would need CASCADE into tables that hold
no seeding rows, and foreign keys checked, so that no row of a revision's is left
referencing a row that is gone. On SQLite they are turned on for this connection while
it clears (as they were afterwards), and checked again with PRAGMA foreign_key_check
before and after the deletions: SQLite's own check counts violations, and deleting a
row that referenced nothing already (seeding's rows are written with foreign keys off)
takes one off the count, hiding one the deletion made. What fails is rolled back and
reported with the database's message; it never passes unsaid. So is a deletion that an
ON DELETE CASCADE carries into rows not known to be seeding's (the rows the tables
referencing the cleared ones hold, counted before and after), or whose ON DELETE SET NULL
or SET DEFAULT changes such rows (their foreign key columns, read before and after):
rolled back, those rows and seeding's stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect

from alembic_gate.check import made_up, rows, seed
from alembic_gate.check.seed import TableKey, shown
from alembic_gate.check.targets import one_line

# What seeding knows of a table's rows: its own by key, all of them, or nothing.
ALL = "all"
Known = made_up.Rows | str | None


def clear(
    conn: Connection, own: Mapping[TableKey, made_up.Rows | None], alone: Collection[TableKey]
) -> list[tuple[list[TableKey], str]]:
    """Delete seeding's rows of the tables in `own` (its rows there by key, where known;
    `alone`: the tables that hold no other rows). Returns what was left, with why:
    (tables, reason)."""
    run = rows.raw(conn.connection.dbapi_connection)
    with _foreign_keys_on(run, conn.dialect):
        return _clear(conn, run, own, alone)


@contextmanager
def _foreign_keys_on(run: rows.Run, dialect: Dialect) -> Iterator[None]:
    """SQLite checks foreign keys (and carries out ON DELETE CASCADE) only on a connection
    that turned them on, outside a transaction; as it was again afterwards."""
    if dialect.name != "sqlite":
        yield
        return
    [(was,)] = run("PRAGMA foreign_keys")
    run("PRAGMA foreign_keys = ON")
    try:
        yield
    finally:
        run(f"PRAGMA foreign_keys = {'ON' if was else 'OFF'}")


def _clear(
    conn: Connection,
    run: rows.Run,
    own: Mapping[TableKey, made_up.Rows | None],
    alone: Collection[TableKey],
) -> list[tuple[list[TableKey], str]]:
    dialect = conn.dialect
    existing = rows.tables(run, dialect)
    left: list[tuple[list[TableKey], str]] = []
    known: dict[TableKey, Known] = {}
    deletions: dict[TableKey, str] = {}
    for key in sorted(set(own) & existing, key=str):
        known[key], why = _known(conn, key, own[key], key in alone)
        sql = _deletion(conn, key, known[key])
        if sql is None:
            left.append(([key], why))
        else:
            deletions[key] = sql
    edges = rows.references(run, dialect)
    order = rows.children_first(deletions, edges)
    units = [[key] for key in order]
    rest = sorted(set(deletions) - set(order), key=str)
    if rest:
        units.append(rest)
    inspector = sa.inspect(conn)  # (it reads nothing until asked, in a transaction)
    for unit in units:
        nulling = [_nulling(conn, known[key]) for key in unit]
        kept = {key for tables, _ in left for key in tables}
        watch = _watched(unit, known, edges, kept)
        if dialect.name == "sqlite":
            watch.checked = sorted(rows.referencing(unit, edges), key=str)
        failure = _delete(conn, [deletions[key] for key in unit], nulling, watch, inspector)
        if failure is not None:
            left.append((unit, failure))
    return left


UNKNOWN = (
    "check cannot tell its rows from those the revisions wrote there: the table has no "
    "primary key, or a revision deleted rows of it or set their keys"
)


def _known(
    conn: Connection, key: TableKey, own: made_up.Rows | None, alone: bool
) -> tuple[Known, str]:
    """What seeding knows of a table's rows now, and why it cannot tell them apart where
    it does not: its own by key, while the key's columns are there; else all of them,
    where they are the table's only rows; else nothing."""
    gone = _gone(conn, key, own.names) if own is not None else []
    if own is not None and not gone:
        return own, UNKNOWN
    if alone:
        return ALL, ""
    if not gone:
        return None, UNKNOWN
    plural = "s" if len(gone) > 1 else ""
    return None, (
        "check cannot tell its rows from those the revisions wrote there: it knew them by "
        f"their primary key, and a revision dropped or renamed its column{plural} "
        f"{', '.join(gone)}"
    )


def _gone(conn: Connection, key: TableKey, names: list[str]) -> list[str]:
    """Of a table's key columns `names`, those it no longer has."""
    dialect = conn.dialect
    present = rows.columns(conn.connection.dbapi_connection, dialect, key)
    return [name for name in names if name.lower() not in present]


def _deletion(conn: Connection, key: TableKey, known: Known) -> str | None:
    if isinstance(known, made_up.Rows):
        return known.deletion(conn.dialect)
    if known == ALL:
        return f"DELETE FROM {rows.quote(conn.dialect, key)}"
    return None


def _nulling(conn: Connection, known: Known) -> str | None:
    """The UPDATE that sets the nullable columns of seeding's rows to NULL: they then
    reference no row (a foreign key cycle broken where it may be)."""
    if not isinstance(known, made_up.Rows):
        return None
    return known.nulling(conn.dialect, known.nullable)


@dataclass
class _Watch:
    """What the deletions of one table (or of tables in a foreign key cycle) are held
    against. `allowed`: the tables an ON DELETE action from them may reach (those
    referencing them, however indirectly), with how many rows deleting seeding's may take
    from each; `seeding`: seeding's own rows among them, known by key; `checked`: the
    tables whose rows left referencing a row that is gone are counted (SQLite)."""

    allowed: dict[TableKey, int] = field(default_factory=dict)
    seeding: dict[TableKey, made_up.Rows] = field(default_factory=dict)
    checked: list[TableKey] = field(default_factory=list)


def _watched(
    unit: list[TableKey],
    known: Mapping[TableKey, Known],
    edges: set[tuple[TableKey, TableKey]],
    kept: set[TableKey],
) -> _Watch:
    """The tables referencing `unit`'s, watched. Deleting may take (or change) seeding's
    own rows, where known by key, in `unit`'s tables and in those whose rows stayed
    (`kept`); none elsewhere (the tables cleared before hold the revisions' rows alone).
    A table whose rows are all seeding's (cleared wholly) is not watched."""
    watch = _Watch()
    for key in sorted(rows.referencing(unit, edges), key=str):
        mine = key in unit or key in kept
        made = known.get(key) if mine else None
        if isinstance(made, made_up.Rows):
            watch.allowed[key] = len(made.keys)
            watch.seeding[key] = made
        elif made != ALL and key not in unit:
            watch.allowed[key] = 0
    return watch


class _Cascaded(Exception):
    """Deleting seeding's rows took rows the revisions wrote with them."""


def _counts(conn: Connection, watch: Mapping[TableKey, int]) -> dict[TableKey, int]:
    """How many rows each table of `watch` holds now."""
    counted = {}
    for key in watch:
        sql = f"SELECT COUNT(*) FROM {rows.quote(conn.dialect, key)}"
        counted[key] = int(_run(conn, sql).scalar() or 0)
    return counted


def _lost(
    before: Mapping[TableKey, int], after: Mapping[TableKey, int], watch: Mapping[TableKey, int]
) -> str:
    """What the deletions took beyond seeding's rows, said; "" when nothing."""
    said = _rows_of({key: before[key] - after[key] - watch[key] for key in watch})
    if not said:
        return ""
    return f"by ON DELETE CASCADE, deleting them would also delete {said} not known to be seeding's"


def _delete(
    conn: Connection,
    statements: list[str],
    nulling: list[str | None],
    watch: _Watch,
    inspector: Any,
) -> str | None:
    """Run the deletions of one table, or of tables in a foreign key cycle, in one
    transaction: None when done, else the database's message, or what else they deleted
    or changed (rows of the watched tables beyond seeding's), or the rows of the checked
    tables they left referencing a row that is gone (SQLite), rolled back."""
    try:
        with conn.begin():
            shapes = _shapes(inspector, watch)
            before, pictured = _counts(conn, watch.allowed), _pictures(conn, shapes)
            broken = _broken(conn, watch.checked)
            _deletions(conn, statements, nulling)
            lost = _lost(before, _counts(conn, watch.allowed), watch.allowed)
            changed = _changed(pictured, _pictures(conn, shapes))
            if lost or changed:
                raise _Cascaded("; ".join(said for said in (lost, changed) if said))
            dangling = _dangling(broken, _broken(conn, watch.checked))
            if dangling:
                raise _Cascaded(dangling)
    except _Cascaded as cascaded:
        return str(cascaded)
    except sa_exc.DBAPIError as exc:
        return one_line(exc.orig or exc)
    except sa_exc.SQLAlchemyError as exc:  # reflection that cannot read a table's keys
        return one_line(exc)
    return None


@dataclass
class _Shape:
    """What is read of a watched table's rows: their key's columns (`names`) and foreign
    key columns (`columns`: both), and the keys of seeding's rows, which are left out."""

    names: list[str]
    columns: list[str]
    seeding: set[tuple[Any, ...]]


def _shapes(inspector: Any, watch: _Watch) -> dict[TableKey, _Shape]:
    """The watched tables that have foreign keys, and what is read of their rows: an ON
    DELETE SET NULL or SET DEFAULT changes those columns of the rows referencing a
    deleted row."""
    shapes = {}
    for key in watch.allowed:
        foreign = [
            column
            for fk in inspector.get_foreign_keys(key[1], schema=key[0])
            for column in fk["constrained_columns"]
        ]
        if not foreign:
            continue
        made = watch.seeding.get(key)
        if made is not None:
            names, seeding = list(made.names), {_hashable(k) for k in made.keys}
        else:
            pk = inspector.get_pk_constraint(key[1], schema=key[0])
            names, seeding = list(pk.get("constrained_columns") or []), set()
        columns = names + [c for c in dict.fromkeys(foreign) if c not in names]
        shapes[key] = _Shape(names, columns, seeding)
    return shapes


def _pictures(
    conn: Connection, shapes: Mapping[TableKey, _Shape]
) -> dict[TableKey, Counter[tuple[Any, ...]]]:
    """The key and foreign key values of each table's rows not known to be seeding's."""
    quote = conn.dialect.identifier_preparer.quote
    found = {}
    for key, shape in shapes.items():
        columns = ", ".join(quote(name) for name in shape.columns)
        read = _run(conn, f"SELECT {columns} FROM {rows.quote(conn.dialect, key)}").all()
        width = len(shape.names)
        pictured = (_hashable(row) for row in read)
        found[key] = Counter(row for row in pictured if row[:width] not in shape.seeding)
    return found


def _hashable(row: Any) -> tuple[Any, ...]:
    """A row's values as a tuple that can be counted (a driver's memoryview as bytes,
    anything else that cannot as its repr)."""
    values = []
    for value in row:
        if isinstance(value, memoryview):
            value = bytes(value)
        try:
            hash(value)
        except TypeError:
            value = repr(value)
        values.append(value)
    return tuple(values)


def _changed(
    before: Mapping[TableKey, Counter[tuple[Any, ...]]],
    after: Mapping[TableKey, Counter[tuple[Any, ...]]],
) -> str:
    """The rows not known to be seeding's whose foreign key values the deletions changed
    (those they deleted are _lost's), said; "" when none."""
    counted = {
        key: (before[key] - after[key]).total() - (before[key].total() - after[key].total())
        for key in before
    }
    said = _rows_of(counted)
    if not said:
        return ""
    return (
        f"by ON DELETE SET NULL or SET DEFAULT, deleting them would also change {said} "
        "not known to be seeding's"
    )


def _broken(conn: Connection, tables: list[TableKey]) -> Counter[tuple[Any, ...]]:
    """SQLite: the rows of `tables` whose foreign keys reference a row that is not there.
    Its own check of a deletion counts violations made and mended: deleting a row that
    referenced nothing (as seeding's made-up rows may, written with foreign keys off)
    hides one that leaves a revision's row referencing a deleted one."""
    preparer = conn.dialect.identifier_preparer
    found: Counter[tuple[Any, ...]] = Counter()
    for schema, name in tables:
        prefix = f"{preparer.quote_schema(schema)}." if schema else ""
        pragma = f"PRAGMA {prefix}foreign_key_check({preparer.quote(name)})"
        found.update((schema, *row[:3]) for row in _run(conn, pragma).all())
    return found


def _dangling(before: Counter[tuple[Any, ...]], after: Counter[tuple[Any, ...]]) -> str:
    """The rows the deletions left referencing a row that is gone, said; "" when none."""
    by_table: Counter[TableKey] = Counter()
    for (schema, name, *_), count in (after - before).items():
        by_table[(schema, name)] += count
    said = _rows_of(by_table)
    if not said:
        return ""
    return f"deleting them would leave {said} referencing rows that are gone"


def _rows_of(counted: Mapping[TableKey, int]) -> str:
    """The tables counted more than none, said: "1 row of kids and 2 rows of toys"."""
    said = [
        f"{n} row{'s' if n > 1 else ''} of {shown(key)}"
        for key, n in sorted(counted.items(), key=lambda item: str(item[0]))
        if n > 0
    ]
    return " and ".join(said)


def _deletions(conn: Connection, statements: list[str], nulling: list[str | None]) -> None:
    """The deletions of one table, or of tables in a foreign key cycle, in the
    transaction open on `conn`."""
    name = conn.dialect.name
    if len(statements) == 1:
        _run(conn, statements[0])
    elif name == "postgresql":
        _run(conn, rows.together(statements))
    elif name in {"mysql", "mariadb"}:
        _in_turn(conn, statements, nulling)
    else:
        _run(conn, "PRAGMA defer_foreign_keys = ON")
        for sql in statements:
            _run(conn, sql)


def _in_turn(conn: Connection, statements: list[str], nulling: list[str | None]) -> None:
    """MySQL and MariaDB check a foreign key at each row: seeding's rows let go of each
    other (their nullable columns NULL), then each DELETE that can go goes, until all
    have or none can (its error raised). With the checks on, a row of a revision's that
    references one of seeding's keeps it (and says so), where turning them off would
    leave it referencing nothing."""
    for sql in nulling:
        if sql is not None:
            _run(conn, sql)
    pending = list(statements)
    while pending:
        failed: sa_exc.DBAPIError | None = None
        for sql in list(pending):
            try:
                _run(conn, sql)  # a failed statement undoes only itself here
            except sa_exc.DBAPIError as exc:
                failed = exc
                continue
            pending.remove(sql)
        if failed is not None and len(pending) == len(statements):
            raise failed
        statements = list(pending)


def _run(conn: Connection, sql: str) -> Any:
    return conn.exec_driver_sql(sql, execution_options=seed.OPTIONS)


def described(tables: list[TableKey], reason: str) -> str:
    """The note on tables whose made-up rows stayed for the round trip."""
    names = ", ".join(shown(key) for key in tables)
    plural = "tables" if len(tables) > 1 else "table"
    return (
        f"check could not delete the rows its seeding made up in {plural} {names} before "
        f"the round trip ({reason}); the downgrades ran with them there, so a downgrade "
        "that failed on a database error rows can cause is not reported as AG903 (one no "
        "row can cause, a missing column or a dependent object, still is; `check "
        "--roundtrip --no-seed` checks the downgrades without them)"
    )
