"""The `alembic-gate-check` hook, run by the real pre-commit from this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import PROJECTS

ROOT = Path(__file__).resolve().parents[2]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_hook_definition_matches_the_contract() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["alembic-gate-check"]
    assert hook["entry"] == "alembic-gate check"
    assert hook["language"] == "system"  # env.py and the models need the project's packages
    assert hook["stages"] == ["manual", "pre-push"]
    assert hook["pass_filenames"] is False


def test_hook_runs_check_in_the_manual_stage(tmp_path: Path) -> None:
    revision = _git(ROOT, "log", "-1", "--format=%H", "--", ".pre-commit-hooks.yaml")
    repo = Path(shutil.copytree(PROJECTS / "check_failing", tmp_path / "project"))
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump(
            {
                "repos": [
                    {
                        "repo": str(ROOT),
                        "rev": revision,
                        "hooks": [{"id": "alembic-gate-check", "args": ["--db", "sqlite"]}],
                    }
                ]
            }
        )
    )
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        # language: system finds alembic-gate where the project's environment has it.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [sys.executable, "-m", "pre_commit", "run", "alembic-gate-check", "--all-files"]
    skipped = subprocess.run(
        command, cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    # Not a commit-stage hook: it only runs when asked for (manual) or on push.
    assert "No hook with id `alembic-gate-check` in stage `pre-commit`" in skipped.stdout
    run = subprocess.run(
        [*command, "--hook-stage", "manual"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "AG901 [upgrade-failed]" in run.stdout
    assert "migrations/versions/c9e2b7d41a05_add_user_email.py:25" in run.stdout


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "t")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "t@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "t")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "t@example.invalid")
