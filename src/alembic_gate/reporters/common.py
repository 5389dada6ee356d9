"""Small pieces more than one reporter needs."""

from __future__ import annotations

from alembic_gate.findings import Finding, Report

PROJECT_URL = "https://github.com/alembic-gate/alembic-gate"

# GitLab Code Quality requires a path on every issue and GitHub code scanning rejects a
# SARIF file holding a result without a location. A finding that names no file (a
# database that is behind, say) is placed on the project as a whole: its root.
FALLBACK_PATH = "."


def location(finding: Finding) -> str:
    """``path:line``, ``path`` or an empty string, as far as the finding knows."""
    if finding.path is None:
        return ""
    if finding.line is None:
        return finding.path
    return f"{finding.path}:{finding.line}"


def report_codes(report: Report) -> list[str]:
    """Every code the run checked or found, sorted: one rule entry or testcase each."""
    return sorted({*report.checks, *(f.code for f in report.findings)})
