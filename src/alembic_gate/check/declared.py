"""Where the models declare an index or constraint: read from their source, not run.

SQLAlchemy keeps no line for an `Index(...)`, a `UniqueConstraint(...)` or a column's
`index=True`: AG902 of one the database lacks (or has differently) is placed where it
is written, found in the source of the classes (and their mixins) or the Core `Table(...)`
that holds the table: the call of that kind with that name; else the one of those columns
(written inside the class or Table, or after it naming the class: `Index("ix", User.email)`);
else, for one column, the `index=True` / `unique=True` of that column, or for a
foreign key its `ForeignKey(...)` argument (of a `@declared_attr` method's column: in the
`Column(...)` / `mapped_column(...)` it returns): of several, the one referring to the
key's table, as a string or as `User.id` of a class whose `__tablename__` the file says.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from alembic_gate.check.locate import Location, Models, called_name, real, tree
from alembic_gate.shared.records import record

# The calls that declare what each kind of difference adds.
CALLS = {
    "add_index": frozenset({"Index"}),
    "add_constraint": frozenset({"UniqueConstraint", "CheckConstraint", "PrimaryKeyConstraint"}),
    "add_fk": frozenset({"ForeignKeyConstraint"}),
}
# The calls that declare a column, whose `index=True` / `unique=True` is a declaration.
COLUMN_CALLS = frozenset({"Column", "mapped_column", "Field"})


@record(frozen=True)
class Span:
    """Lines `first` to `last` of `path` hold the table's class (or a mixin) or Table call;
    `owner` is the class's name (None for a Table call)."""

    path: str
    first: int
    last: int
    owner: str | None = None


@record(frozen=True)
class Declaration:
    """An Index(...) or ...Constraint(...) call: what it calls, the name it gives, the
    columns it names (None when one is an expression), its line, and the names its
    arguments take attributes of (`User` of `User.email`)."""

    called: str
    name: str | None
    columns: tuple[str, ...] | None
    line: int
    roots: frozenset[str]


def declaration(
    models: Models, kind: str, item: Any, table: str, schema: str | None, columns: Sequence[str]
) -> Location | None:
    """Where the models declare the index or constraint `item` that a difference of
    `kind` (add_index, add_constraint, add_fk) adds to `table`; None when it cannot be
    told."""
    name = getattr(item, "name", None)
    found = place(
        list(spans(models, table, schema)), kind, name if isinstance(name, str) else None, columns
    )
    if found is not None or len(columns) != 1:
        return found
    column = models.column(table, schema, columns[0])
    if column is None:
        return None
    path, line = column
    if kind == "add_fk":
        found_line = foreign_key_line(path, line, _targets(item))
    else:
        words = ("index", "unique") if kind == "add_index" else ("unique",)
        found_line = keyword_line(path, line, words)
    return (path, found_line) if found_line else None


def spans(models: Models, table: str, schema: str | None) -> Iterator[Span]:
    """The source of each declarative class mapping `table` and of each mixin or base of
    it with `__table_args__` of its own, and of the Core Table call where no class maps it."""
    for cls in models.classes(table, schema):
        for klass in [c for c in cls.__mro__ if c is cls or "__table_args__" in vars(c)]:
            try:
                path = inspect.getsourcefile(klass)
                source, first = inspect.getsourcelines(klass)
            except (OSError, TypeError):
                continue
            if path:
                yield Span(real(path), first, first + len(source) - 1, klass.__name__)
    core = models.core_table(table, schema)
    if core is not None:
        yield Span(core[0], core[1].line, core[1].end)


def place(
    spans: Sequence[Span], kind: str, name: str | None, columns: Sequence[str]
) -> Location | None:
    """The line that declares the index or constraint a difference of `kind` adds."""
    calls = CALLS.get(kind, frozenset())
    found = [
        (span, item) for span in spans for item in declarations(span.path) if item.called in calls
    ]
    named = [(span, item) for span, item in found if name and item.name == name]
    if named:
        return (named[0][0].path, named[0][1].line)
    wanted = tuple(columns)
    for span, item in found:
        if item.columns == wanted and _belongs(item, span):
            return (span.path, item.line)
    return None


