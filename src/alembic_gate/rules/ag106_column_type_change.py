"""AG106: `alter_column(type_=...)`, which rewrites the table on most databases."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, quoted

RULE = rule("AG106")


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx):
        for call in checked.ops.upgrade.calls:
            if call.name != "alter_column" or call.options.get("type_", None) is None:
                continue
            if checked.is_new_table(call.table):
                continue
            message = (
                f"alter_column changes the type of {quoted(call.table, call.column)}"
                f"{_to(call)}: most type changes rewrite the whole table under an "
                "exclusive lock, and code from the previous release may not read the "
                "new type"
            )
            fix = (
                "add a column of the new type, backfill it, switch the code over, then "
                "drop the old column in a later release; a change the database does "
                "without a rewrite (such as a longer VARCHAR on PostgreSQL) can be "
                f"suppressed with `# alembic-gate: ignore[{RULE.code}]`"
            )
            yield checked.finding(RULE, call.line, message, fix)


def _to(call: Call) -> str:
    return f" to {call.type_text}" if call.type_text else ""
