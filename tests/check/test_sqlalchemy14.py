"""check and doctor in a project pinned to SQLAlchemy 1.4, as its users run them.

scripts/test builds `.venv-sa14/`: SQLAlchemy 1.4 with alembic, psycopg2, PyMySQL and
asyncpg, Flask 2.0 with Flask-SQLAlchemy 2.5 and Flask-Migrate 3, and alembic-gate
installed into it with its `check` extra (so psycopg 3 is there too, which SQLAlchemy 1.4
has no dialect for) and its `mysqlclient` extra (MySQLdb, 1.4's default MySQL driver).
Each test runs `python -m alembic_gate` with that environment's Python in a copy of a
1.4-style project, as a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import consumers
import pytest
import sqlalchemy as sa

from .conftest import PASSWORD, POSTGRES_IMAGE, PROJECTS, MysqldbScratch, Run, edit, line_of, tables
from .test_check_servers import assert_stopped_at_its_line
from .test_roundtrip import GUESTS, LOOSE, counted_by_the_server, drops_name

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-sa14" / "bin" / "python"
SECRET = "s3cret-Pw-14"

Gate = Callable[..., Run]


@pytest.fixture(scope="module")
def python14() -> Path:
    if not PYTHON.exists():
        pytest.skip("no .venv-sa14/ (scripts/test builds it)")
    done = subprocess.run(
        [PYTHON, "-c", "import sqlalchemy, psycopg; print(sqlalchemy.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("1.4."), done.stdout
    return PYTHON


@pytest.fixture
def gate(python14: Path, tmp_path: Path) -> Callable[[str], tuple[Path, Gate]]:
    """A copy of tests/projects/check_<name>, and `alembic-gate ARGS` run in it with the
    SQLAlchemy 1.4 environment's Python."""

    def make(name: str) -> tuple[Path, Gate]:
        root = Path(shutil.copytree(PROJECTS / f"check_{name}", tmp_path / name))

        def run(*args: str) -> Run:
            done = subprocess.run(
                [python14, "-m", "alembic_gate", *args],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=600,
                env=os.environ.copy(),
            )
            return Run(done.returncode, done.stdout, done.stderr)

        return root, run

    return make


def _plain(url: str, password: str | None = None) -> str:
    """The URL with no driver named (the user's usual form), optionally with a password."""
    parsed = sa.make_url(url).set(drivername="postgresql" if "postgres" in url else "mysql")
    if password is not None:
        parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False)


def _passed(run: Run, engine: str) -> None:
    assert run.code == 0, run.out + run.err
    assert "Traceback" not in run.err
    # Migrated (on PostgreSQL the lock tracing's warnings may come with it: no errors).
    last = run.out.strip().splitlines()[-1]
    assert re.search(
        rf"^(All checks passed|Found \d+ warnings?.*): {engine} [\d.]+, 3 revisions applied", last
    ), run.out


