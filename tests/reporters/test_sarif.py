from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from alembic_gate import __version__
from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import sarif

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
DOCS = "https://github.com/alembic-gate/alembic-gate/blob/main/docs/rules"


def _validate(log: Any) -> None:
    # Offline: every $ref in the SARIF schema points inside the document itself.
    jsonschema.Draft7Validator(SCHEMA).validate(log)


def _report() -> Report:
    return Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "Two heads: ab12, cd34.",
                "migrations/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            ),
            RULES["AG107"].finding("Empty downgrade.", "migrations/versions/ef 56.py"),
            RULES["AG801"].finding("Behind.", fix="alembic upgrade heads"),
        ],
        checks=["AG001", "AG002"],
    )


def test_exact_log() -> None:
    assert json.loads(sarif.render(_report())) == {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
        "sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "alembic-gate",
                        "version": __version__,
                        "informationUri": "https://github.com/alembic-gate/alembic-gate",
                        "rules": [
                            {
                                "id": "AG001",
                                "name": "multiple-heads",
                                "shortDescription": {"text": "The history has more than one head."},
                                "helpUri": f"{DOCS}/AG001.md",
                                "defaultConfiguration": {"level": "error"},
                            },
                            {
                                "id": "AG002",
                                "name": "missing-down-revision",
                                "shortDescription": {"text": "A down_revision names no revision."},
                                "helpUri": f"{DOCS}/AG002.md",
                                "defaultConfiguration": {"level": "error"},
                            },
                            {
                                "id": "AG107",
                                "name": "empty-downgrade",
                                "shortDescription": {"text": RULES["AG107"].summary},
                                "helpUri": f"{DOCS}/AG107.md",
                                "defaultConfiguration": {"level": "note"},
                            },
                            {
                                "id": "AG801",
                                "name": "database-behind",
                                "shortDescription": {"text": "The database is behind head."},
                                "helpUri": f"{DOCS}/AG801.md",
                                "defaultConfiguration": {"level": "error"},
                            },
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": "AG801",
                        "ruleIndex": 3,
                        "level": "error",
                        "message": {"text": "Behind.\nfix: alembic upgrade heads"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": ".", "uriBaseId": "%SRCROOT%"}
                                }
                            }
                        ],
                    },
                    {
                        "ruleId": "AG001",
                        "ruleIndex": 0,
                        "level": "error",
                        "message": {
                            "text": 'Two heads: ab12, cd34.\nfix: alembic merge -m "merge heads" '
                            "ab12 cd34"
                        },
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {
                                        "uri": "migrations/versions/ab12.py",
                                        "uriBaseId": "%SRCROOT%",
                                    },
                                    "region": {"startLine": 14},
                                }
                            }
                        ],
                    },
                    {
                        "ruleId": "AG107",
                        "ruleIndex": 2,
                        "level": "note",
                        "message": {"text": "Empty downgrade."},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {
                                        "uri": "migrations/versions/ef%2056.py",
                                        "uriBaseId": "%SRCROOT%",
                                    }
                                }
                            }
                        ],
                    },
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    "report",
    [
        _report(),
        Report("lint"),
        Report("check", checks=["AG901", "AG902"]),
        Report("doctor", findings=[RULES["AG804"].finding("Nothing applied.")]),
    ],
    ids=["mixed", "empty", "checks-only", "no-path"],
)
def test_valid_against_the_official_schema(report: Report) -> None:
    _validate(json.loads(sarif.render(report)))


def test_schema_check_is_live() -> None:
    log = json.loads(sarif.render(_report()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _validate(log)


def test_result_level_follows_the_configured_severity() -> None:
    raised = dataclasses.replace(RULES["AG103"].finding("Drops.", "a.py", 2), severity="error")
    log = json.loads(sarif.render(Report("lint", findings=[raised])))
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    (result,) = log["runs"][0]["results"]
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert result["level"] == "error"


def test_uri_is_percent_encoded() -> None:
    finding = RULES["AG007"].finding("Bad.", "v/a#b?c:%d é.py", 1)
    log = json.loads(sarif.render(Report("lint", findings=[finding])))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "v/a%23b%3Fc%3A%25d%20%C3%A9.py"


def test_confidence_is_a_result_property_when_not_high() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG106"].finding("Type change.", "v/a.py", 3, confidence="medium"),
            RULES["AG103"].finding("Drop.", "v/a.py", 4),
        ],
    )
    log = json.loads(sarif.render(report))
    _validate(log)
    results = log["runs"][0]["results"]
    assert [r.get("properties") for r in results] == [{"confidence": "medium"}, None]
