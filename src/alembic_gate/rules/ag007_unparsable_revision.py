"""AG007 unparsable-revision: a revision file that cannot be read statically, so it
is missing from the graph (and alembic itself would fail on most of these), or one
that Python cannot parse below its revision variables (it stays in the graph)."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import LintContext

RULE = RULES["AG007"]

# Problem prefix (see revisions.py) -> what to do, and a snippet when one helps.
_REVISION = 'revision = "<id>"'
_PARENT = 'down_revision = "<parent id>"  # or None for a base'
_ADVICE: tuple[tuple[str, str, str | None], ...] = (
    ("syntax error", "Fix the syntax error", None),
    ("no `revision`", "Add the revision id as a string literal", _REVISION),
    ("no `down_revision`", "Add the parent revision id", _PARENT),
    ("`revision` is not", "Write the id as one string literal", _REVISION),
    ("`revision` is bound", "Assign the id once, as a string literal at module level", _REVISION),
    (
        "`down_revision` is bound",
        "Assign the parent ids once, as string literals at module level",
        _PARENT,
    ),
    ("`down_revision` is not", "Write the parent ids as string literals", _PARENT),
    ("`", "Use ids without '@', '-', '+' or ':' (alembic reserves them)", None),
    ("not UTF-8", "Save the file as UTF-8, or declare its encoding on line 1", None),
    ("not ", "Save the file in the encoding its coding line declares", None),
    ("bad coding line", "Fix the coding line, or remove it and save the file as UTF-8", None),
    ("file contains NUL", "Remove it from the versions folder or restore its source", None),
    (
        "cannot read file: larger than",
        "Only this much of a revision file is ever read; remove the file or split it",
        None,
    ),
    (
        "cannot read file: not a regular file",
        "Put a regular file there or remove it from the versions folder",
        None,
    ),
    ("cannot read file", "Make the file readable", None),
)


def check(ctx: LintContext) -> Iterator[Finding]:
    for rev in ctx.graph.unparsable:
        yield _finding(rev)
    for rev in ctx.graph.files:
        if rev.syntax_error is not None and rev.problem is None:
            yield _syntax_error(rev, *rev.syntax_error)
    for path in ctx.sourceless:
        yield RULE.finding(
            "only a compiled .pyc exists for this revision (sourceless), so it cannot be "
            "read without importing it and is left out of the graph. Keep the .py source "
            "next to it in the repository",
            path=path,
        )


def _finding(rev: RevisionFile) -> Finding:
    problem = rev.problem or "no revision id could be read"
    advice, fix = next(
        ((a, f) for prefix, a, f in _ADVICE if problem.startswith(prefix)),
        ("Simplify the file so Python can parse it", None),
    )
    source = rev.down_source if problem.startswith("`down_revision`") else None
    shown = f" (`{source[:80]}`)" if source else ""
    return RULE.finding(
        f"cannot read this revision statically: {problem}{shown}; it is left out of the "
        f"graph. {advice}",
        path=rev.display,
        line=rev.problem_line,
        fix=fix,
    )


def _syntax_error(rev: RevisionFile, problem: str, line: int | None) -> Finding:
    return RULE.finding(
        f"Python cannot parse this revision file ({problem}), so alembic fails to load "
        "the history; its revision ids stand above the error and were read, so it stays "
        "in the graph. Fix the syntax error",
        path=rev.display,
        line=line,
    )
