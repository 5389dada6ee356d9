"""Finding the Alembic setup: alembic.ini, Flask-Migrate, pyproject.toml, flags.

Nothing here imports project code: `package:dir` script locations are found on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AlembicSetup:
    """One Alembic environment, as far as static reading can tell."""

    # The alembic.ini / pyproject.toml it came from; None when built from --versions.
    config_path: Path | None
    # The ini section (alembic's -n/--name), "alembic" by default.
    section: str
    # The folder holding env.py; None when built from --versions.
    script_location: Path | None
    # Folders holding revision files, in alembic's order.
    version_locations: tuple[Path, ...]
    recursive: bool = False
    sourceless: bool = False
    # A Flask-Migrate layout: fixes are also printed as `flask db ...`.
    flask: bool = False
    version_table: str = "alembic_version"
    version_table_schema: str | None = None