@pytest.mark.postgres
def test_sync_project_gets_psycopg2_not_psycopg_3(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    _, check = gate("sa14")
    run = check("check", "--database-url", _plain(postgres_url), "--roundtrip")
    _passed(run, "PostgreSQL")
    assert tables(postgres_url) == ["alembic_version", "posts", "users"]


@pytest.mark.postgres
def test_older_async_template_gets_an_async_driver(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    # AsyncEngine(engine_from_config(...)): alembic's async template before 1.8.
    root, check = gate("sa14_async")
    assert "AsyncEngine(" in (root / "migrations/env.py").read_text()
    _passed(check("check", "--database-url", _plain(postgres_url)), "PostgreSQL")


@pytest.mark.postgres
def test_a_driver_sqlalchemy_14_lacks_is_a_usage_error(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    _, check = gate("sa14")
    url = sa.make_url(postgres_url).set(password=SECRET).render_as_string(hide_password=False)
    run = check("check", "--database-url", url)
    assert run.code == 2, run.err
    assert "SQLAlchemy 1.4.54 has no dialect 'postgresql+psycopg'" in run.err
    assert "use postgresql+psycopg2://" in run.err
    assert "Traceback" not in run.err and SECRET not in run.err


@pytest.mark.postgres
def test_rows_a_revision_wrote_through_the_cursor_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    """Seeding's insert meets rows the first revision wrote through the DBAPI cursor
    (users' serial hands out their ids again): it fails in a savepoint of its own, the
    table keeps the revision's rows, and the revisions after it run."""
    root, check = gate("sa14")
    edit(
        root / "migrations/versions/4f1c2a9e0b11_create_users.py",
        '        sa.PrimaryKeyConstraint("id"),\n    )\n',
        '        sa.PrimaryKeyConstraint("id"),\n    )\n'
        "    op.get_bind().connection.cursor().execute(\n"
        "        \"INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob')\")\n",
    )
    url = _plain(postgres_url)
    run = check("check", "--database-url", url, "--format", "json", "--ignore", "AG906,AG907")
    assert (run.code, run.codes(), json.loads(run.out)["notes"]) == (0, [], []), run.out + run.err


@pytest.mark.postgres
def test_seeding_leaves_the_serial_to_the_server_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    """SQLAlchemy 1.4 has no Table.autoincrement_column: seeding wrote teams' ids 1-3
    itself, the serial stayed at 1, and the revision's INSERT without an id met them (a
    false AG904, "teams_pkey")."""
    root, check = gate("roundtrip_cycle")
    drops_name(root, GUESTS)
    run = check(
        "check", "--database-url", _plain(postgres_url), "--roundtrip", "--format", "json", *LOOSE
    )
    assert "AG904" not in run.codes(), run.out + run.err
    assert "teams_pkey" not in run.out
    assert (run.code, run.findings) == (0, []), run.out + run.err


@pytest.mark.postgres
def test_seeded_keys_move_the_identity_past_them_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    root, check = gate("roundtrip_cycle")
    counted_by_the_server(
        root, "ALTER TABLE teams ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
    )
    url = _plain(postgres_url)
    run = check("check", "--database-url", url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, []), run.out + run.err
    assert "made up in tables players, teams before" in json.loads(run.out)["notes"][0]


@pytest.mark.mariadb
def test_seeded_keys_move_the_auto_increment_past_them_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], mariadb_url: str
) -> None:
    root, check = gate("roundtrip_cycle")
    counted_by_the_server(root, "ALTER TABLE teams MODIFY id INTEGER NOT NULL AUTO_INCREMENT")
    url = _plain(mariadb_url)
    run = check("check", "--database-url", url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, []), run.out + run.err
    assert "made up in tables players, teams before" in json.loads(run.out)["notes"][0]


@pytest.mark.mariadb
def test_mariadb_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], mariadb_url: str
) -> None:
    _, check = gate("sa14")
    _passed(check("check", "--database-url", _plain(mariadb_url), "--roundtrip"), "MariaDB")


@pytest.mark.mariadb
def test_mysqlclient_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], python14: Path, mysqldb: MysqldbScratch
) -> None:
    """A mysql:// URL gets SQLAlchemy 1.4's default driver, mysqldb, in check's worker and
    in doctor."""
    if subprocess.run([python14, "-c", "import MySQLdb"], check=False).returncode != 0:
        consumers.missing("mysqlclient in .venv-sa14")
    root, gate_run = gate("sa14")
    edit(
        root / "migrations/versions/4f1c2a9e0b11_create_users.py",
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n"
        '    assert op.get_bind().dialect.driver == "mysqldb", op.get_bind().dialect.driver\n',
    )
    _passed(gate_run("check", "--database-url", mysqldb.url(), "--roundtrip"), "MariaDB")
    run = gate_run("doctor", "--database-url", mysqldb.url())
    assert run.code == 0, run.err
    assert f"mysql+mysqldb://{mysqldb.name}:***@127.0.0.1:3306/{mysqldb.name} is at head" in run.err
    assert "Traceback" not in run.err and PASSWORD not in run.out + run.err


def test_sqlite_with_sqlalchemy_14(gate: Callable[[str], tuple[Path, Gate]]) -> None:
    _, check = gate("sa14")
    _passed(check("check", "--db", "sqlite", "--roundtrip"), "SQLite")


def test_sqlite_sequence_is_no_drift_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]],
) -> None:
    """A table with AUTOINCREMENT makes SQLite create its own sqlite_sequence table,
    which SQLAlchemy 1.4 lists among the tables (2.x leaves it out): autogenerate then
    wants it dropped, which SQLite refuses. Superset on SQLite got that AG902."""
    root, check = gate("sa14")
    edit(
        root / "models.py",
        '    __tablename__ = "users"\n',
        '    __tablename__ = "users"\n    __table_args__ = {"sqlite_autoincrement": True}\n',
    )
    edit(
        root / "migrations/versions/4f1c2a9e0b11_create_users.py",
        '        sa.PrimaryKeyConstraint("id"),\n',
        '        sa.PrimaryKeyConstraint("id"),\n        sqlite_autoincrement=True,\n',
    )
    _passed(check("check", "--db", "sqlite", "--roundtrip"), "SQLite")
    # What a downgrade to base leaves of such a database: SQLite's table only. doctor
    # said AG802 ("1 table but no version row ... sqlite_sequence").
    left = root / "left.db"
    with sqlite3.connect(left) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        conn.execute("INSERT INTO t DEFAULT VALUES")
        conn.execute("DROP TABLE t")
    run = check("doctor", "--database-url", f"sqlite:///{left}", "--format", "json")
    assert run.codes() == ["AG804"], run.out + run.err


