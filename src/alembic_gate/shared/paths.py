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
