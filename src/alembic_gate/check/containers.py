"""Throwaway database servers in Docker containers, started with testcontainers.

Every container carries the labels `alembic-gate=1`, `alembic-gate.session=<id>`,
`alembic-gate.pid` and `alembic-gate.host`, and is removed:

* by this process, in a `finally` (success, failure, timeout, SIGTERM, Ctrl-C);
* by a watchdog process that outlives a killed run (SIGKILL): it waits for the
  end of a pipe this process holds, then removes the session's containers;
* by the next run, which removes containers of this host whose process is gone
  (when the watchdog was killed too, e.g. a whole process group): the labels
  `alembic-gate.pid` and `alembic-gate.started` (its start time) tell a process that
  is gone from a later one that was given the same number (PIDs wrap at 32768 on a
  busy machine).

testcontainers' own reaper (Ryuk) is used when its image is present, and left
out otherwise: it is often unavailable (no registry, rootless Docker).

For local use, ALEMBIC_GATE_REUSE=1 keeps one container per engine and image
instead (labels `alembic-gate.keep=<db>`, `alembic-gate.image`, and the random
password it was started with); each run makes databases of its own in it and drops
them. Remove it with `docker rm -f $(docker ps -q --filter label=alembic-gate.keep)`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from alembic_gate.check.databases import alive, start_time
from alembic_gate.errors import EnvError, UsageError
from alembic_gate.shared.records import field, record

DEFAULT_IMAGES = {"postgres": "postgres:16-alpine", "mysql": "mysql:8.4", "mariadb": "mariadb:11.4"}
LABEL = "alembic-gate"
NO_DOCKER = (
    "start the Docker engine (or point DOCKER_HOST at one), or run without Docker: "
    "--db sqlite, or --database-url URL for an empty database you started"
)
POLL = 0.2
# Set to 1 to keep one container per engine and image between runs (local use).
REUSE = "ALEMBIC_GATE_REUSE"
# How long a started server's port may take to answer from here.
PORT_SECONDS = 15.0

_PG_READY = (
    'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1"'
)
_MY_READY = (
    'c=$(command -v mariadb || command -v mysql) && "$c" -h127.0.0.1 -uroot '
    '-p"$MYSQL_ROOT_PASSWORD" -e "select 1"'
)


@record(frozen=True)
class Engine:
    port: int
    scheme: str
    user: str
    database: str
    ready: str
    # Server options: a throwaway database needs no durability.
    command: tuple[str, ...]
    tmpfs: dict[str, str] = field(default_factory=dict)

    def url(self, password: str, host: str, port: int) -> str:
        return f"{self.scheme}://{self.user}:{password}@{host}:{port}/{self.database}"

    def environment(self, password: str) -> dict[str, str]:
        if self.scheme == "postgresql":
            return {"POSTGRES_PASSWORD": password, "POSTGRES_USER": self.user}
        return {"MYSQL_ROOT_PASSWORD": password, "MARIADB_ROOT_PASSWORD": password}


_MYSQL = Engine(3306, "mysql", "root", "mysql", _MY_READY, ("--innodb-flush-log-at-trx-commit=0",))
ENGINES = {
    "postgres": Engine(
        5432,
        "postgresql",
        "postgres",
        "postgres",
        _PG_READY,
        ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
        {"/var/lib/postgresql/data": "rw"},
    ),
    "mysql": _MYSQL,
    "mariadb": _MYSQL,
}


def labels(session: str) -> dict[str, str]:
    marks = {
        LABEL: "1",
        f"{LABEL}.session": session,
        f"{LABEL}.pid": str(os.getpid()),
        f"{LABEL}.host": socket.gethostname(),
    }
    started = start_time(os.getpid())
    if started is not None:  # tells this process from a later one with the same number
        marks[f"{LABEL}.started"] = started
    return marks


def docker_client(timeout: float) -> Any:
    """testcontainers' Docker client, checked with a ping (EnvError when unreachable)."""
    try:
        from testcontainers.core.docker_client import DockerClient

        client = DockerClient(timeout=max(1, int(min(timeout, 60))))
        client.client.ping()
    except ImportError:
        raise EnvError(
            f"testcontainers is not installed: pip install testcontainers, or {NO_DOCKER}"
        ) from None
    except Exception as exc:
        raise EnvError(f"cannot reach Docker ({_reason(exc)}): {NO_DOCKER}") from None
    return client


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def session_containers(client: Any, session: str) -> list[Any]:
    found: list[Any] = client.client.containers.list(
        all=True, filters={"label": f"{LABEL}.session={session}"}
    )
    return found


