from __future__ import annotations

import re
from pathlib import Path

import pytest

from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.findings.locks import LockRow, RevisionLocks
from alembic_gate.reporters import github
from alembic_gate.reporters.text import summary_line
from alembic_gate.shared import records

DOCS = "https://github.com/alembic-gate/alembic-gate/blob/main/docs/rules"


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


def heads_report(count: int) -> Report:
    """`count` heads, as AG001 reports them: one finding per head, one shared fix."""
    heads = [f"{n:012x}" for n in range(count)]
    listed = ", ".join(heads) if count <= 5 else ""
    fix = 'alembic merge -m "merge heads" ' + " ".join(heads)
    findings = [
        RULES["AG001"].finding(
            f"{head} is one of {count} heads with no branch label of their own{listed}; "
            "`alembic upgrade head` fails with 'Multiple head revisions are present'. "
            "Merge them into one head",
            f"migrations/versions/{head}_add.py",
            12,
            fix,
            key=head,
        )
        for head in heads
    ]
    return Report("lint", findings=findings, heads=heads)


def test_step_summary_groups_findings_of_a_rule_and_shows_a_shared_fix_once() -> None:
    summary = github.step_summary(heads_report(2))
    assert summary.startswith("## alembic-gate lint\n\n**Found 2 errors (2 with a fix).**\n")
    assert "All of them fail the run (`--fail-on error`)." in summary
    assert summary.count("### AG001 multiple-heads: 2 errors") == 1
    assert f"[About AG001]({DOCS}/AG001.md)" in summary
    # The part every message shares is written once; each head is one short item.
    assert summary.count("is one of 2 heads") == 1
    assert "- `migrations/versions/000000000000_add.py:12`: 000000000000\n" in summary
    assert "- `migrations/versions/000000000001_add.py:12`: 000000000001\n" in summary
    # The fix is a code block of its own, not a table cell that scrolls off.
    assert 'Fix, for all 2:\n\n```sh\nalembic merge -m "merge heads" 000000000000 ' in summary
    assert "| --- |" not in summary


def test_step_summary_code_spans_are_code_not_escaped_backticks() -> None:
    summary = github.step_summary(heads_report(1))
    assert "`alembic upgrade head`" in summary
    assert "\\`" not in summary


def test_each_finding_with_its_own_fix_gets_its_own_block() -> None:
    report = Report(
        "check",
        findings=[
            RULES["AG902"].finding(
                "Drift in users.", "models.py", 3, fix="op.add_column(\n  ```x```)"
            ),
            RULES["AG902"].finding("Drift in posts.", "models.py", 9, fix="op.drop_index('i')"),
        ],
    )
    summary = github.step_summary(report)
    assert (
        "- `models.py:3`: Drift in users.\n\n  ````\n  op.add_column(\n    ```x```)\n  ````"
        in summary
    )
    assert "- `models.py:9`: Drift in posts.\n\n  ```\n  op.drop_index('i')\n  ```" in summary


def test_text_from_files_cannot_make_markup() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG103"].finding(
                "op.drop_table('a|b')\nloses <img src=x> & *rows* [x](http://e)",
                "migrations/versions/cd34.py",
            )
        ],
    )
    item = next(ln for ln in github.step_summary(report).splitlines() if ln.startswith("- "))
    assert item == (
        "- `migrations/versions/cd34.py`: op.drop\\_table('a\\|b') loses \\<img src=x\\> "
        "\\& \\*rows\\* \\[x\\](http://e)"
    )


