"""The check tests' rig: fixture projects copied to tmp_path, `alembic-gate check` run for
real (its worker is a real subprocess), and real databases: SQLite files, scratch
databases on the local PostgreSQL and MariaDB servers and on a MySQL server started for
the session, and containers from the local images (scripts/build-test-images.sh).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import installed
import pytest
import sqlalchemy as sa

from alembic_gate.check import process
from alembic_gate.check.protocol import told
from alembic_gate.main import main

PROJECTS = Path(__file__).parent.parent / "projects"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
POSTGRES_IMAGE = "alembic-gate/postgres:15"
MARIADB_IMAGE = "alembic-gate/mariadb:10.11"
MYSQL_IMAGE = "alembic-gate/mysql:9"
MYSQLCLIENT_ADMIN = "mysql+mysqldb://root@127.0.0.1:3306/test"
# Put into URLs by the tests: it must never appear in check's output.
PASSWORD = "s3cret-Pw-check"

# What scripts/ensure-docker.sh --print-env exports (no registry to pull the reaper from;
# the Docker host's ports answer on the loopback address). testcontainers reads them when
# first imported, so they are set before any test imports it, for every test of the run.
for _name, _value in (
    ("TESTCONTAINERS_RYUK_DISABLED", "true"),
    ("TESTCONTAINERS_CONNECTION_MODE", "docker_host"),
    ("TC_HOST", "127.0.0.1"),
):
    os.environ.setdefault(_name, _value)


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The findings of a run made with --format json (what it said instead, where it
        wrote no report, is the assertion's message)."""
        assert self.out, f"no report (exit {self.code}); standard error:\n{self.err}"
        findings: list[dict[str, Any]] = json.loads(self.out)["findings"]
        return findings

    def codes(self) -> list[str]:
        return [f["code"] for f in self.findings]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """A fresh copy of tests/projects/check_<name>, made the current directory."""

    def copy(name: str) -> Path:
        target = Path(shutil.copytree(PROJECTS / f"check_{name}", tmp_path / name))
        monkeypatch.chdir(target)
        return target

    return copy


@pytest.fixture
def check(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`alembic-gate check ARGS...` in the current directory, in this process."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(["check", *args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def limit_once(
    monkeypatch: pytest.MonkeyPatch, there: Callable[[str, list[str]], bool], seconds: float = 1.0
) -> None:
    """Make the worker's time limit (process.WORKER_SECONDS, the floor of 10x --timeout)
    `seconds`, counted from the moment the worker's log and the notes it told satisfy
    `there` (or it stops): a test of what the limit says waits for the worker to get
    where it should be stuck, however long that takes on a busy machine, and then only
    for a short limit, instead of a limit long enough for the slowest machine."""
    monkeypatch.setattr(process, "WORKER_SECONDS", seconds)
    run = process.WorkerProcess.run

    def run_there(worker: process.WorkerProcess, *args: Any) -> Any:
        wait = worker.process.wait

        def wait_there(limit: float | None = None) -> int:
            worker.process.wait = wait  # type: ignore[method-assign]
            deadline = time.monotonic() + 60
            while not there(_unshared(worker.log), told(_unshared(worker.notes))):
                assert time.monotonic() < deadline, "the worker never got there"
                with contextlib.suppress(subprocess.TimeoutExpired):
                    return wait(0.1)  # it stopped: no limit to wait for
            return wait(limit)

        worker.process.wait = wait_there  # type: ignore[method-assign]
        return run(worker, *args)

    monkeypatch.setattr(process.WorkerProcess, "run", run_there)


def _unshared(file: Any) -> str:
    """What the worker wrote so far to one of its unnamed files, read through a file
    description of its own (the worker shares the offset of `file`'s)."""
    return Path(f"/proc/self/fd/{file.fileno()}").read_bytes().decode("utf-8", "replace")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of `path` containing `text`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def add_fix_revision(root: Path, fix: str, parent: str = "c9e2b7d41a05") -> None:
    """A revision after `parent` (check_generic's head) whose upgrade is `fix`, as a
    finding gives it: whether the fix runs, and leaves nothing to report."""
    text = FIX_REVISION.format(parent=parent, body=textwrap.indent(fix, "    "))
    (root / "migrations/versions/f1f1f1f1f1f1_fix.py").write_text(text, encoding="utf-8")


