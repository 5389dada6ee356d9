"""`alembic-gate check` on MySQL (the local alembic-gate/mysql image, built from Debian
sid's mysql-server): in containers of its own (`--db mysql --image`), and with
`--database-url` against a server started from the same image for the session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import installed
import pytest
import sqlalchemy as sa

from .conftest import (
    MYSQL_IMAGE,
    PASSWORD,
    Run,
    _scratch,
    containers_of,
    edit,
    line_of,
    tables,
)
from .test_check_servers import assert_stopped_at_its_line

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_env")]

Project = Callable[[str], Path]
Check = Callable[..., Run]

FAILING = "migrations/versions/c9e2b7d41a05_add_user_email.py"
TAGS = "migrations/versions/b6c1d9e3f2a8_create_tags.py"


def mysql(check: Check, *args: str) -> Run:
    """check in a container of its own from the local MySQL image."""
    return check("--db", "mysql", "--image", MYSQL_IMAGE, *args)


# -- containers ------------------------------------------------------------------------


def test_container_clean_round_trip(project: Project, check: Check) -> None:
    project("generic")
    run = mysql(check, "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert "database ready in" in run.err
    assert containers_of(os.getpid()) == []


def test_container_failure_keeps_what_applied(project: Project, check: Check) -> None:
    root = project("failing")
    run = mysql(check, "--format", "json")
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", FAILING)
    assert finding["line"] == line_of(root / FAILING, "op.execute(")
    assert "Unknown column 'username'" in finding["message"]
    assert "2 revision(s) applied, the database is at 7a3d5e8c2f40" in finding["message"]
    assert "(mysql: DDL is not transactional here" in finding["message"]
    assert containers_of(os.getpid()) == []


def test_container_drift(project: Project, check: Check) -> None:
    root = project("drift")
    run = mysql(check, "--format", "json")
    assert run.code == 1
    found = {f["message"]: (f["code"], f["line"]) for f in run.findings}
    models = root / "models.py"
    assert found == {
        "column users.nickname is in the models but not in the migrated database": (
            "AG902",
            line_of(models, "nickname"),
        ),
        "column posts.title is VARCHAR(200) in the migrated database but VARCHAR(300) in the "
        "models": ("AG902", line_of(models, "title")),
    }


def test_container_lossy_downgrade(project: Project, check: Check) -> None:
    root = project("roundtrip")
    run = mysql(check, "--roundtrip", "--format", "json")
    # MySQL has no enum types to leave behind (PostgreSQL's second finding).
    [finding] = run.findings
    assert finding["code"] == "AG903"
    assert finding["message"] == "the downgrade to base left table tags behind"
    assert (finding["path"], finding["line"]) == (TAGS, line_of(root / TAGS, "def downgrade"))
    assert finding["fix"] == "op.drop_table('tags')"
    assert containers_of(os.getpid()) == []


# -- --database-url ----------------------------------------------------------------------


def test_url_clean_round_trip(project: Project, check: Check, mysql_url: str) -> None:
    project("generic")
    run = check("--database-url", mysql_url, "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert tables(mysql_url) == ["alembic_version", "posts", "users"]
    assert PASSWORD not in run.out + run.err


def test_url_through_mysqlclient(project: Project, check: Check, mysql_url: str) -> None:
    # A URL naming no driver gets mysqldb: MySQL 9's caching_sha2_password login of the
    # user `app` through the MariaDB client library mysqlclient is built against.
    installed.mysqlclient()
    root = project("generic")
    edit(
        root / "migrations/versions/4f1c2a9e0b11_create_users.py",
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n"
        '    assert op.get_bind().dialect.driver == "mysqldb", op.get_bind().dialect.driver\n',
    )
    plain = sa.make_url(mysql_url).set(drivername="mysql").render_as_string(hide_password=False)
    run = check("--database-url", plain, "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert run.out.startswith("All checks passed: MySQL 9."), run.out
    assert PASSWORD not in run.out + run.err


def test_url_downgrade_wrong_then_right(project: Project, check: Check, mysql_url: str) -> None:
    root = project("roundtrip")
    run = check("--database-url", mysql_url, "--roundtrip", "--format", "json")
    assert run.codes() == ["AG903"]
    assert run.findings[0]["message"] == "the downgrade to base left table tags behind"
    # A right downgrade: clean, on a database emptied again (the fixture's is not).
    edit(
        root / TAGS,
        "def downgrade() -> None:\n    pass",
        'def downgrade() -> None:\n    op.drop_table("tags")',
    )
    _drop_tables(mysql_url)
    run = check("--database-url", mysql_url, "--roundtrip")
    assert run.code == 0, run.out + run.err


def test_url_failing_downgrade_at_its_line(project: Project, check: Check, mysql_url: str) -> None:
    root = project("generic")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(revision, '    op.drop_column("users", "email")', '    op.drop_column("users", "e_mail")')
    run = check("--database-url", mysql_url, "--roundtrip", "--format", "json")
    [finding] = run.findings
    assert finding["code"] == "AG903"
    assert finding["line"] == line_of(revision, '"e_mail"')
    assert finding["message"].startswith("downgrade of c9e2b7d41a05 (add user email) failed: ")
    assert "Can't DROP 'e_mail'" in finding["message"]


def test_url_non_empty_refused_without_showing_the_password(
    project: Project, check: Check, mysql_url: str
) -> None:
    project("generic")
    engine = sa.create_engine(mysql_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE invoices (id integer primary key)")
    engine.dispose()
    run = check("--database-url", mysql_url)
    assert run.code == 2
    assert "is not empty: it holds 1 object(s) (table invoices)" in run.err
    assert PASSWORD not in run.out + run.err
    assert ":***@" in run.err
    assert tables(mysql_url) == ["invoices"]


def test_url_naming_no_database_is_exit_2(project: Project, check: Check, mysql_url: str) -> None:
    # Without a database a MySQL connection has none selected: nothing to migrate into.
    project("generic")
    server = mysql_url.rsplit("/", 1)[0]
    run = check("--database-url", server)
    assert run.code == 2
    assert "names no database: end it with the name of an empty one" in run.err
    assert PASSWORD not in run.err and "Traceback" not in run.err


def _drop_tables(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            names = sa.inspect(conn).get_table_names()
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for name in names:
                conn.exec_driver_sql(f"DROP TABLE `{name}`")
    finally:
        engine.dispose()


@pytest.fixture
def mysql_root_url(mysql_server: str) -> Iterator[str]:
    """An empty database of its own on the session's MySQL server, for root (who may read
    performance_schema), dropped afterwards."""
    yield from _scratch(mysql_server, "MySQL")


@pytest.mark.timeout(120)  # it waited for good (900 s) before
@pytest.mark.parametrize("driver", ["pymysql", "mysqldb"])
def test_url_a_migration_waiting_on_its_own_process_is_stopped(
    project: Project, check: Check, mysql_root_url: str, driver: str
) -> None:
    # MySQL 9 shows the exact holder in performance_schema.metadata_locks: the revision's
    # own connection, idle in the transaction that read users.
    if driver == "mysqldb":
        installed.mysqlclient()
    root = project("stuck")
    url = sa.make_url(mysql_root_url).set(drivername=f"mysql+{driver}")
    run = check("--database-url", url.render_as_string(hide_password=False), "--format", "json")
    assert_stopped_at_its_line(run, root)


@pytest.mark.timeout(120)
def test_url_a_wait_another_session_shares_is_cancelled_only_once_it_lets_go(
    project: Project, check: Check, mysql_root_url: str, tmp_path: Path
) -> None:
    # The revision's own idle connection holds users, and so does another session (a
    # read in a transaction from another current database) until the watch told that it
    # leaves the ALTER waiting: performance_schema.metadata_locks names both, so the
    # watcher leaves the ALTER alone while the other holds users, and cancels it once
    # only the revision's own is left.
    root = project("stuck")
    log = tmp_path / "holder.log"
    holder = ("--env", "STUCK_HOLDER=other-database", "--env", f"STUCK_HOLDER_LOG={log}")
    run = check("--database-url", mysql_root_url, *holder, "--no-seed", "--format", "json")
    assert_stopped_at_its_line(run, root)
    assert log.read_text(encoding="utf-8").startswith("let go after"), log.read_text()
