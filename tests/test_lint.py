"""`alembic-gate lint` end to end, through `main()`: exit codes, reports, selection,
suppression, configuration errors."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alembic_gate import lint
from alembic_gate.findings import Finding, Report
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.main import main
from alembic_gate.rules import LintContext, iter_rules

ROOT = Path(__file__).resolve().parent.parent
PARENT = "46eedd18c879"

SECOND_HEAD = '''"""second head

Revision ID: 99aa99aa99aa
Revises: 46eedd18c879
"""
from alembic import op

revision = "99aa99aa99aa"
down_revision = "46eedd18c879"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("post", "title"){comment}


def downgrade() -> None:
    pass
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(
        ROOT / "examples" / "quickstart", root, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.chdir(root)
    return root


def _add_head(project: Path, comment: str = "") -> Path:
    path = project / "migrations" / "versions" / "99aa99aa99aa_second_head.py"
    path.write_text(SECOND_HEAD.format(comment=comment))
    return path


def test_what_alembic_warns_about_the_config_is_a_note_on_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # setup.notes: alembic reads 'True' as false, so the subfolders are not read
    ini = project / "alembic.ini"
    ini.write_text(
        ini.read_text().replace("[alembic]", "[alembic]\nrecursive_version_locations = True")
    )
    assert main(["lint", "--no-cache"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "All checks passed: 1 setup, 2 revision files read, 1 head.\n"
    assert captured.err == (
        "alembic-gate: note: alembic.ini [alembic] recursive_version_locations = 'True' is read "
        "as false: alembic only accepts 'true'\n"
    )


def test_clean_project_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 0
    assert capsys.readouterr().out == "All checks passed: 1 setup, 2 revision files read, 1 head.\n"


@pytest.mark.parametrize("selection", [["--select", "AG9"], ["--ignore", "AG"]])
def test_a_run_with_no_rule_selected_says_so(
    project: Path, capsys: pytest.CaptureFixture[str], selection: list[str]
) -> None:
    """A selection that leaves lint no rule (check's codes only, in a [tool.alembic-gate]
    shared by lint and check) checked nothing: it said "All checks passed" over a
    history with two heads, as a pass over everything would."""
    _add_head(project)
    assert main(["lint", *selection]) == 0
    assert capsys.readouterr().out == (
        "All checks passed: no lint rule is selected, nothing was checked; 1 setup, "
        "3 revision files read, 2 heads.\n"
    )


def test_two_heads_exit_1_with_the_merge_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_head(project)
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert "migrations/versions/99aa99aa99aa_second_head.py:8: AG001 [multiple-heads]" in out
    assert 'fix: alembic merge -m "merge heads" 4c535d2e7ab2 99aa99aa99aa' in out
    assert "AG103 [drop-column-or-table]" in out


def test_every_report_from_one_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _add_head(project)
    formats = [f"--format={fmt}={project / 'out' / fmt}" for fmt in ("json", "sarif", "junit")]
    assert main(["lint", "--format", "text", *formats]) == 1
    assert "AG001" in capsys.readouterr().out
    report = json.loads((project / "out" / "json").read_text())
    assert report["version"] == 1
    assert report["command"] == "lint"
    assert sorted(report["heads"]) == ["4c535d2e7ab2", "99aa99aa99aa"]
    assert {f["code"] for f in report["findings"]} == {"AG001", "AG103"}
    assert json.loads((project / "out" / "sarif").read_text())["version"] == "2.1.0"
    assert (project / "out" / "junit").read_text().startswith("<?xml")


def test_warnings_fail_only_with_fail_on_warning(project: Path) -> None:
    _add_head(project)
    assert main(["lint", "--ignore", "AG001"]) == 0  # AG103 is a warning
    assert main(["lint", "--ignore", "AG001", "--fail-on", "warning"]) == 1


def test_pyproject_configuration_and_flags_win(project: Path) -> None:
    _add_head(project)
    (project / "pyproject.toml").write_text(
        '[tool.alembic-gate]\nignore = ["AG001"]\nfail-on = "warning"\n'
    )
    assert main(["lint"]) == 1  # AG103 fails at warning level
    assert main(["lint", "--fail-on", "error"]) == 0
    assert main(["lint", "--select", "AG0"]) == 1  # --select replaces: AG001 is back


def test_per_rule_severity(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _add_head(project)
    (project / "pyproject.toml").write_text(
        '[tool.alembic-gate]\nignore = ["AG001"]\n[tool.alembic-gate.severity]\nAG103 = "error"\n'
    )
    assert main(["lint", "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["code"], finding["severity"]) == ("AG103", "error")


@pytest.mark.parametrize(
    "table", ['AG103 = "info"\nAG1 = "error"\n', 'AG1 = "error"\nAG103 = "info"\n']
)
def test_a_code_s_own_severity_wins_over_its_prefix_s(
    project: Path, capsys: pytest.CaptureFixture[str], table: str
) -> None:
    """Whatever their order in the table: a prefix written after the code (AG1 after
    AG103) made AG103 an error that failed the run, against its own line."""
    _add_head(project)
    (project / "pyproject.toml").write_text(
        f'[tool.alembic-gate]\nignore = ["AG001"]\n[tool.alembic-gate.severity]\n{table}'
    )
    assert main(["lint", "--format", "json"]) == 0
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["code"], finding["severity"]) == ("AG103", "info")


def test_since_scopes_safety_findings_but_not_graph_rules(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_head(project)  # a second head on 46eedd18c879, dropping a column (AG103)
    config = project / "pyproject.toml"
    config.write_text('[tool.alembic-gate]\nsince = "46eedd18c879"\n')
    assert main(["lint", "--format", "json"]) == 1
    codes = sorted(f["code"] for f in json.loads(capsys.readouterr().out)["findings"])
    assert codes == ["AG001", "AG001", "AG103"]  # 99aa99aa99aa descends from since
    config.write_text('[tool.alembic-gate]\nsince = "99aa"\n')  # a unique prefix
    assert main(["lint", "--format", "json"]) == 1
    codes = sorted(f["code"] for f in json.loads(capsys.readouterr().out)["findings"])
    assert codes == ["AG001", "AG001"]  # graph rules always apply


def test_since_naming_no_revision_is_a_configuration_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.alembic-gate]\nsince = "46eedd18c87x"\n')
    assert main(["lint"]) == 2
    assert "did you mean 46eedd18c879" in capsys.readouterr().err


def test_inline_suppression(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _add_head(project, comment="  # alembic-gate: ignore[AG103]")
    assert main(["lint", "--ignore", "AG001", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    assert report["unused_suppressions"] == []


def test_a_helper_read_in_two_dialect_branches_reports_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the helper's drop_column is read once per branch; the report says it once
    path = _add_head(project)
    text = path.read_text().replace(
        '    op.drop_column("post", "title")',
        "    def _drop():\n"
        '        op.drop_column("post", "title")\n\n'
        '    if op.get_bind().dialect.name == "mysql":\n'
        "        _drop()\n"
        "    else:\n"
        "        _drop()",
    )
    path.write_text(text)
    assert main(["lint", "--ignore", "AG001", "--format", "json", str(path)]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("AG103", 16)]


def test_unused_suppression_is_reported(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _add_head(project, comment="  # alembic-gate: ignore[AG103]")
    path.write_text(path.read_text().replace('op.drop_column("post", "title")', "pass"))
    assert main(["lint", "--ignore", "AG001", "--format", "json"]) == 0
    unused = json.loads(capsys.readouterr().out)["unused_suppressions"]
    assert unused == [
        "migrations/versions/99aa99aa99aa_second_head.py:15: unused suppression ignore[AG103]"
    ]


@pytest.mark.parametrize(
    ("argv", "setup", "message"),
    [
        (["lint", "--select", "AG999"], None, "unknown rule code or prefix 'AG999'"),
        (["lint", "--select", ""], None, "empty rule code in the command line"),
        (["lint", "--ignore", "AG001,"], None, "empty rule code in the command line"),
        (["lint", "--extend-select", " "], None, "empty rule code in the command line"),
        (["lint"], '[tool.alembic-gate]\nselect = [""]\n', "empty rule code in pyproject.toml"),
        (["lint"], '[tool.alembic-gate]\nignore = [""]\n', "empty rule code in pyproject.toml"),
        (["lint"], '[tool.alembic-gate.severity]\n"" = "info"\n', "empty rule code in"),
        (["lint", "--format", "yaml"], None, "unknown --format 'yaml'"),
        (["lint", "--format", "json", "--format", "sarif"], None, "standard output"),
        (["lint"], '[tool.alembic-gate]\nignore = ["XX1"]\n', "unknown rule code or prefix"),
        (["lint"], '[tool.alembic-gate]\nfail-on = "fatal"\n', "severity 'fatal'"),
        (["lint"], "[tool.alembic-gate]\nselct = []\n", "unknown key 'selct'"),
        (["lint"], "[tool.alembic-gate]\nsince = 3\n", "since in pyproject.toml"),
        (["lint"], "[tool.alembic-gate\n", "cannot read"),
    ],
)
def test_configuration_errors_exit_2(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    setup: str | None,
    message: str,
) -> None:
    if setup is not None:
        (project / "pyproject.toml").write_text(setup)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unknown_code_in_a_suppression_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_head(project, comment="  # alembic-gate: ignore[AG1O3]")
    assert main(["lint"]) == 2
    assert "unknown rule code 'AG1O3'" in capsys.readouterr().err


def test_no_setup_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 2


@pytest.mark.parametrize(
    "argv",
    [[], ["--no-cache"], ["migrations/versions/99aa99aa99aa_second_head.py"], ["alembic.ini"]],
)
def test_a_syntax_error_anywhere_fails_in_every_mode(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    path = _add_head(project)
    path.write_text(path.read_text().replace("def downgrade() -> None:", "def downgrade(:"))
    for _ in range(2):  # cold, then from the cache
        assert main(["lint", "--ignore", "AG001,AG103", *argv]) == 1
        out = capsys.readouterr().out
        assert "99aa99aa99aa_second_head.py:18: AG007 [unparsable-revision]" in out
        assert "syntax error" in out


def test_lint_imports_neither_sqlalchemy_nor_alembic(project: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom alembic_gate.main import main\nrc = main(['lint'])\n"
        "assert 'sqlalchemy' not in sys.modules and 'alembic' not in sys.modules, rc\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


# What a lint run does not import, and why.
NOT_IMPORTED_BY_LINT = (
    # typing costs a pre-commit run ~3% of its instructions, dataclasses (with inspect)
    # and making its classes ~20% (TYPE_CHECKING = False; shared/records.py)
    "typing",
    "dataclasses",
    # only check's --timeout needs math, only its help the placeholders
    "math",
    "alembic_gate.shared.placeholders",
    # a plain alembic.ini is read without configparser (discovery.plain_ini)
    "configparser",
    # shlex only to write a command that fixes a finding; modules by __import__
    "shlex",
    "importlib",
    # the writer of plain_generated.py: a run takes the functions written there
    "alembic_gate.history.plain_writer",
    # the syntax trees are _ast's; ast's own functions only for an unusual literal
    # (shared/syntax.py, history/literals.py)
    "ast",
    # the collector is paused by a class of cache.py's, not a contextmanager
    "contextlib",
    # paths are strings on lint's way (setup.discovery, shared/paths.py): pathlib, with
    # the urllib.parse and ipaddress it imports, is ~3 ms of a run
    "pathlib",
)


def _assert_imports_none_of(modules: tuple[str, ...], argv: list[str]) -> None:
    """`main(argv)` in a fresh process, twice (the cache filled, then read), exits 0
    having imported none of `modules`."""
    code = (
        "import sys\nfrom alembic_gate.main import main\n"
        f"rc = main({argv!r})\n"
        f"imported = [name for name in {modules!r} if name in sys.modules]\n"
        "assert not imported, f'imported: {imported}'\n"
        "sys.exit(rc)\n"
    )
    for _ in range(2):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("argv", [["--no-cache"], [], ["--format", "json", "FILE"]])
def test_lint_runs_without_importing_typing_or_dataclasses(project: Path, argv: list[str]) -> None:
    """lint reads and packs revision files without typing or dataclasses, and imports
    nothing else it can do without (NOT_IMPORTED_BY_LINT)."""
    path = _add_head(project)
    argv = [str(path) if arg == "FILE" else arg for arg in argv]
    _assert_imports_none_of(NOT_IMPORTED_BY_LINT, ["lint", "--ignore", "AG001", *argv])


@pytest.mark.parametrize("files", [[], ["FILE"], ["FILE", "alembic.ini"]])
def test_lint_of_files_runs_without_importing_argparse(project: Path, files: list[str]) -> None:
    """pre-commit's `lint FILE...` is read without argparse (main.positionals_only):
    importing it, with gettext, and building lint's parser, which imports locale, are
    ~3 ms of a run."""
    head = project / "migrations" / "versions" / "4c535d2e7ab2_create_post.py"
    argv = ["lint", *(str(head) if name == "FILE" else name for name in files)]
    _assert_imports_none_of((*NOT_IMPORTED_BY_LINT, "argparse", "gettext", "locale"), argv)


DROP = '''"""{message}

