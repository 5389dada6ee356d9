from __future__ import annotations

import ast
import marshal
import zlib
from pathlib import Path

import pytest

from alembic_gate.history.operations import (
    UNKNOWN,
    Column,
    operations,
    pack,
    read_operations,
    unpack,
)
from alembic_gate.history.revisions import RevisionFile, read_revision

HEAD = '''"""m

Revision ID: b2
Revises: a1
"""
from alembic import op
import sqlalchemy as sa

revision = "b2"
down_revision = "a1"
'''


def calls(body: str, *, side: str = "upgrade") -> list[tuple[object, ...]]:
    ops = read_operations(HEAD + body)
    assert ops.problem is None
    found = ops.upgrade if side == "upgrade" else ops.downgrade
    return [(c.name, c.table, c.column, c.batch, c.autocommit) for c in found.calls]


def test_op_calls_in_order_with_positional_and_keyword_arguments() -> None:
    body = """
def upgrade():
    op.create_table("orders", sa.Column("id", sa.Integer(), nullable=False))
    op.add_column(table_name="users", column=sa.Column("age", sa.Integer()))
    op.alter_column("users", column_name="name", nullable=False)
    op.drop_column("users", "legacy", schema="app")
    op.rename_table("old", new_table_name="new")
    op.create_index("ix_a", "users", ["age"])
    op.drop_index("ix_b", table_name="users")
"""
    assert calls(body) == [
        ("create_table", "orders", None, False, False),
        ("add_column", "users", "age", False, False),
        ("alter_column", "users", "name", False, False),
        ("drop_column", "users", "legacy", False, False),
        ("rename_table", "old", None, False, False),
        ("create_index", "users", None, False, False),
        ("drop_index", "users", None, False, False),
    ]


def test_options_hold_literals_or_unknown() -> None:
    ops = read_operations(
        HEAD
        + """
def upgrade():
    op.alter_column("t", "c", nullable=False, type_=sa.Text(), new_column_name="d")
    op.rename_table("t", "u")
"""
    )
    alter, rename = ops.upgrade.calls
    assert alter.options == {"nullable": False, "type_": UNKNOWN, "new_column_name": "d"}
    assert rename.new_table == "u"


def test_new_column_facts() -> None:
    ops = read_operations(
        HEAD
        + """
def upgrade():
    op.add_column("t", sa.Column("a", sa.Integer(), nullable=False, default=0))
    op.add_column("t", Column("b", sa.Integer(), server_default=sa.text("0")))
    op.add_column("t", sa.Column("c", sa.Integer(), sa.Computed("a + 1"), nullable=False))
    op.add_column("t", sa.Column("d", sa.Integer(), server_default=None, nullable=flag))
    op.add_column("t", column)
"""
    )
    assert [c.new_column for c in ops.upgrade.calls] == [
        Column("a", nullable=False, server_default=False, client_default=True),
        Column("b", nullable=None, server_default=True, client_default=False),
        Column("c", nullable=False, server_default=True, client_default=False),
        Column("d", nullable=None, server_default=False, client_default=False),
        None,
    ]


def test_batch_alias_and_autocommit_block() -> None:
    body = """
def upgrade():
    with op.batch_alter_table("users", schema=None) as b, op.batch_alter_table("t") as c:
        b.drop_column("x")
        c.alter_column("y", nullable=False)
        op.drop_table("z")
    with op.get_context().autocommit_block():
        op.create_index("ix", "users", ["a"], postgresql_concurrently=True)
    b.drop_column("outside")
"""
    assert calls(body) == [
        ("batch_alter_table", "users", None, False, False),
        ("batch_alter_table", "t", None, False, False),
        ("drop_column", "users", "x", True, False),
        ("alter_column", "t", "y", True, False),
        ("drop_table", "z", None, False, False),
        ("create_index", "users", None, False, True),
    ]


def test_helpers_aliases_and_the_multidb_template() -> None:
    body = """
from alembic import op as migrate

def upgrade(engine_name: str) -> None:
    globals()["upgrade_%s" % engine_name]()

def upgrade_engine1():
    _drop_old()
    _drop_old()

def _drop_old():
    migrate.drop_table("old")

def downgrade(engine_name: str) -> None:
    globals()["downgrade_%s" % engine_name]()

def downgrade_engine1():
    op.create_table("old")

def not_called():
    op.drop_table("never")
"""
    assert calls(body) == [("drop_table", "old", None, False, False)]
    assert calls(body, side="downgrade") == [("create_table", "old", None, False, False)]


