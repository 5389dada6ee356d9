from __future__ import annotations

import ast
import inspect
import marshal
import random
import re
import textwrap
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alembic_gate.history import operations as operations_module
from alembic_gate.history.operations import (
    _DIALECT_TEXT,
    _DIALECT_WORDS,
    MEMO_SIZE,
    UNKNOWN,
    Call,
    Column,
    _Reader,
    altered_columns,
    expect,
    expect_history,
    forget,
    keeps,
    named_dialects,
    operations,
    pack,
    read_operations,
    touched_tables,
    unpack,
    unpack_ahead,
    upgrade_calls,
)
from alembic_gate.history.revisions import RevisionFile, read_revision, read_revision_source
from alembic_gate.shared import records

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
        Column("a", False, server_default=False, client_default=True, type_="sa.Integer()"),
        Column("b", None, server_default=True, client_default=False, type_="sa.Integer()"),
        Column("c", False, server_default=True, client_default=False, type_="sa.Integer()"),
        Column("d", None, server_default=False, client_default=False, type_="sa.Integer()"),
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
        ("drop_table", "z", None, False, False),  # at once: the batches run at the end
        ("drop_column", "users", "x", True, False),
        ("alter_column", "t", "y", True, False),
        ("create_index", "users", None, False, True),
    ]


def test_a_batch_runs_when_its_block_ends() -> None:
    """DataJunction's 9b1227ff17f4: the UPDATE written below the batch's NOT NULL runs
    first (alembic runs the batch alias's operations as the block ends); a batch alias's
    SQL runs where it stands, and calls after the block stay after it."""
    body = """
def upgrade():
    with op.batch_alter_table("backfill") as batch_op:
        batch_op.alter_column("spec", nullable=False)
        op.execute("UPDATE backfill SET spec = 1")
        batch_op.execute("UPDATE backfill SET n = 2")
    op.drop_column("backfill", "old")
"""
    assert [(c[0], c[2]) for c in calls(body)] == [
        ("batch_alter_table", None),
        ("backfill", "spec"),
        ("execute", None),
        ("backfill", "n"),
        ("execute", None),
        ("alter_column", "spec"),
        ("drop_column", "old"),
    ]


def test_execution_options_without_an_isolation_level() -> None:
    # optuna: a statement's execution_options() with keywords only, none an isolation
    # level, opens no autocommit (it once raised IndexError and stopped the run)
    body = """
def upgrade():
    bind = op.get_bind()
    stmt = sa.delete(t).where(t.c.key == "x").execution_options(synchronize_session=False)
    bind.execute(stmt)
    op.create_index("ix", "users", ["a"], postgresql_concurrently=True)
"""
    assert calls(body)[-1] == ("create_index", "users", None, False, False)


def test_a_reader_error_is_a_problem_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # a bug of the reader on one file leaves that file unchecked, with why, and the run
    # goes on (the safety rules put it in a note)
    def fail(*_: object) -> None:
        raise IndexError("list index out of range")

    monkeypatch.setattr(_Reader, "side", fail)
    ops = read_operations(HEAD + "def upgrade():\n    op.drop_table('t')\n")
    assert ops.problem == "alembic-gate's reader failed on it with IndexError; please report it"


def test_sql_and_names_formatted_with_percent_or_format() -> None:
    # ichnaea drops four tables with `"DROP TABLE %s" % table` in a loop over their names
    body = """
def upgrade():
    for table in ("a", "b"):
        stmt = "DROP TABLE %s" % table
        op.execute(sa.text(stmt))
    op.execute("ALTER TABLE {t} DROP COLUMN {}".format("x", t="c"))
    op.execute("ALTER TABLE %(t)s DROP COLUMN %(c)s" % {"t": "d", "c": "y"})
    op.execute("ALTER TABLE %s DROP COLUMN %s" % ("e", column))
    op.drop_table("%s_tmp" % "f")
    op.drop_table("{0.name}".format(model))
    op.execute("UPDATE g SET a = 1 WHERE b LIKE '%%x' AND c = %d" % 3)
"""
    found = [(n, t, c) for n, t, c, _, _ in calls(body) if n != "execute"]
    assert found == [
        ("drop_table", "a", None),
        ("drop_table", "b", None),
        ("drop_column", "c", "x"),
        ("drop_column", "d", "y"),
        ("drop_column", "e", None),  # a column known at run time only
        ("drop_table", "f_tmp", None),
        ("drop_table", None, None),  # a field that reaches into its value
        ("backfill", "g", "a"),
    ]


def test_ddl_formatted_with_its_context() -> None:
    """`sa.DDL(text, context={...})` runs `text % context` (boxoffice changes 44 columns
    to TIMESTAMPTZ so, in a loop): the statement is known, and its quoted column may
    touch the next word."""
    body = """
COLUMNS = [("invoice", "created_at"), ("item", "paid_at")]

def upgrade():
    for table, column in COLUMNS:
        op.execute(sa.DDL(
            'ALTER TABLE "%(table)s" ALTER COLUMN "%(column)s"'
            'TYPE TIMESTAMP WITH TIME ZONE',
            context={"table": table, "column": column},
        ))
    op.execute(sa.schema.DDL("UPDATE item SET paid_at = now() WHERE name LIKE 'a%%'"))
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column, c.type_text) for c in ops.upgrade.calls]
    changed = [f for f in found if f[0] != "execute"]
    assert changed == [
        ("alter_column", "invoice", "created_at", "TIMESTAMPWITHTIMEZONE"),
        ("alter_column", "item", "paid_at", "TIMESTAMPWITHTIMEZONE"),
        ("backfill", "item", "paid_at", None),
    ]
    sql = [c.sql for c in ops.upgrade.calls if c.name == "execute"]
    assert sql[0] == 'ALTER TABLE "invoice" ALTER COLUMN "created_at"TYPE TIMESTAMP WITH TIME ZONE'
    assert sql[2] == "UPDATE item SET paid_at = now() WHERE name LIKE 'a%'"


def test_a_loop_over_items_not_all_literal_is_read_once_per_item() -> None:
    """lastuser loops over (table, column, type) triples, the types written as calls: the
    tables and columns are read, the types as written."""
    body = """
COLUMNS = [
    ("client", "website", sa.String(250)),
    ("team", "title", sa.Unicode(250)),
]

def upgrade():
    for table, column, col_type in COLUMNS:
        op.alter_column(table, column, type_=sa.UnicodeText(), existing_type=col_type)
    for name, kind in [("a", sa.Integer()), ("b", make_type())]:
        op.add_column("users", sa.Column(name, kind))
    for table, *rest in [("x", 1)]:
        op.drop_table(table)
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column, c.existing_type_text) for c in ops.upgrade.calls]
    assert found == [
        ("alter_column", "client", "website", "sa.String(250)"),
        ("alter_column", "team", "title", "sa.Unicode(250)"),
        ("add_column", "users", "a", None),
        ("add_column", "users", "b", None),
        ("drop_table", None, None, None),  # (a starred target: read once, not known)
    ]


def test_a_loop_over_a_filtered_comprehension_of_a_literal_sequence() -> None:
    """GPUStack changes the tables of `[t for t in ("models", "model_routes") if
    table_exists(t)]`: each item is read, as a call that may not run (one that keeps
    every item runs); a comprehension that maps the items, or is over a sequence not
    known, is not unrolled."""
    body = """
def upgrade():
    targets = [t for t in ("models", "model_routes") if table_exists(t)]
    for table in targets:
        op.drop_column(table, "a")
    for table in (t for t in ["x"]):
        op.drop_column(table, "b")
    for table in [t.upper() for t in ("y",)]:
        op.drop_column(table, "c")
    for table in [t for t in tables()]:
        op.drop_column(table, "d")
"""
    ops = read_operations(HEAD + body)
    found = [(c.table, c.column, c.conditional) for c in ops.upgrade.calls]
    assert found == [
        ("models", "a", True),
        ("model_routes", "a", True),
        ("x", "b", False),
        (None, "c", True),
        (None, "d", True),
    ]


def test_a_comprehension_whose_test_is_known_for_each_item_keeps_those_it_passes() -> None:
    """Otari retypes six (table, column) counters in a loop over four tables, each
    table's columns picked by `[e for e in COUNTERS if e[0] == table]`: each table's own
    columns are read, as calls that run (not every table with every column); an item
    whose test is not known is kept, as a call that may not run; `and` and `or` are
    read as Python reads them."""
    body = """
COUNTERS = (("budgets", "max_budget"), ("users", "spend"), ("users", "reserved"))
KINDS = {"users": "plain", "budgets": "cap"}

def upgrade():
    for table in ("budgets", "users"):
        columns = [entry for entry in COUNTERS if entry[0] == table]
        for _table, column in columns:
            op.alter_column(table, column, type_=sa.Numeric(18, 6))
    for table, column in [e for e in COUNTERS if e[1] != "spend" and KINDS[e[0]] == "plain"]:
        op.drop_column(table, column)
    for name in [n for n in ("a", "b") if n == pick()]:
        op.drop_column("t", name)
    for name in [n for n in ("a", "b", "c") if n == "a" or n == "c"]:
        op.drop_column("u", name)
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column, c.conditional) for c in ops.upgrade.calls]
    assert found == [
        ("alter_column", "budgets", "max_budget", False),
        ("alter_column", "users", "spend", False),
        ("alter_column", "users", "reserved", False),
        ("drop_column", "users", "reserved", False),
        ("drop_column", "t", "a", True),
        ("drop_column", "t", "b", True),
        ("drop_column", "u", "a", False),
        ("drop_column", "u", "c", False),
    ]


def test_an_item_of_a_known_sequence_or_dict_is_read_by_its_index_or_key() -> None:
    """CodeChecker tightens the columns of `ASSOCIATION_TABLES`, a list of dicts, by
    `info["name"]` and `info["columns"]`; labonneboite retypes
    `TABLES_WITH_VARCHAR_COLUMNS[table]`: each table's own columns are read. An index out
    of range, a key not held or a slice is not known."""
    body = """
TABLES = [
    {"name": "report_info", "columns": ("report_id", "info_id")},
    {"name": "history_info", "columns": ("history_id",)},
]
WIDE = {"users": ("email",)}

def upgrade():
    for info in TABLES:
        with op.batch_alter_table(info["name"]) as batch_op:
            for column in info["columns"]:
                batch_op.alter_column(column, nullable=False)
    for table in WIDE:
        for column in WIDE[table]:
            op.drop_column(table, column)
    op.drop_column(TABLES[2]["name"], "a")
    op.drop_column(TABLES[0]["other"], "b")
    op.drop_column(TABLES[0:1], "c")
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column) for c in ops.upgrade.calls]
    assert [f for f in found if f[0] != "batch_alter_table"] == [
        ("alter_column", "report_info", "report_id"),
        ("alter_column", "report_info", "info_id"),
        ("alter_column", "history_info", "history_id"),
        ("drop_column", "users", "email"),
        ("drop_column", None, "a"),
        ("drop_column", None, "b"),
        ("drop_column", None, "c"),
    ]


def test_a_loop_over_a_known_string_split_on_a_separator() -> None:
    """threedi-schema runs `MIGRATION_QUERIES.split(";")` statement by statement: each
    piece is read as SQL (its UPDATEs fill their columns). A string not known, or split on
    no literal separator, is not unrolled: its statements are not known."""
    body = """
QUERIES = \"\"\"
UPDATE settings SET mode = 2 WHERE mode IS NULL;
UPDATE aggregation SET variable = 'discharge' WHERE variable IS NULL;
\"\"\"

def upgrade():
    for query in QUERIES.split(";"):
        if not query.strip():
            continue
        op.execute(sa.text(query))
    for query in load_queries().split(";"):
        op.execute(query)
    for query in QUERIES.split(separator):
        op.execute(query)
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column) for c in ops.upgrade.calls if c.name != "execute"]
    assert found == [("backfill", "settings", "mode"), ("backfill", "aggregation", "variable")]
    unknown = [c for c in ops.upgrade.calls if c.name == "execute" and c.sql is UNKNOWN]
    assert len(unknown) == 2


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
    source = HEAD + body
    ops = read_operations(source)
    # downgrade(): its shape only (AG107); its calls are never read
    line = source.splitlines().index("def downgrade(engine_name: str) -> None:") + 1
    assert (ops.downgrade.calls, ops.downgrade.line, ops.downgrade.empty) == ([], line, False)


def test_functions_defined_inside_upgrade() -> None:
    # MLflow's 1b5f0d9ad7c1 defines its helpers inside upgrade() and calls them below
    body = """
def _index(name):
    op.create_index(name, "module_level", ["a"])

def upgrade():
    def _is_postgresql():
        return op.get_bind().dialect.name == "postgresql"

    def _index(name):  # shadows the module-level one
        op.create_index(name, "users", ["a"])

    def _indexes():
        _index("ix_a")
        def _never_called():
            op.drop_table("never")

    if _is_postgresql():
        _indexes()
