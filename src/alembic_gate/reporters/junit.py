"""JUnit XML for CI test tabs: one testcase per check.

The tests tab agrees with the exit code: a finding that fails the run (``--fail-on``)
is a ``<failure>`` of its check's testcase; the others (warnings under the default
``--fail-on error``) are written to the testcase's ``<system-out>``, so the check
passes and what it found is still there to read.

Only the attributes Jenkins' JUnit schema allows are written (a testcase has no
``file``: each finding's text starts with its path and line).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters.common import report_codes, visible
from alembic_gate.reporters.text import finding_lines

# Characters XML 1.0 does not allow at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    findings = sorted_findings(report.findings)
    failing = {id(f) for f in report.failing()}
    codes = report_codes(report)
    failed = len({f.code for f in findings if id(f) in failing})
    counts = {"tests": str(len(codes)), "failures": str(failed), "errors": "0"}
    name = f"alembic-gate {report.command}"
    root = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts, "skipped": "0"})
    for code in codes:
        found = [f for f in findings if f.code == code]
        _testcase(suite, report.command, code, found, failing)
    ET.indent(root)
    # ASCII with character references, so the document survives any output encoding.
    body = ET.tostring(root, encoding="us-ascii", xml_declaration=False).decode("ascii")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _testcase(
    suite: ET.Element, command: str, code: str, findings: list[Finding], failing: set[int]
) -> None:
    testcase = ET.SubElement(
        suite, "testcase", classname=f"alembic-gate.{command}", name=f"{code} {RULES[code].name}"
    )
    passing = []
    for finding in findings:
        if id(finding) not in failing:
            passing.append(finding)
            continue
        failure = ET.SubElement(testcase, "failure", message=_clean(finding.message), type=code)
        failure.text = _clean("\n".join(finding_lines(finding)))
    if passing:
        out = ET.SubElement(testcase, "system-out")
        lines = [line for finding in passing for line in finding_lines(finding)]
        out.text = _clean("\n".join(lines))


def _clean(text: str) -> str:
    return _NOT_XML.sub("", visible(text, keep_newlines=True))
