"""A cache of what was read from each revision file, keyed on the file's metadata.

A file whose (mtime_ns, size, inode) is unchanged since the last run is not read
again. The cache lives in `.alembic-gate-cache/` under the current directory (like
ruff's `.ruff_cache/`, with a `.gitignore` of its own); `--no-cache` or
`ALEMBIC_GATE_NO_CACHE=1` turn it off, `ALEMBIC_GATE_CACHE_DIR` moves it. It holds
plain data written with `marshal`, never code, and any problem reading or writing it
just means a cold run.
"""

from __future__ import annotations

import marshal
import os
import tempfile
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic_gate import __version__
from alembic_gate.history.revisions import RevisionFile, Value, read_revision
from alembic_gate.shared.paths import display_path

CACHE_DIR = ".alembic-gate-cache"
_FORMAT = f"alembic-gate {__version__} cache 2"

Key = tuple[int, int, int]


def cache_dir(cwd: Path) -> Path | None:
    if os.environ.get("ALEMBIC_GATE_NO_CACHE"):
        return None
    return Path(os.environ.get("ALEMBIC_GATE_CACHE_DIR") or cwd / CACHE_DIR)


def _pack(rev: RevisionFile) -> tuple[Any, ...]:
    values = tuple(
        (v.ids, v.known, v.line, v.source)
        for v in (rev.down_revision, rev.branch_labels, rev.depends_on)
    )
    return (
        rev.revision,
        values,
        rev.problem,
        rev.problem_line,
        rev.header_revision,
        rev.header_revises,
        rev.suppressions,
        rev.revision_line,
        rev.mentions,
    )


def _unpack(path: Path, display: str, data: tuple[Any, ...]) -> RevisionFile:
    revision, values, problem, problem_line, header_rev, header_revises, supp, line, ops = data
    down, labels, deps = (Value(*v) for v in values)
    return RevisionFile(
        path=path,
        display=display,
        revision=revision,
        down_revision=down,
        branch_labels=labels,
        depends_on=deps,
        problem=problem,
        problem_line=problem_line,
        header_revision=header_rev,
        header_revises=header_revises,
        suppressions=supp,
        revision_line=line,
        mentions=ops,
    )


class RevisionCache:
    """Reads revision files through the cache stored at `folder` (None: no cache)."""

    def __init__(self, folder: Path | None, scope: Sequence[Path]) -> None:
        self.folder = folder
        digest = f"{zlib.crc32(chr(0).join(map(str, scope)).encode()):08x}"
        self.file = folder / f"revisions-{digest}.marshal" if folder else None
        self.entries: dict[str, tuple[Key, tuple[Any, ...]]] = self._load()
        self.changed = False

    def _load(self) -> dict[str, tuple[Key, tuple[Any, ...]]]:
        if self.file is None:
            return {}
        try:
            stored = marshal.loads(self.file.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == _FORMAT):
            return {}
        entries = stored[1]
        return entries if isinstance(entries, dict) else {}

    def read(self, path: Path, cwd: Path) -> RevisionFile:
        return self.read_all([path], cwd)[0]

    def read_all(self, paths: Sequence[Path], cwd: Path) -> list[RevisionFile]:
        """Every file, from the cache where its metadata is unchanged; the others are
        read (in parallel when there are many) and stored."""
        found: list[RevisionFile | None] = []
        missed: list[tuple[int, Key | None]] = []
        for index, path in enumerate(paths):
            rev, key = self._lookup(path, cwd)
            found.append(rev)
            if rev is None:
                missed.append((index, key))
        fresh = read_revisions([paths[index] for index, _ in missed], cwd)
        for (index, key), rev in zip(missed, fresh, strict=True):
            found[index] = rev
            if key is not None:
                self.entries[str(paths[index])] = (key, _pack(rev))
                self.changed = True
        return [rev for rev in found if rev is not None]

    def _lookup(self, path: Path, cwd: Path) -> tuple[RevisionFile | None, Key | None]:
        name = str(path)
        try:
            st = os.stat(name)
        except OSError:
            return None, None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = self.entries.get(name)
        if hit is not None and hit[0] == key:
            try:
                return _unpack(path, display_path(path, cwd), hit[1]), key
            except (TypeError, ValueError):
                pass  # a damaged entry: read the file again
        return None, key

    def save(self, keep: Sequence[Path]) -> None:
        """Write the cache, keeping only entries for `keep` (the files that exist now)."""
        if self.file is None or self.folder is None or not self.changed:
            return
        names = set(map(str, keep))
        entries = {k: v for k, v in self.entries.items() if k in names}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by alembic-gate automatically.\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(marshal.dumps((_FORMAT, entries)))
            os.replace(tmp, self.file)
        except (OSError, ValueError):
            return


# Reading many files is split over forked processes: below this many files per
# process, forking costs more than it saves.
PER_PROCESS = 1500
MAX_PROCESSES = 4


def read_revisions(paths: Sequence[Path], cwd: Path) -> list[RevisionFile]:
    """`read_revision` for each path, in order; on several cores (where `fork` exists
    and the process has no other thread) the work is shared with child processes."""
    count = _processes(len(paths))
    if count < 2:
        return [read_revision(path, cwd) for path in paths]
    size = -(-len(paths) // count)
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    children = [(_fork_reader(chunk, cwd), chunk) for chunk in chunks[1:]]
    result = [read_revision(path, cwd) for path in chunks[0]]
    for (pid, pipe), chunk in children:
        result.extend(_collect(pid, pipe, chunk, cwd))
    return result


def _processes(files: int) -> int:
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_PROCESSES, files // PER_PROCESS))


def _fork_reader(chunk: Sequence[Path], cwd: Path) -> tuple[int, int]:
    """A child that reads `chunk` and writes the packed results to a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns to the caller
        status = 1
        try:
            os.close(read_end)
            data = marshal.dumps([_pack(read_revision(path, cwd)) for path in chunk])
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, pipe: int, chunk: Sequence[Path], cwd: Path) -> list[RevisionFile]:
    """A child's results; if it failed in any way, the chunk is read here instead."""
    with os.fdopen(pipe, "rb") as source:
        data = source.read()
    _, status = os.waitpid(pid, 0)
    try:
        packed = marshal.loads(data) if status == 0 else None
        if isinstance(packed, list) and len(packed) == len(chunk):
            return [_unpack(p, display_path(p, cwd), d) for p, d in zip(chunk, packed, strict=True)]
    except (EOFError, ValueError, TypeError):
        pass
    return [read_revision(path, cwd) for path in chunk]