def partial_descending_index(root: Path, where: str) -> Path:
    """check_generic's posts with the index `(user_id, title DESC) WHERE user_id > 0` made
    by its revision, and the same index in the models, with the WHERE `where`, as Arize
    Phoenix writes them: DESC as `desc("title")` in the models, `column("title").desc()`
    in the revision. Returns the models' file."""
    posts = root / "migrations/versions/7a3d5e8c2f40_create_posts.py"
    made = 'sqlite_where=sa.text("user_id > 0"), postgresql_where=sa.text("user_id > 0")'
    index = (
        '    op.create_index(\n        "ix_posts_recent", "posts", ["user_id", '
        f'sa.column("title").desc()],\n        {made},\n    )\n'
    )
    edit(posts, "\n\ndef downgrade", "\n" + index + "\n\ndef downgrade")
    models = root / "models.py"
    edit(models, "import ForeignKey, String", "import ForeignKey, Index, String, desc, text")
    said = f'sqlite_where=text("{where}"), postgresql_where=text("{where}")'
    declared = f'Index("ix_posts_recent", "user_id", desc("title"), {said})'
    edit(
        models,
        "    title: Mapped[str] = mapped_column(String(200))\n",
        "    title: Mapped[str] = mapped_column(String(200))\n\n"
        f"    __table_args__ = ({declared},)\n",
    )
    return models


FIX_REVISION = '''"""the fix check gave"""
import sqlalchemy as sa
from alembic import op

revision = "f1f1f1f1f1f1"
down_revision = "{parent}"


def upgrade():
{body}


def downgrade():
    pass
'''


def psycopg2_project(root: Path, own_url: str) -> Path:
    """A copy of check_generic (`root`) whose first revision uses psycopg2's own API
    (which psycopg 3 does not have), its alembic.ini pointing at `own_url`."""
    first = root / "migrations/versions/4f1c2a9e0b11_create_users.py"
    edit(first, "from alembic import op\n", "from alembic import op\n" + PSYCOPG2_IMPORT)
    edit(first, '        sa.PrimaryKeyConstraint("id"),\n    )\n', PSYCOPG2_INSERT)
    edit(root / "alembic.ini", "driver://user:pass@localhost/dbname", own_url)
    return root


PSYCOPG2_IMPORT = "from psycopg2.extras import execute_values\n"
PSYCOPG2_INSERT = """        sa.PrimaryKeyConstraint("id"),
    )
    cursor = op.get_bind().connection.cursor()
    execute_values(cursor, "INSERT INTO users (name) VALUES %s", [("ada",), ("bob",)])
"""


def tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


# -- local servers ---------------------------------------------------------------------


