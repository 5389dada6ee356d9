from __future__ import annotations

from alembic_gate.rules.ag002_missing_down_revision import check

from .conftest import History


def test_existing_parents_are_fine(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", ("a", "b"))
    assert history.run(check) == []


def test_a_typo_names_the_nearest_ids_at_the_down_revision_line(history: History) -> None:
    history.add("ae1027a6acf")
    history.add("27c6a30d7c24", "ae1027a6acX")
    (finding,) = history.run(check)
    assert finding.path == "versions/27c6a30d7c24_m.py"
    assert finding.line == 13
    assert "'ae1027a6acX', which no revision file defines" in finding.message
    assert "the nearest ids are 'ae1027a6acf'" in finding.message
    assert finding.fix == 'down_revision = "ae1027a6acf"'


def test_a_deleted_parent_suggests_the_one_head_it_could_sit_on(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("x", "0123456789")
    history.add("y", "x")
    (finding,) = history.run(check)
    assert "the heads it could sit on are 'b'" in finding.message
    assert finding.fix == 'down_revision = "b"'


def test_no_fix_when_several_heads_could_be_the_parent(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    history.add("x", "0123456789")
    (finding,) = history.run(check)
    assert "'b', 'c'" in finding.message
    assert finding.fix is None


def test_a_merge_keeps_its_other_parent_in_the_fix(history: History) -> None:
    history.add("aaaa1111")
    history.add("bbbb2222", "aaaa1111")
    history.add("cccc3333", ("bbbb2222", "aaaa1112"))
    (finding,) = history.run(check)
    assert finding.fix == 'down_revision = ("bbbb2222", "aaaa1111")'


def test_a_parent_defined_in_an_unreadable_file_is_left_to_ag007(history: History) -> None:
    history.add("a")
    history.write("b_m.py", "revision = 'b'\ndown_revision = PARENT\n")
    history.add("c", "b")
    assert history.run(check) == []


def test_missing_dependencies_are_not_this_rule(history: History) -> None:
    history.add("a", depends="nothing")
    assert history.run(check) == []
