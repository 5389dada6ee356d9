"""Dataclasses as plain data: what the cache stores and forked readers send back.

`pack` turns a dataclass instance into nested tuples, lists and dicts of literals that
`marshal` can write; `unpack` builds the instance again from the declared types of its
fields and checks every value against them, so data of a wrong type or shape (a damaged
or foreign cache entry) raises `ValueError` instead of reaching a rule. Nothing is
pickled and no code is stored: `marshal` could load a code object, and the checks let
only the declared types and literals through.

Both work over `dataclasses.fields` in declaration order, so a field added to a class
flows through without changes here, and `schema` names the fields of every class
reached, so data written before the field was added is never read. Fields typed
`object` hold literals (what `ast.literal_eval` gives) or a `register`ed singleton,
such as operations.UNKNOWN; a type this module does not know is checked as a literal.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeGuard, TypeVar

T = TypeVar("T")
Check = Callable[[Any], Any]

_SCALARS = frozenset({str, int, bool, float, type(None)})
_LITERAL_LEAVES = frozenset({str, int, bool, float, complex, bytes, type(None), type(...)})
_SINGLETONS: dict[str, object] = {}
_NAMES: dict[int, frozenset[str]] = {}


def register(name: str, singleton: object) -> None:
    """A singleton that `object` fields may hold; it is stored as a one-name frozenset,
    which no literal can be (`ast.literal_eval` never returns a frozenset)."""
    _SINGLETONS[name] = singleton
    _NAMES[id(singleton)] = frozenset((name,))


def pack(value: object, skip: int = 0) -> Any:
    """`value` as plain data; a dataclass's first `skip` fields are left out. An object
    held twice (a call in both `calls` and `steps`) is packed once, and `marshal`
    stores it once."""
    kind = type(value)
    if skip:
        return _packer(kind, skip)(value, {})
    return _pack(value, {})


def _pack(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    packer = _PACKERS.get((kind, 0))
    if packer is None and dataclasses.is_dataclass(kind):
        packer = _packer(kind, 0)
    if packer is not None:
        return _shared_pack(packer, value, memo)
    if kind is list:
        return [_pack(item, memo) for item in value]
    if kind is tuple:
        return tuple([_pack(item, memo) for item in value])
    if kind is dict:
        return {key: _pack(item, memo) for key, item in value.items()}
    name = _NAMES.get(id(value))
    return value if name is None else name


def _shared_pack(packer: Packer, value: Any, memo: dict[int, Any]) -> Any:
    found = memo.get(id(value))
    if found is None:
        found = memo[id(value)] = packer(value, memo)
    return found


Packer = Callable[[Any, dict[int, Any]], Any]
_PACKERS: dict[tuple[type, int], Packer] = {}


def _packer(cls: type, skip: int) -> Packer:
    """The packer of one class, generated once from the declared types of its fields:
    fields that hold only scalars (also in tuples, sets and dicts) are taken as they
    are, dataclasses go to their own packer, anything else through `_pack`. (A class
    that holds itself cannot be packed, nor unpacked.)"""
    packer = _PACKERS.get((cls, skip))
    if packer is None:
        hints = _hints(cls)
        env: dict[str, Any] = {"pack": _pack, "shared": _shared_pack, "SCALARS": _SCALARS}
        names = [f.name for f in dataclasses.fields(cls)][skip:]
        items = [_pack_expression(hints[name], f"obj.{name}", env) for name in names]
        source = (
            f"def packer(obj, memo):\n    return ({', '.join(items)}{',' * (len(items) == 1)})\n"
        )
        exec(source, env)  # generated from our own field types, never from data
        packer = _PACKERS[cls, skip] = env["packer"]
    return packer


def _pack_expression(hint: object, var: str, env: dict[str, Any]) -> str:
    """The expression that packs `var`, a value of type `hint`."""
    if _is_plain(hint):
        return var
    members = _members(hint)
    others = [m for m in members if m is not type(None)]
    if len(others) == 1 and len(others) < len(members):
        return f"(None if {var} is None else {_pack_expression(others[0], var, env)})"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        name = f"P{len(env)}"
        env[name] = _packer(hint, 0)
        return f"shared({name}, {var}, memo)"
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    origin = getattr(hint, "__origin__", None)
    item = args[0] if args else None
    if isinstance(item, type) and dataclasses.is_dataclass(item):
        if origin in (list, Sequence) and len(args) == 1:
            return f"[{_pack_expression(item, 'x', env)} for x in {var}]"
        if origin is tuple and args[1:] == (Ellipsis,):
            return f"tuple([{_pack_expression(item, 'x', env)} for x in {var}])"
    if members == [object]:
        return f"({var} if type({var}) in SCALARS else pack({var}, memo))"
    if origin in (dict, Mapping) and _is_plain(item) and args[1:] == (object,):
        value = _pack_expression(object, "v", env)
        return f"{{k: {value} for k, v in {var}.items()}}"
    return f"pack({var}, memo)"


def _is_plain(hint: object) -> bool:
    """Whether values of `hint` hold only scalars and bytes (also in tuples, frozensets
    and dicts): `_pack` would give them back as they are, or an equal copy."""
    members = _members(hint)
    if len(members) > 1:
        return all(_is_plain(member) for member in members)
    if hint in _SCALARS or hint is bytes:
        return True
    origin = getattr(hint, "__origin__", None)
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if origin in (tuple, frozenset, dict) and args:
        return all(arg is Ellipsis or _is_plain(arg) for arg in args)
    return False


def constructor(cls: type[T]) -> Callable[..., T]:
    """A function taking the arguments of the `__init__` that dataclasses writes for
    `cls`, and building the same instance (the fields set in order, defaults filled
    in) by filling its `__dict__` directly: a frozen dataclass's `__init__` sets each
    field through `object.__setattr__`, three times slower. `cls` itself when it has
    slots, a `__post_init__` or fields left out of `__init__`."""
    kind: type = cls
    fields = dataclasses.fields(kind)
    if "__slots__" in vars(cls) or hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        return cls
    env: dict[str, Any] = {"cls": cls, "new": object.__new__, "MISSING": dataclasses.MISSING}
    params, body = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            env[f"D_{f.name}"] = f.default
            params.append(f"{f.name}=D_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"F_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            body.append(f"if {f.name} is MISSING: {f.name} = F_{f.name}()")
        else:
            params.append(f.name)
    body += ["obj = new(cls)", "fields = obj.__dict__"]
    body += [f"fields[{f.name!r}] = {f.name}" for f in fields]
    body.append("return obj")
    source = f"def make({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    exec(source, env)  # generated from our own fields, never from data
    make: Callable[..., T] = env["make"]
    return make


def unpack(cls: type[T], data: object, *leading: object) -> T:
    """An instance of dataclass `cls` from `pack`ed data; `leading` gives the values of
    the fields `pack` skipped. Raises ValueError when the data does not fit."""
    try:
        return _plan(cls, len(leading))(data, leading, {})  # type: ignore[no-any-return]
    except (TypeError, AttributeError, KeyError, RecursionError) as exc:
        raise ValueError(f"not a packed {cls.__name__}: {exc}") from None


def schema(cls: type) -> str:
    """The field names and declared types of `cls` and of the dataclasses it holds."""
    seen: dict[type, str] = {}
    _describe(cls, seen)
    return ";".join(seen.values())


def _describe(cls: type, seen: dict[type, str]) -> None:
    if cls in seen:
        return
    fields = dataclasses.fields(cls)
    seen[cls] = f"{cls.__name__}(" + ",".join(f"{f.name}:{f.type}" for f in fields) + ")"
    for hint in _hints(cls).values():
        for inner in _classes(hint):
            _describe(inner, seen)


def _classes(hint: object) -> list[type]:
    found: list[type] = []
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        found.append(hint)
    for arg in getattr(hint, "__args__", ()):
        found += _classes(arg)
    return found


# -- building the checks, once per class ---------------------------------------------

Builder = Callable[[Any, tuple[object, ...], dict[int, Any]], Any]
_PLANS: dict[tuple[type, int], Builder] = {}


def _plan(cls: type, skip: int = 0) -> Builder:
    plan = _PLANS.get((cls, skip))
    if plan is None:
        _PLANS[cls, skip] = _pending  # a class that holds itself: resolved on use
        plan = _PLANS[cls, skip] = _build(cls, skip)
    return plan


def _pending(data: Any, leading: tuple[object, ...], memo: dict[int, Any]) -> Any:
    raise TypeError("recursive dataclass")


def _shared(build: Builder, data: Any, memo: dict[int, Any]) -> Any:
    """One object for data that `pack` stored once."""
    found = memo.get(id(data))
    if found is None:
        found = memo[id(data)] = build(data, (), memo)
    return found


def _shared_item(builder: str) -> str:
    """`shared(builder, x, memo)` with the memo's hit tested in place (no call)."""
    return f"(memo[i] if (i := id(x)) in memo else shared({builder}, x, memo))"


