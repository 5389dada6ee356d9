"""GitLab Code Quality: a JSON array of issues (a subset of the Code Climate spec).

Severities: an error fails the run, so it is ``critical`` (GitLab lists it among the
most severe); a warning is ``major`` and an info finding ``info``. ``blocker`` and
``minor`` are not used.

GitLab requires ``location.path`` and a line: a finding without a file is placed on the
setup's config file (``Report.anchor``) at line 1, one without a line on line 1.

GitLab keys issues on their fingerprint (two issues with one fingerprint are one), and
the merge request widget compares fingerprints between pipelines: a fingerprint hashes
code, file and the finding's stable identity (``common.fingerprints``), so it stays
the same while lines move and other revisions come and go.
"""

from __future__ import annotations

import json

from alembic_gate.findings import Finding, Report
from alembic_gate.reporters.common import fingerprints, placed, visible

SEVERITIES = {"error": "critical", "warning": "major", "info": "info"}


def render(report: Report) -> str:
    issues = [_issue(finding, digest, report) for finding, digest in fingerprints(report)]
    return json.dumps(issues, indent=2) + "\n"


def _issue(finding: Finding, digest: str, report: Report) -> dict[str, object]:
    description = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    path, line = placed(finding, report)
    return {
        "type": "issue",
        "description": visible(description, keep_newlines=True),
        "check_name": finding.code,
        "fingerprint": digest,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": path, "lines": {"begin": line}},
    }