@pytest.mark.parametrize(
    ("statement", "tables"),
    [
        ('op.execute("UPDATE users SET a = 1")', ["users"]),
        ("op.execute(sa.text('update public.\"Users\" set a = 1'))", ["Users"]),
        ("op.execute('UPDATE ONLY `acc` AS x SET a = 1; UPDATE b SET c = 2')", ["acc", "b"]),
        ("op.execute(SQL)", ["users"]),
        ("op.execute(f'UPDATE {TABLE} SET a = 1')", ["users"]),
        ("op.execute(f'UPDATE {name} SET a = 1')", [None]),
        ("op.execute('UPDATE %s SET a = 1' % name)", [None]),
        ("op.execute(users.update().values(a=1))", ["users"]),
        ("op.execute(sa.update(sa.table('t')).values(a=1))", ["t"]),
        ("op.get_bind().execute(other.update())", [None]),
        ("op.execute('INSERT INTO users VALUES (1)')", []),
        ("op.execute('CREATE TRIGGER t BEFORE UPDATE ON users')", []),
    ],
)
def test_backfills(statement: str, tables: list[str | None]) -> None:
    body = f"""
SQL = "UPDATE users SET a = 0 WHERE a IS NULL"
TABLE = "users"
users = sa.table("users", sa.column("a"))

def upgrade():
    {statement}
"""
    ops = read_operations(HEAD + body)
    assert [c.table for c in ops.upgrade.calls if c.name == "backfill"] == tables


def test_body_shapes() -> None:
    ops = read_operations(
        HEAD
        + '''
def upgrade():
    """Docstring."""
    # ### commands auto generated by Alembic - please adjust! ###
    pass
    # ### end Alembic commands ###

def downgrade():
    raise NotImplementedError()
'''
    )
    assert (ops.upgrade.empty, ops.upgrade.raises, ops.upgrade.line) == (True, False, 12)
    assert (ops.downgrade.empty, ops.downgrade.raises, ops.downgrade.line) == (False, True, 18)
    missing = read_operations(HEAD)
    assert (missing.upgrade.line, missing.upgrade.empty) == (None, True)


def test_unparsable_source() -> None:
    ops = read_operations(HEAD + "def upgrade(:\n")
    assert ops.problem is not None
    assert ops.upgrade.calls == []


def test_operations_come_from_the_parse_that_read_the_file(tmp_path: Path) -> None:
    path = tmp_path / "b2_m.py"
    source = HEAD + 'def upgrade():\n    op.drop_table("a")\n'
    path.write_text(source)
    rev = read_revision(path, tmp_path)
    path.unlink()  # never opened again: the one parse gave everything
    first = operations(rev)
    assert first == read_operations(source)
    assert operations(rev) is first
    assert [c.table for c in first.upgrade.calls] == ["a"]


def test_a_revision_built_by_hand_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "b2_m.py"
    path.write_text(HEAD + 'def upgrade():\n    op.drop_table("a")\n')
    rev = RevisionFile(path, "b2_m.py")
    assert [c.table for c in operations(rev).upgrade.calls] == ["a"]
    assert rev.ops_data is not None
    gone = RevisionFile(tmp_path / "gone.py", "gone.py")
    assert operations(gone).problem == "cannot read file: No such file or directory"


def test_packed_operations_round_trip_and_reject_damage() -> None:
    ops = read_operations(
        HEAD
        + "def upgrade():\n"
        + "    op.alter_column('t', 'c', type_=sa.Text(), nullable=False, server_default=x)\n"
        + "    op.create_index(op.f('ix'), 't', ['c'], unique=True, **kw)\n"
        + "    with op.batch_alter_table('t') as b:\n"
        + "        b.add_column(sa.Column('d', sa.Integer(), nullable=False))\n"
    )
    assert unpack(pack(ops)) == ops
    call = ops.upgrade.calls[0]
    assert (call.type_text, call.options["server_default"]) == ("sa.Text()", UNKNOWN)
    assert ops.upgrade.calls[1].arguments == ("op.f('ix')", "'t'", "['c']")
    assert ops.upgrade.calls[1].keywords == (("unique", "True"), (None, "kw"))
    raw = marshal.loads(zlib.decompress(pack(ops)))
    for damaged in (
        b"",
        b"not zlib",
        zlib.compress(b"\x00"),
        zlib.compress(marshal.dumps(raw[:-1])),
        zlib.compress(marshal.dumps((("x",), *raw[1:]))),
        zlib.compress(marshal.dumps((raw[0], raw[1], 42, raw[3]))),
        zlib.compress(marshal.dumps(compile("1", "x", "eval"))),
    ):
        with pytest.raises(ValueError):
            unpack(damaged)


