"""`pre-commit run --hook-stage manual alembic-gate-check`, as the docs tell users to run it:
the real pre-commit, this repository's hooks at its current commit, a clean work tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import add_second_head, commit_all, copy_quickstart, git, init_repo
from .runners import ROOT


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A repository whose Alembic project lives in backend/, with the hook configured."""
    repo = tmp_path / "repo"
    copy_quickstart(repo / "backend")
    hook = {
        "id": "alembic-gate-check",
        "args": ["--config", "backend/alembic.ini", "--db", "sqlite"],
    }
    config = {
        "repos": [{"repo": str(ROOT), "rev": git(ROOT, "rev-parse", "HEAD"), "hooks": [hook]}]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    init_repo(repo)
    return repo


def manual_run(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        # language: system finds alembic-gate where the project's environment has it.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--hook-stage", "manual", "alembic-gate-check"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_check_hook_runs_on_a_clean_tree_and_reads_a_subfolders_config(
    monorepo: Path, tmp_path: Path
) -> None:
    assert git(monorepo, "status", "--porcelain") == ""
    run = manual_run(monorepo, tmp_path / "pre-commit-home")
    assert "no files to check" not in run.stdout
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout

    add_second_head(monorepo / "backend")
    commit_all(monorepo, "a second head")
    run = manual_run(monorepo, tmp_path / "pre-commit-home")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "backend/migrations/versions/99aa99aa99aa_a_second_head.py" in run.stdout
    assert "AG001 [multiple-heads]" in run.stdout