Revision ID: {revision}
Revises: {down}
"""
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("post", "{column}")


def downgrade() -> None:
    pass
'''


def _chain(project: Path) -> tuple[Path, Path]:
    """Two revisions on the quickstart's head, each dropping a column (AG103): an older
    one that the newer one, the head, builds on."""
    versions = project / "migrations" / "versions"
    older = versions / "aaaa11110001_drop_title.py"
    older.write_text(
        DROP.format(message="m", revision="aaaa11110001", down="4c535d2e7ab2", column="title")
    )
    head = versions / "bbbb22220002_drop_body.py"
    head.write_text(
        DROP.format(message="m", revision="bbbb22220002", down="aaaa11110001", column="body")
    )
    return older, head


def _codes_and_paths(out: str) -> list[tuple[str, str]]:
    return sorted((f["code"], Path(f["path"]).name) for f in json.loads(out)["findings"])


def test_whole_history_shows_the_heads_safety_warnings_and_counts_the_older_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _chain(project)
    assert main(["lint", "--format", "json", "--fail-on", "warning"]) == 1
    captured = capsys.readouterr()
    assert _codes_and_paths(captured.out) == [("AG103", "bbbb22220002_drop_body.py")]
    [line] = captured.err.splitlines()
    assert "1 safety warning (AG1xx) about 1 older revision not shown" in line
    assert 'set since = "aaaa11110001" under [tool.alembic-gate]' in line
    # nothing older to hold back: no line
    assert main(["lint", "--ignore", "AG103"]) == 0
    assert capsys.readouterr().err == ""


def test_since_suggested_for_branches_from_bases_of_their_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Heads with no revision in common (AiiDA's labelled storage branches): `since`
    names the parent of each head, which keeps the heads in scope."""
    versions = tmp_path / "versions"
    versions.mkdir()
    for rid, down, label in [("x1", "", "x"), ("x2", "x1", ""), ("y1", "", "y"), ("y2", "y1", "")]:
        body = '    op.drop_column("t", "c")'
        text = OLDER.format(revision=rid * 6, down=down * 6, header="", body=body)
        text = text.replace('down_revision = ""', "down_revision = None")
        if label:
            text = text.replace("branch_labels = None", f"branch_labels = ({label!r},)")
        (versions / f"{rid * 6}_m.py").write_text(text)
    main(["lint", "--versions", str(versions)])
    line = capsys.readouterr().err
    assert "2 safety warnings (AG1xx) about 2 older revisions not shown" in line
    assert 'set since = ["x1x1x1x1x1x1", "y1y1y1y1y1y1"] under [tool.alembic-gate]' in line


