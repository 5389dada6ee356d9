from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest

from alembic_gate.findings import Finding, Report
from alembic_gate.reporters.common import fingerprints
from alembic_gate.rules.ag105_index_not_concurrent import check
from alembic_gate.setup.discovery import AlembicSetup

from .ag1xx_helpers import (
    CREATE_USERS,
    add,
    add_named,
    line_of,
    migration,
    users_history,
    with_base,
)
from .conftest import History

INDEX = 'op.create_index(op.f("ix_users_name"), "users", ["name"], unique=False)'


def test_index_without_concurrently(history: History) -> None:
    users_history(history)
    path = add(history, "b2", "a1", INDEX, downgrade='op.drop_index(op.f("ix_users_name"))')
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG105", "warning")
    assert finding.line == line_of(history, path, "op.create_index")
    assert "blocks every write" in finding.message
    assert finding.fix == (
        "with op.get_context().autocommit_block(): op.create_index(op.f('ix_users_name'), "
        "'users', ['name'], unique=False, postgresql_concurrently=True)"
    )
    ast.parse(finding.fix)  # the fix is code that can be pasted


def test_concurrently_inside_an_autocommit_block(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_users_name", "users", ["name"], postgresql_concurrently=True
            )
        """,
    )
    assert history.run(check) == []


def test_concurrently_inside_the_transaction(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)',
    )
    [finding] = history.run(check)
    assert "refuses CREATE INDEX CONCURRENTLY" in finding.message


OPT_IN = """
concurrently = os.environ.get("MIGRATE_CONCURRENTLY") == "true"
op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=concurrently)
"""


def test_concurrently_chosen_at_run_time(history: History) -> None:
    """Phoenix's opt-in read from the environment: by default a plain build that blocks
    writes, when chosen a concurrent one that needs autocommit; both said, with medium
    confidence."""
    users_history(history)
    add(history, "b2", "a1", OPT_IN)
    [finding] = history.run(check)
    assert finding.confidence == "medium"
    assert "without CONCURRENTLY unless postgresql_concurrently" in finding.message
    assert "blocks every write" in finding.message
    assert "refuses inside the migration's transaction" in finding.message
    block = "\nwith op.get_context().autocommit_block():\n    op."
    add(history, "b2", "a1", OPT_IN.replace("\nop.", block))
    [finding] = history.run(check)
    assert "blocks every write to the table until the index is built" in finding.message
    assert "refuses" not in finding.message


def test_batch_index(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_users_name"), ["name"], unique=False)
        """,
    )
    [finding] = history.run(check)
    assert '"users"' in finding.message
    assert finding.fix == (
        "with op.get_context().autocommit_block(): op.create_index(op.f('ix_users_name'), "
        "'users', ['name'], unique=False, postgresql_concurrently=True)"
    )


def test_index_on_a_table_created_in_the_same_revision(history: History) -> None:
    add(history, "a1", None, CREATE_USERS + INDEX)
    assert history.run(check) == []


MODEL_TABLE = CREATE_USERS.replace('"users"', "Users.__tablename__")
MODEL_INDEX = """
with op.batch_alter_table(Users.__tablename__, schema=None) as batch_op:
    batch_op.create_index(f"ix_{Users.__tablename__}_name", ["name"], unique=False)
op.create_index("ix_name_2", Users.__tablename__, ["name"])
"""


@pytest.mark.parametrize(
    ("upgrade", "reported"),
    [
        (MODEL_TABLE + MODEL_INDEX, 0),  # made above under the same name as written
        (MODEL_INDEX, 2),  # made by an earlier revision
        (MODEL_TABLE.replace("Users.", "Accounts.") + MODEL_INDEX, 2),  # another table
        (f"if FLAG:\n{textwrap.indent(MODEL_TABLE, '    ')}" + MODEL_INDEX, 0),
    ],
)
def test_index_on_a_table_named_by_an_imported_model(
    history: History, upgrade: str, reported: int
) -> None:
    """MLflow names its tables by the imported models' `__tablename__`: an index on the
    table the same revision created under the same expression is on a new table, as
    one named by a literal is (a table made under an if too, as for literals); an index
    on one an earlier revision made is reported, as one on a table named at run time."""
    users_history(history)
    text = migration("b2", "a1", upgrade).replace(
        "import sqlalchemy as sa",
        "import sqlalchemy as sa\nfrom app.models import Accounts, Users, FLAG",
    )
    history.write("b2_m.py", text)
    findings = history.run(check)
    assert len(findings) == reported
    assert all(f.confidence == "medium" for f in findings)
    # what is known of the name is said: the expression, not only that it is computed
    assert all("on the table named by Users.__tablename__ " in f.message for f in findings)


