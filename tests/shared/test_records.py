"""Records behave as dataclasses with the same declaration: the same constructor, repr,
equality, hashing, freezing and slots, and the same `fields`, `replace` and `asdict`;
their methods are compiled on first use only."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from alembic_gate.shared import records
from alembic_gate.shared.records import FrozenInstanceError, field, record

OPTIONS = [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"slots": True}, {"eq": False}]


def _pair(options: dict[str, bool]) -> tuple[Any, Any]:
    """One declaration, made a record and a dataclass."""

    @record(**options)
    class Item:
        name: str
        size: int = 0
        tags: tuple[str, ...] = field(default_factory=tuple, repr=False)
        seen: int | None = field(default=None, compare=False)

    @dataclasses.dataclass(**options)
    class Same:
        name: str
        size: int = 0
        tags: tuple[str, ...] = dataclasses.field(default_factory=tuple, repr=False)
        seen: int | None = dataclasses.field(default=None, compare=False)

    return Item, Same


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_records_behave_as_dataclasses(options: dict[str, bool]) -> None:
    item, same = _pair(options)
    for args, kwargs in [(("a",), {}), (("a", 2), {"tags": ("x",), "seen": 3})]:
        mine, theirs = item(*args, **kwargs), same(*args, **kwargs)
        assert repr(mine).replace("Item", "Same") == repr(theirs)
        assert (mine == item(*args, **kwargs)) == (theirs == same(*args, **kwargs))
        assert (mine == item("b")) == (theirs == same("b"))
        assert (mine == item(*args, seen=9)) == (theirs == same(*args, seen=9))
        assert records.asdict(mine) == dataclasses.asdict(theirs)
        assert type(vars(item).get("size")) is type(vars(same).get("size"))  # 0, or a slot
    assert (item.__hash__ is None) == (same.__hash__ is None)
    assert ("__slots__" in vars(item)) == ("__slots__" in vars(same))
    assert hasattr(item, "tags") == hasattr(same, "tags")
    assert item.__match_args__ == same.__match_args__
    names = [(f.name, f.type) for f in records.fields(item)]
    assert names == [(f.name, f.type) for f in dataclasses.fields(same)]


@pytest.mark.parametrize("options", [{"frozen": True}, {"frozen": True, "slots": True}], ids=str)
def test_frozen_records_refuse_changes_and_hash_by_their_compared_fields(
    options: dict[str, bool],
) -> None:
    item, same = _pair(options)
    one = item("a", 2, seen=1)
    with pytest.raises(FrozenInstanceError):
        one.size = 3
    with pytest.raises(AttributeError):  # FrozenInstanceError is one, as in dataclasses
        del one.name
    assert hash(one) == hash(item("a", 2, seen=5)) == hash(same("a", 2))
    assert len({one, item("a", 2), item("b")}) == 2


def test_mutable_records_are_unhashable_unless_eq_is_off() -> None:
    mutable, _ = _pair({})
    with pytest.raises(TypeError):
        hash(mutable("a"))
    plain, _ = _pair({"eq": False})
    first = plain("a")
    assert first != plain("a") and len({first, plain("a")}) == 2


def test_defaults_are_made_anew_for_each_record() -> None:
    @record
    class Bag:
        items: list[str] = field(default_factory=list)

    first, second = Bag(), Bag()
    first.items.append("x")
    assert second.items == []


def test_replace_makes_a_new_record_and_refuses_unknown_fields() -> None:
    item, _ = _pair({"frozen": True})
    one = item("a", 2, tags=("t",))
    assert records.replace(one, size=5) == item("a", 5, tags=("t",))
    assert one.size == 2
    with pytest.raises(TypeError, match="colour"):
        records.replace(one, colour="red")


def test_asdict_turns_records_within_into_dicts() -> None:
    @record(frozen=True)
    class Leaf:
        name: str

    @record
    class Tree:
        leaves: list[Leaf]
        best: dict[str, Leaf]

    tree = Tree([Leaf("a")], {"k": Leaf("b")})
    assert records.asdict(tree) == {"leaves": [{"name": "a"}], "best": {"k": {"name": "b"}}}


@pytest.mark.parametrize(
    ("declare", "error"),
    [
        (lambda: type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1}), TypeError),
        (lambda: type("Bad", (), {"__annotations__": {"a": "list[int]"}, "a": []}), ValueError),
    ],
    ids=["default before non-default", "mutable default"],
)
def test_bad_declarations_are_refused_as_dataclasses_refuses_them(
    declare: Callable[[], type], error: type[Exception]
) -> None:
    with pytest.raises(error):
        record(declare())
    with pytest.raises(error):
        dataclasses.dataclass(declare())


def test_a_field_gives_either_a_default_or_a_factory() -> None:
    with pytest.raises(ValueError):
        field(default=1, default_factory=int)


def test_methods_are_compiled_when_first_called_and_once() -> None:
    item, _ = _pair({"frozen": True})
    stubs = {name: vars(item)[name] for name in ("__init__", "__repr__", "__eq__", "__hash__")}
    one = item("a")
    assert vars(item)["__repr__"] is stubs["__repr__"]  # not asked for: not compiled
    assert repr(one).endswith(".Item(name='a', size=0, seen=None)")
    assert vars(item)["__repr__"] is not stubs["__repr__"]
    assert vars(item)["__eq__"] is stubs["__eq__"] and vars(item)["__hash__"] is stubs["__hash__"]


def test_init_is_compiled_once_a_class_has_built_its_first_records() -> None:
    item, _ = _pair({"frozen": True, "slots": True})
    stub = vars(item)["__init__"]
    for number in range(records.INTERPRETED):
        item(str(number))
    assert vars(item)["__init__"] is stub  # built field by field so far
    item("last")
    made = vars(item)["__init__"]
    assert made is not stub and made.__qualname__.endswith("Item.__init__")
    item("again")
    assert vars(item)["__init__"] is made


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    (("a", 2), {}),
    (("a", 2, ("t",), 4), {}),
    ((), {"name": "a", "seen": 1}),
    (("a",), {"tags": ["x"], "size": 3}),
    (("a",), {"tags": records.MISSING}),  # the factory's value, as the compiled one gives
    (("a", 2, (), 4, 5), {}),  # too many
    ((), {}),  # a required one missing
    ((), {"size": 2}),
    (("a",), {"name": "b"}),  # twice
    (("a",), {"colour": "red"}),  # unknown
    (("a",), {"size": 1, "colour": "red"}),
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize(("args", "kwargs"), CALLS, ids=str)
def test_records_built_field_by_field_and_compiled_are_the_same(
    options: dict[str, bool], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """The first records of a class are built field by field, later ones by the compiled
    `__init__`: both as dataclasses builds them, errors included."""
    interpreted, _ = _pair(options)
    compiled, same = _pair(options)
    for number in range(records.INTERPRETED + 1):
        compiled(str(number))
    assert vars(compiled)["__init__"].__code__.co_name == "__init__"
    outcomes = []
    ours = records.MISSING in kwargs.values()  # records' own sentinel: not dataclasses'
    for cls in (interpreted, compiled) if ours else (interpreted, compiled, same):
        try:
            made = cls(*args, **kwargs)
        except TypeError as exc:
            outcomes.append(str(exc).split("__init__() ")[-1])
        else:
            outcomes.append(records.asdict(made) if cls is not same else dataclasses.asdict(made))
    assert all(outcome == outcomes[0] for outcome in outcomes)


def test_fields_refuses_what_is_not_a_record() -> None:
    with pytest.raises(TypeError):
        records.fields(object())
    assert not records.is_record(object) and records.is_record(_pair({})[0])


def test_records_pickle_as_dataclasses_do() -> None:
    one = _Module(name="x", size=2)
    assert pickle.loads(pickle.dumps(one)) == one


@record
class _Module:
    name: str
    size: int = 0
