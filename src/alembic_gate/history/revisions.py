"""Reading revision files statically, with `ast` and never by importing them.

A revision file's module-level variables `revision`, `down_revision`,
`branch_labels` and `depends_on` are read as literals. Values that are not
literals (a label taken from a constant elsewhere, a list built at import time)
are kept as "unknown" facts rather than treated as errors.

The fast path parses only the head of the file, up to the last line that assigns
one of the variables at column 0 (usually the first 20 lines); anything unusual
falls back to parsing the whole file.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from alembic_gate.history.fastread import Facts, read_fast
from alembic_gate.shared.paths import display_path

VARIABLES = ("revision", "down_revision", "branch_labels", "depends_on")
ILLEGAL_ID_CHARS = frozenset("@-+:")

_ASSIGN_LINE = re.compile(
    rb"^(?:revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]*)?=", re.MULTILINE
)
_DOCSTRING = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*([rRuU]?)(\"\"\"|\'\'\')")
_SUPPRESS = re.compile(r"#\s*alembic-gate:\s*ignore\[([^\]]*)\]")
_HEADER = re.compile(r"^[ \t]*(Revision ID|Revises)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Value:
    """A variable's value: the ids it names, or unknown when not a literal."""

    ids: tuple[str, ...] = ()
    known: bool = True
    line: int | None = None
    # The source of a value that is not a literal, for messages.
    source: str | None = None


NO_VALUE = Value()


@dataclass(slots=True)
class RevisionFile:
    path: Path
    # The POSIX path reported in findings (relative to the current directory).
    display: str
    revision: str | None = None
    down_revision: Value = NO_VALUE
    branch_labels: Value = NO_VALUE
    depends_on: Value = NO_VALUE
    # Why the file cannot be used in the graph (AG007), and where.
    problem: str | None = None
    problem_line: int | None = None
    # "Revision ID:" and "Revises:" from the docstring, with their lines.
    header_revision: tuple[str, int] | None = None
    header_revises: tuple[str, int] | None = None
    # Inline suppressions: line -> codes; file-wide codes under line 0.
    suppressions: dict[int, frozenset[str]] = field(default_factory=dict)

    # Where `revision = ...` stands.
    revision_line: int | None = None
    # Which operation words the file mentions outside downgrade() (see `mentions`):
    # the AG1xx rules parse only files that mention what they look for.
    mentions: frozenset[str] = frozenset()

    @property
    def line(self) -> int | None:
        """The line findings about this file point at."""
        return self.revision_line or self.problem_line

    @property
    def parents(self) -> tuple[str, ...]:
        return self.down_revision.ids


def read_revision(path: Path, cwd: Path) -> RevisionFile:
    """Read one revision file; problems are recorded on the result, never raised."""
    display = display_path(path, cwd)
    try:
        data = path.read_bytes()
    except OSError as exc:
        rev = RevisionFile(path=path, display=display)
        rev.problem = f"cannot read file: {exc.strerror or exc}"
        return rev
    return read_revision_source(data, path, display)


def read_revision_source(data: bytes, path: Path, display: str) -> RevisionFile:
    """Read a revision file's contents (from disk or from a git object) as `path`."""
    rev = RevisionFile(path=path, display=display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rev.problem = f"not UTF-8 text (byte {exc.start})"
        return rev
    if "\x00" in text:
        rev.problem = "file contains NUL bytes (not a Python source file)"
        return rev
    facts = read_fast(data)
    if facts is not None:
        _apply_facts(facts, rev)
    else:
        module = _parse(data, text, rev)
        if module is None:
            return rev
        _read_variables(module, rev)
    _read_header(text, rev)
    if "alembic-gate:" in text:
        rev.suppressions = _suppressions(text)
    rev.mentions = mentions(data)
    return rev


# Operation words the AG1xx rules look for; a file mentioning none is never parsed.
# Plain substring tests (C speed): a false hit only costs a parse.
MENTION_WORDS = (
    "add_column",
    "alter_column",
    "drop_column",
    "drop_table",
    "rename_table",
    "new_column_name",
    "type_",
    "create_index",
    "create_table",
    "execute",
    "server_default",
)
_WORDS = tuple((word, word.encode()) for word in MENTION_WORDS)
_NULLABLE_FALSE = re.compile(rb"nullable\s*=\s*False\b")


# What a module-level line starting a function, class or decorator begins with.
_BLOCK_STARTS = (b"def ", b"async def ", b"class ", b"@")


def _find_line(data: bytes, prefixes: tuple[bytes, ...], pos: int) -> int:
    """The first offset at or after `pos` where a line starts with one of `prefixes`."""
    hits = [data.find(b"\n" + prefix, pos) for prefix in prefixes]
    found = [hit + 1 for hit in hits if hit >= 0]
    return min(found, default=-1)


def mentions(data: bytes) -> frozenset[str]:
    """The operation words in the file, leaving out the body of `downgrade()`;
    `nullable=False` counts as "nullable_false"."""
    start = _find_line(data, (b"def downgrade", b"async def downgrade"), 0)
    if start >= 0:
        end = _find_line(data, _BLOCK_STARTS, start + 1)
        data = data[:start] + (data[end:] if end >= 0 else b"")
    found = {word for word, raw in _WORDS if raw in data}
    if b"False" in data and _NULLABLE_FALSE.search(data):
        found.add("nullable_false")
    return frozenset(found)


def _parse(data: bytes, text: str, rev: RevisionFile) -> ast.Module | None:
    # Invalid escapes ("\d" in a raw SQL string) warn while parsing: not our business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _parse_module(data, text, rev)


def check_syntax(rev: RevisionFile) -> None:
    """Parse the whole file, not only its head: a syntax error anywhere becomes the
    file's problem (AG007). Used for the files a commit changes (lint's FILES)."""
    if rev.problem is not None:
        return
    try:
        data = rev.path.read_bytes()
    except OSError as exc:
        rev.problem = f"cannot read file: {exc.strerror or exc}"
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(data, filename=rev.display)
        except SyntaxError as exc:
            rev.problem = f"syntax error: {exc.msg}"
            rev.problem_line = exc.lineno
        except (ValueError, RecursionError, MemoryError) as exc:
            rev.problem = f"cannot parse: {exc or type(exc).__name__}"


def _parse_module(data: bytes, text: str, rev: RevisionFile) -> ast.Module | None:
    head = _head_source(data)
    if head is not None:
        try:
            return ast.parse(head)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # the head alone may be cut mid-statement: parse it all
    try:
        return ast.parse(text, filename=rev.display)
    except SyntaxError as exc:
        rev.problem = f"syntax error: {exc.msg}"
        rev.problem_line = exc.lineno
    except (ValueError, RecursionError, MemoryError) as exc:
        rev.problem = f"cannot parse: {exc or type(exc).__name__}"
    return None


def _head_source(data: bytes) -> bytes | None:
    """The file up to the first block after the last variable, or None for all of it."""
    matches = list(_ASSIGN_LINE.finditer(data))
    if not matches:
        return None
    block = _find_line(data, _BLOCK_STARTS, matches[-1].end())
    return data[:block] if block >= 0 else None


def _read_variables(module: ast.Module, rev: RevisionFile) -> None:
    found: dict[str, ast.expr] = {}
    lines: dict[str, int] = {}
    for node in module.body:
        target, value = _assignment(node)
        if target in VARIABLES and value is not None:
            found[target] = value
            lines[target] = node.lineno
    if "revision" not in found:
        rev.problem = "no `revision` variable at module level"
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
        or isinstance(_literal(found["revision"]), tuple | list)
    ):
        rev.problem = "`revision` is not a string literal"
        rev.problem_line = lines["revision"]
        return
    rev.revision = revision.ids[0]
    rev.down_revision = _value(found["down_revision"], lines["down_revision"])
    if not rev.down_revision.known:
        rev.problem = "`down_revision` is not a literal, so the graph cannot be built"
        rev.problem_line = lines["down_revision"]
        return
    for name in ("branch_labels", "depends_on"):
        if name in found:
            setattr(rev, name, _value(found[name], lines[name]))
    _check_ids(rev, lines)


