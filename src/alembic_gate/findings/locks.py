"""What `check` measured of the locks each revision took (lock tracing on PostgreSQL),
for the reports' lock tables: apart from Finding and Report, so that `lint` does not
import what only `check` measures."""

from __future__ import annotations

from alembic_gate.shared.records import field, record


@record(frozen=True)
class LockRow:
    """One statement of a revision that locked or rewrote a table that existed before it
    (check's lock tracing on PostgreSQL)."""

    line: int | None  # the op.* line in the revision file
    statement: str  # the SQL, shortened
    table: str
    lock: str  # the strongest lock mode it took there ("SHARE", "ACCESS EXCLUSIVE"), or ""
    blocks: str  # what that lock blocks ("writes", "reads and writes", ...), or ""
    held: float  # seconds from the statement's start until the lock was released
    rewrite: bool


@record
class RevisionLocks:
    """The locks one revision took, measured while `check` applied it."""

    revision: str
    path: str | None
    statements: int  # statements traced
    rows: list[LockRow] = field(default_factory=list)
    # Why some of its locks could not be measured, when that happened.
    note: str = ""
