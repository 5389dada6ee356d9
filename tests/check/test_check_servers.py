"""`alembic-gate check --database-url` against the local PostgreSQL and MariaDB servers."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import installed
import pytest
import sqlalchemy as sa

from alembic_gate.check import roundtrip

from .conftest import (
    PASSWORD,
    MysqldbScratch,
    Run,
    add_fix_revision,
    edit,
    limit_once,
    line_of,
    partial_descending_index,
    psycopg2_project,
    tables,
)

Project = Callable[[str], Path]
Check = Callable[..., Run]

FAILING = "migrations/versions/c9e2b7d41a05_add_user_email.py"


@pytest.mark.postgres
def test_postgres_clean_round_trip(project: Project, check: Check, postgres_url: str) -> None:
    project("generic")
    run = check("--database-url", postgres_url, "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert tables(postgres_url) == ["alembic_version", "posts", "users"]


@pytest.mark.postgres
def test_postgres_failure_says_the_transaction_rolled_back(
    project: Project, check: Check, postgres_url: str
) -> None:
    root = project("failing")
    # Without lock tracing, which commits before each revision it traces.
    run = check("--database-url", postgres_url, "--format", "json", "--ignore", "AG905,AG906,AG907")
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", FAILING)
    assert finding["line"] == line_of(root / FAILING, "op.execute(")
    assert 'column "username" does not exist' in finding["message"]
    assert "no revision is applied (postgresql rolled the whole upgrade back" in finding["message"]
    assert tables(postgres_url) == []


@pytest.mark.postgres
def test_postgres_failure_after_lock_tracing_committed(
    project: Project, check: Check, postgres_url: str
) -> None:
    root = project("failing")
    run = check("--database-url", postgres_url, "--format", "json")
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", FAILING)
    assert finding["line"] == line_of(root / FAILING, "op.execute(")
    assert (
        "2 revision(s) applied, the database is at 7a3d5e8c2f40 (check committed"
        in (finding["message"])
    )
    assert (
        "as env.py runs it, postgresql would have rolled the whole upgrade back"
        in (finding["message"])
    )
    assert tables(postgres_url) == ["alembic_version", "posts", "users"]


@pytest.mark.postgres
def test_postgres_async_template(project: Project, check: Check, postgres_url: str) -> None:
    project("async")
    run = check("--database-url", postgres_url, "--roundtrip")
    assert run.code == 0, run.out + run.err


@pytest.mark.postgres
def test_postgres_enum_left_by_a_downgrade(
    project: Project, check: Check, postgres_url: str
) -> None:
    root = project("roundtrip")
    run = check("--database-url", postgres_url, "--roundtrip", "--format", "json")
    posts = "migrations/versions/7a3d5e8c2f40_create_posts.py"
    enum = next(f for f in run.findings if "enum" in f["message"])
    assert enum["message"] == "the downgrade to base left enum type post_status behind"
    assert (enum["path"], enum["line"]) == (posts, line_of(root / posts, "def downgrade"))
    assert enum["fix"] == "sa.Enum(name='post_status').drop(op.get_bind(), checkfirst=True)"
    assert sorted(run.codes()) == ["AG903", "AG903"]


@pytest.mark.postgres
def test_postgres_enum_left_in_another_schema(
    project: Project, check: Check, postgres_url: str
) -> None:
    # The leftover check looked for enum types in the default schema only: one left in
    # another was found when the upgrade after the downgrade failed to create it again,
    # with no fix.
    root = project("roundtrip")
    posts = "migrations/versions/7a3d5e8c2f40_create_posts.py"
    edit(
        root / posts,
        "    op.create_table(",
        '    op.execute("CREATE SCHEMA IF NOT EXISTS extra")\n    op.create_table(',
    )
    edit(root / posts, 'name="post_status")', 'name="post_status", schema="extra")')
    run = check(
        "--database-url", postgres_url, "--roundtrip", "--format", "json", "--ignore", "AG902"
    )
    enum = next(f for f in run.findings if "enum" in f["message"])
    assert enum["message"] == "the downgrade to base left enum type extra.post_status behind"
    assert (enum["path"], enum["line"]) == (posts, line_of(root / posts, "def downgrade"))
    assert enum["fix"] == (
        "sa.Enum(name='post_status', schema='extra').drop(op.get_bind(), checkfirst=True)"
    )
    assert sorted(run.codes()) == ["AG903", "AG903"]


MEH = "migrations/versions/e1a0b2c3d402_add_mood_meh.py"


@pytest.mark.postgres
@pytest.mark.parametrize("schema", ["other", "public"])
def test_postgres_enum_values_a_downgrade_did_not_restore(
    project: Project, check: Check, postgres_url: str, schema: str
) -> None:
    """--allow-nonempty --roundtrip (check_enum_values): the database holds the enum type
    mood ('happy', 'sad'); a revision adds 'meh' (IF NOT EXISTS) and its downgrade does
    not take it out. The round trip named a type the database held before by its name
    only, and the comparison read enum values in the default schema only, so this passed
    in silence; the downgrade to base is now compared with what the database held."""
    root = project("enum_values")
    name = f"{schema}.mood"
    if schema == "public":  # the same history in the default schema
        name = "mood"
        for path in [*root.glob("migrations/versions/*.py"), root / "models.py"]:
            text = path.read_text(encoding="utf-8")
            text = text.replace('schema="other", ', "").replace("other.mood", "mood")
            path.write_text(text, encoding="utf-8")
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.exec_driver_sql(f"CREATE TYPE {name} AS ENUM ('happy', 'sad')")
    engine.dispose()
    flags = ("--allow-nonempty", "--roundtrip", "--format", "json")
    run = check("--database-url", postgres_url, *flags)
    [finding] = run.findings
    assert finding["code"] == "AG903"
    assert finding["message"] == (
        f"the downgrade to base left enum type {name} as happy, sad, meh; the database "
        "held it as happy, sad before check ran"
    )
    assert (finding["path"], finding["line"]) == (MEH, line_of(root / MEH, "def downgrade"))
    assert run.code == 1


@pytest.mark.postgres
def test_postgres_snapshot_reads_enum_values_in_their_own_schema(postgres_url: str) -> None:
    """The round trip's picture of the schema holds each enum type's values, read in its
    own schema: mood in public and other.mood are two types with their own values."""
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA other")
            conn.exec_driver_sql("CREATE TYPE mood AS ENUM ('a')")
            conn.exec_driver_sql("CREATE TYPE other.mood AS ENUM ('x', 'y')")
            conn.exec_driver_sql("CREATE TYPE other.level AS ENUM ('low')")
        with engine.connect() as conn:
            shot = roundtrip.snapshot(conn, (), [None])
    finally:
        engine.dispose()
    enums = {key: value for key, value in shot.items() if key.startswith("enum type")}
    assert enums == {
        "enum type mood": "a",
        "enum type other.level": "low",
        "enum type other.mood": "x, y",
    }


@pytest.mark.postgres
def test_postgres_nothing_committed_is_ag801(
    project: Project, check: Check, postgres_url: str
) -> None:
    project("behind")
    run = check("--database-url", postgres_url, "--format", "json")
    [finding] = run.findings
    assert finding["code"] == "AG801"
    assert "it has no alembic_version table" in finding["message"]


@pytest.mark.postgres
def test_postgres_flask_app(project: Project, check: Check, postgres_url: str) -> None:
    project("flask")
    run = check("--database-url", postgres_url, "--flask-app", "app:create_app", "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert tables(postgres_url) == ["alembic_version", "note", "user"]


@pytest.mark.postgres
def test_postgres_non_empty_refused_without_showing_the_password(
    project: Project, check: Check, postgres_url: str
) -> None:
    project("generic")
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE invoices (id integer primary key)")
    engine.dispose()
    # The local server trusts loopback logins, so any password connects.
    with_password = sa.make_url(postgres_url).set(password=PASSWORD)
    run = check("--database-url", with_password.render_as_string(hide_password=False))
    assert run.code == 2
    assert "is not empty: it holds 1 object(s) (table invoices)" in run.err
    assert PASSWORD not in run.out + run.err
    assert ":***@" in run.err
    assert tables(postgres_url) == ["invoices"]


@pytest.mark.mariadb
def test_mariadb_clean_round_trip(project: Project, check: Check, mariadb_url: str) -> None:
    project("generic")
    run = check("--database-url", mariadb_url, "--roundtrip")
    assert run.code == 0, run.out + run.err


@pytest.mark.mariadb
def test_mariadb_drift(project: Project, check: Check, mariadb_url: str) -> None:
    root = project("drift")
    run = check("--database-url", mariadb_url, "--format", "json")
    nickname = next(f for f in run.findings if "nickname" in f["message"])
    assert nickname["message"] == (
        "column users.nickname is in the models but not in the migrated database"
    )
    assert nickname["line"] == line_of(root / "models.py", "nickname")
    assert len(run.findings) == 2


@pytest.mark.mariadb
def test_mariadb_a_type_it_stores_as_another_is_no_drift(
    project: Project, check: Check, mariadb_url: str
) -> None:
    """MariaDB and MySQL store FLOAT(53) as DOUBLE, so alembic's comparison finds DOUBLE in
    the database and FLOAT(53) in the models on every run, and its fix changes nothing
    (MLflow's 26 float columns). check creates the models' type in a temporary table and
    reads it back: a difference the database cannot hold is none. A real one stays."""
    root = project("drift")
    posts = root / "migrations/versions/7a3d5e8c2f40_create_posts.py"
    score = '        sa.Column("score", sa.Float(precision=53), nullable=True),\n'
    edit(
        posts,
        '        sa.ForeignKeyConstraint(["user_id"]',
        score + '        sa.ForeignKeyConstraint(["user_id"]',
    )
    models = root / "models.py"
    edit(models, "import ForeignKey, String", "import Float, ForeignKey, String")
    edit(
        models,
        "    title: Mapped[str] = mapped_column(String(300))\n",
        "    title: Mapped[str] = mapped_column(String(300))\n"
        "    score: Mapped[float | None] = mapped_column(Float(precision=53))\n",
    )
    run = check("--database-url", mariadb_url, "--format", "json")
    assert sorted(f["message"] for f in run.findings) == [
        "column posts.title is VARCHAR(200) in the migrated database but VARCHAR(300) in the "
        "models",
        "column users.nickname is in the models but not in the migrated database",
    ]
    assert tables(mariadb_url) == ["alembic_version", "posts", "users"]


@pytest.mark.postgres
def test_postgres_a_partial_index_differing_only_in_desc_shows_it(
    project: Project, check: Check, postgres_url: str, second_postgres_url: str
) -> None:
    """PostgreSQL reads DESC and WHERE back: the history's `(user_id, title DESC) WHERE
    user_id > 0`, made as the models say (Arize Phoenix), is no difference, and one the
    models make without DESC is one whose message shows the DESC (both sides read
    `(user_id, title)` before, which named no difference at all) and whose fix runs."""
    root = project("generic")
    models = partial_descending_index(root, "user_id > 0")
    run = check("--database-url", postgres_url, "--format", "json", "--select", "AG902")
    assert (run.code, run.findings) == (0, [])
    edit(models, '"user_id", desc("title")', '"user_id", "title"')
    drift = ("--database-url", second_postgres_url, "--format", "json", "--select", "AG901,AG902")
    [finding] = check(*drift).findings
    assert finding["message"] == (
        "index ix_posts_recent on posts is (user_id, title DESC) WHERE (user_id > 0) in the "
        "migrated database but (user_id, title) WHERE user_id > 0 in the models"
    )
    add_fix_revision(root, finding["fix"])
    # On the migrated database: the fix revision's upgrade runs, and nothing is left.
    assert check(*drift, "--allow-nonempty").findings == []


POSTS_REVISION = "migrations/versions/7a3d5e8c2f40_create_posts.py"


def _on_delete_in_the_history_only(check: Check, root: Path, url: str, name: str) -> None:
    """The history made posts' key ON DELETE CASCADE, the models' unnamed ForeignKey has
    none (pgAdmin 4's roles_users): one finding under the database's name `name`, at the
    ForeignKey, whose fix runs."""
    edit(root / POSTS_REVISION, '["users.id"]),', '["users.id"], ondelete="CASCADE"),')
    report = ("--database-url", url, "--format", "json")
    [finding] = check(*report, "--select", "AG902").findings
    assert finding["message"] == (
        f"foreign key {name} on posts(user_id) referring to users(id) has ON DELETE CASCADE "
        "in the migrated database but no ON DELETE in the models"
    )
    models = root / "models.py"
    assert (finding["path"], finding["line"]) == ("models.py", line_of(models, "ForeignKey("))
    assert finding["fix"] == (
        f"op.drop_constraint(op.f('{name}'), 'posts', type_='foreignkey')\n"
        "op.create_foreign_key(None, 'posts', 'users', ['user_id'], ['id'])"
    )
    add_fix_revision(root, finding["fix"])
    # On the migrated database: the fix revision's upgrade runs, and nothing is left.
    assert check(*report, "--allow-nonempty", "--select", "AG901,AG902").findings == []


@pytest.mark.postgres
def test_postgres_a_foreign_key_changed_only_in_on_delete_is_one_finding(
    project: Project, check: Check, postgres_url: str
) -> None:
    _on_delete_in_the_history_only(check, project("generic"), postgres_url, "posts_user_id_fkey")


@pytest.mark.mariadb
def test_mariadb_a_foreign_key_changed_only_in_on_delete_is_one_finding(
    project: Project, check: Check, mariadb_url: str
) -> None:
    _on_delete_in_the_history_only(check, project("generic"), mariadb_url, "posts_ibfk_1")


@pytest.mark.mariadb
def test_mariadb_failure_keeps_what_applied(
    project: Project, check: Check, mariadb_url: str
) -> None:
    project("failing")
    run = check("--database-url", mariadb_url, "--format", "json")
    [finding] = run.findings
    assert (finding["code"], finding["path"], finding["line"]) == ("AG901", FAILING, 25)
    assert "Unknown column 'username'" in finding["message"]
    assert "2 revision(s) applied, the database is at 7a3d5e8c2f40" in finding["message"]
    assert "DDL is not transactional" in finding["message"]


@pytest.mark.postgres
@pytest.mark.parametrize("driver", ["postgresql", "postgresql+psycopg"])
def test_postgres_older_async_template(
    project: Project, check: Check, postgres_url: str, driver: str
) -> None:
    # AsyncEngine(engine_from_config(...)) takes no sync driver: psycopg becomes psycopg_async.
    project("sa14_async")
    url = sa.make_url(postgres_url).set(drivername=driver).render_as_string(hide_password=False)
    run = check("--database-url", url)
    assert run.code == 0, run.out + run.err


@pytest.mark.postgres
@pytest.mark.parametrize("configured", ["postgresql+psycopg2", "postgresql"])
def test_a_url_naming_no_driver_gets_the_one_alembic_would_use(
    project: Project, check: Check, postgres_url: str, second_postgres_url: str, configured: str
) -> None:
    # The project's alembic.ini names psycopg2 (or no driver: SQLAlchemy's default, psycopg2
    # before 2.1, psycopg since); --database-url names none. check runs the migration with
    # the driver `alembic upgrade` uses, so both pass or both fail.
    pytest.importorskip("psycopg2")
    own = sa.make_url(second_postgres_url).set(drivername=configured)
    root = psycopg2_project(project("generic"), own.render_as_string(hide_password=False))
    alembic = [sys.executable, "-m", "alembic", "upgrade", "heads"]
    upgraded = subprocess.run(alembic, cwd=root, capture_output=True, text=True, timeout=120)
    plain = sa.make_url(postgres_url).set(drivername="postgresql")
    run = check("--database-url", plain.render_as_string(hide_password=False), "--format", "json")
    failed = [f["message"] for f in run.findings if f["code"] == "AG901"]
    assert bool(failed) == (upgraded.returncode != 0), (upgraded.stderr, failed)
    if configured == "postgresql+psycopg2":
        assert upgraded.returncode == 0, upgraded.stderr
        assert run.code == 0, run.out + run.err


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("ddl", "named"),
    [
        (["CREATE MATERIALIZED VIEW stats AS SELECT 1 AS one"], "materialized view stats"),
        (
            [
                "CREATE FOREIGN DATA WRAPPER ag_fdw",
                "CREATE SERVER ag_server FOREIGN DATA WRAPPER ag_fdw",
                "CREATE FOREIGN TABLE remote_users (id integer) SERVER ag_server",
            ],
            "foreign table remote_users",
        ),
        (["CREATE SEQUENCE invoice_numbers"], "sequence invoice_numbers"),
        (["CREATE TYPE mood AS ENUM ('sad', 'ok')"], "enum type mood"),
        (["CREATE DOMAIN email AS text CHECK (length(VALUE) > 3)"], "domain email"),
        (
            ["CREATE FUNCTION answer() RETURNS integer AS 'SELECT 42' LANGUAGE sql"],
            "function answer",
        ),
        (
            ["CREATE SCHEMA billing", "CREATE TABLE billing.accounts (id integer)"],
            "billing.accounts",
        ),
    ],
)
def test_postgres_empty_means_empty(
    project: Project, check: Check, postgres_url: str, ddl: list[str], named: str
) -> None:
    project("generic")
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)
    engine.dispose()
    run = check("--database-url", postgres_url)
    assert run.code == 2, run.out + run.err
    assert "is not empty" in run.err and named in run.err
    assert tables(postgres_url) in ([], ["remote_users"])  # nothing was migrated


@pytest.mark.mariadb
@pytest.mark.parametrize(
    ("ddl", "named"),
    [
        ("CREATE VIEW recent AS SELECT 1 AS one", "view recent"),
        ("CREATE FUNCTION answer() RETURNS INT DETERMINISTIC RETURN 42", "function answer"),
        ("CREATE PROCEDURE tidy() BEGIN END", "procedure tidy"),
        ("CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO SELECT 1", "event nightly"),
        ("CREATE SEQUENCE invoice_numbers", "sequence invoice_numbers"),
    ],
)
def test_mariadb_empty_means_empty(
    project: Project, check: Check, mariadb_url: str, ddl: str, named: str
) -> None:
    project("generic")
    engine = sa.create_engine(mariadb_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl)
    engine.dispose()
    run = check("--database-url", mariadb_url)
    assert run.code == 2, run.out + run.err
    assert "is not empty" in run.err and named in run.err


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a stuck proxy, a paused
    service container)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in [*held, server]:
        conn.close()


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql+psycopg2", "mysql+pymysql"])
def test_a_server_that_never_answers_times_out(
    project: Project, check: Check, silent_port: int, scheme: str
) -> None:
    project("generic")
    started = time.monotonic()
    run = check("--database-url", f"{scheme}://app@127.0.0.1:{silent_port}/app", "--timeout", "2")
    assert run.code == 3, run.err
    assert "cannot connect to the database" in run.err
    assert time.monotonic() - started < 15  # the driver's own default is minutes


# -- AG902 at the table of the schema that drifted ---------------------------------------------

TWO_SCHEMAS = '''"""items in public and in audit"""
from alembic import op
import sqlalchemy as sa

revision = "s1"
down_revision = None


def upgrade():
    op.execute("CREATE SCHEMA audit")
    for schema in (None, "audit"):
        op.create_table(
            "items",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50)),
            sa.Column("note", sa.String(40)),
            schema=schema,
        )


def downgrade():
    pass
'''
MODELS_HEAD = (
    "from sqlalchemy import Column, Integer, String, Table\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
)
ORM_ITEM = (
    "class {name}(Base):\n"
    '    __tablename__ = "items"\n'
    "{args}"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    name: Mapped[str] = mapped_column(String(50), nullable=True)\n\n\n"
)
CORE_ITEMS = (
    "{name} = Table(\n"
    '    "items",\n'
    "    Base.metadata,\n"
    '    Column("id", Integer, primary_key=True),\n'
    '    Column("name", String(50)),\n'
    '    Column("note", String({length})),\n'
    "{schema}"
    ")\n\n\n"
)
AUDIT = '    schema="audit",\n'
NOTE_50 = 'Column("note", String(50)),'
# Each: the models (public's items first), and for each drift (how its message begins)
# how the line it is to be found at begins. The migrated database has a note VARCHAR(40)
# in both tables.
SCHEMA_MODELS = {
    # ORM items in public (without note), a Core items in audit (note wider).
    "core in audit": (
        ORM_ITEM.format(name="Item", args="")
        + CORE_ITEMS.format(name="audit_items", length=50, schema=AUDIT),
        {
            "column items.note is in the migrated": "class Item(",
            "column audit.items.note is VARCHAR(40)": NOTE_50,
        },
    ),
    # A Core items in public (note wider), ORM items in audit (without note).
    "orm in audit": (
        CORE_ITEMS.format(name="items", length=50, schema="")
        + ORM_ITEM.format(name="AuditItem", args='    __table_args__ = {"schema": "audit"}\n'),
        {
            "column audit.items.note is in the migrated": "class AuditItem(",
            "column items.note is VARCHAR(40)": NOTE_50,
        },
    ),
    # Two Core tables; audit's note is wider.
    "core in both": (
        CORE_ITEMS.format(name="items", length=40, schema="")
        + CORE_ITEMS.format(name="audit_items", length=50, schema=AUDIT),
        {"column audit.items.note is VARCHAR(40)": NOTE_50},
    ),
}


def two_schema_project(project: Project, *revisions: tuple[str, str]) -> Path:
    """The drift project with env.py comparing every schema and `revisions` (file name,
    text) as its history."""
    root = project("drift")
    env = root / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "connection=connection, target_metadata=target_metadata",
            "connection=connection, target_metadata=target_metadata, include_schemas=True",
        )
    )
    for old in (root / "migrations" / "versions").glob("*.py"):
        old.unlink()
    for name, text in revisions:
        (root / "migrations" / "versions" / name).write_text(text)
    return root


@pytest.mark.postgres
@pytest.mark.parametrize("models", list(SCHEMA_MODELS))
def test_postgres_drift_is_located_in_its_schema(
    project: Project, check: Check, postgres_url: str, models: str
) -> None:
    """Tables named alike in two schemas: each AG902 points at the model of the table that
    drifted (its class, or its Core Table's Column), never at the other schema's."""
    root = two_schema_project(project, ("s1.py", TWO_SCHEMAS))
    source, expected = SCHEMA_MODELS[models]
    (root / "models.py").write_text(MODELS_HEAD + source)
    run = check("--database-url", postgres_url, "--format", "json", "--select", "AG902")
    lines = (root / "models.py").read_text().splitlines()
    assert len(run.findings) == len(expected), [f["message"] for f in run.findings]
    got = {}
    for finding in run.findings:
        [key] = [key for key in expected if finding["message"].startswith(key)]
        got[key] = (finding["path"], lines[finding["line"] - 1].strip()[: len(expected[key])])
    assert got == {key: ("models.py", start) for key, start in expected.items()}


def create_items(revision: str, down: str | None, schema: str | None) -> tuple[str, str]:
    """A revision file (name, text) creating `items` in `schema` (and the schema)."""
    create = f'    op.execute("CREATE SCHEMA {schema}")\n' if schema else ""
    text = (
        f'"""items in {schema}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        f"revision = {revision!r}\ndown_revision = {down!r}\n\n\ndef upgrade():\n{create}"
        '    op.create_table("items", sa.Column("id", sa.Integer, primary_key=True), '
        f"schema={schema!r})\n\n\ndef downgrade():\n    pass\n"
    )
    return f"{revision}.py", text


@pytest.mark.postgres
def test_postgres_table_not_in_the_models_is_located_at_its_schemas_revision(
    project: Project, check: Check, postgres_url: str
) -> None:
    """A table in the database that no model has is located at the op.create_table that
    created it: of two revisions creating a table of that name, the one naming its schema
    (the newer one, which creates public's, is read first)."""
    audit = create_items("a1", None, "audit")
    root = two_schema_project(project, audit, create_items("p2", "a1", None))
    item = ORM_ITEM.format(name="Item", args="").replace("    name: Mapped", "    # name: Mapped")
    (root / "models.py").write_text(MODELS_HEAD + item)
    run = check("--database-url", postgres_url, "--format", "json", "--select", "AG902")
    [finding] = run.findings
    assert finding["message"].startswith("table audit.items is in the migrated database")
    path = f"migrations/versions/{audit[0]}"
    assert (finding["path"], finding["line"]) == (path, line_of(root / path, "op.create_table"))


HOLDS_USERS = """def upgrade() -> None:
    # As Airflow's FAB revisions do: a connection of the revision's own, left idle in
    # a transaction that read users, so the ALTER on env.py's connection waits for it.
    engine = sa.create_engine(op.get_context().config.get_main_option("sqlalchemy.url"))
    HELD.append(engine.connect())
    HELD[-1].execute(sa.text("SELECT count(*) FROM users"))
"""


@pytest.mark.postgres
def test_a_migration_waiting_on_its_own_process_is_stopped(
    project: Project, check: Check, postgres_url: str
) -> None:
    # `alembic upgrade heads` hangs here for good (Airflow's history does, where its own
    # CLI puts every connection on one): check stopped only at its 900 s limit, with
    # exit 3 and no word of where. Now the waiting statement is cancelled and reported.
    root = project("generic")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(revision, "def upgrade() -> None:\n", "HELD = []\n\n\n" + HOLDS_USERS)
    run = check("--database-url", postgres_url, "--format", "json")
    assert run.code == 1, run.out + run.err
    [failed] = [f for f in run.findings if f["code"] == "AG901"]
    assert failed["path"] == "migrations/versions/c9e2b7d41a05_add_user_email.py"
    assert failed["line"] == line_of(revision, "op.add_column")
    assert "another connection this process opened" in failed["message"]
    assert "idle in a transaction" in failed["message"]
    assert "SELECT count(*) FROM users" in failed["message"]
    assert "--no-seed" not in failed["message"]  # the rows are not why


BATCH_FAILS = """def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=120), nullable=True))
        batch_op.alter_column("nosuch", existing_type=sa.Integer(), nullable=False)
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=False)
"""


@pytest.mark.postgres
def test_a_failing_batch_call_is_reported_at_its_line(
    project: Project, check: Check, postgres_url: str
) -> None:
    # PostgreSQL runs a batch one ALTER per call when the block ends: the failure is the
    # call's (Airflow's b0d31815b5a6 was reported at its `with` line).
    root = project("generic")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    text = revision.read_text()
    start = text.index("def upgrade() -> None:")
    end = text.index("def downgrade()")
    revision.write_text(text[:start] + BATCH_FAILS + "\n\n" + text[end:])
    run = check("--database-url", postgres_url, "--format", "json")
    [failed] = [f for f in run.findings if f["code"] == "AG901"]
    assert "nosuch" in failed["message"]
    assert failed["line"] == line_of(revision, 'batch_op.alter_column("nosuch"')


STUCK = "migrations/versions/c9e2b7d41a05_add_user_email.py"


def assert_stopped_at_its_line(run: Run, root: Path) -> None:
    """check_stuck's run: the ALTER that waited on the revision's own idle transaction was
    cancelled and is AG901 at its line, saying why (not the 900 s limit, exit 3)."""
    assert run.code == 1, run.out + run.err
    [failed] = [f for f in run.findings if f["code"] == "AG901"]
    assert (failed["path"], failed["line"]) == (STUCK, line_of(root / STUCK, "op.add_column"))
    assert "another connection this process opened" in failed["message"]
    assert "idle in a transaction" in failed["message"]
    assert "SELECT count(*) FROM users" in failed["message"]
    assert "--no-seed" not in failed["message"]  # the rows are not why
    assert PASSWORD not in run.out + run.err and "Traceback" not in run.err


@pytest.mark.mariadb
@pytest.mark.timeout(120)  # it waited for good (900 s) before
@pytest.mark.parametrize("driver", ["mysql+pymysql", "mysql+mysqldb", "mariadb+mariadbconnector"])
def test_mariadb_a_migration_waiting_on_its_own_process_is_stopped(
    project: Project, check: Check, mariadb_url: str, driver: str
) -> None:
    # "Waiting for table metadata lock" behind the revision's own idle transaction: as
    # `alembic upgrade` does, check waited until its time limit (exit 3, no line). Now
    # the watcher kills the waiting query (KILL QUERY) and says why.
    if driver == "mysql+mysqldb":
        installed.mysqlclient()
    if driver == "mariadb+mariadbconnector":
        pytest.importorskip("mariadb", reason="MariaDB Connector/Python (pip install mariadb)")
    root = project("stuck")
    url = sa.make_url(mariadb_url).set(drivername=driver)
    plain = url.render_as_string(hide_password=False)
    run = check("--database-url", plain, "--format", "json")
    assert_stopped_at_its_line(run, root)


@pytest.mark.mariadb
@pytest.mark.timeout(120)
@pytest.mark.parametrize("how", ["other-database", "lock-tables"])
def test_mariadb_a_wait_another_session_shares_is_not_cancelled(
    project: Project, check: Check, mariadb_url: str, how: str
) -> None:
    # The revision's own connection sits idle in a transaction (on posts), and another
    # process holds users, which the ALTER waits for: `USE information_schema` then a read
    # of users in a transaction, or LOCK TABLES users WRITE (no InnoDB transaction). The
    # watcher saw neither (it counted threads on the waiter's database in a transaction),
    # blamed the revision's connection and cancelled the ALTER: AG901, exit 1. It waits
    # now; the holder lets go once the watch told that it leaves the ALTER waiting (after
    # the looks that would have cancelled it), and the upgrade goes through.
    project("stuck")
    holder = ("--env", f"STUCK_HOLDER={how}", "--env", "STUCK_READS=posts", "--no-seed")
    run = check("--database-url", mariadb_url, *holder, "--format", "json")
    assert run.code == 0, run.out + run.err
    assert run.findings == []


OFF = "check's lock watch is off"


@pytest.mark.mariadb
@pytest.mark.timeout(90)
def test_mariadb_a_user_without_process_is_told_the_lock_watch_is_off(
    project: Project, check: Check, mysqldb: MysqldbScratch
) -> None:
    # A user of one database only, without the PROCESS privilege: information_schema
    # shows it no one else's transactions, so the watcher can tell nothing and claims
    # nothing. The ALTER waited (for another session, until the watch saw it wait) and
    # the run said nothing of it; now a note says the watch is off, and why.
    project("stuck")
    holder = ("--env", "STUCK_HOLDER=other-database")
    quiet = ("--env", "STUCK_READS=posts", "--no-seed")
    run = check("--database-url", mysqldb.url(), *holder, *quiet, "--format", "json")
    assert run.code == 0, run.out + run.err
    [note] = json.loads(run.out)["notes"]
    assert note.startswith(OFF) and "PROCESS privilege" in note, note
    assert PASSWORD not in run.out + run.err
    # Where nothing waits, nothing is said.
    mysqldb.execute("DROP TABLE posts, users, alembic_version")
    run = check("--database-url", mysqldb.url(), *quiet, "--format", "json")
    assert (run.code, json.loads(run.out)["notes"]) == (0, []), run.out + run.err


@pytest.mark.mariadb
@pytest.mark.timeout(90)
def test_mariadb_the_time_limit_says_the_lock_watch_was_off(
    project: Project, check: Check, mysqldb: MysqldbScratch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ALTER waits for the revision's own idle connection, which no one can see here:
    # the run ends at its limit (exit 3), and now says that the watch was off, and why.
    # The limit counts from when the ALTER's revision ran and the watch said it is off.
    step = "Running upgrade 7a3d5e8c2f40 -> c9e2b7d41a05"
    limit_once(monkeypatch, lambda log, notes: step in log and any(OFF in n for n in notes))
    project("stuck")
    run = check("--database-url", mysqldb.url(), "--timeout", "0.1", "--no-seed")
    assert run.code == 3, run.out + run.err
    assert "did not finish within 1s" in run.err
    assert OFF in run.err and "PROCESS privilege" in run.err, run.err
    assert PASSWORD not in run.out + run.err and "Traceback" not in run.err


@pytest.mark.mariadb
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("how", "reads", "said"),
    [
        ("other-database", "users", "connections of other sessions may hold it (thread "),
        ("lock-tables", "posts", "someone's LOCK TABLES or HANDLER may hold it"),
    ],
)
def test_mariadb_the_time_limit_says_who_else_may_hold_the_table(
    project: Project,
    check: Check,
    mariadb_url: str,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    reads: str,
    said: str,
) -> None:
    # A shared server: another session holds users and never lets go (a transaction, or
    # LOCK TABLES). The cautious watcher leaves the ALTER waiting (rightly: `alembic
    # upgrade` waits too); the run ended at its limit saying only that it did not finish.
    # The limit counts from when the watch said it leaves the ALTER waiting.
    saw = "check's lock watch saw `ALTER TABLE users ADD COLUMN email"
    limit_once(monkeypatch, lambda log, notes: any(saw in n for n in notes))
    project("stuck")
    holder = ("--env", f"STUCK_HOLDER={how}", "--env", "STUCK_HOLD_SECONDS=600")
    holder += ("--env", f"STUCK_READS={reads}")
    run = check("--database-url", mariadb_url, *holder, "--timeout", "0.1", "--no-seed")
    assert run.code == 3, run.out + run.err
    assert "did not finish within 1s" in run.err
    assert saw in run.err, run.err
    assert said in run.err, run.err
    assert "Traceback" not in run.err


@pytest.mark.mariadb
@pytest.mark.timeout(120)
def test_mariadb_a_wait_another_session_shares_is_cancelled_only_once_it_lets_go(
    project: Project, check: Check, mariadb_url: str, tmp_path: Path
) -> None:
    # The revision's own idle connection holds users, and another session reads users in
    # a transaction from another current database until the watch told that it leaves
    # the ALTER waiting: the watcher leaves the ALTER alone while that session may hold
    # users, and cancels it once only the revision's own connection is left.
    root = project("stuck")
    log = tmp_path / "holder.log"
    holder = ("--env", "STUCK_HOLDER=other-database", "--env", f"STUCK_HOLDER_LOG={log}")
    run = check("--database-url", mariadb_url, *holder, "--no-seed", "--format", "json")
    assert_stopped_at_its_line(run, root)
    assert log.read_text(encoding="utf-8").startswith("let go after"), log.read_text()


SEARCH_PATH = (
    "    with connectable.connect() as connection:\n"
    '        connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS app")\n'
    '        connection.exec_driver_sql("SET search_path TO app")\n'
    "        connection.commit()\n"
)


def search_path_project(project: Project, name: str = "generic") -> Path:
    """check_`name` with an env.py like Netflix/dispatch's: it makes schema app and sets
    its connection's search_path to it before configure(), naming no version_table_schema,
    so the tables and the version table are made in app."""
    root = project(name)
    edit(root / "migrations/env.py", SEARCH_PATH.splitlines(keepends=True)[0], SEARCH_PATH)
    return root


def app_tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(sa.inspect(conn).get_table_names(schema="app"))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_the_version_table_env_py_finds_on_its_search_path_is_read(
    project: Project, check: Check, postgres_url: str
) -> None:
    # check read alembic_version in public, where there is none: AG801, "no revision
    # applied", and the comparison's findings (the drift project's two) dropped.
    search_path_project(project, "drift")
    run = check("--database-url", postgres_url, "--format", "json", "--select", "AG801,AG902")
    assert sorted(run.codes()) == ["AG902", "AG902"], run.err
    assert run.code == 1
    assert app_tables(postgres_url) == ["alembic_version", "posts", "users"]
    assert tables(postgres_url) == []


@pytest.mark.postgres
def test_postgres_a_database_already_at_head_on_its_search_path_passes(
    project: Project, check: Check, postgres_url: str
) -> None:
    # dispatch after `dispatch database init` (create_all, then stamp): app holds the
    # tables and the head's version row before check runs.
    root = search_path_project(project)
    edit(root / "alembic.ini", "driver://user:pass@localhost/dbname", postgres_url)
    alembic = [sys.executable, "-m", "alembic", "upgrade", "heads"]
    upgraded = subprocess.run(alembic, cwd=root, capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    run = check("--database-url", postgres_url, "--allow-nonempty", "--format", "json")
    assert run.findings == [], run.err
    assert run.code == 0