OWNED = """class Owned:
    @declared_attr
    def user_id(cls):
        return Column(
            Integer,
            ForeignKey("users.id"),
            index=True,
            nullable=False,
        )


class Post(Owned, Base):"""


def test_a_declared_attrs_foreign_key_is_placed_in_its_column_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]],
) -> None:
    """A mixin's @declared_attr, 1.4's form for a foreign key on a mixin: its
    `ForeignKey(` and `index=True`, not the method's `def` line."""
    root, check = gate("sa14")
    models = root / "models.py"
    edit(models, "import declarative_base", "import declarative_base, declared_attr")
    edit(models, "class Post(Base):", OWNED)
    edit(models, '    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)\n', "")
    revision = root / "migrations/versions/7a3d5e8c2f40_create_posts.py"
    edit(revision, '        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),\n', "")
    run = check("check", "--db", "sqlite", "--format", "json")
    found = {f["message"].split(" is ")[0]: f["line"] for f in run.findings if f["code"] == "AG902"}
    assert found == {
        "foreign key on posts(user_id) referring to users": line_of(models, "ForeignKey("),
        "index ix_posts_user_id on posts(user_id)": line_of(models, "index=True,"),
    }, run.err


@pytest.mark.postgres
def test_doctor_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    _, doctor = gate("sa14")
    # The password as a query parameter: the local server trusts loopback logins.
    url = f"{_plain(postgres_url)}?password={SECRET}"
    run = doctor("doctor", "--database-url", url)
    assert run.code == 1, run.err
    assert "AG804 [empty-database]" in run.out
    assert "postgresql+psycopg2://postgres@127.0.0.1:5432/" in run.err
    assert "Traceback" not in run.err and SECRET not in run.out + run.err


@pytest.mark.docker
@pytest.mark.usefixtures("docker_env")
@pytest.mark.parametrize("name", ["sa14", "sa14_async"])
def test_containers_with_sqlalchemy_14(gate: Callable[[str], tuple[Path, Gate]], name: str) -> None:
    _, check = gate(name)
    _passed(check("check", "--image", POSTGRES_IMAGE), "PostgreSQL")


def test_flask_2_0_factory_that_takes_an_argument(
    gate: Callable[[str], tuple[Path, Gate]],
) -> None:
    root, check = gate("flask_factory")
    run = check("check", "--db", "sqlite")
    assert run.code == 2, run.out + run.err
    assert "KeyError: <flask.cli.ScriptInfo object" in run.err
    assert "--flask-app 'app:create_app(" in run.err and "Traceback" not in run.err
    named = check("check", "--db", "sqlite", "--flask-app", 'app:create_app("development")')
    _passed_flask(named)
    assert not (root / "dev.db").exists() and not (root / "instance").exists()


@pytest.mark.postgres
def test_flask_migrate_3_on_postgres(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    _, check = gate("flask")
    run = check("check", "--database-url", _plain(postgres_url), "--roundtrip")
    _passed_flask(run)
    assert tables(postgres_url) == ["alembic_version", "note", "user"]


def _passed_flask(run: Run) -> None:
    assert run.code == 0, run.out + run.err
    assert "2 revisions applied" in run.out


@pytest.mark.postgres
def test_autocommit_env_py_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], postgres_url: str
) -> None:
    # Lock tracing leaves an AUTOCOMMIT connection in autocommit (psycopg2 here): the
    # revision that catches its failing ADD COLUMN goes on, as under alembic.
    _, check = gate("autocommit")
    run = check("check", "--database-url", _plain(postgres_url))
    assert run.code == 0, run.out + run.err
    assert "2 revisions applied" in run.out, run.out


def test_env_py_that_connects_from_the_connection_it_may_be_given_on_14(
    gate: Callable[[str], tuple[Path, Gate]],
) -> None:
    # SQLAlchemy 1.4's future Connection refuses `.connect()` ("branching").
    _, check = gate("attributes_branch")
    _passed(check("check", "--db", "sqlite", "--roundtrip"), "SQLite")


