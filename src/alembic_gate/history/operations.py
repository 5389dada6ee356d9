"""Reading the `op.*` calls of a revision's upgrade() and downgrade() with `ast`.

SQL is never rendered (real migrations call `op.get_bind()` and query the
database, which offline rendering cannot do): the calls are read from the source.
Understood shapes:

- `op.add_column("t", sa.Column("c", sa.Integer(), nullable=False))`, with
  positional or keyword arguments, and names taken from module-level constants;
- `with op.batch_alter_table("t") as batch_op: batch_op.alter_column(...)`;
- `with op.get_context().autocommit_block(): op.create_index(...)`;
- backfills: `op.execute("UPDATE t ...")`, `op.execute(sa.text(...))`,
  `op.execute(t.update().values(...))`, `sa.update(t)`, and the same through
  `op.get_bind().execute(...)` or any other `.execute(...)`;
- module-level helpers called from upgrade() (read in the caller's scope: its
  batch_alter_table aliases, autocommit block, if/for/while/try), and alembic's
  multi-database template (`upgrade_engine1()` ...);
- for doctor: whether an operation runs under if/for/while/try, the columns
  of create_table, the literal SQL text of an `.execute()`, and (in `steps`)
  SQL run on a connection and `create_all()` / `drop_all()`.

Each revision file is parsed once (revisions.py); what is read here is kept as plain
data (`pack_module`), cached by content, and given back by `operations(rev)`.
"""

from __future__ import annotations

import ast
import functools
import marshal
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from alembic_gate.history import plain
from alembic_gate.shared.files import describe_error, read_regular

if TYPE_CHECKING:
    from alembic_gate.history.revisions import RevisionFile


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


