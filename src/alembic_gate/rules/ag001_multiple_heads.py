"""AG001 multiple-heads: two or more heads that no branch label tells apart.

Heads on distinct labelled branches are alembic's `label@head` design (expand and
contract, one branch per plugin) and are fine: a head is addressable when it carries
a branch label that no other head carries.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import command, unreadable_note

RULE = RULES["AG001"]


def check(ctx: LintContext) -> Iterator[Finding]:
    heads = ctx.graph.without_own_label(ctx.graph.heads)
    if len(heads) < 2:
        return
    listed = ", ".join(f"{h} ({ctx.graph.by_id[h].display})" for h in heads)
    fix = command(ctx, "merge", '-m "merge heads" ' + " ".join(shlex.quote(h) for h in heads))
    for head in heads:
        rev = ctx.graph.by_id[head]
        yield RULE.finding(
            f"{head} is one of {len(heads)} heads with no branch label of their own: "
            f"{listed}; `alembic upgrade head` fails with 'Multiple head revisions are present'. "
            f"Merge them into one head{unreadable_note(ctx.graph, ctx.sourceless)}",
            path=rev.display,
            line=rev.line,
            fix=fix,
        )
