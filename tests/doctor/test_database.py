"""Reading the database: read-only connections, URLs, unreachable servers, exit codes."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import installed
import pytest
import sqlalchemy as sa

from alembic_gate.doctor.database import connect, database_url, mask, read_state
from alembic_gate.errors import EnvError, UsageError

from .conftest import (
    PASSWORD,
    R2,
    R3,
    R4,
    Database,
    Run,
    Server,
    create_all,
    execute,
    upgrade,
)

Doctor = Callable[..., Run]
WRITES = (
    "CREATE TABLE intruder (id INTEGER)",
    "INSERT INTO alembic_version (version_num) VALUES ('intruder')",
    "UPDATE alembic_version SET version_num = 'intruder'",
    "DELETE FROM customers",
    "DROP TABLE orders",
)


@pytest.mark.parametrize("statement", WRITES)
def test_the_connection_refuses_every_write(db: Database, shop: Path, statement: str) -> None:
    upgrade(shop, db.url)
    before = db.fingerprint()
    with connect(db.url) as (conn, masked, how), pytest.raises(sa.exc.DBAPIError) as caught:
        conn.exec_driver_sql(statement)
        conn.commit()
    assert any(word in str(caught.value).lower() for word in ("read-only", "readonly", "read only"))
    assert db.fingerprint() == before
    assert PASSWORD not in masked
    assert not how.startswith("only SELECT")  # a real read-only mode on every engine


def test_the_version_table_is_never_created(db: Database) -> None:
    db.touch()
    before = db.fingerprint()
    state = read_state(db.url)
    assert not state.has_version_table
    assert state.versions == ()
    assert state.tables == {}
    assert db.fingerprint() == before


def test_state_of_a_migrated_database(db: Database, shop: Path) -> None:
    upgrade(shop, db.url, R2)
    state = read_state(db.url)
    assert state.versions == (R2,)
    assert state.tables == {
        "customers": frozenset({"id", "name"}),
        "orders": frozenset({"id", "customer_id", "total"}),
    }
    assert PASSWORD not in state.url


def test_sqlite_file_bytes_are_unchanged(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    create_all(shop, sqlite_db.url)
    assert sqlite_db.path is not None
    before = sqlite_db.path.read_bytes()
    stat = sqlite_db.path.stat()
    run_doctor(shop, sqlite_db.url, "--replay")
    assert sqlite_db.path.read_bytes() == before
    assert sqlite_db.path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in sqlite_db.path.parent.iterdir()) == ["app.db"]


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg"),
        ("postgresql://u:p@h/db", "postgresql+psycopg"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+psycopg"),
        # SQLAlchemy's default, mysqldb, where mysqlclient is (scripts/test installs it).
        ("mysql://u:p@h/db", f"mysql+{installed.MYSQL_DEFAULT}"),
        ("mariadb+asyncmy://u:p@h/db", f"mariadb+{installed.MYSQL_DEFAULT}"),
        ("sqlite+aiosqlite:///x.db", "sqlite+pysqlite"),
        ("mysql+pymysql://u:p@h/db", "mysql+pymysql"),
    ],
)
def test_a_synchronous_installed_driver_is_used(given: str, driver: str) -> None:
    assert database_url(given).drivername == driver


def test_mask_hides_the_password() -> None:
    assert mask(f"postgresql://app:{PASSWORD}@db/app") == "postgresql://app:***@db/app"
    assert mask("not a url") == "<not a database URL>"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/app",
        f"mysql+pymysql://root:{PASSWORD}@127.0.0.1:1/app",
    ],
)
def test_unreachable_server_is_exit_3_without_password(
    shop: Path, run_doctor: Doctor, url: str
) -> None:
    result = run_doctor(shop, url)
    assert result.code == 3
    assert result.out == ""
    assert result.err.startswith("alembic-gate: error: cannot connect to ")
    assert ":***@127.0.0.1:1/app" in result.err
    assert PASSWORD not in result.err
    assert "Traceback" not in result.err


def test_wrong_password_is_exit_3_and_never_printed(
    postgres_container: Server, shop: Path, run_doctor: Doctor
) -> None:
    wrong = "Wr0ng-" + PASSWORD
    url = sa.make_url(postgres_container.admin_url).set(password=wrong)
    result = run_doctor(shop, url.render_as_string(hide_password=False))
    assert result.code == 3
    assert "password authentication failed" in result.err
    assert wrong not in result.err
    assert PASSWORD not in result.err


def test_missing_sqlite_file_is_not_created(tmp_path: Path, shop: Path, run_doctor: Doctor) -> None:
    missing = tmp_path / "nowhere.db"
    result = run_doctor(shop, f"sqlite:///{missing}")
    assert result.code == 3
    assert "does not exist" in result.err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "--database-url is not a database URL"),
        ("sqlite://", "in-memory SQLite database"),
        ("nosuchdb://h/x", "has no dialect 'nosuchdb'"),
        ("mssql+pyodbc://h/x", "driver is not installed"),
    ],
)
def test_bad_url_is_exit_2(shop: Path, run_doctor: Doctor, url: str, message: str) -> None:
    result = run_doctor(shop, url)
    assert result.code == 2
    assert message in result.err


def test_no_alembic_setup_is_exit_2(tmp_path: Path, run_doctor: Doctor) -> None:
    result = run_doctor(tmp_path, "sqlite:///x.db")
    assert result.code == 2
    assert "no Alembic setup found" in result.err


def test_exit_3_from_the_command_line_has_no_traceback(shop: Path) -> None:
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:1/app"
    done = subprocess.run(
        [sys.executable, "-m", "alembic_gate", "doctor", "--database-url", url],
        cwd=shop,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 3
    assert PASSWORD not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_read_errors_are_environment_errors(sqlite_db: Database) -> None:
    sqlite_db.touch()
    assert sqlite_db.path is not None
    sqlite_db.path.write_bytes(b"this is not a SQLite database file" * 100)
    with pytest.raises(EnvError, match="cannot"):
        read_state(sqlite_db.url)


def test_custom_version_table_from_env_py(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    env = shop / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata=target_metadata)",
            'target_metadata=target_metadata, version_table="shop_version")',
        )
    )
    upgrade(shop, sqlite_db.url)
    result = run_doctor(shop, sqlite_db.url)
    assert result.code == 0
    assert f"is at head ({R4})" in result.err
    assert "version table shop_version (from env.py)" in result.err


def _computed_version_table(shop: Path) -> None:
    """An env.py that names its version table with an expression, as fief's does
    (`f"{TABLE_PREFIX}{config.get_main_option('version_table_name')}"`): shop_version."""
    env = shop / "migrations" / "env.py"
    env.write_text(
        'PREFIX = "shop_"\n'
        + env.read_text().replace(
            "target_metadata=target_metadata)",
            'target_metadata=target_metadata, version_table=f"{PREFIX}version")',
        )
    )


def test_a_version_table_env_py_computes_is_found_by_its_shape(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # fief: doctor read alembic_version, found none, and called the database unversioned,
    # "no revision doctor could read creates any of them (..., fief_alembic_version, ...)".
    _computed_version_table(shop)
    upgrade(shop, db.url, R2)
    before = db.fingerprint("shop_version")
    found = run_doctor(shop, db.url, "--format", "json")
    flagged = run_doctor(shop, db.url, "--version-table", "shop_version", "--format", "json")
    assert db.fingerprint("shop_version") == before
    assert found.code == 1
    [finding] = found.findings
    assert finding["code"] == "AG801"
    assert f"is at {R2}" in finding["message"]
    assert (
        "version table shop_version (from the only table shaped as one: env.py names the "
        "table with an expression doctor does not run, --version-table shop_version says so)"
    ) in found.err, found.err
    assert PASSWORD not in found.out + found.err
    [finding] = flagged.findings
    assert finding["code"] == "AG801"
    assert "version table shop_version (from --version-table flags)" in flagged.err


def test_tables_shaped_as_a_version_table_ask_which_one(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    _computed_version_table(shop)
    upgrade(shop, db.url, R2)
    execute(
        db.url,
        "CREATE TABLE old_version (version_num VARCHAR(32) NOT NULL)",
        "CREATE TABLE releases (version_num VARCHAR(32), notes TEXT)",
    )
    before = db.fingerprint("shop_version")
    asked = run_doctor(shop, db.url)
    assert db.fingerprint("shop_version") == before
    assert asked.code == 2
    assert (
        "has no alembic_version table, and env.py names its version table with an "
        "expression doctor does not run; tables old_version, shop_version are each shaped "
        "as one (a single string column, version_num): pass --version-table NAME"
    ) in asked.err, asked.err
    assert "releases" not in asked.err
    assert "Traceback" not in asked.err
    assert PASSWORD not in asked.out + asked.err


def test_a_table_shaped_as_a_version_table_is_named(
    db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # env.py names no other table: doctor does not read it, but says what it looks like.
    upgrade(shop, db.url)
    execute(db.url, "ALTER TABLE alembic_version RENAME TO legacy_version")
    before = db.fingerprint("legacy_version")
    result = run_doctor(shop, db.url, "--format", "json")
    flagged = run_doctor(shop, db.url, "--version-table", "legacy_version")
    assert db.fingerprint("legacy_version") == before
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG802"
    assert (
        "(it has no alembic_version table, but table legacy_version is shaped as one, a "
        "single string column version_num: if env.py names its version table so, run "
        "doctor again with --version-table legacy_version)"
    ) in finding["message"], finding["message"]
    assert flagged.code == 0
    assert f"is at head ({R4})" in flagged.err


def _doctor_on_schema_meta(
    local_postgres: Server, shop: Path, run_doctor: Doctor, schema: str, imports: str = ""
) -> Run:
    """doctor on a database upgraded to R2 by an env.py whose `version_table_schema=` is
    `schema` (Python source naming schema meta), after `imports`; it changes nothing in
    meta, and finds the database at R2."""
    env = shop / "migrations" / "env.py"
    env.write_text(
        imports
        + env.read_text().replace(
            "target_metadata=target_metadata)",
            f"target_metadata=target_metadata, version_table_schema={schema})",
        )
    )
    with local_postgres.scratch() as db:
        execute(db.url, "CREATE SCHEMA meta")
        upgrade(shop, db.url, R2)
        before = db.fingerprint(schema="meta")
        result = run_doctor(shop, db.url, "--format", "json")
        assert db.fingerprint(schema="meta") == before
    [finding] = result.findings
    assert finding["code"] == "AG801"
    assert f"is at {R2}" in finding["message"]
    return result


@pytest.mark.postgres
def test_version_table_schema(local_postgres: Server, shop: Path, run_doctor: Doctor) -> None:
    result = _doctor_on_schema_meta(local_postgres, shop, run_doctor, '"meta"')
    assert "version table meta.alembic_version (from env.py)" in result.err


def test_usage_error_for_an_in_memory_database() -> None:
    with pytest.raises(UsageError):
        read_state("sqlite:///:memory:")


def test_the_ini_pointing_elsewhere_is_said(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url)
    ini = shop / "alembic.ini"
    placeholder = "driver://user:pass@localhost/dbname"
    ini.write_text(ini.read_text().replace(placeholder, f"postgresql://app:{PASSWORD}@prod/app"))
    result = run_doctor(shop, sqlite_db.url)
    assert (
        "note: alembic.ini sets sqlalchemy.url to postgresql://app:***@prod/app, another database"
    ) in result.err
    assert PASSWORD not in result.err


def test_the_same_sqlite_file_written_another_way_is_no_other_database(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url)
    assert sqlite_db.path is not None
    relative = os.path.relpath(sqlite_db.path, shop)
    ini = shop / "alembic.ini"
    ini.write_text(
        ini.read_text().replace("driver://user:pass@localhost/dbname", f"sqlite:///{relative}")
    )
    result = run_doctor(shop, sqlite_db.url)
    assert result.code == 0
    assert "note:" not in result.err


def test_a_wal_database_gets_no_side_files(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url, R2)
    assert sqlite_db.path is not None
    with contextlib.closing(sqlite3.connect(sqlite_db.path)) as conn:
        assert conn.execute("PRAGMA journal_mode=wal").fetchone() == ("wal",)
    before = sqlite_db.fingerprint()
    result = run_doctor(shop, sqlite_db.url, "--format", "json")
    assert [f["code"] for f in result.findings] == ["AG801"]
    assert sqlite_db.fingerprint() == before  # bytes, and no -wal / -shm files


def test_a_wal_database_being_written_is_read_with_its_log(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url, R2)
    assert sqlite_db.path is not None
    with contextlib.closing(sqlite3.connect(sqlite_db.path)) as writer:
        writer.execute("PRAGMA journal_mode=wal")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute(f"UPDATE alembic_version SET version_num = '{R3}'")
        writer.commit()  # in the -wal file only, while the writer stays open
        [finding] = run_doctor(shop, sqlite_db.url, "--format", "json").findings
    assert f"is at {R3}; 1 revision pending" in finding["message"]


@pytest.mark.parametrize("url", ["mysql+pymysql://root@127.0.0.1:3306", "mariadb://root@h/"])
def test_mysql_url_naming_no_database_is_exit_2(shop: Path, run_doctor: Doctor, url: str) -> None:
    # A MySQL connection without a database has none selected: no version table to read.
    result = run_doctor(shop, url.replace("root@", f"root:{PASSWORD}@"))
    assert result.code == 2
    assert "names no database: end it with the name of the database to inspect" in result.err
    assert PASSWORD not in result.err
    assert "Traceback" not in result.err


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes them from the backlog)
    and never sends a byte: a server that hangs, or a port of another protocol."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{{port}}/app", "timeout"),
        (f"mysql+pymysql://root:{PASSWORD}@127.0.0.1:{{port}}/app", "timed out"),
        (
            f"mysql+mysqldb://root:{PASSWORD}@127.0.0.1:{{port}}/app",
            "Lost connection to server at 'handshake: reading initial communication packet'",
        ),
    ],
    ids=["postgres", "pymysql", "mysqldb"],
)
def test_a_server_that_never_answers_times_out(silent_port: int, url: str, says: str) -> None:
    # TCP connects at once, so only a timeout on the first read ends the wait (libpq
    # takes 2 s at the least, the MySQL drivers 1 s).
    _driver_installed(url)
    start = time.monotonic()
    with pytest.raises(EnvError, match="cannot connect to ") as caught:
        read_state(url.format(port=silent_port), timeout=2 if "postgresql" in url else 1)
    assert time.monotonic() - start < 8
    assert says in str(caught.value)
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{{port}}/app?connect_timeout=3",
        f"mysql+pymysql://root:{PASSWORD}@127.0.0.1:{{port}}/app?read_timeout=3",
        # libmysqlclient reads the greeting within connect_timeout.
        f"mysql+mysqldb://root:{PASSWORD}@127.0.0.1:{{port}}/app?connect_timeout=3",
    ],
    ids=["postgres", "pymysql", "mysqldb"],
)
def test_a_timeout_the_url_sets_wins(silent_port: int, url: str) -> None:
    _driver_installed(url)
    start = time.monotonic()
    with pytest.raises(EnvError, match="cannot connect to "):
        read_state(url.format(port=silent_port), timeout=2)
    assert 2.5 < time.monotonic() - start < 10


@pytest.mark.mariadb
def test_pymysql_gets_every_timeout(local_mariadb: Server) -> None:
    # The URL's own read_timeout wins; the others bound a server that stops answering.
    with (
        local_mariadb.scratch() as database,
        connect(f"{database.url}?read_timeout=30", timeout=3) as (conn, _, _),
    ):
        dbapi = conn.connection.dbapi_connection
        timeouts = (dbapi.connect_timeout, dbapi._read_timeout, dbapi._write_timeout)
    assert timeouts == (3, 30, 3)


@pytest.mark.mariadb
@pytest.mark.parametrize("driver", ["pymysql", "mysqldb"])
def test_a_read_the_server_never_answers_times_out(
    local_mariadb: Server, shop: Path, driver: str
) -> None:
    """A server that answers the login and then not a query (here the version table is
    write-locked by another session, which MariaDB makes a reader wait for up to
    lock_wait_timeout, a day by default) is exit 3 after the timeout, with either driver."""
    _driver_installed(f"mysql+{driver}://")
    outcome: list[BaseException | None] = []
    with local_mariadb.scratch() as database:
        upgrade(shop, database.url, R2)
        url = sa.make_url(database.url).set(drivername=f"mysql+{driver}")
        locker = sa.create_engine(url, poolclass=sa.NullPool)
        with locker.connect() as lock:
            lock.exec_driver_sql("LOCK TABLES alembic_version WRITE")

            def read() -> None:
                try:
                    read_state(url.render_as_string(hide_password=False), timeout=2)
                    outcome.append(None)
                except EnvError as exc:
                    outcome.append(exc)

            start = time.monotonic()
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            reader.join(timeout=20)
            waited = time.monotonic() - start
            # Closing the lock's connection (leaving this block) lets a reader still
            # waiting go on, so the database can be dropped.
        locker.dispose()
        reader.join(timeout=60)
    assert waited < 20, f"doctor through {driver} still waited for the locked table"
    [error] = outcome
    assert isinstance(error, EnvError)
    assert str(error).startswith(f"cannot read mysql+{driver}://root@127.0.0.1:3306/")
    assert "Lost connection" in str(error)


def _driver_installed(url: str) -> None:
    if url.startswith("mysql+mysqldb://"):
        installed.mysqlclient()


@pytest.mark.postgres
def test_a_column_type_sqlalchemy_does_not_know_gives_no_warning(
    local_postgres: Server, shop: Path, run_doctor: Doctor
) -> None:
    # An extension's type (pgvector's `vector`) or a composite type: SQLAlchemy's
    # reflection warns "Did not recognize type", printed with doctor's own source line.
    with local_postgres.scratch() as db:
        upgrade(shop, db.url, R2)
        execute(
            db.url,
            "CREATE TYPE point2 AS (x integer, y integer)",
            "ALTER TABLE customers ADD COLUMN home point2",
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_doctor(shop, db.url, "--format", "json")
    assert [str(w.message) for w in caught] == []
    [finding] = result.findings
    assert finding["code"] == "AG801"
    assert f"is at {R2}" in finding["message"]


@pytest.mark.postgres
def test_a_version_table_schema_env_py_computes_is_found(
    local_postgres: Server, shop: Path, run_doctor: Doctor
) -> None:
    # env.py names the schema with an expression (honcho: target_metadata.schema,
    # insights-host-inventory: os.getenv("INVENTORY_DB_SCHEMA", "hbi")), which doctor does
    # not run: it read public, and called a migrated database "empty ... and no tables".
    computed = 'os.environ.get("S", "meta")'
    result = _doctor_on_schema_meta(local_postgres, shop, run_doctor, computed, "import os\n")
    assert (
        "version table meta.alembic_version (from the only schema holding it: env.py names "
        "the schema with an expression doctor does not run, --version-table-schema meta "
        "says so)"
    ) in result.err, result.err


@pytest.mark.postgres
def test_version_tables_in_several_schemas_ask_which_one(
    local_postgres: Server, shop: Path, run_doctor: Doctor
) -> None:
    # Netflix/dispatch: env.py sets its search_path to dispatch_core, and every tenant
    # schema holds a version table of its own; public holds none. doctor called the
    # database "empty (it has no alembic_version table, and no tables)".
    env = shop / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "    with connectable.connect() as connection:\n",
            "    with connectable.connect() as connection:\n"
            '        connection.exec_driver_sql("SET search_path TO core")\n'
            "        connection.commit()\n",
        )
    )
    with local_postgres.scratch() as db:
        execute(
            db.url,
            "CREATE SCHEMA core",
            "CREATE SCHEMA tenant_a",
            "CREATE TABLE tenant_a.alembic_version (version_num text)",
        )
        upgrade(shop, db.url, R2)
        before = db.fingerprint(schema="core")
        asked = run_doctor(shop, db.url, "--format", "json")
        picked = run_doctor(shop, db.url, "--version-table-schema", "core", "--format", "json")
        assert db.fingerprint(schema="core") == before
    assert asked.code == 2
    assert (
        "has no alembic_version table in its default schema (public), but schemas core, "
        "tenant_a each hold one: pass --version-table-schema NAME"
    ) in asked.err, asked.err
    assert "empty" not in asked.err
    assert PASSWORD not in asked.err
    [finding] = picked.findings
    assert finding["code"] == "AG801"
    assert f"is at {R2}" in finding["message"]


@pytest.mark.postgres
def test_tables_in_another_schema_are_not_called_no_tables(
    local_postgres: Server, shop: Path, run_doctor: Doctor
) -> None:
    # The models made in schema core (create_all under a search_path), never stamped:
    # public is empty, the database is not.
    with local_postgres.scratch() as db:
        execute(
            db.url,
            "CREATE SCHEMA core",
            "CREATE TABLE core.customers (id integer)",
            "CREATE TABLE core.orders (id integer)",
        )
        result = run_doctor(shop, db.url, "--format", "json")
    [finding] = result.findings
    assert finding["code"] == "AG804"
    assert "no tables" not in finding["message"]
    assert (
        "has no version row (it has no alembic_version table) and its default schema "
        "(public) is empty, but schema core holds 2 tables (core.customers, core.orders)"
    ) in finding["message"], finding["message"]
    assert finding["confidence"] == "medium"


@pytest.mark.postgres
def test_a_table_an_extension_owns_is_not_the_projects(
    local_postgres: Server, shop: Path, run_doctor: Doctor
) -> None:
    # FitTrackee's install makes PostGIS first, whose spatial_ref_sys table sat in public:
    # doctor called the database unversioned (AG802, "do not stamp it"). Here a table
    # made a member of plpgsql, the extension every database has, stands in for it.
    with local_postgres.scratch() as db:
        execute(
            db.url,
            "CREATE TABLE spatial_ref_sys (srid integer PRIMARY KEY)",
            "ALTER EXTENSION plpgsql ADD TABLE spatial_ref_sys",
        )
        fresh = run_doctor(shop, db.url, "--format", "json")
        upgrade(shop, db.url, R2)
        behind = run_doctor(shop, db.url, "--format", "json")
    [finding] = fresh.findings
    assert finding["code"] == "AG804", finding
    assert "spatial_ref_sys" not in finding["message"]
    [finding] = behind.findings
    assert finding["code"] == "AG801" and "spatial_ref_sys" not in finding["message"]
