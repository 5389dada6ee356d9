"""Reading revision files statically: value shapes, headers, suppressions, values that
equal what Python evaluates whatever comments and strings surround them, encodings,
syntax errors anywhere, and input that must never raise."""

from __future__ import annotations

import ast
import string
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alembic_gate.history.revisions import (
    RevisionFile,
    StoredOps,
    Value,
    packed_place,
    read_revision,
    read_revision_source,
    shown_as,
)
from alembic_gate.shared import records


def read(text: str | bytes) -> RevisionFile:
    data = text.encode() if isinstance(text, str) else text
    return read_revision_source(data, Path("versions/r.py"), "versions/r.py")


def facts(rev: RevisionFile) -> dict[str, object]:
    return {f.name: getattr(rev, f.name) for f in records.fields(rev) if f.name != "path"}


def line_of(text: str, variable: str) -> int:
    return text.count("\n", 0, text.index(f"\n{variable}")) + 2


# -- value shapes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "ids"),
    [
        ("None", ()),
        ("()", ()),
        ("[]", ()),
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
    for rev in (read(text),):
        assert rev.problem is None
        assert rev.revision == "r1"
        assert rev.revision_line == 1
        assert rev.down_revision == Value(ids, True, 2)
        # a label listed twice stays twice (AG006)
        labels = ids * 2 if source == "('ab12', 'ab12')" else ids
        assert rev.branch_labels == Value(labels, True, line_of(text, "branch_labels"))
        assert rev.depends_on == Value(ids, True, line_of(text, "depends_on"))


@pytest.mark.parametrize(
    "source", ["LABELS", "make_labels()", "('a', B)", "{'a', B}", "f'{x}'", "1"]
)
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
        ("revision = ''\ndown_revision = None\n", "`revision` id '' is not allowed (blank id)", 1),
        ("revision = 'a'\ndown_revision = ''\n", "`down_revision` id '' is not allowed", 2),
        ("revision = 'a'\ndown_revision = None\ndepends_on = ['', 'b']\n", "blank id", 3),
        ("revision = 'a'\ndown_revision = None\ndepends_on = ' '\n", "blank id", 3),
        ("revision = 'a'\n", "no `down_revision` variable", 1),
        ("down_revision = None\n", "no `revision` variable", None),
        ("revision = 'a+1'\ndown_revision = None\n", "not allowed ('+')", 1),
        ("revision = 'a'\ndown_revision = ('b', 'label@c')\n", "not allowed ('@')", 2),
        ("revision = 'a'\ndown_revision = None\ndepends_on = 'x-y'\n", "not allowed ('-')", 3),
        ("revision = 'a'\ndown_revision = ('b', '')\n", "blank id", 2),
        ("revision = 'a'\ndown_revision = (\n", "syntax error", 2),
        ("\ufeffrevision = 'a'\ndown_revision = None\nx = )\n", "syntax error", 3),
    ],
)
def test_problems(text: str, problem: str, line: int | None) -> None:
    for rev in (read(text),):
        assert rev.problem is not None and problem in rev.problem
        assert rev.problem_line == line


@pytest.mark.parametrize("value", ["''", '""', "('',)", "['']", "{''}"])
def test_a_blank_depends_on_is_no_dependency(value: str) -> None:
    """alembic keeps a single `depends_on` id as a plain string and resolves none when
    it is empty (invenio-accounts' `depends_on = ""`): the revision is read, with no
    dependency, as alembic runs it."""
    rev = read(f"revision = 'a'\ndown_revision = 'b'\ndepends_on = {value}\n")
    assert rev.problem is None
    assert rev.depends_on == Value((), True, 3)


def test_the_last_assignment_wins() -> None:
    text = "revision = 'a'\ndown_revision = None\ndown_revision = 'b'\n"
    assert read(text).down_revision == Value(("b",), True, 3)


# -- bindings other than one plain assignment ------------------------------------------


@pytest.mark.parametrize(
    ("text", "revision", "parents"),
    [
        ("revision, down_revision = 'b', 'a'\n", "b", ("a",)),
        ("(revision, down_revision) = ['b', ('a', 'c')]\n", "b", ("a", "c")),
        ("revision = 'b'\ndown_revision = parent = 'a'\n", "b", ("a",)),
        ("revision = down_revision = 'b'\ndown_revision = 'a'\n", "b", ("a",)),
        ("x, (revision, down_revision) = 1, ('b', None)\n", "b", ()),
        (
            "for down_revision in ['z']:\n    pass\nrevision = 'b'\ndown_revision = 'a'\n",
            "b",
            ("a",),
        ),
        ("if x:\n    revision = 'z'\nrevision, down_revision = 'b', 'a'\n", "b", ("a",)),
        ("revision = 'b'\ndown_revision = 'a'\nif x:\n    other = 1\n", "b", ("a",)),
        ("revision = 'b'\ndown_revision = 'a'\nclass A:\n    revision = 'z'\n", "b", ("a",)),
        (
            "revision = 'b'\ndown_revision = 'a'\n"
            "if x:\n    def f(revision='z'):\n        down_revision = 1\n",
            "b",
            ("a",),
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nif x:\n    y = [revision for revision in z]\n",
            "b",
            ("a",),
        ),
    ],
)
def test_literal_bindings_are_read_as_python_runs_them(
    text: str, revision: str, parents: tuple[str, ...]
) -> None:
    rev = read(text)
    assert (rev.problem, rev.revision, rev.parents) == (None, revision, parents)