def _belongs(item: Declaration, span: Span) -> bool:
    """Written inside the class or Table, or naming the class in its arguments."""
    return span.first <= item.line <= span.last or (
        span.owner is not None and span.owner in item.roots
    )


def keyword_line(path: str, line: int, keywords: Iterable[str]) -> int | None:
    """The line of the first of `keywords` set to True in the column declared at `line`
    (`index=True` on the third line of a column written over five)."""
    wanted = tuple(keywords)
    for call in _column_calls(path, line):
        for word in wanted:
            for keyword in call.keywords:
                value = keyword.value
                if keyword.arg == word and isinstance(value, ast.Constant) and value.value is True:
                    return keyword.lineno
    return None


def foreign_key_line(path: str, line: int, targets: Collection[str]) -> int | None:
    """The line of the `ForeignKey(...)` argument of the column declared at `line`: the
    one referring to one of `targets` ("users.id", as a string or as `User.id` of a class
    of the file whose `__tablename__` is "users"), else its first."""
    keys = [
        arg
        for call in _column_calls(path, line)
        for arg in call.args
        if isinstance(arg, ast.Call) and called_name(arg) == "ForeignKey"
    ]
    named = [key for key in keys if key.args and _referred(path, key.args[0]) in targets]
    return (named or keys)[0].lineno if keys else None


