"""Two hundred heads, through every report: each stays within what its consumer takes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import consumers
import pytest

from alembic_gate.main import main

from .conftest import copy_quickstart

LAST = "4c535d2e7ab2"
HEADS = 200
REVISION = '''"""branch {n}

Revision ID: {rid}
Revises: {down}
"""
revision = "{rid}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
'''


@pytest.fixture
def many_heads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = copy_quickstart(tmp_path / "project")
    for n in range(HEADS):
        rid = f"{n:012x}"
        path = project / "migrations" / "versions" / f"{rid}_branch.py"
        path.write_text(REVISION.format(n=n, rid=rid, down=LAST))
    monkeypatch.chdir(project)
    return project


def test_two_hundred_heads_fit_every_consumer(
    many_heads: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "sarif", "gitlab", "junit")}
    formats = [f"--format={fmt}={path}" for fmt, path in reports.items()]
    assert main(["lint", "--format", "github", *formats]) == 1
    annotations = capsys.readouterr().out

    # GitHub: ten error annotations, and a job summary far below its 1 MiB.
    assert len(re.findall(r"^::error ", annotations, re.M)) == 10
    text = summary.read_text(encoding="utf-8")
    assert len(text.encode()) < 200_000
    assert text.count("### AG001 multiple-heads: 200 errors") == 1
    assert text.count("alembic merge") == 1
    assert "```mermaid" not in text and "too large to draw here (200 heads" in text
    assert "<details><summary>The 200 findings</summary>" in text

    # One AG001 per head, none listing all two hundred.
    document = json.loads(reports["json"].read_text())
    findings = document["findings"]
    assert len(findings) == HEADS and len(document["heads"]) == HEADS
    assert max(len(f["message"]) for f in findings) < 300
    assert {f["fix"] for f in findings} == {'alembic merge -m "merge heads" heads'}

    # GitLab: distinct fingerprints (GitLab keys issues on them), small issues.
    issues = json.loads(reports["gitlab"].read_text())
    assert len({i["fingerprint"] for i in issues}) == HEADS
    assert reports["gitlab"].stat().st_size < 200_000

    # Code scanning: the multitool's GitHub rules accept it.
    problems = consumers.sarif_validate(reports["sarif"], tmp_path)
    assert problems == [], consumers.describe(problems)
    assert reports["sarif"].stat().st_size < 1_000_000
