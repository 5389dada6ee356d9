"""A cache of what was read from each revision file, keyed on the file's metadata.

A file whose (mtime_ns, size, inode) is unchanged since the last run is not read
again. The cache lives in `.alembic-gate-cache/` under the current directory (like
ruff's `.ruff_cache/`, with a `.gitignore` of its own); `--no-cache` or
`ALEMBIC_GATE_NO_CACHE=1` turn it off, `ALEMBIC_GATE_CACHE_DIR` moves it. It holds
plain data written with `marshal`, never code, and any problem reading or writing it
just means a cold run.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic_gate import __version__
from alembic_gate.revisions import RevisionFile, Value, display_path, read_revision

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
        digest = hashlib.sha256("\0".join(map(str, scope)).encode()).hexdigest()[:16]
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
        name = str(path)
        try:
            st = os.stat(name)
        except OSError:
            return read_revision(path, cwd)
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = self.entries.get(name)
        if hit is not None and hit[0] == key:
            try:
                return _unpack(path, display_path(path, cwd), hit[1])
            except (TypeError, ValueError):
                pass  # a damaged entry: read the file again
        rev = read_revision(path, cwd)
        self.entries[name] = (key, _pack(rev))
        self.changed = True
        return rev

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
