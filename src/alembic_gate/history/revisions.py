"""Reading revision files statically, with `ast` and never by importing them.

Each file is parsed whole, once: the one parse gives the module-level variables
`revision`, `down_revision`, `branch_labels` and `depends_on` (read as literals, exactly
as Python evaluates them), the `op.*` calls of upgrade() and the shape of downgrade()
(operations.py, kept packed as plain data), and the syntax check. Values that are not literals (a
label taken from a constant elsewhere, a list built at import time) are kept as
"unknown" facts rather than treated as errors.

The bytes are decoded as Python decodes them (a BOM, or a PEP 263 coding line on line 1
or 2). A file with a syntax error below its revision variables keeps its place in the
graph (its ids are read from the lines above the error) and carries the error for AG007.
"""

from __future__ import annotations

import _ast as ast  # the node classes, without `ast` itself: shared/syntax.py
import functools
import os
import re
import warnings
from collections.abc import Iterator
from itertools import compress

from alembic_gate.history.literals import literal as _literal
from alembic_gate.history.literals import source
from alembic_gate.history.operations import (
    altered_columns,
    pack_module,
    touched_tables,
    unreadable,
)
from alembic_gate.shared import syntax
from alembic_gate.shared.files import describe_error, read_regular
from alembic_gate.shared.paths import display_path, import_roots, module_file
from alembic_gate.shared.patterns import LazyPattern
from alembic_gate.shared.records import field, fields, record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from pathlib import Path

    from alembic_gate.history.cache import CacheFile
    from alembic_gate.shared.paths import StrPath

VARIABLES = ("revision", "down_revision", "branch_labels", "depends_on")
ILLEGAL_ID_CHARS = frozenset("@-+:")
# The problem of a file without `revision` (unless its name gives the id: take_legacy_id).
NO_REVISION = "no `revision` variable at module level"

# The marker in any letter case, as ruff reads its noqa comments (ASCII letters only: re's
# own case folding takes the dotless and the dotted i for "i"); the codes are upper-cased.
_SUPPRESS = LazyPattern(r"(?ai)#\s*alembic-gate:\s*ignore\[([^\]]*)\]")
# What every text holding the marker holds, in any case: a file without it is not
# tokenized. As fast as `"alembic-gate:" in text` (re finds the "-"s as `in` does).
_MARKER_END = LazyPattern(r"-[gG][aA][tT][eE]:")
# The header lines the docstring may hold (read as `^[ \t]*(NAME)[ \t]*:[ \t]*(.*?)[ \t]*$`
# on each line would read them, without compiling a pattern: `_header_lines`).
_HEADER_NAMES = ("Revision ID", "Revises")
_HEADER_SEPARATORS = LazyPattern(r"[\s,()\[\]'\"]+")
_NO_PARENT = frozenset({"<base>", "none", "base"})


@record(frozen=True, slots=True)
class Value:
    """A variable's value: the ids it names, or unknown when not a literal."""

    ids: tuple[str, ...] = ()
    known: bool = True
    line: int | None = None
    # The source of a value that is not a literal, for messages.
    source: str | None = None


NO_VALUE = Value()


class StoredOps(tuple["CacheFile", int, int]):
    """Where a revision's packed operations lie in the cache file it was loaded from
    (that file, the offset, the length): read when a rule asks, never held (at 20,000
    revisions they are 16 MiB, and most runs unpack few of them: a commit's only those
    of the files it changed). A tuple: built in C, one for each revision loaded."""

    __slots__ = ()

    @property
    def length(self) -> int:
        return self[2]

    def read(self) -> bytes:
        """The packed operations (b"" when the file no longer gives them: they are then
        read from the revision file again)."""
        return self[0].read_at(self[1], self[2])


@record(slots=True)
class Unusual:
    """What few revision files have, held apart from the rest (`RevisionFile.unusual`)."""

    # Where `down_revision` is not a literal, its source.
    down_source: str | None = None
    # Why the file cannot be used in the graph (AG007), and where.
    problem: str | None = None
    problem_line: int | None = None
    # "Revision ID:" and "Revises:" from the docstring, with their lines, when they do
    # not name what `revision` and `down_revision` say (AG009 reports those; most
    # files' agree: 2 MiB not held at 20,000 revisions).
    header_revision: tuple[str, int] | None = None
    header_revises: tuple[str, int] | None = None
    # A syntax error below the revision variables, and its line: the file is in the
    # graph (its ids were read above the error) but Python cannot import it (AG007).
    syntax_error: tuple[str, int | None] | None = None


