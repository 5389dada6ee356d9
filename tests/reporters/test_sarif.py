from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import consumers
import jsonschema
import pytest

from alembic_gate import __version__
from alembic_gate.findings import Finding, Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import sarif
from alembic_gate.shared import records

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
DOCS = "https://github.com/alembic-gate/alembic-gate/blob/main/docs/rules"
ROOT = Path(__file__).resolve().parents[2]


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


def test_one_rule_entry_per_code_with_its_page_as_help() -> None:
    log = json.loads(sarif.render(_report()))
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("alembic-gate", __version__)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["AG001", "AG002", "AG107", "AG801"]
    first = rules[0]
    page = (ROOT / "docs" / "rules" / "AG001.md").read_text(encoding="utf-8")
    assert first["name"] == "MultipleHeads"
    assert first["shortDescription"] == {"text": "The history has more than one head."}
    assert first["fullDescription"]["text"].startswith("The history has two or more heads")
    assert first["help"]["markdown"] == page
    assert "## " not in first["help"]["text"] and "Why it breaks deploys" in first["help"]["text"]
    assert first["helpUri"] == f"{DOCS}/AG001.md"
    assert first["defaultConfiguration"] == {"level": "error"}
    assert rules[2]["defaultConfiguration"] == {"level": "note"}


def test_every_result_has_a_file_a_region_and_a_fingerprint() -> None:
    report = _report()
    report.anchor = "alembic.ini"
    results = json.loads(sarif.render(report))["runs"][0]["results"]
    places = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    ]
    assert places == [
        ("AG801", "alembic.ini", 1),
        ("AG001", "migrations/versions/ab12.py", 14),
        ("AG107", "migrations/versions/ef%2056.py", 1),
    ]
    assert results[1]["message"]["text"] == (
        'Two heads: ab12, cd34.\nfix: alembic merge -m "merge heads" ab12 cd34'
    )
    prints = [r["partialFingerprints"][sarif.FINGERPRINT] for r in results]
    assert len(set(prints)) == 3 and all(len(p) == 64 for p in prints)


def test_fingerprints_survive_moved_lines_and_other_findings() -> None:
    def prints(*findings: Finding) -> dict[str, str]:
        results = json.loads(sarif.render(Report("lint", findings=list(findings))))["runs"][0]
        return {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r[
                "partialFingerprints"
            ][sarif.FINGERPRINT]
            for r in results["results"]
        }

    ab = RULES["AG001"].finding("ab is one of 2 heads: ab, cd", "v/ab.py", 12, key="ab")
    moved = RULES["AG001"].finding("ab is one of 3 heads: ab, cd, ef", "v/ab.py", 40, key="ab")
    ef = RULES["AG001"].finding("ef is one of 3 heads: ab, cd, ef", "v/ef.py", 12, key="ef")
    assert prints(ab)["v/ab.py"] == prints(moved, ef)["v/ab.py"]


@pytest.mark.parametrize(
    "report",
    [
        _report(),
        Report("lint"),
        Report("check", checks=["AG901", "AG902"]),
        Report("doctor", findings=[RULES["AG804"].finding("Nothing applied.")]),
        Report("doctor", findings=[RULES["AG804"].finding("Nothing.")], anchor="alembic.ini"),
    ],
    ids=["mixed", "empty", "checks-only", "no-path", "anchored"],
)
def test_githubs_ingestion_rules_accept_it(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "alembic-gate.sarif"
    path.write_text(sarif.render(report), encoding="utf-8")
    problems = consumers.sarif_validate(path, tmp_path)
    assert problems == [], consumers.describe(problems)


def test_past_githubs_result_limit_the_most_severe_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    findings = [RULES["AG103"].finding(f"Drops {n}.", f"v/{n}.py", 1) for n in range(4)]
    findings.append(RULES["AG002"].finding("Missing.", "v/z.py", 1))
    path = tmp_path / "capped.sarif"
    path.write_text(sarif.render(Report("lint", findings=findings)), encoding="utf-8")
    run = json.loads(path.read_text())["runs"][0]
    assert len(run["results"]) == 3
    assert "AG002" in {r["ruleId"] for r in run["results"]}
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("2 less severe results were left out")
    _validate(json.loads(path.read_text()))
    problems = consumers.sarif_validate(path, tmp_path)
    assert problems == [], consumers.describe(problems)


def test_paths_are_relative_to_the_repository_in_github_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "backend").mkdir()
    monkeypatch.chdir(tmp_path / "backend")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    log = json.loads(sarif.render(_report()))
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]
    assert uris == [
        "backend",
        "backend/migrations/versions/ab12.py",
        "backend/migrations/versions/ef%2056.py",
    ]


def _uris(log: dict[str, Any]) -> list[dict[str, str]]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]
    ]


def test_a_file_outside_the_current_directory_is_an_absolute_uri(tmp_path: Path) -> None:
    """Paths outside the current directory (`--versions ../shared/versions`) are absolute
    (display_path): under %SRCROOT% such a uri is invalid SARIF (SARIF1004)."""
    outside = tmp_path / "shared" / "versions" / "a b.py"
    finding = RULES["AG001"].finding("Two heads.", outside.as_posix(), 3)
    path = tmp_path / "outside.sarif"
    path.write_text(sarif.render(Report("lint", findings=[finding])), encoding="utf-8")
    log = json.loads(path.read_text())
    assert _uris(log) == [{"uri": outside.as_uri()}]
    _validate(log)
    problems = consumers.sarif_validate(path, tmp_path)
    assert problems == [], consumers.describe(problems)


def test_in_github_actions_a_file_outside_the_working_directory_is_named_from_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "backend").mkdir()
    monkeypatch.chdir(repo / "backend")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    inside, outside = repo / "shared" / "v.py", tmp_path / "elsewhere" / "v.py"
    findings = [RULES["AG001"].finding("Two.", p.as_posix(), 3) for p in (inside, outside)]
    path = tmp_path / "gh.sarif"
    path.write_text(sarif.render(Report("lint", findings=findings)), encoding="utf-8")
    log = json.loads(path.read_text())
    assert _uris(log) == [
        {"uri": outside.as_uri()},
        {"uri": "shared/v.py", "uriBaseId": "%SRCROOT%"},
    ]
    problems = consumers.sarif_validate(path, tmp_path)
    assert problems == [], consumers.describe(problems)


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
    raised = records.replace(RULES["AG103"].finding("Drops.", "a.py", 2), severity="error")
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
