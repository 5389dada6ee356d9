"""AG008 multiple-bases: two or more bases that no branch label tells apart.

Alembic's "multiple bases" design starts each independent branch with
`alembic revision --head=base --branch-label=NAME`; such labelled bases are fine
(decided as for heads in AG001: a base is fine when it carries a label of its own).
An unlabelled second base is usually a revision made with `down_revision = None` by
mistake, or a history copied in from another project.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import unreadable_note

RULE = RULES["AG008"]


def check(ctx: LintContext) -> Iterator[Finding]:
    graph = ctx.graph
    bases = graph.without_own_label(graph.bases)
    if len(bases) < 2:
        return
    listed = ", ".join(f"{b} ({graph.by_id[b].display})" for b in bases)
    for base in bases:
        rev = graph.by_id[base]
        yield RULE.finding(
            f"{base} is one of {len(bases)} bases with no branch label of their own: "
            f"{listed}. Set down_revision to the revision this one follows, or, for an "
            f"independent branch, give it a branch label{unreadable_note(graph, ctx.sourceless)}",
            path=rev.display,
            line=rev.down_line,
            fix='branch_labels = ("<branch name>",)',
            key=base,  # the fingerprint survives other bases coming and going
        )
