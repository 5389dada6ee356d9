"""Reading the `op.*` calls of a revision's upgrade() with `ast`, and the shape of its
downgrade() (where it stands, whether it is empty or raises: AG107 reads no more of it,
so its calls are neither read nor stored).

SQL is never rendered (real migrations call `op.get_bind()` and query the
database, which offline rendering cannot do): the calls are read from the source.
Understood shapes:

- `op.add_column("t", sa.Column("c", sa.Integer(), nullable=False))`, with
  positional or keyword arguments, and names taken from module-level constants,
  local variables, a model's `__tablename__` defined in the file, literal loops
  (`for table in ("a", "b"):`, unrolled) and helper arguments (`_fill("users")`);
- `with op.batch_alter_table("t") as batch_op: batch_op.alter_column(...)`;
- `with op.get_context().autocommit_block(): op.create_index(...)`;
- the same calls imported from `alembic.op` and called by name (`drop_column(...)`),
  and through a local alias, in the module or the function: `o = op` then
  `o.add_column(...)`, `add = op.add_column` then `add(...)`, a helper's parameter
  given `op` (`def _add(o): o.add_column(...)`, `_add(op)`);
- backfills: `op.execute("UPDATE t ...")`, `op.execute(sa.text(...))`,
  `op.execute(t.update().values(...))`, `sa.update(t)`, `DELETE FROM t WHERE c IS
  NULL`, an ORM loop assigning `row.c = ...`, and the same through
  `op.get_bind().execute(...)` or any other `.execute(...)` or `.exec_driver_sql(...)`
  (the SQL also through `textwrap.dedent()`, `inspect.cleandoc()`, `.strip()`, or a name
  bound to an f-string); tables emptied with `DELETE FROM t` or `TRUNCATE t`;
- dialect branches: `if op.get_bind().dialect.name == "sqlite":` (also through a
  variable, one bound once at module level, also in a `try:` falling back to a
  constant, `context.get_context().dialect`, `isinstance(bind.dialect, ...)`, a
  helper returning such a test, and an early `return`): `Call.dialects`;
- helpers called from upgrade(), module-level or defined inside it (read in the
  caller's scope: its batch_alter_table aliases, autocommit block, if/for/while/try; an
  `if flag:` on a parameter bound to True or False reads only the branch taken),
  and alembic's multi-database template (`upgrade_engine1()` ...); functions of the
  file handed to imported code, read as run there, on the dialect their keyword or name
  names (Hindsight's `run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)`);
- for doctor: whether an operation runs under if/for/while/try, the columns
  of create_table, the literal SQL text of an `.execute()`, and (in `steps`)
  SQL run on a connection, ORM work, `create_all()` / `drop_all()`, and calls into
  code imported from the project or a library, which are not read ("foreign": a
  call that is a statement of its own or the value one assigns, by the imported
  name, `make_tables(op)`, `util.backfill(conn)`, or through an alias of it,
  `helper = util.add_col` then `helper(op)`; the standard library, alembic and
  SQLAlchemy are left out, since their functions change no table by themselves).

Everything read is plain data (no `ast` nodes are kept). Each revision file is parsed
once (revisions.py); what is read here is packed (`pack_module`), cached by content, and
given back by `operations(rev)`.
"""

from __future__ import annotations

import _ast as ast  # the node classes, without `ast` itself: shared/syntax.py
import builtins
import functools
import itertools
import marshal
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from operator import attrgetter, contains, eq, ne

from alembic_gate.history import plain
from alembic_gate.history.literals import UNKNOWN as UNKNOWN
from alembic_gate.history.literals import literal as _literal
from alembic_gate.history.literals import source as _source
from alembic_gate.shared import syntax
from alembic_gate.shared.files import describe_error, read_regular
from alembic_gate.shared.patterns import LazyPattern
from alembic_gate.shared.records import field, fields, record, replace

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Any, TypeGuard

    from alembic_gate.history.revisions import RevisionFile


# A keyword whose value is not a literal (`server_default=sa.text("now()")`): UNKNOWN.
plain.register("UNKNOWN", UNKNOWN)

# The dialects a branch can name, as SQLAlchemy names them (MariaDB counts as MySQL).
DIALECTS = frozenset({"mssql", "mysql", "oracle", "postgresql", "sqlite"})
_DIALECT_WORDS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "psycopg": "postgresql",
    "psycopg2": "postgresql",
    "asyncpg": "postgresql",
    "pg8000": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "pymysql": "mysql",
    "mysqldb": "mysql",
    "aiomysql": "mysql",
    "asyncmy": "mysql",
    "sqlite": "sqlite",
    "pysqlite": "sqlite",
    "aiosqlite": "sqlite",
    "mssql": "mssql",
    "pyodbc": "mssql",
    "pymssql": "mssql",
    "oracle": "oracle",
    "cx_oracle": "oracle",
    "oracledb": "oracle",
}


# A dialect word, also inside identifiers (`mysql_engine=`, `postgresql_using=`, `is_sqlite`).
_DIALECT_ALTERNATIVES = "|".join(sorted(_DIALECT_WORDS, key=len)[::-1])
_DIALECT_TEXT = LazyPattern(rf"(?<![a-z0-9])({_DIALECT_ALTERNATIVES})(?![a-z0-9])", re.IGNORECASE)
# What may not stand right before or after a dialect word (in lowercased ASCII text).
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# The comment lines (and blank ones) a file opens with: its licence, its shebang.
_HEADER = LazyPattern(r"(?:[ \t]*(?:#[^\n]*)?(?:\n|$))*")
# The dialect words as `_named_in_lower` looks for them, in order, each with the words
# before it that it contains: it cannot be in a text where one of those is not
# ("pymysql" where there is no "mysql").
_SEARCHES = tuple(
    (word, dialect, frozenset(w for w in list(_DIALECT_WORDS)[:i] if w in word))
    for i, (word, dialect) in enumerate(_DIALECT_WORDS.items())
)
# Dialect classes (`isinstance(bind.dialect, SQLiteDialect)`) by a part of their name.
_DIALECT_CLASSES = (
    ("sqlite", "sqlite"),
    ("mysql", "mysql"),
    ("maria", "mysql"),
    ("pg", "postgresql"),
    ("postgres", "postgresql"),
    ("mssql", "mssql"),
    ("msdialect", "mssql"),
    ("oracle", "oracle"),
)

# Positional parameters of the `op.*` forms; the batch forms drop `table_name`.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "add_column": ("table_name", "column"),
    "alter_column": ("table_name", "column_name"),
    "drop_column": ("table_name", "column_name"),
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "create_foreign_key": ("constraint_name", "source_table", "referent_table"),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_exclude_constraint": ("constraint_name", "table_name"),
    "drop_constraint": ("constraint_name", "table_name", "type_"),
    "bulk_insert": ("table", "rows"),
    "execute": ("sqltext",),
    "batch_alter_table": ("table_name",),
}
# The same on a batch_alter_table() alias (whose table is the batch's).
_BATCH_SIGNATURES = {
    name: tuple(p for p in params if p not in ("table_name", "source_table"))
    for name, params in _SIGNATURES.items()
}
# Top-level modules whose functions change no table on their own (with the standard
# library's, `sys.stdlib_module_names`): a call into another imported module is "foreign".
_KNOWN_MODULES = frozenset({"alembic", "sqlalchemy", "sqlmodel", "typing_extensions"})
# `op.*` helpers that change nothing themselves.
_HELPERS = frozenset({"f", "get_bind", "get_context", "inline_literal"})
# What a revision gets from alembic or SQLAlchemy to act through, changing nothing.
_HANDLES = frozenset({"get_bind", "get_context", "inspect"})
_TABLE_FACTORIES = frozenset({"table", "Table", "create_table"})
_SERVER_GENERATED = frozenset({"Identity", "Computed", "FetchedValue", "DefaultClause"})
# The integer types whose only primary key column the server numbers (`_serial`).
_INTEGER_TYPES = frozenset(
    {"Integer", "BigInteger", "SmallInteger", "INTEGER", "BIGINT", "SMALLINT", "INT"}
)
# Calls among sa.Column's positional arguments that are not its type (nor a starred
# argument is).
_COLUMN_EXTRAS = frozenset(
    {
        "ForeignKey",
        "Sequence",
        "Identity",
        "Computed",
        "FetchedValue",
        "DefaultClause",
        "CheckConstraint",
    }
)
# Statements whose body may not run.
_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try)
# For the reader's isinstance tests (a tuple is tested faster than `A | B` is built).
_NOT_RUN = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_WITHS = (ast.With, ast.AsyncWith)
_LOOPS = (ast.For, ast.AsyncFor)
_ASSIGNS = (ast.Assign, ast.AnnAssign)
# Statements whose value a call may be (a call there may be one into imported code).
_VALUE_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# A name or a dotted name (`o`, `op.add_column`, `util.add_col`): what an alias may
# stand for.
_DOTTED = (ast.Name, ast.Attribute)
_COLLECTIONS = (tuple, list, dict, frozenset, set)
# What sa.Column's first argument is when it gives the name (the type comes next): a
# string, a name bound to one, an f-string or a sum of strings (`name + "_ts"`).
_NAME_ARGS = (ast.Constant, ast.Name, ast.JoinedStr, ast.BinOp)
# Core statement builders: SQL that reads or changes rows, never tables (with an
# insert's from_select and upsert clauses, PostgreSQL's and SQLite's, and MySQL's).
_DML = frozenset(
    {"insert", "update", "delete", "select", "values", "where", "from_select"}
    | {"on_conflict_do_nothing", "on_conflict_do_update", "on_duplicate_key_update"}
    # a select's (or an update's, a delete's) clauses, on a statement built in a loop
    | {"order_by", "limit", "offset", "group_by", "having", "returning", "select_from"}
)
# Methods that give a text() statement back with its parameters (`.params()` too:
# simpler-grants) or result columns set.
_TEXT_METHODS = frozenset({"bindparams", "params", "columns", "execution_options"})
# Calls on anything but `op` that run SQL or change tables, recorded in `Side.steps`.
# What runs a statement: a connection's or session's execute(), and a session's
# scalars()/scalar() (hypothesis/h deletes rows with `session.scalars(delete(...))`).
SQL_METHODS = frozenset({"execute", "exec_driver_sql", "scalars", "scalar"})
_STATEMENT_RUNNERS = frozenset({"execute", "exec_driver_sql", "scalars", "scalar"})
# Calls that give the same SQL as the text they are given (`_reshaped`).
_SAME_SQL = frozenset({"dedent", "cleandoc", "strip", "replace"})
# The calls that may put a value into a column or rows into a table (`_only_nulls`).
_PUTS_ROWS = frozenset({"backfill", "insert", "bulk_insert", "orm", "execute", "alter_column"})
# Calls that give the name they are given, marked: `op.f` (a name not to convention)
# and SQLAlchemy's `quoted_name` (a str quoted as written; data-store-service's schemas).
_NAMING = frozenset({"f", "quoted_name"})
# What names a column in a SQLAlchemy expression (`sa.column("c").isnot(None)`).
_NAMED_COLUMNS = frozenset({"column", "literal_column", "Column"})
_METADATA_METHODS = frozenset({"create_all", "drop_all"})
# ORM session work (rows only), recorded in `Side.steps` as "orm".
# What a `session.query(Model)...` chain ends with to change rows.
_ORM_WRITES = frozenset({"update", "delete"})
_ORM_METHODS = frozenset(
    {
        "query",
        "add_all",
        "merge",
        "bulk_save_objects",
        "bulk_update_mappings",
        "bulk_insert_mappings",
    }
)
# What an ORM session is given to write rows with (`session.add(obj)`), read as ORM work
# where the receiver is a session the revision makes (`_is_session`).
_SESSION_WRITES = frozenset({"add", "delete"})
# What Flask-SQLAlchemy's session on the extension object (`db.session`) is given to
# write rows with, or asked to commit them with (TrueNTH's ORM data migrations): read as
# ORM work wherever `db` comes from.
_EXTENSION_SESSION_WORK = frozenset(
    {"add", "add_all", "delete", "merge", "flush", "commit", "bulk_save_objects"}
)
# The calls that make a session, or a factory of sessions.
_SESSION_MAKERS = frozenset({"Session", "sessionmaker", "scoped_session"})
# Every method name `_orm_call` may take for session work (a call of no other name is
# not asked about: `sa.Column(...)` costs one set lookup).
_ORM_NAMES = _ORM_METHODS | _ORM_WRITES | _SESSION_WRITES | _EXTENSION_SESSION_WORK
# A literal loop longer than this is read once, as if it were not literal.
_MAX_UNROLL = 64
# How many helper calls with distinct literal arguments one side may follow.
_MAX_HELPER_VISITS = 256
# A name in SQL: plain, quoted, or with a placeholder filled in at run time (`%s`, `{}`,
# `old_{}`).
_SQL_NAME = r"(?:(?:[\w$]|%s|%\(\w+\)s|\{\w*\})+|\"[^\"]+\"|`[^`]+`|\[[^\]]+\])"
_QUALIFIED = rf"({_SQL_NAME}(?:\s*\.\s*{_SQL_NAME})*)"
_PLACEHOLDER = LazyPattern(r"%s|%\(\w+\)s|\{\w*\}")
# Names separated by commas (`DROP TABLE a, b`, `TRUNCATE a, b`), as one group.
_QUALIFIED_LIST = rf"({_QUALIFIED[1:-1]}(?:\s*,\s*{_QUALIFIED[1:-1]})*)"
# DDL run as SQL (`op.execute("DROP TABLE t")`), each pattern matched at the start of a
# statement once quoted text and comments are blanked (`_sql_schema_changes`).
_DROP_TABLE_SQL = LazyPattern(
    r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + _QUALIFIED_LIST, re.IGNORECASE
)
_CREATE_TABLE_SQL = LazyPattern(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMPORARY|TEMP)\s+|UNLOGGED\s+)?"
    r"(?:TABLE|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _QUALIFIED,
    re.IGNORECASE,
)  # (a materialized view is a relation of its own the revision makes: Augur indexes one)
# A view made anew (not `OR REPLACE` or `IF NOT EXISTS`, which keep one that exists): a
# relation the revision makes, whose columns it may then rename (ConsDB drops its views,
# creates them again from `SELECT *` and renames their columns to the old views' names).
_CREATE_VIEW_SQL = LazyPattern(
    r"CREATE\s+(?:(?:TEMPORARY|TEMP)\s+)?(?:RECURSIVE\s+)?VIEW\s+(?!IF\s)" + _QUALIFIED,
    re.IGNORECASE,
)
_TEMPORARY = LazyPattern(r"\bTEMP(?:ORARY)?\b", re.IGNORECASE)
_CREATE_INDEX_SQL = LazyPattern(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?:" + _SQL_NAME + r"\s+)?ON\s+(?:ONLY\s+)?" + _QUALIFIED,
    re.IGNORECASE,
)
_ALTER_TABLE_SQL = LazyPattern(
    r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?" + _QUALIFIED + r"\s+(.*)",
    re.IGNORECASE | re.DOTALL,
)
# MySQL's `CONVERT TO CHARACTER SET cs` (or CHARSET), an action of ALTER TABLE.
_CONVERT_SQL = LazyPattern(r"CONVERT\s+TO\s+(?:CHARACTER\s+SET|CHARSET)\b", re.IGNORECASE)
_DROP_COLUMN_SQL = LazyPattern(
    r"DROP\s+(COLUMN\s+)?(?:IF\s+EXISTS\s+)?(" + _SQL_NAME + r")", re.IGNORECASE
)
# `RENAME [TO|AS] u` (the table), or `RENAME [COLUMN] a TO b`, an action of ALTER TABLE.
_RENAME_SQL = LazyPattern(
    r"RENAME\s+(?:(?:TO|AS)\s+"
    + _QUALIFIED
    + r"|(COLUMN\s+)?("
    + _SQL_NAME
    + r")\s+TO\s+("
    + _SQL_NAME
    + r"))\s*$",
    re.IGNORECASE,
)
# In a CREATE TABLE statement, after the table's name: the query it takes its rows from.
_FROM_QUERY = LazyPattern(r"\bSELECT\b|\bAS\s+TABLE\b|\bAS\s*\(?\s*VALUES\b", re.IGNORECASE)
# MySQL's `CHANGE [COLUMN] a b <definition>`: a column renamed when b is not a.
_CHANGE_SQL = LazyPattern(
    r"CHANGE\s+(COLUMN\s+)?(" + _SQL_NAME + r")\s+(" + _SQL_NAME + r")", re.IGNORECASE
)
_RENAME_TABLES_SQL = LazyPattern(r"RENAME\s+TABLES?\s+(.*)", re.IGNORECASE | re.DOTALL)
_RENAME_PAIR_SQL = LazyPattern(_QUALIFIED + r"\s+TO\s+" + _QUALIFIED, re.IGNORECASE)
# `ADD [COLUMN] [IF NOT EXISTS] c <definition>`, and in a column's definition (upper
# case, parentheses left out): NOT NULL, PRIMARY KEY, a value every row gets.
_ADD_COLUMN_SQL = LazyPattern(
    r"ADD\s+(COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(" + _SQL_NAME + r")(.*)",
    re.IGNORECASE | re.DOTALL,
)
# `ADD [CONSTRAINT c] PRIMARY KEY (a, b)` / `ADD [CONSTRAINT c] UNIQUE [KEY|INDEX] [i] (a)`;
# one `USING INDEX i` (an index built before, perhaps concurrently) builds nothing.
_ADD_KEY_SQL = LazyPattern(
    r"ADD\s+(?:CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE)\b(?:\s+(?:KEY|INDEX)\b)?[^(]*"
    r"(?:\(([^()]*)\))?",
    re.IGNORECASE | re.DOTALL,
)
_USING_INDEX = LazyPattern(r"\bUSING\s+INDEX\b", re.IGNORECASE)
# `ADD [CONSTRAINT c] EXCLUDE [USING m] (...)`: PostgreSQL's exclusion constraint.
_ADD_EXCLUDE_SQL = LazyPattern(r"ADD\s+(?:CONSTRAINT\s+\S+\s+)?EXCLUDE\b", re.IGNORECASE)
# `ADD CONSTRAINT n CHECK (c IS NOT NULL) [NOT VALID]` and `VALIDATE CONSTRAINT n`, actions
# of ALTER TABLE: PostgreSQL's NOT NULL without a long lock (pass Culture's three steps,
# SET NOT NULL the last); once the check holds for every row, c holds no NULL.
_NOT_NULL_CHECK_SQL = LazyPattern(
    rf"ADD\s+CONSTRAINT\s+({_SQL_NAME})\s+CHECK\s*\(\s*(\()?\s*({_SQL_NAME})\s+IS\s+NOT\s+NULL"
    r"\s*(?(2)\))\s*\)\s*(NOT\s+VALID\s*)?$",
    re.IGNORECASE,
)
# The same check's condition as `op.create_check_constraint` is given it (`c IS NOT NULL`).
_NOT_NULL_CONDITION = LazyPattern(
    rf"\s*(\()?\s*{_QUALIFIED}\s+IS\s+NOT\s+NULL\s*(?(1)\))\s*$", re.IGNORECASE
)
_VALIDATE_SQL = LazyPattern(rf"VALIDATE\s+CONSTRAINT\s+({_SQL_NAME})\s*$", re.IGNORECASE)
_NOT_NULL = LazyPattern(r"\bNOT\s+NULL\b")
_PRIMARY_KEY = LazyPattern(r"\bPRIMARY\s+KEY\b")
_UNIQUE = LazyPattern(r"\bUNIQUE\b")
_GENERATED = LazyPattern(
    r"\bDEFAULT\b|\bGENERATED\b|\bAUTO_INCREMENT\b|\bAUTOINCREMENT\b|\bIDENTITY\b"
    r"|^\s*(?:SMALL|BIG)?SERIAL\d?\b"
)
# `ALTER [COLUMN] c [SET DATA] TYPE t [COLLATE x] [USING e]`: the type's text (a quoted
# name may touch the next word: boxoffice's `"created_at"TYPE`).
_TYPE_CHANGE_SQL = LazyPattern(
    r"ALTER\s+(?:COLUMN\s+)?(" + _SQL_NAME + r")(?:\s+|(?<=[\"`\]]))(?:SET\s+DATA\s+)?TYPE\s+"
    r"(.+?)\s*(?:\bCOLLATE\b.*|\bUSING\b.*)?$",
    re.IGNORECASE | re.DOTALL,
)
# `INSERT INTO t (a, b, ...)`: the table and the columns named.
_INSERT_COLUMNS_SQL = LazyPattern(
    r"\bINSERT\s+INTO\s+" + _QUALIFIED + r"\s*\(([^()]*)\)", re.IGNORECASE
)
# MySQL's `MODIFY [COLUMN] c <definition>`: the column's whole definition, restated.
_MODIFY_SQL = LazyPattern(
    r"MODIFY\s+(COLUMN\s+)?(" + _SQL_NAME + r")(.*)", re.IGNORECASE | re.DOTALL
)
# In a restated definition (upper case, parentheses left out): a key's column, which
# MySQL keeps NOT NULL whatever the definition says.
_KEY_COLUMN = LazyPattern(r"\bAUTO_INCREMENT\b|\bPRIMARY\s+KEY\b")
# The type a restated definition starts with, one word and its lengths (`VARCHAR(255)`,
# `MEDIUMTEXT`), and what follows it: other arguments or a word that goes on with it
# (`ENUM(...)`, `INT UNSIGNED`, `DOUBLE PRECISION`: not read).
_RESTATED_TYPE = LazyPattern(r"\s*([A-Za-z_]\w*)\s*(\(\s*\d+\s*(?:,\s*\d+\s*)?\))?\s*(\(|\w+)?")
_TYPE_WORDS = frozenset({"UNSIGNED", "SIGNED", "ZEROFILL", "PRECISION", "VARYING", "BINARY"})
# A restated ENUM, its values blanked (`ENUM( ,  )`): read from the text as written
# (`_enum_restated`).
_BLANKED_ENUM = LazyPattern(r"\s*ENUM\s*\(", re.IGNORECASE)
# MySQL's `MODIFY [COLUMN] c ENUM('a', 'b')` or `CHANGE [COLUMN] c c ENUM(...)` as written,
# `{0}` the column's name: its values, each a quoted string without escapes.
_ENUM_RESTATED_SQL = (
    r"\b(?:MODIFY|CHANGE(?:\s+COLUMN)?\s+[`\"]?{0}[`\"]?)(?:\s+COLUMN)?\s+[`\"]?{0}[`\"]?"
    r"\s+ENUM\s*\(((?:\s*'[^'\\]*'\s*,)*\s*'[^'\\]*'\s*)\)"
)
# The restated types kept: text and bytes, whose length or kind a MODIFY changes by
# copying the table; SQL's other spellings (`INT(11)` for `Integer`, `TINYINT` for
# `Boolean`) mostly restate the type the history gave.
_RESTATED_TYPES = frozenset(
    {
        *("CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"),
        *("BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"),
    }
)
# `ALTER [COLUMN] c SET NOT NULL` or `DROP NOT NULL`, an action of ALTER TABLE.
_NULL_CHANGE_SQL = LazyPattern(
    r"ALTER\s+(?:COLUMN\s+)?(" + _SQL_NAME + r")\s+(SET|DROP)\s+NOT\s+NULL\s*$", re.IGNORECASE
)
# What `ALTER TABLE t DROP <word>` drops when <word> is one of these: not a column.
_NOT_COLUMNS = frozenset(
    {
        *("constraint", "index", "key", "primary", "foreign", "check", "partition"),
        *("trigger", "default", "not", "identity", "expression", "row", "system"),
        *("period", "unique", "fulltext", "spatial"),
    }
)
# Quoted text and comments: blanked before statements are matched.
# (where each starts: `_blanked` finds where it ends, in one pass over the text)
_SQL_QUOTE_START = LazyPattern(r"'|\$\w*\$|/\*|--")
_UPDATE_SQL = LazyPattern(
    r"\bUPDATE\s+(?:ONLY\s+|LOW_PRIORITY\s+|IGNORE\s+|OR\s+(?:ROLLBACK|ABORT|REPLACE|FAIL|IGNORE)\s+)*"
    + _QUALIFIED
    + r"(?:\s+AS\s+(\w+)|\s+(?!SET\b)(\w+))?"
    # MySQL's multi-table UPDATE: `UPDATE t AS a JOIN u AS b ON ... SET a.c = b.c`, or
    # with the tables listed (`UPDATE users, nodes SET users.nodeid = nodes.id`:
    # tokenserver), names and aliases only (`ON UPDATE CASCADE, ...` is no UPDATE)
    + r"(\s+(?:(?:INNER|CROSS|LEFT|RIGHT|OUTER|STRAIGHT_JOIN)\s+)*JOIN\s[^;]*?"
    + r"|(?:\s*,\s*[^\s,;]+(?:\s+AS\s+\w+|\s+(?!SET\b)\w+)?)+)?"
    + r"\s+SET\b",
    re.IGNORECASE,
)
_DELETE_SQL = LazyPattern(
    r"\bDELETE\s+(?:LOW_PRIORITY\s+|QUICK\s+|IGNORE\s+)*FROM\s+(?:ONLY\s+)?"
    + _QUALIFIED
    + r"\s*(?:;|$|WHERE\b([^;]*))",
    re.IGNORECASE,
)
_TRUNCATE_SQL = LazyPattern(
    r"\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?" + _QUALIFIED_LIST, re.IGNORECASE
)
_IS_NULL = LazyPattern(r"(" + _SQL_NAME + r")\s+IS\s+NULL\b", re.IGNORECASE)
# The words that end an UPDATE's SET clause (lowercase: found in text whose ASCII letters
# are lowered, `_ASCII_LOWER`, which keeps every position).
_SET_END_WORDS = ("where", "from", "returning")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# SQL statements that change rows or the session, never the schema: a temporary table
# is the session's own, gone when it ends (ggrc's maps of old to new slugs); upkeep of
# what is there (statistics, VACUUM, indexes rebuilt as they are: Mobilic's REINDEX after
# a DELETE, a table reordered or optimized, a materialized view's rows refreshed).
_DATA_SQL = LazyPattern(
    r"^[\s(]*(?:UPDATE|INSERT|DELETE|SELECT|WITH|MERGE|REPLACE|SET|RESET|SHOW|ANALYZE|VACUUM"
    r"|REINDEX|CLUSTER|OPTIMIZE\s+TABLE|CHECKPOINT|REFRESH\s+MATERIALIZED\s+VIEW"
    r"|LOCK|BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|TRUNCATE|VALUES|EXPLAIN"
    r"|NOTIFY|LISTEN|DO\s+\$\$\s*BEGIN\s+(?:UPDATE|INSERT|DELETE)"
    r"|CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+TABLE|DROP\s+TEMPORARY\s+TABLE)\b",
    re.IGNORECASE,
)
# `ALTER TABLE t DISABLE TRIGGER x` and the like: switched back on, not a schema change;
# `ALTER TABLE t VALIDATE CONSTRAINT c`: checks the rows against a constraint the table
# has (the post-award data store), nothing for a downgrade to put back; `ALTER SEQUENCE s
# RESTART [WITH n]` alone: moves the sequence past the rows' ids, as setval() does
# (renku's fixes of primary key sequences).
_TOGGLE_SQL = LazyPattern(
    r"^\s*(?:ALTER\s+TABLE\s+(?:ONLY\s+)?\S+\s+(?:(?:ENABLE|DISABLE)\s+(?:ALWAYS\s+|REPLICA\s+)?"
    r"TRIGGER|VALIDATE\s+CONSTRAINT)\b"
    r"|ALTER\s+SEQUENCE\s+(?:IF\s+EXISTS\s+)?\S+\s+RESTART(?:\s+(?:WITH\s+)?[^\s;]+)?\s*;?\s*$)",
    re.IGNORECASE,
)
# Statements that change who may do what (privileges, roles, owners) or what is
# replicated, never a table: nothing of the schema for a downgrade to put back.
_ACCESS_SQL = LazyPattern(
    r"^[\s(]*(?:GRANT|REVOKE|REASSIGN\s+OWNED|ALTER\s+DEFAULT\s+PRIVILEGES"
    r"|(?:CREATE|ALTER|DROP)\s+(?:ROLE|USER|GROUP|PUBLICATION|SUBSCRIPTION))\b",
    re.IGNORECASE,
)
# PL/pgSQL statements that run no SQL but a query's (`PERFORM f()`, as `SELECT f()`).
_PLPGSQL_QUIET = LazyPattern(
    r"^(?:RAISE|PERFORM|RETURN|NULL|EXIT|CONTINUE|GET\s+(?:STACKED\s+)?DIAGNOSTICS)\b",
    re.IGNORECASE,
)
# The literal SQL a PL/pgSQL `EXECUTE` is given, also through format() (its start,
# where other text is joined to it).
_EXECUTE_LITERAL = LazyPattern(r"\bEXECUTE\s+(?:format\s*\(\s*)?'((?:[^']|'')*)'", re.IGNORECASE)