def test_create_index_written_as_sql(history: History) -> None:
    """SQL run by execute() is read as the call it stands for (pgAdmin writes its
    indexes so): without CONCURRENTLY it blocks writes; with it, it must run outside
    the transaction; inside an autocommit block it is fine."""
    users_history(history)
    path = add(history, "b2", "a1", 'op.execute("CREATE INDEX ix_users_name ON users (name)")')
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "op.execute")
    assert finding.message.startswith("CREATE INDEX (SQL run by execute()) builds an index")
    assert "without CONCURRENTLY" in finding.message
    assert "CREATE INDEX CONCURRENTLY" in finding.fix
    ast.parse(finding.fix)
    add(
        history,
        "b2",
        "a1",
        """
        op.execute(
            sa.text("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON public.users (name)")
        )
        """,
    )
    [finding] = history.run(check)
    assert "refuses CREATE INDEX CONCURRENTLY" in finding.message
    add(
        history,
        "b2",
        "a1",
        """
        with op.get_context().autocommit_block():
            op.execute("CREATE INDEX CONCURRENTLY ix ON users (name)")
        """,
    )
    assert history.run(check) == []


def test_sql_that_only_mentions_an_index_is_not_read_as_one(history: History) -> None:
    """DDL inside a string, a function body or a comment, an index on a table this
    revision creates in SQL, and MySQL's backtick quoting: nothing for PostgreSQL."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.execute("COMMENT ON TABLE users IS 'CREATE INDEX ix ON users (name)'")
        op.execute("CREATE FUNCTION f() RETURNS void AS $$ CREATE INDEX i ON users (a) $$")
        op.execute("-- CREATE INDEX ix ON users (name)\\nSELECT 1")
        op.execute("CREATE TABLE audit (id int); CREATE INDEX ix_audit ON audit (id)")
        op.execute("CREATE INDEX `ix_name` ON `users` (`name`)")
        """,
    )
    assert history.run(check) == []


def _fingerprint(finding: Finding) -> str:
    [(_, digest)] = fingerprints(Report("lint", findings=[finding]))
    return digest


def test_fingerprint_holds_when_a_later_revision_names_postgresql(history: History) -> None:
    """The note for a history that names no database, " (if this history runs on
    PostgreSQL)", was part of the finding's identity: a later revision that names
    PostgreSQL gave the same finding a new fingerprint (SARIF, GitLab), against the
    contract's "keeps it while other revisions come and go"."""
    users_history(history)
    add(history, "b2", "a1", INDEX)
    [before] = history.run(check)
    add(history, "c3", "b2", 'op.add_column("users", sa.Column("j", postgresql.JSONB()))')
    [after] = history.run(check)
    assert (before.confidence, after.confidence) == ("medium", "high")
    assert _fingerprint(after) == _fingerprint(before)


def test_a_revision_file_named_after_sqlite(history: History) -> None:
    """Dagster's `005_add_asset_key_sqlite.py` beside `005_add_asset_key_postgres.py`:
    the file named after SQLite gets no PostgreSQL advice."""
    users_history(history)
    add_named(history, "b2_index_sqlite_1.py", "b2", "a1", INDEX)
    assert history.run(check) == []
    add_named(history, "b2_index_sqlite_1.py", "c3", "a1", INDEX)
    add_named(history, "b2_index_postgres.py", "b2", "a1", INDEX)
    [finding] = history.run(check)
    assert finding.path.endswith("b2_index_postgres.py")


