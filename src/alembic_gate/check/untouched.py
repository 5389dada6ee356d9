"""Which statements of a revision cannot touch a table that existed before it.

Lock tracing (`check.trace`) runs a catalog query after each statement of a revision; after
these it need not: what they do is confined to tables the revision itself created (which
do not count) or to the session, so the locks, relfilenodes and counters of the tables
that existed before the revision are what the previous statement left. Only forms known
for certain are recognised; anything else is queried:

- `SET` / `RESET` / `SHOW` (not `SET CONSTRAINTS`, which runs deferred checks);
- `CREATE [UNLOGGED] TABLE name (...)` of a name no table had before the revision, with
  no word that could reach another table (REFERENCES, FOREIGN, PARTITION, INHERITS, LIKE,
  AS, SELECT, OF, EXECUTE, TRIGGER anywhere in it);
- `CREATE [UNIQUE] INDEX [name] ON name (columns)` of a table such a CREATE TABLE made in
  this revision, on plain columns (no expression, which could call a function).

A statement holding a `;` (several statements), and a RENAME or DROP anywhere in the
revision (in its own statements or any other that ran meanwhile: a name could then stand
for another table), end every such certainty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"({_NAME}(?:\s*\.\s*{_NAME})?)"
_SESSION = re.compile(r"\s*(?:SET|RESET|SHOW)\s", re.IGNORECASE)
_SET_CONSTRAINTS = re.compile(r"\s*SET\s+CONSTRAINTS\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(
    rf"\s*CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}\s*\(",
    re.IGNORECASE,
)
_CREATE_INDEX = re.compile(
    rf"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:(?!ON\b){_NAME}\s+)?"
    rf"ON\s+(?:ONLY\s+)?{_QUALIFIED}\s*(?:USING\s+\w+\s*)?\(",
    re.IGNORECASE,
)
_REACHES = frozenset(
    {"REFERENCES", "FOREIGN", "PARTITION", "INHERITS", "LIKE", "AS", "SELECT", "OF"}
    | {"EXECUTE", "TRIGGER"}
)
_WORD = re.compile(r"[A-Za-z_]+")
_RENAMES_OR_DROPS = re.compile(r"\b(?:RENAME|DROP)\b", re.IGNORECASE)


def table_name(qualified: str) -> str:
    """The table's own name as PostgreSQL stores it: unquoted names fold to lowercase."""
    last = re.split(r"\s*\.\s*(?=(?:\"|[A-Za-z_]))", qualified)[-1]
    return last[1:-1] if last.startswith('"') else last.lower()


class Untouched:
    """The statements of one revision that need no catalog query afterwards."""

    def __init__(self, existing: Iterable[str]) -> None:
        # The names of the tables that existed before the revision (lowercase, with and
        # without their schema): a name among them is never taken for a new table. Read
        # at the first CREATE TABLE (most revisions have none).
        self._tables = existing
        self._existing: set[str] | None = None
        self.created: set[str] = set()
        self.trusted = True

    @property
    def existing(self) -> set[str]:
        if self._existing is None:
            names = {name.lower() for name in self._tables}
            self._existing = names | {name.rsplit(".", 1)[-1] for name in names}
        return self._existing

    def saw(self, statement: str) -> bool:
        """Follow a statement that ran during the revision; False when it holds several
        statements. A rename or a drop ends the trust in the names of new tables."""
        if ";" in statement.strip().rstrip(";"):
            self.trusted = False  # several statements: their names are not followed
            return False
        if _RENAMES_OR_DROPS.search(statement):
            self.trusted = False
        return True

    def skips(self, statement: str) -> bool:
        """Whether `statement` (about to run) cannot touch a table that existed before the
        revision; learns the tables it creates."""
        if not self.saw(statement):
            return False
        if _SESSION.match(statement):
            return not _SET_CONSTRAINTS.match(statement)
        table = _CREATE_TABLE.match(statement)
        if table:
            return self._creates(table.group(1), statement)
        index = _CREATE_INDEX.match(statement)
        if index and self.trusted and statement.count("(") == 1:
            return table_name(index.group(1)) in self.created
        return False

    def _creates(self, qualified: str, statement: str) -> bool:
        name = table_name(qualified)
        if name.lower() in self.existing:
            return False  # IF NOT EXISTS, or a name that stands for another table too
        if self.trusted:
            self.created.add(name)
        return not _REACHES.intersection(_WORD.findall(statement.upper()))