def _column_calls(path: str, line: int) -> list[ast.Call]:
    """The column calls (`Column(...)`, `mapped_column(...)`) written over `line`, the
    innermost first, or for a `@declared_attr` method whose `def` is at `line`, the ones
    it returns; none when the file does not parse."""
    nodes = list(ast.walk(tree(path) or ast.Module([], [])))
    calls = [
        node
        for node in nodes
        if isinstance(node, ast.Call)
        and called_name(node) in COLUMN_CALLS
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    returned = [
        call
        for node in nodes
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno == line
        for call in _returned_columns(node)
    ]
    return sorted(calls, key=lambda node: (node.end_lineno or 0) - node.lineno) + returned


def _returned_columns(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    """The column calls a method returns: `return Column(...)`, or the one assigned to
    the name it returns (`column = mapped_column(...)` ... `return column`)."""
    statements = list(_own_statements(function))
    returned = [node.value for node in statements if isinstance(node, ast.Return) and node.value]
    names = {value.id for value in returned if isinstance(value, ast.Name)}
    assigned = [
        node.value
        for node in statements
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and node.value is not None
        and any(isinstance(t, ast.Name) and t.id in names for t in _assigned(node))
    ]
    return [
        value
        for value in returned + assigned
        if isinstance(value, ast.Call) and called_name(value) in COLUMN_CALLS
    ]


def _own_statements(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The statements of a function's body, also inside its `if`, `with` and `try`
    blocks, not those of a function or class defined in it."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop(0)
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pending += [
                child
                for child in ast.iter_child_nodes(node)
                if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case)
            ]


def _assigned(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def _referred(path: str, node: ast.expr) -> str | None:
    """The column a `ForeignKey(...)` argument refers to, as its target's full name
    ("users.id"): a string as written; for `User.id`, the table of `path`'s class `User`
    and the column its attribute `id` names; None when the file does not say."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        table = _written_tables(path).get(node.value.id)
        return table.target(node.attr) if table else None
    return _string(node)


@record(frozen=True)
class WrittenTable:
    """The table a class says it maps: `__tablename__`, with the `schema` its
    `__table_args__` gives, and its attributes whose column has a name of its own."""

    name: str
    renamed: tuple[tuple[str, str], ...] = ()

    def target(self, attribute: str) -> str:
        return f"{self.name}.{dict(self.renamed).get(attribute, attribute)}"


@cache
def _written_tables(path: str) -> dict[str, WrittenTable]:
    """The module-level classes of a file whose body names their table, by class name
    (a name two classes take is left out: which one a key means is not written)."""
    found: dict[str, WrittenTable | None] = {}
    for node in (tree(path) or ast.Module([], [])).body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = None if node.name in found else _written_table(node)
    return {name: table for name, table in found.items() if table is not None}


def _written_table(cls: ast.ClassDef) -> WrittenTable | None:
    """What a class body says of its table; None where its name or schema is not a
    literal."""
    values: dict[str, ast.expr] = {}
    renamed = []
    for statement in cls.body:
        if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
            continue
        for target in _assigned(statement):
            if isinstance(target, ast.Name):
                values[target.id] = statement.value
                column = _column_name_argument(statement.value)
                if column is not None and column != target.id:
                    renamed.append((target.id, column))
    name = _string(values["__tablename__"]) if "__tablename__" in values else None
    prefix = _schema_prefix(values.get("__table_args__"))
    if name is None or prefix is None:
        return None
    return WrittenTable(prefix + name, tuple(renamed))


def _column_name_argument(value: ast.expr) -> str | None:
    """ "user_id" of `Column("user_id", ...)` / `mapped_column("user_id", ...)`."""
    if isinstance(value, ast.Call) and called_name(value) in COLUMN_CALLS and value.args:
        return _string(value.args[0])
    return None


def _schema_prefix(table_args: ast.expr | None) -> str | None:
    """ "audit." where `__table_args__` gives schema "audit", "" where it gives none (it
    is absent, or a tuple of constraints alone); None where it is not written as a
    literal (a helper's result, a dict with `**others`)."""
    if isinstance(table_args, ast.Tuple):
        last = table_args.elts[-1] if table_args.elts else None
        if not isinstance(last, ast.Dict):
            return "" if last is None or isinstance(last, ast.Call) else None
        table_args = last
    if table_args is None:
        return ""
    if not isinstance(table_args, ast.Dict) or None in table_args.keys:
        return None
    for key, value in zip(table_args.keys, table_args.values, strict=True):
        if key is not None and _string(key) == "schema":
            if isinstance(value, ast.Constant) and value.value in (None, ""):
                return ""
            schema = _string(value)
            return f"{schema}." if schema else None
    return ""


def _targets(item: Any) -> frozenset[str]:
    """The columns a foreign key constraint refers to, as its `ForeignKey(...)` names
    them ("users.id")."""
    return frozenset(
        str(target)
        for element in getattr(item, "elements", ())
        if isinstance(target := getattr(element, "target_fullname", None), str)
    )


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@cache
def declarations(path: str) -> tuple[Declaration, ...]:
    """Every Index(...) and ...Constraint(...) call of a Python file, in order."""
    module = tree(path)
    if module is None:
        return ()
    every = frozenset().union(*CALLS.values())
    found = []
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and called_name(node) in every:
            found.append(_declaration(node))
    return tuple(sorted(found, key=lambda item: item.line))


def _declaration(call: ast.Call) -> Declaration:
    called = str(called_name(call))
    arguments = list(call.args)
    name = _keyword_string(call, "name")
    if called == "Index" and arguments:
        first = arguments.pop(0)
        name = (
            first.value
            if isinstance(first, ast.Constant) and isinstance(first.value, str)
            else None
        )
    if called == "ForeignKeyConstraint":
        arguments = arguments[:1]
    if called == "CheckConstraint":
        arguments = []
    names = [_column_name(arg) for arg in _flat(arguments)]
    columns = None if any(n is None for n in names) else tuple(str(n) for n in names)
    roots = frozenset(root for arg in arguments for root in _roots(arg))
    return Declaration(called, name, columns, call.lineno, roots)


def _keyword_string(call: ast.Call, word: str) -> str | None:
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg == word and isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


def _flat(arguments: Iterable[ast.expr]) -> list[ast.expr]:
    """The arguments, the elements of a list or tuple argument in their place."""
    found: list[ast.expr] = []
    for arg in arguments:
        found += arg.elts if isinstance(arg, ast.List | ast.Tuple) else [arg]
    return found


def _column_name(arg: ast.expr) -> str | None:
    """ "email" of `"email"`, `User.email`, `users.c.email`, `email`; None for an expression."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value.rsplit(".", 1)[-1]
    if isinstance(arg, ast.Attribute):
        return arg.attr
    if isinstance(arg, ast.Name):
        return arg.id
    return None


def _roots(arg: ast.expr) -> Iterable[str]:
    """The names whose attributes an argument reads: `User` of `User.email`."""
    for node in ast.walk(arg):
        if isinstance(node, ast.Attribute):
            value = node.value
            while isinstance(value, ast.Attribute):
                value = value.value
            if isinstance(value, ast.Name):
                yield value.id
