from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from alembic_gate.shared import git
from alembic_gate.shared.git import git_output, git_status


def _repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_the_output_of_git_in_the_folder(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    assert git_output(["rev-parse", "--show-toplevel"], repo) == f"{repo.resolve()}\n"


def test_a_file_is_run_in_its_folder(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "a.py").write_text("")
    assert git_output(["rev-parse", "--show-toplevel"], repo / "a.py") == f"{repo.resolve()}\n"
    assert git_output(["rev-parse", "--show-toplevel"], str(repo / "a.py")) is not None


def test_outside_a_repository_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert git_output(["rev-parse", "--show-toplevel"], tmp_path) is None


def test_a_folder_that_is_not_there_is_none(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    assert git_output(["rev-parse", "--show-toplevel"], repo / "gone") is None


def test_no_git_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path / "repo")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_output(["status"], repo) is None


def test_paths_are_not_quoted_and_bytes_that_are_not_utf8_are_kept_or_replaced(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path / "repo")
    name = os.fsdecode(b"caf\xe9.py")  # Latin-1, not UTF-8: a surrogate in the str
    (repo / "versions").mkdir()
    (repo / "versions" / name).write_text("")
    (repo / "versions" / "\u00e9t\u00e9.py").write_text("")
    listed = git_output(["ls-files", "--others"], repo)
    assert listed is not None
    assert set(listed.splitlines()) == {f"versions/{name}", "versions/\u00e9t\u00e9.py"}
    shown = git_output(["ls-files", "--others"], repo, errors="replace")
    assert shown is not None
    assert set(shown.splitlines()) == {"versions/caf\ufffd.py", "versions/\u00e9t\u00e9.py"}


def never_answering_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put first on PATH a `git` that waits forever (on a lock, a hook, a prompt)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\nexec sleep 1000000\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_git_that_never_ends_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the run ends at the timeout with None
    never_answering_git(tmp_path, monkeypatch)
    monkeypatch.setattr(git, "GIT_TIMEOUT", 0.2)
    assert git_output(["status"], tmp_path) is None


def test_the_exit_status_of_git(tmp_path: Path) -> None:
    """`git grep -q` says by its status alone whether a tree holds a word: 0 or 1."""
    repo = _repo(tmp_path / "repo")
    (repo / "settings.ini").write_text("url = postgresql://db/app\n")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    assert git_status(["grep", "--cached", "-q", "-i", "POSTGRES"], repo) == 0
    assert git_status(["grep", "--cached", "-q", "mysql"], repo) == 1


def test_no_git_or_one_that_never_ends_has_no_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path / "repo")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_status(["status"], repo) is None
    monkeypatch.undo()
    never_answering_git(tmp_path, monkeypatch)
    monkeypatch.setattr(git, "GIT_TIMEOUT", 0.2)
    assert git_status(["status"], tmp_path) is None
