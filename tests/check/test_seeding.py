"""`check` migrates tables that hold rows (check.seeding): AG904 where a revision fails only
with rows, at its op.* line; lint's AG101/AG102 guesses confirmed or dropped by what ran;
a note for a table no rows could be made for; `since`, `--base` and `--no-seed`; every engine.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import MYSQL_IMAGE, POSTGRES_IMAGE, Run, edit, line_of

Project = Callable[[str], Path]
Check = Callable[..., Run]

# Lock tracing (on by default on PostgreSQL) is measured in test_trace.py; here it is off,
# so what is asserted is what the rows did.
UNTRACED = ("--ignore", "AG905,AG906,AG907")

VERSIONS = "migrations/versions"
EMAIL = f"{VERSIONS}/3b1e6f0a9c03_add_users_email.py"
NICKNAME = f"{VERSIONS}/3b1e6f0a9c04_nickname_not_null.py"
SLUG = f"{VERSIONS}/3b1e6f0a9c06_add_posts_slug.py"
WINDOWS = f"{VERSIONS}/7e4a1b2c3d01_create_users_and_launch_windows.py"
SITE = f"{VERSIONS}/7e4a1b2c3d02_add_columns.py"
RICH_TABLES = ("authors", "books", "tags", "book_tags", "events")


def notes(run: Run) -> list[str]:
    """The notes of a run made with --format json."""
    found: list[str] = json.loads(run.out)["notes"]
    return found


# Every engine of the local servers, SQLite first.
ENGINES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


def found(run: Run) -> list[tuple[str, str, int]]:
    return [(f["code"], f["path"], f["line"]) for f in run.findings]


def at(root: Path, path: str, text: str) -> int:
    return line_of(root / path, text)


def rows_in(url: str, *names: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(
                    sa.select(sa.func.count()).select_from(sa.table(name))
                ).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def plain_failures(root: Path, run: Run, add_fails: bool) -> None:
    """The plain-op history: the NOT NULL tightening without a backfill is AG904 (and the
    NOT NULL add, where the engine refuses it); lint's guesses are gone, both the two
    confirmed and the one the rows refuted (status: every row holds the server default)."""
    expected = [("AG904", NICKNAME, at(root, NICKNAME, "op.alter_column("))]
    if add_fails:
        expected.insert(0, ("AG904", EMAIL, at(root, EMAIL, "op.add_column(")))
    assert found(run) == expected
    assert run.code == 1
    nickname = run.findings[-1]
    assert (
        "upgrade of 3b1e6f0a9c04 (nickname not null) fails on tables that hold rows"
        in (nickname["message"])
    )
    assert "held rows: users (3 rows made up by check)" in nickname["message"]
    assert nickname["fix"] == (
        'op.execute("UPDATE users SET nickname = ... WHERE nickname IS NULL") before the '
        "alter_column, in this revision or an earlier one"
    )


# -- SQLite ------------------------------------------------------------------------------


def test_sqlite_batch_copy_meeting_null_is_ag904(project: Project, check: Check) -> None:
    root = project("data_batch")
    run = check("--db", "sqlite", "--format", "json")
    assert found(run) == [
        ("AG904", EMAIL, at(root, EMAIL, "batch_op.add_column(")),
        ("AG904", NICKNAME, at(root, NICKNAME, "batch_op.alter_column(")),
    ]
    email = run.findings[0]
    assert "NOT NULL constraint failed: _alembic_tmp_users.email" in email["message"]
    assert "passes on empty ones" in email["message"]
    assert email["fix"] == (
        'add it with nullable=True, backfill it with op.execute("UPDATE users SET email = ... '
        'WHERE email IS NULL"), then batch_op.alter_column("email", nullable=False) in a later '
        "revision; or give it a server_default"
    )
    assert run.code == 1


def test_without_rows_the_guesses_stay(project: Project, check: Check) -> None:
    root = project("data_batch")
    # (status is created with a server_default: every row holds it, no guess says otherwise)
    expected = [
        ("AG101", EMAIL, at(root, EMAIL, "batch_op.add_column(")),
        ("AG102", NICKNAME, at(root, NICKNAME, "batch_op.alter_column(")),
    ]
    run = check("--db", "sqlite", "--no-seed", "--format", "json")
    assert (found(run), run.code) == (expected, 0)
    # Ignoring AG904 turns the measurement off too: the guesses are not silently dropped.
    run = check("--db", "sqlite", "--ignore", "AG904", "--format", "json")
    assert (found(run), run.code) == (expected, 0)


def test_sqlite_plain_add_of_not_null_fails_only_with_rows(project: Project, check: Check) -> None:
    root = project("data")
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG901")
    # SQLite refuses ALTER COLUMN at all (AG901, ignored here: that is what batch mode is
    # for), but adds a NOT NULL column without a default to an empty table.
    assert found(run)[0] == ("AG904", EMAIL, at(root, EMAIL, "op.add_column("))
    assert "Cannot add a NOT NULL column with default value NULL" in run.findings[0]["message"]


def test_sqlite_rich_schema_stays_clean(project: Project, check: Check, tmp_path: Path) -> None:
    project("rich")
    url = f"sqlite:///{tmp_path / 'rich.db'}"
    run = check("--database-url", url, "--format", "json")
    assert (run.code, run.findings) == (0, [])
    assert rows_in(url, *RICH_TABLES) == dict.fromkeys(RICH_TABLES, 3)
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert (run.code, run.findings) == (0, [])


def test_sqlite_table_without_rows_is_an_info_note(project: Project, check: Check) -> None:
    root = project("unseedable")
    run = check("--db", "sqlite", "--format", "json")
    # Not measured (the table stayed empty): lint's guess stays.
    assert found(run) == [("AG101", SITE, at(root, SITE, '"launch_windows"'))]
    # A note, not a finding: it cannot fail the run, whatever --fail-on says.
    line = at(root, WINDOWS, '"launch_windows",') - 1
    assert notes(run) == [
        f"{WINDOWS}:{line}: check could not give "
        "table launch_windows rows (IntegrityError: CHECK constraint failed: "
        "ck_launch_windows_future); the revisions after 7e4a1b2c3d01 ran on it empty, so "
        "whether they fail on a table holding rows was not measured there"
    ]
    assert run.code == 0
    text = check("--db", "sqlite", "--fail-on", "info", "--ignore", "AG101")
    assert text.code == 0
    assert text.out.startswith(f"note: {WINDOWS}:{line}: check could not give table")


def test_a_note_on_a_table_made_before_the_scope_is_at_its_create_table(
    project: Project, check: Check
) -> None:
    """A table from before `since` that no rows could be given: the note stands at the
    revision that created it, not at the newest revision naming it (honcho with --base:
    a revision outside the scope, or the last one in it)."""
    root = project("unseedable")
    (root / "pyproject.toml").write_text('[tool.alembic-gate]\nsince = "7e4a1b2c3d01"\n')
    run = check("--db", "sqlite", "--format", "json")
    line = at(root, WINDOWS, '"launch_windows",') - 1
    [note] = notes(run)
    assert note.startswith(f"{WINDOWS}:{line}: check could not give table launch_windows"), note


def test_since_seeds_from_the_first_revision_in_scope(project: Project, check: Check) -> None:
    root = project("data_batch")
    # 3b1e6f0a9c03 ran in production long ago, on a table that was empty then.
    (root / "pyproject.toml").write_text('[tool.alembic-gate]\nsince = "3b1e6f0a9c03"\n')
    run = check("--db", "sqlite", "--format", "json")
    assert found(run) == [("AG904", NICKNAME, at(root, NICKNAME, "batch_op.alter_column("))]


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Dev")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "dev@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_base_seeds_from_the_branchs_first_revision(
    project: Project, check: Check, git_identity: None
) -> None:
    root = project("data_batch")
    added = sorted((root / VERSIONS).glob("3b1e6f0a9c0[456]_*.py"))
    kept = {path: path.read_text() for path in added}
    for path in added:
        path.unlink()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "switch", "-q", "-c", "feature")
    for path, text in kept.items():
        path.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feature")
    run = check("--db", "sqlite", "--base", "main", "--format", "json")
    assert found(run) == [("AG904", NICKNAME, at(root, NICKNAME, "batch_op.alter_column("))]
    # The job summary's graph marks the branch's revisions, as lint's does.
    summary = root / "summary.md"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        check("--db", "sqlite", "--base", "main", "--format", "github")
    marked = [line for line in summary.read_text().splitlines() if line.endswith(" new")]
    assert marked == ["    class r0,r1,r2 new"]  # nodes r0.. are the three new revisions


# -- PostgreSQL, MariaDB, MySQL ------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_not_null_add_and_tightening(
    project: Project, check: Check, postgres_url: str
) -> None:
    root = project("data")
    run = check("--database-url", postgres_url, "--format", "json", *UNTRACED)
    plain_failures(root, run, add_fails=True)
    email = run.findings[0]["message"]
    assert 'NotNullViolation: column "email" of relation "users" contains null values' in email
    assert "[SQL: ALTER TABLE users ADD COLUMN email VARCHAR(120) NOT NULL]" in email
    # The revision went on without rows, and the ones after it met rows again.
    assert rows_in(postgres_url, "users", "posts") == {"users": 3, "posts": 3}


@pytest.mark.postgres
@pytest.mark.parametrize("roundtrip", [False, True])
def test_postgres_rich_schema_stays_clean(
    project: Project, check: Check, postgres_url: str, roundtrip: bool
) -> None:
    project("rich")
    args = ["--database-url", postgres_url, "--format", "json", *UNTRACED]
    run = check(*args, *(["--roundtrip"] if roundtrip else []))
    assert (run.code, run.findings) == (0, [])
    # The round trip ran on the emptied tables (and ends with none seeded again).
    assert rows_in(postgres_url, *RICH_TABLES) == dict.fromkeys(RICH_TABLES, 0 if roundtrip else 3)


@pytest.mark.postgres
def test_postgres_table_without_rows(project: Project, check: Check, postgres_url: str) -> None:
    project("unseedable")
    run = check("--database-url", postgres_url, "--format", "json", *UNTRACED)
    assert [f["code"] for f in run.findings] == ["AG101"]
    assert 'violates check constraint "ck_launch_windows_future"' in notes(run)[0]
    assert run.code == 0


@pytest.mark.mariadb
def test_mariadb_fails_with_data(project: Project, check: Check, mariadb_url: str) -> None:
    root = project("data")
    run = check("--database-url", mariadb_url, "--format", "json")
    # MariaDB gives the rows of a new NOT NULL column its type's implicit default (''),
    # so the add passes with rows, and lint's AG101 is dropped.
    plain_failures(root, run, add_fails=False)


@pytest.mark.mariadb
@pytest.mark.parametrize("roundtrip", [False, True])
def test_mariadb_rich_schema_stays_clean(
    project: Project, check: Check, mariadb_url: str, roundtrip: bool
) -> None:
    project("rich")
    run = check("--database-url", mariadb_url, "--format", "json", *(["--roundtrip"] * roundtrip))
    assert (run.code, run.findings) == (0, [])


@pytest.mark.mariadb
def test_mariadb_table_without_rows(project: Project, check: Check, mariadb_url: str) -> None:
    project("unseedable")
    run = check("--database-url", mariadb_url, "--format", "json")
    assert ([f["code"] for f in run.findings], len(notes(run))) == (["AG101"], 1)
    assert run.code == 0


@pytest.mark.docker
@pytest.mark.usefixtures("docker_env")
def test_mysql(project: Project, check: Check, mysql_url: str, tmp_path: Path) -> None:
    root = project("data")
    run = check("--database-url", mysql_url, "--format", "json")
    plain_failures(root, run, add_fails=False)
    assert "Invalid use of NULL value" in run.findings[0]["message"]


@pytest.mark.docker
@pytest.mark.usefixtures("docker_env")
def test_mysql_containers(project: Project, check: Check) -> None:
    project("rich")
    for roundtrip in ([], ["--roundtrip"]):
        run = check("--db", "mysql", "--image", MYSQL_IMAGE, "--format", "json", *roundtrip)
        assert (run.code, run.findings) == (0, []), run.err
    project("unseedable")
    run = check("--db", "mysql", "--image", MYSQL_IMAGE, "--format", "json")
    assert ([f["code"] for f in run.findings], len(notes(run)), run.code) == (["AG101"], 1, 0)


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], str]]:
    """ALEMBIC_GATE_REUSE=1, and `psql(sql)` in the kept PostgreSQL container."""
    monkeypatch.setenv("ALEMBIC_GATE_REUSE", "1")

    def ids() -> list[str]:
        listed = subprocess.run(
            ["docker", "ps", "-aq", "--filter", "label=alembic-gate.keep=postgres"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return listed.stdout.split()

    def remove() -> None:
        for container in ids():
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)

    def psql(sql: str) -> str:
        [container] = ids()
        command = ["docker", "exec", container, "psql", "-U", "postgres", "-tAc", sql]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
        return done.stdout.strip()

    remove()
    yield psql
    remove()


@pytest.mark.docker
@pytest.mark.usefixtures("docker_env")
def test_postgres_container_measures_every_run(
    project: Project, check: Check, kept: Callable[[str], str]
) -> None:
    root = project("data")
    for _ in range(2):  # no migrated template copy hides the second measurement
        run = check("--image", POSTGRES_IMAGE, "--format", "json", *UNTRACED)
        plain_failures(root, run, add_fails=True)
    assert kept("SELECT count(*) FROM pg_database WHERE datname LIKE 'alembic_gate_%'") == "0"


RESULTS_REVISION = '''"""statements whose results the migration reads

