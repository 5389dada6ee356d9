"""AG009 header-mismatch (opt-in): the docstring's `Revision ID:` / `Revises:` lines
disagree with the `revision` / `down_revision` variables alembic actually uses.

`Revises:` lists merge parents as `a, b`; a base has it empty or `<base>`.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.revisions import RevisionFile, header_ids
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag00_common import ids_literal

RULE = RULES["AG009"]


def check(ctx: LintContext) -> Iterator[Finding]:
    for rev in ctx.graph.by_id.values():
        yield from _check_file(rev)
    for rev in ctx.graph.dropped():
        yield from _check_file(rev)


def _check_file(rev: RevisionFile) -> Iterator[Finding]:
    if rev.header_revision is not None:
        text, line = rev.header_revision
        if header_ids(text) != {rev.revision}:
            yield _finding(rev, line, "Revision ID", text, [rev.revision or ""])
    if rev.header_revises is not None:
        text, line = rev.header_revises
        if header_ids(text) != set(rev.parents):
            yield _finding(rev, line, "Revises", text, list(rev.parents))


def _finding(rev: RevisionFile, line: int, key: str, text: str, ids: list[str]) -> Finding:
    variable = "revision" if key == "Revision ID" else "down_revision"
    return RULE.finding(
        f"the docstring says `{key}: {text}` but `{variable} = {ids_literal(ids)}`; alembic "
        "uses the variable, so the header misleads whoever reads it. Make the header match",
        path=rev.display,
        line=line,
        fix=f"{key}: {', '.join(ids)}".rstrip(),
    )