def test_an_unpacked_id_points_at_its_own_line() -> None:
    rev = read("revision, down_revision = (\n    'b',\n    'a',\n)\n")
    assert (rev.revision_line, rev.down_line) == (1, 1)


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        (
            "revision = 'bb'\nrevision += 'b'\ndown_revision = 'a'\n",
            "`revision` is bound by an augmented assignment",
            2,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nif True:\n    down_revision = 'c'\n",
            "`down_revision` is bound in an `if` block",
            4,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\n"
            "if x:\n    pass\nelse:\n    down_revision = 'c'\n",
            "in an `if` block",
            6,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nfor down_revision in ['z']:\n    pass\n",
            "`down_revision` is bound in a `for` loop",
            3,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nwhile x:\n    revision = 'c'\n",
            "`revision` is bound in a `while` loop",
            4,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\n"
            "try:\n    pass\nexcept E as down_revision:\n    pass\n",
            "in a `try` block",
            5,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nwith f() as revision:\n    pass\n",
            "in a `with` block",
            3,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nmatch x:\n    case [revision]:\n        pass\n",
            "in a `match` block",
            4,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\ndel down_revision\n",
            "`down_revision` is bound by `del`",
            3,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nfrom ids import down_revision\n",
            "bound by an import",
            3,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nimport revision\n",
            "`revision` is bound by an import",
            3,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\ndef revision():\n    pass\n",
            "`revision` is bound by a `def`",
            3,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nprint(revision := 'c')\n",
            "`revision` is bound by an expression",
            3,
        ),
        (
            "revision, down_revision = ids()\n",
            "`revision` is bound by an assignment lint cannot match up",
            1,
        ),
        (
            "revision, *down_revision = 'b', 'a'\n",
            "`revision` is bound by an assignment lint cannot match up",
            1,
        ),
        (
            "revision = 'b'\ndown_revision = 'a'\nx, down_revision = 'b'\n",
            "`down_revision` is bound by an assignment",
            3,
        ),
        (
            "if True:\n    revision = 'a'\n    down_revision = None\n",
            "`revision` is bound in an `if` block",
            2,
        ),
    ],
)
def test_bindings_lint_cannot_evaluate_are_problems(text: str, problem: str, line: int) -> None:
    rev = read(text)
    assert rev.problem is not None and problem in rev.problem, rev.problem
    assert rev.problem.startswith("`") and f"(line {line})" in rev.problem
    assert rev.problem_line == line


def test_labels_bound_in_a_way_lint_cannot_read_are_unknown() -> None:
    rev = read(
        "revision = 'b'\ndown_revision = 'a'\nbranch_labels = ('x',)\ndepends_on = None\n"
        "if y:\n    branch_labels = ('z',)\ndepends_on += ('c',)\n"
    )
    assert (rev.problem, rev.revision, rev.parents) == (None, "b", ("a",))
    assert (rev.branch_labels.known, rev.branch_labels.line) == (False, 6)
    assert (rev.depends_on.known, rev.depends_on.line) == (False, 7)


def test_a_label_listed_twice_stays_twice() -> None:
    # alembic refuses it (AG006), where an id named twice in down_revision or depends_on
    # is one edge to it
    rev = read(
        "revision = 'b'\ndown_revision = ('a', 'a')\nbranch_labels = ['x', 'x']\n"
        "depends_on = ('c', 'c')\n"
    )
    assert (rev.parents, rev.branch_labels.ids, rev.depends_on.ids) == (("a",), ("x", "x"), ("c",))


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
    other = HEADER.replace("revision = 'ab12'", "revision = 'ab13'").replace("'ef56'", "'ef57'")
    for rev in (read(other), read(other + "def upgrade(:\n")):
        assert rev.header_revision == ("ab12", 4)
        assert rev.header_revises == ("cd34, ef56", 5)


@pytest.mark.parametrize("tail", ["", "def upgrade(:\n"])
def test_a_header_that_names_what_the_variables_say_is_not_kept(tail: str) -> None:
    """AG009 reports only a header that disagrees: the others are not held."""
    rev = read(HEADER + tail)
    assert rev.header_revision is None and rev.header_revises is None
    rev = read(HEADER.replace("Revises: cd34, ef56", "Revises: ('ef56', 'cd34')") + tail)
    assert rev.header_revises is None
    base = read(
        "'''\nRevision ID: base\nRevises: <base>\n'''\nrevision = 'base'\ndown_revision = None\n"
    )
    assert base.header_revision == ("base", 2)  # names no id: AG009 reports it
    assert base.header_revises is None


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
    rev = read("'''\nRevision ID: a\nRevises:\n'''\nrevision = 'b'\ndown_revision = 'c'\n")
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


