"""AG005 revision-cycle: revisions that need each other, through `down_revision` or
`depends_on`, self-loops included (alembic's CycleDetected and LoopDetected)."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import ids_literal

RULE = RULES["AG005"]


def check(ctx: LintContext) -> Iterator[Finding]:
    for cycle in ctx.graph.cycles():
        rev = ctx.graph.by_id[cycle[0]]
        variable, kept = _edge(ctx.graph, rev, cycle[1])
        kind = "self-loop" if len(cycle) == 2 else "cycle"
        yield RULE.finding(
            f"revision {kind}: {' -> '.join(cycle)} (each arrow is a down_revision or "
            f"depends_on); alembic refuses to load the history. Break it: {cycle[0]}'s "
            f"{variable} should not name {cycle[1]!r}",
            path=rev.display,
            line=(rev.down_revision if variable == "down_revision" else rev.depends_on).line,
            fix=f"{variable} = {ids_literal(kept)}",
        )


def _edge(graph: RevisionGraph, rev: RevisionFile, target: str) -> tuple[str, list[str]]:
    """The variable holding the edge from `rev` to `target`, and its value without it."""
    if target in rev.parents:
        return "down_revision", [p for p in rev.parents if p != target]
    deps = rev.depends_on.ids
    return "depends_on", [d for d in deps if target not in (d, graph.label_owner.get(d))]
