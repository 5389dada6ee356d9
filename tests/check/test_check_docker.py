"""`alembic-gate check` with its own containers (the local alembic-gate/* images), and
that no container outlives a run: success, failure, SIGTERM, SIGKILL."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import (
    MARIADB_IMAGE,
    POSTGRES_IMAGE,
    Run,
    containers_of,
    line_of,
    processes_in,
    psycopg2_project,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_env")]

Project = Callable[[str], Path]
Check = Callable[..., Run]

FAILING = "migrations/versions/c9e2b7d41a05_add_user_email.py"
SLOW_REVISION = '''"""wait

Revision ID: 5e5e5e5e5e5e
Revises: c9e2b7d41a05
"""
from alembic import op

revision = "5e5e5e5e5e5e"
down_revision = "c9e2b7d41a05"


def upgrade():
    op.execute("SELECT pg_sleep(120)")


def downgrade():
    pass
'''


def test_postgres_container_failure_and_removal(project: Project, check: Check) -> None:
    root = project("failing")
    run = check("--image", POSTGRES_IMAGE, "--format", "json")
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", FAILING)
    assert finding["line"] == line_of(root / FAILING, "op.execute(")
    assert "rolled the whole upgrade back" in finding["message"]
    assert "database ready in" in run.err
    assert containers_of(os.getpid()) == []


def test_the_container_gets_the_driver_alembic_ini_names(project: Project, check: Check) -> None:
    # The container's URL names no driver: the one alembic.ini names runs the migrations
    # (psycopg2's own API), as under `alembic upgrade`.
    pytest.importorskip("psycopg2")
    psycopg2_project(project("generic"), "postgresql+psycopg2://app@db:5432/app")
    run = check("--image", POSTGRES_IMAGE, "--format", "json")
    assert run.code == 0, run.out + run.err
    assert containers_of(os.getpid()) == []


def test_mariadb_container_drift(project: Project, check: Check) -> None:
    project("drift")
    run = check("--db", "mariadb", "--image", MARIADB_IMAGE, "--format", "json")
    assert run.code == 1
    assert any(f["message"].startswith("column users.nickname ") for f in run.findings)
    assert containers_of(os.getpid()) == []


def test_multidb_round_trip_in_one_container(project: Project, check: Check) -> None:
    project("multidb")
    run = check("--image", POSTGRES_IMAGE, "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert containers_of(os.getpid()) == []


def test_a_missing_image_is_exit_3(project: Project, check: Check) -> None:
    project("generic")
    run = check("--image", "alembic-gate/no-such-image:0")
    assert run.code == 3
    assert "the image alembic-gate/no-such-image:0 is not available locally" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("image", ["Not An Image", "x::y", "UPPER/case:1"])
def test_an_invalid_image_name_is_a_usage_error(project: Project, check: Check, image: str) -> None:
    project("generic")
    run = check("--image", image)
    assert run.code == 2, run.err
    assert f"--image {image!r} is not a valid image reference" in run.err
    assert "cannot reach Docker" not in run.err and "Traceback" not in run.err


@pytest.fixture
def slow_run(project: Project) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`check` in a subprocess, stopped inside a two-minute migration."""
    root = project("generic")
    (root / "migrations/versions/5e5e5e5e5e5e_wait.py").write_text(SLOW_REVISION)
    temp = root.parent / "tmp"
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "alembic_gate", "check", "--image", POSTGRES_IMAGE],
        cwd=root,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a shell job has
    )
    try:
        _wait_for_line(process, "database ready", timeout=180)
        [container] = containers_of(process.pid)
        # Wait for the event, not for a time: the migration's query runs on the server.
        _wait_until(lambda: _sleeping_in(container), timeout=180)
        assert _worker_in(root)
        yield process, root
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _sleeping_in(container: str) -> bool:
    """Whether the server in `container` runs the slow revision's pg_sleep now."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
    command = f'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U postgres -tAc "{sql}"'
    done = subprocess.run(
        ["docker", "exec", container, "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.strip() == "1"


def _worker_in(root: Path) -> bool:
    return any("alembic_gate.check.worker" in c for c in processes_in(root).values())


def _wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> None:
    assert process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=1) and text in process.stderr.readline():
            return
        assert process.poll() is None, "check ended before its database was ready"
    raise AssertionError(f"no {text!r} within {timeout}s")


def _wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 143, "terminated by SIGTERM"),
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGHUP, 129, "terminated by SIGHUP"),
        (signal.SIGQUIT, 131, "terminated by SIGQUIT"),
    ],
)
def test_sigterm_and_ctrl_c_remove_the_container_and_the_worker(
    slow_run: tuple[subprocess.Popen[str], Path], signum: int, code: int, said: str
) -> None:
    process, root = slow_run
    assert containers_of(process.pid) != []
    # As a terminal does: to the whole process group (the worker too).
    os.killpg(process.pid, signum)
    # The event is the process's end; the bound only keeps a hang from lasting forever
    # (removing a container takes the Docker engine seconds on a busy machine).
    _, err = process.communicate(timeout=300)
    assert process.returncode == code
    assert said in err and "Traceback" not in err
    assert containers_of(process.pid) == []
    assert processes_in(root) == {}


def test_sigkill_leaves_the_clean_up_to_the_watchdog(
    slow_run: tuple[subprocess.Popen[str], Path],
) -> None:
    process, root = slow_run
    process.kill()
    process.wait(timeout=60)
    # The worker's output and result files never had a name: nothing is left behind.
    assert list((root.parent / "tmp").iterdir()) == []
    # The worker dies with its parent; the watchdog sees the pipe close.
    _wait_until(lambda: processes_in(root) == {}, timeout=120)
    _wait_until(lambda: containers_of(process.pid) == [], timeout=300)


def test_the_next_run_removes_what_a_killed_run_left(
    slow_run: tuple[subprocess.Popen[str], Path], check: Check
) -> None:
    process, root = slow_run
    [container] = containers_of(process.pid)
    session = subprocess.run(
        ["docker", "inspect", "-f", '{{index .Config.Labels "alembic-gate.session"}}', container],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    watchdogs = [
        pid
        for pid, command in processes_in(root).items()
        if command.endswith(f"alembic_gate.check.watchdog {session}")
    ]
    assert len(watchdogs) == 1
    os.kill(watchdogs[0], signal.SIGKILL)  # as when a CI runner kills everything
    process.kill()
    process.wait(timeout=60)
    assert containers_of(process.pid) == [container]  # nobody is left to remove it
    # Any later run sweeps first (this one then stops at its image).
    assert check("--image", "alembic-gate/no-such-image:0").code == 3
    assert containers_of(process.pid) == []


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Callable[..., str]]]:
    """ALEMBIC_GATE_REUSE=1 with an image tag of this test's own (so that no other run of
    the suite on the same Docker engine shares or removes its kept container), and
    `psql(sql)` inside that container; it is removed and the tag dropped afterwards."""
    monkeypatch.setenv("ALEMBIC_GATE_REUSE", "1")
    image = f"{POSTGRES_IMAGE.split(':')[0]}:kept-{uuid.uuid4().hex[:8]}"
    _docker("tag", POSTGRES_IMAGE, image)

    def kept_ids() -> list[str]:
        return _docker("ps", "-aq", "--filter", f"label=alembic-gate.image={image}").split()

    def psql(sql: str, database: str = "postgres") -> str:
        [container] = kept_ids()
        return _docker("exec", container, "psql", "-U", "postgres", "-d", database, "-tAc", sql)

    try:
        yield image, psql
    finally:
        for container in kept_ids():
            _docker("rm", "-f", container)
        _docker("rmi", image)


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_kept_container_copies_the_migrated_template(
    project: Project, check: Check, kept: tuple[str, Callable[..., str]]
) -> None:
    image, psql = kept
    root = project("generic")
    # Without rows: seeding measures every revision, so it never starts from a copy.
    assert check("--image", image, "--no-seed").code == 0
    [template] = psql("SELECT datname FROM pg_database WHERE datname LIKE 'alembic_gate_%'").split()
    assert template.startswith("alembic_gate_tpl_")  # the run's own database was dropped
    # Mark the template: a run that starts from a copy of it sees the mark as drift.
    psql("CREATE TABLE template_mark (id integer)", template)
    run = check("--image", image, "--no-seed", "--format", "json")
    assert [f["message"] for f in run.findings] == [
        "table template_mark is in the migrated database but not in the models"
    ]
    assert "(from this history's migrated template)" in check("--image", image, "--no-seed").out
    # Another history is another template: migrated from scratch, no mark.
    (root / "migrations/versions/5e5e5e5e5e5e_wait.py").write_text(
        SLOW_REVISION.replace("SELECT pg_sleep(120)", "SELECT 1")
    )
    assert check("--image", image, "--no-seed").code == 0
    names = psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'alembic_gate_tpl_%'")
    assert names == "2"


def test_a_server_not_ready_in_time_is_exit_3_and_removed(project: Project, check: Check) -> None:
    project("generic")
    run = check("--image", POSTGRES_IMAGE, "--timeout", "0.5")
    assert run.code == 3
    assert "container was not ready in time (raise --timeout" in run.err
    assert containers_of(os.getpid()) == []


def test_ports_are_tried_on_the_loopback_address_too(
    project: Project, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Inside a container with no TC_HOST, testcontainers answers with the Docker network's
    # gateway, which the ports the local engine publishes may not answer on (not here).
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    monkeypatch.setattr(testcontainers_config, "tc_host_override", None)
    monkeypatch.setattr(
        testcontainers_config, "connection_mode_override", ConnectionMode.gateway_ip
    )
    project("generic")
    run = check("--image", POSTGRES_IMAGE)
    assert run.code == 0, run.err
