from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from alembic_gate.errors import UsageError
from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.main import REPORT_FORMATS
from alembic_gate.reporters import REPORTERS
from alembic_gate.reporters.output import parse_formats, write_reports


def _report() -> Report:
    return Report(
        "lint",
        findings=[RULES["AG001"].finding("Two heads: ab12, cd34.", "v/ab12.py", 14)],
        heads=["ab12", "cd34"],
        checks=["AG001"],
    )


def test_registry_matches_the_command_line() -> None:
    assert tuple(REPORTERS) == REPORT_FORMATS


def test_text_on_standard_output_by_default() -> None:
    assert parse_formats([]) == [("text", None)]


def test_formats_with_and_without_paths() -> None:
    assert parse_formats(["github", "sarif=out/a.sarif", "json=r=1.json"]) == [
        ("github", None),
        ("sarif", "out/a.sarif"),
        ("json", "r=1.json"),
    ]


def test_unknown_format() -> None:
    with pytest.raises(UsageError) as error:
        parse_formats(["xml=out.xml"])
    assert str(error.value) == (
        "unknown --format 'xml'; choose from text, github, json, sarif, gitlab, junit"
    )


def test_two_reports_on_standard_output() -> None:
    with pytest.raises(UsageError) as error:
        parse_formats(["github", "sarif=a.sarif", "json"])
    assert str(error.value) == (
        "--format github and json would both write to standard output; "
        "give all but one a file, e.g. --format json=report.json"
    )


def test_empty_path() -> None:
    with pytest.raises(UsageError, match=r"^--format json=: no path after '='$"):
        parse_formats(["json="])


def test_two_reports_in_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"^--format: two reports would both be written to "):
        parse_formats(["json=out/r.json", "sarif=./out/../out/r.json"])


def test_reports_go_to_their_files_and_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_reports(_report(), parse_formats(["json=reports/deep/r.json", "text"]))
    written = json.loads((tmp_path / "reports/deep/r.json").read_text("utf-8"))
    assert written["findings"][0]["code"] == "AG001"
    assert capsys.readouterr().out == (
        "v/ab12.py:14: AG001 [multiple-heads] Two heads: ab12, cd34.\nFound 1 error.\n"
    )


def test_default_is_the_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    write_reports(Report("lint"), parse_formats([]))
    assert capsys.readouterr().out == "All checks passed.\n"


def test_github_writes_the_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_reports(_report(), parse_formats(["github", f"sarif={tmp_path / 'a.sarif'}"]))
    assert capsys.readouterr().out == (
        "::error file=v/ab12.py,line=14,title=AG001 multiple-heads::Two heads: ab12, cd34.\n"
    )
    assert summary.read_text("utf-8").startswith(
        "## alembic-gate lint\n\n**Found 1 error.**\n\n"
        "It fails the run (`--fail-on error`).\n\n### AG001"
    )


def test_no_step_summary_without_the_github_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_reports(_report(), parse_formats(["json"]))
    assert json.loads(capsys.readouterr().out)["command"] == "lint"
    assert not summary.exists()


def test_unwritable_report_path_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^cannot write a report to .*taken/r\.json: "):
        write_reports(_report(), parse_formats([f"json={tmp_path / 'taken' / 'r.json'}"]))


def test_console_that_cannot_show_a_character(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    report = Report("lint", findings=[RULES["AG103"].finding("Drops café.", "v/a.py", 2)])
    write_reports(report, parse_formats(["text"]))
    assert raw.getvalue() == (
        b"v/a.py:2: AG103 [drop-column-or-table] Drops caf\\xe9.\nFound 1 warning.\n"
    )


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif", "gitlab", "junit"])
def test_report_file_with_a_lone_surrogate(tmp_path: Path, fmt: str) -> None:
    # A revision file can put any code point in a message: `op.drop_table("\ud800")` is a
    # string Python reads, and one that no UTF-8 file can hold as it is.
    report = Report("lint", findings=[RULES["AG103"].finding('Drops "\ud800".', "v/a.py", 2)])
    target = tmp_path / f"report.{fmt}"
    write_reports(report, parse_formats([f"{fmt}={target}"]))
    written = target.read_bytes().decode("utf-8")  # (junit leaves out what XML cannot hold)
    assert "Drops" in written and (fmt == "junit" or "ud800" in written.lower())


def test_report_file_keeps_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    # (a name Python read as surrogates is written back as the bytes it was)
    report = Report("lint", findings=[RULES["AG103"].finding("Drops it.", "v/\udcff.py", 2)])
    target = tmp_path / "report.txt"
    write_reports(report, parse_formats([f"text={target}"]))
    assert target.read_bytes().startswith(b"v/\xff.py:2: AG103")
