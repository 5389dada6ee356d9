"""The per-file cache: a hit equals a fresh read, a changed file is read again, a
damaged or foreign cache file is ignored, and nothing is written with --no-cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from alembic_gate.history.cache import CACHE_DIR, RevisionCache
from alembic_gate.history.revisions import read_revision
from alembic_gate.main import main

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "tests" / "projects" / "plain" / "alembic" / "versions"


_IGNORE = shutil.ignore_patterns("__pycache__", CACHE_DIR)


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VERSIONS, tmp_path / "versions", ignore=_IGNORE))


def _files(versions: Path) -> list[Path]:
    return sorted(versions.glob("*.py"))


def test_a_hit_equals_a_fresh_read(tmp_path: Path, versions: Path) -> None:
    folder = tmp_path / "cache"
    first = RevisionCache(folder, [versions])
    cold = [first.read(p, tmp_path) for p in _files(versions)]
    first.save(_files(versions))
    second = RevisionCache(folder, [versions])
    warm = [second.read(p, tmp_path) for p in _files(versions)]
    assert warm == cold == [read_revision(p, tmp_path) for p in _files(versions)]
    assert not second.changed
    assert (folder / ".gitignore").read_text().endswith("*\n")


def test_a_changed_file_is_read_again(tmp_path: Path, versions: Path) -> None:
    folder = tmp_path / "cache"
    cache = RevisionCache(folder, [versions])
    path = _files(versions)[0]
    before = cache.read(path, tmp_path)
    cache.save(_files(versions))
    text = path.read_text()
    assert before.revision is not None
    path.write_text(text.replace(before.revision, "0123456789ab") + "\n")
    os.utime(path, ns=(1, 1))
    after = RevisionCache(folder, [versions]).read(path, tmp_path)
    assert after.revision == "0123456789ab"


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\xe3\x00\x00\x00"])
def test_a_damaged_cache_is_a_cold_run(tmp_path: Path, versions: Path, content: bytes) -> None:
    folder = tmp_path / "cache"
    cache = RevisionCache(folder, [versions])
    assert cache.file is not None
    folder.mkdir()
    cache.file.write_bytes(content)
    again = RevisionCache(folder, [versions])
    assert [again.read(p, tmp_path) for p in _files(versions)] == [
        read_revision(p, tmp_path) for p in _files(versions)
    ]


def test_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = ROOT / "tests" / "projects" / "plain"
    shutil.copytree(plain, tmp_path / "p", ignore=shutil.ignore_patterns(CACHE_DIR))
    monkeypatch.chdir(tmp_path / "p")
    assert main(["lint", "--no-cache"]) == 0
    assert not (tmp_path / "p" / CACHE_DIR).exists()
    assert main(["lint"]) == 0
    assert (tmp_path / "p" / CACHE_DIR / ".gitignore").is_file()


def test_reading_in_forked_processes_equals_reading_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic_gate.history import cache

    files = []
    for i in range(40):
        path = tmp_path / f"r{i:02d}.py"
        down = "None" if i == 0 else f"'{i - 1:012d}'"
        path.write_text(f"revision = '{i:012d}'\ndown_revision = {down}\n")
        files.append(path)
    (tmp_path / "r07.py").write_bytes(b"\xff\x00 not python")
    monkeypatch.setattr(cache, "PER_PROCESS", 10)
    monkeypatch.setattr(cache, "_processes", lambda n: 3)
    assert cache.read_revisions(files, tmp_path) == [read_revision(p, tmp_path) for p in files]


def test_a_failing_child_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic_gate.history import cache

    files = sorted(_files(Path(shutil.copytree(VERSIONS, tmp_path / "v", ignore=_IGNORE))))
    monkeypatch.setattr(cache, "_processes", lambda n: 2)
    # A child whose results cannot be packed exits non-zero; the parent reads its files.
    monkeypatch.setattr(cache, "_pack", lambda rev: object())
    assert cache.read_revisions(files, tmp_path) == [read_revision(p, tmp_path) for p in files]
