"""AG001 multiple-heads: two or more heads that no branch label tells apart.

Heads on distinct labelled branches are alembic's `label@head` design (expand and
contract, one branch per plugin) and are fine: a head is addressable when it carries
a branch label that no other head carries.

One finding per head (each file gets its annotation), keyed on the head's id so its
fingerprint survives other heads coming and going. The full list of heads is written
into each message only while it is short; the JSON report's `heads` and the step
summary hold it for any number. The merge command leaves out heads whose own history
hangs from a revision no file defines: `alembic merge` cannot load them (AG002 first).

With `--base` on a merge checkout (GitHub's `refs/pull/N/merge`), the heads counted
are the pull request's own (`ctx.branch_graph`): a clash with revisions the base
gained since is AG010, on the pull request's file, not AG001 on a file it never
touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import command, unreadable_note
from alembic_gate.shared.commands import quote

RULE = RULES["AG001"]
# Up to this many heads, each message names them all.
LISTED = 5


def check(ctx: LintContext) -> Iterator[Finding]:
    graph = ctx.branch_graph or ctx.graph
    heads = graph.without_own_label(graph.heads)
    if len(heads) < 2:
        return
    hanging = {head: missing for head in heads if (missing := missing_below(graph, head))}
    mergeable = [head for head in heads if head not in hanging]
    fix = _merge_command(ctx, graph, heads, mergeable)
    listed = ""
    if len(heads) <= LISTED:
        listed = ": " + ", ".join(f"{h} ({graph.by_id[h].display})" for h in heads)
    note = unreadable_note(graph, ctx.sourceless)
    for head in heads:
        rev = graph.by_id[head]
        message = (
            f"{head} is one of {len(heads)} heads with no branch label of their own{listed}; "
            f"`alembic upgrade head` fails with 'Multiple head revisions are present'. "
            f"Merge them into one head{_hanging_note(head, hanging)}{note}"
        )
        yield RULE.finding(
            message, rev.display, rev.line, None if head in hanging else fix, key=head
        )


def missing_below(graph: RevisionGraph, head: str) -> list[str]:
    """The ids that `head`'s own history names and no file defines."""
    if not graph.dangling:
        return []  # the usual case: no walk down every head's history
    below = graph.ancestors([head])
    return sorted({d.target for d in graph.dangling if d.child in below})


def _merge_command(
    ctx: LintContext, graph: RevisionGraph, heads: list[str], mergeable: list[str]
) -> str | None:
    if len(mergeable) < 2:
        return None
    # `alembic merge heads` names every head: only when every head is to be merged.
    everything = len(mergeable) > LISTED and mergeable == heads == graph.heads
    ids = "heads" if everything else " ".join(quote(h) for h in mergeable)
    return command(ctx, "merge", f'-m "merge heads" {ids}')


def _hanging_note(head: str, hanging: dict[str, list[str]]) -> str:
    if head in hanging:
        return (
            f". Its own history hangs from {_names(hanging[head])}, which no file defines "
            "(AG002): alembic loads no history with a missing parent, so the merge command "
            "leaves this head out; point that down_revision at an existing revision first"
        )
    if hanging:
        return (
            f". The merge command leaves out {_names(list(hanging))}, whose history hangs "
            "from a revision no file defines (AG002): alembic loads no history with a missing "
            "parent, so fix that first, then merge (adding those heads if they still are)"
        )
    return ""


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:LISTED])
    return shown + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED else "")
