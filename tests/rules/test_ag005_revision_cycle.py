from __future__ import annotations

from alembic_gate.rules.ag005_revision_cycle import check

from .conftest import History


def test_a_dag_is_fine(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", ("a", "b"), depends="b")
    assert history.run(check) == []


def test_a_cycle_through_down_revision_is_printed_in_order(history: History) -> None:
    history.add("base")
    history.add("a", "c")
    history.add("b", "a")
    history.add("c", "b")
    (finding,) = history.run(check)
    assert "revision cycle: a -> c -> b -> a" in finding.message
    assert (finding.path, finding.line) == ("versions/a_m.py", 13)
    assert finding.fix == "down_revision = None"


def test_a_self_loop(history: History) -> None:
    history.add("a", ("base", "a"))
    history.add("base")
    (finding,) = history.run(check)
    assert "revision self-loop: a -> a" in finding.message
    assert finding.fix == 'down_revision = "base"'


def test_a_cycle_through_a_labelled_dependency(history: History) -> None:
    history.add("a", None, labels="core", depends="plugin")
    history.add("p", None, labels="plugin", depends="core")
    (finding,) = history.run(check)
    assert "a -> p -> a" in finding.message
    assert (finding.path, finding.line) == ("versions/a_m.py", 15)
    assert finding.fix == "depends_on = None"


def test_two_cycles_give_two_findings(history: History) -> None:
    history.add("a", "b")
    history.add("b", "a")
    history.add("x", "x")
    assert sorted(f.message.split(":")[1].split("(")[0].strip() for f in history.run(check)) == [
        "a -> b -> a",
        "x -> x",
    ]