def remove_session(client: Any, session: str) -> None:
    for container in session_containers(client, session):
        with suppress(Exception):  # already gone, or going: nothing left to do
            container.remove(force=True, v=True)


def sweep_stale(client: Any) -> list[str]:
    """Remove containers of earlier runs on this host whose process is gone."""
    wanted = [f"{LABEL}=1", f"{LABEL}.host={socket.gethostname()}"]
    removed = []
    for container in client.client.containers.list(all=True, filters={"label": wanted}):
        pid = container.labels.get(f"{LABEL}.pid", "")
        started = container.labels.get(f"{LABEL}.started")
        if pid.isdigit() and not alive(int(pid), started):
            with suppress(Exception):
                container.remove(force=True, v=True)
                removed.append(container.short_id)
    return removed


def _ensure_image(client: Any, image: str, db: str) -> None:
    from docker.errors import APIError, ImageNotFound  # type: ignore[import-untyped]

    try:
        client.client.images.get(image)
        return
    except ImageNotFound:
        pass
    except APIError as exc:
        if exc.is_client_error():  # Docker answered: the name is not one it accepts
            reason = _reason(exc.explanation or exc)
            raise UsageError(
                f"--image {image!r} is not a valid image reference ({reason}); "
                f"e.g. {DEFAULT_IMAGES[db]}"
            ) from None
        raise EnvError(f"Docker could not look up the image {image}: {_reason(exc)}") from None
    except Exception as exc:
        raise EnvError(f"cannot reach Docker ({_reason(exc)}): {NO_DOCKER}") from None
    try:
        client.client.images.pull(image)
    except Exception as exc:
        raise EnvError(
            f"the image {image} is not available locally and could not be pulled "
            f"({_reason(exc)}): pull or build it, pick another {db} image with --image, "
            "or run without Docker: --db sqlite, or --database-url URL"
        ) from None


def _use_ryuk_only_if_present(client: Any) -> None:
    from testcontainers.core.config import testcontainers_config as config

    if config.ryuk_disabled:
        return
    try:
        client.client.images.get(config.ryuk_image)
    except Exception:  # not present (or not readable): our own clean-up covers it
        config.ryuk_disabled = True