def _as_sequence(value: Any) -> Any:
    if type(value) is not list and type(value) is not tuple:
        raise TypeError(f"{type(value).__name__} instead of a sequence")
    return value


def _build(cls: type, skip: int) -> Builder:
    """The reader of one class: like the `__init__` that dataclasses writes, its source
    is generated once from the fields (here: their declared types)."""
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    env: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "shared": _shared,
        "sequence": _as_sequence,
        "literal": _literal,
        "repeat": itertools.repeat,
        "LEAVES": _LITERAL_LEAVES,
    }
    fields = [f"v{i}" for i in range(len(names))]
    body = [
        f"if type(data) is not tuple or len(data) != {len(names) - skip}:",
        f"    raise TypeError('not a tuple of {len(names) - skip} values')",
        f"{', '.join(fields)}{',' if len(fields) == 1 else ''} = "
        + ("(*leading, *data)" if skip else "data"),
    ]
    scalars = []
    for i, name in enumerate(names[skip:], start=skip):
        allowed = _scalar_set(hints[name])
        if allowed is not None:
            env[f"S{i}"] = allowed
            scalars.append(f"type(v{i}) in S{i}")
        else:
            body += _convert(hints[name], f"v{i}", env)
    if scalars:
        body.insert(3, f"if not ({' and '.join(scalars)}):")
        body.insert(4, "    raise TypeError('a value of the wrong type')")
    # Instances with a __dict__ and no __post_init__ are filled in directly, key by key
    # into their own (key-sharing) dict: a frozen dataclass's __init__ sets each field
    # through object.__setattr__, three times slower.
    if "__slots__" not in vars(cls) and not hasattr(cls, "__post_init__"):
        body += ["obj = new(cls)", "fields = obj.__dict__"]
        body += [f"fields[{name!r}] = v{i}" for i, name in enumerate(names)]
        body.append("return obj")
    else:
        body.append(f"return cls({', '.join(fields)})")
    source = "def build(data, leading, memo):\n" + "".join(f"    {line}\n" for line in body)
    exec(source, env)  # generated from our own field types, never from data
    build: Builder = env["build"]
    return build


