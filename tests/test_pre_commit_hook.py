"""The `alembic-gate` hook run by the real pre-commit, through `pre-commit try-repo`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.history.test_git_base import migration

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

SECOND_HEAD = '''"""a second head

Revision ID: 99aa99aa99aa
Revises: 46eedd18c879
Create Date: 2024-01-01 00:00:00

"""
revision = "99aa99aa99aa"
down_revision = "46eedd18c879"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    shutil.copytree(
        ROOT / "examples" / "quickstart",
        repo,
        ignore=shutil.ignore_patterns("__pycache__", "*.db", ".alembic-gate-cache"),
    )
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "project")
    return repo


def _try_repo(project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(ROOT), "alembic-gate", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_definition_matches_the_contract() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    lint = hooks["alembic-gate"]
    assert lint["entry"] == "alembic-gate lint"
    assert lint["language"] == "python"
    # Changed files are passed so they are parsed whole; the graph is always read whole.
    assert lint["pass_filenames"] is True
    assert lint["require_serial"] is True


def test_hook_passes_then_fails_on_a_second_head(project: Path, pre_commit_home: Path) -> None:
    clean = _try_repo(project, pre_commit_home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    versions = project / "migrations" / "versions"
    (versions / "99aa99aa99aa_a_second_head.py").write_text(SECOND_HEAD)
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "second head")

    broken = _try_repo(project, pre_commit_home)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert "AG001 [multiple-heads]" in broken.stdout
    assert 'alembic merge -m "merge heads"' in broken.stdout


def test_hook_fails_on_a_syntax_error_below_the_identifiers(
    project: Path, pre_commit_home: Path
) -> None:
    revision = next((project / "migrations" / "versions").glob("4c535d2e7ab2_*.py"))
    revision.write_text(revision.read_text().replace("def upgrade() -> None:", "def upgrade(:"))
    _git(project, "commit", "-qam", "typo")

    broken = _try_repo(project, pre_commit_home)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "AG007 [unparsable-revision]" in broken.stdout
    assert "syntax error" in broken.stdout


def test_hook_on_a_table_and_its_column_written_together(
    project: Path, pre_commit_home: Path
) -> None:
    """Two revisions staged in one commit, the first creating a table, the second giving
    it a NOT NULL column: no deploy has run either, so the hook says nothing of it, nor
    once they are committed together (they ship together). A third revision committed
    on its own after them is reported (the table may have been deployed in between)."""
    versions = project / "migrations" / "versions"
    create = 'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))'
    column = 'op.add_column("tags", sa.Column("name", sa.String(20), nullable=False))'
    for rev, down, upgrade in (("aa01", "4c535d2e7ab2", create), ("aa02", "aa01", column)):
        (versions / f"{rev}_m.py").write_text(migration(rev, down, upgrade))
    _git(project, "add", ".")
    staged = _run_hook(project, pre_commit_home)
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert "aa02_m.py" not in staged.stdout and "AG101" not in staged.stdout, staged.stdout
    _git(project, "commit", "-qm", "tags")
    every = _run_hook(project, pre_commit_home, "--all-files")
    assert every.returncode == 0, every.stdout + every.stderr
    assert "AG101" not in every.stdout, every.stdout
    later = column.replace('"name"', '"code"')
    (versions / "aa03_m.py").write_text(migration("aa03", "aa02", later))
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "code")
    every = _run_hook(project, pre_commit_home, "--all-files")
    assert every.returncode == 0, every.stdout + every.stderr
    assert "aa03_m.py:20: AG101 [not-null-column-without-default]" in every.stdout, every.stdout
    assert "aa02_m.py" not in every.stdout, every.stdout


MONO_HEAD = '''"""a second head

Revision ID: {rev}
Revises: 6b2f1d3e0c21
"""
revision = "{rev}"
down_revision = "6b2f1d3e0c21"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
'''


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """Two setups in subfolders (backend/, services/auth/) and none at the root."""
    repo = tmp_path / "monorepo"
    shutil.copytree(
        ROOT / "tests" / "projects" / "monorepo",
        repo,
        ignore=shutil.ignore_patterns("__pycache__", ".alembic-gate-cache"),
    )
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "monorepo")
    return repo


def _run_hook(repo: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(ROOT), "alembic-gate", "--verbose", *extra],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_at_the_root_of_a_monorepo(monorepo: Path, pre_commit_home: Path) -> None:
    clean = _run_hook(monorepo, pre_commit_home, "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "All checks passed: 2 setups, 4 revision files read, 2 heads." in clean.stdout

    versions = monorepo / "services" / "auth" / "migrations" / "versions"
    for rev in ("7c3a2e4f1d32", "8d4b3f5a2e43"):
        (versions / f"{rev}_second_head.py").write_text(MONO_HEAD.format(rev=rev))
    _git(monorepo, "add", ".")
    _git(monorepo, "commit", "-qm", "two heads in auth")

    broken = _run_hook(monorepo, pre_commit_home, "--all-files")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert (
        "services/auth/migrations/versions/7c3a2e4f1d32_second_head.py:6: AG001 [multiple-heads]"
        in broken.stdout
    )


def test_hook_on_a_staged_file_lints_its_setup(monorepo: Path, pre_commit_home: Path) -> None:
    revision = monorepo / "backend/migrations/versions/1b2c3d4e5f60_add_event_kind.py"
    revision.write_text(revision.read_text().replace("def downgrade() -> None:", "def downgrade(:"))
    _git(monorepo, "add", ".")  # staged, not committed: what a commit in progress looks like

    broken = _run_hook(monorepo, pre_commit_home)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "backend/migrations/versions/1b2c3d4e5f60_add_event_kind.py:" in broken.stdout
    assert "AG007 [unparsable-revision]" in broken.stdout
    assert "1 setup, 2 revision files read" in broken.stdout  # only the backend's
