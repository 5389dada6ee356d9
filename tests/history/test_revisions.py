"""Reading revision files statically: value shapes, headers, suppressions, the fast
paths against a full parse, and input that must never raise."""

from __future__ import annotations

import dataclasses
import string
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alembic_gate.history import revisions
from alembic_gate.history.revisions import RevisionFile, Value, read_revision, read_revision_source


def read(text: str | bytes) -> RevisionFile:
    data = text.encode() if isinstance(text, str) else text
    return read_revision_source(data, Path("versions/r.py"), "versions/r.py")


def read_slowly(text: str | bytes) -> RevisionFile:
    """The same file through a full `ast` parse only: no fast path, no head-only parse."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(revisions, "read_fast", lambda data: None)
        patch.setattr(revisions, "_head_source", lambda data: None)
        return read(text)


def facts(rev: RevisionFile) -> dict[str, object]:
    return {f.name: getattr(rev, f.name) for f in dataclasses.fields(rev) if f.name != "path"}


def line_of(text: str, variable: str) -> int:
    return text.count("\n", 0, text.index(f"\n{variable}")) + 2


# -- value shapes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "ids"),
    [
        ("None", ()),
        ("()", ()),
        ("[]", ()),
        ('""', ()),
        ("'ab12'", ("ab12",)),
        ('"ab12"', ("ab12",)),
        ("('ab12',)", ("ab12",)),
        ("('ab12', 'cd34')", ("ab12", "cd34")),
        ("['ab12', 'cd34']", ("ab12", "cd34")),
        ("('ab12', 'ab12')", ("ab12",)),
        ("(\n    'ab12',\n    'cd34',\n)", ("ab12", "cd34")),
        ("'ab' '12'", ("ab12",)),
    ],
)
@pytest.mark.parametrize("annotation", ["", ": str | tuple[str, ...] | None", ": Union[str, None]"])
def test_literal_values(source: str, ids: tuple[str, ...], annotation: str) -> None:
    text = (
        f"revision{annotation} = 'r1'\n"
        f"down_revision{annotation} = {source}\n"
        f"branch_labels{annotation} = {source}\n"
        f"depends_on{annotation} = {source}\n"
    )
    for rev in (read(text), read_slowly(text)):
        assert rev.problem is None
        assert rev.revision == "r1"
        assert rev.revision_line == 1
        assert rev.down_revision == Value(ids, True, 2)
        assert rev.branch_labels == Value(ids, True, line_of(text, "branch_labels"))
        assert rev.depends_on == Value(ids, True, line_of(text, "depends_on"))


@pytest.mark.parametrize("source", ["LABELS", "make_labels()", "('a', B)", "{'a'}", "f'{x}'", "1"])
def test_values_that_are_not_literals_are_unknown(source: str) -> None:
    rev = read(
        f"revision = 'r1'\ndown_revision = None\nbranch_labels = {source}\ndepends_on = {source}\n"
    )
    assert rev.problem is None
    assert rev.branch_labels == Value((), False, 3, source)
    assert rev.depends_on == Value((), False, 4, source)


def test_missing_optional_variables_are_empty() -> None:
    rev = read("revision = 'r1'\ndown_revision = 'r0'\n")
    assert rev.branch_labels == Value() and rev.depends_on == Value()
    assert rev.parents == ("r0",)


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        ("revision = 'a'\ndown_revision = get_parent()\n", "`down_revision` is not a literal", 2),
        ("revision = ('a', 'b')\ndown_revision = None\n", "`revision` is not a string literal", 1),
        ("revision = None\ndown_revision = None\n", "`revision` is not a string literal", 1),
        ("revision = ''\ndown_revision = None\n", "", 1),
        ("revision = 'a'\n", "no `down_revision` variable", 1),
        ("down_revision = None\n", "no `revision` variable", None),
        (
            "if True:\n    revision = 'a'\n    down_revision = None\n",
            "no `revision` variable",
            None,
        ),
        ("revision = 'a+1'\ndown_revision = None\n", "not allowed ('+')", 1),
        ("revision = 'a'\ndown_revision = ('b', 'label@c')\n", "not allowed ('@')", 2),
        ("revision = 'a'\ndown_revision = None\ndepends_on = 'x-y'\n", "not allowed ('-')", 3),
        ("revision = 'a'\ndown_revision = ('b', '')\n", "blank id", 2),
        ("revision = 'a'\ndown_revision = (\n", "syntax error", 2),
        ("\ufeffrevision = 'a'\ndown_revision = None\nx = )\n", "syntax error", 3),
    ],
)
def test_problems(text: str, problem: str, line: int | None) -> None:
    for rev in (read(text), read_slowly(text)):
        assert rev.problem is not None and problem in rev.problem
        assert rev.problem_line == line


def test_the_last_assignment_wins() -> None:
    text = "revision = 'a'\ndown_revision = None\ndown_revision = 'b'\n"
    assert read(text).down_revision == Value(("b",), True, 3)


def test_a_file_that_writes_at_import_is_never_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    path = tmp_path / "r.py"
    path.write_text(
        f"open({str(marker)!r}, 'w').write('x')\n"
        "import sys; sys.exit(3)\n"
        "revision = 'a'\ndown_revision = None\n"
    )
    rev = read_revision(path, tmp_path)
    assert (rev.revision, rev.display) == ("a", "r.py")
    assert not marker.exists()


def test_parsing_warnings_stay_quiet() -> None:
    text = "revision = 'a'\ndown_revision = get()\nx = '\\d'\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            read(text).problem == "`down_revision` is not a literal, so the graph cannot be built"
        )


def test_unreadable_and_odd_files(tmp_path: Path) -> None:
    assert read_revision(tmp_path / "gone.py", tmp_path).problem == (
        "cannot read file: No such file or directory"
    )
    assert "not UTF-8" in (read(b"revision = '\xff'\n").problem or "")
    assert "NUL bytes" in (read(b"revision = 'a'\x00\n").problem or "")
    assert read(b"").problem == "no `revision` variable at module level"


# -- headers and suppressions -------------------------------------------------------

HEADER = '''# a comment first
"""Add the user table

