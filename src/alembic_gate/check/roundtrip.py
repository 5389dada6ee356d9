"""AG903 helpers: a comparable picture of a schema, and what a downgrade left behind."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_gate.check.targets import SYSTEM_SCHEMAS, tables_in
from alembic_gate.shared import drivers

Snapshot = dict[str, str]


def snapshot(conn: Connection, skip: Collection[str], schemas: Iterable[str | None]) -> Snapshot:
    """`{"column users.name": "VARCHAR(50) NOT NULL", ...}` for every table outside `skip`."""
    inspector = sa.inspect(conn)
    shot: Snapshot = {}
    for schema in dict.fromkeys([None, *schemas]):
        for table in drivers.table_names(inspector, schema):
            if table in skip:
                continue
            name = f"{schema}.{table}" if schema else table
            shot[f"table {name}"] = "present"
            _table(inspector, conn, schema, table, name, shot)
    if conn.dialect.name == "postgresql":
        for name, labels in enums(conn).items():
            shot[f"enum type {name}"] = labels
    return shot


def shape_of(conn: Connection, names: Iterable[str]) -> Snapshot:
    """`snapshot`'s picture of the tables `names` alone (named as `tables_in` names
    them: "legacy", "other.legacy")."""
    inspector = sa.inspect(conn)
    shot: Snapshot = {}
    for name in names:
        schema, _, table = name.rpartition(".")
        shot[f"table {name}"] = "present"
        _table(inspector, conn, schema or None, table, name, shot)
    return shot


def changed_at_base(before: Snapshot, now: Snapshot, where: str = "") -> list[tuple[str, str]]:
    """(key, sentence) for what the downgrade to base changed in the tables the database
    held before the first revision (`before`, `now`: their `shape_of`); a table it
    removed is one sentence, not one per column."""
    gone = {key[len("table ") :] for key in before if key.startswith("table ") and key not in now}
    found = [
        (
            f"table {name}",
            f"the downgrade to base removed table {name}{where}, {HELD} before check ran",
        )
        for name in sorted(gone)
    ]
    for key in sorted(before.keys() | now.keys()):
        was, is_now = before.get(key), now.get(key)
        if was == is_now or table_of(key) in gone:
            continue
        if is_now is None:
            said = f"removed {key}{where} {was}, {HELD}"
        elif was is None:
            said = f"left {key}{where} {is_now} behind, which the database did not hold"
        else:
            said = f"left {key}{where} as {is_now}; the database held it as {was}"
        found.append((key, f"the downgrade to base {said} before check ran"))
    return found


HELD = "which the database held"


def table_of(key: str) -> str:
    """The table a snapshot key is about ("column s.t.c": "s.t")."""
    words = key.split()
    if words[0] == "column":
        return words[1].rsplit(".", 1)[0]
    if "on" in words:
        return words[words.index("on") + 1]
    if words[:3] == ["primary", "key", "of"]:
        return words[3]
    return words[-1].split("(", 1)[0]


def _table(
    inspector: Any, conn: Connection, schema: str | None, table: str, name: str, shot: Snapshot
) -> None:
    for col in inspector.get_columns(table, schema):
        type_ = _type(col["type"], conn)
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
        columns = _cols(unique["column_names"])
        # An unnamed one (SQLite's `UNIQUE (a)`) by its columns: a table copy may list
        # them in another order, and two of them must not share one key.
        label = unique["name"] or columns
        shot[f"unique constraint {label} on {name}"] = columns


def _type(type_: Any, conn: Connection) -> str:
    """A reflected type as the database writes it; one that compiles to no DDL as
    Python writes it (a SQLite column declared without a type: `NullType()`)."""
    try:
        return str(type_.compile(dialect=conn.dialect))
    except sa.exc.CompileError:
        return repr(type_)


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


def held(conn: Connection, skip: Collection[str] = ()) -> dict[str, str]:
    """Tables (and PostgreSQL enum types) in every user schema, those outside the default
    one named with theirs ("enum type s.mood"), each with what it is: "present" for a
    table, an enum type's values ("happy, sad"). After a downgrade to base, what is left
    behind; before the first revision, what a --allow-nonempty database held."""
    found = {
        f"table {name}": "present"
        for name in tables_in(conn)
        if name.rsplit(".", 1)[-1] not in skip
    }
    if conn.dialect.name == "postgresql":
        found |= {f"enum type {name}": labels for name, labels in enums(conn).items()}
    return found


def changed_since(
    before: dict[str, str], now: dict[str, str], where: str = ""
) -> list[tuple[str, str]]:
    """(item, sentence) for each enum type the database held before the first revision
    whose values the downgrade to base did not leave as they were, or that it removed
    (`where`: " in engine1", for a multi-database env.py)."""
    found = []
    for item, was in sorted(before.items()):
        if not item.startswith("enum type ") or now.get(item) == was:
            continue
        if item in now:
            said = f"left {item}{where} as {now[item]}; the database held it as {was}"
        else:
            said = f"removed {item}{where} ({was}), which the database held"
        found.append((item, f"the downgrade to base {said} before check ran"))
    return found


def enums(conn: Connection) -> dict[str, str]:
    """The enum types of every user schema, named as tables_in names tables ("mood",
    "other.mood"), with their values read in their own schema ("happy, sad")."""
    inspector = sa.inspect(conn)
    default = inspector.default_schema_name
    found = {}
    for enum in getattr(inspector, "get_enums")(schema="*"):  # noqa: B009 - PostgreSQL only
        schema = enum["schema"]
        if schema in SYSTEM_SCHEMAS or schema.startswith("pg_"):
            continue
        name = enum["name"] if schema == default else f"{schema}.{enum['name']}"
        found[name] = ", ".join(enum["labels"])
    return dict(sorted(found.items()))
