"""AG903 helpers: a comparable picture of a schema, and what a downgrade left behind."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_gate.check.targets import SYSTEM_SCHEMAS, tables_in

Snapshot = dict[str, str]


def snapshot(conn: Connection, skip: Collection[str], schemas: Iterable[str | None]) -> Snapshot:
    """`{"column users.name": "VARCHAR(50) NOT NULL", ...}` for every table outside `skip`."""
    inspector = sa.inspect(conn)
    shot: Snapshot = {}
    for schema in dict.fromkeys([None, *schemas]):
        for table in inspector.get_table_names(schema):
            if table in skip:
                continue
            name = f"{schema}.{table}" if schema else table
            shot[f"table {name}"] = "present"
            _table(inspector, conn, schema, table, name, shot)
    if conn.dialect.name == "postgresql":
        for enum in getattr(inspector, "get_enums")():  # noqa: B009 - PostgreSQL inspector only
            shot[f"enum type {enum['name']}"] = ", ".join(enum["labels"])
    return shot


def _table(
    inspector: Any, conn: Connection, schema: str | None, table: str, name: str, shot: Snapshot
) -> None:
    for col in inspector.get_columns(table, schema):
        type_ = col["type"].compile(dialect=conn.dialect)
        null = "NULL" if col["nullable"] else "NOT NULL"
        default = f" DEFAULT {col['default']}" if col.get("default") is not None else ""
        shot[f"column {name}.{col['name']}"] = f"{type_} {null}{default}"
    pk = inspector.get_pk_constraint(table, schema)
    if pk.get("constrained_columns"):
        shot[f"primary key of {name}"] = _cols(pk["constrained_columns"])
    for fk in inspector.get_foreign_keys(table, schema):
        target = f"{fk['referred_table']}({', '.join(fk['referred_columns'])})"
        shot[f"foreign key {name}{_cols(fk['constrained_columns'])}"] = f"-> {target}"
    for index in inspector.get_indexes(table, schema):
        unique = "unique " if index.get("unique") else ""
        shot[f"index {index['name']} on {name}"] = unique + _cols(index["column_names"])
    for unique in inspector.get_unique_constraints(table, schema):
        shot[f"unique constraint {unique['name']} on {name}"] = _cols(unique["column_names"])


def _cols(columns: Iterable[Any]) -> str:
    return "(" + ", ".join(str(c) for c in columns) + ")"


def differences(before: Snapshot, after: Snapshot) -> list[tuple[str, str]]:
    """(key, sentence) for everything the round trip changed."""
    found = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if now is None:
            found.append((key, f"{key} ({was}) is gone after the round trip"))
        elif was is None:
            found.append((key, f"{key} ({now}) appears only after the round trip"))
        else:
            found.append((key, f"{key} was {was} before the round trip, {now} after"))
    return found


def leftovers(conn: Connection, skip: Collection[str]) -> list[str]:
    """Tables (and PostgreSQL enum types) still there after a downgrade to base, in every
    user schema (those outside the default one named with theirs: "enum type s.mood")."""
    left = [f"table {name}" for name in tables_in(conn) if name.rsplit(".", 1)[-1] not in skip]
    if conn.dialect.name == "postgresql":
        left += [f"enum type {name}" for name in _enums(conn)]
    return left


def _enums(conn: Connection) -> list[str]:
    """The enum types of every user schema, as tables_in names tables."""
    inspector = sa.inspect(conn)
    default = inspector.default_schema_name
    found = []
    for enum in getattr(inspector, "get_enums")(schema="*"):  # noqa: B009 - PostgreSQL only
        schema = enum["schema"]
        if schema in SYSTEM_SCHEMAS or schema.startswith("pg_"):
            continue
        found.append(enum["name"] if schema == default else f"{schema}.{enum['name']}")
    return sorted(found)
