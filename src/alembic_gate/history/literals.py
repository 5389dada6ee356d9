"""Values and source text of `ast` expressions, read without the slow general paths.

`literal` gives what `ast.literal_eval` gives (UNKNOWN when it raises) and `source` what
`ast.unparse` gives: the common shapes of a revision file (a constant, a tuple or list of
constants, `sa.String(length=50)`) are read directly, anything else by the general
function. `ast.literal_eval` also leaves a reference cycle behind on each call, and lint
runs with the cyclic collector paused. revisions.py and operations.py both use these;
the general functions import `ast` when first needed (shared/syntax.py says why).
"""

from __future__ import annotations

import _ast as ast  # the node classes, without `ast` itself: shared/syntax.py


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


# A value that is not a literal (`server_default=sa.text("now()")`, a name).
UNKNOWN = _Unknown()

# Strings shown by `ast.unparse` exactly as `repr` shows them: no quotes, no backslashes,
# nothing `repr` escapes.
_PLAIN_CHARS = frozenset("'\"\\")


def literal(node: ast.expr) -> object:
    """The value of a literal expression, or UNKNOWN. Names, attributes and calls
    (other than `set()`) are never literals."""
    kind = type(node)
    if kind is ast.Constant:
        return node.value  # type: ignore[attr-defined]
    if kind is ast.Name or kind is ast.Attribute:
        return UNKNOWN
    if kind is ast.Tuple or kind is ast.List:
        elts = node.elts  # type: ignore[attr-defined]
        if all(type(item) is ast.Constant for item in elts):
            items = [item.value for item in elts]
            return tuple(items) if kind is ast.Tuple else items
    elif kind is ast.Call and not (_is_name(node.func, "set") and not node.args):  # type: ignore[attr-defined]
        return UNKNOWN
    from ast import literal_eval  # the general path (shared/syntax.py: not on most runs)

    try:
        return literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


def _is_name(node: ast.expr, name: str) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == name
    return isinstance(node, ast.Name) and node.id == name


def source(node: ast.expr | None) -> str | None:
    """`ast.unparse(node)`, None when it cannot be shown (or `node` is None)."""
    if node is None:
        return None
    text = _plain_source(node)
    if text is not None:
        return text
    from ast import unparse  # the general path (shared/syntax.py: not on most runs)

    try:
        return unparse(node)
    except (RecursionError, MemoryError, ValueError):
        return None


def _plain_source(node: ast.expr, depth: int = 0) -> str | None:
    """What `ast.unparse` writes for names, attributes, calls, lists and plain
    constants; None for any other shape (the caller unparses it)."""
    if depth > 20:
        return None
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined, no-any-return]
    if kind is ast.Constant:
        if node.kind is not None:  # type: ignore[attr-defined]
            return None  # u"...": unparse keeps the prefix
        return _constant(node.value)  # type: ignore[attr-defined]
    if kind is ast.Attribute:
        value = node.value  # type: ignore[attr-defined]
        if type(value) is ast.Constant:
            return None  # `1 .real`: unparse adds a space
        if type(value) is ast.Name:  # `sa.Integer`: most attributes
            return f"{value.id}.{node.attr}"  # type: ignore[attr-defined]
        owner = _plain_source(value, depth + 1)
        return None if owner is None else f"{owner}.{node.attr}"  # type: ignore[attr-defined]
    if kind is ast.Call:
        return _call_source(node, depth)  # type: ignore[arg-type]
    if kind is ast.List:
        items = _all_sources(node.elts, depth)  # type: ignore[attr-defined]
        return None if items is None else f"[{', '.join(items)}]"
    return None


def _call_source(node: ast.Call, depth: int) -> str | None:
    # The common shapes, `sa.Integer()` and `sa.String(length=50)`, are read in place
    # rather than through a call per part.
    func = node.func
    if type(func) is ast.Attribute and type(func.value) is ast.Name:
        name: str | None = f"{func.value.id}.{func.attr}"
    elif type(func) is ast.Name or type(func) is ast.Attribute:
        name = _plain_source(func, depth + 1)
    else:
        return None
    args = _all_sources(node.args, depth) if node.args else []
    if name is None or args is None:
        return None
    for keyword in node.keywords:
        if keyword.arg is None:
            return None  # `**options`
        item = keyword.value
        if type(item) is ast.Constant and item.kind is None:
            value = _constant(item.value)
        else:
            value = _plain_source(item, depth + 1)
        if value is None:
            return None
        args.append(f"{keyword.arg}={value}")
    return f"{name}({', '.join(args)})"


def _all_sources(nodes: list[ast.expr], depth: int) -> list[str] | None:
    texts = []
    for item in nodes:
        text = _plain_source(item, depth + 1)
        if text is None:
            return None
        texts.append(text)
    return texts


def _constant(value: object) -> str | None:
    kind = type(value)
    if kind is str:
        text: str = value  # type: ignore[assignment]
        if text.isprintable() and _PLAIN_CHARS.isdisjoint(text):
            return repr(text)
        return None
    if kind is int or kind is bool or value is None or value is ...:
        return repr(value) if value is not ... else "..."
    return None