@pytest.mark.parametrize(
    "marker",
    ["Alembic-Gate: ignore", "ALEMBIC-GATE: IGNORE", "alembic-gate: Ignore", "aLeMbIc-GaTe:iGnOrE"],
)
def test_a_suppression_in_another_letter_case_suppresses(marker: str) -> None:
    """The marker is read in any letter case, as ruff reads `# NOQA` and `# NoQA`, and
    so are the codes (they were already): a user who wrote it expects it to work."""
    rev = read(
        f"# {marker}[ag009]\n"
        "revision = 'a'\n"
        f"down_revision = None  #{marker}[Ag002, AG008]\n"
        "def upgrade():\n"
        f"    op.drop_table('t')  # {marker}[ag103]\n"
    )
    assert rev.suppressions == {
        0: frozenset({"AG009"}),
        3: frozenset({"AG002", "AG008"}),
        5: frozenset({"AG103"}),
    }


def test_a_near_marker_in_another_case_is_no_suppression() -> None:
    """What the marker is not, in any case, stays no suppression: another name, a missing
    colon, a non-ASCII letter that re.IGNORECASE would take for an ASCII one (dotless
    `\u0131` for `i`, dotted `\u0130` for `I`)."""
    rev = read(
        "revision = 'a'\n"
        "down_revision = None  # alembic-gatex: ignore[AG002]\n"
        "x = 1  # Alembic-Gate ignore[AG103]\n"
        "y = 1  # alemb\u0131c-gate: ignore[AG103]\n"
        "z = 1  # ALEMBIC-GATE: \u0130GNORE[AG103]\n"
    )
    assert rev.suppressions == {}


def test_suppression_text_in_a_string_is_no_suppression() -> None:
    """Only a comment suppresses: the same text in the docstring (on a line of its own
    in the header, where it silenced the whole file), in a string on a code line, or in a
    string that spans lines counts for nothing; a comment after such a string does."""
    rev = read(
        '"""drop the legacy column\n'
        "\n"
        "Once the old code is gone we may add\n"
        "# alembic-gate: ignore[AG103]\n"
        '"""\n'
        "revision = 'a'\n"
        "down_revision = None\n"
        "\n"
        "def upgrade():\n"
        "    op.execute(\"UPDATE t SET n = '# alembic-gate: ignore[AG103]'\")"
        "; op.drop_column('t', 'c')\n"
        "    op.execute('''\n"
        "        # alembic-gate: ignore[AG104]\n"
        "    ''')  # alembic-gate: ignore[AG106]\n"
        "    op.drop_column('t', 'd')  # alembic-gate: ignore[ag103]\n"
    )
    assert rev.suppressions == {13: frozenset({"AG106"}), 14: frozenset({"AG103"})}


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'"""caf\xc3\xa9"""\rrevision = "a"\rdown_revision = None\rx = 1  # SUPPRESS\r', 4),
        (b'revision = "a"\r\ndown_revision = None\r\nx = 1  # SUPPRESS\r\n', 3),
        (b'revision = "a"\ndown_revision = None\n\x0c\n# \x1c\nx = 1  # SUPPRESS\n', 5),
        (b'revision = "a"\ndown_revision = None\ns = "\xc2\x85\xe2\x80\xa8"  # SUPPRESS\n', 3),
    ],
    ids=["lone CR", "CRLF", "form feed", "NEL and LS in a string"],
)
def test_a_suppression_is_on_the_line_python_numbers(data: bytes, line: int) -> None:
    """Lines end where Python ends them: a lone CR does (the tokenizer was given the
    text as one line), a form feed, \\x1c, NEL or LINE SEPARATOR do not (str.splitlines
    broke there, and every later suppression was a line off its finding)."""
    rev = read(data.replace(b"SUPPRESS", b"alembic-gate: ignore[AG103]"))
    assert rev.problem is None
    assert rev.suppressions == {line: frozenset({"AG103"})}


@pytest.mark.parametrize("tail", ["def upgrade(:\n", "def f():\n  x\n y\n"])
def test_suppressions_above_a_syntax_error_are_read(tail: str) -> None:
    rev = read(
        "# alembic-gate: ignore[AG009]\nrevision = 'a'  # alembic-gate: ignore[AG001]\n"
        "down_revision = None\n" + tail
    )
    assert rev.suppressions == {0: frozenset({"AG009"}), 2: frozenset({"AG001"})}


# -- what is read is what Python evaluates ------------------------------------------

