from __future__ import annotations

from alembic_gate.rules.ag008_multiple_bases import check

from .conftest import History


def test_one_base_is_fine(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    assert history.run(check) == []


def test_two_unlabelled_bases_warn_at_their_down_revision_line(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("x")
    history.add("m", ("b", "x"))
    findings = history.run(check)
    assert [(f.path, f.line) for f in findings] == [
        ("versions/a_m.py", 13),
        ("versions/x_m.py", 13),
    ]
    assert all(f.severity == "warning" for f in findings)
    assert "a (versions/a_m.py), x (versions/x_m.py)" in findings[0].message


def test_labelled_bases_are_alembics_multiple_bases_design(history: History) -> None:
    # alembic revision --head=base --branch-label=networking
    history.add("a")
    history.add("b", "a")
    history.add("n1", None, labels="networking")
    history.add("n2", "n1")
    history.add("s1", None)
    history.add("s2", "s1", labels="shipping")
    assert history.run(check) == []


def test_a_label_above_a_branch_point_does_not_name_the_base(history: History) -> None:
    history.add("a")
    history.add("x")
    history.add("y", "x", labels="left")
    history.add("z", "x", labels="right")
    assert len(history.run(check)) == 2
