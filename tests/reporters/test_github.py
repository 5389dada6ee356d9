from __future__ import annotations

from pathlib import Path

from alembic_gate.findings import LockRow, Report, RevisionLocks
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import github


def test_escape_data_as_actions_core() -> None:
    assert github.escape_data("100%\r\nsure: a,b") == "100%25%0D%0Asure: a,b"


def test_escape_property_as_actions_core() -> None:
    assert github.escape_property("100%\r\nsure: a,b") == "100%25%0D%0Asure%3A a%2Cb"


def test_percent_is_escaped_before_what_it_introduces() -> None:
    assert github.escape_data("%0A") == "%250A"


def test_annotations_per_level() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "Two heads: ab12, cd34.",
                "migrations/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            ),
            RULES["AG103"].finding("Drops users.email.", "migrations/versions/cd34.py"),
            RULES["AG107"].finding("Empty downgrade.", "migrations/versions/ef56.py", 30),
        ],
    )
    assert github.render(report) == (
        "::error file=migrations/versions/ab12.py,line=14,title=AG001 multiple-heads"
        '::Two heads: ab12, cd34.%0Afix: alembic merge -m "merge heads" ab12 cd34\n'
        "::warning file=migrations/versions/cd34.py,title=AG103 drop-column-or-table"
        "::Drops users.email.\n"
        "::notice file=migrations/versions/ef56.py,line=30,title=AG107 empty-downgrade"
        "::Empty downgrade.\n"
    )


def test_annotation_without_a_file_has_only_a_title() -> None:
    finding = RULES["AG801"].finding("Behind by 2%:\ncd34, ef56.", line=3)
    assert github.annotation(finding) == (
        "::error title=AG801 database-behind::Behind by 2%25:%0Acd34, ef56."
    )


def test_file_property_is_escaped() -> None:
    finding = RULES["AG007"].finding("Cannot parse.", "v/a,b:c%.py", 1)
    assert github.annotation(finding) == (
        "::error file=v/a%2Cb%3Ac%25.py,line=1,title=AG007 unparsable-revision::Cannot parse."
    )


def test_no_findings_no_output() -> None:
    assert github.render(Report("lint")) == ""


def test_ten_of_a_level_are_all_annotated() -> None:
    report = Report(
        "lint", findings=[RULES["AG002"].finding("Missing.", f"v/r{i:02}.py", 1) for i in range(10)]
    )
    assert github.render(report) == "".join(
        f"::error file=v/r{i:02}.py,line=1,title=AG002 missing-down-revision::Missing.\n"
        for i in range(10)
    )


def test_past_ten_the_last_slot_says_how_many_more() -> None:
    errors = [RULES["AG002"].finding("Missing.", f"v/r{i:02}.py", 1) for i in range(12)]
    warnings = [RULES["AG103"].finding("Drops.", f"w/r{i:02}.py", 1) for i in range(10)]
    lines = github.render(Report("lint", findings=errors + warnings)).splitlines()
    assert lines == [
        *(
            f"::error file=v/r{i:02}.py,line=1,title=AG002 missing-down-revision::Missing."
            for i in range(9)
        ),
        *(
            f"::warning file=w/r{i:02}.py,line=1,title=AG103 drop-column-or-table::Drops."
            for i in range(10)
        ),
        "::error title=alembic-gate::3 more errors not shown as annotations "
        "(GitHub shows 10 per step): see the job summary or the log.",
        "v/r09.py:1: AG002 [missing-down-revision] Missing.",
        "v/r10.py:1: AG002 [missing-down-revision] Missing.",
        "v/r11.py:1: AG002 [missing-down-revision] Missing.",
    ]


