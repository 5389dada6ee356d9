from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from alembic_gate.findings import Finding, Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import gitlab

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "schemas" / "gitlab-code-quality.json").read_text("utf-8")
)


def _issues(report: Report) -> list[dict[str, object]]:
    issues: list[dict[str, object]] = json.loads(gitlab.render(report))
    jsonschema.Draft7Validator(SCHEMA).validate(issues)
    return issues


def test_exact_issues() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "Two heads: ab12, cd34.",
                "migrations/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            ),
            RULES["AG103"].finding("Drops users.email.", "migrations/versions/cd34.py", 9),
            RULES["AG107"].finding("Empty downgrade.", "migrations/versions/ef56.py"),
        ],
    )
    _issues(report)
    # Pinned: GitLab tracks an issue across pipelines by its fingerprint, here
    # sha256("AG001\0migrations/versions/ab12.py\0Two heads: ab12, cd34.") and so on.
    assert gitlab.render(report) == (
        "[\n"
        "  {\n"
        '    "description": "Two heads: ab12, cd34.\\nfix: alembic merge -m \\"merge heads\\" '
        'ab12 cd34",\n'
        '    "check_name": "AG001",\n'
        '    "fingerprint": "c6460321f84e24a2372aa170e20b7d1a79c0ef5e4422b7029907848d61c94a41",\n'
        '    "severity": "critical",\n'
        '    "location": {\n'
        '      "path": "migrations/versions/ab12.py",\n'
        '      "lines": {\n'
        '        "begin": 14\n'
        "      }\n"
        "    }\n"
        "  },\n"
        "  {\n"
        '    "description": "Drops users.email.",\n'
        '    "check_name": "AG103",\n'
        '    "fingerprint": "4b1a93e847493cb971b0c8f6ea753d08db0e41bdba4c1c31ce83a6a8b0cec79d",\n'
        '    "severity": "major",\n'
        '    "location": {\n'
        '      "path": "migrations/versions/cd34.py",\n'
        '      "lines": {\n'
        '        "begin": 9\n'
        "      }\n"
        "    }\n"
        "  },\n"
        "  {\n"
        '    "description": "Empty downgrade.",\n'
        '    "check_name": "AG107",\n'
        '    "fingerprint": "421ca7154848bdb2106d9ebfdb96eff78b48f74e34993e3cbce6015b4267604d",\n'
        '    "severity": "info",\n'
        '    "location": {\n'
        '      "path": "migrations/versions/ef56.py",\n'
        '      "lines": {\n'
        '        "begin": 1\n'
        "      }\n"
        "    }\n"
        "  }\n"
        "]\n"
    )


def test_no_findings_is_an_empty_array() -> None:
    assert _issues(Report("lint")) == []


def test_finding_without_a_file_is_placed_on_the_project_root() -> None:
    (issue,) = _issues(Report("doctor", findings=[RULES["AG804"].finding("Nothing applied.")]))
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
    ids=["code", "path", "message"],
)
def test_fingerprint_depends_on_code_path_and_message(other: Finding) -> None:
    first = RULES["AG106"].finding("Type.", "a.py", 14)
    issues = _issues(Report("lint", findings=[first, other]))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


def test_identical_findings_in_one_file_get_distinct_fingerprints() -> None:
    twice = [RULES["AG103"].finding("Drops t.", "a.py", line) for line in (3, 8)]
    issues = _issues(Report("lint", findings=twice))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]
    alone = _issues(Report("lint", findings=twice[:1]))
    assert alone[0]["fingerprint"] == issues[0]["fingerprint"]
