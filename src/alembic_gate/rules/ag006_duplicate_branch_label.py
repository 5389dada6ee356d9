"""AG006 duplicate-branch-label: one branch label on two revisions, twice in one
revision's branch_labels, or a label that is also a revision id (alembic: "Branch name
'x' in revision b already used by revision a")."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import ids_literal, unread_values

RULE = RULES["AG006"]


def check(ctx: LintContext) -> Iterator[Finding]:
    graph = ctx.graph
    for label, owners in graph.duplicate_labels.items():
        first = graph.by_id[owners[0]]
        for rid in dict.fromkeys(owners[1:]):  # (a finding a file: copies of one id, once)
            rev = graph.by_id[rid]
            if rev.branch_labels.ids.count(label) > 1:  # ("x", "x"): mapped twice
                yield _listed_twice(rev, label)
            elif rid == first.revision:  # two files of one id (AG004): both are mapped
                yield _finding(rev, label, f"by another file of revision {rid} (AG004)")
            else:
                yield _finding(rev, label, f"by revision {first.revision} ({first.display})")
    for label, owner in graph.label_owner.items():
        if label in graph.by_id:
            yield _finding(graph.by_id[owner], label, f"as the id of {graph.by_id[label].display}")


def _finding(rev: RevisionFile, label: str, used_by: str) -> Finding:
    kept = [other for other in rev.branch_labels.ids if other != label]
    return RULE.finding(
        f"branch label {label!r} is already used {used_by}; alembic refuses to load "
        "the history. Rename the label here (and every `label@...` that means this branch)",
        path=rev.display,
        line=rev.branch_labels.line,
        fix=f"branch_labels = {ids_literal([*kept, f'{label}_{rev.revision}'])}",
    )


def _listed_twice(rev: RevisionFile, label: str) -> Finding:
    once = list(dict.fromkeys(rev.branch_labels.ids))
    return RULE.finding(
        f"branch label {label!r} is listed twice in this revision's branch_labels; alembic "
        f'maps each in turn and refuses to load the history ("already used by revision '
        f'{rev.revision}"). List it once',
        path=rev.display,
        line=rev.branch_labels.line,
        fix=f"branch_labels = {ids_literal(once)}",
    )


def notes(ctx: LintContext) -> Iterator[str]:
    yield from unread_values(
        ctx, "branch_labels", "what AG006, AG001's labelled heads and `label@head` say"
    )
