from __future__ import annotations

import pytest

from alembic_gate.rules.ag101_not_null_column_without_default import check

from .ag1xx_helpers import (
    CREATE_USERS,
    add,
    guarded_after,
    line_of,
    migration,
    users_history,
    with_base,
)
from .conftest import History

ADD_EMAIL = 'op.add_column("users", sa.Column("email", sa.String(length=255), nullable=False))'


def test_not_null_column_on_an_existing_table(history: History) -> None:
    users_history(history)
    path = add(history, "b2", "a1", ADD_EMAIL, downgrade='op.drop_column("users", "email")')
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG101", "warning")
    assert (finding.path, finding.line) == (path, line_of(history, path, "op.add_column"))
    assert '"users.email"' in finding.message
    assert finding.fix is not None
    assert "nullable=True" in finding.fix
    assert 'op.alter_column("users", "email", nullable=False)' in finding.fix
    assert "later revision" in finding.fix


@pytest.mark.parametrize(
    "upgrade",
    [
        f"o = op\n{ADD_EMAIL.replace('op.', 'o.')}",
        f"add = op.add_column\n{ADD_EMAIL.replace('op.add_column', 'add')}",
    ],
    ids=["op", "method"],
)
def test_through_an_alias_of_op(history: History, upgrade: str) -> None:
    # the reader doctor uses sees the alias too: both read the same calls
    users_history(history)
    path = add(history, "b2", "a1", upgrade)
    [finding] = history.run(check)
    assert (finding.path, finding.line) == (path, line_of(history, path, '("users"'))
    assert '"users.email"' in finding.message


@pytest.mark.parametrize(
    "column",
    [
        'sa.Column("email", sa.String(), nullable=False, server_default="")',
        'sa.Column("created", sa.DateTime(), server_default=sa.text("now()"), nullable=False)',
        'sa.Column("n", sa.Integer(), sa.Identity(always=True), nullable=False)',
        'sa.Column("email", sa.String(), nullable=True)',
        'sa.Column("email", sa.String())',
        'sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False)',
        'sa.Column("id", sa.BigInteger, primary_key=True, nullable=False)',
    ],
)
def test_columns_that_fill_or_allow_existing_rows(history: History, column: str) -> None:
    users_history(history)
    add(history, "b2", "a1", f'op.add_column("users", {column})')
    assert history.run(check) == []


def test_table_created_in_the_same_revision_is_new(history: History) -> None:
    add(history, "a1", None, CREATE_USERS + ADD_EMAIL)
    assert history.run(check) == []


COPY_ORDERS = 'op.execute("INSERT INTO public.orders (id) SELECT id FROM users")'
ADD_CODE = 'op.add_column("orders", sa.Column("code", sa.String(), nullable=False))'
CREATE_ORDERS = 'op.create_table("orders", sa.Column("id", sa.Integer(), nullable=False))'


USER_MODEL = """
class User(declarative_base()):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)


"""


@pytest.mark.parametrize(
    ("delete", "reported"),
    [
        ("session.query(User).delete()", False),  # every row
        ("session.query(User).delete(synchronize_session=False)", False),
        ("session.query(User).filter(User.id > 3).delete()", True),  # some rows
        ("session.query(User).filter_by(id=3).delete()", True),
    ],
)
def test_a_table_emptied_through_the_orm_holds_no_rows(
    history: History, delete: str, reported: bool
) -> None:
    """optuna deletes every row of a model the file defines, adds a NOT NULL column and
    puts the rows back: the ALTER meets an empty table."""
    users_history(history)
    upgrade = f"session = orm.Session(bind=op.get_bind())\n{delete}\n{ADD_EMAIL}"
    text = migration("b2", "a1", upgrade).replace("def upgrade", USER_MODEL + "def upgrade")
    history.write("b2_m.py", text)
    assert len(history.run(check)) == (1 if reported else 0)


