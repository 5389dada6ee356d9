"""Rebuild the public corpus bench_precision.py lints, from git mirrors of its repositories.

Usage: python benchmarks/precision/make_corpus.py [--mirrors /work/.mirror] [--corpus /work/corpus]
       python benchmarks/precision/make_corpus.py --discover   # also rewrite corpus.json
       python benchmarks/precision/make_corpus.py --git        # git work trees, with the tags

`corpus.json` (beside this script) lists each repository, the commit its labels were made
on and its environments (config, versions folders, revision files). Each repository is
exported with `git archive` at that commit into `<corpus>/<owner>+<name>/` (blobs the
mirror lacks, such as large files left out of a snapshot, are skipped and counted), and
`<corpus>/manifest.json` is written for bench_precision.py. With --git each is instead
a git work tree (a clone sharing the mirror's objects, HEAD detached at the commit, the
missing blobs marked skip-worktree) that keeps the mirror's tags. A mirror is a git directory
found as `<mirrors>/<owner>+<name>` (or its `.git`, `.../repo`, `.../repo/.git`,
`<owner>+<name>.git`, `<owner>/<name>`), e.g. from `git clone --mirror`.

With --discover the environments are found again on the exported trees, with
alembic-gate's own discovery (setup/repository.py: every tracked alembic.ini,
Flask-Migrate `migrations/alembic.ini` and pyproject.toml with [tool.alembic], each read
from its own folder), plus the folders holding revision files that no config reaches
(histories configured in code: bench_precision.py lints them with --versions), and
corpus.json is rewritten. Without it, the revision files found are checked against
corpus.json's counts. A repository made from a released package (`source` in the list:
its commit is the machine's own) is taken at its mirror's HEAD with --discover.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic_gate.errors import UsageError
from alembic_gate.setup.discovery import AlembicSetup, assigns_revision, revision_files
from alembic_gate.setup.repository import DEFAULT_SECTION, repository_setups

HERE = Path(__file__).resolve().parent
LIST = HERE / "corpus.json"
CONFIG_NAMES = ("alembic.ini", "pyproject.toml")
SKIPPED = frozenset({"tests", "test", "docs", "templates"})
Env = dict[str, Any]


def mirror(mirrors: Path, repo: str) -> Path | None:
    """The git directory of `repo` ("owner/name") under `mirrors`, or None."""
    flat = mirrors / repo.replace("/", "+")
    candidates = [flat / "repo" / ".git", flat / "repo", flat / ".git", flat]
    candidates += [flat.with_name(flat.name + ".git")]
    candidates += [mirrors / repo, mirrors / f"{repo}.git", mirrors / repo / ".git"]
    for path in candidates:
        if (path / "HEAD").is_file() and (path / "objects").is_dir():
            return path
    return None


def git(git_dir: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def full_commit(git_dir: Path, commit: str) -> str | None:
    try:
        return git(git_dir, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").strip()
    except subprocess.CalledProcessError:
        return None


def tree_files(git_dir: Path, commit: str) -> tuple[list[str], list[str]]:
    """The paths of the blobs at `commit`: those the mirror holds, and those it lacks."""
    entries = []
    for line in git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit).split("\0"):
        meta, _, path = line.partition("\t")
        if meta and meta.split()[1] == "blob":
            entries.append((meta.split()[2], path))
    checked = git(git_dir, "cat-file", "--batch-check", stdin="".join(f"{s}\n" for s, _ in entries))
    present: list[str] = []
    missing: list[str] = []
    for (_, path), answer in zip(entries, checked.splitlines(), strict=True):
        (missing if answer.endswith(" missing") else present).append(path)
    return present, missing


def export(git_dir: Path, commit: str, dest: Path, missing: Sequence[str]) -> None:
    """`git archive` of `commit` into `dest`, leaving out the `missing` blobs."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    excluded = [f":(exclude,literal){path}" for path in missing]
    # git still names the missing blobs on standard error as it walks the tree
    archive = subprocess.Popen(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit, "--", ".", *excluded],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=False)
    _, errors = archive.communicate()
    if archive.returncode != 0 or untar.returncode != 0:
        raise RuntimeError(f"git archive {commit} into {dest} failed: {errors.decode()}")


