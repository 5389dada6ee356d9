"""GitHub Actions: workflow-command annotations and the Markdown step summary."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from alembic_gate.findings import Finding, Report, RevisionLocks, sorted_findings
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters.common import location
from alembic_gate.reporters.text import finding_lines, summary_line

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
# GitHub turns at most 10 workflow commands of each level into annotations per step.
ANNOTATIONS_PER_LEVEL = 10


def escape_data(value: str) -> str:
    """Escape a command's message as @actions/core's ``escapeData`` does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command's property value as @actions/core's ``escapeProperty`` does."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str], message: str) -> str:
    """``::name key=value,key=value::message``; empty properties are left out."""
    props = ",".join(
        f"{key}={escape_property(value)}" for key, value in properties.items() if value
    )
    return f"::{name}{' ' if props else ''}{props}::{escape_data(message)}"


def annotation(finding: Finding) -> str:
    properties = {"file": finding.path or "", "line": "", "title": f"{finding.code} {finding.name}"}
    if finding.path and finding.line:
        properties["line"] = str(finding.line)
    message = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    return command(LEVELS[finding.severity], properties, message)


def render(report: Report) -> str:
    """One annotation per finding, up to GitHub's limit per level.

    Past the limit the last annotation slot of that level says how many more there are,
    and those findings follow as plain log lines (they are all in the step summary).
    """
    findings = sorted_findings(report.findings)
    totals = Counter(LEVELS[f.severity] for f in findings)
    shown: Counter[str] = Counter()
    lines: list[str] = []
    hidden: list[Finding] = []
    for finding in findings:
        level = LEVELS[finding.severity]
        if shown[level] < _room(totals[level]):
            lines.append(annotation(finding))
            shown[level] += 1
        else:
            hidden.append(finding)
    for level in LEVELS.values():
        if totals[level] > shown[level]:
            lines.append(_overflow(level, totals[level] - shown[level]))
    lines += [line for finding in hidden for line in finding_lines(finding)]
    return "".join(f"{line}\n" for line in lines)


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


def step_summary(report: Report) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: summary line, findings table, mermaid graph."""
    sections = [f"## alembic-gate {report.command}", summary_line(report)]
    if report.findings:
        sections.append(_table(sorted_findings(report.findings)))
    if report.unused_suppressions:
        notes = "\n".join(f"- {_code(note)}" for note in report.unused_suppressions)
        sections.append(f"Unused suppressions:\n\n{notes}")
    if report.locks:
        sections.append(lock_section(report.locks))
    for graph in report.mermaid:
        sections.append(f"### Revision graph\n\n```mermaid\n{graph.rstrip()}\n```")
    return "\n\n".join(sections) + "\n"


def write_step_summary(report: Report, path: str | Path) -> None:
    """Append the step summary to ``path`` (the file ``GITHUB_STEP_SUMMARY`` names)."""
    with Path(path).open("a", encoding="utf-8") as summary:
        summary.write(step_summary(report))


def _table(findings: list[Finding]) -> str:
    rows = [
        "| Location | Rule | Severity | Message | Fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        rule = f"[{f.code}]({RULES[f.code].help_uri}) {_cell(f.name)}"
        where = _code(location(f)) if location(f) else ""
        fix = _code(f.fix) if f.fix else ""
        rows.append(f"| {where} | {rule} | {f.severity} | {_cell(f.message)} | {fix} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    # Backslash-escape what Markdown would read as markup (pipes end a table cell),
    # and keep a multi-line text inside its cell.
    escaped = re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text)
    return "<br>".join(escaped.splitlines())


def _code(text: str) -> str:
    # A code span, where GFM still needs a pipe escaped; text a code span cannot hold
    # (backticks, several lines) falls back to an escaped cell.
    if "`" in text or len(text.splitlines()) > 1:
        return _cell(text)
    return "`" + text.replace("|", "\\|") + "`"


def lock_section(revisions: list[RevisionLocks]) -> str:
    """check on PostgreSQL: per revision, what each statement locked or rewrote."""
    parts = ["### Locks measured on PostgreSQL", "On tables that existed before each revision."]
    for revision in revisions:
        where = f" {_code(revision.path)}" if revision.path else ""
        count = f"{revision.statements} statement{'s' if revision.statements != 1 else ''}"
        head = f"**{_code(revision.revision)}**{where} ({count} traced)"
        if not revision.rows:
            parts.append(f"{head}: no blocking lock, no rewrite.")
        else:
            rows = [
                "| Line | Statement | Table | Lock | Blocks | Held for | Rewrite |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for row in revision.rows:
                held = f"{row.held:.2f}s" if row.held >= 1 else f"{row.held * 1000:.0f}ms"
                rows.append(
                    f"| {row.line or ''} | {_code(row.statement)} | {_cell(row.table)} | "
                    f"{row.lock or '-'} | {row.blocks or '-'} | {held} | "
                    f"{'**yes**' if row.rewrite else 'no'} |"
                )
            parts.append(f"{head}\n\n" + "\n".join(rows))
        if revision.note:
            parts.append(f"Note: {_cell(revision.note)}")
    return "\n\n".join(parts)
