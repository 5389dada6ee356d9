"""AG004 duplicate-revision: one revision id defined in two or more files."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.rules import LintContext

RULE = RULES["AG004"]

NEW_ID = 'python -c "import uuid; print(uuid.uuid4().hex[-12:])"'


def check(ctx: LintContext) -> Iterator[Finding]:
    for rid, files in ctx.graph.duplicates.items():
        for rev in files:
            others = ", ".join(other.display for other in files if other is not rev)
            yield RULE.finding(
                f"revision id {rid!r} is also defined in {others}; alembic warns and keeps only "
                "the file it reads last, dropping the other. Give one file a new id (and update "
                "any down_revision that should name it)",
                path=rev.display,
                line=rev.line,
                fix=NEW_ID,
                key=rid,  # not the other files: the fingerprint survives a third copy
            )
