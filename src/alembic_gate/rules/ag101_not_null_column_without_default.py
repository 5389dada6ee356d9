"""AG101: `add_column` NOT NULL without `server_default` on a table that already exists
(also `ALTER TABLE t ADD [COLUMN] c type NOT NULL` run as SQL by execute(), and an
add_column a project function makes on the batch alias or `op` the revision hands it,
read from the function's source: history.imported). Not reported for an add under an if,
a loop or a try of a column the revisions it builds on made and did not drop: a guard
that the column is missing, which it is not, where the add does not run."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules.ag1xx import (
    Checked,
    as_written,
    column_of,
    each_revision,
    name_confidence,
    not_null_without_default,
    with_imported_calls,
)

RULE = rule("AG101")


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass), also
    of the columns a project function it hands a batch alias or `op` adds."""
    checked = with_imported_calls(checked)
    for call in checked.calls:
        column = call.new_column
        if call.name != "add_column" or column is None:
            continue
        # (a key column added without `nullable=` is NOT NULL too: ziggurat_foundations adds
        # `groups.id` with `autoincrement=False` on MySQL, which fills every row with 0,
        # and makes it the key on the next line)
        if not not_null_without_default(column):
            continue
        if call.conditional and checked.column_made(call):
            continue  # a guard that the column is missing: it is not (Faraday's aa56852fa76d
            # repeats fa12b8322112's adds under `if not column_exists(...)`)
        new = checked.is_new_table(call.table, call)
        filled = new and checked.filled_before(call)  # rows this revision put in (asked then)
        if (new and not filled) or checked.emptied(call):
            continue
        confidence = name_confidence(call.table, call.column)
        if call.foreign is not None and confidence == "high":
            confidence = "medium"  # the function as it is now, not as it was then
        yield checked.finding(RULE, call.line, _message(call, filled), _fix(call), confidence)


def _message(call: Call, filled: bool) -> str:
    assert call.new_column is not None
    how = as_written(call, "ADD COLUMN", "add_column")
    if call.foreign is not None:  # read from a project function the revision calls
        how = f"{how} (in {call.foreign[0]}(), as its source reads now)"
    default = "DEFAULT" if call.sql is not None else "server_default"
    message = f"{how} adds NOT NULL column {column_of(call)} with no "
    mysql = _ZERO_DATE if _is_date(call.new_column.type_) else _ZEROS
    if filled:  # (a table it created and filled: not the previous release's)
        message += (
            f"{default} to a table this revision puts rows into before it: the ALTER fails "
            f"on those rows ({mysql})"
        )
    else:
        message += (
            f"{default} to a table that already exists: the ALTER fails as soon as the "
            f"table holds a row ({mysql}, and the previous release's INSERTs fail)"
        )
    if call.new_column.client_default:
        message += " (`default=` is applied by SQLAlchemy on INSERT, never to existing rows)"
    return message


# What MySQL does instead: it fills the new column of every row with its type's zero,
# but for a DATE or DATETIME its default mode (NO_ZERO_DATE, strict) refuses the zero
# date (measured on MySQL 9: "Incorrect date value", "Incorrect datetime value"; TIME and
# TIMESTAMP columns were added), where MariaDB fills it in.
_ZEROS = "MySQL fills in zeros instead"
_ZERO_DATE = "on MySQL too, whose default mode refuses a zero date; MariaDB fills in zeros"


def _is_date(type_: str | None) -> bool:
    """Whether a column's type as written (`sa.DateTime()`, `sa.Date`,
    `mysql.DATETIME(fsp=6)`) is a DATE or DATETIME: its name, before any arguments."""
    if type_ is None:
        return False
    name = type_.split("(", 1)[0].rsplit(".", 1)[-1]
    return "date" in name.lower()


def _fix(call: Call) -> str:
    table = call.table or "<table>"
    column = call.column or "<column>"
    alter = (
        f'batch_op.alter_column("{column}", nullable=False)'
        if call.batch
        else f'op.alter_column("{table}", "{column}", nullable=False)'
    )
    return (
        f"add it with nullable=True, backfill it with "
        f'op.execute("UPDATE {table} SET {column} = ... WHERE {column} IS NULL"), '
        f"then {alter} in a later revision; or give it a server_default"
    )


check = each_revision(check_revision)
