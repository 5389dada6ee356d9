"""SARIF 2.1.0, for GitHub code scanning: one rule entry per code, one result per finding.

What GitHub's ingestion needs (Microsoft's SARIF multitool checks it with
``validate --rule-kind Gh``): every rule with ``shortDescription``, ``fullDescription``
and ``help`` (text and Markdown: the rule's page from docs/rules, shipped in the
package), every result with a file and a region, and ``partialFingerprints`` so an
upload through the API does not duplicate alerts. A fingerprint is a hash of code,
file and the finding's stable identity (``Finding.identity``), never its line or
whole message.

Paths are relative to the repository root in GitHub Actions (``github_prefix``).
GitHub keeps at most 25,000 results of a run: past that the most severe are kept and a
notification says how many were left out.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from importlib import resources
from urllib.parse import quote

from alembic_gate import __version__
from alembic_gate.findings import SEVERITY_RANK, Finding, Report
from alembic_gate.findings.catalog import RULES, RuleInfo
from alembic_gate.reporters.common import (
    PROJECT_URL,
    fingerprints,
    github_prefix,
    placed,
    prefixed,
    report_codes,
    visible,
)

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT = "alembicGate/v1"
# GitHub code scanning's limit on results per run.
MAX_RESULTS = 25_000


def render(report: Report) -> str:
    codes = report_codes(report)
    prefix = github_prefix()
    driver = {
        "name": "alembic-gate",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": PROJECT_URL,
        "rules": [_rule(RULES[code]) for code in codes],
    }
    found = list(fingerprints(report))
    kept = sorted(found, key=lambda pair: -SEVERITY_RANK[pair[0].severity])[:MAX_RESULTS]
    chosen = {id(finding) for finding, _ in kept}
    results = [
        _result(f, codes.index(f.code), digest, report, prefix)
        for f, digest in found
        if id(f) in chosen
    ]
    run: dict[str, object] = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if len(found) > len(results):
        run["invocations"] = [_left_out(len(found) - len(results))]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def _left_out(count: int) -> dict[str, object]:
    text = (
        f"{count} less severe results were left out: GitHub code scanning keeps "
        f"{MAX_RESULTS} per run. Every finding is in --format json."
    )
    return {
        "executionSuccessful": True,
        "toolExecutionNotifications": [{"level": "warning", "message": {"text": text}}],
    }


def _rule(rule: RuleInfo) -> dict[str, object]:
    page = rule_page(rule.code)
    return {
        "id": rule.code,
        "name": _pascal(rule.name),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _problem(page) or rule.summary},
        "help": {"text": _plain(page) or rule.summary, "markdown": page or rule.summary},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["alembic", "migrations"], "problem.severity": rule.severity},
    }


def _result(
    finding: Finding, rule_index: int, digest: str, report: Report, prefix: str
) -> dict[str, object]:
    text = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    path, line = placed(finding, report)
    artifact = _artifact(prefixed(path, prefix))
    result: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": visible(text, keep_newlines=True)},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}}}
        ],
        "partialFingerprints": {FINGERPRINT: digest},
    }
    if finding.confidence != "high":  # a rule that judged from partial facts says so
        result["properties"] = {"confidence": finding.confidence}
    return result


def _artifact(path: str) -> dict[str, str]:
    """The artifactLocation of ``path``: percent-encoded, under %SRCROOT%; a file
    outside the current directory (and, in GitHub Actions, outside the repository) has
    an absolute path, which is a file URI with no base."""
    uri = quote(path, errors="surrogateescape")
    if os.path.isabs(path):
        return {"uri": f"file://{uri}"}
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


@cache
def rule_page(code: str) -> str:
    """The rule's page (docs/rules/<CODE>.md, shipped as alembic_gate/rule_docs), or ''."""
    try:
        page = resources.files("alembic_gate") / "rule_docs" / f"{code}.md"
        return page.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return ""


def _problem(page: str) -> str:
    """The first paragraph of the page's "Problem" section, as plain text."""
    match = re.search(r"^## Problem\n+(.+?)(?:\n\n|\Z)", page, re.M | re.S)
    return _plain(match.group(1)).replace("\n", " ") if match else ""


def _plain(markdown: str) -> str:
    """The page as text: no heading marks, fences, emphasis or link targets."""
    text = re.sub(r"^#+ ", "", markdown, flags=re.M)
    text = re.sub(r"^```\w*\n", "", text, flags=re.M)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\*\*|`", "", text).strip()


def _pascal(name: str) -> str:
    """A rule's `name` as SARIF wants it (one identifier): multiple-heads -> MultipleHeads."""
    return "".join(part.capitalize() for part in name.split("-"))
