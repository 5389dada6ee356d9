"""Whether a function a revision imports from its project changes the schema, read from
the function's source file as the revision is read: parsed, never imported or run.

AG107 asks it of an upgrade() that only calls such functions (Mycodo's marker writer,
h's and lms's backfills): one that changes rows or files only leaves no schema for
downgrade() to put back. The answer is "no schema change" only where the reading is
sure: the function, and every function of the project it calls, is found and parsed,
calls no `op.*` schema operation, no `create`/`drop` (of a table, a type, all tables),
and runs only SQL that changes rows (literal text, or Core's update/insert/delete).
Anything else (a module not found, a class, a method of an object the project
imports, SQL built at run time) counts as a change.

Modules are looked up as Python would find them from the folders that may be on
`sys.path`: the revision's folder and each one above it up to the git work tree's top
(or `IMPORT_LEVELS` folders up: `shared.paths.import_roots`); a relative import from the
revision's own folder.
"""

from __future__ import annotations

import _ast as ast  # the node classes, without `ast` itself: shared/syntax.py

from alembic_gate.history.operations import (
    BATCH_ARGUMENT,
    LITERAL_ARGUMENT,
    OP_ARGUMENT,
    SQL_METHODS,
    Call,
    foreign_module,
    helper_calls,
    is_data_sql,
)
from alembic_gate.shared import syntax
from alembic_gate.shared.files import read_regular
from alembic_gate.shared.paths import import_roots, module_file
from alembic_gate.shared.records import replace

# How deep calls are followed, and how many source files one run reads at most.
_DEPTH = 4
_FILES = 64
# Calls that change the schema whatever their receiver: the `op.*` and batch schema
# operations, and SQLAlchemy's `Table.create`, `Enum.create`, `metadata.create_all`.
_SCHEMA_CALLS = frozenset(
    {
        "add_column",
        "alter_column",
        "drop_column",
        "create_table",
        "drop_table",
        "rename_table",
        "create_index",
        "drop_index",
        "create_primary_key",
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
        "create_exclude_constraint",
        "drop_constraint",
        "batch_alter_table",
        "create_all",
        "drop_all",
        "create",
        "drop",
        "create_table_comment",
        "drop_table_comment",
        "create_sequence",
        "drop_sequence",
    }
)
# Core statements that change or read rows only. (Not operations' `_is_dml`, which
# takes a statement holding any of its builders anywhere for DML: here the outermost
# call must be one, or a method called on one.)
_DML = frozenset({"update", "insert", "delete", "select", "text"})