def test_step_summary_table_and_graph() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "Two heads: ab12, cd34.",
                "migrations/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            ),
            RULES["AG103"].finding(
                "op.drop_table('a|b')\nloses <data> & *rows*", "migrations/versions/cd34.py"
            ),
            RULES["AG801"].finding("Behind.", fix="echo a | b"),
        ],
        mermaid=["graph TD\n  ab12 --> base\n  cd34 --> base\n"],
        unused_suppressions=["a.py:3: ignore[AG009]"],
    )
    rule = "https://github.com/alembic-gate/alembic-gate/blob/main/docs/rules"
    assert github.step_summary(report) == (
        "## alembic-gate lint\n"
        "\n"
        "Found 2 errors, 1 warning (2 with a fix).\n"
        "\n"
        "| Location | Rule | Severity | Message | Fix |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"|  | [AG801]({rule}/AG801.md) database-behind | error | Behind. | `echo a \\| b` |\n"
        f"| `migrations/versions/ab12.py:14` | [AG001]({rule}/AG001.md) multiple-heads | error "
        '| Two heads: ab12, cd34. | `alembic merge -m "merge heads" ab12 cd34` |\n'
        f"| `migrations/versions/cd34.py` | [AG103]({rule}/AG103.md) drop-column-or-table "
        "| warning | op.drop\\_table('a\\|b')<br>loses \\<data\\> \\& \\*rows\\* |  |\n"
        "\n"
        "Unused suppressions:\n"
        "\n"
        "- `a.py:3: ignore[AG009]`\n"
        "\n"
        "### Revision graph\n"
        "\n"
        "```mermaid\n"
        "graph TD\n"
        "  ab12 --> base\n"
        "  cd34 --> base\n"
        "```\n"
    )


def test_step_summary_code_span_falls_back_for_backticks_and_lines() -> None:
    report = Report(
        "check",
        findings=[
            RULES["AG902"].finding("Drift.", "env.py", 1, fix="op.add_column(\n  `users`)"),
        ],
    )
    table_row = github.step_summary(report).splitlines()[-1]
    assert table_row.endswith("| Drift. | op.add\\_column(<br>  \\`users\\`) |")


def test_step_summary_without_findings() -> None:
    assert github.step_summary(Report("lint")) == "## alembic-gate lint\n\nAll checks passed.\n"


def test_write_step_summary_appends(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("# Earlier step\n", encoding="utf-8")
    github.write_step_summary(Report("lint"), summary)
    github.write_step_summary(Report("check"), str(summary))
    assert summary.read_text(encoding="utf-8") == (
        "# Earlier step\n"
        "## alembic-gate lint\n\nAll checks passed.\n"
        "## alembic-gate check\n\nAll checks passed.\n"
    )


def test_step_summary_lock_tables() -> None:
    locks = [
        RevisionLocks(
            "b2d4f6a80002",
            "m/versions/b2d4_index.py",
            1,
            [
                LockRow(
                    22,
                    "CREATE INDEX ix ON accounts (name)",
                    "accounts",
                    "SHARE",
                    "writes",
                    0.004,
                    False,
                )
            ],
        ),
        RevisionLocks(
            "c3e5a7b90003",
            "m/versions/c3e5_bigint.py",
            1,
            [
                LockRow(
                    9,
                    "ALTER TABLE a | b",
                    "accounts",
                    "ACCESS EXCLUSIVE",
                    "reads and writes",
                    2.5,
                    True,
                )
            ],
        ),
        RevisionLocks("e5a7c9db0005", None, 1, note="a_b"),
    ]
    summary = github.step_summary(Report("check", locks=locks))
    assert (
        "### Locks measured on PostgreSQL\n\n"
        "On tables that existed before each revision.\n\n"
        "**`b2d4f6a80002`** `m/versions/b2d4_index.py` (1 statement traced)\n\n"
        "| Line | Statement | Table | Lock | Blocks | Held for | Rewrite |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| 22 | `CREATE INDEX ix ON accounts (name)` | accounts | SHARE | writes | 4ms | no |\n\n"
        "**`c3e5a7b90003`** `m/versions/c3e5_bigint.py` (1 statement traced)\n\n"
        "| Line | Statement | Table | Lock | Blocks | Held for | Rewrite |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| 9 | `ALTER TABLE a \\| b` | accounts | ACCESS EXCLUSIVE | reads and writes | 2.50s "
        "| **yes** |\n\n"
        "**`e5a7c9db0005`** (1 statement traced): no blocking lock, no rewrite.\n\n"
        "Note: a\\_b\n"
    ) in summary
    assert "Locks measured" not in github.step_summary(Report("check"))