"""
    assert calls(body) == [("create_index", "users", None, False, False)]
    assert read_operations(HEAD + body).upgrade.calls[0].dialects == ("postgresql",)


def test_a_type_given_through_a_helpers_parameter() -> None:
    # mwdb-core's 6fc42e070495: alter_column(table, column, type_) called with each type
    body = """
def _alter(table, column, type_):
    op.alter_column(table, column, type_=type_)

def _again(table, column, kind):
    _alter(table, column, kind)

def upgrade():
    _alter("object", "md5", type_=sa.String(32, collation="C"))
    _again("object", "sha1", sa.String(40))
"""
    found = read_operations(HEAD + body).upgrade.calls
    assert [(c.table, c.column, c.type_text) for c in found] == [
        ("object", "md5", "sa.String(32, collation='C')"),
        ("object", "sha1", "sa.String(40)"),
    ]


def test_a_module_level_statement_run_by_name() -> None:
    # ZenML's 1d8f30c54477 keeps its UPDATEs in module-level sa.text() constants
    body = """
UPDATE_USERS = sa.text("UPDATE users SET name = :name WHERE id = :id")

def upgrade():
    session = Session(bind=op.get_bind())
    for row in rows:
        session.execute(UPDATE_USERS, params={"name": "x", "id": row.id})
"""
    ops = read_operations(HEAD + body)
    [execute] = [step for step in ops.upgrade.steps if step.name == "execute"]
    assert (execute.sql_kind, execute.sql) == (
        "data",
        "UPDATE users SET name = :name WHERE id = :id",
    )
    assert [(c.name, c.table) for c in ops.upgrade.calls] == [("backfill", "users")]


def test_a_module_level_sql_string_built_at_run_time_is_read_by_name() -> None:
    """test_observer's 7878a1b29384 keeps its UPDATEs in module-level f-strings that cast
    to an enum type's name; a `%`-formatted DROP and a `+` join are read the same way,
    each part not known as a placeholder."""
    body = """
stage_type = sa.Enum("a", "b", name="stagename")
FILL = f\"\"\"
UPDATE artefact SET stage = subq.name::{stage_type.name}
FROM (SELECT id, name FROM stage) AS subq WHERE subq.id = artefact.stage_id
\"\"\"
DROP = "DROP TABLE %s" % "family"
CLEAR = "DELETE FROM " + "audit"


def upgrade():
    op.execute(FILL)
    op.execute(DROP)
    op.execute(CLEAR)
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column) for c in ops.upgrade.calls if c.name != "execute"]
    assert found == [
        ("backfill", "artefact", "stage"),
        ("drop_table", "family", None),
        ("empty", "audit", None),
    ]