Revision ID: 5c0d2e7f8a06
Revises: 5c0d2e7f8a05
"""
from alembic import op
import sqlalchemy as sa

revision = "5c0d2e7f8a06"
down_revision = "5c0d2e7f8a05"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    renamed = bind.execute(sa.text("UPDATE authors SET bio = 'b' RETURNING id")).all()
    if len(renamed) != 3:
        raise RuntimeError(f"UPDATE ... RETURNING gave {renamed!r}")
    touched = bind.execute(sa.text("UPDATE authors SET bio = NULL -- trailing comment"))
    if touched.rowcount != 3:
        raise RuntimeError(f"UPDATE gave rowcount {touched.rowcount}")
    op.execute("UPDATE authors SET bio = 'c' WHERE id < 0;")


def downgrade():
    pass
'''


@pytest.mark.postgres
def test_postgres_statements_on_rows_give_their_results(
    project: Project, check: Check, postgres_url: str
) -> None:
    """A statement on a table holding rows runs inside a savepoint (on psycopg sent
    with it in one query): the migration still reads its own rows and row counts, a
    trailing comment or semicolon changes nothing, and the rows seeding made are there."""
    root = project("rich")
    (root / VERSIONS / "5c0d2e7f8a06_results.py").write_text(RESULTS_REVISION)
    run = check("--database-url", postgres_url, "--format", "json", *UNTRACED)
    assert (run.code, run.findings) == (0, [])
    assert rows_in(postgres_url, "authors") == {"authors": 3}


# -- what the retry may delete ------------------------------------------------------------


def history(root: Path, *upgrades: str) -> list[str]:
    """Replace the project's revisions with a chain whose upgrade() bodies are
    `upgrades` (indented already); returns their paths."""
    for old in (root / VERSIONS).glob("*.py"):
        old.unlink()
    paths = []
    for number, body in enumerate(upgrades, 1):
        down = f'"r{number - 1}"' if number > 1 else "None"
        path = f"{VERSIONS}/r{number}.py"
        (root / path).write_text(
            f'"""step {number}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f'revision = "r{number}"\ndown_revision = {down}\n\n\n'
            f"def upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


CREATE_USERS = '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'
# A users table whose signup column holds text, and a revision that reads each value as a
# date: it fails on the values seeding made up.
CREATE_SIGNUPS = (
    '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("signup", sa.String(10)))'
)
PARSE_SIGNUPS = (
    "    import datetime\n"
    '    for (signup,) in op.get_bind().execute(sa.text("SELECT signup FROM users")):\n'
    "        if signup is not None:\n"
    "            datetime.date.fromisoformat(signup)"
)
USERS_AGE = '    op.add_column("users", sa.Column("age", sa.Integer, nullable=False))'


@pytest.mark.postgres
def test_postgres_retry_leaves_tables_that_were_there_before(
    project: Project, check: Check, postgres_url: str
) -> None:
    """--allow-nonempty: a table the database held links to a seeded one; the retry of a
    revision that fails with rows deletes no row of it."""
    root = project("data")
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE legacy (id serial PRIMARY KEY, note text NOT NULL)")
        conn.exec_driver_sql("INSERT INTO legacy (note) VALUES ('a'), ('b'), ('c')")
    engine.dispose()
    paths = history(
        root,
        CREATE_USERS,
        '    op.add_column("legacy", sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")))',
        USERS_AGE,
    )
    args = ("--database-url", postgres_url, "--allow-nonempty", "--format", "json")
    run = check(*args, "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", paths[2], 10)]
    assert rows_in(postgres_url, "legacy") == {"legacy": 3}


@pytest.mark.postgres
def test_postgres_retry_leaves_rows_a_migration_wrote(
    project: Project, check: Check, postgres_url: str
) -> None:
    """A lookup row a revision inserted into a table referencing a seeded one outlives the
    retry of a later revision, so the revision that reads it passes."""
    root = project("data")
    plans = (
        '    plans = op.create_table("plans", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("name", sa.String(20), nullable=False),\n'
        '        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id")))\n'
        '    op.bulk_insert(plans, [{"id": 1, "name": "free", "owner_id": None}])'
    )
    backfill = (
        '    op.add_column("users", sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id")))\n'
        '    op.execute("UPDATE users SET plan_id = "\n'
        "               \"(SELECT id FROM plans WHERE name = 'free')\")\n"
        '    op.alter_column("users", "plan_id", existing_type=sa.Integer, nullable=False)'
    )
    paths = history(root, CREATE_USERS, plans, USERS_AGE, backfill)
    args = ("--database-url", postgres_url, "--format", "json")
    run = check(*args, "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", paths[2], 10)]
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        names = conn.exec_driver_sql("SELECT name FROM plans").scalars().all()
    engine.dispose()
    assert names == ["free"]


# -- the savepoint around a statement on rows -------------------------------------------------


@pytest.mark.postgres
def test_postgres_failure_caught_in_python_still_aborts(
    project: Project, check: Check, postgres_url: str
) -> None:
    """A statement that fails with or without rows leaves the transaction aborted, as
    it does under `alembic upgrade heads`: a revision that catches the error fails at
    its next statement (AG901), as with --no-seed."""
    root = project("data")
    caught = (
        "    try:\n"
        '        op.execute("UPDATE users SET nonexistent = 1")\n'
        "    except Exception:\n"
        "        pass\n"
        '    op.add_column("users", sa.Column("email", sa.String(100)))'
    )
    paths = history(root, CREATE_USERS, caught)
    for seeding in ([], ["--no-seed"]):
        args = ("--database-url", postgres_url, "--format", "json", *seeding)
        run = check(*args, "--ignore", "AG902,AG905,AG906,AG907")
        assert found(run) == [("AG901", paths[1], 14)], seeding
        assert "InFailedSqlTransaction" in run.findings[0]["message"]
        with sa.create_engine(postgres_url, poolclass=sa.NullPool).begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS users, alembic_version")


@pytest.mark.postgres
def test_postgres_syntax_error_is_the_databases(
    project: Project, check: Check, postgres_url: str
) -> None:
    """A statement the server cannot parse: AG901 carries its syntax error, as with
    --no-seed, and nothing of check's savepoint."""
    root = project("data")
    typo = '    op.execute("UPDATE users SET id = 2 WHER id = 1")'
    paths = history(root, CREATE_USERS, typo)
    run = check("--database-url", postgres_url, "--format", "json", *UNTRACED)
    assert found(run) == [("AG901", paths[1], 10)]
    message = run.findings[0]["message"]
    assert 'SyntaxError: syntax error at or near "WHER"' in message
    assert "LINE 1: UPDATE users SET id = 2 WHER id = 1" in message
    assert "alembic_gate_rows" not in message


