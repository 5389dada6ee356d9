"""Doctor's test rig: real databases in every state alembic can leave them in.

`db` is one scratch database per test on each engine: a SQLite file, a database of its
own on the local PostgreSQL and MariaDB servers (created and dropped here), and the
same inside the alembic-gate/postgres:15 and alembic-gate/mariadb:10.11 containers.
States are made with alembic itself (`upgrade`, `downgrade`, `stamp`) or `create_all`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import installed
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from alembic_gate.main import main

PROJECTS = Path(__file__).parent.parent / "projects"
SHOP = PROJECTS / "doctor_shop"
# The shop's revisions, oldest first.
R1, R2, R3, R4 = "1a2b3c4d5e6f", "2b3c4d5e6f70", "3c4d5e6f7081", "4d5e6f708192"
REVISION_FILES = {
    R1: "migrations/versions/1a2b3c4d5e6f_create_customers.py",
    R2: "migrations/versions/2b3c4d5e6f70_create_orders.py",
    R3: "migrations/versions/3c4d5e6f7081_add_customer_email.py",
    R4: "migrations/versions/4d5e6f708192_rename_order_total.py",
}
# A password the tests put into URLs: it must never appear in doctor's output.
PASSWORD = "s3cret-Pw-doctor"

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
POSTGRES_IMAGE = "alembic-gate/postgres:15"
MARIADB_IMAGE = "alembic-gate/mariadb:10.11"


# -- projects and alembic ------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A fresh copy of the doctor_shop project."""
    return Path(shutil.copytree(SHOP, tmp_path / "shop"))