@pytest.mark.parametrize(
    ("fill", "reported"),
    [
        (COPY_ORDERS, True),  # rows copied from an older table
        ('op.bulk_insert(sa.table("orders", sa.column("id")), [{"id": 1}])', True),  # seeds
        ('op.get_bind().execute(sa.insert(sa.table("orders")).values(id=1))', True),
        (f'{COPY_ORDERS}\nop.execute("DELETE FROM orders")', False),  # emptied again
        ('op.execute("DELETE FROM orders")', False),
        (f'if op.get_bind().dialect.name == "sqlite":\n    {COPY_ORDERS}', True),  # there
        (
            f'{COPY_ORDERS}\nif op.get_bind().dialect.name == "sqlite":\n'
            '    op.execute("DELETE FROM orders")',
            True,  # emptied on SQLite only
        ),
        ('op.execute("INSERT INTO orders_log (id) SELECT id FROM users")', False),
        ('op.execute("CREATE TABLE orders AS SELECT id FROM users")', True),  # from a query
    ],
)
def test_a_table_this_revision_creates_and_fills_holds_rows(
    history: History, fill: str, reported: bool
) -> None:
    """A new table the revision puts rows into before the ALTER: it fails on them."""
    users_history(history)
    add(history, "b2", "a1", f"{CREATE_ORDERS}\n{fill}\n{ADD_CODE}")
    findings = history.run(check)
    assert len(findings) == (1 if reported else 0)
    if reported:
        assert "to a table this revision puts rows into before it" in findings[0].message


