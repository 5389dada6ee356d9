"""No password in any output: every command, every report format, a password in each
place a URL can carry one; stdout, stderr, every report file, the GitHub step summary
and whatever is left in the temporary folder are searched for it.

Places: the user part of --database-url (plain, percent-encoded, with an unencoded @),
its `?password=` parameter, alembic.ini's sqlalchemy.url, --env values, the container's
own password, messages of project exceptions (AG901) and what env.py prints before the
worker dies. The local servers trust loopback logins, so any password connects.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import sqlalchemy as sa

from .conftest import POSTGRES_IMAGE, edit

Project = Callable[[str], Path]

INI = "Ini-Secret-7f3a"
USERINFO = "Userinfo-Secret-19c2"
QUERY = "Query-Secret-4b8e"
ENCODED = "Encoded/Secret?9d1"  # percent-encoded in the URL
UNENCODED = "Unencoded@Secret-2e5"  # written with its @ as is
BLANK = "Blank Secret-5d7"  # written with its blank as is
ENV = "Env-Secret-6a0f"
SECRETS = [INI, USERINFO, QUERY, ENCODED, UNENCODED, BLANK, ENV]
FORMATS = ["text", "github", "json", "sarif", "gitlab", "junit"]

# A revision that fails with the connection's URL and password in its message (as a
# project's own error handling might), and keeps the password where the test reads it.
LEAKY_REVISION = '''"""leaky"""
from pathlib import Path

from alembic import op

revision = "1eaf1eaf1eaf"
down_revision = "c9e2b7d41a05"


def upgrade():
    url = op.get_bind().engine.url
    Path("seen-password").write_text(str(url.password))
    raise RuntimeError(
        f"cannot migrate {url.render_as_string(hide_password=False)} "
        f"(password {url.password!r})"
    )


def downgrade():
    pass
'''


LEAKY_PATH = "migrations/versions/1eaf1eaf1eaf_leaky.py"
RAISE = "    raise RuntimeError("


def leaking(before_raise: str) -> str:
    """LEAKY_REVISION whose upgrade runs `before_raise` (indented lines) before its raise."""
    return LEAKY_REVISION.replace(RAISE, before_raise + RAISE)


@dataclass
class Output:
    code: int
    text: str  # stdout, stderr, every report and every file left in the temp folder


@pytest.fixture
def gate(tmp_path: Path) -> Callable[..., Output]:
    """`alembic-gate ARGS` as a subprocess in the current folder, every format at once."""

    def run(*args: str, extra_env: dict[str, str] | None = None) -> Output:
        out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
        temp = out / "tmp"
        temp.mkdir(parents=True)
        formats = [f"--format={FORMATS[0]}"]
        formats += (
            [f"--format={fmt}={out / fmt}" for fmt in FORMATS[1:]] if args[0] != "graph" else []
        )
        env = {**os.environ, "TMPDIR": str(temp), "GITHUB_STEP_SUMMARY": str(out / "summary")}
        done = subprocess.run(
            [sys.executable, "-m", "alembic_gate", *args, *formats],
            capture_output=True,
            text=True,
            timeout=600,
            env=env | (extra_env or {}),
        )
        files = [f for f in out.rglob("*") if f.is_file()]
        written = "".join(f.read_text(errors="replace") for f in files)
        return Output(done.returncode, done.stdout + done.stderr + written)

    return run


def assert_no_secret(output: Output, *extra: str) -> None:
    for secret in [*SECRETS, *extra]:
        for form in {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}:
            assert form not in output.text, f"{form!r} leaked:\n{output.text}"
    for part in [*UNENCODED.split("@"), *BLANK.split()]:
        assert part not in output.text, f"{part!r} leaked:\n{output.text}"
    assert "Traceback" not in output.text


@pytest.fixture
def leaky(project: Project) -> Path:
    """check_generic with a password in alembic.ini and a revision that leaks its URL."""
    root = project("generic")
    edit(
        root / "alembic.ini",
        "sqlalchemy.url = driver://user:pass@localhost/dbname",
        f"sqlalchemy.url = postgresql://app:{INI}@db.internal:5432/app",
    )
    (root / LEAKY_PATH).write_text(LEAKY_REVISION)
    return root


def _with(url: str, password: str, *, encode: bool = True) -> str:
    parsed = sa.make_url(url)
    shown = quote(password, safe="") if encode else password
    base = f"{parsed.drivername}://{parsed.username}:{shown}@{parsed.host}:{parsed.port}"
    return f"{base}/{parsed.database}"


def test_static_commands_with_a_password_in_the_ini(
    leaky: Path, gate: Callable[..., Output]
) -> None:
    for command in ("lint", "graph"):
        assert_no_secret(gate(command))


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("password", "encode"),
    [(USERINFO, True), (ENCODED, True), (UNENCODED, False), (BLANK, False), (BLANK, True)],
)
def test_check_and_doctor_with_a_password_in_the_user_part(
    leaky: Path, gate: Callable[..., Output], postgres_url: str, password: str, encode: bool
) -> None:
    url = _with(postgres_url, password, encode=encode)
    doctor = gate("doctor", "--database-url", url)
    assert doctor.code in (1, 3), doctor.text
    assert_no_secret(doctor)
    check = gate("check", "--database-url", url)
    assert check.code in (1, 3), check.text
    if password != UNENCODED:  # the driver cannot even reach that host
        assert "AG901" in check.text and "cannot migrate" in check.text
        assert "***" in check.text
    assert_no_secret(check)


@pytest.mark.postgres
def test_check_and_doctor_with_a_password_parameter(
    leaky: Path, gate: Callable[..., Output], postgres_url: str
) -> None:
    url = f"{postgres_url}?password={QUERY}"
    assert_no_secret(gate("doctor", "--database-url", url))
    failed = gate("check", "--database-url", url)
    assert "AG901" in failed.text
    assert_no_secret(failed)
    # A database that holds a table is refused, with the URL in the message.
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE invoices (id integer)")
    engine.dispose()
    refused = gate("check", "--database-url", url)
    assert refused.code == 2 and "is not empty" in refused.text
    assert_no_secret(refused)


def test_unreachable_databases(leaky: Path, gate: Callable[..., Output]) -> None:
    for command in ("check", "doctor"):
        url = f"postgresql://app:{quote(USERINFO)}@127.0.0.1:1/app?password={QUERY}"
        run = gate(command, "--database-url", url)
        assert run.code == 3, run.text
        assert_no_secret(run)


def test_env_values_and_env_py_own_url(project: Project, gate: Callable[..., Output]) -> None:
    project("url_env")
    own = f"postgresql://app:{ENV}@127.0.0.1:1/app"
    run = gate("check", "--db", "sqlite", "--env", f"APP_DATABASE_URL={own}")
    assert run.code == 2 and "a URL of its own" in run.text
    assert_no_secret(run)


def test_what_env_py_prints_before_the_worker_dies(
    leaky: Path, gate: Callable[..., Output]
) -> None:
    env_py = leaky / "migrations/env.py"
    edit(
        env_py,
        "if context.is_offline_mode():",
        "import os\nprint('connecting to', config.get_main_option('sqlalchemy.url'), "
        f"'as {ENV}, not to postgresql://app:{INI}@db.internal/app', flush=True)\n"
        "os._exit(7)\n\nif context.is_offline_mode():",
    )
    run = gate("check", "--db", "sqlite", "--env", f"SERVICE_PASSWORD={ENV}")
    assert run.code == 1 and "stopped unexpectedly (exit 7)" in run.text
    assert "connecting to sqlite" in run.text  # the log is shown, masked
    assert "not to postgresql://app:***@db.internal/app" in run.text
    assert_no_secret(run)


@pytest.mark.docker
@pytest.mark.usefixtures("docker_env")
def test_the_containers_own_password(leaky: Path, gate: Callable[..., Output]) -> None:
    run = gate("check", "--image", POSTGRES_IMAGE)
    assert run.code == 1 and "cannot migrate" in run.text
    password = (leaky / "seen-password").read_text()
    assert len(password) >= 16
    assert_no_secret(run, password)


@pytest.mark.postgres
def test_traced_statements_that_carry_the_password(
    project: Project, gate: Callable[..., Output], postgres_url: str
) -> None:
    # Lock tracing shows statements (text and JSON lock tables, the job summary, AG906's
    # message): one that carries the password is shown masked, also where it is shortened
    # (the password starts where the 100 characters end).
    project("generic")
    head = "ALTER TABLE users ADD COLUMN leak_{} varchar(200) DEFAULT '"
    column = "x" * (92 - len(head.format("")))
    Path(LEAKY_PATH).write_text(
        LEAKY_REVISION.replace(
            "    url = op.get_bind().engine.url",
            "    url = op.get_bind().engine.url\n"
            f'    op.execute({head.format(column)!r} + url.password + "\'")\n'
            '    op.execute(f"ALTER TABLE users ADD COLUMN leak2 text '
            "DEFAULT '{url.password}'\")\n"
            "    return",
        )
    )
    run = gate("check", "--database-url", _with(postgres_url, USERINFO))
    assert run.code == 1 and "ALTER TABLE users ADD COLUMN leak_" in run.text, run.text
    assert_no_secret(run, USERINFO[:5])


def test_a_password_parameter_keeps_the_message_whole(
    leaky: Path, gate: Callable[..., Output]
) -> None:
    url = f"postgresql://app@127.0.0.1:1/app?password={QUERY}"
    run = gate("doctor", "--database-url", url)
    assert run.code == 3, run.text
    assert "?password=***: connection failed" in run.text, run.text
    assert_no_secret(run)


ESCAPED = "Quote'd\"Secret\\é-3c1"  # both quotes, a backslash and a non-ASCII letter


@pytest.mark.postgres
def test_escaped_forms_of_a_password(
    project: Project, gate: Callable[..., Output], postgres_url: str
) -> None:
    project("generic")
    Path(LEAKY_PATH).write_text(
        leaking(
            "    import json\n"
            "    import re\n"
            "    from urllib.parse import quote\n"
            "    pw = url.password\n"
            "    raise RuntimeError(\n"
            "        f'repr {pw!r} json {json.dumps(pw)} {json.dumps(pw, ensure_ascii=False)} '\n"
            '        f\'quoted {re.sub("%..", lambda m: m[0].lower(), quote(pw, safe=""))} \'\n'
            "        f'ascii {ascii(pw)}'\n"
            "    )\n"
        )
    )
    run = gate("check", "--database-url", _with(postgres_url, ESCAPED))
    assert run.code == 1 and """repr '***' json "***" "***" quoted *** ascii '***'""" in run.text, (
        run.text
    )
    for form in ("Quote", "Secret"):
        assert form not in run.text
    assert_no_secret(run)


ENVIRON = {
    "PGPASSWORD": "Pgpassword-Secret-41",
    "MYSQL_PWD": "Mysql-Pwd-Secret-42",
    "APP_DATABASE_URL": "postgresql://app:Environ-Url-Secret-43@db.internal/app",
    "SERVICE_API_TOKEN": "Api-Token-Secret-44",
    "DJANGO_SECRET": "Django-Secret-45",
    "DEPLOY_PW": "Deploy-Pw-Secret-46",
    "SIGNING_KEY": "Signing-Key-Secret-47",
}
# A revision that fails with what the environment holds, as a driver's error may.
ENVIRON_REVISION = leaking(
    "    import os\n"
    "    import sqlalchemy as sa\n"
    "    raise RuntimeError(\n"
    "        ' '.join(os.environ[name] for name in ('PGPASSWORD', 'MYSQL_PWD', "
    "'SERVICE_API_TOKEN', 'DJANGO_SECRET', 'DEPLOY_PW', 'SIGNING_KEY'))\n"
    "        + ' ' + sa.make_url(os.environ['APP_DATABASE_URL']).password\n"
    "    )\n"
)


def test_passwords_from_the_environment(project: Project, gate: Callable[..., Output]) -> None:
    project("generic")
    Path(LEAKY_PATH).write_text(ENVIRON_REVISION)
    run = gate("check", "--db", "sqlite", extra_env=ENVIRON)
    assert run.code == 1 and "RuntimeError: *** *** *** *** *** *** ***" in run.text, run.text
    assert_no_secret(run, *ENVIRON.values(), "Environ-Url-Secret-43")


# A revision that fails with its -x values, as an env.py or a driver may echo them.
X_REVISION = leaking(
    "    import sqlalchemy as sa\n"
    "    from alembic import context\n"
    "    x = context.get_x_argument(as_dictionary=True)\n"
    "    raise RuntimeError(\n"
    "        f\"{x['db_password']} {sa.make_url(x['target']).password} {x['target']}\"\n"
    "    )\n"
)


def test_x_values(project: Project, gate: Callable[..., Output]) -> None:
    project("generic")
    Path(LEAKY_PATH).write_text(X_REVISION)
    password, in_url = "X-Password-Secret-51", "X-Url-Secret-52"
    target = f"postgresql://app:{in_url}@db.internal/app"
    run = gate("check", "--db", "sqlite", "-x", f"db_password={password}", f"-xtarget={target}")
    assert run.code == 1 and "RuntimeError: *** *** postgresql://app:***@" in run.text, run.text
    assert_no_secret(run, password, in_url)


def test_a_cut_never_falls_inside_a_password(leaky: Path, gate: Callable[..., Output]) -> None:
    # The worker's output is shown from its last 3,000 characters, and a message up to its
    # first 2,000: each cut lands inside a password here, which is masked before it.
    tail = f"{INI[5:]}@db.internal/app "
    edit(
        leaky / "migrations/env.py",
        "if context.is_offline_mode():",
        f"import os\nprint('postgresql://app:{INI}@db.internal/app ' + 'y' * "
        f"{3000 - len(tail) - 1}, flush=True)\nos._exit(7)\n\nif context.is_offline_mode():",
    )
    run = gate("check", "--db", "sqlite")
    assert run.code == 1 and "stopped unexpectedly (exit 7)" in run.text, run.text
    assert_no_secret(run, INI[5:])


@pytest.mark.postgres
def test_a_long_message_is_cut_after_masking(
    project: Project, gate: Callable[..., Output], postgres_url: str
) -> None:
    project("generic")
    head = "RuntimeError: "
    Path(LEAKY_PATH).write_text(
        leaking(
            f"    raise RuntimeError('x' * {1994 - len(head)} + f' {{url.password}} ' + 'y' * 99)\n"
        )
    )
    run = gate("check", "--database-url", _with(postgres_url, USERINFO))
    assert run.code == 1 and "more characters cut" in run.text, run.text
    assert_no_secret(run, USERINFO[:5])


def test_usage_errors(leaky: Path, gate: Callable[..., Output]) -> None:
    url = f"postgresql://app:{BLANK}@db.internal/app"
    for args in [
        ("doctor", "--database-url", url, "--env", f"DB_PASSWORD={ENV}", "-x", f"token={QUERY}"),
        ("doctor", f"--database-u={url}", f"--en=DB_PASSWORD={ENV}", f"-xtoken={QUERY}"),
        ("lint", "--database-url", url),
        ("lint", f"--env=DB_PASSWORD={ENV}"),
        ("check", "--db", url),
    ]:
        run = gate(*args)
        assert run.code == 2 and "error:" in run.text, run.text
        assert_no_secret(run)


GLUED = "Two  Blank-Secret-91"  # two blanks, which [SQL: ...] flattens to one


@pytest.mark.postgres
def test_a_password_glued_to_letters_or_flattened(
    project: Project, gate: Callable[..., Output], postgres_url: str
) -> None:
    project("generic")
    Path(LEAKY_PATH).write_text(
        leaking("    op.execute(f\"SELECT 'x{url.password}y' FROM no_such_table\")\n")
    )
    run = gate("check", "--database-url", _with(postgres_url, GLUED))
    assert run.code == 1 and "[SQL: SELECT 'x***y' FROM no_such_table]" in run.text, run.text
    assert_no_secret(run, GLUED, " ".join(GLUED.split()), "Blank-Secret-91")


@pytest.mark.postgres
def test_a_password_that_is_a_common_word(
    project: Project, gate: Callable[..., Output], postgres_url: str
) -> None:
    # `postgresql://app:password@...`, a developer's database: hidden in URLs and where it
    # stands as a value, while the column `users.password` keeps its name.
    project("generic")
    Path(LEAKY_PATH).write_text(
        leaking(
            "    raise RuntimeError(\n"
            "        f'column users.password is missing; password={url.password} '\n"
            "        f'{url.render_as_string(hide_password=False)} {url.password!r}'\n"
            "    )\n"
        )
    )
    run = gate("check", "--database-url", _with(postgres_url, "password"))
    shown = "column users.password is missing; password=*** postgresql"
    assert run.code == 1 and shown in run.text, run.text
    assert "'password'" not in run.text and "password=password" not in run.text
    assert ":password@" not in run.text
    assert_no_secret(run)
