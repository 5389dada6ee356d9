"""AG102: `alter_column(nullable=False)` with no backfill before it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from alembic_gate.catalog import rule
from alembic_gate.findings import Finding
from alembic_gate.operations import Call
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import Checked, checked_revisions, quoted

RULE = rule("AG102")


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx):
        calls = checked.ops.upgrade.calls
        for index, call in enumerate(calls):
            if call.name != "alter_column" or call.options.get("nullable") is not False:
                continue
            if checked.is_new_table(call.table) or _backfilled(call, calls[:index], checked):
                continue
            yield checked.finding(RULE, call.line, _message(call), _fix(call))


def _backfilled(call: Call, before: list[Call], checked: Checked) -> bool:
    return _fills(call, before) or _fills(call, checked.earlier_calls())


def _fills(target: Call, calls: Iterable[Call]) -> bool:
    """An UPDATE of the table (or of a table that cannot be read), or the column
    added with a server_default, which fills the rows that existed."""
    table = (target.table or "").lower()
    for call in calls:
        other = (call.table or "").lower()
        if call.name == "backfill" and (not other or not table or other == table):
            return True
        column = call.new_column
        filled = column is not None and column.server_default and column.name == target.column
        if filled and other == table:
            return True
    return False


def _message(call: Call) -> str:
    return (
        f"alter_column makes {quoted(call.table, call.column)} NOT NULL, but neither this "
        "revision nor an earlier one backfills it (no UPDATE of the table): the ALTER "
        "fails if any row still holds NULL"
    )


def _fix(call: Call) -> str:
    table = call.table or "<table>"
    column = call.column or "<column>"
    return (
        f'op.execute("UPDATE {table} SET {column} = ... WHERE {column} IS NULL")'
        " before the alter_column, in this revision or an earlier one"
    )
