"""Which tables and columns a revision's upgrade() creates, drops and renames, read with `ast`.

Understood: `op.create_table` (with its `sa.Column(...)` names), `op.drop_table`,
`op.rename_table`, `op.add_column`, `op.drop_column`, `op.alter_column(...,
new_column_name=)`, the same on a `with op.batch_alter_table(...) as batch_op` alias,
names taken from module-level string constants, module-level helpers called from
upgrade(), and literal SQL given to `.execute()` (`CREATE TABLE`, `DROP TABLE`,
`ALTER TABLE ... RENAME/ADD/DROP`). Tables in another schema (`schema=`) are left out,
since doctor compares the default schema.

What cannot be read is recorded as `unknown` (an `op.execute()` of SQL built at run
time, a table name that is not a literal, an operation under `if`/`for`/`try`), so a
comparison that depends on it is never presented as certain.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ChangeKind = Literal["create", "drop", "rename", "add_column", "drop_column", "rename_column"]

# Positional parameters of the `op.*` methods read here; batch forms drop `table_name`.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "alter_column": ("table_name", "column_name"),
}
_BATCH_OPS = frozenset({"add_column", "drop_column", "alter_column"})
# Core statements that change rows, never tables.
_DML = frozenset({"insert", "update", "delete", "select", "values", "where"})
_NAME = r"(?:\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|[\w$]+)"
_QUALIFIED = rf"({_NAME}(?:\s*\.\s*{_NAME})?)"
_SQL_PATTERNS: tuple[tuple[ChangeKind, str], ...] = (
    ("create", rf"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}"),
    ("drop", rf"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}"),
    (
        "rename",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+RENAME\s+TO\s+{_QUALIFIED}",
    ),
    (
        "rename_column",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+RENAME\s+(?:COLUMN\s+)?"
        rf"(?!TO\b){_QUALIFIED}\s+TO\s+{_QUALIFIED}",
    ),
    (
        "add_column",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+ADD\s+(?:COLUMN\s+)?"
        rf"(?:IF\s+NOT\s+EXISTS\s+)?(?!CONSTRAINT\b|PRIMARY\b|FOREIGN\b|UNIQUE\b|CHECK\b|"
        rf"INDEX\b|KEY\b){_QUALIFIED}",
    ),
    (
        "drop_column",
        rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s+DROP\s+(?:COLUMN\s+)?"
        rf"(?:IF\s+EXISTS\s+)?(?!CONSTRAINT\b|PRIMARY\b|FOREIGN\b|INDEX\b|KEY\b|DEFAULT\b|"
        rf"NOT\b){_QUALIFIED}",
    ),
)
_SQL_RULES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _SQL_PATTERNS)
_TABLE_DDL = re.compile(r"\b(?:CREATE|DROP|ALTER)\s+(?:\w+\s+)?TABLE\b", re.IGNORECASE)


@dataclass(frozen=True)
class Change:
    """One change to the default schema's tables, names in lower case."""

    kind: ChangeKind
    table: str
    # add_column / drop_column / rename_column: the column; rename_column: its old name.
    column: str | None = None
    # rename / rename_column: the new name.
    new_name: str | None = None
    # create: the columns, or None when some are not literal.
    columns: frozenset[str] | None = None


@dataclass(frozen=True)
class TableChanges:
    """What one revision's upgrade() does to tables, as far as `ast` can tell."""

    changes: tuple[Change, ...] = ()
    # Why the list may be incomplete: "line 12: op.execute() of SQL built at run time".
    unknown: tuple[str, ...] = ()
    # The first line of the module docstring (alembic's `-m` message).
    message: str | None = None


def read_table_changes(path: Path) -> TableChanges:
    """The table changes of the revision file at `path`; never raises."""
    try:
        module = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return TableChanges(unknown=(f"cannot read the file: {exc}",))
    reader = _Reader(module)
    upgrade = reader.functions.get("upgrade")
    if upgrade is None:
        return TableChanges(unknown=("no upgrade() function",), message=reader.message)
    try:
        reader.function(upgrade, _Scope())
    except RecursionError:
        reader.unknown.append("upgrade() is too deeply nested to read")
    return TableChanges(tuple(reader.changes), tuple(reader.unknown), reader.message)


@dataclass(frozen=True)
class _Scope:
    # batch_alter_table aliases -> their table (None: not a literal). Aliases of a table
    # in another schema are left out, so their operations are skipped.
    batch: dict[str, str | None] = field(default_factory=dict)
    # Inside if/for/while/try: the operation may not run.
    conditional: bool = False


