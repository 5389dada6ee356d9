"""Pieces the graph rules (AG001-AG009) share: commands, literals, near ids."""

from __future__ import annotations

import difflib
import json
import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic_gate.discovery import AlembicSetup
from alembic_gate.graph import RevisionGraph
from alembic_gate.revisions import display_path
from alembic_gate.rules import LintContext


def alembic_command(setup: AlembicSetup, cwd: Path, subcommand: str, rest: str) -> str:
    """`alembic [-c CONFIG] [-n NAME] SUBCOMMAND REST`, as run from `cwd`."""
    words = ["alembic"]
    config = setup.config_path
    defaults = {(cwd / "alembic.ini").resolve(), (cwd / "pyproject.toml").resolve()}
    if config is not None and config.resolve() not in defaults:
        words += ["-c", shlex.quote(display_path(config, cwd))]
    if setup.section != "alembic":
        words += ["-n", shlex.quote(setup.section)]
    return " ".join([*words, subcommand, rest])


def flask_command(setup: AlembicSetup, cwd: Path, subcommand: str, rest: str) -> str:
    """`flask db SUBCOMMAND [-d DIRECTORY] REST` (Flask-Migrate's default: migrations)."""
    words = ["flask", "db", subcommand]
    folder = setup.script_location
    if folder is not None and folder.resolve() != (cwd / "migrations").resolve():
        words += ["-d", shlex.quote(display_path(folder, cwd))]
    return " ".join([*words, rest])


def command(ctx: LintContext, subcommand: str, rest: str) -> str:
    """The command a user of this setup runs: `flask db ...` for Flask-Migrate."""
    if ctx.setup.flask:
        return flask_command(ctx.setup, ctx.cwd, subcommand, rest)
    return alembic_command(ctx.setup, ctx.cwd, subcommand, rest)


def ids_literal(ids: Sequence[str]) -> str:
    """A Python literal for `down_revision = ...` in alembic's template style."""
    if not ids:
        return "None"
    if len(ids) == 1:
        return json.dumps(ids[0])
    return "(" + ", ".join(json.dumps(rid) for rid in ids) + ")"


def near(target: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that look most like `target`, best first."""
    return difflib.get_close_matches(target, sorted(set(candidates)), n=3, cutoff=0.6)


def quoted(ids: Iterable[str]) -> str:
    return ", ".join(repr(rid) for rid in ids)


def unreadable_note(graph: RevisionGraph, sourceless: Sequence[str] = ()) -> str:
    """A caveat for shape findings while some revision files could not be read."""
    count = len(graph.unparsable) + len(sourceless)
    if not count:
        return ""
    files = "file" if count == 1 else "files"
    return f" ({count} revision {files} could not be read (AG007): fix that first)"


def without_own_label(graph: RevisionGraph, ids: Sequence[str]) -> list[str]:
    """The `ids` (heads, bases) that carry no branch label the others lack: those that
    `label@head` / `label@base` cannot single out."""
    labels = graph.labels()
    counts = Counter(label for rid in ids for label in labels[rid])
    return [rid for rid in ids if all(counts[label] > 1 for label in labels[rid])]
