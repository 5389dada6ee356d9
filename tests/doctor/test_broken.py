"""A history alembic cannot load: doctor says so first and prints no alembic fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import R2, R4, Database, Run, execute, upgrade, write_revision

Doctor = Callable[..., Run]
SIDE = "5e6f70819203"


def _dangling_parent(shop: Path) -> str:
    write_revision(shop, SIDE, "0badc0ffee00", "    pass")
    return f"{SIDE}'s down_revision names 0badc0ffee00, which no revision file defines (AG002)"


def _dangling_dependency(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass", extra="depends_on = 'nosuchlabel'")
    return f"{SIDE}'s depends_on names nosuchlabel, which is no revision or branch label (AG003)"


def _cycle(shop: Path) -> str:
    write_revision(shop, SIDE, "6f7081920314", "    pass")
    write_revision(shop, "6f7081920314", SIDE, "    pass")
    return f"revisions {SIDE} -> 6f7081920314 -> {SIDE} need each other (AG005)"


def _same_label(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass", extra="branch_labels = ('audit',)")
    write_revision(shop, "6f7081920314", R2, "    pass", extra="branch_labels = ('audit',)")
    return f"branch label audit is on both {SIDE} and 6f7081920314 (AG006)"


@pytest.mark.parametrize("breaks", [_dangling_parent, _dangling_dependency, _cycle, _same_label])
def test_a_broken_history_is_named_first_and_gets_no_alembic_fix(
    sqlite_db: Database, shop: Path, run_doctor: Doctor, breaks: Callable[[Path], str]
) -> None:
    upgrade(shop, sqlite_db.url, R2)
    problem = breaks(shop)  # after upgrading: alembic cannot load the history now
    result = run_doctor(shop, sqlite_db.url, "--format", "json")
    assert result.code == 1
    [finding] = result.findings
    assert finding["message"].startswith("The history is broken: alembic cannot load it, ")
    assert problem in finding["message"]
    assert finding["fix"] is None
    assert "Traceback" not in result.err


def test_a_database_at_the_heads_of_a_broken_history_is_told(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url)
    _dangling_parent(shop)
    execute(sqlite_db.url, f"INSERT INTO alembic_version (version_num) VALUES ('{SIDE}')")
    result = run_doctor(shop, sqlite_db.url)
    assert f"is at head ({R4}, {SIDE}); but the history is broken: alembic cannot load it" in (
        result.err
    )
    assert "`alembic-gate lint`" in result.err
