"""Running git for what it prints: lint's release tags (history/releases.py) and
doctor's search of the log (doctor/gitlog.py) share it.

A repository is someone else's: git may be missing, the folder may not be a
repository, a pattern may be bad, or git may wait on a lock. Each of those gives
None, never an exception or a hang (a run of git is stopped after `GIT_TIMEOUT`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from pathlib import Path
    from subprocess import CompletedProcess

GIT_TIMEOUT = 60


def git_output(
    args: list[str],
    where: str | Path,
    stdin: str | None = None,
    errors: str = "surrogateescape",
) -> str | None:
    """git's standard output, run in `where` (a file: its folder), or None when git
    is missing, fails or outlives GIT_TIMEOUT. Paths are printed as they are, not
    quoted; `errors`: how bytes that are not UTF-8 are read ("surrogateescape" keeps
    them, to give back to git or the file system; "replace" for text shown to a
    person)."""
    done = _run(args, where, stdin, errors)
    return done.stdout if done is not None and done.returncode == 0 else None


def git_status(args: list[str], where: str | Path) -> int | None:
    """git's exit status, run in `where` (`git grep -q`: 0 found, 1 not), or None when
    git is missing or outlives GIT_TIMEOUT."""
    done = _run(args, where)
    return None if done is None else done.returncode


def _run(
    args: list[str],
    where: str | Path,
    stdin: str | None = None,
    errors: str = "surrogateescape",
) -> CompletedProcess[str] | None:
    """git run in `where` (a file: its folder), its output read as text; None when git
    is missing or outlives GIT_TIMEOUT."""
    import subprocess  # (with what it imports: only when git runs)

    folder = os.path.dirname(where) or "." if os.path.isfile(where) else where
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(folder), *args],
            input=stdin,
            capture_output=True,
            check=False,
            encoding="utf-8",
            errors=errors,
            timeout=GIT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