U = "def upgrade():\n    "


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            U + "op.add_column()\n    op.alter_column(*args, **kw)",
            [("add_column", None, None), ("alter_column", None, None)],
        ),
        (U + "op.add_column(*('t', sa.Column('c', nullable=False)))", [("add_column", None, None)]),
        (U + "op.add_column('t', sa.Column(**spec))", [("add_column", "t", None)]),
        (
            U + "with op.batch_alter_table(*n) as b:\n        b.drop_column()",
            [("drop_column", None, None)],
        ),
        (U + "with op.batch_alter_table('t'):\n        pass", []),
        (U + "with op.batch_alter_table('t') as (a, b):\n        a.drop_column('x')", []),
        (
            U + "op.execute()\n    op.execute(sqltext=None)\n    conn.execute(1)",
            [("execute", None, None), ("execute", None, None)],
        ),
        (
            U
            + "def inner():\n        op.drop_table('x')\n    class K:\n        op.drop_table('y')",
            [],
        ),
        (U + "upgrade()\n\ndef downgrade():\n    downgrade()", []),
        ("upgrade = 1\ndowngrade = lambda: None\n", []),
    ],
)
def test_odd_shapes(body: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    ops = read_operations(HEAD + body + "\n")
    calls = [c for c in ops.upgrade.calls if c.name != "batch_alter_table"]
    assert [(c.name, c.table, c.column) for c in calls] == expected


def test_too_deeply_nested_is_a_problem_not_a_crash() -> None:
    ops = read_operations(HEAD + U + "x = " + " + ".join(["a"] * 5000) + "\n")
    assert ops.problem is not None


def test_facts_doctor_reads() -> None:
    ops = read_operations(
        HEAD
        + """
DDL = "DROP TABLE old"

def upgrade():
    op.create_table("t", sa.Column("id"), sa.Column(name="Name"), sa.UniqueConstraint("id"))
    op.create_table("u", sa.Column(name))
    op.alter_column("t", "a", new_column_name="b")
    op.drop_table("s", schema="audit")
    with op.batch_alter_table("t", schema=SCHEMA) as batch_op:
        batch_op.drop_column("c")
    op.execute(sa.text(DDL))
    op.execute(make_sql())
    op.execute(users.delete())
"""
    )
    facts = [(c.columns, c.new_column_name, c.schema, c.sql) for c in ops.upgrade.calls]
    assert facts == [
        (("id", "Name"), None, None, None),
        (None, None, None, None),
        (None, "b", None, None),
        (None, None, "audit", None),
        (None, None, UNKNOWN, None),  # batch_alter_table itself
        (None, None, UNKNOWN, None),
        (None, None, None, "DROP TABLE old"),
        (None, None, None, UNKNOWN),
        (None, None, None, None),
    ]
    assert ops.message == "m"


def test_conditional_operations_and_helpers() -> None:
    body = """
def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("a")
    else:
        _helper()
    for name in NAMES:
        op.drop_table(name)
    try:
        op.drop_table("b")
    except Exception:
        op.drop_table("c")
    with op.batch_alter_table("t") as batch_op:
        _batch_helper(batch_op)
    op.drop_table("d")

def _helper():
    op.drop_table("e")

def _batch_helper(batch_op):
    batch_op.drop_column("x")
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column, c.conditional) for c in ops.upgrade.calls]
    assert found == [
        ("drop_table", "a", None, True),
        ("drop_table", "e", None, True),
        ("drop_table", None, None, True),
        ("drop_table", "b", None, True),
        ("drop_table", "c", None, True),
        ("batch_alter_table", "t", None, False),
        ("drop_column", "t", "x", False),
        ("drop_table", "d", None, False),
    ]


def test_steps_add_what_runs_on_a_connection() -> None:
    ops = read_operations(
        HEAD
        + """
def upgrade():
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE users SET a = 1"))
    op.drop_table("a")
    conn.exec_driver_sql(statement="DROP TABLE b")
    metadata.create_all(conn)
"""
    )
    assert [c.name for c in ops.upgrade.calls] == ["backfill", "drop_table"]
    steps = [(c.name, c.sql) for c in ops.upgrade.steps]
    assert steps == [
        ("backfill", None),
        ("execute", "UPDATE users SET a = 1"),
        ("drop_table", None),
        ("exec_driver_sql", "DROP TABLE b"),
        ("create_all", None),
    ]


def test_multidb_functions_can_be_left_out() -> None:
    source = HEAD + (
        "def upgrade(engine_name):\n"
        '    globals()["upgrade_%s" % engine_name]()\n\n'
        "def upgrade_engine1():\n"
        '    op.drop_table("old")\n'
    )
    assert [c.table for c in read_operations(source).upgrade.calls] == ["old"]
    assert read_operations(source, multidb=False).upgrade.calls == []


@pytest.mark.parametrize(
    "source",
    [
        "1",
        "'x'",
        "None",
        "...",
        "x",
        "a.b",
        "sa.Text()",
        "set()",
        "set([1])",
        "x.set()",
        "(1, 2)",
        "[1, {2: 3}]",
        "-1",
        "1+2j",
        "{1}",
        "f(1)",
        "set(**kw)",
        "b'x'",
    ],
)
def test_literals_as_literal_eval_reads_them(source: str) -> None:
    from alembic_gate.history.operations import _literal

    node = ast.parse(source, mode="eval").body
    try:
        expected = ast.literal_eval(node)
    except ValueError:
        expected = UNKNOWN
    assert _literal(node) == expected