@record(frozen=True)
class Column:
    """An `sa.Column(...)` given to add_column or create_table."""

    name: str | None
    # The literal `nullable=`, or None when not given or not a literal.
    nullable: bool | None
    # server_default=, or a server-generated value such as Identity() or Computed(), or an
    # integer primary key add_column gives, which the server numbers (SERIAL, AUTO_INCREMENT).
    server_default: bool
    # `default=` (applied by SQLAlchemy on INSERT, never to existing rows).
    client_default: bool
    # `primary_key=True`, or named by the table's PrimaryKeyConstraint.
    primary_key: bool = False
    # The type as written (`sa.String(length=50)`), or None when not given.
    type_: str | None = None


@record(frozen=True)
class Call:
    """One operation, in the order upgrade() runs it.

    `name` is the op's method name ("add_column", "alter_column" ...), also for DDL
    run as SQL (`sql` then holds its statement), or "backfill" for an `.execute(...)`
    (or ORM loop) that fills rows of `table`
    (None when the statement's table cannot be read; `column` when the filled
    column is known), or "empty" for a statement that deletes every row of `table`,
    or "insert" for a Core `insert(table)` run by `.execute(...)`, or "commit" for SQL
    that ends the transaction (`op.execute("COMMIT")`).

    `_Reader._operation` passes every field by position, in the order below: a field
    added or moved here is added or moved there too (test_operations checks the two).
    """

    name: str
    line: int
    table: str | None
    # Column operations: the column's name.
    column: str | None = None
    # Keyword arguments: the literal value, or UNKNOWN.
    options: Mapping[str, object] = field(default_factory=dict)
    # add_column: the column added.
    new_column: Column | None = None
    # rename_table: the new name.
    new_table: str | None = None
    # Called on a batch_alter_table() alias.
    batch: bool = False
    # Inside `with ...autocommit_block():`.
    autocommit: bool = False
    # Inside if/for/while/try: it may not run.
    conditional: bool = False
    # create_table: the names of its sa.Column(...) arguments; create_primary_key: the
    # columns of the key; None when not all literal.
    columns: tuple[str, ...] | None = None
    # alter_column: the literal new_column_name=.
    new_column_name: str | None = None
    # `schema=` of the call or of its batch_alter_table(): the literal, or UNKNOWN.
    schema: object = None
    # execute / exec_driver_sql: the literal SQL text; UNKNOWN when it is built at run
    # time; None without a statement or for a Core statement that changes rows only. A
    # call read from that SQL (`op.execute("DROP TABLE t")` is also a drop_table): its
    # statement, with quoted text blanked; None for every op.* call written as one.
    sql: object = None
    # execute / exec_driver_sql: "data" when the statement only reads or changes rows
    # (UPDATE, INSERT, Core DML, SET ...), "schema" for DDL; None when not known.
    sql_kind: str | None = None
    # execute / exec_driver_sql whose SQL is built at run time (`sql` UNKNOWN): its text
    # with the parts not known as "{}" (subunit2sql's copy `INSERT INTO t_new (id, {},
    # ...)`, the quoting of a column name chosen by dialect); None where none is read.
    sql_shape: str | None = None
    # The dialects it runs on when it sits in a dialect branch (sorted); None: any.
    dialects: tuple[str, ...] | None = None
    # create_table: its columns (None when not all are literal sa.Column(...)).
    table_columns: tuple[Column, ...] | None = None
    # alter_column: `type_=` and `existing_type=` as written.
    type_text: str | None = None
    existing_type_text: str | None = None
    # create_index: its arguments as source text (a batch alias's `.f()` written `op.f()`),
    # and its keyword arguments; add_column: the column's `index=True` and `unique=True`
    # (alembic builds that index, or adds that constraint, with the column).
    args_text: tuple[str, ...] = ()
    keywords_text: tuple[tuple[str, str], ...] = ()
    # "foreign": the function as the revision calls it (`helper`), what that stands for
    # (`utils.add_col`; the same text when it is no alias) and the module it is
    # imported from.
    foreign: tuple[str, str, str] | None = None
    # `table` None: the table argument as written where it names the same table wherever
    # the revision writes it (`SqlAssessments.__tablename__`: see `_Reader._table_text`).
    table_text: str | None = None

    @property
    def receiver(self) -> str:
        return "batch_op" if self.batch else "op"


@record
class Side:
    """upgrade() or downgrade(): its operations (none read for downgrade()), and the
    shape of its body."""

    calls: list[Call] = field(default_factory=list)
    # `calls` and, in the same order, what the lint rules do not read: SQL run on a
    # connection (`op.get_bind().execute(...)`), ORM session work ("orm"),
    # `metadata.create_all()` / `drop_all()`, calls into imported code ("foreign") and
    # a `raise` under an `if` that tests no dialect ("raise").
    steps: list[Call] = field(default_factory=list)
    # Where `def upgrade` / `def downgrade` stands; None when the module has none.
    line: int | None = None
    # The body is only a docstring, `pass`, `...`, or an `if ...: return`.
    empty: bool = True
    # The body raises (`raise NotImplementedError()`).
    raises: bool = False


@record
class Operations:
    """What one revision file's parse says of its functions: upgrade()'s calls, the
    shape of downgrade(), the migration's message and the dialects it names."""

    upgrade: Side = field(default_factory=Side)
    downgrade: Side = field(default_factory=Side)
    # Why the file could not be read (AG007 reports it); the sides are then empty.
    problem: str | None = None
    # The first line of the module docstring (alembic's `-m` message).
    message: str | None = None
    # The database dialects the file names anywhere (imports, types, branches, comments).
    dialects: frozenset[str] = frozenset()


# A keyword argument's name (None for `**`).
_ARG = attrgetter("arg")
# The options of a "foreign" step: where its call is given a batch alias, and `op`.
BATCH_ARGUMENT = "batch argument"
OP_ARGUMENT = "op argument"
# ... and each string it is given literally, under this prefix and its position or name.
LITERAL_ARGUMENT = "literal argument "

# Calls and columns are made by the thousand while reading: these build them as their
# `__init__` would, three times faster (plain.constructor).
_new_call = plain.constructor(Call)
_new_column = plain.constructor(Column)


def operations(rev: RevisionFile) -> Operations:
    """The operations of one revision file, from the parse that read it (packed on
    `rev.ops_data`, or in the cache file at `rev.ops_at`). A file read without that
    data, or whose data does not unpack (a damaged cache entry), is read again now."""
    data = _packed(rev)
    found = _memoised(data)
    if found is not None:
        return found
    try:
        if data is None:
            raise ValueError("not read yet")
        ops = unpack(_bytes(rev, data))
    except ValueError:
        ops = _read_again(rev)
        data = rev.ops_data = pack(ops)
    _remember(data, ops)
    return ops


def upgrade_calls(rev: RevisionFile) -> list[Call]:
    """The calls of a revision's upgrade() (what the AG1xx rules read of earlier
    revisions): unpacked whole and remembered while the memo has room, since a run that
    judges this revision too will ask for all of it; past that, only that side."""
    data = _packed(rev)
    found = _memoised(data)
    if found is not None:
        return found.upgrade.calls
    if _limit == MEMO_SIZE and len(_MEMO) < _limit:
        return operations(rev).upgrade.calls
    try:
        raw = _loads(b"" if data is None else _bytes(rev, data))
        if type(raw) is not tuple or len(raw) != len(_OPERATIONS_FIELDS):
            raise ValueError("not packed operations")
        return plain.unpack(Side, raw[_UPGRADE]).calls
    except (ValueError, TypeError):
        return operations(rev).upgrade.calls


def _packed(rev: RevisionFile) -> bytes | int | None:
    """What `rev` holds of its packed operations: the bytes, or where they lie in the
    cache file (read when asked; the memo knows them by that object)."""
    return rev.ops_data if rev.ops_data is not None else rev.ops_at


def _bytes(rev: RevisionFile, data: bytes | int) -> bytes:
    """The packed operations `_packed` gave for `rev`, read where they lie."""
    if isinstance(data, bytes):
        return data
    at = rev.stored_ops()
    return b"" if at is None else at.read()


def _read_again(rev: RevisionFile) -> Operations:
    try:
        source = read_regular(rev.file)
    except OSError as exc:
        return Operations(problem=f"cannot read file: {describe_error(exc)}")
    return read_operations(source)


# Operations read back, by their packed data (and those the parse just read): a run asks
# for a revision's more than once (the AG1xx history reads earlier revisions, the pass
# judges each, check reads them again), and unpacking is dearer than the lookup. Plain
# data, never a parsed tree, and bounded: once a long history has filled it, only the
# last few entries are kept (a rule asking again for the revision it is on).
MEMO_SIZE = 1000
_LONG_HISTORY = 8
_MEMO: dict[int, tuple[bytes | int, Operations]] = {}
_limit = MEMO_SIZE


def _memoised(data: bytes | int | None) -> Operations | None:
    found = _MEMO.get(id(data)) if data is not None else None
    return found[1] if found is not None and found[0] is data else None


def _remember(data: bytes | int, ops: Operations) -> None:
    global _limit
    if not _limit:
        return
    if len(_MEMO) >= _limit:
        _MEMO.clear()
        _limit = _LONG_HISTORY
    _MEMO[id(data)] = (data, ops)


def forget(room: int = MEMO_SIZE) -> None:
    """Empty the memo (a new run: its histories may be short again). `room=0`: remember
    nothing from now on (a forked reader: what it read leaves as bytes, and would never
    be asked for again in that process)."""
    global _limit
    _MEMO.clear()
    _limit = room


def expect(files: int) -> None:
    """This process is about to parse `files` files: if they would overflow the memo,
    it keeps only the last few from now on, as it would once full (filled first, it
    held a thousand files' operations while a long history was read, 15 MiB at
    20,000 revisions, to let them go at the next file)."""
    if _limit == MEMO_SIZE and len(_MEMO) + files > MEMO_SIZE:
        forget(room=_LONG_HISTORY)


def keeps(files: int) -> bool:
    """Whether the memo will keep the operations of `files` more files whole."""
    return _limit == MEMO_SIZE and len(_MEMO) + files <= MEMO_SIZE


def unpack_ahead(data: bytes) -> None:
    """Unpack a forked reader's packed operations as they arrive, while it still
    parses, and remember them: `operations()` then finds them in the memo, where the
    rules, after the reads, would unpack them one by one (a run at 1,000 revisions:
    ~220 M instructions there). Nothing is done once the memo is full; packed data
    that does not unpack is left for `operations()` to read again."""
    if _limit != MEMO_SIZE or len(_MEMO) >= _limit or _memoised(data) is not None:
        return
    try:
        ops = unpack(data)
    except ValueError:
        return
    _remember(data, ops)


def expect_history(revisions: int) -> None:
    """Size the memo for rules run over `revisions` revisions (the memo may hold some of
    them already): when they cannot all be kept, only the last few are from the start
    (the first thousand would be let go as soon as the memo is full, after holding
    17 MiB at 20,000 revisions while the AG1xx timeline was built)."""
    if revisions > MEMO_SIZE:
        forget(room=_LONG_HISTORY)


_OPERATIONS_FIELDS = [f.name for f in fields(Operations)]
_UPGRADE = _OPERATIONS_FIELDS.index("upgrade")


# zlib's settings for packed operations: a 4 KiB window (most files' packed operations
# are smaller: 1.9 KB on average, 3.7 KB at most in a generated history) and a smaller
# hash table than the default memLevel 8's, which deflate clears for every file. Same
# size within 0.1%, ~50 k instructions a file fewer; `zlib.decompress` reads any window.
_WINDOW_BITS = 12
_MEMORY_LEVEL = 5


# What packed operations left uncompressed start with (no zlib stream does: its first
# byte's low four bits are 8), in a run whose packed operations never leave its
# processes (`Uncompressed`): compressing them was ~70 M instructions of 1,000 files.
_RAW = b"\0"
_compressing = True


def pack(ops: Operations) -> bytes:
    """`ops` as compact plain data (marshal, compressed): what the cache stores; only
    marshalled, behind `_RAW`, inside `Uncompressed`."""
    data = marshal.dumps(plain.pack(ops))
    if not _compressing:
        return _RAW + data
    packer = zlib.compressobj(1, zlib.DEFLATED, _WINDOW_BITS, _MEMORY_LEVEL)
    return packer.compress(data) + packer.flush()


class Uncompressed:
    """While active (and `leave` is true), `pack` does not compress: for a run that
    writes no packed operations anywhere (no cache file, nothing set aside), whose
    forked readers send them to it through a pipe. (A class, not contextlib's: lint
    imports nothing else of it.)"""

    def __init__(self, leave: bool) -> None:
        self.leave = leave
        self.before = True

    def __enter__(self) -> None:
        global _compressing
        self.before = _compressing
        _compressing = _compressing and not self.leave

    def __exit__(self, *exc: object) -> None:
        global _compressing
        _compressing = self.before


def unpack(data: bytes) -> Operations:
    """The Operations `pack` wrote; ValueError when `data` is not that."""
    return plain.unpack(Operations, _loads(data))


def _loads(data: bytes) -> object:
    """The plain data `pack` wrote; ValueError when `data` is not that."""
    try:
        if data[:1] == _RAW:
            return marshal.loads(memoryview(data)[1:])
        return marshal.loads(zlib.decompress(data))
    except (zlib.error, EOFError, ValueError, TypeError) as exc:
        raise ValueError(f"not packed operations: {exc}") from None


@functools.cache
def unreadable() -> bytes:
    """What a file that could not be parsed whole holds (revisions.py says why, AG007)."""
    return pack(Operations(problem="the file could not be parsed"))


def pack_module(module: ast.Module, text: str) -> tuple[bytes, Operations, bool]:
    """The operations of a parsed revision file (`text`: its source), and them packed;
    `operations()` gives them back without unpacking while the memo has room. And
    whether a call read gives a keyword argument twice (`f(a=1, a=2)`: the parser takes
    it, Python's compiler refuses the file; revisions.py compiles it to say so)."""
    ops, repeated = _read_module(module, text, multidb=True)
    data = pack(ops)
    _remember(data, ops)
    return data, ops, repeated


_COLUMN_CHANGES = frozenset({"add_column", "drop_column", "alter_column"})
# A check that a column holds no NULL, and its validation (`checks_every_row`).
_CHECK_STEPS = frozenset({"not_null_check", "validate_constraint"})
# The calls `altered_columns` reads.
_ALTERING = _COLUMN_CHANGES | _CHECK_STEPS


def helper_calls(
    module: ast.Module,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    batch: tuple[str, str | None] | None,
    op_parameter: str | None,
    literals: Mapping[str, str],
) -> list[Call]:
    """The calls a function of another module makes, read as a helper the revision
    defines is (parsed, never run): `batch` is (its parameter given a batch alias,
    that batch's table), `op_parameter` its parameter given alembic's `op`, `literals`
    the strings its other parameters are given."""
    reader = _Reader(module)
    bindings: dict[str, _Binding] = {name: _known(value) for name, value in literals.items()}
    if op_parameter is not None:
        bindings[op_parameter] = _OP
    scope = _Scope(batch={} if batch is None else {batch[0]: (batch[1], None, None)})
    try:
        reader._function(function, scope, bindings)
    except RecursionError:
        return []
    return reader.calls