@pytest.mark.parametrize("level", ["20", "5"])
@pytest.mark.parametrize(
    "engine",
    [
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_constraints_beside_updated_values_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]],
    request: pytest.FixtureRequest,
    engine: str,
    level: str,
) -> None:
    """check_mixed_rows whose revision 2 sets users' level (test_seeding): the foreign key
    and the unique constraint fail on seeding's org_id and active only, notes; with a
    level of 5 the CHECK is AG904. SQLAlchemy 1.4 writes the NULLs out as 2.x does."""
    from .test_seeding import MIXED_ADDED, updated_first

    codes = [("AG904", MIXED_ADDED["check"])] if level == "5" else []
    root, check = gate("mixed_rows")
    updated_first(root, f"UPDATE users SET level = {level}")
    url = (
        f"sqlite:///{root / 'seeded.db'}"
        if engine == "sqlite"
        else _plain(request.getfixturevalue(f"{engine}_url"))
    )
    ignore = "AG902,AG905,AG906,AG907"
    run = check("check", "--database-url", url, "--format", "json", "--ignore", ignore)
    assert "Traceback" not in run.err, run.err
    assert [(f["code"], f["path"]) for f in run.findings] == codes, run.out + run.err
    # (after the AG904, users gets fresh rows, as reflected: the unique constraint meets
    # those only, and MariaDB's booleans are numbers there, distinct ones)
    nulled = ["passed with them NULL" in note for note in json.loads(run.out)["notes"]]
    expected = [True] if codes and engine == "mariadb" else [True, not codes]
    assert nulled == expected, run.out
    assert run.code == (1 if codes else 0)


@pytest.mark.mariadb
def test_multi_table_update_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], mariadb_url: str
) -> None:
    """check_mixed_rows whose revision 2 sets users' level in an UPDATE joining orgs
    (test_seeding): its SET is read, the foreign key and unique constraint are notes."""
    from .test_seeding import updated_first

    root, check = gate("mixed_rows")
    updated_first(root, "UPDATE users u LEFT JOIN orgs o ON o.id = u.org_id SET u.level = 20")
    ignore = "AG902,AG905,AG906,AG907"
    run = check(
        "check", "--database-url", _plain(mariadb_url), "--format", "json", "--ignore", ignore
    )
    assert "Traceback" not in run.err, run.err
    assert run.findings == [], run.out + run.err
    nulled = ["passed with them NULL" in note for note in json.loads(run.out)["notes"]]
    assert (nulled, run.code) == ([True, True], 0), run.out


@pytest.mark.parametrize(
    ("engine", "form"),
    [("sqlite", "batch"), pytest.param("mariadb", "plain", marks=pytest.mark.mariadb)],
)
def test_renamed_table_with_sqlalchemy_14(
    gate: Callable[[str], tuple[Path, Gate]], request: pytest.FixtureRequest, engine: str, form: str
) -> None:
    """users renamed to members, then to people (test_seeding): the foreign key over
    members' made-up org_id is a note, the NOT NULL on people's made-up level AG904."""
    from .test_seeding import LEVEL_REQUIRED, MADE_UP, ORGS_USERS, added, history

    root, check = gate("mixed_rows")  # (its env.py turns SQLite's foreign keys on)
    foreign_key = added(form, MADE_UP["foreign key"]).replace('"users"', '"members"')
    to_people = '    op.rename_table("members", "people")\n' + LEVEL_REQUIRED[form]
    to_members = '    op.rename_table("users", "members")'
    paths = history(root, ORGS_USERS, to_members, foreign_key, to_people)
    url = (
        f"sqlite:///{root / 'seeded.db'}"
        if engine == "sqlite"
        else _plain(request.getfixturevalue(f"{engine}_url"))
    )
    ignore = "AG104,AG902,AG905,AG906,AG907"
    run = check("check", "--database-url", url, "--format", "json", "--ignore", ignore)
    assert "Traceback" not in run.err, run.err
    assert [(f["code"], f["path"]) for f in run.findings] == [("AG904", paths[3])], run.out
    assert "people (3 rows made up by check)" in run.findings[0]["message"]
    said = json.loads(run.out)["notes"]
    assert len(said) == 1 and "made up for members" in said[0], said


@pytest.mark.timeout(120)  # it waited for good (900 s) before
@pytest.mark.parametrize("driver", ["pymysql", "mysqldb"])
def test_a_migration_waiting_on_its_own_process_is_stopped_on_14(
    gate: Callable[[str], tuple[Path, Gate]],
    python14: Path,
    driver: str,
    request: pytest.FixtureRequest,
) -> None:
    # SQLAlchemy 1.4 (a SELECT on a legacy Connection begins no transaction of its own,
    # the driver's does): the ALTER waits on MariaDB for the revision's idle connection.
    if driver == "mysqldb" and subprocess.run([python14, "-c", "import MySQLdb"]).returncode:
        consumers.missing("mysqlclient in .venv-sa14")
    url = sa.make_url(request.getfixturevalue("mariadb_url")).set(drivername=f"mysql+{driver}")
    root, check = gate("stuck")
    run = check(
        "check", "--database-url", url.render_as_string(hide_password=False), "--format", "json"
    )
    assert_stopped_at_its_line(run, root)
