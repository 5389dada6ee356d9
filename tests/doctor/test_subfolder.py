"""AG803 for a revision the config does not read: its file sits in a subfolder of a
version location, and alembic walks subfolders only with recursive_version_locations.
The revision exists, so doctor says to read the subfolder, never to purge the row."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from alembic import command

from .conftest import R4, Database, Run, alembic_config, execute, upgrade, write_revision
from .test_states import diagnosed

Doctor = Callable[..., Run]
R5 = "5e6f70819203"


def subfolder_revision(shop: Path) -> Path:
    """R5, above the shop's head, in versions/2024/ (moved there from versions/)."""
    path = write_revision(shop, R5, R4, '    op.add_column("customers", sa.Column("x", sa.Text))')
    folder = path.parent / "2024"
    folder.mkdir()
    return path.rename(folder / path.name)


def test_a_revision_in_a_subfolder_not_read_is_not_purged(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    moved = subfolder_revision(shop)
    upgrade(shop, db.url)
    execute(db.url, "ALTER TABLE customers ADD COLUMN x TEXT")
    execute(db.url, f"UPDATE alembic_version SET version_num = '{R5}'")
    result = diagnosed(run_doctor, shop, db)
    [finding] = result.findings
    message, fix = finding["message"], finding["fix"] or ""
    assert finding["code"] == "AG803"
    assert "--purge" not in message + fix
    shown = os.path.relpath(moved, shop)
    assert f"{R5} is defined in {shown}" in message
    assert "recursive_version_locations = true" in message + fix

    # Done as said, alembic reads the subfolder and the database is at head.
    ini = shop / "alembic.ini"
    ini.write_text(
        ini.read_text().replace("[alembic]\n", "[alembic]\nrecursive_version_locations = true\n")
    )
    command.current(alembic_config(shop, db.url))
    assert run_doctor(shop, db.url).code == 0


def test_versions_without_recursive_is_told_to_walk_subfolders(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    subfolder_revision(shop)
    upgrade(shop, sqlite_db.url)
    execute(sqlite_db.url, f"UPDATE alembic_version SET version_num = '{R5}'")
    versions = "migrations/versions"
    [finding] = diagnosed(run_doctor, shop, sqlite_db, "--versions", versions).findings
    assert "--purge" not in finding["message"] + (finding["fix"] or "")
    assert "--recursive" in finding["message"]
    result = run_doctor(shop, sqlite_db.url, "--versions", versions, "--recursive")
    assert result.code == 0
