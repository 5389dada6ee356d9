"""AG003 missing-dependency: a `depends_on` naming no revision or branch label.

Values that are not literals are unknown: a note says so (`notes`), no finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import (
    ids_literal,
    near,
    quoted,
    unread_values,
    unreadable_note,
)

RULE = RULES["AG003"]


def check(ctx: LintContext) -> Iterator[Finding]:
    graph = ctx.graph
    names = [*graph.by_id, *graph.label_owner]
    unreadable_ids = {rev.revision for rev in graph.unparsable}
    for ref in graph.dangling:
        if ref.kind != "depends_on" or ref.target in unreadable_ids:
            continue
        rev = graph.by_id[ref.child]
        close = near(ref.target, names)
        hint = f"; the nearest names are {quoted(close)}" if close else ""
        swap = close[:1]
        kept = [d for dep in rev.depends_on.ids for d in (swap if dep == ref.target else [dep])]
        yield RULE.finding(
            f"depends_on names {ref.target!r}, which is no revision id or branch label{hint}. "
            f"Name an existing revision or label (one in another versions folder, such as a "
            f"plugin's dependency on the core history, once that folder is in "
            f"version_locations or given with --versions too), or drop the dependency"
            f"{unreadable_note(graph, ctx.sourceless)}",
            path=rev.display,
            line=rev.depends_on.line,
            fix=f"depends_on = {ids_literal(kept)}",
        )


def notes(ctx: LintContext) -> Iterator[str]:
    yield from unread_values(ctx, "depends_on", "what AG003 and the upgrade order say")
