"""GitLab Code Quality: a JSON array of issues (a subset of the Code Climate spec).

Severities: an error fails the run, so it is ``critical`` (GitLab lists it among the
most severe); a warning is ``major`` and an info finding ``info``. ``blocker`` and
``minor`` are not used.

GitLab requires ``location.path`` and a line: a finding without a file is placed on the
project root (``.``), one without a line on line 1.

The fingerprint hashes code, path and message but not the line, so an issue keeps its
identity when lines above it move; identical findings in one file are told apart by
their order.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.reporters.common import FALLBACK_PATH

SEVERITIES = {"error": "critical", "warning": "major", "info": "info"}


def render(report: Report) -> str:
    seen: Counter[str] = Counter()
    issues = []
    for finding in sorted_findings(report.findings):
        path = finding.path or FALLBACK_PATH
        identity = "\0".join((finding.code, path, finding.message))
        seen[identity] += 1
        issues.append(_issue(finding, path, fingerprint(identity, seen[identity])))
    return json.dumps(issues, indent=2) + "\n"


def fingerprint(identity: str, occurrence: int) -> str:
    """sha256 of the identity; later occurrences of the same identity add their number."""
    salted = identity if occurrence == 1 else f"{identity}\0{occurrence}"
    return hashlib.sha256(salted.encode("utf-8", "surrogatepass")).hexdigest()


def _issue(finding: Finding, path: str, digest: str) -> dict[str, object]:
    description = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    return {
        "description": description,
        "check_name": finding.code,
        "fingerprint": digest,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": path, "lines": {"begin": finding.line or 1}},
    }
