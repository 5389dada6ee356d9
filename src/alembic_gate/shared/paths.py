"""How paths appear in messages and reports: POSIX, relative to the current directory."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import TypeAlias

    # A path as lint's modules take it: a string, or a Path from a caller that has one
    # (lint itself never imports pathlib: ~3 ms of its start-up).
    StrPath: TypeAlias = "str | os.PathLike[str]"


def display_path(path: StrPath, cwd: StrPath) -> str:
    """`path` relative to `cwd` when inside it, POSIX style; otherwise as given."""
    return display_paths([os.fspath(path)], cwd)[0]


def display_paths(names: list[str], cwd: StrPath) -> list[str]:
    """`display_path` of each path (given as a string), the current directory's own
    string made once: a run shows a thousand revision files. A hot path: plain string
    operations, no syscalls."""
    root = os.fspath(cwd)
    inside, cut = root + os.sep, len(root) + 1
    shown = [
        text[cut:] if text.startswith(inside) else "." if text == root else text for text in names
    ]
    return shown if os.sep == "/" else [text.replace(os.sep, "/") for text in shown]


def shown_paths(names: list[str], cwd: StrPath) -> list[str | int]:
    """What a RevisionFile holds for the display path of each path (`RevisionFile.shown`):
    where it starts in the path, for a path inside `cwd` on POSIX (one int for all:
    no string is made); otherwise the display path itself."""
    if os.sep != "/":
        return list(display_paths(names, cwd))
    root = os.fspath(cwd)
    inside, cut = root + os.sep, len(root) + 1
    return [
        cut if text.startswith(inside) and len(text) > cut else "." if text == root else text
        for text in names
    ]


def below(path: str, folder: str) -> bool:
    """Whether `path` lies inside `folder` (Path's `folder in path.parents`; both
    absolute and normal)."""
    return path.startswith(folder.rstrip(os.sep) + os.sep) and path != folder


def up_from(folder: str) -> Iterator[str]:
    """`folder` and each folder above it (Path's `(folder, *folder.parents)`)."""
    while True:
        yield folder
        above = os.path.dirname(folder)
        if above == folder:
            return
        folder = above


# How many folders above an importing file's are searched for a module without a git
# work tree (`import_roots`).
IMPORT_LEVELS = 8


def import_roots(importer: str, level: int) -> list[str]:
    """The folders a module imported from the file `importer` may lie in: for a
    relative import, the package folder `level` dots name; else the importer's folder
    and those above it up to the git work tree's top (or `IMPORT_LEVELS` folders up)."""
    folder = os.path.dirname(os.path.abspath(importer))
    if level:
        for _ in range(level - 1):
            folder = os.path.dirname(folder)
        return [folder]
    roots = []
    for above in up_from(folder):
        roots.append(above)
        if len(roots) > IMPORT_LEVELS or os.path.exists(os.path.join(above, ".git")):
            break
    return roots


def module_file(parts: Sequence[str], roots: Iterable[str]) -> str | None:
    """The source file of the module the dotted `parts` name (`a/b.py`, else
    `a/b/__init__.py`) in the first of `roots` that holds one, as Python's path finder
    takes it; None where none does."""
    for root in roots:
        base = os.path.join(root, *parts)
        for path in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(path):
                return path
    return None


def work_tree_root(folder: str) -> str | None:
    """The nearest folder at or above `folder` that holds `.git` (the top of its git work
    tree); None outside one."""
    found = (up for up in up_from(os.path.realpath(folder)) if _holds_git(up))
    return next(found, None)


def in_git_work_tree(folder: str) -> bool:
    """Whether a folder at or above `folder` holds `.git` (a directory, or a file in a
    linked work tree or a submodule): outside one, no git process need start."""
    return work_tree_root(folder) is not None


def _holds_git(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, ".git"))
