"""Where the statements of a `batch_op.*` call run: at the end of its batch.

alembic queues the calls made inside `with op.batch_alter_table(...) as batch_op:` and
runs their statements when the block ends. Where the batch runs one ALTER per call,
measurements tie each to its `batch_op.*` line (check.attribute); where it copies the
table (`recreate="always"`, or the entry cannot be told), to the `with` line (the line
on the call stack then), while lint's warnings point at the `batch_op.*` line inside
the block. Read with `ast`, in the caller's process, for the few revision files a
static warning is about.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from alembic_gate.check.locate import tree

Line = tuple[str, int]


class BatchLines:
    """Maps a line of a revision file (paths relative to `cwd`) to the `with` line of
    the innermost batch_alter_table() block holding it, or to itself."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, where: Line) -> Line:
        path, line = where
        for first, last, start in _blocks(str(self.cwd / path)):
            if first <= line <= last:
                return path, start
        return where


@cache
def _blocks(path: str) -> list[tuple[int, int, int]]:
    """(first, last, with-line) of the bodies of the file's batch blocks, innermost
    first."""
    module = tree(path)
    if module is None:
        return []
    found = []
    for node in ast.walk(module):
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            _is_batch(item.context_expr) for item in node.items
        ):
            found.append((node.body[0].lineno, node.end_lineno or node.lineno, node.lineno))
    return sorted(found, key=lambda block: block[1] - block[0])


def _is_batch(expr: ast.expr) -> bool:
    func = expr.func if isinstance(expr, ast.Call) else None
    if isinstance(func, ast.Attribute):
        return func.attr == "batch_alter_table"
    return isinstance(func, ast.Name) and func.id == "batch_alter_table"
