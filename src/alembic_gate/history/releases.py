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
tag matching the patterns, a file committed before the first matching tag (the project
did not tag its releases then), or a commit that added many revision files at once
without moving them (an imported history) leave the revisions concerned without a
release, and the rules judge them as before.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence

from alembic_gate.shared.records import record

SETTING = "[tool.alembic-gate] release-tags"
# A commit adding more revision files than this, not moved from elsewhere, imported them
# (a history squashed or copied in from another tool): their first release is not known.
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
    found = _added(root, folders)
    if found is None:
        return None, f"{SETTING}: `git log` failed in {root}; releases were not read"
    added, times = found
    committed = _in_head(root, folders)
    tags = _tag_times(root, patterns)
    names = _first_tags(root, times, tags, patterns)
    untagged = _untagged_head(root, tags, patterns)
    if untagged is None:
        return Releases(_release_of(files, added, names, committed)), None
    known = {commit: name for commit, name in names.items() if name != COMING}
    note = (
        f"{SETTING}: {untagged}, so which release will ship the revisions no tag "
        "holds is not known: they are judged as without the setting"
    )
    return Releases(_release_of(files, added, known, committed, coming=False)), note


# A release that took longer than this to ship a revision, or a branch whose newest tag
# is older than this, is not how the project deploys: it ships between tags.
STALE = 365 * 24 * 3600


def _tag_times(root: str, patterns: Sequence[str]) -> dict[str, int]:
    """When each tag matching `patterns` was made (a lightweight tag: its commit)."""
    refs = [f"refs/tags/{pattern}" for pattern in patterns]
    out = _git(root, ["for-each-ref", "--format=%(refname:lstrip=2) %(creatordate:unix)", *refs])
    times: dict[str, int] = {}
    for line in (out or "").splitlines():
        name, _, when = line.rpartition(" ")
        if when.isdigit():
            times[name] = int(when)
    return times


def _untagged_head(root: str, tags: dict[str, int], patterns: Sequence[str]) -> str | None:
    """Why the revisions no tag holds cannot be taken for the coming release, if they
    cannot: the newest matching tag is not in HEAD's history (releases are cut from
    other branches), or HEAD's newest tag is more than STALE older than HEAD (the
    project stopped tagging the releases it deploys)."""
    if not tags:
        return None
    newest = max(tags, key=lambda name: (tags[name], name))
    if _git(root, ["merge-base", "--is-ancestor", f"refs/tags/{newest}", "HEAD"]) is None:
        return f"the newest matching tag, {newest}, is not in this checkout's history"
    matches = [f"--match={pattern}" for pattern in patterns]
    last = (_git(root, ["describe", "--tags", "--abbrev=0", *matches, "HEAD"]) or "").strip()
    head = (_git(root, ["log", "-1", "--format=%ct", "HEAD"]) or "").strip()
    if last in tags and head.isdigit() and int(head) - tags[last] > STALE:
        return f"this checkout's newest matching tag, {last}, is more than a year older than HEAD"
    return None


def _release_of(
    files: Iterable[str],
    added: dict[str, str],
    names: dict[str, str],
    committed: set[str],
    coming: bool = True,
) -> dict[str, str]:
    """Each file's release: the tag of the commit that added it; COMING for a file HEAD
    does not hold yet (unless `coming` is False: not known then); left out when its
    commit added many files at once, or when HEAD holds it and no commit was found to
    have added it."""
    counts: dict[str, int] = {}
    for commit in added.values():
        counts[commit] = counts.get(commit, 0) + 1
    found: dict[str, str] = {}
    for file in files:
        path = os.path.realpath(file)
        adding = added.get(path)
        if adding is None:
            if coming and path not in committed:
                found[path] = COMING
        elif counts[adding] <= MOVED_AT_ONCE and adding in names:
            found[path] = names[adding]
    return found


def _in_head(root: str, folders: Sequence[str]) -> set[str]:
    """The files HEAD holds under `folders` (real paths)."""
    specs = [os.path.relpath(os.path.realpath(folder), root) for folder in folders]
    out = _git(root, ["ls-tree", "-r", "--name-only", "HEAD", "--", *specs]) or ""
    return {os.path.join(root, name) for name in out.splitlines()}


def _root(folder: str) -> str | None:
    out = _git(folder, ["rev-parse", "--show-toplevel"])
    return os.path.realpath(out.strip()) if out else None


