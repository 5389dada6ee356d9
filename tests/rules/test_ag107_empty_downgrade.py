from __future__ import annotations

import pytest

from alembic_gate.rules.ag107_empty_downgrade import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, users_history
from .conftest import History


def test_empty_downgrade(history: History) -> None:
    path = add(history, "a1", None, CREATE_USERS)
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG107", "info")
    assert finding.line == line_of(history, path, "def downgrade")
    assert "empty downgrade()" in finding.message


@pytest.mark.parametrize(
    ("downgrade", "reported"),
    [
        ('"""One way."""\nraise NotImplementedError("cannot undo")', True),
        # Bracket's `8d7ab856d95f`: an assert that cannot hold stops it as a raise does
        ('assert False, "Downgrade is not supported"', True),
        ("assert 0", True),
        ('assert True\nop.drop_table("users")', False),  # an assert that holds
    ],
)
def test_downgrade_that_raises(history: History, downgrade: str, reported: bool) -> None:
    add(history, "a1", None, CREATE_USERS, downgrade=downgrade)
    found = history.run(check)
    assert ["raises" in f.message for f in found] == ([True] if reported else [])


@pytest.mark.parametrize(
    ("downgrade", "empty"),
    [
        # subunit2sql's downgrades make the exception and never raise it: they do nothing
        ("NotImplementedError()", True),
        ('NotImplementedError("no downgrade")\npass', True),
        ("ValueError(reason)", False),  # (not a literal: not known to do nothing)
        ("MigrationError()", False),  # the project's own class may do anything
    ],
)
def test_an_exception_made_and_never_raised_does_nothing(
    history: History, downgrade: str, empty: bool
) -> None:
    add(history, "a1", None, CREATE_USERS, downgrade=downgrade)
    found = history.run(check)
    assert ["empty downgrade()" in f.message for f in found] == ([True] if empty else [])


def test_no_downgrade_at_all(history: History) -> None:
    path = history.write(
        "a1_m.py",
        'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n'
        'def upgrade():\n    op.drop_table("x")\n',
    )
    [finding] = history.run(check)
    assert (finding.line, "has no downgrade()" in finding.message) == (
        line_of(history, path, "revision ="),
        True,
    )


def test_real_downgrade_and_empty_merge_revisions(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "pass")
    add(history, "c3", "a1", '"""Nothing here."""')
    assert history.run(check) == []