IDS = st.text(string.ascii_lowercase + string.digits + "_#", min_size=1, max_size=8)
QUOTES = st.sampled_from(["'", '"'])
# Text around the variables that must never change what is read: quoted words and
# assignments in comments, strings and docstrings.
NOISE_COMMENTS = st.sampled_from(
    [
        "",
        "  # comment",
        '  # rebased from "zzz"',
        "  # needs 'Force naming convention', \"other\"",
        "  # down_revision = 'fake'",
        "  # alembic-gate: ignore[AG001]",
        "  # (",
        '  # """',
    ]
)
NOISE_LINES = st.sampled_from(
    [
        [],
        [""],
        ["x = 1"],
        ["# note 'quoted' \"words\""],
        ["# depends_on = 'fake'"],
        ['"""', "down_revision = 'fake'", "depends_on = ('x', 'y')", '"""'],
        ["'''revision = \"fake\"'''"],
        ["NOTE = 'revision = \"fake\"  # not a comment'"],
        ["if False:", "    down_revision = 'fake'"],
    ]
)
ENDINGS = st.sampled_from(
    [
        [],
        ["", "def upgrade():", "    pass"],
        ["", "@decorator", "def upgrade():", '    op.execute("""', "depends_on = 'zz'", '""")'],
        ["", "def upgrade():", "    x = '''", "revision = 'other'", "'''"],
        ["", "class A:", "    revision = 'inner'"],
    ]
)


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
        comment = draw(NOISE_COMMENTS)
        return "(" + comment + "\n    " + inner.replace(", ", f",{comment}\n    ") + "\n)"
    return f"({inner})" if shape == "tuple" else f"[{inner}]"


Assigned = dict[str, tuple[str, int]]


@st.composite
def revision_sources(draw: st.DrawFn) -> tuple[str, Assigned]:
    """A revision file with noise around its variables, and each variable's value
    source and line."""
    names = ["revision", "down_revision", "branch_labels", "depends_on"]
    chosen = ["revision", "down_revision"]
    chosen += [n for n in draw(st.permutations(names[2:])) if draw(st.booleans())]
    chosen = draw(st.permutations(chosen))
    lines: list[str] = []
    if draw(st.booleans()):
        lines += ['"""Message', "", f"Revision ID: {draw(IDS)}", "Revises: zzz", "", '"""']
    lines.append(draw(st.sampled_from(["", "from alembic import op", "import sqlalchemy as sa"])))
    assigned: Assigned = {}
    for name in chosen:
        lines += draw(NOISE_LINES)
        annotation = draw(st.sampled_from(["", ": str", ": Union[str, Sequence[str], None]"]))
        quote = draw(QUOTES)
        value = f"{quote}{draw(IDS)}{quote}" if name == "revision" else draw(values())
        assigned[name] = (value, sum(item.count("\n") + 1 for item in lines) + 1)
        lines.append(f"{name}{annotation} = {value}{draw(NOISE_COMMENTS)}")
        lines += draw(NOISE_LINES)
    lines += draw(ENDINGS)
    return "\n".join(lines) + "\n", assigned


def evaluated(source: str, line: int, unique: bool = True, name: str = "") -> Value:
    """A variable's Value from `ast.literal_eval` of its value's source alone (a label
    listed twice stays twice: `unique` False for branch_labels)."""
    try:
        value = ast.literal_eval(source)
    except ValueError:
        return Value((), False, line, source)
    if value in (None, (), []):  # "" is a blank id, as alembic reads it
        return Value((), True, line)
    if name == "depends_on" and value in ("", ("",), [""]):  # ...but no dependency here
        return Value((), True, line)
    if isinstance(value, str):
        return Value((value,), True, line)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return Value(tuple(dict.fromkeys(value) if unique else value), True, line)
    return Value((), False, line, source)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(revision_sources(), st.booleans())
@example(
    (
        'revision = "bbb"\ndown_revision = "aaa"  # rebased from "zzz"\n',
        {"revision": ('"bbb"', 1), "down_revision": ('"aaa"', 2)},
    ),
    False,
)
@example(
    (
        "revision = 'b'\ndown_revision = None\ndepends_on = 'c1'  # needs \"Force naming\"\n",
        {"revision": ("'b'", 1), "down_revision": ("None", 2), "depends_on": ("'c1'", 3)},
    ),
    True,
)
def test_what_is_read_is_what_python_evaluates(
    case: tuple[str, Assigned], broken_below: bool
) -> None:
    source, assigned = case
    if broken_below:  # a syntax error below the variables changes none of them
        source += "\ndef upgrade(:\n    pass\n"
    rev = read(source)
    below = source.split("\n")[assigned["down_revision"][1] :]
    if "    down_revision = 'fake'" in below:  # in an `if` block after the variable
        assert (rev.problem or "").startswith("`down_revision` is bound in an `if` block")
        return
    expected = {
        name: evaluated(*where, unique=name != "branch_labels", name=name)
        for name, where in assigned.items()
    }
    if not expected["down_revision"].known:
        assert rev.problem == "`down_revision` is not a literal, so the graph cannot be built"
        return
    ids = [v.ids for n, v in expected.items() if n != "branch_labels"]
    if any(not rid.strip() for group in ids for rid in group):
        assert rev.problem is not None and "blank id" in rev.problem
        return
    assert rev.problem is None
    assert rev.revision == expected["revision"].ids[0]
    assert rev.revision_line == assigned["revision"][1]
    for name in ("down_revision", "branch_labels", "depends_on"):
        got, want = getattr(rev, name), expected.get(name, Value())
        assert (got.ids, got.known, got.line) == (want.ids, want.known, want.line), name
    assert (rev.syntax_error is not None) == broken_below


