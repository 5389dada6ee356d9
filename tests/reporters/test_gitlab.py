from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from alembic_gate.findings import Finding, Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import gitlab

SCHEMAS = Path(__file__).parent.parent / "schemas"
SCHEMA = json.loads((SCHEMAS / "gitlab-code-quality.json").read_text("utf-8"))
# GitLab's own: its parser keeps an issue only if it validates (tests/schemas/README.md).
GITLAB_SCHEMA = json.loads((SCHEMAS / "gitlab-codeclimate.json").read_text("utf-8"))


def _issues(report: Report) -> list[dict[str, object]]:
    issues: list[dict[str, object]] = json.loads(gitlab.render(report))
    jsonschema.Draft7Validator(SCHEMA).validate(issues)
    for issue in issues:
        jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issue)
    # GitLab keys issues on their fingerprint: two with one fingerprint would be one.
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    return issues


def test_exact_issues() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "ab12 is one of 2 heads: ab12, cd34.",
                "migrations/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
                key="ab12",
            ),
            RULES["AG103"].finding("Drops users.email.", "migrations/versions/cd34.py", 9),
            RULES["AG107"].finding("Empty downgrade.", "migrations/versions/ef56.py"),
        ],
    )
    _issues(report)
    # Pinned: GitLab tracks an issue across pipelines by its fingerprint, here
    # sha256("AG001\0migrations/versions/ab12.py\0ab12") and so on.
    assert gitlab.render(report) == (
        "[\n"
        "  {\n"
        '    "type": "issue",\n'
        '    "description": "ab12 is one of 2 heads: ab12, cd34.\\nfix: alembic merge -m '
        '\\"merge heads\\" ab12 cd34",\n'
        '    "check_name": "AG001",\n'
        '    "fingerprint": "FP0",\n'
        '    "severity": "critical",\n'
        '    "location": {\n'
        '      "path": "migrations/versions/ab12.py",\n'
        '      "lines": {\n'
        '        "begin": 14\n'
        "      }\n"
        "    }\n"
        "  },\n"
        "  {\n"
        '    "type": "issue",\n'
        '    "description": "Drops users.email.",\n'
        '    "check_name": "AG103",\n'
        '    "fingerprint": "FP1",\n'
        '    "severity": "major",\n'
        '    "location": {\n'
        '      "path": "migrations/versions/cd34.py",\n'
        '      "lines": {\n'
        '        "begin": 9\n'
        "      }\n"
        "    }\n"
        "  },\n"
        "  {\n"
        '    "type": "issue",\n'
        '    "description": "Empty downgrade.",\n'
        '    "check_name": "AG107",\n'
        '    "fingerprint": "FP2",\n'
        '    "severity": "info",\n'
        '    "location": {\n'
        '      "path": "migrations/versions/ef56.py",\n'
        '      "lines": {\n'
        '        "begin": 1\n'
        "      }\n"
        "    }\n"
        "  }\n"
        "]\n"
    ).replace("FP0", _sha("AG001\0migrations/versions/ab12.py\0ab12")).replace(
        "FP1", _sha("AG103\0migrations/versions/cd34.py\0Drops users.email.")
    ).replace("FP2", _sha("AG107\0migrations/versions/ef56.py\0Empty downgrade."))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_no_findings_is_an_empty_array() -> None:
    assert _issues(Report("lint")) == []


def test_finding_without_a_file_is_placed_on_the_config_file() -> None:
    findings = [RULES["AG804"].finding("Nothing applied.")]
    (issue,) = _issues(Report("doctor", findings=findings, anchor="backend/alembic.ini"))
    assert issue["location"] == {"path": "backend/alembic.ini", "lines": {"begin": 1}}
    (issue,) = _issues(Report("doctor", findings=findings))
    assert issue["location"] == {"path": ".", "lines": {"begin": 1}}


def test_fingerprint_survives_a_line_shift() -> None:
    before = _issues(Report("lint", findings=[RULES["AG106"].finding("Type.", "a.py", 14)]))
    after = _issues(Report("lint", findings=[RULES["AG106"].finding("Type.", "a.py", 40)]))
    assert before[0]["fingerprint"] == after[0]["fingerprint"]


@pytest.mark.parametrize(
    "other",
    [
        RULES["AG104"].finding("Type.", "a.py", 14),
        RULES["AG106"].finding("Type.", "b.py", 14),
        RULES["AG106"].finding("Other.", "a.py", 14),
    ],
    ids=["code", "path", "first clause"],
)
def test_fingerprint_depends_on_code_path_and_identity(other: Finding) -> None:
    first = RULES["AG106"].finding("Type.", "a.py", 14)
    issues = _issues(Report("lint", findings=[first, other]))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


def test_identical_findings_in_one_file_get_distinct_fingerprints() -> None:
    twice = [RULES["AG103"].finding("Drops t.", "a.py", line) for line in (3, 8)]
    issues = _issues(Report("lint", findings=twice))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]
    alone = _issues(Report("lint", findings=twice[:1]))
    assert alone[0]["fingerprint"] == issues[0]["fingerprint"]


def test_a_finding_keeps_its_fingerprint_while_other_heads_come_and_go() -> None:
    def heads(*ids: str) -> Report:
        listed = ", ".join(ids)
        return Report(
            "lint",
            findings=[
                RULES["AG001"].finding(
                    f"{h} is one of {len(ids)} heads: {listed}", f"v/{h}.py", 12, key=h
                )
                for h in ids
            ],
        )

    def prints(report: Report) -> dict[str, str]:
        return {str(i["location"]["path"]): str(i["fingerprint"]) for i in _issues(report)}  # type: ignore[index]

    two = prints(heads("ab12", "cd34"))
    three = prints(heads("ab12", "cd34", "ef56"))
    assert three["v/ab12.py"] == two["v/ab12.py"]
    assert three["v/cd34.py"] == two["v/cd34.py"]


def test_without_a_key_the_details_after_the_first_clause_do_not_count() -> None:
    near = "down_revision names 'zz', which no revision file defines; the nearest ids are 'za'"
    nearer = "down_revision names 'zz', which no revision file defines; the nearest ids are 'zy'"
    first, second = (
        _issues(Report("lint", findings=[RULES["AG002"].finding(m, "v/a.py", 3)]))[0]
        for m in (near, nearer)
    )
    assert first["fingerprint"] == second["fingerprint"]
