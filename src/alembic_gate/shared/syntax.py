"""Python syntax trees without importing `ast`.

The node classes are `_ast`'s, which `ast` itself re-exports (`from _ast import *`), so
the static readers import `_ast as ast` and call the few functions of `ast` they need
from here. `ast` adds what they never run on top of `_ast` (its unparser, NodeVisitor,
the deprecated node classes, an IntEnum of precedences): 6 M instructions and about 1 ms
of every lint run (a 100 KB module to load), 2-3% of a pre-commit run. `literal_eval` and
`unparse` import `ast` only when a file needs them (literals.py: most never do).
"""

from __future__ import annotations

import _ast
from collections import deque
from collections.abc import Iterator


def parse(source: str | bytes, filename: str = "<unknown>") -> _ast.Module:
    """`ast.parse(source, filename)`: the module's tree (SyntaxError, ValueError...)."""
    tree = compile(source, filename, "exec", _ast.PyCF_ONLY_AST)
    assert isinstance(tree, _ast.Module)  # (what compile gives with that flag)
    return tree


def parse_expression(text: str) -> _ast.expr:
    """`ast.parse(text, mode="eval").body`: one expression's tree."""
    tree = compile(text, "<unknown>", "eval", _ast.PyCF_ONLY_AST)
    assert isinstance(tree, _ast.Expression)  # (what compile gives with that flag)
    return tree.body


def iter_child_nodes(node: _ast.AST) -> Iterator[_ast.AST]:
    """`ast.iter_child_nodes`: the direct children of `node`, in field order."""
    for name in node._fields:
        try:
            field = getattr(node, name)
        except AttributeError:
            continue
        if isinstance(field, _ast.AST):
            yield field
        elif isinstance(field, list):
            for item in field:
                if isinstance(item, _ast.AST):
                    yield item


def walk(node: _ast.AST) -> Iterator[_ast.AST]:
    """`ast.walk`: `node` and every node below it, breadth first, as `ast.walk` orders
    them (what is found first is reported first)."""
    todo = deque([node])
    while todo:
        node = todo.popleft()
        todo.extend(iter_child_nodes(node))
        yield node