def test_a_syntax_error_below_the_variables_keeps_the_file_in_the_graph() -> None:
    rev = read("revision = 'b'\ndown_revision = 'a'\n\n\ndef upgrade():\n    op.add(\n")
    assert (rev.revision, rev.parents, rev.problem) == ("b", ("a",), None)
    assert rev.syntax_error is not None and rev.syntax_error[1] == 6
    assert rev.syntax_error[0].startswith("syntax error:")


# -- encodings, as Python decodes them ---------------------------------------------------

LATIN_1 = "# -*- coding: latin-1 -*-\n'''Caf\xe9 table'''\nrevision = 'a'\ndown_revision = None\n"


@pytest.mark.parametrize(
    "data",
    [
        LATIN_1.encode("latin-1"),
        ("#!/usr/bin/env python\n" + LATIN_1.split("\n", 1)[1]).encode("utf-8"),
        b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n"
        b"revision = 'a'\ndown_revision = None\n",
        b"\xef\xbb\xbfrevision = 'a'\ndown_revision = None\n",
    ],
)
def test_declared_encodings_are_honoured(data: bytes) -> None:
    rev = read(data)
    assert (rev.problem, rev.syntax_error, rev.revision) == (None, None, "a")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"revision = 'caf\xe9'\ndown_revision = None\n", "not UTF-8 text (byte 15)"),
        (b"# coding: nope\nrevision = 'a'\n", "bad coding line: unknown encoding: nope"),
        (b"\xef\xbb\xbf# coding: latin-1\nrevision = 'a'\n", "bad coding line: encoding problem"),
    ],
)
def test_undecodable_files(data: bytes, problem: str) -> None:
    assert (read(data).problem or "").startswith(problem)


@pytest.mark.parametrize(
    "data",
    [
        b"revision = 'b'\ndown_revision = 'a'\n# caf\xe9\n",
        b"# caf\xe9\nrevision = 'b'\ndown_revision = 'a'\n",
        b"\xef\xbb\xbfrevision = 'b'  # caf\xe9\ndown_revision = 'a'\n",
    ],
)
def test_bytes_python_lets_through_in_comments_are_read(data: bytes) -> None:
    """CPython's tokenizer does not decode comments: a file whose only bytes that are not
    UTF-8 stand in one compiles (and alembic loads it), so it is read."""
    compile(data, "r.py", "exec")  # what Python does, for the record
    rev = read(data)
    assert (rev.problem, rev.revision, rev.parents) == (None, "b", ("a",))


def test_a_comment_not_utf8_keeps_its_suppression() -> None:
    rev = read(b"revision = 'b'\ndown_revision = 'a'  # alembic-gate: ignore[AG009] caf\xe9\n")
    assert (rev.problem, rev.suppressions) == (None, {2: frozenset({"AG009"})})


@pytest.mark.parametrize(
    "data",
    [
        b"'''caf\xe9'''\nrevision = 'b'\ndown_revision = 'a'\n",
        b"revision = 'b'\ndown_revision = 'a'\n# caf\xe9\nx = b'\xe9'\n",
        b"revision = 'b'\ndown_revision = 'a'\n# caf\xe9\nx = )\n",
    ],
)
def test_bytes_python_rejects_stay_unreadable(data: bytes) -> None:
    rev = read(data)
    assert (rev.problem or "").startswith("not UTF-8 text"), rev.problem


# -- never raises --------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert isinstance(read(data), RevisionFile)
    assert isinstance(read(b"revision = 'a'\ndown_revision = None\n" + data), RevisionFile)


@settings(max_examples=300, deadline=None)
@given(revision_sources(), st.data())
def test_mangled_python_never_raises(case: tuple[str, Assigned], data: st.DataObject) -> None:
    source = case[0]
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


def test_a_latin_1_revision_reads_as_alembic_loads_it(tmp_path: Path) -> None:
    """tests/projects/latin1: a revision with `# -*- coding: latin-1 -*-` and latin-1
    bytes. Real alembic (in a child process: it imports the files) and this reader agree
    on the history and on the docstring."""
    import json
    import shutil
    import subprocess
    import sys

    from alembic_gate.history.load import load_history
    from alembic_gate.history.operations import operations
    from alembic_gate.setup.discovery import find_setups

    project = Path(
        shutil.copytree(Path(__file__).parents[1] / "projects" / "latin1", tmp_path / "p")
    )
    raw = next(project.glob("alembic/versions/6f7a*.py")).read_bytes()
    assert b"Gen\xe8ve" in raw and raw.startswith(b"# -*- coding: latin-1 -*-\n")
    probe = (
        "import json\nfrom alembic.config import Config\n"
        "from alembic.script import ScriptDirectory\n"
        "script = ScriptDirectory.from_config(Config('alembic.ini'))\n"
        "print(json.dumps({r.revision: [list(r._all_down_revisions), r.doc] "
        "for r in script.walk_revisions()}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True
    )
    by_alembic = json.loads(run.stdout)
    history = load_history(find_setups([], "alembic", [], False, project)[0], project, False)
    mine = {
        rid: [list(rev.parents), operations(rev).message]
        for rid, rev in history.graph.by_id.items()
    }
    assert mine == by_alembic
    assert by_alembic["6f7a8b9c0d1e"][1] == "add person city (Zürich, Genève)"
    assert not history.graph.unparsable


