"""Calls in a revision's upgrade() into code doctor does not read: a function imported
from the project or a library (`from myapp.migrations import make_tables`), which may
create, drop or alter any table. `tables.py` counts each as a part of the revision that
could not be read, so no verdict that depends on it is stated as certain.

Only a call that is a statement of its own, or the value one assigns, counts. Calls into
the standard library, alembic and SQLAlchemy are left out (they change no
table by themselves; `op.*`, `.execute()` and `metadata.create_all()` are read by
`alembic_gate.history.operations`), and so are functions the file defines, which that
reader follows; their own calls are looked at here.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator

# Top-level modules whose functions change no table on their own.
_KNOWN = frozenset({"alembic", "sqlalchemy", "sqlmodel", "typing_extensions"})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


def foreign_calls(source: bytes) -> list[str]:
    """`line N: upgrade() calls make_tables() from myapp.migrations, which doctor does
    not read`, one per call, in upgrade() and the module's functions it calls."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    imported = _imported(tree)
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if "upgrade" not in functions:
        return []
    found: list[str] = []
    todo, seen = ["upgrade"], {"upgrade"}
    while todo:
        for call in _calls(functions[todo.pop()]):
            name = _root(call.func)
            if name in functions and name not in seen:
                seen.add(name)
                todo.append(name)
            elif name in imported:
                shown = ast.unparse(call.func)
                found.append(
                    f"line {call.lineno}: upgrade() calls {shown}() from {imported[name]}, "
                    "which doctor does not read"
                )
    return found


def _imported(tree: ast.Module) -> dict[str, str]:
    """Names bound by the module's imports of project or library code -> the module."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _foreign(alias.name):
                    names[(alias.asname or alias.name).split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.level or _foreign(node.module or "")):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                names[alias.asname or alias.name] = module
    return names


def _foreign(module: str) -> bool:
    top = module.split(".")[0]
    return bool(top) and top not in _STDLIB and top not in _KNOWN


def _calls(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Call]:
    """The calls that are a statement of their own or the value a statement assigns
    (`make_tables(op)`, `n = backfill(conn)`): a call inside another's arguments (a
    column type, a default value) builds a value and changes no table."""
    for node in ast.walk(function):
        if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = node.value
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                yield value


def _root(func: ast.expr) -> str | None:
    """The name a call starts from: `make` for make(...), `util` for util.a.b(...)."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None