def test_sql_a_function_of_the_file_returns_is_read_with_its_arguments() -> None:
    """art17-consultation's 0026: a function that only returns the SQL it builds is read
    with the call's literal arguments and its defaults; a parameter the call gives no
    literal for is not known (not the module's name it shadows)."""
    body = """
table = "not_this"


def fill(table, column="name"):
    return f"UPDATE {table} SET {column} = ''"


def upgrade():
    op.execute(fill("users"))
    op.execute(fill(some_name(), column="email"))
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column) for c in ops.upgrade.calls if c.name != "execute"]
    assert found == [("backfill", "users", "name"), ("backfill", None, "email")]
    kinds = [(c.sql, c.sql_kind) for c in ops.upgrade.steps if c.name == "execute"]
    assert kinds == [("UPDATE users SET name = ''", "data"), (UNKNOWN, "data")]
    shapes = [c.sql_shape for c in ops.upgrade.steps if c.name == "execute"]
    assert shapes == [None, "UPDATE {} SET email = ''"]  # SQL built at run time only


def test_a_function_handed_to_a_helper_is_read_where_the_helper_calls_it() -> None:
    """aurweb's 56e2ce8e2ffa hands a function defined in upgrade() to a loop helper, which
    calls it with each item; the item is unpacked into names. A name unpacked from what
    is not known is not known (not the module's name it shadows)."""
    body = """
table = "not_this"


def each(items, fn):
    for item in items:
        fn(item)


def upgrade():
    def drop(pair):
        table, column = pair
        op.drop_column(table, column)

    each([("users", "a"), ("orders", "b")], drop)
    table, column = pick()
    op.drop_column(table, column)
"""
    found = [(c.name, c.table, c.column) for c in read_operations(HEAD + body).upgrade.calls]
    assert found == [
        ("drop_column", "users", "a"),
        ("drop_column", "orders", "b"),
        ("drop_column", None, None),
    ]


def test_functions_handed_to_imported_code_are_read_as_run_there() -> None:
    """Hindsight routes every upgrade() through its own `run_for_dialect(pg=_pg_upgrade,
    oracle=_oracle_upgrade)`, which runs the function for the bind's dialect: each is
    read on the dialect its keyword or its own name names, else wherever the call runs.
    Functions handed to builtins or the standard library are not read as run."""
    body = """
import functools

from myproject.alembic._dialect import run_for_dialect, each_schema


def _pg_upgrade():
    op.add_column("users", sa.Column("a", sa.Integer()))


def _oracle_upgrade():
    op.add_column("users", sa.Column("b", sa.Integer()))


def _sqlite_fix():
    op.drop_column("users", "c")


def _fill():
    op.create_index("ix_users_d", "users", ["d"])


def _not_run():
    op.drop_table("users")


def _again():
    each_schema(_again)  # read once, not again and again


def upgrade():
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)
    run_for_dialect(_sqlite_fix)
    each_schema(_fill)
    each_schema(_again)
    list(map(_not_run, []))
    sorted([], key=_not_run)
    functools.partial(_not_run)
"""
    found = [(c.name, c.column, c.dialects) for c in read_operations(HEAD + body).upgrade.calls]
    assert found == [
        ("add_column", "a", ("postgresql",)),
        ("add_column", "b", ("oracle",)),
        ("drop_column", "c", ("sqlite",)),
        ("create_index", None, None),
    ]


def test_a_table_object_created_in_the_database_is_a_create_table() -> None:
    """mcp-context-forge's rebuilds: `sa.Table(name, metadata, ...)` made by its
    `create(bind)`, at that line; its columns not known where the call gives none (they
    are appended from a reflected table). An Enum's create() is no table."""
    body = """
def upgrade():
    bind = op.get_bind()
    metadata = sa.MetaData()
    copy = sa.Table("users_tmp", metadata)
    kinds = sa.Enum("a", "b", name="kind")
    copy.create(bind)
    kinds.create(bind)
    notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer()))
    notes.create(bind, checkfirst=True)
"""
    calls = read_operations(HEAD + body).upgrade.calls
    assert [(c.name, c.table, c.line, c.columns) for c in calls] == [
        ("create_table", "users_tmp", 17, None),
        ("create_table", "notes", 20, ("id",)),
    ]


def test_a_helper_called_in_two_scopes_is_read_in_each() -> None:
    # MLflow's 1b5f0d9ad7c1: the helper runs in a SQLite branch that returns, and then
    # for every other database; read once, its calls looked SQLite-only
    body = """
def upgrade():
    def _indexes():
        op.create_index("ix_a", "users", ["a"])

    if op.get_bind().dialect.name == "sqlite":
        _indexes()
        return
    _indexes()
    _indexes()  # the same scope again: read once
"""
    found = read_operations(HEAD + body).upgrade.calls
    assert [(c.name, c.dialects) for c in found] == [
        ("create_index", ("sqlite",)),
        ("create_index", ("mssql", "mysql", "oracle", "postgresql")),
    ]
    # a scope whose batch holds a value that cannot be hashed (a schema given as a list)
    unhashable = """
def _drop():
    batch_op.drop_column("x")

def upgrade():
    with op.batch_alter_table("t", schema=["a"]) as batch_op:
        _drop()
"""
    assert calls(unhashable)[-1] == ("drop_column", "t", "x", True, False)


def test_a_name_bound_to_an_f_string_that_names_itself() -> None:
    # ZenML's 7500f434b71c: `name = f"{name}-..."` in a helper's loop sent the reader round
    # the binding until Python's recursion limit, and every call of the file was lost
    body = """
def _rename(table):
    name = "x"
    for suffix in range(4, 8):
        name = f"{name}-{suffix}"
    op.execute(f"UPDATE {table} SET name = '{name}'")

def upgrade():
    _rename("stack")
    op.drop_column("stack", "is_shared")
"""
    assert read_operations(HEAD + body).problem is None
    assert calls(body) == [
        ("backfill", "stack", "name", False, False),
        ("execute", None, None, False, False),
        ("drop_column", "stack", "is_shared", False, False),
    ]


@pytest.mark.parametrize(
    ("imports", "op"),
    [
        ("import alembic", "alembic.op"),  # cads-broker's history
        ("import alembic as al", "al.op"),
        ("import alembic.op", "alembic.op"),
        ("import alembic.op as o", "o"),
        ("import alembic\no = alembic.op", "o"),
        ("import alembic, sqlalchemy", "alembic.op"),
    ],
)
def test_operations_through_the_alembic_package(imports: str, op: str) -> None:
    """`import alembic` and then `alembic.op.create_index(...)` (cads-broker): op's calls,
    batches too; the same attribute of another package is not op."""
    body = f"""
{imports}

def upgrade():
    {op}.create_index("ix_users_a", "users", ["a"])
    with {op}.batch_alter_table("t") as batch_op:
        batch_op.drop_column("y")
"""
    assert calls(body) == [
        ("create_index", "users", None, False, False),
        ("batch_alter_table", "t", None, False, False),
        ("drop_column", "t", "y", True, False),
    ]
    assert calls(body.replace("alembic", "myapp")) == []


def test_operations_through_a_method_of_the_alembic_package() -> None:
    body = """
import alembic
add = alembic.op.add_column

def upgrade():
    add("users", sa.Column("x", sa.Integer()))
"""
    assert calls(body) == [("add_column", "users", "x", False, False)]


def test_operations_imported_from_alembic_op_by_name() -> None:
    # Rucio's history: `from alembic.op import drop_column, ...`, called by name
    body = """
from alembic.op import (add_column, batch_alter_table, drop_column, execute, get_bind,
                        rename_table as rename)

def upgrade():
    if get_bind().dialect.name == "postgresql":
        drop_column("users", "x")
    rename("old", "new")
    execute("UPDATE users SET a = 1")
    with batch_alter_table("t") as batch_op:
        batch_op.drop_column("y")

def add_column(table, column):  # a helper of the module's own shadows the import
    pass

def downgrade():
    add_column("users", sa.Column("x", sa.Integer()))
"""
    assert calls(body) == [
        ("drop_column", "users", "x", False, False),
        ("rename_table", "old", None, False, False),
        ("backfill", "users", "a", False, False),
        ("execute", None, None, False, False),
        ("batch_alter_table", "t", None, False, False),
        ("drop_column", "t", "y", True, False),
    ]
    assert read_operations(HEAD + body).upgrade.calls[0].dialects == ("postgresql",)


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
        # Backend.AI's: SQL passed through dedent, run by exec_driver_sql, built in a
        # name bound to an f-string whose parts are values
        ('q = textwrap.dedent("  UPDATE users SET a = 1")\n    op.execute(sa.text(q))', ["users"]),
        ("q = dedent(SQL)\n    op.execute(q)", ["users"]),
        ("q = inspect.cleandoc(SQL).strip()\n    op.execute(q)", ["users"]),
        ("op.get_bind().exec_driver_sql('UPDATE users SET a = 1')", ["users"]),
        ('q = f"UPDATE users SET a = {v} WHERE id = {i}"\n    op.execute(q)', ["users"]),
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


@pytest.mark.parametrize(
    ("statement", "filled"),
    [
        ('op.execute("UPDATE users SET a = 1")', [("users", "a")]),
        (
            'op.execute("UPDATE users SET a = 1, b = f(x, 2), \\"C\\" = \'p,q\' WHERE z")',
            [("users", "a"), ("users", "b"), ("users", "C")],
        ),
        (
            'op.execute("UPDATE t SET x.a = (SELECT max(b) FROM s WHERE s.c = 1), d = 3")',
            [("t", "a"), ("t", "d")],
        ),
        ('op.execute("update t set a=1 from s where s.id = t.id")', [("t", "a")]),
        ('op.execute("UPDATE t SET (a, b) = (1, 2)")', [("t", None)]),  # any column
        # "ß".upper() is "SS": the end of the clause is found where it stands
        ("op.execute(\"UPDATE t SET a = 'ßß' FROM s, u WHERE s.id = t.id\")", [("t", "a")]),
        ("op.execute(f'UPDATE t SET {name} = 1')", [("t", None)]),  # named at run time
        ("op.execute(users.update().values(a=1, b=2))", [("users", "a"), ("users", "b")]),
        ("op.execute(sa.update(sa.table('t')).where(x).values({'a': 1}))", [("t", "a")]),
        ("op.execute(sa.update(sa.table('t')).values(**row))", [("t", None)]),
        # keyed by the table's column objects (Changes' backfill)
        ("op.execute(users.update().where(x).values({users.c.a: 1}))", [("users", "a")]),
        (
            "op.execute(users.update().values({users.c['a']: 1, 'b': 2}))",
            [("users", "a"), ("users", "b")],
        ),
        ("op.execute(users.update().values({key: 1}))", [("users", None)]),
        # MySQL's multi-table UPDATE: the first table's columns, by its alias or name
        (
            'op.execute("UPDATE score AS s JOIN backup AS b ON b.id = s.bid SET s.uid = b.u")',
            [("score", "uid")],
        ),
        (
            'op.execute("UPDATE score s INNER JOIN b ON b.id = s.bid SET s.a = 1, b.c = 2")',
            [("score", "a")],
        ),
        (
            'op.execute("UPDATE score JOIN b ON b.id = score.bid SET score.a = b.x")',
            [("score", "a")],
        ),
        ('op.execute("UPDATE score s JOIN b ON b.id = s.bid SET b.c = 2")', []),
        # a bare name: the first table's (sync-engine's `SET status = 'cancelled'`)
        ('op.execute("UPDATE score JOIN b ON b.id = score.bid SET a = b.x")', [("score", "a")]),
        # the tables listed with commas (tokenserver's `UPDATE users, nodes SET ...`)
        (
            'op.execute("UPDATE users, nodes SET users.nodeid = nodes.id WHERE x")',
            [("users", "nodeid")],
        ),
        ('op.execute("UPDATE users u, nodes AS n SET u.a = n.id, n.b = 1")', [("users", "a")]),
        ('op.execute("UPDATE users u, nodes n SET n.b = 1")', []),
        # `ON UPDATE CASCADE, ...` in a table's definition fills nothing
        (
            'op.execute("CREATE TABLE t (a INT, FOREIGN KEY (a) REFERENCES u (id) '
            'ON UPDATE CASCADE, FOREIGN KEY (b) REFERENCES v (id) ON DELETE SET NULL)")',
            [],
        ),
    ],
)
def test_the_columns_an_update_fills(statement: str, filled: list[tuple[str, str]]) -> None:
    # an UPDATE of some columns does not fill the others (Bodhi's status fixes)
    body = f"""
users = sa.table("users", sa.column("a"))

def upgrade():
    {statement}
"""
    ops = read_operations(HEAD + body)
    assert [(c.table, c.column) for c in ops.upgrade.calls if c.name == "backfill"] == filled


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
    rev = RevisionFile(str(path), "b2_m.py")
    assert [c.table for c in operations(rev).upgrade.calls] == ["a"]
    assert rev.ops_data is not None
    gone = RevisionFile(str(tmp_path / "gone.py"), "gone.py")
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
    assert ops.upgrade.calls[1].args_text == ("op.f('ix')", "'t'", "['c']")
    assert ops.upgrade.calls[1].keywords_text == (("unique", "True"),)  # **kw: unknown
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
        (None, None, None, "DROP TABLE old"),  # the drop_table it stands for
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
    with contextlib.suppress(Exception):
        op.drop_table("f")
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
        ("drop_table", "f", None, True),  # as under a try
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


def test_operations_through_an_alias_of_op_or_of_its_methods() -> None:
    # `o = op` and `add = op.add_column`, in the module or in upgrade(), and a helper's
    # parameter given op under another name, are read as op's calls (for every rule
    # and doctor alike)
    body = """
o = op
add = op.add_column

def _drop(ops, table):
    ops.drop_table(table)

def upgrade():
    o.create_table("a", sa.Column("id", sa.Integer()))
    add("a", sa.Column("x", sa.Integer(), nullable=False))
    local = o
    batch = local.batch_alter_table
    with batch("a") as batch_op:
        batch_op.drop_column("x")
    rename = local.rename_table
    rename("a", "b")
    _drop(local, "b")
    other = sa
    other.drop_table("not_op")
"""
    assert calls(body) == [
        ("create_table", "a", None, False, False),
        ("add_column", "a", "x", False, False),
        ("batch_alter_table", "a", None, False, False),
        ("drop_column", "a", "x", True, False),
        ("rename_table", "a", None, False, False),
        ("drop_table", "b", None, False, False),
    ]


def test_calls_into_imported_code_are_foreign_steps() -> None:
    # a call that is a statement of its own or the value one assigns, by the imported
    # name or through an alias (local, then module-level); never alembic, SQLAlchemy,
    # the standard library, a function the file defines, or a value built in an
    # argument (UUIDType() below)
    source = (
        HEAD
        + """
import json
import myapp.db as db
import myapp.tasks
from myapp import util
from myapp.tables import make_tables as make
from . import sibling
from sqlalchemy_utils import UUIDType

helper = util.add_col

def _local(conn):
    total = 0
    total += util.backfill(conn)

async def _later():
    await util.wait()

def upgrade():
    make(op)
    helper(op, "t")
    h = helper
    h()
    u = util
    done = u.rows.fill()
    db.run()
    myapp.tasks.go()
    sibling.go()
    json.dumps({})
    conn = op.get_bind()
    conn.execute(sa.text("SELECT 1"))
    op.add_column("t", sa.Column("u", UUIDType()))
    t = sa.Table("t", sa.MetaData(), sa.Column("id", UUIDType()))
    for name in ("a", "b"):
        util.touch(name)
    if op.get_bind().dialect.name == "postgresql":
        _local(conn)
    _later()
    from myapp.late import fill
    fill()
"""
    )
    lines = source.splitlines()
    steps = [s for s in read_operations(source).upgrade.steps if s.name == "foreign"]
    found = [(lines[s.line - 1].strip(), s.foreign, s.conditional, s.dialects) for s in steps]
    assert found == [
        ("make(op)", ("make", "make_tables", "myapp.tables"), False, None),
        ('helper(op, "t")', ("helper", "util.add_col", "myapp"), False, None),
        ("h()", ("h", "util.add_col", "myapp"), False, None),
        ("done = u.rows.fill()", ("u.rows.fill", "util.rows.fill", "myapp"), False, None),
        ("db.run()", ("db.run", "myapp.db.run", "myapp.db"), False, None),
        ("myapp.tasks.go()", ("myapp.tasks.go", "myapp.tasks.go", "myapp.tasks"), False, None),
        ("sibling.go()", ("sibling.go", "sibling.go", "."), False, None),
        # a literal loop runs surely, once per item
        ("util.touch(name)", ("util.touch", "util.touch", "myapp"), False, None),
        ("util.touch(name)", ("util.touch", "util.touch", "myapp"), False, None),
        (
            "total += util.backfill(conn)",
            ("util.backfill", "util.backfill", "myapp"),
            True,
            ("postgresql",),
        ),
        ("await util.wait()", ("util.wait", "util.wait", "myapp"), False, None),
        ("fill()", ("fill", "fill", "myapp.late"), False, None),
    ]
    assert unpack(pack(read_operations(source))).upgrade.steps[0].foreign == (
        "make",
        "make_tables",
        "myapp.tables",
    )


def test_multidb_functions_can_be_left_out() -> None:
    source = HEAD + (
        "def upgrade(engine_name):\n"
        '    globals()["upgrade_%s" % engine_name]()\n\n'
        "def upgrade_engine1():\n"
        '    op.drop_table("old")\n'
    )
    assert [c.table for c in read_operations(source).upgrade.calls] == ["old"]
    assert read_operations(source, multidb=False).upgrade.calls == []


def test_literal_loops_are_read_once_per_item() -> None:
    body = """
RENAMES = [("users", "name", "full_name"), ("teams", "title", "name")]
TABLES = {"a": 1, "b": 2}

def upgrade():
    for table, old, new in RENAMES:
        op.alter_column(table, old, new_column_name=new)
    for table in TABLES.keys():
        op.drop_table(table)
    for name in discovered():
        op.drop_table(name)
    for table in ("x",):
        pass
    op.drop_table(table)
"""
    ops = read_operations(HEAD + body)
    found = [
        (c.name, c.table, c.column, c.new_column_name, c.conditional) for c in ops.upgrade.calls
    ]
    assert found == [
        ("alter_column", "users", "name", "full_name", False),
        ("alter_column", "teams", "title", "name", False),
        ("drop_table", "a", None, None, False),
        ("drop_table", "b", None, None, False),
        ("drop_table", None, None, None, True),  # not a literal: may not run, name unknown
        ("drop_table", "x", None, None, False),  # the loop variable keeps its last value
    ]


def test_a_test_of_known_literals_takes_one_branch() -> None:
    # sw.allotmentclub qualifies `user` alone before its UPDATE, in a loop over names
    body = """
TABLES = ("member", "user")

def upgrade():
    for table in TABLES:
        target = table
        if target == "user":
            target = "public.user"
        op.execute("UPDATE {} SET organization_id = 1".format(target))
        if table in ("member",):
            op.drop_table(table)
        if found(table) == "user":  # not known: may run
            op.drop_table("x_" + table)
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column, c.conditional) for c in ops.upgrade.calls]
    assert found == [
        ("backfill", "member", "organization_id", False),
        ("execute", None, None, False),
        ("drop_table", "member", None, False),
        ("drop_table", "x_member", None, True),
        ("backfill", "user", "organization_id", False),
        ("execute", None, None, False),
        ("drop_table", "x_user", None, True),
    ]


@pytest.mark.parametrize(
    ("test", "taken"),
    [
        ('name == "a"', True),
        ('name != "a"', False),
        ('name in ("a", "b")', True),
        ('name not in ["a"]', False),
        ('not name == "b"', True),
        ('name == "a" == name', None),  # a chain: not worked out
        ('name < "b"', None),
        ('f"{other}" == "a"', None),  # a part not known
        ("name == other", None),
        ('name == "a" and name != "b"', True),
        ('name == "b" and other()', False),  # a known part decides it
        ('name == "a" and other()', None),
        ('name == "a" or other()', True),
        ('name == "b" or other()', None),
        ('not (name == "b" or name == "c")', True),
        ('name == "b" or (name == "a" and not other)', None),
    ],
)
def test_which_comparisons_are_worked_out(test: str, taken: bool | None) -> None:
    body = f"""
def upgrade():
    name = "a"
    if {test}:
        op.drop_table("t")
"""
    calls = read_operations(HEAD + body).upgrade.calls
    expected = [] if taken is False else [("t", taken is None)]  # None: may run
    assert [(call.table, call.conditional) for call in calls] == expected


def test_helpers_are_read_with_their_literal_arguments() -> None:
    body = """
def _fill(table, column, value="''"):
    op.execute(f"UPDATE {table} SET {column} = {value} WHERE {column} IS NULL")
    op.alter_column(table, column, nullable=False)

def _rename(batch, old, new):
    batch.alter_column(old, new_column_name=new)

def upgrade():
    _fill("users", "name")
    _fill("users", "name")
    _fill(table="teams", column="title")
    _fill(runtime_table(), "email")
    with op.batch_alter_table("users") as batch_op:
        _rename(batch_op, "a", "b")
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column) for c in ops.upgrade.calls]
    assert found == [
        ("backfill", "users", "name"),
        ("execute", None, None),
        ("alter_column", "users", "name"),  # the same arguments twice: read once
        ("backfill", "teams", "title"),
        ("execute", None, None),
        ("alter_column", "teams", "title"),
        ("backfill", None, "email"),  # a table named at run time
        ("execute", None, None),
        ("alter_column", None, "email"),
        ("batch_alter_table", "users", None),
        ("alter_column", "users", "a"),  # the caller's batch alias, under another name
    ]