def test_concurrently_after_the_connection_is_set_to_autocommit(history: History) -> None:
    """`op.get_bind().execution_options(isolation_level="AUTOCOMMIT")` (faraday): what
    the block runs after it runs outside a transaction; before it, inside."""
    users_history(history)
    concurrently = 'op.execute("CREATE INDEX CONCURRENTLY ix_users_name ON users (name)")'
    path = add(
        history,
        "b2",
        "a1",
        f"""
        {concurrently}
        op.get_bind().execution_options(isolation_level="AUTOCOMMIT")
        {concurrently}
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "CONCURRENTLY")
    assert "refuses CREATE INDEX CONCURRENTLY" in finding.message
    add(
        history,
        "b2",
        "a1",
        f"""
        bind = op.get_bind().execution_options(isolation_level="AUTOCOMMIT")
        {concurrently}
        """,
    )
    assert history.run(check) == []


def test_concurrently_on_a_connection_opened_in_autocommit(history: History) -> None:
    """Onyx's `with bind.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    as conn:` then `conn.exec_driver_sql("CREATE INDEX CONCURRENTLY ...")`: outside a
    transaction inside the block; the same statement after the block is not."""
    users_history(history)
    sql = "CREATE INDEX CONCURRENTLY ix_users_name ON users (name)"
    opened = 'op.get_bind().engine.connect().execution_options(isolation_level="AUTOCOMMIT")'
    path = add(
        history,
        "b2",
        "a1",
        f"""
        with {opened} as conn:
            conn.exec_driver_sql("{sql}")
        op.get_bind().exec_driver_sql("{sql}")
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "op.get_bind().exec_driver_sql")
    assert "refuses CREATE INDEX CONCURRENTLY" in finding.message


_UNKNOWN = "psycopg 3 (SQLAlchemy 2.1's driver for `postgresql://`) and pg8000"


def test_concurrently_after_a_commit_run_as_sql(history: History) -> None:
    """hypothesis/h's `op.execute("COMMIT")` before its concurrent indexes: psycopg2 and
    asyncpg then run them outside a transaction, psycopg 3 (SQLAlchemy 2.1's driver for
    `postgresql://`) and pg8000 begin a new one (measured). The driver is the one the
    setup's URL names, else the one the project's dependency files name; not known, the
    finding says so with low confidence."""
    users_history(history)
    concurrently = (
        'op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)'
    )
    path = add(history, "b2", "a1", f'op.execute("COMMIT")\n{concurrently}')
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "op.create_index")
    assert finding.confidence == "low"
    assert "runs after a COMMIT run as SQL, which psycopg 3 (SQLAlchemy 2.1's" in finding.message
    requirements = history.root / "requirements.txt"
    for listed, said, confidence in [
        ("psycopg2-binary==2.9.10\nsqlalchemy==2.0.25\n", None, None),
        ("asyncpg>=0.29\n", None, None),
        ("psycopg[binary]>=3.1\n", "psycopg 3 (which the project depends on)", "medium"),
        # no driver named, but SQLAlchemy before 2.1: psycopg2 for `postgresql://`
        ("SQLAlchemy==1.3.*\nFlask-SQLAlchemy==2.4.4\n", None, None),
        ("sqlalchemy>=1.4,<2.0\n", None, None),
        ("sqlalchemy>=2.0\n", _UNKNOWN, "low"),  # 2.1 takes psycopg 3
        ("sqlalchemy==1.4.54\nsqlalchemy>=2\n", _UNKNOWN, "low"),  # one file says either
    ]:
        requirements.write_text(listed)
        found = history.run(check)
        if said is None:
            assert found == [], listed
            continue
        [finding] = found
        assert finding.confidence == confidence
        assert f"which {said} " in finding.message
    ini = history.root / "alembic.ini"
    setup = AlembicSetup(str(ini), "alembic", None, (str(history.versions),))
    for url, said in [
        ("postgresql+asyncpg://app@db/app", None),  # the URL decides over the files
        ("postgresql+pg8000://app@db/app", "pg8000 (named in the setup's URL)"),
    ]:
        ini.write_text(f"[alembic]\nsqlalchemy.url = {url}\n")
        found = history.run(check, setup)
        if said is None:
            assert found == [], url
            continue
        [finding] = found
        assert finding.confidence == "high"
        assert f"which {said} follow with a new transaction" in finding.message
    # without the COMMIT it runs inside the migration's transaction with any driver
    add(history, "b2", "a1", concurrently)
    [finding] = history.run(check)
    assert "runs inside the migration's transaction" in finding.message