@record(slots=True)
class RevisionFile:
    """One revision file as read: its ids and where they stand, what keeps it out of
    the graph, its suppressions, and its `op.*` calls packed with what the rules ask
    of them without unpacking. Equality compares what was read, not how the calls are
    held (`operations()` compares those)."""

    # The file's path, as a string: `path` makes the Path when asked (20,000 Path
    # objects held hold 5 MiB more).
    file: str
    # The POSIX path reported in findings (relative to the current directory), as
    # `display` gives it: its text, or, where it is the end of `file` (a file under the
    # current directory, on POSIX), where it starts there (`shown_as`: no second copy of
    # the path, 2 MiB at 20,000 revisions). Derived from `file`: not compared.
    shown: str | int = field(compare=False)
    # Where the packed `op.*` calls lie, for a file loaded from the cache or whose calls
    # were written aside (then `ops_data` is None: operations.py reads them when asked):
    # the file, and the offset and length as one int (`stored_ops`; as a tuple and two
    # ints, 2 MiB more at 20,000 revisions).
    ops_in: CacheFile | None = field(default=None, repr=False, compare=False)
    ops_at: int | None = field(default=None, repr=False, compare=False)
    revision: str | None = None
    # `down_revision` (a property: no Value held for each revision, 1.2 MiB at 20,000):
    # the ids it names, its line, and where it is not a literal, its source.
    parents: tuple[str, ...] = ()
    down_line: int | None = None
    branch_labels: Value = NO_VALUE
    depends_on: Value = NO_VALUE
    # Inline suppressions: line -> codes; file-wide codes under line 0.
    suppressions: dict[int, frozenset[str]] = field(default_factory=dict)
    # Where `revision = ...` stands.
    revision_line: int | None = None
    # What few files have (down_revision's source, a problem, a syntax error, header
    # lines that disagree), read through the properties of the same names; None where
    # the file has none of it (six fields each were 0.9 MiB at 20,000 revisions).
    unusual: Unusual | None = None
    # What the AG1xx rules' reading of the history needs to know of the calls without
    # unpacking them (rules.ag1xx): the tables upgrade() names (operations.touched_tables),
    # the columns it alters (table, column) and the dialects the file names; None for a
    # file built by hand (the calls are then unpacked). A file not parsed names none.
    tables: tuple[str, ...] | None = None
    altered: tuple[tuple[str, str], ...] | None = None
    dialects: frozenset[str] | None = None
    # The `op.*` calls from the same parse, packed (operations.py reads them back);
    # None for a file loaded from the cache (`ops_at`) or built by hand rather than read.
    ops_data: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> Path:
        """`file` as a Path (for check and doctor: lint never imports pathlib)."""
        from pathlib import Path

        return Path(self.file)

    @property
    def display(self) -> str:
        shown = self.shown
        return shown if isinstance(shown, str) else self.file[shown:]

    @property
    def line(self) -> int | None:
        """The line findings about this file point at."""
        return self.revision_line or self.problem_line

    def _set_unusual(self, name: str, value: object) -> None:
        """Give the unusual fact `name` (a field of Unusual) its value: the record is made
        for the first, and let go with the last (equal to a file that never had any)."""
        if value is None and self.unusual is None:
            return
        if self.unusual is None:
            self.unusual = Unusual()
        setattr(self.unusual, name, value)
        if self.unusual == _USUAL:
            self.unusual = None

    @property
    def down_source(self) -> str | None:
        return None if self.unusual is None else self.unusual.down_source

    @down_source.setter
    def down_source(self, value: str | None) -> None:
        self._set_unusual("down_source", value)

    @property
    def problem(self) -> str | None:
        return None if self.unusual is None else self.unusual.problem

    @problem.setter
    def problem(self, value: str | None) -> None:
        self._set_unusual("problem", value)

    @property
    def problem_line(self) -> int | None:
        return None if self.unusual is None else self.unusual.problem_line

    @problem_line.setter
    def problem_line(self, value: int | None) -> None:
        self._set_unusual("problem_line", value)

    @property
    def header_revision(self) -> tuple[str, int] | None:
        return None if self.unusual is None else self.unusual.header_revision

    @header_revision.setter
    def header_revision(self, value: tuple[str, int] | None) -> None:
        self._set_unusual("header_revision", value)

    @property
    def header_revises(self) -> tuple[str, int] | None:
        return None if self.unusual is None else self.unusual.header_revises

    @header_revises.setter
    def header_revises(self, value: tuple[str, int] | None) -> None:
        self._set_unusual("header_revises", value)

    @property
    def syntax_error(self) -> tuple[str, int | None] | None:
        return None if self.unusual is None else self.unusual.syntax_error

    @syntax_error.setter
    def syntax_error(self, value: tuple[str, int | None] | None) -> None:
        self._set_unusual("syntax_error", value)

    @property
    def down_revision(self) -> Value:
        source = self.down_source
        return Value(self.parents, source is None, self.down_line, source or None)

    @down_revision.setter
    def down_revision(self, value: Value) -> None:
        self.parents, self.down_line = value.ids, value.line
        self.down_source = None if value.known else value.source or ""

    def stored_ops(self) -> StoredOps | None:
        """Where the packed operations lie (None: they are not stored anywhere)."""
        at, source = self.ops_at, self.ops_in
        if at is None or source is None:
            return None
        return StoredOps((source, *unpacked_place(at)))

    def store_ops(self, at: StoredOps) -> None:
        """Hold where the packed operations lie, rather than them."""
        self.ops_data, self.ops_in, self.ops_at = None, at[0], packed_place(at[1], at[2])


_LENGTHS = (1 << 32) - 1
# What a file with nothing unusual would hold (RevisionFile._set_unusual).
_USUAL = Unusual()