def test_header_lines_as_the_pattern_finds_them() -> None:
    """`_header_lines` finds what `^[ \t]*(Revision ID|Revises)[ \t]*:[ \t]*(.*?)[ \t]*$`
    (MULTILINE) finds, on the line the match starts."""
    import random
    import re

    from alembic_gate.history.revisions import _header_lines

    pattern = re.compile(r"^[ \t]*(Revision ID|Revises)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
    pieces = ["Revision ID", "Revises", "Revision", ":", " ", "\t", "\n", "\r", "ab", "x y"]
    pieces += ["\u00a0", "é", "Revises:", "\f"]
    rng = random.Random(3)
    for _ in range(20000):
        doc = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        expected = [
            (m.group(1), m.group(2), doc.count("\n", 0, m.start())) for m in pattern.finditer(doc)
        ]
        assert list(_header_lines(doc)) == expected, doc


@given(st.integers(0, (1 << 40) - 1), st.integers(0, (1 << 32) - 1))
def test_a_place_of_stored_operations_is_held_as_one_int(offset: int, length: int) -> None:
    """Offset and length come back as they went in, from an int that is never one of
    the small ints Python shares (operations are remembered by its identity)."""
    rev = RevisionFile("/x/a.py", "a.py")
    source = object()
    rev.store_ops(StoredOps((source, offset, length)))  # type: ignore[arg-type]
    assert rev.stored_ops() == (source, offset, length)
    assert rev.ops_at is not None and rev.ops_at >= 1 << 32
    assert packed_place(offset, length) is not packed_place(offset, length)


@pytest.mark.parametrize("offset, length", [(-5, 3), (0, -1), (1 << 40, 1), (0, 1 << 32)])
def test_a_place_no_file_holds_stays_one(offset: int, length: int) -> None:
    """A damaged entry's offset or length: read as the offset -1, where nothing is."""
    rev = RevisionFile("/x/a.py", "a.py")
    rev.store_ops(StoredOps((object(), offset, length)))  # type: ignore[arg-type]
    at = rev.stored_ops()
    assert at is not None and (at[1], at[2]) == (-1, 1)


def test_a_display_path_at_the_end_of_the_file_path_is_not_held_twice() -> None:
    assert shown_as("/work/p/migrations/a.py", "migrations/a.py") == len("/work/p/")
    assert RevisionFile("/work/p/m/a.py", len("/work/p/")).display == "m/a.py"
    assert shown_as("/elsewhere/a.py", "../elsewhere/a.py") == "../elsewhere/a.py"
    assert shown_as("a.py", "a.py") == "a.py"


UNUSUAL_FILES = {
    "down_source": 'revision = "b"\ndown_revision = PARENT\n',
    "problem": 'revision = "b-c"\ndown_revision = None\n',
    "header": '"""x\n\nRevision ID: zz\nRevises: yy\n"""\nrevision = "b"\ndown_revision = "a"\n',
    "syntax_error": 'revision = "b"\ndown_revision = "a"\n\ndef upgrade(:\n    pass\n',
}


@pytest.mark.parametrize("kind", UNUSUAL_FILES)
def test_what_few_files_have_is_held_apart_and_comes_back_from_the_cache(kind: str) -> None:
    """A file's unusual facts are read through the fields' old names, held in one
    record, and come back equal from a cache entry; a plain file holds none."""
    from alembic_gate.history.cache import from_entry, to_entry

    rev = read(UNUSUAL_FILES[kind])
    assert rev.unusual is not None
    seen = {
        "down_source": rev.down_source,
        "problem": rev.problem,
        "header": rev.header_revision,
        "syntax_error": rev.syntax_error,
    }
    assert seen[kind] is not None
    back = from_entry(to_entry(rev), rev.file, rev.display, {})
    assert back == rev and back.unusual == rev.unusual
    assert read('revision = "b"\ndown_revision = "a"\n').unusual is None


def test_a_file_whose_unusual_facts_are_all_cleared_equals_one_that_never_had_any() -> None:
    plain = read('revision = "b"\ndown_revision = "a"\n')
    rev = read('revision = "b"\ndown_revision = "a"\n')
    rev.problem, rev.problem_line = "broken", 3
    assert rev != plain and (rev.problem, rev.problem_line) == ("broken", 3)
    rev.problem = rev.problem_line = None
    assert rev.unusual is None and rev == plain
    rev.header_revises = None  # setting nothing where nothing is held makes nothing
    assert rev.unusual is None


# What Python's parser takes but its compiler refuses, so that alembic's import fails
# with a SyntaxError (the syntax check was the parse alone: these passed silently).
_IDS = "revision = 'b'\ndown_revision = 'a'\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (  # a __future__ import added below the others
            f"import sqlalchemy as sa\nfrom __future__ import annotations\n{_IDS}",
            2,
            "from __future__ imports must occur at the beginning of the file",
        ),
        (f"from __future__ import annotation\n{_IDS}", 1, "future feature annotation"),
        (f"{_IDS}def upgrade():\n    pass\nreturn None\n", 5, "'return' outside function"),
        (f"{_IDS}class Model:\n    return 1\n", 4, "'return' outside function"),
        (f"{_IDS}def upgrade():\n    continue\n", 4, "'continue' not properly in loop"),
        (f"{_IDS}def upgrade():\n    await op.f()\n", 4, "'await' outside async function"),
        (f"{_IDS}def upgrade():\n    x = 1\n    global x\n", 5, "assigned to before global"),
        (f"{_IDS}def upgrade():\n    *a = 'x'\n", 4, "starred assignment target"),
        (
            f"{_IDS}try:\n    pass\nexcept:\n    pass\nexcept ValueError:\n    pass\n",
            5,
            "default 'except:' must be last",
        ),
        (
            f"{_IDS}match x:\n    case y:\n        pass\n    case 1:\n        pass\n",
            4,
            "makes remaining patterns unreachable",
        ),
        # a keyword argument given twice: on one line, on lines of their own (a comment
        # between), in a column of create_table, in a call of upgrade() that is no op
        (
            f"{_IDS}def upgrade():\n    op.add_column('t', sa.Column('c', nullable=True, "
            "nullable=False))\n",
            4,
            "keyword argument repeated: nullable",
        ),
        (
            f"{_IDS}def upgrade():\n    op.alter_column(\n        'users',\n        'email',\n"
            "        nullable=True,  # was False\n        existing_type=sa.String(length=50),\n"
            "        nullable=False,\n    )\n",
            9,
            "keyword argument repeated: nullable",
        ),
        (
            f"{_IDS}def upgrade():\n    op.create_table(\n        't',\n        sa.Column("
            "'id', sa.Integer(), primary_key=True, primary_key=False),\n    )\n",
            6,
            "keyword argument repeated: primary_key",
        ),
        (
            f"{_IDS}def upgrade():\n    if ready:\n        op.f(name=1, name=2)\n",
            5,
            "keyword argument repeated: name",
        ),
        # a parameter named twice: a helper's, a nested one's, a lambda's
        (f"{_IDS}def _add(table, table):\n    pass\n", 3, "duplicate argument 'table'"),
        (
            f"{_IDS}def upgrade():\n    def each(name, *, name=None):\n        pass\n",
            4,
            "duplicate argument 'name'",
        ),
        (f"{_IDS}key = lambda row, row: row\n", 3, "duplicate argument 'row'"),
        # more than 20 statically nested blocks: loops, a `with` of many items, handlers
        (
            _IDS + "".join(" " * i + f"for x{i} in y:\n" for i in range(21)) + " " * 21 + "pass\n",
            23,
            "too many statically nested blocks",
        ),
        (
            f"{_IDS}def upgrade():\n    with " + ", ".join(f"a{i}" for i in range(21)) + ":\n"
            "        pass\n",
            4,
            "too many statically nested blocks",
        ),
        (
            _IDS
            + "".join(
                " " * (2 * i)
                + "try:\n"
                + " " * (2 * i + 1)
                + "pass\n"
                + " " * (2 * i)
                + "except E:\n"
                for i in range(11)
            )
            + " " * 22
            + "pass\n",
            33,
            "too many statically nested blocks",
        ),
        # an assignment to __debug__, in any of the ways a name is bound
        (f"{_IDS}__debug__ = False\n", 3, "cannot assign to __debug__"),
        (f"{_IDS}def upgrade(__debug__=1):\n    pass\n", 3, "cannot assign to __debug__"),
        (f"{_IDS}op.f(__debug__=1)\n", 3, "cannot assign to __debug__"),
    ],
)
def test_what_the_compiler_refuses_is_a_syntax_error(text: str, line: int, message: str) -> None:
    with pytest.raises(SyntaxError, match=message):
        compile(text, "r.py", "exec", dont_inherit=True)  # (as alembic's import does)
    rev = read(text)
    assert (rev.revision, rev.parents, rev.problem) == ("b", ("a",), None)
    assert rev.syntax_error is not None
    assert rev.syntax_error[0].startswith("syntax error: ") and message in rev.syntax_error[0]
    assert rev.syntax_error[1] == line


