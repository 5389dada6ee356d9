"""Classes of plain data, declared as with `dataclasses`, at no cost to start-up.

`@record` reads a class's annotated fields as `@dataclass` does (defaults, `field(...)`
with `default_factory`, `repr` and `compare`; `frozen`, `eq` and `slots`) and gives the
class an `__init__`, `__repr__` and `__eq__` (and, frozen, a `__setattr__`,
`__delattr__` and `__hash__`) that behave as the ones dataclasses writes. What differs
is when the methods are made. The standard decorator compiles each of them as the class
is defined (0.6 ms a class, ~55 classes), and importing it imports `inspect` (5 ms): a
fifth of a pre-commit `lint`'s instructions (406 M before, 324 M after, at 1,000
revisions). Here a method's source is compiled the first time the method is called,
so a run pays only for the methods it uses, and most runs never print or compare most
records; and `__init__` is compiled only once a class has built INTERPRETED records
(until then each is built field by field, as the compiled one would build it), as most
classes build a handful a run.

`fields`, `replace` and `asdict` are those of dataclasses for records. A record is not a
dataclass (`dataclasses.fields` refuses it); `plain.py`, which packs records for the
cache, reads their fields here. Not supported, as nothing here uses them: inheritance
between records, `__post_init__`, `ClassVar`, keyword-only fields, ordering, pickling
a frozen record with slots.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_options: object) -> Callable[[Any], Any]:
        return _same

    def _same(function: Any) -> Any:
        return function


class _Missing:
    """No default was given (dataclasses.MISSING's twin)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record."""


class Field:
    """One field of a record: its name, its declared type (the annotation's text, as
    `from __future__ import annotations` leaves it) and what `field()` said of it."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr", "type")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        repr: bool = True,
        compare: bool = True,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """What a field's default is, and whether it shows in `repr` and takes part in `==`
    and `hash` (dataclasses.field's arguments of the same names)."""
    return Field(default, default_factory, repr, compare)


@dataclass_transform(field_specifiers=(field, Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = False, eq: bool = True, slots: bool = False
) -> Any:
    """The class, made a record: `@record` or `@record(frozen=True, ...)`."""

    def make(cls: type[T]) -> type[T]:
        return _make(cls, frozen, eq, slots)

    return make if cls is None else make(cls)


def fields(class_or_instance: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in declaration order."""
    try:
        found: tuple[Field, ...] = class_or_instance.__record_fields__
    except AttributeError:
        raise TypeError(f"{class_or_instance!r} is not a record") from None
    return found


def is_record(obj: object) -> bool:
    """Whether `obj` is a record class or an instance of one."""
    return hasattr(obj, "__record_fields__")


def is_frozen(cls: type) -> bool:
    return bool(getattr(cls, "__record_frozen__", False))


def replace(obj: T, /, **changes: Any) -> T:
    """A new record like `obj` with the `changes` (dataclasses.replace)."""
    names = {f.name for f in fields(obj)}
    unknown = set(changes) - names
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(obj, name) for name in names}
    values.update(changes)
    return type(obj)(**values)


def asdict(obj: Any) -> Any:
    """A record as a dict of its fields, records within turned into dicts too, lists,
    tuples and dicts copied (dataclasses.asdict; other values are not copied)."""
    if hasattr(type(obj), "__record_fields__"):
        return {f.name: asdict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return type(obj)(asdict(item) for item in obj)
    if isinstance(obj, dict):
        return type(obj)((asdict(key), asdict(value)) for key, value in obj.items())
    return obj


# -- making a record ------------------------------------------------------------------


def _make(cls: type[T], frozen: bool, eq: bool, slots: bool) -> type[T]:
    found = _fields(cls)
    if slots:
        cls = _with_slots(cls, found)
    methods: dict[str, object] = {
        "__record_fields__": found,
        "__record_frozen__": frozen,
        "__match_args__": tuple(f.name for f in found),
    }
    own = vars(cls)
    for name in _methods(eq, frozen):
        if name not in own:
            methods[name] = _lazy_init(cls) if name == "__init__" else _lazy(cls, name)
    if eq and not frozen and "__hash__" not in own:
        methods["__hash__"] = None  # as dataclasses: a mutable record is unhashable
    if frozen:
        methods.update(_frozen_methods(cls, found))
    for name, value in methods.items():
        setattr(cls, name, value)
    return cls


def _methods(eq: bool, frozen: bool) -> list[str]:
    """The methods a record gets (those it does not define itself), as dataclasses
    gives them: equal frozen records hash alike."""
    if not eq:
        return ["__init__", "__repr__"]
    return ["__init__", "__repr__", "__eq__", *(["__hash__"] if frozen else [])]


def _fields(cls: type) -> tuple[Field, ...]:
    """The annotated fields of `cls`, with their defaults, checked as dataclasses does;
    the class attributes that held a `field()` or a field's default removed or set."""
    found: list[Field] = []
    for name, annotation in vars(cls).get("__annotations__", {}).items():
        spec = vars(cls).get(name, MISSING)
        one = spec if isinstance(spec, Field) else Field(default=spec)
        one.name, one.type = name, annotation
        if one.default is not MISSING and type(one.default).__hash__ is None:
            raise ValueError(f"mutable default {type(one.default)} for field {name}")
        if one.default is not MISSING:
            setattr(cls, name, one.default)
        elif spec is not MISSING:
            delattr(cls, name)  # a field() with no default: the class has no such value
        if not _has_default(one) and found and _has_default(found[-1]):
            raise TypeError(f"non-default argument {name!r} follows default argument")
        found.append(one)
    return tuple(found)


def _has_default(one: Field) -> bool:
    return one.default is not MISSING or one.default_factory is not MISSING


def _with_slots(cls: type, found: tuple[Field, ...]) -> type:
    """`cls` made again with a slot per field (slots are fixed when a class is made)."""
    body = dict(vars(cls))
    for one in found:
        body.pop(one.name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body["__slots__"] = tuple(one.name for one in found)
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made


def _frozen_methods(cls: type, found: tuple[Field, ...]) -> dict[str, object]:
    names = frozenset(f.name for f in found)

    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self: object, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


# -- the methods, compiled on first use ---------------------------------------------


def _lazy(cls: type, name: str) -> Callable[..., Any]:
    """A method that, called the first time, compiles the real one from its source
    (`_SOURCES`), puts it on the class in its own place, and calls it."""

    def first_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _compile_now(cls, name)(self, *args, **kwargs)

    first_call.__name__ = first_call.__qualname__ = name
    return first_call


def _compile_now(cls: type, name: str) -> Callable[..., Any]:
    method = _compiled(cls, name, _SOURCES[name](cls))
    setattr(cls, name, method)
    return method


# How many records of a class are built field by field before its `__init__` is
# compiled: compiling one costs ~1 M instructions (~0.3 ms), building one field by
# field ~10 k more than the compiled `__init__` does; most classes build a handful of
# records a run (a setup, the settings, a report, each rule's entry), a few thousands.
INTERPRETED = 64


def _lazy_init(cls: type) -> Callable[..., Any]:
    """An `__init__` that builds the first INTERPRETED records field by field
    (`_init_by_fields`) and then compiles the real one, as `_lazy` does; a call that is
    not a plain, valid one goes to the compiled `__init__` at once, which raises the
    TypeError Python gives."""
    built = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal built
        built += 1
        if built > INTERPRETED or not _init_by_fields(cls, self, args, kwargs):
            _compile_now(cls, "__init__")(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _init_by_fields(cls: type, self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """What the compiled `__init__` does (`_init_source`), read from the fields rather
    than compiled; False, with nothing done, for a call it would refuse."""
    found = fields(cls)
    if len(args) > len(found):
        return False
    values = list(args)
    named = 0
    for one in found[len(args) :]:
        if one.name in kwargs:
            values.append(kwargs[one.name])
            named += 1
        elif one.default_factory is not MISSING or one.default is not MISSING:
            values.append(one.default)  # MISSING for a factory's field: made below
        else:
            return False  # a required argument not given
    if named != len(kwargs):
        return False  # an unknown keyword, or one that repeats a positional argument
    set_field = object.__setattr__ if is_frozen(cls) else setattr
    for one, value in zip(found, values, strict=True):
        if value is MISSING and one.default_factory is not MISSING:
            value = one.default_factory()
        set_field(self, one.name, value)
    return True


def _compiled(cls: type, name: str, source: str) -> Callable[..., Any]:
    env: dict[str, Any] = {"MISSING": MISSING, "set_field": object.__setattr__, "cls": cls}
    for one in fields(cls):
        env[f"default_{one.name}"] = one.default
        env[f"factory_{one.name}"] = one.default_factory
    exec(source, env)  # generated from the class's own field names, never from data
    method: Callable[..., Any] = env[name]
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    return method


def _init_source(cls: type) -> str:
    params, lines = ["self"], []
    frozen = is_frozen(cls)
    for one in fields(cls):
        name = one.name
        if one.default_factory is not MISSING:
            params.append(f"{name}=MISSING")
            value = f"factory_{name}() if {name} is MISSING else {name}"
        else:
            params.append(name if one.default is MISSING else f"{name}=default_{name}")
            value = name
        lines.append(f"set_field(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    body = "".join(f"    {line}\n" for line in lines or ["pass"])
    return f"def __init__({', '.join(params)}):\n{body}"


def _repr_source(cls: type) -> str:
    shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields(cls) if f.repr)
    return f"def __repr__(self):\n    return f'{{type(self).__qualname__}}({shown})'\n"


def _compared(cls: type, var: str) -> str:
    return "".join(f"{var}.{f.name}, " for f in fields(cls) if f.compare)


def _eq_source(cls: type) -> str:
    return (
        "def __eq__(self, other):\n"
        "    if other.__class__ is not self.__class__:\n"
        "        return NotImplemented\n"
        f"    return ({_compared(cls, 'self')}) == ({_compared(cls, 'other')})\n"
    )


def _hash_source(cls: type) -> str:
    return f"def __hash__(self):\n    return hash(({_compared(cls, 'self')}))\n"


_SOURCES = {
    "__init__": _init_source,
    "__repr__": _repr_source,
    "__eq__": _eq_source,
    "__hash__": _hash_source,
}
