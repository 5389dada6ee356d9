"""GitHub Actions: workflow-command annotations and the Markdown step summary.

Everything here ends up in a job log or on a pull request page, and much of it comes
from revision files a fork's pull request can write. Annotations escape their
properties and message as ``@actions/core`` does; every other line goes through
``common.log_line`` (controls escaped, no line that starts a workflow command).

Paths are relative to the repository root, as GitHub shows them: with a
`working-directory:` the tool's paths get its folder in front (``github_prefix``).
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.findings.catalog import RULES
from alembic_gate.findings.locks import LockRow, RevisionLocks
from alembic_gate.reporters.common import (
    github_prefix,
    limited,
    location,
    log_line,
    prefixed,
    utf8_size,
    visible,
)
from alembic_gate.reporters.text import (
    finding_lines,
    held_for,
    lock_tables,
    statements_traced,
    summary_line,
)
from alembic_gate.shared import records

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
# GitHub turns at most 10 workflow commands of each level into annotations per step.
ANNOTATIONS_PER_LEVEL = 10
# An annotation's message is cut here (GitHub keeps 64 KiB; a long one helps nobody).
MESSAGE_LIMIT = 4000
# GitHub refuses a step summary over 1 MiB (for everything a step writes): ours stays
# well below, whatever the number of findings.
SUMMARY_LIMIT = 900 * 1024
# Mermaid (as GitHub runs it) refuses diagrams over 50,000 characters or 500 edges.
MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500
# More heads than this, drawn side by side, shrink to a line nobody can read.
MAX_HEADS = 20
# A rule's list of findings longer than this is folded (<details>).
FOLDED = 10
# A fix command longer than this is broken over lines in the summary (shell `\`).
FIX_WIDTH = 88
# check's lock tables take at most this much of the summary when the findings need the
# rest (they come first), and show at most this many statements of one revision.
LOCKS_SHARE = SUMMARY_LIMIT // 2
LOCK_ROWS = 50


def escape_data(value: str) -> str:
    """Escape a command's message as @actions/core's ``escapeData`` does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command's property value as @actions/core's ``escapeProperty`` does."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str], message: str) -> str:
    """``::name key=value,key=value::message``; empty properties are left out."""
    props = ",".join(
        f"{key}={escape_property(visible(value))}" for key, value in properties.items() if value
    )
    text = visible(message, keep_newlines=True)
    return f"::{name}{' ' if props else ''}{props}::{escape_data(text)}"


def annotation(finding: Finding, prefix: str = "") -> str:
    path = prefixed(finding.path, prefix) if finding.path else ""
    if os.path.isabs(path):  # outside the repository: no file GitHub could show
        path = ""
    properties = {"file": path, "line": "", "title": f"{finding.code} {finding.name}"}
    if path and finding.line:
        properties["line"] = str(finding.line)
    message = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return command(LEVELS[finding.severity], properties, message)


def render(report: Report) -> str:
    """One annotation per finding, up to GitHub's limit per level.

    Past the limit the last annotation slot of that level says how many more there are,
    and those findings follow as plain log lines (they are all in the step summary), as
    do the report's notes. check's lock tables come first, as in the text report: the
    log has every one of them, however many the step summary has room for.
    """
    prefix = github_prefix()
    findings = sorted_findings(report.findings)
    totals = Counter(LEVELS[f.severity] for f in findings)
    shown: Counter[str] = Counter()
    lines: list[str] = lock_tables(_locks_with_prefix(report, prefix))
    hidden: list[Finding] = []
    for finding in findings:
        level = LEVELS[finding.severity]
        if shown[level] < _room(totals[level]):
            lines.append(annotation(finding, prefix))
            shown[level] += 1
        else:
            hidden.append(finding)
    for level in LEVELS.values():
        if totals[level] > shown[level]:
            lines.append(_overflow(level, totals[level] - shown[level]))
    for finding in hidden:
        lines += finding_lines(_with_prefix(finding, prefix))  # safe lines
    lines += [log_line(f"note: {note}") for note in report.notes]  # in the summary too
    return "".join(f"{line}\n" for line in lines)


def _with_prefix(finding: Finding, prefix: str) -> Finding:
    if not prefix or finding.path is None:
        return finding
    return records.replace(finding, path=prefixed(finding.path, prefix))


def _locks_with_prefix(report: Report, prefix: str) -> Report:
    """The report with its lock tables' paths relative to the repository root."""
    if not prefix:
        return report
    locks = [
        records.replace(r, path=prefixed(r.path, prefix) if r.path else r.path)
        for r in report.locks
    ]
    return records.replace(report, locks=locks)


