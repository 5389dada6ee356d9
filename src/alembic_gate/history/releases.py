"""Which release first shipped each revision file, read from the project's git tags
(`[tool.alembic-gate] release-tags`); without them, which revision files one commit
added or one merge brought in (`read_commits`: deployed together, whatever the project
deploys from).

A project that releases by tagging deploys a release's migrations together: a table
that a revision of the same release created (or a column it added) has never held
production rows, however many revisions apart the two are. A revision file's release
is the oldest tag matching `release-tags` whose tree holds the file (under its name of
then: files are followed through renames and moved folders), so a revision backported
to a release branch counts from the release that shipped it there; a file no such tag
holds belongs to the coming release.

A handful of git processes, run only when a safety rule first asks. Nothing is
guessed: a folder outside a git work tree, a shallow clone (its tags and history are cut
off) or no tag matching the patterns leave every revision without a release (a note
says why), and the rules judge them as without the setting; so are the revisions whose
release is not known:

- a file the oldest matching tag holds (the project may have deployed before it tagged);
- a file its release tagged more than a year after the commit that added it (the
  project deployed between tags);
- a file that a commit added with more than MOVED_AT_ONCE others without moving them,
  or that a commit added with a base revision of the history and others whose `Create
  Date` headers lie more than IMPORTED_SPAN days apart (an imported history: i.AI's
  minute, 19 revisions written over 19 months, added by its open-source commit);
- a file of the coming release when HEAD's line holds no matching tag, or its newest is
  more than a year older than HEAD (the project stopped tagging what it deploys; a note
  says so).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence

from alembic_gate.shared.git import GIT_TIMEOUT, git_output, git_status
from alembic_gate.shared.paths import in_git_work_tree
from alembic_gate.shared.records import field, record

SETTING = "[tool.alembic-gate] release-tags"
# A commit adding more revision files than this, not moved from elsewhere, imported them
# (a history squashed or copied in from another tool): their first release is not known.
MOVED_AT_ONCE = 20
# A commit adding a base revision (no down_revision) with others whose `Create Date`
# headers lie more days apart than this added a history written elsewhere, over time.
IMPORTED_SPAN = 180
_CREATE_DATE = re.compile(rb"^Create Date:\s*(\d{4})-(\d{2})-(\d{2})", re.MULTILINE)
# How much of a revision file its Create Date is looked for in (alembic's template puts
# it in the docstring at the top).
_HEAD_BYTES = 4096
# How a release read from commits is named where `release-tags` knows none (a tag name
# cannot hold a space).
COMMIT_PREFIX = "commit "
# Not yet in any release tag: the coming release.
COMING = ""
# A release that took longer than this to ship a revision, or a line whose newest tag is
# older than this, is not how the project deploys: it ships between tags.
STALE = 365 * 24 * 3600
# What names PostgreSQL in a project's files (`names_postgresql`): the database and its
# URL scheme (`postgres`, `postgresql`), and its drivers.
_POSTGRESQL_WORDS = ("postgres", "psycopg", "asyncpg", "pg8000")
# The files that most often name the database a project runs on: dependencies, settings,
# Compose files, alembic's ini and env.py (git pathspecs, at any depth).
_LIKELY_FILES = tuple(
    f":(glob,icase)**/{name}"
    for name in (
        "*requirements*", "setup.py", "setup.cfg", "pyproject.toml", "Pipfile", "*.ini",
        "*.env", ".env*", "*compose*.y*ml", "env.py", "*.cfg", "*settings*", "*config*",
    )
)  # fmt: skip
# How many moves of a versions folder are followed back.
_MOVES_FOLLOWED = 6


@record
class Releases:
    """The release of each revision file: a tag name, COMING, or absent (not known)."""

    of: dict[str, str]

    def release(self, path: str) -> str | None:
        return self.of.get(os.path.realpath(path))


@record
class Additions:
    """When each revision file came into the repository (`read_additions`)."""

    root: str  # the git work tree's root
    added: dict[str, str]  # a file's real path -> the commit that added it
    times: dict[str, int]  # an adding commit -> when it was made


@record
class _History:
    """What `git log` says of the files under the versions folders."""

    added: dict[str, str]  # a file's path now (relative to the root) -> its adding commit
    times: dict[str, int]  # an adding commit -> when it was made
    now: dict[str, str]  # an earlier path -> the file's path now
    folders: set[str]  # every folder the files lived in (relative to the root)
    # Files more than one commit added (a copy of the work committed on another line
    # and merged too, a file deleted and brought back): `added` holds the newest.
    again: set[str]
    roots: set[str]  # the commits read that have no parent
    # The commits that added a history written elsewhere (`_imported`).
    imported: set[str] = field(default_factory=set)

    def counts(self, merged: Mapping[str, str] | None = None) -> dict[str, int]:
        """How many of the files each adding commit added, or where `merged` gives the
        merge that brought a commit in, each merge."""
        found: dict[str, int] = {}
        for adding in self.added.values():
            key = merged.get(adding, adding) if merged else adding
            found[key] = found.get(key, 0) + 1
        return found


def read_releases(
    files: Sequence[str],
    folders: Sequence[str],
    patterns: Sequence[str],
    bases: Sequence[str] = (),
) -> tuple[Releases | None, str | None]:
    """The releases of `files` (absolute paths of revision files in `folders`; `bases`:
    those of base revisions), or None and a note saying why they cannot be known."""
    if not folders:
        return None, None
    where = _work_tree(folders[0])
    if where is None:
        return None, f"{SETTING}: {folders[0]} is not in a git work tree; tags were not read"
    root, shallow = where
    if shallow:
        return None, (
            f"{SETTING}: the clone is shallow, so its tags and history are cut off; "
            "fetch all of it (actions/checkout: `fetch-depth: 0`; GitLab: "
            "`GIT_DEPTH: 0`) for releases to be read"
        )
    tags = _tag_times(root, patterns)
    if not tags:
        listed = ", ".join(patterns)
        return None, f"{SETTING}: no git tag matches {listed}; releases were not read"
    history = _history(root, folders)
    if history is None:
        return None, f"{SETTING}: `git log` failed in {root}; releases were not read"
    first = _first_tags(root, tags, history)
    stale = _stale_head(root, tags, patterns)
    committed = _in_head(root, folders)
    history.imported = _imported(root, history, bases)
    found = _release_of(files, root, history, first, tags, committed, coming=stale is None)
    # No tag tells their release (before the first tag, in the oldest, no tag since):
    # the revisions one commit or merged branch added still shipped together, as they
    # are judged without the setting (AudioBookRequest's tables of one commit before 1.0.0).
    if len(found) < len({os.path.realpath(file) for file in files}):  # (git asked then)
        for path, key in _commit_keys(root, history, files).items():
            found.setdefault(path, f"{COMMIT_PREFIX}{key}")
    note = None
    if stale is not None:
        note = (
            f"{SETTING}: {stale}, so the revisions no tag holds are not taken for one "
            "release: they are judged as without the setting"
        )
    return Releases(found), note


def read_commits(
    files: Sequence[str], folders: Sequence[str], bases: Sequence[str] = ()
) -> Releases | None:
    """Without `release-tags`: the commit that added each of `files` (followed through
    renames and moved folders), where it added others too. No deploy runs half a commit,
    so the revisions one commit added shipped together, whatever the project deploys
    from (a pull request squashed into one commit, a revision and its fix written
    together); so did those that the commits of one merged branch added (`_merged_in`:
    keyed by the merge). None where no commit or merge added two of them, or git cannot
    tell: outside a git work tree (looked for first without running git), a shallow
    clone (its oldest commit seems to add every file) or a failed `git log`. Not known: a
    file that the repository's first commit or a commit or merge adding more than
    MOVED_AT_ONCE revision files added, or a commit that added a base revision (`bases`)
    with others written far apart (`_imported`: a history imported at once), and one that
    more than one commit added (which of them a deploy took first is not known)."""
    read = _full_history(folders)
    if read is None:
        return None
    root, history = read
    history.imported = _imported(root, history, bases)
    found = _commit_keys(root, history, files)
    return Releases(found) if found else None


def read_additions(files: Sequence[str], folders: Sequence[str]) -> Additions | None:
    """The commit that added each of `files` (followed through renames and moved
    folders; not a file more than one commit added), or None outside a git work tree, in
    a shallow clone (its oldest commit seems to add every file) or where `git log` fails."""
    read = _full_history(folders)
    if read is None:
        return None
    root, history = read
    return Additions(root, _adding_commits(root, history, files), history.times)


def _full_history(folders: Sequence[str]) -> tuple[str, _History] | None:
    """The work tree's root and `_history` of `folders`, or None outside a git work
    tree, in a shallow clone (its oldest commit seems to add every file) or where `git
    log` fails."""
    where = _checkout(folders)
    if where is None or where[1]:
        return None
    history = _history(where[0], folders)
    return None if history is None else (where[0], history)


def _adding_commits(root: str, history: _History, files: Sequence[str]) -> dict[str, str]:
    """Each of `files` (by real path) to the commit that added it; not a file more than
    one commit added (which of them a deploy took first is not known)."""
    found: dict[str, str] = {}
    for file in files:
        path = os.path.realpath(file)
        relative = os.path.relpath(path, root)
        commit = history.added.get(relative)
        if commit is not None and relative not in history.again:
            found[path] = commit
    return found


def names_postgresql(root: str, commit: str) -> bool | None:
    """Whether a text file of the tree at `commit` names PostgreSQL (the database, its
    URL scheme or one of its drivers, in any letter case: code, settings, dependencies,
    docs, CI), or None when git cannot tell. The files that most often name it are
    searched first (a large tree takes a quarter of a second), the whole tree where they
    do not."""
    words = ["grep", "-q", "-i", "-I", "-F", *(f"-e{word}" for word in _POSTGRESQL_WORDS)]
    if git_status([*words, commit, "--", *_LIKELY_FILES], root) == 0:
        return True
    code = git_status([*words, commit, "--"], root)
    return {0: True, 1: False}.get(code) if code is not None else None


def _commit_keys(root: str, history: _History, files: Sequence[str]) -> dict[str, str]:
    """`read_commits`' answer: each of `files` (by real path) that a commit or merged
    branch added with others, to that commit or merge."""
    commits = set(history.added.values()) - history.roots
    times = {commit: history.times[commit] for commit in commits}
    merged = _merged_in(root, times, history.counts())
    counts = history.counts(merged)
    shared = {key for key, count in counts.items() if 1 < count <= MOVED_AT_ONCE}
    shared -= history.roots
    shared -= {merged.get(commit, commit) for commit in history.imported}
    found: dict[str, str] = {}
    for path, commit in _adding_commits(root, history, files).items():
        key = merged.get(commit, commit)
        if key in shared:
            found[path] = key
    return found


def _imported(root: str, history: _History, bases: Sequence[str]) -> set[str]:
    """The commits that added a base revision (of `bases`) with other revision files
    whose `Create Date` headers lie more than IMPORTED_SPAN days apart: a history written
    elsewhere over months and added at once (not the repository's first commit, which
    `read_commits` never groups, nor one of more than MOVED_AT_ONCE files)."""
    added = history.added
    wanted = {added.get(os.path.relpath(os.path.realpath(base), root)) for base in bases}
    found = set()
    for commit in wanted:
        paths = [path for path, by in added.items() if by == commit]
        if commit is None or len(paths) < 2:
            continue  # (most often: the base revision committed alone)
        days = [day for day in (_create_day(root, path) for path in paths) if day is not None]
        if len(days) > 1 and max(days) - min(days) > IMPORTED_SPAN:
            found.add(commit)
    return found


def _create_day(root: str, path: str) -> int | None:
    """The day (proleptic ordinal) of the `Create Date` header of the revision file at
    `path` (relative to `root`), or None where it has none or it cannot be read."""
    import datetime  # (only for a commit that added a base revision with others)

    try:
        with open(os.path.join(root, path), "rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError:
        return None
    found = _CREATE_DATE.search(head)
    if found is None:
        return None
    try:
        year, month, day = (int(part) for part in found.groups())
        return datetime.date(year, month, day).toordinal()
    except ValueError:
        return None


def _merged_in(root: str, times: dict[str, int], sizes: Mapping[str, int]) -> dict[str, str]:
    """Of the commits in `times` (each with when it was made), each that HEAD's line
    holds only through a merge, with the merge on HEAD's first-parent line that brought
    it in: a merged branch arrives at once, so no deploy from that line ran between its
    commits (a pull request merged with a merge commit). A commit stands alone that the
    first-parent line of HEAD or of the default branch holds (`origin/HEAD`, `main`,
    `master`, also where HEAD merged them in: each of their commits may have been
    deployed), or that a merge brought in which names such a branch as what it merges
    (`git pull`'s merge of the remote's main), or that brought in a tagged commit (a
    release branch merged back) or a first commit (another history).

    One `git rev-list` of HEAD's first-parent line and one `git for-each-ref` of the
    branches and tags; where a commit is off HEAD's line, or HEAD's branch is not the
    deployed one (`_merged_into_deploy_branch`), a `git rev-list` and a `git log` more.
    Each reads only the commits made since _SLACK before the oldest of `times`:
    a merge that brought one in is newer, and what a branch holds below that added no
    revision file. `sizes`: how many revision files each commit added (a merge into the
    deployed branch that brings more than MOVED_AT_ONCE keeps its finer groups)."""
    since = f"--since={max(min(times.values(), default=0) - _SLACK, 0)}"
    line = _first_parent_line(root, since)
    if line is None:
        return {}
    refs = _branch_tips_and_tags(root) if times else None
    if refs is None:  # (nothing to group, or git failed)
        return {}
    merged = _merged_off_line(root, times, line, since, refs)
    # git flow: what HEAD's line holds (commits, and the merges of branches into it) may
    # have reached the deployed branch through one of its merges
    on_line = (times.keys() & set(line)) | set(merged.values())
    deployed = _merged_into_deploy_branch(root, on_line, line, since, refs) if on_line else {}
    if not deployed:
        return merged
    found = {commit: deployed.get(merge, merge) for commit, merge in merged.items()}
    found.update({commit: deployed[commit] for commit in times.keys() & deployed.keys()})
    totals: dict[str, int] = {}
    for commit, merge in found.items():
        totals[merge] = totals.get(merge, 0) + sizes.get(commit, 0)
    # (a release of many pull requests: the groups they made stay, not one of all)
    return {
        commit: merge if totals[merge] <= MOVED_AT_ONCE else merged[commit]
        for commit, merge in found.items()
        if totals[merge] <= MOVED_AT_ONCE or commit in merged
    }


def _merged_off_line(
    root: str, times: dict[str, int], line: list[str], since: str, refs: _Refs
) -> dict[str, str]:
    """`_merged_in` for the commits off HEAD's first-parent `line`."""
    off = times.keys() - set(line)
    tips, tagged = refs
    parents = _parents(root, since, ["HEAD", *tips.values()]) if off else None
    if parents is None:  # (every commit on the line, or git failed)
        return {}
    owner = dict.fromkeys(line, "")
    for tip in tips.values():
        owner.update(dict.fromkeys(_first_parents(tip, parents), ""))
    for merge in reversed(line):
        if merge in parents:
            _take_side(merge, parents[merge][1:], parents, tagged, owner)
    return _apart_from_pulls(root, {commit: owner[commit] for commit in off if owner.get(commit)})


