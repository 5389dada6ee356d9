"""The cache of what was read from each file: a hit equals a fresh read; a changed file
is parsed again, a file whose metadata alone changed (a checkout, a restored CI cache)
is hashed but not parsed; a damaged, foreign or hostile cache is a cold read; no
FIFO is ever opened; forked reading equals reading in one process."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate.history import cache
from alembic_gate.history import operations as operations_module
from alembic_gate.history.cache import CACHE_DIR, RevisionCache
from alembic_gate.history.operations import operations
from alembic_gate.history.revisions import RevisionFile, StoredOps, read_revision
from alembic_gate.main import main

ROOT = Path(__file__).resolve().parents[2]
PLAIN = ROOT / "tests" / "projects" / "plain"
VERSIONS = PLAIN / "alembic" / "versions"
_IGNORE = shutil.ignore_patterns("__pycache__", CACHE_DIR)


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VERSIONS, tmp_path / "versions", ignore=_IGNORE))


def _files(versions: Path) -> list[Path]:
    return sorted(versions.glob("*.py"))


def _read(folder: Path, versions: Path, cwd: Path) -> tuple[RevisionCache, list[object]]:
    store = RevisionCache(folder, ["versions"])
    revs = store.read_all(_files(versions), cwd)
    store.save(_files(versions))
    return store, revs


def _fresh(versions: Path, cwd: Path) -> list[RevisionFile]:
    """The files as read without a cache."""
    return [read_revision(path, cwd) for path in _files(versions)]


def _pieces(file: str) -> list[object]:
    with open(file, "rb") as stream:
        return list(cache.read_pieces(stream))


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("parsed although the cache holds this content")

    monkeypatch.setattr(cache, "read_revision_source", fail)
    # Nor read again because what the cache holds of its calls did not unpack.
    monkeypatch.setattr(operations_module, "_read_again", fail)


def test_a_hit_equals_a_fresh_read(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache"
    _, cold = _read(folder, versions, tmp_path)
    assert cold == _fresh(versions, tmp_path)
    names = [str(path) for path in _files(versions)]  # as discovery lists them
    assert RevisionCache(None, ["versions"]).read_all(names, tmp_path) == cold  # --no-cache
    _no_parse(monkeypatch)
    second, warm = _read(folder, versions, tmp_path)
    assert warm == cold
    assert [operations(rev) for rev in warm] == [operations(rev) for rev in cold]  # type: ignore[arg-type]
    assert not second.changed
    assert (folder / ".gitignore").read_text().endswith("*\n")
    # the paths as strings: the same hits
    third = RevisionCache(folder, ["versions"])
    assert third.read_all(names, tmp_path) == cold and not third.changed


def test_a_changed_file_is_parsed_again(tmp_path: Path, versions: Path) -> None:
    folder = tmp_path / "cache"
    path = _files(versions)[0]
    before = read_revision(path, tmp_path)
    _read(folder, versions, tmp_path)
    assert before.revision is not None
    path.write_text(path.read_text().replace(before.revision, "0123456789ab") + "\n")
    os.utime(path, ns=(1, 1))
    after = RevisionCache(folder, ["versions"]).read(path, tmp_path)
    assert after.revision == "0123456789ab"


def test_a_change_that_keeps_size_and_mtime_is_parsed_again(tmp_path: Path, versions: Path) -> None:
    """The key is mtime, size, inode and ctime: a rewrite of the same length whose mtime
    is put back (a tool that restores it) still changes the ctime."""
    folder = tmp_path / "cache"
    path = _files(versions)[0]
    before = read_revision(path, tmp_path)
    _read(folder, versions, tmp_path)
    assert before.revision is not None
    old = path.stat()
    path.write_text(path.read_text().replace(before.revision, "0123456789ab"))
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert path.stat().st_size == old.st_size and path.stat().st_mtime_ns == old.st_mtime_ns
    after = RevisionCache(folder, ["versions"]).read(path, tmp_path)
    assert after.revision == "0123456789ab"


def test_a_time_before_1970_is_a_key_like_any_other(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache"
    for path in _files(versions):
        os.utime(path, ns=(-(10**18), -(10**18)))
    _, cold = _read(folder, versions, tmp_path)
    _no_parse(monkeypatch)
    store, warm = _read(folder, versions, tmp_path)
    assert warm == cold and not store.changed


def test_new_metadata_alone_costs_no_parse(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a fresh clone with a restored CI cache looks like: same contents, new
    mtimes and inodes, even another folder."""
    folder = tmp_path / "cache"
    _, cold = _read(folder, versions, tmp_path)
    clone = tmp_path / "clone"
    shutil.copytree(versions, clone / "versions")
    for path in _files(clone / "versions"):
        os.utime(path, ns=(10**18, 10**18))
    _no_parse(monkeypatch)
    store, warm = _read(folder, clone / "versions", clone)
    assert [(r.revision, r.display) for r in warm] == [(r.revision, r.display) for r in cold]
    assert store.changed  # the new metadata is remembered: next time nothing is hashed


