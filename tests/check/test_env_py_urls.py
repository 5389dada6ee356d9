"""env.py files that build their own URL (tests/projects/check_url_parts: pydantic
settings from POSTGRES_SERVER, POSTGRES_PORT, ... as the FastAPI full-stack template and
mealie have them): `--env NAME=VALUE` with placeholders, and a clear, fast refusal when
env.py aims at a database of its own."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import PASSWORD, POSTGRES_IMAGE, Run, edit, tables

Project = Callable[[str], Path]
Check = Callable[..., Run]

PARTS = [
    "--env",
    "POSTGRES_SERVER={host}",
    "--env",
    "POSTGRES_PORT={port}",
    "--env",
    "POSTGRES_USER={user}",
    "--env",
    "POSTGRES_PASSWORD={password}",
    "--env",
    "POSTGRES_DB={database}",
]


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--env", "NOEQUALS"], "--env: 'NOEQUALS' is not NAME=VALUE"),
        (["--env", "1BAD=x"], "--env: '1BAD' is not NAME=VALUE"),
        (["--env", "DB={db}"], "--env DB: unknown placeholder {db}"),
        (["--url-env", "BAD NAME"], "--url-env: 'BAD NAME' is not NAME=VALUE"),
    ],
)
def test_bad_env_flags_are_usage_errors(
    project: Project, check: Check, flags: list[str], said: str
) -> None:
    project("url_parts")
    run = check("--db", "sqlite", *flags)
    assert run.code == 2
    assert said in run.err and "Traceback" not in run.err


def test_env_py_own_url_is_refused_before_it_connects(project: Project, check: Check) -> None:
    root = project("url_parts")
    with _listener() as (port, connections):
        edit(root / ".env", "POSTGRES_SERVER=db", "POSTGRES_SERVER=127.0.0.1")
        edit(root / ".env", "POSTGRES_PORT=5432", f"POSTGRES_PORT={port}")
        run = check("--db", "sqlite")
    assert run.code == 2
    assert (
        f"env.py connects to postgresql+psycopg://postgres@127.0.0.1:{port}/app, a URL of "
        "its own, not to the throwaway database" in run.err
    )
    assert "--env NAME=VALUE" in run.err and "--url-env NAME" in run.err
    assert "changethis-db-password" not in run.err
    # No connection was even tried (a host that never answers would cost the driver's
    # whole connect timeout: asyncpg waits 60 s).
    assert connections == []


@pytest.mark.postgres
def test_url_parts_into_an_existing_database(
    project: Project, check: Check, postgres_url: str
) -> None:
    project("url_parts")
    # No port and `localhost`: {port} is the default one, and env.py's URL, built from
    # 127.0.0.1's other name, is still the same database.
    name = postgres_url.rsplit("/", 1)[1]
    url = f"postgresql://postgres:{PASSWORD}@localhost/{name}"
    run = check("--database-url", url, *PARTS, "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert tables(postgres_url) == ["alembic_version", "posts", "users"]


@pytest.mark.postgres
def test_url_env_into_an_existing_database_from_its_parts(
    project: Project, check: Check, postgres_url: str
) -> None:
    root = project("url_parts")
    # POSTGRES_SERVER from .env ("db") is not this server; a URL in one variable is.
    edit(
        root / "app/core/config.py",
        "        return MultiHostUrl.build(",
        "        import os\n        if os.environ.get('DATABASE_URL'):\n"
        "            return os.environ['DATABASE_URL']\n        return MultiHostUrl.build(",
    )
    assert check("--database-url", postgres_url, "--url-env", "DATABASE_URL").code == 0


def test_missing_settings_are_listed_whole_without_the_password(
    project: Project, check: Check
) -> None:
    root = project("url_parts")
    (root / ".env").unlink()
    run = check("--db", "sqlite", "--env", f"POSTGRES_PASSWORD={PASSWORD}", "--format", "json")
    [finding] = run.findings
    assert finding["code"] == "AG901"
    assert finding["path"] == "app/core/config.py"
    message = finding["message"]
    assert "4 validation errors for Settings" in message
    for name in ("PROJECT_NAME", "SECRET_KEY", "POSTGRES_SERVER", "POSTGRES_USER"):
        assert f"\n{name}\n  Field required" in message
    # pydantic shows the values it was given: the password is hidden there too.
    assert "'POSTGRES_PASSWORD': '***'" in message
    assert PASSWORD not in run.out + run.err


def test_a_long_message_is_cut_and_marked(project: Project, check: Check) -> None:
    root = project("url_parts")
    edit(root / "app/models.py", "from sqlalchemy", 'raise ValueError("x" * 5000)\nfrom sqlalchemy')
    run = check("--db", "sqlite", *PARTS, "--format", "json")
    [finding] = run.findings
    assert "ValueError: xxxx" in finding["message"]
    assert "... [3012 more characters cut]" in finding["message"]


@pytest.mark.docker
@pytest.mark.usefixtures("docker_env")
def test_url_parts_in_a_container(project: Project, check: Check) -> None:
    project("url_parts")
    refused = check("--image", POSTGRES_IMAGE)
    assert refused.code == 2
    assert "env.py connects to postgresql+psycopg://postgres@db:5432/app" in refused.err
    run = check("--image", POSTGRES_IMAGE, *PARTS)
    assert run.code == 0, run.out + run.err
    # Migrated in the container (lock warnings measured on its seeded tables may come too).
    assert re.search(r": PostgreSQL 15\.\d+, 3 revisions applied in [\d.]+s\.$", run.out.strip())


@contextmanager
def _listener() -> Iterator[tuple[int, list[tuple[str, int]]]]:
    """A TCP port on 127.0.0.1 that records every connection made to it."""
    server = socket.create_server(("127.0.0.1", 0))
    connections: list[tuple[str, int]] = []

    def accept() -> None:
        while True:
            try:
                conn, address = server.accept()
            except OSError:  # closed
                return
            connections.append(address)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], connections
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(timeout=10)


@pytest.mark.postgres
def test_env_py_own_database_on_the_same_server_that_fails(
    project: Project, check: Check, postgres_url: str
) -> None:
    project("url_env")
    # The same server as --database-url, another (missing) database: env.py connects, the
    # server refuses, and the message says whose URL that was.
    own = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    run = check("--database-url", postgres_url, "--env", f"APP_DATABASE_URL={own}")
    assert run.code == 2, run.err
    assert "env.py connected to postgresql+psycopg://postgres@127.0.0.1:5432/no_such_database" in (
        run.err
    )
    assert (
        "a URL of its own, not to the throwaway database it was given, and that failed: " in run.err
    )
    assert 'database "no_such_database" does not exist' in run.err
    assert "--url-env NAME" in run.err


@pytest.mark.postgres
def test_an_async_env_py_own_database_on_the_same_server_that_fails(
    project: Project, check: Check, postgres_url: str
) -> None:
    # asyncpg raises its connect errors as they are (no DBAPIError around them): the same
    # usage error as with psycopg, not an AG901 in env.py.
    root = project("async")
    edit(
        root / "migrations/env.py",
        "config.get_section(config.config_ini_section, {}),",
        "{'sqlalchemy.url': __import__('os').environ['APP_DATABASE_URL']},",
    )
    server = postgres_url.rsplit("/", 1)[0].replace("+psycopg", "+asyncpg")
    own = server + "/no_such_database"
    run = check("--database-url", postgres_url, "--env", f"APP_DATABASE_URL={own}")
    assert run.code == 2, run.err
    assert "env.py connected to postgresql+asyncpg://postgres@127.0.0.1:5432/no_such_database" in (
        run.err
    )
    assert 'database "no_such_database" does not exist' in run.err
    assert "--url-env NAME" in run.err and "Traceback" not in run.err


@pytest.mark.postgres
def test_url_env_gets_the_url_as_typed(project: Project, check: Check, postgres_url: str) -> None:
    # letta's env.py hands $LETTA_PG_URI to config.set_main_option: a `!` SQLAlchemy
    # renders as `%21` is read there as interpolation. As typed, it works, as with alembic.
    root = project("url_env")
    edit(
        root / "migrations/env.py",
        '    url = os.environ.get("APP_DATABASE_URL", "sqlite:///dev.db")',
        '    config.set_main_option("sqlalchemy.url", os.environ["APP_DATABASE_URL"])\n'
        '    url = config.get_main_option("sqlalchemy.url")',
    )
    typed = postgres_url.replace("postgres@", "postgres:Pass!word-7@", 1)
    assert typed != postgres_url
    run = check("--database-url", typed, "--url-env", "APP_DATABASE_URL", "--ignore", "AG902")
    assert run.code == 0, run.out + run.err


@pytest.mark.postgres
def test_env_py_refused_where_check_connected_says_whose_connection(
    project: Project, check: Check, postgres_url: str
) -> None:
    # Spoolman, an --env value mistyped: env.py's URL names the same database with another
    # user, which the server refuses. It said "cannot connect to the database", as if the
    # --database-url check had just used were wrong.
    project("url_parts")
    name = postgres_url.rsplit("/", 1)[1]
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/{name}"
    parts = [*PARTS]
    parts[parts.index("POSTGRES_USER={user}")] = "POSTGRES_USER=no_such_role_{user}"
    run = check("--database-url", url, *parts)
    assert run.code == 3, run.out + run.err
    assert 'role "no_such_role_postgres" does not exist' in run.err
    assert (
        "(env.py's own connection (built from --env POSTGRES_SERVER, --env POSTGRES_PORT, "
        "--env POSTGRES_USER, --env POSTGRES_PASSWORD, --env POSTGRES_DB?): check's "
        "connection to the same database with --database-url succeeded before env.py ran)"
    ) in run.err, run.err
    assert PASSWORD not in run.err
