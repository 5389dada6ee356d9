"""AG802 never states a guess as certain: when a revision's upgrade() is only partly read
(SQL built at run time, tables made in a loop), the verdict says so and gives no fix, even
when the revision is not below the one the schema seems to match."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    BACKENDS,
    R3,
    R4,
    Database,
    Run,
    _database,
    stamp,
    upgrade,
    write_revision,
)
from .test_states import diagnosed

Doctor = Callable[..., Run]


@pytest.fixture(params=[p for p in BACKENDS if p.id in ("sqlite", "postgres")])
def sql_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A scratch SQLite or local PostgreSQL database (what the alias tests need)."""
    yield from _database(request, request.param, tmp_path)


def at_base(run_doctor: Doctor, shop: Path, db: Database) -> dict[str, Any]:
    """doctor's one finding on a database upgraded to the shop's head, then stamped base
    (its tables left as the revisions made them)."""
    upgrade(shop, db.url)
    stamp(shop, db.url, "base")
    [finding] = diagnosed(run_doctor, shop, db).findings
    return finding


R5 = "5e6f70819203"
# SQL that static reading cannot see: built when the revision runs.
RUNTIME_SQL = 'SQL = " ".join(["ALTER TABLE", "{table}", "{change}"])'


def runtime_sql(shop: Path, table: str, change: str, message: str) -> None:
    """R5, above the shop's head, runs `ALTER TABLE table change` built at run time."""
    extra = RUNTIME_SQL.format(table=table, change=change)
    write_revision(shop, R5, R4, "    op.execute(SQL)", message, extra=extra)


def test_a_match_below_a_revision_not_read_is_not_certain(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # R5 undoes R4's rename, so the schema at R5 looks like R3's to static reading.
    runtime_sql(shop, "orders", "RENAME COLUMN amount TO total", "rename amount back")
    finding = at_base(run_doctor, shop, db)
    message = finding["message"]
    assert finding["code"] == "AG802"
    assert finding["fix"] is None  # `alembic stamp R3` would run R4 and R5 again
    assert finding["confidence"] == "medium"
    assert f"matches {R3} (add customer email)" in message
    assert f"{R5}'s upgrade() cannot be read statically (line " in message
    assert "so this is not certain (run doctor again with --replay" in message

    # Replayed, R5's schema is R3's again: the two are told apart by no table or column.
    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    assert (
        f"match {R3} (add customer email) or {R5} (rename amount back) equally"
        in (finding["message"])
    )
    assert finding["fix"] is None


def test_no_match_is_not_certain_when_a_revision_was_not_read(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    runtime_sql(shop, "customers", "ADD COLUMN phone VARCHAR(20)", "add phone")
    finding = at_base(run_doctor, shop, db)
    message = finding["message"]
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"
    assert "column customers.phone is extra" in message
    assert "Its schema matches no revision (" not in message
    assert "stamping now would record a schema that is not there" not in message
    assert f"doctor could not verify it: {R5}'s upgrade() cannot be read statically" in message
    assert "run doctor again with --replay" in message

    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    assert finding["fix"] == f"alembic stamp {R5}"


LOOP = """\
    for name in TABLES:
        op.create_table(name, sa.Column("id", sa.Integer, primary_key=True))
"""


def test_tables_made_in_a_loop_are_not_called_another_databases(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    versions = shop / "migrations" / "versions"
    for path in versions.glob("*.py"):
        path.unlink()
    shutil.rmtree(versions / "__pycache__", ignore_errors=True)
    write_revision(shop, R5, None, LOOP, "tag tables", extra='TABLES = sorted({"tags", "labels"})')
    finding = at_base(run_doctor, shop, db)
    message = finding["message"]
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"
    assert "is this the right database" not in message
    assert f"{R5}'s upgrade() cannot be read statically (line " in message
    assert "so this is not certain" in message

    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    assert finding["fix"] == f"alembic stamp {R5}"


HELPER = """\
from alembic import op
import sqlalchemy as sa


def add_phone():
    op.add_column("customers", sa.Column("phone", sa.String(20)))
"""


def test_a_helper_imported_from_the_project_is_not_read(
    db: Database, shop: Path, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    (shop / "shop_migrations.py").write_text(HELPER)
    # alembic.ini's prepend_sys_path = . is the current folder; Python's import caches
    # may still hold another test's "." listing, which syspath_prepend clears.
    monkeypatch.chdir(shop)
    monkeypatch.syspath_prepend(str(shop))
    extra = "from shop_migrations import add_phone"
    write_revision(shop, R5, R4, "    add_phone()", "add phone", extra=extra)
    finding = at_base(run_doctor, shop, db)
    message = finding["message"]
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"
    assert "Its schema matches no revision (" not in message
    assert f"{R5}'s upgrade() cannot be read statically (line " in message
    assert "upgrade() calls add_phone() from shop_migrations, which doctor does not read" in message

    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    assert finding["fix"] == f"alembic stamp {R5}"


# R5 calls shop_migrations.add_phone (HELPER) through an alias: (the lines above
# upgrade(), its body, the call as doctor names it).
ALIASES = {
    "module": (
        "import shop_migrations\nhelper = shop_migrations.add_phone",
        "    helper()",
        "helper() (shop_migrations.add_phone from shop_migrations)",
    ),
    "local": (
        "from shop_migrations import add_phone as phone",
        "    add = phone\n    add()",
        "add() (add_phone from shop_migrations)",
    ),
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_a_helper_reached_through_an_alias_is_not_read(
    sql_db: Database,
    shop: Path,
    run_doctor: Doctor,
    monkeypatch: pytest.MonkeyPatch,
    alias: str,
) -> None:
    # Neither read nor counted as unread, the alias made R5 look empty: the schema
    # (with the phone column) matched no revision, stated as certain.
    (shop / "shop_migrations.py").write_text(HELPER)
    monkeypatch.chdir(shop)
    monkeypatch.syspath_prepend(str(shop))
    extra, body, called = ALIASES[alias]
    write_revision(shop, R5, R4, body, "add phone", extra=extra)
    finding = at_base(run_doctor, shop, sql_db)
    message = finding["message"]
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"
    assert "Its schema matches no revision (" not in message
    assert f"upgrade() calls {called}, which doctor does not read" in message


OP_ALIASES = """\
    o = op
    o.add_column("customers", sa.Column("phone", sa.String(20)))
    add = o.add_column
    add("customers", sa.Column("fax", sa.String(20)))
    _add_column(o, "orders", "note")
"""
ADD_COLUMN = """\
def _add_column(ops, table, name):
    ops.add_column(table, sa.Column(name, sa.Text()))
"""


def test_operations_through_an_alias_of_op_are_read(
    sql_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # Unread, R5 looked empty: its three columns were called extra, the schema matched
    # no revision, and no fix was given.
    write_revision(shop, R5, R4, OP_ALIASES, "add contact columns", extra=ADD_COLUMN)
    finding = at_base(run_doctor, shop, sql_db)
    assert finding["code"] == "AG802"
    assert finding["fix"] == f"alembic stamp {R5}"
    assert finding["confidence"] == "high"
    assert "cannot be read statically" not in finding["message"]
