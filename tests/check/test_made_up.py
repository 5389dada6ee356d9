"""check.made_up: which failures of an added constraint are the made-up values' doing."""

from __future__ import annotations

import sqlite3

import pg8000.dbapi
import pymysql
import pytest
import sqlalchemy as sa

from alembic_gate.check import made_up
from alembic_gate.check.seeding import identifiers

DO_CHECK = """
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'ck_level') THEN
            ALTER TABLE users ADD CONSTRAINT ck_level CHECK (level >= 10);
        END IF;
    END
    $$;
"""


@pytest.mark.parametrize(
    ("statement", "copying", "table"),
    [
        (
            "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY(org_id) REFERENCES orgs (id)",
            0,
            "users",
        ),
        ('ALTER TABLE ONLY app."Users" ADD UNIQUE (code)', 0, "users"),
        ("ALTER TABLE `users` ADD CONSTRAINT ck CHECK (level >= 10)", 0, "users"),
        ("ALTER TABLE users VALIDATE CONSTRAINT fk", 0, "users"),
        ("CREATE UNIQUE INDEX ix ON users (code)", 0, "users"),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY s.users (code)", 0, "users"),
        (
            "INSERT INTO _alembic_tmp_users (id, code) SELECT users.id, users.code FROM users",
            1,
            "users",
        ),
        # The statement puts values of its own into the rows: the failure is its own.
        ("ALTER TABLE users ADD COLUMN code VARCHAR(10) DEFAULT 'x' UNIQUE", 0, None),
        ("ALTER TABLE users MODIFY org_id INTEGER NOT NULL, ADD UNIQUE (org_id)", 0, None),
        # ... or only says DEFAULT for rows to come.
        ("ALTER TABLE c ADD FOREIGN KEY(p) REFERENCES p (id) ON DELETE SET DEFAULT", 0, "c"),
        ("ALTER TABLE users ALTER COLUMN age SET NOT NULL", 0, None),
        ("ALTER TABLE users ADD COLUMN org_id INTEGER", 0, None),
        ("INSERT INTO _alembic_tmp_users (id) SELECT id FROM users", 0, None),
        ("INSERT INTO users (id) VALUES (1)", 1, None),
        ("CREATE INDEX ix ON users (code)", 0, None),
        # The one statement of a DO block (zou's idempotent migrations), as that statement.
        (DO_CHECK, 0, "users"),
        (
            "DO $$ BEGIN ALTER TABLE users ADD UNIQUE (code); "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
            0,
            "users",
        ),
        (
            "DO $$ BEGIN UPDATE users SET level = 20; "
            "ALTER TABLE users ADD CHECK (level > 9); END $$",
            0,
            None,
        ),
        ("DO $$ BEGIN ALTER TABLE users ALTER level TYPE INTEGER USING 0; END $$", 0, None),
    ],
)
def test_constrained(statement: str, copying: int, table: str | None) -> None:
    assert made_up.constrained(statement, bool(copying)) == table


@pytest.mark.parametrize(
    ("statement", "written"),
    [
        ("INSERT INTO users (id, org_id) VALUES (100, 999)", True),
        ("INSERT INTO public.users (id) SELECT id FROM orgs", True),
        ("UPDATE users SET org_id = 1 WHERE id = 2", True),
        ("ALTER TABLE users ADD COLUMN code VARCHAR(10) DEFAULT 'x'", True),
        ("ALTER TABLE users ALTER COLUMN age TYPE INTEGER USING 0", True),
        ("ALTER TABLE users MODIFY age INTEGER NOT NULL", True),
        # A batch's copy copies values; these change no row.
        ("INSERT INTO _alembic_tmp_users (id) SELECT id FROM users", False),
        ("ALTER TABLE users ALTER COLUMN age SET DEFAULT 5", False),
        ("ALTER TABLE users ADD COLUMN age INTEGER", False),
        ("CREATE TABLE _alembic_tmp_users (id INTEGER NOT NULL, n INTEGER DEFAULT '0')", False),
        ("INSERT INTO orgs (id) SELECT org_id FROM users", False),
        ("SELECT * FROM users", False),
        # A DO block writes with any statement it runs.
        ("DO $$ BEGIN IF true THEN UPDATE users SET level = 20; END IF; END $$", True),
        ("DO $$ BEGIN ALTER TABLE users ALTER level TYPE INTEGER USING 0; END $$", True),
        (DO_CHECK, False),
    ],
)
def test_written_names(statement: str, written: bool) -> None:
    names = made_up.written_names(statement, statement[:12].upper(), identifiers(statement))
    assert ("users" in names) is written