def alembic_config(project: Path, url: str) -> Config:
    config = Config(str(project / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(project: Path, url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(project, url), revision)


def downgrade(project: Path, url: str, revision: str) -> None:
    command.downgrade(alembic_config(project, url), revision)


def stamp(project: Path, url: str, revision: str) -> None:
    command.stamp(alembic_config(project, url), revision)


def create_all(project: Path, url: str) -> None:
    """What people do instead of migrating: the schema from the models, no version row."""
    spec = importlib.util.spec_from_file_location(
        f"models_{uuid.uuid4().hex}", project / "models.py"
    )
    assert spec is not None and spec.loader is not None
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        models.metadata.create_all(engine)
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Statements run outside alembic (hand-made schema changes)."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def write_revision(
    project: Path,
    revision: str,
    down_revision: str | None,
    body: str,
    message: str = "more",
    extra: str = "",
) -> Path:
    """An extra revision file in the project's versions folder."""
    path = project / "migrations" / "versions" / f"{revision}_{message.replace(' ', '_')}.py"
    path.write_text(
        f'"""{message}\n\nRevision ID: {revision}\nRevises: {down_revision or ""}\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = {revision!r}\ndown_revision = {down_revision!r}\n{extra}\n\n"
        f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n",
        encoding="utf-8",
    )
    return path


# -- running doctor ------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        """The JSON report (run with --format json)."""
        data: dict[str, Any] = json.loads(self.out)
        return data

    @property
    def findings(self) -> list[dict[str, Any]]:
        findings: list[dict[str, Any]] = self.report["findings"]
        return findings


@pytest.fixture
def run_doctor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """`alembic-gate doctor --database-url URL ARGS...`, run in `project`."""

    def run(project: Path, url: str, *args: str) -> Run:
        monkeypatch.chdir(project)
        capsys.readouterr()
        code = main(["doctor", "--database-url", url, *args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


# -- databases -------------------------------------------------------------------------


@dataclass
class Database:
    """One scratch database; `fingerprint` is what doctor must leave unchanged."""

    kind: str
    url: str
    path: Path | None = None

    def touch(self) -> None:
        """Make sure the database exists (a SQLite file is made on first connection)."""
        if self.path is not None:
            sqlite3.connect(self.path).close()

    def fingerprint(
        self, version_table: str = "alembic_version", schema: str | None = None
    ) -> object:
        if self.path is not None:  # SQLite: the file's bytes, and no journal left behind
            folder = sorted(p.name for p in self.path.parent.iterdir())
            return hashlib.sha256(self.path.read_bytes()).hexdigest(), folder
        engine = sa.create_engine(self.url, poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                inspector = sa.inspect(conn)
                tables = sorted(inspector.get_table_names())
                columns = {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in tables}
                rows: list[str] = []
                if inspector.has_table(version_table, schema=schema):
                    table = f"{schema}.{version_table}" if schema else version_table
                    rows = sorted(
                        conn.exec_driver_sql(f"SELECT version_num FROM {table}").scalars()
                    )
                return tables, columns, rows
        finally:
            engine.dispose()


def _reachable(url: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


@dataclass
class Server:
    """A database server on which each test gets a database of its own."""

    kind: str  # "postgresql" or "mysql"
    admin_url: str
    # The URL of a scratch database, given its name.
    url_for: Callable[[str], str]
    prefix: str = "doctor_"  # of the scratch databases' names

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Database]:
        name = f"{self.prefix}{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(
            self.admin_url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            try:
                yield Database(self.kind, self.url_for(name))
            finally:
                drop = f"DROP DATABASE {name}" + (
                    " WITH (FORCE)" if self.kind == "postgresql" else ""
                )
                with engine.connect() as conn:
                    conn.exec_driver_sql(drop)
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def local_postgres() -> Server:
    if not _reachable(LOCAL_POSTGRES):
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (user postgres, trust auth)")
    # Trust auth ignores the password: it is there to prove doctor never prints it.
    return Server(
        "postgresql",
        LOCAL_POSTGRES,
        lambda name: f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/{name}",
    )


@pytest.fixture(scope="session")
def local_mariadb() -> Server:
    if not _reachable(LOCAL_MARIADB):
        pytest.skip("no MariaDB server on 127.0.0.1:3306 (user root, no password)")
    return Server(
        "mysql", LOCAL_MARIADB, lambda name: f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    )


@pytest.fixture(scope="session")
def local_mariadb_mysqlclient(local_mariadb: Server) -> Server:
    """The local MariaDB through URLs that name no driver: SQLAlchemy gives them
    mysqldb (mysqlclient), which scripts/test installs; databases h_mysqlclient_*."""
    installed.mysqlclient()
    return Server(
        "mysql",
        LOCAL_MARIADB,
        lambda name: f"mysql://root@127.0.0.1:3306/{name}",
        prefix="h_mysqlclient_",
    )


def _docker_image(image: str) -> None:
    """Skip unless a Docker engine answers and has `image`."""
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("no Docker engine (docker info failed): run scripts/ensure-docker.sh")
    if info.returncode != 0:
        pytest.skip("no Docker engine (docker info failed): run scripts/ensure-docker.sh")
    found = subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False)
    if found.returncode != 0:
        pytest.skip(f"Docker image {image} is missing: run scripts/build-test-images.sh")
    # What scripts/ensure-docker.sh --print-env exports: no reaper image can be pulled here.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    os.environ.setdefault("TC_HOST", "127.0.0.1")


@pytest.fixture(scope="session")
def postgres_container() -> Iterator[Server]:
    _docker_image(POSTGRES_IMAGE)
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers before the community namespace
        from testcontainers.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, password=PASSWORD, driver="psycopg") as container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
        base = f"postgresql+psycopg://{container.username}:{PASSWORD}@{host}:{port}"
        yield Server("postgresql", f"{base}/{container.dbname}", lambda name: f"{base}/{name}")


@pytest.fixture(scope="session")
def mariadb_container() -> Iterator[Server]:
    _docker_image(MARIADB_IMAGE)
    try:
        from testcontainers.community.mysql import MySqlContainer
    except ImportError:  # testcontainers before the community namespace
        from testcontainers.mysql import MySqlContainer

    with MySqlContainer(MARIADB_IMAGE, root_password=PASSWORD, dialect="pymysql") as container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(3306)
        base = f"mysql+pymysql://root:{PASSWORD}@{host}:{port}"
        yield Server("mysql", f"{base}/{container.dbname}", lambda name: f"{base}/{name}")


_SERVERS = {
    "postgres": "local_postgres",
    "mariadb": "local_mariadb",
    "mariadb-mysqlclient": "local_mariadb_mysqlclient",
    "postgres-container": "postgres_container",
    "mariadb-container": "mariadb_container",
}
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", marks=pytest.mark.postgres, id="postgres"),
    pytest.param("mariadb", marks=pytest.mark.mariadb, id="mariadb"),
    pytest.param("mariadb-mysqlclient", marks=pytest.mark.mariadb, id="mariadb-mysqlclient"),
    pytest.param("postgres-container", marks=pytest.mark.docker, id="postgres-container"),
    pytest.param("mariadb-container", marks=pytest.mark.docker, id="mariadb-container"),
]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A scratch database on each engine (SQLite, local servers, containers)."""
    yield from _database(request, request.param, tmp_path)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    """A SQLite database in a folder of its own (so a stray journal file would show)."""
    folder = tmp_path / "db"
    folder.mkdir()
    return Database("sqlite", f"sqlite:///{folder / 'app.db'}", path=folder / "app.db")


def _database(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Iterator[Database]:
    if kind == "sqlite":
        yield request.getfixturevalue("sqlite_db")
        return
    server: Server = request.getfixturevalue(_SERVERS[kind])
    with server.scratch() as database:
        yield database