def _merged_into_deploy_branch(
    root: str, commits: set[str], line: list[str], since: str, refs: _Refs
) -> dict[str, str]:
    """Of `commits` (on HEAD's first-parent `line`: commits, and merges of branches into
    it), each that the branch production follows holds only through a merge, with the
    oldest merge on that branch's first-parent line that brought it in: where HEAD's
    branch is not that branch (git flow: Baobab works on `develop`, the default branch,
    and deploys `master`, which takes `develop` in by pull requests), the revisions one
    such merge brought ran together. The branch is origin's `main` or `master` (else the
    local one) when none of them lies on HEAD's line; a merge that names main or master
    as what it takes in, or a tagged commit among those it brings, keeps them apart
    (`_merged_off_line`)."""
    tips, tagged = refs
    tip = _deploy_tip(tips, set(line))
    parents = None if tip is None else _parents(root, since, [tip])
    if tip is None or parents is None:
        return {}
    deployed = _first_parents(tip, parents)
    owner = dict.fromkeys(deployed, "")
    for merge in reversed(deployed):
        if len(parents[merge]) > 1:
            _take_side(merge, parents[merge][1:], parents, tagged, owner)
    return _apart_from_pulls(root, {c: owner[c] for c in commits if owner.get(c)})


def _parents(root: str, since: str, starts: list[str]) -> dict[str, list[str]] | None:
    """Each commit made since `since` that `starts` reach, with its parents (None where
    git fails)."""
    out = git_output(["rev-list", "--parents", since, *starts], root)
    if out is None:
        return None
    return {commit: rest for commit, *rest in (row.split() for row in out.splitlines())}


def _apart_from_pulls(root: str, merged: dict[str, str]) -> dict[str, str]:
    """`merged` (commit -> the merge that brought it in) without the merges that take
    main or master in (`_merges_of_default_branches`): their commits stand alone."""
    pulls = _merges_of_default_branches(root, set(merged.values()))
    return {commit: merge for commit, merge in merged.items() if merge not in pulls}


# The branches production follows by convention, origin's first (a clone's own may lag).
_DEPLOY_BRANCHES = (
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
    "refs/heads/main",
    "refs/heads/master",
)


def _deploy_tip(tips: Mapping[str, str], line: set[str]) -> str | None:
    """The tip (of `tips`, by ref name) of the first of _DEPLOY_BRANCHES that exists,
    where none of them lies on HEAD's first-parent `line` (HEAD's branch is, or builds
    on, the one production follows: its own line says how it deployed)."""
    deploys = [tips[name] for name in _DEPLOY_BRANCHES if name in tips]
    if not deploys or line & set(deploys):
        return None
    return deploys[0]


# The branches a project deploys from by convention, as refs: a commit on their
# first-parent line may have been deployed on its own.
_DEFAULT_BRANCHES = (
    "refs/remotes/origin/HEAD",
    "refs/heads/main",
    "refs/heads/master",
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
)
# The default branches' tips by ref name, and the tagged commits (`_branch_tips_and_tags`).
_Refs = tuple[dict[str, str], set[str]]
# How far below the oldest commit that added a revision the branches are read: a
# branch made before it, and clocks that differ.
_SLACK = 30 * 24 * 3600
# git's own subject of a merge of a named branch: "Merge branch 'main' of URL",
# "Merge remote-tracking branch 'origin/master' into feature".
_MERGED_BRANCH = re.compile(r"Merge (?:remote-tracking )?branch '(?:origin/)?([^']+)'")