@pytest.mark.parametrize(
    "text",
    [
        f"'''Doc.'''\nfrom __future__ import annotations\nfrom __future__ import division\n{_IDS}",
        f"{_IDS}def upgrade():\n    for x in y:\n        continue\n    return None\n",
        f"{_IDS}class M:\n    def f(self):\n        return 1\n",
        f"{_IDS}def upgrade():\n    op.execute('SELECT * FROM t')\n    f(*a, **k)\n",
        f"{_IDS}async def upgrade():\n    await op.f()\n",
        f"{_IDS}def upgrade():\n    if (n := 1):\n        pass\n",
        # each keyword once in its own call, though the calls nest and follow each other
        f"{_IDS}def upgrade():\n    op.add_column('t', sa.Column('c', sa.String(length=5),"
        " nullable=True), schema=None)\n    op.add_column('u', sa.Column('c', nullable=True))\n",
        f"{_IDS}x = dict(a=1,\n         b=dict(a=2))\ny = dict(a=3)\nx = 4\n",
        f"{_IDS}def _add(table, column, *args, **kwargs):\n    return lambda a, b: a\n",
        # 20 nested loops are allowed; `if` blocks are no blocks of the compiler's
        _IDS + "".join(" " * i + f"for x{i} in y:\n" for i in range(20)) + " " * 20 + "pass\n",
        _IDS + "".join(" " * i + "if x:\n" for i in range(30)) + " " * 30 + "pass\n",
        f"{_IDS}if __debug__:\n    x = __debug__\n",
    ],
)
def test_what_the_compiler_takes_is_no_syntax_error(text: str) -> None:
    compile(text, "r.py", "exec", dont_inherit=True)
    rev = read(text)
    assert (rev.revision, rev.syntax_error, rev.problem) == ("b", None, None)


