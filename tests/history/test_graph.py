"""RevisionGraph against alembic's own RevisionMap, plus the parts alembic lacks."""

from __future__ import annotations

import os
import string
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script.revision import Revision, RevisionMap
from graph_orders import depth_first
from hypothesis import given, settings
from hypothesis import strategies as st

from alembic_gate.history.graph import Dangling, RevisionGraph
from alembic_gate.history.revisions import read_revision

SAFE = string.ascii_lowercase + string.digits + "_"


@dataclass(frozen=True)
class Spec:
    revision: str
    down: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()


def write(folder: Path, specs: Sequence[Spec]) -> RevisionGraph:
    files = []
    for number, spec in enumerate(specs):
        path = folder / f"{number:03}_{spec.revision}.py"
        down = spec.down[0] if len(spec.down) == 1 else spec.down or None
        path.write_text(
            f'"""{spec.revision}"""\n'
            f"revision = {spec.revision!r}\n"
            f"down_revision = {down!r}\n"
            f"branch_labels = {spec.labels or None!r}\n"
            f"depends_on = {spec.depends or None!r}\n\n\n"
            "def upgrade():\n    pass\n"
        )
        files.append(read_revision(path, folder))
    return RevisionGraph.build(files)


@st.composite
def histories(draw: st.DrawFn) -> list[Spec]:
    """A random DAG: each revision's parents, dependencies and labels come from earlier ones."""
    count = draw(st.integers(1, 14))
    names = draw(
        st.lists(
            st.text(SAFE, min_size=1, max_size=6),
            min_size=2 * count,
            max_size=2 * count,
            unique=True,
        )
    )
    ids, spare = names[:count], names[count:]
    specs: list[Spec] = []
    owned: list[str] = []
    for i, rid in enumerate(ids):
        earlier = ids[:i]
        down = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if earlier else []
        targets = earlier + owned
        depends = (
            draw(st.lists(st.sampled_from(targets), max_size=2, unique=True)) if targets else []
        )
        labels = [spare[i]] if draw(st.integers(0, 3)) == 0 else []
        owned += labels
        specs.append(Spec(rid, tuple(down), tuple(labels), tuple(depends)))
    return specs


def alembic_map(specs: Sequence[Spec]) -> tuple[RevisionMap, dict[str, Revision]]:
    revisions = {
        s.revision: Revision(s.revision, s.down or None, s.depends or None, s.labels or None)
        for s in specs
    }
    rmap = RevisionMap(lambda: list(revisions.values()))
    rmap.heads  # noqa: B018 (builds the map)
    return rmap, revisions


