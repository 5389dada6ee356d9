"""The false-positive patterns the AG1xx rules know, each next to the real hazard that
must still be found: dialect branches and single-dialect histories, what the revision
itself did before a call, helpers and loops, models, names known only at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.operations import Operations, pack
from alembic_gate.history.revisions import read_revision
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import sql_copies, unchecked_notes
from alembic_gate.rules.ag101_not_null_column_without_default import check as ag101
from alembic_gate.rules.ag102_not_null_without_backfill import check as ag102
from alembic_gate.rules.ag103_drop_column_or_table import check as ag103
from alembic_gate.rules.ag104_rename_column_or_table import check as ag104
from alembic_gate.rules.ag105_index_not_concurrent import check as ag105
from alembic_gate.rules.ag106_column_type_change import check as ag106
from alembic_gate.setup.discovery import AlembicSetup

from .ag1xx_helpers import (
    CREATE_MYSQL_USERS,
    CREATE_USERS,
    add,
    line_of,
    migration,
    users_history,
)
from .conftest import History

INDEX = 'op.create_index(op.f("ix_users_name"), "users", ["name"], unique=False)'
ADD_EMAIL = 'op.add_column("users", sa.Column("email", sa.String(length=255), nullable=False))'
MAKE_NOT_NULL = """op.alter_column("users", "name",
           existing_type=sa.VARCHAR(length=50),
           nullable=False)"""


# -- dialect branches -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("upgrade", "reported"),
    [
        (f'if op.get_bind().dialect.name == "sqlite":\n    {INDEX}', False),
        (f'if op.get_bind().dialect.name == "postgresql":\n    {INDEX}', True),
        (f'if op.get_bind().dialect.name == "sqlite":\n    pass\nelse:\n    {INDEX}', True),
        (f'if context.get_context().dialect.name in ("mysql", "mariadb"):\n    {INDEX}', False),
        (f'dialect = op.get_bind().dialect.name\nif dialect == "mssql":\n    {INDEX}', False),
        (f"if isinstance(op.get_bind().dialect, SQLiteDialect):\n    {INDEX}", False),
        (f'if op.get_bind().dialect.name != "postgresql":\n    return\n{INDEX}', True),
        (f'if op.get_bind().dialect.name == "postgresql":\n    return\n{INDEX}', False),
    ],
)
def test_ag105_in_dialect_branches(history: History, upgrade: str, reported: bool) -> None:
    users_history(history)
    add(history, "b2", "a1", upgrade)
    assert len(history.run(ag105)) == int(reported)


def test_ag105_in_a_helper_only_called_for_mssql(history: History) -> None:
    users_history(history)
    upgrade = """
    if op.get_bind().dialect.name == "mssql":
        _secondary_indexes()
    """
    helper = f"\n\ndef _secondary_indexes():\n    {INDEX}\n"
    history.write("b2_m.py", migration("b2", "a1", upgrade) + helper)
    assert history.run(ag105) == []
    history.write("b2_m.py", migration("b2", "a1", "_secondary_indexes()") + helper)
    assert len(history.run(ag105)) == 1


def _folder_context(root: Path, folder: str, files: dict[str, str]) -> LintContext:
    versions = root / "versions" / folder
    versions.mkdir(parents=True)
    for name, text in files.items():
        (versions / name).write_text(text)
    graph = RevisionGraph.build([read_revision(p, root) for p in sorted(versions.glob("*.py"))])
    return LintContext(AlembicSetup(None, "alembic", None, (str(versions),)), graph, str(root))


@pytest.mark.parametrize(
    ("folder", "confidences"),
    [
        ("sqlite", []),
        ("postgresql", ["high"]),
        ("sqlite_versions", []),  # one folder a database, env.py picks one (bunkerweb)
        ("versions-sqlite", []),
        ("postgres_versions", ["high"]),
        # another word: not the folder of a dialect, and nothing names a database
        ("sqlite_legacy", ["medium"]),
        ("sqlite_or_postgres", ["medium"]),
    ],
)
def test_ag105_in_a_versions_folder_of_one_dialect(
    tmp_path: Path, folder: str, confidences: list[str]
) -> None:
    files = {
        "a1_m.py": migration("a1", None, CREATE_USERS),
        "b2_m.py": migration("b2", "a1", INDEX),
    }
    findings = list(ag105(_folder_context(tmp_path, folder, files)))
    assert [f.confidence for f in findings] == confidences


def test_ag105_on_a_history_that_names_only_mysql(history: History) -> None:
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(history, "b2", "a1", INDEX)
    assert history.run(ag105) == []
    # once a revision names PostgreSQL too, the advice applies, with high confidence
    add(history, "c3", "b2", 'op.execute("ANALYZE users")  # runs on postgresql and mysql')
    [finding] = history.run(ag105)
    assert finding.confidence == "high"


def test_ag105_on_a_history_whose_env_is_sqlite(history: History, tmp_path: Path) -> None:
    users_history(history)
    add(history, "b2", "a1", INDEX)
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = .\nsqlalchemy.url = sqlite:///app.db\n")
    setup = AlembicSetup(str(ini), "alembic", str(tmp_path), (str(history.versions),))
    assert history.run(ag105, setup) == []
    # nothing names a database: reported, but not as certain
    [finding] = history.run(ag105)
    assert finding.confidence == "medium"
    assert "(if this history runs on PostgreSQL)" in finding.message


def test_ag106_cheap_on_postgresql_but_not_in_a_mysql_branch(history: History) -> None:
    users_history(history)
    widen = "op.alter_column('users', 'name', existing_type=sa.VARCHAR(length=50), type_=sa.Text())"
    add(history, "b2", "a1", f"if op.get_bind().dialect.name == 'postgresql':\n    {widen}")
    add(history, "c3", "b2", f"if op.get_bind().dialect.name == 'mysql':\n    {widen}")
    assert [f.path for f in history.run(ag106)] == ["versions/c3_m.py"]


def test_one_change_made_in_each_dialect_branch_is_one_hazard(history: History) -> None:
    """fief drops a column once per dialect (PostgreSQL, MySQL, SQLite's batch):
    reported once, at PostgreSQL's branch; ubersystem renames in a batch under a
    module-level `is_sqlite` and with op's call in `else:`: reported at `else:`."""
    users_history(history)
    drops = add(
        history,
        "b2",
        "a1",
        """
        bind = op.get_bind()
        if bind.dialect.name == "mysql":
            op.drop_column("users", "name")
        elif bind.dialect.name == "postgresql":
            op.drop_column("users", "name")
        elif bind.dialect.name == "sqlite":
            with op.batch_alter_table("users") as batch_op:
                batch_op.drop_column("name")
        """,
    )
    renames = history.write(
        "c3_m.py",
        """revision = "c3"
down_revision = "b2"

from alembic import op

try:
    is_sqlite = op.get_context().dialect.name == "sqlite"
except Exception:
    is_sqlite = False


def upgrade():
    if is_sqlite:
        with op.batch_alter_table("users") as batch_op:
            batch_op.alter_column("id", new_column_name="user_id")
    else:
        op.alter_column("users", "id", new_column_name="user_id")
""",
    )
    [drop] = history.run(ag103)
    postgresql = line_of(history, drops, '"postgresql"') + 1
    assert (drop.path, drop.line) == (drops, postgresql)
    [rename] = history.run(ag104)
    assert (rename.path, rename.line) == (
        renames,
        line_of(history, renames, 'op.alter_column("users"'),
    )


def test_one_change_written_as_sql_in_one_branch_and_a_call_in_the_other_is_one_hazard(
    history: History,
) -> None:
    """The Prebid sales agent renames a column with SQL on PostgreSQL and with a batch's
    alter_column on the others: one hazard, reported at PostgreSQL's branch, though the
    two messages name the operation as each branch writes it."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        conn = op.get_bind()
        if conn.dialect.name == "postgresql":
            op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")
        else:
            with op.batch_alter_table("users") as batch_op:
                batch_op.alter_column("name", new_column_name="full_name")
        """,
    )
    [rename] = history.run(ag104)
    assert rename.line == line_of(history, path, "RENAME COLUMN")
    assert rename.message.startswith("RENAME COLUMN (SQL run by execute())")