def test_violation_of_each_database() -> None:
    assert made_up.violation(pymysql.err.IntegrityError(1452, "a child row")) == "foreign key"
    assert made_up.violation(pymysql.err.IntegrityError(1062, "Duplicate entry")) == "unique"
    assert made_up.violation(pymysql.err.OperationalError(4025, "CONSTRAINT `ck`")) == "check"
    assert made_up.violation(pymysql.err.OperationalError(1265, "Data truncated")) is None
    unique = sqlite3.IntegrityError("UNIQUE constraint failed: _alembic_tmp_users.code")
    assert made_up.violation(unique) == "unique"
    assert made_up.violation(sqlite3.IntegrityError("NOT NULL constraint failed: t.a")) is None

    class Psycopg(Exception):
        sqlstate = "23503"

    class Psycopg2(Exception):
        pgcode = "23502"  # not_null_violation: a NULL refused is no constraint's guess

    assert made_up.violation(Psycopg("violates foreign key")) == "foreign key"
    assert made_up.violation(Psycopg2("null value")) is None
    # pg8000: the server's fields, the SQLSTATE under 'C'
    fields = {"S": "ERROR", "C": "23503", "M": "insert or update on table"}
    assert made_up.violation(pg8000.dbapi.ProgrammingError(fields)) == "foreign key"
    nulls = {"S": "ERROR", "C": "23502", "M": "null value"}
    assert made_up.violation(pg8000.dbapi.ProgrammingError(nulls)) is None


def test_schema_error_of_each_database() -> None:
    """Errors no row causes (the round trip's AG903 stays one beside uncleared rows)."""
    assert made_up.schema_error(pymysql.err.OperationalError(1054, "Unknown column 'x'"))
    assert not made_up.schema_error(pymysql.err.OperationalError(1265, "Data truncated"))
    assert made_up.schema_error(sqlite3.OperationalError("no such column: nosuch"))
    assert not made_up.schema_error(sqlite3.IntegrityError("NOT NULL constraint failed: t.a"))
    cast = {"S": "ERROR", "C": "42804", "M": 'column "period" cannot be cast'}
    assert made_up.schema_error(pg8000.dbapi.ProgrammingError(cast))

    class Psycopg(Exception):
        sqlstate = "42804"  # datatype_mismatch: cannot be cast automatically

    class Psycopg2(Exception):
        pgcode = "23502"

    assert made_up.schema_error(Psycopg("cannot be cast automatically to type interval"))
    assert not made_up.schema_error(Psycopg2("null value"))


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        # Rows added beside the ones there: seeding's rows stay as it made them.
        ("INSERT INTO users (id, org_id) VALUES (100, 999)", "users"),
        ('INSERT INTO "Users" (id) SELECT id FROM orgs', "users"),
        ("INSERT IGNORE INTO `users` (id) VALUES (1)", "users"),
        # These may change rows already there, or are a batch's copy.
        ("INSERT INTO users (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET n = 2", None),
        ("INSERT INTO users (id) VALUES (1) ON DUPLICATE KEY UPDATE n = 2", None),
        ("REPLACE INTO users (id) VALUES (1)", None),
        ("INSERT OR REPLACE INTO users (id) VALUES (1)", None),
        ("INSERT INTO _alembic_tmp_users (id) SELECT id FROM users", None),
        ("UPDATE users SET n = 1", None),
    ],
)
def test_inserted_into(statement: str, table: str | None) -> None:
    assert made_up.inserted_into(statement) == table


@pytest.mark.parametrize(
    ("columns", "rows", "made"),
    [
        # One key column (a quote in a value), and a key of two.
        (["k"], [("o'k",), ("b",), ("c",)], {("o'k",), ("c",)}),
        (["a", "b"], [(1, "x"), (1, "y"), (2, "x")], {(1, "y"), (2, "x")}),
        # Keys of bytes (a BLOB never equals text; bytes that are no UTF-8).
        (["h"], [(b"ab",), (b"\xff\x00",), (b"cd",)], {(b"ab",), (b"\xff\x00",)}),
    ],
)
def test_rows_deletion_deletes_those_rows_only(
    columns: list[str], rows: list[tuple[object, ...]], made: set[tuple[object, ...]]
) -> None:
    """The DELETE of seeding's rows, by their keys, on a real SQLite database."""
    types = {"k": sa.String(10), "a": sa.Integer(), "b": sa.String(10), "h": sa.LargeBinary(16)}
    table = sa.Table(
        "t", sa.MetaData(), *[sa.Column(c, types[c], primary_key=True) for c in columns]
    )
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        deletion = made_up.Rows(table, made).deletion(conn.dialect)
        assert deletion is not None
        conn.exec_driver_sql(deletion)
        left = {tuple(row) for row in conn.execute(sa.select(*table.c))}
    assert left == set(rows) - made


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("UPDATE users SET level = 20", {"users": {"level"}}),
        ("UPDATE users SET level=%(level)s WHERE users.id = %(id)s", {"users": {"level"}}),
        (
            "UPDATE IGNORE `users` SET `level` = 5, code = 'a, b' LIMIT 1",
            {"users": {"level", "code"}},
        ),
        (
            'update only app."Users" u set u.level = f(a, b), "Code" = \'x where\' where id = 1',
            {"users": {"level", "code"}},
        ),
        ("UPDATE users AS u SET (level, code) = (1, 'a') FROM orgs", {"users": {"level", "code"}}),
        (
            "UPDATE users SET level = CASE WHEN a = 1 THEN 2 END, code = 'c'",
            {"users": {"level", "code"}},
        ),
        # Several tables (MySQL, MariaDB): each gets the columns set in it; a column
        # named alone may be either's.
        ("UPDATE users, orgs SET users.level = 1", {"users": {"level"}}),
        ("UPDATE users u JOIN orgs o ON o.id = u.org_id SET u.level = 1", {"users": {"level"}}),
        (
            "UPDATE LOW_PRIORITY app.users AS u INNER JOIN `orgs` o USING (org_id) "
            "LEFT OUTER JOIN plans ON plans.id = o.plan_id AND (o.x = 1) "
            "SET u.level = o.level, `o`.`name` = 'a, b', app.users.code = NULL WHERE o.id = 2",
            {"users": {"level", "code"}, "orgs": {"name"}},
        ),
        ("UPDATE users u, orgs o SET level = 1", {"users": {"level"}, "orgs": {"level"}}),
        # A derived table, an unknown table, rows a conflict may delete: not read so.
        ("UPDATE users u JOIN (SELECT 1 AS id) o ON o.id = u.id SET u.level = 1", None),
        ("UPDATE users u JOIN orgs o ON o.id = u.org_id SET x.level = 1", None),
        ("UPDATE OR REPLACE users SET level = 1", None),
        ("UPDATE users SET level = 1 -- , code = 'a'", {"users": {"level"}}),
        ("-- backfill\nUPDATE users SET level = 1", {"users": {"level"}}),
        ("/* a */ UPDATE /* b */ users SET level = 1", {"users": {"level"}}),
        (
            "WITH RECURSIVE x (n) AS (SELECT 1), y AS NOT MATERIALIZED (SELECT 2) "
            "UPDATE users SET level = (SELECT n FROM x)",
            {"users": {"level"}},
        ),
        # A WITH clause that writes rows itself: not read so.
        ("WITH d AS (DELETE FROM orgs RETURNING id) UPDATE users SET org_id = NULL", None),
        ("UPDATE users SET level + 1", None),
    ],
)
def test_updated_columns(statement: str, found: dict[str, set[str]] | None) -> None:
    assert made_up.updated_columns(statement) == found


