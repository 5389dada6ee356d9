"""How paths appear in messages and reports: POSIX, relative to the current directory."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str, cwd: Path) -> str:
    """`path` relative to `cwd` when inside it, POSIX style; otherwise as given."""
    return display_paths([str(path)], cwd)[0]


def display_paths(names: list[str], cwd: Path) -> list[str]:
    """`display_path` of each path (given as a string), the current directory's own
    string made once: a run shows a thousand revision files. A hot path: plain string
    operations, no syscalls."""
    root = str(cwd)
    inside, cut = root + os.sep, len(root) + 1
    shown = [
        text[cut:] if text.startswith(inside) else "." if text == root else text for text in names
    ]
    return shown if os.sep == "/" else [text.replace(os.sep, "/") for text in shown]


def shown_paths(names: list[str], cwd: Path) -> list[str | int]:
    """What a RevisionFile holds for the display path of each path (`RevisionFile.shown`):
    where it starts in the path, for a path inside `cwd` on POSIX (one int for all:
    no string is made); otherwise the display path itself."""
    if os.sep != "/":
        return list(display_paths(names, cwd))
    root = str(cwd)
    inside, cut = root + os.sep, len(root) + 1
    return [
        cut if text.startswith(inside) and len(text) > cut else "." if text == root else text
        for text in names
    ]