@pytest.mark.parametrize(
    ("source", "ids"),
    [("{'cd34', 'ab12'}", ("ab12", "cd34")), ("{'ab12'}", ("ab12",)), ("set()", ())],
)
def test_a_set_of_ids_is_read_as_alembic_reads_it(source: str, ids: tuple[str, ...]) -> None:
    # alembic takes any iterable of ids (util.to_tuple): `down_revision = {"ab12"}`
    # loads, and was a false AG007 ("not a literal"); the order is a set's, so sorted
    text = f"revision = 'r1'\ndown_revision = {source}\nbranch_labels = {source}\n"
    rev = read(text + f"depends_on = {source}\n")
    assert rev.problem is None
    assert (rev.parents, rev.branch_labels.ids, rev.depends_on.ids) == (ids, ids, ids)
    assert rev.down_revision.known and rev.branch_labels.known and rev.depends_on.known


def test_a_set_is_no_revision_id() -> None:
    # (alembic cannot key its map by a set: TypeError)
    assert read("revision = {'r1'}\ndown_revision = None\n").problem == (
        "`revision` is not a string literal"
    )


_AUTOGENERATED = '''"""add posts

Revision ID: b
Revises: a
Create Date: 2024-05-01 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "b"
down_revision: Union[str, Sequence[str], None] = "a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), server_default=sa.text("'x'"), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_posts_title'), 'posts', ['title'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=50),
               type_=sa.String(length=100),
               existing_nullable=True)
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE users SET level = 1 WHERE level IS NULL"))
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f('ix_posts_title'), table_name='posts')
    op.drop_table('posts')
'''


def test_an_ordinary_file_is_not_compiled_again() -> None:
    # what lint reads costs one parse: the compile that finds what the compiler refuses
    # runs only where the text or the statements say it may (lint's cold speed)
    from alembic_gate.history.revisions import _compiler_may_refuse

    data = _AUTOGENERATED.encode()
    assert not _compiler_may_refuse(data, ast.parse(data))
    assert read(data).syntax_error is None


def test_an_id_given_as_a_name_the_file_binds_to_a_literal_above_is_read() -> None:
    """alembic imports the file, so `revision = REV` after `REV = "ae10"` loads: the ids
    are read through such names (the last plain binding above the variable). A name
    bound otherwise last (a call, a def, an import), or only below, stays a problem."""
    text = 'REV = "x"\nREV = "ae10"\nPARENTS = ("a", "b")\n'
    rev = read(text + "revision = REV\ndown_revision = PARENTS\n")
    assert rev.problem is None
    assert (rev.revision, rev.parents, rev.revision_line) == ("ae10", ("a", "b"), 4)
    local = 'REV = "ae10"\ndef f():\n    REV = "b"\n    del REV\n'
    local += "revision = REV\ndown_revision = None\n"
    assert read(local).revision == "ae10"  # a function's own name is not the module's
    for text in (
        'REV = "ae10"\nREV = make()\nrevision = REV\ndown_revision = None\n',
        'REV = "ae10"\ndef REV(): pass\nrevision = REV\ndown_revision = None\n',
        'REV = "ae10"\nfrom app import REV\nrevision = REV\ndown_revision = None\n',
        'revision = REV\ndown_revision = None\nREV = "ae10"\n',
        'REV = "ae10"\nfor REV in ("b",): pass\nrevision = REV\ndown_revision = None\n',
        'REV = "ae10"\ndel REV\nrevision = REV\ndown_revision = None\n',
    ):
        assert read(text).problem == "`revision` is not a string literal", text
    parent = read('revision = "b"\nPARENT = get()\ndown_revision = PARENT\n')
    assert parent.problem is not None and "`down_revision` is not a literal" in parent.problem