def altered_columns(calls: Sequence[Call]) -> tuple[tuple[str, str], ...]:
    """(table, column) of each alter_column among `calls` that names its column, of each
    add_column and drop_column under an if, a loop or a try (`Checked.column_made`), of
    each check of every row for NULL in a column (`checks_every_row`), and the name a column
    swapped in takes (added, then renamed into the name of one dropped before: AG106 asks
    the type it replaces), lowercased and sorted; the table is "*" when it cannot be
    read. Each pair is also given under every name its table had before the calls
    renamed it (in any branch), under which the history knows its columns
    (`Checked.table_before`)."""
    found: set[tuple[str, str]] = set()
    seen: set[tuple[str, str, str]] = set()  # (what, table, column) of adds and drops
    before: dict[str, set[str]] = {}  # a table's name -> the names it had before

    def alters(table: str, column: str) -> None:
        found.add((table, column))
        found.update((old, column) for old in before.get(table, ()))

    for call in calls:
        kind = call.name
        if kind == "rename_table" and call.table and call.new_table:
            old = call.table.lower()
            before.setdefault(call.new_table.lower(), set()).update({old, *before.get(old, ())})
        if kind not in _ALTERING or call.column is None:
            continue
        table = call.table.lower() if call.table else "*"
        column = call.column.lower()
        if kind == "alter_column":
            alters(table, column)
            if call.new_column_name and ("add_column", table, column) in seen:
                name = call.new_column_name.lower()
                if ("drop_column", table, name) in seen:
                    alters(table, name)
        elif kind in _CHECK_STEPS:
            if checks_every_row(call):
                alters(table, column)
        else:
            seen.add((kind, table, column))
            if call.conditional:  # a guarded add or drop: AG101 and AG103 ask whether
                alters(table, column)  # the history already made or dropped the column
    return tuple(sorted(found))


def checks_every_row(call: Call) -> bool:
    """Whether `call` checks every row of its table for NULL in its column, and fails
    where one holds NULL, as SET NOT NULL does: a `not_null_check` added valid, or the
    `validate_constraint` of a NOT VALID one made earlier in the same function (its
    column is then known: `_Reader._checked`; not for one an earlier revision made)."""
    if call.column is None:
        return False
    if call.name == "not_null_check":
        return call.options.get("valid") is True
    return call.name == "validate_constraint"


def touched_tables(ops: Operations) -> tuple[str, ...]:
    """The tables upgrade()'s calls name, lowercased and sorted; "*" stands for a
    backfill of a table that cannot be read."""
    found = {call.table.lower() for call in ops.upgrade.calls if call.table is not None}
    if any(call.name == "backfill" and call.table is None for call in ops.upgrade.calls):
        found.add("*")
    return tuple(sorted(found))


def read_operations(source: bytes | str, *, multidb: bool = True) -> Operations:
    """The operations in a revision file's source; `multidb`: also those of the
    multi-database template's upgrade_<name>() / downgrade_<name>()."""
    try:
        module = syntax.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Operations(problem=f"cannot parse: {exc}")
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    return read_module(module, text, multidb=multidb)


def downgrade_calls(rev: RevisionFile) -> list[Call]:
    """The calls a revision's downgrade() makes, read anew from its file: lint reads no
    downgrade's calls on its way (`Reader.shape`); a rule asks only where upgrade()
    leaves a question the downgrade may answer (AG106: the type it gives back)."""
    try:
        module = syntax.parse(read_regular(rev.file))
        return _Reader(module).side("downgrade", True).calls
    except Exception:  # a file that cannot be read or parsed answers nothing
        return []


def read_module(module: ast.Module, text: str, *, multidb: bool = True) -> Operations:
    """The operations of a parsed revision file whose source is `text` (see
    read_operations)."""
    return _read_module(module, text, multidb=multidb)[0]


def _read_module(module: ast.Module, text: str, *, multidb: bool) -> tuple[Operations, bool]:
    """`read_module`, and whether a call read repeats a keyword (`pack_module`)."""
    message = _message(module)
    dialects = named_dialects(text)
    try:
        reader = _Reader(module, sets_isolation="execution_options" in text)
        upgrade = reader.side("upgrade", multidb)
        downgrade = reader.shape("downgrade", multidb)  # no rule reads its calls
    except RecursionError:
        return Operations(problem="cannot parse: too deeply nested", message=message), False
    except Exception as exc:  # a reader bug on one file must not stop the run
        problem = f"alembic-gate's reader failed on it with {type(exc).__name__}; please report it"
        return Operations(problem=problem, message=message), False
    ops = Operations(upgrade, downgrade, message=message, dialects=dialects)
    return ops, reader.repeated_keyword


def _message(module: ast.Module) -> str | None:
    """The first non-blank line of the module docstring, stripped: that of
    `ast.get_docstring`, without its `inspect.cleandoc`, which only expands tabs (done
    here too) and takes whitespace off the ends of lines and blank lines away."""
    first = module.body[0] if module.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        return None
    doc = first.value.value
    if not isinstance(doc, str):
        return None
    return next((ln.strip() for ln in doc.expandtabs().splitlines() if ln.strip()), None)


def named_dialects(text: str) -> frozenset[str]:
    """The database dialects a source text names (`postgresql.JSONB`, "sqlite", ...),
    past the comment block that opens it (a licence header's "Copyright Oracle and/or
    its affiliates" names no database the history runs on)."""
    header = _HEADER.get().match(text) if text[:1] == "#" else None
    if header is not None:
        text = text[header.end() :]
    if text.isascii():  # lowercasing maps ASCII letters only to ASCII letters
        return _named_in_lower(text.lower())
    return frozenset(_DIALECT_WORDS[word.lower()] for word in _DIALECT_TEXT.get().findall(text))


def _named_in_lower(text: str) -> frozenset[str]:
    """`_DIALECT_TEXT`'s dialects in lowercased ASCII text, found with `str.find` (a few
    times faster than the regex, which tries every word at every position). A word the
    regex would match inside a longer one, such as "oracle" in "cx_oracle", names the
    same dialect, so the set is the same."""
    found: set[str] = set()
    absent: set[str] = set()
    end = len(text)
    for word, dialect, parts in _SEARCHES:
        if dialect in found or not absent.isdisjoint(parts):
            continue
        at = text.find(word)
        if at < 0:
            absent.add(word)
        while at >= 0:
            after = at + len(word)
            if (at == 0 or text[at - 1] not in _WORD_CHARS) and (
                after == end or text[after] not in _WORD_CHARS
            ):
                found.add(dialect)
                break
            at = text.find(word, at + 1)
    return frozenset(found)


@record(frozen=True)
class _Scope:
    """Where the reader stands in a function: the batch aliases, autocommit block,
    condition and dialect branch that the calls it records run under."""

    # batch_alter_table aliases: name -> (table, schema=, the table as written: `table_text`).
    batch: Mapping[str, tuple[str | None, object, str | None]] = field(default_factory=dict)
    autocommit: bool = False
    conditional: bool = False
    # The dialects this code runs on (a dialect branch); None: any.
    dialects: frozenset[str] | None = None

    def only(self, dialects: frozenset[str] | None) -> _Scope:
        if dialects is None:
            return self
        narrowed = dialects if self.dialects is None else self.dialects & dialects
        return replace(self, dialects=narrowed)


# A local name bound to a value the reader knows (str, tuple ...) or to an expression.
_Binding = object
_UNBOUND = object()  # a parameter whose argument is not known
_MISSING = object()  # no local binding
# What a module-level name bound more than once stands for.
_NOT_KNOWN: ast.expr = ast.Constant(value=None)
# What a helper's parameter given alembic's `op` is bound to (the reader always takes
# the name `op` for it).
_OP = ast.Name(id="op")
# How many aliases deep a call into imported code is followed (`h = helper`, ...).
_MAX_ALIASES = 8