def _damage(file: str, change: object) -> None:
    """Rewrite the cache file with `change` applied to (format, index, store)."""
    head, *parts = _pieces(file)
    assert type(head) is str and all(cache._is_piece(part) for part in parts)
    index = {name: hit for part in parts for name, hit in part[0].items()}  # type: ignore[index]
    store = {key: entry for part in parts for key, entry in part[1].items()}  # type: ignore[index]
    changed = change((head, index, store))  # type: ignore[operator]
    with open(file, "wb") as handle:
        pieces = (
            [changed[0], changed[1:]] if type(changed) is tuple and len(changed) == 3 else [changed]
        )
        for piece in pieces:
            handle.write(cache._framed(piece))


def _hits(stored: tuple[str, dict[str, object], dict[bytes, object]], new: object) -> object:
    """Each index entry's metadata kept (still a hit), its content hash made `new`: bytes
    (a hash's length: a content not stored), or anything else beside the metadata (an
    entry of another shape)."""
    size = cache._DIGEST

    def damaged(hit: bytes) -> object:
        if type(new) is bytes:
            return new.ljust(size)[:size] + hit[size:]
        return (new, hit[size:])

    index = {name: damaged(hit) for name, hit in stored[1].items()}  # type: ignore[arg-type]
    return stored[0], index, stored[2]


@pytest.mark.parametrize(
    "change",
    [
        lambda s: _hits(s, ["a list: unhashable"]),
        lambda s: _hits(s, "not bytes"),
        lambda s: _hits(s, b"no such content"),
        lambda s: (s[0], {n: (*h, 1) for n, h in s[1].items()}, s[2]),  # type: ignore[misc]
        lambda s: _entries(s, (b"\x00", b"")),
        lambda s: _entries(s, (marshal.dumps(tuple(range(12))), b"")),
        lambda s: _entries(s, ([], 1, 2)),
        lambda s: _entries(s, next(v[::-1] for v in s[2].values())),
        # places no `packed_place` makes (a small int is one Python shares)
        lambda s: (s[0], s[1], {d: (e[0], 5) for d, e in s[2].items()}),  # type: ignore[index]
        lambda s: (s[0], s[1], {d: (e[0], 1 << 80) for d, e in s[2].items()}),  # type: ignore[index]
        lambda s: (s[0], s[1], {d: (e[0], True) for d, e in s[2].items()}),  # type: ignore[index]
    ],
)
def test_wrong_types_or_shapes_behind_unchanged_metadata_are_a_cold_read(
    tmp_path: Path, versions: Path, change: object
) -> None:
    """The files untouched: each is found by its metadata, then its damaged index
    entry or content is read again."""
    folder = tmp_path / "cache"
    store, cold = _read(folder, versions, tmp_path)
    assert store.file is not None
    _damage(store.file, change)
    for _ in range(2):
        again = RevisionCache(folder, ["versions"]).read_all(_files(versions), tmp_path)
        assert again == cold
        assert [operations(r) for r in again] == [operations(r) for r in cold]  # type: ignore[arg-type]


def _entries(stored: tuple[str, dict[str, object], dict[bytes, object]], new: object) -> object:
    return stored[0], stored[1], dict.fromkeys(stored[2], new)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: b"garbage",
        lambda s: (s[0], [], {}),
        lambda s: (s[0], dict.fromkeys(s[1], "x"), s[2]),
        lambda s: (s[0], dict.fromkeys(s[1], ((1, 2), b"x", 3)), s[2]),
        lambda s: _entries(s, "not a tuple"),
        lambda s: _entries(s, (b"\x00", b"")),
        lambda s: _entries(s, (marshal.dumps(("r", 1)), b"")),
        lambda s: _entries(s, (marshal.dumps(tuple(range(12))), b"")),
        lambda s: _entries(s, (marshal.dumps(compile("1", "f", "eval")), b"")),
        lambda s: _entries(s, next(v[::-1] for v in s[2].values())),
        lambda s: (s[0], s[1], {d: (e[0], b"not operations") for d, e in s[2].items()}),
    ],
)
def test_wrong_types_or_shapes_are_a_cold_read(
    tmp_path: Path, versions: Path, change: object
) -> None:
    folder = tmp_path / "cache"
    store, cold = _read(folder, versions, tmp_path)
    assert store.file is not None
    for path in _files(versions):
        os.utime(path, ns=(5, 5))  # also through the content hash
    _damage(store.file, change)
    for _ in range(2):
        again = RevisionCache(folder, ["versions"]).read_all(_files(versions), tmp_path)
        assert [(r.revision, r.parents) for r in again] == [(r.revision, r.parents) for r in cold]
        assert [operations(r) for r in again] == [operations(r) for r in cold]  # type: ignore[arg-type]


