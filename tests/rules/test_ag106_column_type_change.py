from __future__ import annotations

import pytest

from alembic_gate.findings import Finding, Report
from alembic_gate.reporters.common import fingerprints
from alembic_gate.rules.ag106_column_type_change import check

from .ag1xx_helpers import (
    CREATE_MYSQL_USERS,
    CREATE_USERS,
    add,
    add_named,
    line_of,
    migration,
    users_history,
    with_base,
)
from .conftest import History


def test_type_change(history: History) -> None:
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.alter_column("users", "id",
                   existing_type=sa.INTEGER(),
                   type_=sa.BigInteger(),
                   existing_nullable=False)
        """,
    )
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG106", "warning")
    assert finding.line == line_of(history, path, "op.alter_column")
    assert 'the type of "users.id" to sa.BigInteger()' in finding.message


def test_batch_type_change(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users") as batch_op:
            batch_op.alter_column("name", type_=sa.Integer())
        """,
    )
    [finding] = history.run(check)
    assert '"users.name" to sa.Integer()' in finding.message


def test_existing_type_alone_is_no_change(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", 'op.alter_column("users", "name", existing_type=sa.VARCHAR(50))')
    add(
        history,
        "c3",
        "b2",
        CREATE_USERS.replace("users", "t") + 'op.alter_column("t", "id", type_=sa.BigInteger())',
    )
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("sa.VARCHAR(length=50)", "sa.String(length=100)"),  # longer
        ("sa.VARCHAR(length=50)", "sa.String()"),  # no limit
        ("sa.VARCHAR(length=50)", "sa.Text()"),  # binary coercible
        ("sa.TEXT()", "sa.Unicode()"),  # binary coercible
        ("sa.Numeric(8, 5)", "sa.Numeric()"),  # no limit
        ("sa.NUMERIC(precision=8, scale=2)", "sa.Numeric(12, 2)"),  # more digits, same scale
        ("postgresql.CIDR()", "postgresql.INET()"),  # binary coercible
        ("sa.String(length=50)", "sa.VARCHAR(50)"),  # the same type, written otherwise
        ("sa.BOOLEAN()", "sa.types.Boolean(create_constraint=True)"),  # a CHECK added
        ("sa.String(32)", 'sa.String(32, collation="C")'),  # the indexes rebuilt, no rows
        ("sa.VARCHAR()", "citext.CIText()"),  # binary coercible (open-event-server)
        ("sa.String(length=50)", "postgresql.CITEXT()"),
        ("citext.CIText()", "sa.Text()"),
        ("sa.REAL()", "sa.Float(precision=3, asdecimal=1)"),  # FLOAT(3) is REAL (faraday)
        ("sa.Float()", "postgresql.DOUBLE_PRECISION()"),
    ],
)
def test_changes_postgresql_makes_without_a_rewrite(
    history: History, existing: str, new: str
) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        f'op.alter_column("users", "name", existing_type={existing}, type_={new})',
    )
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("sa.VARCHAR(length=100)", "sa.String(length=50)"),  # shorter: every row is checked
        ("sa.TEXT()", "sa.String(length=50)"),
        ("sa.Numeric(8, 5)", "sa.Numeric(12, 2)"),  # another scale
        ("sa.String()", "postgresql.JSONB()"),
        ("citext.CIText()", "sa.String(length=50)"),  # a limit: every row is checked
        ("sa.REAL()", "sa.Float()"),  # FLOAT without a precision is DOUBLE PRECISION
    ],
)
def test_changes_that_rewrite_the_table(history: History, existing: str, new: str) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        f'op.alter_column("users", "name", existing_type={existing}, type_={new})',
    )
    [finding] = history.run(check)
    assert finding.confidence == "high"


def test_the_old_type_comes_from_the_history(history: History) -> None:
    users_history(history)  # users.name is sa.String(length=50)
    add(history, "b2", "a1", 'op.alter_column("users", "name", type_=sa.String(length=50))')
    add(history, "c3", "b2", 'op.alter_column("users", "name", type_=sa.String(length=200))')
    add(history, "d4", "c3", 'op.alter_column("users", "name", type_=sa.String(length=20))')
    assert [f.path for f in history.run(check)] == ["versions/d4_m.py"]
    # a column the history does not create: the old type is not known here
    add(history, "e5", "d4", 'op.alter_column("users", "bio", type_=sa.Text())')
    medium = [f for f in history.run(check) if f.path == "versions/e5_m.py"]
    assert [(f.confidence, "the old type is not known here" in f.message) for f in medium] == [
        ("medium", True)
    ]


def test_a_stale_existing_type_restating_the_type_the_history_gave(history: History) -> None:
    # octavia's 62816c232310: a later revision copies an alter_column with the old
    # existing_type to make the column NOT NULL; the type is the one it already has
    users_history(history)
    change = 'op.alter_column("users", "id", existing_type=sa.INTEGER(), type_=sa.BigInteger()'
    add(history, "b2", "a1", change + ")")
    add(history, "c3", "b2", change + ", nullable=False)")
    assert [f.path for f in history.run(check)] == ["versions/b2_m.py"]
    # a type other than the one the history gave it is still a change
    add(history, "d4", "c3", change.replace("BigInteger", "Numeric") + ")")
    assert [f.path for f in history.run(check)] == ["versions/b2_m.py", "versions/d4_m.py"]


def test_an_old_type_the_history_never_gave_is_taken_at_its_word(history: History) -> None:
    # the old length was set outside the migrations (create_all): the author knows it
    users_history(history)  # users.name is sa.String(length=50)
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.String(60), '
        "type_=sa.String(50), nullable=False)",
    )
    [finding] = history.run(check)
    assert finding.path == "versions/b2_m.py"


def test_an_existing_type_read_at_run_time_is_no_type(history: History) -> None:
    # cinder's c92a3e68beed and b8660621f1b9: `existing_type=` is a reflected column's
    # type (`col.type`, a local `existing_type`), a value, not a type named "type"; the
    # old type then comes from the history
    add(history, "a1", None, CREATE_MYSQL_USERS)
    path = add(
        history,
        "b2",
        "a1",
        """
        table = sa.Table("users", sa.MetaData(), autoload_with=op.get_bind())
        op.alter_column("users", "id", existing_type=table.c.id.type, type_=sa.Integer(),
                        nullable=True)
        existing_type = table.c.name.type
        op.alter_column("users", "name", existing_type=existing_type, type_=sa.String(300))
        """,
    )
    [finding] = history.run(check)  # the id restates its type; the name gets longer
    assert (finding.line, finding.confidence) == (line_of(history, path, '"name"'), "low")
    assert "crosses 255 bytes" in finding.message


