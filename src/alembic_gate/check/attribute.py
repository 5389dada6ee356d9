"""Which op.* line of which revision file is running right now.

Measurements hook into SQLAlchemy's events (`before_cursor_execute`) and into alembic's
steps; to tie a statement to the line of Python that emitted it, they look up the call
stack: the innermost frame whose code lives in a revision file is the `op.*` call (or
the `op.execute(...)`, or the helper's line in that file) that is running.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection

Line = tuple[str, int]


class Attributor:
    """Finds the innermost frame in one of the revision files (absolute real paths)."""

    def __init__(self, revision_files: Collection[str]) -> None:
        self.files = frozenset(revision_files)
        # co_filename -> its real path in `files`, or None: a syscall per code object only.
        self._known: dict[str, str | None] = {}

    def current(self, skip: int = 1) -> Line | None:
        """(path, line) of the innermost revision-file frame above the caller."""
        frame = sys._getframe(skip)
        while frame is not None:
            path = self._revision_path(frame.f_code.co_filename)
            if path is not None:
                return path, frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def _revision_path(self, filename: str) -> str | None:
        if filename not in self._known:
            real = os.path.realpath(filename) if not filename.startswith("<") else ""
            self._known[filename] = real if real in self.files else None
        return self._known[filename]
