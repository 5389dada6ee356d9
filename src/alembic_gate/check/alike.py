"""Differences the database cannot hold: measured, not taken from alembic's word.

alembic's comparison holds what it reflects from the database against the models. Where
the database stores the models' type as another (MySQL and MariaDB store FLOAT(53) as
DOUBLE), or SQLAlchemy reads part of an index back from it (no DESC from SQLite, MySQL or
MariaDB), it reports a difference on every run whose fix changes nothing. check measures
instead, in a temporary table of the migrated database: it creates the models' type
there (or a copy of the table's columns with the models' index), reads it back as the
comparison read the database's, and drops the difference where both read back the same.
The temporary table lives in check's own connection and transaction (rolled back, and
gone when the connection closes). Where the probe cannot tell (a type that does not
compile, a CREATE the server refuses), the difference stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from alembic.operations.schemaobj import SchemaObjects
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL, Connection

from alembic_gate.check.drift import Leaf, changes, diff_of, leaves
from alembic_gate.check.targets import connect

_PROBE_ERRORS = (sa.exc.SQLAlchemyError, ValueError, TypeError, KeyError, NotImplementedError)


def drop_stored_alike(script: ops.MigrationScript, urls: dict[str, URL]) -> None:
    """Remove from `script` each type change whose two types the database stores alike (an
    alter_column left with nothing to change goes), and each index change whose two
    indexes it reads back alike."""
    for upgrade_ops in script.upgrade_ops_list:
        items = [(parent, op, diff_of(op)) for parent, op in leaves(upgrade_ops)]
        types = [(parent, op) for parent, op, _ in items if _type_change(op)]
        indexes = [
            (items[removed], items[added])
            for removed, added in changes(items).items()
            if isinstance(items[added][1], ops.CreateIndexOp)
        ]
        url = urls.get(upgrade_ops.upgrade_token or "") or next(iter(urls.values()), None)
        if url is None or not (types or indexes):
            continue
        with connect(url) as conn:
            _drop_types(conn, types)
            _drop_indexes(conn, indexes)


def _type_change(op: ops.MigrateOperation) -> bool:
    return isinstance(op, ops.AlterColumnOp) and op.modify_type is not None


def _drop_types(conn: Connection, found: Sequence[tuple[ops.OpContainer, Any]]) -> None:
    for parent, op in found:
        if stored_alike(conn, op.existing_type, op.modify_type):
            op.modify_type = None
            if not op.to_diff_tuple():
                parent.ops.remove(op)


def _drop_indexes(conn: Connection, pairs: Sequence[tuple[Leaf, Leaf]]) -> None:
    for (old_parent, drop, _), (new_parent, create, _) in pairs:
        if not isinstance(drop, ops.DropIndexOp) or not isinstance(create, ops.CreateIndexOp):
            continue
        if indexed_alike(conn, drop, create):
            old_parent.ops.remove(drop)
            new_parent.ops.remove(create)


def stored_alike(conn: Connection, reflected: Any, model: Any) -> bool:
    """Whether the database reads `model`, once created, back as the `reflected` type."""
    if reflected is None:
        return False
    name = _probe_name()
    table = sa.Table(name, sa.MetaData(), sa.Column("probe", model), prefixes=["TEMPORARY"])
    transaction = conn.begin()
    try:
        table.create(conn)
        [column] = sa.inspect(conn).get_columns(name)
        read_back = _compiled(conn, column["type"])
        return read_back is not None and read_back == _compiled(conn, reflected)
    except _PROBE_ERRORS:
        return False
    finally:
        transaction.rollback()


def indexed_alike(conn: Connection, drop: ops.DropIndexOp, create: ops.CreateIndexOp) -> bool:
    """Whether the models' index (`create`), made on a temporary copy of its table's
    columns, reads back as the database's index of that name (`drop`) does."""
    name = _probe_name()
    if drop.table_name is None:
        return False
    transaction = conn.begin()
    try:
        columns = sa.inspect(conn).get_columns(create.table_name, schema=create.schema)
        copy = [sa.Column(c["name"], c["type"]) for c in columns]
        sa.Table(name, sa.MetaData(), *copy, prefixes=["TEMPORARY"]).create(conn)
        objects = SchemaObjects(MigrationContext.configure(conn))
        made = objects.index(f"{name}_ix", name, create.columns, unique=create.unique, **create.kw)
        made.create(conn)
        inspector = sa.inspect(conn)
        probe = _index(inspector.get_indexes(name, schema=_temporary(conn)), f"{name}_ix")
        there = _index(inspector.get_indexes(drop.table_name, schema=drop.schema), drop.index_name)
        return probe is not None and probe == there
    except _PROBE_ERRORS:
        return False
    finally:
        transaction.rollback()


def _temporary(conn: Connection) -> str | None:
    """The schema to reflect a temporary table's indexes from: SQLite's `temp` (SQLAlchemy
    reads a partial index's WHERE from `sqlite_master`, which holds none of a temporary
    table's, so it fails there), elsewhere none (the server finds its own)."""
    return "temp" if conn.dialect.name == "sqlite" else None


def _index(reflected: Sequence[Any], name: str | None) -> tuple[Any, ...] | None:
    """What the comparison reads of the index `name`: its columns, expressions, sorting,
    uniqueness and dialect options."""
    for index in reflected:
        if index.get("name") == name:
            return (
                tuple(index.get("column_names") or ()),
                tuple(index.get("expressions") or ()),
                sorted((index.get("column_sorting") or {}).items()),
                bool(index.get("unique")),
                sorted(_options(index.get("dialect_options") or {}).items()),
            )
    return None


def _options(reflected: dict[str, Any]) -> dict[str, Any]:
    """An index's reflected dialect options, each clause (SQLite's `sqlite_where`, read
    back as a text() clause, which is equal to no other) as its SQL text."""
    return {
        key: str(value) if isinstance(value, sa.ClauseElement) else value
        for key, value in reflected.items()
    }


def _probe_name() -> str:
    return f"alembic_gate_probe_{uuid.uuid4().hex[:12]}"


def _compiled(conn: Connection, type_: Any) -> str | None:
    try:
        return str(type_.compile(dialect=conn.dialect))
    except (sa.exc.SQLAlchemyError, TypeError, AttributeError, NotImplementedError):
        return None
