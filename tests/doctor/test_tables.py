"""The static reader of the tables and columns a revision's upgrade() makes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alembic_gate.doctor.tables import Change, TableChanges, already_there, read_table_changes


def read(tmp_path: Path, upgrade: str, header: str = "") -> TableChanges:
    path = tmp_path / "rev.py"
    path.write_text(
        '"""add things\n\nRevision ID: a1\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n"
        f"{textwrap.dedent(header)}\n"
        "revision = 'a1'\ndown_revision = None\n\n"
        "def upgrade():\n" + textwrap.indent(textwrap.dedent(upgrade), "    ") + "\n"
        "def downgrade():\n    op.drop_table('never_read')\n",
        encoding="utf-8",
    )
    return read_table_changes(path)


def test_create_table_with_its_columns(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        op.create_table(
            "Users",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("Name", sa.String(50)),
            sa.PrimaryKeyConstraint("id"),
        )
        """,
    )
    assert changes.changes == (Change("create", "users", columns=frozenset({"id", "name"})),)
    assert changes.unknown == ()
    assert changes.message == "add things"


def test_every_operation_that_changes_tables(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        op.drop_table("legacy")
        op.rename_table("posts", "articles")
        op.add_column("users", sa.Column("email", sa.String()))
        op.drop_column("users", "nick")
        op.alter_column("users", "name", new_column_name="full_name")
        op.alter_column("users", "email", nullable=False)
        op.create_index("ix_users_email", "users", ["email"])
        """,
    )
    assert changes.changes == (
        Change("drop", "legacy"),
        Change("rename", "posts", new_name="articles"),
        Change("add_column", "users", "email"),
        Change("drop_column", "users", "nick"),
        Change("rename_column", "users", "name", new_name="full_name"),
    )


def test_batch_alter_table_and_keyword_arguments(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        with op.batch_alter_table("orders", schema=None) as batch_op:
            batch_op.add_column(sa.Column("note", sa.Text()))
            batch_op.alter_column(column_name="total", new_column_name="amount")
            batch_op.drop_column("legacy")
        """,
    )
    assert changes.changes == (
        Change("add_column", "orders", "note"),
        Change("rename_column", "orders", "total", new_name="amount"),
        Change("drop_column", "orders", "legacy"),
    )


def test_names_from_constants_helpers_and_op_f(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        users = op.create_table(TABLE, sa.Column(op.f("id"), sa.Integer))
        op.bulk_insert(users, [{"id": 1}])
        _add_flags()
        """,
        header="""
        TABLE = "accounts"

        def _add_flags():
            op.add_column(TABLE, sa.Column("active", sa.Boolean()))
        """,
    )
    assert changes.changes == (
        Change("create", "accounts", columns=frozenset({"id"})),
        Change("add_column", "accounts", "active"),
    )


def test_literal_sql(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        op.execute(
            "CREATE TABLE IF NOT EXISTS audit (id int); "
            "ALTER TABLE audit ADD COLUMN who text; "
            'ALTER TABLE "audit" RENAME COLUMN who TO actor; '
            "ALTER TABLE audit ADD CONSTRAINT pk PRIMARY KEY (id); "
            "ALTER TABLE audit RENAME TO audit_log"
        )
        op.execute(sa.text("DROP TABLE IF EXISTS old_audit"))
        op.execute("UPDATE users SET active = true")
        op.execute("CREATE TEMPORARY TABLE scratch (id int)")
        """,
    )
    assert changes.changes == (
        Change("create", "audit", guarded=True),
        Change("add_column", "audit", "who"),
        Change("rename_column", "audit", "who", new_name="actor"),
        Change("rename", "audit", new_name="audit_log"),
        Change("drop", "old_audit"),
    )
    assert changes.unknown == ()


def test_other_schemas_are_left_out(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        op.create_table("events", sa.Column("id", sa.Integer), schema="audit")
        with op.batch_alter_table("events", schema="audit") as batch_op:
            batch_op.add_column(sa.Column("at", sa.DateTime()))
        op.execute("CREATE TABLE audit.more (id int)")
        """,
    )
    assert changes.changes == ()
    [unknown] = changes.unknown  # `audit.more` may or may not be the default schema
    assert unknown.endswith(": SQL changes a table doctor cannot follow")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("op.execute(make_sql())", "execute() of SQL built at run time"),
        ("op.create_table(name, sa.Column('id'))", "names a table or column that is not a literal"),
        ("if flag:\n    op.drop_table('t')", "op.drop_table() runs inside if/for/while/try"),
        ("for t in TABLES:\n    op.drop_table(t)", "op.drop_table() runs inside if/for/while/try"),
        ("metadata.create_all(op.get_bind())", "create_all() changes tables it does not name"),
        ("op.create_table('t', *columns)", None),
    ],
)
def test_what_cannot_be_read_is_recorded(tmp_path: Path, body: str, reason: str | None) -> None:
    changes = read(tmp_path, body)
    if reason is None:  # the table is known, its columns are not
        assert changes.changes == (Change("create", "t", columns=None),)
        assert changes.unknown == ()
    else:
        [unknown] = changes.unknown
        assert unknown.endswith(reason)
        assert unknown.startswith("line ")


def test_data_statements_are_not_doubts(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        users = sa.table("users", sa.column("active"))
        op.execute(users.update().values(active=True))
        op.get_bind().execute(sa.select(users))
        """,
    )
    # The backfill needs the table: it is one the revision expects to exist.
    assert changes == TableChanges(message="add things", touched=("users",))


def test_tables_the_other_calls_need(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        op.create_table("tags", sa.Column("id", sa.Integer))
        op.create_index("ix_runs_name", "runs", ["name"])
        with op.batch_alter_table("Metrics") as batch_op:
            batch_op.create_primary_key("metric_pk", ["key", "step"])
        op.alter_column("params", "value", type_=sa.String(500))
        op.create_index("ix_other", "audit", ["at"], schema="other")
        if op.get_bind().dialect.name == "sqlite":
            op.create_index("ix_lite", "lite", ["x"])
        """,
    )
    assert changes.touched == ("runs", "metrics", "params")


