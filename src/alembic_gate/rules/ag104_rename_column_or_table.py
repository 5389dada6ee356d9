"""AG104: renaming a column (`alter_column(new_column_name=)`) or a table (`rename_table`)."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, quoted

RULE = rule("AG104")


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx):
        for call in checked.ops.upgrade.calls:
            renames = call.name == "rename_table" or (
                call.name == "alter_column" and "new_column_name" in call.options
            )
            if renames and not checked.is_new_table(call.table):
                yield checked.finding(RULE, call.line, _message(call), _fix(call))


def _new_name(call: Call) -> str:
    name = call.new_table if call.name == "rename_table" else call.options["new_column_name"]
    return f'"{name}"' if isinstance(name, str) else "a new name"


def _message(call: Call) -> str:
    if call.name == "rename_table":
        what = f"rename_table renames table {quoted(call.table)} to {_new_name(call)}"
    else:
        what = f"alter_column renames column {quoted(call.table, call.column)} to {_new_name(call)}"
    return (
        f"{what}: the code still running from the previous release uses the old "
        "name and fails until the new release is everywhere"
    )


def _fix(call: Call) -> str:
    if call.name == "rename_table":
        return (
            "create the new table and copy the rows (or leave a view under the old "
            "name), switch the code over, then drop the old table in a later release"
        )
    return (
        "add the new column and copy the data, release code that writes both and "
        "reads the new one, then drop the old column in a later release"
    )
