"""AG002 missing-down-revision: a `down_revision` that no file defines."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.graph import Dangling, RevisionGraph
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import ids_literal, near, quoted, unreadable_note

RULE = RULES["AG002"]


def check(ctx: LintContext) -> Iterator[Finding]:
    graph = ctx.graph
    unreadable_ids = {rev.revision for rev in graph.unparsable}
    for ref in graph.dangling:
        if ref.kind == "down_revision" and ref.target not in unreadable_ids:
            yield _finding(ctx, ref)


def _finding(ctx: LintContext, ref: Dangling) -> Finding:
    graph = ctx.graph
    rev = graph.by_id[ref.child]
    close = near(ref.target, graph.by_id)
    heads = [] if close else _open_heads(graph, ref.child)
    hint = f"; the nearest ids are {quoted(close)}" if close else ""
    hint = f"; the heads it could sit on are {quoted(heads)}" if heads else hint
    fix = None
    if close or len(heads) == 1:
        best = (close or heads)[0]
        fix = (
            f"down_revision = {ids_literal([best if p == ref.target else p for p in rev.parents])}"
        )
    return RULE.finding(
        f"down_revision names {ref.target!r}, which no revision file defines "
        f"(deleted, renamed or not committed){hint}. Point it at an existing revision"
        f"{unreadable_note(graph, ctx.sourceless)}",
        path=rev.display,
        line=rev.down_line,
        fix=fix,
    )


def _open_heads(graph: RevisionGraph, child: str) -> list[str]:
    """Heads `child` could sit on instead: those not above it."""
    above = graph.descendants([child])
    return [head for head in graph.heads if head not in above]
