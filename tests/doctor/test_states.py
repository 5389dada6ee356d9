"""Every state doctor diagnoses, made for real with alembic on every engine; each run
must leave the database exactly as it was."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from .conftest import (
    PASSWORD,
    R1,
    R2,
    R3,
    R4,
    REVISION_FILES,
    Database,
    Run,
    alembic_config,
    create_all,
    downgrade,
    execute,
    stamp,
    upgrade,
    write_revision,
)

Doctor = Callable[..., Run]


def diagnosed(run_doctor: Doctor, project: Path, db: Database, *args: str) -> Run:
    """Run doctor (JSON report) and check it changed nothing and printed no password."""
    before = db.fingerprint()
    result = run_doctor(project, db.url, "--format", "json", *args)
    assert db.fingerprint() == before
    assert PASSWORD not in result.out + result.err
    assert "Traceback" not in result.err
    return result


def test_at_head_is_one_line_and_exit_0(db: Database, shop: Path, run_doctor: Doctor) -> None:
    upgrade(shop, db.url)
    before = db.fingerprint()
    result = run_doctor(shop, db.url)
    assert db.fingerprint() == before
    assert result.code == 0
    assert result.out == "All checks passed.\n"
    [line] = result.err.splitlines()
    assert f"is at head ({R4})" in line
    assert "URL from --database-url" in line
    assert PASSWORD not in line


def test_behind_lists_pending_revisions_in_order(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, db.url, R2)
    result = diagnosed(run_doctor, shop, db)
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG801"
    assert finding["path"] == REVISION_FILES[R3]
    message = finding["message"]
    assert f"is at {R2}; 2 revisions pending" in message
    assert message.index(R3) < message.index(R4)
    assert "(add customer email)" in message
    assert finding["fix"] == "alembic upgrade heads"


def test_empty_database(db: Database, shop: Path, run_doctor: Doctor) -> None:
    db.touch()
    result = diagnosed(run_doctor, shop, db)
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG804"
    assert "no alembic_version table" in finding["message"]
    assert "4 revisions to apply" in finding["message"]
    assert finding["fix"] == "alembic upgrade heads"


def test_downgraded_to_base_is_empty(db: Database, shop: Path, run_doctor: Doctor) -> None:
    upgrade(shop, db.url)
    downgrade(shop, db.url, "base")
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert finding["code"] == "AG804"
    assert "alembic_version table is empty" in finding["message"]


def test_create_all_matches_head(db: Database, shop: Path, run_doctor: Doctor) -> None:
    create_all(shop, db.url)
    result = diagnosed(run_doctor, shop, db)
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG802"
    assert "has 2 tables but no version row (it has no alembic_version table)" in finding["message"]
    assert f"matches {R4} (rename order total to amount)" in finding["message"]
    assert finding["fix"] == f"alembic stamp {R4}"
    assert finding["path"] == REVISION_FILES[R4]


def test_unstamped_schema_matches_its_revision(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, db.url, R2)
    stamp(shop, db.url, "base")
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert finding["code"] == "AG802"
    assert "alembic_version table is empty" in finding["message"]
    assert finding["fix"] == f"alembic stamp {R2}"


def test_schema_matching_no_revision_is_never_stamped(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, db.url, R3)
    stamp(shop, db.url, "base")
    execute(
        db.url,
        "ALTER TABLE customers ADD COLUMN phone VARCHAR(20)",
        "CREATE TABLE notes (id INTEGER)",
    )
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert finding["code"] == "AG802"
    assert finding["fix"] is None
    message = finding["message"]
    assert "matches no revision" in message
    assert f"the nearest is {R3}" in message
    assert "column customers.phone is extra" in message
    assert "left out of the comparison: notes" in message


def test_tables_of_another_application(db: Database, shop: Path, run_doctor: Doctor) -> None:
    execute(db.url, "CREATE TABLE invoices (id INTEGER)")
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert finding["code"] == "AG802"
    assert "no revision creates it (invoices): is this the right database?" in finding["message"]
    assert finding["fix"] is None


def test_revision_file_gone(db: Database, shop: Path, run_doctor: Doctor) -> None:
    upgrade(shop, db.url)
    (shop / REVISION_FILES[R4]).unlink()
    result = diagnosed(run_doctor, shop, db)
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG803"
    assert (
        f"alembic_version names revision {R4}, which no revision file defines" in finding["message"]
    )
    assert "not in a git repository" in finding["message"]


def test_database_on_one_of_two_unlabelled_heads(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    r5 = "5e6f70819203"
    write_revision(
        shop,
        r5,
        R2,
        '    op.create_table("coupons", sa.Column("id", sa.Integer, primary_key=True))',
        "create coupons",
    )
    upgrade(shop, db.url, R4)
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert finding["code"] == "AG801"
    message = finding["message"]
    assert f"2 heads that no branch label tells apart ({R4}, {r5}): merge them (AG001)" in message
    assert f"on the branch of head {R4}" in message
    assert f"towards head {r5}: {r5} (create coupons)" in message
    assert finding["fix"] == f'alembic merge -m "merge heads" {R4} {r5}\nalembic upgrade head'


def test_labelled_branch_behind(db: Database, shop: Path, run_doctor: Doctor) -> None:
    a1, a2 = "a1a1a1a1a1a1", "a2a2a2a2a2a2"
    create = '    op.create_table("{}", sa.Column("id", sa.Integer, primary_key=True))'
    write_revision(
        shop, a1, None, create.format("audit_log"), "audit log", "branch_labels = ('audit',)"
    )
    write_revision(shop, a2, a1, create.format("audit_detail"), "audit detail")
    upgrade(shop, db.url, R4)
    upgrade(shop, db.url, a1)
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert finding["code"] == "AG801"
    assert (
        "1 revision pending on 1 branch: branch audit: a2a2a2a2a2a2 (audit detail)"
        in (finding["message"])
    )
    assert finding["fix"] == "alembic upgrade audit@head"


def test_at_both_unlabelled_heads_passes_but_asks_for_a_merge(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    r5 = "5e6f70819203"
    write_revision(shop, r5, R2, "    pass", "side branch")
    upgrade(shop, db.url)
    result = run_doctor(shop, db.url)
    assert result.code == 0
    [line] = result.err.splitlines()
    assert f"is at head ({R4}, {r5}); but the history has 2 heads that need a merge" in line
    assert f'`alembic merge -m "merge heads" {R4} {r5}`' in line


def test_ignored_code_does_not_fail_the_run(db: Database, shop: Path, run_doctor: Doctor) -> None:
    upgrade(shop, db.url, R2)
    result = run_doctor(shop, db.url, "--ignore", "AG801", "--format", "json")
    assert result.code == 0
    assert result.findings == []


def test_a_revision_and_its_ancestor_in_the_version_table(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # alembic refuses this table ("Requested revision ... overlaps with other requested
    # revisions"), and `alembic check` says the database is not up to date.
    upgrade(shop, db.url)
    execute(db.url, f"INSERT INTO alembic_version (version_num) VALUES ('{R2}')")
    result = diagnosed(run_doctor, shop, db)
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG801"
    assert finding["path"] == REVISION_FILES[R2]
    assert f"holds {R4} and its ancestor {R2}" in finding["message"]
    assert finding["fix"] == f"alembic stamp --purge {R4}"
    # The printed fix works: after it, alembic upgrades and doctor passes.
    command.stamp(alembic_config(shop, db.url), R4, purge=True)
    upgrade(shop, db.url)
    assert run_doctor(shop, db.url).code == 0


def test_redundant_rows_below_a_database_that_is_behind(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, db.url, R3)
    execute(db.url, f"INSERT INTO alembic_version (version_num) VALUES ('{R1}')")
    execute(db.url, f"INSERT INTO alembic_version (version_num) VALUES ('{R2}')")
    [finding] = diagnosed(run_doctor, shop, db).findings
    assert f"holds {R3} and its ancestors {R1}, {R2}" in finding["message"]
    assert finding["fix"] == f"alembic stamp --purge {R3}\nalembic upgrade heads"
    command.stamp(alembic_config(shop, db.url), R3, purge=True)
    upgrade(shop, db.url)
    assert run_doctor(shop, db.url).code == 0


def test_a_revision_that_failed_half_way(db: Database, shop: Path, run_doctor: Doctor) -> None:
    # MySQL and MariaDB commit each DDL statement: the failed upgrade keeps the table it
    # made and no version row, and `upgrade heads` would fail on it ("already exists").
    r5 = "5e6f708192a3"
    path = write_revision(
        shop,
        r5,
        R4,
        "    op.create_table('invoices', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.add_column('customers', sa.Column('phone', sa.String(40)))\n"
        "    op.execute('SELECT * FROM no_such_table')",
        message="add invoices",
    )
    upgrade(shop, db.url, R4)
    with contextlib.suppress(Exception):
        upgrade(shop, db.url)
    engine = sa.create_engine(db.url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        kept = sa.inspect(conn).has_table("invoices")
    engine.dispose()
    # PostgreSQL rolls the revision back; Python's sqlite3 commits DDL as MariaDB does.
    assert kept == (db.kind != "postgresql"), db.kind
    result = diagnosed(run_doctor, shop, db)
    [finding] = result.findings
    assert finding["code"] == "AG801" and finding["path"] == f"migrations/versions/{path.name}"
    message = finding["message"]
    if not kept:
        assert "already" not in message and finding["fix"] == "alembic upgrade heads"
        return
    assert (
        f"But {r5}'s upgrade would fail at once: table invoices, column customers.phone, "
        "which it makes, are there already (" in message
    )
    assert "commit" in message and f"`alembic stamp {r5}` instead of upgrading" in message
    assert finding["fix"] == (
        "# first drop table invoices, column customers.phone (or stamp 5e6f708192a3 if all of "
        "it ran), then:\nalembic upgrade heads"
    )
    # What doctor says is so: the advised upgrade fails on that table until it is gone.
    with pytest.raises(sa.exc.OperationalError, match="already exists"):
        upgrade(shop, db.url)