@settings(max_examples=150, deadline=None)
@given(histories())
def test_shape_matches_alembic(specs: list[Spec]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        graph = write(Path(folder), specs)
    rmap, revisions = alembic_map(specs)
    assert set(graph.heads) == set(rmap.heads)
    assert set(graph.bases) == set(rmap.bases)
    assert set(graph.merges) == {r for r, rev in revisions.items() if rev.is_merge_point}
    assert set(graph.branchpoints) == {r for r, rev in revisions.items() if rev.is_branch_point}
    assert graph.labels() == {r: set(rev.branch_labels) for r, rev in revisions.items()}
    assert graph.cycles() == []
    assert graph.dangling == []
    for rid, rev in revisions.items():
        below = {r.revision for r in rmap._get_ancestor_nodes([rev])}
        above = {r.revision for r in rmap._get_descendant_nodes([rev], include_dependencies=False)}
        assert graph.ancestors([rid]) == below
        assert graph.descendants([rid]) == above
        assert set(graph.children_of(rid)) == set(rev.nextrev)
    assert graph.children_of("not a revision") == ()


@settings(max_examples=100, deadline=None)
@given(histories())
def test_topological_order_puts_everything_after_what_it_needs(specs: list[Spec]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        graph = write(Path(folder), specs)
    order = graph.topological()
    assert sorted(order) == sorted(s.revision for s in specs)
    position = {rid: n for n, rid in enumerate(order)}
    for rid in order:
        assert all(position[up] < position[rid] for up in graph.upstream(rid))


def build(tmp_path: Path, *specs: Spec) -> RevisionGraph:
    return write(tmp_path, specs)


@st.composite
def with_back_edges(draw: st.DrawFn) -> list[Spec]:
    """A random history, where some revisions may also name later ones (cycles)."""
    specs = draw(histories())
    ids = [spec.revision for spec in specs]
    changed = []
    for spec in specs:
        extra = draw(st.lists(st.sampled_from(ids), max_size=1))
        changed.append(Spec(spec.revision, spec.down, spec.labels, (*spec.depends, *extra)))
    return changed


@given(with_back_edges())
@settings(deadline=None)
def test_the_quick_acyclic_test_agrees_with_the_components(specs: list[Spec]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        graph = write(Path(folder), specs)
        cyclic = [
            c for c in graph._strong_components() if len(c) > 1 or c[0] in graph.upstream(c[0])
        ]
        assert graph._acyclic() == (not cyclic)
        assert bool(graph.cycles()) == bool(cyclic)


@given(with_back_edges(), st.data())
@settings(max_examples=150, deadline=None)
def test_topological_order_is_the_same_depth_first_order(
    specs: list[Spec], data: st.DataObject
) -> None:
    # files in any order (the order of parallel branches follows the files')
    shuffled = data.draw(st.permutations(specs))
    with tempfile.TemporaryDirectory() as folder:
        graph = write(Path(folder), shuffled)
    some = data.draw(st.sets(st.sampled_from([spec.revision for spec in specs])))
    for among in (None, some, graph.ancestors(some)):
        assert graph.topological(among) == depth_first(graph, among)


def test_cycles_in_order(tmp_path: Path) -> None:
    graph = build(
        tmp_path,
        Spec("base"),
        Spec("c", ("b",)),
        Spec("a", ("c",)),
        Spec("b", ("a",)),
        Spec("s", ("s",)),
        Spec("d", ("base",), depends=("e",)),
        Spec("e", ("d",)),
    )
    assert sorted(graph.cycles()) == [["a", "c", "b", "a"], ["d", "e", "d"], ["s", "s"]]


def test_cycle_through_a_label(tmp_path: Path) -> None:
    graph = build(
        tmp_path,
        Spec("x", labels=("core",), depends=("plug",)),
        Spec("y", labels=("plug",), depends=("core",)),
    )
    assert graph.cycles() == [["x", "y", "x"]]
    assert graph.topological() == []


def test_cycle_leaves_the_rest_in_topological_order(tmp_path: Path) -> None:
    graph = build(tmp_path, Spec("a"), Spec("b", ("a",)), Spec("x", ("y",)), Spec("y", ("x",)))
    assert graph.topological() == ["a", "b"]


def test_duplicates_and_unparsable(tmp_path: Path) -> None:
    graph = build(tmp_path, Spec("a"), Spec("b", ("a",)), Spec("b", ("a",)), Spec("bad-id", ("a",)))
    assert list(graph.duplicates) == ["b"]
    assert [rev.display for rev in graph.duplicates["b"]] == ["001_b.py", "002_b.py"]
    assert [rev.display for rev in graph.unparsable] == ["003_bad-id.py"]
    assert graph.heads == ["b"]
    assert graph.children_of("a") == ("b",)


def test_dangling_references(tmp_path: Path) -> None:
    graph = build(
        tmp_path,
        Spec("a", labels=("core",)),
        Spec("b", ("gone",), depends=("core", "nolabel", "a")),
    )
    assert graph.dangling == [
        Dangling("b", "gone", "down_revision"),
        Dangling("b", "nolabel", "depends_on"),
    ]
    assert graph.dependencies["b"] == ("a",)
    assert graph.bases == ["a"]


def test_duplicate_labels(tmp_path: Path) -> None:
    graph = build(
        tmp_path,
        Spec("a", labels=("x", "y")),
        Spec("b", ("a",), labels=("x",)),
        Spec("c", labels=("x",)),
    )
    assert graph.duplicate_labels == {"x": ["a", "b", "c"]}
    assert graph.label_owner == {"x": "a", "y": "a"}


def test_labels_spread_up_and_down_to_the_branch_point(tmp_path: Path) -> None:
    # base -> a (branchpoint) -> b -> c[plugin] -> d ; a -> e
    graph = build(
        tmp_path,
        Spec("base"),
        Spec("a", ("base",)),
        Spec("b", ("a",)),
        Spec("c", ("b",), labels=("plugin",)),
        Spec("d", ("c",)),
        Spec("e", ("a",)),
    )
    labels = graph.labels()
    assert {rid for rid, names in labels.items() if "plugin" in names} == {"b", "c", "d"}


def test_labels_stop_at_a_merge(tmp_path: Path) -> None:
    graph = build(
        tmp_path, Spec("a"), Spec("b"), Spec("m", ("a", "b"), labels=("merged",)), Spec("n", ("m",))
    )
    assert {rid for rid, names in graph.labels().items() if names} == {"m", "n"}


def test_labels_stop_below_a_revision_another_depends_on(tmp_path: Path) -> None:
    # alembic counts dependents too when it looks for the branch point
    graph = build(tmp_path, Spec("a"), Spec("b", ("a",), labels=("x",)), Spec("c", depends=("a",)))
    assert {rid for rid, names in graph.labels().items() if names} == {"b"}


def test_labels_do_not_spread_down_below_branching_descendants(tmp_path: Path) -> None:
    graph = build(
        tmp_path,
        Spec("a"),
        Spec("b", ("a",), labels=("x",)),
        Spec("c", ("b",)),
        Spec("d", ("b",)),
    )
    assert {rid for rid, names in graph.labels().items() if names} == {"b", "c", "d"}


def test_labels_on_a_cycle_terminate(tmp_path: Path) -> None:
    graph = build(tmp_path, Spec("a", ("b",), labels=("x",)), Spec("b", ("a",)))
    assert graph.labels() == {"a": {"x"}, "b": {"x"}}


def test_labels_that_are_not_literals(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("revision = 'a'\ndown_revision = None\nbranch_labels = LABELS\n")
    graph = RevisionGraph.build([read_revision(tmp_path / "a.py", tmp_path)])
    assert graph.labels() == {"a": {"?a"}}


def test_revisions_without_labels_share_one_empty_set(tmp_path: Path) -> None:
    # one empty set each was 4.6 MiB at 20,000 revisions; a labelled revision's set
    # is its own, and spreading never changes the shared one
    graph = build(tmp_path, Spec("a"), Spec("b", ("a",)), Spec("c", ("a",), labels=("x",)))
    labels = graph.labels()
    assert labels["a"] is labels["b"] and labels["a"] == frozenset()
    assert labels["c"] == {"x"} and labels["b"] == frozenset()


def test_where_no_revision_has_a_label_every_one_has_none(tmp_path: Path) -> None:
    # no dict with an entry for each revision (0.4 MiB at 20,000): a mapping that
    # answers for the graph's revisions, and only for them
    graph = build(tmp_path, Spec("a"), Spec("b", ("a",)), Spec("c", ("b",)))
    labels = graph.labels()
    assert dict(labels) == dict.fromkeys(["a", "b", "c"], frozenset())
    assert len(labels) == 3 and labels.get("zzz") is None
    with pytest.raises(KeyError):
        labels["zzz"]


def test_upstream_is_held_only_where_it_is_not_the_revisions_own_parents(
    tmp_path: Path,
) -> None:
    graph = build(
        tmp_path,
        Spec("a"),
        Spec("b", ("a",)),
        Spec("c", ("a",)),
        Spec("m", ("b", "c")),
        Spec("d", ("m",), depends=("b",)),
        Spec("e", ("gone",)),
        Spec("f", ("d", "d")),
    )
    assert graph.upstream("b") is graph.by_id["b"].parents
    assert graph.upstream("m") == ("b", "c") and graph.upstream("a") == ()
    assert graph.upstream("d") == ("m", "b")  # its dependency too
    assert graph.upstream("e") == ()  # a parent that does not exist
    assert graph.upstream("f") == ("d",)  # named twice, once
    assert graph.upstream("nowhere") == ()
    assert sorted(graph._upstream) == ["d", "e"]  # the rest are their own parents
    assert graph.ancestors(["f"]) == {"a", "b", "c", "m", "d", "f"}
    assert graph.topological() == ["a", "b", "c", "m", "d", "e", "f"]


def test_a_duplicate_id_is_the_file_read_last(tmp_path: Path) -> None:
    """alembic's RevisionMap: a later file of an id replaces an earlier one, in its place;
    its labels and the dropped copy's are both mapped (a label on both: AG006)."""
    graph = build(
        tmp_path,
        Spec("a"),
        Spec("b", labels=("x",)),
        Spec("c", ("a",)),
        Spec("b", ("c",), labels=("x", "y")),
    )
    assert list(graph.by_id) == ["a", "b", "c"]
    assert graph.by_id["b"].display == "003_b.py"
    assert [rev.display for rev in graph.dropped()] == ["001_b.py"]
    assert graph.heads == ["b"]
    assert graph.bases == ["a"]
    assert graph.children_of("c") == ("b",)
    assert graph.duplicate_labels == {"x": ["b", "b"]}
    assert graph.label_owner == {"x": "b", "y": "b"}


def test_an_id_imported_from_a_module_of_the_project_is_read_from_its_source(
    tmp_path: Path,
) -> None:
    """Open ACE's baseline takes `revision` from `migrations/baseline.py` (`from
    migrations.baseline import BASELINE_REVISION`), which alembic imports with the
    project's folder on sys.path: the module's source is parsed (never run) and the id
    read from it, after the cache, from the file as found. A module not found, or one
    that binds the name to no literal, leaves the file unreadable (AG007)."""
    (tmp_path / ".git").mkdir()
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "baseline.py").write_text(
        'import os\nBASELINE_REVISION = "baseline_1"\nOTHER = os.environ["X"]\n'
    )
    (versions / "baseline.py").write_text(
        "from migrations.baseline import BASELINE_REVISION\n"
        "revision = BASELINE_REVISION\ndown_revision = None\n"
    )
    (versions / "child.py").write_text('revision = "c1"\ndown_revision = "baseline_1"\n')
    (versions / "other.py").write_text(
        "from migrations.baseline import OTHER\nrevision = OTHER\ndown_revision = None\n"
    )
    (versions / "lost.py").write_text(
        "from elsewhere import LOST\nrevision = 'l1'\ndown_revision = LOST\n"
    )
    files = [read_revision(versions / name, tmp_path) for name in sorted(os.listdir(versions))]
    graph = RevisionGraph.build(files)
    assert sorted(graph.by_id) == ["baseline_1", "c1"]
    assert graph.by_id["c1"].parents == ("baseline_1",)
    assert sorted(rev.display for rev in graph.unparsable) == [
        "migrations/versions/lost.py",
        "migrations/versions/other.py",
    ]
