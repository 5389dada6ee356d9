"""What the traced statements of one revision did to the tables that existed before it.

`check.trace` records, after each statement a revision ran on PostgreSQL, the lock modes
its own backend held on each table, each table's relfilenode and its scan and row
counters; this module turns one revision's records into findings (AG905 table-rewrite,
AG906 blocking-lock, AG907 no-lock-timeout), the rows of its lock table, and the op.*
lines that were watched. Pure Python: no database here.

Tables the revision created itself do not count (nobody else can be waiting on them).
A lock is held from the statement that took it until the transaction ends: the end of
the revision, or the start of the first statement that no longer holds it (an
autocommit block commits the transaction before its statements).
"""

from __future__ import annotations

import re

from alembic_gate.check.protocol import RawFinding
from alembic_gate.findings.locks import LockRow, RevisionLocks
from alembic_gate.history.operations import sql_statements
from alembic_gate.shared.records import field, record

MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
RANK = {mode: rank for rank, mode in enumerate(MODES, 1)}
# Which modes each mode conflicts with (PostgreSQL's table-level lock conflicts, by rank).
CONFLICTS = {
    1: {8},
    2: {7, 8},
    3: {5, 6, 7, 8},
    4: {4, 5, 6, 7, 8},
    5: {3, 4, 6, 7, 8},
    6: {3, 4, 5, 6, 7, 8},
    7: {2, 3, 4, 5, 6, 7, 8},
    8: {1, 2, 3, 4, 5, 6, 7, 8},
}
SHARE_UPDATE_EXCLUSIVE = RANK["ShareUpdateExclusiveLock"]
SHARE = RANK["ShareLock"]
ACCESS_EXCLUSIVE = RANK["AccessExclusiveLock"]
BLOCKS = {
    ACCESS_EXCLUSIVE: "reads and writes",
    RANK["ExclusiveLock"]: "writes",
    RANK["ShareRowExclusiveLock"]: "writes",
    SHARE: "writes",
    SHARE_UPDATE_EXCLUSIVE: "schema changes, VACUUM",
}
BLOCKED = {
    "reads and writes": "every query on {table}, reads too (SELECT, INSERT, UPDATE, DELETE)",
    "writes": "writes to {table} (INSERT, UPDATE, DELETE)",
}
# A statement that runs this long holds its locks long enough to matter, whatever it does.
LONG = 1.0
# How many later statements a message names before it counts the rest.
NAMED = 3
# What `lock_timeout` reads when it is off.
NO_TIMEOUT = frozenset({"0", "0ms", "0s", ""})


@record
class Table:
    """A table (or materialized view) that existed before the revision started."""

    name: str
    relfilenode: int
    # Sequential scans, and rows inserted, updated or deleted (this backend's counters).
    work: tuple[int, int]
    held: frozenset[str] = frozenset()  # lock modes held on it when the revision started


