"""Records as plain data: what the cache stores and forked readers send back.

`pack` turns a record (shared/records.py) into nested tuples, lists and dicts of
literals that `marshal` can write; `unpack` builds the instance again from the declared
types of its fields and checks every value against them, so data of a wrong type or
shape (a damaged or foreign cache entry) raises `ValueError` instead of reaching a rule.
Nothing is pickled and no code is stored: `marshal` could load a code object, and the
checks let only the declared types and literals through.

Both work over `records.fields` in declaration order, so a field added to a class
flows through without changes here, and `schema` names the fields of every class
reached, so data written before the field was added is never read. Fields typed
`object` hold literals (what `ast.literal_eval` gives) or a `register`ed singleton,
such as operations.UNKNOWN; a type this module does not know is checked as a literal.

The packers, readers and constructors are Python source generated from the declared
fields and compiled once per class. Compiling them cost a `lint` run ~4 ms, so those of
the records the cache holds are also generated ahead of time into plain_generated.py
(`python -m alembic_gate.history.plain_writer --write`, checked by its test): a run takes a
function from there while its class has the fields, declared types and defaults it was
written for, and compiles it otherwise. Either way the code is generated from our own
classes, never from data.
"""

from __future__ import annotations

import functools
import itertools
import sys
import types
from collections.abc import Callable, Mapping, Sequence