def test_a_long_merge_command_is_broken_over_lines() -> None:
    summary = github.step_summary(heads_report(12))
    block = summary.split("```sh\n", 1)[1].split("\n```", 1)[0]
    lines = block.splitlines()
    assert len(lines) > 1 and all(len(line) <= github.FIX_WIDTH for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    assert " ".join(line.rstrip("\\").strip() for line in lines) == heads_report(12).findings[0].fix


def test_two_hundred_heads_stay_small() -> None:
    report = heads_report(200)
    summary = github.step_summary(report)
    assert len(summary.encode()) < 100_000
    assert summary.count("### AG001") == 1
    assert all(head in summary for head in report.heads)


# Messages of three-byte characters too: counted as characters, they came to three times
# the limit (the limit counts bytes).
@pytest.mark.parametrize("text", ["x" * 2000, "删除列" * 700], ids=["ascii", "three-byte"])
def test_the_summary_stays_within_githubs_limit_whatever_the_findings(text: str) -> None:
    findings = [
        RULES["AG103"].finding(f"{text} {n}", f"migrations/versions/{n}.py", 1) for n in range(2000)
    ]
    summary = github.step_summary(Report("lint", findings=findings))
    assert len(summary.encode()) <= github.SUMMARY_LIMIT
    assert re.search(r"… and \d+ more AG103 findings", summary)
    assert "findings are not shown here (GitHub's limit on a job summary)" in summary


def test_summary_graph_with_a_legend() -> None:
    graph = (
        "flowchart BT\n"
        '    r0["b"]\n'
        '    r1["a"]\n'
        "    r1 --> r0\n"
        "    classDef new fill:#d4f7dc,stroke:#1a7f37\n"
        "    class r0 new\n"
        "    class r0 head\n"
    )
    summary = github.step_summary(Report("lint", mermaid=[graph]))
    assert "### Revision graph\n\n```mermaid\nflowchart BT\n" in summary
    legend = summary.split("```\n\n", 1)[1]
    assert legend.startswith("Legend: ")
    assert "**green**: new on this branch" in legend
    assert "dashed" not in legend


def test_a_graph_mermaid_would_refuse_is_not_drawn() -> None:
    edges = "".join(f"    r{n} --> r{n + 1}\n" for n in range(600))
    summary = github.step_summary(Report("lint", mermaid=["flowchart BT\n" + edges]))
    assert "```mermaid" not in summary
    assert "too large to draw here (0 heads, 600 edges)" in summary
    wide = "flowchart BT\n" + "".join(f'    r{n}["h"]\n' for n in range(30))
    wide += "    class " + ",".join(f"r{n}" for n in range(30)) + " head\n"
    summary = github.step_summary(Report("lint", mermaid=[wide]))
    assert "too large to draw here (30 heads, 0 edges)" in summary


def test_step_summary_without_findings() -> None:
    assert github.step_summary(Report("lint")) == "## alembic-gate lint\n\n**All checks passed.**\n"


def test_write_step_summary_appends(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("# Earlier step\n", encoding="utf-8")
    github.write_step_summary(Report("lint"), summary)
    github.write_step_summary(Report("check"), str(summary))
    assert summary.read_text(encoding="utf-8") == (
        "# Earlier step\n"
        "## alembic-gate lint\n\n**All checks passed.**\n"
        "## alembic-gate check\n\n**All checks passed.**\n"
    )


def test_a_file_name_that_is_not_utf8_is_written_escaped(tmp_path: Path) -> None:
    """git takes any bytes in a file name, which Python reads as surrogates
    (b\\xff.py as 'b\\udcff.py'): writing them to the UTF-8 summary raised
    UnicodeEncodeError, a traceback with no summary."""
    summary = tmp_path / "step_summary.md"
    name = b"v/b\xff.py".decode("utf-8", "surrogateescape")
    report = Report("lint", findings=[RULES["AG001"].finding(f"Two heads: {name}.", name, 3)])
    github.write_step_summary(report, summary)
    assert "- `v/b\\udcff.py:3`: Two heads: v/b\\udcff.py." in summary.read_text(encoding="utf-8")


def test_warnings_that_do_not_fail_the_run_say_so() -> None:
    report = Report("lint", findings=[RULES["AG103"].finding("Drops a.", "v/a.py", 3)])
    assert summary_line(report) == "Found 1 warning."
    assert "It does not fail the run (`--fail-on error`)." in github.step_summary(report)
    report.findings.append(RULES["AG001"].finding("Two heads.", "v/b.py", 3))
    assert "1 of them fail the run (`--fail-on error`)." in github.step_summary(report)


# --- paths relative to the repository root -------------------------------------------------


def test_in_github_actions_paths_get_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    project = tmp_path / "services" / "api"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    report = heads_report(2)
    out = github.render(report)
    assert "::error file=services/api/migrations/versions/000000000000_add.py,line=12" in out
    assert "- `services/api/migrations/versions/000000000000_add.py:12`" in (
        github.step_summary(report)
    )
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert "::error file=migrations/versions/000000000000_add.py," in github.render(report)


def test_in_github_actions_a_file_outside_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path outside the current directory is absolute (`--versions ../shared/versions`):
    it was put under the working directory (`backend//tmp/...`). One inside the
    repository is named from its root; one outside it names no file."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "backend").mkdir()
    monkeypatch.chdir(repo / "backend")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    inside, outside = repo / "shared" / "v.py", tmp_path / "elsewhere" / "v.py"
    findings = [RULES["AG001"].finding("Two.", p.as_posix(), 3) for p in (inside, outside)]
    report = Report("lint", findings=findings)
    out = github.render(report)
    assert "::error file=shared/v.py,line=3,title=AG001 multiple-heads::Two." in out
    assert "::error title=AG001 multiple-heads::Two." in out
    summary = github.step_summary(report)
    assert "- `shared/v.py:3`" in summary and f"- `{outside.as_posix()}:3`" in summary


# --- hostile text from revision files ------------------------------------------------------

HOSTILE = [
    "x\n::error file=README.md,line=1::pwned",
    "x\r::error::pwned",
    "x\n  ::warning::indented",
    "x\n::stop-commands::tok3n",
    "x\n##[error]old style",
    "x%0A::error::percent",
    "\x1b]0;title\x07\x1b[31mred\x1b[0m \x9b31m",
    "x\u2028::error::separator",
]


def _commands(output: str) -> list[str]:
    """The lines GitHub's runner would take for workflow commands (after leading spaces)."""
    return [line.lstrip() for line in output.split("\n") if line.lstrip().startswith(("::", "##["))]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_line_of_the_log_is_a_command_from_a_file(text: str) -> None:
    findings = [
        RULES["AG103"].finding(f"drops column {text!s} {n}", f"v/{text}{n}.py", n + 1, fix=text)
        for n in range(14)
    ]
    output = github.render(Report("lint", findings=findings))
    commands = _commands(output)
    # Ours only: 9 warnings and the one that says how many more.
    assert len(commands) == 10
    assert all(c.startswith("::warning file=v/") for c in commands[:9])
    assert commands[9].startswith("::warning title=alembic-gate::5 more warnings")
    for line in output.split("\n"):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", line)
    # The five findings past the limit are plain lines that still carry the text.
    plain = [line for line in output.split("\n") if line and not line.startswith("::")]
    assert sum(line.startswith("v/") for line in plain) == 5
    assert all(line.startswith(("v/", "  fix: ", "    ", ">")) for line in plain)


def test_annotation_properties_and_message_are_escaped() -> None:
    finding = RULES["AG007"].finding("a\x1b[2Jb\nc", "v/x\n::error::y.py", 1)
    line = github.annotation(finding)
    assert "\n" not in line and "\x1b" not in line
    assert line == (
        "::error file=v/x\\n%3A%3Aerror%3A%3Ay.py,line=1,title=AG007 unparsable-revision"
        "::a\\x1b[2Jb%0Ac"
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


RULE_LINE = "| --- | --- | --- | --- | --- | --- | --- |"  # a lock table's second line


def _traced(count: int, rows: int, table: str = "accounts") -> list[RevisionLocks]:
    """`count` revisions that each locked `table` with `rows` statements."""
    return [
        RevisionLocks(
            f"{n:012x}",
            f"migrations/versions/{n:012x}_change.py",
            rows,
            [
                LockRow(
                    20 + i,
                    f"ALTER TABLE {table} ALTER COLUMN column_number_{i} TYPE BIGINT USING "
                    f"column_number_{i}::bigint",
                    table,
                    "ACCESS EXCLUSIVE",
                    "reads and writes",
                    0.004,
                    True,
                )
                for i in range(rows)
            ],
            note="some tables of this revision were not measured" if n % 7 == 0 else "",
        )
        for n in range(count)
    ]


def test_a_long_lock_section_stays_within_the_summary_limit() -> None:
    # A whole history traced: 500 revisions, each rewriting a table in 8 statements,
    # whose name takes two bytes a character in UTF-8 (the limit counts bytes).
    locks = _traced(500, 8, table="données_clients_é" * 3)
    summary = github.step_summary(Report("check", locks=locks))
    assert len(summary.encode()) <= github.SUMMARY_LIMIT
    assert "<details><summary>The 500 revisions traced</summary>" in summary
    shown = summary.count("statements traced)")
    assert 100 < shown < 500
    assert f"… {500 - shown} more revisions traced are not shown here" in summary
    assert summary.count(RULE_LINE) == shown  # each table kept whole


def test_findings_come_before_a_long_lock_section() -> None:
    locks = _traced(500, 8)
    findings = [
        RULES["AG905"].finding("x" * 1000 + f" {n}", f"migrations/versions/{n:012x}.py", 20)
        for n in range(2000)
    ]
    summary = github.step_summary(Report("check", findings=findings, locks=locks))
    assert len(summary.encode()) <= github.SUMMARY_LIMIT
    assert "### AG905 table-rewrite: 2000 warnings" in summary
    assert "### Locks measured on PostgreSQL" in summary
    # Both gave way, and each says how much: the lock tables kept their share.
    assert re.search(r"… and \d+ more AG905 findings", summary)
    locks_part = summary[summary.index("### Locks measured") :]
    assert len(locks_part.encode()) > github.LOCKS_SHARE // 2
    assert "more revisions traced are not shown here" in locks_part
    # A short lock section leaves the findings the rest.
    few = github.step_summary(Report("check", findings=findings, locks=locks[:2]))
    assert len(few.encode()) <= github.SUMMARY_LIMIT
    assert "not shown here" not in few[few.index("### Locks measured") :]
    assert few.count(RULE_LINE) == 2


def test_a_revision_with_many_statements_shows_the_first_ones() -> None:
    (revision,) = _traced(1, 300)
    section = github.lock_section([revision])
    assert section.count("ALTER TABLE accounts") == github.LOCK_ROWS
    assert "… and 250 more rows: in the log, and in `--format json`." in section
    assert "<details>" not in section  # one revision: nothing to fold


def test_the_log_has_every_lock_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    project = tmp_path / "backend"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    finding = RULES["AG905"].finding("Rewrites accounts.", "migrations/versions/x.py", 20)
    report = Report("check", findings=[finding], locks=_traced(2, 60))
    log = github.render(report).splitlines()
    assert log[0] == "Locks measured on PostgreSQL (tables that existed before each revision):"
    assert log[1] == (
        "000000000000 backend/migrations/versions/000000000000_change.py (60 statements traced):"
    )
    assert sum("ALTER TABLE accounts" in line for line in log) == 120  # none left out
    assert log[-1].startswith("::warning file=backend/migrations/versions/x.py,line=20,")
    summary = github.step_summary(report)
    assert "**`000000000000`** `backend/migrations/versions/000000000000_change.py`" in summary


def test_a_lock_table_in_the_log_starts_no_workflow_command() -> None:
    locks = _traced(1, 1, table="evil\n::error file=README.md::pwned")
    locks[0].revision = "::warning::hi"
    log = github.render(Report("check", locks=locks)).splitlines()
    assert not [line for line in log if line.lstrip().startswith("::")]
    assert any("evil\\n::error file=README.md::pwned" in line for line in log)
    assert "> ::warning::hi migrations/versions/000000000000_change.py (1 statement traced):" in log


def test_folded_lock_tables_render_as_tables() -> None:
    from markdown_it import MarkdownIt

    locks = _traced(12, 2)
    piped = records.replace(locks[0].rows[0], statement="UPDATE t SET flags = flags | 4")
    locks[0] = records.replace(locks[0], rows=[piped, *locks[0].rows[1:]])
    markdown = github.step_summary(Report("check", locks=locks))
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    inside = rendered.split("<details>", 1)[1].split("</details>", 1)[0]
    tables = re.findall(r"<table>.*?</table>", inside, re.S)
    assert len(tables) == 12
    for table in tables:
        assert table.count("<th>") == 7
        assert all(row.count("<td>") == 7 for row in re.findall(r"<tr>.*?</tr>", table, re.S)[1:])
    assert "<code>UPDATE t SET flags = flags | 4</code>" in tables[0]


def test_thousands_of_notes_are_counted_past_their_share() -> None:
    notes = [
        f"m/versions/{n:04}.py:15: check could not give table t{n} rows" + "x" * 200
        for n in range(5000)
    ]
    summary = github.step_summary(Report("check", notes=notes))
    assert len(summary.encode()) <= github.SUMMARY_LIMIT
    shown = summary.count("check could not give table")
    assert 100 < shown < 5000
    assert f"- … and {5000 - shown} more: `--format json` has every one" in summary