def test_local_names_models_and_variables_bound_to_statements() -> None:
    body = """
class Account(Base):
    __tablename__ = "accounts"
    id = sa.Column(sa.Integer, primary_key=True)

def upgrade():
    table = "users"
    column = sa.Column("email", sa.String(length=255), nullable=True)
    op.add_column(table, column)
    fill = sa.table("users", sa.column("email")).update().values(email="")
    op.execute(fill)
    op.add_column(Account.__tablename__, sa.Column("plan", sa.String()))
    op.execute(sa.update(Account).values(plan="free"))
    sql = "UPDATE " + "users" + " SET a = 1"
    op.execute(sql)
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.column) for c in ops.upgrade.calls]
    assert found == [
        ("add_column", "users", "email"),
        ("backfill", "users", "email"),
        ("execute", None, None),
        ("add_column", "accounts", "plan"),
        ("backfill", "accounts", "plan"),
        ("execute", None, None),
        ("backfill", "users", "a"),
        ("execute", None, None),
    ]
    assert ops.upgrade.calls[0].new_column == Column(
        "email", True, server_default=False, client_default=False, type_="sa.String(length=255)"
    )
    assert ops.upgrade.calls[-1].sql == "UPDATE users SET a = 1"


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ('op.execute("DELETE FROM users")', [("empty", "users", None)]),
        (
            'op.execute("TRUNCATE TABLE users, teams")',
            [("empty", "users", None), ("empty", "teams", None)],
        ),
        ('op.execute("DELETE FROM users WHERE name IS NULL")', [("backfill", "users", "name")]),
        ('op.execute("DELETE FROM users WHERE id > 3")', []),
        ("op.execute(users.delete())", [("empty", "users", None)]),
        ("op.execute(users.delete().where(users.c.id == 1))", []),
        ("op.get_bind().execute(sa.delete(table='users'))", [("empty", "users", None)]),
        ("op.execute(sa.delete('users'))", [("empty", "users", None)]),
        ("op.execute(sa.delete(users, users.c.id == 1))", []),
        ("op.execute(users.delete(users.c.id == 1))", []),
        ("op.execute(sa.delete(users, whereclause=users.c.id == 1))", []),
        ("op.execute(sa.update(table='users').values(name=''))", [("backfill", "users", "name")]),
        (
            "op.execute(\"UPDATE OR IGNORE users SET name = '' WHERE name IS NULL\")",
            [("backfill", "users", "name")],
        ),
        ("op.execute(f'UPDATE \"{name}\" SET a = 1')", [("backfill", None, "a")]),
    ],
)
def test_rows_emptied_and_filled(
    statement: str, found: list[tuple[str, str | None, str | None]]
) -> None:
    body = f"""
users = sa.table("users", sa.column("id"), sa.column("name"))

def upgrade():
    {statement}
"""
    ops = read_operations(HEAD + body)
    assert [(c.name, c.table, c.column) for c in ops.upgrade.calls if c.name != "execute"] == found


def test_orm_loops_and_updates_fill_their_columns() -> None:
    body = """
class Case(Base):
    __tablename__ = "case"

def upgrade():
    session = Session(bind=op.get_bind())
    for case in session.query(Case).filter(Case.resolution == None):
        case.resolution = "default"
    for mirror in RepoMirrorConfig.select():
        mirror.external_reference = "x"
    session.query(Case).filter(Case.status == None).update({"status": "new"})
    session.commit()
"""
    ops = read_operations(HEAD + body)
    fills = [(c.table, c.column) for c in ops.upgrade.calls if c.name == "backfill"]
    assert fills == [("case", "resolution"), (None, "external_reference"), ("case", None)]
    assert "orm" in [c.name for c in ops.upgrade.steps]


@pytest.mark.parametrize(
    ("made", "orm"),
    [
        ("Session(bind=op.get_bind())", True),
        ("sa.orm.Session(bind=op.get_bind())", True),
        ("sessionmaker()(bind=op.get_bind())", True),
        ("make(bind=op.get_bind())", True),
        ("scoped_session(make)", True),
        ("set()", False),
        ("helpers.connect()", False),
    ],
)
def test_rows_given_to_a_session_are_orm_work(made: str, orm: bool) -> None:
    """`session.add(obj)` and `session.delete(obj)` write rows where `session` is one the
    revision makes (WALLY adds its map tiles so); `.add` on anything else is no ORM."""
    body = f"""
make = sessionmaker(bind=op.get_bind().engine)

def upgrade():
    session = {made}
    session.add(Tile(name="a"))
    session.delete(tile)
"""
    ops = read_operations(HEAD + body)
    assert [c.name for c in ops.upgrade.steps] == (["orm", "orm"] if orm else [])


@pytest.mark.parametrize(
    ("call", "orm"),
    [
        ("db.session.add(Identifier(value='v'))", True),
        ("db.session.delete(user)", True),
        ("db.session.commit()", True),
        ("db.session.close()", False),  # no rows given nor written
        ("app.db.session.commit()", False),  # not the extension object's own
    ],
)
def test_flask_sqlalchemy_session_work_is_orm_work(call: str, orm: bool) -> None:
    """TrueNTH changes rows through Flask-SQLAlchemy's `db.session`, the session of the
    extension object its project module makes."""
    body = f"""
from portal.database import db

def upgrade():
    {call}
"""
    ops = read_operations(HEAD + body)
    assert ("orm" in [c.name for c in ops.upgrade.steps]) is orm


def test_an_orm_loop_that_numbers_its_rows_fills_their_columns() -> None:
    """nextline-rdb gives each prompt it reads with `session.scalars(select(Prompt))` a
    numbered trace call (`for i, prompt in enumerate(prompts)`); the index is no row."""
    body = """
class Case(Base):
    __tablename__ = "case"

def upgrade():
    with Session(bind=op.get_bind()) as session:
        for i, case in enumerate(session.scalars(sa.select(Case))):
            case.number = i
            i.other = 1
        cases = session.scalars(sa.select(Case))
        for i, case in enumerate(cases):
            case.trace_call = TraceCall(no=i)
        for key, case in pairs:
            case.unread = 1
"""
    ops = read_operations(HEAD + body)
    fills = [(c.table, c.column) for c in ops.upgrade.calls if c.name == "backfill"]
    assert fills == [("case", "number"), (None, "trace_call")]


def test_dialect_branches() -> None:
    body = """
def _is_sqlite():
    return op.get_bind().dialect.name == "sqlite"

def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.drop_table("a")
    else:
        op.drop_table("b")
    dialect = context.get_context().dialect.name
    if dialect in ("mysql", "mariadb"):
        op.drop_table("c")
    if isinstance(bind.dialect, PGDialect_psycopg2):
        op.drop_table("d")
    if _is_sqlite():
        op.drop_table("e")
    if bind.engine.name != "mssql" and flag:
        op.drop_table("f")
    if flag:
        op.drop_table("g")
    if dialect != "postgresql":
        return
    op.drop_table("h")
"""
    ops = read_operations(HEAD + body)
    found = {c.table: c.dialects for c in ops.upgrade.calls}
    others = {"mssql", "mysql", "oracle", "postgresql"}
    assert found == {
        "a": ("sqlite",),
        "b": tuple(sorted(others)),
        "c": ("mysql",),
        "d": ("postgresql",),
        "e": ("sqlite",),
        "f": tuple(sorted(others - {"mssql"} | {"sqlite"})),
        "g": None,
        "h": ("postgresql",),
    }
    assert ops.dialects == {"sqlite", "mysql", "postgresql", "mssql"}


def test_a_module_level_dialect_test() -> None:
    """ubersystem binds `is_sqlite` at module level, in a `try:` that falls back to False
    where there is no context: its branch runs on SQLite only, the other anywhere (also
    on SQLite, where the fallback was taken); a plain binding narrows both."""
    body = """
try:
    is_sqlite = op.get_context().dialect.name == 'sqlite'
except Exception:
    is_sqlite = False
is_pg = op.get_context().dialect.name == "postgresql"
rebound = op.get_context().dialect.name == "mysql"
rebound = False

def upgrade():
    if is_sqlite:
        op.drop_table("a")
    else:
        op.drop_table("b")
    if not is_pg:
        op.drop_table("c")
    if rebound:
        op.drop_table("d")
"""
    found = {c.table: c.dialects for c in read_operations(HEAD + body).upgrade.calls}
    assert found == {
        "a": ("sqlite",),
        "b": None,
        "c": ("mssql", "mysql", "oracle", "sqlite"),
        "d": None,
    }


def test_a_try_that_does_more_than_fall_back_is_not_a_dialect_test() -> None:
    body = """
try:
    is_sqlite = op.get_context().dialect.name == 'sqlite'
except Exception:
    log.warning("no context")
    is_sqlite = False

def upgrade():
    if is_sqlite:
        op.drop_table("a")
"""
    [call] = read_operations(HEAD + body).upgrade.calls
    assert call.dialects is None


def test_a_urls_driver_name_tests_the_dialect() -> None:
    # KitchenOwl: `if DB_URL.drivername == "sqlite":` on the URL its config imports
    body = """
from app.config import DB_URL

def upgrade():
    if DB_URL.drivername == "sqlite":
        op.drop_table("a")
    if op.get_bind().engine.url.drivername.startswith("postgresql"):
        op.drop_table("b")
    if DB_URL.drivername == "postgresql+psycopg2":
        op.drop_table("c")
"""
    found = {c.table: c.dialects for c in read_operations(HEAD + body).upgrade.calls}
    assert found == {"a": ("sqlite",), "b": ("postgresql",), "c": ("postgresql",)}


def test_a_dialect_test_joined_with_another_test_may_fail_on_its_dialect() -> None:
    """Cinder's daa98075b90d skips an index on MySQL only where it exists: the else branch,
    and what follows such a test that returns, run on MySQL too. A test's dialects are
    where it may hold, its else's where it may fail (through `not`, `or` and a helper
    that returns the test)."""
    body = """
def is_sqlite(conn):
    return conn.dialect.name == "sqlite" and not legacy()


def upgrade():
    conn = op.get_bind()
    is_mysql = conn.dialect.name == "mysql"
    if is_mysql and index_exists(conn, "ix1"):
        pass
    else:
        op.create_index("ix1", "t", ["a"])
    if not (conn.dialect.name == "sqlite" and legacy()):
        op.create_index("ix2", "t", ["a"])
    if is_sqlite(conn):
        op.create_index("ix3", "t", ["a"])
    else:
        op.create_index("ix4", "t", ["a"])
    if conn.dialect.name == "mysql" and index_exists(conn, "ix5"):
        return
    op.create_index("ix5", "t", ["a"])
    if conn.dialect.name == "sqlite" or legacy():
        return
    op.create_index("ix6", "t", ["a"])
"""
    calls = read_operations(HEAD + body).upgrade.calls
    assert [c.dialects for c in calls] == [
        None,
        None,
        ("sqlite",),
        None,
        None,
        ("mssql", "mysql", "oracle", "postgresql"),
    ]


def test_a_dialect_test_that_exits_narrows_the_rest_of_its_own_block() -> None:
    """fractal-server: an except clause re-raises unless on SQLite, so what follows in it
    runs on SQLite only; the same in a loop's body and a `try` body; after the block,
    every dialect again."""
    body = """
def upgrade():
    try:
        op.drop_constraint("uq_a", "a", type_="unique")
    except BaseException as e:
        if op.get_bind().dialect.name != "sqlite":
            raise e
        op.create_unique_constraint("uq_a", "a", ["x"])
    for name in ("b",):
        if op.get_bind().dialect.name == "sqlite":
            continue
        op.create_index("ix_b", name, ["x"])
    try:
        if op.get_bind().dialect.name == "mysql":
            raise NotImplementedError()
        op.create_index("ix_c", "c", ["x"])
    finally:
        op.create_index("ix_d", "d", ["x"])
    op.create_index("ix_e", "e", ["x"])
"""
    ops = read_operations(HEAD + body)
    found = {(c.name, c.table): (c.dialects, c.conditional) for c in ops.upgrade.calls}
    assert found == {
        ("drop_constraint", "a"): (None, True),
        ("create_unique_constraint", "a"): (("sqlite",), True),
        ("create_index", "b"): (None, False),  # (`continue` is not read as an exit)
        ("create_index", "c"): (("mssql", "oracle", "postgresql", "sqlite"), True),
        ("create_index", "d"): (None, True),
        ("create_index", "e"): (None, False),
    }


def test_a_query_in_parentheses_is_data() -> None:
    """Security Monkey's `session.execute(text("(SELECT ...)"))` reads rows."""
    assert operations_module.is_data_sql("(SELECT o.id FROM item o WHERE o.a > 1);")
    assert operations_module.is_data_sql(" ( (select 1) )")
    assert not operations_module.is_data_sql("(SELECT 1); CREATE TABLE t (a int)")


@pytest.mark.parametrize(
    ("sql", "data"),
    [
        ("ALTER SEQUENCE users.user_preferences_id_seq RESTART WITH {}", True),  # renku
        ("alter sequence s restart with 5;", True),
        ("ALTER SEQUENCE IF EXISTS s RESTART", True),
        ("ALTER SEQUENCE s RESTART WITH 5 INCREMENT BY 2", False),
        ("ALTER SEQUENCE s OWNED BY t.id", False),
        ("ALTER SEQUENCE s AS bigint", False),
    ],
)
def test_a_sequence_restarted_is_no_schema_change(sql: str, data: bool) -> None:
    """renku's 46236d8d7cbe moves a primary key's sequence past the rows' ids, as setval()
    does: nothing for a downgrade to put back. Any other change of the sequence is one."""
    assert operations_module.is_data_sql(sql) is data


