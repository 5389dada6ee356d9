"""What keeps alembic from loading a history at all: then no alembic command runs
(`upgrade`, `stamp`, `merge` fail with KeyError, CycleDetected or RevisionError), so
doctor names the problem before its diagnosis and prints no alembic fix.

The problems are lint's AG002, AG003, AG005 and AG006; `alembic-gate lint` gives each
with its file, line and fix.
"""

from __future__ import annotations

from alembic_gate.history.graph import RevisionGraph

# Problems named before "and N more".
LISTED = 3


def problems(graph: RevisionGraph) -> list[str]:
    """Why alembic cannot load `graph`, one phrase each; [] when it can."""
    found = [_dangling(d.child, d.target, d.kind) for d in graph.dangling]
    found += [f"revisions {' -> '.join(cycle)} need each other (AG005)" for cycle in graph.cycles()]
    found += [
        f"branch label {label} is on both {' and '.join(owners)} (AG006)"
        for label, owners in graph.duplicate_labels.items()
    ]
    return found


def _dangling(child: str, target: str, kind: str) -> str:
    if kind == "down_revision":
        return f"{child}'s down_revision names {target}, which no revision file defines (AG002)"
    return f"{child}'s depends_on names {target}, which is no revision or branch label (AG003)"


def sentence(found: list[str]) -> str:
    """The problems as one clause, lower case (it follows "but" in a status line)."""
    shown = "; ".join(found[:LISTED])
    more = f"; and {len(found) - LISTED} more" if len(found) > LISTED else ""
    return (
        f"the history is broken: alembic cannot load it, so no alembic command runs until "
        f"it is fixed: {shown}{more} (`alembic-gate lint` shows each with its fix)"
    )
