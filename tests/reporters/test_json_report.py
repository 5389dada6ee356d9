from __future__ import annotations

import json

from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.findings.locks import LockRow, RevisionLocks
from alembic_gate.reporters import json_report


def test_contract_shape_and_key_order() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "The history has two heads: ab12, cd34.",
                "migrations/versions/ab12_add_user.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            )
        ],
        heads=["ab12", "cd34"],
        checks=["AG001", "AG002"],
    )
    assert json_report.render(report) == (
        "{\n"
        '  "version": 1,\n'
        '  "tool": "alembic-gate",\n'
        '  "command": "lint",\n'
        '  "findings": [\n'
        "    {\n"
        '      "code": "AG001",\n'
        '      "name": "multiple-heads",\n'
        '      "severity": "error",\n'
        '      "path": "migrations/versions/ab12_add_user.py",\n'
        '      "line": 14,\n'
        '      "message": "The history has two heads: ab12, cd34.",\n'
        '      "fix": "alembic merge -m \\"merge heads\\" ab12 cd34",\n'
        '      "confidence": "high"\n'
        "    }\n"
        "  ],\n"
        '  "heads": [\n'
        '    "ab12",\n'
        '    "cd34"\n'
        "  ],\n"
        '  "setups": [],\n'
        '  "unused_suppressions": [],\n'
        '  "notes": []\n'
        "}\n"
    )


def test_unknown_place_and_no_fix_are_null() -> None:
    report = Report(
        "doctor",
        findings=[RULES["AG803"].finding("The database names ffff.")],
        unused_suppressions=["a.py:3: ignore[AG009]"],
    )
    assert json.loads(json_report.render(report)) == {
        "version": 1,
        "tool": "alembic-gate",
        "command": "doctor",
        "findings": [
            {
                "code": "AG803",
                "name": "unknown-database-revision",
                "severity": "error",
                "path": None,
                "line": None,
                "message": "The database names ffff.",
                "fix": None,
                "confidence": "high",
            }
        ],
        "heads": [],
        "setups": [],
        "unused_suppressions": ["a.py:3: ignore[AG009]"],
        "notes": [],
    }


def test_findings_are_sorted_by_place() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG103"].finding("x", "b.py", 2),
            RULES["AG103"].finding("x", "a.py", 9),
            RULES["AG103"].finding("x", "b.py", 1),
        ],
    )
    findings = json.loads(json_report.render(report))["findings"]
    assert [(f["path"], f["line"]) for f in findings] == [("a.py", 9), ("b.py", 1), ("b.py", 2)]


def test_confidence_of_each_finding() -> None:
    report = Report(
        "lint",
        findings=[RULES["AG105"].finding("Index.", "v/a.py", 3, confidence="medium")],
    )
    [finding] = json.loads(json_report.render(report))["findings"]
    assert finding["confidence"] == "medium"


def test_check_reports_carry_the_lock_tables() -> None:
    row = LockRow(
        22, "CREATE INDEX ix ON accounts (name)", "accounts", "SHARE", "writes", 0.004, False
    )
    report = Report("check", locks=[RevisionLocks("b2d4", "m/versions/b2d4.py", 1, [row])])
    assert json.loads(json_report.render(report))["locks"] == [
        {
            "revision": "b2d4",
            "path": "m/versions/b2d4.py",
            "statements": 1,
            "rows": [
                {
                    "line": 22,
                    "statement": "CREATE INDEX ix ON accounts (name)",
                    "table": "accounts",
                    "lock": "SHARE",
                    "blocks": "writes",
                    "held": 0.004,
                    "rewrite": False,
                }
            ],
            "note": "",
        }
    ]
    assert json.loads(json_report.render(Report("check")))["locks"] == []
    assert "locks" not in json.loads(json_report.render(Report("lint")))
