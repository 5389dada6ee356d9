from __future__ import annotations

import pytest

from alembic_gate.rules.ag007_unparsable_revision import check

from .conftest import History


def test_good_files_are_fine(history: History) -> None:
    history.add("a")
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("text", "line", "problem", "fix"),
    [
        ("revision = 'a'\ndown_revision = (\n", 2, "syntax error", None),
        ("down_revision = None\n", None, "no `revision` variable", 'revision = "<id>"'),
        ("revision = 'a'\n", 1, "no `down_revision` variable", "down_revision ="),
        ("revision = 'a'\ndown_revision = PARENT\n", 2, "(`PARENT`)", "down_revision ="),
        ("revision = make_id()\ndown_revision = None\n", 1, "`revision` is not", "revision ="),
        ("revision = 'a-b'\ndown_revision = None\n", 1, "'a-b' is not allowed ('-')", None),
        ("revision = 'a'\ndown_revision = 'x@y'\n", 2, "'x@y' is not allowed ('@')", None),
        ("revision = 'a'\ndown_revision = None\ndepends_on = 'p:q'\n", 3, "(':')", None),
        (
            "revision = 'b'\ndown_revision = 'a'\nfor down_revision in ['z']:\n    pass\n",
            3,
            "`down_revision` is bound in a `for` loop (line 3)",
            "down_revision =",
        ),
        ("revision = 'b'\nrevision += 'c'\ndown_revision = 'a'\n", 2, "augmented", "revision ="),
    ],
)
def test_each_problem_is_reported_where_it_is(
    history: History, text: str, line: int | None, problem: str, fix: str | None
) -> None:
    history.write("wrong.py", text)  # ("bad.py" would name the revision: alembic 0.1)
    (finding,) = history.run(check)
    assert (finding.path, finding.line) == ("versions/wrong.py", line)
    assert problem in finding.message
    assert "left out of the graph" in finding.message
    assert (finding.fix or "").startswith(fix or "")
    assert bool(finding.fix) == bool(fix)


def test_binary_junk_and_other_encodings(history: History) -> None:
    history.write("junk.py", b"\x00\x01\x02revision = 'a'\n")
    history.write("latin.py", "revision = 'café'\ndown_revision = None\n".encode("latin-1"))
    messages = sorted(f.message for f in history.run(check))
    assert "NUL bytes" in messages[0]
    assert "not UTF-8" in messages[1]


def test_sourceless_files_cannot_be_read(history: History) -> None:
    history.add("a")
    (finding,) = history.run(check, sourceless=("versions/__pycache__/b.cpython-311.pyc",))
    assert finding.path == "versions/__pycache__/b.cpython-311.pyc"
    assert finding.line is None
    assert "only a compiled .pyc" in finding.message


def test_a_file_named_by_its_hex_id_needs_no_revision(history: History) -> None:
    """alembic 0.1's files: alembic takes the id from a name of hex digits and `.py`."""
    history.write("bad.py", "down_revision = None\n")
    history.write("bad_2.py", "down_revision = None\n")
    history.write("b0b.py", "")
    (no_parent, no_revision) = sorted(history.run(check), key=lambda f: f.path or "")
    assert no_revision.path == "versions/bad_2.py"
    assert "no `revision` variable" in no_revision.message
    assert no_parent.path == "versions/b0b.py"
    assert "no `down_revision` variable" in no_parent.message
