"""Where a revision id went: the git commit that deleted or renamed the file defining it,
or the branches that still have it.

Searches `git log --all` over the version locations with `-S<id>` (commits that change
how often the id occurs), and checks each candidate file's content at that commit really
defines `revision = "<id>"`, so a deleted child that only names it as `down_revision`
does not count.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Sequence
from pathlib import Path

from alembic_gate.shared.git import git_output
from alembic_gate.shared.records import record

_SEP = "\x1f"
_RECORD = "\x1e"


@record(frozen=True)
class Commit:
    sha: str
    short: str
    date: str
    author: str
    subject: str


@record(frozen=True)
class Trace:
    """What git knows about a revision id that no current file defines."""

    # The commit that deleted (or renamed away) the file, and that file (relative to cwd).
    removed_by: Commit | None = None
    path: str | None = None
    # Renamed: the file's new path and the revision id defined there now.
    renamed_to: str | None = None
    new_revision: str | None = None
    # The id's file was never removed, but exists on these branches (not checked out).
    added_by: Commit | None = None
    branches: tuple[str, ...] = ()
    # The file is in HEAD but not in the working tree: deleted and not committed yet.
    in_head: bool = False
    # The file's down_revision, as it was.
    parents: tuple[str, ...] = ()
    # Why git could not be asked ("not a git repository").
    problem: str | None = None


def trace_revision(revision: str, locations: Sequence[Path], cwd: Path) -> Trace:
    """Search every ref's history for the file that defined `revision`."""
    if shutil.which("git") is None:
        return Trace(problem="git is not installed")
    top = _git(["rev-parse", "--show-toplevel"], locations[0] if locations else cwd)
    if top is None:
        return Trace(problem="the version locations are not in a git repository")
    root = Path(top.strip())
    paths = [_relative(p, root) for p in locations]
    removal = _removal(revision, root, paths, cwd)
    if removal is not None:
        return removal
    return _elsewhere(revision, root, paths, cwd)


def _removal(revision: str, root: Path, paths: list[str], cwd: Path) -> Trace | None:
    for commit, changes in _log(root, revision, "DR", paths):
        for status, old, new in changes:
            source = _show(root, f"{commit.sha}^1", old)
            if not _defines(source, revision):
                continue
            path = _display(root / old, cwd)
            parents = _variable(source, "down_revision")
            if status.startswith("R") and new is not None:
                renamed = _display(root / new, cwd)
                new_id = _revision_of(_show(root, commit.sha, new))
                return Trace(commit, path, renamed, new_id, parents=parents)
            return Trace(commit, path, parents=parents)
    return None


def _elsewhere(revision: str, root: Path, paths: list[str], cwd: Path) -> Trace:
    for commit, changes in _log(root, revision, "A", paths):
        for _status, added, _new in changes:
            source = _show(root, commit.sha, added)
            if _defines(source, revision):
                refs = _git(
                    [
                        "for-each-ref",
                        "--contains",
                        commit.sha,
                        "--format=%(refname:short)",
                        "refs/heads",
                        "refs/remotes",
                    ],
                    root,
                )
                branches = tuple(sorted((refs or "").split()))
                return Trace(
                    path=_display(root / added, cwd),
                    parents=_variable(source, "down_revision"),
                    added_by=commit,
                    branches=branches,
                    in_head=_show(root, "HEAD", added) is not None,
                )
    return Trace()


def _log(
    root: Path, revision: str, diff_filter: str, paths: list[str]
) -> list[tuple[Commit, list[tuple[str, str, str | None]]]]:
    """Commits (newest first) matching `-S<revision>`, with their name-status lines."""
    fmt = _RECORD + _SEP.join(["%H", "%h", "%ad", "%an", "%s"])
    out = _git(
        [
            "log",
            "--all",
            "-M",
            f"--diff-filter={diff_filter}",
            "--name-status",
            "--date=short",
            f"--format={fmt}",
            f"-S{revision}",
            "--",
            *paths,
        ],
        root,
    )
    entries = []
    for text in (out or "").split(_RECORD)[1:]:
        header, _, body = text.partition("\n")
        sha, short, date, author, subject = (header.split(_SEP) + [""] * 5)[:5]
        changes = []
        for line in body.splitlines():
            fields = line.split("\t")
            if len(fields) >= 2:
                changes.append((fields[0], fields[1], fields[2] if len(fields) > 2 else None))
        entries.append((Commit(sha, short, date, author, subject), changes))
    return entries


def _defines(source: str | None, revision: str) -> bool:
    return source is not None and _revision_of(source) == revision


def _revision_of(source: str | None) -> str | None:
    ids = _variable(source, "revision")
    return ids[0] if len(ids) == 1 else None


def _variable(source: str | None, name: str) -> tuple[str, ...]:
    """The ids a module-level `name = "..."` (or a tuple of them) names; () if none."""
    try:
        module = ast.parse(source or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    for node in module.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            try:
                literal = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                return ()  # (`{[]: 1}`: TypeError; as literals.literal catches)
            if isinstance(literal, set | frozenset):  # (any iterable, as alembic reads it)
                literal = sorted(literal, key=str)
            items = literal if isinstance(literal, tuple | list) else (literal,)
            return tuple(i for i in items if isinstance(i, str))
    return ()


def _show(root: Path, commit: str, path: str) -> str | None:
    return _git(["show", f"{commit}:{path}"], root)


def _git(args: list[str], where: Path) -> str | None:
    """git's standard output (read for display: bytes that are not UTF-8 replaced), or
    None when git is missing or fails."""
    return git_output(args, where, errors="replace")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return path.as_posix()


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