def test_a_change_judged_apart_per_dialect_is_reported_per_dialect(history: History) -> None:
    """Widening a VARCHAR is in place on PostgreSQL, a rewrite by MODIFY on MySQL: the
    MySQL branch's call is the one reported, though PostgreSQL's comes first."""
    users_history(history)
    widen = "op.alter_column('users', 'name', existing_type=sa.VARCHAR(length=50), type_=sa.Text())"
    path = add(
        history,
        "b2",
        "a1",
        f"if op.get_bind().dialect.name == 'postgresql':\n    {widen}\nelse:\n    {widen}",
    )
    assert [f.line for f in history.run(ag106)] == [line_of(history, path, "else:") + 1]


# -- what the revision itself did before ------------------------------------------------


@pytest.mark.parametrize(
    "empty",
    [
        'op.execute("DELETE FROM users")',
        'op.execute("TRUNCATE TABLE users")',
        'op.execute(sa.table("users").delete())',
    ],
)
def test_a_table_emptied_before_holds_no_rows(history: History, empty: str) -> None:
    users_history(history)
    type_change = (
        'op.alter_column("users", "id", existing_type=sa.INTEGER(), type_=sa.BigInteger())'
    )
    add(history, "b2", "a1", "\n".join([empty, ADD_EMAIL, MAKE_NOT_NULL, type_change]))
    for check in (ag101, ag102, ag106):
        assert history.run(check) == []
    # emptied after the calls, or only some rows: they still fail on the rows there are
    add(history, "b2", "a1", "\n".join([ADD_EMAIL, MAKE_NOT_NULL, type_change, empty]))
    assert [len(history.run(check)) for check in (ag101, ag102, ag106)] == [1, 1, 1]
    partial = 'op.execute("DELETE FROM users WHERE id > 100")'
    add(history, "b2", "a1", "\n".join([partial, ADD_EMAIL]))
    assert len(history.run(ag101)) == 1
    # emptied, then filled again: rows there are; emptied in one dialect's branch: the
    # others keep theirs
    refill = 'op.execute("INSERT INTO users (id) SELECT id FROM users_old")'
    add(history, "b2", "a1", "\n".join([empty, refill, ADD_EMAIL, MAKE_NOT_NULL, type_change]))
    assert [len(history.run(check)) for check in (ag101, ag102, ag106)] == [1, 1, 1]
    only_sqlite = f"if op.get_bind().dialect.name == 'sqlite':\n    {empty}"
    add(history, "b2", "a1", "\n".join([only_sqlite, ADD_EMAIL]))
    assert len(history.run(ag101)) == 1


