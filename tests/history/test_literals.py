"""history.literals: literal values and source text, as ast.literal_eval and ast.unparse
give them."""

from __future__ import annotations

import ast

import pytest

from alembic_gate.history.literals import UNKNOWN, literal, source


@pytest.mark.parametrize(
    "source",
    [
        "1",
        "'x'",
        "None",
        "...",
        "x",
        "a.b",
        "sa.Text()",
        "set()",
        "set([1])",
        "x.set()",
        "(1, 2)",
        "[1, {2: 3}]",
        "-1",
        "1+2j",
        "{1}",
        "f(1)",
        "set(**kw)",
        "b'x'",
    ],
)
def test_literals_as_literal_eval_reads_them(source: str) -> None:
    node = ast.parse(source, mode="eval").body
    try:
        expected = ast.literal_eval(node)
    except ValueError:
        expected = UNKNOWN
    assert literal(node) == expected


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "sa.String(length=50)",
        "sa.Numeric(10, 2)",
        "postgresql.ENUM('a', 'b', name='kind', create_type=False)",
        "sa.String().with_variant(sa.Text(), 'postgresql')",
        "op.f('ix_t_name')",
        "['name', 'id']",
        "('a', 'b')",
        "'it''s'",
        '"it\'s"',
        "'a\\nb'",
        "'tab\\there'",
        "'caf\u00e9'",
        "u'x'",
        "b'x'",
        "1 .real",
        "-1",
        "1.5",
        "True",
        "None",
        "...",
        "f(*args)",
        "f(**kw)",
        "f(a)(b)",
        "a[0]",
        "lambda: 1",
        "sa.Column('c', sa.Integer(), nullable=False, server_default=sa.text('0'))",
    ],
)
def test_source_as_unparse_writes_it(text: str) -> None:
    node = ast.parse(text, mode="eval").body
    assert source(node) == ast.unparse(node)


def test_no_source_without_a_node() -> None:
    assert source(None) is None
