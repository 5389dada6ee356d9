"""Pieces the graph rules (AG001-AG009) share: commands, literals, near ids."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.rules import LintContext
from alembic_gate.shared.commands import fix_command


def command(ctx: LintContext, subcommand: str, rest: str) -> str:
    """The command a user of this setup runs: `flask db ...` for Flask-Migrate."""
    return fix_command(ctx.setup, ctx.cwd, subcommand, rest)


def ids_literal(ids: Sequence[str]) -> str:
    """A Python literal for `down_revision = ...` in alembic's template style."""
    if not ids:
        return "None"
    import json  # only when a fix is written

    if len(ids) == 1:
        return json.dumps(ids[0])
    return "(" + ", ".join(json.dumps(rid) for rid in ids) + ")"


def near(target: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that look most like `target`, best first."""
    import difflib  # only for a missing id

    return difflib.get_close_matches(target, sorted(set(candidates)), n=3, cutoff=0.6)


def quoted(ids: Iterable[str]) -> str:
    return ", ".join(repr(rid) for rid in ids)


def unreadable_note(graph: RevisionGraph, sourceless: Sequence[str] = ()) -> str:
    """A caveat for shape findings while some revision files could not be read."""
    count = len(graph.unparsable) + len(sourceless)
    if not count:
        return ""
    files = "file" if count == 1 else "files"
    return f" ({count} revision {files} could not be read (AG007): fix that first)"


def unread_values(ctx: LintContext, variable: str, judged: str) -> Iterator[str]:
    """A note for each readable revision whose `variable` (`depends_on`, `branch_labels`)
    is no literal: lint kept it as unknown, so what `judged` says of it is a guess."""
    for rev in ctx.graph.files:
        value = getattr(rev, variable)
        if value.known or rev.problem is not None:
            continue
        source = value.source or ""
        how = source if source.startswith("bound ") else f"is not a literal (`{source}`)"
        yield (
            f"{rev.display}:{value.line}: `{variable}` {how}, so lint cannot read it "
            f"statically and takes it as empty: {judged} for revision {rev.revision} may be "
            "wrong. Write it as string literals"
        )
