"""One revision's traced statements turned into AG905-AG907, lock rows and watched lines.

The records are what check.trace reads from PostgreSQL after each statement (lock modes
per table oid, relfilenodes, scan and row counters, lock_timeout); here they are written
by hand to pin down the rules on cases a real server makes slow or rare to reproduce."""

from __future__ import annotations

import json
from pathlib import Path

from alembic_gate.check.command import result_findings
from alembic_gate.check.hazards import Revision, Statement, Table, analyse
from alembic_gate.check.protocol import Result
from alembic_gate.findings import Report
from alembic_gate.reporters.common import fingerprints
from alembic_gate.shared.records import asdict

PATH = "/project/migrations/versions/ab12_rev.py"
USERS, ORDERS, NEW = 16400, 16410, 16500
AE = "AccessExclusiveLock"
SHARE = "ShareLock"
ROW_EXCLUSIVE = "RowExclusiveLock"


def statement(
    line: int,
    sql: str,
    start: float,
    end: float,
    locks: dict[int, set[str]] | None = None,
    nodes: dict[int, int] | None = None,
    work: dict[int, tuple[int, int]] | None = None,
    lock_timeout: str = "0",
    autocommit: bool = False,
) -> Statement:
    return Statement(
        PATH,
        line,
        sql,
        start,
        end,
        autocommit=autocommit,
        locks={oid: frozenset(modes) for oid, modes in (locks or {}).items()},
        relfilenodes=nodes or {},
        work=work or {},
        lock_timeout=lock_timeout,
    )


def revision(*statements: Statement, end: float | None = None, **held: set[str]) -> Revision:
    tables = {
        USERS: Table("users", 1, (5, 0), frozenset(held.get("users", set()))),
        ORDERS: Table("orders", 2, (7, 0), frozenset(held.get("orders", set()))),
    }
    last = statements[-1].end if statements else 0.0
    return Revision("ab12", PATH, tables, list(statements), end if end is not None else last)


def codes(rev: Revision) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in analyse(rev).findings]


def test_an_instant_access_exclusive_is_only_ag907() -> None:
    rev = revision(statement(10, "ALTER TABLE users ADD COLUMN a int", 0.0, 0.001, {USERS: {AE}}))
    assert codes(rev) == [("AG907", 10)]
    [row] = analyse(rev).locks.rows
    assert (row.table, row.lock, row.blocks, row.rewrite) == (
        "users",
        "ACCESS EXCLUSIVE",
        "reads and writes",
        False,
    )


def test_a_lock_timeout_set_means_no_ag907() -> None:
    rev = revision(
        statement(
            10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}, lock_timeout="5s"
        )
    )
    assert codes(rev) == []


def test_a_scan_under_a_share_lock_is_ag906() -> None:
    rev = revision(
        statement(
            10, "CREATE INDEX ix ON users (a)", 0, 0.002, {USERS: {SHARE}}, work={USERS: (6, 0)}
        )
    )
    [finding] = analyse(rev).findings
    assert (finding.code, finding.line) == ("AG906", 10)
    assert "took a SHARE lock on users: it blocks writes to users" in finding.message
    assert "It scanned users" in finding.message
    assert finding.fix is not None and "postgresql_concurrently=True" in finding.fix


def test_a_later_statement_locking_another_table_keeps_the_lock_waiting() -> None:
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}),
        statement(
            11, "ALTER TABLE orders ADD COLUMN b int", 0.001, 0.002, {USERS: {AE}, ORDERS: {AE}}
        ),
        end=0.003,
    )
    found = analyse(rev).findings
    assert [(f.code, f.line) for f in found] == [("AG906", 10), ("AG907", 10)]
    assert "line 11 locked orders, which can wait behind other sessions" in found[0].message
    assert found[0].fix is not None and found[0].fix.startswith("take this lock last")
    assert "orders (line 11)" in found[1].message


def test_later_instant_statements_on_the_same_table_do_not_extend_the_hold() -> None:
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}),
        statement(11, "ALTER TABLE users ADD COLUMN b int", 0.001, 0.002, {USERS: {AE}}),
    )
    assert codes(rev) == [("AG907", 10)]


def test_a_long_later_statement_extends_the_hold() -> None:
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}),
        statement(12, "SELECT pg_sleep(2)", 0.001, 2.001, {USERS: {AE}}),
        end=2.01,
    )
    [ag906, _] = analyse(rev).findings
    assert "line 12 ran 2.00s" in ag906.message
    assert "Held 2.01s in all" in ag906.message
    assert analyse(rev).locks.rows[0].held == 2.01


