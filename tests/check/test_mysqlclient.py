"""check and doctor end to end through mysqlclient (MySQLdb), the driver SQLAlchemy gives a
`mysql://` URL naming none, on the local MariaDB.

Each test gets a database and a user with a password of their own, both named
h_mysqlclient_*, dropped afterwards; the URLs name no driver, as users write them.
scripts/test installs mysqlclient (the `mysqlclient` extra); without it these tests skip,
and fail under CI=true.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate.check import made_up
from alembic_gate.main import main

from .conftest import PASSWORD, MysqldbScratch, Run, edit, line_of

pytestmark = pytest.mark.mariadb

Project = Callable[[str], Path]
Check = Callable[..., Run]

FIRST = "migrations/versions/4f1c2a9e0b11_create_users.py"
FAILING = "migrations/versions/c9e2b7d41a05_add_user_email.py"


@pytest.fixture
def doctor(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`alembic-gate doctor ARGS...` in the current directory, in this process."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(["doctor", *args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def _clean(run: Run) -> None:
    assert PASSWORD not in run.out + run.err
    assert "Traceback" not in run.err


def test_check_then_doctor_through_mysqlclient(
    project: Project,
    check: Check,
    doctor: Callable[..., Run],
    mysqldb: MysqldbScratch,
) -> None:
    root = project("generic")
    # The revision itself tells which driver env.py's connection has (AG901 otherwise).
    edit(
        root / FIRST,
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n"
        '    assert op.get_bind().dialect.driver == "mysqldb", op.get_bind().dialect.driver\n',
    )
    run = check("--database-url", mysqldb.url(), "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert run.out.startswith("All checks passed: MariaDB "), run.out
    _clean(run)

    # check leaves the database at head: doctor reads it through mysqldb too.
    run = doctor("--database-url", mysqldb.url())
    assert (run.code, run.out) == (0, "All checks passed.\n"), run.err
    [line] = run.err.splitlines()
    assert f"mysql+mysqldb://{mysqldb.name}:***@127.0.0.1:3306/{mysqldb.name} is at head" in line
    assert "read-only: SET SESSION TRANSACTION READ ONLY" in line
    _clean(run)

    mysqldb.execute("UPDATE alembic_version SET version_num = '7a3d5e8c2f40'")
    run = doctor("--database-url", mysqldb.url(), "--format", "json")
    assert run.code == 1, run.out + run.err
    assert "7a3d5e8c2f40" in run.out
    _clean(run)


def test_check_failure_through_mysqlclient(
    project: Project, check: Check, mysqldb: MysqldbScratch
) -> None:
    root = project("failing")
    run = check("--database-url", mysqldb.url(), "--format", "json")
    assert run.code == 1, run.out + run.err
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", FAILING)
    assert finding["line"] == line_of(root / FAILING, "op.execute(")
    assert finding["message"].startswith(
        'upgrade of c9e2b7d41a05 (add user email) failed: OperationalError: (1054, "Unknown '
        "column 'username' in 'SET'\") [SQL: UPDATE users SET email = username]; 2 revision(s) "
        "applied, the database is at 7a3d5e8c2f40"
    ), finding["message"]
    _clean(run)


def test_seeded_rows_through_mysqlclient(
    project: Project, check: Check, mysqldb: MysqldbScratch
) -> None:
    project("data")
    run = check("--database-url", mysqldb.url(), "--format", "json")
    assert run.codes() == ["AG904"], run.out + run.err
    assert "DataError: (1265, \"Data truncated for column 'nickname'" in run.findings[0]["message"]
    _clean(run)


def test_refusals_through_mysqlclient(
    project: Project,
    check: Check,
    doctor: Callable[..., Run],
    mysqldb: MysqldbScratch,
) -> None:
    project("generic")
    masked = f"mysql://{mysqldb.name}:***@127.0.0.1:3306/{mysqldb.name}"
    mysqldb.execute("CREATE TABLE invoices (id integer primary key)")
    run = check("--database-url", mysqldb.url())
    assert run.code == 2
    assert f"the database {masked} is not empty: it holds 1 object(s) (table invoices)" in run.err
    _clean(run)

    wrong = "Wr0ng-" + PASSWORD
    for url, says in (
        (mysqldb.url(password=wrong), '(1045, "Access denied for user'),
        (mysqldb.url(port=1), "(2002, \"Can't connect to server on '127.0.0.1'"),
    ):
        for run in (check("--database-url", url), doctor("--database-url", url)):
            assert run.code == 3, run.out + run.err
            assert says in run.err, run.err
            assert wrong not in run.out + run.err
            _clean(run)
        # doctor names the driver it chose.
        assert f"cannot connect to mysql+mysqldb://{mysqldb.name}:***@127.0.0.1:" in run.err


def test_a_project_url_naming_pymysql_keeps_it(
    project: Project, check: Check, mysqldb: MysqldbScratch
) -> None:
    # The project's own alembic.ini names PyMySQL: check's plain URL gets it, not mysqldb.
    root = project("generic")
    edit(root / "alembic.ini", "driver://user:pass@localhost/dbname", "mysql+pymysql://a@db/a")
    edit(
        root / FIRST,
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n"
        '    assert op.get_bind().dialect.driver == "pymysql", op.get_bind().dialect.driver\n',
    )
    run = check("--database-url", mysqldb.url())
    assert run.code == 0, run.out + run.err
    _clean(run)


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("INSERT INTO users (id, org_id) VALUES (1, 99)", "foreign key"),
        ("INSERT INTO orgs (id) VALUES (1), (1)", "unique"),
        ("INSERT INTO users (id, age) VALUES (1, -1)", "check"),
        ("INSERT INTO users (id, code) VALUES (1, 'too long')", None),  # strict mode
    ],
)
def test_mysqldb_errors_tell_the_constraint(
    mysqldb: MysqldbScratch, statement: str, kind: str | None
) -> None:
    """Seeding tells made-up rows' violations by MySQLdb's errors as by PyMySQL's."""
    import MySQLdb

    mysqldb.execute("CREATE TABLE orgs (id INTEGER PRIMARY KEY)")
    mysqldb.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, org_id INTEGER REFERENCES orgs (id), "
        "age INTEGER CHECK (age > 0), code VARCHAR(3))"
    )
    conn = MySQLdb.connect(
        host="127.0.0.1", user=mysqldb.name, password=PASSWORD, database=mysqldb.name
    )
    try:
        with pytest.raises(MySQLdb.DatabaseError) as caught:
            conn.cursor().execute(statement)
    finally:
        conn.close()
    assert made_up.violation(caught.value) == kind