def _reachable(url: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _scratch(admin: str, kind: str, grant: str = "") -> Iterator[str]:
    """A new database on `admin`'s server; with `grant`, a user of that server's URL for it."""
    if not _reachable(admin):
        pytest.skip(f"the local {kind} server ({admin}) is not reachable")
    name = f"ag_check_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
            if grant:
                conn.exec_driver_sql(f"GRANT ALL ON {name}.* TO {grant}")  # @'%'
        url = sa.make_url(admin).set(database=name)
        if grant:
            url = url.set(username=grant, password=PASSWORD)
        yield url.render_as_string(hide_password=False)
        force = " WITH (FORCE)" if kind == "PostgreSQL" else ""
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty database of its own on the local PostgreSQL, dropped afterwards."""
    yield from _scratch(LOCAL_POSTGRES, "PostgreSQL")


@pytest.fixture
def second_postgres_url() -> Iterator[str]:
    """Another empty database on the local PostgreSQL (for the project's own alembic to
    run on, next to check), dropped afterwards."""
    yield from _scratch(LOCAL_POSTGRES, "PostgreSQL")


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """An empty database of its own on the local MariaDB, dropped afterwards."""
    yield from _scratch(LOCAL_MARIADB, "MariaDB")


@dataclass
class MysqldbScratch:
    name: str  # of the database and of its user

    def url(self, password: str = PASSWORD, port: int = 3306) -> str:
        return f"mysql://{self.name}:{password}@127.0.0.1:{port}/{self.name}"

    def execute(self, statement: str) -> None:
        engine = sa.create_engine(self.url().replace("mysql://", "mysql+mysqldb://", 1))
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()


@pytest.fixture
def mysqldb() -> Iterator[MysqldbScratch]:
    """An empty database on the local MariaDB and a user with a password that may use
    only it, both named h_mysqlclient_*, for URLs that mysqlclient (MySQLdb) gets;
    dropped afterwards. Skips without mysqlclient (fails under CI=true)."""
    installed.mysqlclient()
    name = f"h_mysqlclient_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(MYSQLCLIENT_ADMIN, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    try:
        try:
            conn = admin.connect()
        except sa.exc.OperationalError:
            pytest.skip("no MariaDB server on 127.0.0.1:3306 (user root, no password)")
        with conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
            conn.exec_driver_sql(f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'")
            conn.exec_driver_sql(f"GRANT ALL ON {name}.* TO '{name}'@'127.0.0.1'")
        try:
            yield MysqldbScratch(name)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                conn.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'127.0.0.1'")
    finally:
        admin.dispose()


# -- Docker ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_images() -> None:
    """Skip when no Docker engine answers (or ALEMBIC_GATE_SKIP_DOCKER=1); fail when one
    does but a local test image is missing: scripts/test builds them all, so a missing
    image is a broken build, not a machine without Docker."""
    if os.environ.get("ALEMBIC_GATE_SKIP_DOCKER") == "1":
        pytest.skip("ALEMBIC_GATE_SKIP_DOCKER=1")
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no Docker engine: {exc}")
    if info.returncode != 0:
        pytest.skip("no Docker engine answers `docker info` (scripts/ensure-docker.sh starts one)")
    missing = [
        image
        for image in (POSTGRES_IMAGE, MARIADB_IMAGE, MYSQL_IMAGE)
        if subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, timeout=30, check=False
        ).returncode
        != 0
    ]
    if missing:
        pytest.fail(
            f"Docker answers but image(s) {', '.join(missing)} are missing: scripts/"
            "build-test-images.sh builds them (ALEMBIC_GATE_SKIP_DOCKER=1 skips these tests)"
        )


@pytest.fixture
def docker_env(docker_images: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """testcontainers without its reaper (no registry here to pull it from)."""
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")


def containers_of(pid: int) -> list[str]:
    """Ids of alembic-gate containers (running or not) started by process `pid`."""
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=alembic-gate.pid={pid}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return listed.stdout.split()


def processes_in(folder: Path) -> dict[int, str]:
    """Other processes whose current directory is `folder` (the worker runs in the
    project), with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == folder:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found[int(entry.name)] = command.strip()
        except OSError:
            continue
    return found


# -- a MySQL server for --database-url -------------------------------------------------

MYSQL_USER = "app"


@pytest.fixture(scope="session")
def mysql_server(docker_images: None) -> Iterator[str]:
    """A MySQL server from the local image for the whole session, its port published on
    127.0.0.1, removed afterwards: root logs in without a password (an administrator's
    URL is returned), the user `app` with PASSWORD, both over TCP (caching_sha2_password)."""
    env = {
        "MYSQL_ALLOW_EMPTY_PASSWORD": "yes",
        "MYSQL_USER": MYSQL_USER,
        "MYSQL_PASSWORD": PASSWORD,
    }
    args = ["--innodb-flush-log-at-trx-commit=0"]
    # The entrypoint's temporary server logs "port: 0"; the real one its port.
    with server_container("mysql", MYSQL_IMAGE, env, args, _mysql_ready) as port:
        yield f"mysql+pymysql://root@127.0.0.1:{port}/mysql"


def _mysql_ready(line: str) -> bool:
    return "ready for connections" in line and "port: 3306" in line


@contextlib.contextmanager
def server_container(
    label: str, image: str, env: dict[str, str], args: list[str], ready: Callable[[str], bool]
) -> Iterator[str]:
    """A database server container from the local `image` (given `env` and the server
    `args`), its port 3306 published on 127.0.0.1, once a line of its log is `ready`:
    that port; the container and its volumes removed afterwards."""
    command = ["docker", "run", "-d", f"--label=alembic-gate.test={label}", "-p127.0.0.1::3306"]
    command += [f"--env={name}={value}" for name, value in env.items()]
    command += [image, *args]
    started = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    container = started.stdout.strip()
    try:
        wait_for_log(container, ready)
        command = ["docker", "port", container, "3306/tcp"]
        published = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
        yield published.stdout.split()[0].rsplit(":", 1)[1]
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", container], capture_output=True, timeout=60)


def wait_for_log(container: str, ready: Callable[[str], bool], timeout: float = 120) -> None:
    """Follow a container's log until a line satisfies `ready`; fail with the log's end
    when the container stops first or the time is up. The pipe is read unbuffered
    (os.read), so that lines that came in one read are all looked at before the next
    wait: a buffered readline keeps them where the selector does not see them."""
    follow = subprocess.Popen(
        ["docker", "logs", "--follow", container],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert follow.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(follow.stdout, selectors.EVENT_READ)
    seen: list[str] = []
    pending = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            chunk = os.read(follow.stdout.fileno(), 1 << 16)
            if not chunk:  # the log ended: the container stopped
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace") + "\n"
                if ready(line):
                    return
                seen.append(line)
        pytest.fail(
            f"container {container[:12]} not ready; its log ends with:\n" + "".join(seen[-15:])
        )
    finally:
        follow.kill()
        follow.wait()
        selector.close()


@pytest.fixture
def mysql_url(mysql_server: str) -> Iterator[str]:
    """An empty database of its own on the session's MySQL server, for the user `app`
    (which may use only that database), dropped afterwards."""
    yield from _scratch(mysql_server, "MySQL", grant=MYSQL_USER)