def _room(total: int) -> int:
    # When a level overflows, its last slot goes to the annotation that says so.
    return total if total <= ANNOTATIONS_PER_LEVEL else ANNOTATIONS_PER_LEVEL - 1


def _overflow(level: str, count: int) -> str:
    noun = level if count == 1 else f"{level}s"
    message = (
        f"{count} more {noun} not shown as annotations (GitHub shows "
        f"{ANNOTATIONS_PER_LEVEL} per step): see the job summary or the log."
    )
    return command(level, {"title": "alembic-gate"}, message)


# --- the step summary ---------------------------------------------------------------------


def step_summary(report: Report) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: what failed, grouped by rule, each fix in
    a code block; check's notes and lock tables; then the revision graph around the
    heads, with a legend. Whatever the report holds, it stays under ``SUMMARY_LIMIT``:
    the findings come first, the lock tables get what they leave (at least
    ``LOCKS_SHARE`` when they need it), and what does not fit is counted."""
    prefix = github_prefix()
    findings = [_with_prefix(f, prefix) for f in sorted_findings(report.findings)]
    head = [f"## alembic-gate {report.command}", f"**{_inline(summary_line(report))}**"]
    if findings:
        head.append(_fails_note(report))
    budget = SUMMARY_LIMIT - sum(_size(part) for part in head)
    graphs = [_graph_section(graph, len(report.mermaid)) for graph in report.mermaid]
    budget -= sum(_size(part) for part in graphs)
    blocks = [_lock_block(r) for r in _locks_with_prefix(report, prefix).locks]
    wanted = sum(_size(block) for block in blocks) + 1000 if blocks else 0  # + title, count
    notes = _notes(report, budget // 10)
    budget -= sum(_size(part) for part in notes)
    groups = _groups(findings, budget - min(wanted, LOCKS_SHARE))
    budget -= sum(_size(part) for part in groups)
    locks = [_lock_section(blocks, budget)] if blocks else []
    return "\n\n".join([*head, *groups, *notes, *locks, *graphs]) + "\n"


def _size(part: str) -> int:
    """What a part of the summary counts against the limit: its UTF-8 bytes and the
    blank line that joins it to the next."""
    return utf8_size(part) + 2


def _notes(report: Report, budget: int) -> list[str]:
    """The run's notes (check: tables seeding could not give rows) and unused
    suppressions, as lists; past ``budget`` bytes the rest of a list is counted."""
    parts = []
    lists = [
        ("Notes", [f"- {_inline(note)}" for note in report.notes]),
        ("Unused suppressions", [f"- {_code(note)}" for note in report.unused_suppressions]),
    ]
    for title, items in lists:
        if not items:
            continue
        kept, left_out = limited(items, max(budget // 2 - len(title) - 100, 0))
        if left_out:
            kept.append(f"- … and {left_out} more: `--format json` has every one")
        parts.append(f"{title}:\n\n" + "\n".join(kept))
    return parts


def write_step_summary(report: Report, path: str | Path) -> None:
    """Append the step summary to ``path`` (the file ``GITHUB_STEP_SUMMARY`` names). A
    file name that is not UTF-8 (git takes any bytes) is written with escapes (\\udcff),
    as on standard output."""
    with Path(path).open("a", encoding="utf-8", errors="backslashreplace") as summary:
        summary.write(step_summary(report))


def _fails_note(report: Report) -> str:
    failing, bar = len(report.failing()), f"(`--fail-on {report.fail_on}`)"
    if len(report.findings) == 1:
        return f"It fails the run {bar}." if failing else f"It does not fail the run {bar}."
    if failing == len(report.findings):
        return f"All of them fail the run {bar}."
    return f"{failing or 'None'} of them {'fail' if failing else 'fails'} the run {bar}."


def _groups(findings: list[Finding], budget: int) -> list[str]:
    """One section per rule code, most severe first; past ``budget`` bytes the rest is
    counted, not shown."""
    order = {"error": 0, "warning": 1, "info": 2}
    codes = sorted({f.code for f in findings}, key=lambda c: (order[RULES[c].severity], c))
    sections: list[str] = []
    shown = 0
    for code in codes:
        group = [f for f in findings if f.code == code]
        section, count = _group(group, budget - sum(_size(s) for s in sections))
        sections.append(section)
        shown += count
        if count < len(group):
            break
    if shown < len(findings):
        sections.append(
            f"… {len(findings) - shown} findings are not shown here (GitHub's limit on a "
            "job summary): every one is in the log, and in `--format json` or `sarif`."
        )
    return sections


def _group(findings: list[Finding], budget: int) -> tuple[str, int]:
    """A rule's section: title, the findings as a list, each fix in a code block (one
    block for a fix they share). Returns the Markdown and how many findings it shows."""
    info = RULES[findings[0].code]
    count = len(findings)
    noun = info.severity if count == 1 else f"{info.severity}s"
    title = f"### {info.code} {info.name}: {count} {noun}"
    about = f"{_inline(info.summary)} [About {info.code}]({info.help_uri})"
    fixes = {f.fix for f in findings}
    shared_fix = fixes.pop() if len(fixes) == 1 and count > 1 else None
    tail = _shared_tail([f.message for f in findings]) if count > 1 else ""
    parts = [title, about]
    if tail:
        parts.append(f"All {count}: … {_inline(tail.strip())}")
    items = [_item(f, tail, with_fix=shared_fix is None) for f in findings]
    fix_block = (
        f"Fix, for all {count}:\n\n{_fence(_wrapped(shared_fix), 'sh')}" if shared_fix else ""
    )
    room = budget - sum(_size(p) for p in parts) - utf8_size(fix_block) - 200
    kept, left_out = limited(items, room)
    listing = "\n".join(kept)
    if left_out:
        listing += f"\n- … and {left_out} more {info.code} findings"
    if count > FOLDED:  # a long list folds away, so the fix and the graph stay in view
        listing = f"<details><summary>The {count} findings</summary>\n\n{listing}\n\n</details>"
    parts.append(listing)
    if fix_block:
        parts.append(fix_block)
    return "\n\n".join(parts), len(kept)


def _item(finding: Finding, tail: str, with_fix: bool) -> str:
    where = _code(location(finding)) if finding.path else "(no file)"
    message = finding.message[: len(finding.message) - len(tail)] if tail else finding.message
    line = f"- {where}: {_inline(message.rstrip())}"
    if with_fix and finding.fix:
        block = _fix(finding.fix)
        line += "\n\n" + "\n".join(f"  {row}" if row else "" for row in block.split("\n"))
        line += "\n"
    return line


def _fix(fix: str) -> str:
    """A command or code as a code block (long commands broken over lines); advice in
    words as a paragraph that wraps, its code spans kept."""
    if _is_command(fix):
        return _fence(_wrapped(fix), "sh")
    if "\n" in fix or _is_code(fix):
        return _fence(fix)
    return f"Fix: {_inline(fix)}"


def _is_code(fix: str) -> bool:
    """Whether a fix is Python as it stands (parsed, never run) rather than words."""
    try:
        ast.parse(fix)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _shared_tail(messages: Sequence[str]) -> str:
    """The end that every message shares, from a word on, when it is most of each
    message: near-identical findings (one per head) show their difference only."""
    shortest = min(len(m) for m in messages)
    size = 0
    while size < shortest and len({m[len(m) - size - 1] for m in messages}) == 1:
        size += 1
    tail = messages[0][len(messages[0]) - size :] if size else ""
    cut = tail.find(" ")
    tail = tail[cut:] if cut > 0 else tail
    if len(tail) < 40 or len(tail) < shortest // 2:
        return ""
    return tail


def _wrapped(fix: str | None) -> str:
    """A long one-line `alembic`/`flask db` command broken over lines with `\\`."""
    text = fix or ""
    if len(text) <= FIX_WIDTH or "\n" in text or not _is_command(text):
        return text
    lines, current = [], ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > FIX_WIDTH - 2:
            lines.append(current + " \\")
            current = "    " + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\n".join(lines)


def _fence(text: str, language: str = "") -> str:
    """A fenced code block that ``text`` cannot close: the fence is longer than any
    run of backticks inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{visible(text, keep_newlines=True)}\n{fence}"