def test_a_rewrite_is_ag905_not_also_ag906() -> None:
    rev = revision(
        statement(
            10,
            "ALTER TABLE users ALTER COLUMN id TYPE BIGINT",
            0,
            0.01,
            {USERS: {AE, SHARE}},
            nodes={USERS: 99},
            work={USERS: (8, 0)},
        )
    )
    assert codes(rev) == [("AG905", 10), ("AG907", 10)]
    assert analyse(rev).locks.rows[0].rewrite is True


SENT_TOGETHER = """
CREATE OR REPLACE FUNCTION safe_to_jsonb(input text) RETURNS jsonb LANGUAGE plpgsql
AS $$
BEGIN
  RETURN input::jsonb; -- the ';' of a function body cuts nothing
END;
$$;

ALTER TABLE users ALTER COLUMN id TYPE jsonb USING safe_to_jsonb(id);
"""


def test_statements_sent_together_show_the_one_on_the_table() -> None:
    """Superset's cast_text_column_to_json sends a function and the ALTER that uses it
    in one execute(): AG905 showed the CREATE FUNCTION as what "rewrote sql_metrics"."""
    rev = revision(
        statement(39, SENT_TOGETHER, 0, 0.01, {USERS: {AE}}, nodes={USERS: 99}),
    )
    found = analyse(rev)
    [rewrite] = [f for f in found.findings if f.code == "AG905"]
    shown = "`ALTER TABLE users ALTER COLUMN id TYPE jsonb USING safe_to_jsonb(id)`"
    assert rewrite.message.startswith(
        f"{shown} (the 2nd of 2 statements run together) rewrote users"
    )
    assert found.locks.rows[0].statement == shown.strip("`") + " (2nd of 2)"


def test_a_rewrite_of_a_partitioned_table_is_ag905_not_also_ag906() -> None:
    """A partitioned table has no file of its own (relfilenode 0): ALTER TABLE on it
    rewrites its partitions under an ACCESS EXCLUSIVE lock on it too. That lock is the
    rewrite's, not a second hazard (it was AG906 on the parent besides AG905)."""
    parent, first, second = 16600, 16610, 16620
    rev = revision(
        statement(
            10,
            "ALTER TABLE events ALTER COLUMN n TYPE BIGINT",
            0,
            0.01,
            {parent: {AE}, first: {AE}, second: {AE}},
            nodes={parent: 0, first: 98, second: 99},
            work={first: (1, 0), second: (1, 0)},
        )
    )
    rev.tables[parent] = Table("events", 0, (0, 0))
    rev.tables[first] = Table("events_2024", 3, (0, 0))
    rev.tables[second] = Table("events_2025", 4, (0, 0))
    assert codes(rev) == [("AG905", 10), ("AG907", 10)]
    [finding] = [f for f in analyse(rev).findings if f.code == "AG905"]
    assert (
        "rewrote events_2024 and events_2025 (through the partitioned table events)"
        in finding.message
    )
    assert "blocks every query on events, events_2024 and events_2025" in finding.message


def test_truncate_gets_a_new_file_but_is_no_rewrite() -> None:
    rev = revision(statement(10, "TRUNCATE users", 0, 0.001, {USERS: {AE}}, nodes={USERS: 99}))
    assert codes(rev) == [("AG907", 10)]


def test_tables_created_by_the_revision_do_not_count() -> None:
    rev = revision(
        statement(10, "CREATE TABLE t (id int)", 0, 0.001, {NEW: {AE}}),
        statement(
            11, "CREATE INDEX ix ON t (id)", 0.001, 0.002, {NEW: {AE, SHARE}}, work={NEW: (1, 0)}
        ),
    )
    analysis = analyse(rev)
    assert (analysis.findings, analysis.locks.rows) == ([], [])
    assert analysis.watched == [(PATH, 10), (PATH, 11)]


def test_an_autocommit_block_ends_the_locks_taken_before_it() -> None:
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}),
        statement(12, "CREATE INDEX CONCURRENTLY ix ON orders (b)", 0.5, 2.5, autocommit=True),
        statement(14, "SELECT pg_sleep(3)", 2.5, 5.5, {}),
        end=5.6,
    )
    analysis = analyse(rev)
    assert codes(rev) == [("AG907", 10)]
    assert analysis.locks.rows[0].held == 0.5  # until the block committed
    # Statements outside a transaction leave nothing to read: their lines are not watched.
    assert analysis.watched == [(PATH, 10), (PATH, 14)]


