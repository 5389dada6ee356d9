"""Type differences the database cannot hold: measured, not taken from alembic's word.

alembic's comparison holds a column's reflected type against the model's. Where the
database stores the model's type as another (MySQL and MariaDB store FLOAT(53) as
DOUBLE), it reports a difference on every run whose fix changes nothing. check measures
instead: it creates the model's type in a temporary table of the migrated database,
reads it back as the comparison read the column, and drops the type difference where
both read back the same. The temporary table lives in check's own connection and
transaction (rolled back, and gone when the connection closes). Where the probe cannot
tell (the type does not compile, the CREATE fails), the difference stays.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.engine import URL, Connection

from alembic_gate.check.drift import leaves
from alembic_gate.check.targets import connect


def drop_stored_alike(script: ops.MigrationScript, urls: dict[str, URL]) -> None:
    """Remove from `script` each type change whose two types the database stores alike
    (an alter_column left with nothing to change goes)."""
    for upgrade_ops in script.upgrade_ops_list:
        changes = [
            (parent, op)
            for parent, op in leaves(upgrade_ops)
            if isinstance(op, ops.AlterColumnOp) and op.modify_type is not None
        ]
        url = urls.get(upgrade_ops.upgrade_token or "") or next(iter(urls.values()), None)
        if not changes or url is None:
            continue
        with connect(url) as conn:
            for parent, op in changes:
                if not stored_alike(conn, op.existing_type, op.modify_type):
                    continue
                op.modify_type = None
                if not op.to_diff_tuple():
                    parent.ops.remove(op)


def stored_alike(conn: Connection, reflected: Any, model: Any) -> bool:
    """Whether the database reads `model`, once created, back as the `reflected` type."""
    if reflected is None:
        return False
    name = f"alembic_gate_probe_{uuid.uuid4().hex[:12]}"
    table = sa.Table(name, sa.MetaData(), sa.Column("probe", model), prefixes=["TEMPORARY"])
    transaction = conn.begin()
    try:
        table.create(conn)
        [column] = sa.inspect(conn).get_columns(name)
        read_back = _compiled(conn, column["type"])
        return read_back is not None and read_back == _compiled(conn, reflected)
    except (sa.exc.SQLAlchemyError, ValueError, TypeError):
        return False
    finally:
        transaction.rollback()


def _compiled(conn: Connection, type_: Any) -> str | None:
    try:
        return str(type_.compile(dialect=conn.dialect))
    except (sa.exc.SQLAlchemyError, TypeError, AttributeError, NotImplementedError):
        return None