@pytest.mark.parametrize(
    ("sql", "data"),
    [
        ("create temporary table old_new_slugs_map (old_slug varchar(250) null)", True),
        ("CREATE TEMP TABLE ids ON COMMIT DROP AS SELECT id FROM users", True),
        ("CREATE GLOBAL TEMPORARY TABLE t (a int)", True),
        ("drop temporary table old_new_slugs_map", True),
        ("CREATE TABLE temp_users (a int)", False),
        ("CREATE TEMPORARY TABLE t (a int); CREATE INDEX ix ON users (a)", False),
    ],
)
def test_a_temporary_table_is_the_sessions_own(sql: str, data: bool) -> None:
    """ggrc's 1aa39778da75 maps old to new slugs in temporary tables it drops again: they
    live as long as the session, and leave the schema as it was."""
    assert operations_module.is_data_sql(sql) is data


def test_what_kind_of_sql_an_execute_runs() -> None:
    body = """
def upgrade():
    op.execute("UPDATE users SET a = 1; SELECT setval('s', 1)")
    op.execute("ALTER TABLE users ADD COLUMN b int")
    op.execute(f"INSERT INTO {table} VALUES (1)")
    op.execute(build())
    op.execute(users.insert().values(a=1))
    op.execute("ALTER TABLE users DISABLE TRIGGER t; UPDATE users SET a = 2")
"""
    ops = read_operations(HEAD + body)
    kinds = [(c.sql is UNKNOWN, c.sql_kind) for c in ops.upgrade.steps if c.name == "execute"]
    assert kinds == [
        (False, "data"),
        (False, "schema"),
        (True, "data"),
        (True, None),
        (False, "data"),
        (False, "data"),
    ]


def test_upserts_and_bound_text_are_sql_of_their_kind() -> None:
    """Onyx's data-only revisions: an insert's upsert and from_select clauses (the
    insert kept in a name, or imported as `pg_insert`) and `text()` given its parameters
    (`.bindparams()`) are read for what they run, not as SQL built at run time."""
    body = """
def upgrade():
    bind = op.get_bind()
    op.execute(pg_insert(t).from_select(["a"], query).on_conflict_do_nothing())
    stmt = postgresql.insert(t).values(a=1)
    bind.execute(stmt.on_conflict_do_update(index_elements=["a"], set_={"a": 2}))
    bind.execute(sa.text("SELECT id FROM t WHERE a IN :a").bindparams(sa.bindparam("a")))
    bind.execute(sa.text("DROP TABLE t").bindparams())
    op.execute(sa.text("INSERT INTO t (a) VALUES (:a)").params(a=1))
"""
    ops = read_operations(HEAD + body)
    kinds = [(c.sql, c.sql_kind) for c in ops.upgrade.steps if c.name == "execute"]
    assert kinds == [
        (None, "data"),
        (None, "data"),
        ("SELECT id FROM t WHERE a IN :a", "data"),
        ("DROP TABLE t", "schema"),
        ("INSERT INTO t (a) VALUES (:a)", "data"),  # (`.params()`: simpler-grants)
    ]


def test_text_rebound_to_its_own_bindparams_is_read() -> None:
    """Appointment's 645fd31f827d binds `statement = statement.bindparams(id=id)`: the
    name stands for the SQL it was bound to before, not for SQL built at run time."""
    body = """
def upgrade():
    for row in rows:
        statement = sa.text("UPDATE schedules SET details = NULL WHERE id = :id")
        statement = statement.bindparams(id=row.id)
        op.execute(statement)
    other = other.bindparams(a=1)
    op.execute(other)
"""
    ops = read_operations(HEAD + body)
    kinds = [(c.sql, c.sql_kind) for c in ops.upgrade.steps if c.name == "execute"]
    assert kinds == [
        ("UPDATE schedules SET details = NULL WHERE id = :id", "data"),
        (UNKNOWN, None),  # (bound to its own bindparams only: not known)
    ]


@pytest.mark.parametrize(
    ("sql", "data"),
    [
        ("DELETE FROM scenario_testing; REINDEX TABLE scenario_testing", True),  # Mobilic
        ("reindex index concurrently ix_users_name", True),
        ("CLUSTER users USING ix_users_name", True),
        ("OPTIMIZE TABLE users", True),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY stats", True),
        ("CHECKPOINT", True),
        ("CREATE MATERIALIZED VIEW stats AS SELECT 1", False),
        ("REINDEX TABLE users; DROP INDEX ix_old", False),
        ("OPTIMIZE users", False),  # no such statement: not told as upkeep
    ],
)
def test_upkeep_of_what_is_there_is_no_schema_change(sql: str, data: bool) -> None:
    """Mobilic's b93eeb578bdd deletes test rows and rebuilds the table's indexes as they
    are: nothing for a downgrade to put back (AG107)."""
    assert operations_module.is_data_sql(sql) is data


def test_a_select_built_in_a_loop_is_data() -> None:
    """Langflow's cp02a2b3c4d5: a select bound twice (its name cannot be followed) and
    run with its clauses added (`.order_by(...).limit(...)`) reads rows."""
    body = """
def upgrade():
    conn = op.get_bind()
    while True:
        query = sa.select(t.c.id)
        if last is not None:
            query = query.where(t.c.id > last)
        rows = conn.execute(query.order_by(t.c.id).limit(100)).all()
        conn.execute(" ; ".join(statements))
"""
    ops = read_operations(HEAD + body)
    kinds = [(c.sql, c.sql_kind) for c in ops.upgrade.steps if c.name == "execute"]
    assert kinds == [(None, "data"), (UNKNOWN, None)]


def test_sql_joined_from_literal_statements_is_read() -> None:
    """AiiDA's django_0044: a module-level list of statements joined into one text() is
    literal SQL (its DDL read as the calls it stands for); a join of what the file does
    not give, or a function named join, stays SQL built at run time."""
    body = """
forward_sql = ["UPDATE t SET a = 1;", "UPDATE t SET b = 2;"]
DDL = ("DROP TABLE old_t", "CREATE INDEX ix_a ON t (a)")


def upgrade():
    conn = op.get_bind()
    statement = sa.text("\\n".join(forward_sql))
    conn.execute(statement)
    op.execute(";\\n".join(DDL))
    op.execute(" ".join(parts))
    op.execute(join(parts))
"""
    ops = read_operations(HEAD + body)
    kinds = [(c.sql, c.sql_kind) for c in ops.upgrade.steps if c.name == "execute"]
    assert kinds == [
        ("UPDATE t SET a = 1;\nUPDATE t SET b = 2;", "data"),
        ("DROP TABLE old_t;\nCREATE INDEX ix_a ON t (a)", "schema"),
        (UNKNOWN, None),
        (UNKNOWN, None),  # a function named join (os.path's), not str.join
    ]
    assert [(c.name, c.table, c.column) for c in ops.upgrade.calls if c.name != "execute"] == [
        ("backfill", "t", "a"),
        ("backfill", "t", "b"),
        ("drop_table", "old_t", None),
        ("create_index", "t", None),
    ]


def test_column_types_and_index_arguments_as_written() -> None:
    body = """
def upgrade():
    op.create_table(
        "t",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50)),
        sa.PrimaryKeyConstraint("id"),
    )
    kind = sa.String(length=100)
    op.alter_column("t", "name", existing_type=sa.VARCHAR(length=50), type_=kind)
    with op.batch_alter_table("t") as b:
        b.create_index(b.f("ix_t_name"), ["name"], unique=False)
"""
    create, alter, _, index = read_operations(HEAD + body).upgrade.calls
    assert create.table_columns == (
        Column(
            "id",
            False,
            server_default=False,
            client_default=False,
            primary_key=True,
            type_="sa.Integer()",
        ),
        Column(
            "name", None, server_default=False, client_default=False, type_="sa.String(length=50)"
        ),
    )
    assert (alter.type_text, alter.existing_type_text) == (
        "sa.String(length=100)",
        "sa.VARCHAR(length=50)",
    )
    assert index.args_text == ("op.f('ix_t_name')", "['name']")
    assert index.keywords_text == (("unique", "False"),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sa.Column('d', postgresql.JSONB())", {"postgresql"}),
        ("mysql_engine='InnoDB'  # MariaDB too", {"mysql"}),
        ("if is_SQLITE: pass", {"sqlite"}),
        ("import cx_Oracle, psycopg2", {"oracle", "postgresql"}),
        ("mysqlite postgresqlx xsqlite", set()),
        ("PyMSSQL and aiosqlite", {"mssql", "sqlite"}),
        # a licence header names no database the history runs on (neutron-vpnaas's)
        ("# Copyright(c) 2015, Oracle and/or its affiliates.\n#\n\nx = 1  # mysql", {"mysql"}),
        ("#!/usr/bin/env python\n# SQLite\n", set()),
    ],
)
def test_named_dialects(text: str, expected: set[str]) -> None:
    assert named_dialects(text) == expected
    # text that is not ASCII is read the slower way, with the same result
    assert named_dialects(text + " # café") == expected


def test_named_dialects_as_the_regex_finds_them() -> None:
    """ASCII text is searched word by word, with what the regex finds."""
    rng = random.Random(5)
    pieces = [*_DIALECT_WORDS, *(w.upper() for w in _DIALECT_WORDS), "x", "_", "9", " ", ".", "cx"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        regex = {_DIALECT_WORDS[word.lower()] for word in _DIALECT_TEXT.get().findall(text)}
        assert named_dialects(text) == regex, text


def test_touched_tables() -> None:
    ops = read_operations(
        HEAD
        + """
def upgrade():
    op.add_column("Users", sa.Column("c", sa.Integer()))
    op.execute(f"UPDATE {name} SET c = 1")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("c")


def downgrade():
    op.drop_table("downgraded")
"""
    )
    assert touched_tables(ops) == ("*", "orders", "users")


def test_altered_columns() -> None:
    ops = read_operations(
        HEAD
        + """
def upgrade():
    op.alter_column("Users", "Name", nullable=False)
    op.alter_column(TABLE, "x", nullable=False)
    with op.batch_alter_table("orders") as batch_op:
        batch_op.alter_column("total", type_=sa.Numeric())
    op.add_column("users", sa.Column("c", sa.Integer()))
    if not column_exists("users", "d"):  # guarded: AG101 asks whether the history made it
        op.add_column("users", sa.Column("d", sa.Integer(), nullable=False))
    try:
        op.drop_column("users", "e")
    except Exception:
        pass
"""
    )
    expected = (("*", "x"), ("orders", "total"), ("users", "d"), ("users", "e"), ("users", "name"))
    assert altered_columns(ops.upgrade.calls) == expected


def test_upgrade_calls_unpack_only_that_side(tmp_path: Path) -> None:
    path = tmp_path / "b2_m.py"
    path.write_text(
        HEAD + 'def upgrade():\n    op.drop_table("a")\n\ndef downgrade():\n    op.f("b")\n'
    )
    rev = read_revision(path, tmp_path)
    forget()  # not at hand: unpacked from the packed data
    calls = upgrade_calls(rev)
    assert calls == operations(rev).upgrade.calls
    assert [c.table for c in calls] == ["a"]
    rev.ops_data = b"damaged"  # read from the file again
    assert [c.table for c in upgrade_calls(rev)] == ["a"]


def test_a_memo_with_no_room_remembers_nothing(tmp_path: Path) -> None:
    """A forked reader empties the memo and keeps it so: what it reads leaves the
    process as bytes and is never asked for there again."""
    path = tmp_path / "b2_m.py"
    path.write_text(HEAD + 'def upgrade():\n    op.drop_table("a")\n')
    try:
        forget(room=0)
        rev = read_revision(path, tmp_path)
        assert operations(rev) is not operations(rev)  # unpacked each time
    finally:
        forget()
    assert operations(rev) is operations(rev)


def test_operations_unpacked_ahead_are_remembered_while_the_memo_has_room() -> None:
    data = pack(read_operations(HEAD + 'def upgrade():\n    op.drop_table("a")\n'))
    try:
        forget()
        assert keeps(MEMO_SIZE) and not keeps(MEMO_SIZE + 1)
        unpack_ahead(data)
        ops = operations_module._memoised(data)
        assert ops == unpack(data)
        unpack_ahead(data)  # already there: kept as it was
        assert operations_module._memoised(data) is ops
        unpack_ahead(b"not packed")  # left for operations() to read the file again
        assert operations_module._memoised(b"not packed") is None
        forget(room=0)  # no room: nothing is unpacked
        unpack_ahead(data)
        assert operations_module._memoised(data) is None and not keeps(1)
    finally:
        forget()


def test_a_read_longer_than_the_memo_keeps_only_the_last_few(tmp_path: Path) -> None:
    """Before parsing more files than the memo holds, it keeps only the last few from
    the start (filled first, it would hold a thousand files' operations, then empty)."""
    paths = []
    for i in range(3):
        path = tmp_path / f"b{i}_m.py"
        path.write_text(HEAD + f'def upgrade():\n    op.drop_table("t{i}")\n')
        paths.append(path)
    try:
        forget()
        expect(2)  # fits: the memo keeps its room
        revs = [read_revision(p, tmp_path) for p in paths]
        assert all(operations(r) is operations(r) for r in revs)
        forget()
        expect(operations_module.MEMO_SIZE + 1)
        assert operations_module._limit == operations_module._LONG_HISTORY
        revs = [read_revision(p, tmp_path) for p in paths]
        assert operations(revs[-1]) is operations(revs[-1])
    finally:
        forget()


def test_a_run_over_a_long_history_keeps_only_the_last_few_from_the_start(
    tmp_path: Path,
) -> None:
    """The first thousand of 20,000 revisions' calls would be held until the memo is
    full, then let go: a run that cannot keep them all keeps a few from the start."""
    revs = []
    for number in range(20):
        path = tmp_path / f"r{number}.py"
        path.write_text(HEAD + f'def upgrade():\n    op.drop_table("t{number}")\n')
        revs.append(read_revision(path, tmp_path))
    try:
        forget()
        expect_history(10)  # a short history: every revision's calls are kept
        assert [operations(r) for r in revs] == [operations(r) for r in revs]
        assert all(operations(r) is operations(r) for r in revs[:2])
        held = [operations(r) for r in revs]
        expect_history(MEMO_SIZE)  # the memo holds 20 of them already: still room
        assert all(operations(r) is ops for r, ops in zip(revs, held, strict=True))
        expect_history(MEMO_SIZE + 1)
        kept = [operations(r) for r in revs]
        assert kept[0] is not operations(revs[0])  # let go: only the last few are kept
        assert kept[-1] is operations(revs[-1])
    finally:
        forget()


@pytest.mark.parametrize(
    "docstring",
    [
        '"""m"""',
        '"""\n\n   Add\tthe  table\n\nRevision ID: b2\n"""',
        "'''  \t\n\x0c x\ty \n'''",
        '""""""',
        "1",
    ],
)
def test_message_is_the_first_line_of_what_get_docstring_gives(docstring: str) -> None:
    module = ast.parse(docstring)
    cleaned = ast.get_docstring(module) or ""
    first = next((line.strip() for line in cleaned.splitlines() if line.strip()), None)
    assert read_operations(docstring).message == first


def test_the_reader_passes_every_call_field_in_the_order_call_declares_them() -> None:
    # _Reader._operation builds its Call by position (cheaper than 22 keywords): each
    # argument is a local named after its field, or one of the expressions named here.
    source = textwrap.dedent(inspect.getsource(_Reader._operation))
    made = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "_new_call"
    )
    spelled = {"node.lineno": "line", "alias is not None": "batch", "None": "foreign"}
    given = [spelled.get(ast.unparse(arg), ast.unparse(arg)) for arg in made.args]
    given = [name.removeprefix("scope.") for name in given]
    assert not made.keywords
    assert given == [f.name for f in records.fields(Call)]