OLDER = '''"""{revision}

Revision ID: {revision}
Revises: {down}
"""
{header}from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


def _older_chain(project: Path) -> None:
    """Five older revisions on the quickstart's head and a new head: the older ones'
    safety warnings suppressed for the whole file, on their line, deselected, kept (two
    in one file), and a suppression that matches nothing."""
    revisions = [
        ("a1", "# alembic-gate: ignore[AG103]\n", '    op.drop_column("post", "t1")'),
        ("a2", "", '    op.drop_column("post", "t2")  # alembic-gate: ignore[AG103]'),
        ("a3", "", '    op.drop_column("post", "t3")\n    op.drop_column("post", "t4")'),
        ("a4", "", '    op.alter_column("post", "t5", new_column_name="t6")'),
        ("a5", "# alembic-gate: ignore[AG103]\n", "    pass"),
        ("a6", "", '    op.drop_column("post", "t7")'),  # the head
    ]
    down = "4c535d2e7ab2"
    for name, header, body in revisions:
        revision = name * 6
        text = OLDER.format(revision=revision, down=down, header=header, body=body)
        (project / "migrations" / "versions" / f"{revision}_m.py").write_text(text)
        down = revision


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "3 safety warnings (AG1xx) about 2 older revisions not shown"),
        (["--ignore", "AG104"], "2 safety warnings (AG1xx) about 1 older revision not shown"),
        (["--select", "AG001"], None),
    ],
)
def test_older_warnings_are_counted_after_selection_and_suppression(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], line: str | None
) -> None:
    """The count says what the report would have shown: suppressed and deselected
    findings are not in it, and the suppressions they matched are used."""
    _older_chain(project)
    main(["lint", "--format", "json", *argv])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    shown = {(f["code"], Path(f["path"]).name) for f in report["findings"] if f["path"]}
    assert shown <= {("AG103", "a6a6a6a6a6a6_m.py")}
    if line is None:
        assert captured.err == ""
        return
    assert captured.err.splitlines() == [
        f"alembic-gate: {line} (only head revisions can still change): set since = "
        '"a5a5a5a5a5a5" under [tool.alembic-gate] to make that the baseline, or name the '
        "files to check them"
    ]
    assert report["unused_suppressions"] == [
        "migrations/versions/a5a5a5a5a5a5_m.py: unused suppression ignore[AG103]"
    ]


def test_older_warnings_are_counted_as_the_report_says_them_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A helper read once for each dialect branch that calls it gives the same finding
    twice; the report says it once, and so does the count (open-webui's 49 warnings not
    shown were 38 once the files were named)."""
    body = (
        '    def drop():\n        op.drop_column("post", "t1")\n\n'
        '    if op.get_bind().dialect.name == "postgresql":\n        drop()\n'
        "    else:\n        drop()"
    )
    down = "4c535d2e7ab2"
    for revision, text in [("a1" * 6, body), ("a2" * 6, '    op.drop_column("post", "t2")')]:
        older = OLDER.format(revision=revision, down=down, header="", body=text)
        (project / "migrations" / "versions" / f"{revision}_m.py").write_text(older)
        down = revision
    main(["lint", "--format", "json", "migrations/versions/a1a1a1a1a1a1_m.py"])
    assert len(json.loads(capsys.readouterr().out)["findings"]) == 1
    main(["lint"])
    [line] = capsys.readouterr().err.splitlines()
    assert "1 safety warning (AG1xx) about 1 older revision not shown" in line


def test_a_whole_history_run_lets_the_older_warnings_go(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The older revisions' warnings are counted as the rules make them, not kept until
    the report is written (a long history has tens of thousands)."""
    _chain(project)
    made: list[weakref.ref[Finding]] = []
    alive: list[tuple[str, str]] = []

    def recording(ctx: LintContext, enabled: Callable[[str], bool]) -> Iterator[Finding]:
        for finding in iter_rules(ctx, enabled):
            made.append(weakref.ref(finding))
            yield finding

    def written(report: Report, targets: object) -> None:
        found = [ref() for ref in made]
        alive.extend((f.code, Path(f.path or "").name) for f in found if f is not None)

    monkeypatch.setattr(lint, "iter_rules", recording)
    monkeypatch.setattr(lint, "write_reports", written)
    main(["lint"])
    assert len(made) == 2
    assert alive == [("AG103", "bbbb22220002_drop_body.py")]


def test_since_shows_every_revision_after_it_and_no_count(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _chain(project)
    (project / "pyproject.toml").write_text('[tool.alembic-gate]\nsince = "4c535d2e7ab2"\n')
    assert main(["lint", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert _codes_and_paths(captured.out) == [
        ("AG103", "aaaa11110001_drop_title.py"),
        ("AG103", "bbbb22220002_drop_body.py"),
    ]
    assert captured.err == ""


def test_files_named_scope_the_safety_rules_but_not_the_graph_rules(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older, _ = _chain(project)
    # a second head on 46eedd18c879 that drops post.title, with its AG103 suppressed
    _add_head(project, comment="  # alembic-gate: ignore[AG103]")
    assert main(["lint", "--format", "json", str(older.relative_to(project))]) == 1
    captured = capsys.readouterr()
    assert _codes_and_paths(captured.out) == [
        ("AG001", "99aa99aa99aa_second_head.py"),
        ("AG001", "bbbb22220002_drop_body.py"),
        ("AG103", "aaaa11110001_drop_title.py"),
    ]
    assert captured.err == ""
    # the suppression in a file the safety rules did not read is not "unused"
    assert json.loads(captured.out)["unused_suppressions"] == []
    # a file that is no revision (pre-commit passing alembic.ini): no safety findings
    assert main(["lint", "--format", "json", "alembic.ini"]) == 1
    assert [c for c, _ in _codes_and_paths(capsys.readouterr().out)] == ["AG001", "AG001"]


def test_a_named_revision_file_no_setup_holds_is_a_note_not_a_silent_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a second history (mlrun's migrations_mysql beside its alembic.ini's migrations_sqlite,
    # its config not named alembic.ini): pre-commit passes its changed files
    other = project / "migrations_mysql" / "versions" / "cc33cc33cc33_drop_title.py"
    other.parent.mkdir(parents=True)
    other.write_text(SECOND_HEAD.format(comment="").replace("99aa99aa99aa", "cc33cc33cc33"))
    assert (
        main(["lint", "--format", "json", "migrations_mysql/versions/cc33cc33cc33_drop_title.py"])
        == 0
    )
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert notes == [
        "migrations_mysql/versions/cc33cc33cc33_drop_title.py: in no Alembic setup this run "
        "read, so it was not checked (give its config with -c, or its folder with --versions)"
    ]
    # a file that is no Python file (pre-commit passing alembic.ini) gives no such note
    assert main(["lint", "--format", "json", "alembic.ini"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []


# -- hostile input: no traceback, no hang, the contract's exit code ----------------------


def _lint_process(
    project: Path, *argv: str, stdout: object = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """lint in a process of its own: a hang is a timeout here, not a stuck test run."""
    return subprocess.run(
        [sys.executable, "-m", "alembic_gate", "lint", *argv],
        cwd=project,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


def test_fifos_sockets_and_devices_are_never_opened(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = project / "migrations" / "versions"
    os.mkfifo(versions / "fifo.py")
    server = socket.socket(socket.AF_UNIX)
    # bound by a relative name: a socket's path holds at most 107 bytes, which a
    # temporary folder under pytest-xdist's worker folders can pass
    monkeypatch.chdir(versions)
    server.bind("socket.py")
    monkeypatch.undo()
    (versions / "device.py").symlink_to("/dev/zero")
    (project / ".alembic-gate-cache").mkdir()
    try:
        for argv in ([], ["--no-cache"], ["migrations/versions/fifo.py"]):
            run = _lint_process(project, *argv)
            assert run.returncode == 1, run.stderr
            assert "Traceback" not in run.stderr
            for name in ("fifo.py", "socket.py"):
                assert (
                    f"migrations/versions/{name}: AG007 [unparsable-revision] cannot read this "
                    "revision statically: cannot read file: not a regular file"
                ) in run.stdout
            # alembic judges a link by its target's name, `zero`: no revision file
            assert "device.py" not in run.stdout
    finally:
        server.close()


def test_a_revision_file_of_gigabytes_is_not_read(project: Path) -> None:
    huge = project / "migrations" / "versions" / "huge.py"
    with huge.open("wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: costs no disk
    run = _lint_process(project)
    assert run.returncode == 1, run.stderr
    assert "huge.py: AG007 [unparsable-revision]" in run.stdout
    assert "cannot read file: larger than 8 MiB (3,221,225,472 bytes)" in run.stdout


def test_standard_output_that_cannot_be_written(project: Path) -> None:
    with open("/dev/full", "w") as full:
        run = _lint_process(project, stdout=full)
    assert run.returncode == 2
    assert run.stderr == (
        "alembic-gate: error: cannot write to standard output: No space left on device\n"
    )


def test_a_reader_that_goes_away_ends_the_output_quietly(project: Path) -> None:
    _add_head(project)
    reader, writer = os.pipe()
    os.close(reader)
    with os.fdopen(writer, "w") as closed:
        run = _lint_process(project, stdout=closed)
    assert (run.returncode, run.stderr) == (1, "")  # the run's own code: two heads


@pytest.mark.parametrize("text", ["tool = 1\n", 'tool = "x"\n', "[tool]\nalembic-gate = 3\n"])
def test_a_pyproject_whose_tool_is_not_a_table(
    project: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (project / "pyproject.toml").write_text(text)
    assert main(["lint"]) == 2
    assert "must be a table" in capsys.readouterr().err


def test_a_file_argument_that_does_not_exist(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", "migrations/versions/gone.py", "alembic.ini"]) == 2
    assert capsys.readouterr().err == (
        "alembic-gate: error: no such file: migrations/versions/gone.py\n"
    )


@pytest.mark.parametrize("files", [[""], ["alembic.ini", ""]])
def test_an_empty_file_argument_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], files: list[str]
) -> None:
    assert main(["lint", *files]) == 2
    assert (
        capsys.readouterr().err == "alembic-gate: error: empty FILE argument ('' names no file)\n"
    )


@pytest.mark.parametrize(
    "text", [None, "[tool.alembic-gate]\nfail-on = 'warning'\nignore = ['AG101']\n"]
)
def test_a_setup_in_the_current_directory_reads_the_same_settings(
    project: Path, text: str | None
) -> None:
    """lint reuses the current directory's settings for a setup that runs there."""
    from alembic_gate.lint import _setup_settings
    from alembic_gate.main import build_parser
    from alembic_gate.setup.settings import load_settings

    if text is not None:
        (project / "pyproject.toml").write_text(text)
    args = build_parser(["lint"]).parse_args(["lint", "--select", "AG1"])
    here = load_settings(args, project)
    assert load_settings(args, project, project) == here
    assert _setup_settings(args, project, project, here) is here
    assert _setup_settings(args, project, None, here) is here
    assert load_settings(args, project, None) == here


def test_lint_from_the_console_keeps_its_histories_to_the_exit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic_gate import main as main_module
    from alembic_gate.history.load import History

    kept: list[tuple[object, ...]] = []
    monkeypatch.setattr(main_module, "_kept", kept)
    main(["lint", "--ignore", "AG001"])
    ((histories, _, _),) = kept
    assert isinstance(histories, list) and isinstance(histories[0], History)


def _graph(parents: dict[str, tuple[str, ...]]) -> RevisionGraph:
    return RevisionGraph.build(
        [
            RevisionFile(f"{rid}.py", f"{rid}.py", revision=rid, parents=up)
            for rid, up in parents.items()
        ]
    )


def _newest_common_by_sets(graph: RevisionGraph) -> str | None:
    """What the suggestion names, found the long way: every head's ancestors."""
    heads = graph.heads
    common = set.intersection(*(graph.ancestors([h]) for h in heads)) if heads else set()
    common -= set(heads)
    return graph.topological(common)[-1] if common else None


@pytest.mark.parametrize(
    "parents, expected",
    [
        ({"a": (), "b": ("a",), "c": ("b",)}, "b"),  # one head, one parent
        ({"a": (), "b": ("a",), "c": ("a",)}, "a"),  # two heads
        ({"a": (), "b": ("a",), "c": ("a",), "m": ("b", "c")}, "c"),  # a merge head
        ({"a": ()}, None),  # nothing below the head
        ({"a": (), "b": ()}, None),  # two bases, two heads: nothing in common
    ],
)
def test_the_suggested_since_is_the_newest_revision_every_head_builds_on(
    parents: dict[str, tuple[str, ...]], expected: str | None
) -> None:
    graph = _graph(parents)
    assert lint._newest_common(graph) == expected == _newest_common_by_sets(graph)


def test_the_suggested_since_is_found_the_short_way_as_the_long_way_would() -> None:
    """Random histories (merges, forks, several heads): the shortcut for one head with
    one parent names what every head's ancestors would."""
    import random

    for seed in range(300):
        rnd = random.Random(seed)
        ids = [f"r{i}" for i in range(rnd.randint(1, 30))]
        parents = {
            rid: tuple(rnd.sample(ids[:i], min(i, rnd.choice([1, 1, 1, 2]))))
            for i, rid in enumerate(ids)
        }
        graph = _graph(parents)
        assert lint._newest_common(graph) == _newest_common_by_sets(graph), seed


# -- what lint reads as alembic reads it: compared with the real `alembic` -------------------


def _alembic_project(root: Path, files: dict[str, str]) -> Path:
    """A project of revision files only (`alembic heads` and `history` run no env.py)."""
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (versions / name).write_text(text)
    return root


def _run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _alembic_heads(cwd: Path) -> list[str] | None:
    """The heads `alembic heads` prints, in order, each once; None when it fails."""
    done = _run(cwd, "alembic", "heads")
    if done.returncode != 0:
        return None
    return list(dict.fromkeys(line.split()[0] for line in done.stdout.splitlines()))


def _lint_json(cwd: Path, *argv: str) -> dict[str, Any]:
    done = _run(cwd, "alembic_gate", "lint", "--format", "json", *argv)
    assert "Traceback" not in done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _errors(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["code"], f["path"]) for f in report["findings"] if f["severity"] == "error"]


def _history_edges(text: str) -> set[str]:
    """`parent -> child` of each line of `alembic history` (or `graph --format text`)."""
    return {
        line.split(",")[0].replace(" (head)", "").strip()
        for line in text.splitlines()
        if " -> " in line and not line.startswith("#")
    }


def _ids_only(parent: str | None) -> str:
    return f"down_revision = {parent!r}\n\ndef upgrade():\n    pass\n"


LEGACY_FILES = {
    "1a2b3c.py": _ids_only(None),
    "4d5e6f.py": _ids_only("1a2b3c"),
    "7788_third.py": 'revision = "7788"\n' + _ids_only("4d5e6f"),
}


def test_a_file_without_revision_named_by_its_hex_id_is_that_revision(tmp_path: Path) -> None:
    """alembic 0.1's files: alembic takes the id from a name of hex digits + `.py`."""
    _alembic_project(tmp_path, LEGACY_FILES)
    assert _alembic_heads(tmp_path) == ["7788"]
    report = _lint_json(tmp_path, "--no-cache")
    assert _errors(report) == []
    assert report["heads"] == ["7788"]
    history = _run(tmp_path, "alembic", "history")
    graph = _run(tmp_path, "alembic_gate", "graph", "--format", "text", "--no-cache")
    assert (
        _history_edges(graph.stdout)
        == _history_edges(history.stdout)
        == {
            "<base> -> 1a2b3c",
            "1a2b3c -> 4d5e6f",
            "4d5e6f -> 7788",
        }
    )


@pytest.mark.parametrize(
    "name",
    ["1A2B3C.py", "1a2b3c_init.py", "x1a2b3c.py", "1a2b3c.py.txt"],
)
def test_a_file_without_revision_named_otherwise_is_ag007(tmp_path: Path, name: str) -> None:
    _alembic_project(
        tmp_path, {name: _ids_only(None), "7788_b.py": 'revision = "7788"\n' + _ids_only(None)}
    )
    loads = _alembic_heads(tmp_path) is not None
    report = _lint_json(tmp_path, "--no-cache")
    if name.endswith(".txt"):  # no revision file at all
        assert loads and _errors(report) == []
        return
    assert not loads
    assert _errors(report) == [("AG007", f"migrations/versions/{name}")]


def test_a_legacy_file_without_down_revision_is_ag007(tmp_path: Path) -> None:
    _alembic_project(tmp_path, {"1a2b3c.py": "def upgrade():\n    pass\n"})
    assert _alembic_heads(tmp_path) is None  # AttributeError: no down_revision
    report = _lint_json(tmp_path, "--no-cache")
    [finding] = report["findings"]
    assert finding["code"] == "AG007"
    assert "no `down_revision`" in finding["message"]


def test_the_id_of_a_legacy_file_follows_its_name_through_the_cache(tmp_path: Path) -> None:
    """The cache is keyed by content: the same bytes under another name are another id."""
    _alembic_project(tmp_path, {"1a2b3c.py": _ids_only(None)})
    assert _lint_json(tmp_path)["heads"] == ["1a2b3c"]
    versions = tmp_path / "migrations" / "versions"
    (versions / "1a2b3c.py").rename(versions / "abcdef.py")
    assert _alembic_heads(tmp_path) == ["abcdef"]
    assert _lint_json(tmp_path)["heads"] == ["abcdef"]
    (versions / "abcdef.py").rename(versions / "first.py")
    assert _alembic_heads(tmp_path) is None
    assert _errors(_lint_json(tmp_path)) == [("AG007", "migrations/versions/first.py")]


def _ids(rid: str, parent: str | None, extra: str = "") -> str:
    return f"revision = {rid!r}\n{extra}" + _ids_only(parent)


@pytest.mark.parametrize(
    ("files", "codes", "edges"),
    [
        # alembic reads b1.py, then b1_copy.py, and keeps the last: b1 sits on a1
        (
            {"a1.py": _ids("a1", None), "b1.py": _ids("b1", None), "b1_copy.py": _ids("b1", "a1")},
            ["AG004", "AG004"],
            {"<base> -> a1", "a1 -> b1"},
        ),
        # the other way round: the copy read last is a base, and a1 a head of its own
        (
            {"a1.py": _ids("a1", None), "a_b1.py": _ids("b1", "a1"), "b1.py": _ids("b1", None)},
            ["AG001", "AG001", "AG004", "AG004"],
            {"<base> -> a1", "<base> -> b1"},
        ),
        # a child on the id: the kept copy's parent counts
        (
            {
                "a1.py": _ids("a1", None),
                "a2.py": _ids("a2", "a1"),
                "b1.py": _ids("b1", "a1"),
                "b1_copy.py": _ids("b1", "a2"),
                "c1.py": _ids("c1", "b1"),
            },
            ["AG004", "AG004"],
            {"<base> -> a1", "a1 -> a2", "a2 -> b1", "b1 -> c1"},
        ),
    ],
)
def test_a_duplicate_id_is_the_file_alembic_reads_last(
    tmp_path: Path, files: dict[str, str], codes: list[str], edges: set[str]
) -> None:
    """alembic lists a folder's files sorted and keeps the last file of an id; lint's
    graph is that one (AG004 stays an error)."""
    _alembic_project(tmp_path, files)
    heads = _alembic_heads(tmp_path)
    assert heads is not None
    report = _lint_json(tmp_path, "--no-cache")
    assert sorted(code for code, _ in _errors(report)) == codes
    copies = sorted(name for name, text in files.items() if text.startswith("revision = 'b1'"))
    shown = _run(tmp_path, "alembic", "show", "b1")  # the file alembic keeps: the last
    assert f"Path: {tmp_path / 'migrations' / 'versions' / copies[-1]}" in shown.stdout
    history = _run(tmp_path, "alembic", "history")
    graph = _run(tmp_path, "alembic_gate", "graph", "--format", "text", "--no-cache")
    assert _history_edges(graph.stdout) == edges
    if history.returncode == 0:
        assert _history_edges(history.stdout) == edges
    else:  # the dropped copy, a head for alembic, lies below c1
        assert "c1 overlaps with other requested revisions b1" in history.stdout
    # alembic also counts each dropped copy as a head (`upgrade head` fails until the
    # copy is gone: AG004); the heads of the graph it builds are lint's
    kept = {edge.split(" -> ")[1] for edge in edges} - {e.split(" -> ")[0] for e in edges}
    assert set(report["heads"]) == kept <= set(heads)


def test_a_branch_label_on_two_copies_of_an_id_is_ag006(tmp_path: Path) -> None:
    label = "branch_labels = ('x',)\n"
    files = {"a1.py": _ids("a1", None), "b1.py": _ids("b1", "a1", label)}
    files["b1_copy.py"] = files["b1.py"]
    _alembic_project(tmp_path, files)
    assert _alembic_heads(tmp_path) is None  # RevisionError: branch name 'x' already used
    report = _lint_json(tmp_path, "--no-cache")
    assert {code for code, _ in _errors(report)} == {"AG004", "AG006"}


_OFFLINE_ENV_PY = (
    "from alembic import context\n"
    "context.configure(url='sqlite://', literal_binds=True)\n"
    "with context.begin_transaction():\n"
    "    context.run_migrations()\n"
)
_OVERLAP = "`alembic upgrade heads` and `alembic history` fail"


@pytest.mark.parametrize(
    ("files", "after"),
    [
        # a child on the id; the copies on one parent, or the dropped one a base
        (
            {"b1.py": _ids("b1", "a1"), "b1_copy.py": _ids("b1", "a1"), "c1.py": _ids("c1", "b1")},
            "child, c1",
        ),
        (
            {"b1.py": _ids("b1", None), "b1_copy.py": _ids("b1", "a1"), "c1.py": _ids("c1", "b1")},
            "child, c1",
        ),
        # three copies; a merge on it
        (
            {
                "b1.py": _ids("b1", "a1"),
                "b1_copy.py": _ids("b1", "a1"),
                "b1_copy2.py": _ids("b1", "a1"),
                "c1.py": _ids("c1", ("b1", "a1")),
            },
            "child, c1",
        ),
        # a dependent only: by id, by a label of the kept copy
        (
            {
                "b1.py": _ids("b1", "a1"),
                "b1_copy.py": _ids("b1", "a1"),
                "c1.py": _ids("c1", "a1", "depends_on = 'b1'\n"),
            },
            "dependent, c1",
        ),
        (
            {
                "b1.py": _ids("b1", "a1"),
                "b1_copy.py": _ids("b1", "a1", "branch_labels = ('x',)\n"),
                "c1.py": _ids("c1", "a1", "depends_on = 'x'\n"),
            },
            "dependent, c1",
        ),
        # no child: `upgrade heads` runs (`upgrade head` fails, as for every AG004)
        ({"b1.py": _ids("b1", "a1"), "b1_copy.py": _ids("b1", "a1")}, None),
        (
            {"b1.py": _ids("b1", None), "b1_copy.py": _ids("b1", "a1"), "c1.py": _ids("c1", "a1")},
            None,
        ),
    ],
)
def test_ag004_says_when_alembic_cannot_upgrade_to_the_heads(
    tmp_path: Path, files: dict[str, str], after: str | None
) -> None:
    """A duplicate id with a child or dependent is no warning only: alembic still counts
    the dropped file as a head, below the child, so `upgrade heads` and `history` fail
    (doctor names such a history broken); AG004 says so, in each copy's finding."""
    _alembic_project(tmp_path, {"a1.py": _ids("a1", None), **files})
    (tmp_path / "migrations" / "env.py").write_text(_OFFLINE_ENV_PY)
    upgrade = _run(tmp_path, "alembic", "upgrade", "heads", "--sql")
    history = _run(tmp_path, "alembic", "history")
    overlap = "overlaps with other requested revisions b1"
    assert (overlap in upgrade.stdout + upgrade.stderr) is (upgrade.returncode != 0)
    assert (overlap in history.stdout + history.stderr) is (history.returncode != 0)
    assert (upgrade.returncode != 0) is (history.returncode != 0) is (after is not None)
    report = _lint_json(tmp_path, "--no-cache")
    found = [f for f in report["findings"] if f["code"] == "AG004"]
    assert len(found) == sum(text.startswith("revision = 'b1'") for text in files.values())
    for finding in found:
        if after is None:
            assert _OVERLAP not in finding["message"]
        else:
            assert f"b1 has a {after}, so {_OVERLAP}" in finding["message"]


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("depends_on", "DEPENDENCIES", "AG003"),
        ("depends_on", "deps()", "AG003"),
        ("branch_labels", "(cli.EXPAND_BRANCH,)", "AG006"),
    ],
)
def test_a_label_or_dependency_that_is_no_literal_is_a_note(
    project: Path, capsys: pytest.CaptureFixture[str], variable: str, value: str, rule: str
) -> None:
    # such a value was read as nothing, silently: the graph rules then passed on a
    # guess. Now a note (not a finding: exit 0) says it could not be read
    path = _add_head(project)
    text = path.read_text().replace(f"{variable} = None", f"{variable} = {value}")
    text = text.replace('"46eedd18c879"\n', '"4c535d2e7ab2"\n').replace("op.drop_column", "op.f")
    path.write_text(text)
    assert main(["lint"]) == 0
    out = capsys.readouterr().out
    line = 10 if variable == "branch_labels" else 11
    assert (
        f"note: migrations/versions/99aa99aa99aa_second_head.py:{line}: `{variable}` is not a "
        f"literal (`{value}`)"
    ) in out
    assert f"what {rule}" in out
    assert main(["lint", "--ignore", rule]) == 0
    assert "is not a literal" not in capsys.readouterr().out


INDEX_REVISION = '''"""index

Revision ID: a1
Revises:
"""
from alembic import op

