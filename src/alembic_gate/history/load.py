"""Loading a project's histories: setups found on disk, revision files read, graphs built."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic_gate.history.cache import RevisionCache, cache_dir
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile, check_syntax
from alembic_gate.setup.discovery import AlembicSetup, find_setups, revision_files
from alembic_gate.shared.paths import display_path


@dataclass
class History:
    setup: AlembicSetup
    graph: RevisionGraph
    # `.pyc`-only revisions (sourceless): they cannot be read statically.
    sourceless: list[str]


def setups_from_args(args: argparse.Namespace, cwd: Path) -> list[AlembicSetup]:
    return find_setups(args.config, args.name, args.versions, args.recursive, cwd)


def load_history(
    setup: AlembicSetup, cwd: Path, use_cache: bool = True, full: Sequence[str] = ()
) -> History:
    """Read a setup's revision files (through the cache) and build the graph. The
    files named in `full` are parsed whole, so a syntax error anywhere in them counts."""
    sources, compiled = revision_files(setup)
    folder = cache_dir(cwd) if use_cache else None
    cache = RevisionCache(folder, setup.version_locations)
    files: list[RevisionFile] = cache.read_all(sources, cwd)
    cache.save(sources)
    for rev in _named(files, full, cwd):
        check_syntax(rev)
    return History(
        setup=setup,
        graph=RevisionGraph.build(files),
        sourceless=[display_path(path, cwd) for path in compiled],
    )


def _named(files: list[RevisionFile], names: Sequence[str], cwd: Path) -> list[RevisionFile]:
    """The revision files among `names` (paths as pre-commit passes them)."""
    if not names:
        return []
    wanted = {(cwd / name).resolve() for name in names}
    basenames = {path.name for path in wanted}
    return [rev for rev in files if rev.path.name in basenames and rev.path.resolve() in wanted]


def load_histories(args: argparse.Namespace, cwd: Path | None = None) -> list[History]:
    cwd = cwd or Path.cwd()
    use_cache = not getattr(args, "no_cache", False)
    full = getattr(args, "files", [])
    return [load_history(s, cwd, use_cache, full) for s in setups_from_args(args, cwd)]