def test_packed_operations_larger_than_the_window_round_trip() -> None:
    """pack() compresses with a 4 KiB window: operations packing to more than that
    unpack the same, and plain zlib reads them (what the cache's readers use)."""
    columns = "".join(
        f"    op.add_column('t{i}', sa.Column('c{i}', sa.Integer()))\n" for i in range(300)
    )
    ops = read_operations(HEAD + "def upgrade():\n" + columns)
    data = pack(ops)
    assert len(marshal.loads(zlib.decompress(data))) == 5
    assert len(zlib.decompress(data)) > 4096 * 4
    assert unpack(data) == ops


def _old_row_changes(text: str) -> list[tuple[str, str | None, str | None]]:
    """_sql_row_changes as it was, every pattern run on every text."""
    found: list[tuple[str, str | None, str | None]] = []
    for match in operations_module._UPDATE_SQL.get().finditer(text):
        table = operations_module._sql_name(match.group(1))
        folded = text.translate(operations_module._ASCII_LOWER)
        for column in operations_module._set_columns(text, folded, match.end()) or [None]:
            found.append(("backfill", table, column))
    for match in operations_module._DELETE_SQL.get().finditer(text):
        table = operations_module._sql_name(match.group(1))
        if match.group(2) is None:
            if table is not None:
                found.append(("empty", table, None))
            continue
        for null in operations_module._IS_NULL.get().finditer(match.group(2)):
            found.append(("purge", table, operations_module._sql_name(null.group(1))))
    for match in operations_module._TRUNCATE_SQL.get().finditer(text):
        for name in re.split(r"\s*,\s*", match.group(1)):
            table = operations_module._sql_name(name)
            if table is not None:
                found.append(("empty", table, None))
    return found


_SQL_PIECES = [
    "UPDATE ", "update ", "DELETE FROM ", "delete from ", "Truncate ", "TABLE ", "t", "x.y",
    '"a b"', " SET a=1", " WHERE c IS NULL", ";", "é", "\u017f", " ", "\n", ", ", "%s", "{t}",
    "/*", "*/", "--", "insert into t ", "select 1", "_", "1", "\u3000", "\u017felect",
    "Update", "DELETE", "alter table t disable trigger x", "(", "( ",
]  # fmt: skip


def test_sql_read_without_patterns_where_they_cannot_match() -> None:
    """The substring tests before the SQL patterns, and the data statements told
    without them, give what the patterns alone give (ASCII or not)."""
    data = re.compile(operations_module._DATA_SQL._source, re.IGNORECASE)
    toggle = re.compile(operations_module._TOGGLE_SQL._source, re.IGNORECASE)
    placeholder = re.compile(operations_module._PLACEHOLDER._source)
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(_SQL_PIECES) for _ in range(rng.randint(0, 8)))
        assert list(operations_module._sql_row_changes(text)) == _old_row_changes(text), text
        expected = bool(data.match(text) or toggle.match(text))
        assert operations_module._is_data_statement(text) == expected, text
        stripped = re.sub(r"--[^\n]*", " ", re.sub(r"/\*.*?\*/", " ", text, flags=re.S))
        assert operations_module._strip_comments(text) == stripped, text
        last = re.split(r"\s*\.\s*", text)[-1].strip('"`[]')
        name = None if placeholder.search(last) else last
        assert operations_module._sql_name(text) == name, text


def test_column_keywords_repeated_count_as_the_last() -> None:
    """A repeated keyword parses (Python rejects it only when compiling): the last counts."""
    ops = read_operations(
        HEAD + "def upgrade():\n"
        "    op.add_column('t', sa.Column('c', sa.Integer(), nullable=True, nullable=False))\n"
        "    op.add_column('t', sa.Column('d', type_=sa.Text(), type_=sa.Date(), default=None))\n"
    )
    first, second = (call.new_column for call in ops.upgrade.calls)
    assert first is not None and first.nullable is False and first.type_ == "sa.Integer()"
    assert second is not None and second.type_ == "sa.Date()" and not second.client_default


def test_ddl_in_sql_is_read_as_the_calls_it_stands_for() -> None:
    """DROP TABLE, ALTER TABLE ... DROP [COLUMN], CREATE TABLE and CREATE INDEX run by
    execute(), each statement read from its start: not inside quoted text, a
    dollar-quoted body or a comment; DROP CONSTRAINT and the like are no columns."""
    body = """
def upgrade():
    op.execute("DROP TABLE IF EXISTS old_logs, public.audit")
    op.execute("ALTER TABLE users DROP COLUMN legacy, DROP CONSTRAINT fk, ADD x int, DROP email")
    op.execute("ALTER TABLE users ALTER COLUMN name DROP DEFAULT")
    op.execute("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix2 ON public.orders (a)")
    op.execute("CREATE INDEX ON t3 (c)")
    op.execute("CREATE TEMP TABLE tmp AS SELECT 1; DROP TABLE tmp")
    op.execute("CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE x; END $$")
    op.execute("COMMENT ON TABLE a IS 'DROP TABLE b'")
    op.execute("/* DROP TABLE c */ DROP INDEX ix_old")
    op.execute(f"DROP TABLE {name}")
    op.execute("CREATE INDEX `ix` ON `m` (`c`)")
"""
    ops = read_operations(HEAD + body)
    read = [
        (c.name, c.line - 12, c.table, c.column, dict(c.options), c.dialects)
        for c in ops.upgrade.calls
        if c.name != "execute"
    ]
    assert read == [
        ("drop_table", 1, "old_logs", None, {}, None),
        ("drop_table", 1, "audit", None, {}, None),
        ("drop_column", 2, "users", "legacy", {}, None),
        ("add_column", 2, "users", "x", {}, None),
        ("drop_column", 2, "users", "email", {}, None),
        ("create_index", 4, "orders", None, {"postgresql_concurrently": True}, None),
        ("create_index", 5, "t3", None, {}, None),
        ("create_table", 6, "tmp", None, {"from_query": True, "temporary": True}, None),
        ("drop_table", 6, "tmp", None, {}, None),
        ("drop_table", 10, None, None, {}, None),
        ("create_index", 11, "m", None, {}, ("mysql", "sqlite")),
    ]
    assert all(c.sql is not None for c in ops.upgrade.calls)
    assert touched_tables(ops) == ("audit", "m", "old_logs", "orders", "t3", "tmp", "users")


def test_a_table_named_in_sql_partly_at_run_time() -> None:
    """A name with a part filled in at run time (`old_{t}` with `t` unknown, `old_%s`) is
    a name computed at run time, not its literal part; the literal parts of an f-string
    read whole are not read again as statements of their own (open-webui's loop over
    `f"DROP TABLE IF EXISTS _alembic_tmp_{table_name}"` gave `_alembic_tmp_` too)."""
    body = """
def upgrade():
    for name in ("a", "b"):
        op.execute(sa.text(f"DROP TABLE IF EXISTS old_{name}"))
    op.execute(f"DROP TABLE old_{unknown()}")
    op.execute("ALTER TABLE t DROP COLUMN c_%s" % unknown())
"""
    ops = read_operations(HEAD + body)
    read = [(c.name, c.line - 12, c.table, c.column) for c in ops.upgrade.calls]
    assert [r for r in read if r[0] != "execute"] == [
        ("drop_table", 2, "old_a", None),
        ("drop_table", 2, "old_b", None),
        ("drop_table", 3, None, None),
        ("drop_column", 4, "t", None),
    ]


def test_columns_added_and_made_not_null_in_sql() -> None:
    """ADD [COLUMN] c ... is an add_column whose NOT NULL, PRIMARY KEY and default
    (DEFAULT, GENERATED, IDENTITY, a serial type) are read outside parentheses;
    ALTER [COLUMN] c SET / DROP NOT NULL is alter_column(nullable=), ALTER COLUMN ...
    TYPE alter_column(type_=); ADD CONSTRAINT and the like are no columns, SET DEFAULT is
    not read."""
    body = """
def upgrade():
    op.execute("ALTER TABLE users ADD COLUMN age integer NOT NULL")
    op.execute("ALTER TABLE users ADD IF NOT EXISTS nick varchar(20) NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE users ADD flag boolean CHECK (flag IS NOT NULL)")
    op.execute("ALTER TABLE users ADD COLUMN n bigserial, ADD COLUMN k int PRIMARY KEY")
    op.execute("ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (id)")
    op.execute("ALTER TABLE users ALTER COLUMN name SET NOT NULL, ALTER email DROP NOT NULL")
    op.execute("ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x'")
    op.execute("ALTER TABLE users ALTER COLUMN name TYPE text")
"""
    ops = read_operations(HEAD + body)
    read = [
        (
            c.name,
            c.column,
            dict(c.options),
            c.new_column and c.new_column.nullable,
            c.new_column and c.new_column.server_default,
        )
        for c in ops.upgrade.calls
        if c.name != "execute"
    ]
    assert read == [
        ("add_column", "age", {}, False, False),
        ("add_column", "nick", {}, False, True),
        ("add_column", "flag", {}, None, False),
        ("add_column", "n", {}, None, True),
        ("add_column", "k", {}, False, False),
        ("alter_column", "name", {"nullable": False}, None, None),
        ("alter_column", "email", {"nullable": True}, None, None),
        ("alter_column", "name", {}, None, None),
    ]
    assert [c.type_text for c in ops.upgrade.calls if c.name == "alter_column"] == [
        None,
        None,
        "text",
    ]