class Watchdog:
    """A process that removes this session's containers once this process is gone."""

    def __init__(self, session: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alembic_gate.check.watchdog", session],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def release(self) -> None:
        """This process removed its containers: let the watchdog check and leave."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


@record(frozen=True)
class Server:
    """A database server in a container: an administrator's URL."""

    url: str
    # Seconds from the Docker ping to a server accepting logins (0 when reused).
    seconds: float
    # A kept container (ALEMBIC_GATE_REUSE=1): it outlives the run.
    kept: bool = False


def reuse_requested() -> bool:
    return os.environ.get(REUSE, "") not in {"", "0"}


@contextmanager
def running(db: str, image: str | None, timeout: float) -> Iterator[Server]:
    """A `db` server for this run: a new container removed afterwards, or with
    ALEMBIC_GATE_REUSE=1 a kept one (started once, found again by its labels)."""
    engine = ENGINES[db]
    image = image or DEFAULT_IMAGES[db]
    started = time.monotonic()
    deadline = started + timeout
    client = docker_client(timeout)
    sweep_stale(client)
    if reuse_requested():
        yield _kept(client, db, image, started, deadline)
        return
    _ensure_image(client, image, db)
    _use_ryuk_only_if_present(client)
    session = secrets.token_hex(6)
    password = secrets.token_hex(12)
    watchdog = Watchdog(session)
    try:
        container = _start(client, engine, image, labels(session), password)
        hosts, port = _address(container, engine)
        host = _wait_ready(container, engine, hosts, port, deadline, image)
        yield Server(engine.url(password, host, port), time.monotonic() - started)
    finally:
        remove_session(client, session)
        watchdog.release()


def _kept(client: Any, db: str, image: str, started: float, deadline: float) -> Server:
    """The kept container for `db` and `image`, started when there is none."""
    from testcontainers.core.config import testcontainers_config

    engine = ENGINES[db]
    wanted = {"label": [f"{LABEL}.keep={db}", f"{LABEL}.image={image}"], "status": "running"}
    for found in client.client.containers.list(filters=wanted):
        password = found.labels.get(f"{LABEL}.password", "")
        published = found.attrs["NetworkSettings"]["Ports"].get(f"{engine.port}/tcp") or []
        port = int(published[0]["HostPort"]) if published else 0
        host = next((h for h in _hosts(client, found.id) if _port_open(h, port)), None)
        if password and host:
            return Server(engine.url(password, host, port), time.monotonic() - started, kept=True)
    _ensure_image(client, image, db)
    testcontainers_config.ryuk_disabled = True  # the reaper would remove it at exit
    password = secrets.token_hex(12)
    keep = {LABEL: "1", f"{LABEL}.keep": db, f"{LABEL}.image": image, f"{LABEL}.password": password}
    container = _start(client, engine, image, keep, password)
    try:
        hosts, port = _address(container, engine)
        host = _wait_ready(container, engine, hosts, port, deadline, image)
    except BaseException:
        container.stop()
        raise
    return Server(engine.url(password, host, port), time.monotonic() - started, kept=True)


def _start(client: Any, engine: Engine, image: str, marks: dict[str, str], password: str) -> Any:
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(image, command=" ".join(engine.command))
    container.with_envs(**engine.environment(password))
    container.with_exposed_ports(engine.port)
    container.with_kwargs(labels=marks)
    container.tmpfs = dict(engine.tmpfs)
    try:
        container.start()
    except Exception as exc:
        raise EnvError(f"cannot start a container from {image}: {_reason(exc)}") from None
    return container


def _address(container: Any, engine: Engine) -> tuple[list[str], int]:
    try:
        port = int(container.get_exposed_port(engine.port))
        hosts = _hosts(container.get_docker_client(), container.get_container_id())
    except Exception as exc:
        raise EnvError(f"cannot find the container's port: {_reason(exc)}") from None
    return hosts, port


def _hosts(client: Any, container_id: str) -> list[str]:
    """The hosts to try for a container's port: testcontainers' answer first, then the
    loopback address when the engine is local (testcontainers picks the gateway address
    when it runs inside a container, which the host's published ports may not answer)."""
    from testcontainers.core.config import ConnectionMode

    mode = client.get_connection_mode()
    if mode == ConnectionMode.gateway_ip:
        host = client.gateway_ip(container_id)
    elif mode == ConnectionMode.bridge_ip:
        host = client.bridge_ip(container_id)
    else:
        host = client.host()
    # The Docker SDK's address for a Unix socket (or a Windows named pipe).
    local = str(client.client.api.base_url).startswith("http+docker://")
    return list(dict.fromkeys([host, "127.0.0.1"] if local else [host]))


def _wait_ready(
    container: Any, engine: Engine, hosts: list[str], port: int, deadline: float, image: str
) -> str:
    """Wait until the server accepts a login inside the container, then until its port
    answers from here; return the host it answers on."""
    wrapped = container.get_wrapped_container()
    while True:
        wrapped.reload()
        if wrapped.status in {"exited", "dead"}:
            logs = wrapped.logs(tail=15).decode(errors="replace").strip()
            raise EnvError(f"the {image} container stopped while starting:\n{logs}")
        code, _ = wrapped.exec_run(["sh", "-c", engine.ready])
        if code == 0:
            break
        if time.monotonic() > deadline:
            raise EnvError(
                f"the {image} container was not ready in time "
                "(raise --timeout, or check the Docker engine)"
            )
        time.sleep(POLL)
    port_deadline = min(deadline, time.monotonic() + PORT_SECONDS)
    while True:
        for host in hosts:
            if _port_open(host, port):
                return host
        if time.monotonic() > port_deadline:
            raise EnvError(
                f"the database in the container is up, but port {port} does not answer on "
                f"{' or '.join(hosts)}: tell testcontainers how to reach the Docker host "
                "(TESTCONTAINERS_CONNECTION_MODE=docker_host, TC_HOST=ADDRESS)"
            )
        time.sleep(POLL)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