def test_entries_share_the_labels_and_depends_on_they_repeat(
    tmp_path: Path, versions: Path
) -> None:
    """What an earlier entry built for the same packed branch_labels / depends_on is
    taken as it is; anything else in the entry is still checked."""
    path = str(_files(versions)[0])
    entry = cache.to_entry(read_revision(path, tmp_path))
    same: dict[object, object] = {}
    first = cache.from_entry(entry, path, "a.py", same)
    second = cache.from_entry(entry, path, "b.py", same)
    assert second.branch_labels is first.branch_labels
    assert second.depends_on is first.depends_on
    # (and, both found shared, the rest is shared still)
    assert first.dialects is not None and second.dialects is first.dialects
    assert second.suppressions is first.suppressions
    assert (second.revision, second.down_revision) == (first.revision, first.down_revision)
    facts = list(marshal.loads(entry[0]))
    facts[0] = 12  # the revision id: not a str
    damaged = (marshal.dumps(tuple(facts)), entry[1])
    with pytest.raises(ValueError):
        cache.from_entry(damaged, path, "c.py", same)
    facts[0] = first.revision
    facts[cache._LABELS_FIELD] = [[], True, 1, None]  # a list: not looked up, not taken
    with pytest.raises(ValueError):
        cache.from_entry((marshal.dumps(tuple(facts)), entry[1]), path, "d.py", same)
    # what `same` holds beside Values (dialects, the empty suppressions) is never taken
    # for branch_labels or depends_on
    facts[cache._LABELS_FIELD] = next(k for k in same if type(k) is frozenset)
    facts[cache._DEPENDS_FIELD] = cache._NO_SUPPRESSIONS
    with pytest.raises(ValueError):
        cache.from_entry((marshal.dumps(tuple(facts)), entry[1]), path, "e.py", same)


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _oversized(data: bytes) -> bytes:
    return (1 << 62).to_bytes(8, "little") + data[8:]


def _extra_piece(data: bytes) -> bytes:
    tail = marshal.dumps(["not", "a", "dict"])
    return data + len(tail).to_bytes(8, "little") + tail


@pytest.mark.parametrize("change", [_cut, _oversized, _extra_piece])
def test_a_cut_or_misframed_cache_file_is_a_cold_run(
    tmp_path: Path, versions: Path, change: Callable[[bytes], bytes]
) -> None:
    folder = tmp_path / "cache"
    store, cold = _read(folder, versions, tmp_path)
    assert store.file is not None
    Path(store.file).write_bytes(change(Path(store.file).read_bytes()))
    again = RevisionCache(folder, ["versions"])
    assert again.index == {} and again.store == {}
    assert again.read_all(_files(versions), tmp_path) == cold


def test_a_large_store_is_saved_in_pieces_and_read_back_whole(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "PIECE", 1)
    folder = tmp_path / "cache"
    store, cold = _read(folder, versions, tmp_path)
    assert store.file is not None
    assert len(_pieces(store.file)) == 1 + len(_files(versions))
    # the index too: no piece holds more than PIECE of its entries
    assert all(len(part[0]) == 1 for part in _pieces(store.file)[1:])  # type: ignore[index]
    _no_parse(monkeypatch)
    again = RevisionCache(folder, ["versions"])
    # (a file read in the cold run is stored as its revision, packed when written)
    written = {d: cache.to_entry(e)[0] for d, e in store.store.items()}  # type: ignore[arg-type]
    assert {d: e[0] for d, e in again.store.items()} == written
    warm = again.read_all(_files(versions), tmp_path)
    assert warm == cold
    assert [operations(r) for r in warm] == [operations(r) for r in cold]


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text() + f"# {text}\n")