def test_with_base_a_table_a_new_revision_filled_holds_rows(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", f"{CREATE_ORDERS}\n{COPY_ORDERS}")
    add(history, "c3", "b2", ADD_CODE)
    [finding] = check(with_base(history, {"b2", "c3"}))
    assert (finding.path, "to a table that already exists" in finding.message) == (
        "versions/c3_m.py",
        True,
    )
    add(history, "b2", "a1", CREATE_ORDERS)  # made but not filled: new, no rows
    assert list(check(with_base(history, {"b2", "c3"}))) == []


def test_table_created_in_an_earlier_revision_counts_as_existing(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", ADD_EMAIL)
    add(history, "c3", "b2", "pass")
    assert [f.path for f in history.run(check)] == ["versions/b2_m.py"]


def test_with_base_a_table_created_by_the_branch_is_new(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", CREATE_USERS.replace("users", "orders"))
    add(history, "c3", "b2", ADD_EMAIL.replace("users", "orders"))
    assert list(check(with_base(history, {"b2", "c3"}))) == []
    # the same history without --base: "orders" existed before c3
    assert [f.path for f in history.run(check)] == ["versions/c3_m.py"]


def test_with_base_only_new_revisions_are_read(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", ADD_EMAIL)
    add(history, "c3", "b2", ADD_EMAIL.replace("email", "phone"))
    findings = list(check(with_base(history, {"c3"})))
    assert [(f.path, '"users.phone"' in f.message) for f in findings] == [
        ("versions/c3_m.py", True)
    ]


def test_batch_mode_column(history: History) -> None:
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.add_column(sa.Column("age", sa.Integer(), nullable=False))
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "batch_op.add_column")
    assert '"users.age"' in finding.message
    assert finding.fix is not None
    assert 'batch_op.alter_column("age", nullable=False)' in finding.fix


def test_client_side_default_is_explained(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.add_column("users", sa.Column("active", sa.Boolean(), nullable=False, default=True))',
    )
    [finding] = history.run(check)
    assert "`default=` is applied by SQLAlchemy on INSERT" in finding.message


def test_table_and_column_given_by_keyword_and_constant(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.add_column(
            table_name=USERS,
            column=sa.Column("email", sa.String(), nullable=False),
        )
        """,
    )
    text = (history.versions / "b2_m.py").read_text()
    (history.versions / "b2_m.py").write_text(
        text.replace("\n\ndef upgrade", '\nUSERS = "users"\n\ndef upgrade')
    )
    [finding] = history.run(check)
    assert '"users.email"' in finding.message


def test_only_upgrade_is_read(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", 'op.drop_column("users", "email")', downgrade=ADD_EMAIL)
    assert history.run(check) == []


def test_not_null_column_added_in_sql(history: History) -> None:
    """ALTER TABLE ... ADD [COLUMN] c type NOT NULL run by execute(): AG101, in SQL's
    words; with a DEFAULT (or a serial type) it passes, as on a table created in SQL."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute("ALTER TABLE users ADD COLUMN age integer NOT NULL")
        op.execute("ALTER TABLE users ADD COLUMN nick varchar(20) NOT NULL DEFAULT ''")
        op.execute("CREATE TABLE audit (id int); ALTER TABLE audit ADD who text NOT NULL")
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "ADD COLUMN age")
    assert finding.message.startswith(
        'ADD COLUMN (SQL run by execute()) adds NOT NULL column "users.age" with no DEFAULT'
    )


@pytest.mark.parametrize(
    "column",
    [
        'sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False, nullable=False)',
        'sa.Column("code", sa.String(8), primary_key=True, nullable=False)',
        'sa.Column("n", sa.Integer(), nullable=False)',
        # a key is NOT NULL without saying so (ziggurat_foundations' `groups.id` on MySQL)
        'sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)',
        'sa.Column("code", sa.String(8), primary_key=True)',
    ],
)
def test_keys_the_server_does_not_number(history: History, column: str) -> None:
    # only an integer key left to autoincrement gets SERIAL / AUTO_INCREMENT values
    users_history(history)
    add(history, "b2", "a1", f'op.add_column("users", {column})')
    [finding] = history.run(check)
    assert finding.code == "AG101"


@pytest.mark.parametrize(
    "type_",
    [
        "sa.Integer",
        "sa.BigInteger()",
        # Dagster's key column, an INTEGER on SQLite (its rowid) and a BIGINT elsewhere
        'sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite")',
    ],
)
def test_integer_keys_the_server_numbers(history: History, type_: str) -> None:
    users_history(history)
    column = f'sa.Column("id", {type_}, primary_key=True, autoincrement=True)'
    add(history, "b2", "a1", f'op.add_column("users", {column})')
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("type_", "zero_date"),
    [
        ("sa.String(length=255)", False),
        ("sa.DateTime()", True),
        ("sa.TIMESTAMP(timezone=True)", False),
        ("sa.Time()", False),
        ("mysql.DATETIME(fsp=6)", True),
        ("sa.Date", True),
        ("sa.Enum('date', 'time')", False),
    ],
)
def test_what_mysql_does_instead_depends_on_the_type(
    history: History, type_: str, zero_date: bool
) -> None:
    """MySQL fills the new column with its type's zero, but in its default mode refuses
    the zero date of a DATE or DATETIME column (MySQL 9: "Incorrect datetime value"; a TIME
    or TIMESTAMP column is added), where MariaDB fills it in: the message says which."""
    users_history(history)
    add(history, "b2", "a1", ADD_EMAIL.replace("sa.String(length=255)", type_))
    [finding] = history.run(check)
    assert ("whose default mode refuses a zero date" in finding.message) is zero_date
    assert ("MySQL fills in zeros instead" in finding.message) is not zero_date
    assert "the previous release's INSERTs fail" in finding.message


def test_columns_a_project_function_adds_on_the_batch_it_is_handed(history: History) -> None:
    """CloudKitty's `create_common_tables(batch_op)`, imported from the application,
    adds a NOT NULL `created_by` with no server_default to the batch's table: read from
    the function's source (parsed, never run), reported at the call, one step less sure
    (the function as it reads now). Also a function handed `op` itself; not for a table
    the revision creates before the call, nor where the function is not found."""
    (history.root / "common.py").write_text(
        "import sqlalchemy as sa\n\n"
        "def create_common(batch_op):\n"
        '    batch_op.add_column(sa.Column("created_by", sa.String(32), nullable=False))\n'
        '    batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))\n\n'
        "def add_flag(o, table):\n"
        '    o.add_column(table, sa.Column("flag", sa.Boolean(), nullable=False))\n'
    )
    users_history(history)
    handed = (
        "from common import create_common\n"
        'with op.batch_alter_table("users") as batch_op:\n'
        "    create_common(batch_op)"
    )
    path = add(history, "b2", "a1", handed)
    [finding] = history.run(check)
    assert (finding.line, finding.confidence) == (
        line_of(history, path, "create_common(batch_op)"),
        "medium",
    )
    assert (
        "add_column (in create_common(), as its source reads now) adds NOT NULL column"
        ' "users.created_by"' in finding.message
    )
    path = add(history, "b2", "a1", 'from common import add_flag\nadd_flag(op, "users")')
    [finding] = history.run(check)
    assert '"users.flag"' in finding.message
    created = CREATE_USERS.replace('"users"', '"people"')
    add(history, "b2", "a1", created + handed.replace('"users"', '"people"'))
    assert history.run(check) == []
    add(history, "b2", "a1", handed.replace("from common", "from elsewhere"))
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("earlier", "guarded", "reported"),
    [
        (ADD_EMAIL, True, False),  # the history made it: the guard skips the add
        (ADD_EMAIL, False, True),  # no guard: the add is judged as any
        ("pass", True, True),  # the history does not say: the guard may let it run
        (f'{ADD_EMAIL}\nop.drop_column("users", "email")', True, True),  # dropped since
    ],
)
def test_a_guarded_add_of_a_column_the_history_made(
    history: History, earlier: str, guarded: bool, reported: bool
) -> None:
    """Faraday's aa56852fa76d repeats fa12b8322112's adds, each under `if not
    column_exists(...)`: on a database that ran fa12b8322112 the guard skips them."""
    guard = "not column_exists('users', 'email')" if guarded else None
    found = guarded_after(history, check, earlier, ADD_EMAIL, guard)
    assert bool(found) == reported, found