class _Reader:
    def __init__(self, module: ast.Module, *, sets_isolation: bool = True) -> None:
        # Whether the source mentions execution_options (`_sets_autocommit` is asked
        # of each statement only then).
        self.sets_isolation = sets_isolation
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.constants: dict[str, str] = {}
        self.literals: dict[str, object] = {}
        # Module-level sequences not literal as written (`("a", *NAMES)`), read when asked.
        self.spread: dict[str, ast.Tuple | ast.List] = {}
        self.models: dict[str, str] = {}
        # Module-level SQL statements (`UPDATE_SQL = sa.text("UPDATE ...")`), run by name.
        self.statements: dict[str, ast.expr] = {}
        # Module-level names bound to what a call made (`new_auth = sa.Enum(...)`): a type
        # given by such a name is read as that call (neutron-vpnaas's revisions each
        # bind `new_auth` to their own ENUM).
        self.made: dict[str, ast.Call] = {}
        self.op_names = {"op"}
        # Names bound to the alembic package itself (`import alembic`, `import alembic
        # as a`, `import alembic.op`): `alembic.op.add_column(...)` is op's (cads-broker).
        self.alembic_names: set[str] = set()
        # `from alembic.op import drop_column [as drop]`: local name -> the op's method
        # (Rucio's history calls them so); also `add = op.add_column` in the module.
        self.op_functions: dict[str, str] = {}
        # Names imports bind to project or library code -> (what the name stands for,
        # the module): `from myapp import util as u` -> ("util", "myapp"). An import
        # inside a function read counts from there on, as if the module made it.
        self.imported: dict[str, tuple[str, str]] = {}
        # Module-level aliases (`helper = util.add_col`): name -> what it stands for.
        self.aliases: dict[str, ast.Name | ast.Attribute] = {}
        # Module-level names bound to an expression once (`is_sqlite = <test>`), and
        # whether a `try:` falls back to a constant where the expression raised
        # (ubersystem's `except: is_sqlite = False`): read when a branch tests the name.
        self.module_values: dict[str, tuple[ast.expr, bool]] = {}
        for node in module.body:
            if isinstance(node, _FUNCTIONS):
                self.functions[node.name] = node
            elif isinstance(node, _ASSIGNS):
                self._constant(node)
                self._alias(node)
                self._module_value(node, guarded=False)
            elif isinstance(node, ast.Try):
                self._guarded_value(node)
            elif isinstance(node, ast.ClassDef):
                self._model(node)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node)
            elif isinstance(node, ast.Import):
                self._import(node)
        self.module = module
        self.calls: list[Call] = []
        self.steps: list[Call] = []
        # The tables the function being read has emptied so far (lowercased).
        self.emptied: set[str] = set()
        # The NOT VALID checks that a column holds no NULL it has made so far, by
        # (table, constraint name), lowercased: the column a VALIDATE of one is about.
        self.unchecked: dict[tuple[str, str], str] = {}
        self.visited: set[tuple[object, ...]] = set()
        self.active: list[str] = []
        self.budget = _MAX_HELPER_VISITS
        # Local bindings of the function being read, innermost last.
        self.frames: list[dict[str, _Binding]] = [{}]
        # Functions defined inside the functions being read (`def _helper():` in
        # upgrade(), called below it: MLflow's), innermost last, as the frames.
        self.local_functions: list[dict[str, ast.FunctionDef | ast.AsyncFunctionDef]] = [{}]
        # A helper's parameters whose arguments are not literal, as the caller wrote the
        # arguments (`type_=sa.String(32)`): how a type given through one is shown.
        self.argument_texts: list[dict[str, str]] = [{}]
        # A call read gives a keyword argument twice (`pack_module`).
        self.repeated_keyword = False

    @functools.cached_property
    def tables(self) -> dict[str, str]:
        found = _table_variables(self.module, self.constants)
        return {**self.models, **found}

    def _constant(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return
        literal = _literal(value)
        statement = not isinstance(literal, str) and (
            _is_built_text(value)
            or (isinstance(value, ast.Call) and _callee(value) == "text" and bool(value.args))
        )
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if isinstance(value, ast.Call):
                self.made[target.id] = value
            if statement:
                self.statements[target.id] = value
            if isinstance(literal, str):
                self.constants[target.id] = literal
            elif isinstance(literal, _COLLECTIONS):
                self.literals[target.id] = literal
            elif isinstance(value, ast.Tuple | ast.List):  # `("a", *NAMES)`: `_value`
                self.spread[target.id] = value

    def _module_value(self, node: ast.Assign | ast.AnnAssign, *, guarded: bool) -> None:
        """Keep what a module-level name is bound to; a name bound twice is not known."""
        name = _single_name(node)
        if name is None or node.value is None:
            return
        known = name not in self.module_values
        self.module_values[name] = (node.value if known else _NOT_KNOWN, guarded and known)

    def _guarded_value(self, node: ast.Try) -> None:
        """`try: x = <expr>` whose every except clause only binds x to a constant."""
        if len(node.body) != 1 or not isinstance(node.body[0], _ASSIGNS):
            return
        name = _single_name(node.body[0])
        if name is None or node.orelse or node.finalbody:
            return
        fallbacks = all(
            len(h.body) == 1
            and isinstance(h.body[0], _ASSIGNS)
            and _single_name(h.body[0]) == name
            and isinstance(h.body[0].value, ast.Constant)
            for h in node.handlers
        )
        self._module_value(node.body[0], guarded=fallbacks)
        if not fallbacks:
            self.module_values[name] = (_NOT_KNOWN, False)

    def _alias(self, node: ast.Assign | ast.AnnAssign) -> None:
        """A module-level alias: of alembic's op (`o = op`), of one of its methods
        (`add = op.add_column`), or of any other name (`helper = util.add_col`)."""
        value = node.value
        if not isinstance(value, _DOTTED):
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            name = target.id
            if self._op_itself(value):
                self.op_names.add(name)
            elif isinstance(value, ast.Name) and value.id in self.op_functions:
                self.op_functions[name] = self.op_functions[value.id]
            elif isinstance(value, ast.Attribute) and self._op_itself(value.value):
                self.op_functions[name] = value.attr
            else:
                self.aliases[name] = value

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module == "alembic":
            self.op_names |= {a.asname or a.name for a in node.names if a.name == "op"}
        elif module == "alembic.op":
            self.op_functions.update((a.asname or a.name, a.name) for a in node.names)
        elif node.level or foreign_module(module):
            where = "." * node.level + module
            for alias in node.names:
                self.imported[alias.asname or alias.name] = (alias.name, where)

    def _import(self, node: ast.Import) -> None:
        """`import myapp.db as db` binds db to myapp.db; `import myapp.db`, myapp;
        `import alembic.op as o` binds o to op, `import alembic [as a]` a to alembic."""
        for alias in node.names:
            if alias.name == "alembic.op" and alias.asname:
                self.op_names.add(alias.asname)
            elif alias.name == "alembic" or alias.name.startswith("alembic."):
                self.alembic_names.add(alias.asname or "alembic")
            elif foreign_module(alias.name):
                top = alias.name.split(".")[0]
                name = alias.asname or top
                self.imported[name] = (alias.name if alias.asname else top, alias.name)

    def _model(self, node: ast.ClassDef) -> None:
        """`class User(Base): __tablename__ = "users"` -> User names the table users."""
        table = _model_table(node)
        if table is not None:
            self.models[node.name] = table

    # -- sides and functions -----------------------------------------------------

    def side(self, name: str, multidb: bool) -> Side:
        """upgrade() (or the function `name`): its calls and steps, and its shape."""
        self.calls = []
        self.steps = []
        self.emptied = set()
        self.unchecked = {}
        self.visited = set()
        self.budget = _MAX_HELPER_VISITS
        for root in sorted(self._roots(name, multidb), key=lambda f: f.name != name):
            self._function(root, _Scope(), {})
        found = self.shape(name, multidb)
        found.calls, found.steps = self.calls, self.steps
        return found

    def shape(self, name: str, multidb: bool) -> Side:
        """Where the function `name` stands and whether its body is empty or raises,
        with no calls read (all that is asked of downgrade(): AG107)."""
        main = self.functions.get(name)
        if main is None:
            return Side(line=None, empty=not self._roots(name, multidb), raises=False)
        body = _without_docstring(main.body)
        return Side(
            line=main.lineno,
            empty=all(_is_noop(stmt) for stmt in body),
            raises=any(isinstance(stmt, _STOPS) and _refuses(stmt) for stmt in body),
        )

    def _roots(self, name: str, multidb: bool) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The function `name` and, with `multidb`, the template's `name_<engine>()`."""
        return [
            f
            for n, f in self.functions.items()
            if n == name or (multidb and n.startswith(name + "_"))
        ]

    def _function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: _Scope,
        bindings: dict[str, _Binding],
        texts: dict[str, str] | None = None,
    ) -> None:
        # The same function with the same arguments in the same scope is read once; in
        # another scope (a dialect branch, a condition, a batch) it is read again: it
        # runs there too (MLflow's 1b5f0d9ad7c1 calls one helper for SQLite and then
        # for the other databases).
        arguments = tuple(sorted((k, _key(v)) for k, v in bindings.items()))
        where = (
            scope.dialects,
            scope.conditional,
            scope.autocommit,
            _key(tuple(scope.batch.items())),
        )
        key = (node.name, arguments, where)
        if key in self.visited or node.name in self.active:
            return
        self.visited.add(key)
        self.active.append(node.name)
        self.frames.append(dict(bindings))
        self.local_functions.append({})
        self.argument_texts.append(texts or {})
        try:
            self._statements(node.body, scope)
        finally:
            self.argument_texts.pop()
            self.local_functions.pop()
            self.frames.pop()
            self.active.pop()

    def _defined(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function a plain name calls: one defined in a function being read (the
        innermost), else a module-level one."""
        bound = self._bound(name)
        if isinstance(bound, _FUNCTIONS):  # a function handed to the one being read
            return bound
        for local in reversed(self.local_functions):
            if local and name in local:
                return local[name]
        return self.functions.get(name)

    def _statements(self, body: list[ast.stmt], scope: _Scope) -> None:
        """A block in order; after `if <dialect test>: return`, the rest runs only on
        the other dialects."""
        for stmt in body:
            self._visit(stmt, scope)
            if self.sets_isolation and _sets_autocommit(stmt):
                scope = replace(scope, autocommit=True)
            if isinstance(stmt, ast.If) and not stmt.orelse and _exits(stmt.body):
                otherwise = self._dialect_cases(stmt.test)[1]
                if otherwise is not None:
                    scope = scope.only(otherwise)

    def _visit(self, node: ast.AST, scope: _Scope) -> None:
        if type(node) is ast.Expr:  # most statements: visiting one is visiting its value
            node = node.value
            if self.imported:
                self._foreign(node, scope)
        if isinstance(node, ast.Call):  # most nodes visited: tested first
            if len(node.keywords) > 1:
                self._check_keywords(node)
            if not self._call(node, scope):  # an operation runs no other in its arguments
                self._callbacks(node, scope)
                for child in syntax.iter_child_nodes(node):
                    self._visit(child, scope)
            return
        if isinstance(node, _NOT_RUN):
            if isinstance(node, _FUNCTIONS):  # defined here, run where it is called
                self.local_functions[-1][node.name] = node
            return
        if isinstance(node, _WITHS):
            self._with(node, scope)
            return
        if isinstance(node, ast.If):
            self._if(node, scope)
            return
        if isinstance(node, _LOOPS) and self._unrolled(node, scope):
            return
        if isinstance(node, _BRANCHES):
            inner = replace(scope, conditional=True)
            if isinstance(node, _LOOPS):
                for target in syntax.walk(node.target):  # its values are not known
                    if isinstance(target, ast.Name):
                        self.frames[-1][target.id] = _UNBOUND
                self._orm_loop(node, inner)
            for child in syntax.iter_child_nodes(node):  # a loop's target and iterable
                if not isinstance(child, (ast.stmt, ast.excepthandler)):
                    self._visit(child, scope)
            for block in _blocks(node):  # each as a block: `if <dialect>: raise` in one
                self._statements(block, inner)
            return
        if isinstance(node, _VALUE_STATEMENTS):
            self._assign(node, scope)
        elif isinstance(node, ast.ImportFrom):  # inside a function: read as the module's
            self._import_from(node)
        elif isinstance(node, ast.Import):
            self._import(node)
        for child in syntax.iter_child_nodes(node):
            self._visit(child, scope)

    def _if(self, node: ast.If, scope: _Scope) -> None:
        taken = self._known_test(node.test)
        if taken is not None:  # `if upgrade:` in a helper whose parameter is known
            self._statements(node.body if taken else node.orelse, scope)
            return
        self._visit(node.test, scope)
        dialects, otherwise = self._dialect_cases(node.test)
        if dialects is None and otherwise is None:
            self._refusal(node, scope)
        inner = replace(scope, conditional=True)
        then = inner.only(dialects)
        other = inner.only(otherwise)
        self._statements(node.body, then)
        self._statements(node.orelse, other)

    def _refusal(self, node: ast.If, scope: _Scope) -> None:
        """`if <test>: ... raise ...`, a test of no dialect: a step "raise" where the
        revision stops on what it checked (the Alliance's count of NULLs in a column
        before making it NOT NULL)."""
        for stmt in node.body:
            if type(stmt) is ast.Raise:
                dialects = None if scope.dialects is None else tuple(sorted(scope.dialects))
                self.steps.append(
                    Call("raise", stmt.lineno, None, conditional=True, dialects=dialects)
                )
                return

    def _known_test(self, test: ast.expr) -> bool | None:
        """The value of `if flag:` / `if not flag:` where `flag` is a parameter of the
        helper being read bound to True or False (Augur's helpers take `upgrade=True`
        and hold their downgrade in the else branch), or a constant (`if False:`, code
        switched off: Assembl's), a comparison of known literals, or `and` / `or` of
        such tests where the known parts decide it; None for any other test."""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        name = test.operand if isinstance(test, ast.UnaryOp) and negated else test
        if type(name) is ast.Constant and type(name.value) in (bool, int, type(None)):
            return bool(name.value) != negated
        if isinstance(name, ast.Compare):
            compared = self._compared(name)
            return None if compared is None else compared != negated
        if isinstance(name, ast.BoolOp):
            joined = _joined(name.op, [self._known_test(value) for value in name.values])
            return None if joined is None else joined != negated
        if not isinstance(name, ast.Name):
            return None
        bound = self._bound(name.id)
        return bound != negated if type(bound) is bool else None

    def _compared(self, test: ast.Compare) -> bool | None:
        """The value of `a == b`, `a != b`, `a in b` or `a not in b` where both sides are
        known literals: a loop over literal table names binds its variable, and a test
        of it picks one branch per name (sw.allotmentclub qualifies `user` alone as
        `public.user` before its UPDATE); None for any other comparison."""
        if len(test.ops) != 1:
            return None
        left, right = self._value(test.left), self._value(test.comparators[0])
        if not (_plain_literal(left) and _plain_literal(right)):
            return None
        compare = _COMPARISONS.get(type(test.ops[0]))
        if compare is None:
            return None
        try:
            return bool(compare(left, right))
        except TypeError:  # (`"a" in 3`)
            return None

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, scope: _Scope) -> None:
        if self.imported:
            self._foreign(node.value, scope)
        if isinstance(node, ast.AugAssign):
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:
            return
        frame = self.frames[-1]
        for target in targets:
            if isinstance(target, ast.Name):
                frame[target.id] = _rebound(target.id, node.value, frame)
            elif isinstance(target, ast.Tuple | ast.List):  # `table, charset = meta`
                self._unpack(target, node.value, frame)

    def _unpack(
        self, target: ast.Tuple | ast.List, value: ast.expr, frame: dict[str, _Binding]
    ) -> None:
        """Bind the names of `a, b = value` to its items, or each to not known."""
        if _bind_target(target, self._value(value), frame):
            return
        for name in syntax.walk(target):
            if isinstance(name, ast.Name):
                frame[name.id] = _UNBOUND

    def _unrolled(self, node: ast.For | ast.AsyncFor, scope: _Scope) -> bool:
        """Read a loop over a literal sequence once per item, with the loop variables
        bound; False when the sequence is not literal."""
        items = self._sequence(node.iter)
        inner = scope
        if items is None:
            kept = self._comprehended(node.iter)
            if kept is None:
                return False
            items, filtered = kept
            inner = replace(scope, conditional=True) if filtered else scope
        frame = self.frames[-1]
        for item in items:
            if not _bind_target(node.target, item, frame):
                return item is not items[0]
            self._statements(node.body, inner)
        self._statements(node.orelse, replace(scope, conditional=True))
        return True

    def _sequence(self, node: ast.expr) -> list[object] | None:
        value = self._value(node)
        partial = self._partial_items(node) if value is UNKNOWN else None
        if partial is not None:
            return partial
        if isinstance(value, dict):
            value = list(value)
        pieces = self._split(node)
        if pieces is not None:
            value = pieces
        if isinstance(value, tuple | list | set | frozenset) and len(value) <= _MAX_UNROLL:
            items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
            return items or None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args:
            owner = self._value(node.func.value)
            if isinstance(owner, dict) and len(owner) <= _MAX_UNROLL:
                method = node.func.attr
                if method == "items":
                    return [tuple(pair) for pair in owner.items()] or None
                if method in ("keys", "values"):
                    return list(getattr(owner, method)()) or None
        return None

    def _split(self, node: ast.expr) -> list[str] | None:
        """The pieces of a known string split on a literal separator, `QUERIES.split(";")`
        (threedi-schema runs its SQL statement by statement so); None for anything else."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            return None
        if node.func.attr != "split" or len(node.args) != 1 or node.keywords:
            return None
        text, separator = self._value(node.func.value), self._value(node.args[0])
        if not (isinstance(text, str) and isinstance(separator, str) and separator):
            return None
        return text.split(separator)

    def _comprehended(self, node: ast.expr) -> tuple[list[object], bool] | None:
        """The items a comprehension keeps of a literal sequence, `[t for t in
        ("models", "model_routes") if table_exists(t)]` (GPUStack's tables to change,
        a name's or as written): each item of the sequence, and whether a condition may
        leave some out; None for anything else (a comprehension that maps its items)."""
        if isinstance(node, ast.Name):
            bound = self._bound(node.id)
            node = bound if isinstance(bound, ast.expr) else node
        if not isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return None
        if len(node.generators) != 1 or node.generators[0].is_async:
            return None
        loop = node.generators[0]
        if not (isinstance(loop.target, ast.Name) and isinstance(node.elt, ast.Name)):
            return None
        items = self._sequence(loop.iter) if node.elt.id == loop.target.id else None
        if items is None or not loop.ifs:
            return None if items is None else (items, False)
        return self._passing(loop.target.id, items, loop.ifs)

    def _passing(
        self, name: str, items: list[object], tests: list[ast.expr]
    ) -> tuple[list[object], bool]:
        """The items of a comprehension over `name` its `tests` do not rule out, each
        test read with `name` bound to the item (Otari picks each table's counters by
        `[e for e in COUNTERS if e[0] == table]` in a loop over the tables), and whether
        a test not known for some item may leave it out."""
        frame = self.frames[-1]
        before = frame.get(name, _MISSING)
        kept: list[object] = []
        unsure = False
        for item in items:
            frame[name] = item
            known = [self._known_test(test) for test in tests]
            if False not in known:
                kept.append(item)
                unsure = unsure or None in known
        if before is _MISSING:
            del frame[name]
        else:
            frame[name] = before
        return kept, unsure

    def _partial_items(self, node: ast.expr) -> list[object] | None:
        """The items of a list or tuple display not every part of which is literal
        (lastuser's `(table, column, sa.String(250))` triples), a name's or as written:
        each part its literal value where it has one, else the expression itself, which
        a loop variable is bound to as a name is to what it is assigned; None for
        anything else."""
        if isinstance(node, ast.Name):
            bound = self._bound(node.id)
            found = self.spread.get(node.id) if bound is _MISSING else bound
            node = found if isinstance(found, ast.Tuple | ast.List) else node
        if not isinstance(node, ast.Tuple | ast.List) or len(node.elts) > _MAX_UNROLL:
            return None
        if ast.Starred in map(type, node.elts):
            return None
        return [self._partial(element) for element in node.elts] or None

    def _partial(self, node: ast.expr) -> object:
        """`_partial_items`' item: a tuple of its parts for a display of its own."""
        if isinstance(node, ast.Tuple | ast.List) and ast.Starred not in map(type, node.elts):
            return tuple(self._partial(element) for element in node.elts)
        value = self._value(node)
        return node if value is UNKNOWN else value

    def _spread_items(self, node: ast.Tuple | ast.List, items: list[object]) -> object:
        """`("a", *NAMES)` with each `*` item's value known: its items (a dict's keys),
        as Python builds the sequence; UNKNOWN for a `*` of anything else."""
        flat: list[object] = []
        for element, item in zip(node.elts, items, strict=True):
            if not isinstance(element, ast.Starred):
                flat.append(item)
            elif isinstance(item, dict | list | tuple):
                flat.extend(item)
            else:
                return UNKNOWN
        return tuple(flat) if isinstance(node, ast.Tuple) else flat

    def _value(self, node: ast.expr, depth: int = 0) -> object:
        """The literal value of `node` (through local and module names), or UNKNOWN."""
        if depth > 8:
            return UNKNOWN
        if isinstance(node, ast.Name):
            bound = self._bound(node.id)
            if bound is _UNBOUND:
                return UNKNOWN
            if isinstance(bound, ast.expr):
                return self._value(bound, depth + 1)
            if bound is not _MISSING:
                return bound
            if node.id in self.constants:
                return self.constants[node.id]
            if node.id in self.spread:
                return self._value(self.spread[node.id], depth + 1)
            return self.literals.get(node.id, UNKNOWN)
        if isinstance(node, ast.Tuple | ast.List):
            items = [
                self._value(e.value if type(e) is ast.Starred else e, depth + 1) for e in node.elts
            ]
            if UNKNOWN in items:
                return UNKNOWN
            if ast.Starred in map(type, node.elts):  # (told without a Python-level loop)
                return self._spread_items(node, items)
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Subscript):
            return _item(self._value(node.value, depth + 1), self._value(node.slice, depth + 1))
        text = self._string(node, depth + 1)
        if text is not None:
            return text
        return _literal(node)

    def _bound(self, name: str) -> _Binding:
        """The local binding of `name` in the function being read (_MISSING: none)."""
        return self.frames[-1].get(name, _MISSING)

    def _with(self, node: ast.With | ast.AsyncWith, scope: _Scope) -> None:
        batch = dict(scope.batch)
        autocommit, opened, conditional = scope.autocommit, False, scope.conditional
        for item in node.items:
            self._visit(item.context_expr, scope)
            expr = item.context_expr
            if not isinstance(expr, ast.Call):
                continue
            if _callee(expr) == "suppress":  # `contextlib.suppress(...)`: as a try
                conditional = True
            elif _opens_autocommit(expr):
                autocommit = True
            elif self._is_batch(expr.func):
                named = _argument(expr, 0, "table_name")
                table = self._string(named)
                text = None if table is not None else self._table_text(named)
                if isinstance(item.optional_vars, ast.Name):
                    batch[item.optional_vars.id] = (table, _schema(expr), text)
                    opened = True
        inner = replace(scope, batch=batch, autocommit=autocommit, conditional=conditional)
        calls, steps = len(self.calls), len(self.steps)
        self._statements(node.body, inner)
        if opened:
            _batch_last(self.calls, calls)
            _batch_last(self.steps, steps)

    def _is_op(self, node: ast.expr) -> bool:
        """`op` (as imported), `alembic.op`, an alias of it in the module, or one in
        the function being read (`o = op`, a helper's parameter given `op`)."""
        if not isinstance(node, ast.Name):
            return self._alembic_op(node)
        if node.id in self.op_names:
            return True
        if node.id not in self.frames[-1]:
            return False
        return self._op_itself(self._resolve(node))

    def _op_itself(self, node: ast.expr | None) -> bool:
        """`op` as the module binds it (a name of `op_names`: imported or aliased), or
        `alembic.op`."""
        if isinstance(node, ast.Name):
            return node.id in self.op_names
        return self._alembic_op(node)

    def _alembic_op(self, node: ast.expr | None) -> bool:
        """`alembic.op`, where the module imports the alembic package (`alembic_names`)."""
        return (
            bool(self.alembic_names)
            and isinstance(node, ast.Attribute)
            and node.attr == "op"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.alembic_names
        )

    def _op_function(self, node: ast.expr) -> str | None:
        """The op method a plain name calls, else None."""
        if isinstance(node, ast.Name) and self._defined(node.id) is None:
            return self._op_method(node.id)
        return None

    def _op_method(self, name: str) -> str | None:
        """The op method `name` stands for: imported from alembic.op, or an alias (`add
        = op.add_column`, in the module or the function being read), else None."""
        bound = self._bound(name)
        if not isinstance(bound, ast.expr):
            return self.op_functions.get(name)
        target = self._resolve(bound)
        if isinstance(target, ast.Attribute):
            return target.attr if self._is_op(target.value) else None
        return self.op_functions.get(target.id) if isinstance(target, ast.Name) else None

    def _is_batch(self, func: ast.expr) -> bool:
        """`op.batch_alter_table`, or that name imported from alembic.op."""
        if isinstance(func, ast.Attribute):
            return func.attr == "batch_alter_table" and self._is_op(func.value)
        return self._op_function(func) == "batch_alter_table"

    # -- calls ---------------------------------------------------------------------

    def _call(self, node: ast.Call, scope: _Scope) -> bool:
        """Record `node` if it is an operation or a backfill, or follow it into a
        helper; False for any other call."""
        func = node.func
        if isinstance(func, ast.Name):
            return self._named_call(node, func.id, scope)
        if not isinstance(func, ast.Attribute):
            return False
        # `query.scalar()` (no statement given) is the ORM's, read as its query is
        runs = func.attr in _STATEMENT_RUNNERS and bool(node.args or node.keywords)
        if runs:
            for fill in self._fills(node, scope):
                self._record(fill)
        receiver = func.value
        if self._is_op(receiver):
            if func.attr not in _HELPERS:
                self._record(self._operation(node, func.attr, None, scope), node)
            return True
        if isinstance(receiver, ast.Name) and receiver.id in scope.batch:
            self._record(self._operation(node, func.attr, receiver.id, scope), node)
            return True
        if func.attr == "create" and isinstance(receiver, ast.Name):
            made = self._resolve(receiver)
            if isinstance(made, ast.Call) and _callee(made) == "Table":
                self._record(self._created_table(made, node, scope))
                return True
        if runs or func.attr == "exec_driver_sql" or func.attr in _METADATA_METHODS:
            self.steps.append(self._operation(node, func.attr, None, scope))
        elif func.attr in _ORM_NAMES and self._orm_call(node, func.attr, receiver):
            self._orm(node, scope)
        return runs

    def _orm_call(self, node: ast.Call, method: str, receiver: ast.expr) -> bool:
        """Session work that writes rows (`method`: the name called on `receiver`):
        `session.query(M)...update()`, `add_all`, `merge`, ..., and `add` / `delete` on a
        session the revision makes, or on Flask-SQLAlchemy's `db.session`."""
        if method in _ORM_METHODS or (method in _ORM_WRITES and self._orm_update(node)):
            return True
        if method in _EXTENSION_SESSION_WORK and _extension_session(receiver):
            return True
        return method in _SESSION_WRITES and self._is_session(receiver)

    def _created_table(self, table: ast.Call, node: ast.Call, scope: _Scope) -> Call:
        """The create_table that `sa.Table(name, metadata, ...)` made in the database by
        its `create(bind)` stands for, at that line (mcp-context-forge rebuilds a table
        as a copy of a reflected one's columns); its columns not known where none are
        given in the call."""
        call = self._operation(table, "create_table", None, scope)
        return replace(
            call,
            line=node.lineno,
            columns=call.columns or None,
            table_columns=call.table_columns or None,
        )

    def _named_call(self, node: ast.Call, name: str, scope: _Scope) -> bool:
        """`_call` of a call by plain name: a helper, or an op imported from alembic.op
        (read as op.<name> is)."""
        helper = self._defined(name)
        if helper is not None:
            self._helper(node, helper, scope)
            return True
        imported = self._op_method(name)
        if imported is None:
            return False
        if imported == "execute":
            for fill in self._fills(node, scope):
                self._record(fill)
        if imported not in _HELPERS:
            self._record(self._operation(node, imported, None, scope), node)
        return True

    def _parameters(
        self,
        helper: ast.FunctionDef | ast.AsyncFunctionDef,
        given: list[tuple[ast.arg, ast.expr]],
    ) -> dict[str, _Binding]:
        """A function's parameters bound to the literal arguments a call `given` them
        (`_given`), and to their defaults."""
        bindings: dict[str, _Binding] = {}
        params = [*helper.args.posonlyargs, *helper.args.args]
        defaults = helper.args.defaults
        for param, default in zip(params[len(params) - len(defaults) :], defaults, strict=True):
            bindings[param.arg] = _known(self._value(default))
        for param, arg in given:
            bindings[param.arg] = _known(self._value(arg))
            if bindings[param.arg] is _UNBOUND and isinstance(arg, ast.Name):
                # `do_all(tables, op_execute)`: aurweb's (not a local value of that name)
                bound = self._bound(arg.id)
                shadowed = bound is not _MISSING and not isinstance(bound, _FUNCTIONS)
                handed = None if shadowed else self._defined(arg.id)
                bindings[param.arg] = _UNBOUND if handed is None else handed
        return bindings

    def _helper(
        self, node: ast.Call, helper: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope
    ) -> None:
        """Follow a module-level helper, its parameters bound to the literal arguments
        (and to the caller's batch aliases)."""
        given = _given(node, helper)
        bindings = self._parameters(helper, given)
        batch = dict(scope.batch)
        texts: dict[str, str] = {}
        for param, arg in given:
            if isinstance(arg, ast.Name) and arg.id in scope.batch:
                batch[param.arg] = scope.batch[arg.id]
            if param.arg != _OP.id and self._is_op(arg):
                bindings[param.arg] = _OP  # `def _add(o): o.add_column(...)`, `_add(op)`
            elif bindings[param.arg] is _UNBOUND:
                texts[param.arg] = self._written(arg) or ""
        if self.budget <= 0:
            bindings, texts = {}, {}
        self.budget -= 1
        self._function(helper, replace(scope, batch=batch), bindings, texts)

    def _callbacks(self, node: ast.Call, scope: _Scope) -> None:
        """Follow the functions of this file that a call into imported code is handed, as
        run there (Hindsight's `run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)`,
        the project's dispatcher, runs the one for the bind's dialect): each on the
        dialect its keyword or its own name names (`pg=`, `_oracle_upgrade`), else
        wherever the call runs."""
        if not self.imported or self._origin(node.func) is None:
            return
        handed = [*((None, a) for a in node.args), *((kw.arg, kw.value) for kw in node.keywords)]
        for keyword, arg in handed:
            if not isinstance(arg, ast.Name):
                continue
            function = self._defined(arg.id)
            if function is None:
                continue
            named = _named_dialects(keyword or "") or _named_dialects(arg.id)
            self._helper(ast.Call(func=arg, args=[], keywords=[]), function, scope.only(named))

    def _foreign(self, value: ast.expr | None, scope: _Scope) -> None:
        """Record a call into imported project or library code (`value`: a statement's
        own, or the value one assigns) as a "foreign" step: the reader does not follow
        it. A call inside another's arguments builds a value and changes no table."""
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return
        origin = self._origin(value.func)
        if origin is None:
            return
        dialects = None if scope.dialects is None else tuple(sorted(scope.dialects))
        table, given = self._handed(value, scope)
        self.steps.append(
            Call(
                "foreign",
                value.lineno,
                table,
                options=given,
                autocommit=scope.autocommit,
                conditional=scope.conditional,
                dialects=dialects,
                foreign=origin,
            )
        )

    def _handed(self, node: ast.Call, scope: _Scope) -> tuple[str | None, dict[str, object]]:
        """The batch alias and alembic's `op` a call into imported code is given (its
        position, or its keyword's name), and the batch's table: CloudKitty's
        `create_common_tables(batch_op)` adds columns to the batch's table."""
        given: dict[str, object] = {}
        table = None
        arguments = [*enumerate(node.args), *((kw.arg, kw.value) for kw in node.keywords)]
        for where, arg in arguments:
            if where is None or isinstance(arg, ast.Starred):
                continue
            if isinstance(arg, ast.Name) and arg.id in scope.batch and BATCH_ARGUMENT not in given:
                given[BATCH_ARGUMENT] = where
                table = scope.batch[arg.id][0]
            elif self._is_op(arg) and OP_ARGUMENT not in given:
                given[OP_ARGUMENT] = where
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                given[f"{LITERAL_ARGUMENT}{where}"] = arg.value  # a table's name, ...
        if BATCH_ARGUMENT not in given and OP_ARGUMENT not in given:
            return None, {}  # (nothing handed that it could change the schema with)
        return table, given

    def _origin(self, func: ast.expr) -> tuple[str, str, str] | None:
        """(the callee as written, what it stands for, its module) when `func` names
        imported project or library code, by the imported name or through aliases
        (local ones, then module-level ones); None for anything else."""
        root = _root(func)
        shown = None if root is None else _source(func)
        if shown is None or root is None:
            return None
        name, rest = root.id, shown[len(root.id) :]
        local = True
        for _ in range(_MAX_ALIASES):
            bound = self._bound(name) if local else _MISSING
            if bound is _MISSING:
                if self._defined(name) is not None or name in self.op_names:
                    return None
                bound = self.aliases.get(name, _MISSING)
                local = False
            if bound is _MISSING:
                found = self.imported.get(name)
                return None if found is None else (shown, found[0] + rest, found[1])
            if not isinstance(bound, _DOTTED):
                return None  # a value (`conn = op.get_bind()`) or a parameter
            written, root = _source(bound), _root(bound)
            if written is None or root is None:
                return None
            name, rest = root.id, written[len(root.id) :] + rest
        return None

    def _check_keywords(self, node: ast.Call) -> None:
        """Note a keyword argument that may be given twice (two `**` have no name, None
        twice: the file is compiled, which tells); the names gathered in C."""
        keywords = node.keywords
        if len(set(map(_ARG, keywords))) < len(keywords):
            self.repeated_keyword = True

    def _record(self, call: Call, node: ast.Call | None = None) -> None:
        """Record `call` (an operation: made from `node`); after a
        create_check_constraint whose condition is `c IS NOT NULL`, the check it adds,
        as its SQL would be read (`_not_null_check`)."""
        kind = call.name
        if kind in _CHECK_STEPS:
            call = self._checked(call)
        self.calls.append(call)
        self.steps.append(call)
        if kind == "create_check_constraint" and node is not None:
            check = self._not_null_check(node, call)
            if check is not None:
                self._record(check)

    def _checked(self, call: Call) -> Call:
        """A `validate_constraint` given the column of the NOT VALID check that it
        validates, made earlier in this function; such a check noted for it."""
        name, table = call.options.get("constraint"), call.table
        if not isinstance(name, str) or not table:
            return call
        key = (table.lower(), name.lower())
        if call.name == "validate_constraint":
            column = self.unchecked.get(key)
            return call if column is None else replace(call, column=column)
        if call.column is not None and call.options.get("valid") is not True:
            self.unchecked[key] = call.column
        return call

    def _not_null_check(self, node: ast.Call, call: Call) -> Call | None:
        """The `not_null_check` (`_sql_not_null_check`) that `op.create_check_constraint(n,
        t, "c IS NOT NULL")` adds: NOT VALID with `postgresql_not_valid=True`, which leaves
        the rows already there unchecked until `VALIDATE CONSTRAINT n`; None for any other
        condition."""
        signatures = _BATCH_SIGNATURES if call.batch else _SIGNATURES
        bound = _bind(node, signatures["create_check_constraint"])
        column = self._checked_not_null(bound.get("condition"))
        if column is None:
            return None
        name = self._string(bound.get("constraint_name"))
        valid = call.options.get("postgresql_not_valid") is not True
        options = {"constraint": name, "valid": valid}
        return replace(call, name="not_null_check", column=column, options=options)

    def _checked_not_null(self, node: ast.expr | None) -> str | None:
        """The column a CHECK's condition says holds no NULL: `"c IS NOT NULL"`, as text
        or `sa.text(...)`, or `sa.column("c").isnot(None)` (`is_not`, `!= None`, `sa.null()`);
        None for any other condition."""
        node = self._made(node)
        if isinstance(node, ast.Call) and _callee(node) == "text" and len(node.args) == 1:
            node = node.args[0]
        subject = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("isnot", "is_not") and len(node.args) == 1:
                subject = node.func.value if _is_null(node.args[0]) else None
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            if isinstance(node.ops[0], ast.NotEq | ast.IsNot) and _is_null(node.comparators[0]):
                subject = node.left
        else:
            text = self._string(node)
            found = None if text is None else _NOT_NULL_CONDITION.get().match(text)
            return None if found is None else _sql_name(found.group(2))
        if isinstance(subject, ast.Call) and _callee(subject) in _NAMED_COLUMNS and subject.args:
            return self._string(subject.args[0])
        return None

    def _operation(self, node: ast.Call, name: str, alias: str | None, scope: _Scope) -> Call:
        signatures = _SIGNATURES if alias is None else _BATCH_SIGNATURES
        bound = _bind(node, signatures.get(name, ()))
        options = self._options(node)
        table_text = None
        if alias is not None:
            table, schema, table_text = scope.batch[alias]
        elif name == "bulk_insert":  # a Table object: `sa.table("t", ...)`, by name
            table = self._table(bound["table"]) if "table" in bound else None
            schema = options.get("schema")
        else:
            named = bound.get("table_name") or bound.get("old_table_name")
            named = named or bound.get("source_table")
            table = self._string(named)
            table_text = None if table is not None else self._table_text(named)
            schema = options.get("schema")
        new_column = self._column(bound.get("column")) if name == "add_column" else None
        if new_column is not None:
            column = new_column.name
        else:
            column_name = bound.get("column_name")
            column = None if column_name is None else self._string(column_name)
        new_table = self._string(bound["new_table_name"]) if "new_table_name" in bound else None
        table_columns = columns = None
        if name == "create_table":
            table_columns = self._table_columns(node.args[1:])
            columns = None if table_columns is None else tuple([str(c.name) for c in table_columns])
        elif name == "create_primary_key" and "columns" in bound:
            listed = self._value(bound["columns"])
            if isinstance(listed, tuple | list) and all(isinstance(c, str) for c in listed):
                columns = tuple(listed)
        elif name == "bulk_insert" and "rows" in bound:
            columns = _set_in_every_row(self._value(bound["rows"]))
        new_column_name = None
        if "new_column_name" in options:
            new_column_name = self._string(_keyword(node, "new_column_name"))
        elif name == "alter_column" and "name" in options and options["name"] != column:
            # `name=`: the keyword alembic renamed to new_column_name; it took the old
            # spelling (with a warning from 0.8) until it dropped its legacy names, and
            # raises a TypeError on it now. A history written then renamed the column
            # (not where it names the column itself: Altair restates MySQL columns so).
            new_column_name = self._string(_keyword(node, "name"))
            options["new_column_name"] = options["name"]
        sql, sql_kind, sql_shape = (
            self._statement(node) if name in SQL_METHODS else (None, None, None)
        )
        dialects = None if scope.dialects is None else tuple(sorted(scope.dialects))
        type_text = existing_type_text = None
        if name == "alter_column":
            type_text = self._type_text(node, "type_")
            existing_type_text = self._type_text(node, "existing_type")
        args_text: tuple[str, ...] = ()
        keywords_text: tuple[tuple[str, str], ...] = ()
        if name == "create_index":
            args_text = self._args_text(node, alias)
            keywords_text = tuple(
                (kw.arg, _source(kw.value) or "") for kw in node.keywords if kw.arg
            )
        elif new_column is not None:
            keywords_text = self._column_index(bound.get("column"))
        # Every field, by position in the order Call declares them: by keyword, matching
        # the 22 names one by one cost more than the rest of the call.
        return _new_call(
            name,
            node.lineno,
            table,
            column,
            options,
            new_column,
            new_table,
            alias is not None,
            scope.autocommit,
            scope.conditional,
            columns,
            new_column_name,
            schema,
            sql,
            sql_kind,
            sql_shape,
            dialects,
            table_columns,
            type_text,
            existing_type_text,
            args_text,
            keywords_text,
            None,  # foreign: an operation is never a call into imported code
            table_text,
        )

    def _table_text(self, node: ast.expr | None) -> str | None:
        """A table argument whose name is not read, as written, where the same text names
        the same table all through the revision: an imported or module-level name, or an
        attribute of one (MLflow's `op.create_table(SqlAssessments.__tablename__, ...)`,
        then an index on that table); None for what a local, a parameter or a loop binds."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or self._bound(root.id) is not _MISSING:
            return None
        if root.id in self.module_values:  # (bound once: a name bound twice is not known)
            return None if self.module_values[root.id][0] is _NOT_KNOWN else _source(node)
        return _source(node) if root.id in self.imported else None

    def _column_index(self, node: ast.expr | None) -> tuple[tuple[str, str], ...]:
        """An added `sa.Column(...)`'s `index=True` and `unique=True`: alembic's add_column
        builds that index, or adds that constraint, right after the column."""
        if type(node) is ast.Name:
            node = self._resolve(node)
        if not isinstance(node, ast.Call) or _callee(node) != "Column":
            return ()
        found = []
        for kw in node.keywords:
            if kw.arg in ("index", "unique") and self._option(kw.value) is True:
                found.append((kw.arg, "True"))
        return tuple(found)

    def _options(self, node: ast.Call) -> dict[str, object]:
        """The keyword arguments' values (`_option`), a constant read in place."""
        options: dict[str, object] = {}
        for kw in node.keywords:
            if kw.arg:
                value = kw.value
                options[kw.arg] = (
                    value.value if type(value) is ast.Constant else self._option(value)
                )
        return options

    def _type_text(self, node: ast.Call, keyword: str) -> str | None:
        """A type keyword as written, through a local name (`type_=col_type`) or a
        helper's parameter (the caller's argument)."""
        return self._written(_keyword(node, keyword))

    def _written(self, node: ast.expr | None) -> str | None:
        """The source of an expression, through local names and the arguments given
        for a helper's parameters (the parameter's own name when the argument is not
        known as written either)."""
        node = self._made(node)
        if isinstance(node, ast.Name) and self.argument_texts[-1].get(node.id):
            return self.argument_texts[-1][node.id]
        return _source(self._spread(node) if _spreads(node) else node)

    def _made(self, node: ast.expr | None) -> ast.expr | None:
        """`_resolve`, and a name no local binds read as the module-level call bound to
        it (`type_=new_auth`: the `sa.Enum(...)` the file binds to `new_auth`)."""
        node = self._resolve(node)
        if isinstance(node, ast.Name) and self._bound(node.id) is _MISSING:
            return self.made.get(node.id, node)
        return node

    def _spread(self, node: ast.Call) -> ast.expr:
        """A type call with its `*NAMES` written out where the name is a literal list
        of strings (`sa.Enum(*RECORD_TYPES, name="record_types")`, OpenStack's), so that
        the values can be compared; else `node` as it is."""
        args: list[ast.expr] = []
        for arg in node.args:
            values = self._value(arg.value) if isinstance(arg, ast.Starred) else None
            if values is None:
                args.append(arg)
            elif isinstance(values, list | tuple) and all(type(v) is str for v in values):
                args.extend(ast.Constant(value, None) for value in values)
            else:
                return node
        return ast.Call(node.func, args, node.keywords)

    def _option(self, node: ast.expr) -> object:
        value = _literal(node)
        if value is UNKNOWN and isinstance(node, ast.Name):
            known = self._value(node)
            return known if isinstance(known, str | bool | int | float) else UNKNOWN
        if value is UNKNOWN and isinstance(node, ast.Call) and _callee(node) == "quoted_name":
            return self._string(node) or UNKNOWN
        return value

    def _args_text(self, node: ast.Call, alias: str | None) -> tuple[str, ...]:
        """The positional arguments as source, `alias.f(...)` written `op.f(...)`."""
        texts = []
        for arg in node.args:
            func = arg.func if isinstance(arg, ast.Call) else None
            if (
                isinstance(arg, ast.Call)
                and isinstance(func, ast.Attribute)
                and func.attr == "f"
                and isinstance(func.value, ast.Name)
                and func.value.id == alias
            ):
                arg = ast.Call(ast.Attribute(ast.Name("op"), "f"), arg.args, arg.keywords)
            texts.append(_source(arg) or "...")
        return tuple(texts)

    def _column(self, node: ast.expr | None, primary: Set[str] = frozenset()) -> Column | None:
        """An `sa.Column(...)`; a primary key if its name is among `primary` (the names
        of its table's PrimaryKeyConstraint)."""
        if type(node) is ast.Name:
            node = self._resolve(node)  # `column = sa.Column(...)`, then add_column(t, column)
        if not isinstance(node, ast.Call):
            return None
        if _callee(node) != "Column":
            return self._made_column(node, primary)
        return self._column_call(node, primary, alone=True)

    def _made_column(self, node: ast.Call, primary: Set[str]) -> Column | None:
        """The `sa.Column(...)` a call gives where it calls a lambda of no parameters
        (Gnocchi makes each column of a loop with one, `temp_col = lambda:
        sa.Column(name + "_ts", ...)`, then `op.add_column(table, temp_col())`: read with
        the names bound where it is called) or a module-level function that only returns
        one (`def type_col(name): return sa.Column(name, ...)`: read with its parameters
        bound to the literal arguments, as a helper is); else None."""
        func = node.func
        if type(func) is not ast.Name:
            return None
        target = self._resolve(func)
        if type(target) is ast.Lambda and not node.args and not node.keywords:
            if _has_parameters(target.args) or not isinstance(target.body, ast.Call):
                return None
            if _callee(target.body) != "Column":
                return None
            return self._column_call(target.body, primary, alone=True)
        helper = self._defined(func.id)
        if helper is None:
            return None
        returned = _only_return(helper)
        if returned is None or _callee(returned) != "Column":
            return None
        self.frames.append(self._parameters(helper, _given(node, helper)))
        try:
            return self._column_call(returned, primary, alone=True)
        finally:
            self.frames.pop()

    def _column_call(self, node: ast.Call, primary: Set[str], alone: bool = False) -> Column:
        """The Column an `sa.Column(...)` call gives (read once per column of every
        create_table: its keywords in one pass, a constant name read in place)."""
        nullable = primary_key = server_default = default = type_node = autoincrement = None
        if len(node.keywords) > 1:
            self._check_keywords(node)
        for kw in node.keywords:  # the last of a repeated keyword counts, as in a dict
            key = kw.arg
            if key == "nullable":
                nullable = kw.value
            elif key == "server_default":
                server_default = kw.value
            elif key == "default":
                default = kw.value
            elif key == "primary_key":
                primary_key = kw.value
            elif key == "type_":
                type_node = kw.value
            elif key == "autoincrement":
                autoincrement = kw.value
        args = node.args
        # sa.Column("name", sa.Integer(), ...) or sa.Column(sa.Integer(), name=...)
        if args:
            first = args[0]
            if type(first) is ast.Constant and type(first.value) is str:
                name: str | None = first.value
            else:
                name = self._string(first)
            named = name is not None and isinstance(first, _NAME_ARGS)
        else:
            name, named = self._string(_keyword(node, "name")), False
        generated = False
        for arg in args[1:] if named else args:
            if isinstance(arg, ast.Call):
                callee = _callee(arg)
                if callee in _SERVER_GENERATED:
                    generated = True
                    continue
                extra = callee in _COLUMN_EXTRAS
            else:
                extra = isinstance(arg, ast.Starred)
            if type_node is None and not extra:
                type_node = arg
        # a name (a helper's parameter, a constant) through its binding; else as written
        if nullable is None:
            null: object = None
        else:
            null = self._value(nullable) if type(nullable) is ast.Name else _literal(nullable)
        key_given = False if primary_key is None else _literal(primary_key)
        if type(type_node) is ast.Name:
            type_node = self._made(type_node)
        if alone and key_given is True and not generated:  # add_column's: its table's only key
            generated = _serial(type_node, autoincrement)
        return _new_column(
            name,
            null if isinstance(null, bool) else None,
            generated or (server_default is not None and _literal(server_default) is not None),
            default is not None and _literal(default) is not None,
            key_given is True or name in primary,
            _source(
                self._spread(type_node)
                if type(type_node) is ast.Call
                and type_node.args
                and ast.Starred in map(type, type_node.args)  # (told without a call)
                else type_node
            ),
        )

    def _table_columns(self, args: list[ast.expr]) -> tuple[Column, ...] | None:
        found: list[ast.Call] = []
        primary: set[str] = set()
        for arg in args:
            if isinstance(arg, ast.Starred):
                return None
            if not isinstance(arg, ast.Call):
                continue
            callee = _callee(arg)
            if callee == "Column":
                found.append(arg)
            elif callee == "PrimaryKeyConstraint":
                primary |= {s for s in (self._string(a) for a in arg.args) if s is not None}
        columns = []
        for arg in found:
            column = self._column_call(arg, primary)
            if column.name is None:
                return None
            columns.append(column)
        return tuple(columns)

    def _statement(self, node: ast.Call) -> tuple[object, str | None, str | None]:
        """The literal SQL an execute() runs (UNKNOWN when built at run time), whether
        it changes rows only ("data") or the schema ("schema"), as far as its shape shows
        (None: it does not), and that shape where the SQL is built at run time (the text
        with the parts not known as "{}"; None where not even that is read)."""
        statement = node.args[0] if node.args else None
        if statement is None:
            statement = next((kw.value for kw in node.keywords if kw.arg), None)
        statement = _ddl_as_text(self._resolve(_text_called(self._resolve(statement))))
        if statement is None:
            return None, None, None
        inner = statement
        if isinstance(statement, ast.Call) and _callee(statement) == "text" and statement.args:
            inner = self._resolve(statement.args[0]) or statement.args[0]
        text = self._string(inner)
        if text is not None:
            return text, _sql_kind(text), None
        if _is_dml(statement):
            return None, "data", None
        shape = self._sql(inner)
        return UNKNOWN, None if shape is None else _sql_kind(shape), shape

    def _resolve(self, node: ast.expr | None) -> ast.expr | None:
        """An expression a local name (`stmt = t.update()...`) or a module-level
        statement (`SQL = sa.text(...)`) stands for, else `node`."""
        depth = 0
        while isinstance(node, ast.Name) and depth < 8:
            bound = self._bound(node.id)
            if bound is _MISSING:
                bound = self.statements.get(node.id, _MISSING)
            if not isinstance(bound, ast.expr):
                return node
            node, depth = bound, depth + 1
        return node

    # -- backfills -------------------------------------------------------------------

    def _fills(self, node: ast.Call, scope: _Scope) -> Iterator[Call]:
        """The backfills and emptied tables of an execute() statement."""
        statement = _ddl_as_text(self._resolve(_argument(node, 0, "sqltext")))
        seen: set[tuple[str, str | None, str | None]] = set()
        branch = None if scope.dialects is None else tuple(sorted(scope.dialects))
        texts: list[str] = []  # the statement's SQL texts, as `_row_changes` finds them
        changes = self._row_changes(statement, texts)
        for kind, table, column in itertools.chain(changes, self._refills(texts)):
            if kind == "purge":  # `DELETE ... WHERE c IS NULL`: no NULL left in c
                kind = "backfill"
                if self._purged(table, column, branch, seen):  # and no row left
                    yield _fill_call("empty", node.lineno, table, None, scope, branch)
            if (kind, table, column) in seen:
                continue
            seen.add((kind, table, column))
            if kind == "empty" and table is not None:
                self.emptied.add(table.lower())
            yield _fill_call(kind, node.lineno, table, column, scope, branch)
        for change in (change for text in texts for change in _sql_schema_changes(text)):
            key = (change.name, change.table, change.column)
            if key in seen:
                continue
            seen.add(key)
            yield replace(
                change,
                line=node.lineno,
                autocommit=scope.autocommit,
                conditional=scope.conditional or change.conditional,
                dialects=_sql_dialects(branch, str(change.sql)),
            )

    def _purged(
        self,
        table: str | None,
        column: str | None,
        branch: tuple[str, ...] | None,
        seen: set[tuple[str, str | None, str | None]],
    ) -> bool:
        """Whether a DELETE of the rows where `column` is NULL empties `table` (not said
        already for this statement: `seen`); it is then noted as emptied."""
        if table is None or ("empty", table, None) in seen:
            return False
        if not self._only_nulls(table, column, branch):
            return False
        seen.add(("empty", table, None))
        self.emptied.add(table.lower())
        return True

    def _only_nulls(self, table: str, column: str | None, branch: tuple[str, ...] | None) -> bool:
        """Whether every row of `table` holds NULL in `column`: this function added it
        (wherever a statement of `branch` runs) with no default, and nothing since put
        a value in it or rows in the table. A DELETE of the rows where it is NULL then
        empties the table (bunkerweb adds `bw_instances.name`, then deletes every row
        whose name is NULL before making its new columns NOT NULL)."""
        if column is None:
            return False
        table, column = table.lower(), column.lower()
        for call in reversed(self.calls):
            if (call.table or "").lower() not in ("", table):
                continue
            if call.name == "add_column" and (call.column or "").lower() == column:
                new = call.new_column
                return (
                    new is not None
                    and not new.server_default
                    and not call.conditional
                    and (call.dialects is None or call.dialects == branch)
                )
            if call.name in _PUTS_ROWS:
                return False
        return False

    def _row_changes(
        self, statement: ast.expr | None, texts: list[str]
    ) -> Iterator[tuple[str, str | None, str | None]]:
        """("backfill" | "empty" | "insert" | "purge", table, column) for each statement
        that fills, empties or adds rows (table None: an UPDATE of a table that cannot be
        read; "insert": a Core insert() into a table it can read; "purge": a DELETE of
        the rows where the column is NULL, read by `_fills`); the SQL
        texts it reads are added to `texts` (for the DDL they hold: one walk)."""
        if statement is None:
            return
        # `sa.update(t).values(a=...)`: the columns each update() call fills (the
        # values() call around it is walked first)
        assigned: dict[int, list[str | None]] = {}
        parts: set[int] = set()  # the pieces of a text read whole (f"DROP TABLE x_{t}")
        for sub in syntax.walk(statement):
            text = None if id(sub) in parts else self._sql(sub)
            if text is not None:
                texts.append(text)
                parts.update(id(part) for part in syntax.walk(sub))
                yield from _sql_row_changes(text)
            if not isinstance(sub, ast.Call):
                continue
            callee = _callee(sub)
            if callee == "values":
                _note_values(sub, assigned)
            elif callee == "update":
                table = self._update_target(sub)
                for column in assigned.get(id(sub)) or [None]:
                    yield "backfill", table, column
            elif callee == "insert":  # `sa.insert(t)`, `t.insert()`: rows put into t
                table = self._update_target(sub)
                if table is not None:
                    yield "insert", table, None
            elif callee == "delete" and not _has_where(statement) and not self._where_given(sub):
                table = self._update_target(sub)
                if table is not None:
                    yield "empty", table, None
            elif callee == "delete":  # `t.delete().where(t.c.name.is_(None))`
                table = self._update_target(sub)
                for column in _null_tested(statement):
                    yield "backfill", table, column

    def _refills(self, texts: list[str]) -> Iterator[tuple[str, str | None, str | None]]:
        """("insert", table, column) for each column an `INSERT INTO t (a, b, ...)` of
        `texts` names, where `t` is a table this function emptied before (fides deletes
        every experience and puts them back, each with its config: the rows it puts
        back are all the table holds); read once the other changes are (`texts` filled)."""
        if not self.emptied:
            return
        for text in texts:
            for table, columns in _sql_insert_columns(text):
                if table.lower() in self.emptied:
                    for column in columns:
                        yield "insert", table, column

    def _sql(self, node: ast.AST, depth: int = 0) -> str | None:
        """The SQL an expression gives, parts known at run time as "{}" (`depth`: the
        names followed, as `_string`'s)."""
        if isinstance(node, ast.JoinedStr):  # f"UPDATE {table} SET ..."
            return "".join(self._fragment(v) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._sql(node.left, depth), self._sql(node.right, depth)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.BinOp | ast.Call) and _is_formatting(node):
            return self._formatted(node, depth, "{}")  # "DROP TABLE %s" % table
        if isinstance(node, ast.Name):  # `query = f"UPDATE ..."`, then `text(query)`
            text = self._string(node)
            bound = self._resolve(node) if text is None and depth < 8 else None
            if bound is None or bound is node:
                return text
            return self._sql(bound, depth + 1)
        if isinstance(node, ast.Constant):
            return self._string(node)
        if isinstance(node, ast.Call) and _callee(node) == "join":  # "\n".join(STATEMENTS)
            return self._string(node)
        if not isinstance(node, ast.Call) or depth >= 8:
            return None
        returned = self._returned(node)
        if returned is not None:  # `op.execute(update_sql("t"))`
            return self._read_returned(returned, self._sql, depth + 1)
        reshaped = _reshaped(node)
        return None if reshaped is None else self._sql(reshaped, depth + 1)

    def _returned(self, node: ast.Call) -> tuple[dict[str, _Binding], ast.expr] | None:
        """What a call of a function of the file returns, where returning it is all the
        function does (`def update_sql(table): return f"UPDATE {table} ..."`: art17's
        revisions build their SQL so), with the parameters bound for reading it: to the
        call's literal arguments, to their defaults, else not known."""
        helper = self._defined(node.func.id) if isinstance(node.func, ast.Name) else None
        if helper is None or helper.name in self.active:
            return None
        value = _only_returned(helper)
        if value is None:
            return None
        args = helper.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        frame: dict[str, _Binding] = {a.arg: _UNBOUND for a in every if a is not None}
        frame.update(self._parameters(helper, _given(node, helper)))
        return frame, value

    def _read_returned(
        self,
        returned: tuple[dict[str, _Binding], ast.expr],
        read: Callable[[ast.expr, int], str | None],
        depth: int,
    ) -> str | None:
        """`read` (`_sql` or `_string`) of what `_returned` found, its parameters bound."""
        frame, value = returned
        self.frames.append(frame)
        try:
            return read(value, depth)
        finally:
            self.frames.pop()

    def _fragment(self, node: ast.expr, depth: int = 0) -> str:
        """A part of an f-string; `depth` as `_string`'s (a name bound to an f-string
        that names itself, `name = f"{name}-x"` in a loop, ends there)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.FormattedValue):
            return self._string(node.value, depth + 1) or "{}"
        return "{}"

    def _update_target(self, node: ast.Call) -> str | None:
        # `sa.update(users)` / `update(users)`, `sa.delete(table="users")` (a table's name,
        # which SQLAlchemy before 1.4 took as the FROM text: storyboard empties its
        # refresh tokens so), or `users.update()`.
        target = _argument(node, 0, "table")
        if target is not None:
            return self._table(target) or self._string(target)
        if isinstance(node.func, ast.Attribute):
            return self._table(node.func.value)
        return None

    def _where_given(self, node: ast.Call) -> bool:
        """Whether a delete() is given its WHERE as an argument, as SQLAlchemy before 2.0
        took it: `sa.delete(t, t.c.id == 1)`, `t.delete(t.c.id == 1)`, `whereclause=`."""
        if _keyword(node, "whereclause") is not None:
            return True
        method = isinstance(node.func, ast.Attribute) and self._table(node.func.value)
        return len(node.args) > (0 if method else 1)

    def _table(self, node: ast.expr) -> str | None:
        node = self._resolve(node) or node
        if isinstance(node, ast.Name):
            return self.tables.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "__table__":
            return self._table(node.value)
        if isinstance(node, ast.Call) and _callee(node) in _TABLE_FACTORIES:
            return self._string(_argument(node, 0, "name"))
        return None

    # -- ORM -------------------------------------------------------------------------

    def _orm_update(self, node: ast.Call) -> bool:
        """`session.query(Model).filter(...).update({...})` (or `.delete()`)."""
        return isinstance(node.func, ast.Attribute) and self._queried(node.func.value) != ""

    def _queried(self, node: ast.expr) -> str | None:
        """The table of the model a `session.query(Model)...` chain reads ("" when the
        expression is no query; None when the model's table is not known)."""
        for sub in syntax.walk(node):
            if isinstance(sub, ast.Call) and _callee(sub) in ("query", "select") and sub.args:
                first = sub.args[0]
                target = first.value if isinstance(first, ast.Attribute) else first
                return self._table(target) if isinstance(target, ast.Name) else None
        return ""

    def _is_session(self, node: ast.expr) -> bool:
        """Whether `node` is a session the revision makes: `Session(bind=...)`, or a
        call of a `sessionmaker(...)` (WALLY's `SessionMaker(bind=connection)`, given
        each map tile with `session.add`)."""
        made = self._resolve(node)
        if not isinstance(made, ast.Call):
            return False
        if _callee(made) in _SESSION_MAKERS:
            return True
        factory: ast.expr | None = made.func  # `sessionmaker()(...)` at once
        if isinstance(factory, ast.Name):  # `SessionMaker(...)`, made here or at module level
            factory = self._resolve(factory)
            if isinstance(factory, ast.Name):
                factory = self.made.get(factory.id)
        return isinstance(factory, ast.Call) and _callee(factory) in _SESSION_MAKERS

    def _orm(self, node: ast.Call, scope: _Scope) -> None:
        call = Call("orm", node.lineno, None, conditional=scope.conditional)
        self.steps.append(call)
        if _callee(node) == "update" and isinstance(node.func, ast.Attribute):
            table = self._queried(node.func.value)
            self._record(Call("backfill", node.lineno, table or None, autocommit=scope.autocommit))
        elif _callee(node) == "delete" and isinstance(node.func, ast.Attribute):
            table = self._queried(node.func.value)
            if table and not _has_where(node.func.value):  # `session.query(M).delete()`
                self._empty(node.lineno, table, scope)
            # `session.query(M).filter_by(c=None).delete()`: no row left with c NULL
            for column in dict.fromkeys([*_null_tested(node), *_null_keywords(node)]):
                self._record(_column_fill(node.lineno, table, column, scope))

    def _empty(self, line: int, table: str, scope: _Scope) -> None:
        """Every row of `table` deleted by ORM work (optuna empties `trial_values` so
        before it adds a NOT NULL column and puts the rows back)."""
        self.emptied.add(table.lower())
        branch = None if scope.dialects is None else tuple(sorted(scope.dialects))
        self._record(
            Call(
                "empty",
                line,
                table,
                autocommit=scope.autocommit,
                conditional=scope.conditional,
                dialects=branch,
            )
        )

    def _orm_loop(self, node: ast.For | ast.AsyncFor, scope: _Scope) -> None:
        """`for row in session.query(Model): row.column = ...` fills Model's column; so
        does `for i, row in enumerate(rows)` (nextline-rdb numbers the prompts it reads
        with `session.scalars(select(Prompt))` as it gives each its `trace_call`)."""
        target, rows = node.target, node.iter
        if (
            isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and isinstance(rows, ast.Call)
            and _callee(rows) == "enumerate"
            and len(rows.args) == 1
        ):
            target, rows = target.elts[1], rows.args[0]
        if not isinstance(target, ast.Name):
            return
        variable = target.id
        table = self._queried(rows)
        names: dict[str, list[str]] | None = None  # the literal loops', when a setattr asks
        for sub in syntax.walk(node):
            if isinstance(sub, ast.Assign | ast.AugAssign):
                columns = _assigned_attributes(sub, variable)
            elif isinstance(sub, ast.Call) and _callee(sub) == "setattr":
                names = _literal_loops(node) if names is None else names
                columns = _set_attributes(sub, variable, names)
            else:
                continue
            for column in columns:
                self._record(_column_fill(sub.lineno, table, column, scope))
                self.steps.append(Call("orm", sub.lineno, None, conditional=True))

    # -- names -------------------------------------------------------------------------

    def _string(self, node: ast.expr | None, depth: int = 0) -> str | None:
        if depth > 8 or node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            bound = self._bound(node.id)
            if bound is _UNBOUND:
                return None
            if isinstance(bound, str):
                return bound
            if isinstance(bound, ast.expr):
                return self._string(bound, depth + 1)
            if bound is not _MISSING:
                return None
            return self.constants.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr == "__tablename__" and isinstance(node.value, ast.Name):
                return self.models.get(node.value.id)
            owner = node.value
            if (
                node.attr == "name"
                and isinstance(owner, ast.Attribute)
                and owner.attr == "__table__"
            ):
                return (
                    self.models.get(owner.value.id) if isinstance(owner.value, ast.Name) else None
                )
            return None
        if isinstance(node, ast.JoinedStr):
            parts = [self._fragment(v, depth) for v in node.values]
            text = "".join(parts)
            return None if "{}" in parts else text
        if isinstance(node, ast.Subscript):  # `info["name"]`, `info` bound by a loop
            item = self._value(node, depth + 1)
            return item if isinstance(item, str) else None
        if isinstance(node, ast.Call):
            return self._called_string(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._string(node.left, depth + 1)
            right = self._string(node.right, depth + 1)
            return None if left is None or right is None else left + right
        if _is_formatting(node):
            return self._formatted(node, depth, None)
        return None

    def _formatted(self, node: ast.expr, depth: int, unknown: str | None) -> str | None:
        """The text `"DROP TABLE %s" % table` or `"DROP TABLE {}".format(table)` gives
        (ichnaea drops tables so in a loop over their names); a value not known is
        `unknown` in it (None: the whole text is not known). None also where Python
        would raise or the format asks more than the text (`{0.name}`, `%*d`)."""
        if isinstance(node, ast.BinOp):
            template, given = node.left, node.right
            values = given.elts if isinstance(given, ast.Tuple) else [given]
            named = _keyed(given) if isinstance(given, ast.Dict) else {}
        else:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            template, values = node.func.value, node.args
            named = {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
        text = self._string(template, depth + 1)
        if text is None or any(isinstance(v, ast.Starred) for v in values):
            return None
        pieces = _percent_pieces(text) if isinstance(node, ast.BinOp) else _brace_pieces(text)
        if pieces is None:
            return None
        out: list[str] = []
        position = 0
        for literal, key in pieces:
            out.append(literal)
            if key is None:
                continue
            if key == "":  # the next positional value
                key, position = str(position), position + 1
            value = values[int(key)] if key.isdigit() and int(key) < len(values) else None
            value = named.get(key) if value is None and not key.isdigit() else value
            part = None if value is None else self._string(value, depth + 1)
            if part is None and unknown is None:
                return None
            out.append(part if part is not None else str(unknown))
        return "".join(out)

    def _called_string(self, node: ast.Call, depth: int) -> str | None:
        """`op.f("ix_name")`, `quoted_name("spire", quote=True)` (a str), and
        `"\\n".join(STATEMENTS)` of literal strings (AiiDA runs a module-level list of SQL
        statements so)."""
        callee, func = _callee(node), node.func
        returned = self._returned(node)
        if returned is not None:  # `update_sql("t")`: what the function returns
            return self._read_returned(returned, self._string, depth + 1)
        if callee in _NAMING and node.args:  # the name it is given, marked
            return self._string(node.args[0], depth + 1)
        if callee in _SAME_SQL and (reshaped := _reshaped(node)) is not None:
            return self._string(reshaped, depth + 1)
        if callee != "join" or not isinstance(func, ast.Attribute):  # not os.path's join()
            return None
        if len(node.args) != 1 or node.keywords:
            return None
        separator = self._string(func.value, depth + 1)
        items = self._value(node.args[0], depth + 1)
        if separator is None or not isinstance(items, list | tuple):
            return None
        texts = [item for item in items if isinstance(item, str)]
        return separator.join(texts) if len(texts) == len(items) else None

    # -- dialect branches --------------------------------------------------------------

    def _dialect_cases(
        self, test: ast.expr, depth: int = 0
    ) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        """The dialects for which `test` may hold, and those for which it may not (None:
        any). A test of the dialect and of something else is not known to fail on the
        dialect: `if is_mysql and index_exists(...): skip` / `else: create` creates the
        index on MySQL too (Cinder's daa98075b90d)."""
        if depth > 6:
            return None, None
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            holds, fails = self._dialect_cases(test.operand, depth + 1)
            return fails, holds
        if isinstance(test, ast.BoolOp):
            parts = [self._dialect_cases(v, depth + 1) for v in test.values]
            if isinstance(test.op, ast.And):  # holds where all may hold, fails where any may
                return _all_of([h for h, _ in parts]), _any_of([f for _, f in parts])
            return _any_of([h for h, _ in parts]), _all_of([f for _, f in parts])
        if isinstance(test, ast.Name):
            return self._named_cases(test.id, depth)
        found = None
        helper = (
            self._defined(test.func.id)
            if isinstance(test, ast.Call) and isinstance(test.func, ast.Name)
            else None
        )
        returned = _only_returned(helper) if helper is not None else None
        if returned is not None:  # `def is_sqlite(): return ...`
            return self._dialect_cases(returned, depth + 1)
        if isinstance(test, ast.Call):
            found = self._dialect_call(test, depth)
        elif isinstance(test, ast.Compare) and len(test.ops) == 1:
            found = self._dialect_compare(test)
        return (None, None) if found is None else (found, DIALECTS - found)

    def _named_cases(
        self, name: str, depth: int
    ) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        """`_dialect_cases` of a name bound to a test: locally, else at module level. A
        test a `try:` falls back from (`except: is_sqlite = False`) may fail anywhere."""
        bound = self._bound(name)
        guarded = False
        if bound is _MISSING and name in self.module_values:
            bound, guarded = self.module_values[name]
        if not isinstance(bound, ast.expr) or isinstance(bound, ast.Name):
            return None, None
        holds, fails = self._dialect_cases(bound, depth + 1)
        return holds, (None if guarded else fails)

    def _dialect_call(self, test: ast.Call, depth: int) -> frozenset[str] | None:
        name = _callee(test)
        if name == "isinstance" and len(test.args) == 2 and self._is_dialect(test.args[0]):
            classes = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
            found = set()
            for cls in classes:
                label = (_callee_name(cls) or "").lower()
                dialect = next((d for part, d in _DIALECT_CLASSES if part in label), None)
                if dialect is None:
                    return None
                found.add(dialect)
            return frozenset(found)
        if name == "startswith" and isinstance(test.func, ast.Attribute) and test.args:
            prefix = self._string(test.args[0])
            if prefix is not None and self._is_dialect_name(test.func.value):
                return _dialect_set([prefix])
        return None

    def _dialect_compare(self, test: ast.Compare) -> frozenset[str] | None:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if not self._is_dialect_name(left):
            left, right = right, left
            if not self._is_dialect_name(left):
                return None
        if isinstance(right, ast.Tuple | ast.List | ast.Set):
            names = [self._string(e) for e in right.elts]
        else:
            names = [self._string(right)]
        if any(n is None for n in names):
            return None
        found = _dialect_set([n for n in names if n is not None])
        if found is None:
            return None
        if isinstance(op, ast.Eq | ast.In | ast.Is):
            return found
        if isinstance(op, ast.NotEq | ast.NotIn | ast.IsNot):
            return DIALECTS - found
        return None

    def _is_dialect_name(self, node: ast.expr) -> bool:
        """`<bind>.dialect.name`, `<engine>.name`, a URL's `drivername` ("sqlite",
        "postgresql+psycopg2": KitchenOwl tests the URL its config imports), or a local
        bound to one of them."""
        node = self._resolve(node) or node
        if isinstance(node, ast.Attribute) and node.attr in ("name", "driver"):
            return self._is_dialect(node.value) or _ends_with(node.value, "engine")
        return isinstance(node, ast.Attribute) and node.attr == "drivername"

    def _is_dialect(self, node: ast.expr) -> bool:
        node = self._resolve(node) or node
        return _ends_with(node, "dialect")


def _single_name(node: ast.Assign | ast.AnnAssign) -> str | None:
    """The name an assignment binds, where it binds one name only."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return targets[0].id
    return None


def _only_returned(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    """The expression a function returns where returning it is all it does (after its
    docstring, if any); else None."""
    body = _without_docstring(function.body)
    if len(body) != 1 or type(body[0]) is not ast.Return:
        return None
    return body[0].value


def _all_of(sets: list[frozenset[str] | None]) -> frozenset[str] | None:
    """Where every one of `sets` may hold (None: any dialect)."""
    known = [s for s in sets if s is not None]
    return functools.reduce(frozenset.__and__, known) if known else None


def _any_of(sets: list[frozenset[str] | None]) -> frozenset[str] | None:
    """Where one of `sets` may hold (None: any dialect)."""
    known = [s for s in sets if s is not None]
    if len(known) < len(sets):
        return None
    return functools.reduce(frozenset.__or__, known)


def foreign_module(module: str) -> bool:
    """Whether functions of `module` may change tables: not the standard library's,
    alembic's or SQLAlchemy's."""
    top = module.split(".")[0]
    return bool(top) and top not in sys.stdlib_module_names and top not in _KNOWN_MODULES


def _root(node: ast.expr) -> ast.Name | None:
    """The name an expression starts from: `util` for util.a.b, else None."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _ends_with(node: ast.expr, name: str) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == name
    return isinstance(node, ast.Name) and node.id == name


def _dialect_set(names: Iterable[str]) -> frozenset[str] | None:
    found = set()
    for name in names:
        dialect = _DIALECT_WORDS.get(name.lower().split("+")[0])
        if dialect is None:
            return None
        found.add(dialect)
    return frozenset(found)


def _callee_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _serial(type_node: ast.expr | None, autoincrement: ast.expr | None) -> bool:
    """Whether a primary key column of this type gets its values from the server: an
    integer one SQLAlchemy makes SERIAL (PostgreSQL) or AUTO_INCREMENT (MySQL), as the
    only key column of the table add_column gives it, unless `autoincrement=False`."""
    if autoincrement is not None and _literal(autoincrement) is False:
        return False
    while isinstance(type_node, ast.Call):  # `sa.BigInteger().with_variant(...)`: its base
        func = type_node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "with_variant"):
            type_node = func
            break
        type_node = func.value
    return _callee_name(type_node) in _INTEGER_TYPES if type_node is not None else False


def _blocks(node: ast.If | ast.For | ast.AsyncFor | ast.While | ast.Try) -> list[list[ast.stmt]]:
    """The blocks of statements of a branch, a loop or a `try`, in order (each except
    clause's after the `try` body)."""
    if isinstance(node, ast.Try):
        return [
            node.body,
            *(handler.body for handler in node.handlers),
            node.orelse,
            node.finalbody,
        ]
    return [node.body, node.orelse]


def _exits(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Return | ast.Raise)


def _bind_target(target: ast.expr, value: object, frame: dict[str, _Binding]) -> bool:
    """Bind a loop target (`name` or `a, b`) to one item; False when shapes differ."""
    if isinstance(target, ast.Name):
        frame[target.id] = value
        return True
    if isinstance(target, ast.Tuple | ast.List):
        if not isinstance(value, tuple | list) or len(value) != len(target.elts):
            return False
        return all(_bind_target(t, v, frame) for t, v in zip(target.elts, value, strict=True))
    return False


def _joined(op: ast.boolop, values: list[bool | None]) -> bool | None:
    """The value of `a and b` / `a or b` from its parts' values (None: not known): a
    part of the value that decides it (False for `and`, True for `or`) decides it
    whatever the others are; otherwise it is known only when every part is."""
    deciding = isinstance(op, ast.Or)
    if deciding in values:
        return deciding
    return None if None in values else not deciding


def _item(owner: object, key: object) -> object:
    """`owner[key]` for a known sequence and index, or a known dict and a key it holds;
    UNKNOWN for anything else (a slice, an index out of range)."""
    if isinstance(owner, tuple | list | str) and type(key) is int:
        return owner[key] if -len(owner) <= key < len(owner) else UNKNOWN
    if isinstance(owner, dict) and isinstance(key, str | int) and key in owner:
        return owner[key]
    return UNKNOWN


def _known(value: object) -> _Binding:
    return _UNBOUND if value is UNKNOWN else value


def _key(value: object) -> object:
    """A hashable stand-in for a binding, for the set of helper visits."""
    if isinstance(value, ast.AST):
        return id(value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _may_hold(lowered: str | None, word: str) -> bool:
    """Whether a text may hold `word` (lowercase ASCII, none of the letters that
    IGNORECASE also matches outside ASCII: i, k, s) as the patterns match it, case
    aside; `lowered`: the text lowercased when it is ASCII, else None (the pattern then
    decides). Not compiling and running a pattern that cannot match saves ~1 M
    instructions in a run that reads one file."""
    return lowered is None or word in lowered


def _sql_row_changes(text: str) -> Iterator[tuple[str, str | None, str | None]]:
    lowered = text.lower() if text.isascii() else None
    if _may_hold(lowered, "update"):
        # (ASCII letters lowered only, so that positions match the text's: "ß".upper()
        # is "SS")
        folded = lowered if lowered is not None else text.translate(_ASCII_LOWER)
        for match in _UPDATE_SQL.get().finditer(text):
            table = _sql_name(match.group(1))
            columns = _set_columns(text, folded, match.end())
            if columns is not None and match.group(4) is not None:
                columns = _joined_target(text, folded, match, columns)
                if columns == []:
                    continue  # only the joined tables' columns are set
            for column in columns or [None]:
                yield "backfill", table, column
    if _may_hold(lowered, "delete"):
        yield from _deletes(text)
    if _may_hold(lowered, "truncate"):
        yield from _truncates(text)


def _sql_insert_columns(text: str) -> Iterator[tuple[str, list[str]]]:
    """(table, its columns) of each `INSERT INTO t (a, b, ...)` of `text` (quoted text
    and comments aside)."""
    if "INSERT" not in text.upper():
        return
    if "'" in text or "$" in text or "/*" in text or "--" in text:
        text = _blanked(text)
    for match in _INSERT_COLUMNS_SQL.get().finditer(text):
        table = _sql_name(match.group(1))
        columns = [_sql_name(name.strip()) for name in match.group(2).split(",")]
        if table is not None and columns and None not in columns:
            yield table, [column for column in columns if column]


def _sql_schema_changes(text: str) -> Iterator[Call]:
    """The tables SQL creates, drops or renames, the columns it adds, drops, renames or
    makes NOT NULL (or not) and the indexes it creates, each as the op.* call it stands
    for (its line and scope given by the caller, `sql` its statement), read from the
    start of each statement (quoted text, dollar-quoted bodies and comments aside: DDL
    inside a function body or a string is not read), and in the body of each anonymous
    code block (`DO $$ ... $$`), which PostgreSQL runs."""
    lowered = text.lower() if text.isascii() else None
    if not any(_may_hold(lowered, word) for word in _DDL_WORDS):
        return
    if "$" in text:  # perhaps an anonymous code block (`DO $$ ... $$`): read its body
        for written, blanked in sql_statements(text):
            if _DO_BLOCK.get().match(blanked):
                yield from _plpgsql_changes(_do_body(written))
            else:
                yield from _written_changes(blanked, written)
        return
    written = text
    if "'" in text or "/*" in text or "--" in text:
        text = _blanked(text)
    for statement in text.split(";"):
        yield from _written_changes(statement, written)


def _written_changes(statement: str, written: str) -> Iterator[Call]:
    """`_statement_changes` of `statement` (blanked), with what only the SQL as
    `written` holds (a restated ENUM's values)."""
    for change in _statement_changes(statement.strip()):
        yield _enum_restated(change, written) if change.options.get("enum") else change


def _enum_restated(change: Call, written: str) -> Call:
    """A restated ENUM's alter_column with the type as written (`ENUM('a', 'b')`: AG106
    reads its values as `sa.Enum("a", "b")`'s, which the same text is in Python), where
    `written`, the SQL before its quoted text was blanked, restates the column once so
    (CCExtractor's sample platform drops a value of `test_progress.status`)."""
    options = {k: v for k, v in change.options.items() if k != "enum"}
    column = re.escape(change.column or "")
    restated = re.findall(_ENUM_RESTATED_SQL.format(column), written, re.IGNORECASE)
    values = {" ".join(found.split()) for found in restated}
    type_text = f"ENUM({values.pop()})" if len(values) == 1 else None
    return replace(change, options=options, type_text=type_text)


def _statement_changes(statement: str) -> Iterator[Call]:
    """The calls one statement (quoted text and comments blanked) stands for."""
    head = statement[:6].upper()
    if head.startswith("DROP"):
        yield from _sql_drops(statement)
    elif head == "CREATE":
        yield from _sql_creates(statement)
    elif head.startswith("ALTER"):
        yield from _sql_table_changes(statement)
    elif head.startswith("RENAME"):
        yield from _sql_renamed_tables(statement)
    elif " ".join(statement.upper().split()) in _COMMITS:
        yield _ddl("commit", None, statement)


def _do_body(statement: str) -> str:
    """The body of PostgreSQL's anonymous code block `statement` (`DO $$ ... $$`, its
    one dollar-quoted text)."""
    opener = _SQL_QUOTE_START.get().search(statement)
    while opener is not None and opener.group()[0] != "$":
        opener = _SQL_QUOTE_START.get().search(
            statement, _quoted_end(statement, opener.group(), opener.end())
        )
    if opener is None:
        return ""
    tag = opener.group()
    close = statement.find(tag, opener.end())
    return statement[opener.end() : close if close != -1 else len(statement)]


def _plpgsql_changes(body: str) -> Iterator[Call]:
    """The DDL statements of a PL/pgSQL block, read past the words that open and
    close its blocks (`BEGIN`, `IF ... THEN`, `LOOP`, `END IF` ...); one under an IF, a
    loop or an exception handler is conditional. A statement built at run time
    (`EXECUTE format(...)`) is not read."""
    depth = 0
    for piece in _blanked(body).split(";"):
        words, statement = _past_opening(piece)
        for before, word in zip(["", *words], words, strict=False):
            if word == "THEN" or (word == "LOOP" and before != "END"):
                depth += 1  # (ELSIF ... THEN counts again: conditional, to be sure)
            elif word in ("IF", "LOOP", "CASE") and before == "END":
                depth -= 1
        conditional = depth > 0 or "EXCEPTION" in words
        for change in _written_changes(statement, body):
            yield replace(change, conditional=True) if conditional else change


def _past_opening(piece: str) -> tuple[list[str], str]:
    """The words that open or close PL/pgSQL blocks before a statement (`BEGIN`, `IF
    ... THEN`, `END LOOP` ..., in capitals) and the statement after them (quoted text
    blanked, `piece` as cut at its `;`)."""
    opened = _PLPGSQL_OPENING.get().match(piece)
    if opened is None:
        return [], piece.strip()
    return opened.group().upper().split(), piece[opened.end() :].strip()


def _blanked(text: str) -> str:
    """`text` with each quoted string (`'...'`, `''` inside it), dollar-quoted body
    (`$tag$...$tag$`) and comment (`/* ... */`, `-- ...`) made one space; one left open
    runs to the end. One pass: each is searched for its end once (a pattern that found
    the end of a dollar-quoted body by backtracking took seconds on a hostile file
    of 130 KB)."""
    parts: list[str] = []
    start, at = _SQL_QUOTE_START.get(), 0
    found = start.search(text)
    while found is not None:
        opener = found.group()
        end = _quoted_end(text, opener, found.end())
        parts += (text[at : found.start()], " ")
        at = end
        found = start.search(text, end)
    parts.append(text[at:])
    return "".join(parts)


def sql_statements(text: str) -> list[tuple[str, str]]:
    """The statements of SQL sent at once, cut at each `;` outside quoted text,
    dollar-quoted bodies and comments: each as written and with those made one space
    (as `_sql_schema_changes` reads it); blank ones left out."""
    cuts, at = [], 0
    start = _SQL_QUOTE_START.get()
    while True:
        quote = start.search(text, at)
        stop = len(text) if quote is None else quote.start()
        semicolon = text.find(";", at, stop)
        if semicolon != -1:
            cuts.append(semicolon)
            at = semicolon + 1
        elif quote is None:
            break
        else:
            at = _quoted_end(text, quote.group(), quote.end())
    pieces = [text[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(text)], strict=True)]
    return [(piece.strip(), _blanked(piece)) for piece in pieces if _blanked(piece).strip()]


def _quoted_end(text: str, opener: str, after: int) -> int:
    """Where what `opener` starts (at `after`) ends: past its closing mark, or the end."""
    if opener == "'":
        close = text.find("'", after)
        while close != -1 and text.startswith("''", close):
            close = text.find("'", close + 2)
        return len(text) if close == -1 else close + 1
    closing = {"/*": "*/", "--": "\n"}.get(opener, opener)
    close = text.find(closing, after)
    return len(text) if close == -1 else close + len(closing)


# An anonymous code block once its body is blanked (`DO $$ ... $$`, with its language).
_DO_BLOCK = LazyPattern(r"\s*DO\s+(?:LANGUAGE\s+\w+\s*)?$", re.IGNORECASE)
# The words that open or close PL/pgSQL blocks before a statement (a label, BEGIN,
# IF/ELSIF/WHEN ... THEN, FOR/WHILE ... LOOP, ELSE, EXCEPTION, END [IF|LOOP|CASE]).
_PLPGSQL_OPENING = LazyPattern(
    r"(?:\s*(?:<<\w+>>|BEGIN\b|ELSE\b|LOOP\b|EXCEPTION\b|END\s+(?:IF|LOOP|CASE)\b|END\b"
    r"|(?:IF|ELSIF|ELSEIF|WHEN)\b.*?\bTHEN\b|(?:FOR|WHILE|FOREACH)\b.*?\bLOOP\b))+",
    re.IGNORECASE | re.DOTALL,
)
# The words DDL that `_sql_schema_changes` reads holds (lowercase, no i, k or s:
# `_may_hold`); "alter" for ADD COLUMN and SET NOT NULL.
_DDL_WORDS = ("drop", "create", "rename", "alter", "commit")
# Statements that end the migration's transaction when run as SQL (`op.execute("COMMIT")`).
_COMMITS = frozenset({"COMMIT", "COMMIT WORK", "COMMIT TRANSACTION"})


def _extension_session(node: ast.expr) -> bool:
    """Whether `node` is `db.session`: Flask-SQLAlchemy's session on the extension object
    (a name imported or made at module level)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "session"
        and isinstance(node.value, ast.Name)
    )


def _ddl(name: str, table: str | None, statement: str, **given: Any) -> Call:
    """The call a DDL statement stands for (line and scope filled in by `_fills`)."""
    return Call(name, 0, table, sql=statement, **given)


def _sql_drops(statement: str) -> Iterator[Call]:
    match = _DROP_TABLE_SQL.get().match(statement)
    if match is not None:
        for name in _split_names(match.group(1)):
            yield _ddl("drop_table", _sql_name(name), statement)


def _sql_creates(statement: str) -> Iterator[Call]:
    table = _CREATE_TABLE_SQL.get().match(statement)
    if table is not None:
        # `CREATE TABLE t AS SELECT ...` (MySQL's `CREATE TABLE t SELECT ...`): made with
        # the query's rows
        query = _FROM_QUERY.get().search(statement, table.end()) is not None
        options: dict[str, object] = {"from_query": True} if query else {}
        if _TEMPORARY.get().search(statement, 0, table.start(1)):
            options["temporary"] = True  # the session's own (`_DATA_SQL`)
        yield _ddl("create_table", _sql_name(table.group(1)), statement, options=options)
        return
    view = _CREATE_VIEW_SQL.get().match(statement)
    if view is not None:
        yield _ddl("create_table", _sql_name(view.group(1)), statement, options={"view": True})
        return
    index = _CREATE_INDEX_SQL.get().match(statement)
    if index is not None:
        options = {"postgresql_concurrently": True} if index.group(1) is not None else {}
        yield _ddl("create_index", _sql_name(index.group(2)), statement, options=options)


def _sql_table_changes(statement: str) -> Iterator[Call]:
    """The actions of `ALTER TABLE t ...` read (not the others): DROP [COLUMN] c, ADD
    [COLUMN] c ..., ALTER [COLUMN] c SET|DROP NOT NULL, ALTER [COLUMN] c [SET DATA] TYPE
    t, RENAME [TO|AS] u, RENAME [COLUMN] a TO b, and MySQL's CHANGE [COLUMN] a b ...,
    MODIFY [COLUMN] c ... (a definition restated: its NOT NULL), CONVERT TO CHARACTER
    SET (every text column's type changed: a copy of the table), and ADD CONSTRAINT n
    CHECK (c IS NOT NULL) and VALIDATE CONSTRAINT n (`_sql_not_null_check`)."""
    match = _ALTER_TABLE_SQL.get().match(statement)
    if match is None:
        return
    table = _sql_name(match.group(1))
    for action in _top_level_parts(match.group(2)):
        action = action.strip()
        word = action[:6].upper()
        if word.startswith("DROP"):
            yield from _sql_dropped_column(table, action, statement)
        elif word.startswith("ADD"):
            yield from _sql_added_column(table, action, statement)
        elif word.startswith("ALTER"):
            yield from _sql_column_change(table, action, statement)
        elif word == "RENAME":
            yield from _sql_rename(table, action, statement)
        elif word == "CHANGE":
            yield from _sql_changed_name(table, action, statement)
        elif word == "MODIFY":
            yield from _sql_modified(table, action, statement)
        elif word == "CONVER" and _CONVERT_SQL.get().match(action):
            yield _ddl("convert_charset", table, statement)
        elif word == "VALIDA" and (validated := _VALIDATE_SQL.get().match(action)):
            options = {"constraint": _sql_name(validated.group(1))}
            yield _ddl("validate_constraint", table, statement, options=options)


def _sql_dropped_column(table: str | None, action: str, statement: str) -> Iterator[Call]:
    dropped = _DROP_COLUMN_SQL.get().match(action)
    if dropped is None:
        return
    name = dropped.group(2)
    if dropped.group(1) is None and name.lower() in _NOT_COLUMNS:
        return  # DROP CONSTRAINT, DROP INDEX, DROP DEFAULT ...
    yield _ddl("drop_column", table, statement, column=_sql_name(name))


def _sql_added_column(table: str | None, action: str, statement: str) -> Iterator[Call]:
    """`ADD [COLUMN] [IF NOT EXISTS] c type [NOT NULL] [DEFAULT ...] ...` (its type kept
    where it is text or bytes of one word, as a restated one: `_restated_type`; a UNIQUE
    in its definition as add_column's `unique=True`, for AG105: todo.sr.ht's
    `remote_id integer UNIQUE`)."""
    added = _ADD_COLUMN_SQL.get().match(action)
    if added is None:
        return
    keyword, name, definition = added.groups()
    if keyword is None and name.lower() in _NOT_COLUMNS:
        yield from _sql_added_key(table, action, statement)
        return  # ADD CONSTRAINT, ADD PRIMARY KEY, ADD INDEX ...
    column = _sql_name(name)
    words = _outside_parentheses(definition).upper()
    primary = "PRIMARY" in words and _PRIMARY_KEY.get().search(words) is not None
    new = Column(
        column,
        nullable=False if primary or _NOT_NULL.get().search(words) else None,
        server_default=_GENERATED.get().search(words) is not None,
        client_default=False,
        primary_key=primary,
        type_=_restated_type(definition),
    )
    unique = (("unique", "True"),) if _UNIQUE.get().search(words) else ()
    yield _ddl("add_column", table, statement, column=column, new_column=new, keywords_text=unique)


def _sql_added_key(table: str | None, action: str, statement: str) -> Iterator[Call]:
    """`ADD [CONSTRAINT c] PRIMARY KEY (...)` or `UNIQUE (...)`, as the create_primary_key
    or create_unique_constraint it stands for (Emergency Alerts adds `ft_billing`'s
    primary key so); not one `USING INDEX` an index built before. `EXCLUDE ...` as
    create_exclude_constraint (pycroft's GiST exclusion constraints), and `CHECK (c IS
    NOT NULL)` as a check that c holds no NULL (`_sql_not_null_check`)."""
    key = _ADD_KEY_SQL.get().match(action)
    if key is None and _ADD_EXCLUDE_SQL.get().match(action):
        yield _ddl("create_exclude_constraint", table, statement)
        return
    if key is None:
        yield from _sql_not_null_check(table, action, statement)
        return
    if _USING_INDEX.get().search(action, key.end(1)):
        return
    name = "create_primary_key" if key.group(1)[0] in "pP" else "create_unique_constraint"
    listed = key.group(2)
    columns = [_sql_name(c) for c in _split_names(listed.strip())] if listed else []
    known = tuple(c for c in columns if c) if columns and all(columns) else None
    yield _ddl(name, table, statement, columns=known)


def _sql_not_null_check(table: str | None, action: str, statement: str) -> Iterator[Call]:
    """`ADD CONSTRAINT n CHECK (c IS NOT NULL) [NOT VALID]`: a check that c holds no
    NULL, `valid` unless NOT VALID leaves the rows already there unchecked (until
    `VALIDATE CONSTRAINT n`)."""
    check = _NOT_NULL_CHECK_SQL.get().match(action)
    if check is None:
        return
    options = {"constraint": _sql_name(check.group(1)), "valid": check.group(4) is None}
    column = _sql_name(check.group(3))
    yield _ddl("not_null_check", table, statement, column=column, options=options)


def _sql_column_change(table: str | None, action: str, statement: str) -> Iterator[Call]:
    """`ALTER [COLUMN] c SET NOT NULL` / `DROP NOT NULL`, and `ALTER [COLUMN] c [SET DATA]
    TYPE t [COLLATE ...] [USING ...]` (`type_text`: the type, its words run together as
    one name, `character varying(20)` as `charactervarying(20)`, so that AG106 reads it
    as it reads SQLAlchemy's)."""
    changed = _NULL_CHANGE_SQL.get().match(action)
    if changed is not None:
        name, how = changed.groups()
        options = {"nullable": how.upper() == "DROP"}
        yield _ddl("alter_column", table, statement, column=_sql_name(name), options=options)
        return
    typed = _TYPE_CHANGE_SQL.get().match(action)
    if typed is not None:
        name, type_text = typed.groups()
        written = re.sub(r"\s+", "", type_text.strip())
        yield _ddl("alter_column", table, statement, column=_sql_name(name), type_text=written)


def _sql_rename(table: str | None, action: str, statement: str) -> Iterator[Call]:
    renamed = _RENAME_SQL.get().match(action)
    if renamed is None:
        return
    to_table, column_keyword, old, new = renamed.groups()
    if to_table is not None:
        yield _ddl("rename_table", table, statement, new_table=_sql_name(to_table))
    elif column_keyword is not None or old.lower() not in _NOT_COLUMNS:
        yield _sql_column_renamed(table, statement, _sql_name(old), _sql_name(new))


def _sql_column_renamed(
    table: str | None, statement: str, column: str | None, name: str | None
) -> Call:
    """The `alter_column(..., new_column_name=...)` a statement that renames a column
    stands for."""
    options = {"new_column_name": name}
    return _ddl(
        "alter_column", table, statement, column=column, options=options, new_column_name=name
    )


def _sql_changed_name(table: str | None, action: str, statement: str) -> Iterator[Call]:
    """MySQL's `CHANGE [COLUMN] a b <definition>`: a rename where b is not a, else the
    definition restated (as `MODIFY`)."""
    changed = _CHANGE_SQL.get().match(action)
    if changed is None:
        return
    column, name = _sql_name(changed.group(2)), _sql_name(changed.group(3))
    if column is None or name is None:
        return
    if column.lower() == name.lower():
        yield _sql_restated(table, column, action[changed.end() :], statement)
        return
    yield _sql_column_renamed(table, statement, column, name)


def _sql_modified(table: str | None, action: str, statement: str) -> Iterator[Call]:
    """MySQL's `MODIFY [COLUMN] c <definition>`."""
    modified = _MODIFY_SQL.get().match(action)
    if modified is None:
        return
    _, name, definition = modified.groups()
    yield _sql_restated(table, _sql_name(name), definition, statement)


def _sql_restated(table: str | None, column: str | None, definition: str, statement: str) -> Call:
    """The alter_column a column's whole definition restated stands for (MySQL's `MODIFY
    c ...`, `CHANGE c c ...`): NOT NULL makes it NOT NULL, a definition without lets it
    hold NULL; neither is read for a key's column (AUTO_INCREMENT, PRIMARY KEY), which
    MySQL keeps NOT NULL. `restated`: the NOT NULL and the type are written whether they
    change or not. Its type is kept where it is text or bytes of one word, with its
    lengths (SBS's `MODIFY ssh_key MEDIUMTEXT`): AG106 judges it only against the type
    the history gave."""
    words = _outside_parentheses(definition).upper()
    options: dict[str, object] = {"restated": True}
    if not _KEY_COLUMN.get().search(words):
        options["nullable"] = _NOT_NULL.get().search(words) is None
    type_text = _restated_type(definition)
    if type_text is None and _BLANKED_ENUM.get().match(definition):
        options["enum"] = True  # its values: `_enum_restated`
    return _ddl(
        "alter_column", table, statement, column=column, options=options, type_text=type_text
    )


def _restated_type(definition: str) -> str | None:
    """The type a restated definition gives, its spaces left out (`VARCHAR(255)`); None
    for a type of several words."""
    typed = _RESTATED_TYPE.get().match(definition)
    if typed is None:
        return None
    name, lengths, after = typed.groups()
    if after is not None and (after == "(" or after.upper() in _TYPE_WORDS):
        return None  # other arguments (ENUM's values), or a type of several words
    if name.upper() not in _RESTATED_TYPES:
        return None
    return name + re.sub(r"\s+", "", lengths or "")


def _sql_renamed_tables(statement: str) -> Iterator[Call]:
    """MySQL's `RENAME TABLE a TO b[, c TO d]`."""
    match = _RENAME_TABLES_SQL.get().match(statement)
    if match is None:
        return
    for pair in _top_level_parts(match.group(1)):
        names = _RENAME_PAIR_SQL.get().fullmatch(pair.strip())
        if names is not None:
            old, new = _sql_name(names.group(1)), _sql_name(names.group(2))
            yield _ddl("rename_table", old, statement, new_table=new)


def _named_dialects(name: str) -> frozenset[str] | None:
    """The dialects the words of an identifier name (`pg`, `_oracle_upgrade`,
    `sqlite_version`), else None."""
    found = (_DIALECT_WORDS.get(w) or _SHORT_DIALECTS.get(w) for w in name.lower().split("_"))
    return frozenset(d for d in found if d) or None


# Short names of dialects in identifiers, beside `_DIALECT_WORDS` (`pg=_pg_upgrade`).
_SHORT_DIALECTS = {"pg": "postgresql"}


def _given(
    node: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[tuple[ast.arg, ast.expr]]:
    """Each parameter a call gives an argument for, with the argument (by position,
    then by keyword; a starred argument gives none)."""
    params = [*function.args.posonlyargs, *function.args.args]
    args = [a for a in node.args if not isinstance(a, ast.Starred)]
    given = list(zip(params, args, strict=False))
    given += [
        (p, kw.value)
        for kw in node.keywords
        for p in [*params, *function.args.kwonlyargs]
        if kw.arg == p.arg
    ]
    return given


def _set_in_every_row(rows: object) -> tuple[str, ...] | None:
    """The columns (lowercased) that every row of a literal `op.bulk_insert` list gives a
    value other than None; None where the rows are not all literal dicts."""
    if not isinstance(rows, list | tuple) or not rows:
        return None
    if not all(isinstance(row, dict) for row in rows):
        return None
    sets = [{str(k).lower() for k, v in row.items() if v is not None} for row in rows]
    return tuple(sorted(set.intersection(*sets)))


def _has_parameters(params: ast.arguments) -> bool:
    return bool(
        params.posonlyargs or params.args or params.vararg or params.kwonlyargs or params.kwarg
    )


def _only_return(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    """The call a function returns where returning it is all it does; else None."""
    value = _only_returned(function)
    return value if isinstance(value, ast.Call) else None


def _outside_parentheses(text: str) -> str:
    """`text` without what parentheses hold (a CHECK's condition, a type's length), in
    one pass (however deep they nest)."""
    if "(" not in text:
        return text
    kept: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if not depth:
                kept.append(" ")
        elif not depth:
            kept.append(char)
    return "".join(kept)


def _sql_dialects(branch: tuple[str, ...] | None, sql: str) -> tuple[str, ...] | None:
    """Where DDL read from SQL runs: its dialect branch's databases (sorted); else, for a
    name quoted in backticks (MySQL's quoting, which SQLite takes too, never
    PostgreSQL's), those two; else any."""
    if branch is not None:
        return branch
    return ("mysql", "sqlite") if "`" in sql else None


def _split_names(names: str) -> list[str]:
    return [name for name in re.split(r"\s*,\s*", names) if name]


def _top_level_parts(text: str) -> list[str]:
    """`text` split at the commas outside parentheses."""
    if "(" not in text:
        return text.split(",")
    parts: list[str] = []
    depth, begin = 0, 0
    for at, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[begin:at])
            begin = at + 1
    parts.append(text[begin:])
    return parts


def _note_values(node: ast.Call, assigned: dict[int, list[str | None]]) -> None:
    """Note the columns a `.values(a=..., b=...)` (or `.values({"a": ...})`) call gives
    the update() call it is chained to, if any."""
    below = node.func.value if isinstance(node.func, ast.Attribute) else None
    while isinstance(below, ast.Call) and _callee(below) != "update":
        below = below.func.value if isinstance(below.func, ast.Attribute) else None
    if not isinstance(below, ast.Call):
        return
    if node.keywords and not node.args and all(kw.arg for kw in node.keywords):
        assigned[id(below)] = [kw.arg for kw in node.keywords]
    elif len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Dict):
        keys = node.args[0].keys
        named: list[str | None] = [name for name in map(_values_key, keys) if name is not None]
        if named and len(named) == len(keys):
            assigned[id(below)] = named


def _values_key(key: ast.expr | None) -> str | None:
    """The column a key of `.values({...})` names: `"a"`, or a table's column object
    `t.c.a` / `t.c["a"]` (Changes' backfills)."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Attribute) and _ends_with(key.value, "c"):
        return key.attr
    if isinstance(key, ast.Subscript) and _ends_with(key.value, "c"):
        index = key.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, str):
            return index.value
    return None


def _set_columns(text: str, folded: str, start: int) -> list[str | None] | None:
    """The columns an UPDATE's SET clause (from `start`) assigns, in order; None when a
    part is not `column = ...` (`SET (a, b) = ...`: it may fill any column). A column
    named at run time is None. `folded`: the text with its ASCII letters lowered."""
    names: list[str | None] = []
    for part in _set_parts(text, folded, start):
        left, equals, right = part.partition("=")
        name = left.strip()
        if not equals or right.startswith("=") or not name or left.endswith(("<", ">", "!")):
            return None  # not `column = ...`
        if any(char.isspace() or char in "(),'" for char in name):
            return None  # `SET (a, b) = ...`, or not a name
        names.append(_sql_name(name))
    return names or None


def _joined_target(
    text: str, folded: str, match: re.Match[str], columns: list[str | None]
) -> list[str | None]:
    """Of a multi-table UPDATE's SET columns, those of its first table: written with
    the table's name or alias before them (`SET s.user_id = b.submitter_id`: okpy), or
    bare (`SET status = 'cancelled'`: sync-engine; a name MySQL finds in one table
    only, which an UPDATE of the first table mostly means)."""
    own = {(match.group(2) or match.group(3) or "").lower(), (match.group(1) or "").lower()}
    own.discard("")
    mine: list[str | None] = []
    for part, column in zip(_set_parts(text, folded, match.end()), columns, strict=True):
        qualifier, dot, _ = part.partition("=")[0].strip().rpartition(".")
        if not dot or (_sql_name(qualifier) or "").lower() in own:
            mine.append(column)
    return mine


def _set_parts(text: str, folded: str, start: int) -> list[str]:
    """The comma-separated parts of a SET clause, to its WHERE, FROM, RETURNING, `;`
    or end (commas inside parentheses and quotes are passed over). Most clauses hold
    neither: they are split in C, and only the others character by character."""
    clause = text[start : _set_end(text, folded, start)]
    if not any(char in clause for char in "()'\"`"):
        return clause.split(",")
    parts: list[str] = []
    depth, quote, begin = 0, "", 0
    for at, char in enumerate(clause):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                clause = clause[:at]
                break
            depth -= 1
        elif depth == 0 and char == ",":
            parts.append(clause[begin:at])
            begin = at + 1
    parts.append(clause[begin:])
    return parts


def _set_end(text: str, folded: str, start: int) -> int:
    """Where the SET clause that starts at `start` ends: at its first `;`, or at the
    word WHERE, FROM or RETURNING after a space and outside parentheses (found in
    `folded`, the text with its ASCII letters lowered)."""
    end = text.find(";", start)
    end = len(text) if end == -1 else end
    for word in _SET_END_WORDS:
        at = folded.find(word, start, end)
        while at != -1:
            after = at + len(word)
            if (
                text[at - 1].isspace()
                and not (after < len(text) and _word_char(text[after]))
                and text.count("(", start, at) == text.count(")", start, at)
            ):
                end = at
                break
            at = folded.find(word, at + 1, end)
    return end


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _deletes(text: str) -> Iterator[tuple[str, str | None, str | None]]:
    for match in _DELETE_SQL.get().finditer(text):
        table = _sql_name(match.group(1))
        where = match.group(2)
        if where is None:
            if table is not None:
                yield "empty", table, None
            continue
        for null in _IS_NULL.get().finditer(where):
            yield "purge", table, _sql_name(null.group(1))


def _truncates(text: str) -> Iterator[tuple[str, str | None, str | None]]:
    for match in _TRUNCATE_SQL.get().finditer(text):
        for name in _split_names(match.group(1)):
            table = _sql_name(name)
            if table is not None:
                yield "empty", table, None


def _null_keywords(node: ast.Call) -> Iterator[str]:
    """The columns an ORM query chain's `filter_by(c=None)` tests for NULL."""
    for sub in syntax.walk(node):
        if isinstance(sub, ast.Call) and _callee(sub) == "filter_by":
            for keyword in sub.keywords:
                value = keyword.value
                if keyword.arg and isinstance(value, ast.Constant) and value.value is None:
                    yield keyword.arg


def _literal_loops(node: ast.AST) -> dict[str, list[str]]:
    """The names that loops inside `node` bind to each string of a literal sequence
    (`for attr in ("to_addr", "cc_addr"):`)."""
    found: dict[str, list[str]] = {}
    for sub in syntax.walk(node):
        if not isinstance(sub, ast.For) or not isinstance(sub.target, ast.Name):
            continue
        if not isinstance(sub.iter, ast.Tuple | ast.List | ast.Set):
            continue
        items = [e.value for e in sub.iter.elts if isinstance(e, ast.Constant)]
        if items and len(items) == len(sub.iter.elts) and all(isinstance(i, str) for i in items):
            found.setdefault(sub.target.id, []).extend(str(i) for i in items)
    return found


def _fill_call(
    kind: str,
    line: int,
    table: str | None,
    column: str | None,
    scope: _Scope,
    branch: tuple[str, ...] | None = None,
) -> Call:
    """The backfill, emptied table or rows put in that a statement at `line` stands for
    (`branch`: the dialects it runs on, where it is read from SQL run by execute())."""
    return Call(
        kind,
        line,
        table,
        column=column,
        autocommit=scope.autocommit,
        conditional=scope.conditional,
        dialects=branch,
    )


def _column_fill(line: int, table: str | None, column: str, scope: _Scope) -> Call:
    """The backfill of `column` that ORM work makes (`table` "" or None: not known)."""
    return _fill_call("backfill", line, table or None, column, scope)


def _assigned_attributes(node: ast.Assign | ast.AugAssign, variable: str) -> list[str]:
    """The columns `row.c = ...` sets on the row `variable`."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [
        target.attr
        for target in targets
        if isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == variable
    ]


def _set_attributes(node: ast.Call, variable: str, names: dict[str, list[str]]) -> list[str]:
    """The columns `setattr(row, "c", ...)` sets on the row `variable`: the name literal,
    or a loop's over literal names."""
    if len(node.args) != 3:
        return []
    row, name = node.args[0], node.args[1]
    if not (isinstance(row, ast.Name) and row.id == variable):
        return []
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return [name.value]
    return list(names.get(name.id, ())) if isinstance(name, ast.Name) else []


def _null_tested(statement: ast.expr) -> Iterator[str]:
    """The columns a Core statement tests for NULL (`t.c.name.is_(None)`, `t.c.name ==
    None`, `.is_(sa.null())`): a DELETE with such a WHERE leaves none of them NULL, as
    `DELETE FROM t WHERE name IS NULL` does in SQL (`_deletes`)."""
    for sub in syntax.walk(statement):
        tested = _null_test(sub)
        if isinstance(tested, ast.Attribute):
            yield tested.attr


def _null_test(node: ast.AST) -> ast.expr | None:
    """What `node` tests for NULL, if it is such a test."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        is_test = node.func.attr == "is_" and len(node.args) == 1 and _is_null(node.args[0])
        return node.func.value if is_test else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        is_test = isinstance(node.ops[0], ast.Eq | ast.Is) and _is_null(node.comparators[0])
        return node.left if is_test else None
    return None


def _is_null(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None
    return isinstance(node, ast.Call) and _callee(node) == "null" and not node.args


def _has_where(statement: ast.expr) -> bool:
    return any(
        isinstance(sub, ast.Attribute) and sub.attr in ("where", "filter", "filter_by")
        for sub in syntax.walk(statement)
    )


def _sql_kind(text: str) -> str:
    return "data" if is_data_sql(text) else "schema"


# The statements most data SQL starts with: told without the patterns.
_DATA_WORDS = frozenset({"UPDATE", "INSERT", "DELETE", "SELECT"})


def _is_data_statement(statement: str) -> bool:
    # `_DATA_SQL`'s match for a statement starting with one of _DATA_WORDS in ASCII
    # (after any opening parentheses):
    # its `\s*` skips what lstrip() does (str.isspace), and `\b` holds before the end
    # or a character that is neither alphanumeric nor "_".
    start = statement.lstrip()
    if start[:1] == "(":  # `(SELECT ...)`, Security Monkey's query in parentheses
        start = start.lstrip("( \t\r\n")
    if start[:6].isascii() and start[:6].upper() in _DATA_WORDS:
        after = start[6:7]
        if not (after.isalnum() or after == "_"):
            return True
    return bool(_DATA_SQL.get().match(statement) or _TOGGLE_SQL.get().match(statement))


def is_data_sql(text: str) -> bool:
    """Whether every statement in `text` reads or changes rows, session settings or
    privileges (`GRANT`, roles, publications), never the schema; an anonymous code block
    (`DO $$ ... $$`) by the statements of its body."""
    if "$" in text:  # perhaps a code block: statements cut outside its body
        pieces = sql_statements(text)
        return bool(pieces) and all(_no_schema(*piece) for piece in pieces)
    statements = [s for s in _strip_comments(text).split(";") if s.strip()]
    return bool(statements) and all(_is_data_or_access(s) for s in statements)


def _is_data_or_access(statement: str) -> bool:
    return _is_data_statement(statement) or bool(_ACCESS_SQL.get().match(statement))


def _no_schema(written: str, blanked: str) -> bool:
    """Whether one statement (as written, and with quoted text blanked) leaves the
    schema as it is: by the statements of its body for a code block."""
    if _DO_BLOCK.get().match(blanked):
        return _no_schema_block(_do_body(written))
    return _is_data_or_access(blanked)


def _no_schema_block(body: str) -> bool:
    """Whether every statement of a PL/pgSQL block leaves the schema as it is, read
    past the words that open and close its blocks (as `_plpgsql_changes` reads them) and
    its declarations; an `EXECUTE` by the literal SQL it is given (none: it may change it)."""
    declaring = False
    for written, blanked in sql_statements(body):
        words, statement = _past_opening(blanked)
        if "BEGIN" in words:
            declaring = False
        if statement[:7].upper() == "DECLARE":
            declaring = True
        elif statement and not declaring and not _quiet_statement(written, statement):
            return False
    return True


def _quiet_statement(written: str, statement: str) -> bool:
    """Whether one PL/pgSQL statement (blanked, its opening words cut) leaves the schema."""
    if _PLPGSQL_QUIET.get().match(statement) or _is_data_or_access(statement):
        return True
    if statement[:7].upper() != "EXECUTE":
        return False
    given = _EXECUTE_LITERAL.get().search(written)
    return given is not None and is_data_sql(given.group(1).replace("''", "'"))


def _strip_comments(text: str) -> str:
    # Each pattern only where it can match (most SQL has no comment).
    if "/*" in text:
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"--[^\n]*", " ", text) if "--" in text else text


def _model_table(node: ast.ClassDef) -> str | None:
    """The table a model class maps: `__tablename__ = "users"`, or a reflected or
    declared table, `__table__ = Base.metadata.tables["users"]` / `sa.Table("users", ...)`."""
    for stmt in node.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        value = stmt.value
        if "__tablename__" in names:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
        elif "__table__" in names:
            key: ast.expr | None
            if isinstance(value, ast.Subscript):
                key = value.slice
            elif isinstance(value, ast.Call) and _callee(value) in _TABLE_FACTORIES:
                key = _argument(value, 0, "name")
            else:
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return key.value
    return None


def _table_variables(module: ast.Module, constants: dict[str, str]) -> dict[str, str]:
    """`users = sa.table("users", ...)` (or Table, op.create_table) anywhere in the file,
    and the models of classes defined inside functions (sync-engine's in upgrade())."""
    tables: dict[str, str] = {}
    for node in syntax.walk(module):
        if isinstance(node, ast.ClassDef) and node not in module.body:
            model = _model_table(node)
            if model is not None:
                tables[node.name] = model
            continue
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        if _callee(node.value) not in _TABLE_FACTORIES:
            continue
        name = _argument(node.value, 0, "name") or _argument(node.value, 0, "table_name")
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            table: str | None = name.value
        else:
            table = constants.get(name.id) if isinstance(name, ast.Name) else None
        for target in node.targets:
            if isinstance(target, ast.Name) and table is not None:
                tables[target.id] = table
    return tables


def _schema(node: ast.Call) -> object:
    schema = _keyword(node, "schema")
    return None if schema is None else _literal(schema)


def _spreads(node: ast.expr | None) -> TypeGuard[ast.Call]:
    """Whether `node` is a call with a `*argument` (`_Reader._spread`): told without a
    Python-level loop, as every column's type is asked."""
    return type(node) is ast.Call and bool(node.args) and ast.Starred in map(type, node.args)


def _reshaped(node: ast.Call) -> ast.expr | None:
    """The text `textwrap.dedent(text)`, `inspect.cleandoc(text)` or `text.strip()`
    changes only the whitespace of, or `text.replace("%", "%%")` only the escaping of
    (RefStack's DELETE and UPDATE built with `%`, escaped for the driver's paramstyle:
    the driver gives back the text as it was): the SQL is the same; None for another
    call."""
    callee, func = _callee(node), node.func
    if callee not in _SAME_SQL or node.keywords:
        return None
    if callee == "strip":
        return func.value if isinstance(func, ast.Attribute) and not node.args else None
    if callee == "replace":
        if isinstance(func, ast.Attribute) and _escapes(node.args):
            return func.value
        return None
    return node.args[0] if len(node.args) == 1 else None


def _escapes(args: list[ast.expr]) -> bool:
    """`.replace("%", "%%")`: what it replaces, and what with, is a `%` or `:` written
    once and doubled (the escaping of the driver's paramstyle), nothing else."""
    if len(args) != 2 or not all(type(a) is ast.Constant for a in args):
        return False
    old, new = (a.value for a in args if isinstance(a, ast.Constant))
    return old in ("%", ":") and new == old * 2


def _is_built_text(node: ast.expr) -> bool:
    """A string built at run time (an f-string, `+`, `%` or `.format()`): a module-level
    name bound to one is read as SQL where execute() runs it (`FILL = f"UPDATE t SET c =
    x::{enum.name}"`: test_observer), its unknown parts as placeholders."""
    if isinstance(node, ast.JoinedStr):
        return True
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)) or _is_formatting(node)


def _is_formatting(node: ast.AST) -> bool:
    """`"..." % values` or `"...".format(...)` on a string literal or name."""
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant | ast.Name)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant | ast.Name)
    )