def test_statements_outside_a_transaction_are_noted_as_not_measured() -> None:
    """A plain CREATE INDEX in an autocommit block holds its SHARE lock for the whole
    build, and an ALTER there may rewrite: neither can be read once it committed, so
    the lock table says so instead of showing the revision as clean."""
    rev = revision(
        statement(12, "CREATE INDEX ix ON orders (b)", 0.5, 2.5, autocommit=True),
        statement(13, "CREATE INDEX CONCURRENTLY ix2 ON orders (c)", 2.5, 3.0, autocommit=True),
        statement(14, "ALTER TABLE orders ALTER COLUMN b TYPE bigint", 3.0, 3.5, autocommit=True),
        statement(15, "SET lock_timeout = '5s'", 3.5, 3.5, autocommit=True),
    )
    analysis = analyse(rev)
    assert (analysis.findings, analysis.locks.rows) == ([], [])
    assert analysis.locks.note == (
        "lines 12 and 14 ran outside a transaction (autocommit_block()): their locks and "
        "rewrites are not measured (a plain CREATE INDEX there still blocks writes while "
        "it builds)"
    )
    concurrently = revision(
        statement(13, "CREATE INDEX CONCURRENTLY ix2 ON orders (c)", 0, 1, autocommit=True)
    )
    assert analyse(concurrently).locks.note == ""


def test_tables_locked_before_the_revision_hide_its_locks() -> None:
    rev = revision(
        statement(10, "CREATE INDEX ix ON users (a)", 0, 0.001, {USERS: {AE, SHARE}}),
        users={AE, SHARE},
    )
    rev.masked_because = "env.py runs the migrations in a transaction it began itself"
    analysis = analyse(rev)
    assert analysis.findings == [] and analysis.watched == []
    assert analysis.locks.note.startswith("users was locked already when the revision started")


def test_weak_locks_held_before_do_not_hide_anything() -> None:
    rev = revision(
        statement(
            10,
            "CREATE INDEX ix ON users (a)",
            0,
            0.001,
            {USERS: {ROW_EXCLUSIVE, SHARE}},
            work={USERS: (6, 0)},
        ),
        users={ROW_EXCLUSIVE},
    )
    assert codes(rev) == [("AG906", 10)]
    assert analyse(rev).watched == [(PATH, 10)]


def test_statements_of_one_line_give_one_finding_per_code() -> None:
    rev = revision(
        statement(
            10, "CREATE INDEX ix_a ON users (a)", 0, 0.001, {USERS: {SHARE}}, work={USERS: (6, 0)}
        ),
        statement(
            10,
            "CREATE INDEX ix_b ON orders (b)",
            0.001,
            0.002,
            {USERS: {SHARE}, ORDERS: {SHARE}},
            work={USERS: (6, 0), ORDERS: (8, 0)},
        ),
    )
    [finding] = analyse(rev).findings
    assert finding.code == "AG906"
    assert finding.message.startswith("`CREATE INDEX ix_a ON users (a)` took a SHARE lock")
    assert finding.message.endswith(
        " The same line then ran `CREATE INDEX ix_b ON orders (b)`, with the same hazard."
    )


def test_a_failed_catalog_query_stops_watching() -> None:
    rev = revision(statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}))
    rev.stopped = "OperationalError: boom"
    analysis = analyse(rev)
    assert analysis.watched == []
    assert analysis.locks.note == "tracing stopped part-way: OperationalError: boom"


def test_each_row_shows_the_mode_its_own_statement_took() -> None:
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}),
        statement(
            11,
            "CREATE INDEX ix ON users (a)",
            0.001,
            0.003,
            {USERS: {AE, SHARE}},
            work={USERS: (6, 0)},
        ),
        end=0.004,
    )
    rows = [(r.line, r.lock, r.blocks, r.held) for r in analyse(rev).locks.rows]
    assert rows == [
        (10, "ACCESS EXCLUSIVE", "reads and writes", 0.004),
        (11, "SHARE", "writes", 0.003),
    ]
    # The first lock was held through the index build: AG906 there too.
    assert sorted(codes(rev)) == [("AG906", 10), ("AG906", 11), ("AG907", 10)]


def test_locks_already_held_exclusively_cannot_wait() -> None:
    # users is ACCESS EXCLUSIVE already: a later statement reading it cannot wait for
    # anyone; orders is not locked yet: reading it can wait behind an ALTER elsewhere.
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}),
        statement(11, "SELECT 1 FROM users", 0.001, 0.002, {USERS: {AE, "AccessShareLock"}}),
    )
    assert codes(rev) == [("AG907", 10)]
    rev.statements.append(
        statement(
            12, "SELECT 1 FROM orders", 0.002, 0.003, {USERS: {AE}, ORDERS: {"AccessShareLock"}}
        )
    )
    [ag906, _] = analyse(rev).findings
    assert "through 1 later statement: line 12 locked orders" in ag906.message


def test_a_share_lock_held_can_still_wait_for_share_update_exclusive() -> None:
    # Other sessions may hold SHARE too (it does not conflict with itself), and SHARE
    # UPDATE EXCLUSIVE conflicts with it.
    rev = revision(
        statement(
            10, "CREATE INDEX ix ON users (a)", 0, 0.001, {USERS: {SHARE}}, work={USERS: (6, 0)}
        ),
        statement(11, "ANALYZE users", 0.001, 0.002, {USERS: {SHARE, "ShareUpdateExclusiveLock"}}),
    )
    [ag906] = analyse(rev).findings
    assert "line 11 locked users, which can wait behind other sessions" in ag906.message


def test_long_lists_of_later_statements_are_counted() -> None:
    later = [
        statement(
            11 + n,
            f"UPDATE users SET a = {n}",
            0.001 * (n + 1),
            0.001 * (n + 2),
            {USERS: {AE}},
            work={USERS: (5, n + 1)},
        )
        for n in range(5)
    ]
    rev = revision(
        statement(10, "ALTER TABLE users ADD COLUMN a int", 0, 0.001, {USERS: {AE}}), *later
    )
    [ag906, _] = analyse(rev).findings
    named = "; ".join(f"line {n} wrote rows of users" for n in (11, 12, 13))
    assert f"through 5 later statements: {named}; and 2 more." in ag906.message


def test_later_statements_of_one_line_doing_the_same_are_named_once() -> None:
    """MLflow's cfd24bdc0731: one batch_op.alter_column drops a CHECK, changes the type and
    adds the CHECK again, each scanning runs; the message said "line 56 scanned runs;
    line 56 scanned runs"."""
    rev = revision(
        statement(56, "ALTER TABLE users DROP CONSTRAINT status", 0, 0.001, {USERS: {AE}}),
        statement(
            56,
            "ALTER TABLE users ALTER COLUMN status TYPE text",
            0.001,
            0.002,
            {USERS: {AE}},
            work={USERS: (6, 0)},
        ),
        statement(
            56,
            "ALTER TABLE users ADD CONSTRAINT status CHECK (true)",
            0.002,
            0.003,
            {USERS: {AE}},
            work={USERS: (7, 0)},
        ),
    )
    ag906 = next(f for f in analyse(rev).findings if f.code == "AG906")
    assert "through 2 later statements: line 56 scanned users (2 statements)." in ag906.message


def _fingerprints(rev: Revision) -> dict[str, str]:
    """The SARIF and GitLab fingerprints of the revision's findings, made as the parent
    makes its findings from the worker's (result_findings, through the worker's JSON)."""
    result = Result.read(json.dumps(asdict(Result(findings=analyse(rev).findings))))
    found = result_findings(result, None, Path("/project"))  # type: ignore[arg-type]
    return {f.code: digest for f, digest in fingerprints(Report("check", findings=found))}


def test_fingerprints_hold_across_runs_and_moved_lines() -> None:
    """A run measures other timings, and lines move when a revision gets a line above:
    AG905's identity held "(12ms here", AG907's "(line 10)", so each run gave them new
    fingerprints (GitLab showed the same finding fixed and new on every pipeline)."""

    def rewrite(line: int, seconds: float) -> Revision:
        sql = "ALTER TABLE users ALTER COLUMN id TYPE BIGINT"
        locks, nodes, work = {USERS: {AE}}, {USERS: 99}, {USERS: (8, 8)}
        return revision(statement(line, sql, 0, seconds, locks, nodes, work))

    first = _fingerprints(rewrite(10, 0.012))
    assert first.keys() == {"AG905", "AG907"}
    assert _fingerprints(rewrite(10, 0.019)) == first
    assert _fingerprints(rewrite(14, 0.012)) == first


def test_a_table_is_named_as_it_was_called_when_each_statement_ran() -> None:
    # Its name when the revision started until a statement's catalog rows name it anew.
    rename = statement(10, "ALTER TABLE users RENAME TO people", 0, 0.001, {USERS: {AE}})
    rename.names = {USERS: "people"}
    index = statement(
        11,
        "CREATE INDEX ix ON people (a)",
        0.001,
        0.002,
        {USERS: {AE, SHARE}},
        work={USERS: (9, 0)},
    )
    index.names = {USERS: "people"}
    rev = revision(rename, index)
    rows = [(row.line, row.table) for row in analyse(rev).locks.rows]
    assert rows == [(10, "users"), (11, "people")]
    [blocking] = [f for f in analyse(rev).findings if (f.code, f.line) == ("AG906", 11)]
    assert "took a SHARE lock on people: " in blocking.message, blocking.message
    assert "It scanned people" in blocking.message
