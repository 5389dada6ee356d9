"""AG107: an empty `downgrade()`, or one that raises, while `upgrade()` does something."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, suppress_hint

RULE = rule("AG107")


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx):
        upgrade, downgrade = checked.ops.upgrade, checked.ops.downgrade
        if upgrade.empty:
            continue
        if downgrade.line is None:
            problem = "has no downgrade()"
        elif downgrade.raises:
            problem = "has a downgrade() that raises, so it cannot be rolled back"
        elif downgrade.empty:
            problem = (
                "has an empty downgrade(): `alembic downgrade` passes over it and "
                "leaves the schema as upgrade() made it"
            )
        else:
            continue
        message = f"revision {checked.rid} changes the schema in upgrade() but {problem}"
        fix = (
            "write the reverse operations in downgrade() (autogenerate emits them); "
            f"if the revision is meant to be one-way, say so with `{suppress_hint(RULE.code)}`"
        )
        yield checked.finding(RULE, downgrade.line, message, fix)
