"""check's lock watch (check/stuck.py) on the local servers: a statement of "this
process" waits for a lock, and the watcher, started on its own, says what it saw.

The waiter runs in a thread of the test; another connection, "another session's", holds
the table, and the watcher is told which connections are the process's own."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from alembic_gate.check import stuck

from .conftest import MARIADB_IMAGE, PASSWORD, server_container

# A wait the watcher is left alone is told in a few looks.
SAID = 20.0


class Told:
    """What a watcher told, by key; `said` is set once a wait left alone was told, `off`
    once the watch was said to be off."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}
        self.said = threading.Event()
        self.off = threading.Event()

    def __call__(self, message: str, key: str) -> None:
        self.notes[key] = message
        (self.said if key.startswith("left ") else self.off).set()


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[stuck.Stuck, Told]]:
    monkeypatch.setattr(stuck, "INTERVAL", 0.2)
    watcher, told = stuck.Stuck(), Told()
    watcher.tell = told
    yield watcher, told
    watcher.finish()


@contextlib.contextmanager
def waiting(
    engine: sa.Engine, statement: str, own: Callable[[Any], None], *holders: sa.Connection
) -> Iterator[None]:
    """`statement` runs on a connection of its own in a thread (made the process's own
    with `own`) while `holders` hold what it waits for; when the block ends, they let
    go (roll back) and the statement ends."""
    conn = engine.connect()
    own(conn.connection.dbapi_connection)

    def run() -> None:
        # Cancelled or not: the test says whether it should be.
        with contextlib.suppress(sa.exc.DBAPIError):
            conn.exec_driver_sql(statement)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        for holder in holders:
            holder.rollback()
        thread.join()
        conn.close()


@pytest.mark.postgres
def test_postgres_a_wait_left_alone_says_what_it_waits_for(
    postgres_url: str, watch: tuple[stuck.Stuck, Told]
) -> None:
    # Another session sits idle in a transaction that read users, and the ALTER of the
    # process waits for it: the watcher leaves it alone (rightly), and said nothing of it,
    # so a run that reached its time limit named no wait (MariaDB's did).
    watcher, told = watch
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id int)")
    with engine.connect() as holder:
        holder.exec_driver_sql("SELECT count(*) FROM users").all()
        held = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        alter = "ALTER TABLE users ADD COLUMN email text"
        with waiting(engine, alter, watcher._learn, holder):
            [pid] = watcher.own
            watcher.start(sa.make_url(postgres_url))
            assert told.said.wait(SAID), (told.notes, watcher.reason)
    engine.dispose()
    message = told.notes[f"left {pid}"]
    assert message.startswith(
        f"check's lock watch saw `ALTER TABLE users ADD COLUMN email text` (backend {pid}) "
        "wait for an AccessExclusiveLock on users and left it waiting: it waits for "
        f"backend {held} (another session's, idle in transaction, its transaction began "
    ), message
    assert watcher.reason is None  # not cancelled


@pytest.mark.mariadb
def test_mariadb_a_wait_for_an_aria_table_is_not_blamed_on_the_process(
    mariadb_url: str, watch: tuple[stuck.Stuck, Told]
) -> None:
    # users is an Aria table. The process's own connection sits idle in a transaction
    # that read posts (InnoDB) and users; another session's transaction read users only,
    # which information_schema.INNODB_TRX does not show. The watcher saw one holder, the
    # process's own, cancelled the ALTER and blamed it alone: now it leaves the ALTER
    # waiting and says it cannot tell who holds users, naming the other connections.
    watcher, told = watch
    engine = sa.create_engine(mariadb_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id int) ENGINE=Aria")
        conn.exec_driver_sql("CREATE TABLE posts (id int) ENGINE=InnoDB")
    reads = ["SELECT count(*) FROM posts", "SELECT count(*) FROM users"]
    with engine.connect() as own, engine.connect() as holder:
        for read in reads:
            own.exec_driver_sql(read).all()
        watcher._learn(own.connection.dbapi_connection)
        [mine] = watcher.threads
        watcher.ran[mine] = deque(reads)  # what the process's listeners note
        holder.exec_driver_sql("SELECT count(*) FROM users").all()
        held = holder.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
        alter = "ALTER TABLE users ADD COLUMN email varchar(50)"
        with waiting(engine, alter, watcher._learn, holder, own):
            waiter = watcher.threads[-1]
            watcher.ran[waiter] = deque([alter])
            watcher.start(sa.make_url(mariadb_url))
            assert told.said.wait(SAID), (told.notes, watcher.reason)
            message = told.notes[f"left {waiter}"]
            assert watcher.reason is None, watcher.reason  # not cancelled
    engine.dispose()
    database = sa.make_url(mariadb_url).database
    assert message.startswith(
        f"check's lock watch saw `{alter}` (thread {waiter}) wait for a table metadata lock "
        f"and left it waiting: {database}.users is an Aria table, whose readers "
        "information_schema.INNODB_TRX does not show, so check cannot tell who holds it; "
        "connections of other sessions may hold it (thread "
    ), message
    assert str(held) in message.split("(thread ")[2], message


@pytest.fixture(scope="module")
def mariadb_schema_on() -> Iterator[str]:
    """A MariaDB server from the local image with performance_schema on (its metadata lock
    instrument off, MariaDB's default, as MySQL 5.7's), and a user of one database that
    may read performance_schema but has no PROCESS privilege: its URL. Removed after."""
    if subprocess.run(
        ["docker", "image", "inspect", MARIADB_IMAGE], capture_output=True
    ).returncode:
        pytest.skip(f"no Docker engine or no image {MARIADB_IMAGE} (scripts/build-test-images.sh)")
    env = {"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": "1", "MARIADB_ROOT_HOST": "%"}
    args = ["--performance-schema=ON"]
    # (the entrypoint's temporary server logs port 0)
    with server_container(
        "mariadb", MARIADB_IMAGE, env, args, lambda line: "port: 3306" in line
    ) as port:
        admin = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:{port}/mysql")
        with admin.begin() as conn:
            for statement in SCHEMA_ON_USER:
                conn.exec_driver_sql(statement.format(password=PASSWORD))
        admin.dispose()
        yield f"mysql+pymysql://app:{PASSWORD}@127.0.0.1:{port}/app"


SCHEMA_ON_USER = [
    "CREATE DATABASE app",
    "CREATE USER 'app'@'%%' IDENTIFIED BY '{password}'",
    "GRANT ALL ON app.* TO 'app'@'%%'",
    "GRANT SELECT ON performance_schema.* TO 'app'@'%%'",
]


@pytest.mark.docker
@pytest.mark.timeout(120)
def test_mariadb_metadata_locks_that_record_nothing_turn_the_watch_off(
    mariadb_schema_on: str, watch: tuple[stuck.Stuck, Told]
) -> None:
    # performance_schema is on and readable, but its metadata lock instrument is off
    # (MariaDB's default, MySQL 5.7's), and the user may not read INNODB_TRX: the watch
    # counted on metadata_locks, which records nothing, and said nothing; a statement of
    # the process waiting on its own idle transaction waited, unwatched, in silence.
    watcher, told = watch
    watcher.start(sa.make_url(mariadb_schema_on))
    assert told.off.wait(SAID), told.notes
    assert told.notes["off"].startswith(
        "check's lock watch is off (the database user may not read "
        "information_schema.INNODB_TRX, which needs the PROCESS privilege, and "
        "performance_schema.metadata_locks records nothing (its instrument "
        "wait/lock/metadata/sql/mdl is off); "
    ), told.notes
    assert PASSWORD not in told.notes["off"]
