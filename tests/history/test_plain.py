"""Records as plain data: what `pack` writes `unpack` builds again, for any field a
class gains later; data of the wrong type or shape is refused, never half-used."""

from __future__ import annotations

import marshal
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from changed_records import call_with_a_field_added
from hypothesis import given
from hypothesis import strategies as st

from alembic_gate.history import plain, plain_writer
from alembic_gate.history.operations import (
    UNKNOWN,
    Call,
    Column,
    Operations,
    Side,
    read_operations,
)
from alembic_gate.shared import records
from alembic_gate.shared.records import field, record

from .test_plain_generated import generated, tables_of

PROJECTS = Path(__file__).resolve().parents[1] / "projects"


@record(frozen=True)
class Leaf:
    name: str
    size: int | None = None
    value: object = None


@record
class Tree:
    leaves: list[Leaf] = field(default_factory=list)
    best: Leaf | None = None
    names: tuple[str, ...] = ()
    pairs: tuple[tuple[str | None, str], ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    lines: dict[int, frozenset[str]] = field(default_factory=dict)
    flag: bool = False


# Functions generated ahead of time for the classes here (as plain_generated.py holds
# those of the cache's records), compiled from this file name.
AHEAD_FILE = "<generated ahead for test_plain>"
COVERED = ("Leaf", "Tree", "SlotLeaf", "Either")


@pytest.fixture(scope="module")
def ahead_tables() -> tuple[object, object]:
    functions, schemas = plain_writer.cache_records()
    for cls in (Tree, Either, SlotLeaf):
        functions += [("reader", cls, 0), ("packer", cls, 0)]
    functions += [("reader", SlotLeaf, 1), ("packer", SlotLeaf, 1), ("constructor", Tree, 0)]
    text = plain_writer.generated_module(functions, [*schemas, Tree, Either])
    return tables_of(text, AHEAD_FILE)


@pytest.fixture(autouse=True, params=["compiled now", "generated ahead"])
def generated_by(
    request: pytest.FixtureRequest, ahead_tables: tuple[object, object]
) -> Iterator[str]:
    """Every test twice: with each function plain.py generates compiled as it is asked
    for, and generated ahead of time (then every one for a class here is)."""
    ahead = request.param == "generated ahead"
    with generated(ahead_tables if ahead else ({}, {})):
        yield request.param
        made = [*plain._PLANS.items(), *plain._PACKERS.items()]
        for (cls, _), function in made:
            if cls.__module__ == __name__ and cls.__qualname__ in COVERED:
                assert (function.__code__.co_filename == AHEAD_FILE) is ahead, cls


def round_trip(value: object, cls: type) -> object:
    return plain.unpack(cls, marshal.loads(marshal.dumps(plain.pack(value))))


def test_every_kind_of_field_round_trips() -> None:
    leaf = Leaf("a", 3, UNKNOWN)
    tree = Tree(
        leaves=[leaf, Leaf("b", None, (1, "x", [b"y", None], {"k": {1.5, 2j}}))],
        best=leaf,
        names=("x", "y"),
        pairs=(("k", "v"), (None, "kw")),
        options={"nullable": False, "type_": UNKNOWN, "default": ...},
        tags=frozenset({"t"}),
        lines={0: frozenset({"AG001"})},
        flag=True,
    )
    back = round_trip(tree, Tree)
    assert back == tree
    assert isinstance(back, Tree) and back.leaves[0] is back.best  # held once, built once
    assert back.options["type_"] is UNKNOWN


LITERALS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.binary()
    | st.floats(allow_nan=False),
    lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner),
)


@given(st.text(), st.none() | st.integers(), LITERALS | st.just(UNKNOWN))
def test_literals_round_trip(name: str, size: int | None, value: object) -> None:
    leaf = Leaf(name, size, value)
    assert round_trip(leaf, Leaf) == leaf


