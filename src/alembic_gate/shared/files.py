"""Reading files that a repository (or anyone who can write to it) put there.

Only regular files are opened: a FIFO, socket or device in a versions folder or in
place of a config or cache file would block the read or never end. What is read is
capped, so a revision file of gigabytes costs nothing.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import BinaryIO

    from alembic_gate.shared.paths import StrPath

# Far above any real revision file (the largest seen in public histories is 0.3 MiB).
MAX_SOURCE_BYTES = 8 * 1024 * 1024
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """A path that exists but is a folder, FIFO, socket or device."""


class FileTooLarge(OSError):
    """A regular file over the limit; `size` is its size in bytes."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"larger than {limit // (1024 * 1024)} MiB ({size:,} bytes)")
        self.size = size


def open_regular(path: StrPath) -> BinaryIO:
    """The regular file at `path`, open for reading (a stream: nothing is read yet).
    Raises NotRegularFile for anything else (never opened), or the error of stat/open."""
    fd, _ = _open_regular(path)
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_regular(path: StrPath) -> tuple[int, os.stat_result]:
    """A descriptor of the regular file at `path`, and its fstat. Raises NotRegularFile
    for anything else (a FIFO is never opened: opening one would wait for a writer)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFile(f"not a regular file: {path}")
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)  # the path may have been swapped since the stat
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"not a regular file: {path}")
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_regular(path: StrPath, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The contents of the regular file at `path`, at most `limit` bytes.

    Raises OSError: NotRegularFile for anything but a regular file (it is never
    opened), FileTooLarge past `limit`, or the error of stat/open/read.
    """
    fd, info = _open_regular(path)
    try:
        if info.st_size > limit:
            raise FileTooLarge(info.st_size, limit)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, max(info.st_size - total, 0) + 1)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while being read
                raise FileTooLarge(total, limit)
    finally:
        os.close(fd)


def describe_error(exc: OSError) -> str:
    """`exc` as the few words a message needs: "No such file or directory"."""
    if isinstance(exc, NotRegularFile | FileTooLarge):
        text = str(exc)
        return text.split(":", 1)[0] if isinstance(exc, NotRegularFile) else text
    return exc.strerror or str(exc)