def _first_parent_line(root: str, since: str) -> list[str] | None:
    """HEAD's first-parent line, newest first, as far back as `since` says."""
    out = git_output(["rev-list", "--first-parent", since, "HEAD"], root)
    return None if out is None else out.split()


def _branch_tips_and_tags(root: str) -> _Refs | None:
    """The commit each default branch that exists points at (by ref name; the deploy
    branches are among them), and every tagged commit (and tag): one `git for-each-ref`."""
    format_ = "--format=%(refname) %(objectname) %(*objectname)"
    out = git_output(["for-each-ref", format_, "refs/tags", *_DEFAULT_BRANCHES], root)
    if out is None:
        return None
    tips: dict[str, str] = {}
    tagged: set[str] = set()
    for name, _, oids in (row.partition(" ") for row in out.splitlines()):
        if name.startswith("refs/tags/"):
            tagged.update(oids.split())
        elif oids:
            tips[name] = oids.split()[0]
    return tips, tagged


def _first_parents(tip: str, parents: dict[str, list[str]]) -> list[str]:
    """The first-parent line from `tip` down, as far as `parents` holds it."""
    found: list[str] = []
    while tip in parents and len(found) <= len(parents):
        found.append(tip)
        tip = parents[tip][0] if parents[tip] else ""
    return found


