from __future__ import annotations

import pytest

from alembic_gate.rules.ag009_header_mismatch import check, header_ids

from .conftest import History

HEADER = '''"""add things

Revision ID: {rid}
Revises: {revises}
Create Date: 2024-05-01

"""
revision = {revision!r}
down_revision = {down!r}
'''


def write(history: History, rid: str, revises: str, revision: str, down: object) -> None:
    history.write("r.py", HEADER.format(rid=rid, revises=revises, revision=revision, down=down))


@pytest.mark.parametrize(
    ("revises", "down"),
    [
        ("", None),
        ("<base>", None),
        ("abc", "abc"),
        ("abc, def", ("abc", "def")),
        ("def, abc", ("abc", "def")),
        ("('abc', 'def')", ("abc", "def")),
    ],
)
def test_matching_headers_are_fine(history: History, revises: str, down: object) -> None:
    write(history, "r1", revises, "r1", down)
    assert history.run(check) == []


def test_a_wrong_revises_line_is_reported_at_that_line(history: History) -> None:
    write(history, "r1", "abc", "r1", ("abc", "def"))
    (finding,) = history.run(check)
    assert (finding.path, finding.line) == ("versions/r.py", 4)
    assert "`Revises: abc`" in finding.message
    assert '`down_revision = ("abc", "def")`' in finding.message
    assert finding.fix == "Revises: abc, def"


def test_a_wrong_revision_id_line(history: History) -> None:
    write(history, "old", "", "r1", None)
    (finding,) = history.run(check)
    assert finding.line == 3
    assert finding.fix == "Revision ID: r1"


def test_a_base_with_a_parent_in_its_header(history: History) -> None:
    write(history, "r1", "abc", "r1", None)
    (finding,) = history.run(check)
    assert "`down_revision = None`" in finding.message
    assert finding.fix == "Revises:"


def test_files_without_a_header_are_fine(history: History) -> None:
    history.write("r.py", "revision = 'a'\ndown_revision = None\n")
    assert history.run(check) == []


def test_header_ids() -> None:
    assert header_ids("a, b") == {"a", "b"}
    assert header_ids("<base>") == set()
    assert header_ids("None") == set()
    assert header_ids("['a' , 'b']") == {"a", "b"}
