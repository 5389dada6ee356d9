"""The fast path for reading a revision file: no parse at all for the common shape.

Most revision files assign their four variables on single lines with plain literals
(`revision: str = "ab12"`, `down_revision = ("a", "b")`, `depends_on = None`). This
module recognises exactly that shape with strict patterns and gives up (returns None)
on anything else, so the caller falls back to `ast`: a value that is not a plain
literal, a variable assigned twice, an assignment that could sit inside a
triple-quoted string, or merge-conflict markers.
"""

from __future__ import annotations

import re

NAMES = (b"revision", b"down_revision", b"branch_labels", b"depends_on")

# Matched only at line starts (found with bytes.find); the value is stripped after.
_LINE = re.compile(
    rb"(revision|down_revision|branch_labels|depends_on)[ \t]*(?::[^=\n]*)?=(?!=)[ \t]*([^\n]*)"
)
_STR = rb"""(?:'[^'"\\\n]*'|"[^'"\\\n]*")"""
_VALUE = re.compile(
    rb"(?:None|" + _STR + rb"|[(\[][ \t]*(?:" + _STR + rb"[ \t]*,[ \t]*)*(?:" + _STR + rb")?"
    rb"[ \t]*[)\]])[ \t]*(?:#[^\n]*)?"
)
_STRINGS = re.compile(rb"""'([^'"\\\n]*)'|"([^'"\\\n]*)\"""")
_STR_ONLY = re.compile(_STR + rb"[ \t]*(?:#[^\n]*)?")

Facts = dict[str, tuple[tuple[str, ...], int]]


def read_fast(data: bytes) -> Facts | None:
    """Each variable's ids and 1-based line, or None when the file needs a real parse."""
    if b"<<<<<<<" in data or b">>>>>>>" in data:
        return None
    matches = sorted(
        (m for name in NAMES for m in _assignments(data, name)), key=lambda m: m.start()
    )
    if not matches:
        return None
    facts: Facts = {}
    # Counted segment by segment, so each byte before the last match is scanned once.
    pos, line, double, single = 0, 1, 0, 0
    for match in matches:
        start = match.start()
        name = match.group(1).decode()
        value = match.group(2).rstrip()
        if name in facts or not _VALUE.fullmatch(value) or _continues(data, start):
            return None
        if name == "revision" and not _STR_ONLY.fullmatch(value):
            return None
        line += data.count(b"\n", pos, start)
        double += data.count(b'"""', pos, start)
        single += data.count(b"'''", pos, start)
        pos = start
        if double % 2 or single % 2:
            return None  # may lie inside a triple-quoted string
        ids = _ids(value)
        if ids is None or (name == "revision" and not ids):
            return None  # a blank id: the full read reports it
        facts[name] = (ids, line)
    if "revision" not in facts or "down_revision" not in facts:
        return None
    return facts


def _ids(value: bytes) -> tuple[str, ...] | None:
    """The ids in a plain literal (already matched by _VALUE); None for a blank one."""
    if value.startswith(b"None"):
        return ()
    found = _STRINGS.findall(value)
    if len(found) == 1 and value[:1] in b"'\"":
        text = (found[0][0] or found[0][1]).decode()
        return (text,) if text else ()  # `= ""` means no id, as None does
    ids = tuple(dict.fromkeys((a or b).decode() for a, b in found))
    return None if "" in ids else ids


def _assignments(data: bytes, name: bytes) -> list[re.Match[bytes]]:
    """Assignments to `name` at the start of a line, found with `bytes.find` (fast)."""
    found = []
    pos = 0 if data.startswith(name) else data.find(b"\n" + name)
    while pos >= 0:
        start = pos if pos == 0 and data.startswith(name) else pos + 1
        match = _LINE.match(data, start)
        if match is not None:
            found.append(match)
        pos = data.find(b"\n" + name, start)
    return found


def _continues(data: bytes, start: int) -> bool:
    """Whether the line before `start` ends in `\\`, `(`, `[`, `{` or `,`: then the
    assignment may be part of a larger expression."""
    i = start - 1
    while i >= 0 and data[i] in b" \t\r\n":
        i -= 1
    return i >= 0 and data[i] in b"\\([{,"
