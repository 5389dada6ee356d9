from __future__ import annotations

from alembic_gate.rules.ag003_missing_dependency import check

from .conftest import History


def test_dependencies_on_ids_and_labels_are_fine(history: History) -> None:
    history.add("a", labels="core")
    history.add("p", None, labels="plugin", depends=("a",))
    history.add("q", "p", depends="core")
    assert history.run(check) == []


def test_a_dependency_on_nothing_names_the_nearest_label(history: History) -> None:
    history.add("a", labels="networking")
    history.add("p", None, depends=("a", "netwrking"))
    (finding,) = history.run(check)
    assert finding.path == "versions/p_m.py"
    assert finding.line == 15
    assert "'netwrking', which is no revision id or branch label" in finding.message
    assert "nearest names are 'networking'" in finding.message
    assert finding.fix == 'depends_on = ("a", "networking")'


def test_without_a_near_name_the_fix_drops_the_dependency(history: History) -> None:
    history.add("a")
    history.add("b", "a", depends="zzzzzz")
    (finding,) = history.run(check)
    assert finding.fix == "depends_on = None"


def test_values_that_are_not_literals_are_skipped(history: History) -> None:
    history.add("a")
    history.write("b_m.py", "revision = 'b'\ndown_revision = 'a'\ndepends_on = OTHER_BRANCH\n")
    history.write("c_m.py", "revision = 'c'\ndown_revision = 'b'\ndepends_on = [x for x in Y]\n")
    assert history.run(check) == []