def test_dependency_files_above_the_script_folder_of_a_versions_run(tmp_path: Path) -> None:
    """With `--versions` (no config), the dependency files are looked for from the
    script folder above it where env.py is, as with a config: pass Culture's
    requirements lie three folders above it."""
    script = tmp_path / "api" / "src" / "migrations"
    script.mkdir(parents=True)
    (script / "env.py").write_text("")
    (tmp_path / "requirements.txt").write_text("psycopg2-binary==2.9.10\n")
    history = History(script)
    users_history(history)
    concurrently = (
        'op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)'
    )
    add(history, "b2", "a1", f'op.execute("COMMIT")\n{concurrently}')
    assert history.run(check) == []  # psycopg2 runs it outside a transaction
    (script / "env.py").unlink()  # not a script folder: four folders up from versions/
    [finding] = history.run(check)
    assert finding.confidence == "low"


def test_unique_constraint_and_primary_key_on_an_existing_table(history: History) -> None:
    """PostgreSQL builds the index of a UNIQUE or PRIMARY KEY constraint under ACCESS
    EXCLUSIVE (spiff-arena, LMS, Papermerge, MindsDB); not on a table created first."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.create_unique_constraint("uq_users_name", "users", ["name"])
        op.create_table("tags", sa.Column("id", sa.Integer))
        op.create_primary_key("pk_tags", "tags", ["id"])
        with op.batch_alter_table("users") as batch_op:
            batch_op.create_primary_key("pk_users", ["id"])
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(",")[0]) for f in findings] == [
        (
            line_of(history, path, "op.create_unique_constraint"),
            'op.create_unique_constraint adds a unique constraint to "users"',
        ),
        (
            line_of(history, path, "batch_op.create_primary_key"),
            'batch_op.create_primary_key adds a primary key to "users"',
        ),
    ]
    assert "ACCESS EXCLUSIVE" in findings[0].message
    assert "CONCURRENTLY" in (findings[0].fix or "")
    assert "PRIMARY KEY USING INDEX" in (findings[1].fix or "")


def test_an_exclusion_constraint_on_an_existing_table(history: History) -> None:
    """pycroft adds GiST exclusion constraints in SQL: PostgreSQL builds the index under
    ACCESS EXCLUSIVE, and nothing builds it concurrently; not on a table created first."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute(
            'alter table users add constraint "users_name_excl" '
            'EXCLUDE USING gist (name WITH =, id WITH <>);'
        )
        op.create_exclude_constraint("users_id_excl", "users", ("id", "="))
        op.create_table("tags", sa.Column("id", sa.Integer))
        op.execute("ALTER TABLE tags ADD EXCLUDE USING gist (id WITH =)")
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(",")[0]) for f in findings] == [
        (
            line_of(history, path, "op.execute("),
            'ADD EXCLUDE (SQL run by execute()) adds an exclusion constraint to "users"',
        ),
        (
            line_of(history, path, "op.create_exclude_constraint"),
            'op.create_exclude_constraint adds an exclusion constraint to "users"',
        ),
    ]
    assert "cannot build an exclusion constraint's index concurrently" in (findings[0].fix or "")