def _convert(hint: object, var: str, env: dict[str, Any]) -> list[str]:
    """Lines that check `var` against `hint` and replace it with what to store."""
    members = [m for m in _members(hint) if m is not type(None)]
    if len(members) < len(_members(hint)) and len(members) == 1:
        return [
            f"if {var} is not None:",
            *(f"    {line}" for line in _convert(members[0], var, env)),
        ]
    fits = _inline(hint, var, env)
    if fits is not None:  # checked where it stands: no call, no copy
        return [f"if not {fits}:", "    raise TypeError('a value of the wrong type or shape')"]
    name = f"C{len(env)}"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        env[name] = _plan(hint)
        return [f"{var} = shared({name}, {var}, memo)"]
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    item = args[0] if len(args) == 1 else None
    origin = getattr(hint, "__origin__", None)
    if origin in (list, Sequence) and isinstance(item, type) and dataclasses.is_dataclass(item):
        env[name] = _plan(item)
        return [f"{var} = [{_shared_item(name)} for x in sequence({var})]"]
    if origin is tuple and args[1:] == (Ellipsis,) and _is_dataclass(args[0]):
        env[name] = _plan(args[0])
        return [f"{var} = tuple([{_shared_item(name)} for x in sequence({var})])"]
    if origin in (dict, Mapping) and _scalar_set(args[0]) and _one(args[1]) is _literal:
        env[name] = _scalar_set(args[0])
        return [
            f"if type({var}) is not dict:",
            "    raise TypeError('not a dict')",
            f"for key, value in {var}.items():",
            f"    if type(key) not in {name}:",
            "        raise TypeError('a key of the wrong type')",
            "    if type(value) not in LEAVES:",
            f"        {var}[key] = literal(value)",
        ]
    if _members(hint) == [object] or _one(hint) is _literal:
        return [f"if type({var}) not in LEAVES:", f"    {var} = literal({var})"]
    env[name] = _check(hint)
    if origin is tuple:  # most are empty: nothing to check inside
        return [f"if {var} != () or type({var}) is not tuple:", f"    {var} = {name}({var})"]
    return [f"{var} = {name}({var})"]


