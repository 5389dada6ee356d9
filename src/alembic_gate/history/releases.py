"""Which release first shipped each revision file, read from the project's git tags
(`[tool.alembic-gate] release-tags`).

A project that releases by tagging deploys a release's migrations together: a table
that a revision of the same release created (or a column it added) has never held
production rows, however many revisions apart the two are. A revision file's release
is the oldest tag matching `release-tags` that holds the commit which added the file
(`git name-rev --tags`, which names a commit after the oldest tag that contains it);
a file no such tag holds, or not committed yet, belongs to the coming release.

Three git processes, run only when a safety rule first asks. Nothing is guessed: a
folder outside a git work tree, a shallow clone (its tags and history are cut off), no
tag matching the patterns, or a commit that added many revision files at once (a move
or an import: when they first shipped is not known) leave the revisions concerned
without a release, and the rules judge them as before.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence

from alembic_gate.shared.records import record

SETTING = "[tool.alembic-gate] release-tags"
# A commit adding more revision files than this moved or imported them (Nova's squash,
# a history copied in from another tool): their first release is not that commit's.
MOVED_AT_ONCE = 20
# Not yet in any release tag: the coming release.
COMING = ""


@record
class Releases:
    """The release of each revision file: a tag name, COMING, or absent (not known)."""

    of: dict[str, str]

    def release(self, path: str) -> str | None:
        return self.of.get(os.path.realpath(path))


def read_releases(
    files: Sequence[str], folders: Sequence[str], patterns: Sequence[str]
) -> tuple[Releases | None, str | None]:
    """The releases of `files` (absolute paths of revision files in `folders`), or None
    and a note saying why they cannot be known."""
    if not folders:
        return None, None
    root = _root(folders[0])
    if root is None:
        return None, f"{SETTING}: {folders[0]} is not in a git work tree; tags were not read"
    if _git(root, ["rev-parse", "--is-shallow-repository"]) == "true\n":
        return None, (
            f"{SETTING}: the clone is shallow, so its tags and history are cut off; "
            "fetch all of it (actions/checkout: `fetch-depth: 0`; GitLab: "
            "`GIT_DEPTH: 0`) for releases to be read"
        )
    if not (_git(root, ["tag", "--list", *patterns]) or "").strip():
        listed = ", ".join(patterns)
        return None, f"{SETTING}: no git tag matches {listed}; releases were not read"
    added = _added(root, folders)
    if added is None:
        return None, f"{SETTING}: `git log` failed in {root}; releases were not read"
    names = _first_tags(root, sorted(set(added.values())), patterns)
    return Releases(_release_of(files, added, names)), None


def _release_of(
    files: Iterable[str], added: dict[str, str], names: dict[str, str]
) -> dict[str, str]:
    """Each file's release: the tag of the commit that added it; COMING for a file not
    committed yet; left out when its commit added many files at once."""
    counts: dict[str, int] = {}
    for commit in added.values():
        counts[commit] = counts.get(commit, 0) + 1
    found: dict[str, str] = {}
    for file in files:
        path = os.path.realpath(file)
        adding = added.get(path)
        if adding is None:
            found[path] = COMING
        elif counts[adding] <= MOVED_AT_ONCE and adding in names:
            found[path] = names[adding]
    return found


def _root(folder: str) -> str | None:
    out = _git(folder, ["rev-parse", "--show-toplevel"])
    return os.path.realpath(out.strip()) if out else None


def _added(root: str, folders: Sequence[str]) -> dict[str, str] | None:
    """The commit that added each file under `folders` (real paths), followed through
    renames: in those folders by one `git log`, and where a commit brought many files
    in at once from elsewhere (a move), through the folders they came from."""
    specs = {os.path.relpath(os.path.realpath(folder), root) for folder in folders}
    added: dict[str, str] = {}  # the file's path now -> the commit that added it
    now: dict[str, str] = {}  # an earlier path -> the file's path now
    for _ in range(_MOVES_FOLLOWED):
        log = _log_adds(root, sorted(specs))
        if log is None:
            return None
        for commit, changes in log:
            for old, new in changes:
                path = now.get(new, new)
                if old is not None:  # renamed: it was added under the old name
                    now.setdefault(old, path)
                else:
                    added.setdefault(path, commit)
        specs = _moved_from(root, added, now)
        if not specs:
            break
    return {os.path.join(root, path): commit for path, commit in added.items()}


# How many moves of a versions folder are followed back.
_MOVES_FOLLOWED = 4


def _moved_from(root: str, added: dict[str, str], now: dict[str, str]) -> set[str]:
    """For each commit that added more than MOVED_AT_ONCE of the files: the files it
    moved in from elsewhere get their earlier paths (`now`) and lose that commit; the
    folders they came from, to read next."""
    counts: dict[str, int] = {}
    for commit in added.values():
        counts[commit] = counts.get(commit, 0) + 1
    folders: set[str] = set()
    for commit in [c for c, n in counts.items() if n > MOVED_AT_ONCE]:
        out = _git(root, ["show", "-M", "--diff-filter=R", "--name-status", "--format=", commit])
        for line in (out or "").splitlines():
            status, _, paths = line.partition("\t")
            old, _, new = paths.partition("\t")
            if status.startswith("R") and added.get(new) == commit:
                del added[new]
                now.setdefault(old, new)
                folders.add(os.path.dirname(old) or ".")
    return folders


def _log_adds(
    root: str, specs: Sequence[str]
) -> list[tuple[str, list[tuple[str | None, str]]]] | None:
    """Newest first, each commit that added or renamed files under `specs`, with its
    changes: (None, path) for an add, (old, new) for a rename."""
    args = ["log", "-M", "--diff-filter=AR", "--format=%x00%H", "--name-status"]
    out = _git(root, [*args, "--", *specs])
    if out is None:
        return None
    found = []
    for entry in out.split("\0")[1:]:
        commit, _, lines = entry.partition("\n")
        changes: list[tuple[str | None, str]] = []
        for line in lines.splitlines():
            status, _, paths = line.partition("\t")
            if status.startswith("A"):
                changes.append((None, paths))
            elif status.startswith("R"):
                old, _, new = paths.partition("\t")
                changes.append((old, new))
        found.append((commit, changes))
    return found


def _first_tags(root: str, commits: Sequence[str], patterns: Sequence[str]) -> dict[str, str]:
    """The oldest tag matching `patterns` that holds each commit (git name-rev prefers
    the older tag however far away); COMING for a commit no such tag holds."""
    refs = [f"--refs={pattern}" for pattern in patterns]
    names: dict[str, str] = {}
    for start in range(0, len(commits), 500):  # a command line of bounded length
        chunk = commits[start : start + 500]
        out = _git(root, ["name-rev", "--tags", *refs, *chunk])
        for line in (out or "").splitlines():  # "<commit> <name>" (none: left unknown)
            commit, _, name = line.partition(" ")
            names[commit] = COMING if name == "undefined" else _tag(name.removeprefix("tags/"))
    return names


def _tag(name: str) -> str:
    """`v1.2~3^2~1` -> `v1.2`: the tag a commit is named after."""
    for mark in "~^":
        name = name.partition(mark)[0]
    return name


def _git(where: str, args: list[str]) -> str | None:
    """git's output, or None when it fails (no git, not a repository, a bad pattern)."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", where, *args],
            capture_output=True,
            check=False,
            encoding="utf-8",
            errors="surrogateescape",
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None