@pytest.mark.parametrize(
    "upgrade",
    [
        # data migrations: nothing in the schema to put back
        'op.execute("UPDATE users SET name = lower(name)")',
        """
        users = sa.table("users", sa.column("name"))
        op.execute(users.update().values(name=sa.func.lower(users.c.name)))
        """,
        """
        session = Session(bind=op.get_bind())
        for user in session.query(User):
            user.name = user.name.strip()
        session.commit()
        """,
        "op.execute(\"SELECT setval('users_id_seq', (SELECT max(id) FROM users))\")",
        """
        op.execute("ALTER TABLE users DISABLE TRIGGER audit")
        op.execute("UPDATE users SET name = '' WHERE name IS NULL")
        op.execute("ALTER TABLE users ENABLE TRIGGER audit")
        """,
        # the post-award data store validates constraints it made NOT VALID before
        """
        for table in ["users", "orders"]:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_dates")
        """,
        # ggrc maps old slugs to new ones in temporary tables: the session's own
        """
        op.execute("CREATE TEMPORARY TABLE slugs (old varchar(250), new varchar(250))")
        op.execute("INSERT INTO slugs SELECT slug, concat('R-', id) FROM users")
        op.execute("UPDATE users u JOIN slugs s ON s.old = u.slug SET u.slug = s.new")
        op.execute("DROP TEMPORARY TABLE slugs")
        """,
        # a placeholder revision whose upgrade itself cannot run
        "raise NotImplementedError()",
        """
        if skip_legacy(op):
            return
        """,
        """
        users = sa.table("users", sa.column("name"))
        op.get_bind().execute(sa.insert(users).values(name="admin"))
        """,
        # hypothesis/h: rows deleted and read through a session's scalars()
        """
        session = sessionmaker()(bind=op.get_bind())
        users = sa.table("users", sa.column("id"), sa.column("name"))
        ids = session.scalars(sa.delete(users).where(users.c.name == "").returning(users.c.id))
        log.info("deleted %d", len(ids.all()))
        """,
        """
        db = sessionmaker()(bind=op.get_bind())
        for user in db.scalars(sa.select(User).where(User.name == None)):
            user.groups.append(default_group)
        db.commit()
        """,
        # WALLY: rows given to a session a sessionmaker made, one by one
        """
        SessionMaker = sessionmaker(bind=op.get_bind().engine)
        session = SessionMaker(bind=op.get_bind())
        for feature in features():
            session.add(Tile(filename=feature.name))
        session.commit()
        """,
        """
        session = sessionmaker()(bind=op.get_bind())
        session.delete(session.get(User, 1))
        """,
        # Cinder: the ORM's query.scalar() runs the query it ends, not a statement
        """
        session = sa.orm.Session(bind=op.get_bind())
        if not session.query(sa.exists().where(User.name == "default")).scalar():
            session.add(User(name="default"))
        """,
        # TrueNTH: rows changed through Flask-SQLAlchemy's session on the extension object
        """
        from portal.database import db
        from portal.models.user import User
        sys_user = User.query.filter_by(email="__system__").one()
        sys_user.password = "x"
        db.session.commit()
        """,
        """
        from portal.database import db
        from portal.models.identifier import Identifier
        db.session.add(Identifier(system="s", value="v"))
        db.session.commit()
        """,
        # privileges, roles and publications: nothing of a table to put back (Skyvern,
        # SurfSense), also in a code block, past its declarations, RAISE and PERFORM
        'op.execute("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO app")',
        """
        op.execute('''
            DO $$
            DECLARE
                slot RECORD;
            BEGIN
                FOR slot IN SELECT slot_name FROM pg_replication_slots LOOP
                    PERFORM pg_drop_replication_slot(slot.slot_name);
                END LOOP;
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync') THEN
                    REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM sync;
                    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM sync', current_database());
                    REASSIGN OWNED BY sync TO CURRENT_USER;
                    DROP ROLE sync;
                END IF;
                DROP PUBLICATION IF EXISTS sync_all;
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'cleanup failed: %', SQLERRM;
            END
            $$;
        ''')
        """,
        # renku's 75c83dd9d619: a scratch column carries ids while rows are copied, then
        # goes; a scratch table the same
        """
        op.add_column("users", sa.Column("tmp_id", sa.String(30)))
        op.execute("INSERT INTO users (id, tmp_id) SELECT id + 100, id FROM users")
        with op.batch_alter_table("users") as batch_op:
            batch_op.drop_column("tmp_id")
        op.create_table("scratch", sa.Column("id", sa.Integer()))
        op.drop_table("scratch")
        """,
        # a connection, a context or an inspector bound to a name changes nothing
        "connection = op.get_bind()  # noqa",
        # nor a literal bound to a name (contentdb kept the options of a call it
        # commented out)
        """
        conn = op.get_bind()
        options = {"weights": {"name": "A", "title": "B"}}
        # sync_trigger(conn, "package", "search_vector", ["name"], options=options)
        """,
        "context = op.get_context()\ninspector = sa.inspect(op.get_bind())",
        # Rhesis's e5f6a7b8c9d0: row level security off around a backfill, then on again
        """
        conn = op.get_bind()
        conn.execute(sa.text("ALTER TABLE project_membership DISABLE ROW LEVEL SECURITY"))
        conn.execute(sa.text("INSERT INTO project_membership SELECT id FROM users"))
        conn.execute(sa.text('ALTER TABLE "Project_Membership" ENABLE ROW LEVEL SECURITY;'))
        op.execute("ALTER TABLE users NO FORCE ROW LEVEL SECURITY")
        op.execute("UPDATE users SET name = 'x'")
        op.execute("ALTER TABLE users FORCE  ROW LEVEL SECURITY")
        """,
        # a data fix that refuses to run on what it counted first
        """
        bad = op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE name IS NULL"))
        if bad.scalar():
            raise RuntimeError("fix the names first")
        op.execute("UPDATE users SET name = lower(name)")
        """,
    ],
)
def test_upgrades_that_change_no_schema(history: History, upgrade: str) -> None:
    users_history(history)
    add(history, "b2", "a1", upgrade)
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("upgrade", "confidence"),
    [
        ('op.execute("ALTER TABLE users ADD COLUMN nick text")', "high"),
        ('op.execute("GRANT SELECT ON users TO app; ALTER TABLE users OWNER TO app")', "high"),
        # in a code block: a statement that is none of those, SQL built at run time
        (
            'op.execute("DO $$ BEGIN GRANT SELECT ON users TO app; '
            'ALTER TABLE users ADD n int; END $$")',
            "high",
        ),
        ('op.execute("DO $$ DECLARE n int; BEGIN n := 1; END $$")', "high"),
        (
            "op.execute(\"DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD n int', 'users'); "
            'END $$")',
            "high",
        ),
        ("op.execute(build_ddl())", "medium"),
        # switched off and never on again, or on for another table
        ('op.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")', "high"),
        (
            'op.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")\n'
            'op.execute("ALTER TABLE groups ENABLE ROW LEVEL SECURITY")',
            "high",
        ),
        # an enum label added IF NOT EXISTS: PostgreSQL cannot drop it, and the empty
        # downgrade leaves it (judged real in 19 labelled places: SurfSense, SkyPortal, ...)
        ("op.execute(\"ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh'\")", "high"),
        ('op.get_bind().scalar(sa.text("ALTER TABLE users ADD COLUMN nick text"))', "high"),
        ("apply_shared_migration(op.get_bind())", "low"),
        ("connection = op.get_bind()\napply_shared_migration(connection)", "low"),
        ("from shared import apply as run\nmigrate = run\nmigrate(op.get_bind())", "low"),
        # the session of something else than the extension object: not known to be rows
        ("from portal import app\napp.session.close()", "low"),
    ],
)
def test_upgrades_that_change_or_may_change_the_schema(
    history: History, upgrade: str, confidence: str
) -> None:
    users_history(history)
    add(history, "b2", "a1", upgrade)
    [finding] = history.run(check)
    assert finding.confidence == confidence