def test_no_upgrade_and_unparsable_files(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("revision = 'a1'\ndown_revision = None\n")
    assert read_table_changes(path).unknown == ("no upgrade() function",)
    path.write_text("def upgrade(:\n")
    [reason] = read_table_changes(path).unknown
    assert reason.startswith("cannot read the file")


def test_helpers_connections_and_multidb_functions(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        with op.batch_alter_table("orders") as batch_op:
            _add_note(batch_op)
        if flag:
            _drop_legacy()
        conn = op.get_bind()
        conn.exec_driver_sql("ALTER TABLE orders RENAME TO purchases")
        conn.execute(sa.text(RENAME))
        """,
        header="""
        RENAME = "ALTER TABLE purchases RENAME COLUMN note TO remark"

        def _add_note(batch_op):
            batch_op.add_column(sa.Column("note", sa.Text()))

        def _drop_legacy():
            op.drop_table("legacy")

        def upgrade_engine1():
            op.drop_table("never_read_either")
        """,
    )
    assert changes.changes == (
        Change("add_column", "orders", "note"),
        Change("rename", "orders", new_name="purchases"),
        Change("rename_column", "purchases", "note", new_name="remark"),
    )
    [unknown] = changes.unknown
    assert unknown.endswith("op.drop_table() runs inside if/for/while/try")


def test_calls_into_code_doctor_does_not_read_are_unknown(tmp_path: Path) -> None:
    path = tmp_path / "r.py"
    path.write_text(
        "import json\nfrom alembic import op\nimport sqlalchemy as sa\n"
        "from myapp import util\nfrom myapp.tables import make_tables as make\n"
        "from sqlalchemy_utils import UUIDType\n\n"
        "def _local():\n    util.backfill(op.get_bind())\n\n"
        "def upgrade():\n"
        "    make(op)\n"
        "    _local()\n"
        "    data = json.dumps({})\n"
        '    op.add_column("t", sa.Column("u", UUIDType()))\n'
    )
    assert read_table_changes(path).unknown == (
        "line 12: upgrade() calls make() (make_tables from myapp.tables), which doctor does "
        "not read",
        "line 9: upgrade() calls util.backfill() from myapp, which doctor does not read",
    )


def test_calls_into_code_doctor_does_not_read_through_an_alias_are_unknown(
    tmp_path: Path,
) -> None:
    # the alias of a helper, in the module or in upgrade(), was neither read nor counted
    # as unread: doctor stated a match it could not know; said once for a loop's items
    changes = read(
        tmp_path,
        """\
        helper()
        add = utils.add_col
        for table in ("a", "b"):
            add(op, table)
        """,
        header="from myproj import utils\nhelper = utils.add_col\n",
    )
    assert changes.unknown == (
        "line 14: upgrade() calls helper() (utils.add_col from myproj), which doctor does not read",
        "line 17: upgrade() calls add() (utils.add_col from myproj), which doctor does not read",
    )


def test_operations_through_an_alias_of_op_are_read(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        o = op
        o.create_table("tags", sa.Column("id", sa.Integer()))
        add = o.add_column
        add("tags", sa.Column("name", sa.String(50)))
        _drop(o, "legacy")
        """,
        header="def _drop(ops, name):\n    ops.drop_table(name)\n",
    )
    assert changes.changes == (
        Change("create", "tags", columns=frozenset({"id"})),
        Change("add_column", "tags", "name"),
        Change("drop", "legacy"),
    )
    assert changes.unknown == ()


def test_constraint_calls_need_the_table_they_name_by_position(tmp_path: Path) -> None:
    # the table of these calls, given by position, was read as none: doctor did not
    # count them among the tables the revision needs
    changes = read(
        tmp_path,
        """\
        op.create_foreign_key("fk", "posts", "users", ["user_id"], ["id"])
        op.create_unique_constraint("uq", "tags", ["name"])
        op.create_check_constraint("ck", "orders", "total > 0")
        op.drop_constraint("fk_old", "likes", type_="foreignkey")
        """,
    )
    assert changes.touched == ("posts", "tags", "orders", "likes")


def test_what_the_database_already_holds_of_a_revision(tmp_path: Path) -> None:
    changes = read(
        tmp_path,
        """\
        op.create_table("invoices", sa.Column("id", sa.Integer))
        op.add_column("invoices", sa.Column("due", sa.Date()))
        op.add_column("users", sa.Column("phone", sa.String(40)))
        op.add_column("users", sa.Column("fax", sa.String(40)))
        op.create_table("tags", sa.Column("id", sa.Integer), if_not_exists=True)
        op.execute("ALTER TABLE users ADD COLUMN IF NOT EXISTS note text")
        op.drop_table("carts")
        op.create_table("carts", sa.Column("id", sa.Integer))
        """,
    )
    live = {
        "invoices": frozenset({"id"}),
        "users": frozenset({"id", "phone", "note"}),
        "tags": frozenset({"id"}),
        "carts": frozenset({"id"}),
    }
    # Made only where missing, or dropped first: no clash; a column of a table the
    # revision makes itself is the table's.
    assert already_there(changes, live) == ["table invoices", "column users.phone"]
    assert already_there(changes, {"users": frozenset({"id"})}) == []