# Rows a revision inserts through the DBAPI cursor, behind SQLAlchemy's back: seeding
# does not see them, so its own insert may meet them.
RAW_USERS = (
    '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("name", sa.String(20), nullable=False))\n'
    "    op.get_bind().connection.cursor().execute(\n"
    "        \"INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob')\")"
)
USERS_EMAIL = '    op.add_column("users", sa.Column("email", sa.String(100)))'


@pytest.mark.postgres
def test_postgres_seeding_insert_that_fails_leaves_the_transaction_usable(
    project: Project, check: Check, postgres_url: str
) -> None:
    """Seeding's insert meets rows it did not know of (users' serial hands out ids the
    revision took): the insert fails inside a savepoint of its own, so the revision
    after it runs, as under `alembic upgrade heads`."""
    root = project("data")
    history(root, RAW_USERS, USERS_EMAIL)
    args = ("--database-url", postgres_url, "--format", "json")
    run = check(*args, "--ignore", "AG902,AG905,AG906,AG907")
    assert (run.code, run.findings) == (0, [])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("keys", ["server", "explicit"])
def test_rows_written_behind_sqlalchemys_back_are_kept(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    keys: str,
) -> None:
    """Where seeding's rows meet the keys of rows a revision wrote through the DBAPI
    cursor (ids the revision chose, then handed out again by the server's sequence or
    given by seeding), the table holds rows: they are kept, as after an op.execute
    INSERT, with no note saying the table stayed empty; the revisions after it run on
    them, and one that fails on rows is AG904 naming them."""
    root = project("data")
    create = RAW_USERS
    if keys == "explicit":
        create = create.replace("primary_key=True", "primary_key=True, autoincrement=False")
    paths = history(root, create, USERS_EMAIL, USERS_AGE)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert notes(run) == []
    if engine == "mariadb":  # adds a NOT NULL column to rows, filled with 0
        assert (run.code, run.findings) == (0, [])
    else:
        assert found(run) == [("AG904", paths[2], 10)]
        # (server keys: SQLite numbers them after the revision's, and PostgreSQL's
        # sequence moves on at each failed try, so a later shape of rows may fit)
        held = "rows earlier revisions inserted" if keys == "explicit" else ""
        assert f"held rows: users ({held}" in run.findings[0]["message"]


@pytest.mark.parametrize("engine", ENGINES)
def test_table_renamed_by_the_revision_that_created_it(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """create_table, then rename_table in the same revision: seeding gives rows to the
    table under its new name, and reads no table by the old one (that read failed: a
    false AG901 "before any migration ran", where `alembic upgrade` passes)."""
    root = project("data")
    renamed = CREATE_USERS + '\n    op.rename_table("users", "members")'
    age = USERS_AGE.replace('"users"', '"members"')
    paths = history(root, renamed, USERS_EMAIL.replace('"users"', '"members"'), age)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert notes(run) == []
    if engine == "mariadb":  # adds a NOT NULL column to rows, filled with 0
        assert (run.code, run.findings) == (0, [])
    else:
        assert found(run) == [("AG904", paths[2], 10)]
        assert "held rows: members (3 rows made up by check)" in run.findings[0]["message"]


def test_sqlite_failure_on_made_up_values_says_so(project: Project, check: Check) -> None:
    """Python code of a revision fails on a value seeding made up: AG901 says the table
    held rows check made up, and how to migrate without them."""
    root = project("data")
    history(root, CREATE_SIGNUPS, PARSE_SIGNUPS)
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902")
    assert run.codes() == ["AG901"]
    message = run.findings[0]["message"]
    assert "ValueError: Invalid isoformat string" in message
    assert "users held 3 rows made up by check's seeding" in message
    assert "--no-seed" in message
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902", "--no-seed")
    assert (run.code, run.findings) == (0, [])


def test_a_statement_writing_for_made_up_rows_says_what_it_read(
    project: Project, check: Check
) -> None:
    """A data migration reads a table's rows and, for each, inserts a row that fails
    on empty tables too (a NOT NULL column it leaves out, as Conveyor's Data Product
    Portal's RBAC migration does): the error stands, and AG901 says which tables holding
    made-up rows the revision read first, since on empty ones it writes nothing."""
    root = project("data")
    create = (
        '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.create_table("roles", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("name", sa.String(20)),\n'
        '        sa.Column("kind", sa.Integer, nullable=False))'
    )
    per_user = (
        "    bind = op.get_bind()\n"
        '    for (user_id,) in bind.execute(sa.text("SELECT id FROM users")).all():\n'
        "        bind.execute(\n"
        "            sa.text(\"INSERT INTO roles (id, name) VALUES (:i, 'member')\"),\n"
        '            {"i": 1000 + user_id},\n'
        "        )"
    )
    paths = history(root, create, per_user)
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902")
    assert found(run) == [("AG901", paths[1], at(root, paths[1], "INSERT INTO roles") - 1)]
    message = run.findings[0]["message"]
    assert "NOT NULL constraint failed: roles.kind" in message
    assert "this revision read rows check's seeding made up (not data of yours) in users" in (
        message
    )
    assert "roles" not in message.split("made up (not data of yours) in ")[1].split(":")[0]
    assert "--no-seed" in message
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902", "--no-seed")
    assert (run.code, run.findings) == (0, [])


@pytest.mark.postgres
def test_the_note_on_made_up_rows_with_a_table_named_in_its_schema(
    project: Project, check: Check, postgres_url: str
) -> None:
    """Tables of the default schema and one a revision names with `schema="public"` held
    made-up rows together: the note lists both (it stopped on comparing None with a
    schema's name, and the AG901 was lost, as on foi-docreviewer)."""
    root = project("data")
    people = (
        '    op.create_table("people", sa.Column("login", sa.Text, primary_key=True),\n'
        '        schema="public")'
    )
    history(root, CREATE_SIGNUPS + "\n" + people, PARSE_SIGNUPS)
    run = check(
        "--database-url", postgres_url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907"
    )
    assert run.codes() == ["AG901"], run.err
    message = run.findings[0]["message"]
    assert "ValueError: Invalid isoformat string" in message
    assert "public.people held 3 rows" in message or "people held 3 rows" in message
    assert "users held 3 rows" in message


@pytest.mark.postgres
def test_a_statement_that_commits_runs_as_it_is(
    project: Project, check: Check, postgres_url: str
) -> None:
    """SQL text that ends the transaction itself (foi-docreviewer's `TRUNCATE ...;commit;`)
    cannot run inside check's savepoint: it runs as written, as under `alembic upgrade`,
    not as a false AG901 (`RELEASE SAVEPOINT can only be used in transaction blocks`)."""
    root = project("data")
    create = (
        '    op.create_table("items", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("name", sa.String(50)))'
    )
    reset = (
        '    op.execute("TRUNCATE TABLE items RESTART IDENTITY CASCADE;commit;")\n'
        "    op.execute(\"INSERT INTO items (name) VALUES ('first')\")"
    )
    history(root, create, reset)
    run = check(
        "--database-url", postgres_url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907"
    )
    assert (run.code, run.findings) == (0, []), run.out
    assert rows_in(postgres_url, "items") == {"items": 1}


def test_sql_that_cannot_be_written_says_nothing_of_rows(project: Project, check: Check) -> None:
    """A type the dialect cannot render fails in SQLAlchemy, before any statement reaches
    the database: no word of the made-up rows (SQLBot's JSONB on MariaDB; TSVECTOR here,
    since SQLAlchemy 2.1 writes JSONB for SQLite)."""
    root = project("data")
    create = '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'
    tsvector = (
        "    from sqlalchemy.dialects import postgresql\n"
        '    op.create_table("logs", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("body", postgresql.TSVECTOR()))'
    )
    history(root, create, tsvector)
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902")
    assert run.codes() == ["AG901"]
    message = run.findings[0]["message"]
    assert "CompileError" in message
    assert "made up" not in message and "--no-seed" not in message


def test_an_operation_alembic_refuses_says_nothing_of_rows(project: Project, check: Check) -> None:
    """alembic refuses some operations before any SQL is written (a foreign key added to
    a SQLite table outside batch mode, as letta's 567e9fe06270 does): no row can have
    caused that, so no word of the made-up rows nor of --no-seed."""
    root = project("data")
    create = (
        '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("user_id", sa.Integer))'
    )
    foreign_key = (
        '    op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"])'
    )
    history(root, create, foreign_key)
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902")
    assert run.codes() == ["AG901"]
    message = run.findings[0]["message"]
    assert "NotImplementedError: No support for ALTER of constraints in SQLite" in message
    assert "made up" not in message and "--no-seed" not in message


def test_an_error_an_earlier_revision_caught_leaves_the_note(
    project: Project, check: Check
) -> None:
    """A statement that failed on emptied tables too and that its revision caught (as
    Superset's revisions wrap theirs in try/except) says nothing of a later revision's
    failure: that one still gets the note on the made-up rows (Superset on SQLite lost
    it, and said only "AttributeError")."""
    root = project("data")
    caught = (
        "    try:\n"
        '        op.execute("UPDATE users SET nonexistent = 1")\n'
        "    except Exception:\n"
        "        pass"
    )
    paths = history(root, CREATE_SIGNUPS, caught, PARSE_SIGNUPS)
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902")
    assert found(run) == [("AG901", paths[2], 13)]
    assert "users held 3 rows made up by check's seeding" in run.findings[0]["message"]


# -- which op.* line of a batch failed ------------------------------------------------------

ADD_THEN_TIGHTEN = {
    "batch": (
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.add_column(sa.Column("age", sa.Integer))\n'
        '        batch_op.alter_column("age", existing_type=sa.Integer, nullable=False)'
    ),
    # The batch copies the table on PostgreSQL too: the copy's INSERT fails.
    "copy": (
        '    with op.batch_alter_table("users", recreate="always") as batch_op:\n'
        '        batch_op.add_column(sa.Column("age", sa.Integer))\n'
        '        batch_op.alter_column("age", existing_type=sa.Integer, nullable=False)'
    ),
    "plain": (
        '    op.add_column("users", sa.Column("age", sa.Integer))\n'
        '    op.alter_column("users", "age", existing_type=sa.Integer, nullable=False)'
    ),
}
# What each engine says when the rows meet the NOT NULL: the batch copy on SQLite, the
# ALTER on the others.
NULL_REFUSED = {
    "sqlite": "NOT NULL constraint failed: _alembic_tmp_users.age",
    "postgres": 'column "age" of relation "users" contains null values',
    "postgres copy": 'null value in column "age" of relation "_alembic_tmp_users" violates',
    "mariadb": "Data truncated for column 'age'",
}

BACKFILL = 'op.execute("UPDATE users SET age = ... WHERE age IS NULL")'
# Within one batch the column does not exist before the block ends: no UPDATE can fill it.
TIGHTEN_FIX = {
    "batch": (
        f'add "age" with nullable=True in a batch of its own, backfill it with {BACKFILL}, '
        'then batch_op.alter_column("age", nullable=False) in a later revision; or give it '
        "a server_default"
    ),
    "plain": f"{BACKFILL} before the alter_column, in this revision or an earlier one",
}


def engine_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'seeded.db'}"
    return str(request.getfixturevalue(f"{engine}_url"))