@pytest.mark.parametrize(
    ("collation", "longer", "reported"),
    [
        ("latin1_swedish_ci", 80, False),  # 80 bytes: one length byte before and after
        ("latin1_swedish_ci", 300, True),
        ("utf8mb4_unicode_ci", 80, True),  # 320 bytes: a second length byte
        ("utf8mb4_unicode_ci", 60, False),  # 240 bytes
        ("utf8mb3_general_ci", 80, False),  # 240 bytes
        ("utf8mb3_general_ci", 100, True),
        ("ascii_bin", 250, False),
        ("", 80, True),  # no collation named: its character set may take 4 bytes
        ("klingon_ci", 80, True),  # a character set not known here: as unnamed
    ],
)
def test_a_widening_within_a_named_character_set_on_mysql(
    history: History, collation: str, longer: int, reported: bool
) -> None:
    """TrapTagger's 8b07f1a39293 widens VARCHAR(32) to 80 with `latin1_swedish_ci` on
    both sides: one byte a character, so the length keeps its one byte and MySQL widens
    it in place (measured on MariaDB 10.11: tests/rules/test_ag106_mariadb.py)."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    given = f', collation="{collation}"' if collation else ""
    add(
        history,
        "b2",
        "a1",
        f'op.alter_column("users", "name", existing_type=mysql.VARCHAR(32{given}), '
        f"type_=mysql.VARCHAR({longer}{given}))",
    )
    found = history.run(check)
    assert bool(found) is reported
    if reported:
        assert found[0].confidence == "low"
        assert "crosses 255 bytes" in found[0].message


def test_a_widening_into_another_character_set_on_mysql(history: History) -> None:
    """VARCHAR(300) latin1 to VARCHAR(400) utf8mb4: both lengths take two bytes, but the
    values are converted to the other character set, which MySQL does by copying the
    table; the same widening within one collation is in place."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    for collations, reported in [
        (("latin1_swedish_ci", "utf8mb4_unicode_ci"), True),
        (("utf8mb4_unicode_ci", "utf8mb4_unicode_ci"), False),
    ]:
        old, new = collations
        add(
            history,
            "b2",
            "a1",
            f'op.alter_column("users", "name", existing_type=mysql.VARCHAR(300, '
            f'collation="{old}"), type_=mysql.VARCHAR(400, collation="{new}"))',
        )
        found = history.run(check)
        assert bool(found) is reported, collations
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=mysql.VARCHAR(300, '
        'collation="latin1_swedish_ci"), type_=mysql.VARCHAR(400, collation="utf8mb4_bin"))',
    )
    [finding] = history.run(check)
    assert "changing a collation copies the table on MySQL" in finding.message


def test_a_collation_change_on_a_mysql_history(history: History) -> None:
    # MLflow's f4a9b2c7d1e6: the same VARCHAR(128) with a case-sensitive collation
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.String(50), '
        'type_=mysql.VARCHAR(50, collation="utf8mb4_bin"))',
    )
    [finding] = history.run(check)
    assert finding.confidence == "high"
    assert "changing a collation copies the table on MySQL" in finding.message


def test_real_to_float_on_a_mysql_history(history: History) -> None:
    # MySQL's REAL is DOUBLE, its FLOAT(3) a four-byte FLOAT: the table is copied
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.REAL(), type_=sa.Float(precision=3))',
    )
    [finding] = history.run(check)
    assert finding.confidence == "high"


@pytest.mark.parametrize(
    ("existing", "new", "reported"),
    [
        # dds_web: autogenerate compares a reflected TINYBLOB with LargeBinary(12), which
        # MySQL stores as TINYBLOB again
        ("mysql.TINYBLOB()", "sa.LargeBinary(length=12)", False),
        ("mysql.TINYBLOB()", "sa.LargeBinary(255)", False),
        ("mysql.MEDIUMBLOB()", "sa.LargeBinary(length=100_000)", False),
        ("sa.LargeBinary(length=20)", "mysql.TINYBLOB()", False),
        ("mysql.TINYTEXT()", "sa.Text(length=60)", False),  # at most 240 bytes
        ("mysql.LONGTEXT()", "sa.Text(length=20_000_000)", False),
        ("mysql.TINYBLOB()", "sa.LargeBinary(length=256)", True),  # a BLOB: copied
        ("mysql.TINYBLOB()", "sa.LargeBinary()", True),
        ("mysql.TINYTEXT()", "sa.Text(length=100)", True),  # TEXT in utf8mb4
        ("mysql.TEXT()", "mysql.MEDIUMTEXT()", True),
        # neither names a type MySQL alone has: judged as written
        ("sa.LargeBinary(length=12)", "sa.LargeBinary(length=20)", True),
    ],
)
def test_blob_and_text_types_mysql_stores_as_the_same_type(
    history: History, existing: str, new: str, reported: bool
) -> None:
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(
        history,
        "b2",
        "a1",
        f'op.alter_column("users", "name", existing_type={existing}, type_={new})',
    )
    assert bool(history.run(check)) == reported


@pytest.mark.parametrize(
    ("named", "reported"),
    [
        (CREATE_MYSQL_USERS, True),  # the history names MySQL only
        (CREATE_MYSQL_USERS.replace('"InnoDB",', '"InnoDB", postgresql_with_oids=False,'), True),
        (CREATE_USERS.replace('("id"),', '("id"), postgresql_with_oids=False,'), False),
    ],
)
def test_a_change_postgresql_makes_in_place_says_where_it_does_not(
    history: History, named: str, reported: bool
) -> None:
    """resultsdb's VARCHAR to TEXT, on a history that names MySQL (an index's
    `mysql_length`) as well as PostgreSQL: a copy of the table on MySQL only, and the
    message says so."""
    add(history, "a1", None, named)
    alter = 'op.alter_column("users", "name", existing_type=sa.VARCHAR(50), type_=sa.Text())'
    add(history, "b2", "a1", alter)
    findings = history.run(check)
    assert [f.message.endswith("new type (on MySQL)") for f in findings] == [True] * reported


def test_a_longer_varchar_on_a_mysql_history(history: History) -> None:
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.VARCHAR(50), type_=sa.String(100))',
    )
    [finding] = history.run(check)
    assert finding.confidence == "low"
    assert "crosses 255 bytes" in finding.message
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.VARCHAR(300), type_=sa.String(400))',
    )
    assert history.run(check) == []  # both lengths need two bytes: in place
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.VARCHAR(20), type_=sa.String(50))',
    )
    assert history.run(check) == []  # 200 bytes at most in utf8mb4: one byte, in place
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.VARCHAR(200), type_=sa.String(250))',
    )
    assert history.run(check) == []  # one byte in latin1, two in the others: before and after
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.VARCHAR(64), type_=sa.String(255))',
    )
    [finding] = history.run(check)  # one byte in utf8mb3 (192 bytes), then two (765)
    assert finding.confidence == "low"
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", existing_type=sa.VARCHAR(50), type_=sa.Text())',
    )
    [finding] = history.run(check)
    assert finding.confidence == "high"


