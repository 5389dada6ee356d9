from __future__ import annotations

from alembic_gate.rules.ag001_multiple_heads import check
from alembic_gate.setup.discovery import AlembicSetup

from .conftest import History


def test_one_head_is_fine(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    assert history.run(check) == []


def test_two_unlabelled_heads_each_get_a_finding_at_their_revision_line(
    history: History,
) -> None:
    history.add("a")
    b = history.add("b", "a")
    c = history.add("c", "a")
    findings = history.run(check)
    assert [(f.path, f.line) for f in findings] == [(b, 12), (c, 12)]
    assert all(f.code == "AG001" and f.severity == "error" for f in findings)
    assert f"b ({b}), c ({c})" in findings[0].message
    assert findings[0].fix == 'alembic merge -m "merge heads" b c'


def test_heads_on_distinct_labelled_branches_are_fine(history: History) -> None:
    # expand/contract: two labelled branches from one branch point
    history.add("base")
    history.add("e1", "base", labels=("expand",))
    history.add("e2", "e1")
    history.add("c1", "base", labels=("contract",), depends="e1")
    assert history.run(check) == []


def test_unlabelled_main_branch_with_labelled_plugin_branches_is_fine(history: History) -> None:
    history.add("m1")
    history.add("m2", "m1")
    history.add("p1", None, labels="plugin_a")
    history.add("q1", None, labels="plugin_b")
    history.add("q2", "q1")
    assert history.run(check) == []


def test_a_labelled_branch_that_forks_has_two_heads_sharing_the_label(history: History) -> None:
    history.add("m1")
    history.add("p1", "m1", labels="plugin")
    history.add("p2", "p1")
    history.add("p3", "p1")
    findings = history.run(check)
    assert [f.path for f in findings] == ["versions/p2_m.py", "versions/p3_m.py"]
    assert findings[0].fix == 'alembic merge -m "merge heads" p2 p3'


def test_only_unaddressable_heads_are_merged(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    history.add("p", None, labels="plugin")
    findings = history.run(check)
    assert [f.path for f in findings] == ["versions/b_m.py", "versions/c_m.py"]
    assert "2 heads" in findings[0].message
    assert findings[0].fix == 'alembic merge -m "merge heads" b c'


def test_a_label_that_is_not_a_literal_counts_as_a_label(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.write(
        "c_m.py", "revision = 'c'\ndown_revision = 'a'\nbranch_labels = (PLUGIN_LABEL,)\n"
    )
    assert history.run(check) == []


def test_flask_migrate_projects_get_the_flask_db_command(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    migrations = history.root / "migrations"
    setup = AlembicSetup(
        str(migrations / "alembic.ini"),
        "alembic",
        str(migrations),
        (str(history.versions),),
        flask=True,
    )
    assert history.run(check, setup)[0].fix == 'flask db merge -m "merge heads" b c'
    setup = AlembicSetup(
        str(history.root / "db" / "alembic.ini"),
        "alembic",
        str(history.root / "db"),
        (str(history.versions),),
        flask=True,
    )
    assert history.run(check, setup)[0].fix == 'flask db merge -d db -m "merge heads" b c'


def test_the_command_names_a_config_that_is_not_in_the_current_directory(
    history: History,
) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    ini = history.root / "deploy" / "alembic.ini"
    setup = AlembicSetup(str(ini), "tenant", "x", (str(history.versions),))
    assert history.run(check, setup)[0].fix == (
        'alembic -c deploy/alembic.ini -n tenant merge -m "merge heads" b c'
    )
    setup = AlembicSetup(
        str(history.root / "alembic.ini"), "alembic", "x", (str(history.versions),)
    )
    assert history.run(check, setup)[0].fix == 'alembic merge -m "merge heads" b c'


def test_unreadable_files_are_mentioned(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    history.write("broken.py", "revision = 'd'\ndown_revision = (\n")
    assert "1 revision file could not be read (AG007)" in history.run(check)[0].message


def test_a_head_hanging_from_a_missing_parent_is_left_out_of_the_merge(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    history.add("d", "gone")  # its own chain hangs from a revision no file defines
    history.add("e", "d")
    findings = {f.key: f for f in history.run(check)}
    assert set(findings) == {"b", "c", "e"}
    assert findings["b"].fix == findings["c"].fix == 'alembic merge -m "merge heads" b c'
    assert "The merge command leaves out e, whose history hangs" in findings["b"].message
    assert findings["e"].fix is None
    assert "Its own history hangs from gone, which no file defines (AG002)" in (
        findings["e"].message
    )


def test_no_merge_command_when_fewer_than_two_heads_can_be_merged(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "missing")
    assert [f.fix for f in history.run(check)] == [None, None]


def test_each_finding_is_keyed_on_its_head(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    history.add("c", "a")
    assert [f.key for f in history.run(check)] == ["b", "c"]


def test_many_heads_are_not_listed_in_every_message(history: History) -> None:
    history.add("a")
    heads = [f"h{n:03}" for n in range(200)]
    for head in heads:
        history.add(head, "a")
    findings = history.run(check)
    assert [f.key for f in findings] == heads
    assert all(len(f.message) < 300 for f in findings)
    assert findings[0].message.startswith("h000 is one of 200 heads with no branch label")
    # `alembic merge heads` names every head: the command stays one short line.
    assert {f.fix for f in findings} == {'alembic merge -m "merge heads" heads'}


def test_labelled_heads_keep_the_merge_command_explicit(history: History) -> None:
    history.add("a")
    for n in range(7):
        history.add(f"h{n}", "a")
    history.add("p1", None, labels="plugin")
    (fix,) = {f.fix for f in history.run(check)}
    assert fix == 'alembic merge -m "merge heads" ' + " ".join(f"h{n}" for n in range(7))