@pytest.mark.parametrize(
    ("engine", "form"),
    [
        ("sqlite", "batch"),
        pytest.param("postgres", "batch", marks=pytest.mark.postgres),
        pytest.param("mariadb", "batch", marks=pytest.mark.mariadb),
        pytest.param("postgres", "copy", marks=pytest.mark.postgres),
        # (SQLite refuses a plain ALTER COLUMN whatever the rows: AG901)
        pytest.param("postgres", "plain", marks=pytest.mark.postgres),
        pytest.param("mariadb", "plain", marks=pytest.mark.mariadb),
    ],
)
def test_not_null_set_on_a_column_added_just_before(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
) -> None:
    """A nullable column added, then made NOT NULL: what fails on rows is the NOT NULL
    (the ALTER, or on SQLite the batch's copy into a table whose column is NOT NULL), so
    AG904 is at the alter_column line, with the database's message, and replaces lint's
    AG102 there; the add_column line holds nothing."""
    root = project("data")
    paths = history(root, CREATE_USERS, ADD_THEN_TIGHTEN[form])
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    tighten = at(root, paths[1], ".alter_column(")
    assert found(run) == [("AG904", paths[1], tighten)]
    refused = NULL_REFUSED.get(f"{engine} {form}", NULL_REFUSED[engine])
    assert refused in run.findings[0]["message"]
    assert run.findings[0]["fix"] == TIGHTEN_FIX.get(form, TIGHTEN_FIX["batch"])
    assert run.code == 1


SEVERAL = (
    '    with op.batch_alter_table("users") as batch_op:\n'
    '        batch_op.add_column(sa.Column("nick", sa.String(20)))\n'
    '        batch_op.add_column(sa.Column("age", sa.Integer))\n'
    '        batch_op.create_index("ix_users_nick", ["nick"])\n'
    '        batch_op.alter_column("age", existing_type=sa.Integer, nullable=False)\n'
    '        batch_op.alter_column("nick", existing_type=sa.String(20), nullable=False)'
)