def test_a_field_added_to_call_flows_through_and_changes_the_schema() -> None:
    """Another developer adds a field to Call: nothing here changes, and data written
    before (without the field) no longer fits."""
    extended = call_with_a_field_added()
    call = extended("add_column", 3, "t", options={"x": UNKNOWN}, confidence="low")
    assert round_trip(call, extended) == call
    old = plain.pack(Call("add_column", 3, "t"))
    with pytest.raises(ValueError):
        plain.unpack(extended, old)
    assert plain.schema(extended) != plain.schema(Call)
    assert "Column(" in plain.schema(Operations)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        ("a",),
        ("a", "three", None, None),
        (1, None, None),
        ("a", None, frozenset({"NOT_A_SINGLETON"})),
        ("a", None, compile("1", "f", "eval")),
        ("a", None, StopIteration),
        ("a", None, [1, {2: [compile("1", "f", "eval")]}]),
    ],
)
def test_data_of_the_wrong_shape_is_refused(data: object) -> None:
    with pytest.raises(ValueError):
        plain.unpack(Leaf, data)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("leaves", [("a", None, None), "b"]),
        ("leaves", "ab"),
        ("best", ("a",)),
        ("names", ("x", 1)),
        ("names", ["x"]),
        ("pairs", (("k", 1),)),
        ("pairs", (("k",),)),
        ("pairs", (("k", "v", "w"),)),
        ("pairs", [("k", "v")]),
        ("pairs", (None,)),
        ("pairs", (("k", None),)),
        ("options", {1: "v"}),
        ("options", [("k", "v")]),
        ("tags", frozenset({1})),
        ("lines", {"0": frozenset()}),
        ("lines", {0: frozenset({1})}),
        ("lines", {0: ("a",)}),
        ("lines", [(0, frozenset())]),
        ("tags", ("a",)),
        ("flag", 1),
    ],
)
def test_each_field_is_checked(name: str, bad: object) -> None:
    with pytest.raises(ValueError):
        plain.unpack(Tree, _packed_with(Tree(), name, bad))


def _packed_with(value: object, name: str, bad: object) -> tuple[object, ...]:
    """`value` packed, with the field `name` replaced by `bad`."""
    packed = list(plain.pack(value))
    packed[[f.name for f in records.fields(value)].index(name)] = bad  # type: ignore[arg-type]
    return tuple(packed)


@record
class Either:
    leaf_or_size: Leaf | int = 0
    maybe_leaves: dict[str, Leaf | None] = field(default_factory=dict)
    words: str | tuple[str, ...] | None = None


def test_unions_round_trip() -> None:
    """A union other than `X | None` (or `X | None` as a dict's values) is read as one
    of its members, not as a literal: a record in it comes back as itself."""
    either = Either(Leaf("a", 1), {"k": Leaf("b"), "n": None}, ("x", "y"))
    assert round_trip(either, Either) == either
    assert round_trip(Either(3, {}, "w"), Either) == Either(3, {}, "w")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("leaf_or_size", "a"),
        ("leaf_or_size", ("a", "big")),
        ("maybe_leaves", {"k": 1}),
        ("words", ("x", 1)),
        ("words", 1),
    ],
)
def test_each_member_of_a_union_is_checked(name: str, bad: object) -> None:
    with pytest.raises(ValueError):
        plain.unpack(Either, _packed_with(Either(), name, bad))


def test_operations_of_every_shape_round_trip() -> None:
    column = Column("c", False, True, False)
    call = Call("add_column", 1, "t", "c", {"k": UNKNOWN}, column, schema=UNKNOWN, sql="UPDATE")
    ops = Operations(Side([call], [call, call], 1, False, True), Side(), "problem", "message")
    back = round_trip(ops, Operations)
    assert back == ops
    assert isinstance(back, Operations) and back.upgrade.steps[1] is back.upgrade.calls[0]