@record
class Statement:
    """One statement of a revision and what the backend held once it had run."""

    path: str
    line: int
    sql: str
    start: float  # seconds on the tracer's clock (its own queries left out)
    end: float
    autocommit: bool = False  # ran outside a transaction: its locks ended with it
    locks: dict[int, frozenset[str]] = field(default_factory=dict)
    relfilenodes: dict[int, int] = field(default_factory=dict)
    work: dict[int, tuple[int, int]] = field(default_factory=dict)
    lock_timeout: str = "0"
    # Counters as they were just before it, where statements not traced moved them.
    baseline: dict[int, tuple[int, int]] = field(default_factory=dict)
    # The name of each table its catalog rows named, once it had run (a rename shows).
    names: dict[int, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.end - self.start


@record
class Revision:
    revision: str
    path: str
    tables: dict[int, Table]
    statements: list[Statement]
    end: float = 0.0
    # Why locks held before the revision started hide what it takes again.
    masked_because: str = ""
    # Why tracing stopped part-way (its catalog query failed).
    stopped: str = ""
    # The counters of the tables its statements touched, as they were before the first of
    # them (instead of Table.work, for a tracer that reads them only when needed).
    work_before: dict[int, tuple[int, int]] = field(default_factory=dict)


@record
class Analysis:
    findings: list[RawFinding]
    locks: RevisionLocks
    watched: list[tuple[str, int]]


@record
class _Step:
    """A statement with what changed on the pre-existing tables when it ran."""

    statement: Statement
    before: dict[int, frozenset[str]]  # modes held before it
    held: dict[int, frozenset[str]]  # modes held after it
    new: dict[int, frozenset[str]]  # modes it took
    rewritten: list[int]
    worked: dict[int, str]  # what it did to each table: "scanned", "wrote rows of", ...
    # The tables renamed before it, by their name then (the others: Table.name).
    names: dict[int, str] = field(default_factory=dict)


def analyse(revision: Revision) -> Analysis:
    steps = _steps(revision)
    masked = _masked(revision) if revision.masked_because else []
    findings: list[RawFinding] = []
    rows: list[LockRow] = []
    for index in range(len(steps)):
        rows += _rows(revision, steps, index)
        findings += _rewrites(revision, steps, index)
        findings += _blocking(revision, steps, index)
    findings += _no_timeout(revision, steps)
    note = ""
    if masked:
        names = ", ".join(sorted(revision.tables[oid].name for oid in masked))
        note = (
            f"{names} {'was' if len(masked) == 1 else 'were'} locked already when the "
            f"revision started ({revision.masked_because}): locks it took on "
            f"{'it' if len(masked) == 1 else 'them'} again cannot be seen"
        )
    if revision.stopped:
        note = f"{note}; " if note else ""
        note += f"tracing stopped part-way: {revision.stopped}"
    outside = _outside(revision)
    if outside:
        note = f"{note}; " if note else ""
        note += outside
    locks = RevisionLocks(revision.revision, revision.path, len(revision.statements), rows, note)
    watched = [] if masked or revision.stopped else _watched(revision)
    return Analysis(_merged(findings), locks, watched)


# Statements outside a transaction that block nothing (or no table) for long.
_HARMLESS_OUTSIDE = re.compile(
    r"\s*(?:SET|RESET|SHOW|COMMIT|BEGIN|ALTER\s+TYPE)\b|.*\bCONCURRENTLY\b",
    re.IGNORECASE | re.DOTALL,
)
_PLAIN_INDEX = re.compile(r"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b", re.IGNORECASE)


def _outside(revision: Revision) -> str:
    """What the lock table says of the statements that ran outside a transaction (in an
    autocommit block): their locks ended with them, unread, and a rewrite went unseen."""
    unread = [s for s in revision.statements if s.autocommit and not _HARMLESS_OUTSIDE.match(s.sql)]
    if not unread:
        return ""
    lines = [str(line) for line in dict.fromkeys(s.line for s in unread)]
    text = (
        f"line{'s' if len(lines) > 1 else ''} {_and(lines)} ran outside a transaction "
        f"(autocommit_block()): {'their' if len(lines) > 1 else 'its'} locks and rewrites "
        "are not measured"
    )
    if any(_PLAIN_INDEX.match(s.sql) for s in unread):
        text += " (a plain CREATE INDEX there still blocks writes while it builds)"
    return text


def _masked(revision: Revision) -> list[int]:
    return [
        oid
        for oid, table in revision.tables.items()
        if any(RANK.get(mode, 0) >= SHARE_UPDATE_EXCLUSIVE for mode in table.held)
    ]


def _watched(revision: Revision) -> list[tuple[str, int]]:
    lines = {(s.path, s.line) for s in revision.statements}
    outside = {(s.path, s.line) for s in revision.statements if s.autocommit}
    return sorted(lines - outside)


def _steps(revision: Revision) -> list[_Step]:
    """Each statement with what it changed on the pre-existing tables (only the tables its
    catalog rows name are looked at: a revision touches few of many)."""
    tables = revision.tables
    none: frozenset[str] = frozenset()
    held = {oid: table.held for oid, table in tables.items() if table.held}
    nodes: dict[int, int] = {}
    work = dict(revision.work_before)
    names: dict[int, str] = {}
    steps = []
    for statement in revision.statements:
        work.update(statement.baseline)
        if statement.autocommit:  # the transaction before it was committed
            steps.append(_Step(statement, held, {}, {}, [], {}, names))
            held = {}
            continue
        now = {oid: modes for oid, modes in statement.locks.items() if oid in tables}
        taken = {oid: modes - held.get(oid, none) for oid, modes in now.items()}
        new = {oid: modes for oid, modes in taken.items() if modes}
        rewritten = [
            oid
            for oid, node in statement.relfilenodes.items()
            if oid in tables and node != nodes.get(oid, tables[oid].relfilenode)
        ]
        worked = {
            oid: did
            for oid, counts in statement.work.items()
            if oid in tables and (did := _did(work.get(oid, tables[oid].work), counts))
        }
        steps.append(_Step(statement, held, now, new, rewritten, worked, names))
        held = now
        nodes.update(statement.relfilenodes)
        work.update(statement.work)
        names = _renamed(tables, names, statement)
    return steps


def _renamed(
    tables: dict[int, Table], names: dict[int, str], statement: Statement
) -> dict[int, str]:
    """`names` with the tables `statement` renamed (a new dict: steps keep theirs)."""
    changed = {
        oid: name
        for oid, name in statement.names.items()
        if oid in tables and names.get(oid, tables[oid].name) != name
    }
    return {**names, **changed} if changed else names


def _name(revision: Revision, step: _Step, oid: int) -> str:
    """A table's name when the step's statement ran."""
    return step.names.get(oid) or revision.tables[oid].name


def _did(before: tuple[int, int], after: tuple[int, int]) -> str:
    scanned, wrote = after[0] > before[0], after[1] > before[1]
    return {(True, True): "scanned and wrote rows of", (True, False): "scanned"}.get(
        (scanned, wrote), "wrote rows of" if wrote else ""
    )


def _strongest(modes: frozenset[str]) -> int:
    return max((RANK.get(mode, 0) for mode in modes), default=0)


def _mode_name(rank: int) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", MODES[rank - 1].removesuffix("Lock")).upper()


def _release(steps: list[_Step], index: int, oid: int, rank: int) -> int:
    """The index of the first later step that no longer holds `rank` on `oid` (or len)."""
    mode = MODES[rank - 1]
    for later in range(index + 1, len(steps)):
        if mode not in steps[later].held.get(oid, frozenset()):
            return later
    return len(steps)


def _held_seconds(revision: Revision, steps: list[_Step], index: int, released: int) -> float:
    until = steps[released].statement.start if released < len(steps) else revision.end
    return max(0.0, until - steps[index].statement.start)


def _rows(revision: Revision, steps: list[_Step], index: int) -> list[LockRow]:
    step = steps[index]
    statement = step.statement
    rows = []
    for oid in sorted(set(step.new) | set(step.rewritten)):
        # The strongest mode this statement took; under a rewrite with no new mode (the
        # lock came from an earlier statement), the one it ran under.
        rank = _strongest(step.new.get(oid, frozenset()))
        if oid in step.rewritten and rank < ACCESS_EXCLUSIVE:
            rank = _strongest(step.held.get(oid, frozenset()))
        elif rank < SHARE_UPDATE_EXCLUSIVE:
            continue
        released = _release(steps, index, oid, rank)
        rows.append(
            LockRow(
                line=statement.line,
                statement=_row_sql(statement.sql, _name(revision, step, oid)),
                table=_name(revision, step, oid),
                lock=_mode_name(rank) if rank else "",
                blocks=BLOCKS.get(rank, ""),
                held=round(_held_seconds(revision, steps, index, released), 3),
                rewrite=oid in step.rewritten,
            )
        )
    return rows


# -- AG905 table-rewrite ------------------------------------------------------------


def _rewrites(revision: Revision, steps: list[_Step], index: int) -> list[RawFinding]:
    step = steps[index]
    statement = step.statement
    if not step.rewritten or re.match(r"\s*TRUNCATE\b", statement.sql, re.IGNORECASE):
        return []
    names = [_name(revision, step, oid) for oid in step.rewritten]
    parents = [_name(revision, step, oid) for oid in _partitioned(revision, step)]
    through = f" (through the partitioned table {_and(parents)})" if parents else ""
    oid = step.rewritten[0]
    released = _release(steps, index, oid, ACCESS_EXCLUSIVE)
    held = _held_seconds(revision, steps, index, released)
    blocked = BLOCKED["reads and writes"].format(table=_and(parents + names))
    message = (
        f"{_quoted(statement.sql, names)} rewrote {_and(names)}{through}: PostgreSQL wrote a new "
        f"copy of the table and its indexes under an ACCESS EXCLUSIVE lock, which blocks "
        f"{blocked} for the whole copy, and "
        f"the copy takes as long as the table is big ({secs(statement.seconds)} here; the "
        f"revision held the lock {secs(held)})"
    )
    fix = _rewrite_fix(statement)
    # The key names no timing: the message's first clause holds this run's.
    key = f"rewrote {_and(names)}"
    return [RawFinding("AG905", message, statement.path, statement.line, fix, key)]


def _partitioned(revision: Revision, step: _Step) -> list[int]:
    """The partitioned tables (no file of their own: relfilenode 0) a rewriting statement
    locked ACCESS EXCLUSIVE: the rewrite of their partitions holds them too."""
    if not step.rewritten:
        return []
    return [
        oid
        for oid, modes in sorted(step.new.items())
        if revision.tables[oid].relfilenode == 0 and _strongest(modes) == ACCESS_EXCLUSIVE
    ]


def _rewrite_fix(statement: Statement) -> str:
    sql = statement.sql.upper()
    if re.search(r"\bALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b", sql):
        return (
            "add a new column of the new type, fill it in batches and keep it in step (a "
            "trigger), then switch to it and drop the old column in a later revision; "
            "or keep a type PostgreSQL changes without a rewrite (a longer varchar, text)"
        )
    if re.search(r"\bADD\s+(COLUMN\s+)?.*\bDEFAULT\b", sql):
        return (
            "add the column without the volatile default (nullable, or with a constant "
            "server_default), fill existing rows in batches, then set the default"
        )
    return "rebuild the table online (pg_repack) or run this when the table may be locked"


# -- AG906 blocking-lock ------------------------------------------------------------


def _blocking(revision: Revision, steps: list[_Step], index: int) -> list[RawFinding]:
    step = steps[index]
    statement = step.statement
    by_rank: dict[int, list[int]] = {}
    rewrites = set(step.rewritten) | set(_partitioned(revision, step))
    for oid, modes in sorted(step.new.items()):
        rank = _strongest(modes)
        if rank >= SHARE and oid not in rewrites:
            by_rank.setdefault(rank, []).append(oid)
    own = _own_reasons(revision, step)
    sentences = []
    fixes: list[str] = []
    for rank, oids in sorted(by_rank.items(), reverse=True):
        released = max(_release(steps, index, oid, rank) for oid in oids)
        later = _extending(revision, steps, index, released)
        if not own and not later:
            continue  # metadata only, for an instant
        sentences.append(
            _blocking_sentence(revision, steps, index, oids, rank, released, own, later)
        )
        fixes.append(_blocking_fix(statement, bool(own), bool(later)))
    if not sentences:
        return []
    locked = [_name(revision, step, oid) for oids in by_rank.values() for oid in oids]
    message = f"{_quoted(statement.sql, locked)} " + " It also ".join(sentences)
    fix = "; ".join(dict.fromkeys(fixes))
    return [RawFinding("AG906", message, statement.path, statement.line, fix)]


def _blocking_sentence(
    revision: Revision,
    steps: list[_Step],
    index: int,
    oids: list[int],
    rank: int,
    released: int,
    own: list[str],
    later: list[str],
) -> str:
    """`released`: the index of the first step that no longer holds the lock."""
    statement = steps[index].statement
    names = _and([_name(revision, steps[index], oid) for oid in oids])
    held = _held_seconds(revision, steps, index, released)
    mode = _mode_name(rank)
    lock = f"{_article(mode)} {mode} lock" if len(oids) == 1 else f"{mode} locks"
    text = (
        f"took {lock} on {names}: it blocks {BLOCKED[BLOCKS[rank]].format(table=names)} "
        "until the revision commits."
    )
    if own:
        text += f" It {_and(own)} ({secs(statement.seconds)} here)."
    else:
        text += f" The statement itself is quick ({secs(statement.seconds)})."
    if later:
        named = _once(later)
        shown = "; ".join(named[:NAMED]) + (
            f"; and {len(named) - NAMED} more" if len(named) > NAMED else ""
        )
        text += (
            f" The revision kept the lock {secs(held - statement.seconds)} longer, "
            f"through {_count(len(later))}: {shown}."
        )
    text += f" Held {secs(held)} in all"
    if any("scanned" in why or "wrote" in why for why in own + later):
        text += " on this database's few rows (with production's, the work lasts longer)"
    return text + "."


def _own_reasons(revision: Revision, step: _Step) -> list[str]:
    reasons = [_work(revision, step)] if step.worked else []
    if step.statement.seconds >= LONG:
        reasons.append(f"ran {secs(step.statement.seconds)}")
    return reasons


def _work(revision: Revision, step: _Step) -> str:
    by_kind: dict[str, list[str]] = {}
    for oid, did in step.worked.items():
        by_kind.setdefault(did, []).append(_name(revision, step, oid))
    return _and([f"{did} {_and(names)}" for did, names in by_kind.items()])


def _extending(revision: Revision, steps: list[_Step], index: int, released: int) -> list[str]:
    """The later statements that kept the lock held while doing work or waiting: each
    as "line N why"."""
    found = []
    for later in steps[index + 1 : released]:
        why = [_work(revision, later)] if later.worked else []
        waits = [
            _name(revision, later, oid)
            for oid, modes in sorted(later.new.items())
            if any(_may_wait(mode, later.before.get(oid, frozenset())) for mode in modes)
        ]
        if waits:
            why.append(f"locked {_and(waits)}, which can wait behind other sessions")
        if later.statement.seconds >= LONG:
            why.append(f"ran {secs(later.statement.seconds)}")
        if why:
            found.append(f"line {later.statement.line} {_and(why)}")
    return found


def _once(later: list[str]) -> list[str]:
    """Each "line N why" once, in order, with how many statements it stands for where
    several did the same (one op.* call's statements: "line 56 scanned runs (2 statements)")."""
    counts = dict.fromkeys(later, 0)
    for text in later:
        counts[text] += 1
    return [f"{text} ({n} statements)" if n > 1 else text for text, n in counts.items()]


def _may_wait(mode: str, held: frozenset[str]) -> bool:
    """Whether taking `mode` can wait for another session, given the modes this one
    holds on the table already (other sessions can only hold modes that conflict with
    none of them)."""
    rank = RANK.get(mode, 0)
    ours = {RANK.get(m, 0) for m in held}
    theirs = [r for r in range(1, 9) if not any(r in CONFLICTS[h] for h in ours if h)]
    return any(r in CONFLICTS.get(rank, set()) for r in theirs)


def _blocking_fix(statement: Statement, own: bool, later: bool) -> str:
    sql = " ".join(statement.sql.upper().split())
    if not own:
        return (
            "take this lock last: move the statements after it into a revision of their "
            "own (or before it)"
        )
    if re.match(r"CREATE (UNIQUE )?INDEX\b", sql):
        fix = (
            "with op.get_context().autocommit_block(): op.create_index(..., "
            "postgresql_concurrently=True)"
        )
    elif "FOREIGN KEY" in sql or "REFERENCES" in sql:
        fix = (
            "add the foreign key NOT VALID (postgresql_not_valid=True), then VALIDATE "
            "CONSTRAINT it in a later revision (that takes a lock that blocks no reads or "
            "writes)"
        )
    elif "SET NOT NULL" in sql:
        fix = (
            "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later "
            "revision, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check"
        )
    elif "CHECK" in sql:
        fix = "add the constraint NOT VALID, then VALIDATE CONSTRAINT it in a later revision"
    elif "PRIMARY KEY" in sql or "UNIQUE" in sql:
        fix = (
            "build the unique index CONCURRENTLY in an autocommit block first, then ADD "
            "CONSTRAINT ... USING INDEX"
        )
    else:
        fix = "run it when the table may be locked, with a lock_timeout"
    if later:
        fix += "; and move the statements after it into a revision of their own"
    return fix


# -- AG907 no-lock-timeout ----------------------------------------------------------


def _no_timeout(revision: Revision, steps: list[_Step]) -> list[RawFinding]:
    taken: list[tuple[Statement, str]] = []
    for step in steps:
        if step.statement.lock_timeout.strip() not in NO_TIMEOUT:
            continue
        for oid, modes in sorted(step.new.items()):
            if "AccessExclusiveLock" in modes:
                taken.append((step.statement, _name(revision, step, oid)))
    if not taken:
        return []
    first = taken[0][0]
    where = _and([f"{name} (line {s.line})" for s, name in taken])
    message = (
        f"this revision takes ACCESS EXCLUSIVE locks on {where} while lock_timeout is 0: "
        "behind one long query on such a table the statement waits, and every other query "
        "on that table queues behind it until it gets the lock"
    )
    fix = (
        "op.execute(\"SET LOCAL lock_timeout = '5s'\") as the first line of upgrade() (or for "
        'every revision in env.py, e.g. connect_args={"options": "-c lock_timeout=5s"}), '
        "and retry the deploy when it times out"
    )
    key = "ACCESS EXCLUSIVE on " + _and([name for _, name in taken])  # no lines: they move
    return [RawFinding("AG907", message, first.path, first.line, fix, key)]


# -- helpers --------------------------------------------------------------------------


def _merged(findings: list[RawFinding]) -> list[RawFinding]:
    """One finding per code and line: the statements of one op.* call (or of a loop on
    one line) are one message, the first in full and the others named."""
    groups: dict[tuple[str, str | None, int | None], list[RawFinding]] = {}
    for finding in findings:
        groups.setdefault((finding.code, finding.path, finding.line), []).append(finding)
    merged = []
    for first, *others in groups.values():
        if others:
            named = [o.message.split("` ", 1)[0].lstrip("`") for o in others]
            shown = ", ".join(f"`{short_sql(sql, 60)}`" for sql in named[:NAMED])
            more = f" and {len(named) - NAMED} more" if len(named) > NAMED else ""
            first.message += f" The same line then ran {shown}{more}, with the same hazard."
            fixes = dict.fromkeys(f.fix for f in [first, *others] if f.fix)
            first.fix = "; ".join(fixes) or None
        merged.append(first)
    return merged


def secs(seconds: float) -> str:
    """`1.25s`, or `12ms` below a second."""
    if seconds < 0.0005:
        return "under 1ms"
    return f"{seconds:.2f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"


def _quoted(sql: str, tables: list[str]) -> str:
    """The statement in backquotes; of several sent at once, the one on `tables`."""
    text, number, count = _on_tables(sql, tables)
    if count == 1:
        return f"`{short_sql(text)}`"
    return f"`{short_sql(text)}` (the {_ordinal(number)} of {count} statements run together)"


def _row_sql(sql: str, table: str) -> str:
    text, number, count = _on_tables(sql, [table])
    return short_sql(text) if count == 1 else f"{short_sql(text)} ({_ordinal(number)} of {count})"


def _on_tables(sql: str, tables: list[str]) -> tuple[str, int, int]:
    """Of the statements `sql` holds (Superset sends a CREATE FUNCTION and the ALTER
    TABLE that uses it in one execute()), the first that names one of `tables` outside
    quoted text, else the first: (its text, its number from 1, how many)."""
    parts = sql_statements(sql) if ";" in sql else []
    if len(parts) < 2:
        return sql, 1, 1
    names = [re.escape(name.rsplit(".", 1)[-1]) for name in tables]
    pattern = re.compile(rf"\b(?:{'|'.join(names)})\b", re.IGNORECASE) if names else None
    for number, (text, blanked) in enumerate(parts, 1):
        if pattern is not None and pattern.search(blanked):
            return text, number, len(parts)
    return parts[0][0], 1, len(parts)


def _ordinal(number: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10 if number % 100 not in (11, 12, 13) else 0, "th"
    )
    return f"{number}{suffix}"


def short_sql(sql: str, limit: int = 100) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _and(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _article(mode: str) -> str:
    return "an" if mode[0] in "AEIOU" else "a"


def _count(number: int) -> str:
    return f"{number} later statement{'s' if number != 1 else ''}"