def _keyed(node: ast.Dict) -> dict[str, ast.expr]:
    """The values of a dict display with string keys (`"%(t)s" % {"t": name}`)."""
    return {
        key.value: value
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


# A `%` conversion: an optional `(key)`, flags, width, precision, length, the type.
_PERCENT = LazyPattern(r"%(?:\(([^)]*)\))?[-#0 +]*\d*(?:\.\d+)?[hlL]?([diouxXeEfFgGcrsa%])")


def _percent_pieces(text: str) -> list[tuple[str, str | None]] | None:
    """`text` as (literal, field) pieces for `%`: field "" for the next value, a key
    for `%(key)s`, None for none; None where Python's `%` would raise (a stray `%`)."""
    pieces: list[tuple[str, str | None]] = []
    start = 0
    for match in _PERCENT.get().finditer(text):
        if "%" in text[start : match.start()]:
            return None
        literal = text[start : match.start()]
        if match.group(2) == "%":
            pieces.append((literal + "%", None))
        else:
            pieces.append((literal, match.group(1) or ""))
        start = match.end()
    rest = text[start:]
    return None if "%" in rest else [*pieces, (rest, None)]


def _brace_pieces(text: str) -> list[tuple[str, str | None]] | None:
    """`text` as (literal, field) pieces for `str.format`: field "" for the next
    positional value, a number or a name; None for a field that reaches into its value
    (`{0.name}`, `{a[0]}`) or a text `format` would refuse."""
    from string import Formatter  # (imported only where a text is formatted)

    pieces: list[tuple[str, str | None]] = []
    try:
        for literal, field, _, _ in Formatter().parse(text):
            if field is not None and not (field == "" or field.isidentifier() or field.isdigit()):
                return None
            pieces.append((literal, field))
    except ValueError:
        return None
    return pieces


def _text_called(node: ast.expr | None) -> ast.expr | None:
    """`sa.text("...").bindparams(...)`: the statement its _TEXT_METHODS are called on."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr not in _TEXT_METHODS:
            break
        node = node.func.value
    return node


# The comparisons `_compared` works out, by the type of their operator.
_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: eq,
    ast.NotEq: ne,
    ast.In: lambda item, items: contains(items, item),
    ast.NotIn: lambda item, items: not contains(items, item),
}


def _plain_literal(value: object) -> bool:
    """Whether `value` is a literal read whole: a string with no placeholder of a part
    not known (`{}`, `%s`), a number, a bool, None, or a sequence of them."""
    if isinstance(value, str):
        return _PLACEHOLDER.get().search(value) is None
    if value is None or type(value) in (int, float, bool):
        return True
    if isinstance(value, tuple | list | set | frozenset):
        return all(_plain_literal(item) for item in value)
    return False


def _rebound(name: str, value: ast.expr, frame: dict[str, _Binding]) -> _Binding:
    """What `name = value` binds `name` to: for `stmt = stmt.bindparams(...)` (a method
    that leaves a statement's SQL as it is, called on the name's own statement:
    Appointment's data fix), the statement it was bound to before."""
    called = _text_called(value)
    if called is not value and isinstance(called, ast.Name) and called.id == name:
        return frame.get(name, value)
    return value


def _ddl_as_text(node: ast.expr | None) -> ast.expr | None:
    """`sa.DDL(text, context={...})` as the `text % context` SQLAlchemy runs (boxoffice
    changes 44 columns' type so, in a loop over their names); other nodes as they are."""
    if not (isinstance(node, ast.Call) and _callee(node) == "DDL" and node.args):
        return node
    context = next((kw.value for kw in node.keywords if kw.arg == "context"), None)
    mapping = ast.Dict(keys=[], values=[]) if context is None else context
    where = {name: getattr(node, name) for name in node._attributes}
    return ast.BinOp(left=node.args[0], op=ast.Mod(), right=mapping, **where)


def _is_dml(node: ast.expr) -> bool:
    """`users.update().where(...)`, `sa.insert(t)`: statements that change rows only."""
    return any(isinstance(sub, ast.Call) and _callee(sub) in _DML for sub in syntax.walk(node))


def _callee(node: ast.Call) -> str | None:
    """`sa.Column(...)` and `Column(...)` are both "Column"."""
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _argument(node: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    args = node.args
    if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
        return args[index]
    return None


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def _bind(node: ast.Call, params: tuple[str, ...]) -> dict[str, ast.expr]:
    bound: dict[str, ast.expr] = {}
    args = node.args
    for i in range(min(len(params), len(args))):  # (zip(..., strict=False) costs more)
        if isinstance(args[i], ast.Starred):
            break
        bound[params[i]] = args[i]
    for kw in node.keywords:
        if kw.arg in params:
            bound[kw.arg] = kw.value
    return bound


def _sql_name(name: str) -> str | None:
    """`public."Users"` -> `Users`; None for a name with a placeholder in it (`{}`,
    `old_%s`: filled in at run time)."""
    # Each pattern only where it can match: on a dot, and on "%" or "{" (a placeholder).
    last = (re.split(r"\s*\.\s*", name)[-1] if "." in name else name).strip('"`[]')
    if "%" not in last and "{" not in last:
        return last
    return None if _PLACEHOLDER.get().search(last) else last


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return body[1:] if isinstance(first.value.value, str) else body
    return body


def _sets_autocommit(stmt: ast.stmt) -> bool:
    """`op.get_bind().execution_options(isolation_level="AUTOCOMMIT")`, as a statement
    or bound to a name: what the block runs after it runs outside a transaction (the
    isolation level is set on the DBAPI connection the migration uses)."""
    if not isinstance(stmt, ast.Expr | ast.Assign):
        return False
    return _autocommit_options(stmt.value)


def _opens_autocommit(expr: ast.Call) -> bool:
    """`with op.get_context().autocommit_block():`, or a connection opened in autocommit
    (`with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:`,
    Onyx's concurrent indexes)."""
    func = expr.func
    if isinstance(func, ast.Attribute) and func.attr == "autocommit_block":
        return True
    return _autocommit_options(expr)


def _autocommit_options(value: ast.expr) -> bool:
    """`<connection>.execution_options(isolation_level="AUTOCOMMIT")`."""
    if not isinstance(value, ast.Call) or _callee(value) != "execution_options":
        return False
    level = _keyword(value, "isolation_level")  # execution_options takes keywords only
    return _literal(level) in ("AUTOCOMMIT", "autocommit") if level is not None else False


def _binds_a_handle(stmt: ast.Assign) -> bool:
    """`connection = op.get_bind()`, `inspector = sa.inspect(bind)`: a name bound to a
    connection, a context or an inspector, which changes nothing by itself."""
    value = stmt.value
    return (
        all(isinstance(target, ast.Name) for target in stmt.targets)
        and isinstance(value, ast.Call)
        and _callee(value) in _HANDLES
    )


def _binds_a_literal(stmt: ast.Assign) -> bool:
    """`options = {"weights": {...}}`: a name bound to a literal value (contentdb's
    upgrade that kept only the options of a call it commented out)."""
    if not all(isinstance(target, ast.Name) for target in stmt.targets):
        return False
    return _literal(stmt.value) is not UNKNOWN


def _batch_last(calls: list[Call], start: int) -> None:
    """Put the batch operations among `calls[start:]` (a batch block's) after the
    others: alembic runs what the batch alias was given when the block ends, and what
    `op` was given in the block at once (DataJunction's UPDATE written below its
    `batch_op.alter_column(..., nullable=False)` fills the column first)."""
    deferred = False
    for at in range(start, len(calls)):  # most blocks give the alias alone: no order to change
        if _deferred(calls[at]):
            deferred = True
        elif deferred:
            break
    else:
        return
    block = calls[start:]
    calls[start:] = [call for call in block if not _deferred(call)]
    calls.extend(call for call in block if _deferred(call))


def _deferred(call: Call) -> bool:
    """Whether the call is a batch operation, run when its block ends (a batch alias's
    SQL runs where it stands)."""
    return call.batch and call.name not in SQL_METHODS


_STOPS = (ast.Raise, ast.Assert)


def _refuses(stmt: ast.stmt) -> bool:
    """A statement that always stops the function: `raise ...`, or an `assert` of a
    falsy constant (Bracket's `assert False, "Downgrade is not supported"`)."""
    if isinstance(stmt, ast.Raise):
        return True
    test = stmt.test if isinstance(stmt, ast.Assert) else None
    return isinstance(test, ast.Constant) and not test.value


def _is_noop(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass | ast.Return) and getattr(stmt, "value", None) is None:
        return True
    if isinstance(stmt, ast.If):
        # `if skip_legacy(op): return`: nothing else happens in it
        return all(_is_noop(s) for s in stmt.body) and all(_is_noop(s) for s in stmt.orelse)
    if isinstance(stmt, ast.Assign) and (_binds_a_handle(stmt) or _binds_a_literal(stmt)):
        return True
    if isinstance(stmt, ast.Expr) and _dropped_exception(stmt.value):
        return True
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str))
    )


def _dropped_exception(value: ast.expr) -> bool:
    """A built-in exception made and never raised (`NotImplementedError()`, with literal
    arguments, a `raise` forgotten: subunit2sql's downgrades): it does nothing."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name):
        return False
    if value.func.id not in _BUILTIN_EXCEPTIONS or value.keywords:
        return False
    return all(type(arg) is ast.Constant for arg in value.args)


# The built-in exception classes, by name (`_dropped_exception`).
_BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