def test_unique_constraint_and_primary_key_added_in_sql(history: History) -> None:
    """Emergency Alerts adds `ft_billing`'s primary key with SQL run by execute(): the
    same lock as create_primary_key; not a constraint made from an index built before
    (`USING INDEX`), nor a CHECK or a foreign key, nor on a table created first."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute("ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id)")
        op.execute("ALTER TABLE users ADD UNIQUE (name)")
        op.execute("ALTER TABLE users ADD CONSTRAINT uq_name UNIQUE USING INDEX ix_name")
        op.execute("ALTER TABLE users ADD CONSTRAINT ck_id CHECK (id > 0)")
        op.execute("CREATE TABLE tags (id integer)")
        op.execute("ALTER TABLE tags ADD PRIMARY KEY (id)")
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(",")[0]) for f in findings] == [
        (
            line_of(history, path, "users_pkey"),
            'ADD PRIMARY KEY (SQL run by execute()) adds a primary key to "users"',
        ),
        (
            line_of(history, path, "ADD UNIQUE (name)"),
            'ADD UNIQUE (SQL run by execute()) adds a unique constraint to "users"',
        ),
    ]


def test_a_column_added_unique_in_sql(history: History) -> None:
    """todo.sr.ht adds `remote_id integer UNIQUE` with SQL: PostgreSQL builds the unique
    index in the ALTER TABLE, under its ACCESS EXCLUSIVE; a column without UNIQUE, or
    added to a table created first, is no index."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute('ALTER TABLE "users" ADD COLUMN remote_id integer UNIQUE')
        op.execute("ALTER TABLE users ADD COLUMN nick text")
        op.execute("CREATE TABLE tags (id integer)")
        op.execute("ALTER TABLE tags ADD COLUMN code text UNIQUE")
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "remote_id")
    assert finding.message.startswith(
        'ADD COLUMN ... UNIQUE (SQL run by execute()) adds "users.remote_id" with a UNIQUE '
        "constraint: PostgreSQL builds its index while it holds ACCESS EXCLUSIVE"
    )


def test_a_table_rebuilt_under_its_name_in_scope_keeps_its_rows(history: History) -> None:
    """mcp-context-forge rebuilds `prompts` as a copy renamed back to its name; a later
    revision of the same release indexes it: the table holds its rows, so the index is
    reported (a table the branch created and renamed into a new name is not)."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.create_table("users_tmp", sa.Column("id", sa.Integer()))
        op.execute("INSERT INTO users_tmp (id) SELECT id FROM users")
        op.drop_table("users")
        op.rename_table("users_tmp", "users")
        op.create_table("notes_tmp", sa.Column("id", sa.Integer()))
        op.rename_table("notes_tmp", "notes")
        """,
    )
    path = add(history, "c3", "b2", INDEX + '\nop.create_index("ix_notes", "notes", ["id"])')
    [finding] = check(with_base(history, {"b2", "c3"}))
    assert finding.line == line_of(history, path, "ix_users")
    assert '"users"' in finding.message


def test_a_table_new_in_scope_renamed_then_indexed_under_its_new_name(history: History) -> None:
    """Transformer Lab creates `team_providers`; a later revision of the same release
    renames it `compute_providers` and indexes it under that name: the table is new in
    the release under either name. An older table renamed first is not (`users`:
    reported)."""
    users_history(history)
    add(history, "b2", "a1", 'op.create_table("team_providers", sa.Column("id", sa.Integer()))')
    path = add(
        history,
        "c3",
        "b2",
        """
        op.rename_table("team_providers", "compute_providers")
        op.rename_table("users", "people")
        op.create_index("ix_compute", "compute_providers", ["id"])
        op.create_index("ix_people", "people", ["id"])
        """,
    )
    [finding] = check(with_base(history, {"b2", "c3"}))
    assert finding.line == line_of(history, path, "ix_people")