revision = "a1"
down_revision = None


def upgrade() -> None:
    op.create_index("ix_users_name", "users", ["name"])


def downgrade() -> None:
    op.drop_index("ix_users_name")
'''


def test_project_files_read_beside_the_history_are_never_opened_unless_regular(
    tmp_path: Path,
) -> None:
    """env.py, dependency files and dotenv files that are FIFOs (whose read would block
    until a writer comes) are taken for unreadable: the history names no database, so
    AG105 looks at all three, and reports with medium confidence."""
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (tmp_path / "migrations" / "versions" / "a1_index.py").write_text(INDEX_REVISION)
    for path in ("migrations/env.py", "requirements.txt", ".env", ".flaskenv"):
        os.mkfifo(tmp_path / path)
    run = _lint_process(tmp_path, "--no-cache", "--extend-select", "AG105", "--format", "json")
    assert run.returncode == 0, run.stderr
    [finding] = json.loads(run.stdout)["findings"]
    assert (finding["code"], finding["confidence"]) == ("AG105", "medium")


def _unprivileged(argv: list[str]) -> list[str] | None:
    """`argv` run where file modes bind it: as is for a user, for root through setpriv
    without the capabilities that override them (None where setpriv is missing)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *argv]


def _lint_locked(
    project: Path, locked: Path, *argv: str, mode: int = 0
) -> subprocess.CompletedProcess[str]:
    """lint where file modes bind it, with `locked` given `mode` for the run (its own mode
    given back after)."""
    command = _unprivileged([sys.executable, "-m", "alembic_gate", "lint", *argv])
    if command is None:
        pytest.skip("root without setpriv: file modes do not bind it")
    before = stat.S_IMODE(locked.stat().st_mode)
    locked.chmod(mode)
    try:
        return subprocess.run(
            command, cwd=project, capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        locked.chmod(before)


def _index_project(tmp_path: Path) -> Path:
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (tmp_path / "migrations" / "versions" / "a1_index.py").write_text(INDEX_REVISION)
    return tmp_path


def test_a_requirements_folder_that_cannot_be_listed_is_taken_for_none(tmp_path: Path) -> None:
    """AG105 looks for a driver in requirements/*.txt: a folder it may not list names
    none (the finding keeps medium confidence), and is no error."""
    project = _index_project(tmp_path)
    (project / "requirements").mkdir()
    (project / "requirements" / "base.txt").write_text("psycopg2\n")
    argv = ("--no-cache", "--extend-select", "AG105", "--format", "json")
    run = _lint_locked(project, project / "requirements", *argv)
    assert run.returncode == 0, run.stderr
    [finding] = json.loads(run.stdout)["findings"]
    assert (finding["code"], finding["confidence"]) == ("AG105", "medium")


def test_a_version_location_that_cannot_be_listed_is_a_usage_error(tmp_path: Path) -> None:
    """Not an empty history (AG011, a warning that passes): alembic stops there too."""
    project = _index_project(tmp_path)
    versions = project / "migrations" / "versions"
    run = _lint_locked(project, versions, "--no-cache")
    assert run.returncode == 2, run.stdout
    assert run.stderr == (
        f"alembic-gate: error: cannot list version location {versions}: Permission denied\n"
    )
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_a_sourceless_cache_that_cannot_be_listed_is_a_usage_error(tmp_path: Path) -> None:
    """With `sourceless = true` alembic lists each folder's __pycache__ too."""
    project = _index_project(tmp_path)
    (project / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nsourceless = true\n"
    )
    cache = project / "migrations" / "versions" / "__pycache__"
    cache.mkdir()
    run = _lint_locked(project, cache, "--no-cache")
    assert run.returncode == 2, run.stdout
    assert run.stderr == f"alembic-gate: error: cannot list {cache}: Permission denied\n"


def test_a_script_folder_that_cannot_be_searched_is_a_usage_error(tmp_path: Path) -> None:
    """migrations/ without search permission hides versions/: not a missing folder (a
    fresh project, AG011), for alembic cannot read it either."""
    project = _index_project(tmp_path)
    versions = project / "migrations" / "versions"
    run = _lint_locked(project, project / "migrations", "--no-cache", mode=0o600)
    assert run.returncode == 2, run.stdout
    assert run.stderr == (
        f"alembic-gate: error: cannot list version location {versions}: Permission denied\n"
    )


def test_settings_that_cannot_be_read_say_why_once(tmp_path: Path) -> None:
    project = _index_project(tmp_path)
    (project / "pyproject.toml").write_text("[tool.alembic-gate]\n")
    run = _lint_locked(project, project / "pyproject.toml", "--no-cache")
    assert run.returncode == 2, run.stdout
    assert run.stderr == (
        f"alembic-gate: error: cannot read {project / 'pyproject.toml'}: Permission denied\n"
    )