@pytest.mark.parametrize(
    ("helper", "reported"),
    [
        ('def mark(revision):\n    open("/tmp/m", "a").write(revision)\n', False),
        ('def mark(revision):\n    op.add_column("users", sa.Column("n", sa.Integer()))\n', True),
    ],
)
def test_an_upgrade_that_only_calls_a_project_function(
    history: History, helper: str, reported: bool
) -> None:
    """Mycodo's upgrade() only calls a function of its project, which appends the
    revision to a file: read from its source, it changes no schema. One that adds a
    column is still reported, with low confidence."""
    (history.root / "post_utils.py").write_text(helper)
    users_history(history)
    add(history, "b2", "a1", "from post_utils import mark\nmark(revision)")
    found = history.run(check)
    assert [f.confidence for f in found] == (["low"] if reported else [])


_RETURNED_SQL = """

def fix_query(table_name, column="last_update"):
    \"\"\"One table's statement.\"\"\"
    return (
        "UPDATE `{tb}` SET {col} = DATE_FORMAT(STR_TO_DATE({col}, '{src}'), '{dst}')"
        " WHERE {col} LIKE '%/%';".format(tb=table_name, col=column, src=SRC, dst=DST)
    )


def drop_query(table_name):
    return f"DROP TABLE {table_name}"


SRC = "%d/%m/%Y"
DST = "%Y-%m-%d"
"""


def test_sql_a_function_of_the_file_returns_is_read(history: History) -> None:
    """art17-consultation's 0026 rewrites dates with UPDATEs that a function of the file
    builds and returns: data only, not "SQL built at run time"; a function returning a
    DROP changes the schema, known for sure."""
    users_history(history)
    fixes = add(history, "b2", "a1", 'op.execute(fix_query("users"))\nop.execute(fix_query("t"))')
    drops = add(history, "c3", "b2", "op.execute(drop_query(table_name='orders'))")
    for display in (fixes, drops):
        path = history.root / display
        path.write_text(path.read_text() + _RETURNED_SQL)
    [finding] = history.run(check)
    assert (finding.path, finding.confidence) == (drops, "high")
    assert "changes the schema" in finding.message


def test_a_column_added_and_a_column_dropped_change_the_schema(history: History) -> None:
    """Only a drop of what the same upgrade added undoes it: a column dropped first and
    added back, or another column dropped, is a change a downgrade must put back."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.drop_column("users", "name")\nop.add_column("users", sa.Column("name", sa.Text()))',
    )
    add(
        history,
        "c3",
        "b2",
        'op.add_column("users", sa.Column("a", sa.Text()))\nop.drop_column("users", "name")',
    )
    assert [f.path for f in history.run(check)] == ["versions/b2_m.py", "versions/c3_m.py"]


def test_sql_escaped_for_the_drivers_paramstyle_keeps_its_kind(history: History) -> None:
    """RefStack's openid fix builds DELETE and UPDATE statements with `%`, then escapes
    them with `.replace("%", "%%")` for the driver, which gives the text back as it was:
    data only, not "SQL built at run time". An ALTER escaped so changes the schema; any
    other replace() may change the statement, so its SQL stays unknown."""
    users_history(history)
    fix = """conn = op.get_bind()
query = "delete from users where name='%s'" % (new_name,)
conn.execute(query.replace('%', '%%'))
query = ("update users set name='%s' where name='%s'" % (new_name, old_name))
conn.execute(query.replace("%", "%%"))
"""
    add(history, "b2", "a1", fix)
    alter = 'op.execute(("ALTER TABLE %s DROP COLUMN name" % table).replace("%", "%%"))'
    altered = add(history, "c3", "b2", alter)
    swapped = add(history, "d4", "c3", fix.replace("'%', '%%'", "'users', table"))
    found = {f.path: f.confidence for f in history.run(check)}
    assert found == {altered: "high", swapped: "medium"}
