"""The order RevisionGraph.topological gave before it was made cheaper, worked out by
brute force for tests to compare with (tests/history/test_graph.py checks topological
itself, tests/rules/test_ag1xx_history.py the AG1xx Timeline that walks in it)."""

from __future__ import annotations

from alembic_gate.history.graph import RevisionGraph


def below(graph: RevisionGraph, rid: str, inside: set[str]) -> set[str]:
    """What `rid` builds on through revisions of `inside` (itself only if on a cycle)."""
    found: set[str] = set()
    stack = [rid]
    while stack:
        for parent in graph.upstream(stack.pop()):
            if parent in inside and parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


def depth_first(graph: RevisionGraph, among: set[str] | None = None) -> list[str]:
    """Depth first from each revision in file order, each after what it names, in the
    order it names them; revisions on a cycle left out."""
    everything = set(graph.by_id)
    candidates = everything if among is None else among
    wanted = {rid for rid in candidates if rid not in below(graph, rid, everything)}
    order: list[str] = []
    seen: set[str] = set()

    def visit(rid: str) -> None:
        seen.add(rid)
        for parent in graph.upstream(rid):
            if parent in wanted and parent not in seen:
                visit(parent)
        order.append(rid)

    for rid in graph.by_id:
        if rid in wanted and rid not in seen:
            visit(rid)
    return order