def test_a_helper_called_with_literal_arguments_backfills(history: History) -> None:
    users_history(history)
    upgrade = """
    _fill("users", "name")
    op.alter_column("users", "name", existing_type=sa.VARCHAR(length=50), nullable=False)
    op.alter_column("users", "id", existing_type=sa.INTEGER(), nullable=False)
    """
    helper = """

def _fill(table, column):
    op.execute(f"UPDATE {table} SET {column} = '' WHERE {column} IS NULL")
"""
    history.write("b2_m.py", migration("b2", "a1", upgrade) + helper)
    assert history.run(ag102) == []  # an UPDATE of the table counts for its columns
    other = upgrade.replace('_fill("users"', '_fill("teams"')
    history.write("b2_m.py", migration("b2", "a1", other) + helper)
    [finding] = history.run(ag102)  # users.id was created NOT NULL: only restated
    assert '"users.name"' in finding.message


def test_loops_over_literal_tables_are_read_per_table(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        for table in ("users", "admins"):
            op.execute(f"UPDATE {table} SET name = '' WHERE name IS NULL")
        for table in ("users", "admins"):
            op.alter_column(table, "name", existing_type=sa.VARCHAR(length=50), nullable=False)
        for table in ("users", "teams"):
            op.drop_column(table, "legacy")
        """,
    )
    assert history.run(ag102) == []
    drops = history.run(ag103)
    assert ['"users.legacy"' in f.message for f in drops] == [True, False]
    assert ['"teams.legacy"' in f.message for f in drops] == [False, True]


def test_a_models_tablename_names_the_table(history: History) -> None:
    users_history(history)
    models = """

class Account(Base):
    __tablename__ = "accounts"
    id = sa.Column(sa.Integer, primary_key=True)
"""
    upgrade = """
    op.create_table(Account.__tablename__, sa.Column("id", sa.Integer(), nullable=False))
    op.add_column(Account.__tablename__, sa.Column("plan", sa.String(), nullable=False))
    op.add_column("users", sa.Column("plan", sa.String(), nullable=False))
    """
    history.write("b2_m.py", migration("b2", "a1", upgrade) + models)
    [finding] = history.run(ag101)
    assert '"users.plan"' in finding.message


def test_an_orm_loop_backfills_the_column_it_assigns(history: History) -> None:
    users_history(history)
    upgrade = """
    session = Session(bind=op.get_bind())
    for user in session.query(User).filter(User.name.is_(None)):
        user.name = user.email
    session.commit()
    op.alter_column("users", "name", existing_type=sa.VARCHAR(length=50), nullable=False)
    op.alter_column("users", "id", existing_type=sa.INTEGER(), nullable=False)
    """
    models = '\n\nclass User(Base):\n    __tablename__ = "users"\n'
    history.write("b2_m.py", migration("b2", "a1", upgrade) + models)
    # `name` is filled; `id` is not (but the history creates it NOT NULL: restated)
    assert history.run(ag102) == []
    nick = upgrade.replace("user.name =", "user.nick =")
    history.write("b2_m.py", migration("b2", "a1", nick) + models)
    [finding] = history.run(ag102)
    assert '"users.name"' in finding.message


# -- names known only at run time --------------------------------------------------------


def test_names_known_only_at_run_time_say_so_with_medium_confidence(history: History) -> None:
    users_history(history)
    upgrade = """
    for table in inspector.get_table_names():
        op.drop_column(table, "tenant_id")
        op.add_column(table, sa.Column("project_id", sa.String(36), nullable=False))
    """
    add(history, "b2", "a1", upgrade)
    [drop] = history.run(ag103)
    [add_] = history.run(ag101)
    assert 'drops column "tenant_id" (of a table named at run time)' in drop.message
    assert '"project_id" (of a table named at run time)' in add_.message
    assert (drop.confidence, add_.confidence) == ("medium", "medium")
    assert "<table>" not in drop.message + add_.message


def test_a_column_named_at_run_time_on_a_known_table_says_so(history: History) -> None:
    """Not the table's name alone, which reads as a column of that name (open-webui's
    drop of the columns a set names, langflow's type change of a loop's columns)."""
    users_history(history)
    upgrade = """
    for column in {"api_key", "oauth_sub"} & columns:
        op.drop_column("users", column)
    """
    add(history, "b2", "a1", upgrade)
    [drop] = history.run(ag103)
    assert 'drops column (a column named at run time) of "users" and' in drop.message
    assert drop.confidence == "medium"


def test_a_column_added_and_renamed_in_the_same_revision(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.add_column("users", sa.Column("new_id", sa.BigInteger(), nullable=True))
        op.execute("UPDATE users SET new_id = id")
        op.drop_column("users", "id")
        op.alter_column("users", "new_id", new_column_name="id")
        op.alter_column("users", "name", new_column_name="full_name")
        """,
    )
    renames = history.run(ag104)
    assert ['"users.name"' in f.message for f in renames] == [True]
    # the old id's values were copied into the column that takes its name
    assert history.run(ag103) == []


