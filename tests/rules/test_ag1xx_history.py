"""rules.ag1xx_history.Timeline: the latest fact among the revisions one builds on."""

from __future__ import annotations

from collections.abc import Hashable

import pytest

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile, Value
from alembic_gate.rules.ag1xx_history import Timeline


def _graph(edges: dict[str, tuple[str, ...]]) -> RevisionGraph:
    files = [
        RevisionFile(f"{rid}.py", f"{rid}.py", revision=rid, down_revision=Value(parents))
        for rid, parents in edges.items()
    ]
    return RevisionGraph.build(files)


# a1 <- b2 <- c3 <- e5 (merge) <- f6 ; b2 <- d4 <- e5 ; b2 <- g7 (a sibling branch)
GRAPH = _graph(
    {
        "a1": (),
        "b2": ("a1",),
        "c3": ("b2",),
        "d4": ("b2",),
        "e5": ("c3", "d4"),
        "f6": ("e5",),
        "g7": ("b2",),
    }
)
EVENTS: dict[str, list[tuple[Hashable, object]]] = {
    "a1": [("x", "a1-x"), ("y", "a1-y")],
    "c3": [("x", "c3-x")],
    "d4": [("y", "d4-y"), ("x", "d4-x")],
    "g7": [("x", "g7-x"), ("z", "g7-z")],
    "f6": [("x", "f6-x")],
}


def facts(rid: str) -> list[tuple[Hashable, object]]:
    return EVENTS.get(rid, [])


def _every_key(rid: str) -> list[Hashable]:
    return ["x", "y", "z"]


KEYS: list[list[Hashable]] = [["x"], ["y"], ["z"], ["x", "y"], ["y", "z"]]
EXPECTED = {
    ("a1", "x"): None,
    ("b2", "x"): "a1-x",
    ("c3", "x"): "a1-x",  # its own facts come after it
    ("e5", "x"): "d4-x",  # the latest of both sides of the merge, in order
    ("e5", "y"): "d4-y",
    ("f6", "x"): "d4-x",
    ("g7", "x"): "a1-x",  # never its sibling's
    ("f6", "z"): None,
}


@pytest.mark.parametrize("asked", [False, True])
def test_latest(asked: bool) -> None:
    queries = list(GRAPH.by_id)
    timeline = Timeline(GRAPH, facts, queries, _every_key if asked else None)
    for (rid, key), value in EXPECTED.items():
        assert timeline.latest(rid, [key]) == value


def test_answers_kept_for_the_keys_asked_are_those_of_the_masks() -> None:
    queries = list(GRAPH.by_id)
    masks = Timeline(GRAPH, facts, queries)
    answers = Timeline(GRAPH, facts, queries, _every_key)
    for rid in queries:
        for keys in KEYS:
            assert answers.latest(rid, keys) == masks.latest(rid, keys)


def test_a_key_not_said_to_be_asked_about_is_an_error() -> None:
    timeline = Timeline(GRAPH, facts, ["f6"], lambda rid: ["x"])
    with pytest.raises(KeyError):
        timeline.latest("f6", ["y"])


def test_a_key_held_once_shares_the_names_other_keys_spell() -> None:
    # the names of a key are held once for all keys (the calls of each revision spell
    # them anew), and a key with one fact and a key with several answer alike
    names = {"a1": "users", "b2": "".join(["us", "ers"])}

    def spelled(rid: str) -> list[tuple[Hashable, object]]:
        table = names.get(rid)
        return [(("null", table, "c"), rid), (("type", table, "c"), rid)] if table else []

    timeline = Timeline(GRAPH, spelled, list(GRAPH.by_id))
    first, second = [key for key in timeline._bits if isinstance(key, tuple)]
    assert first[1] is second[1]
    assert timeline.latest("c3", [("null", "users", "c")]) == "b2"
    assert timeline.latest("b2", [("type", "users", "c")]) == "a1"
