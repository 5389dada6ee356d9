"""JUnit XML for CI test tabs: one testcase per check, a failure per finding."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters.common import report_codes
from alembic_gate.reporters.text import finding_lines

# Characters XML 1.0 does not allow at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    findings = sorted_findings(report.findings)
    codes = report_codes(report)
    failed = len({f.code for f in findings})
    counts = {"tests": str(len(codes)), "failures": str(failed), "errors": "0"}
    name = f"alembic-gate {report.command}"
    root = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts, "skipped": "0"})
    for code in codes:
        _testcase(suite, report.command, code, [f for f in findings if f.code == code])
    ET.indent(root)
    # ASCII with character references, so the document survives any output encoding.
    body = ET.tostring(root, encoding="us-ascii", xml_declaration=False).decode("ascii")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _testcase(suite: ET.Element, command: str, code: str, findings: list[Finding]) -> None:
    testcase = ET.SubElement(
        suite, "testcase", classname=f"alembic-gate.{command}", name=f"{code} {RULES[code].name}"
    )
    paths = {f.path for f in findings if f.path is not None}
    if len(paths) == 1:
        testcase.set("file", _clean(paths.pop()))
    for finding in findings:
        failure = ET.SubElement(testcase, "failure", message=_clean(finding.message), type=code)
        failure.text = _clean("\n".join(finding_lines(finding)))


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
