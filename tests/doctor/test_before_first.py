"""AG802 on a database that holds the tables a history starts from (MLflow's first
revision, 451aebb31d03, alters tables that `InitialBase.metadata.create_all` made): the
schema is the one before the first revision, which `alembic upgrade heads` expects. The
printed fix is run and doctor must pass after it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Database, Run, execute, stamp, upgrade, write_revision
from .test_states import diagnosed
from .test_unknown_revision import run_fix

Doctor = Callable[..., Run]
B1, B2 = "b1b1b1b1b1b1", "b2b2b2b2b2b2"
# The tables the history starts from (made outside alembic, as MLflow's create_all does).
INITIAL = (
    "CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, name VARCHAR(250))",
    "CREATE TABLE metrics (run_uuid VARCHAR(32), mkey VARCHAR(250), value FLOAT)",
)


@pytest.fixture
def tracker(shop: Path, db: Database) -> Path:
    """A history whose first revision alters runs and metrics, which it never creates;
    alembic.ini points at the test's database, so the printed fix runs as it is."""
    for path in (shop / "migrations" / "versions").glob("*.py"):
        path.unlink()
    shutil.rmtree(shop / "migrations" / "versions" / "__pycache__", ignore_errors=True)
    write_revision(
        shop,
        B1,
        None,
        '    op.add_column("metrics", sa.Column("step", sa.Integer(), nullable=False,'
        ' server_default="0"))\n'
        '    with op.batch_alter_table("runs") as batch_op:\n'
        '        batch_op.create_index("ix_runs_name", ["name"])',
        "add metric step",
    )
    write_revision(
        shop,
        B2,
        B1,
        '    op.create_table("latest_metrics", sa.Column("run_uuid", sa.String(32)))',
        "create latest metrics",
    )
    ini = shop / "alembic.ini"
    url = db.url.replace("%", "%%")
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", url))
    return shop


def test_tables_the_first_revision_alters_mean_upgrade(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    execute(db.url, *INITIAL)
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert finding["code"] == "AG802"
    message = finding["message"]
    assert "is this the right database" not in message
    assert f"before the first revision, {B1} (add metric step)" in message
    assert finding["fix"] == "alembic upgrade heads"
    run_fix(tracker, finding["fix"])
    assert run_doctor(tracker, db.url).code == 0


def test_past_the_first_revision_is_stamped(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    execute(db.url, *INITIAL, "ALTER TABLE metrics ADD COLUMN step INTEGER")
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert finding["code"] == "AG802"
    assert f"Its schema matches {B1} (add metric step)" in finding["message"]
    assert finding["fix"] == f"alembic stamp {B1}"
    run_fix(tracker, finding["fix"])
    [behind] = diagnosed(run_doctor, tracker, db).findings
    assert behind["code"] == "AG801"
    assert behind["fix"] == "alembic upgrade heads"
    run_fix(tracker, behind["fix"])
    assert run_doctor(tracker, db.url).code == 0


def test_a_column_the_history_drops_is_missing(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    write_revision(
        tracker, "b3b3b3b3b3b3", B2, '    op.drop_column("runs", "name")', "drop run name"
    )
    execute(
        db.url,
        "CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY)",
        INITIAL[1],
    )
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert finding["code"] == "AG802"
    assert "column runs.name is missing" in finding["message"]
    assert finding["fix"] is None


def test_a_table_the_history_creates_is_not_the_start(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    execute(db.url, *INITIAL, "CREATE TABLE latest_metrics (run_uuid VARCHAR(32))")
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert finding["fix"] != "alembic upgrade heads"


def test_unrelated_tables_still_ask_for_the_right_database(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    execute(db.url, "CREATE TABLE invoices (id INTEGER)")
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert "no revision creates it (invoices): is this the right database?" in finding["message"]
    assert finding["fix"] is None


def test_upgrade_from_the_start_is_what_alembic_does(db: Database, tracker: Path) -> None:
    execute(db.url, *INITIAL)
    upgrade(tracker, db.url)


def test_replay_starts_from_the_tables_the_history_starts_from(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    execute(db.url, *INITIAL)
    upgrade(tracker, db.url)
    stamp(tracker, db.url, "base")
    [finding] = diagnosed(run_doctor, tracker, db, "--replay").findings
    message = finding["message"]
    assert "the replay stopped" not in message
    assert "compared with a replay of the migrations" in message
    assert "The replay started from the tables the history starts from: metrics, runs" in message
    assert finding["fix"] == f"alembic stamp {B2}"


def test_replay_compares_the_tables_the_history_starts_from(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    # At head, but without the column the first revision adds to metrics.
    execute(db.url, *INITIAL, "CREATE TABLE latest_metrics (run_uuid VARCHAR(32))")
    [finding] = diagnosed(run_doctor, tracker, db, "--replay").findings
    message = finding["message"]
    assert "the replay stopped" not in message
    assert f"the nearest is {B2} (create latest metrics), but: column metrics.step is" in message
    assert finding["fix"] is None


def test_reading_the_files_compares_the_tables_the_history_starts_from(
    db: Database, tracker: Path, run_doctor: Doctor
) -> None:
    # Past b2 (latest_metrics is there), but without the column b1 adds to metrics.
    execute(db.url, *INITIAL, "CREATE TABLE latest_metrics (run_uuid VARCHAR(32))")
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert "column metrics.step is missing" in finding["message"]
    assert finding["fix"] is None
    execute(db.url, "ALTER TABLE metrics ADD COLUMN step INTEGER")
    [finding] = diagnosed(run_doctor, tracker, db).findings
    assert finding["fix"] == f"alembic stamp {B2}"
