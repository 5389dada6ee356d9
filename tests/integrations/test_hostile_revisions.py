"""Revision files written to attack the CI log: names that carry workflow commands and
terminal control sequences. Nothing of them may reach a log as a command or a control."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate.main import main

from .conftest import copy_quickstart, init_repo
from .runners import Run, parse_annotations

LAST = "4c535d2e7ab2"
# A column name per revision: each would be a command, or a terminal sequence, if printed raw.
NAMES = [
    "a\n::error file=README.md,line=1::injected",
    "b\r::error::injected",
    "c\n   ::warning::indented",
    "d\n::stop-commands::t0ken",
    "e\n::t0ken::",
    "f\n##[error]old style",
    "g%0A::error::percent",
    "h\x1b]0;title\x07\x1b[2J\x1b[31m",
    "i\x9b31m\u202egnp.exe",
    "j\u2028::error::separator",
    "k\x00\x08\x7f",
    "l\n::add-mask::secret",
]
REVISION = '''"""drop a column {n}

Revision ID: {rid}
Revises: {down}
"""
from alembic import op

revision = "{rid}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column("post", {column!r})


def downgrade():
    pass
'''
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


def hostile_project(root: Path) -> Path:
    project = copy_quickstart(root)
    down = LAST
    for n, name in enumerate(NAMES):
        rid = f"{n + 1:012x}"
        path = project / "migrations" / "versions" / f"{rid}_drop.py"
        path.write_text(REVISION.format(n=n, rid=rid, down=down, column=name))
        down = rid
    # Every hostile revision is in scope (a whole-history run shows only the head's otherwise).
    (project / "pyproject.toml").write_text(f'[tool.alembic-gate]\nsince = "{LAST}"\n')
    return project


def commands(log: str) -> list[str]:
    """Every line GitHub's runner would take for a workflow command (after leading spaces;
    it splits lines on LF and CR)."""
    lines = re.split("\r\n|\n|\r", log)
    return [line.lstrip() for line in lines if line.lstrip().startswith(("::", "##["))]


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_lint_output_has_no_command_and_no_control_from_a_file(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(hostile_project(tmp_path / "project"))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["lint", "--format", fmt, "--fail-on", "warning"]) == 1
    out = capsys.readouterr().out
    assert not CONTROLS.search(out)
    found = commands(out)
    if fmt == "text":
        assert found == []
    else:
        # Ours only: ten warning annotations, the tenth saying how many more there are.
        assert len(found) == 10
        assert all(c.startswith("::warning file=migrations/versions/") for c in found[:9])
        assert found[9].startswith("::warning title=alembic-gate::3 more warnings")
        assert not CONTROLS.search(summary.read_text())
    # Every column name is still there to read, escaped.
    assert "\\x1b]0;title\\x07" in out
    assert "injected" in out and "t0ken" in out


def test_the_action_log_has_only_its_own_commands(
    tmp_path: Path, action: Callable[..., Run]
) -> None:
    workspace = tmp_path / "workspace"
    hostile_project(workspace)
    init_repo(workspace)
    result = action(workspace, args="--fail-on warning")
    assert result.returncode == 1
    assert not CONTROLS.search(result.stdout)
    annotations = parse_annotations(result.stdout)
    assert len(annotations) == 10
    assert {a.get("file", "") for a in annotations} - {""} <= {
        f"migrations/versions/{n + 1:012x}_drop.py" for n in range(len(NAMES))
    }
    assert all(
        not c.startswith(("::error::", "::stop-commands", "::add-mask"))
        for c in commands(result.stdout)
    )
