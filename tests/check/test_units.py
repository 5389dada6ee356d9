"""The check package's pieces on their own: placeholders, locating, drivers, snapshots."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import installed
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from alembic_gate.check import stuck
from alembic_gate.check.locate import Models, ProjectFiles, created_in, deepest_in, real
from alembic_gate.check.protocol import DatabaseSpec, Request, fill, tell, told
from alembic_gate.check.roundtrip import differences
from alembic_gate.check.targets import connect, same_database, with_driver


def test_request_round_trips_through_json() -> None:
    request = Request(
        cwd="/p",
        config_path="/p/alembic.ini",
        section="alembic",
        script_location="/p/migrations",
        flask=False,
        database=DatabaseSpec("server", url="postgresql://u:p@h/d", prefix="alembic_gate_0"),
        x_args=["a=b"],
        env={"POSTGRES_SERVER": "{host}"},
    )
    assert Request.from_json(request.to_json()) == request


def test_placeholders_are_filled_and_other_braces_kept() -> None:
    values = {"url": "postgresql://u:p@h:1/d", "host": "h", "port": "1"}
    assert fill("{url}", values) == "postgresql://u:p@h:1/d"
    assert fill("{host}:{port}", values) == "h:1"
    assert fill('["a"] {"k": 1} {{host}}', values) == '["a"] {"k": 1} {host}'
    with pytest.raises(ValueError, match=r"unknown placeholder \{db\}"):
        fill("{db}", values)


def _module(path: Path, source: str) -> ModuleType:
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"unit_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_deepest_frame_in_the_given_files(tmp_path: Path) -> None:
    helper = _module(tmp_path / "helper.py", "def boom():\n    raise ValueError('x')\n")
    revision = _module(
        tmp_path / "rev.py",
        "def upgrade(helper):\n    x = 1\n    helper.boom()\n",
    )
    with pytest.raises(ValueError) as caught:
        revision.upgrade(helper)
    assert deepest_in(caught.value, [real(str(tmp_path / "rev.py"))]) == (
        real(str(tmp_path / "rev.py")),
        3,
    )
    project = ProjectFiles(str(tmp_path))
    assert project.deepest(caught.value) == (real(str(tmp_path / "helper.py")), 2)


def test_created_in_picks_the_first_revision_and_its_downgrade(tmp_path: Path) -> None:
    old = tmp_path / "a.py"
    old.write_text("def upgrade():\n    op.create_table('tags')\n\n\ndef downgrade():\n    pass\n")
    multidb = tmp_path / "b.py"
    multidb.write_text(
        "def upgrade_engine2():\n    op.add_column('tags', sa.Column('label'))\n\n\n"
        "def downgrade_engine2():\n    pass\n"
    )
    assert created_in([str(old)], "tags") == (str(old), 1)
    assert created_in([str(old)], "tags", undo=True) == (str(old), 5)
    assert created_in([str(multidb), str(old)], "tags", "label", undo=True) == (str(multidb), 5)
    assert created_in([str(old)], "tags", "label") is None


def test_models_locate_mapped_columns_by_attribute(tmp_path: Path) -> None:
    models = _module(
        tmp_path / "models_unit.py",
        "from sqlalchemy import String\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class Account(Base):\n"
        "    __tablename__ = 'unit_accounts'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    display: Mapped[str] = mapped_column('display_name', String(20))\n",
    )
    sys.modules[models.__name__] = models
    try:
        found = Models(ProjectFiles(str(tmp_path)), [models.Base.metadata])
        path = real(str(tmp_path / "models_unit.py"))
        assert found.table("unit_accounts", None) == (path, 9)
        # The column is display_name; the attribute that maps it is `display`.
        assert found.column("unit_accounts", None, "display_name") == (path, 13)
    finally:
        del sys.modules[models.__name__]


def test_models_locate_core_tables_by_schema(tmp_path: Path) -> None:
    """Core tables named alike: the one whose schema= is the drift's; for the default
    schema one without schema=; a table in a MetaData of its own schema (no schema= in
    the call) is still found for that schema; never one naming another schema."""
    models = _module(
        tmp_path / "core_unit.py",
        "from sqlalchemy import Column, Integer, MetaData, Table\n\n"
        "public = MetaData()\n"
        "audit = MetaData(schema='audit')\n"
        "t1 = Table('unit_notes', public, Column('id', Integer))\n"
        "t2 = Table(\n    'unit_notes',\n    public,\n    Column('id', Integer),\n"
        "    schema='archive',\n)\n"
        "t3 = Table('unit_logs', audit, Column('id', Integer))\n"
        "t4 = Table('unit_kept', public, Column('id', Integer), schema='archive')\n",
    )
    sys.modules[models.__name__] = models
    try:
        found = Models(ProjectFiles(str(tmp_path)), [models.public, models.audit])
        path = real(str(tmp_path / "core_unit.py"))
        assert found.table("unit_notes", None) == (path, 5)
        assert found.table("unit_notes", "archive") == (path, 6)
        assert found.column("unit_notes", "archive", "id") == (path, 9)
        assert found.table("unit_kept", None) is None
        assert found.column("unit_logs", "audit", "id") == (path, 12)
    finally:
        del sys.modules[models.__name__]


def test_drivers_for_sync_and_async_env_py() -> None:
    # SQLAlchemy 2.1's own choice for postgresql:// is psycopg: the URL stays as written.
    assert with_driver(make_url("postgresql://u@h/d"), False).drivername == "postgresql"
    assert str(with_driver(make_url("sqlite:////tmp/x.db"), False)) == "sqlite:////tmp/x.db"
    # Async: a name whose dialect is the async one (AsyncEngine(engine_from_config())).
    assert with_driver(make_url("postgresql://u@h/d"), True).drivername == (
        "postgresql+psycopg_async"
    )
    assert with_driver(make_url("postgresql+psycopg://u@h/d"), True).drivername == (
        "postgresql+psycopg_async"
    )
    assert with_driver(make_url("postgresql+asyncpg://u@h/d"), False).drivername == (
        "postgresql+psycopg"
    )
    assert with_driver(make_url("sqlite:////tmp/x.db"), True).drivername == "sqlite+aiosqlite"
    # SQLAlchemy's default, mysqldb, where mysqlclient is (scripts/test installs it): the
    # URL stays as written; without it, PyMySQL is named.
    expected = "mysql" if installed.MYSQL_DEFAULT == "mysqldb" else "mysql+pymysql"
    assert with_driver(make_url("mysql://u@h/d"), False).drivername == expected
    # A driver the user named is kept.
    assert with_driver(make_url("postgresql+psycopg2://u@h/d"), True).drivername == (
        "postgresql+psycopg2"
    )


@pytest.mark.mariadb
def test_the_probe_connection_gets_pymysqls_timeouts(mariadb_url: str) -> None:
    # The URL's own read_timeout wins; the others bound a server that stops answering.
    with connect(make_url(f"{mariadb_url}?read_timeout=30"), timeout=3) as conn:
        dbapi = conn.connection.dbapi_connection
        assert (dbapi.connect_timeout, dbapi._read_timeout, dbapi._write_timeout) == (3, 30, 3)


@pytest.mark.mariadb
def test_a_mariadbconnector_connection_gets_a_read_timeout(mariadb_url: str) -> None:
    # MariaDB Connector/Python got connect_timeout only: a query of the lock watcher (or of
    # a probe) that the server never answered kept it waiting for good.
    pytest.importorskip("mariadb", reason="MariaDB Connector/Python (pip install mariadb)")
    url = make_url(mariadb_url).set(drivername="mariadb+mariadbconnector")
    with connect(url, timeout=1) as conn:
        started = time.monotonic()
        with pytest.raises(DBAPIError, match="Lost connection"):
            conn.exec_driver_sql("SELECT SLEEP(5)")
        assert time.monotonic() - started < 4


def test_same_database_ignores_driver_and_password(tmp_path: Path) -> None:
    assert same_database(
        make_url("postgresql+psycopg://a:x@h:5432/d"), make_url("postgresql://a@h:5432/d")
    )
    assert not same_database(make_url("postgresql://h/d"), make_url("postgresql://h/other"))
    assert same_database(
        make_url("postgresql://127.0.0.1/d"), make_url("postgresql://localhost:5432/d")
    )
    assert not same_database(make_url("postgresql://h/d"), make_url("postgresql://h:5433/d"))
    assert same_database(
        make_url(f"sqlite:///{tmp_path}/./x.db"), make_url(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    )


def test_round_trip_differences_in_words() -> None:
    before = {"table tags": "present", "column tags.label": "VARCHAR(30) NOT NULL"}
    after = {"column tags.label": "VARCHAR(30) NULL", "index ix on tags": "(label)"}
    assert differences(before, after) == [
        (
            "column tags.label",
            "column tags.label was VARCHAR(30) NOT NULL before the round trip, "
            "VARCHAR(30) NULL after",
        ),
        ("index ix on tags", "index ix on tags ((label)) appears only after the round trip"),
        ("table tags", "table tags (present) is gone after the round trip"),
    ]


# -- stuck: whose MySQL/MariaDB metadata lock a waiter waits for ---------------------------

WAIT = "Waiting for table metadata lock"
THREADS = {
    1: (1, "Query", WAIT, "app"),  # the ALTER, on env.py's connection
    2: (2, "Sleep", "", "app"),  # the revision's own connection, idle in a transaction
    3: (3, "Query", "executing", "app"),  # the watcher
}


def test_stuck_mysql_blockers_from_performance_schema() -> None:
    locks = [
        (1, "app", "users", "PENDING", "TRANSACTION"),
        (1, "app", "users", "GRANTED", "TRANSACTION"),  # its own SHARED_UPGRADABLE
        (2, "app", "users", "GRANTED", "TRANSACTION"),
        (9, "app", "posts", "GRANTED", "TRANSACTION"),  # another table: not a blocker
    ]
    threads = {**THREADS, 9: (9, "Sleep", "", "app")}
    assert stuck._mysql_blockers(1, locks, stuck.Seen(threads, None), 3) == [2]
    # Someone else's read of users too: a blocker the watcher must never count as its own.
    foreign = [*locks, (8, "app", "users", "GRANTED", "TRANSACTION")]
    seen = stuck.Seen({**threads, 8: (8, "Sleep", "", "x")}, None)
    assert stuck._mysql_blockers(1, foreign, seen, 3) == [2, 8]
    # A holder the process list does not show (another user's, no PROCESS privilege).
    hidden = [*locks, (8, "app", "users", "GRANTED", "TRANSACTION")]
    assert stuck._mysql_blockers(1, hidden, stuck.Seen(threads, None), 3) == [2, 8]
    # LOCK TABLES (EXPLICIT): not an idle transaction, nothing is claimed.
    explicit = [*locks, (2, "app", "users", "GRANTED", "EXPLICIT")]
    assert stuck._mysql_blockers(1, explicit, stuck.Seen(threads, None), 3) == []


# MariaDB: the waiter's table, opened by the ALTER alone; thread 2 read it in its transaction.
ALTERED = [("app", "users", 1)]
RAN = {2: ["SELECT count(*) FROM users"]}


def guessed(threads: dict[int, Any], open_trx: dict[int, Any] | None, **seen: Any) -> list[int]:
    look = stuck.Seen(threads, open_trx, seen.get("in_use", ALTERED), seen.get("ran", RAN))
    return stuck._mysql_blockers(1, [], look, 3)


def test_stuck_mysql_blockers_without_a_lock_table() -> None:
    started = {2: "t0"}
    assert guessed(THREADS, started) == [2]
    # Without INNODB_TRX (no PROCESS privilege) foreign threads may be out of sight.
    assert guessed(THREADS, None) == []
    # Another thread in a transaction, or busy, may hold it: counted (the one that used the
    # table first), and a busy one outside a transaction may end, so nothing is claimed.
    threads = {**THREADS, 7: (7, "Sleep", "", "app")}
    assert guessed(threads, {**started, 7: "t1"}) == [2, 7]
    assert guessed(threads, {7: "t0", 2: "t1"}, ran={7: [], 2: RAN[2]}) == [2, 7]
    busy = {**THREADS, 6: (6, "Query", "Sending data", "app")}
    assert guessed(busy, started) == []
    # Threads whose current database is another one count too (`USE other` and a read of
    # app.users in a transaction holds users all the same).
    elsewhere = {**THREADS, 5: (5, "Sleep", "", "other")}
    assert guessed(elsewhere, {**started, 5: "t2"}) == [2, 5]
    nowhere = {**THREADS, 5: (5, "Sleep", "", None)}
    assert guessed(nowhere, {**started, 5: "t2"}) == [2, 5]


def test_stuck_mysql_blockers_and_tables_in_use() -> None:
    started = {2: "t0"}
    # Someone's LOCK TABLES or HANDLER besides the ALTER: a table in use twice, or two.
    assert guessed(THREADS, started, in_use=[("app", "users", 2)]) == []
    assert guessed(THREADS, started, in_use=[*ALTERED, ("app", "tags", 1)]) == []
    # Nothing in use: the ALTER waits before it opens the table, for no transaction.
    assert guessed(THREADS, started, in_use=[]) == []
    # SHOW OPEN TABLES not readable.
    assert guessed(THREADS, started, in_use=None) == []
    # users in use once and no transaction used it: LOCK TABLES users WRITE of someone
    # else's (the ALTER waits before opening users); thread 2 read posts only.
    assert guessed(THREADS, started, ran={2: ["SELECT count(*) FROM posts"]}) == []
    assert guessed(THREADS, started, ran={}) == []
    # Named as a word, quoted or qualified: not as part of another name.
    for statement in ("SELECT 1 FROM `users`", "SELECT * FROM app.users u", "UPDATE USERS"):
        assert guessed(THREADS, started, ran={2: [statement]}) == [2]
    assert guessed(THREADS, started, ran={2: ["SELECT * FROM users_old"]}) == []


def test_stuck_mysql_tables_in_use_of_the_waiters_database() -> None:
    # Another run's ALTER on the same server has its table in use too: not the waiter's,
    # which that made look like someone's LOCK TABLES (so neither run's watch cancelled).
    in_use = [("app", "users", 1), ("other", "users", 1), ("other", "posts", 1)]
    assert stuck._in_database(in_use, "app") == [("app", "users", 1)]
    assert stuck._in_database(in_use, None) == in_use  # no current database: all count
    assert stuck._in_database(None, "app") is None


def test_told_notes_keep_the_last_of_each_key(tmp_path: Path) -> None:
    # What a worker that ran out of time told: the lock watch's latest word on a wait.
    with (tmp_path / "notes").open("w+", encoding="utf-8") as file:
        tell(file, "watch off", "off")
        tell(file, "left: thread 7", "left 3")
        tell(file, "left: thread 7, 9\nand more", "left 3")
        file.write('["left 4", "cut sho')  # killed while writing
        file.seek(0)
        assert told(file.read()) == ["watch off", "left: thread 7, 9\nand more"]


@pytest.mark.parametrize(
    ("url", "db", "engine"),
    [
        ("mysql+pymysql://u:p@h/db", "postgres", "MySQL or MariaDB"),
        ("mariadb://u:p@h/db", "postgres", "MariaDB"),
        ("postgresql://u@h/db", "postgres", "PostgreSQL"),
        (None, "mysql", "MySQL"),
        (None, "sqlite", "SQLite"),
    ],
)
def test_the_engine_named_when_nothing_reached_the_database(
    url: str | None, db: str, engine: str
) -> None:
    """Without a connection a `mysql://` URL may be a MariaDB server's (Marzban's summary
    said "MySQL" of a MariaDB 10.11 its env.py never reached)."""
    import argparse

    from alembic_gate.check.command import _engine_guess

    assert _engine_guess(argparse.Namespace(database_url=url, db=db)) == engine