def _check_ids(rev: RevisionFile, lines: dict[str, int]) -> None:
    checks = (
        ("revision", (rev.revision or "",)),
        ("down_revision", rev.down_revision.ids),
        ("depends_on", rev.depends_on.ids),
    )
    for name, ids in checks:
        for rid in ids:
            bad = ILLEGAL_ID_CHARS.intersection(rid)
            if bad or not rid.strip():
                chars = ", ".join(repr(c) for c in sorted(bad)) or "blank id"
                rev.problem = f"`{name}` id {rid!r} is not allowed ({chars})"
                rev.problem_line = lines.get(name)
                return


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return target.id, node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


_UNKNOWN = object()


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


def _value(node: ast.expr, line: int) -> Value:
    value = _literal(node)
    if value is None or value == "" or value == () or value == []:
        return Value((), True, line)
    if isinstance(value, str):
        return Value((value,), True, line)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return Value(tuple(dict.fromkeys(value)), True, line)
    return Value((), False, line, _unparse(node))


def _unparse(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except (RecursionError, MemoryError, ValueError):
        return "<an expression too deeply nested to show>"


def _apply_facts(facts: Facts, rev: RevisionFile) -> None:
    """Fill `rev` from the fast path's plain literals."""
    lines = {name: line for name, (_, line) in facts.items()}
    rev.revision = facts["revision"][0][0] if facts["revision"][0] else ""
    rev.revision_line = lines["revision"]
    for name in ("down_revision", "branch_labels", "depends_on"):
        if name in facts:
            setattr(rev, name, Value(facts[name][0], True, lines[name]))
    _check_ids(rev, lines)


def _docstring(text: str) -> tuple[str, int] | None:
    """The module docstring's raw text and the line it starts on."""
    match = _DOCSTRING.match(text)
    if match is None:
        return None
    quote = match.group(2)
    end = text.find(quote, match.end())
    if end < 0:
        return None
    return text[match.end() : end], text.count("\n", 0, match.end()) + 1


def _read_header(text: str, rev: RevisionFile) -> None:
    found = _docstring(text)
    if found is None:
        return
    doc, first_line = found
    for match in _HEADER.finditer(doc):
        line = first_line + doc.count("\n", 0, match.start())
        if match.group(1) == "Revision ID" and rev.header_revision is None:
            rev.header_revision = (match.group(2), line)
        elif match.group(1) == "Revises" and rev.header_revises is None:
            rev.header_revises = (match.group(2), line)


def _suppressions(text: str) -> dict[int, frozenset[str]]:
    """Inline `# alembic-gate: ignore[CODES]`: on a code line for that line,
    on a line of its own before the first def or class for the whole file (line 0)."""
    result: dict[int, set[str]] = {}
    in_header = True
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if in_header and stripped.startswith(("def ", "async def ", "class ", "@")):
            in_header = False
        match = _SUPPRESS.search(line)
        if match is None:
            continue
        codes = {c.strip().upper() for c in match.group(1).split(",") if c.strip()}
        key = 0 if in_header and stripped.startswith("#") else number
        result.setdefault(key, set()).update(codes)
    return {line: frozenset(codes) for line, codes in result.items()}