def _inline(hint: object, var: str, env: dict[str, Any], depth: int = 0) -> str | None:
    """An expression that is true when `var` fits `hint` as stored: for hints made of
    scalars, tuples, frozensets and dicts (kept as they are); None for the others
    (dataclasses, literals), which are converted."""
    allowed = _scalar_set(hint)
    if allowed is not None:
        return f"(type({var}) in {_name(env, allowed)})"
    members = _members(hint)
    if type(None) in members and len(members) == 2:
        other = _inline(next(m for m in members if m is not type(None)), var, env, depth)
        return None if other is None else f"({var} is None or {other})"
    origin = getattr(hint, "__origin__", None)
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if len(members) > 1 or not args:
        return None
    if (origin is frozenset and len(args) == 1) or (origin is tuple and args[1:] == (Ellipsis,)):
        each = _each(args[0], var, env, depth)
        return (
            None
            if each is None
            else f"(type({var}) is {origin.__name__} and (not {var} or {each}))"
        )
    if origin is tuple and Ellipsis not in args:
        parts = [_inline(arg, f"{var}[{i}]", env, depth) for i, arg in enumerate(args)]
        if None in parts:
            return None
        checks = " and ".join(parts)  # type: ignore[arg-type]
        return f"(type({var}) is tuple and len({var}) == {len(args)} and {checks})"
    if origin in (dict, Mapping) and len(args) == 2:
        key = _inline(args[0], f"k{depth}", env, depth + 1)
        value = _inline(args[1], f"x{depth}", env, depth + 1)
        if key is None or value is None:
            return None
        pairs = f"all({key} and {value} for k{depth}, x{depth} in {var}.items())"
        return f"(type({var}) is dict and (not {var} or {pairs}))"
    return None


def _each(hint: object, var: str, env: dict[str, Any], depth: int) -> str | None:
    """True when every item of the collection `var` fits `hint`."""
    allowed = _scalar_set(hint)
    if allowed is not None:  # tested in C, item by item
        return f"all(map(isinstance, {var}, repeat({_name(env, tuple(allowed))})))"
    inner = _inline(hint, f"x{depth}", env, depth + 1)
    return None if inner is None else f"all({inner} for x{depth} in {var})"


def _name(env: dict[str, Any], value: object) -> str:
    """A new name in `env` for `value`."""
    name = f"I{len(env)}"  # the S names are the fields' own
    env[name] = value
    return name


def _is_dataclass(hint: object) -> TypeGuard[type]:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _scalar_set(hint: object) -> frozenset[type] | None:
    """The exact types a value of `hint` may have, when it holds only scalars."""
    members = _members(hint)
    if not all(member in _SCALARS for member in members):
        return None
    allowed = set(members)
    if int in allowed:
        allowed.add(bool)
    return frozenset(allowed)  # type: ignore[arg-type]


def _hints(cls: type) -> dict[str, object]:
    """Each field's declared type, evaluated in the class's module (our own source)."""
    module = vars(sys.modules[cls.__module__])
    hints: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        hint = f.type
        if isinstance(hint, str):
            try:
                hint = eval(hint, module)
            except Exception:
                hint = object
        hints[f.name] = hint
    return hints