def packed_place(offset: int, length: int) -> int:
    """An offset and a length as one int, never below 2**32: a new object for every
    place (operations.py remembers unpacked operations by the identity of what a
    revision holds, and Python shares the ints below 257). A place no file can hold
    (a damaged entry's) stays one: offset -1, length 1."""
    if not (0 <= offset < 1 << 40 and 0 <= length <= _LENGTHS):
        offset, length = -1, 1
    return (offset + 2) << 32 | length


def unpacked_place(place: int) -> tuple[int, int]:
    """The offset and the length `packed_place` packed into `place`."""
    return (place >> 32) - 2, place & _LENGTHS


def read_revision(path: StrPath, cwd: StrPath) -> RevisionFile:
    """Read one revision file; problems are recorded on the result, never raised."""
    display = display_path(path, cwd)
    try:
        data = read_regular(path)
    except OSError as exc:
        return unreadable_file(path, display, exc)
    return read_revision_source(data, path, display)


def _unparsed(path: StrPath, display: str) -> RevisionFile:
    """A file with no calls read (yet): it names no table, column or dialect."""
    file = os.fspath(path)
    return RevisionFile(
        file,
        shown_as(file, display),
        tables=(),
        altered=(),
        dialects=frozenset(),
        ops_data=unreadable(),
    )


def shown_as(file: str, display: str) -> str | int:
    """What a RevisionFile holds for its display path (`RevisionFile.shown`)."""
    cut = len(file) - len(display)
    return cut if cut > 0 and file.endswith(display) else display


def unreadable_file(path: StrPath, display: str, exc: OSError) -> RevisionFile:
    """A file that could not be read (missing, not a regular file, too large)."""
    rev = _unparsed(path, display)
    rev.problem = f"cannot read file: {describe_error(exc)}"
    return rev


def read_revision_source(
    data: bytes, path: StrPath, display: str, imports: bool = False
) -> RevisionFile:
    """Read a revision file's contents (from disk or from a git object) as `path`; with
    `imports`, an id variable given as a name may come from a module of the project
    (`take_imported_ids`)."""
    rev = _unparsed(path, display)
    try:
        text = decode_source(data)
    except NotText as exc:
        lenient = _compiled_text(data, exc.encoding)
        if lenient is None:
            rev.problem = str(exc)
            return rev
        text = lenient
    except ValueError as exc:
        rev.problem = str(exc)
        return rev
    if "\x00" in text:
        rev.problem = "file contains NUL bytes (not a Python source file)"
        return rev
    module = _parse_whole(data, rev)
    if module is not None:
        rev.ops_data, ops, repeated_keyword = pack_module(module, text)
        if repeated_keyword or _compiler_may_refuse(data, module):
            _compile(data, rev)
        rev.tables, rev.dialects = touched_tables(ops), ops.dialects
        rev.altered = altered_columns(ops.upgrade.calls)
        _read_variables(module, rev, rev.file if imports else None)
        _read_header(module, rev)
    else:
        head = _parse_head(data, rev)
        if head is None:
            return rev
        _read_variables(head, rev, rev.file if imports else None)
        _read_header(head, rev)
    if _MARKER_END.get().search(text) is not None:
        rev.suppressions = _suppressions(text)
    return rev


class NotText(ValueError):
    """Source bytes that are not text in their encoding (`encoding`, Python's name)."""

    def __init__(self, message: str, encoding: str) -> None:
        super().__init__(message)
        self.encoding = encoding


def _compiled_text(data: bytes, encoding: str) -> str | None:
    """The text of bytes that do not decode but that Python compiles all the same (its
    tokenizer never decodes a comment, so alembic loads a file with a latin-1 byte in
    one), with those bytes replaced: the ids come from the parse of the bytes, and the
    text is only searched for dialect names and suppressions. None where Python refuses
    the bytes too."""
    try:
        _parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return data.decode(encoding, "replace")


