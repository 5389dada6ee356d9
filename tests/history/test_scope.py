"""Which revisions safety findings speak about: `since` and `--base`."""

from __future__ import annotations

import pytest

from alembic_gate.errors import UsageError
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.history.scope import check_since_known, resolve_since, safety_scope


def _graph(edges: dict[str, tuple[str, ...]]) -> RevisionGraph:
    files = [
        RevisionFile(f"{rid}.py", f"{rid}.py", revision=rid, parents=parents)
        for rid, parents in edges.items()
    ]
    return RevisionGraph.build(files)


# a1 <- b2 <- c3 <- e5 (merge) ; b2 <- d4 <- e5
GRAPH = _graph(
    {"a1aa": (), "b2bb": ("a1aa",), "c3cc": ("b2bb",), "d4dd": ("b2bb",), "e5ee": ("c3cc", "d4dd")}
)


def test_no_since_and_no_base_is_everything() -> None:
    assert safety_scope(GRAPH, (), None) is None


def test_since_keeps_descendants_but_not_itself() -> None:
    assert safety_scope(GRAPH, ("b2bb",), None) == {"c3cc", "d4dd", "e5ee"}


def test_since_on_one_branch_keeps_the_merge_above_it() -> None:
    assert safety_scope(GRAPH, ("c3cc",), None) == {"e5ee"}


def test_since_and_base_keep_what_both_keep() -> None:
    assert safety_scope(GRAPH, ("b2bb",), frozenset({"a1aa", "d4dd"})) == {"d4dd"}


def test_base_alone() -> None:
    assert safety_scope(GRAPH, (), frozenset({"e5ee"})) == {"e5ee"}


def test_a_unique_prefix_names_a_revision() -> None:
    assert resolve_since(GRAPH, ["c3"]) == ["c3cc"]


def test_an_ambiguous_prefix_is_a_configuration_error() -> None:
    graph = _graph({"ab01": (), "ab02": ("ab01",)})
    with pytest.raises(UsageError, match="ambiguous"):
        resolve_since(graph, ["ab"])


def test_an_entry_of_another_setup_is_left_out() -> None:
    assert resolve_since(GRAPH, ["zz99"]) == []
    assert safety_scope(GRAPH, ("zz99",), None) is None


def test_an_entry_no_setup_knows_is_a_configuration_error() -> None:
    other = _graph({"zz99": ()})
    check_since_known([GRAPH, other], ["zz99", "c3cc"])
    with pytest.raises(UsageError, match="did you mean c3cc"):
        check_since_known([GRAPH, other], ["c3cd"])
