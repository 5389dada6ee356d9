"""The contract's JSON report, version 1 (fields may be added, never renamed)."""

from __future__ import annotations

import json

from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.findings.locks import RevisionLocks
from alembic_gate.shared.records import asdict

VERSION = 1


def render(report: Report) -> str:
    document = {
        "version": VERSION,
        "tool": "alembic-gate",
        "command": report.command,
        "findings": [_finding(f) for f in sorted_findings(report.findings)],
        "heads": list(report.heads),
        "setups": list(report.setups),
        "unused_suppressions": list(report.unused_suppressions),
        "notes": list(report.notes),
    }
    if report.command == "check":
        document["locks"] = [_locks(revision) for revision in report.locks]
    return json.dumps(document, indent=2) + "\n"


def _finding(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "message": finding.message,
        "fix": finding.fix,
        "confidence": finding.confidence,
    }


def _locks(revision: RevisionLocks) -> dict[str, object]:
    """check on PostgreSQL: the locks a revision took (`held` in seconds)."""
    held: dict[str, object] = asdict(revision)
    return held
