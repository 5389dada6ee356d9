"""SARIF 2.1.0, for GitHub code scanning: one rule entry per code, one result per finding."""

from __future__ import annotations

import json
from urllib.parse import quote

from alembic_gate import __version__
from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.findings.catalog import RULES, RuleInfo
from alembic_gate.reporters.common import FALLBACK_PATH, PROJECT_URL, report_codes

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(report: Report) -> str:
    codes = report_codes(report)
    driver = {
        "name": "alembic-gate",
        "version": __version__,
        "informationUri": PROJECT_URL,
        "rules": [_rule(RULES[code]) for code in codes],
    }
    results = [_result(f, codes.index(f.code)) for f in sorted_findings(report.findings)]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(log, indent=2) + "\n"


def _rule(rule: RuleInfo) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, object]:
    text = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    result: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical_location(finding)}],
    }
    if finding.confidence != "high":  # a rule that judged from partial facts says so
        result["properties"] = {"confidence": finding.confidence}
    return result


def _physical_location(finding: Finding) -> dict[str, object]:
    # Percent-encoded; a name that was not valid UTF-8 keeps its original bytes.
    uri = quote(finding.path or FALLBACK_PATH, errors="surrogateescape")
    artifact = {"uri": uri, "uriBaseId": "%SRCROOT%"}
    if finding.path is None or finding.line is None:
        return {"artifactLocation": artifact}
    return {"artifactLocation": artifact, "region": {"startLine": finding.line}}