class _Reader:
    def __init__(self, module: ast.Module) -> None:
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.constants: dict[str, str] = {}
        self.op_names = {"op"}
        for node in module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign) and _is_str(node.value):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = _str(node.value)
            elif isinstance(node, ast.ImportFrom) and node.module == "alembic":
                self.op_names |= {a.asname or a.name for a in node.names if a.name == "op"}
        docstring = ast.get_docstring(module) or ""
        self.message = next((ln.strip() for ln in docstring.splitlines() if ln.strip()), None)
        self.changes: list[Change] = []
        self.unknown: list[str] = []
        self.active: set[str] = set()

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        if node.name in self.active:
            return  # recursion: read once
        self.active.add(node.name)
        self.body(node.body, scope)
        self.active.discard(node.name)

    def body(self, statements: list[ast.stmt], scope: _Scope) -> None:
        for stmt in statements:
            self.statement(stmt, scope)

    def statement(self, stmt: ast.stmt, scope: _Scope) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return  # defined here, not run here
        if isinstance(stmt, ast.With | ast.AsyncWith):
            self.with_block(stmt, scope)
        elif isinstance(stmt, ast.If | ast.For | ast.AsyncFor | ast.While | ast.Try):
            self.calls(_header(stmt), scope)
            inner = _Scope(scope.batch, conditional=True)
            for block in _blocks(stmt):
                self.body(block, inner)
        else:
            self.calls(stmt, scope)

    def with_block(self, stmt: ast.With | ast.AsyncWith, scope: _Scope) -> None:
        batch = dict(scope.batch)
        for item in stmt.items:
            expr = item.context_expr
            if (
                isinstance(expr, ast.Call)
                and isinstance(expr.func, ast.Attribute)
                and expr.func.attr == "batch_alter_table"
                and self._is_op(expr.func.value)
            ):
                if isinstance(item.optional_vars, ast.Name) and not _other_schema(expr):
                    bound = _bind(expr, ("table_name",))
                    batch[item.optional_vars.id] = self.name(bound.get("table_name"))
            else:
                self.calls(expr, scope)
        self.body(stmt.body, _Scope(batch, scope.conditional))

    def calls(self, node: ast.AST, scope: _Scope) -> None:
        for call in _calls(node):
            self.call(call, scope)

    def call(self, node: ast.Call, scope: _Scope) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.functions:
            self.function(self.functions[func.id], scope)
        elif not isinstance(func, ast.Attribute):
            return
        elif self._is_op(func.value) and func.attr in _SIGNATURES:
            self.operation(node, func.attr, None, scope)
        elif isinstance(func.value, ast.Name) and func.value.id in scope.batch:
            if func.attr in _BATCH_OPS:
                self.operation(node, func.attr, func.value.id, scope)
        elif func.attr in ("execute", "exec_driver_sql"):
            self.sql(node, scope)
        elif func.attr in ("create_all", "drop_all"):
            self.unknown.append(
                f"line {node.lineno}: {func.attr}() changes tables it does not name"
            )

    def operation(self, node: ast.Call, name: str, alias: str | None, scope: _Scope) -> None:
        params = _SIGNATURES[name][1:] if alias is not None else _SIGNATURES[name]
        bound = _bind(node, params)
        if _other_schema(node):
            return
        label = f"line {node.lineno}: {'batch_op' if alias else 'op'}.{name}()"
        if scope.conditional:
            self.unknown.append(f"{label} runs inside if/for/while/try")
            return
        table = scope.batch[alias] if alias is not None else self.name(bound.get("table_name"))
        change = self._change(name, node, bound, table)
        if change is None:
            self.unknown.append(f"{label} names a table or column that is not a literal")
        elif change.kind != "rename_column" or change.new_name:
            self.changes.append(change)

    def _change(
        self, name: str, node: ast.Call, bound: dict[str, ast.expr], table: str | None
    ) -> Change | None:
        if name == "rename_table":
            old = self.name(bound.get("old_table_name"))
            new = self.name(bound.get("new_table_name"))
            return Change("rename", old, new_name=new) if old and new else None
        if table is None:
            return None
        if name == "create_table":
            return Change("create", table, columns=self._columns(node.args[1:]))
        if name == "drop_table":
            return Change("drop", table)
        if name == "add_column":
            column = self._column_name(bound.get("column"))
            return Change("add_column", table, column) if column else None
        column = self.name(bound.get("column_name"))
        if column is None:
            return None
        if name == "drop_column":
            return Change("drop_column", table, column)
        new_name = _keyword(node, "new_column_name")
        if new_name is None:
            return Change("rename_column", table, column)  # not a rename: dropped by caller
        new = self.name(new_name)
        return Change("rename_column", table, column, new_name=new) if new else None

    def _columns(self, args: list[ast.expr]) -> frozenset[str] | None:
        names: set[str] = set()
        for arg in args:
            if isinstance(arg, ast.Starred):
                return None
            if isinstance(arg, ast.Call) and _callee(arg) == "Column":
                name = self._column_name(arg)
                if name is None:
                    return None
                names.add(name)
        return frozenset(names)

    def _column_name(self, node: ast.expr | None) -> str | None:
        if not isinstance(node, ast.Call) or _callee(node) != "Column":
            return None
        return self.name(node.args[0] if node.args else _keyword(node, "name"))

    def sql(self, node: ast.Call, scope: _Scope) -> None:
        statement = node.args[0] if node.args else None
        if statement is None:
            statement = next((kw.value for kw in node.keywords if kw.arg), None)
        text = self._text(statement)
        where = f"line {node.lineno}"
        if text is None:
            if statement is not None and not _is_dml(statement):
                self.unknown.append(f"{where}: execute() of SQL built at run time")
            return
        changes = list(_sql_changes(text))
        if None in changes:
            self.unknown.append(f"{where}: SQL changes a table doctor cannot follow")
        elif changes and scope.conditional:
            self.unknown.append(f"{where}: SQL that changes tables runs inside if/for/while/try")
        else:
            self.changes.extend(c for c in changes if c is not None)

    def _text(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Call) and _callee(node) == "text" and node.args:
            node = node.args[0]
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return _str(node) if node is not None and _is_str(node) else None

    def name(self, node: ast.expr | None) -> str | None:
        if node is not None and _is_str(node):
            return _str(node).lower()
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id].lower()
        if isinstance(node, ast.Call) and _callee(node) == "f" and node.args:
            return self.name(node.args[0])  # op.f("name")
        return None

    def _is_op(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.op_names


def _sql_changes(text: str) -> Iterator[Change | None]:
    """The table changes in literal SQL; None for one that cannot be followed."""
    for statement in text.split(";"):
        if not _TABLE_DDL.search(statement):
            continue
        for kind, pattern in _SQL_RULES:
            match = pattern.search(statement)
            if match is None:
                continue
            names = [_sql_name(group) for group in match.groups()]
            if None in names:
                yield None
            elif kind in ("create", "drop"):
                yield Change(kind, str(names[0]))
            elif kind == "rename":
                yield Change(kind, str(names[0]), new_name=names[1])
            elif kind == "rename_column":
                yield Change(kind, str(names[0]), names[1], new_name=names[2])
            else:
                yield Change(kind, str(names[0]), names[1])
            break


def _sql_name(text: str) -> str | None:
    """An unqualified SQL name, unquoted and lower case; None for `schema.table`."""
    parts = re.findall(_NAME, text)
    return parts[0].strip('"`[]').lower() if len(parts) == 1 else None


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    """Calls in `node`, outer first, skipping lambdas and nested definitions."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(current, ast.Call):
            yield current
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def _header(stmt: ast.If | ast.For | ast.AsyncFor | ast.While | ast.Try) -> ast.AST:
    if isinstance(stmt, ast.If | ast.While):
        return stmt.test
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return stmt.iter
    return ast.Pass()


def _blocks(stmt: ast.If | ast.For | ast.AsyncFor | ast.While | ast.Try) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.Try):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
    return [stmt.body, stmt.orelse]


def _bind(node: ast.Call, params: tuple[str, ...]) -> dict[str, ast.expr]:
    bound = {
        name: arg
        for name, arg in zip(params, node.args, strict=False)
        if not isinstance(arg, ast.Starred)
    }
    bound.update({kw.arg: kw.value for kw in node.keywords if kw.arg in params})
    return bound


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def _other_schema(node: ast.Call) -> bool:
    schema = _keyword(node, "schema")
    return schema is not None and not (isinstance(schema, ast.Constant) and schema.value is None)


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _is_dml(node: ast.expr) -> bool:
    """`users.update().where(...)`, `sa.insert(t)`: statements that change rows only."""
    return any(isinstance(sub, ast.Call) and _callee(sub) in _DML for sub in ast.walk(node))


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _str(node: ast.expr) -> str:
    assert isinstance(node, ast.Constant) and isinstance(node.value, str)
    return node.value