def test_a_column_made_by_a_lambda_or_a_function_that_returns_it() -> None:
    """add_column's column made by a lambda of no parameters (read with the loop's names
    bound: Gnocchi's `temp_col()`) or by a module-level function that only returns an
    sa.Column (its parameters bound to the literal arguments); a name that is a sum of
    strings is the column's name, not its type. A function that does more, or a lambda
    with parameters, gives no column."""
    body = '''
def type_col(name, table, nullable=True):
    """A column of the type."""
    return sa.Column(name, sa.String(255), sa.ForeignKey("types.name"), nullable=nullable)


def busy_col(name):
    print(name)
    return sa.Column(name, sa.Integer())


def upgrade():
    for table, column in (("resource", "started_at"), ("history", "ended_at")):
        temp_col = lambda: sa.Column(column + "_ts", sa.DateTime(), nullable=True)
        op.add_column(table, temp_col())
    op.add_column("resource", type_col("type", "resource", nullable=False))
    op.add_column("resource", busy_col("count"))
    with_param = lambda name: sa.Column(name, sa.Integer())
    op.add_column("resource", with_param("other"))
'''
    ops = read_operations(HEAD + body)
    added = [(c.table, c.column, c.new_column) for c in ops.upgrade.calls]
    assert [(table, column) for table, column, _ in added] == [
        ("resource", "started_at_ts"),
        ("history", "ended_at_ts"),
        ("resource", "type"),
        ("resource", None),
        ("resource", None),
    ]
    made = [column for _, _, column in added[:3]]
    assert [(c.name, c.nullable, c.type_) for c in made if c is not None] == [
        ("started_at_ts", True, "sa.DateTime()"),
        ("ended_at_ts", True, "sa.DateTime()"),
        ("type", False, "sa.String(255)"),
    ]


def test_rows_put_back_into_an_emptied_table_name_their_columns() -> None:
    """After `DELETE FROM t` (or TRUNCATE), each column an `INSERT INTO t (a, b, ...)`
    names is an "insert" with that column (the rows put back are all the table holds:
    fides' experiences); an INSERT into a table not emptied before gives none."""
    body = """
def upgrade():
    op.execute("INSERT INTO users (id, name) VALUES (1, 'x')")
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM users"))
    conn.execute(sa.text("INSERT INTO public.users (id, \\"name\\") VALUES (:id, :name)"))
    op.execute("INSERT INTO other (id, name) SELECT id, 'n' FROM users")
"""
    ops = read_operations(HEAD + body)
    read = [(c.name, c.table, c.column) for c in ops.upgrade.calls if c.name != "execute"]
    assert read == [
        ("empty", "users", None),
        ("insert", "users", "id"),
        ("insert", "users", "name"),
    ]


def test_a_column_definition_restated_in_mysql_sql() -> None:
    """MySQL's MODIFY [COLUMN] c <definition> (and CHANGE c c, the same name) restates the
    whole definition: an alter_column whose `restated` says so, NOT NULL or not read into
    `nullable` (a key's column, AUTO_INCREMENT or PRIMARY KEY, is left alone: MySQL keeps
    it NOT NULL), its type kept only where AG106 reads it (an ENUM's quoted values, as
    written before the quoted text was blanked); CHANGE a b is still a rename."""
    body = """
def upgrade():
    op.execute(\"\"\"
        ALTER TABLE log_recipe
        MODIFY recipe_id INT NOT NULL,
        ADD CONSTRAINT fk FOREIGN KEY (recipe_id) REFERENCES recipe (id),
        MODIFY COLUMN `status` ENUM('a', 'not null') DEFAULT NULL,
        MODIFY id INT(11) NOT NULL AUTO_INCREMENT,
        CHANGE flag flag TINYINT(1) DEFAULT 0 NOT NULL,
        CHANGE old new INT NOT NULL
    \"\"\")
"""
    ops = read_operations(HEAD + body)
    read = [
        (c.column, dict(c.options), c.type_text, c.new_column_name)
        for c in ops.upgrade.calls
        if c.name == "alter_column"
    ]
    assert read == [
        ("recipe_id", {"restated": True, "nullable": False}, None, None),
        ("status", {"restated": True, "nullable": True}, "ENUM('a', 'not null')", None),
        ("id", {"restated": True}, None, None),
        ("flag", {"restated": True, "nullable": False}, None, None),
        ("old", {"new_column_name": "new"}, None, "new"),
    ]
    assert {c.table for c in ops.upgrade.calls if c.name == "alter_column"} == {"log_recipe"}


def test_ddl_in_an_anonymous_code_block_is_read() -> None:
    """PostgreSQL runs a `DO $$ ... $$` block's body: its DDL statements are read past
    the words that open and close PL/pgSQL blocks, in order with the statements around
    it, conditional under an IF or a loop; a function's body, a string and a statement
    built at run time (EXECUTE) are not read."""
    body = """
def upgrade():
    op.execute(\"\"\"
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_name = 'spaces' AND column_name = 'fast_id') THEN
                ALTER TABLE spaces RENAME COLUMN fast_id TO agent_id;
            END IF;
            ALTER TABLE spaces DROP COLUMN old;
            FOR r IN SELECT name FROM names LOOP
                EXECUTE format('DROP TABLE %I', r.name);
                CREATE INDEX ix_a ON spaces (a);
            END LOOP;
            ALTER TABLE spaces ADD COLUMN z int;
        END$$;
        CREATE INDEX ix_b ON other (b);
        DO LANGUAGE plpgsql $body$ BEGIN CREATE TABLE made (id int); END $body$;
        CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE never; END $$ LANGUAGE plpgsql;
        SELECT 'DO $$ BEGIN DROP TABLE quoted; END $$';
    \"\"\")
"""
    ops = read_operations(HEAD + body)
    read = [
        (c.name, c.table, c.column, c.conditional)
        for c in ops.upgrade.calls
        if c.name not in ("execute", "backfill")
    ]
    assert read == [
        ("alter_column", "spaces", "fast_id", True),
        ("drop_column", "spaces", "old", False),
        ("create_index", "spaces", None, True),
        ("add_column", "spaces", "z", False),
        ("create_index", "other", None, False),
        ("create_table", "made", None, False),
    ]


@pytest.mark.parametrize(
    ("text", "blanked"),
    [
        ("a 'it''s' b", "a   b"),
        ("x $$ DROP TABLE t; $$ y", "x   y"),
        ("x $f$ a $$ b $f$ y", "x   y"),
        ("a /* DROP TABLE t */ b -- DROP TABLE u\nc", "a   b  c"),
        ("DROP TABLE t; 'open", "DROP TABLE t;  "),
        ("DROP TABLE t; $a$ $b$ $c$", "DROP TABLE t;  "),  # left open: to the end
    ],
)
def test_quoted_text_and_comments_are_blanked_in_one_pass(text: str, blanked: str) -> None:
    assert operations_module._blanked(text) == blanked


def test_many_dollar_tags_left_open_are_read_in_one_pass() -> None:
    """130 KB of distinct dollar-quote openers, none closed (a hostile file): the DROP
    before them is read, and nothing after (matched by backtracking, this took seconds)."""
    text = "DROP TABLE x; " + " ".join(f"$t{i}$ DROP TABLE y{i};" for i in range(8000))
    assert [c.table for c in operations_module._sql_schema_changes(text)] == ["x"]


def test_a_column_definition_is_read_outside_parentheses_however_deep() -> None:
    """NOT NULL inside a CHECK does not count; after 50,000 nested parentheses (a hostile
    file: one pass, where a pattern applied once per level took seconds) it does."""
    read = operations_module._sql_schema_changes
    [check] = read("ALTER TABLE t ADD c int CHECK (c IS NOT NULL)")
    deep = "ALTER TABLE t ADD c int DEFAULT " + "(" * 50_000 + "1" + ")" * 50_000 + " NOT NULL"
    [nested] = read(deep)
    assert check.new_column is not None and check.new_column.nullable is None
    assert nested.new_column is not None
    assert (nested.new_column.nullable, nested.new_column.server_default) == (False, True)


def test_constraint_calls_name_their_table_by_position_or_keyword() -> None:
    # alembic.operations.ops: create_foreign_key(constraint_name, source_table,
    # referent_table, ...), create_unique_constraint / create_check_constraint /
    # drop_constraint / create_primary_key / create_exclude_constraint(name, table_name,
    # ...), create_index(index_name, table_name, columns); the table given by position
    # was read as none, so the AG1xx rules and doctor did not see these calls' tables
    source = textwrap.dedent(
        """
        def upgrade():
            op.create_foreign_key("fk", "posts", "users", ["user_id"], ["id"])
            op.create_foreign_key(
                "fk2", source_table="comments", referent_table="users",
                local_cols=["a"], remote_cols=["id"],
            )
            op.create_unique_constraint("uq", "tags", ["c"])
            op.create_check_constraint("ck", "orders", "x > 0")
            op.drop_constraint("fk", "posts")
            op.drop_constraint("fk3", table_name="likes", type_="foreignkey")
            op.create_primary_key("pk", "items", ["id"])
            op.create_index("ix", "users", ["c"])
            op.create_exclude_constraint("ex", "rooms", ("a", "="))
            with op.batch_alter_table("notes") as batch_op:
                batch_op.create_foreign_key("fk4", "users", ["a"], ["id"])
                batch_op.drop_constraint("fk5", "foreignkey")
        """
    )
    calls = read_operations(source).upgrade.calls
    assert [(c.name, c.table) for c in calls if c.name != "batch_alter_table"] == [
        ("create_foreign_key", "posts"),
        ("create_foreign_key", "comments"),
        ("create_unique_constraint", "tags"),
        ("create_check_constraint", "orders"),
        ("drop_constraint", "posts"),
        ("drop_constraint", "likes"),
        ("create_primary_key", "items"),
        ("create_index", "users"),
        ("create_exclude_constraint", "rooms"),
        ("create_foreign_key", "notes"),
        ("drop_constraint", "notes"),
    ]


def test_a_helper_branch_on_a_known_flag() -> None:
    """Augur's helpers take `upgrade=True` and hold their downgrade in the else branch:
    upgrade() runs only the branch the flag it gives (or the default) takes; a flag the
    reader does not know leaves both branches read."""
    body = """
def change(upgrade=True):
    if upgrade:
        op.add_column("t", sa.Column("a", sa.Integer()))
    else:
        op.drop_column("t", "a")

def other(keep):
    if not keep:
        op.drop_column("t", "b")

def upgrade():
    change()
    change(upgrade=False)
    other(True)
    other(flag)
"""
    assert [(name, column) for name, _, column, *_ in calls(body)] == [
        ("add_column", "a"),
        ("drop_column", "a"),
        ("drop_column", "b"),
    ]


def test_a_materialized_view_made_in_sql_is_a_new_relation() -> None:
    """Augur creates a materialized view and then its unique index: the view is made by
    the revision, as a table is (the index rules judge it new). So is a plain view made
    anew (ConsDB renames the columns of the views it creates again), marked a view; one
    made `OR REPLACE` or `IF NOT EXISTS` may be one that exists, and is not read."""
    body = """
def upgrade():
    op.execute("CREATE MATERIALIZED VIEW IF NOT EXISTS s.langs AS SELECT 1 AS a")
    op.execute("CREATE UNIQUE INDEX ON s.langs (a)")
    op.execute("CREATE VIEW cdb.visit1 AS SELECT * FROM cdb.exposure")
    op.execute("CREATE TEMP RECURSIVE VIEW tree (id) AS SELECT 1")
    op.execute("CREATE OR REPLACE VIEW v AS SELECT 1")
    op.execute("CREATE VIEW IF NOT EXISTS w AS SELECT 1")
"""
    ops = read_operations(HEAD + body)
    read = [(c.name, c.table, c.options) for c in ops.upgrade.calls if c.name != "execute"]
    assert read == [
        ("create_table", "langs", {"from_query": True}),
        ("create_index", "langs", {}),
        ("create_table", "visit1", {"view": True}),
        ("create_table", "tree", {"view": True}),
    ]


def test_a_sequence_that_spreads_a_literal_one() -> None:
    """Backend.AI's `_TIGHTENED = ("user_id", *_BACKFILLED)` over a dict of columns: the
    loop is read once per item (a dict gives its keys); a `*` of what the file does not
    give leaves the loop unread."""
    body = """
_FILLED = {"is_active": "false", "num": "0"}
_TIGHTENED = ("user_id", *_FILLED)
_UNKNOWN = ("user_id", *imported_names)

def upgrade():
    for column in _TIGHTENED:
        op.alter_column("keypairs", column, nullable=False)
    for column in ["a", *_TIGHTENED[:1]]:
        op.drop_column("t", column)
    for column in _UNKNOWN:
        op.drop_column("u", column)
"""
    assert [(name, table, column) for name, table, column, *_ in calls(body)] == [
        ("alter_column", "keypairs", "user_id"),
        ("alter_column", "keypairs", "is_active"),
        ("alter_column", "keypairs", "num"),
        ("drop_column", "t", None),
        ("drop_column", "u", None),
    ]


def test_a_long_chain_of_names_to_sql_is_read() -> None:
    """`a1 = a0`, ... 12,000 times, then `op.execute(a11999)`: the names followed to the
    SQL are counted (as for a string), so the file stays readable, its other calls read."""
    chain = "\n".join(f"    a{i} = a{i - 1}" for i in range(1, 12000))
    body = f"""
def upgrade():
    a0 = f"UPDATE t SET x = {{v}}"
{chain}
    op.execute(a11999)
    op.drop_column("t", "y")
"""
    ops = read_operations(HEAD + body)
    assert ops.problem is None
    assert ("drop_column", "t", "y") in [(c.name, c.table, c.column) for c in ops.upgrade.calls]


