"""Reading a git ref's revision files straight from git objects, without a checkout.

`lint --base REF` compares the working tree's history with REF's. The files are
listed with `git ls-tree` and read in one `git cat-file --batch` call, so a
history of thousands of revisions costs two git processes. It works on a shallow
clone as long as REF's commit has been fetched; when it has not, the error says
how to fetch it.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from alembic_gate.errors import UsageError
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile, read_revision_source
from alembic_gate.setup.discovery import AlembicSetup
from alembic_gate.shared.git import GIT_TIMEOUT
from alembic_gate.shared.paths import display_path

# Alembic's `_only_source_rev_file`: `.py` files, not `__init__.py` nor editor locks.
_SOURCE_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def read_base_graph(
    ref: str, setup: AlembicSetup, cwd: Path, working: Sequence[RevisionFile] = ()
) -> RevisionGraph:
    """The revision graph of `setup`'s version locations as they are at `ref`.

    A file of `working` (the working tree's history) whose contents are the same blob
    as at `ref` is reused rather than read from git and parsed again.
    """
    root = repository_root(cwd)
    commit = resolve_ref(ref, root)
    folders = [_relative(Path(location), root, cwd) for location in setup.version_locations]
    blobs = _list_sources(commit, folders, setup.recursive, root)
    files = _unchanged(working, blobs, root)
    missing = [path for path in blobs if path not in files]
    contents = _read_blobs([blobs[path] for path in missing], root)
    for path, data in zip(missing, contents, strict=True):
        full = root / path
        # (an id imported from a module of the project: the module as it is now)
        files[path] = read_revision_source(data, full, display_path(full, cwd), imports=True)
    return RevisionGraph.build([files[path] for path in blobs], imports=False)


def _unchanged(
    working: Sequence[RevisionFile], blobs: dict[PurePosixPath, str], root: Path
) -> dict[PurePosixPath, RevisionFile]:
    """The working files whose contents hash to the blob the base has at their path."""
    same: dict[PurePosixPath, RevisionFile] = {}
    for rev in working:
        try:
            path = PurePosixPath(rev.path.relative_to(root).as_posix())
        except ValueError:
            continue
        blob = blobs.get(path)
        if blob is not None and _blob_id(rev.path, len(blob)) == blob:
            same[path] = rev
    return same


def _blob_id(path: Path, length: int) -> str | None:
    """Git's object id for the file's contents (SHA-1, or SHA-256 repositories)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256() if length == 64 else hashlib.sha1()
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def merged_head(ref: str, cwd: Path) -> str | None:
    """The pull request's own head when HEAD is a merge commit whose first parent is REF.

    That is the commit GitHub checks out for `pull_request` (`refs/pull/N/merge`), and
    what a merge queue tests: the base with the pull request merged in. Its second
    parent's revisions that REF lacks are the pull request's. The parents are read from
    the commit object itself, so this works on a shallow clone (depth 1), where git
    knows HEAD but not its parents; the second parent must then be fetched.
    """
    root = repository_root(cwd)
    parents = commit_parents("HEAD", root)
    if len(parents) < 2 or parents[0] != resolve_ref(ref, root):
        return None
    head = parents[1]
    if _git(["cat-file", "-e", f"{head}^{{commit}}"], root).returncode != 0:
        remote = "origin" if "origin" in _remotes(root) else (_remotes(root) or ["origin"])[0]
        raise UsageError(
            f"--base {ref}: HEAD merges {head} into {ref} (a pull request's merge "
            f"checkout), and that commit is not in this clone; fetch it first with "
            f"`git fetch --depth=1 {remote} {head}`"
        )
    return head


def commit_parents(commit: str, root: Path) -> list[str]:
    """The parents a commit object names (also in a shallow clone)."""
    result = _git(["cat-file", "commit", commit], root)
    if result.returncode != 0:
        return []
    header = result.stdout.split(b"\n\n", 1)[0].decode("ascii", "replace")
    return [line[7:].strip() for line in header.splitlines() if line.startswith("parent ")]


def new_revisions(graph: RevisionGraph, base: RevisionGraph) -> frozenset[str]:
    """Revisions of `graph` that the base does not have."""
    return frozenset(graph.by_id.keys() - base.by_id.keys())


def repository_root(cwd: Path) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], cwd)
    if result.returncode != 0:
        raise UsageError(f"--base needs a git repository, and {cwd} is not inside one")
    return Path(result.stdout.decode().strip()).resolve()


def resolve_ref(ref: str, root: Path) -> str:
    """REF's commit id; a ref this clone lacks is a usage error saying how to fetch it."""
    if not ref.strip() or ref.startswith("-"):
        raise UsageError(f"--base {ref!r} is not a git ref")
    result = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if result.returncode == 0:
        return result.stdout.decode().strip()
    shallow = _git(["rev-parse", "--is-shallow-repository"], root).stdout.strip() == b"true"
    clone = "this shallow clone" if shallow else "this repository"
    raise UsageError(
        f"--base {ref}: no such commit in {clone}; fetch it first with "
        f"`{fetch_command(ref, _remotes(root))}` (GitHub Actions: `fetch-depth: 0` in "
        "actions/checkout; GitLab CI: `GIT_DEPTH: 0`)"
    )


def fetch_command(ref: str, remotes: Sequence[str]) -> str:
    """The `git fetch` that brings REF into a shallow clone."""
    name = ref.removeprefix("refs/remotes/")
    for remote in remotes:
        if name.startswith(remote + "/"):
            branch = name[len(remote) + 1 :]
            return f"git fetch --depth=1 {remote} {branch}:refs/remotes/{remote}/{branch}"
    remote = "origin" if "origin" in remotes or not remotes else remotes[0]
    if _SHA.fullmatch(ref):
        return f"git fetch --depth=1 {remote} {ref}"
    branch = ref.removeprefix("refs/heads/")
    return f"git fetch --depth=1 {remote} {branch}:refs/remotes/{remote}/{branch}"