def test_type_changes_written_as_sql(history: History) -> None:
    """ALTER TABLE ... ALTER [COLUMN] c [SET DATA] TYPE t [USING ...] run by execute():
    read against the type the history gave the column, as type_= is; a longer VARCHAR
    (SQL's `character varying`) is made in place on PostgreSQL, an integer widened is
    not."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute("ALTER TABLE users ALTER COLUMN name TYPE character varying(100)")
        op.execute("ALTER TABLE users ALTER id SET DATA TYPE bigint USING id::bigint")
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "SET DATA TYPE bigint")
    assert finding.message.startswith(
        'ALTER COLUMN ... TYPE (SQL run by execute()) changes the type of "users.id" to bigint'
    )


def _fingerprint(finding: Finding) -> str:
    [(_, digest)] = fingerprints(Report("lint", findings=[finding]))
    return digest


def test_fingerprint_does_not_hold_what_other_revisions_say(history: History) -> None:
    """The note " (the old type is not known here)" comes from the other revisions (here:
    whether a1 gave the column a type an earlier revision's op.* call states); in the
    message's only clause it changed the finding's fingerprint (SARIF, GitLab) with them."""
    add(history, "a1", None, 'op.execute("CREATE TABLE users (id int, name text)")')
    add(history, "b2", "a1", 'op.alter_column("users", "name", type_=sa.Integer())')
    [unknown] = history.run(check)
    add(history, "a1", None, CREATE_USERS)  # the same table, its types now stated
    [known] = history.run(check)
    assert "the old type is not known here" in unknown.message
    assert "the old type is not known here" not in known.message
    assert _fingerprint(known) == _fingerprint(unknown)


DIALECT_HELPER = '''"""per dialect, through a helper"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, mysql

revision = "b2"
down_revision = "a1"


def _change(new_type):
    for column in ("name", "email"):
        op.alter_column("users", column, existing_type=sa.String(50), type_=new_type)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "mysql":
        _change(mysql.VARCHAR(50, collation="utf8mb4_bin"))
    elif dialect == "mssql":
        _change(mssql.VARCHAR(50, collation="Latin1_General_CS_AS"))
'''


def test_one_line_given_a_type_per_dialect_is_one_finding_per_column(history: History) -> None:
    """MLflow's f4a9b2c7d1e6: a helper's alter_column, called once per dialect branch
    with that dialect's type, changes each column once on any database: one finding per
    column and line naming both types, not one per type (8 warnings for 4 columns)."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    path = history.write("b2_m.py", DIALECT_HELPER)
    found = history.run(check)
    assert [(f.line, f.message.split(":")[0]) for f in found] == [
        (
            line_of(history, path, "op.alter_column"),
            f'alter_column changes the type of "users.{column}" to '
            "mysql.VARCHAR(50, collation='utf8mb4_bin') or "
            "mssql.VARCHAR(50, collation='Latin1_General_CS_AS')",
        )
        for column in ("name", "email")
    ]


def test_a_revision_file_named_after_postgresql(history: History) -> None:
    """A history that keeps one revision per database names each file after its
    database (Dagster's `..._postgres.py` beside `..._mysql.py`): a longer VARCHAR in the
    PostgreSQL one is made in place, whatever other databases the history names."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    change = 'op.alter_column("users", "name", existing_type=sa.VARCHAR(50), type_=sa.Text())'
    add_named(history, "b2_text_postgres.py", "b2", "a1", change)
    assert history.run(check) == []
    add_named(history, "b2_text_postgres.py", "c3", "a1", change)
    add_named(history, "b2_text_mysql.py", "b2", "a1", change)
    [finding] = history.run(check)
    assert finding.path.endswith("b2_text_mysql.py")


def test_enum_values_appended_on_a_mysql_history(history: History) -> None:
    """sync-engine's sync states: values added at the end of an ENUM's list change only
    MySQL's metadata; values inserted before others, or removed, rebuild the table, and
    so does an ENUM change to another named type on a history that also names
    PostgreSQL. An ENUM with no name is none of PostgreSQL's: SQLAlchemy refuses to
    compile it there, so the call fails on PostgreSQL before it touches a row
    (StoryBoard)."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    old = 'sa.Enum("running", "stopped")'
    for new, reported in [
        ('sa.Enum("running", "stopped", "killed")', False),
        ('sa.Enum("killed", "running", "stopped")', True),
        ('sa.Enum("running")', True),
    ]:
        change = f'op.alter_column("users", "name", existing_type={old}, type_={new})'
        add(history, "b2", "a1", change)
        assert bool(history.run(check)) == reported, new
    add(history, "c3", "b2", "from sqlalchemy.dialects import postgresql\npostgresql.JSONB")
    appended = 'sa.Enum("running", "stopped", "killed")'
    change = f'op.alter_column("users", "name", existing_type={old}, type_={appended})'
    add(history, "b2", "a1", change)
    assert history.run(check) == []
    named = 'sa.Enum("running", "stopped", name="state")'
    for given, reported in [('name="state"', False), ('name="state_v2"', True)]:
        appended = f'sa.Enum("running", "stopped", "killed", {given})'
        change = f'op.alter_column("users", "name", existing_type={named}, type_={appended})'
        add(history, "b2", "a1", change)
        assert len(history.run(check)) == int(reported), given
    options = 'sa.Enum("running", "stopped", "killed", **STATE_OPTIONS)'  # may name it
    change = f'op.alter_column("users", "name", existing_type={old}, type_={options})'
    add(history, "b2", "a1", change)
    assert len(history.run(check)) == 1


def test_an_enum_bound_to_a_module_level_name_is_read_as_its_values(history: History) -> None:
    """neutron-vpnaas binds `new_auth` in each revision to that revision's ENUM: a type
    given by name is the call the file binds to it, so values removed are seen though
    the name is the one the earlier revision used, and values appended are not."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    change = 'op.alter_column("users", "name", type_=new_auth, existing_nullable=True)'

    def bind(rid: str, down: str, values: str) -> None:
        text = migration(rid, down, change) + f"\nnew_auth = sa.Enum({values}, name='auth')\n"
        history.write(f"{rid}_m.py", text)

    bind("b2", "a1", '"sha1", "sha256"')
    bind("c3", "b2", '"sha1", "sha256", "sha512"')
    assert [f.path.endswith("b2_m.py") for f in history.run(check)] == [True]  # from VARCHAR
    bind("c3", "b2", '"sha256", "sha512"')
    found = sorted(f.path[-7:] for f in history.run(check))
    assert found == ["b2_m.py", "c3_m.py"]
    assert "sa.Enum('sha256', 'sha512', name='auth')" in history.run(check)[-1].message


def test_enum_values_appended_where_an_enum_is_a_varchar(history: History) -> None:
    """A history that names Oracle beside MySQL (or none at all: neutron-vpnaas's): where
    an ENUM is no type of the database's own it is a VARCHAR, whose CHECK constraint
    alembic's alter_column leaves alone, so appended values change no row there either."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(history, "b2", "a1", "from sqlalchemy.dialects import oracle\noracle.NUMBER")
    old, new = 'sa.Enum("running", "stopped")', 'sa.Enum("running", "stopped", "killed")'
    change = f'op.alter_column("users", "name", existing_type={old}, type_={{}}, ' + (
        "existing_nullable=True)"
    )
    add(history, "c3", "b2", change.format(new))
    assert history.run(check) == []
    add(history, "c3", "b2", change.format('sa.Enum("running")'))  # a value taken out
    assert len(history.run(check)) == 1


STATUS = 'sa.Enum({values}, name="status", native_enum=False{length})'
CREATE_STATUS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("status", {type_}, nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
from sqlalchemy.dialects import postgresql
"""


@pytest.mark.parametrize(
    ("values", "length", "reported"),
    [
        ('"archived", "draft", "published"', "", False),  # VARCHAR(9) to VARCHAR(9)
        ('"withdrawn_by_author", "draft"', "", False),  # 9 to 19: longer
        ('"draft", "done"', "", True),  # 9 to 5: shorter, every row is checked
        ('"draft", "done"', ", length=20", False),  # VARCHAR(20): longer
        ("*STATES", "", True),  # values not known here: the length is not known
    ],
)
def test_a_non_native_enum_is_a_varchar_of_its_longest_value(
    history: History, values: str, length: str, reported: bool
) -> None:
    """Mobilic's `sa.Enum(..., native_enum=False)`: SQLAlchemy makes it a VARCHAR as long
    as its longest value (or `length=`), so values added anywhere in the list, or taken
    out, keep or lengthen a VARCHAR, which PostgreSQL does in place; a shorter one is
    reported. (The CHECK constraint `create_constraint=True` adds is no part of
    alter_column.)"""
    old = STATUS.format(values='"draft", "published"', length="")
    add(history, "a1", None, CREATE_STATUS.format(type_=old))
    new = STATUS.format(values=values, length=length)
    add(history, "b2", "a1", f'op.alter_column("users", "status", type_={new})')
    found = history.run(check)
    assert bool(found) == reported, found


def test_a_non_native_enum_from_a_native_one_is_a_type_change(history: History) -> None:
    """A native ENUM made a VARCHAR by `native_enum=False` is a new type: the table is
    rewritten."""
    add(history, "a1", None, CREATE_STATUS.format(type_='sa.Enum("draft", name="status")'))
    new = STATUS.format(values='"draft", "done"', length="")
    add(history, "b2", "a1", f'op.alter_column("users", "status", type_={new})')
    assert len(history.run(check)) == 1


# Designate's record types: the values spread from a list, the old type named by its
# class, a history that runs on MySQL and on PostgreSQL.
CREATE_RECORDS = """
op.create_table(
    "records",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("type", sa.Enum(*TYPES, name="record_types"), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    mysql_engine="InnoDB",
)
"""
APPEND_TYPE = """
TYPES = ["A", "AAAA", "CAA"]
with op.batch_alter_table("records") as batch_op:
    batch_op.alter_column(
        "type", type_=sa.Enum(*TYPES, name={name!r}), existing_type=sa.Enum{nullable}
    )
"""


def records_history(history: History) -> None:
    text = migration("a1", None, CREATE_RECORDS) + '\nTYPES = ("A", "AAAA")\n'
    history.write("a1_m.py", text + "from sqlalchemy.dialects import postgresql\n")


@pytest.mark.parametrize(
    ("name", "nullable", "reported"),
    [
        ("record_types", ", existing_nullable=False", False),
        # NOT NULL as the history made it, restated (neutron-vpnaas's appended values)
        ("record_types", ", nullable=False", False),
        ("record_types", "", True),  # MODIFY ... NULL: the NOT NULL column changes
        ("record_types", ", existing_nullable=False, nullable=True", True),
        ("record_kinds", ", existing_nullable=False", True),  # another type on PostgreSQL
    ],
)
def test_enum_values_appended_on_mysql_and_postgresql(
    history: History, name: str, nullable: str, reported: bool
) -> None:
    """Values appended to a named ENUM whose values are spread from a list of the file's
    (`*TYPES`): MySQL changes the metadata while the column stays NOT NULL, PostgreSQL
    alters the column to the type it has; another type's name, or a MODIFY that makes the
    column nullable, rebuilds the table."""
    records_history(history)
    add(history, "b2", "a1", APPEND_TYPE.format(name=name, nullable=nullable))
    found = history.run(check)
    assert bool(found) == reported, found
    if found:
        assert "sa.Enum('A', 'AAAA', 'CAA', name=" in found[0].message


def test_enum_values_inserted_on_mysql_and_postgresql(history: History) -> None:
    """A value put before the others is a rebuild on MySQL whatever the name."""
    records_history(history)
    change = APPEND_TYPE.replace('["A", "AAAA", "CAA"]', '["CAA", "A", "AAAA"]')
    add(
        history,
        "b2",
        "a1",
        change.format(name="record_types", nullable=", existing_nullable=False"),
    )
    assert len(history.run(check)) == 1


BAOBAB_ENUM = """
op.alter_column(
    "records",
    "type",
    existing_type=postgresql.ENUM("A", "AAAA", "OLD", name="record_types"),
    type_=sa.Enum("AAAA", "A", name={name!r}),
    existing_nullable=False,
)
"""


@pytest.mark.parametrize(
    ("name", "engine", "reported"),
    [
        ("record_types", "", False),  # PostgreSQL only: the column keeps its type
        ("RECORD_TYPES", "", False),
        ("record_kinds", "", True),  # another type: a conversion
        ("record_types", 'mysql_engine="InnoDB",', True),  # MySQL's ENUM is the column's
        # with USING the name may stand for a new type made in its place (Tracim's)
        ("record_types", "using", True),
    ],
)
def test_an_enum_of_the_same_name_with_other_values_on_postgresql(
    history: History, name: str, engine: str, reported: bool
) -> None:
    """Baobab lists `event_type` without a value it meant to remove: alter_column creates
    no type, so PostgreSQL is asked for `TYPE event_type` on a column of that type, which
    rewrites nothing (and the value stays). On MySQL the ENUM's values are the column's:
    a MODIFY that reorders or drops them copies the table."""
    using = engine == "using"
    table = CREATE_RECORDS.replace('mysql_engine="InnoDB",', "" if using else engine)
    text = migration("a1", None, table) + '\nTYPES = ("A", "AAAA", "OLD")\n'
    history.write("a1_m.py", text + "from sqlalchemy.dialects import postgresql\n")
    body = BAOBAB_ENUM.format(name=name)
    if using:
        cast = 'postgresql_using="type::text::record_types",'
        body = body.replace("existing_nullable=False,", f"{cast} existing_nullable=False,")
    change = migration("b2", "a1", body)
    history.write("b2_m.py", change + "from sqlalchemy.dialects import postgresql\n")
    assert bool(history.run(check)) == reported


def test_a_type_restated_after_sql_converted_it(history: History) -> None:
    """Mergin Maps converts with SQL's USING, then restates the type with alter_column
    and a stale `existing_type=`: the second change alters the column to the type it has;
    the same call in a branch for another database than the conversion's is reported."""
    users_history(history)
    sql = "ALTER TABLE users ALTER COLUMN name SET DATA TYPE integer USING name::integer"
    convert = f'op.execute("{sql}")'
    restate = 'op.alter_column("users", "name", existing_type=sa.VARCHAR(), type_=sa.Integer())'
    path = add(history, "b2", "a1", f"{convert}\n{restate}")
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "op.execute")
    branch = f'if op.get_bind().dialect.name == "postgresql":\n    {convert}\n{restate}'
    add(history, "b2", "a1", branch)
    assert len(history.run(check)) == 2


def test_an_enum_restated_after_sql_converted_the_column_to_it(history: History) -> None:
    """Digital Marketplace converts with SQL to the ENUM type by its name, then restates
    it with alter_column, the ENUM declared with that `name=`: one rewrite, the SQL's."""
    users_history(history)
    convert = (
        'op.execute("ALTER TABLE users ALTER COLUMN name TYPE user_names USING name::user_names")'
    )
    restate = (
        'op.alter_column("users", "name", existing_type=sa.String(), '
        'type_=sa.Enum("a", "b", name="{name}"))'
    )
    path = add(history, "b2", "a1", f"{convert}\n{restate.format(name='user_names')}")
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "op.execute")
    add(history, "b2", "a1", f"{convert}\n{restate.format(name='other_names')}")
    assert len(history.run(check)) == 2


@pytest.mark.parametrize(
    ("values", "reported"), [('"A", "AAAA", "CAA"', False), ('"CAA", "A", "AAAA"', True)]
)
def test_enum_values_appended_after_sql_named_the_type_on_postgresql(
    history: History, values: str, reported: bool
) -> None:
    """gnocchi appends values with alter_column for every database, and on PostgreSQL
    alone renames the type aside and converts the column to the new one in SQL: the
    next append is judged against the values the ENUM was declared with, not against
    the bare name the SQL gave (which MySQL never ran)."""
    records_history(history)
    sql = "ALTER TABLE records ALTER COLUMN type TYPE record_types USING type::record_types"
    swap = f'if op.get_bind().dialect.name == "postgresql":\n    op.execute("{sql}")'
    add(history, "b2", "a1", swap)
    enum = f'sa.Enum({values}, name="record_types")'
    append = f'op.alter_column("records", "type", type_={enum}, nullable=False)'
    add(history, "c3", "b2", append)
    found = [f for f in history.run(check) if f.path.endswith("c3_m.py")]
    assert bool(found) == reported, found


def test_a_type_renamed_aside_and_made_again_under_its_name(history: History) -> None:
    """Backend.AI's ENUM swap: the old type renamed aside, a new one created under its
    name, the column converted with USING. The name is the one the column had, the type
    is not: reported."""
    add(history, "a1", None, CREATE_USERS.replace("sa.String(length=50)", "status_type"))
    swap = """
    op.execute("ALTER TYPE status_type RENAME TO status_type_old")
    op.execute("CREATE TYPE status_type AS ENUM ('a', 'b', 'c')")
    op.execute("ALTER TABLE users ALTER COLUMN name TYPE status_type USING name::text::status_type")
    """
    add(history, "b2", "a1", swap)
    [finding] = history.run(check)
    assert '"users.name" to status_type' in finding.message


def test_the_same_column_of_another_schema(history: History) -> None:
    """Indico converts `events.settings.value`, then `users.settings.value`: each is a
    change of its own; and an alter_column with `schema=` restates only its schema's."""
    users_history(history)
    convert = """
    op.execute("ALTER TABLE events.users ALTER COLUMN name TYPE integer USING name::integer")
    op.execute("ALTER TABLE other.users ALTER COLUMN name TYPE integer USING name::integer")
    op.alter_column("users", "name", type_=sa.Integer(), schema="other")
    op.alter_column("users", "name", type_=sa.Integer(), schema="third")
    """
    path = add(history, "b2", "a1", convert)
    lines = [f.line for f in history.run(check)]
    first = line_of(history, path, "op.execute")
    assert lines == [first, first + 1, line_of(history, path, 'schema="third"')]


def test_mysql_named_only_by_the_project_dependencies(history: History) -> None:
    """RootTheBox: MySQL by default, named by no revision, env.py or ini, only by its
    options and `setup/requirements.txt`. A history that names no database is judged
    on MySQL too where the project depends on a MySQL driver (a step less sure); a
    PostgreSQL driver alone changes nothing."""
    add(
        history,
        "a1",
        None,
        CREATE_USERS.replace(
            '"name", sa.String(length=50), nullable=True',
            '"name", sa.String(length=50), nullable=False',
        ),
    )
    widen = 'op.alter_column("users", "name", existing_type=sa.VARCHAR(50), type_=sa.String(100))'
    path = add(history, "b2", "a1", widen)
    assert history.run(check) == []  # PostgreSQL or SQLite: in place
    (history.root / ".git").mkdir()
    below = history.root / "setup" / "requirements.txt"
    below.parent.mkdir()
    for where, listed, confidence in [
        (below, "PyMySQL; python_version>='3.0'\n", "low"),
        (history.root / "requirements.txt", "mysqlclient==2.2\n", "low"),
        (history.root / "requirements.txt", "psycopg2-binary\n", None),
    ]:
        for stale in (below, history.root / "requirements.txt"):
            stale.unlink(missing_ok=True)
        where.write_text(listed)
        found = history.run(check)
        if confidence is None:
            assert found == [], listed
            continue
        [finding] = found
        assert (finding.line, finding.confidence) == (
            line_of(history, path, "alter_column"),
            confidence,
        )
        assert "(on MySQL, which the project depends on a driver of, a VARCHAR" in finding.message
    # VARCHAR(300) to (400): both past 255 bytes, in place, unless alembic's MODIFY
    # drops the NOT NULL the history gave the column unasked
    (history.root / "requirements.txt").write_text("aiomysql\n")
    for given, reported in [
        ("", True),
        (", existing_nullable=False", False),
        (", nullable=True", False),  # asked for: not the type change's doing
        ("", True),
    ]:
        add(history, "b2", "a1", widen.replace("50)", "300)").replace("100)", f"400){given}"))
        found = history.run(check)
        assert bool(found) == reported, given
    [finding] = found
    assert finding.confidence == "medium"
    assert "also makes the NOT NULL column nullable" in finding.message


def test_a_column_of_another_type_swapped_in_under_the_name(history: History) -> None:
    """Ironic Inspector's d00d6e3f38c4: `started_at` FLOAT copied into a new DATETIME
    column, dropped, and the new column renamed `started_at`: readers of the previous
    release get a datetime. The same type, a longer VARCHAR, or no drop of the name: not
    reported here."""
    add(
        history,
        "a1",
        None,
        'op.create_table("nodes", sa.Column("id", sa.Integer()), '
        'sa.Column("started_at", sa.Float()), sa.Column("name", sa.String(36)))',
    )
    swap = """
        op.add_column("nodes", sa.Column("tmp", {new}))
        op.execute("UPDATE nodes SET tmp = {old}")
        {drop}
        op.alter_column("nodes", "tmp", new_column_name="{old}")
        """
    drop = 'op.drop_column("nodes", "{old}")'
    for old, new, dropped, reported in [
        ("started_at", "sa.DateTime()", True, True),
        ("started_at", "sa.Float()", True, False),
        ("name", "sa.String(255)", True, False),
        ("name", "sa.Integer()", True, True),
        ("started_at", "sa.DateTime()", False, False),
    ]:
        body = swap.format(new=new, old=old, drop=drop.format(old=old) if dropped else "")
        path = add(history, "b2", "a1", body)
        found = history.run(check)
        assert bool(found) == reported, (old, new, dropped)
        if reported:
            [finding] = found
            assert finding.line == line_of(history, path, "new_column_name")
            assert finding.confidence == "medium"
            assert (
                "in place of the column of that name this revision drops, which was sa."
                in finding.message
            )


def test_an_old_length_written_as_a_name(history: History) -> None:
    """wazo-auth's 0c9ccb1b16a8 creates `name` as `sa.String(RFC_DN_MAX_LENGTH)`, a
    module constant (61); 72c4a39fa885 widens it to 253 and its downgrade gives 61 back:
    in place on PostgreSQL. Without the downgrade's type the old length is not known:
    reported, less sure, saying so; a downgrade to a longer type is a shortening."""
    add(
        history,
        "a1",
        None,
        """
        RFC_DN_MAX_LENGTH = 61
        op.create_table("domains", sa.Column("name", sa.String(RFC_DN_MAX_LENGTH)))
        """,
    )
    widen = 'op.alter_column("domains", "name", type_=sa.String(253))'
    for given_back, reported in [
        ("sa.String(61)", None),
        ("pass", "medium"),
        ("sa.String(300)", "high"),
    ]:
        downgrade = given_back
        if given_back != "pass":
            downgrade = f'op.alter_column("domains", "name", type_={given_back})'
        add(history, "b2", "a1", widen, downgrade=downgrade)
        found = history.run(check)
        assert [f.confidence for f in found] == ([reported] if reported else []), given_back
        if reported == "medium":
            assert found[0].message.endswith("(the old length is not known here)")


def test_a_swap_on_a_table_older_than_the_history(history: History) -> None:
    """EVE-SRP's 4198a248c8a: `request` predates the history, its FLOAT `base_payout`
    named only by a `table()` helper; a NUMERIC column copied in takes the name. Reported
    with low confidence, saying the old type is not known; a table the revision creates,
    or no drop of the name, is not a swap."""
    add(history, "a1", None, "pass")
    swap = """
        {create}
        op.add_column("request", sa.Column("tmp", sa.Numeric(15, 2)))
        op.drop_column("request", "base_payout")
        op.alter_column("request", "tmp", new_column_name="{name}")
        """
    created = 'op.create_table("request", sa.Column("base_payout", sa.Float()))'
    for create, name, reported in [
        ("", "base_payout", True),
        (created, "base_payout", False),
        ("", "payout", False),
    ]:
        path = add(history, "b2", "a1", swap.format(create=create, name=name))
        found = history.run(check)
        assert bool(found) == reported, (create, name)
    path = add(history, "b2", "a1", swap.format(create="", name="base_payout"))
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "new_column_name")
    assert finding.confidence == "low"
    said = "drops, whose type is not known here: the column's type changes to sa.Numeric(15, 2)"
    assert said in finding.message


def test_a_swap_no_release_read_or_of_a_restated_json_type(history: History) -> None:
    """Langflow converts columns of tables first released with the conversion: with
    `--base` naming the revision that added the column, no release read it. Onyx swaps
    `JSONB(astext_type=...)` for `JSONB()`: `astext_type=` is how Python reads it, the
    column's type is the same."""
    users_history(history)
    add(history, "b2", "a1", 'op.add_column("users", sa.Column("score", sa.Float()))')
    swap = """
        op.add_column("users", sa.Column("tmp", {new}))
        op.drop_column("users", "{old}")
        op.alter_column("users", "tmp", new_column_name="{old}")
        """
    add(history, "c3", "b2", swap.format(new="sa.Integer()", old="score"))
    assert list(check(with_base(history, {"b2", "c3"}))) == []
    assert len(list(check(with_base(history, {"c3"})))) == 1
    add(
        history,
        "b2",
        "a1",
        'op.add_column("users", sa.Column("data", postgresql.JSONB(astext_type=sa.Text())))',
    )
    add(history, "c3", "b2", swap.format(new="postgresql.JSONB()", old="data"))
    assert list(check(with_base(history, {"c3"}))) == []
    add(history, "c3", "b2", swap.format(new="sa.JSON()", old="data"))
    assert len(list(check(with_base(history, {"c3"})))) == 1


def test_tables_converted_to_another_character_set(history: History) -> None:
    """aurweb's 56e2ce8e2ffa converts each table to utf8mb4 in a function it hands to a
    loop helper: every text column changes type, a copy of the table on MySQL and
    MariaDB. One finding a line, naming its tables; a table the revision creates is not
    one; a table named at run time makes it less sure. `CHARACTER SET` alone (the
    default for new columns) converts nothing."""
    users_history(history)
    add(history, "a2", "a1", 'op.create_table("orders", sa.Column("id", sa.Integer()))')
    path = add(
        history,
        "b2",
        "a2",
        """
        op.create_table("notes", sa.Column("id", sa.Integer()))

        def convert(meta):
            table, charset = meta
            op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET {charset}")

        do_all([("users", "utf8mb4"), ("notes", "utf8mb4"), ("orders", "utf8mb4")], convert)
        op.execute("ALTER TABLE users DEFAULT CHARACTER SET utf8mb4")
        op.execute(f"alter table {name} convert to charset utf8mb4")
        """,
    )
    changed = history.root / path
    helper = "\n\ndef do_all(items, fn):\n    for item in items:\n        fn(item)\n"
    changed.write_text(changed.read_text() + helper)
    first, second = history.run(check)
    assert (first.line, first.confidence) == (line_of(history, path, "CONVERT TO"), "high")
    assert 'of "users", "orders": MySQL and MariaDB copy' in first.message
    assert (second.line, second.confidence) == (line_of(history, path, "convert to"), "medium")


def test_the_old_type_downgrade_gives_back(history: History) -> None:
    """skylines' 20f18f40fb62 widens a column of a table older than the history, and its
    downgrade gives the old type back: a longer VARCHAR, in place on PostgreSQL. Not
    taken from a downgrade that renames the column, or that gives the new type again (a
    copy of the upgrade: sync-engine's), which leave the old type not known."""
    widen = 'op.alter_column("airspace", "class", type_=sa.String(12), nullable=False)'
    add(history, "a1", None, widen, downgrade=widen.replace("12", "3"))
    assert history.run(check) == []
    add(history, "a1", None, widen, downgrade=widen)
    [finding] = history.run(check)
    assert (finding.confidence, "old type is not known" in finding.message) == ("medium", True)
    renamed = widen.replace("nullable=False", 'new_column_name="kind"')
    add(history, "a1", None, renamed, downgrade=widen.replace("12", "3"))
    [finding] = history.run(check)
    assert finding.confidence == "medium"


def test_an_enum_appended_keeps_the_not_null_rows_were_updated_under(history: History) -> None:
    """openxeco's FormQuestion.type: made NOT NULL with its ENUM, its rows updated by a
    later revision, then values appended with `nullable=False` restated: MySQL's MODIFY
    keeps the NOT NULL, only the metadata changes. Without the NOT NULL restated alembic
    writes NULL: the column changes, and the table is copied."""
    enum = 'mysql.ENUM("TEXT", "CHECKBOX")'
    add(
        history,
        "a1",
        None,
        'from sqlalchemy.dialects import mysql\nop.create_table("q", sa.Column("id", '
        f'sa.Integer()), sa.Column("kind", {enum}, nullable=False))',
    )
    add(history, "b2", "a1", "op.execute(\"UPDATE q SET kind = 'TEXT'\")")
    appended = 'mysql.ENUM("TEXT", "CHECKBOX", "SELECT")'
    add(history, "c3", "b2", f'op.alter_column("q", "kind", type_={appended}, nullable=False)')
    assert history.run(check) == []
    add(history, "c3", "b2", f'op.alter_column("q", "kind", type_={appended})')
    [finding] = history.run(check)
    assert finding.confidence == "high"
    assert finding.message.endswith(  # the reason, as for a VARCHAR widened (Collectives)
        "(MySQL adds values at the end of an ENUM in place, but alembic's MODIFY without "
        "`existing_nullable=False` also makes the NOT NULL column nullable, which copies the "
        "table)"
    )


@pytest.mark.parametrize(
    ("sql", "reported"),
    [
        ("ALTER TABLE users MODIFY name MEDIUMTEXT", True),  # SBS's: the table is copied
        ("ALTER TABLE users CHANGE name name TEXT NOT NULL", True),
        ("ALTER TABLE users MODIFY COLUMN name VARCHAR(50) NOT NULL", False),  # restated
        ("ALTER TABLE users MODIFY name VARCHAR (50) NULL DEFAULT NULL", False),
        ("ALTER TABLE users MODIFY id INT(11) NOT NULL AUTO_INCREMENT", False),  # not read
        ("ALTER TABLE users MODIFY name ENUM('a', 'b') NOT NULL", True),  # VARCHAR to ENUM
        ("ALTER TABLE users MODIFY bio MEDIUMTEXT", False),  # its type is not known here
    ],
)
def test_a_type_restated_by_mysql_modify(history: History, sql: str, reported: bool) -> None:
    """MySQL's MODIFY and CHANGE restate a column's whole definition: a text or bytes
    type of one word is judged against the type the history gave the column, and not
    where the history does not say (the definition is written whether it changes or
    not)."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(history, "b2", "a1", f'op.execute("{sql}")')
    assert bool(history.run(check)) is reported


@pytest.mark.parametrize(
    ("values", "reported"),
    [
        ("'running', 'stopped'", False),  # restated
        ("'running', 'stopped', 'killed'", False),  # appended, NOT NULL kept
        ("'stopped', 'running'", True),  # reordered
        ("'running'", True),  # CCExtractor's sample platform drops a value
    ],
)
def test_an_enum_restated_by_mysql_modify(history: History, values: str, reported: bool) -> None:
    """A MODIFY restating an ENUM with its values is judged as alter_column's `sa.Enum`
    is, against the values the history gave the column."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    state = 'sa.Column("state", sa.Enum("running", "stopped"), nullable=False)'
    made = f'op.add_column("users", {state})'
    add(history, "b2", "a1", made)
    sql = f"ALTER TABLE users MODIFY COLUMN state ENUM({values}) NOT NULL"
    add(history, "c3", "b2", f'op.execute("{sql}")')
    assert [f.path for f in history.run(check)] == ["versions/c3_m.py"] * reported


def test_a_type_restated_by_mysql_modify_after_an_add_in_sql(history: History) -> None:
    """A column added in SQL keeps a text or bytes type of one word for the revisions
    after it (SBS adds `ssh_key TEXT`, later makes it MEDIUMTEXT: a copy)."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(history, "b2", "a1", 'op.execute("ALTER TABLE users ADD COLUMN bio TEXT")')
    add(history, "c3", "b2", 'op.execute("ALTER TABLE users MODIFY bio MEDIUMTEXT")')
    [finding] = history.run(check)
    assert finding.path == "versions/c3_m.py"
    add(history, "c3", "b2", 'op.execute("ALTER TABLE users MODIFY bio TEXT NOT NULL")')
    assert history.run(check) == []  # the type restated


def test_a_type_change_outside_batch_mode_on_a_sqlite_history(history: History) -> None:
    """SQLite has no ALTER COLUMN: on a history that names SQLite only, alembic's
    `ALTER TABLE t ALTER COLUMN c TYPE ...` fails before it touches a row, so under
    `contextlib.suppress` or a try it does nothing (MoviePilot). One that runs wherever
    the revision runs would fail every upgrade on SQLite, so the history runs elsewhere
    too (Fedora Badges' ini names SQLite for development): reported. In batch mode the
    table is copied, and a history that also names another database is judged for it."""
    add(history, "a1", None, CREATE_USERS + "from sqlalchemy.dialects import sqlite\n")
    plain = 'op.alter_column("users", "name", existing_type=sa.String(50), type_=sa.JSON())'
    batch = (
        'with op.batch_alter_table("users") as batch_op:\n'
        '    batch_op.alter_column("name", existing_type=sa.String(50), type_=sa.JSON())'
    )
    for upgrade, reported in [
        (f"with contextlib.suppress(Exception):\n    {plain}", False),
        (f"try:\n    {plain}\nexcept Exception:\n    pass", False),
        (plain, True),
        (batch, True),
        (f"{plain}\nop.add_column('users', sa.Column('j', postgresql.JSONB()))", True),
    ]:
        add(history, "b2", "a1", upgrade)
        assert [f.code for f in history.run(check)] == (["AG106"] if reported else []), upgrade


def test_enum_values_appended_to_a_column_whose_nullability_no_revision_says(
    history: History,
) -> None:
    """Trailblazer appends values to `analysis.priority`, a column of a table older than
    its history, on MySQL: MODIFY writes NULL, which rebuilds the table only where the
    column was NOT NULL, and no revision says which. Reported one step less sure, saying
    so; not at all where `existing_nullable=True` says the column stays as it was."""
    add(history, "a1", None, 'op.add_column("teams", sa.Column("a", mysql.TINYINT()))')
    old, new = 'sa.Enum("low", "high")', 'sa.Enum("low", "high", "express")'
    for given, confidence in [("", "medium"), (", existing_nullable=True", None)]:
        change = f'op.alter_column("analysis", "priority", existing_type={old}, type_={new}{given})'
        add(history, "b2", "a1", change)
        found = history.run(check)
        assert [f.confidence for f in found] == ([confidence] if confidence else []), given
    change = f'op.alter_column("analysis", "priority", existing_type={old}, type_={new})'
    add(history, "b2", "a1", change)
    [finding] = history.run(check)
    assert finding.message.endswith(
        "(MySQL adds values at the end in place only where the column is nullable, which no "
        "revision says here)"
    )
    # Beaker's 0.17 restates `job.status` NOT NULL in SQL while it appends: in place
    # only where the column was NOT NULL already, which no revision says either
    values = "'low', 'high', 'express'"
    sql = f"ALTER TABLE analysis MODIFY status ENUM({values}) NOT NULL"
    undo = "ALTER TABLE analysis MODIFY status ENUM('low', 'high') NOT NULL"
    add(history, "b2", "a1", f'op.execute("{sql}")', downgrade=f'op.execute("{undo}")')
    [finding] = history.run(check)
    assert finding.confidence == "medium"
    assert finding.message.startswith('MODIFY (SQL run by execute()) changes the type of "analysis')
    assert finding.message.endswith(
        "(MySQL adds values at the end in place only where the column is NOT NULL, which no "
        "revision says here)"
    )


ZONED = """
op.alter_column("users", "seen", existing_type={old}, type_={new}{using})
"""


@pytest.mark.parametrize(
    ("named", "old", "new", "using", "expected"),
    [
        # PostgreSQL: in place where the session's TimeZone is UTC (measured), one step
        # less sure, and the message says why
        ("postgresql.JSONB", "sa.DateTime()", "sa.DateTime(timezone=True)", "", "medium"),
        ("postgresql.JSONB", "sa.DateTime(True)", "sa.DateTime()", "", "medium"),
        ("", "postgresql.TIMESTAMP()", "postgresql.TIMESTAMP(timezone=True)", "", "medium"),
        # values converted with USING: a rewrite whatever the time zone
        (
            "postgresql.JSONB",
            "sa.DateTime()",
            "sa.DateTime(timezone=True)",
            ", postgresql_using=\"seen AT TIME ZONE 'UTC'\"",
            "high",
        ),
        # MySQL gets DATETIME either way: nothing changes
        ('mysql_engine="InnoDB"', "sa.DateTime()", "sa.DateTime(timezone=True)", "", None),
        # DATETIME to TIMESTAMP is another type on MySQL: a rewrite as before
        ("", "sa.DateTime()", "sa.TIMESTAMP(timezone=True)", "", "high"),
        ('mysql_engine="InnoDB"', "sa.DateTime()", "sa.TIMESTAMP(timezone=True)", "", "high"),
        # one type on PostgreSQL (OpenNEM's autogenerated `existing_type=postgresql.TIMESTAMP()`)
        ("postgresql.JSONB", "postgresql.TIMESTAMP()", "sa.DateTime(timezone=True)", "", "medium"),
        ("postgresql.JSONB", "sa.DateTime()", "sa.TIMESTAMP(timezone=True)", "", "medium"),
        ("", "sa.DateTime(timezone=zone)", "sa.DateTime()", "", "high"),
        # another precision too (Airflow's `fsp=6` on MySQL): a rewrite
        (
            'mysql_engine="InnoDB"',
            "sa.TIMESTAMP(timezone=True)",
            "mysql.TIMESTAMP(fsp=6)",
            "",
            "high",
        ),
    ],
)
def test_a_timestamp_given_or_relieved_of_its_time_zone(
    history: History, named: str, old: str, new: str, using: str, expected: str | None
) -> None:
    """Open-Assistant and Ask-A-Question turn `DateTime()` columns into
    `DateTime(timezone=True)`: PostgreSQL 12 and later do it without a rewrite when the
    session's TimeZone is UTC (its file node stays, measured on PostgreSQL 15), and
    rewrite the table otherwise; MySQL and SQLite get the same column type either way."""
    add(history, "a1", None, CREATE_USERS.replace('"name"', '"seen"'))
    if named:
        history.write("n0_named.py", migration("n0", None, f"{named}\n"))
    add(history, "b2", "a1", ZONED.format(old=old, new=new, using=using))
    found = history.run(check)
    assert [f.confidence for f in found] == ([] if expected is None else [expected])
    if expected == "medium":
        assert found[0].message.endswith(
            "when the session's TimeZone is UTC, which nothing here says)"
        )


@pytest.mark.parametrize(
    ("using", "replaced"),
    [
        # OpenHands' 032: every `scopes` value becomes an empty array
        ("ARRAY[]::text[]", True),
        ("NULL", True),
        # the expression reads the column: its values are converted, not replaced
        ("string_to_array(name, ',')", False),
        ("users.name::text[]", False),
        ('"NAME"::text[]', False),
        # another column that merely starts with the name is not the column
        ("name_old::text[]", True),
    ],
)
def test_a_using_expression_that_does_not_read_the_column(
    history: History, using: str, replaced: bool
) -> None:
    """A `postgresql_using=` that does not read the column gives every row its value:
    the message says the old values are lost (OpenHands' `gitlab_webhook.scopes`)."""
    users_history(history)
    change = (
        'op.alter_column("users", "name", existing_type=sa.String(50), '
        f"type_=postgresql.ARRAY(sa.Text()), postgresql_using={using!r})"
    )
    add(history, "b2", "a1", change)
    [finding] = history.run(check)
    assert finding.confidence == "high"
    note = f"; postgresql_using={using!r} does not read the column: every row's value is "
    assert (note in finding.message) is replaced, finding.message
    if replaced:
        assert finding.message.endswith("replaced by it, and the old values are lost")


def test_a_using_expression_is_not_given_to_mysql(history: History) -> None:
    """alembic gives `postgresql_using=` to PostgreSQL only: in a branch for MySQL, the
    type changes and the values are converted as MySQL converts them."""
    add(history, "a1", None, CREATE_MYSQL_USERS)
    change = (
        'if op.get_bind().dialect.name == "mysql":\n'
        '    op.alter_column("users", "name", existing_type=sa.String(50), '
        'type_=sa.Integer(), postgresql_using="NULL")'
    )
    add(history, "b2", "a1", change)
    [finding] = history.run(check)
    assert "does not read the column" not in finding.message
    add(history, "b2", "a1", change.replace('"mysql"', '"postgresql"'))
    [finding] = history.run(check)
    assert "does not read the column" in finding.message


POSTGRESQL_AND_MYSQL = (
    "from sqlalchemy.dialects import mysql, postgresql\n"
    "mysql.INTEGER\npostgresql.JSONB\n" + CREATE_USERS
)


@pytest.mark.parametrize(
    ("named", "new", "reported"),
    [
        # WUVT's ac0939a5ff73: unbounded on PostgreSQL, 300 to 400 characters on MySQL
        # (two length bytes before and after: in place there too)
        (POSTGRESQL_AND_MYSQL, "sa.String(400).with_variant(sa.String, 'postgresql')", False),
        # 300 to 200 characters on MySQL: a shorter VARCHAR is copied
        (POSTGRESQL_AND_MYSQL, "sa.String(200).with_variant(sa.String, 'postgresql')", True),
        (CREATE_USERS, "sa.String(50).with_variant(sa.Text(), 'postgresql')", False),
        # MySQL's variant copies the table (TEXT); PostgreSQL's is unbounded
        (POSTGRESQL_AND_MYSQL, "sa.Text().with_variant(sa.Text(429400000), 'mysql')", True),
        # Codalab's ids: BIGINT wherever it is not SQLite
        (CREATE_USERS, "sa.BigInteger().with_variant(sa.Integer, 'sqlite')", True),
        (POSTGRESQL_AND_MYSQL, "sa.String(400).with_variant(sa.Integer(), ('mariadb',))", True),
        # a dialect not written out: read as a type not known, as before
        (CREATE_USERS, "sa.String(400).with_variant(sa.Integer(), DIALECT)", True),
    ],
)
def test_a_type_with_variants_is_judged_on_each_database_with_its_own(
    history: History, named: str, new: str, reported: bool
) -> None:
    add(history, "a1", None, named.replace("length=50", "length=300"))
    alter = f'op.alter_column("users", "name", existing_type=sa.VARCHAR(300), type_={new})'
    add(history, "b2", "a1", alter)
    findings = history.run(check)
    assert len(findings) == reported
    if findings:
        assert f"to {new}:" in findings[0].message


def test_an_old_type_with_variants_is_read_as_each_database_got_it(history: History) -> None:
    created = CREATE_USERS.replace(
        "sa.String(length=50)", "sa.String(255).with_variant(sa.Text(), 'postgresql')"
    )
    named = "from sqlalchemy.dialects import postgresql\npostgresql.JSONB\n"
    add(history, "a1", None, named + created)
    add(history, "b2", "a1", 'op.alter_column("users", "name", type_=sa.Text())')
    assert history.run(check) == []  # PostgreSQL's TEXT already
    add(history, "b2", "a1", 'op.alter_column("users", "name", type_=sa.Integer())')
    [finding] = history.run(check)
    assert "to sa.Integer()" in finding.message


def test_a_type_with_variants_rewritten_on_two_databases_is_told_the_same_way_each_run(
    history: History,
) -> None:
    """MySQL's TEXT and PostgreSQL's INTEGER both rewrite: the databases are taken in
    sorted order, so MySQL's note is the one given, whatever the run's hash seed."""
    add(history, "a1", None, POSTGRESQL_AND_MYSQL.replace("length=50", "length=300"))
    new = "sa.Integer().with_variant(sa.Text(), 'mysql')"
    alter = f'op.alter_column("users", "name", existing_type=sa.VARCHAR(300), type_={new})'
    add(history, "b2", "a1", alter)
    [finding] = history.run(check)
    assert finding.message.endswith("(on MySQL)")


def test_a_column_of_a_table_the_revision_renamed_has_its_type_from_the_history(
    history: History,
) -> None:
    """A table renamed, then a column of it widened with no `existing_type=`: the old
    type is the one the history gave the column under the table's old name
    (VARCHAR(50) to VARCHAR(100): in place on PostgreSQL)."""
    users_history(history)
    history.write("n0_named.py", migration("n0", None, "postgresql.JSONB\n"))
    body = """
    op.rename_table("users", "members")
    op.alter_column("members", "name", type_=sa.String(length=100))
    """
    add(history, "b2", "a1", body)
    assert history.run(check) == []
