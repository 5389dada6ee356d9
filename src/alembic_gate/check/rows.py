"""Tables and their rows, read and emptied with plain SQL on a DBAPI connection.

Runs in the worker. These run where SQLAlchemy's own connection cannot be used: inside
a statement hook, while that connection is executing the migration's statement (and on
a fresh connection before the round trip). `Run` executes one SQL string without
parameters and returns its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy.engine import Dialect

TableKey = tuple[str | None, str]  # (schema, name); schema None: the default one
Run = Callable[[str], list[tuple[Any, ...]]]

_PG_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND left(n.nspname, 3) <> 'pg_'
"""
_PG_REFERENCES = """
SELECT cn.nspname, c.relname, pn.nspname, p.relname
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE k.contype = 'f'
"""
_MYSQL_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
)
_MYSQL_REFERENCES = (
    "SELECT table_name, referenced_table_name FROM information_schema.referential_constraints "
    "WHERE constraint_schema = DATABASE()"
)
_SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'"
)


def raw(dbapi_connection: Any) -> Run:
    """A Run on a DBAPI connection (a cursor of its own per statement)."""

    def run(sql: str) -> list[tuple[Any, ...]]:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        finally:
            cursor.close()

    return run


def _schema(dialect: Dialect, schema: str | None) -> str | None:
    return None if schema == dialect.default_schema_name else schema


def tables(run: Run, dialect: Dialect) -> set[TableKey]:
    """Every table of the database (PostgreSQL: of every user schema)."""
    if dialect.name == "postgresql":
        return {(_schema(dialect, schema), name) for schema, name in run(_PG_TABLES)}
    if dialect.name in {"mysql", "mariadb"}:
        return {(None, str(name)) for (name,) in run(_MYSQL_TABLES)}
    if dialect.name == "sqlite":
        return {(None, str(name)) for (name,) in run(_SQLITE_TABLES)}
    return set()


def references(run: Run, dialect: Dialect) -> set[tuple[TableKey, TableKey]]:
    """(child, parent) for every foreign key."""
    if dialect.name == "postgresql":
        return {
            ((_schema(dialect, cs), str(c)), (_schema(dialect, ps), str(p)))
            for cs, c, ps, p in run(_PG_REFERENCES)
        }
    if dialect.name in {"mysql", "mariadb"}:
        return {((None, str(c)), (None, str(p))) for c, p in run(_MYSQL_REFERENCES)}
    if dialect.name == "sqlite":
        found: set[tuple[TableKey, TableKey]] = set()
        for _, name in tables(run, dialect):
            for row in run(f"PRAGMA foreign_key_list({quote(dialect, (None, name))})"):
                found.add(((None, name), (None, str(row[2]))))
        return found
    return set()


def columns(dbapi_connection: Any, dialect: Dialect, key: TableKey) -> set[str]:
    """The table's columns now (lowercase names)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SELECT * FROM {quote(dialect, key)} WHERE 1 = 0")
        found = {str(column[0]).lower() for column in cursor.description or ()}
        cursor.fetchall()
        return found
    finally:
        cursor.close()


def quote(dialect: Dialect, key: TableKey) -> str:
    preparer = dialect.identifier_preparer
    name = preparer.quote(key[1])
    return f"{preparer.quote_schema(key[0])}.{name}" if key[0] else name


def empty(
    run: Run, dialect: Dialect, targets: Collection[TableKey], *, mine: Collection[TableKey]
) -> list[TableKey]:
    """Delete every row of `targets`, and first of every table of `mine` whose foreign
    keys point at them (however indirectly). Returns the tables emptied, children first.

    `mine` are the tables whose rows the caller made: a table outside it (one the
    database held before, one holding rows a migration wrote) is never emptied through
    a reference, even when it points at `targets`; where its rows reference a row being
    deleted, the DELETE fails on an engine that enforces foreign keys, and nothing is
    emptied (the caller's savepoint or transaction undoes the rest)."""
    edges = references(run, dialect)
    existing = tables(run, dialect)
    wanted = {key for key in targets if key in existing}
    wanted = referencing(wanted, edges, within={key for key in existing if key in mine})
    order = children_first(wanted, edges)
    if dialect.name in {"mysql", "mariadb"}:
        run("SET FOREIGN_KEY_CHECKS = 0")
        try:
            for key in order:
                run(f"DELETE FROM {quote(dialect, key)}")
        finally:
            run("SET FOREIGN_KEY_CHECKS = 1")
    elif dialect.name == "postgresql" and len(order) < len(wanted):  # a cycle
        # One statement, whose foreign keys are checked once every DELETE in it ran. No
        # TRUNCATE: it gives the tables new files and takes ACCESS EXCLUSIVE locks, which
        # lock tracing would hold against the migration's statement (AG905, AG907).
        order = sorted(wanted, key=str)
        run(together([f"DELETE FROM {quote(dialect, key)}" for key in order]))
    else:
        for key in order + sorted(wanted - set(order), key=str):
            run(f"DELETE FROM {quote(dialect, key)}")
    return order


def together(statements: list[str]) -> str:
    """PostgreSQL: several DELETEs as one statement (data-modifying WITH queries), so the
    foreign keys between their tables are checked once all of them have run."""
    *first, last = statements
    parts = [f"d{number} AS ({sql})" for number, sql in enumerate(first)]
    return f"WITH {', '.join(parts)} {last}"


def referencing(
    keys: Iterable[TableKey],
    edges: set[tuple[TableKey, TableKey]],
    within: Collection[TableKey] | None = None,
) -> set[TableKey]:
    """`keys` and the tables whose foreign keys point at them, however indirectly
    (through tables of `within` only, when given)."""
    reached = set(keys)
    grown = True
    while grown:
        children = {
            child
            for child, parent in edges
            if parent in reached and (within is None or child in within)
        }
        grown = not children <= reached
        reached |= children
    return reached


def children_first(
    keys: Iterable[TableKey], edges: set[tuple[TableKey, TableKey]]
) -> list[TableKey]:
    """`keys` ordered so that a table comes before those it references; tables on a
    cycle are left out."""
    pending = set(keys)
    order: list[TableKey] = []
    while pending:
        # A table no other pending table references can go now.
        free = sorted(
            (
                key
                for key in pending
                if not any(
                    parent == key and child in pending and child != key for child, parent in edges
                )
            ),
            key=str,
        )
        if not free:
            break
        order += free
        pending -= set(free)
    return order
