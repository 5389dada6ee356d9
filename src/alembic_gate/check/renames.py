"""Tables a revision renames, read from its statements, so that seeding follows them.

Runs in the worker, for check.seeding. `op.rename_table("users", "members")` runs
`ALTER TABLE users RENAME TO members` (MySQL and MariaDB also take `ALTER TABLE users
RENAME members` and `RENAME TABLE users TO members, a TO b`): the rows seeding made up for
users are members' now, and what it knows of them (made-up columns, its rows' keys, where
the table came from) goes with them. A batch's `ALTER TABLE _alembic_tmp_users RENAME TO
users` (SQLite) puts the copy in the table's place: it is no rename of a seeded table.
"""

from __future__ import annotations

import re

from alembic_gate.check.made_up import NAME, TEMPORARY

_QUALIFIED = rf"{NAME}(?:\s*\.\s*{NAME})?"
_ALTER = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?({_QUALIFIED})\s+RENAME\s+"
    rf"(?:(?:TO|AS)\s+)?({_QUALIFIED})\s*;?\s*$",
    re.IGNORECASE,
)
_RENAME = re.compile(r"^\s*RENAME\s+TABLES?\s+", re.IGNORECASE)
_PAIR = re.compile(rf"\s*({_QUALIFIED})\s+TO\s+({_QUALIFIED})\s*(,|;?\s*$)", re.IGNORECASE)

# (schema or None, name) as the statement wrote it, quotes taken off; `quoted`: the name
# was quoted (PostgreSQL keeps its case then).
Name = tuple[str | None, str, bool]


def renamed(statement: str) -> list[tuple[Name, Name]]:
    """The tables `statement` renames: (old, new) for each; none for a batch's copy."""
    pairs: list[tuple[str, str]] = []
    match = _ALTER.match(statement)
    if match:
        pairs.append((match.group(1), match.group(2)))
    start = _RENAME.match(statement)
    at = start.end() if start else len(statement)
    while start:
        pair = _PAIR.match(statement, at)
        if pair is None:
            return []  # not read so: nothing followed
        pairs.append((pair.group(1), pair.group(2)))
        at = pair.end()
        if pair.group(3) != ",":
            break
    names = [(_split(old), _split(new)) for old, new in pairs]
    return [(old, new) for old, new in names if not old[1].lower().startswith(TEMPORARY)]


def _split(qualified: str) -> Name:
    parts = [part.strip() for part in re.findall(NAME, qualified)]
    quoted = parts[-1][:1] in '"`['
    names = [part[1:-1] if part[:1] in '"`[' else part for part in parts]
    return (names[0] if len(names) > 1 else None), names[-1], quoted