def _remotes(root: Path) -> list[str]:
    return _git(["remote"], root).stdout.decode().split()


def _relative(location: Path, root: Path, cwd: Path) -> PurePosixPath:
    full = (cwd / location).resolve()
    try:
        return PurePosixPath(full.relative_to(root).as_posix())
    except ValueError:
        raise UsageError(
            f"--base: version location {location} is outside the git repository at {root}"
        ) from None


def _list_sources(
    commit: str, folders: list[PurePosixPath], recursive: bool, root: Path
) -> dict[PurePosixPath, str]:
    """Revision source files under `folders` at `commit`, in alembic's order: their blobs.
    A symbolic link is taken as discovery takes it in the working tree: as the file it
    points to, under that file's path and judged by its name (`_follow_links`)."""
    found: dict[PurePosixPath, str] = {}
    links: dict[PurePosixPath, str] = {}
    for mode, blob, path in _tree_entries(commit, [str(f) for f in folders], root, "-r"):
        if not _inside(path, folders, recursive):
            continue
        if mode == "120000":
            links[path] = blob
        elif _SOURCE_FILE.fullmatch(path.name):
            found[path] = blob
    if links:
        found.update(_follow_links(commit, links, root))
    order = sorted(found, key=lambda p: _listed_at(p, folders))
    return {path: found[path] for path in order}


def _listed_at(
    path: PurePosixPath, folders: list[PurePosixPath]
) -> tuple[int, list[tuple[int, str]]]:
    """Where `Script._list_py_dir` lists `path`: by version location, and in a location
    each folder's files (sorted) before its subfolders (sorted, each walked whole), where
    git lists a folder's files and subfolders by name together. The order decides which
    file of a duplicate id alembic keeps (the last)."""
    index = _folder_index(path, folders)
    parts = path.parts
    if index < len(folders):
        parts = path.relative_to(folders[index]).parts
    return index, [(1, part) for part in parts[:-1]] + [(0, parts[-1])]


def _tree_entries(
    commit: str, specs: list[str], root: Path, *flags: str
) -> list[tuple[str, str, PurePosixPath]]:
    """(mode, blob, path) of the files `git ls-tree` lists at `commit` under `specs`
    (links too: their blob holds the target; folders are left out)."""
    args = ["--literal-pathspecs", "ls-tree", *flags, "-z", "--full-tree", commit, "--", *specs]
    result = _git(args, root)
    if result.returncode != 0:
        raise UsageError(f"--base: git ls-tree failed: {result.stderr.decode().strip()}")
    entries: list[tuple[str, str, PurePosixPath]] = []
    for entry in result.stdout.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, name = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob":
            entries.append((fields[0], fields[2], PurePosixPath(name)))
    return entries


def _follow_links(
    commit: str, links: dict[PurePosixPath, str], root: Path
) -> dict[PurePosixPath, str]:
    """The files the links lead to at `commit` whose names make them revisions, by their
    own paths: a link to a file listed already is that file once. A link that leads out
    of the repository, to a folder, to nothing, or into a loop gives none."""
    found: dict[PurePosixPath, str] = {}
    pending = links
    seen: set[str] = {str(path) for path in links}
    while pending:
        texts = _read_blobs(list(pending.values()), root)
        targets = [_joined(path, text) for path, text in zip(pending, texts, strict=True)]
        wanted = sorted({str(t) for t in targets if t is not None} - seen)
        if not wanted:
            break
        seen.update(wanted)
        pending = {}
        for mode, blob, path in _tree_entries(commit, wanted, root):
            if str(path) not in wanted:  # a folder's child: the link named the folder
                continue
            if mode == "120000":
                pending[path] = blob
            elif _SOURCE_FILE.fullmatch(path.name):
                found[path] = blob
    return found


def _joined(link: PurePosixPath, text: bytes) -> PurePosixPath | None:
    """The repository path a link at `link` holding `text` points to; None outside."""
    target = text.decode("utf-8", "surrogateescape")
    if not target or target.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(str(link.parent), target))
    return None if joined == ".." or joined.startswith("../") else PurePosixPath(joined)


def _inside(path: PurePosixPath, folders: list[PurePosixPath], recursive: bool) -> bool:
    if recursive:
        return any(folder in path.parents for folder in folders)
    return path.parent in folders


def _folder_index(path: PurePosixPath, folders: list[PurePosixPath]) -> int:
    return next(
        (i for i, folder in enumerate(folders) if folder in path.parents),
        len(folders),
    )


def _read_blobs(blobs: list[str], root: Path) -> list[bytes]:
    """The contents of `blobs`, in order, from one `git cat-file --batch`."""
    if not blobs:
        return []
    request = "".join(f"{blob}\n" for blob in blobs).encode()
    result = _git(["cat-file", "--batch"], root, request)
    out = result.stdout
    contents: list[bytes] = []
    position = 0
    for blob in blobs:
        end = out.find(b"\n", position)
        header = out[position:end].split()
        if result.returncode != 0 or len(header) != 3 or header[1] != b"blob":
            raise UsageError(f"--base: git cat-file could not read blob {blob}")
        size = int(header[2])
        contents.append(out[end + 1 : end + 1 + size])
        position = end + 1 + size + 1
    return contents


def _git(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT,
        )
    except FileNotFoundError:
        raise UsageError("--base needs git, and no `git` command was found") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--base: `git {args[0]}` gave no answer in {GIT_TIMEOUT} s") from None
