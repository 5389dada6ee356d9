"""The report for people: one line per finding, then a summary line (ruff's style).

What a revision file holds (names, paths) reaches a terminal or a CI log here, so every
line is written with its control characters escaped visibly (``\x1b``), and a line that
GitHub's runner would read as a workflow command is marked (``common.log_line``).
"""

from __future__ import annotations

from collections import Counter

from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.reporters.common import location, log_line

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:  # check's lock tables: lint never makes these classes
    from alembic_gate.findings import Severity
    from alembic_gate.findings.locks import LockRow, RevisionLocks

_NOUNS: dict[Severity, tuple[str, str]] = {
    "error": ("error", "errors"),
    "warning": ("warning", "warnings"),
    "info": ("info", "info"),
}


def render(report: Report) -> str:
    lines = lock_tables(report)
    lines += [line for f in sorted_findings(report.findings) for line in finding_lines(f)]
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"note: {note}" for note in report.unused_suppressions]  # says what it is
    lines.append(summary_line(report))
    return "".join(f"{log_line(line)}\n" for line in lines)


def finding_lines(finding: Finding) -> list[str]:
    """``path:line: AG001 [multiple-heads] message``, then ``  fix: ...`` when there is one;
    each line safe for a terminal and a CI log (``log_line``); a finding the rule is not
    sure of says so: ``message (low confidence)``."""
    where = location(finding)
    prefix = f"{where}: " if where else ""
    message = finding.message
    if finding.confidence != "high":
        message += f" ({finding.confidence} confidence)"
    lines = _block(f"{prefix}{finding.code} [{finding.name}] ", message)
    if finding.fix:
        lines += _block("  fix: ", finding.fix)
    return [log_line(line) for line in lines]


def summary_line(report: Report) -> str:
    """``Found 2 errors, 1 warning (1 with a fix).`` or ``All checks passed.``, followed
    by what the run covered when the report says (``: 1 setup, 40 revisions read``)."""
    covered = f": {report.coverage}" if report.coverage else ""
    if not report.findings:
        return f"All checks passed{covered}."
    counts = Counter(f.severity for f in report.findings)
    parts = [_count(counts[severity], severity) for severity in _NOUNS if counts[severity]]
    fixes = sum(1 for f in report.findings if f.fix)
    with_fix = f" ({fixes} with a fix)" if fixes else ""
    return f"Found {', '.join(parts)}{with_fix}{covered}."


def _count(number: int, severity: Severity) -> str:
    singular, plural = _NOUNS[severity]
    return f"{number} {singular if number == 1 else plural}"


def _block(head: str, text: str) -> list[str]:
    # Later lines of a multi-line message or fix are indented under their finding.
    first, *rest = text.split("\n")
    return [head + first, *(f"    {line}" for line in rest)]


# -- check's lock tables ---------------------------------------------------------------

LOCK_HEADER = ("line", "statement", "table", "lock", "blocks", "held for", "rewrite")


def lock_tables(report: Report) -> list[str]:
    """Per revision check traced on PostgreSQL, what each statement locked or rewrote;
    each line safe for a terminal and a CI log (``log_line``: revision ids, paths, table
    names and statements come from the project)."""
    if not report.locks:
        return []
    lines = ["Locks measured on PostgreSQL (tables that existed before each revision):"]
    for revision in report.locks:
        lines += _revision_lock_lines(revision)
    return [log_line(line) for line in [*lines, ""]]


def _revision_lock_lines(revision: RevisionLocks) -> list[str]:
    where = f" {revision.path}" if revision.path else ""
    head = f"{revision.revision}{where}"
    lines = []
    if not revision.rows:
        lines.append(f"{head}: no blocking lock, no rewrite ({statements_traced(revision)})")
    else:
        lines.append(f"{head} ({statements_traced(revision)}):")
        table = [LOCK_HEADER, *(_lock_cells(row) for row in revision.rows)]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(LOCK_HEADER))]
        for cells in table:
            padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            lines.append(("  " + "  ".join(padded)).rstrip())
    if revision.note:
        lines.append(f"  note: {revision.note}")
    return lines


def _lock_cells(row: LockRow) -> tuple[str, ...]:
    statement = row.statement if len(row.statement) <= 48 else row.statement[:45] + "..."
    line = str(row.line) if row.line is not None else ""
    rewrite = "yes" if row.rewrite else "no"
    held = held_for(row.held)
    return (line, statement, row.table, row.lock or "-", row.blocks or "-", held, rewrite)


def held_for(seconds: float) -> str:
    """How long a lock was held, as the lock tables show it: ``16ms``, ``1.25s``."""
    return f"{seconds:.2f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"


def statements_traced(revision: RevisionLocks) -> str:
    """``1 statement traced``, ``3 statements traced``."""
    count = revision.statements
    return f"{count} statement{'s' if count != 1 else ''} traced"
