"""Which revisions the safety findings speak about: the ones that can still change.

Old migrations have already run in production; a warning about them cannot be acted
on. `[tool.alembic-gate] since = "<revision>"` names the newest revision that has run
everywhere: only revisions that descend from it are in scope (it is not itself).
`--base REF` keeps only the revisions new relative to REF. Both together keep what
both keep. Graph rules (AG00x) ignore the scope; the safety rules (AG1xx) and check's
measurements (AG904-AG907) honour it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alembic_gate.errors import UsageError
from alembic_gate.history.graph import RevisionGraph

SINCE = "[tool.alembic-gate] since"


def resolve_since(graph: RevisionGraph, since: Sequence[str]) -> list[str]:
    """The revisions of `graph` that `since` names, by full id or unique prefix (as
    alembic accepts them). Entries that name no revision of this graph are left out:
    in a repository with several setups, each entry belongs to one of them."""
    found = []
    for entry in since:
        if entry in graph.by_id:
            found.append(entry)
            continue
        matches = [rid for rid in graph.by_id if rid.startswith(entry)]
        if len(matches) > 1:
            listed = ", ".join(sorted(matches)[:5])
            raise UsageError(f"{SINCE} = {entry!r} is ambiguous: it starts {listed}")
        found += matches
    return found


def check_since_known(graphs: Iterable[RevisionGraph], since: Sequence[str]) -> None:
    """Every `since` entry must name a revision of some setup (a typo would silently
    widen the scope to the whole history)."""
    graphs = list(graphs)
    for entry in since:
        if any(resolve_since(graph, [entry]) for graph in graphs):
            continue
        ids = [rid for graph in graphs for rid in graph.by_id]
        import difflib  # only for a `since` that names no revision

        near = difflib.get_close_matches(entry, ids, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UsageError(f"{SINCE} = {entry!r} names no revision of this project{hint}")


def safety_scope(
    graph: RevisionGraph, since: Sequence[str], new: frozenset[str] | None
) -> frozenset[str] | None:
    """The revisions safety findings are reported for; None means every revision."""
    anchors = resolve_since(graph, since)
    scope = new
    if anchors:
        after = graph.descendants(anchors) - set(anchors)
        scope = frozenset(after) if scope is None else scope & after
    return scope
