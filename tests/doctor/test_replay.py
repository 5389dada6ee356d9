"""AG802 with `--replay`: the migrations replayed in a throwaway SQLite database, where
reading the revision files alone cannot decide."""

from __future__ import annotations

import io
import json
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import R2, R4, Database, Run, create_all, execute, stamp, upgrade, write_revision
from .test_states import diagnosed

Doctor = Callable[..., Run]
R5 = "5e6f70819203"
LOOP = """\
    for name in TAGS:
        op.create_table(name, sa.Column("id", sa.Integer, primary_key=True))
"""


def test_replay_decides_what_static_reading_cannot(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    write_revision(
        shop,
        R5,
        R4,
        LOOP,
        "tag tables",
        extra='TAGS = sorted({"tags", "post_tags"})  # built at run time',
    )
    upgrade(shop, db.url)
    stamp(shop, db.url, "base")
    static = run_doctor(shop, db.url, "--format", "json")
    [finding] = static.findings
    assert finding["code"] == "AG802"
    assert finding["fix"] is None
    assert "so this is not certain (run doctor again with --replay" in finding["message"]
    assert f"{R5}'s upgrade() cannot be read statically (line " in finding["message"]

    before = db.fingerprint()
    replayed = run_doctor(shop, db.url, "--replay", "--format", "json")
    assert db.fingerprint() == before
    [finding] = replayed.findings
    assert "compared with a replay of the migrations" in finding["message"]
    assert finding["fix"] == f"alembic stamp {R5}"


def test_replay_never_runs_env_py(sqlite_db: Database, shop: Path, run_doctor: Doctor) -> None:
    upgrade(shop, sqlite_db.url, R2)
    stamp(shop, sqlite_db.url, "base")
    env = shop / "migrations" / "env.py"
    env.write_text('raise RuntimeError("the project\'s env.py ran")\n')
    [finding] = run_doctor(shop, sqlite_db.url, "--replay", "--format", "json").findings
    assert finding["fix"] == f"alembic stamp {R2}"


def test_a_migration_sqlite_cannot_run_ends_the_replay(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    write_revision(
        shop, R5, R4, '    op.execute("CREATE EXTENSION IF NOT EXISTS hstore")', "hstore"
    )
    create_all(shop, sqlite_db.url)
    static = run_doctor(shop, sqlite_db.url, "--format", "json")
    [finding] = static.findings
    # Static reading sees no table change in R5, so R4 and R5 look alike.
    assert (
        f"match {R4} (rename order total to amount) or {R5} (hstore) equally" in finding["message"]
    )
    assert finding["fix"] is None

    [finding] = run_doctor(shop, sqlite_db.url, "--replay", "--format", "json").findings
    message = finding["message"]
    assert (
        f"The replay stopped at {R5} (migrations/versions/{R5}_hstore.py, line 14): "
        'OperationalError: near "EXTENSION": syntax error'
    ) in message
    # The schema matches R4, the last step replayed; R5 could not be run, so it may
    # match as well: no stamp is recommended.
    assert f"{R5} could not be replayed and may match too" in message
    assert finding["fix"] is None


def test_a_stopped_replay_still_decides_when_the_next_step_changes_tables(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    body = """\
    op.execute("CREATE EXTENSION IF NOT EXISTS hstore")
    op.create_table("prefs", sa.Column("id", sa.Integer, primary_key=True))
"""
    write_revision(shop, R5, R4, body, "prefs")
    create_all(shop, sqlite_db.url)
    [finding] = run_doctor(shop, sqlite_db.url, "--replay", "--format", "json").findings
    assert f"The replay stopped at {R5}" in finding["message"]
    assert finding["fix"] == f"alembic stamp {R4}"


def test_migration_output_stays_off_standard_output(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    write_revision(shop, R5, R4, '    print("backfilling...")', "noisy")
    upgrade(shop, sqlite_db.url)
    stamp(shop, sqlite_db.url, "base")
    result = run_doctor(shop, sqlite_db.url, "--replay", "--format", "json")
    assert "backfilling" not in result.out
    assert "backfilling" in result.err
    assert result.findings[0]["code"] == "AG802"


SECRET = "Replay-Secret-8a1"
LEAKY = """\
    import logging
    import os
    import sys
    pw = os.environ["DEPLOY_PASSWORD"]
    print("replaying with", pw)
    print("and", pw, file=sys.stderr)
    op.get_bind().engine.echo = True
    logging.getLogger("sqlalchemy.engine").warning("connected with %s", pw)
    op.execute(f"CREATE TABLE t_ok (id integer) -- {pw}")
    op.execute(f"CREATE EXTENSION hstore_{pw} -- {pw}")
"""


def test_replay_output_shows_no_password(
    sqlite_db: Database, shop: Path, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the replayed migrations print, log and echo (their SQL), and the statement the
    # replay stopped at, all carry a password the environment holds.
    monkeypatch.setenv("DEPLOY_PASSWORD", SECRET)
    write_revision(shop, R5, R4, LEAKY, "leaky")
    create_all(shop, sqlite_db.url)
    run = run_doctor(shop, sqlite_db.url, "--replay", "--format", "json")
    assert "replaying with ***" in run.err, run.err
    [finding] = run.findings
    assert f"The replay stopped at {R5}" in finding["message"]
    assert SECRET not in run.out + run.err


R6 = "6f7081920314"
# A step SQLite cannot replay (it has no ALTER COLUMN), then a table.
NOT_ON_SQLITE = """\
    op.execute("ALTER TABLE customers ALTER COLUMN name TYPE TEXT")
    op.create_table("prefs", sa.Column("id", sa.Integer, primary_key=True))
"""


def test_revisions_after_a_stopped_replay_are_not_called_unmatched(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    write_revision(shop, R5, R4, NOT_ON_SQLITE, "prefs")
    write_revision(shop, R6, R5, '    op.add_column("customers", sa.Column("phone", sa.Text))')
    # The database is at R6, made by hand: no version row.
    upgrade(shop, db.url, R4)
    stamp(shop, db.url, "base")
    execute(
        db.url,
        "CREATE TABLE prefs (id INTEGER PRIMARY KEY)",
        "ALTER TABLE customers ADD COLUMN phone TEXT",
    )
    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    message = finding["message"]
    assert f"the replay stopped at {R5}" in message
    assert "Its schema matches no revision (" not in message
    assert "stamping now would record a schema that is not there" not in message
    assert f"{R6} was not checked (the replay stopped at {R5})" in message
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"


def test_a_revision_after_a_stopped_replay_may_match_too(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    write_revision(shop, R5, R4, NOT_ON_SQLITE, "prefs")
    write_revision(shop, R6, R5, '    op.drop_table("prefs")', "drop prefs")
    upgrade(shop, db.url, R4)
    stamp(shop, db.url, "base")
    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    message = finding["message"]
    assert f"Its schema matches {R4} (rename order total to amount)" in message
    # R6 drops what R5 made: the database may be at R6 as well as at R4.
    assert f"{R6} was not checked (the replay stopped at {R5})" in message
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"


def test_the_replay_logs_no_step_of_its_own(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url)
    stamp(shop, sqlite_db.url, "base")
    # A program that logs alembic's INFO lines (as alembic.ini's logging section does).
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        result = run_doctor(shop, sqlite_db.url, "--replay", "--format", "json")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert result.findings[0]["fix"] == f"alembic stamp {R4}"
    assert "Running upgrade" not in log.getvalue()


SA14 = Path(__file__).resolve().parents[2] / ".venv-sa14" / "bin" / "python"


def test_replay_with_sqlalchemy_14(sqlite_db: Database, shop: Path) -> None:
    """--replay in a project pinned to SQLAlchemy 1.4 (scripts/test builds .venv-sa14)."""
    if not SA14.exists():
        pytest.skip("no .venv-sa14/ (scripts/test builds it)")
    upgrade(shop, sqlite_db.url)
    stamp(shop, sqlite_db.url, "base")
    before = sqlite_db.fingerprint()
    args = ["doctor", "--database-url", sqlite_db.url, "--replay", "--format", "json"]
    done = subprocess.run(
        [SA14, "-m", "alembic_gate", *args], cwd=shop, capture_output=True, text=True, timeout=300
    )
    assert sqlite_db.fingerprint() == before
    assert "Traceback" not in done.stderr, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert "compared with a replay of the migrations" in finding["message"]
    assert finding["fix"] == f"alembic stamp {R4}"


def test_a_dialect_branch_replayed_on_sqlite_is_not_certain(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    body = """\
    if op.get_context().dialect.name != "sqlite":
        op.add_column("customers", sa.Column("note", sa.Text))
"""
    write_revision(shop, R5, R4, body, "note")
    upgrade(shop, db.url)
    stamp(shop, db.url, "base")
    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    message = finding["message"]
    if db.kind == "sqlite":  # the replay ran the database's own branch
        assert "branches on the database" not in message
        return
    assert "Its schema matches no revision (" not in message
    assert f"{R5}'s upgrade() branches on the database (" in message
    assert finding["fix"] is None
    assert finding["confidence"] == "medium"


PREFIXED = """\
    prefix = op.get_context().opts["table_prefix"]
    op.create_table(f"{prefix}prefs", sa.Column("id", sa.Integer, primary_key=True))
"""


def test_why_a_revision_could_not_be_replayed_is_said(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # fief's revisions read op.get_context().opts["table_prefix"], which its env.py sets
    # and the replay's does not: the KeyError was dropped, and AG802 said only that the
    # revision "could not be replayed and may match too".
    write_revision(shop, R5, R4, PREFIXED, "prefs")
    execute(db.url, "CREATE TABLE shop_prefs (id INTEGER PRIMARY KEY)")
    [finding] = diagnosed(run_doctor, shop, db, "--replay").findings
    message = finding["message"]
    assert "no revision doctor could read creates it (shop_prefs)" in message, message
    assert f"{R5} could not be replayed and may match too" in message
    assert (
        f"The replay stopped at {R5} (migrations/versions/{R5}_prefs.py, line 14): "
        "KeyError: 'table_prefix'"
    ) in message
    assert finding["fix"] is None


def test_the_replay_error_is_short_and_masked(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    body = '    raise RuntimeError("cannot reach postgresql://app:Hunter-2x@db/app " + "x" * 500)'
    write_revision(shop, R5, R4, body, "remote")
    create_all(shop, sqlite_db.url)
    [finding] = diagnosed(run_doctor, shop, sqlite_db, "--replay").findings
    message = finding["message"]
    assert (
        f"The replay stopped at {R5} (migrations/versions/{R5}_remote.py, line 14): "
        "RuntimeError: cannot reach postgresql://app:***@db/app xxx"
    ) in message, message
    assert "Hunter-2x" not in message
    assert "x" * 200 not in message
    assert message.endswith("x...")