Revision ID: ab12
Revises: cd34, ef56
Create Date: 2024-01-01 00:00:00

"""
revision = 'ab12'
down_revision = ('cd34', 'ef56')
'''


def test_docstring_header_with_lines() -> None:
    for rev in (read(HEADER), read_slowly(HEADER)):
        assert rev.header_revision == ("ab12", 4)
        assert rev.header_revises == ("cd34, ef56", 5)


@pytest.mark.parametrize(
    "text",
    [
        "revision = 'a'\ndown_revision = None\n",
        "x = 1\n'''Revision ID: a'''\nrevision = 'a'\ndown_revision = None\n",
        "'''not a header\nRevision ID: a\n",
    ],
)
def test_no_header_outside_the_module_docstring(text: str) -> None:
    rev = read(text)
    assert rev.header_revision is None and rev.header_revises is None


def test_empty_revises_and_single_quotes() -> None:
    rev = read("'''\nRevision ID: a\nRevises:\n'''\nrevision = 'a'\ndown_revision = None\n")
    assert rev.header_revision == ("a", 2)
    assert rev.header_revises == ("", 3)


def test_suppressions() -> None:
    rev = read(
        "# alembic-gate: ignore[AG009]\n"
        '"""doc"""\n'
        "revision = 'a'\n"
        "down_revision = None  # alembic-gate: ignore[ag002, AG008]\n"
        "# alembic-gate: ignore[AG003]\n\n"
        "def upgrade():\n"
        "    # alembic-gate: ignore[AG103]\n"
        "    op.drop_table('t')  # alembic-gate: ignore[AG104]\n"
    )
    assert rev.suppressions == {
        0: frozenset({"AG009", "AG003"}),
        4: frozenset({"AG002", "AG008"}),
        8: frozenset({"AG103"}),
        9: frozenset({"AG104"}),
    }


# -- the fast paths against a full parse --------------------------------------------

IDS = st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=8)
QUOTES = st.sampled_from(["'", '"'])


@st.composite
def values(draw: st.DrawFn) -> str:
    quote = draw(QUOTES)
    ids = [f"{quote}{i}{quote}" for i in draw(st.lists(IDS, max_size=3))]
    shape = draw(st.sampled_from(["none", "str", "tuple", "list", "multiline", "empty", "expr"]))
    if shape == "none" or (not ids and shape == "str"):
        return "None"
    if shape == "str":
        return ids[0]
    if shape == "empty":
        return draw(st.sampled_from(["()", "[]", '""', "''", "('',)", "(None,)"]))
    if shape == "expr":
        return draw(st.sampled_from(["PARENT", "get()", "('a',) + B", "'a'.upper()"]))
    inner = ", ".join(ids) + ("," if len(ids) == 1 else "")
    if shape == "multiline":
        return "(\n    " + inner.replace(", ", ",\n    ") + "\n)"
    return f"({inner})" if shape == "tuple" else f"[{inner}]"


@st.composite
def revision_sources(draw: st.DrawFn) -> str:
    names = ["revision", "down_revision", "branch_labels", "depends_on"]
    chosen = draw(st.permutations(names))[: draw(st.integers(1, 4))]
    if draw(st.booleans()):
        chosen = ["revision", "down_revision", *[n for n in chosen if n not in names[:2]]]
    lines: list[str] = []
    if draw(st.booleans()):
        rid = draw(IDS)
        lines.append(f'"""Message\n\nRevision ID: {rid}\nRevises: {draw(IDS)}\n"""')
    lines.append(draw(st.sampled_from(["", "from alembic import op", "import sqlalchemy as sa"])))
    for name in chosen:
        annotation = draw(st.sampled_from(["", ": str", ": Union[str, Sequence[str], None]"]))
        value = (
            draw(IDS).join("''") if name == "revision" and draw(st.booleans()) else draw(values())
        )
        comment = draw(st.sampled_from(["", "  # comment", "  # alembic-gate: ignore[AG001]"]))
        lines.append(f"{name}{annotation} = {value}{comment}")
        lines += draw(st.sampled_from([[], [""], ["x = 1"], ["# note"]]))
    lines += draw(
        st.sampled_from(
            [
                [],
                ["", "def upgrade():", "    pass"],
                [
                    "",
                    "@decorator",
                    "def upgrade():",
                    '    op.execute("""',
                    "depends_on = 'zz'",
                    '""")',
                ],
                ["", "def upgrade():", "    x = '''", "revision = 'other'", "'''"],
                ["", "class A:", "    revision = 'inner'"],
                ["", "def upgrade():", "    pass", "depends_on = 'late'"],
            ]
        )
    )
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(revision_sources())
@example("revision = 'a'\ndown_revision = ('b', '')\n")
@example("revision = 'a'\ndown_revision = None\ndef f():\n    x('''\ndepends_on = 'zz'\n''')\n")
def test_fast_paths_read_what_a_full_parse_reads(source: str) -> None:
    fast, slow = read(source), read_slowly(source)
    if slow.problem is not None:
        assert fast.problem is not None
        fast.problem = slow.problem
    assert facts(fast) == facts(slow)


# -- never raises --------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert isinstance(read(data), RevisionFile)
    assert isinstance(read(b"revision = 'a'\ndown_revision = None\n" + data), RevisionFile)


@settings(max_examples=300, deadline=None)
@given(revision_sources(), st.data())
def test_mangled_python_never_raises(source: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(source)))
        cut = data.draw(st.integers(0, 5))
        junk = data.draw(st.text(max_size=4))
        source = source[:at] + junk + source[at + cut :]
    rev = read(source.encode("utf-8", "surrogatepass"))
    assert rev.problem is not None or rev.revision is not None


@pytest.mark.parametrize(
    "expression",
    [
        "-" * 600 + "1",
        "x" + ".a" * 2000,
        "+".join(["x"] * 3000),
        "(" * 300 + ")" * 300,
        "not " * 5000 + "x",
    ],
)
def test_deeply_nested_expressions_never_raise(expression: str) -> None:
    for variable in ("revision", "down_revision", "depends_on"):
        text = f"revision = 'a'\ndown_revision = None\n{variable} = {expression}\ndef f(): pass\n"
        assert read(text).problem or read(text).depends_on.known is False
