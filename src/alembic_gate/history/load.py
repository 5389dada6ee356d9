"""Loading a project's histories: setups found on disk, revision files read, graphs built."""

from __future__ import annotations

import os
import sys

from alembic_gate.history.cache import RevisionCache, cache_dir
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.setup.discovery import AlembicSetup, find_setups, revision_files
from alembic_gate.shared.paths import display_path
from alembic_gate.shared.records import record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    import argparse  # lint's arguments are read without it (main.positionals_only)

    from alembic_gate.shared.paths import StrPath


@record
class History:
    """One setup with its revision files read and linked."""

    setup: AlembicSetup
    graph: RevisionGraph
    # `.pyc`-only revisions (sourceless): they cannot be read statically.
    sourceless: list[str]


def setups_from_args(args: argparse.Namespace, cwd: StrPath) -> list[AlembicSetup]:
    """The setups the flags name (or discovery finds); what was left out, and what
    alembic would warn about while reading each setup's config, is noted on standard
    error."""
    notes: list[str] = []
    setups = find_setups(args.config, args.name, args.versions, args.recursive, cwd, notes)
    notes += [note for setup in setups for note in setup.notes]
    for note in dict.fromkeys(notes):
        print(f"alembic-gate: note: {note}", file=sys.stderr)
    return setups


def load_history(setup: AlembicSetup, cwd: StrPath, use_cache: bool = True) -> History:
    """Read a setup's revision files, each parsed whole once per content (through the
    cache), and build the graph."""
    sources, compiled = revision_files(setup)
    files = _read(setup, sources, cwd, use_cache)
    return History(
        setup=setup,
        graph=RevisionGraph.build(files),
        sourceless=[display_path(path, cwd) for path in compiled],
    )


def _read(
    setup: AlembicSetup, sources: list[str], cwd: StrPath, use_cache: bool
) -> list[RevisionFile]:
    """The revision files, through the cache, which is let go before the graph is built
    (what it loaded, ~25 MiB at 20,000 revisions, it lets go of entry by entry as it
    makes the revisions; the rest goes here)."""
    folder = cache_dir(cwd) if use_cache else None
    cache = RevisionCache(folder, [display_path(p, cwd) for p in setup.version_locations])
    files = cache.read_all(sources, cwd)
    cache.save(sources)
    return files


def load_histories(args: argparse.Namespace, cwd: StrPath | None = None) -> list[History]:
    cwd = cwd or os.getcwd()
    use_cache = not getattr(args, "no_cache", False)
    return [load_history(s, cwd, use_cache) for s in setups_from_args(args, cwd)]