def _merges_of_default_branches(root: str, merges: set[str]) -> set[str]:
    """Those of `merges` whose subject says they merge main, master or origin's HEAD in
    (all of them where git cannot tell)."""
    if not merges:
        return set()
    out = git_output(["log", "--no-walk", "--format=%H %s", *sorted(merges)], root)
    if out is None:
        return merges
    found = set()
    for commit, _, subject in (row.partition(" ") for row in out.splitlines()):
        match = _MERGED_BRANCH.match(subject)
        if match is not None and match.group(1) in {"main", "master", "HEAD"}:
            found.add(commit)
    return found


def _take_side(
    merge: str,
    side: list[str],
    parents: dict[str, list[str]],
    tagged: set[str],
    owner: dict[str, str],
) -> None:
    """Give `merge` (in `owner`) the commits its `side` parents bring in that no older
    commit of the line did, as far back as `parents` holds them, unless one of them is
    tagged or has no parent: then each stands alone (owner "")."""
    taken, stack, alone = [], list(side), False
    while stack:
        commit = stack.pop()
        if commit in owner:
            continue
        owner[commit] = merge
        taken.append(commit)
        above = parents.get(commit)
        if above is not None:  # (None: older than what was read)
            alone = alone or not above or commit in tagged
            stack.extend(above)
    if alone:
        owner.update(dict.fromkeys(taken, ""))


def uncommitted_files(folders: Sequence[str]) -> set[str] | None:
    """The real paths of the `.py` files under `folders` that are not committed yet,
    so that no deploy has run them, whatever the project deploys from: added to the
    index (a staged rename is a move, not one), or new and not ignored, unless HEAD
    holds the same file under another path (its name or its content). None where that
    cannot be known: outside a git work tree (looked for first without running git) or
    with no commit yet."""
    where = _checkout(folders)
    if where is None:
        return None
    root = where[0]
    specs = [os.path.relpath(os.path.realpath(folder), root) for folder in folders]
    head = git_output(["ls-tree", "-r", "-z", "HEAD", "--", *specs], root)
    diff = ["diff", "--cached", "-z", "-M", "--name-status", "--diff-filter=AR", "HEAD"]
    staged = git_output([*diff, "--", *specs], root)
    others = ["ls-files", "-z", "--others", "--exclude-standard", "--", *specs]
    untracked = git_output(others, root)
    if head is None or staged is None or untracked is None:
        return None
    held = [entry.partition("\t") for entry in head.split("\0") if "\t" in entry]
    names = {os.path.basename(path) for _, _, path in held}
    blobs = {info.split(" ")[-1] for info, _, _ in held}
    added = _added(staged.split("\0"))
    new = [
        path
        for path in untracked.split("\0")
        if path and os.path.basename(path) not in names and _blob_id(root, path) not in blobs
    ]
    return {
        os.path.realpath(os.path.join(root, path)) for path in added + new if path.endswith(".py")
    }


