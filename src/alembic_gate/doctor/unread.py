"""A revision the database names that is defined in a folder the config does not read.

alembic reads only the top of each version location unless `recursive_version_locations`
is true (alembic-gate: `--recursive` with `--versions`). A revision file in a subfolder
then looks unknown (AG803), although it exists: the fix is to read the subfolder, never
to replace the database's row.
"""

from __future__ import annotations

from pathlib import Path

from alembic_gate.history.revisions import read_revision
from alembic_gate.setup.discovery import AlembicSetup, revision_folders_near
from alembic_gate.shared.paths import display_path


def unread_definition(setup: AlembicSetup, revision: str, cwd: Path) -> str | None:
    """The file (as shown) in a subfolder of a version location, not read by `setup`,
    that defines `revision`; None when there is none."""
    if setup.recursive:
        return None
    for folder, _ in sorted(revision_folders_near(setup)):
        for path in sorted(Path(folder).glob("*.py")):
            if read_revision(path, cwd).revision == revision:
                return display_path(path, cwd)
    return None


def advice(setup: AlembicSetup, cwd: Path) -> tuple[str, str | None]:
    """How to make the setup read subfolders: a sentence, and the fix line (None when the
    only change is a flag of alembic-gate's own)."""
    if setup.config_path is None:
        return (
            "alembic-gate reads only the top of each --versions folder unless asked: run it "
            "again with --recursive (and make alembic's config read that folder too)",
            None,
        )
    config = display_path(setup.config_path, cwd)
    where = "[tool.alembic]" if config.endswith(".toml") else f"[{setup.section}]"
    setting = "recursive_version_locations = true"
    return (
        f"{config} does not set recursive_version_locations, so alembic reads only the top "
        f"of each version location: set `{setting}` in its {where} section (or name that "
        "folder in version_locations)",
        f"{setting}  # in {config}, section {where}",
    )