def test_rows_nulling_sets_those_rows_columns_only() -> None:
    """The UPDATE that sets seeding's values to NULL, by their keys, on a real SQLite
    database: the other rows and the other columns keep theirs."""
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("k", sa.String(10), primary_key=True),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.Column("c", sa.Integer, nullable=False),
    )
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"k": k, "a": 1, "b": 2, "c": 3} for k in ("o'k", "b")])
        made = made_up.Rows(table, {("o'k",)})
        assert made.nullable == ["a", "b"]
        assert made.nulling(conn.dialect, []) is None
        nulling = made.nulling(conn.dialect, ["a"])
        assert nulling is not None
        conn.exec_driver_sql(nulling)
        left = {tuple(row) for row in conn.execute(sa.select(*table.c))}
    assert left == {("o'k", None, 2, 3), ("b", 1, 2, 3)}


@pytest.mark.parametrize(
    ("statement", "tables"),
    [
        # conda-store's copy: `build` is a column, not the table of that name
        (
            "INSERT INTO conda_package_build (md5, build, channel_id) SELECT DISTINCT ON("
            "channel_id, build) cp.md5, cp.build, cp.channel_id FROM conda_package cp "
            "LEFT JOIN conda_package_tmp tmp ON cp.channel_id = tmp.channel_id",
            {"conda_package_build", "conda_package", "conda_package_tmp"},
        ),
        (
            "ALTER TABLE ONLY app.users ADD CONSTRAINT fk FOREIGN KEY(org_id) REFERENCES orgs (id)",
            {"users", "orgs"},
        ),
        ("CREATE UNIQUE INDEX IF NOT EXISTS ix ON ONLY s.users (code)", {"users"}),
        (
            'UPDATE users u SET level = 1 FROM orgs o, "Teams" AS t WHERE u.org_id = o.id',
            {"users", "orgs", "teams"},
        ),
        ("UPDATE users JOIN orgs ON users.org_id = orgs.id SET users.level = 1", {"users", "orgs"}),
        ("DELETE FROM users USING orgs WHERE users.org_id = orgs.id", {"users", "orgs"}),
        ("TRUNCATE users, orgs", {"users", "orgs"}),
        ("ALTER TABLE _alembic_tmp_users RENAME TO users", {"_alembic_tmp_users", "users"}),
        ("RENAME TABLE users TO people", {"users", "people"}),
        ("DROP TABLE IF EXISTS users, orgs", {"users", "orgs"}),
        ("ALTER TABLE users ALTER COLUMN level TYPE INTEGER USING level::integer", {"users"}),
        (
            "WITH x AS (SELECT id FROM orgs) UPDATE users SET level = 1 FROM x",
            {"orgs", "users", "x"},
        ),
        ("/* a */ INSERT INTO users (id) VALUES (1) -- orgs", {"users"}),
        # the SQL does not say
        (DO_CHECK, None),
        ("CALL refresh_orgs()", None),
    ],
)
def test_tables_named(statement: str, tables: set[str] | None) -> None:
    assert made_up.tables_named(statement) == tables
