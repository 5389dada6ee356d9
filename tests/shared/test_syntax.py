from __future__ import annotations

import ast
from pathlib import Path

import pytest

import alembic_gate
from alembic_gate.shared import syntax

# Real Python files of many shapes: the package's own modules.
SOURCES = sorted(Path(alembic_gate.__file__).parent.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES[::7], ids=lambda path: path.name)
def test_parse_gives_what_ast_parse_gives(path: Path) -> None:
    source = path.read_bytes()
    assert ast.dump(syntax.parse(source), include_attributes=True) == ast.dump(
        ast.parse(source), include_attributes=True
    )


@pytest.mark.parametrize("path", SOURCES[::7], ids=lambda path: path.name)
def test_walk_and_children_are_in_asts_order(path: Path) -> None:
    tree = ast.parse(path.read_bytes())
    assert list(syntax.walk(tree)) == list(ast.walk(tree))
    for node in ast.walk(tree):
        assert list(syntax.iter_child_nodes(node)) == list(ast.iter_child_nodes(node))


def test_walk_skips_fields_a_node_lacks() -> None:
    node = ast.Call(func=ast.Name(id="f"), args=[ast.Constant(1)])  # no `keywords`
    assert [type(sub) for sub in syntax.walk(node)] == [ast.Call, ast.Name, ast.Constant]


def test_parse_expression_gives_the_body() -> None:
    text = "sa.String(length=50)"
    assert ast.dump(syntax.parse_expression(text)) == ast.dump(ast.parse(text, mode="eval").body)


@pytest.mark.parametrize("source", ["def (:\n", "x = 1\n  y = 2\n", "a\x00b\n"])
def test_errors_are_asts(source: str) -> None:
    with pytest.raises((SyntaxError, ValueError)) as expected:
        ast.parse(source)
    with pytest.raises(type(expected.value)) as got:
        syntax.parse(source)
    assert str(got.value) == str(expected.value)
