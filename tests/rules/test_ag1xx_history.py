"""rules.ag1xx_history.Timeline: the latest fact among the revisions one builds on."""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable
from pathlib import Path

import pytest
from graph_orders import below, depth_first

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile, Value
from alembic_gate.rules import ag1xx_history
from alembic_gate.rules.ag1xx_history import Timeline, file_dialect, sqlalchemy_below_2_1

_FEW_DEFAULT = ag1xx_history._FEW


def _graph(edges: dict[str, tuple[str, ...]]) -> RevisionGraph:
    files = [
        RevisionFile(f"{rid}.py", f"{rid}.py", revision=rid, parents=parents)
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


def test_a_revision_that_asks_about_nothing_keeps_no_entry() -> None:
    # (most revisions of a real history alter no column: an entry each was 0.2 MiB of
    # the column timeline at 20,000 revisions)
    timeline = Timeline(GRAPH, facts, ["e5", "f6"], lambda rid: ["x"] if rid == "f6" else [])
    assert list(timeline._starts) == ["f6"]
    assert timeline.latest("e5", ["x"]) is None
    assert timeline.latest("f6", ["x"]) == Timeline(GRAPH, facts, ["f6"]).latest("f6", ["x"])


def test_a_key_held_once_shares_the_names_other_keys_spell() -> None:
    # the names of a key are held once for all keys (the calls of each revision spell
    # them anew), and a key with one fact and a key with several answer alike
    names = {"a1": "users", "b2": "".join(["us", "ers"])}

    def spelled(rid: str) -> list[tuple[Hashable, object]]:
        table = names.get(rid)
        return [(("null", table, "c"), rid), (("type", table, "c"), rid)] if table else []

    timeline = Timeline(GRAPH, spelled, list(GRAPH.by_id))
    assert timeline._ids is not None
    first, second = [key for key in timeline._ids if isinstance(key, tuple)]
    assert first[1] is second[1]
    assert timeline.latest("c3", [("null", "users", "c")]) == "b2"
    assert timeline.latest("b2", [("type", "users", "c")]) == "a1"


@pytest.mark.parametrize("asked", [False, True])
def test_more_values_than_a_byte_numbers(asked: bool) -> None:
    # a chain of 600 revisions, each one fact of its own value (past 256 values, each
    # fact's value takes 4 bytes instead of one), every 7th a value seen before
    ids = [f"r{index:03d}" for index in range(600)]
    graph = _graph({rid: (ids[index - 1],) if index else () for index, rid in enumerate(ids)})

    def value(index: int) -> str:
        return f"v{index % 100 if index % 7 == 0 else index}"

    own = {rid: [(("x", "t"), value(index))] for index, rid in enumerate(ids)}
    timeline = Timeline(graph, lambda rid: own[rid], ids, _every_x if asked else None)
    for index, rid in enumerate(ids):
        expected = value(index - 1) if index else None
        assert timeline.latest(rid, [("x", "t")]) == expected


def _every_x(rid: str) -> list[Hashable]:
    return [("x", "t")]


# -- the few-asking path against the whole walk and a brute force -----------------------


def _random_history(seed: int) -> tuple[RevisionGraph, dict[str, list[tuple[Hashable, object]]]]:
    """A random history: branches, merges, dependencies, now and then a cycle, files in
    a shuffled order (the walk's order follows the files' on parallel branches), and
    facts on some revisions, several about the same keys."""
    rnd = random.Random(seed)
    count = rnd.randint(1, 40)
    ids = [f"r{index:02d}" for index in range(count)]
    parents: dict[str, tuple[str, ...]] = {}
    depends: dict[str, tuple[str, ...]] = {}
    for index, rid in enumerate(ids):
        earlier = ids[:index]
        parents[rid] = tuple(rnd.sample(earlier, min(len(earlier), rnd.choice([0, 1, 1, 1, 2]))))
        depends[rid] = tuple(rnd.sample(earlier, 1)) if earlier and rnd.random() < 0.1 else ()
        if index and rnd.random() < 0.03:  # an earlier revision names this one: a cycle
            back = rnd.choice(earlier)
            depends[back] = (*depends[back], rid)
    rnd.shuffle(ids)
    files = [
        RevisionFile(
            f"{rid}.py",
            f"{rid}.py",
            revision=rid,
            parents=parents[rid],
            depends_on=Value(depends[rid]),
        )
        for rid in ids
    ]
    events = {
        rid: [(rnd.choice("xyz"), f"{rid}-{n}") for n in range(rnd.randint(1, 3))]
        for rid in ids
        if rnd.random() < 0.4
    }
    return RevisionGraph.build(files), events


def _brute_latest(
    graph: RevisionGraph,
    events: dict[str, list[tuple[Hashable, object]]],
    queries: list[str],
    rid: str,
    keys: list[Hashable],
) -> object | None:
    """The latest fact under `keys`, in the walk's order, of a revision `rid` builds on
    through revisions of that order (a revision on a cycle passes nothing on)."""
    order = depth_first(graph, graph.ancestors(queries))
    if rid not in order:
        return None
    found_below = below(graph, rid, set(order))
    found = None
    for done in order:
        if done in found_below:
            found = next((v for k, v in reversed(events.get(done, [])) if k in keys), found)
    return found


@pytest.mark.parametrize("seed", range(200))
def test_few_asking_revisions_get_the_answers_of_the_whole_walk(seed: int) -> None:
    graph, events = _random_history(seed)
    rnd = random.Random(seed)
    ids = list(graph.by_id)
    heads = [rid for rid in ids if not graph.children_of(rid)]
    choices = [ids, heads, rnd.sample(ids, 1), rnd.sample(ids, min(len(ids), 3))]
    for queries in choices:
        few = Timeline(graph, lambda rid: events.get(rid, []), queries, _every_key)
        masks = Timeline(graph, lambda rid: events.get(rid, []), queries)
        for rid in queries:
            for keys in KEYS:
                expected = _brute_latest(graph, events, queries, rid, keys)
                assert few.latest(rid, keys) == expected, (queries, rid, keys)
                assert masks.latest(rid, keys) == expected, (queries, rid, keys)


# numbered keys: x, y and z as numbers below 10, apart
NUMBERS: dict[Hashable, int] = {"x": 2, "y": 0, "z": 9}


def _numbered(events: list[tuple[Hashable, object]]) -> list[tuple[Hashable, object]]:
    return [(NUMBERS[key], value) for key, value in events]


def _every_number(rid: str) -> list[Hashable]:
    return [2, 0, 9, 5]  # 5: a number no fact has


POSITIONS = {"x": 0, "y": 1, "z": 2}  # in _every_number's list


def _number_groups(rid: str) -> list[Hashable]:
    # groups: one answer each, the latest of the group's keys (x or y; z; z, or 5)
    return [(2, 0), (9,), (5, 9)]


GROUPED = {("x", "y"): 0, ("z",): 1}  # KEYS asked of _number_groups, by position


@pytest.mark.parametrize("seed", range(100))
def test_numbered_keys_answer_as_the_keys_they_number(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph, events = _random_history(seed)
    rnd = random.Random(seed)
    ids = list(graph.by_id)

    def numbered_facts(rid: str) -> list[tuple[Hashable, object]]:
        return _numbered(events.get(rid, []))

    def by_number(
        queries: list[str],
        asked: Callable[[str], list[Hashable]] | None = None,
        by_position: bool = False,
    ) -> Timeline:
        return Timeline(graph, numbered_facts, queries, asked, numbered=10, by_position=by_position)

    for queries in [ids, rnd.sample(ids, min(len(ids), 3))]:
        for few in (_FEW_DEFAULT, 0):  # the few-asking path and the whole walk
            monkeypatch.setattr(ag1xx_history, "_FEW", few)
            named = Timeline(graph, lambda rid: events.get(rid, []), queries, _every_key)
            numbered, masks = by_number(queries, _every_number), by_number(queries)
            positional = by_number(queries, _every_number, by_position=True)
            grouped = by_number(queries, _number_groups, by_position=True)
            for rid in queries:
                assert numbered.latest(rid, [5]) is None
                for keys, position in GROUPED.items():
                    expected = named.latest(rid, list(keys))
                    assert grouped.latest_at(rid, [position]) == expected, (queries, rid)
                assert grouped.latest_at(rid, [2]) == named.latest(rid, ["z"])
                for keys in KEYS:
                    numbers = [NUMBERS[key] for key in keys]
                    expected = named.latest(rid, keys)
                    assert numbered.latest(rid, numbers) == expected, (queries, rid, keys)
                    assert masks.latest(rid, numbers) == expected, (queries, rid, keys)
                    positions = [POSITIONS[key] for key in keys]
                    assert positional.latest_at(rid, positions) == expected, (queries, rid)


def test_answers_read_by_position_are_not_read_by_key() -> None:
    timeline = Timeline(GRAPH, facts, list(GRAPH.by_id), _every_key, by_position=True)
    assert timeline.latest_at("e5", [0]) == "d4-x"
    assert timeline.latest_at("g7", [0, 2]) == "a1-x"  # never its own
    with pytest.raises(TypeError):
        timeline.latest("e5", ["x"])


@pytest.mark.parametrize("key", ["x", 10, -1])
def test_a_numbered_key_must_be_a_number_below_the_count(key: Hashable) -> None:
    with pytest.raises(TypeError):
        Timeline(GRAPH, lambda rid: [(key, rid)], list(GRAPH.by_id), numbered=10)


@pytest.mark.parametrize("seed", range(100))
def test_the_whole_walk_and_the_few_asking_path_agree(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same queries through both paths (past _FEW, the whole walk)
    graph, events = _random_history(seed)
    queries = random.Random(seed).sample(list(graph.by_id), min(len(graph.by_id), 4))
    few = Timeline(graph, lambda rid: events.get(rid, []), queries, _every_key)
    monkeypatch.setattr(ag1xx_history, "_FEW", 0)
    walked = Timeline(graph, lambda rid: events.get(rid, []), queries, _every_key)
    for rid in queries:
        for keys in KEYS:
            assert few.latest(rid, keys) == walked.latest(rid, keys)


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("versions/005_add_asset_key_sqlite.py", "sqlite"),
        ("versions/011_wipe_schedules_sqlite_2.py", "sqlite"),
        ("versions/015_change_varchar_to_text_postgres.py", "postgresql"),
        ("versions/017_initial_mysql.py", "mysql"),
        ("versions/2024-01-01_fix-for-MariaDB.py", "mysql"),
        ("versions/038_add_postgres_pks.py", None),  # a word in the middle: no
        ("versions/ab12cd34ef56_.py", None),
        ("versions/0042.py", None),
    ],
)
def test_file_dialect(name: str, dialect: str | None) -> None:
    assert file_dialect(name) == dialect


@pytest.mark.parametrize(
    ("listed", "below"),
    [
        ("SQLAlchemy==1.3.*", True),
        ("sqlalchemy==2.0.51 \\\n    --hash=sha256:00", True),
        ("sqlalchemy>=1.3.18, <2", True),
        ('sqlalchemy = "^1.4"', True),  # Poetry
        ('sqlalchemy = {version = "^1.4", extras = ["asyncio"]}', True),
        ("sqlalchemy~=1.3", True),
        ("sqlalchemy~=2.0.3", True),
        ("sqlalchemy<2.1", True),
        ("sqlalchemy>=2.0", False),
        ("sqlalchemy~=2.0", False),
        ("sqlalchemy<2.2", False),
        ("sqlalchemy==2.*", False),
        ("sqlalchemy", False),
        ('"sqlalchemy[asyncio] >=2",', False),
        ("Flask-SQLAlchemy==2.4.4", False),  # another package
        ('"dlt[sqlalchemy]>=1.9.0,<2",', False),  # another package's extra
        ("greenlet==3.0  # via sqlalchemy==1.4", False),  # a comment
        ("sqlalchemy==1.4.54\nsqlalchemy>=2", False),  # said twice, once unbounded
    ],
)
def test_sqlalchemy_below_2_1(listed: str, below: bool) -> None:
    assert sqlalchemy_below_2_1([listed]) is below


@pytest.mark.parametrize(
    ("files", "dialects"),
    [
        ({".flaskenv": 'SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"'}, {"sqlite"}),
        ({"prod.env": "DB=mysql+pymysql://u@h/app\nREDIS_URL=redis://cache:6379/0"}, {"mysql"}),
        ({"docker-compose.dev.yml": "  db:\n    image: 'postgis/postgis:16'"}, {"postgresql"}),
        ({"compose.yml": "  db:\n    image: mariadb:11"}, {"mysql"}),
        ({"compose.yml": "  app:\n    image: myorg/postgres-backup:1"}, set()),
        ({"settings.py": "URL = 'postgresql://u@h/app'", "env.txt": "sqlite://"}, set()),
    ],
)
def test_configured_dialects(tmp_path: Path, files: dict[str, str], dialects: set[str]) -> None:
    """The databases a project's dotenv and Compose files name, read in the folder of its
    dependency files (the one above `requirements/`), not in other files."""
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("flask\n")
    (tmp_path / "migrations").mkdir()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert ag1xx_history.configured_dialects(str(tmp_path / "migrations")) == dialects
