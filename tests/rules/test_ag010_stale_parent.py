from __future__ import annotations

from pathlib import Path

from alembic_gate.findings import Finding
from alembic_gate.history.git_base import new_revisions
from alembic_gate.rules.ag010_stale_parent import check
from alembic_gate.setup.discovery import AlembicSetup
from alembic_gate.shared.records import replace

from .conftest import History


def histories(tmp_path: Path) -> tuple[History, History]:
    (tmp_path / "branch").mkdir()
    (tmp_path / "base").mkdir()
    return History(tmp_path / "branch"), History(tmp_path / "base")


def run(branch: History, base: History, setup: AlembicSetup | None = None) -> list[Finding]:
    base_graph = base.graph()
    ctx = branch.context(setup)
    ctx = replace(
        ctx,
        base_graph=base_graph,
        new_revisions=new_revisions(ctx.graph, base_graph),
        base_ref="origin/main",
    )
    return list(check(ctx))


def test_branch_on_a_parent_the_base_has_moved_past(tmp_path: Path) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
    base.add("b2", "a1")
    path = branch.add("c3", "a1")
    [finding] = run(branch, base)
    assert (finding.code, finding.severity) == ("AG010", "error")
    assert (finding.path, finding.line) == (path, 13)  # the down_revision line
    assert finding.message == (
        "revision c3 is new on this branch and sits on a1, but on origin/main b2 has been "
        "added on top of a1 since: merging this branch would leave two heads. It should "
        "sit on origin/main's head b2"
    )
    assert finding.fix == (
        f're-parent: set `down_revision = "b2"` in {path} (and `Revises:` in its docstring); '
        'or merge origin/main into this branch and run `alembic merge -m "merge heads" b2 c3`'
    )


def test_only_the_first_new_revision_is_reported_and_the_base_head_is_named(
    tmp_path: Path,
) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
    base.add("b2", "a1")
    base.add("b3", "b2")
    branch.add("c3", "a1")
    branch.add("c4", "c3")
    [finding] = run(branch, base)
    assert finding.path == "versions/c3_m.py"
    assert "It should sit on origin/main's head b3" in finding.message
    assert finding.fix is not None
    assert finding.fix.endswith('merge -m "merge heads" b3 c4`')


def test_up_to_date_branch(tmp_path: Path) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
        side.add("b2", "a1")
    branch.add("c3", "b2")
    assert run(branch, base) == []


def test_branch_that_already_merged_the_base_is_left_to_ag001(tmp_path: Path) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
        side.add("b2", "a1")
    branch.add("c3", "a1")
    assert run(branch, base) == []


def test_branch_merged_with_an_alembic_merge_revision(tmp_path: Path) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
        side.add("b2", "a1")
    branch.add("c3", "a1")
    branch.add("m4", ("b2", "c3"))
    assert run(branch, base) == []


def test_new_labelled_branch_next_to_the_base_is_fine(tmp_path: Path) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
    base.add("e2", "a1", labels="expand")
    branch.add("c2", "a1", labels="contract")
    assert run(branch, base) == []


def test_flask_migrate_fix(tmp_path: Path) -> None:
    branch, base = histories(tmp_path)
    for side in (branch, base):
        side.add("a1")
    base.add("b2", "a1")
    branch.add("c3", "a1")
    setup = AlembicSetup(
        None,
        "alembic",
        str(tmp_path / "branch" / "migrations"),
        (str(branch.versions),),
        flask=True,
    )
    [finding] = run(branch, base, setup)
    assert finding.fix is not None
    assert "`flask db merge" in finding.fix


def test_without_base_nothing_is_checked(tmp_path: Path) -> None:
    branch, _ = histories(tmp_path)
    branch.add("a1")
    branch.add("c3", "a1")
    branch.add("d3", "a1")
    assert branch.run(check) == []