def test_a_column_added_with_index_or_unique(history: History) -> None:
    """alembic's add_column builds the index of `index=True` and adds the constraint of
    `unique=True` right after ADD COLUMN (evesrp's `request.payout`): not for a table
    created first, nor for `index=False`."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.add_column("users", sa.Column("email", sa.String(), index=True))
        column = sa.Column("code", sa.String(), unique=True)
        op.add_column("users", column)
        with op.batch_alter_table("users") as batch_op:
            batch_op.add_column(sa.Column("key", sa.String(), index=True, unique=True))
        op.add_column("users", sa.Column("plain", sa.String(), index=False))
        op.create_table("tags", sa.Column("id", sa.Integer))
        op.add_column("tags", sa.Column("name", sa.String(), index=True))
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(":")[0]) for f in findings] == [
        (line_of(history, path, '"email"'), 'op.add_column adds "users.email" with index=True'),
        (
            line_of(history, path, 'op.add_column("users", column)'),
            'op.add_column adds "users.code" with unique=True',
        ),
        (
            line_of(history, path, '"key"'),
            'batch_op.add_column adds "users.key" with index=True, unique=True',
        ),
    ]
    assert "runs CREATE INDEX right after ADD COLUMN" in findings[0].message
    assert "ACCESS EXCLUSIVE" in findings[0].message
    assert "adds a UNIQUE constraint" in findings[1].message
    assert "CREATE UNIQUE INDEX" in findings[2].message
    for finding in findings:
        ast.parse((finding.fix or "").split(": ", 1)[1].split("; then ")[0])
    assert "UNIQUE USING INDEX ix_users_code" in (findings[1].fix or "")


def test_an_index_after_a_not_null_column_without_default_is_built_on_an_empty_table(
    history: History,
) -> None:
    """PostgreSQL refuses ADD COLUMN NOT NULL with no default on a table with rows
    (AG101's finding: backend.ai's endpoints.name, asterisk's queue_members.uniqueid):
    an index of the column or built after it in the revision meets an empty table."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.add_column("users", sa.Column("slug", sa.String(), nullable=False, unique=True))
        op.create_index("ix_users_name", "users", ["name"])
        """,
    )
    assert history.run(check) == []
    path = add(
        history,
        "c3",
        "b2",
        """
        op.add_column(
            "users",
            sa.Column("code", sa.String(), nullable=False, server_default="", index=True),
        )
        op.create_index("ix_users_code", "users", ["code"])
        if flag:  # may not run: the table may hold rows at the index below
            op.add_column("users", sa.Column("key", sa.String(), nullable=False))
        op.create_index("ix_users_id", "users", ["id"])
        """,
    )
    assert [f.line for f in history.run(check)] == [
        line_of(history, path, "op.add_column"),
        line_of(history, path, '"ix_users_code"'),
        line_of(history, path, '"ix_users_id"'),
    ]


def test_a_history_that_names_mysql_of_a_project_that_depends_on_postgresql(
    history: History,
) -> None:
    """LVFS's revisions name MySQL only (`mysql_character_set=`), but it moved to
    PostgreSQL in 2020 and its requirements name psycopg2 and no MySQL driver: its plain
    indexes are reported, with medium confidence and why."""
    users_history(history)
    add(history, "b2", "a1", 'op.add_column("users", sa.Column("a", mysql.TINYINT()))')
    add(history, "c3", "b2", INDEX)
    requirements = history.root / "requirements.txt"
    for listed, reported in [
        ("", False),  # nothing depended on: a MySQL history
        ("PyMySQL==1.1\npsycopg2-binary==2.9.10\n", False),  # both: as the history says
        ("mysqlclient==2.2\n", False),
        ("psycopg2-binary==2.9.10\n", True),
    ]:
        requirements.write_text(listed)
        found = history.run(check)
        assert len(found) == int(reported), listed
    [finding] = found
    assert finding.confidence == "medium"
    assert finding.message.endswith(
        "(if this history runs on PostgreSQL now: its revisions name other databases only, "
        "its dependencies a PostgreSQL driver only)"
    )


SQLITE_FLASKENV = 'SQLALCHEMY_DATABASE_URI = "sqlite:///database.db"\n'
SQLITE_DOCKER_ENV = "SQLALCHEMY_DATABASE_URI=sqlite:////app/data/database.db\n"
POSTGRES_SERVICE = "services:\n  db:\n    image: docker.io/library/postgres:15\n"


def test_a_history_that_names_no_database_of_a_project_set_to_sqlite(history: History) -> None:
    """Ambuda's revisions name no database; its `.flaskenv` and `.env.docker` set
    `sqlite:///` URLs and its pyproject.toml names no database driver: it runs on
    SQLite, where no index build locks a table as PostgreSQL's does. Any other database
    its settings or dependencies name keeps the finding (medium: the history names none)."""
    users_history(history)
    add(history, "b2", "a1", INDEX)
    plain = '[project]\ndependencies = ["flask"]\n'
    with_driver = '[project]\ndependencies = ["flask", "psycopg2-binary"]\n'
    for files, reported in [
        ({"pyproject.toml": plain}, True),  # nothing says which database
        ({"pyproject.toml": plain, ".flaskenv": SQLITE_FLASKENV}, False),
        ({"pyproject.toml": plain, ".env.docker": SQLITE_DOCKER_ENV}, False),
        ({"pyproject.toml": with_driver, ".flaskenv": SQLITE_FLASKENV}, True),
        (
            {
                "pyproject.toml": plain,
                ".env": SQLITE_FLASKENV,
                "prod.env": "DATABASE_URL=postgresql+psycopg2://app@db/app\n",
            },
            True,
        ),
        (
            {"pyproject.toml": plain, ".env": SQLITE_FLASKENV, "compose.yaml": POSTGRES_SERVICE},
            True,
        ),
        ({".flaskenv": SQLITE_FLASKENV}, True),  # no project folder found: nothing read
    ]:
        written = [history.root / name for name in files]
        for path, text in zip(written, files.values(), strict=True):
            path.write_text(text)
        found = history.run(check)
        assert len(found) == int(reported), files
        assert all(f.confidence == "medium" for f in found)
        for path in written:
            path.unlink()


def test_a_history_that_names_no_database_of_a_project_set_to_one_server(
    history: History,
) -> None:
    """SpaceDock's revisions name no database; its `.env` and Compose files name
    PostgreSQL only: its plain indexes are PostgreSQL's, reported with the finding's own
    confidence and no "if". A project whose settings name MySQL only (and whose
    dependencies name no PostgreSQL driver) runs on MySQL: not reported."""
    users_history(history)
    add(history, "b2", "a1", INDEX)
    (history.root / "pyproject.toml").write_text('[project]\ndependencies = ["psycopg2"]\n')
    env = history.root / ".env"
    env.write_text("DATABASE_URL=postgresql://spacedock@db/spacedock\n")
    [finding] = history.run(check)
    assert finding.confidence == "high"
    assert finding.message.endswith("until the index is built")
    (history.root / "pyproject.toml").write_text('[project]\ndependencies = ["pymysql"]\n')
    env.write_text("DATABASE_URL=mysql+pymysql://app@db/app\n")
    assert history.run(check) == []


def test_a_settings_name_that_is_not_a_regular_file_is_not_read(history: History) -> None:
    """A virtualenv named `.env`, or a FIFO, is no settings file: reading stops at
    neither (a FIFO's read would block)."""
    users_history(history)
    add(history, "b2", "a1", INDEX)
    (history.root / "pyproject.toml").write_text("[project]\n")
    (history.root / ".env").mkdir()
    os.mkfifo(history.root / ".env.local")
    (history.root / ".flaskenv").write_text(SQLITE_FLASKENV)
    assert history.run(check) == []


def test_a_table_emptied_then_renamed_holds_no_rows(history: History) -> None:
    """The Police Data Accessibility Project deletes every agency meta URL, renames the
    table `meta_urls` and adds a unique constraint to it: it meets an empty table. A
    DELETE of the old name after the rename empties nothing of the new one."""
    users_history(history)
    unique = 'op.create_unique_constraint("uq_people_name", "people", ["name"])'
    for upgrade, reported in [
        (f'op.execute("DELETE FROM USERS")\nop.rename_table("users", "people")\n{unique}', False),
        (f'op.rename_table("users", "people")\nop.execute("DELETE FROM users")\n{unique}', True),
        (f'op.rename_table("users", "people")\n{unique}', True),
    ]:
        add(history, "b2", "a1", upgrade)
        assert len(history.run(check)) == int(reported), upgrade


def test_a_table_made_again_in_one_dialects_branch_is_new_there_only(history: History) -> None:
    """Cuckoo rebuilds `tasks` in its SQLite branch only; the next revision of the same
    release indexes it on PostgreSQL, where the table keeps its rows: reported. A table
    that both branches create is new everywhere."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        if op.get_bind().engine.driver == "pysqlite":
            op.rename_table("users", "old_users")
            op.drop_table("old_users")
            op.create_table("users", sa.Column("id", sa.Integer()))
        if op.get_bind().dialect.name == "postgresql":
            op.create_table("notes", sa.Column("id", sa.BigInteger()))
        else:
            op.create_table("notes", sa.Column("id", sa.Integer()))
        """,
    )
    path = add(history, "c3", "b2", INDEX + '\nop.create_index("ix_notes", "notes", ["id"])')
    [finding] = check(with_base(history, {"b2", "c3"}))
    assert finding.line == line_of(history, path, "ix_users")
    assert '"users"' in finding.message


def test_a_history_set_to_one_database_by_the_settings_module_env_py_imports(
    history: History,
) -> None:
    """HowTheyVote's env.py takes its URL from `howtheyvote.config`, whose default is a
    `sqlite:///` URL, and its dependencies name no driver: SQLite, not reported. The
    module is read as text where the project keeps it (or under src/), never run."""
    users_history(history)
    add(history, "b2", "a1", INDEX)
    (history.root / "pyproject.toml").write_text('[project]\ndependencies = ["flask"]\n')
    package = history.root / "src" / "app"
    package.mkdir(parents=True)
    config = package / "config.py"
    env = history.root / "env.py"
    sqlite = 'import os\nURI = os.environ.get("APP_DB", "sqlite:////data/app.sqlite3")\n'
    cases = [
        ("from app.config import URI\n", sqlite, None),
        ("from app import config\n", sqlite, None),
        ("import app.config as settings\n", sqlite, None),
        ("from app.config import URI\n", 'URI = "postgresql://app@db/app"\n', "high"),
        # both named (SQLite for tests), or no module of the project's: not known
        ("from app.config import URI\n", sqlite + 'TEST = "postgresql://t@db/t"\n', "medium"),
        ("from elsewhere.config import URI\n", sqlite, "medium"),
        ("raise SystemExit('never run')\nfrom app.config import URI\n", sqlite, None),
    ]
    for imports, settings, confidence in cases:
        env.write_text(f"from alembic import context\n{imports}")
        config.write_text(settings)
        found = history.run(check)
        assert [f.confidence for f in found] == ([] if confidence is None else [confidence])


@pytest.mark.parametrize(
    ("before", "held"),
    [
        # o²S²PARC's f65f7786cd4b: the index dropped, then built again in one transaction
        ('op.drop_index("ix_users_name", table_name="users")', "op.drop_index at line"),
        ('op.add_column("users", sa.Column("nick", sa.String(), nullable=True))', "op.add_column"),
        ('op.alter_column("users", "name", type_=sa.Text())', "op.alter_column"),
        ('op.execute("ALTER TABLE users DROP COLUMN nick")', "DROP COLUMN (SQL run by execute())"),
        ('op.create_unique_constraint("uq_users_name", "users", ["name"])', "op.create_unique"),
        # a comment only (SHARE UPDATE EXCLUSIVE), another table, a COMMIT in between,
        # an operation that may not run: writes wait, reads do not
        ('op.alter_column("users", "name", comment="shown", existing_type=sa.String())', None),
        ('op.add_column("groups", sa.Column("nick", sa.String(), nullable=True))', None),
        ('op.drop_index("ix_users_name", table_name="users")\nop.execute("COMMIT")', None),
        ('if flag:\n    op.drop_index("ix_users_name", table_name="users")', None),
        (
            "with op.get_context().autocommit_block():\n"
            '    op.drop_index("ix_users_name", table_name="users", postgresql_concurrently=True)',
            None,
        ),
    ],
)
def test_an_index_built_while_the_transaction_holds_access_exclusive(
    history: History, before: str, held: str | None
) -> None:
    users_history(history)
    path = add(history, "b2", "a1", f"{before}\n{INDEX}")
    *_, finding = history.run(check)  # (the unique constraint's own finding first)
    assert "blocks every write" in finding.message
    if held is None:
        assert "every read waits" not in finding.message
        return
    line = line_of(history, path, before.splitlines()[0][:20])
    assert f"the {held}" in finding.message
    assert f"line {line} already holds ACCESS EXCLUSIVE" in finding.message
    assert "so every read waits too" in finding.message
    assert finding.key is not None and "every read" not in finding.key  # same fingerprint