def test_a_local_value_handed_to_a_helper_is_not_the_function_it_shadows() -> None:
    """`drop = make_dropper()` shadows the module's `drop`: handed to `each`, the call
    inside is not read as the module's function."""
    body = """
def drop(pair):
    table, column = pair
    op.drop_column(table, column)


def each(items, fn):
    for item in items:
        fn(item)


def upgrade():
    each([("users", "a")], drop)
    drop = make_dropper()
    each([("users", "b")], drop)
"""
    found = [(c.name, c.table, c.column) for c in read_operations(HEAD + body).upgrade.calls]
    assert found == [("drop_column", "users", "a")]


def test_a_quoted_name_is_the_name_it_is_given() -> None:
    """SQLAlchemy's `quoted_name("spire", quote=True)` is a str: as a schema, a table
    or a column name it names what the literal names (uktrade's data-store-service,
    Asterisk's `qualify` column)."""
    body = (
        "from sqlalchemy.sql.schema import quoted_name\n\n"
        "def upgrade():\n"
        "    op.create_table('app', sa.Column('id', sa.Integer()),"
        " sa.Column(quoted_name('qualify', True), sa.String(40)),"
        " schema=quoted_name('spire', quote=True))\n"
        "    op.alter_column(sa.sql.quoted_name('app', True), quoted_name('id', quote=True),"
        " nullable=False, schema=quoted_name('spire', quote=True))\n"
        "    op.drop_column('app', 'x', schema=quoted_name(name, quote=True))\n"
    )
    made, altered, dropped = read_operations(HEAD + body).upgrade.calls
    assert (made.table, made.schema, made.columns) == ("app", "spire", ("id", "qualify"))
    assert (altered.table, altered.column, altered.schema) == ("app", "id", "spire")
    assert dropped.schema is UNKNOWN  # a name known only at run time


def test_code_switched_off_by_a_constant_test() -> None:
    """`if False:` never runs its body (Assembl keeps a Virtuoso workaround so), and its
    else branch always runs; `if True:` always runs its body."""
    body = (
        "def upgrade():\n"
        "    if False:\n"
        "        op.drop_column('t', 'a')\n"
        "    else:\n"
        "        op.drop_column('t', 'b')\n"
        "    if not 0:\n"
        "        op.drop_column('t', 'c')\n"
        "    if True:\n"
        "        op.drop_column('t', 'd')\n"
        "    if flag:\n"
        "        op.drop_column('t', 'e')\n"
    )
    found = read_operations(HEAD + body).upgrade.calls
    assert [(c.column, c.conditional) for c in found] == [
        ("b", False),
        ("c", False),
        ("d", False),
        ("e", True),
    ]


def test_a_check_constraint_that_a_column_holds_no_null_is_read_as_its_sql() -> None:
    """`op.create_check_constraint(n, t, "c IS NOT NULL")` adds the check that
    `ALTER TABLE t ADD CONSTRAINT n CHECK (c IS NOT NULL)` adds: a `not_null_check`
    after the call, NOT VALID with `postgresql_not_valid=True`; the condition as text,
    `sa.text()`, or an expression of `sa.column()`; no other condition."""
    body = """
def upgrade():
    op.create_check_constraint("name_nn", "users", "name IS NOT NULL", postgresql_not_valid=True)
    op.create_check_constraint(op.f("ck_a"), "users", sa.text('("Email" is not null)'))
    op.create_check_constraint("ck_b", "users", sa.column("b").isnot(None))
    op.create_check_constraint(None, "users", sa.column("c") != sa.null())
    with op.batch_alter_table("posts") as batch_op:
        batch_op.create_check_constraint("ck_d", sa.literal_column("d").is_not(None))
    op.create_check_constraint("ck_e", "users", "e IS NOT NULL OR f > 0")
    op.create_check_constraint("ck_f", "users", "e > 0")
    op.create_check_constraint("ck_g", "users", sa.column("g").is_(None))
"""
    ops = read_operations(HEAD + body)
    read = [
        (c.name, c.line - 12, c.table, c.column, dict(c.options), c.batch)
        for c in ops.upgrade.calls
        if c.name == "not_null_check"
    ]
    assert read == [
        ("not_null_check", 1, "users", "name", {"constraint": "name_nn", "valid": False}, False),
        ("not_null_check", 2, "users", "Email", {"constraint": "ck_a", "valid": True}, False),
        ("not_null_check", 3, "users", "b", {"constraint": "ck_b", "valid": True}, False),
        ("not_null_check", 4, "users", "c", {"constraint": None, "valid": True}, False),
        ("not_null_check", 6, "posts", "d", {"constraint": "ck_d", "valid": True}, True),
    ]
    names = [c.name for c in ops.upgrade.calls]
    assert names.count("create_check_constraint") == 8
    assert names.index("not_null_check") == names.index("create_check_constraint") + 1


def test_a_validation_is_given_the_column_of_the_check_it_validates() -> None:
    """`VALIDATE CONSTRAINT n` of a NOT VALID check made earlier in the function takes
    its column (the check of every row, as SET NOT NULL is: `altered_columns` lists it);
    one of another name, or of a check made by another revision, has none."""
    body = """
def upgrade():
    op.create_check_constraint("name_nn", "users", "name IS NOT NULL", postgresql_not_valid=True)
    op.execute("ALTER TABLE users VALIDATE CONSTRAINT other")
    op.execute("ALTER TABLE users VALIDATE CONSTRAINT NAME_NN")
    op.execute("ALTER TABLE posts ADD CONSTRAINT ok CHECK (title IS NOT NULL)")
    op.execute("ALTER TABLE posts ADD CONSTRAINT later CHECK (body IS NOT NULL) NOT VALID")
"""
    ops = read_operations(HEAD + body)
    read = [
        (c.name, c.table, c.column)
        for c in ops.upgrade.calls
        if c.name in ("not_null_check", "validate_constraint")
    ]
    assert read == [
        ("not_null_check", "users", "name"),
        ("validate_constraint", "users", None),
        ("validate_constraint", "users", "name"),
        ("not_null_check", "posts", "title"),
        ("not_null_check", "posts", "body"),
    ]
    assert altered_columns(ops.upgrade.calls) == (("posts", "title"), ("users", "name"))


# Statements and blocks an upgrade() is made of, for the reader's property test: op calls
# with odd arguments, SQL that the patterns read, names bound and rebound, helpers, and
# the blocks that make a call conditional or a dialect's.
_STATEMENTS = [
    'op.alter_column("users", "name", nullable=False)',
    "op.alter_column(table, column, nullable=flag, type_=sa.String(length))",
    'op.add_column("users", sa.Column("c", sa.Integer(), nullable=False, server_default="0"))',
    'op.create_check_constraint("ck", "users", "name IS NOT NULL", postgresql_not_valid=x)',
    "op.create_check_constraint(None, table, sa.column(column).isnot(None))",
    'op.create_check_constraint(None, "users", sa.column("name") != None)',
    'op.create_check_constraint(op.f("ck"), "users", sa.text(sql))',
    'op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck")',
    'op.execute("ALTER TABLE users ADD CONSTRAINT ck CHECK (name IS NOT NULL) NOT VALID")',
    "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")",
    'op.execute("DELETE FROM users; INSERT INTO users (id, name) SELECT 1, 2")',
    'op.execute(f"DROP TABLE {table}")',
    'op.execute("DO $$ BEGIN ALTER TABLE t DROP COLUMN c; END $$")',
    "op.execute(sql % table)",
    'op.execute("{}".format(column))',
    'op.create_index("ix", "users", ["name"], postgresql_concurrently=True)',
    'op.drop_table("users")',
    'op.rename_table(table, "people")',
    "op.bulk_insert(sa.table(table, sa.column(column)), [{column: 1}])",
    "conn = op.get_bind()",
    'conn.execute(sa.text("UPDATE users SET name = :n"), {"n": 1})',
    "table = 'users'",
    "column = table + '_id'",
    "sql = 'c IS NOT NULL'",
    "flag = not flag",
    "helper(table)",
    "helper(op)",
    "return",
    "pass",
    "del table",
    "batch_op.alter_column(column, nullable=False)",
    "batch_op.create_check_constraint('ck', 'c IS NOT NULL')",
]
_BLOCKS = [
    "if x:",
    "if False:",
    "if op.get_context().dialect.name == 'sqlite':",
    "for table in ('users', 'people'):",
    "try:",
    "with op.batch_alter_table(table) as batch_op:",
    "with op.get_context().autocommit_block():",
    "while flag:",
]


@st.composite
def _upgrade_bodies(draw: st.DrawFn) -> str:
    """A module with upgrade() and a helper, their bodies drawn from the pieces above,
    blocks nested up to three deep (`try:` closed by its `except`)."""

    def block(depth: int, indent: str) -> list[str]:
        lines: list[str] = []
        for _ in range(draw(st.integers(1, 4))):
            if depth < 3 and draw(st.booleans()):
                opener = draw(st.sampled_from(_BLOCKS))
                lines += [indent + opener, *block(depth + 1, indent + "    ")]
                if opener == "try:":
                    lines += [indent + "except Exception:", indent + "    pass"]
            else:
                lines.append(indent + draw(st.sampled_from(_STATEMENTS)))
        return lines

    helper = ["def helper(table):", *block(1, "    ")]
    upgrade = ["def upgrade():", *block(1, "    ")]
    return "\n".join(["", *helper, "", *upgrade, ""])


@settings(max_examples=300, deadline=None)
@given(_upgrade_bodies())
def test_the_reader_reads_any_upgrade_without_raising(body: str) -> None:
    """Whatever an upgrade() holds, the reader reads it without raising, every call at a
    line of the file, and packing gives the same operations back."""
    source = HEAD + body
    ops = read_operations(source)
    assert ops.problem is None
    lines = source.count("\n") + 1
    for call in [*ops.upgrade.calls, *ops.upgrade.steps]:
        assert 0 < call.line <= lines
    assert unpack(pack(ops)) == ops
    rev = read_revision_source(source.encode(), "/p/versions/b2_m.py", "versions/b2_m.py")
    assert (rev.revision, rev.problem) == ("b2", None)


def test_a_table_named_by_an_imported_model_is_kept_as_written() -> None:
    """A table argument no literal gives is kept as written where the text names one
    table all through the revision (an imported model's `__tablename__`, a module-level
    name), on op and on a batch alias alike; not what a local, a parameter or a loop
    binds, which may name another table at each call."""
    body = """
from app.models import SqlAssessments
import app.models as models

NAME = models.table_name()

def upgrade():
    op.create_table(SqlAssessments.__tablename__, sa.Column("id", sa.Integer()))
    with op.batch_alter_table(SqlAssessments.__tablename__) as batch_op:
        batch_op.create_index("ix_a", ["id"])
    op.create_index("ix_b", models.Span.__table__.name, ["id"])
    op.create_index("ix_c", NAME, ["id"])
    op.create_index("ix_d", "users", ["id"])
    for model in models.ALL:
        op.create_index("ix_e", model.__tablename__, ["id"])
    name = models.table_name()
    op.create_index("ix_f", name, ["id"])
    _index(models.Span.__tablename__)

def _index(table):
    op.create_index("ix_g", table, ["id"])
"""
    ops = read_operations(HEAD + body)
    found = [(c.name, c.table, c.table_text) for c in ops.upgrade.calls]
    assert found == [
        ("create_table", None, "SqlAssessments.__tablename__"),
        ("batch_alter_table", None, "SqlAssessments.__tablename__"),
        ("create_index", None, "SqlAssessments.__tablename__"),
        ("create_index", None, "models.Span.__table__.name"),
        ("create_index", None, "NAME"),
        ("create_index", "users", None),
        ("create_index", None, None),
        ("create_index", None, None),
        ("create_index", None, None),
    ]


def test_a_raise_under_a_test_of_no_dialect_is_a_step() -> None:
    """`if <test>: raise` is kept as a step "raise" (where a revision refuses to go on),
    in the order upgrade() runs it; not a raise under a dialect test, nor in an else."""
    body = """
def upgrade():
    nulls = op.get_bind().execute(sa.text("SELECT count(*) FROM t WHERE c IS NULL")).scalar()
    if nulls:
        log(nulls)
        raise RuntimeError("clean up first")
    if op.get_bind().dialect.name == "sqlite":
        raise NotImplementedError()
    if nulls > 10:
        pass
    else:
        raise ValueError()
    op.alter_column("t", "c", nullable=False)
"""
    ops = read_operations(HEAD + body)
    found = [(s.name, s.line - HEAD.count("\n"), s.conditional) for s in ops.upgrade.steps]
    assert found == [("execute", 3, False), ("raise", 6, True), ("alter_column", 13, False)]
    assert [c.name for c in ops.upgrade.calls] == ["alter_column"]  # (a step only)