@pytest.mark.parametrize(
    "path", sorted(PROJECTS.glob("**/versions/*.py")), ids=lambda p: str(p.relative_to(PROJECTS))
)
def test_the_calls_of_every_fixture_revision_round_trip(path: Path) -> None:
    """What every revision file of the test projects holds unpacks as it was packed
    (a reader that refused it would have the file parsed again, unseen)."""
    ops = read_operations(path.read_bytes())
    assert round_trip(ops, Operations) == ops


def test_constructor_builds_what_init_builds() -> None:
    make = plain.constructor(Call)
    given = {"name": "add_column", "line": 3, "table": "t", "options": {"schema": UNKNOWN}}
    built, made = Call(**given), make(**given)  # type: ignore[arg-type]
    assert made == built
    assert list(vars(made)) == list(vars(built))
    assert make("orm", 1, None).options == {}
    assert make("orm", 1, None).options is not make("orm", 1, None).options
    with pytest.raises(TypeError):
        make("orm")


def test_constructor_of_a_class_with_slots_is_the_class() -> None:
    @record(slots=True)
    class Slotted:
        name: str

    assert plain.constructor(Slotted) is Slotted


@record(frozen=True, slots=True)
class SlotLeaf:
    name: str
    ids: tuple[str, ...] = ()
    line: int | None = None


def test_a_frozen_class_with_slots_round_trips() -> None:
    """Built with its slots set directly (as revisions.Value is), not through its
    frozen `__init__`: every field lands in its own slot."""
    leaf = SlotLeaf("a", ("b", "c"), 3)
    back = plain.unpack(SlotLeaf, plain.pack(leaf))
    assert back == leaf and type(back) is SlotLeaf
    assert (back.name, back.ids, back.line) == ("a", ("b", "c"), 3)
    with pytest.raises(records.FrozenInstanceError):
        back.name = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        plain.unpack(SlotLeaf, ("a", ("b",), "not a line"))


def test_a_frozen_class_with_slots_is_built_as_its_twin() -> None:
    """Made as an instance of a class with the same slots, then given its own class:
    nothing of the twin shows, and the instance is as frozen, hashable and equal as
    one made by `__init__`."""
    back = plain.unpack(SlotLeaf, ("a", ("b",), None))
    assert plain._twin(SlotLeaf) is not None
    assert type(back) is SlotLeaf and not hasattr(back, "__dict__")
    assert hash(back) == hash(SlotLeaf("a", ("b",))) and back == SlotLeaf("a", ("b",))
    with pytest.raises(records.FrozenInstanceError):
        del back.ids


def test_a_frozen_class_with_slots_no_twin_fits_is_built_through_its_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @record(frozen=True, slots=True)
    class Other:
        name: str
        line: int | None = None

    monkeypatch.setattr(plain, "_twin", lambda cls: None)
    back = plain.unpack(Other, ("a", 2))
    assert type(back) is Other and back == Other("a", 2)
    with pytest.raises(ValueError):
        plain.unpack(Other, ("a", "b"))


def test_a_class_whose_layout_differs_has_no_twin() -> None:
    class WithDict:
        name: str

    WithDict.__slots__ = ("name",)  # type: ignore[attr-defined]  # not its real layout
    assert plain._twin(WithDict) is None


def test_a_class_with_slots_is_built_by_assignments() -> None:
    @record(slots=True)
    class Slotted:
        name: str
        items: list[str] = field(default_factory=list)

    back = plain.unpack(Slotted, ("a", ["b"]))
    assert type(back) is Slotted and back == Slotted("a", ["b"])
    back.name = "c"
    assert back.name == "c"


def test_a_reader_builds_what_unpack_does_and_raises_a_misfit() -> None:
    leaf = SlotLeaf("a", ("b", "c"), 3)
    read = plain.reader(SlotLeaf, 1)
    assert read(plain.pack(leaf, 1), ("a",), {}) == leaf == plain.unpack(SlotLeaf, plain.pack(leaf))
    with pytest.raises(plain.MISFITS):
        read((("b",), "not a line"), ("a",), {})
    with pytest.raises(plain.MISFITS):
        read(["not a tuple"], ("a",), {})