def _members(hint: object) -> list[object]:
    if isinstance(hint, types.UnionType) or getattr(hint, "__origin__", None) is _union():
        return list(hint.__args__)  # type: ignore[attr-defined]
    return [hint]


def _union() -> object:
    typing = sys.modules.get("typing")
    return getattr(typing, "Union", None) if typing else None


def _check(hint: object) -> Check | None:
    """A function that returns the value to store for `hint` or raises; None when the
    one-go isinstance test is enough."""
    members = _members(hint)
    if all(member in _SCALARS for member in members):
        return None
    checks = [_one(member) for member in members]
    if len(checks) == 1:
        return checks[0]
    none_ok = type(None) in members
    others = [c for m, c in zip(members, checks, strict=True) if m is not type(None)]

    def either(value: Any) -> Any:
        if value is None and none_ok:
            return None
        for check in others:
            try:
                return check(value)
            except (TypeError, ValueError):
                pass
        raise TypeError(f"{type(value).__name__} fits none of {hint}")

    return either


def _one(hint: object) -> Check:
    if hint in _SCALARS:
        return _exact(hint)  # type: ignore[arg-type]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value: _plan(hint)(value, (), {})
    origin = getattr(hint, "__origin__", None)
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if origin in (list, Sequence) and len(args) == 1:
        return _sequence(list, _one_or_pass(args[0]))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(tuple, _one_or_pass(args[0]))
        return _fixed_tuple([_one_or_pass(arg) for arg in args])
    if origin in (frozenset, set) and len(args) == 1:
        return _set(origin, _one_or_pass(args[0]))
    if origin in (dict, Mapping) and len(args) == 2:
        return _mapping(_one_or_pass(args[0]), _one_or_pass(args[1]))
    if origin is None and hint is not object and isinstance(hint, type):
        return _exact(hint)
    return _literal


def _one_or_pass(hint: object) -> Check:
    check = _check(hint)
    if check is not None:
        return check
    allowed = tuple(_members(hint))

    def scalar(value: Any) -> Any:
        if not isinstance(value, allowed):  # type: ignore[arg-type]
            raise TypeError(f"{type(value).__name__} instead of {hint}")
        return value

    return scalar


def _exact(kind: type) -> Check:
    def exact(value: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(f"{type(value).__name__} instead of {kind.__name__}")
        return value

    return exact


def _sequence(kind: type, item: Check) -> Check:
    def sequence(value: Any) -> Any:
        if type(value) is not list and type(value) is not tuple:
            raise TypeError(f"{type(value).__name__} instead of a {kind.__name__}")
        return kind([item(v) for v in value])

    return sequence


def _fixed_tuple(items: list[Check]) -> Check:
    def fixed(value: Any) -> Any:
        if type(value) is not tuple or len(value) != len(items):
            raise TypeError(f"not a tuple of {len(items)}")
        return tuple([check(v) for check, v in zip(items, value, strict=True)])

    return fixed


def _set(kind: type, item: Check) -> Check:
    def as_set(value: Any) -> Any:
        if type(value) not in (set, frozenset):
            raise TypeError(f"{type(value).__name__} instead of a set")
        return kind(item(v) for v in value)

    return as_set


def _mapping(key: Check, item: Check) -> Check:
    def mapping(value: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"{type(value).__name__} instead of a dict")
        return {key(k): item(v) for k, v in value.items()}

    return mapping


def _literal(value: Any) -> Any:
    """What `ast.literal_eval` could have returned, or a registered singleton."""
    kind = type(value)
    if kind in _LITERAL_LEAVES:
        return value
    if kind is frozenset:
        if len(value) == 1:
            (name,) = value
            if name in _SINGLETONS:
                return _SINGLETONS[name]
        raise TypeError("a frozenset that names no singleton")
    if kind in (tuple, list, set):
        return kind(_literal(item) for item in value)
    if kind is dict:
        return {_literal(k): _literal(v) for k, v in value.items()}
    raise TypeError(f"{kind.__name__} is not a literal")