def _is_command(text: str) -> bool:
    return text.startswith(("alembic ", "flask "))


def _inline(text: str) -> str:
    """A message as one line of Markdown: what stands between backticks is a code span,
    the rest is plain text with every character Markdown would read as markup escaped."""
    parts = visible(" ".join(text.split("\n"))).split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: no code spans at all
        return _escaped("`".join(parts))
    out = []
    for index, part in enumerate(parts):
        out.append(_code(part) if index % 2 else _escaped(part))
    return "".join(out)


def _escaped(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|~&#!])", r"\\\1", text)


def _table_code(text: str) -> str:
    """A code span inside a table cell, where GFM still reads a pipe as the cell's end."""
    return _code(text).replace("|", "\\|")


def _code(text: str) -> str:
    """A code span that holds ``text`` as it is (a longer fence around inner backticks)."""
    text = visible(text)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# --- the graph --------------------------------------------------------------------------


def _graph_section(graph: str, count: int) -> str:
    title, body = _split_title(graph)
    heading = "### Revision graph" + (f": {_inline(title)}" if title and count > 1 else "")
    edges = sum(1 for line in body.splitlines() if "--" in line)
    heads = re.search(r"^\s*class (\S+) head$", body, re.M)
    side_by_side = len(heads.group(1).split(",")) if heads else 0
    if len(graph) > MERMAID_MAX_TEXT or edges > MERMAID_MAX_EDGES or side_by_side > MAX_HEADS:
        return (
            f"{heading}\n\nThe history around the heads is too large to draw here "
            f"({side_by_side} heads, {edges} edges); `alembic-gate graph --format mermaid` "
            "draws all of it."
        )
    return f"{heading}\n\n```mermaid\n{graph.rstrip()}\n```\n\n{_legend(body)}"


def _split_title(graph: str) -> tuple[str, str]:
    match = re.match(r"---\ntitle: (\".*\")\n---\n", graph)
    if match is None:
        return "", graph
    return str(json.loads(match.group(1))), graph[match.end() :]


def _legend(body: str) -> str:
    keys = ["**thick border**: a head (nothing builds on it)"]
    if re.search(r"^\s*class .* new$", body, re.M):
        keys.append("**green**: new on this branch (not on `--base`)")
    if re.search(r"^\s*class .* missing$", body, re.M):
        keys.append("**dashed**: named by a revision, defined by no file")
    if "-.->" in body:
        keys.append("**dotted arrow**: `depends_on`")
    if "older(" in body:
        keys.append("**older revisions**: the history below, not drawn")
    return "Legend: arrows point from a revision to the ones built on it; " + "; ".join(keys)


# --- check's lock tables -----------------------------------------------------------------

LOCKS_TITLE = "### Locks measured on PostgreSQL"
LOCKS_ABOUT = "On tables that existed before each revision."


def lock_section(revisions: Sequence[RevisionLocks], budget: int = LOCKS_SHARE) -> str:
    """check on PostgreSQL: per revision, what each statement locked or rewrote, in at
    most ``budget`` bytes (what does not fit is counted)."""
    return _lock_section([_lock_block(revision) for revision in revisions], budget)


def _lock_section(blocks: list[str], budget: int) -> str:
    """The section of the revisions' ``blocks`` that fit in ``budget`` bytes; more than
    ``FOLDED`` revisions fold away, so the graph below stays in view."""
    kept: list[str] = []
    used = _size(LOCKS_TITLE) + _size(LOCKS_ABOUT) + 600  # the fold and the count
    for block in blocks:
        used += _size(block)
        if used > budget:
            break
        kept.append(block)
    body = "\n\n".join(kept)
    if len(blocks) > FOLDED:
        summary = f"The {len(blocks)} revisions traced"
        body = f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
    parts = [LOCKS_TITLE, LOCKS_ABOUT, body]
    if len(kept) < len(blocks):
        parts.append(
            f"… {len(blocks) - len(kept)} more revisions traced are not shown here (GitHub's "
            "limit on a job summary): every table is in the log, and in `--format json` "
            "(`locks`)."
        )
    return "\n\n".join(part for part in parts if part)


def _lock_block(revision: RevisionLocks) -> str:
    """One revision's heading and table (at most ``LOCK_ROWS`` statements), and its note."""
    where = f" {_code(revision.path)}" if revision.path else ""
    head = f"**{_code(revision.revision)}**{where} ({statements_traced(revision)})"
    if not revision.rows:
        parts = [f"{head}: no blocking lock, no rewrite."]
    else:
        rows = [
            "| Line | Statement | Table | Lock | Blocks | Held for | Rewrite |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *(_lock_row(row) for row in revision.rows[:LOCK_ROWS]),
        ]
        parts = [f"{head}\n\n" + "\n".join(rows)]
        if len(revision.rows) > LOCK_ROWS:
            more = len(revision.rows) - LOCK_ROWS
            parts.append(f"… and {more} more rows: in the log, and in `--format json`.")
    if revision.note:
        parts.append(f"Note: {_inline(revision.note)}")
    return "\n\n".join(parts)


def _lock_row(row: LockRow) -> str:
    held = held_for(row.held)
    return (
        f"| {row.line or ''} | {_table_code(row.statement)} | {_escaped(visible(row.table))} | "
        f"{row.lock or '-'} | {row.blocks or '-'} | {held} | "
        f"{'**yes**' if row.rewrite else 'no'} |"
    )