def test_a_file_whose_calls_cannot_be_read_gets_a_note(history: History) -> None:
    # a file that parses but whose calls the reader gave up on is never passed in silence
    users_history(history)
    add(history, "b2", "a1", 'op.drop_column("users", "name")')
    ctx = history.context()
    ctx.graph.by_id["b2"].ops_data = pack(Operations(problem="cannot parse: too deeply nested"))
    assert list(ag103(ctx)) == []
    assert unchecked_notes(ctx) == [
        "versions/b2_m.py: its op.* calls could not be read (cannot parse: too deeply "
        "nested): the safety rules did not check it"
    ]


def test_two_indexes_on_one_table_are_two_hazards_whatever_their_branches(
    history: History,
) -> None:
    """A GIN index built on PostgreSQL only and a plain one built everywhere, on the same
    table, say the same of the table but are two builds: both are reported; so are two
    unique constraints."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        if op.get_bind().dialect.name == "postgresql":
            op.create_index("ix_users_doc", "users", ["name"], postgresql_using="gin")
            op.create_unique_constraint("uq_users_a", "users", ["name"])
        op.create_index("ix_users_name", "users", ["name"])
        op.create_unique_constraint("uq_users_b", "users", ["id", "name"])
        """,
    )
    lines = [f.line for f in history.run(ag105)]
    assert lines == [
        line_of(history, path, '"ix_users_doc"'),
        line_of(history, path, '"uq_users_a"'),
        line_of(history, path, '"ix_users_name"'),
        line_of(history, path, '"uq_users_b"'),
    ]


@pytest.mark.parametrize(
    ("sql", "copies"),
    [
        ("INSERT INTO a (x) SELECT x FROM b", [("a", "b")]),
        ('INSERT INTO public."A" SELECT * FROM s.B; INSERT INTO c SELECT 1', [("a", "b")]),
        ("INSERT INTO {}.a SELECT * FROM {schema}.a_old", [("a", "a_old")]),  # schema at run time
        ("INSERT INTO {}_new SELECT * FROM a", []),  # a name partly built at run time
        ("INSERT INTO a SELECT * FROM t_{}", []),
        ("INSERT INTO a VALUES (1)", []),
        (
            "INSERT INTO a (x, y) SELECT b.x, (SELECT id FROM c WHERE c.k = 'a(') FROM b",
            [("a", "b")],
        ),
        ("INSERT INTO a SELECT (SELECT max(id) FROM c)", []),  # no FROM of its own
    ],
)
def test_the_copies_sql_makes(sql: str, copies: list[tuple[str, str]]) -> None:
    assert list(sql_copies(sql)) == copies