class _Module:
    """One parsed source file: its top-level functions and what it imports."""

    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        # The names its top level binds to a value (`db = SQLAlchemy()`): objects.
        self.values: set[str] = set()
        # name -> (dotted module path, relative level): `from a.b import c` binds c to
        # ("a.b.c", 0); `import a.b as m`, m to ("a.b", 0); `import a.b`, a to ("a", 0).
        self.imports: dict[str, tuple[str, int]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                self.values.update(t.id for t in targets if isinstance(t, ast.Name))
        for sub in syntax.walk(tree):
            if isinstance(sub, ast.ImportFrom):
                self._import_from(sub)
            elif isinstance(sub, ast.Import):
                for alias in sub.names:
                    if foreign_module(alias.name):
                        top = alias.name.split(".")[0]
                        bound = (alias.asname, alias.name) if alias.asname else (top, top)
                        self.imports[bound[0]] = (bound[1], 0)

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level == 0 and not foreign_module(module):
            return
        for alias in node.names:
            dotted = f"{module}.{alias.name}" if module else alias.name
            self.imports[alias.asname or alias.name] = (dotted, node.level)


class Reader:
    """Reads imported functions for one run: each source file parsed once."""

    def __init__(self) -> None:
        self._modules: dict[str, _Module | None] = {}

    def changes_no_schema(self, origin: tuple[str, str, str], revision_file: str) -> bool:
        """Whether the function a revision's "foreign" step calls (`Call.foreign`:
        as written, what it stands for, its module) surely changes no schema."""
        found = self._called(origin, revision_file)
        if found is None:
            return False
        where, function = found
        return self._no_schema(where, function, _DEPTH, set())

    def schema_calls(self, step: Call, revision_file: str) -> list[Call]:
        """The op.* calls the function a "foreign" step calls makes on the batch alias
        or the `op` the step gives it (CloudKitty's `create_common_tables(batch_op)`),
        read as a helper of the revision is, each at the step's line and under its
        conditions; none where the function is not found or is given neither."""
        batch_at, op_at = step.options.get(BATCH_ARGUMENT), step.options.get(OP_ARGUMENT)
        found = None if step.foreign is None else self._called(step.foreign, revision_file)
        if found is None or (batch_at is None and op_at is None):
            return []
        module, function = found
        batch_parameter = _parameter(function, batch_at)
        batch = None if batch_parameter is None else (batch_parameter, step.table)
        op_parameter = _parameter(function, op_at)
        literals = _literals(step, function)
        calls = helper_calls(module.tree, function, batch, op_parameter, literals)
        return [
            replace(
                call,
                line=step.line,
                conditional=call.conditional or step.conditional,
                autocommit=call.autocommit or step.autocommit,
                dialects=step.dialects if call.dialects is None else call.dialects,
            )
            for call in calls
        ]

    def _called(
        self, origin: tuple[str, str, str], revision_file: str
    ) -> tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The module and function a "foreign" step's origin names."""
        _, stands_for, module = origin
        level = len(module) - len(module.lstrip("."))
        module = module.lstrip(".")
        if stands_for.startswith(module + ".") and module:
            dotted = stands_for
        else:
            dotted = f"{module}.{stands_for}" if module else stands_for
        return self._function(dotted, level, revision_file)

    # -- finding a function ------------------------------------------------------------

    def _function(
        self, dotted: str, level: int, importer: str
    ) -> tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The module-level function `dotted` names (`a.b.f`: f of module a.b), as a
        module imported from `importer` (a file) would find it."""
        parts = dotted.split(".")
        if len(parts) < 2 or not all(part.isidentifier() for part in parts):
            return None
        module = self._module(parts[:-1], level, importer)
        if module is None:
            return None
        function = module.functions.get(parts[-1])
        return None if function is None else (module, function)

    def _module(self, parts: list[str], level: int, importer: str) -> _Module | None:
        path = module_file(parts, import_roots(importer, level))
        return None if path is None else self._parsed(path)

    def _parsed(self, path: str) -> _Module | None:
        if path in self._modules:
            return self._modules[path]
        module = None
        if len(self._modules) < _FILES:
            try:
                module = _Module(path, syntax.parse(read_regular(path)))
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                module = None
        self._modules[path] = module
        return module

    # -- reading a function ------------------------------------------------------------

    def _no_schema(
        self,
        module: _Module,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        depth: int,
        seen: set[int],
    ) -> bool:
        if id(function) in seen:
            return True  # (recursion: the first reading judges it)
        seen.add(id(function))
        bound = _assigned(function)
        for node in syntax.walk(function):
            if isinstance(node, ast.Call) and not self._call_is_data(
                module, node, bound, depth, seen
            ):
                return False
        return True

    def _call_is_data(
        self,
        module: _Module,
        node: ast.Call,
        bound: dict[str, ast.expr],
        depth: int,
        seen: set[int],
    ) -> bool:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in _SCHEMA_CALLS:
                return False
            if func.attr in SQL_METHODS:
                return _data_statement(node.args[0] if node.args else None, bound)
            chain = _chain(func)
            if chain is not None and chain[0] in module.imports:
                return self._imported_call(module, chain, depth, seen)
            return True  # a method of a value (a session, a file, a string)
        if isinstance(func, ast.Name):
            if func.id in module.functions:
                if depth <= 0:
                    return False
                return self._no_schema(module, module.functions[func.id], depth - 1, seen)
            if func.id in module.imports:
                return self._imported_call(module, [func.id], depth, seen)
            return func.id not in _SCHEMA_CALLS  # a builtin, a class, a local function
        return False  # a call of a call's result, or of a subscript: not known

    def _imported_call(self, module: _Module, chain: list[str], depth: int, seen: set[int]) -> bool:
        """`name(...)` or `name.a.b(...)` where `name` was imported from the project:
        the function found and read; a method of an object a project module binds
        (`db.session.add`, `db` made in `app/__init__.py`) judged by its name. Anything
        else (a class, a library's code, a module not found) may change the schema."""
        if depth <= 0:
            return False
        dotted, level = module.imports[chain[0]]
        parts = [*dotted.split("."), *chain[1:]]
        found = self._function(".".join(parts), level, module.path)
        if found is not None:
            return self._no_schema(found[0], found[1], depth - 1, seen)
        for cut in range(len(parts) - 1, 0, -1):  # the object, in the longest module path
            owner = self._module(parts[:cut], level, module.path)
            if owner is not None:
                return parts[cut] in owner.values and _object_method(parts[-1])
        return False


def _literals(step: Call, function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    """The parameters of `function` a "foreign" step's call gives a string literally
    (a table's name), by name."""
    found = {}
    for key, value in step.options.items():
        if key.startswith(LITERAL_ARGUMENT) and isinstance(value, str):
            where = key[len(LITERAL_ARGUMENT) :]
            name = _parameter(function, int(where) if where.isdigit() else where)
            if name is not None:
                found[name] = value
    return found


def _parameter(function: ast.FunctionDef | ast.AsyncFunctionDef, where: object) -> str | None:
    """The name of the parameter a call's argument at `where` (a position, or a
    keyword's name) binds."""
    params = [*function.args.posonlyargs, *function.args.args]
    if isinstance(where, int) and not isinstance(where, bool):
        return params[where].arg if where < len(params) else None
    names = {p.arg for p in (*params, *function.args.kwonlyargs)}
    return where if isinstance(where, str) and where in names else None


def _chain(func: ast.Attribute) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None where it does not start from a name."""
    names = [func.attr]
    value = func.value
    while isinstance(value, ast.Attribute):
        names.append(value.attr)
        value = value.value
    return [value.id, *reversed(names)] if isinstance(value, ast.Name) else None


def _object_method(attribute: str) -> bool:
    """A method of an object a project module binds (`db.session.commit`): a change
    of rows unless its name is a schema operation's or SQL's."""
    return attribute not in _SCHEMA_CALLS and attribute not in SQL_METHODS


def _assigned(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """The names a function binds once, to the value they are bound to."""
    found: dict[str, ast.expr] = {}
    twice: set[str] = set()
    for node in syntax.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                if target.id in found:
                    twice.add(target.id)
                found[target.id] = node.value
    return {name: value for name, value in found.items() if name not in twice}


def _data_statement(node: ast.expr | None, bound: dict[str, ast.expr]) -> bool:
    """Whether what an execute() runs changes rows only: literal SQL that does (also in
    `text(...)`), or a Core update/insert/delete/select."""
    if isinstance(node, ast.Name) and node.id in bound:
        node = bound[node.id]
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and is_data_sql(node.value)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if callee == "text":
        return len(node.args) == 1 and _data_statement(node.args[0], {})
    if callee in _DML:
        return True
    inner = func.value if isinstance(func, ast.Attribute) else None
    # `sa.update(t).where(...).values(...)`: the statement's outermost method
    return isinstance(inner, ast.Call) and _data_statement(inner, {})