def _added(fields: list[str]) -> list[str]:
    """The paths `git diff -z --name-status` says were added ("A", path; a rename is
    "R<score>", old path, new path)."""
    found, at = [], 0
    while at < len(fields) - 1:
        status = fields[at]
        if status == "A":
            found.append(fields[at + 1])
        at += 3 if status.startswith(("R", "C")) else 2
    return found


def _blob_id(root: str, path: str) -> str | None:
    """The id git gives the file's content (`git hash-object`), None if unreadable."""
    import hashlib  # (only for a file git does not track)

    try:
        with open(os.path.join(root, path), "rb") as file:
            data = file.read()
    except OSError:
        return None
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _release_of(
    files: Iterable[str],
    root: str,
    history: _History,
    first: dict[str, str],
    tags: dict[str, int],
    committed: set[str],
    coming: bool,
) -> dict[str, str]:
    """Each file's release (real path -> tag or COMING), where it is known: a file HEAD
    holds whose adding commit was not found has none."""
    counts = history.counts()
    oldest = min(tags, key=lambda name: (tags[name], name))
    found: dict[str, str] = {}
    for file in files:
        path = os.path.realpath(file)
        relative = os.path.relpath(path, root)
        release = first.get(relative)
        commit = history.added.get(relative)
        if commit is not None and (counts[commit] > MOVED_AT_ONCE or commit in history.imported):
            continue  # imported with many others: when they shipped is not known
        if commit is None and relative in committed:
            continue  # its history was not found
        if release is None:
            if coming:
                found[path] = COMING
            continue
        if release == oldest:
            continue  # the project may have deployed before it tagged
        made = history.times.get(commit or "")
        if made is None or tags[release] - made > STALE:
            continue  # not known when it was committed, or a year before its release
        found[path] = release
    return found


def _tag_times(root: str, patterns: Sequence[str]) -> dict[str, int]:
    """When each tag matching `patterns` was made (a lightweight tag: its commit)."""
    refs = [f"refs/tags/{pattern}" for pattern in patterns]
    args = ["for-each-ref", "--format=%(refname:lstrip=2) %(creatordate:unix)", *refs]
    times: dict[str, int] = {}
    for line in (git_output(args, root) or "").splitlines():
        name, _, when = line.rpartition(" ")
        if name and when.isdigit():
            times[name] = int(when)
    return times


def _stale_head(root: str, tags: dict[str, int], patterns: Sequence[str]) -> str | None:
    """Why the revisions no tag holds cannot be taken for the coming release, if they
    cannot: HEAD's newest tag is more than STALE older than HEAD (the project stopped
    tagging the releases it deploys), or HEAD's line has no matching tag at all."""
    matches = [f"--match={pattern}" for pattern in patterns]
    last = (git_output(["describe", "--tags", "--abbrev=0", *matches, "HEAD"], root) or "").strip()
    if last not in tags:
        return "no matching tag is in this checkout's history"
    head = (git_output(["log", "-1", "--format=%ct", "HEAD"], root) or "").strip()
    if head.isdigit() and int(head) - tags[last] > STALE:
        return f"this checkout's newest matching tag, {last}, is more than a year older than HEAD"
    return None


def _first_tags(root: str, tags: dict[str, int], history: _History) -> dict[str, str]:
    """The oldest tag whose tree holds each file (by its path now, relative to the
    root), read from every tag's versions folders (`_trees`)."""
    order = sorted(tags, key=lambda name: (tags[name], name))
    wanted = [(tag, folder) for tag in order for folder in sorted(history.folders)]
    first: dict[str, str] = {}
    for (tag, _), names in zip(wanted, _trees(root, wanted), strict=True):
        for name in names:
            path = history.now.get(name, name)
            first.setdefault(path, tag)
    return first


