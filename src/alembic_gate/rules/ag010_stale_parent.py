"""AG010: with `--base REF`, a new revision sits on a parent that is no longer REF's head.

Two pull requests each add a revision on the same parent; each passes alone, and
merging both leaves two heads on the base. The one merged second finds, on the
base, that its parent has gained a child this branch does not have. Heads that
carry branch labels of their own (`label@head`) are not reported, as in AG001.

On a merge checkout (GitHub's `refs/pull/N/merge`: the base with the pull request
merged in), the base's new revision is already in the working tree; the branch judged
is then the pull request's own head (`ctx.branch_graph`), read from git.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import command

RULE = rule("AG010")


def check(ctx: LintContext) -> Iterator[Finding]:
    base, new = ctx.base_graph, ctx.new_revisions
    if base is None or new is None:
        return
    branch = ctx.branch_graph or ctx.graph
    merged = _merged(branch, base)
    clashing = set(merged.without_own_label(merged.heads))
    for rid, rev in branch.by_id.items():
        if rid not in new or not clashing & merged.descendants([rid]):
            continue
        for parent in rev.parents:
            moved = [
                child
                for child in base.children_of(parent)
                if child not in branch.by_id and clashing & merged.descendants([child])
            ]
            if moved:
                yield _finding(ctx, branch, base, rev, parent, moved)


def _merged(graph: RevisionGraph, base: RevisionGraph) -> RevisionGraph:
    """The history once this branch is merged into the base."""
    extra = [rev for rid, rev in base.by_id.items() if rid not in graph.by_id]
    return RevisionGraph.build([*graph.by_id.values(), *extra])


def _finding(
    ctx: LintContext,
    branch: RevisionGraph,
    base: RevisionGraph,
    rev: RevisionFile,
    parent: str,
    moved: list[str],
) -> Finding:
    rid = rev.revision or ""
    ref = ctx.base_ref or "the base"
    above = base.descendants([parent])
    targets = [head for head in base.heads if head in above]
    mine = branch.descendants([rid])
    branch_heads = [head for head in branch.heads if head in mine]
    verb = "has" if len(moved) == 1 else "have"
    message = (
        f"revision {rid} is new on this branch and sits on {parent}, but on {ref} "
        f"{', '.join(moved)} {verb} been added on top of {parent} since: merging this "
        f"branch would leave two heads. It should sit on {ref}'s head "
        f"{' or '.join(targets) or 'instead'}"
    )
    import json  # only for this rare finding: every lint run imports this module

    target = json.dumps(targets[0] if targets else parent)
    merge = command(ctx, "merge", '-m "merge heads" ' + " ".join([*targets, *branch_heads]))
    fix = (
        f"re-parent: set `down_revision = {target}` in {rev.display} (and `Revises:` in its "
        f"docstring); or merge {ref} into this branch and run `{merge}`"
    )
    line = rev.down_line or rev.line
    return RULE.finding(message, rev.display, line, fix, key=f"{rid} on {parent}")