def work_tree(git_dir: Path, commit: str, dest: Path, missing: Sequence[str]) -> None:
    """A git work tree of `commit` at `dest` that keeps the mirror's tags (a clone sharing
    its objects, HEAD detached at `commit`); the `missing` blobs are marked skip-worktree."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    clone = ["git", "clone", "-q", "--shared", "--no-checkout", str(git_dir), str(dest)]
    subprocess.run(clone, capture_output=True, check=True)
    tree = dest / ".git"
    git(tree, "update-ref", "--no-deref", "HEAD", commit)
    git(tree, "read-tree", commit)
    paths = "".join(f"{path}\0" for path in missing)
    git(tree, "update-index", "--skip-worktree", "-z", "--stdin", stdin=paths)
    git(tree, "--work-tree", str(dest), "checkout-index", "--all")


# --- environments --------------------------------------------------------------------------


def discover(root: Path, paths: Sequence[str]) -> list[Env]:
    """The environments of the tree exported at `root` (`paths`: its files)."""
    configs = sorted(root / p for p in paths if Path(p).name in CONFIG_NAMES)
    found = repository_setups(DEFAULT_SECTION, root, configs)
    envs = [_configured(root, setup) for setup in found.setups]
    reached = {folder for env in envs for folder in env["versions"]}
    for folder in _revision_folders(root, paths):
        if folder in reached:
            continue
        env = _owner(envs, folder) or _new_env(envs, root, folder)
        env["versions"].append(folder)
        env["revision_files"] += _count(root / folder)
    for env in envs:
        env["versions"].sort()
    return envs


def _configured(root: Path, setup: AlembicSetup) -> Env:
    assert setup.config_path is not None
    config = Path(setup.config_path).relative_to(root).as_posix()
    if setup.section != DEFAULT_SECTION:
        config += f" [{setup.section}]"
    try:
        sources, _ = revision_files(setup)
    except UsageError:
        sources = []
    folders = sorted({Path(p).parent.relative_to(root).as_posix() for p in sources})
    script = setup.script_location
    return {
        "config": config,
        "script_location": _relative(root, Path(script)) if script else None,
        "versions": folders,
        "revision_files": len(sources),
    }


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _revision_folders(root: Path, paths: Sequence[str]) -> list[str]:
    """Folders holding a revision file, outside tests, docs and templates."""
    folders = set()
    for path in paths:
        if not SKIPPED.intersection(Path(path).parts[:-1]) and is_revision(root / path):
            folders.add(Path(path).parent.as_posix())
    return sorted(folders)


def is_revision(path: Path) -> bool:
    if path.suffix != ".py" or path.name in ("__init__.py", "env.py") or not path.is_file():
        return False
    return assigns_revision(path.read_bytes())


def _count(folder: Path) -> int:
    return sum(1 for path in folder.glob("*.py") if is_revision(path))


def _owner(envs: list[Env], folder: str) -> Env | None:
    """The environment whose script folder holds `folder` (a versions subfolder alembic
    does not read, such as per-dialect folders a custom env.py picks)."""
    for env in envs:
        script = env["script_location"]
        if script and folder.startswith(script + "/"):
            return env
    return None


def _new_env(envs: list[Env], root: Path, folder: str) -> Env:
    """A history configured in code. Its script folder is the nearest env.py's folder
    that no config names, in a folder above `folder` or one of their subfolders (one
    env.py for several trees of versions); the histories that share one are one
    environment. Without one, `folder` is an environment of its own."""
    configured = {env["script_location"] for env in envs if env["config"]}
    script = _script_folder(root, Path(folder), configured) or folder
    for env in envs:
        if env["script_location"] == script and not env["config"]:
            return env
    new: Env = {"config": None, "script_location": script, "versions": [], "revision_files": 0}
    envs.append(new)
    return new


def _script_folder(root: Path, folder: Path, configured: set[str]) -> str | None:
    for above in [folder, *folder.parents][:-1]:
        for env_py in [root / above / "env.py", *sorted((root / above).glob("*/env.py"))]:
            script = env_py.parent.relative_to(root).as_posix()
            if env_py.is_file() and script not in configured:
                return script
    return None


# --- the whole corpus ----------------------------------------------------------------------


def build(
    entries: list[dict[str, Any]], mirrors: Path, corpus: Path, rediscover: bool, as_git: bool
) -> int:
    """Export every listed repository (a git work tree each with `as_git`) and write the
    manifest; 1 when one could not be."""
    manifest: list[dict[str, Any]] = []
    status = 0
    for entry in entries:
        repo = entry["repo"]
        git_dir = mirror(mirrors, repo)
        commit = _commit(git_dir, entry, rediscover) if git_dir else None
        if git_dir is None or commit is None:
            why = "no mirror" if git_dir is None else f"the mirror lacks {entry['commit']}"
            print(f"{repo}: skipped, {why}", file=sys.stderr)
            status = 1
            continue
        dest = corpus / repo.replace("/", "+")
        present, missing = tree_files(git_dir, commit)
        (work_tree if as_git else export)(git_dir, commit, dest, missing)
        envs = discover(dest, present) if rediscover else entry["environments"]
        if rediscover:
            entry["commit"], entry["environments"] = commit, envs
        else:
            status |= _check(repo, dest, present, envs)
        files = sum(env["revision_files"] for env in envs)
        print(
            f"{repo} {commit[:12]}: {len(present)} files ({len(missing)} not in the mirror), "
            f"{len(envs)} environments, {files} revision files"
        )
        manifest.append({"repo": repo, "commit": commit, "dir": str(dest), "environments": envs})
    (corpus / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    envs = sum(len(repo["environments"]) for repo in manifest)
    files = sum(env["revision_files"] for repo in manifest for env in repo["environments"])
    print(
        f"exported {len(manifest)} of {len(entries)} repositories: {envs} environments, "
        f"{files} revision files"
    )
    return status


def _commit(git_dir: Path, entry: dict[str, Any], rediscover: bool) -> str | None:
    """The listed commit; with --discover, for a repository made here from a released
    package (`source`: its commits are this machine's own), the mirror's HEAD instead
    when the listed one is not there."""
    commit = full_commit(git_dir, entry["commit"])
    if commit is None and rediscover and "source" in entry:
        commit = full_commit(git_dir, "HEAD")
    return commit


def _check(repo: str, root: Path, paths: Sequence[str], envs: list[Env]) -> int:
    """1 (and why, on standard error) when the export finds other revision files than listed."""
    found = {env["config"] or env["script_location"]: env for env in discover(root, paths)}
    status = 0
    for env in envs:
        again = found.get(env["config"] or env["script_location"])
        if again is None or again["revision_files"] != env["revision_files"]:
            count = again["revision_files"] if again else "no"
            print(
                f"{repo}: {env['config'] or env['script_location']}: {count} revision "
                f"files, corpus.json lists {env['revision_files']}",
                file=sys.stderr,
            )
            status = 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--list", type=Path, default=LIST, help="default: corpus.json here")
    parser.add_argument("--discover", action="store_true", help="find the environments again")
    parser.add_argument("--git", action="store_true", help="git work trees with the tags")
    args = parser.parse_args(argv)
    entries = json.loads(args.list.read_text())
    args.corpus.mkdir(parents=True, exist_ok=True)
    mirrors, corpus = args.mirrors.absolute(), args.corpus.absolute()
    status = build(entries, mirrors, corpus, args.discover, args.git)
    if args.discover:
        args.list.write_text(json.dumps(entries, indent=1) + "\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