def _trees(root: str, wanted: list[tuple[str, str]]) -> list[list[str]]:
    """For each (tag, folder), the paths of the `.py` files the tag's tree holds in that
    folder and up to three levels below (relative to the root; none where the folder is
    missing). Tags share most of their trees: each distinct tree is read once."""
    ids = _tree_ids(root, [f"refs/tags/{tag}:{folder}" for tag, folder in wanted])
    entries: dict[str, list[tuple[str, str, bool]]] = {}  # tree -> (name, id, is a tree)
    pending = {oid for oid in ids if oid is not None}
    for _ in range(4):  # the folder and up to three levels of subfolders
        if not pending:
            break
        ordered = sorted(pending)
        for oid, found in zip(ordered, _cat_trees(root, ordered), strict=True):
            entries[oid] = found
        pending = {sub for oid in ordered for _, sub, tree in entries[oid] if tree}
        pending -= entries.keys()
    files: dict[str, list[str]] = {}

    def below(oid: str, depth: int) -> list[str]:
        if oid not in files:
            names = []
            for name, sub, tree in entries.get(oid, ()):
                if not tree and name.endswith(".py"):
                    names.append(name)
                elif tree and depth < 3:
                    names += [f"{name}/{inner}" for inner in below(sub, depth + 1)]
            files[oid] = names
        return files[oid]

    return [
        [] if oid is None else [os.path.normpath(os.path.join(folder, n)) for n in below(oid, 0)]
        for (_, folder), oid in zip(wanted, ids, strict=True)
    ]


def _tree_ids(root: str, specs: list[str]) -> list[str | None]:
    """The id of the tree each `rev:path` names (None: missing, or not a tree), from one
    `git cat-file --batch-check`."""
    stdin = "".join(f"{spec}\n" for spec in specs)
    lines = (git_output(["cat-file", "--batch-check"], root, stdin) or "").splitlines()
    if len(lines) != len(specs):
        return [None for _ in specs]
    found: list[str | None] = []
    for line in lines:
        fields = line.split(" ")
        found.append(fields[0] if len(fields) == 3 and fields[1] == "tree" else None)
    return found