def _added(root: str, folders: Sequence[str]) -> tuple[dict[str, str], dict[str, int]] | None:
    """The commit that added each file under `folders` (real paths), followed through
    renames: in those folders by `git log`, and for a file that a commit brought in
    from elsewhere (a moved folder), through the folder it came from; and when each of
    those commits was made."""
    specs = {os.path.relpath(os.path.realpath(folder), root) for folder in folders}
    added: dict[str, str] = {}  # the file's path now -> the commit that added it
    now: dict[str, str] = {}  # an earlier path -> the file's path now
    times: dict[str, int] = {}
    starts = ["HEAD"]
    for _ in range(_MOVES_FOLLOWED):
        log = _log_adds(root, sorted(specs), starts)
        if log is None:
            return None
        found = []
        for commit, when, changes in log:
            times[commit] = when
            for old, new in changes:
                path = now.get(new, new)
                if old is not None:  # renamed: it was added under the old name
                    now.setdefault(old, path)
                elif path not in added:
                    added[path] = commit
                    found.append(commit)
        specs, moves = _moved_from(root, added, now, found)
        if not specs:
            break
        starts = [f"{commit}^" for commit in sorted(moves)]  # what came before the moves
    kept = {commit: times[commit] for commit in added.values()}
    return {os.path.join(root, path): commit for path, commit in added.items()}, kept


# How many moves of a versions folder are followed back.
_MOVES_FOLLOWED = 6


def _moved_from(
    root: str, added: dict[str, str], now: dict[str, str], commits: list[str]
) -> tuple[set[str], set[str]]:
    """Of the files `commits` added, those they moved in from outside the folders read
    (renames seen by `git diff-tree`, one process for all): their earlier paths go into
    `now` and the commit is not theirs; the folders they came from, to read next, and
    the commits that moved them."""
    if not commits:
        return set(), set()
    stdin = "\n".join(dict.fromkeys(commits)) + "\n"
    args = ["diff-tree", "--stdin", "-r", "-M", "--diff-filter=R", "--name-status"]
    out = _git(root, args, stdin)
    folders: set[str] = set()
    moves: set[str] = set()
    commit = ""
    for line in (out or "").splitlines():
        status, _, paths = line.partition("\t")
        if not paths:  # the commit the lines below belong to
            commit = status
            continue
        old, _, new = paths.partition("\t")
        path = now.get(new, new)
        if status.startswith("R") and added.get(path) == commit:
            del added[path]
            now.setdefault(old, path)
            folders.add(os.path.dirname(old) or ".")
            moves.add(commit)
    return folders, moves


def _log_adds(
    root: str, specs: Sequence[str], starts: Sequence[str]
) -> list[tuple[str, int, list[tuple[str | None, str]]]] | None:
    """Newest first, each commit from `starts` down that added or renamed files under
    `specs`, with its time and its changes: (None, path) for an add, (old, new) for a
    rename."""
    args = ["log", "-M", "--diff-filter=AR", "--format=%x00%H %ct", "--name-status"]
    out = _git(root, [*args, *starts, "--", *specs])
    if out is None:
        return None
    found = []
    for entry in out.split("\0")[1:]:
        head, _, lines = entry.partition("\n")
        commit, _, when = head.partition(" ")
        changes: list[tuple[str | None, str]] = []
        for line in lines.splitlines():
            status, _, paths = line.partition("\t")
            if status.startswith("A"):
                changes.append((None, paths))
            elif status.startswith("R"):
                old, _, new = paths.partition("\t")
                changes.append((old, new))
        found.append((commit, int(when) if when.isdigit() else 0, changes))
    return found


def _first_tags(
    root: str, times: dict[str, int], tags: dict[str, int], patterns: Sequence[str]
) -> dict[str, str]:
    """The oldest tag matching `patterns` that holds each commit of `times` (git name-rev
    prefers the older tag however far away); COMING for a commit no such tag holds. Left
    out: a commit that no matching tag comes before (the project did not tag its
    releases yet, so which of them shipped together is not known), and one its tag
    shipped more than STALE after it was made."""
    commits = sorted(times)
    refs = [f"--refs={pattern}" for pattern in patterns]
    matches = [f"--match={pattern}" for pattern in patterns]
    names: dict[str, str] = {}
    for start in range(0, len(commits), 500):  # a command line of bounded length
        chunk = commits[start : start + 500]
        described = _git(root, ["describe", "--tags", "--always", "--abbrev=0", *matches, *chunk])
        after_a_tag = {c for c, d in zip(chunk, (described or "").split(), strict=False) if d != c}
        out = _git(root, ["name-rev", "--tags", *refs, *chunk])
        for line in (out or "").splitlines():  # "<commit> <name>" (none: left unknown)
            commit, _, name = line.partition(" ")
            if commit not in after_a_tag:
                continue
            if name == "undefined":
                names[commit] = COMING
                continue
            tag = _tag(name.removeprefix("tags/"))
            if tags.get(tag, 0) - times[commit] <= STALE:
                names[commit] = tag
    return names


def _tag(name: str) -> str:
    """`v1.2~3^2~1` -> `v1.2`: the tag a commit is named after."""
    for mark in "~^":
        name = name.partition(mark)[0]
    return name


def _git(where: str, args: list[str], stdin: str | None = None) -> str | None:
    """git's output, or None when it fails (no git, not a repository, a bad pattern)."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", where, *args],
            input=stdin,
            capture_output=True,
            check=False,
            encoding="utf-8",
            errors="surrogateescape",
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None