# A keyword whose value is not a literal (`server_default=sa.text("now()")`).
UNKNOWN = _Unknown()
plain.register("UNKNOWN", UNKNOWN)

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
    "execute": ("sqltext",),
    "batch_alter_table": ("table_name",),
}
# `op.*` helpers that change nothing themselves.
_HELPERS = frozenset({"f", "get_bind", "get_context", "inline_literal"})
_TABLE_FACTORIES = frozenset({"table", "Table", "create_table"})
_SERVER_GENERATED = frozenset({"Identity", "Computed", "FetchedValue", "DefaultClause"})
# Statements whose body may not run.
_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try)
# Core statement builders: SQL that reads or changes rows, never tables.
_DML = frozenset({"insert", "update", "delete", "select", "values", "where"})
# Calls on anything but `op` that run SQL or change tables, recorded in `Side.steps`.
_SQL_METHODS = frozenset({"execute", "exec_driver_sql"})
_METADATA_METHODS = frozenset({"create_all", "drop_all"})
# A name in SQL: plain, quoted, or a placeholder filled in at run time (`%s`, `{}`).
_SQL_NAME = r"(?:[\w$]+|\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|%s|%\(\w+\)s|\{\w*\})"
_PLACEHOLDER = re.compile(r"%s|%\(\w+\)s|\{\w*\}")
_UPDATE_SQL = re.compile(
    rf"\bUPDATE\s+(?:ONLY\s+)?({_SQL_NAME}(?:\s*\.\s*{_SQL_NAME})*)"
    r"\s+(?:AS\s+\w+\s+)?(?:\w+\s+)?SET\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Column:
    """An `sa.Column(...)` given to add_column."""

    name: str | None
    # The literal `nullable=`, or None when not given or not a literal.
    nullable: bool | None
    # server_default=, or a server-generated value such as Identity() or Computed().
    server_default: bool
    # `default=` (applied by SQLAlchemy on INSERT, never to existing rows).
    client_default: bool


@dataclass(frozen=True)
class Call:
    """One operation, in the order upgrade() runs it.

    `name` is the op's method name ("add_column", "alter_column" ...), or
    "backfill" for an `.execute(...)` whose statement updates rows of `table`
    (None when the statement's table cannot be read).
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
    # create_table: the names of its sa.Column(...) arguments; None when not all literal.
    columns: tuple[str, ...] | None = None
    # alter_column: the literal new_column_name=.
    new_column_name: str | None = None
    # `schema=` of the call or of its batch_alter_table(): the literal, or UNKNOWN.
    schema: object = None
    # execute / exec_driver_sql: the literal SQL text; UNKNOWN when it is built at run
    # time; None without a statement or for a Core statement that changes rows only.
    sql: object = None
    # Source text (as ast.unparse writes it), for messages and fixes: `type_=` of any
    # call; the positional arguments and the (keyword, value) pairs of create_index.
    type_text: str | None = None
    arguments: tuple[str, ...] = ()
    keywords: tuple[tuple[str | None, str], ...] = ()

    @property
    def receiver(self) -> str:
        return "batch_op" if self.batch else "op"


@dataclass
class Side:
    """upgrade() or downgrade(): its operations, and the shape of its body."""

    calls: list[Call] = field(default_factory=list)
    # `calls` and, in the same order, what the lint rules do not read: SQL run on a
    # connection (`op.get_bind().execute(...)`) and `metadata.create_all()` / `drop_all()`.
    steps: list[Call] = field(default_factory=list)
    # Where `def upgrade` / `def downgrade` stands; None when the module has none.
    line: int | None = None
    # The body is only a docstring, `pass` or `...`.
    empty: bool = True
    # The body raises (`raise NotImplementedError()`).
    raises: bool = False


@dataclass
class Operations:
    upgrade: Side = field(default_factory=Side)
    downgrade: Side = field(default_factory=Side)
    # Why the file could not be read (AG007 reports it); the sides are then empty.
    problem: str | None = None
    # The first line of the module docstring (alembic's `-m` message).
    message: str | None = None


def operations(rev: RevisionFile) -> Operations:
    """The operations of one revision file, from the parse that read it (packed on
    `rev.ops_data`). A file read without that data, or whose data does not unpack (a
    damaged cache entry), is read again now."""
    data = rev.ops_data
    found = _MEMO.get(id(data)) if data is not None else None
    if found is not None and found[0] is data:
        return found[1]
    try:
        if data is None:
            raise ValueError("not read yet")
        ops = unpack(data)
    except ValueError:
        ops = _read_again(rev)
        data = rev.ops_data = pack(ops)
    _remember(data, ops)
    return ops


def _read_again(rev: RevisionFile) -> Operations:
    try:
        source = read_regular(rev.path)
    except OSError as exc:
        return Operations(problem=f"cannot read file: {describe_error(exc)}")
    return read_operations(source)


# Operations read back, by their packed data: each rule asks for every revision's, and
# unpacking is dearer than the lookup. Plain data, never a parsed tree, and bounded: a
# history longer than MEMO_SIZE is read by each rule in turn, from first to last, so
# past the first time it fills up only the last few entries are kept (the rule asking
# again for the revision it is on).
MEMO_SIZE = 1000
_LONG_HISTORY = 8
_MEMO: dict[int, tuple[bytes, Operations]] = {}
_limit = MEMO_SIZE


def _remember(data: bytes, ops: Operations) -> None:
    global _limit
    if len(_MEMO) >= _limit:
        _MEMO.clear()
        _limit = _LONG_HISTORY
    _MEMO[id(data)] = (data, ops)


def forget() -> None:
    """Empty the memo (a new run: its histories may be short again)."""
    global _limit
    _MEMO.clear()
    _limit = MEMO_SIZE


def pack(ops: Operations) -> bytes:
    """`ops` as compact plain data (marshal, compressed): what the cache stores."""
    return zlib.compress(marshal.dumps(plain.pack(ops)), 1)


def unpack(data: bytes) -> Operations:
    """The Operations `pack` wrote; ValueError when `data` is not that."""
    try:
        raw = marshal.loads(zlib.decompress(data))
    except (zlib.error, EOFError, ValueError, TypeError) as exc:
        raise ValueError(f"not packed operations: {exc}") from None
    return plain.unpack(Operations, raw)


@functools.cache
def unreadable() -> bytes:
    """What a file that could not be parsed whole holds (revisions.py says why, AG007)."""
    return pack(Operations(problem="the file could not be parsed"))


def pack_module(module: ast.Module) -> bytes:
    """The packed operations of a parsed revision file; `operations()` gives them back
    without unpacking while the memo has room."""
    ops = read_module(module)
    data = pack(ops)
    _remember(data, ops)
    return data


def read_operations(source: bytes | str, *, multidb: bool = True) -> Operations:
    """The operations in a revision file's source; `multidb`: also those of the
    multi-database template's upgrade_<name>() / downgrade_<name>()."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Operations(problem=f"cannot parse: {exc}")
    return read_module(module, multidb=multidb)


def read_module(module: ast.Module, *, multidb: bool = True) -> Operations:
    """The operations of a parsed revision file (see read_operations)."""
    docstring = ast.get_docstring(module) or ""
    message = next((ln.strip() for ln in docstring.splitlines() if ln.strip()), None)
    try:
        reader = _Reader(module)
        upgrade = reader.side("upgrade", multidb)
        return Operations(upgrade, reader.side("downgrade", multidb), message=message)
    except RecursionError:
        return Operations(problem="cannot parse: too deeply nested", message=message)


@dataclass(frozen=True)
class _Scope:
    # batch_alter_table aliases: name -> (table, schema=).
    batch: Mapping[str, tuple[str | None, object]] = field(default_factory=dict)
    autocommit: bool = False
    conditional: bool = False


class _Reader:
    def __init__(self, module: ast.Module) -> None:
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.constants: dict[str, str] = {}
        self.op_names = {"op"}
        for node in module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                self._constant(node)
            elif isinstance(node, ast.ImportFrom) and node.module == "alembic":
                self.op_names |= {a.asname or a.name for a in node.names if a.name == "op"}
        self.module = module
        self.calls: list[Call] = []
        self.steps: list[Call] = []
        self.visited: set[str] = set()

    @functools.cached_property
    def tables(self) -> dict[str, str]:
        return _table_variables(self.module, self.constants)

    def _constant(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    self.constants[target.id] = value.value

    def side(self, name: str, multidb: bool) -> Side:
        main = self.functions.get(name)
        roots = [
            f
            for n, f in self.functions.items()
            if n == name or (multidb and n.startswith(name + "_"))
        ]
        self.calls = []
        self.steps = []
        self.visited = set()
        for root in sorted(roots, key=lambda f: f.name != name):
            self._function(root, _Scope())
        if main is None:
            return Side(self.calls, self.steps, line=None, empty=not roots, raises=False)
        body = _without_docstring(main.body)
        return Side(
            calls=self.calls,
            steps=self.steps,
            line=main.lineno,
            empty=all(_is_noop(stmt) for stmt in body),
            raises=any(isinstance(stmt, ast.Raise) for stmt in body),
        )

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        if node.name in self.visited:
            return
        self.visited.add(node.name)
        for stmt in node.body:
            self._visit(stmt, scope)

    def _visit(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            return  # defined here, not run here
        if isinstance(node, ast.With | ast.AsyncWith):
            self._with(node, scope)
            return
        if isinstance(node, _BRANCHES):
            inner = replace(scope, conditional=True)
            for child in ast.iter_child_nodes(node):
                self._visit(
                    child, inner if isinstance(child, ast.stmt | ast.excepthandler) else scope
                )
            return
        if isinstance(node, ast.Call) and self._call(node, scope):
            return  # an operation: its arguments run no other operation
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope)

    def _with(self, node: ast.With | ast.AsyncWith, scope: _Scope) -> None:
        batch = dict(scope.batch)
        autocommit = scope.autocommit
        for item in node.items:
            self._visit(item.context_expr, scope)
            expr = item.context_expr
            if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
                continue
            if expr.func.attr == "autocommit_block":
                autocommit = True
            elif expr.func.attr == "batch_alter_table" and self._is_op(expr.func.value):
                table = self._string(_argument(expr, 0, "table_name"))
                if isinstance(item.optional_vars, ast.Name):
                    batch[item.optional_vars.id] = (table, _schema(expr))
        inner = _Scope(batch, autocommit, scope.conditional)
        for stmt in node.body:
            self._visit(stmt, inner)

    def _is_op(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.op_names

    def _call(self, node: ast.Call, scope: _Scope) -> bool:
        """Record `node` if it is an operation or a backfill, or follow it into a
        module-level helper; False for any other call."""
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.functions:
            self._function(self.functions[func.id], scope)
            return True
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr == "execute":
            for backfill in self._backfills(node, scope):
                self._record(backfill)
        receiver = func.value
        if self._is_op(receiver):
            if func.attr not in _HELPERS:
                self._record(self._operation(node, func.attr, None, scope))
            return True
        if isinstance(receiver, ast.Name) and receiver.id in scope.batch:
            self._record(self._operation(node, func.attr, receiver.id, scope))
            return True
        if func.attr in _SQL_METHODS or func.attr in _METADATA_METHODS:
            self.steps.append(self._operation(node, func.attr, None, scope))
        return func.attr == "execute"

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.steps.append(call)

    def _operation(self, node: ast.Call, name: str, alias: str | None, scope: _Scope) -> Call:
        params = _SIGNATURES.get(name, ())
        if alias is not None:
            params = tuple(p for p in params if p != "table_name")
        bound = _bind(node, params)
        options = {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg}
        renamed = "new_column_name" in options
        if alias is not None:
            table, schema = scope.batch[alias]
        else:
            table = self._string(bound.get("table_name") or bound.get("old_table_name"))
            schema = options.get("schema")
        new_column = _column(bound.get("column"), self) if name == "add_column" else None
        column = new_column.name if new_column else self._string(bound.get("column_name"))
        return Call(
            name=name,
            line=node.lineno,
            table=table,
            column=column,
            options=options,
            new_column=new_column,
            new_table=self._string(bound.get("new_table_name")),
            batch=alias is not None,
            autocommit=scope.autocommit,
            conditional=scope.conditional,
            columns=self._columns(node.args[1:]) if name == "create_table" else None,
            new_column_name=self._string(_keyword(node, "new_column_name")) if renamed else None,
            schema=schema,
            sql=self._statement(node) if name in _SQL_METHODS else None,
            type_text=_source(_keyword(node, "type_")),
            arguments=tuple(_source(a) or "..." for a in node.args)
            if name == "create_index"
            else (),
            keywords=_keyword_sources(node) if name == "create_index" else (),
        )

    def _columns(self, args: list[ast.expr]) -> tuple[str, ...] | None:
        names: list[str] = []
        for arg in args:
            if isinstance(arg, ast.Starred):
                return None
            if isinstance(arg, ast.Call) and _callee(arg) == "Column":
                name = self._column_name(arg)
                if name is None:
                    return None
                names.append(name)
        return tuple(names)

    def _column_name(self, node: ast.Call) -> str | None:
        """The name of `sa.Column("name", ...)` or `sa.Column(name="name", ...)`."""
        return self._string(node.args[0] if node.args else _keyword(node, "name"))

    def _statement(self, node: ast.Call) -> object:
        """The literal SQL an execute() runs; UNKNOWN when built at run time."""
        statement = node.args[0] if node.args else None
        if statement is None:
            statement = next((kw.value for kw in node.keywords if kw.arg), None)
        if isinstance(statement, ast.Call) and _callee(statement) == "text" and statement.args:
            text = self._string(statement.args[0])
        else:
            text = self._string(statement)
        if text is not None or statement is None or _is_dml(statement):
            return text
        return UNKNOWN

    def _backfills(self, node: ast.Call, scope: _Scope) -> Iterator[Call]:
        targets = list(self._updated_tables(_argument(node, 0, "sqltext")))
        for table in dict.fromkeys(targets):
            yield Call("backfill", node.lineno, table, autocommit=scope.autocommit)

    def _updated_tables(self, statement: ast.expr | None) -> Iterator[str | None]:
        """The tables an execute() statement updates (None: an UPDATE of an unknown table)."""
        if statement is None:
            return
        for sub in ast.walk(statement):
            text = self._sql(sub)
            if text is not None:
                for match in _UPDATE_SQL.finditer(text):
                    yield _sql_name(match.group(1))
            if isinstance(sub, ast.Call) and _callee(sub) == "update":
                yield self._update_target(sub)

    def _sql(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.JoinedStr):  # f"UPDATE {table} SET ..."
            return "".join(self._fragment(v) for v in node.values)
        if isinstance(node, ast.Name | ast.Constant):
            return self._string(node)
        return None

    def _fragment(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.FormattedValue):
            return self._string(node.value) or "{}"
        return "{}"

    def _update_target(self, node: ast.Call) -> str | None:
        # `sa.update(users)` / `update(users)`, or `users.update()`.
        if node.args:
            return self._table(node.args[0])
        if isinstance(node.func, ast.Attribute):
            return self._table(node.func.value)
        return None

    def _table(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.tables.get(node.id)
        if isinstance(node, ast.Call) and _callee(node) in _TABLE_FACTORIES:
            return self._string(_argument(node, 0, "name"))
        return None

    def _string(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.Call) and _callee(node) == "f" and node.args:
            return self._string(node.args[0])  # op.f("ix_name")
        return None


def _table_variables(module: ast.Module, constants: dict[str, str]) -> dict[str, str]:
    """`users = sa.table("users", ...)` (or Table, op.create_table) anywhere in the file."""
    tables: dict[str, str] = {}
    for node in ast.walk(module):
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


def _column(node: ast.expr | None, reader: _Reader) -> Column | None:
    if not isinstance(node, ast.Call) or _callee(node) != "Column":
        return None
    options = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    server = "server_default" in options and _literal(options["server_default"]) is not None
    generated = any(
        isinstance(arg, ast.Call) and _callee(arg) in _SERVER_GENERATED for arg in node.args
    )
    nullable = _literal(options["nullable"]) if "nullable" in options else None
    return Column(
        name=reader._column_name(node),
        nullable=nullable if isinstance(nullable, bool) else None,
        server_default=server or generated,
        client_default="default" in options and _literal(options["default"]) is not None,
    )


def _schema(node: ast.Call) -> object:
    schema = _keyword(node, "schema")
    return None if schema is None else _literal(schema)


def _is_dml(node: ast.expr) -> bool:
    """`users.update().where(...)`, `sa.insert(t)`: statements that change rows only."""
    return any(isinstance(sub, ast.Call) and _callee(sub) in _DML for sub in ast.walk(node))


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
    for param, arg in zip(params, node.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        bound[param] = arg
    for kw in node.keywords:
        if kw.arg in params:
            bound[kw.arg] = kw.value
    return bound


def _source(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    try:
        return ast.unparse(node)
    except (RecursionError, MemoryError, ValueError):
        return "..."


def _keyword_sources(node: ast.Call) -> tuple[tuple[str | None, str], ...]:
    return tuple((kw.arg, _source(kw.value) or "...") for kw in node.keywords)


def _literal(node: ast.expr) -> object:
    # What ast.literal_eval gives, without its cost (and the reference cycle each of its
    # calls leaves) for the common shapes: a constant, a tuple or list of constants, and
    # names, attributes and calls (other than `set()`), which are never literals.
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple | ast.List) and all(
        isinstance(item, ast.Constant) for item in node.elts
    ):
        items = [item.value for item in node.elts]  # type: ignore[attr-defined]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Name | ast.Attribute) or (
        isinstance(node, ast.Call) and not (_callee(node) == "set" and not node.args)
    ):
        return UNKNOWN
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


def _sql_name(name: str) -> str | None:
    """`public."Users"` -> `Users`; None for a placeholder."""
    last = re.split(r"\s*\.\s*", name)[-1]
    return None if _PLACEHOLDER.fullmatch(last) else last.strip('"`[]')


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return body[1:] if isinstance(first.value.value, str) else body
    return body


def _is_noop(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str))
    )