def decode_source(data: bytes) -> str:
    """The text of Python source bytes, decoded as Python decodes it: UTF-8, after a BOM,
    or the encoding a PEP 263 coding line on line 1 or 2 declares. ValueError otherwise
    (NotText for bytes the encoding cannot decode)."""
    head = data[: data.find(b"\n", data.find(b"\n") + 1)]
    encoding = "utf-8-sig"
    if b"coding" in head:
        import io
        import tokenize

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise ValueError(f"bad coding line: {exc.msg}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        raise NotText(f"not {name} text (byte {exc.start})", encoding) from None


def _parse_whole(data: bytes, rev: RevisionFile) -> ast.Module | None:
    """The whole file's module; None on a syntax error, which is then recorded."""
    try:
        return _parse(data)
    except SyntaxError as exc:
        rev.syntax_error = (f"syntax error: {exc.msg}", exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:
        rev.syntax_error = (f"cannot parse: {exc or type(exc).__name__}", None)
    return None


def _parse(source: bytes) -> ast.Module:
    # Invalid escapes ("\d" in a raw SQL string) warn while parsing: not our business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return syntax.parse(source)


# Words without which the compiler takes whatever the parser takes, but for the few
# shapes `_compiler_may_refuse` looks for and those it leaves (below): where a file holds
# one, it is compiled as alembic's import compiles it. (`lambda`: a parameter named twice,
# which the statement walk does not see in an expression.)
_COMPILER_WORDS = (
    b"yield",
    b"await",
    b"async",
    b"break",
    b"continue",
    b"global",
    b"nonlocal",
    b":=",
    b"*",
    b"except:",
    b"__debug__",
    b"lambda",
)


def _compiler_may_refuse(data: bytes, module: ast.Module) -> bool:
    """Whether Python's compiler may refuse what its parser took (a SyntaxError at
    import, after the parse: a `return` outside a function, a `from __future__` import
    below other statements, `continue` outside a loop, a parameter named twice, more
    than 20 nested blocks, an assignment to `__debug__`...): told from the bytes and,
    where they say it may be, the module's statements (never its expressions), and most
    files hold none of it (a compile of every file is about as long as its parse). A
    keyword argument given twice is told by operations.py, in the calls it reads. Not
    told: `except :` spaced so."""
    for word in _COMPILER_WORDS:
        if word in data:
            return True
    if b"match" in data and b"case" in data:
        return True
    if b"return" in data and _returns_outside(module.body):
        return True
    if b"__future__" in data and not _futures_first(module.body):
        return True
    return _blocks_or_parameters(module.body, 0)


# The compiler allows 20 nested blocks (CO_MAXBLOCKS; `if` is none). What each compound
# statement adds, at most (a `try` with handlers and `finally` counts three in a
# handler's body; a `with` one for each item, added apart; a function or class body is
# compiled apart, from none), and where its statements stand.
_MAX_BLOCKS = 20
_TRY = ("body", "orelse", "finalbody")
_BLOCKS: dict[type, tuple[int, tuple[str, ...]]] = {
    ast.FunctionDef: (-1, ("body",)),
    ast.AsyncFunctionDef: (-1, ("body",)),
    ast.ClassDef: (-1, ("body",)),
    ast.If: (0, ("body", "orelse")),
    ast.For: (1, ("body", "orelse")),
    ast.AsyncFor: (1, ("body", "orelse")),
    ast.While: (1, ("body", "orelse")),
    ast.With: (0, ("body",)),
    ast.AsyncWith: (0, ("body",)),
    ast.Try: (3, _TRY),
}
for _name, _fields in (("TryStar", _TRY), ("Match", ())):  # (not in Python 3.10's _ast)
    if hasattr(ast, _name):
        _BLOCKS[getattr(ast, _name)] = (3 if _fields else 0, _fields)


def _blocks_or_parameters(body: list[ast.stmt], blocks: int) -> bool:
    """Whether a function in `body` names a parameter twice, or blocks may nest deeper
    than the compiler allows (`blocks`: those `body` stands in). Statements only, and of
    them the few compound ones, picked out in C (a walk of a file's whole tree costs
    about what its parse does)."""
    for stmt in compress(body, map(_BLOCKS.__contains__, map(type, body))):
        added, held = _BLOCKS[type(stmt)]
        if added < 0:
            args = getattr(stmt, "args", None)
            if args is not None and _repeats_parameter(args):
                return True
            inner = 0
        else:
            inner = blocks + added + len(getattr(stmt, "items", ()))
            if inner >= _MAX_BLOCKS:
                return True
        for name in held:
            if _blocks_or_parameters(getattr(stmt, name), inner):
                return True
        parts: list[ast.ExceptHandler] = getattr(stmt, "handlers", None) or getattr(
            stmt, "cases", []
        )
        for part in parts:
            if _blocks_or_parameters(part.body, inner):
                return True
    return False


def _repeats_parameter(args: ast.arguments) -> bool:
    """Whether a function names a parameter twice (those after `*` and `**`: the file
    holds "*", and is compiled)."""
    params = args.args
    if len(params) + len(args.posonlyargs) < 2:
        return False
    names = [param.arg for param in (*args.posonlyargs, *params)]
    return len(set(names)) != len(names)


def _returns_outside(body: list[ast.stmt]) -> bool:
    """Whether a `return` stands in `body` outside any function (module level, a class
    body, a block of either)."""
    for stmt in body:
        kind = type(stmt)
        if kind is ast.Return:
            return True
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(stmt, name, None)
            if inner and _returns_outside(inner):
                return True
    return False


def _futures_first(body: list[ast.stmt]) -> bool:
    """Whether every `from __future__` import stands at the top of the module (after its
    docstring only) and names a feature Python knows."""
    import __future__

    first = body[0] if body else None
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    leading = True
    for stmt in body[1:] if docstring else body:
        future = isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
        if future and not leading:
            return False
        names = stmt.names if isinstance(stmt, ast.ImportFrom) and future else ()
        if any(alias.name not in __future__.all_feature_names for alias in names):
            return False
        leading = leading and future
    return True


def _compile(data: bytes, rev: RevisionFile) -> None:
    """Compile the file as alembic's import does: a SyntaxError is the file's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, os.fspath(rev.file), "exec", dont_inherit=True)
    except SyntaxError as exc:
        rev.syntax_error = (f"syntax error: {exc.msg}", exc.lineno)
    except (ValueError, RecursionError, MemoryError):
        pass  # (what the parse took: a limit of the compiler's, not the file's)


def _parse_head(data: bytes, rev: RevisionFile) -> ast.Module | None:
    """After a syntax error: the file up to the first block after its last revision
    variable, when that part parses. Otherwise the error is the file's problem."""
    head = _head_source(data)
    if head is not None:
        try:
            return _parse(head)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    assert rev.syntax_error is not None
    rev.problem, rev.problem_line = rev.syntax_error
    rev.syntax_error = None
    return None


# What a module-level line starting a function, class or decorator begins with.
_BLOCK_STARTS = (b"def ", b"async def ", b"class ", b"@")


def _find_line(data: bytes, prefixes: tuple[bytes, ...], pos: int) -> int:
    """The first offset at or after `pos` where a line starts with one of `prefixes`."""
    hits = [data.find(b"\n" + prefix, pos) for prefix in prefixes]
    found = [hit + 1 for hit in hits if hit >= 0]
    return min(found, default=-1)


@functools.cache
def _assign_line() -> re.Pattern[bytes]:
    """A module-level assignment to a revision variable: compiled when a file has a
    syntax error (few runs see one)."""
    return re.compile(
        rb"^(?:revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]*)?=", re.MULTILINE
    )


def _head_source(data: bytes) -> bytes | None:
    """The file up to the first block after the last variable, or None for all of it."""
    matches = list(_assign_line().finditer(data))
    if not matches:
        return None
    block = _find_line(data, _BLOCK_STARTS, matches[-1].end())
    return data[:block] if block >= 0 else None


def _read_variables(module: ast.Module, rev: RevisionFile, importer: str | None = None) -> None:
    found, lines, unread = _bindings(module)
    if unread and _unread_ids(rev, unread):
        return
    named = [v for v, node in found.items() if type(node) is ast.Name]
    for variable in named:  # (most files: none)
        value = _bound_literal(module, found[variable].id, lines[variable], importer)  # type: ignore[attr-defined]
        if value is not None:  # (its line stays the variable's)
            found[variable] = value
    if "revision" not in found:
        rev.problem = NO_REVISION
        if "down_revision" in found:  # the file's name may give the id (`take_legacy_id`)
            _read_parents(rev, found, lines, unread)
        return
    if "down_revision" not in found:
        rev.problem = "no `down_revision` variable at module level"
        rev.problem_line = lines["revision"]
        return
    revision = _value(found["revision"], lines["revision"])
    rev.revision_line = lines["revision"]
    if (
        not revision.known
        or len(revision.ids) != 1
        or isinstance(_literal(found["revision"]), tuple | list | set | frozenset)
    ):
        rev.problem = REVISION_NOT_LITERAL
        rev.problem_line = lines["revision"]
        return
    rev.revision = revision.ids[0]
    _read_parents(rev, found, lines, unread)
    _check_parents(rev)


# The problems of an id variable that is not a literal: a name bound elsewhere may give it
# (`take_imported_ids`).
REVISION_NOT_LITERAL = "`revision` is not a string literal"
DOWN_REVISION_NOT_LITERAL = "`down_revision` is not a literal, so the graph cannot be built"


def _bound_literal(
    module: ast.Module, name: str, before: int | None, importer: str | None
) -> ast.expr | None:
    """The literal the module binds `name` to above line `before` (anywhere for None),
    where its last binding there is a plain assignment of a literal (`REV = "ae10"`,
    then `revision = REV`), or, with `importer` (the revision file's path), an import of
    it from a module of the project whose source binds it so (Open ACE's `from
    migrations.baseline import BASELINE_REVISION`: the module is parsed, never run);
    None otherwise."""
    bound: ast.expr | None = None
    for stmt in module.body:
        if before is not None and stmt.lineno >= before:
            break
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and _target_name(stmt) == name:
            value = stmt.value
            bound = value if value is not None and _value(value, 0).known else None
        elif isinstance(stmt, ast.ImportFrom) and (
            names := [a.name for a in stmt.names if _imported(a) == name]
        ):
            bound = _imported_literal(stmt, names[-1], importer) if importer else None
        elif any(stored == name for stored, _ in _stored_names(stmt)):
            bound = None
    return bound


def _target_name(stmt: ast.stmt) -> str | None:
    """The name a plain `name = value` (or `name: type = value`) assigns."""
    target: ast.expr
    if isinstance(stmt, ast.AnnAssign):
        target = stmt.target
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _imported_literal(stmt: ast.ImportFrom, name: str, importer: str) -> ast.expr | None:
    """The literal the project module `stmt` imports from binds `name` to, read from its
    source file as Python's path finder would find it from `importer`; None where it is
    not found, not read or binds no literal."""
    parts = stmt.module.split(".") if stmt.module else []
    path = module_file(parts, import_roots(importer, stmt.level))
    if path is None:
        return None
    try:
        tree = _parse(read_regular(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _bound_literal(tree, name, None, None)


def take_imported_ids(rev: RevisionFile) -> str | None:
    """Read `rev` again where an id variable is not a literal, with names imported from
    the project's modules followed to their literal values (Open ACE's baseline takes its
    `revision` from `migrations/baseline.py`), and take its ids; its id, or None where
    that gives none. Applied after the cache, to each file as found, as `take_legacy_id`
    is: the ids come from another file, which the cache does not key on."""
    if rev.problem not in (REVISION_NOT_LITERAL, DOWN_REVISION_NOT_LITERAL):
        return None
    try:
        data = read_regular(rev.file)
    except OSError:
        return None
    again = read_revision_source(data, rev.file, rev.display, imports=True)
    if again.problem is not None or again.revision is None:
        return None
    for item in fields(RevisionFile):
        setattr(rev, item.name, getattr(again, item.name))
    return rev.revision


def _read_parents(
    rev: RevisionFile,
    found: dict[str, ast.expr],
    lines: dict[str, int],
    unread: dict[str, tuple[int, str]],
) -> None:
    """`down_revision`, `branch_labels` and `depends_on` as read (checked after)."""
    rev.down_revision = _value(found["down_revision"], lines["down_revision"])
    for name in ("branch_labels", "depends_on"):
        if name in unread:
            line, how = unread[name]
            setattr(rev, name, Value((), False, line, f"bound {how}"))
        elif name in found:
            # A label listed twice stays twice: alembic maps each in turn and refuses the
            # second (AG006); ids named twice elsewhere are one edge to alembic.
            unique = name != "branch_labels"
            setattr(rev, name, _value(found[name], lines[name], unique))
    if "depends_on" in found and _no_dependency(found["depends_on"]):
        rev.depends_on = Value((), True, lines["depends_on"])


def _no_dependency(node: ast.expr) -> bool:
    """`depends_on = ""` (or `[""]`): alembic keeps a single id as a plain string
    (`tuple_rev_as_scalar`) and resolves none when it is empty, so the revision depends
    on nothing (invenio-accounts' 037afe10e9ff); a blank among several ids it looks up,
    and fails (KeyError '')."""
    value = _literal(node)
    if isinstance(value, str):
        return value == ""
    if isinstance(value, tuple | list | set | frozenset):
        return len(value) == 1 and "" in value
    return False


def _check_parents(rev: RevisionFile) -> None:
    """The problem of a `down_revision` that is no literal, or of an id not allowed."""
    if rev.down_source is not None:
        rev.problem = DOWN_REVISION_NOT_LITERAL
        rev.problem_line = rev.down_line
        return
    _check_ids(rev)


def take_legacy_id(rev: RevisionFile) -> str | None:
    """Give a file without `revision` the id its name gives, as alembic's
    `Script._from_path` does (`_legacy_rev`, alembic 0.1's files): a name of hex digits
    and `.py` (alembic's `re.match(r"([a-f0-9]+)\\.py$")`, less a name ending in a newline,
    which alembic cannot import); the id, or None when `rev` has none. The name is not part of
    the file's content, so it is applied after the cache, to each file as found."""
    if rev.problem != NO_REVISION:
        return None
    name = os.path.basename(rev.file)
    stem = name[:-3]
    if not (name.endswith(".py") and stem and stem.strip("0123456789abcdef") == ""):
        return None
    if rev.down_line is None:  # alembic: AttributeError
        rev.problem = "no `down_revision` variable at module level"
        return None
    rev.problem = None
    rev.revision = stem
    _check_parents(rev)
    return stem if rev.problem is None else None


# Variables -> their last values and lines; and those last bound in a way lint does not
# evaluate -> where, and how (AG007 for an id, unknown for labels).
_Bindings = tuple[dict[str, ast.expr], dict[str, int], dict[str, tuple[int, str]]]


def _bindings(module: ast.Module) -> _Bindings:
    """The revision variables as the module's statements bind them, in order: a later
    plain assignment makes a value certain again. The statements of nearly every file
    (plain assignments, imports, a docstring, undecorated functions) are told apart
    here without a call each; the rest go to `_read_other`."""
    found: dict[str, ast.expr] = {}
    lines: dict[str, int] = {}
    unread: dict[str, tuple[int, str]] = {}
    for node in module.body:
        kind = type(node)
        if kind is ast.Assign:
            targets = node.targets  # type: ignore[attr-defined]
            target = targets[0]
            if len(targets) != 1 or type(target) is not ast.Name:
                _read_other(node, found, lines, unread)
            elif target.id in VARIABLES:
                found[target.id] = node.value  # type: ignore[attr-defined]
                lines[target.id] = node.lineno
                if unread:
                    unread.pop(target.id, None)
        elif kind is ast.AnnAssign:
            target, value = node.target, node.value  # type: ignore[attr-defined]
            if type(target) is not ast.Name:
                _read_other(node, found, lines, unread)
            elif target.id in VARIABLES and value is not None:  # (`name: type` binds nothing)
                found[target.id] = value
                lines[target.id] = node.lineno
                if unread:
                    unread.pop(target.id, None)
        elif kind is ast.ImportFrom or kind is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                if (alias.asname or alias.name) in VARIABLES or "." in alias.name:
                    _read_other(node, found, lines, unread)
                    break
        elif kind is ast.FunctionDef or kind is ast.ClassDef:
            if node.decorator_list or node.name in VARIABLES:  # type: ignore[attr-defined]
                _read_other(node, found, lines, unread)
        elif kind is not ast.Expr or type(node.value) is not ast.Constant:  # type: ignore[attr-defined]
            _read_other(node, found, lines, unread)
    return found, lines, unread


def _unread_ids(rev: RevisionFile, unread: dict[str, tuple[int, str]]) -> bool:
    """Whether an id variable was last bound in a way lint does not evaluate (the file's
    problem, then): reading an earlier value as the final one would build a wrong graph."""
    for name in ("revision", "down_revision"):
        if name in unread:
            line, how = unread[name]
            rev.problem = f"`{name}` is bound {how} (line {line}), which lint does not evaluate"
            rev.problem_line = line
            return True
    return False


# How a statement that binds a variable in a way lint does not evaluate binds it, by
# the name of its class (TryStar is not in Python 3.10's `_ast`).
_HOW = {
    "If": "in an `if` block",
    "For": "in a `for` loop",
    "AsyncFor": "in a `for` loop",
    "While": "in a `while` loop",
    "Try": "in a `try` block",
    "TryStar": "in a `try` block",
    "With": "in a `with` block",
    "AsyncWith": "in a `with` block",
    "Match": "in a `match` block",
    "AugAssign": "by an augmented assignment",
    "Delete": "by `del`",
    "Import": "by an import",
    "ImportFrom": "by an import",
    "FunctionDef": "by a `def`",
    "AsyncFunctionDef": "by a `def`",
    "ClassDef": "by a `class`",
    "Assign": "by an assignment lint cannot match up",
    "AnnAssign": "by an assignment lint cannot match up",
}


def _read_other(
    node: ast.stmt,
    found: dict[str, ast.expr],
    lines: dict[str, int],
    unread: dict[str, tuple[int, str]],
) -> None:
    """A module-level statement other than `name = value` (or `name: type = value`)
    that may bind a revision variable: the ones it binds, in the order Python binds
    them. Assignments whose targets and values match up (`a = b = "x"`,
    `revision, down_revision = "b", "a"`) are read; any other binding is unread."""
    kind = type(node)
    bound: list[tuple[str, ast.expr | None, int]] = []
    if kind is ast.Assign:
        value: ast.expr = node.value  # type: ignore[attr-defined]
        # The value runs first (a `:=` in it), then the targets, left to right.
        bound += [(name, None, line) for name, line in _stored_names(value)]
        for target in node.targets:  # type: ignore[attr-defined]
            bound += [(name, item, node.lineno) for name, item in _unpacked(target, value)]
    else:
        bound += [(name, None, line) for name, line in _stored_names(node)]
    how = _HOW.get(kind.__name__, "by an expression")
    for name, item, line in bound:
        if name not in VARIABLES:
            continue
        if item is None:
            unread[name] = (line, how)
            continue
        found[name], lines[name] = item, line
        unread.pop(name, None)


def _imported(alias: ast.alias) -> str:
    """The name an import binds: `import a.b` binds `a`."""
    return alias.asname or alias.name.partition(".")[0]


def _unpacked(target: ast.expr, value: ast.expr) -> Iterator[tuple[str, ast.expr | None]]:
    """The names an assignment's target binds, each with the expression it is given
    where lint matches target and value up (a name, or a tuple or list of as many items
    as the value's tuple or list, none starred); with None otherwise."""
    kind = type(target)
    if kind is ast.Name:
        yield target.id, value  # type: ignore[attr-defined]
        return
    if (kind is ast.Tuple or kind is ast.List) and type(value) in (ast.Tuple, ast.List):
        targets, values = target.elts, value.elts  # type: ignore[attr-defined]
        starred = any(type(item) is ast.Starred for item in (*targets, *values))
        if len(targets) == len(values) and not starred:
            for item, given in zip(targets, values, strict=True):
                yield from _unpacked(item, given)
            return
    for name, _ in _stored_names(target):
        yield name, None


def _stored_names(node: ast.AST) -> list[tuple[str, int]]:
    """The names `node` binds in the module's scope, with their lines, in source order:
    what it assigns, deletes, imports, defines or catches; not what a function, lambda,
    class body or comprehension binds in its own scope (only its name, its decorators,
    defaults and bases run in the module's)."""
    names: list[tuple[str, int]] = []
    todo: list[ast.AST] = [node]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is not ast.Load:  # type: ignore[attr-defined]
                names.append((node.id, node.lineno))  # type: ignore[attr-defined]
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append((node.name, node.lineno))
            todo += node.decorator_list
            if isinstance(node, ast.ClassDef):
                todo += node.bases
            else:
                todo += node.args.defaults
            continue
        if isinstance(node, ast.Lambda):
            todo += node.args.defaults
            continue
        if isinstance(node, ast.comprehension):
            todo += [node.iter, *node.ifs]  # its target is the comprehension's own
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            names += [(_imported(alias), node.lineno) for alias in node.names]
            continue
        captured = getattr(node, "name", None) or getattr(node, "rest", None)
        if isinstance(captured, str):  # `except E as x`, `case [*x]`, `case {**x}`
            names.append((captured, getattr(node, "lineno", 0)))
        todo.extend(syntax.iter_child_nodes(node))
    return sorted(names, key=lambda item: item[1])


def _check_ids(rev: RevisionFile) -> None:
    checks = (
        ("revision", (rev.revision or "",), rev.revision_line),
        ("down_revision", rev.down_revision.ids, rev.down_line),
        ("depends_on", rev.depends_on.ids, rev.depends_on.line),
    )
    for name, ids, line in checks:
        for rid in ids:
            bad = ILLEGAL_ID_CHARS.intersection(rid)
            if bad or not rid.strip():
                chars = ", ".join(repr(c) for c in sorted(bad)) or "blank id"
                rev.problem = f"`{name}` id {rid!r} is not allowed ({chars})"
                rev.problem_line = line
                return


def _value(node: ast.expr, line: int, unique: bool = True) -> Value:
    """The ids a literal names (each once when `unique`), or unknown."""
    value = _literal(node)
    # "" is not "no id": alembic reads it as the id "" (KeyError ''), so it stays an id
    # and _check_ids reports it as blank.
    if value is None or value == () or value == []:
        return Value((), True, line)
    if isinstance(value, str):
        return Value((value,), True, line)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return Value(tuple(dict.fromkeys(value) if unique else value), True, line)
    if isinstance(value, set | frozenset) and all(isinstance(v, str) for v in value):
        # (alembic takes any iterable, util.to_tuple: a set's order is its own, so sorted)
        return Value(tuple(sorted(value)), True, line)
    return Value((), False, line, _unparse(node))


def _unparse(node: ast.expr) -> str:
    return source(node) or "<an expression too deeply nested to show>"


def _read_header(module: ast.Module, rev: RevisionFile) -> None:
    """ "Revision ID:" and "Revises:" of the module docstring, with their lines, those
    that disagree with the variables (read before)."""
    first = module.body[0] if module.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        return
    doc = first.value.value
    if not isinstance(doc, str) or "Re" not in doc:
        return
    for name, value, number in _header_lines(doc):
        line = first.lineno + number
        if name == "Revision ID" and rev.header_revision is None:
            rev.header_revision = (value, line)
        elif name == "Revises" and rev.header_revises is None:
            rev.header_revises = (value, line)
    header, revision = rev.header_revision, rev.revision
    if header is not None and revision is not None and _names(header[0], (revision,)):
        rev.header_revision = None
    if rev.header_revises is not None and _names(rev.header_revises[0], rev.parents):
        rev.header_revises = None


def _header_lines(doc: str) -> Iterator[tuple[str, str, int]]:
    """(name, value, index of the line) of each "Revision ID:" / "Revises:" line of
    `doc`, as `^[ \t]*(Revision ID|Revises)[ \t]*:[ \t]*(.*?)[ \t]*$` (MULTILINE)
    finds them: lines split at "\n" only, the value stripped of spaces and tabs."""
    for number, line in enumerate(doc.split("\n")):
        start = line.lstrip(" \t")
        for name in _HEADER_NAMES:
            if start.startswith(name):
                rest = start[len(name) :].lstrip(" \t")
                if rest.startswith(":"):
                    yield name, rest[1:].strip(" \t"), number
                break


def _names(text: str, ids: tuple[str, ...]) -> bool:
    """Whether a header line names exactly `ids` (AG009's test): for a plain id, as most
    are, told without compiling the pattern."""
    if len(ids) == 1 and text == ids[0] and text.isalnum():
        return text.lower() not in _NO_PARENT
    return header_ids(text) == set(ids)


def header_ids(text: str) -> set[str]:
    """The ids a header line names: `a, b` or `('a', 'b')`; none for `<base>`."""
    return {i for i in _HEADER_SEPARATORS.get().split(text) if i and i.lower() not in _NO_PARENT}


def _suppressions(text: str) -> dict[int, frozenset[str]]:
    """Inline `# alembic-gate: ignore[CODES]` comments (in any letter case): at the end
    of a code line for that line, on a line of its own before the first def, class or
    decorator for the whole file (line 0). Comments only, as Python's tokenizer finds
    them: the same text in a string (a docstring that mentions it) suppresses nothing. In
    a file with a syntax error, the comments above the point where the tokenizer stops."""
    result: dict[int, set[str]] = {}
    in_header = True
    for comment, string, number, alone in _tokens(text):
        if comment:
            match = _SUPPRESS.get().search(string)
            if match is not None:
                codes = {c.strip().upper() for c in match.group(1).split(",") if c.strip()}
                result.setdefault(0 if in_header and alone else number, set()).update(codes)
        elif in_header and alone and string in _BODY_STARTS:
            in_header = False
    return {line: frozenset(codes) for line, codes in result.items()}


# What ends a file's header when it starts a line: a def, a class, a decorator.
_BODY_STARTS = frozenset({"def", "async", "class", "@"})


def _tokens(text: str) -> Iterator[tuple[bool, str, int, bool]]:
    """Each token of `text` as (a comment?, its text, its line, first on its line?), up
    to a syntax error the tokenizer stops at. Lines end where Python's compiler ends them
    ("\n", "\r\n" or a lone "\r", read as universal newlines), so the numbers are the
    findings' numbers. tokenize is imported only here: for a file whose text holds a
    suppression."""
    import io
    import tokenize

    try:
        for kind, string, (number, column), _, line in tokenize.generate_tokens(
            io.StringIO(text, newline=None).readline
        ):
            yield kind == tokenize.COMMENT, string, number, not line[:column].strip()
    except (tokenize.TokenError, SyntaxError, ValueError, SystemError):
        # ValueError, SystemError: what CPython 3.12's tokenizer raises on some text
        # that is no Python (a UnicodeDecodeError of its own making)
        return
