"""AG011 empty-history: a setup whose version locations hold no revision file.

Every other rule passes over an empty history, so without this a misconfigured setup
(revision files in subfolders alembic is not told to walk, a script_location with no
versions/ folder) would pass silently, checked over nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.rules import LintContext
from alembic_gate.setup.discovery import AlembicSetup, revision_folders_near
from alembic_gate.shared.paths import below, display_path

RULE = rule("AG011")
_SHOWN = 4


def check(ctx: LintContext) -> Iterator[Finding]:
    if ctx.graph.files or ctx.sourceless:
        return
    setup = ctx.setup
    places = ", ".join(_shown(folder, ctx.cwd) for folder in setup.version_locations)
    message = f"no revision file in {places}, so nothing in this setup was checked"
    missing = [loc for loc in setup.version_locations if not os.path.isdir(loc)]
    if missing and setup.script_location is not None:
        message += _missing(missing, setup.script_location, ctx.cwd)
    near = revision_folders_near(setup)
    fix = None
    if near:
        message += ": " + _where(near, setup, ctx.cwd)
        fix = _fix(near, setup)
    elif not missing:
        message += " (a new project: `alembic revision` writes the first one)"
    path = setup.config_path or setup.version_locations[0]
    yield RULE.finding(message, path=display_path(path, ctx.cwd), fix=fix)


def _missing(missing: list[str], script_location: str, cwd: str) -> str:
    """Which version locations do not exist: the default versions/, or the ones the
    config names (alembic skips both)."""
    if missing == [os.path.join(script_location, "versions")]:
        return f" (script_location {_shown(script_location, cwd)} has no versions/ folder)"
    verb = "does" if len(missing) == 1 else "do"
    return f" ({', '.join(_shown(folder, cwd) for folder in missing)} {verb} not exist)"


def _shown(folder: str, cwd: str) -> str:
    return display_path(folder, cwd) + "/"


def _where(near: list[tuple[str, int]], setup: AlembicSetup, cwd: str) -> str:
    total = sum(count for _, count in near)
    folders = ", ".join(_shown(folder, cwd) for folder, _ in near[:_SHOWN])
    more = f" and {len(near) - _SHOWN} more" if len(near) > _SHOWN else ""
    files = "file lies" if total == 1 else "files lie"
    text = f"{total} revision {files} in {folders}{more}"
    if _below_locations(near, setup):
        how = (
            "`--recursive` with --versions"
            if setup.config_path is None
            else "`recursive_version_locations = true`"
        )
        return (
            f"{text}, below the version locations: alembic reads subfolders only with "
            f"{how}; where each folder is a history of its own (per-dialect folders "
            "chosen in env.py), lint each with `--versions DIR`"
        )
    return f"{text}: name them in `version_locations` (or lint them with `--versions DIR`)"


def _below_locations(near: list[tuple[str, int]], setup: AlembicSetup) -> bool:
    return all(any(below(folder, loc) for loc in setup.version_locations) for folder, _ in near)


def _fix(near: list[tuple[str, int]], setup: AlembicSetup) -> str | None:
    if not _below_locations(near, setup):
        return None
    if setup.config_path is None:
        return "alembic-gate lint --versions DIR --recursive"
    return "recursive_version_locations = true"
