"""AG103: `drop_column` / `drop_table` (data loss, and code still using it breaks)."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, quoted, suppress_hint

RULE = rule("AG103")
_DROPS = frozenset({"drop_column", "drop_table"})


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx):
        for call in checked.ops.upgrade.calls:
            if call.name in _DROPS and not checked.is_new_table(call.table):
                yield checked.finding(RULE, call.line, _message(call), _fix(call))


def _message(call: Call) -> str:
    if call.name == "drop_table":
        what = f"drop_table drops table {quoted(call.table)} and every row in it"
    else:
        what = f"drop_column drops column {quoted(call.table, call.column)} and its data"
    return (
        f"{what}: the code still running from the previous release fails on it "
        "during the deploy, and the data cannot be brought back by a downgrade"
    )


def _fix(call: Call) -> str:
    thing = "table" if call.name == "drop_table" else "column"
    return (
        f"first release code that no longer uses the {thing}, then drop it in a later "
        f"revision; when that is done, keep the drop and add `{suppress_hint(RULE.code)}`"
    )