from alembic_gate.shared import records

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Any, TypeGuard, TypeVar

    T = TypeVar("T")
    Check = Callable[[Any], Any]
    Packer = Callable[[Any, dict[int, Any]], Any]
    Builder = Callable[[Any, tuple[object, ...], dict[int, Any]], Any]
    # plain_generated.py's tables: (kind, module, class, skip): (fingerprint, factory),
    # and (module, class): (holder, name, part of the schema) for each class described
    Functions = dict[tuple[str, str, str, int], tuple[str, Callable[["Link"], Any]]]
    Schemas = dict[tuple[str, str], tuple[tuple[int, str, str], ...]]
    # What one of the names a generated function uses is: ("plan", Call), ("value", str)
    Recipe = tuple[str, Any]

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
    """`value` as plain data; a record's first `skip` fields are left out. An object
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
    if packer is None and records.is_record(kind):
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


_PACKERS: dict[tuple[type, int], Packer] = {}


def _packer(cls: type, skip: int) -> Packer:
    """The packer of one class, generated once from the declared types of its fields:
    fields that hold only scalars (also in tuples, sets and dicts) are taken as they
    are, records go to their own packer, anything else through `_pack`. (A class
    that holds itself cannot be packed, nor unpacked.)"""
    packer = _PACKERS.get((cls, skip))
    if packer is None:
        packer = _ahead_function("packer", cls, skip) or _compiled(*_packer_source(cls, skip))
        _PACKERS[cls, skip] = packer
    return packer


def _packer_source(cls: type, skip: int) -> tuple[str, Env]:
    hints = _hints(cls)
    env = Env(None, "pack", "shared", "SCALARS")
    names = [f.name for f in records.fields(cls)][skip:]
    # Fields are read from the instance's own dict where it has one: a subscript
    # costs less than an attribute lookup, which looks through the class first.
    slots = "__slots__" in vars(cls)
    fields = [f"obj.{name}" if slots else f"d[{name!r}]" for name in names]
    items = [
        _pack_expression(hints[name], var, env) for name, var in zip(names, fields, strict=True)
    ]
    source = (
        "def packer(obj, memo):\n"
        + ("" if slots else "    d = obj.__dict__\n")
        + f"    return ({', '.join(items)}{',' * (len(items) == 1)})\n"
    )
    return source, env


def _pack_expression(hint: object, var: str, env: Env) -> str:
    """The expression that packs `var`, a value of type `hint`."""
    if _is_plain(hint):
        return var
    kind, of = _shape(hint)
    if kind == "optional":
        return f"(None if {var} is None else {_pack_expression(of, var, env)})"
    if kind == "record":
        name = env.add(f"P{len(env)}", _packer(of, 0), ("packer", of))
        return f"shared({name}, {var}, memo)"
    if kind in ("list", "tuple") and _is_record(of):
        items = f"[{_pack_expression(of, 'x', env)} for x in {var}]"
        return items if kind == "list" else f"tuple({items})"
    if kind == "object":
        return f"({var} if type({var}) in SCALARS else pack({var}, memo))"
    if kind in ("dict", "mapping") and _is_plain(of[0]) and of[1] is object:
        value = _pack_expression(object, "v", env)  # most are empty: no comprehension
        return f"({{k: {value} for k, v in {var}.items()}} if {var} else {{}})"
    return f"pack({var}, memo)"


def _is_plain(hint: object) -> bool:
    """Whether values of `hint` hold only scalars and bytes (also in tuples, frozensets
    and dicts): `_pack` would give them back as they are, or an equal copy."""
    kind, of = _shape(hint)
    if kind in ("optional", "tuple", "frozenset"):
        return _is_plain(of)
    if kind in ("union", "fixed", "dict"):
        return bool(of) and all(_is_plain(item) for item in of)  # tuple[()] is not
    return kind == "scalars" or hint is bytes


def constructor(cls: type[T]) -> Callable[..., T]:
    """A function taking the arguments of the `__init__` that records.py writes for
    `cls`, and building the same instance (the fields set in order, defaults filled
    in) by filling its `__dict__` directly: a frozen record's `__init__` sets each
    field through `object.__setattr__`, three times slower. `cls` itself when it has
    slots."""
    if "__slots__" in vars(cls):
        return cls
    make: Callable[..., T] = _ahead_function("constructor", cls, 0) or _compiled(
        *_constructor_source(cls)
    )
    return make


def _constructor_source(cls: type) -> tuple[str, Env]:
    env = Env(cls, "new", "MISSING")
    params, body = [], []
    fields = records.fields(cls)
    for f in fields:
        if f.default is not records.MISSING:
            env.add(f"D_{f.name}", f.default, ("default", f.name))
            params.append(f"{f.name}=D_{f.name}")
        elif f.default_factory is not records.MISSING:
            env.add(f"F_{f.name}", f.default_factory, ("factory", f.name))
            params.append(f"{f.name}=MISSING")
            body.append(f"if {f.name} is MISSING: {f.name} = F_{f.name}()")
        else:
            params.append(f.name)
    body += ["obj = new(cls)", "fields = obj.__dict__"]
    body += [f"fields[{f.name!r}] = {f.name}" for f in fields]
    body.append("return obj")
    source = f"def make({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    return source, env


def unpack(cls: type[T], data: object, *leading: object, built: dict[int, Any] | None = None) -> T:
    """An instance of record `cls` from `pack`ed data; `leading` gives the values of
    the fields `pack` skipped. Raises ValueError when the data does not fit. `built`:
    record instances already made from parts of `data`, by the id of the part, taken
    as they are (neither built nor checked again)."""
    memo = {} if built is None else built
    try:
        return _plan(cls, len(leading))(data, leading, memo)  # type: ignore[no-any-return]
    except MISFITS as exc:
        raise ValueError(f"not a packed {cls.__name__}: {exc}") from None


# What a reader raises for data that does not fit (`unpack` makes them ValueError).
MISFITS = (TypeError, AttributeError, KeyError, RecursionError)


def reader(cls: type[T], skip: int) -> Callable[[object, tuple[object, ...], dict[int, Any]], T]:
    """`unpack` of `cls` with `skip` leading fields, as the function that does its work,
    for a caller that unpacks many (a call less each, ~2 k instructions): it takes the
    data, the leading values and the `built` memo, and raises one of MISFITS, never
    ValueError, when the data does not fit."""
    return _plan(cls, skip)


def schema(cls: type) -> str:
    """The field names and declared types of `cls` and of the records it holds."""
    ahead = _ahead_schema(cls)
    if ahead is not None:
        return ahead
    seen: dict[type, str] = {}
    _describe(cls, seen)
    return ";".join(seen.values())


def _describe(cls: type, seen: dict[type, str]) -> None:
    if cls in seen:
        return
    seen[cls] = schema_part(cls)
    for hint in _hints(cls).values():
        for inner in _classes(hint):
            _describe(inner, seen)


def schema_part(cls: type) -> str:
    """The part of a schema that describes `cls` alone."""
    fields = records.fields(cls)
    return f"{cls.__name__}(" + ",".join(f"{f.name}:{f.type}" for f in fields) + ")"


def _classes(hint: object) -> list[type]:
    found: list[type] = []
    if _is_record(hint):
        found.append(hint)
    for arg in getattr(hint, "__args__", ()):
        found += _classes(arg)
    return found


# -- building the checks, once per class ---------------------------------------------

_PLANS: dict[tuple[type, int], Builder] = {}


def _plan(cls: type, skip: int = 0) -> Builder:
    plan = _PLANS.get((cls, skip))
    if plan is None:
        _PLANS[cls, skip] = _pending  # a class that holds itself: resolved on use
        plan = _PLANS[cls, skip] = _ahead_function("reader", cls, skip) or _build(cls, skip)
    return plan


def _pending(data: Any, leading: tuple[object, ...], memo: dict[int, Any]) -> Any:
    raise TypeError("recursive record")


def _shared(builder: str, var: str) -> str:
    """The object built from `var` by `builder`, one for data that `pack` stored once
    (found in the memo by the data's id), with no call but the builder's own."""
    built = f"{builder}({var}, (), memo)"
    return f"(memo[i] if (i := id({var})) in memo else memo.setdefault(i, {built}))"


def _as_sequence(value: Any) -> Any:
    if type(value) is not list and type(value) is not tuple:
        raise TypeError(f"{type(value).__name__} instead of a sequence")
    return value


def _build(cls: type, skip: int) -> Builder:
    """The reader of one class: like the `__init__` that records.py writes, its source
    is generated once from the fields (here: their declared types)."""
    build: Builder = _compiled(*_reader_source(cls, skip))
    return build


def _reader_source(cls: type, skip: int) -> tuple[str, Env]:
    hints = _hints(cls)
    names = [f.name for f in records.fields(cls)]
    env = Env(cls, "new", "sequence", "literal", "repeat", "LEAVES")
    fields = [f"v{i}" for i in range(len(names))]
    body = [
        f"if type(data) is not tuple or len(data) != {len(names) - skip}:",
        f"    raise TypeError('not a tuple of {len(names) - skip} values')",
    ]
    # Each tuple unpacked on its own: joining them first (`(*leading, *data)`) makes a
    # tuple of every field only to take it apart.
    for names_of, source in ((fields[:skip], "leading"), (fields[skip:], "data")):
        if names_of:
            body.append(f"{', '.join(names_of)}, = {source}")
    head = len(body)
    scalars = []
    for i, name in enumerate(names[skip:], start=skip):
        kind, allowed = _shape(hints[name])
        if kind == "scalars":
            scalars.append(_scalar_test(f"v{i}", allowed, env))
        else:
            body += _convert(hints[name], f"v{i}", env)
    if scalars:
        body.insert(head, f"if not ({' and '.join(scalars)}):")
        body.insert(head + 1, "    raise TypeError('a value of the wrong type')")
    # Instances with a __dict__ are filled in directly, key by key
    # into their own (key-sharing) dict: a frozen record's __init__ sets each field
    # through object.__setattr__, three times slower.
    if "__slots__" not in vars(cls):
        body += ["obj = new(cls)", "fields = obj.__dict__"]
        body += [f"fields[{name!r}] = v{i}" for i, name in enumerate(names)]
        body.append("return obj")
    else:
        body += _fill_slots(cls, names, env)
    source = "def build(data, leading, memo):\n" + "".join(f"    {line}\n" for line in body)
    return source, env


def _fill_slots(cls: type, names: list[str], env: Env) -> list[str]:
    """Lines that make an instance of `cls`, a class with slots, from the values `v0`...:
    each slot set by a plain assignment, as the `__init__` that records.py writes does,
    without the call (1.5 k instructions less for a RevisionFile, of ~16 k). A frozen
    class refuses assignments: its instance is made as one of a twin class with the same
    slots and none of its methods, then given its class (a Value: 4.4 k instructions
    rather than 6 k through each slot's descriptor, which is still the way when the
    twin's layout does not fit)."""
    stores = [f"obj.{name} = v{i}" for i, name in enumerate(names)]
    if not records.is_frozen(cls):
        return ["obj = new(cls)", *stores, "return obj"]
    twin = _twin(cls)
    if twin is not None:
        env.add("Twin", twin, ("twin", None))
        return ["obj = new(Twin)", *stores, "obj.__class__ = cls", "return obj"]
    lines = ["obj = new(cls)"]
    for i, name in enumerate(names):
        env.add(f"SET{i}", vars(cls)[name].__set__, ("setter", name))
        lines.append(f"SET{i}(obj, v{i})")
    return [*lines, "return obj"]


def _twin(cls: type) -> type | None:
    """A class with the slots of `cls` that an instance can be turned into `cls` from
    (the same layout: Python checks it), or None."""
    twin = type(f"{cls.__name__}Twin", cls.__bases__, {"__slots__": vars(cls)["__slots__"]})
    probe: Any = object.__new__(twin)
    try:
        probe.__class__ = cls
    except TypeError:
        return None
    return twin


def _convert(hint: object, var: str, env: Env) -> list[str]:
    """Lines that check `var` against `hint` and replace it with what to store."""
    kind, of = _shape(hint)
    if kind == "optional":
        return [f"if {var} is not None:", *(f"    {line}" for line in _convert(of, var, env))]
    loop = _loop(hint, var, env)
    if loop is not None:
        return loop
    fits = _inline(hint, var, env)
    if fits is not None:  # checked where it stands: no call, no copy
        return [f"if not {fits}:", "    raise TypeError('a value of the wrong type or shape')"]
    name = f"C{len(env)}"
    if kind == "record":
        env.add(name, _plan(of), ("plan", of))
        return [f"{var} = {_shared(name, var)}"]
    if kind in ("list", "tuple") and _is_record(of):
        env.add(name, _plan(of), ("plan", of))
        items = f"[{_shared(name, 'x')} for x in sequence({var})]"
        return [f"{var} = {items if kind == 'list' else f'tuple({items})'}"]
    if kind in ("dict", "mapping"):
        (key, keys), (value, _) = _shape(of[0]), _shape(of[1])
        if key == "scalars" and value in _READ_AS_LITERALS:
            env.add(name, keys, ("value", keys))
            return [
                f"if type({var}) is not dict:",
                "    raise TypeError('not a dict')",
                f"for key, value in {var}.items():",
                f"    if type(key) not in {name}:",
                "        raise TypeError('a key of the wrong type')",
                "    if type(value) not in LEAVES:",
                f"        {var}[key] = literal(value)",
            ]
    if kind in _READ_AS_LITERALS:  # most often None
        return [
            f"if {var} is not None and type({var}) not in LEAVES:",
            f"    {var} = literal({var})",
        ]
    env.add(name, _check(hint), ("check", hint))
    if kind in ("tuple", "fixed"):  # most are empty: nothing to check inside
        return [f"if {var} != () or type({var}) is not tuple:", f"    {var} = {name}({var})"]
    return [f"{var} = {name}({var})"]


def _loop(hint: object, var: str, env: Env) -> list[str] | None:
    """Lines that check a tuple or frozenset of items that are not scalars (altered's
    (table, column) pairs) with a loop: half what `all()` over a generator costs. None
    for any other hint, or items not checked in place."""
    kind, of = _shape(hint)
    if kind not in ("tuple", "frozenset") or _shape(of)[0] == "scalars":
        return None
    fits = _inline(of, "x0", env, 1)
    if fits is None:
        return None
    wrong = "    raise TypeError('a value of the wrong type or shape')"
    return [
        f"if type({var}) is not {kind}:",
        wrong,
        f"for x0 in {var}:",
        f"    if not {fits}:",
        f"    {wrong}",
    ]


def _inline(hint: object, var: str, env: Env, depth: int = 0) -> str | None:
    """An expression that is true when `var` fits `hint` as stored: for hints made of
    scalars, tuples, frozensets and dicts (kept as they are); None for the others
    (records, literals), which are converted."""
    kind, of = _shape(hint)
    if kind == "scalars":
        return _scalar_test(var, of, env)
    if kind == "optional":
        other = _inline(of, var, env, depth)
        return None if other is None else f"({var} is None or {other})"
    if kind in ("tuple", "frozenset"):
        each = _each(of, var, env, depth)
        return None if each is None else f"(type({var}) is {kind} and (not {var} or {each}))"
    if kind == "fixed" and of:
        parts = [_inline(arg, f"{var}[{i}]", env, depth) for i, arg in enumerate(of)]
        if None in parts:
            return None
        checks = " and ".join(parts)  # type: ignore[arg-type]
        return f"(type({var}) is tuple and len({var}) == {len(of)} and {checks})"
    if kind in ("dict", "mapping"):
        key = _inline(of[0], f"k{depth}", env, depth + 1)
        value = _inline(of[1], f"x{depth}", env, depth + 1)
        if key is None or value is None:
            return None
        pairs = f"all({key} and {value} for k{depth}, x{depth} in {var}.items())"
        return f"(type({var}) is dict and (not {var} or {pairs}))"
    return None


def _scalar_test(var: str, allowed: frozenset[type], env: Env) -> str:
    """True when `var`'s type is one of `allowed`: None and a single type are told by
    identity, cheaper than a set lookup (most fields are `str | None` or `bool`)."""
    others = allowed - {type(None)}
    tests = [f"{var} is None"] if type(None) in allowed else []
    if len(others) == 1:
        tests.append(f"type({var}) is {_name(env, next(iter(others)))}")
    elif others:
        tests.append(f"type({var}) in {_name(env, others)}")
    return f"({' or '.join(tests)})"


def _each(hint: object, var: str, env: Env, depth: int) -> str | None:
    """True when every item of the collection `var` fits `hint` (or a TypeError)."""
    kind, allowed = _shape(hint)
    if kind == "scalars" and allowed == {str}:
        # str.join takes only strings and raises TypeError at any other item: one call
        # in C, a quarter of what `all(map(...))` costs (ids, tables, dialects).
        return f"(''.join({var}) or True)"
    if kind == "scalars":  # tested in C, item by item
        return f"all(map(isinstance, {var}, repeat({_name(env, tuple(allowed))})))"
    inner = _inline(hint, f"x{depth}", env, depth + 1)
    return None if inner is None else f"all({inner} for x{depth} in {var})"


def _name(env: Env, value: object) -> str:
    """A new name in `env` for `value`."""
    return env.add(f"I{len(env)}", value, ("value", value))


# -- the shapes of declared types, told apart once for packing and reading -----------

# The kinds of hint whose values `literal` checks (a union is checked member by member).
_READ_AS_LITERALS = frozenset({"object", "literal"})


def _shape(hint: object) -> tuple[str, Any]:
    """The kind of `hint` and what it is made of: the one case analysis the packers, the
    readers and the checks dispatch on, so that a new kind of hint is told apart here
    and each of them says what to do with it. The kinds, and what comes with them:

        scalars    unions of str, int, bool, float, None: the exact types allowed
        optional   X | None (X not of scalars): X
        union      any other union: its members
        record     the class
        list       list[X], Sequence[X]: X
        tuple      tuple[X, ...]: X
        fixed      tuple[X, Y] and other tuples of a fixed length: (X, Y)
        frozenset  frozenset[X]: X
        set        set[X]: X
        dict       dict[K, V]: (K, V)
        mapping    Mapping[K, V]: (K, V)
        object     object (a literal or a registered singleton)
        class      any other class (bytes, Path): the class
        literal    anything else: checked as a literal
    """
    members = _members(hint)
    if all(member in _SCALARS for member in members):
        allowed = set(members)
        if int in allowed:
            allowed.add(bool)
        return "scalars", frozenset(allowed)
    if len(members) > 1:
        others = [member for member in members if member is not type(None)]
        return ("optional", others[0]) if len(others) == 1 else ("union", members)
    if _is_record(hint):
        return "record", hint
    if hint is object:
        return "object", None
    origin = getattr(hint, "__origin__", None)
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if origin in (list, Sequence) and len(args) == 1:
        return "list", args[0]
    if origin is tuple:
        return ("tuple", args[0]) if args[1:] == (Ellipsis,) else ("fixed", args)
    if origin in (frozenset, set) and len(args) == 1:
        return origin.__name__, args[0]
    if origin in (dict, Mapping) and len(args) == 2:
        return "dict" if origin is dict else "mapping", args
    if origin is None and isinstance(hint, type):
        return "class", hint
    return "literal", None


def _is_record(hint: object) -> TypeGuard[type]:
    return isinstance(hint, type) and records.is_record(hint)


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    """Each field's declared type, evaluated in the class's module (our own source);
    once per class: the cache's format, the packers and the readers each ask (evaluating
    a type compiles its text, ~70 of them on a run that packs one file)."""
    module = vars(sys.modules[cls.__module__])
    hints: dict[str, object] = {}
    for f in records.fields(cls):
        hint = f.type
        if isinstance(hint, str):
            try:
                hint = eval(hint, module)
            except Exception:
                hint = object
        hints[f.name] = hint
    return hints


def _members(hint: object) -> list[object]:
    if isinstance(hint, types.UnionType) or _is_typing_union(hint):
        return list(hint.__args__)  # type: ignore[attr-defined]
    return [hint]


def _is_typing_union(hint: object) -> bool:
    """`typing.Union[...]` / `Optional[...]`; never, when typing is not imported (a
    lint run does not import it: no hint can have been made with it)."""
    typing = sys.modules.get("typing")
    origin = getattr(hint, "__origin__", None)
    return typing is not None and origin is not None and origin is typing.Union


# -- checks for what the generated code does not check in place ----------------------


def _check(hint: object) -> Check | None:
    """A function that returns the value to store for `hint` or raises; None when the
    one-go isinstance test is enough."""
    kind = _shape(hint)[0]
    if kind == "scalars":
        return None
    if kind not in ("optional", "union"):
        return _one(hint)
    members = _members(hint)
    none_ok = type(None) in members
    others = [_one(member) for member in members if member is not type(None)]

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
    """The check of `hint`, not a union."""
    kind, of = _shape(hint)
    if kind in ("scalars", "class"):
        return _exact(hint)  # type: ignore[arg-type]
    if kind == "record":
        return lambda value: _plan(of)(value, (), {})
    if kind in ("list", "tuple"):
        return _sequence(list if kind == "list" else tuple, _one_or_pass(of))
    if kind == "fixed":
        return _fixed_tuple([_one_or_pass(arg) for arg in of])
    if kind in ("frozenset", "set"):
        return _set(frozenset if kind == "frozenset" else set, _one_or_pass(of))
    if kind in ("dict", "mapping"):
        return _mapping(_one_or_pass(of[0]), _one_or_pass(of[1]))
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


# -- generated code: compiled now, or ahead of time -------------------------------------

if TYPE_CHECKING:
    _Names = dict[str, Any]
else:
    _Names = dict


class Env(_Names):
    """The names a generated function uses (its globals), and what each one is
    (`recipes`): written ahead of time, the function gets the same objects through a
    `Link` as it is bound."""

    def __init__(self, cls: type | None, *constants: str) -> None:
        super().__init__()
        self.recipes: dict[str, Recipe] = {}
        if cls is not None:
            self.add("cls", cls, ("cls", None))
        for name in constants:
            self.add(name, _CONSTANTS[name], ("constant", name))

    def add(self, name: str, value: object, recipe: Recipe) -> str:
        self[name] = value
        self.recipes[name] = recipe
        return name


def _compiled(source: str, env: Env) -> Any:
    """The function `source` defines, with `env` as its globals (each run, ~0.2 ms
    a function: what plain_generated.py spares)."""
    names = dict(env)
    exec(source, names)  # generated from our own field types, never from data
    return names[source[len("def ") : source.index("(")]]


_CONSTANTS: dict[str, object] = {
    "new": object.__new__,
    "sequence": _as_sequence,
    "literal": _literal,
    "repeat": itertools.repeat,
    "LEAVES": _LITERAL_LEAVES,
    "pack": _pack,
    "shared": _shared_pack,
    "SCALARS": _SCALARS,
    "MISSING": records.MISSING,
}


@functools.cache
def _ahead() -> tuple[Functions, Schemas]:
    """The functions and schemas generated ahead of time (imported once needed: for the
    first record a run builds, packs or reads)."""
    try:
        import alembic_gate.history.plain_generated as generated
    except ModuleNotFoundError as exc:  # (while it is written for the first time)
        if exc.name != "alembic_gate.history.plain_generated":
            raise
        return {}, {}
    return generated.FUNCTIONS, generated.SCHEMAS


class _Stale(Exception):
    """A function generated ahead of time no longer fits its class."""


def _ahead_function(kind: str, cls: type, skip: int) -> Any:
    """The `kind` of function ("reader", "packer" or "constructor") for `cls` as
    plain_generated.py holds it, or None when it holds none or `cls` has changed since it
    was written (its fields, their declared types, their defaults, its slots). Only the
    class's own fields are compared, a few microseconds, not what they name: a record
    they name is found by its name where `cls` is declared, and is checked as its own
    functions are bound (not what `Mapping`, say, stands for there)."""
    entry = _ahead()[0].get((kind, cls.__module__, cls.__qualname__, skip))
    if entry is None or entry[0] != fingerprint(cls):
        return None
    try:
        function = entry[1](Link(cls))
    except _Stale:
        return None
    function.__qualname__ = function.__name__  # as a compiled one's (in TypeErrors)
    return function


def fingerprint(cls: type) -> str:
    """What the code generated for `cls` depends on, of the class itself."""
    marks = "".join(_default_mark(f) for f in records.fields(cls))
    layout = f"{'__slots__' in vars(cls):d}{records.is_frozen(cls):d}"
    return f"{schema_part(cls)} {layout} {marks}"


def _default_mark(f: records.Field) -> str:
    if f.default is not records.MISSING:
        return "="
    return "-" if f.default_factory is records.MISSING else "*"


class Link:
    """What a function generated ahead of time takes from here as it is bound to `cls`:
    the objects that `Env` gives one compiled now (raising _Stale where they no longer
    fit)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def constant(self, name: str) -> Any:
        return _CONSTANTS[name]

    def plan(self, name: str) -> Builder:
        return _plan(self._record(name))

    def packer(self, name: str) -> Packer:
        return _packer(self._record(name), 0)

    def check(self, hint: object) -> Check:
        check = _check(hint)
        if check is None:
            raise _Stale(f"no check for {hint}")
        return check

    def twin(self) -> type:
        twin = _twin(self.cls)
        if twin is None:
            raise _Stale(f"no twin of {self.cls.__name__}")
        return twin

    def hint(self, text: str) -> Any:
        """The declared type `text` (written by `_hint_text`) where `cls` is declared."""
        return eval(text, vars(sys.modules[self.cls.__module__]))  # our own code

    def setter(self, name: str) -> Any:
        return vars(self.cls)[name].__set__

    def default(self, name: str) -> Any:
        return self._field(name).default

    def factory(self, name: str) -> Any:
        return self._field(name).default_factory

    def _field(self, name: str) -> records.Field:
        return next(f for f in records.fields(self.cls) if f.name == name)

    def _record(self, name: str) -> type:
        """The record `name` stands for where `cls` is declared (in its annotations)."""
        found = declared(self.cls, name)
        if found is None:
            raise _Stale(f"{name} is no record")
        return found


def declared(holder: type, name: str) -> type | None:
    """The record named `name` where `holder` is declared, or None."""
    module = sys.modules.get(holder.__module__)
    found = None if module is None else vars(module).get(name)
    return found if _is_record(found) else None


def _ahead_schema(cls: type) -> str | None:
    """`schema(cls)` from the classes plain_generated.py names for it, without
    evaluating their declared types; None when it names none or one of them changed."""
    entry = _ahead()[1].get((cls.__module__, cls.__qualname__))
    if entry is None:
        return None
    classes: list[type] = []
    for holder, name, part in entry:
        found = declared(classes[holder], name) if classes else cls
        if found is None or schema_part(found) != part:
            return None
        classes.append(found)
    return ";".join(part for _, _, part in entry)


def generated_source(kind: str, cls: type, skip: int) -> tuple[str, Env]:
    """The source of the `kind` of function ("reader", "packer", "constructor") for `cls`
    and the names it uses: what plain_writer.py writes ahead of time."""
    if kind == "reader":
        return _reader_source(cls, skip)
    if kind == "packer":
        return _packer_source(cls, skip)
    return _constructor_source(cls)


def records_named(cls: type) -> list[type]:
    """The records the declared types of `cls`'s fields name, in order."""
    return [inner for hint in _hints(cls).values() for inner in _classes(hint)]