def test_a_run_that_read_one_file_anew_appends_one_piece(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit's run adds what it learnt at the end of the file instead of writing
    the whole file again; read back, the file gives what a fresh read gives."""
    folder = tmp_path / "cache"
    store, _ = _read(folder, versions, tmp_path)
    assert store.file is not None
    before = _pieces(store.file)
    path = _files(versions)[1]
    _edit(path, "changed")
    _read(folder, versions, tmp_path)
    after = _pieces(store.file)
    assert after[: len(before)] == before
    (index, stored), *more = after[len(before) :]
    assert more == []
    assert list(index) == [str(path)]  # type: ignore[call-overload]
    assert list(stored) == [index[str(path)][: cache._DIGEST]]  # type: ignore[call-overload,index]
    _no_parse(monkeypatch)
    again, warm = _read(folder, versions, tmp_path)
    assert warm == _fresh(versions, tmp_path)
    assert not again.changed


def test_the_file_is_written_whole_again_once_it_holds_twice_what_is_used(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_SLACK", 0)
    folder = tmp_path / "cache"
    store, _ = _read(folder, versions, tmp_path)
    assert store.file is not None
    whole = len(_pieces(store.file))
    path = _files(versions)[0]
    lengths = []
    for number in range(8):
        _edit(path, f"edit {number}")
        _read(folder, versions, tmp_path)
        lengths.append(len(_pieces(store.file)))
    # Each edit adds an index entry and a content: 3 files (6 entries) allow 3 edits.
    assert lengths == [whole + n for n in (1, 2, 3, 0, 1, 2, 3, 0)]
    _no_parse(monkeypatch)
    assert _read(folder, versions, tmp_path)[1] == _fresh(versions, tmp_path)


def test_a_file_another_run_changed_since_it_was_loaded_is_written_whole(
    tmp_path: Path, versions: Path
) -> None:
    folder = tmp_path / "cache"
    store, _ = _read(folder, versions, tmp_path)
    assert store.file is not None
    first, second = _files(versions)[:2]
    _edit(first, "one")
    _edit(second, "two")
    slow = RevisionCache(folder, ["versions"])  # loaded before the other run saved
    _read(folder, versions, tmp_path)  # the other run: appends both
    slow.read_all(_files(versions), tmp_path)
    slow.save(_files(versions))
    assert len(_pieces(store.file)) == 2  # not appended to a file it did not load
    assert slow.loaded is not None


def test_a_cut_appended_piece_is_a_cold_run(tmp_path: Path, versions: Path) -> None:
    folder = tmp_path / "cache"
    store, _ = _read(folder, versions, tmp_path)
    assert store.file is not None
    _edit(_files(versions)[0], "changed")
    _read(folder, versions, tmp_path)
    Path(store.file).write_bytes(Path(store.file).read_bytes()[:-3])
    again = RevisionCache(folder, ["versions"])
    assert again.index == {} and again.store == {}
    assert again.read_all(_files(versions), tmp_path) == _fresh(versions, tmp_path)


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\xe3\x00\x00\x00"])
def test_a_damaged_cache_file_is_a_cold_run(tmp_path: Path, versions: Path, content: bytes) -> None:
    folder = tmp_path / "cache"
    store = RevisionCache(folder, ["versions"])
    assert store.file is not None
    folder.mkdir()
    Path(store.file).write_bytes(content)
    again = RevisionCache(folder, ["versions"])
    assert again.read_all(_files(versions), tmp_path) == _fresh(versions, tmp_path)


def test_a_fifo_in_place_of_the_cache_is_never_opened(tmp_path: Path, versions: Path) -> None:
    folder = tmp_path / "cache"
    store = RevisionCache(folder, ["versions"])
    assert store.file is not None
    folder.mkdir()
    os.mkfifo(store.file)
    os.mkfifo(folder / ".gitignore")
    _, revs = _read(folder, versions, tmp_path)  # a hang here is the failure
    assert len(revs) == 3
    assert os.path.isfile(store.file)  # replaced by a real cache file


def test_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(PLAIN, tmp_path / "p", ignore=_IGNORE)
    monkeypatch.chdir(tmp_path / "p")
    assert main(["lint", "--no-cache"]) == 0
    assert not (tmp_path / "p" / CACHE_DIR).exists()
    assert main(["lint"]) == 0
    assert (tmp_path / "p" / CACHE_DIR / ".gitignore").is_file()


def test_reading_in_forked_processes_equals_reading_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for i in range(40):
        path = tmp_path / f"r{i:02d}.py"
        down = "None" if i == 0 else f"'{i - 1:012d}'"
        path.write_text(
            f"revision = '{i:012d}'\ndown_revision = {down}\n"
            f"def upgrade():\n    op.drop_table('t{i}')\n"
        )
        files.append(path)
    (tmp_path / "r07.py").write_bytes(b"\xff\x00 not python")
    (tmp_path / "r08.py").unlink()
    os.mkfifo(tmp_path / "r08.py")
    here = [read_revision(p, tmp_path) for p in files]
    monkeypatch.setattr(cache, "PER_PROCESS", 10)
    monkeypatch.setattr(cache, "_processes", lambda n: 3)
    forked = cache.read_revisions(files, tmp_path)
    assert forked == here
    assert [operations(r) for r in forked] == [operations(r) for r in here]
    folder = tmp_path / "cache"
    assert RevisionCache(folder, ["x"]).read_all(files, tmp_path) == here
    assert RevisionCache(None, ["x"]).read_all(files, tmp_path) == here  # --no-cache


def test_files_read_here_are_kept_as_read_and_share_values_with_a_childs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for i in range(6):
        path = tmp_path / f"r{i}.py"
        path.write_text(f"revision = 'r{i}'\ndown_revision = None\nbranch_labels = None\n")
        files.append(path)
    monkeypatch.setattr(cache, "PER_PROCESS", 1)
    monkeypatch.setattr(cache, "_processes", lambda n: 2)
    reads = cache.read_files(files, tmp_path)
    # the parent's half is not packed to be unpacked again; the child's comes as entries
    assert [type(read) for _, read in reads] == [RevisionFile] * 3 + [tuple] * 3
    revs = cache.read_revisions(files, tmp_path)
    assert revs == [read_revision(p, tmp_path) for p in files]
    assert len({id(rev.branch_labels) for rev in revs}) == 1
    # ids are interned as an entry's are: one string however many revisions name it
    assert all(rev.revision is sys.intern(f"r{i}") for i, rev in enumerate(revs))


def test_a_childs_operations_are_unpacked_as_its_pieces_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the memo keeps every file's operations, the parent unpacks a child's as
    they come, while the child still parses: the rules after the reads unpack none."""
    files = sorted(_files(Path(shutil.copytree(VERSIONS, tmp_path / "v", ignore=_IGNORE))))
    here = [operations(read_revision(p, tmp_path)) for p in files]
    operations_module.forget()
    monkeypatch.setattr(cache, "_processes", lambda n: 2)
    monkeypatch.setattr(cache, "BATCH", 1)
    revs = cache.read_revisions(files, tmp_path)
    assert len(files) > 2  # (a child reads some of them)

    def unpacked_late(data: bytes) -> None:
        raise AssertionError("operations unpacked after the reads")

    monkeypatch.setattr(operations_module, "unpack", unpacked_late)
    assert [operations(rev) for rev in revs] == here


def test_this_process_takes_a_smaller_share_when_it_unpacks_the_childrens() -> None:
    paths = [f"r{i}.py" for i in range(1000)]
    mine, theirs = cache._shares(paths, 2, mine=True, ahead=True)
    assert (len(mine), [len(chunk) for chunk in theirs]) == (490, [510])
    mine, theirs = cache._shares(paths, 3, mine=True, ahead=False)
    assert (len(mine), [len(chunk) for chunk in theirs]) == (333, [334, 333])
    mine, theirs = cache._shares(paths, 2, mine=False, ahead=False)  # many files: none here
    assert (len(mine), [len(chunk) for chunk in theirs]) == (0, [500, 500])
    assert [p for chunk in [mine, *theirs] for p in chunk] == paths


def test_a_failing_child_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(_files(Path(shutil.copytree(VERSIONS, tmp_path / "v", ignore=_IGNORE))))
    monkeypatch.setattr(cache, "_processes", lambda n: 2)
    # A child whose results cannot be written exits non-zero; the parent reads its files.
    real = cache.to_entry
    parent = os.getpid()
    monkeypatch.setattr(
        cache, "to_entry", lambda rev: real(rev) if os.getpid() == parent else object()
    )
    assert cache.read_revisions(files, tmp_path) == [read_revision(p, tmp_path) for p in files]


def test_a_reader_sends_its_results_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(_files(Path(shutil.copytree(VERSIONS, tmp_path / "v", ignore=_IGNORE))))
    here = [read_revision(p, tmp_path) for p in files]
    monkeypatch.setattr(cache, "_processes", lambda n: 2)
    monkeypatch.setattr(cache, "BATCH", 2)  # several pieces per child, the last one short
    assert cache.read_revisions(files, tmp_path) == here


def test_a_piece_that_is_not_results_is_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(_files(Path(shutil.copytree(VERSIONS, tmp_path / "v", ignore=_IGNORE))))
    monkeypatch.setattr(cache, "_processes", lambda n: 2)
    monkeypatch.setattr(cache, "BATCH", 1)
    real, parent = cache._framed, os.getpid()
    monkeypatch.setattr(
        cache, "_framed", lambda piece: real(piece if os.getpid() == parent else {"no": 1})
    )
    assert cache.read_revisions(files, tmp_path) == [read_revision(p, tmp_path) for p in files]


def test_loaded_revisions_read_their_operations_from_the_file_they_were_loaded_from(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hit holds where its calls lie in the cache file, not the calls; the file it
    was loaded from gives them even after another run replaced or removed it."""
    folder = tmp_path / "cache"
    _, cold = _read(folder, versions, tmp_path)
    _no_parse(monkeypatch)
    operations_module.forget()
    _, warm = _read(folder, versions, tmp_path)
    assert all(r.ops_data is None and r.ops_at is not None for r in warm)  # type: ignore[attr-defined]
    for file in folder.glob("revisions-*"):  # as a run that writes it anew does
        (folder / "new").write_bytes(b"another file")
        os.replace(folder / "new", file)
    assert [operations(r) for r in warm] == [operations(r) for r in cold]  # type: ignore[arg-type]


def test_operations_a_cut_cache_file_no_longer_gives_are_read_again(
    tmp_path: Path, versions: Path
) -> None:
    folder = tmp_path / "cache"
    store, cold = _read(folder, versions, tmp_path)
    assert store.file is not None
    operations_module.forget()
    _, warm = _read(folder, versions, tmp_path)
    with Path(store.file).open("r+b") as handle:  # the same file, cut where it stands
        handle.truncate(100)
    assert [operations(r) for r in warm] == [operations(r) for r in cold]  # type: ignore[arg-type]


def test_loaded_revisions_without_suppressions_share_one_empty_mapping(
    tmp_path: Path, versions: Path
) -> None:
    folder = tmp_path / "cache"
    _read(folder, versions, tmp_path)
    path = _files(versions)[0]
    _edit(path, "alembic-gate: ignore[AG101]")  # a file-wide suppression
    _, warm = _read(folder, versions, tmp_path)
    _, again = _read(folder, versions, tmp_path)
    assert [r.suppressions for r in again] == [r.suppressions for r in warm]  # type: ignore[attr-defined]
    assert list(again[0].suppressions.values()) == [frozenset({"AG101"})]  # type: ignore[attr-defined]
    empty = [r.suppressions for r in again[1:]]  # type: ignore[attr-defined]
    assert empty == [{}, {}] and empty[0] is empty[1]


def test_a_warm_run_lets_go_of_what_it_loaded_and_reads_it_back_to_write_whole(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index entries and facts of the revisions made are not held beside them; a
    run that writes the file whole (here: one that could not append) reads them back
    from the file it loaded, later pieces overriding earlier ones."""
    monkeypatch.setattr(cache, "PIECE", 1)
    folder = tmp_path / "cache"
    _read(folder, versions, tmp_path)
    first = _files(versions)[0]
    _edit(first, "appended")  # a piece that overrides the first file's entry
    _read(folder, versions, tmp_path)
    _no_parse(monkeypatch)
    warm = RevisionCache(folder, ["versions"])
    assert warm.read_all(_files(versions), tmp_path) == _fresh(versions, tmp_path)
    # (the first file's old content, used by no file, is kept as it was)
    assert warm.index == {}
    assert list(warm.store.values()).count(cache._LET_GO) == len(_files(versions))
    assert not warm.changed
    os.utime(first, ns=(10**18, 10**18))  # a changed key: an index entry to write
    again = RevisionCache(folder, ["versions"])
    again.read_all(_files(versions), tmp_path)
    monkeypatch.setattr(again, "_append", lambda kept: False)
    again.save(_files(versions))
    index = {n: hit for part in _pieces(again.file)[1:] for n, hit in part[0].items()}  # type: ignore[arg-type,index]
    store = {d: e for part in _pieces(again.file)[1:] for d, e in part[1].items()}  # type: ignore[arg-type,index]
    assert set(index) == {str(path) for path in _files(versions)}
    assert {hit[: cache._DIGEST] for hit in index.values()} <= set(store)
    last = RevisionCache(folder, ["versions"])
    assert last.read_all(_files(versions), tmp_path) == _fresh(versions, tmp_path)
    assert not last.changed


def test_files_of_one_content_are_both_found_in_the_cache(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second file of a content whose entry the first let go reads it back."""
    twin = versions / "zz_twin.py"
    twin.write_bytes(_files(versions)[0].read_bytes())
    folder = tmp_path / "cache"
    _, cold = _read(folder, versions, tmp_path)
    _no_parse(monkeypatch)
    store, warm = _read(folder, versions, tmp_path)
    assert warm == cold == _fresh(versions, tmp_path)
    assert not store.changed


def _spilled(revs: list[RevisionFile]) -> bool:
    """Whether every revision's operations lie in a spill rather than in memory."""
    return all(
        rev.ops_data is None and rev.ops_at is not None and type(rev.ops_in) is cache.Spill
        for rev in revs
    )


@pytest.mark.parametrize("processes", [1, 3])
def test_the_operations_of_many_files_read_anew_are_written_aside(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    """Past SPILL_FROM files (forked or not), no revision holds its operations: they
    lie in a temporary file, and read back as a fresh read gives them."""
    monkeypatch.setattr(cache, "SPILL_FROM", 2)
    monkeypatch.setattr(cache, "PER_PROCESS", 1)
    monkeypatch.setattr(cache, "_processes", lambda n: min(n, processes))
    fresh = _fresh(versions, tmp_path)
    operations_module.forget()
    revs = cache.read_revisions(_files(versions), tmp_path)
    assert revs == fresh
    assert _spilled(revs)
    assert [operations(r) for r in revs] == [operations(r) for r in fresh]


def test_with_many_files_forked_readers_parse_all_of_them(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past SPILL_FROM files, on several cores, this process parses none (what it keeps
    is then not scattered among parsed trees' freed blocks): the children read every
    file, and the revisions are those a fresh read gives."""
    fresh = _fresh(versions, tmp_path)
    monkeypatch.setattr(cache, "SPILL_FROM", 2)
    monkeypatch.setattr(cache, "PER_PROCESS", 1)
    monkeypatch.setattr(cache, "_processes", lambda n: min(n, 2))
    here = os.getpid()
    parsed_here = []
    read_local = cache.read_local

    def counted(*args: object, **kwargs: object) -> object:
        if os.getpid() == here:
            parsed_here.append(args[0])
        return read_local(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cache, "read_local", counted)
    revs = cache.read_revisions(_files(versions), tmp_path)
    assert revs == fresh
    assert parsed_here == []


def test_a_cache_filled_from_a_spill_holds_the_operations(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold run that writes the cache writes the operations it set aside into it."""
    monkeypatch.setattr(cache, "SPILL_FROM", 2)
    monkeypatch.setattr(cache, "PER_PROCESS", 1)
    monkeypatch.setattr(cache, "_processes", lambda n: min(n, 2))
    folder = tmp_path / "cache"
    _, cold = _read(folder, versions, tmp_path)
    assert _spilled(cold)  # type: ignore[arg-type]
    _no_parse(monkeypatch)
    operations_module.forget()
    _, warm = _read(folder, versions, tmp_path)
    assert warm == cold
    assert not any(type(r.ops_in) is cache.Spill for r in warm)  # type: ignore[attr-defined]
    assert [operations(r) for r in warm] == [operations(r) for r in cold]  # type: ignore[arg-type]


def test_without_room_to_set_operations_aside_they_are_held(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No temporary file, or one that fails part way: the operations it could not
    take are held, and the ones it lost are read from the revision files again."""
    monkeypatch.setattr(cache, "SPILL_FROM", 2)
    monkeypatch.setattr(cache, "_processes", lambda n: 1)
    fresh = _fresh(versions, tmp_path)
    monkeypatch.setattr(cache.Spill, "open", classmethod(lambda cls: None))
    held = cache.read_revisions(_files(versions), tmp_path)
    assert held == fresh and all(r.ops_data is not None for r in held)

    full = tmp_path / "full"
    full.write_bytes(b"")
    writes = 0

    class Full(cache.Spill):
        def keep(self, data: bytes) -> StoredOps | None:
            nonlocal writes
            writes += 1
            if writes == 3:  # the disk is full: what it took lies no more
                self.stream.close()
                full.write_bytes(b"")
                self.stream = full.open("rb")
            return super().keep(data)

    monkeypatch.setattr(cache.Spill, "open", classmethod(lambda cls: Full(full.open("w+b"))))
    operations_module.forget()
    revs = cache.read_revisions(_files(versions), tmp_path)
    assert revs == fresh
    assert [r.ops_data is None for r in revs] == [True, True] + [False] * (len(revs) - 2)
    assert [operations(r) for r in revs] == [operations(r) for r in fresh]


def _heads(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["lint", "--format", "json", "--versions", "versions"]) in (0, 1)
    heads: list[str] = json.loads(capsys.readouterr().out)["heads"]
    return heads


def _twins(folder: Path, first: str, second: str) -> tuple[Path, Path]:
    """Two files of the same size and mtime, each the only revision of its history."""
    one = folder / "one" / "rev.py"
    two = folder / "two" / "rev.py"
    for path, rid in ((one, first), (two, second)):
        path.parent.mkdir(parents=True)
        path.write_text(f"revision = {rid!r}\ndown_revision = None\n")
        os.utime(path, ns=(10**18, 10**18))
    return one, two


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_a_link_pointed_elsewhere_is_read_anew(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    linked: str,
) -> None:
    """The files a symbolic link (to the revision file, or to the versions folder) leads
    to are keyed by their own metadata: pointing the link elsewhere is no hit, although
    the name, size and mtime stay."""
    one, two = _twins(tmp_path / "shared", "aaaa", "bbbb")
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "versions" / "rev.py" if linked == "file" else tmp_path / "versions"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(one if linked == "file" else one.parent)
    assert _heads(capsys) == ["aaaa"]
    assert _heads(capsys) == ["aaaa"]  # (from the cache)
    link.unlink()
    link.symlink_to(two if linked == "file" else two.parent)
    assert _heads(capsys) == ["bbbb"]


def test_any_changed_byte_of_the_cache_file_is_a_cold_read_of_what_it_held(
    tmp_path: Path, versions: Path
) -> None:
    """A byte changed anywhere in the file (a disk error, a file another tool wrote
    over) never gives a revision other than a fresh read's, nor other calls: flipped in
    an entry's facts it gave a parent id one character off (a false AG002), flipped in
    its packed calls another column (a KeyError traceback in AG106); every frame and
    every entry's calls are checked against a CRC-32."""
    folder = tmp_path / "cache"
    store, cold = _read(folder, versions, tmp_path)
    assert store.file is not None
    calls = [operations(r) for r in cold]  # type: ignore[arg-type]
    good = Path(store.file).read_bytes()
    for at in range(0, len(good), max(1, len(good) // 90)):
        damaged = bytearray(good)
        damaged[at] ^= 1
        Path(store.file).write_bytes(bytes(damaged))
        operations_module.forget()
        warm = RevisionCache(folder, ["versions"]).read_all(_files(versions), tmp_path)
        assert warm == cold, at
        assert [operations(r) for r in warm] == calls, at  # type: ignore[arg-type]


@pytest.mark.parametrize("processes", [1, 2])
def test_operations_that_never_leave_the_run_are_not_compressed(
    tmp_path: Path, versions: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    """With no cache and nothing set aside (read here or by a forked reader), packed
    operations are only marshalled (compressing them was ~2% of a cold run's
    instructions); a run that fills the cache compresses them, and a warm run reads
    them back from the file. Both unpack as a fresh read's."""
    monkeypatch.setattr(cache, "PER_PROCESS", 1)
    monkeypatch.setattr(cache, "_processes", lambda n: min(n, processes))
    fresh = _fresh(versions, tmp_path)
    assert all(zlib.decompress(r.ops_data or b"") for r in fresh)
    revs = cache.read_revisions(_files(versions), tmp_path)
    assert revs == fresh
    assert all((r.ops_data or b"")[:1] == b"\0" for r in revs)
    operations_module.forget()  # unpacked, not taken from the memo
    assert [operations(r) for r in revs] == [operations(r) for r in fresh]
    folder = tmp_path / "cache"
    _, cold = _read(folder, versions, tmp_path)
    assert all(zlib.decompress(r.ops_data or b"") for r in cold)  # type: ignore[attr-defined]
    _no_parse(monkeypatch)
    operations_module.forget()
    _, warm = _read(folder, versions, tmp_path)
    assert [operations(r) for r in warm] == [operations(r) for r in fresh]  # type: ignore[arg-type]