def _cat_trees(root: str, oids: list[str]) -> list[list[tuple[str, str, bool]]]:
    """The entries (name, id, whether a tree) of each tree, from one `git cat-file
    --batch`."""
    import subprocess  # (only when git runs)

    try:
        done = subprocess.run(
            ["git", "-C", root, "cat-file", "--batch"],
            input="".join(f"{oid}\n" for oid in oids).encode(),
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return [[] for _ in oids]
    data, at = done.stdout, 0
    found: list[list[tuple[str, str, bool]]] = []
    for _ in oids:
        end = data.find(b"\n", at)
        header = data[at:end].split(b" ")
        at = end + 1
        if end < 0 or len(header) != 3 or not header[2].isdigit():  # "<oid> missing"
            found.append([])
            continue
        size = int(header[2])
        found.append(_tree_entries(data[at : at + size]) if header[1] == b"tree" else [])
        at += size + 1
    return found


def _tree_entries(body: bytes) -> list[tuple[str, str, bool]]:
    """A raw git tree: entries of "<mode> <name>\\0<20-byte id>"."""
    entries, at = [], 0
    while at < len(body):
        space = body.index(b" ", at)
        nul = body.index(b"\0", space)
        name = body[space + 1 : nul].decode("utf-8", "surrogateescape")
        oid = body[nul + 1 : nul + 21].hex()
        entries.append((name, oid, body[at:space] == b"40000"))
        at = nul + 21
    return entries


def _in_head(root: str, folders: Sequence[str]) -> set[str]:
    """The files HEAD holds under `folders` (relative to the root)."""
    specs = [os.path.relpath(os.path.realpath(folder), root) for folder in folders]
    out = git_output(["ls-tree", "-r", "--name-only", "HEAD", "--", *specs], root) or ""
    return set(out.splitlines())


def _checkout(folders: Sequence[str]) -> tuple[str, bool] | None:
    """`_work_tree` of the first versions folder, looked for first without running git
    (None outside a work tree, or with no folder)."""
    if not folders or not in_git_work_tree(folders[0]):
        return None
    return _work_tree(folders[0])


def _work_tree(folder: str) -> tuple[str, bool] | None:
    """The root of the work tree `folder` is in, and whether the clone is shallow (one
    `git rev-parse`); None outside a work tree."""
    out = git_output(["rev-parse", "--show-toplevel", "--is-shallow-repository"], folder)
    lines = (out or "").splitlines()
    if len(lines) != 2:
        return None
    return os.path.realpath(lines[0]), lines[1] == "true"


def _history(root: str, folders: Sequence[str]) -> _History | None:
    """`_read_history`, read once a run for the same folders at the same HEAD (release
    tags and the adding commits AG105 asks about both need it)."""
    head = (git_output(["rev-parse", "HEAD"], root) or "").strip()
    key = (root, tuple(folders), head)
    if not head or key not in _HISTORIES:
        history = _read_history(root, folders)
        if not head:
            return history
        _HISTORIES[key] = history
    return _HISTORIES[key]


# `_history`'s answers, by root, folders and HEAD's commit.
_HISTORIES: dict[tuple[str, tuple[str, ...], str], _History | None] = {}


def _read_history(root: str, folders: Sequence[str]) -> _History | None:
    """The commit that added each file under `folders`, followed through renames: in
    those folders by `git log`, and for a file that a commit brought in from elsewhere
    (a moved folder), through the folder it came from."""
    specs = {os.path.relpath(os.path.realpath(folder), root) for folder in folders}
    history = _History({}, {}, {}, set(specs), set(), set())
    starts = ["HEAD"]
    for _ in range(_MOVES_FOLLOWED):
        log = _log_adds(root, sorted(specs), starts)
        if log is None:
            return None
        found = []
        for commit, when, has_parent, changes in log:
            history.times[commit] = when
            if not has_parent:
                history.roots.add(commit)
            for old, new in changes:
                path = history.now.get(new, new)
                if old is not None:  # renamed: it was added under the old name
                    history.now.setdefault(old, path)
                elif path not in history.added:
                    history.added[path] = commit
                    found.append(commit)
                elif history.added[path] != commit:
                    history.again.add(path)
        specs, moves = _moved_from(root, history, found)
        if not specs:
            break
        history.folders |= specs
        starts = [f"{commit}^" for commit in sorted(moves)]  # what came before the moves
    return history


def _moved_from(root: str, history: _History, commits: list[str]) -> tuple[set[str], set[str]]:
    """Of the files `commits` added, those they moved in from outside the folders read
    (renames seen by `git diff-tree`, one process for all): their earlier paths go into
    `history.now` and the commit is not theirs; the folders they came from, to read
    next, and the commits that moved them."""
    if not commits:
        return set(), set()
    stdin = "\n".join(dict.fromkeys(commits)) + "\n"
    out = _renames(root, stdin, "-M")
    if out is None:  # a blob git cannot read (a partial or damaged clone) in any of them:
        out = _renames(root, stdin, "-M100%")  # files moved as they were, told by id alone
    folders: set[str] = set()
    moves: set[str] = set()
    commit = ""
    for line in (out or "").splitlines():
        status, _, paths = line.partition("\t")
        if not paths:  # the commit the lines below belong to
            commit = status
            continue
        old, _, new = paths.partition("\t")
        path = history.now.get(new, new)
        if status.startswith("R") and history.added.get(path) == commit:
            del history.added[path]
            history.now.setdefault(old, path)
            folders.add(os.path.dirname(old) or ".")
            moves.add(commit)
    return folders, moves


def _renames(root: str, stdin: str, similarity: str) -> str | None:
    """`git diff-tree` of the commits in `stdin`: the files each renamed (`similarity`:
    git's `-M` option)."""
    args = ["diff-tree", "--stdin", "-r", similarity, "--diff-filter=R", "--name-status"]
    return git_output(args, root, stdin)


def _log_adds(
    root: str, specs: Sequence[str], starts: Sequence[str]
) -> list[tuple[str, int, bool, list[tuple[str | None, str]]]] | None:
    """Newest first, each commit from `starts` down that added or renamed files under
    `specs`, with its time, whether it has a parent, and its changes: (None, path) for an
    add, (old, new) for a rename."""
    args = ["log", "-M", "--diff-filter=AR", "--format=%x00%H %ct %P", "--name-status"]
    out = git_output([*args, *starts, "--", *specs], root)
    if out is None:
        return None
    found = []
    for entry in out.split("\0")[1:]:
        head, _, lines = entry.partition("\n")
        commit, _, rest = head.partition(" ")
        when, _, parents = rest.partition(" ")
        changes: list[tuple[str | None, str]] = []
        for line in lines.splitlines():
            status, _, paths = line.partition("\t")
            if status.startswith("A"):
                changes.append((None, paths))
            elif status.startswith("R"):
                old, _, new = paths.partition("\t")
                changes.append((old, new))
        found.append((commit, int(when) if when.isdigit() else 0, bool(parents.strip()), changes))
    return found
