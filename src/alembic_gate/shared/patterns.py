"""Regular expressions compiled when first used."""

from __future__ import annotations

import re


class LazyPattern:
    """A regular expression compiled when first used: compiling one costs ~1 M
    instructions, and a run that parses few files (a pre-commit run parses one) uses
    few of them (no SQL read, no suppression, no header to compare)."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[str] | None = None

    def get(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled
