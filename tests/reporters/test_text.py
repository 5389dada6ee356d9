from __future__ import annotations

import re

from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.findings.locks import LockRow, RevisionLocks
from alembic_gate.findings.suppress import Suppression
from alembic_gate.reporters import text


def test_findings_fixes_notes_and_summary() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG103"].finding("Drops column users.email.", "m/versions/cd34.py", 9),
            RULES["AG001"].finding(
                "The history has two heads: ab12, cd34.",
                "m/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            ),
            RULES["AG008"].finding("Two bases: aa, bb.", "alembic.ini"),
        ],
        unused_suppressions=["m/versions/ab12.py:3: unused suppression ignore[AG009]"],
    )
    assert text.render(report) == (
        "alembic.ini: AG008 [multiple-bases] Two bases: aa, bb.\n"
        "m/versions/ab12.py:14: AG001 [multiple-heads] The history has two heads: ab12, cd34.\n"
        '  fix: alembic merge -m "merge heads" ab12 cd34\n'
        "m/versions/cd34.py:9: AG103 [drop-column-or-table] Drops column users.email.\n"
        "note: m/versions/ab12.py:3: unused suppression ignore[AG009]\n"
        "Found 1 error, 2 warnings (1 with a fix).\n"
    )


def test_finding_without_a_place_starts_with_its_code() -> None:
    report = Report(
        "doctor",
        findings=[
            RULES["AG801"].finding(
                "The database is at ab12; cd34 is pending.", fix="alembic upgrade heads"
            )
        ],
    )
    assert text.render(report) == (
        "AG801 [database-behind] The database is at ab12; cd34 is pending.\n"
        "  fix: alembic upgrade heads\n"
        "Found 1 error (1 with a fix).\n"
    )


def test_multi_line_message_and_fix_stay_under_their_finding() -> None:
    finding = RULES["AG902"].finding(
        "Models and schema differ:\nadd_column users.age",
        "migrations/env.py",
        fix="op.add_column(\n    'users', sa.Column('age', sa.Integer()))",
    )
    assert text.finding_lines(finding) == [
        "migrations/env.py: AG902 [schema-drift] Models and schema differ:",
        "    add_column users.age",
        "  fix: op.add_column(",
        "        'users', sa.Column('age', sa.Integer()))",
    ]


def test_no_findings() -> None:
    assert text.render(Report("lint")) == "All checks passed.\n"


def test_unused_suppressions_are_listed_when_all_checks_pass() -> None:
    """Each note says what it is once: it was `note: unused suppression: a.py:1: unused
    suppression ignore[AG103]`."""
    unused = [Suppression("a.py", 1, "AG103"), Suppression("b.py", 0, "AG009")]
    report = Report("lint", unused_suppressions=[s.describe() for s in unused])
    assert text.render(report) == (
        "note: a.py:1: unused suppression ignore[AG103]\n"
        "note: b.py: unused suppression ignore[AG009]\n"
        "All checks passed.\n"
    )


def test_summary_counts_every_severity() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG002"].finding("a", "a.py", 1),
            RULES["AG004"].finding("b", "b.py", 1),
            RULES["AG106"].finding("c", "c.py", 1),
            RULES["AG107"].finding("d", "d.py", 1),
            RULES["AG107"].finding("e", "e.py", 1),
        ],
    )
    assert text.summary_line(report) == "Found 2 errors, 1 warning, 2 info."


def test_controls_from_files_are_written_as_visible_escapes() -> None:
    finding = RULES["AG103"].finding(
        "drops column '\x1b]0;owned\x07\x1b[2J' \x9b31m \u202eevil\r",
        "v/\x1b[31mred.py",
        3,
        fix="op.drop_column('t', '\x08x')",
    )
    output = text.render(Report("lint", findings=[finding]))
    assert output == (
        "v/\\x1b[31mred.py:3: AG103 [drop-column-or-table] drops column "
        "'\\x1b]0;owned\\x07\\x1b[2J' \\x9b31m \\u202eevil\\r\n"
        "  fix: op.drop_column('t', '\\x08x')\n"
        "Found 1 warning (1 with a fix).\n"
    )


def test_a_line_that_would_be_a_workflow_command_is_marked() -> None:
    finding = RULES["AG103"].finding(
        "drops column 'a\n::error file=README.md,line=1::pwned\n   ##[error]old'", "v/a.py", 3
    )
    lines = text.render(Report("lint", findings=[finding])).splitlines()
    assert lines[1:3] == [">     ::error file=README.md,line=1::pwned", ">        ##[error]old'"]
    assert not any(line.lstrip().startswith(("::", "##[")) for line in lines)


def test_a_finding_the_rule_is_not_sure_of_says_so() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG102"].finding("Makes t.c NOT NULL.", "v/ab12.py", 3, confidence="low"),
            RULES["AG103"].finding("Drops t.c.", "v/ab12.py", 4),
        ],
    )
    assert text.render(report).splitlines()[:2] == [
        "v/ab12.py:3: AG102 [not-null-without-backfill] Makes t.c NOT NULL. (low confidence)",
        "v/ab12.py:4: AG103 [drop-column-or-table] Drops t.c.",
    ]


LOCKS = [
    RevisionLocks(
        "b2d4f6a80002",
        "m/versions/b2d4_index.py",
        2,
        [
            LockRow(
                22,
                "CREATE INDEX ix_accounts_name ON accounts (name)",
                "accounts",
                "SHARE",
                "writes",
                0.004,
                False,
            ),
            LockRow(
                24,
                "ALTER TABLE accounts ALTER COLUMN balance TYPE BIGINT",
                "accounts",
                "ACCESS EXCLUSIVE",
                "reads and writes",
                1.25,
                True,
            ),
        ],
    ),
    RevisionLocks("e5a7c9db0005", "m/versions/e5a7_concurrently.py", 1, note="tracing stopped"),
]


def test_lock_tables_come_first_one_per_traced_revision() -> None:
    finding = RULES["AG906"].finding("SHARE on accounts.", "m/versions/b2d4_index.py", 22)
    lines = text.render(Report("check", findings=[finding], locks=LOCKS)).splitlines()
    assert lines[:2] == [
        "Locks measured on PostgreSQL (tables that existed before each revision):",
        "b2d4f6a80002 m/versions/b2d4_index.py (2 statements traced):",
    ]
    assert [re.split(r" {2,}", line.strip()) for line in lines[2:5]] == [
        ["line", "statement", "table", "lock", "blocks", "held for", "rewrite"],
        [
            "22",
            "CREATE INDEX ix_accounts_name ON accounts (name)",
            "accounts",
            "SHARE",
            "writes",
            "4ms",
            "no",
        ],
        [
            "24",
            "ALTER TABLE accounts ALTER COLUMN balance TYP...",
            "accounts",
            "ACCESS EXCLUSIVE",
            "reads and writes",
            "1.25s",
            "yes",
        ],
    ]
    # Columns line up.
    assert len({line.index("  accounts  ") for line in lines[3:5]}) == 1
    assert lines[5:] == [
        "e5a7c9db0005 m/versions/e5a7_concurrently.py: no blocking lock, no rewrite "
        "(1 statement traced)",
        "  note: tracing stopped",
        "",
        "m/versions/b2d4_index.py:22: AG906 [blocking-lock] SHARE on accounts.",
        "Found 1 warning.",
    ]


def test_no_lock_tables_without_traced_revisions() -> None:
    assert text.lock_tables(Report("check")) == []
