"""Every report format, from one doctor run on a database behind head."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from .conftest import R2, R3, REVISION_FILES, Database, Run, upgrade

Doctor = Callable[..., Run]
SCHEMAS = Path(__file__).parent.parent / "schemas"


@pytest.fixture
def reports(
    shop: Path, sqlite_db: Database, run_doctor: Doctor, tmp_path: Path
) -> tuple[Run, Path]:
    upgrade(shop, sqlite_db.url, R2)
    out = tmp_path / "reports"
    args = [f"--format={fmt}={out / name}" for fmt, name in FILES.items()]
    result = run_doctor(shop, sqlite_db.url, "--format", "text", *args)
    assert result.code == 1
    return result, out


FILES = {
    "json": "doctor.json",
    "sarif": "doctor.sarif",
    "gitlab": "gl-code-quality.json",
    "junit": "junit.xml",
    "github": "github.txt",
}


def test_text(reports: tuple[Run, Path]) -> None:
    result, _ = reports
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{REVISION_FILES[R3]}:13: AG801 [database-behind] ")
    assert lines[1] == "  fix: alembic upgrade heads"
    assert lines[-1] == "Found 1 error (1 with a fix)."


def test_json(reports: tuple[Run, Path]) -> None:
    _, out = reports
    document = json.loads((out / FILES["json"]).read_text())
    assert document["version"] == 1
    assert document["tool"] == "alembic-gate"
    assert document["command"] == "doctor"
    assert document["heads"] == ["4d5e6f708192"]
    [finding] = document["findings"]
    assert set(finding) >= {"code", "name", "severity", "path", "line", "message", "fix"}
    assert (finding["code"], finding["name"], finding["severity"]) == (
        "AG801",
        "database-behind",
        "error",
    )
    assert (finding["path"], finding["line"]) == (REVISION_FILES[R3], 13)


def test_sarif_is_valid(reports: tuple[Run, Path]) -> None:
    _, out = reports
    log = json.loads((out / FILES["sarif"]).read_text())
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(log)
    [run] = log["runs"]
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert "AG801" in rule_ids
    assert [r["ruleId"] for r in run["results"]] == ["AG801"]


def test_gitlab(reports: tuple[Run, Path]) -> None:
    _, out = reports
    issues = json.loads((out / FILES["gitlab"]).read_text())
    schema = json.loads((SCHEMAS / "gitlab-code-quality.json").read_text())
    jsonschema.validate(issues, schema)
    [issue] = issues
    assert issue["check_name"].startswith("AG801")
    assert issue["location"]["path"] == REVISION_FILES[R3]


def test_junit_has_a_testcase_per_doctor_check(reports: tuple[Run, Path]) -> None:
    _, out = reports
    root = ET.parse(out / FILES["junit"]).getroot()
    cases = root.iter("testcase")
    failed = {c.get("name", "") for c in cases if c.find("failure") is not None}
    names = " ".join(c.get("name", "") for c in root.iter("testcase"))
    for code in ("AG801", "AG802", "AG803", "AG804"):
        assert code in names
    assert len(failed) == 1
    assert "AG801" in failed.pop()


def test_github(reports: tuple[Run, Path]) -> None:
    _, out = reports
    text = (out / FILES["github"]).read_text()
    assert text.startswith(
        f"::error file={REVISION_FILES[R3]},line=13,title=AG801 database-behind::"
    )