@pytest.mark.parametrize("engine", ENGINES)
def test_batch_of_several_ops_fails_at_the_one_the_database_refused(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """A batch that adds two columns, indexes one and makes both NOT NULL. PostgreSQL and
    MariaDB run its ALTERs in order: the first NOT NULL fails (AG904 there), its retry
    empties users, which gets rows again before the next call: the second NOT NULL fails
    on them too, AG904 at both (before: the second ran on the emptied table and lint's
    AG102 stayed on its line). SQLite copies the table once, in one statement: its error
    names one column, and AG904 is at the alter_column that made that one NOT NULL; the
    other keeps its AG102. The lines of ops that ran on rows and passed (the adds, the
    index) hold nothing."""
    root = project("data")
    paths = history(root, CREATE_USERS, SEVERAL)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    age = at(root, paths[1], '.alter_column("age"')
    nick = at(root, paths[1], '.alter_column("nick"')
    refused = {"nick": nick} if engine == "sqlite" else {"age": age, "nick": nick}
    expected = [
        ("AG904" if line in refused.values() else "AG102", paths[1], line) for line in (age, nick)
    ]
    assert sorted(found(run), key=lambda f: f[2]) == sorted(expected, key=lambda f: f[2])
    by_line = {finding["line"]: finding for finding in run.findings}
    for column, line in refused.items():
        assert NULL_REFUSED[engine].replace("age", column) in by_line[line]["message"]


# Two nullable columns (NULL in a row of seeding's), then made NOT NULL in one batch: the
# copy's error names the first of them, which the batch tightens first (flaskbb's
# 933bd7d807c4 makes users.activated NOT NULL, then more columns, in one batch).
CREATE_LOGINS = (
    '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("activated", sa.Boolean), sa.Column("login_attempts", sa.Integer))'
)
TIGHTEN_IN_ONE_COPY = (
    '    with op.batch_alter_table("users"{}) as batch_op:\n'
    '        batch_op.alter_column("activated", existing_type=sa.Boolean, nullable=False)\n'
    '        batch_op.alter_column("login_attempts", existing_type=sa.Integer, nullable=False)'
)


@pytest.mark.parametrize("engine", ENGINES)
def test_batch_copy_refused_null_is_at_the_column_the_error_names(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """A batch that copies the table (SQLite's own; recreate="always" elsewhere) makes two
    columns NOT NULL; the copy fails on the column the database names (activated): AG904
    is at that column's alter_column, with the backfill of that column (before: at the
    batch's last alter_column, login_attempts, with its backfill)."""
    root = project("data")
    recreate = "" if engine == "sqlite" else ', recreate="always"'
    paths = history(root, CREATE_LOGINS, TIGHTEN_IN_ONE_COPY.format(recreate))
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    activated = at(root, paths[1], '.alter_column("activated"')
    refused = next(f for f in run.findings if f["code"] == "AG904")
    assert (refused["path"], refused["line"]) == (paths[1], activated)
    assert "activated" in refused["message"]
    backfill = 'op.execute("UPDATE users SET activated = ... WHERE activated IS NULL")'
    assert refused["fix"].startswith(backfill)
    assert run.code == 1


# -- constraints added over values seeding made up ---------------------------------------------

ORGS_USERS = (
    '    op.create_table("orgs", sa.Column("id", sa.Integer, primary_key=True))\n'
    '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("org_id", sa.Integer), sa.Column("level", sa.Integer),\n'
    '        sa.Column("active", sa.Boolean))'
)
# Each added over the values seeding made up (users.org_id 2, NULL, 4 while orgs' ids are
# 1, 2, 3; level 4, NULL, 6; active true, NULL, true): whether rows pass depends on them.
MADE_UP = {
    "foreign key": 'create_foreign_key("fk_users_org", "orgs", ["org_id"], ["id"])',
    "check": 'create_check_constraint("ck_users_level", "level >= 10")',
    "unique": 'create_unique_constraint("uq_users_active", ["active"])',
}
REQUIRED = {
    "foreign key": "every users.org_id that is not NULL matches a value of orgs.id",
    "check": "every row of users satisfies level >= 10",
    "unique": "no two rows of users hold the same active",
}
# The revision's own values: a column added with one default for every row, then unique.
CODE_UNIQUE = {
    "batch": (
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.add_column(sa.Column("code", sa.String(10), server_default="x"))\n'
        '        batch_op.create_unique_constraint("uq_users_code", ["code"])'
    ),
    "plain": (
        '    op.add_column("users", sa.Column("code", sa.String(10), server_default="x"))\n'
        '    op.create_unique_constraint("uq_users_code", "users", ["code"])'
    ),
}
# A row the revision inserts, whose org does not exist.
ORPHAN = '    op.execute("INSERT INTO users (id, org_id) VALUES (100, 999)")'
# SQLite enforces foreign keys only where the connection asks it to (the usual env.py
# listener); the others always do.
SQLITE_FOREIGN_KEYS = (
    "    with connectable.connect() as connection:\n",
    '    if connectable.dialect.name == "sqlite":\n'
    '        sa.event.listen(connectable, "connect",\n'
    '                        lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys = ON"))\n'
    "    with connectable.connect() as connection:\n",
)


def added(form: str, call: str) -> str:
    """`call` (a batch_op method's call) in the form: in a batch, or as op.*."""
    if form == "batch":
        return f'    with op.batch_alter_table("users") as batch_op:\n        batch_op.{call}'
    name, _, rest = call.partition("(")
    table_first = rest.replace(", ", ', "users", ', 1)
    return f"    op.{name}({table_first}"


def constraint_history(root: Path, *bodies: str) -> list[str]:
    env = root / "migrations" / "env.py"
    env.write_text("import sqlalchemy as sa\n" + env.read_text().replace(*SQLITE_FOREIGN_KEYS))
    return history(root, ORGS_USERS, *bodies)


CONSTRAINT_ENGINES = [
    ("sqlite", "batch"),  # SQLite adds constraints only by copying the table
    pytest.param("postgres", "plain", marks=pytest.mark.postgres),
    pytest.param("postgres", "batch", marks=pytest.mark.postgres),
    pytest.param("mariadb", "plain", marks=pytest.mark.mariadb),
]


@pytest.mark.parametrize(("engine", "form"), CONSTRAINT_ENGINES)
def test_constraint_refused_only_by_made_up_values_is_a_note(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
) -> None:
    """A foreign key, a CHECK and a unique constraint added over columns whose values
    seeding made up fail on them and pass on empty tables: that is no measurement (real
    rows may hold what the constraint wants), so no AG904 and the run passes; a note at
    the op.* line says it was not measured and what real rows need. A column the
    revision fills with one default for every row, then made unique, stays AG904."""
    root = project("data")
    made_up = [added(form, MADE_UP[kind]) for kind in MADE_UP]
    paths = constraint_history(root, *made_up, CODE_UNIQUE[form])
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    # (SQLite's copy fails once for the batch: at the first call naming the column)
    failed = "add_column(" if engine == "sqlite" else "create_unique_constraint("
    assert found(run) == [("AG904", paths[4], at(root, paths[4], failed))]
    assert "held rows: users (3 rows made up by check)" in run.findings[0]["message"]
    # (MariaDB's booleans are numbers: seeding's are distinct, the unique constraint passes)
    kinds = [kind for kind in MADE_UP if engine != "mariadb" or kind != "unique"]
    said = notes(run)
    assert len(said) == len(kinds), said
    for note, kind, path in zip(said, kinds, paths[1:4], strict=False):
        assert note.startswith(f"{path}:{at(root, path, 'create_')}: "), note
        assert f"its {kind} constraint was not measured on rows" in note, note
        assert "values check made up for users" in note, note
        assert REQUIRED[kind] in note, note
    assert run.code == 1


@pytest.mark.parametrize(("engine", "form"), CONSTRAINT_ENGINES)
def test_foreign_key_over_rows_a_revision_inserted_is_ag904(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
) -> None:
    """A row the revision wrote (users 100 of org 999) is not made up: the foreign key
    added over it is AG904, as before, and no note."""
    root = project("data")
    paths = constraint_history(root, ORPHAN, added(form, MADE_UP["foreign key"]))
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    line = at(root, paths[2], "create_foreign_key(" if form == "plain" else "batch_op.")
    assert (found(run), notes(run)) == ([("AG904", paths[2], line)], [])
    assert run.code == 1


@pytest.mark.postgres
def test_pg8000_errors_are_read_as_psycopgs(
    project: Project, check: Check, postgres_url: str
) -> None:
    """pg8000 gives the server's fields as a dict (its SQLSTATE under 'C'): a foreign key
    refused by made-up values is the note, as with psycopg (it was AG904 showing the
    dict, at letta), and AG904's message is the server's message and detail."""
    root = project("data")
    paths = constraint_history(root, added("plain", MADE_UP["foreign key"]), USERS_AGE)
    url = sa.make_url(postgres_url).set(drivername="postgresql+pg8000")
    run = check(
        "--database-url",
        url.render_as_string(hide_password=False),
        "--format",
        "json",
        "--ignore",
        "AG902,AG905,AG906,AG907",
    )
    assert found(run) == [("AG904", paths[2], at(root, paths[2], "add_column("))]
    message = run.findings[0]["message"]
    assert f"ProgrammingError: {NULL_REFUSED['postgres']} [SQL: ALTER TABLE" in message
    said = [note for note in notes(run) if "not measured on rows" in note]
    assert len(said) == 1, notes(run)
    assert "its foreign key constraint was not measured on rows" in said[0], said
    assert 'ProgrammingError: insert or update on table "users" violates' in said[0], said
    assert "{" not in said[0], said


# A table filled from another with no foreign key (conda-store's 16f65805dc8f copies
# conda_package into conda_package_build so): staging.org_id holds seeding's values, which
# match no orgs row, and members.org_id references orgs.
STAGING = (
    '    op.create_table("staging", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("org_id", sa.Integer), sa.Column("level", sa.Integer))\n'
    '    op.create_table("members", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id")))'
)
COPY_MEMBERS = '    op.execute("INSERT INTO members (org_id) SELECT org_id FROM staging")'
STAGING_ORPHAN = '    op.execute("INSERT INTO staging (id, org_id) VALUES (100, 999)")'


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("written", [False, True])
def test_foreign_key_refusing_copied_made_up_values_is_a_note(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    written: bool,
) -> None:
    """An INSERT ... SELECT copying values seeding made up into a column with a foreign
    key fails on them and passes on empty tables: a note, as for a foreign key added over
    them (it was AG904 at conda-store's 16f65805dc8f). Copying a row a revision wrote
    (staging 100 of org 999) stays AG904."""
    root = project("data")
    bodies = [STAGING, *([STAGING_ORPHAN] if written else []), COPY_MEMBERS]
    paths = constraint_history(root, *bodies)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    line = at(root, paths[-1], "op.execute(")
    if written:
        assert (found(run), notes(run), run.code) == ([("AG904", paths[-1], line)], [], 1)
        return
    assert (found(run), run.code) == ([], 0)
    said = notes(run)
    assert len(said) == 1, said
    assert said[0].startswith(f"{paths[-1]}:{line}: "), said
    assert "its foreign key constraint was not measured on rows" in said[0], said
    assert "values check made up for staging, copied into members" in said[0], said
    assert "every row it copies into members references a row that exists" in said[0], said


# Revision 1's tables get seeding's rows (activities.created NULL in one); revision 2
# sets a column of them and copies them into tables of its own (FitTrackee's 3243cd25eca7
# sets activities.uuid, 4e8597c50064 copies activities into workouts), so workouts.created
# holds that NULL too; a column added with a default adds no rows of the revision's.
SOURCES = (
    '    op.create_table("activities", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("created", sa.DateTime))\n'
    '    op.create_table("segments", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("activity_id", sa.Integer, sa.ForeignKey("activities.id")))'
)
COPIES = (
    '    op.create_table("workouts", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("created", sa.DateTime))\n'
    '    op.create_table("workout_segments", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("workout_id", sa.Integer, sa.ForeignKey("workouts.id")))\n'
    '    op.execute("UPDATE segments SET activity_id = activity_id")\n'
    '    op.execute("INSERT INTO workouts (id, created) SELECT id, created FROM activities")\n'
    '    op.execute("INSERT INTO workout_segments (id, workout_id) "\n'
    '               "SELECT id, activity_id FROM segments")'
)
# A row of the revision's own, referencing a copied workout (seeding's ids are 1, 2, 3).
OWN_SEGMENT = '    op.execute("INSERT INTO workout_segments (id, workout_id) VALUES (100, 1)")'
CREATED_NOT_NULL = {
    "batch": (
        '    with op.batch_alter_table("{}") as batch_op:\n'
        '        batch_op.alter_column("created", existing_type=sa.DateTime, nullable=False)'
    ),
    "plain": '    op.alter_column("{}", "created", existing_type=sa.DateTime, nullable=False)',
}


@pytest.mark.parametrize(
    ("engine", "form"),
    [
        ("sqlite", "batch"),
        pytest.param("postgres", "plain", marks=pytest.mark.postgres),
        pytest.param("postgres", "batch", marks=pytest.mark.postgres),
    ],
)
@pytest.mark.parametrize("later", [True, False], ids=["later", "same"])
def test_null_copied_from_made_up_rows_is_ag904(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
    later: bool,
) -> None:
    """Rows a revision copied (INSERT ... SELECT) from seeding's rows alone are made up
    too: workouts.created made NOT NULL, by that revision or a later one, fails on the
    NULL copied there, and the retry empties workouts and workout_segments, which holds
    copies too and references it: AG904, and the run goes on to the next revision (it
    was AG901: workout_segments' rows were taken for the revision's own, the DELETE of
    workouts failed on them, and the run stopped; FitTrackee's 070bd31919c3:80). With a
    row of the revision's own in workout_segments, its data stands: AG901."""
    root = project("data")
    tighten = (
        '    op.add_column("workouts", sa.Column("kind", sa.String(10), server_default="run"))\n'
        + CREATED_NOT_NULL[form].format("workouts")
    )
    bodies = [COPIES, tighten] if later else [f"{COPIES}\n{tighten}"]
    paths = constraint_history(root, SOURCES, *bodies, CREATED_NOT_NULL[form].format("activities"))
    url = engine_url(engine, request, tmp_path)
    args = ("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    run = check(*args)
    tightened = paths[-2], at(root, paths[-2], '"created", existing_type')
    expected = [("AG904", *tightened), ("AG904", paths[-1], at(root, paths[-1], "alter_column("))]
    assert found(run) == expected, run.out
    assert "created" in run.findings[0]["message"]
    assert (
        "workouts (rows a revision copied from rows made up by check)"
        in (run.findings[0]["message"])
    )
    edit(root / paths[2], COPIES, f"{COPIES}\n{OWN_SEGMENT}")
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.db'}"
    else:
        url = request.getfixturevalue("second_postgres_url")
    run = check("--database-url", url, *args[2:])
    assert [f[:2] for f in found(run) if f[0] != "AG102"] == [("AG901", paths[-2])], run.out


def test_a_failure_note_names_the_copies_of_made_up_rows(project: Project, check: Check) -> None:
    """An AG901 that rows may have caused names the tables holding them: also those whose
    rows a revision copied from seeding's, said so (SecureDrop's rebuilt tables were not
    named, tables the revision never read were)."""
    root = project("data")
    reads = (
        '    rows = op.get_bind().execute(sa.text("SELECT created FROM workouts")).all()\n'
        '    raise RuntimeError(f"cannot parse {rows[0][0]!r}")'
    )
    paths = constraint_history(root, SOURCES, COPIES, reads)
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902,AG102")
    [failed] = run.findings
    assert (failed["code"], failed["path"]) == ("AG901", paths[-1]), run.out
    assert (
        "users held 3 rows made up by check's seeding, and workout_segments, workouts held "
        "rows a revision copied from them (not data of yours) when this failed"
    ) in failed["message"], failed["message"]


# A table whose name is a column of staging: a statement naming the column does not
# touch the table.
LEVEL_TABLE = '    op.create_table("level", sa.Column("id", sa.Integer, primary_key=True))'
LEVEL_NOT_NULL = '    op.alter_column("staging", "level", existing_type=sa.Integer, nullable=False)'


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_held_rows_are_the_tables_the_statement_names(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """AG904's held rows are the tables its statement reads or writes, not a table that
    shares a name with one of its columns (conda-store's AG904 listed `build`, for
    conda_package's column build)."""
    root = project("data")
    paths = constraint_history(root, STAGING, LEVEL_TABLE, LEVEL_NOT_NULL)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", paths[-1], at(root, paths[-1], "alter_column("))]
    assert run.findings[0]["message"].endswith("; held rows: staging (3 rows made up by check)")


# A CHECK added inside a DO block, as zou's idempotent revisions add theirs; and an UPDATE
# in one, which writes the revision's own values.
DO_CHECK = (
    '    op.execute("""DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname'
    " = 'ck_users_level') THEN ALTER TABLE users ADD CONSTRAINT ck_users_level CHECK"
    ' (level >= 10); END IF; END $$""")'
)
DO_UPDATE = '    op.execute("DO $$ BEGIN UPDATE users SET level = 5; END $$")'


@pytest.mark.postgres
@pytest.mark.parametrize("written", [False, True])
def test_check_added_in_a_do_block_is_judged_as_the_plain_one(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, written: bool
) -> None:
    """Over the values seeding made up, a CHECK a DO block adds is a note, as the plain
    ALTER's is (it was AG904 at zou's 2b8f88aa610f); over values an UPDATE in a DO block
    wrote, AG904."""
    root = project("data")
    paths = constraint_history(root, *([DO_UPDATE] if written else []), DO_CHECK)
    url = engine_url("postgres", request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    line = at(root, paths[-1], "op.execute(")
    if written:
        assert (found(run), notes(run), run.code) == ([("AG904", paths[-1], line)], [], 1)
        return
    assert (found(run), run.code) == ([], 0)
    said = notes(run)
    assert len(said) == 1 and said[0].startswith(f"{paths[-1]}:{line}: "), said
    assert "its check constraint was not measured on rows" in said[0], said


# orgs and users reference each other (a cycle: seeding empties them with TRUNCATE).
OWNERS = (
    '    op.add_column("orgs", sa.Column("owner_id", sa.Integer))\n'
    '    op.create_foreign_key("fk_orgs_owner", "orgs", "users", ["owner_id"], ["id"])\n'
    '    op.create_foreign_key("fk_users_org", "users", "orgs", ["org_id"], ["id"])'
)


@pytest.mark.postgres
def test_emptying_tables_in_a_cycle_is_not_the_statements_rewrite(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A CHECK refused by made-up values runs again on emptied tables; where they
    reference each other, seeding empties them with one TRUNCATE, which gives them new
    files and takes ACCESS EXCLUSIVE locks. That is seeding's doing, not the CHECK's: no
    AG905 that it rewrote users and orgs (zou's 2b8f88aa610f: 'rewrote comment, entity,
    task, ...' for an ADD CONSTRAINT ... CHECK), nor an ACCESS EXCLUSIVE lock on orgs."""
    root = project("data")
    paths = constraint_history(
        root, OWNERS, '    op.create_check_constraint("ck", "users", "level >= 10")'
    )
    url = engine_url("postgres", request, tmp_path)
    run = check("--database-url", url, "--format", "json")
    line = at(root, paths[-1], "op.create_check_constraint(")
    at_line = {f["code"]: f["message"] for f in run.findings if f["path"] == paths[-1]}
    assert {f["line"] for f in run.findings if f["path"] == paths[-1]} == {line}
    # ADD CONSTRAINT ... CHECK takes ACCESS EXCLUSIVE on users itself; orgs it never locks.
    assert sorted(at_line) == ["AG906", "AG907"], at_line
    assert "users" in at_line["AG907"] and "orgs" not in at_line["AG907"], at_line
    assert "lock on users" in at_line["AG906"] and "lock on orgs" not in at_line["AG906"]
    said = notes(run)
    assert any("its check constraint was not measured on rows" in note for note in said), said


# -- a table holding rows seeding made up and rows a revision wrote -----------------------------

MIXED = f"{VERSIONS}/a1c0de000002_the_first_org_and_its_users.py"
MIXED_ADDED = {
    "foreign key": f"{VERSIONS}/a1c0de000003_users_reference_their_org.py",
    "check": f"{VERSIONS}/a1c0de000004_a_level_of_10_at_least.py",
    "unique": f"{VERSIONS}/a1c0de000005_one_active_user.py",
}
MIXED_ENGINES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


@pytest.mark.parametrize("engine", MIXED_ENGINES)
def test_constraint_refused_only_by_made_up_rows_beside_written_ones_is_a_note(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """users holds the rows seeding made up and two a revision inserted (check_mixed_rows);
    a foreign key, a CHECK and a unique constraint added later fail on the made-up values
    only: measured with them NULL in seeding's rows, the revision's rows as they are, each
    passes, so no AG904 but a note at its op.* line, and the run passes. (On SQLite
    without posts: see the test after this one.)"""
    root = project("mixed_rows")
    if engine == "sqlite":
        without_posts(root)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == []
    said = notes(run)
    assert len(said) == len(MIXED_ADDED), said
    for note, kind in zip(said, MIXED_ADDED, strict=True):
        path = MIXED_ADDED[kind]
        assert note.startswith(f"{path}:{at(root, path, 'batch_op.')}: "), note
        assert f"its {kind} constraint was not measured on rows" in note, note
        assert "values check made up for users" in note, note
        assert "passed with them NULL, on the values the revisions wrote" in note, note
        assert REQUIRED[kind] in note, note
    assert run.code == 0


def test_sqlite_batch_meets_the_rows_referencing_its_table(project: Project, check: Check) -> None:
    """SQLite's batch drops users once it copied it: with foreign keys on, that fails where
    posts' rows reference users' (as under `alembic upgrade` on real rows). The foreign
    key's copy is measured with seeding's org_id NULL, and seeding's rows stay: the DROP
    TABLE meets posts' rows, AG904 at the batch (check_mixed_rows; before, seeding's rows of
    users and posts were deleted to measure the foreign key, and the DROP passed). The
    batch's copy, with seeding's rows and the revision's, takes users' place, and posts
    gets rows again: the batches of the CHECK and the unique constraint after it fail so
    too, as on real rows (before, users was taken for emptied and each of their batches
    met an empty posts)."""
    root = project("mixed_rows")
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [
        ("AG904", path, at(root, path, "batch_op.")) for path in MIXED_ADDED.values()
    ]
    for finding in run.findings:
        assert "FOREIGN KEY constraint failed [SQL: DROP TABLE users]" in finding["message"]
    assert run.code == 1


IDS = (
    '"""ids from 100"""\nfrom alembic import op\n\nrevision = "a1c0de000006"\n'
    'down_revision = "a1c0de000005"\n\n\ndef upgrade():\n'
    '    with op.batch_alter_table("users") as batch_op:\n'
    '        batch_op.create_check_constraint("ck_users_id", "id >= 100")\n\n\n'
    "def downgrade():\n    pass\n"
)


# (MariaDB refuses a CHECK on an AUTO_INCREMENT column whatever the rows)
@pytest.mark.parametrize("engine", MIXED_ENGINES[:2])
def test_constraint_on_made_up_keys_is_measured_without_seedings_rows(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """A CHECK on users' key (id >= 100): NULL cannot take seeding's ids away, so the
    statement runs again without seeding's rows (and, first, seeding's rows of posts,
    which reference them), on the revision's rows 100 and 101: it passes, a note."""
    root = project("mixed_rows")
    if engine == "sqlite":
        without_posts(root)
    path = f"{VERSIONS}/a1c0de000006_ids_from_100.py"
    (root / path).write_text(IDS, encoding="utf-8")
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == []
    note = [note for note in notes(run) if note.startswith(path)]
    assert len(note) == 1, notes(run)
    assert "rows check made up for users" in note[0], note
    assert "passed without them, on the rows the revisions wrote" in note[0], note
    assert run.code == 0


def without_posts(root: Path) -> None:
    """check_mixed_rows without posts: SQLite's batch drops users, which fails where posts'
    rows reference it (foreign keys on), whatever users holds."""
    first = root / VERSIONS / "a1c0de000001_create_orgs_and_users.py"
    created = first.read_text(encoding="utf-8")
    posts = created[created.index("    # Its rows reference") : created.index("def downgrade")]
    first.write_text(
        created.replace(posts, "\n\n").replace('    op.drop_table("posts")\n', ""),
        encoding="utf-8",
    )


UNIQUE_CODES = (
    '"""unique codes"""\nfrom alembic import op\n\nrevision = "a1c0de000006"\n'
    'down_revision = "a1c0de000005"\n\n\ndef upgrade():\n'
    '    with op.batch_alter_table("users") as batch_op:\n'
    '        batch_op.create_unique_constraint("uq_users_code", ["code"])\n\n\n'
    "def downgrade():\n    pass\n"
)


@pytest.mark.parametrize("engine", MIXED_ENGINES)
def test_constraint_refused_by_written_rows_beside_made_up_ones_is_ag904(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """A unique constraint over users.code, which the revision's two rows both hold as
    'a': it fails on them without the made-up rows too, so it stays AG904."""
    root = project("mixed_rows")
    if engine == "sqlite":
        without_posts(root)
    path = f"{VERSIONS}/a1c0de000006_unique_codes.py"
    (root / path).write_text(UNIQUE_CODES, encoding="utf-8")
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", path, at(root, path, "batch_op."))]
    said = "held rows: users (3 rows made up by check, beside rows revisions inserted)"
    assert said in run.findings[0]["message"]
    assert not any(note.startswith(path) for note in notes(run))
    assert run.code == 1


# -- a seeded table whose columns a revision updated -------------------------------------------

INSERTS = (
    '    op.execute("INSERT INTO orgs (id) VALUES (100)")\n'
    "    op.execute(\n"
    '        "INSERT INTO users (id, org_id, level, active, code) "\n'
    "        \"VALUES (100, 100, 20, false, 'a'), (101, 100, 30, true, 'a')\"\n"
    "    )\n"
)


def updated_first(root: Path, update: str, inserts: bool = False) -> None:
    """check_mixed_rows with revision 2's upgrade an UPDATE of users (after its INSERTs,
    `inserts`) instead of the INSERTs alone, and no posts."""
    without_posts(root)
    path = root / MIXED
    text = path.read_text(encoding="utf-8")
    body = (INSERTS if inserts else "") + f'    op.execute("{update}")\n'
    path.write_text(text.replace(INSERTS, body), encoding="utf-8")
    assert update in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("inserts", [False, True], ids=["update", "inserts-update"])
@pytest.mark.parametrize("engine", MIXED_ENGINES)
def test_constraint_over_made_up_values_beside_updated_ones_is_a_note(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    inserts: bool,
) -> None:
    """Revision 2 sets every user's level to 20 (a column the CHECK added later is on):
    users' other columns still hold seeding's values, so the foreign key over its made-up
    org_id and the unique constraint over its made-up active are measured again with those
    values NULL, the revision's levels kept: each passes, so a note and no AG904; the
    CHECK passes on the levels the revision wrote."""
    root = project("mixed_rows")
    updated_first(root, "UPDATE users SET level = 20", inserts)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [], run.out
    # (users' rows are seeding's first ones, as create_table declared it: booleans on
    # MariaDB too)
    said = notes(run)
    assert len(said) == 2, said
    for note, kind in zip(said, ("foreign key", "unique"), strict=True):
        path = MIXED_ADDED[kind]
        assert note.startswith(f"{path}:{at(root, path, 'batch_op.')}: "), note
        assert f"its {kind} constraint was not measured on rows" in note, note
        assert "values check made up for users" in note, note
        assert "passed with them NULL, on the values the revisions wrote" in note, note
        assert REQUIRED[kind] in note, note
    assert run.code == 0


@pytest.mark.parametrize(
    ("update", "failing"),
    [("UPDATE users SET level = 5", "check"), ("UPDATE users SET code = 'b'", "codes")],
)
@pytest.mark.parametrize("engine", MIXED_ENGINES)
def test_constraint_refused_by_values_a_revision_updated_is_ag904(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    update: str,
    failing: str,
) -> None:
    """The revision's UPDATE itself writes what the constraint refuses (a level of 5 in
    every row; one code in every row, then unique codes): without seeding's other values
    it fails still, so AG904 at that constraint's line, and no note there."""
    root = project("mixed_rows")
    updated_first(root, update)
    if failing == "codes":
        (root / VERSIONS / "a1c0de000006_unique_codes.py").write_text(UNIQUE_CODES, "utf-8")
    path = MIXED_ADDED.get(failing, f"{VERSIONS}/a1c0de000006_unique_codes.py")
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", path, at(root, path, "batch_op."))], run.out
    assert "held rows: users (3 rows made up by check" in run.findings[0]["message"]
    assert not any(note.startswith(path) for note in notes(run))
    assert run.code == 1


# The UPDATE `SET level = 5` as a revision may write it: after a comment, as the main
# statement after a WITH clause (SQLite and PostgreSQL; MariaDB has no WITH before UPDATE).
HIDDEN_UPDATES = [
    pytest.param(engine, update, id=f"{engine}-{name}", marks=marks)
    for engine, marks in (
        ("sqlite", ()),
        ("postgres", pytest.mark.postgres),
        ("mariadb", pytest.mark.mariadb),
    )
    for name, update in (
        ("line-comment", "-- backfill\\nUPDATE users SET level = 5"),
        ("block-comment", "/* backfill */ UPDATE users SET level = 5"),
        ("cte", "WITH five AS (SELECT 5 AS n) UPDATE users SET level = (SELECT n FROM five)"),
    )
    if not (engine == "mariadb" and name == "cte")
]


@pytest.mark.parametrize(("engine", "update"), HIDDEN_UPDATES)
def test_update_after_a_comment_or_a_with_clause_is_the_revisions(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    update: str,
) -> None:
    """The UPDATE that writes level 5 into every row, after a comment or a WITH clause,
    is read as a write of users.level: the CHECK (level >= 10) it breaks is AG904, not a
    note blaming seeding's values (before: no UPDATE was seen, the note, exit 0)."""
    root = project("mixed_rows")
    updated_first(root, update)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    path = MIXED_ADDED["check"]
    assert found(run) == [("AG904", path, at(root, path, "batch_op."))], run.out
    assert "level set by revisions" in run.findings[0]["message"]
    assert run.code == 1


@pytest.mark.mariadb
@pytest.mark.parametrize(
    "update",
    [
        "UPDATE users LEFT JOIN orgs ON orgs.id = users.org_id SET users.level = 20",
        "UPDATE users AS u LEFT JOIN orgs o ON o.id = u.org_id SET u.level = 20",
        "UPDATE users, orgs SET users.level = 20",
    ],
)
def test_mariadb_multi_table_update_sets_the_columns_it_names(
    project: Project, check: Check, mariadb_url: str, update: str
) -> None:
    """Revision 2 sets every user's level in a multi-table UPDATE (MySQL's, joining orgs):
    its SET is read as for a single-table one, so the foreign key and the unique
    constraint over seeding's org_id and active are notes, and the run passes (before:
    every table it named was written, and the foreign key was AG904, exit 1)."""
    root = project("mixed_rows")
    updated_first(root, update)
    args = ("--ignore", "AG902,AG905,AG906,AG907")
    run = check("--database-url", mariadb_url, "--format", "json", *args)
    assert found(run) == [], run.out
    said = notes(run)
    assert [note.split(": ")[0] for note in said] == [
        f"{MIXED_ADDED[kind]}:{at(root, MIXED_ADDED[kind], 'batch_op.')}"
        for kind in ("foreign key", "unique")
    ], said
    assert all("passed with them NULL" in note for note in said), said
    assert run.code == 0


# -- a seeded table a revision renames ------------------------------------------------------

LEVEL_REQUIRED = {
    "batch": (
        '    with op.batch_alter_table("people") as batch_op:\n'
        '        batch_op.alter_column("level", existing_type=sa.Integer, nullable=False)'
    ),
    "plain": '    op.alter_column("people", "level", existing_type=sa.Integer, nullable=False)',
}


@pytest.mark.parametrize(("engine", "form"), CONSTRAINT_ENGINES)
def test_renamed_table_keeps_seedings_rows_and_what_they_hold(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
) -> None:
    """users renamed to members in a revision of its own, then to people in the revision
    that makes its level NOT NULL: the foreign key added over members' made-up org_id is
    a note naming members (before: AG904, members' rows counted as a revision's), and the
    NOT NULL that seeding's NULL level breaks is AG904 naming people's rows as made up by
    check (before: people was not known as seeded, its statement's retry emptied other
    tables, and the error stood: AG901)."""
    root = project("data")
    to_members = '    op.rename_table("users", "members")'
    foreign_key = added(form, MADE_UP["foreign key"]).replace('"users"', '"members"')
    to_people = '    op.rename_table("members", "people")\n' + LEVEL_REQUIRED[form]
    paths = constraint_history(root, to_members, foreign_key, to_people)
    url = engine_url(engine, request, tmp_path)
    run = check(
        "--database-url", url, "--format", "json", "--ignore", "AG104,AG902,AG905,AG906,AG907"
    )
    assert found(run) == [("AG904", paths[3], at(root, paths[3], "alter_column("))], run.out
    assert "held rows: people (3 rows made up by check)" in run.findings[0]["message"]
    said = notes(run)
    assert len(said) == 1, said
    assert said[0].startswith(f"{paths[2]}:{at(root, paths[2], 'create_foreign_key')}: ")
    assert "values check made up for members" in said[0], said
    assert "every members.org_id that is not NULL matches a value of orgs.id" in said[0]
    assert run.code == 1


# -- SQLite's batch copy of a seeded table ---------------------------------------------------


def test_sqlite_batch_copy_keeps_what_seeding_knows_of_its_table(
    project: Project, check: Check
) -> None:
    """check_mixed_rows on SQLite, revision 3's batch then unique codes (revisions 4 and 5
    left out): the batch's DROP TABLE users fails on posts' rows (AG904) once users'
    rows were copied into _alembic_tmp_users, and the retry empties users and posts; the
    copy, renamed users, holds seeding's rows and the revision's two: seeding still knows
    them apart, and adds no rows beside them. So the unique constraint that the
    revision's two rows (both code 'a') break is AG904 beside rows revisions inserted
    (before: users was taken for emptied and filled again beside the copy, every row of
    it counted as made up, and the constraint was a note: a silent pass)."""
    root = project("mixed_rows")
    for kind in ("check", "unique"):
        (root / MIXED_ADDED[kind]).unlink()
    path = f"{VERSIONS}/a1c0de000006_unique_codes.py"
    codes = UNIQUE_CODES.replace('down_revision = "a1c0de000005"', 'down_revision = "a1c0de000003"')
    (root / path).write_text(codes, encoding="utf-8")
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    fk = MIXED_ADDED["foreign key"]
    assert [f[:2] for f in found(run)] == [("AG904", fk), ("AG904", path)], run.out
    assert "UNIQUE constraint failed" in run.findings[1]["message"]
    said = "users (3 rows made up by check, beside rows revisions inserted)"
    assert said in run.findings[1]["message"]
    assert not any(note.startswith(path) for note in notes(run))
    assert run.code == 1


# -- a revision that goes on after a statement failed on rows -------------------------------

NICK_AGE = (
    '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("nick", sa.String(20)), sa.Column("age", sa.Integer))'
)
TIGHTEN_BOTH = {
    "batch": (
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.alter_column("nick", existing_type=sa.String(20), nullable=False)\n'
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.alter_column("age", existing_type=sa.Integer, nullable=False)'
    ),
    # Both in one batch, which PostgreSQL and MariaDB run one ALTER per call (FitTrackee's
    # 070bd31919c3): the first ALTER's retry empties users before the second runs.
    "one batch": (
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.alter_column("nick", existing_type=sa.String(20), nullable=False)\n'
        '        batch_op.alter_column("age", existing_type=sa.Integer, nullable=False)'
    ),
    "plain": (
        '    op.alter_column("users", "nick", existing_type=sa.String(20), nullable=False)\n'
        '    op.alter_column("users", "age", existing_type=sa.Integer, nullable=False)'
    ),
}


@pytest.mark.parametrize(
    ("engine", "form"),
    [
        ("sqlite", "batch"),
        pytest.param("postgres", "plain", marks=pytest.mark.postgres),
        pytest.param("postgres", "batch", marks=pytest.mark.postgres),
        pytest.param("postgres", "one batch", marks=pytest.mark.postgres),
        pytest.param("mariadb", "plain", marks=pytest.mark.mariadb),
        pytest.param("mariadb", "one batch", marks=pytest.mark.mariadb),
    ],
)
def test_op_after_one_that_failed_on_rows_meets_rows_again(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
) -> None:
    """One revision makes nick, then age NOT NULL (seeding leaves each NULL in one row):
    the first fails on rows (AG904) and its retry empties users; users gets seeding's
    rows again before the second op.* call, which fails on them too: AG904 at both lines
    (before: the second ran on the empty table and passed: nothing there)."""
    root = project("data")
    paths = history(root, NICK_AGE, TIGHTEN_BOTH[form])
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    lines = [at(root, paths[1], f'"{name}", existing_type') for name in ("nick", "age")]
    assert found(run) == [("AG904", paths[1], line) for line in lines], run.out
    assert all("3 rows made up by check" in f["message"] for f in run.findings), run.out
    assert run.code == 1


@pytest.mark.parametrize(
    "engine",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def test_table_a_revision_emptied_has_rows_for_the_revisions_after_it(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """Revision 2 deletes every user; revision 3 adds a NOT NULL column without a default.
    Revision 3 is measured on rows (production's table holds rows again by the time it
    is deployed): AG904 there (before: it ran on the table revision 2 emptied, passed,
    and lint's AG102 was dropped as if measured on rows: exit 0). Within revision 2 the
    table stays as its DELETE left it."""
    root = project("data")
    paths = history(root, CREATE_USERS, '    op.execute("DELETE FROM users")', USERS_AGE)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", paths[2], at(root, paths[2], "op.add_column("))], run.out
    assert "users (3 rows made up by check)" in run.findings[0]["message"]
    assert run.code == 1


# Revision 1 creates codes and fills it two ways: bulk_insert (seen by seeding) or the
# DBAPI cursor (not seen); ids apart from seeding's, so its rows can sit beside them.
CODES = (
    '    codes = op.create_table("codes", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("code", sa.String(10)))\n'
)
CODES_ROWS = {
    "bulk_insert": (
        '    op.bulk_insert(codes, [{"id": 100, "code": "a"}, {"id": 101, "code": "a"}])'
    ),
    "cursor": (
        "    op.get_bind().connection.cursor().execute(\n"
        "        \"INSERT INTO codes (id, code) VALUES (100, 'a'), (101, 'a')\")"
    ),
}
CODES_UNIQUE = {
    "batch": (
        '    with op.batch_alter_table("codes") as batch_op:\n'
        '        batch_op.create_unique_constraint("uq_codes_code", ["code"])'
    ),
    "plain": '    op.create_unique_constraint("uq_codes_code", "codes", ["code"])',
}


@pytest.mark.parametrize("how", list(CODES_ROWS))
@pytest.mark.parametrize(("engine", "form"), CONSTRAINT_ENGINES)
def test_rows_a_revision_put_into_a_table_it_created_are_the_revisions(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    form: str,
    how: str,
) -> None:
    """Revision 1 creates codes and puts two rows with the same code into it; the unique
    constraint revision 2 adds fails on them: AG904 there. Through the DBAPI cursor
    (which seeding does not see) seeding found the rows only when it filled the new
    table, added its own beside them and took the table for one holding only its rows:
    the failure was a note blaming the made-up values, exit 0 (before). bulk_insert is
    seen: seeding leaves that table as the revision filled it."""
    root = project("data")
    paths = history(root, CODES + CODES_ROWS[how], CODES_UNIQUE[form])
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    line = at(root, paths[1], "create_unique_constraint(" if form == "plain" else "batch_op.")
    assert (found(run), notes(run)) == ([("AG904", paths[1], line)], []), run.out
    held = "3 rows made up by check, beside rows revisions inserted"
    if how == "bulk_insert":
        held = "rows earlier revisions inserted"
    assert f"held rows: codes ({held})" in run.findings[0]["message"], run.out
    assert run.code == 1


# Revision 1 creates kinds and puts a row of its own into it, seen by seeding
# (bulk_insert: seeding leaves the table as the revision filled it) or not (the DBAPI
# cursor: seeding adds its rows beside it, keys 101-103).
KINDS = (
    '    kinds = op.create_table("kinds", sa.Column("id", sa.Integer, primary_key=True),\n'
    '        sa.Column("name", sa.String(20)))\n'
)
KINDS_ROW = {
    "bulk_insert": '    op.bulk_insert(kinds, [{"id": 100, "name": "a"}])',
    "cursor": (
        "    op.get_bind().connection.cursor().execute(\n"
        "        \"INSERT INTO kinds (id, name) VALUES (100, 'a')\")"
    ),
}
KINDS_ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def kinds_rows(url: str) -> list[tuple[int, str]]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT id, name FROM kinds ORDER BY id").all()
            return [(int(row[0]), str(row[1])) for row in found]
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", list(KINDS_ROW))
@pytest.mark.parametrize("engine", KINDS_ENGINES)
def test_an_insert_that_meets_a_revisions_row_is_no_pass(
    project: Project,
    check: Check,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    how: str,
) -> None:
    """Revision 2 inserts a row whose key revision 1's row holds: it fails under
    `alembic upgrade` too. The retry emptied kinds, the INSERT passed, and an INSERT of
    constant rows passing on emptied tables was taken for one that met seeding's rows:
    no finding, exit 0, and revision 1's row gone (before). Seeding's rows alone are
    deleted first; it fails on the revision's row: AG904."""
    root = project("data")
    paths = history(
        root, KINDS + KINDS_ROW[how], "    op.execute(\"INSERT INTO kinds VALUES (100, 'b')\")"
    )
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", paths[1], at(root, paths[1], "op.execute("))], run.out
    assert run.code == 1


# The key of one of seeding's rows beside revision 1's: SQLite numbers them after the
# largest key there (101-103), PostgreSQL's sequence from 1.
SEEDINGS_KEY = {"sqlite": 101, "postgres": 1}


@pytest.mark.parametrize("engine", KINDS_ENGINES)
def test_an_insert_that_meets_seedings_row_keeps_the_revisions_rows(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """Revision 2 inserts a row whose key one of seeding's rows holds, beside revision
    1's row: no finding, as before, and revision 1's row stays (before, the retry emptied
    kinds and took it with seeding's)."""
    root = project("data")
    key = SEEDINGS_KEY[engine]
    insert = f"    op.execute(\"INSERT INTO kinds VALUES ({key}, 'b')\")"
    history(root, KINDS + KINDS_ROW["cursor"], insert)
    url = engine_url(engine, request, tmp_path)
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    assert (run.code, run.findings, notes(run)) == (0, [], []), run.out
    assert {(key, "b"), (100, "a")} <= set(kinds_rows(url))


def test_an_insert_on_rows_seeding_cannot_tell_apart_is_a_note(
    project: Project, check: Check, tmp_path: Path
) -> None:
    """tags has no primary key: seeding's rows beside revision 1's cannot be told apart.
    Revision 2's INSERT meets revision 1's row (it fails under `alembic upgrade` too) and
    passes on the emptied table: which rows it met is not known, a note says so (before:
    nothing, exit 0)."""
    root = project("data")
    tags = (
        '    op.create_table("tags", sa.Column("name", sa.String(20), unique=True))\n'
        "    op.get_bind().connection.cursor().execute(\"INSERT INTO tags VALUES ('a')\")"
    )
    paths = history(root, tags, "    op.execute(\"INSERT INTO tags VALUES ('a')\")")
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    run = check("--database-url", url, "--format", "json", "--ignore", "AG902,AG905,AG906,AG907")
    [note] = notes(run)
    assert note.startswith(
        f"{paths[1]}:{at(root, paths[1], 'op.execute(')}: upgrade of r2 (step 2): its INSERT "
        "was not measured on rows: it failed (IntegrityError: UNIQUE constraint failed: "
    ), note
    assert "which check cannot tell apart, and passed on emptied ones" in note
    assert (run.code, run.findings) == (0, [])


# Revision 1: a (x NOT NULL), b (y nullable) and a view over b; revision 2 inserts into a
# from the view, which fails on seeding's NULL y, on a emptied too, and passes on b emptied.
# Its downgrade adds a NOT NULL column to a: it fails on any row left there.
VIEWED = (
    (
        '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                    sa.Column("x", sa.Integer, nullable=False))\n'
        '    op.create_table("b", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                    sa.Column("y", sa.Integer))\n'
        '    op.execute("CREATE VIEW v AS SELECT y FROM b")',
        '    op.execute("DROP VIEW v")\n    op.drop_table("b")\n    op.drop_table("a")',
    ),
    (
        '    op.execute("INSERT INTO a (id, x) SELECT 1000 + coalesce(y, 0), y FROM v")',
        '    op.add_column("a", sa.Column("z", sa.Integer, nullable=False))\n'
        '    op.drop_column("a", "z")',
    ),
)


@pytest.mark.postgres
def test_postgres_rows_a_retry_brought_back_are_still_seedings(
    project: Project, check: Check, postgres_url: str
) -> None:
    """The retry empties a (the statement still fails), goes back to the savepoint, which
    brings a's rows back, and empties b: it passes, AG904. Seeding had already let go of
    a's rows when it emptied it: it added rows again beside them, took its first ones for
    a revision's, and --roundtrip's clearing left them: revision 2's downgrade failed on
    them, a false AG903 (before). They are seeding's still, and cleared."""
    root = project("data")
    for old in (root / VERSIONS).glob("*.py"):
        old.unlink()
    for number, (up, down) in enumerate(VIEWED, 1):
        before = f'"r{number - 1}"' if number > 1 else "None"
        (root / VERSIONS / f"r{number}.py").write_text(
            f'"""step {number}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f'revision = "r{number}"\ndown_revision = {before}\n\n\n'
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{down}\n",
            encoding="utf-8",
        )
    second = f"{VERSIONS}/r2.py"
    args = ("--database-url", postgres_url, "--roundtrip", "--format", "json")
    run = check(*args, "--ignore", "AG902,AG905,AG906,AG907")
    assert found(run) == [("AG904", second, at(root, second, "op.execute("))], run.out
    assert notes(run) == []
