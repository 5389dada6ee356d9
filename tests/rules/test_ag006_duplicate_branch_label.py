from __future__ import annotations

from alembic_gate.rules.ag006_duplicate_branch_label import check

from .conftest import History


def test_distinct_labels_are_fine(history: History) -> None:
    history.add("a", labels=("core", "main"))
    history.add("p", None, labels="plugin")
    assert history.run(check) == []


def test_a_label_used_twice_is_reported_at_the_second_owner(history: History) -> None:
    history.add("a", labels="plugin")
    history.add("b", "a", labels=("other", "plugin"))
    (finding,) = history.run(check)
    assert (finding.path, finding.line) == ("versions/b_m.py", 14)
    assert "'plugin' is already used by revision a (versions/a_m.py)" in finding.message
    assert finding.fix == 'branch_labels = ("other", "plugin_b")'


def test_a_label_that_is_a_revision_id(history: History) -> None:
    history.add("a")
    history.add("b", "a", labels="a")
    (finding,) = history.run(check)
    assert (finding.path, finding.line) == ("versions/b_m.py", 14)
    assert "'a' is already used as the id of versions/a_m.py" in finding.message


def test_a_label_equal_to_its_own_revision_id(history: History) -> None:
    # alembic: "Branch name 'a' in revision a already used by revision a"
    history.add("a", labels="a")
    assert len(history.run(check)) == 1


def test_a_label_on_two_files_of_one_id(history: History) -> None:
    # alembic maps the labels of the copy it drops too: "Branch name 'plugin' in
    # revision b already used by revision b"
    history.add("a")
    history.write("b_1.py", "revision = 'b'\ndown_revision = 'a'\nbranch_labels = 'plugin'\n")
    history.write("b_2.py", "revision = 'b'\ndown_revision = 'a'\nbranch_labels = 'plugin'\n")
    history.write("b_3.py", "revision = 'b'\ndown_revision = 'a'\nbranch_labels = 'plugin'\n")
    (finding,) = history.run(check)
    assert finding.path == "versions/b_3.py"
    assert "'plugin' is already used by another file of revision b (AG004)" in finding.message


def test_a_label_listed_twice_in_one_file(history: History) -> None:
    # alembic maps each label of the tuple in turn and refuses the second: "Branch name
    # 'plugin' in revision a already used by revision a"
    history.add("a", labels=("plugin", "plugin"))
    (finding,) = history.run(check)
    assert (finding.path, finding.line) == ("versions/a_m.py", 14)
    assert "'plugin' is listed twice in this revision's branch_labels" in finding.message
    assert finding.fix == 'branch_labels = "plugin"'
