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
        # With a child or dependent it is no warning only: alembic still counts the
        # dropped file as a head, below the child (doctor names the history broken).
        after = ctx.graph.built_on(rid)
        blocked = (
            ""
            if after is None
            else f"; and {rid} has a {after[0]}, {after[1]}, so `alembic upgrade heads` and "
            "`alembic history` fail (alembic still counts the dropped file as a head, below "
            f"{after[1]}: overlaps with other requested revisions)"
        )
        for rev in files:
            others = ", ".join(other.display for other in files if other is not rev)
            yield RULE.finding(
                f"revision id {rid!r} is also defined in {others}; alembic warns and keeps only "
                f"the file it reads last, dropping the other{blocked}. Give one file a new id "
                "(and update any down_revision that should name it)",
                path=rev.display,
                line=rev.line,
                fix=NEW_ID,
                key=rid,  # not the other files: the fingerprint survives a third copy
            )
