"""The command line itself: help, version, usage errors, the console's exit."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate import __version__
from alembic_gate import main as main_module
from alembic_gate.main import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", ["lint", "check", "doctor", "graph"])
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: alembic-gate {command}" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"alembic-gate {__version__}"


@pytest.mark.parametrize(
    "argv", [[], ["nope"], ["lint", "--bogus"], ["check", "--db", "oracle"], ["doctor"]]
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_check_help_names_the_default_images(capsys: pytest.CaptureFixture[str]) -> None:
    from alembic_gate.check.containers import DEFAULT_IMAGES

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for image in DEFAULT_IMAGES.values():
        assert image in text


def test_check_help_says_postgresql_is_traced(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "On PostgreSQL every statement of the revisions in scope is traced" in text
    assert "--ignore AG905,AG906,AG907 turns tracing off" in text


def _console(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m alembic_gate ARGV` in a process of its own (the console's exit)."""
    return subprocess.run(
        [sys.executable, "-m", "alembic_gate", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _many_heads(root: Path, count: int) -> None:
    """The quickstart example with `count` more heads, each a finding in the report."""
    shutil.copytree(ROOT / "examples" / "quickstart", root)
    versions = root / "migrations" / "versions"
    for number in range(count):
        rid = f"{number:012x}"
        (versions / f"{rid}_head.py").write_text(
            f'revision = "{rid}"\ndown_revision = "46eedd18c879"\n'
            "branch_labels = None\ndepends_on = None\n"
            "def upgrade():\n    pass\ndef downgrade():\n    pass\n"
        )


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_console_writes_everything_before_its_quick_exit(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """lint ends without the interpreter's tear-down: a report far larger than a pipe's
    buffer still arrives whole, with main()'s exit code and standard error."""
    root = tmp_path / "project"
    _many_heads(root, 400)
    monkeypatch.chdir(root)
    code = main(["lint", "--no-cache", "--format", fmt])
    expected = capsys.readouterr()
    run = _console(root, "lint", "--no-cache", "--format", fmt)
    assert len(run.stdout) > 65536
    assert (run.returncode, run.stdout, run.stderr) == (code, expected.out, expected.err)


def test_the_console_exit_code_of_a_usage_error(tmp_path: Path) -> None:
    run = _console(tmp_path, "lint", "no-such-file.py")
    assert run.returncode == 2
    assert run.stderr.startswith("alembic-gate: error:")
    assert "Traceback" not in run.stderr


def _help(parser: argparse.ArgumentParser, command: str) -> tuple[str, str]:
    """The help of `parser` and of its `command`."""
    commands = parser._subparsers._group_actions[0]  # type: ignore[union-attr]
    return parser.format_help(), commands.choices[command].format_help()  # type: ignore[index]


@pytest.mark.parametrize("columns", ["60", "132", "", "not a number"])
@pytest.mark.parametrize("command", ["lint", "check", "doctor", "graph"])
def test_help_is_laid_out_as_argparse_lays_it_out(
    command: str, columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The formatter that finds the width without shutil gives argparse's own layout."""
    monkeypatch.setenv("COLUMNS", columns)
    ours = _help(main_module.build_parser([command]), command)
    monkeypatch.setattr(main_module, "_Formatter", argparse.HelpFormatter)
    assert ours == _help(main_module.build_parser([command]), command)
    assert ours[1].startswith(f"usage: alembic-gate {command}")


ARGVS = [
    ["lint"],
    ["lint", "a.py", "b.py"],
    ["lint", "--format", "json", "--format=sarif=out.sarif", "a.py"],
    ["lint", "-c", "x.ini", "-n", "other", "--no-cache", "--base", "main"],
    ["lint", "--versions", "v", "--recursive", "--select", "AG1", "--fail-on", "info"],
    ["lint", "--vers", "v", "--ign", "AG101"],  # abbreviations
    ["lint", "--", "-a.py"],
    ["lint", "-cx.ini", "--extend-select=AG009"],
    ["lint", "--bogus"],  # left over: the top-level parser's error
    ["lint", "a.py", "--version"],
    ["lint", "--fail-on", "bogus"],
    ["lint", "--format"],
    ["lint", "-h"],
    ["lint", "--help", "--bogus"],
    ["lint", "-c"],
    ["--version", "lint"],
    ["-h", "lint"],
    ["graph", "--format", "dot"],
    ["graph", "--format", "svg"],
    ["check", "--db", "sqlite", "--timeout", "1.5", "--env", "A=1", "-x", "k=v", "f.py"],
    ["check", "--timeout", "inf"],
    ["check", "--timeout", "0"],
    ["doctor", "--database-url", "sqlite://", "--replay"],
    ["doctor"],
    ["nope"],
    [],
]


def _outcome(
    parse: Callable[[], argparse.Namespace], capsys: pytest.CaptureFixture[str]
) -> tuple[object, str, str]:
    try:
        result: object = list(vars(parse()).items())
    except SystemExit as exc:
        result = ("exit", exc.code)
    out, err = capsys.readouterr()
    return result, out, err


@pytest.mark.parametrize("columns", ["60", "132"])
@pytest.mark.parametrize("argv", ARGVS)
def test_arguments_parse_as_the_whole_parser_does(
    argv: list[str],
    columns: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command given first is parsed by its own parser alone, to the same namespace,
    help, errors and exit codes as through the top-level parser."""
    monkeypatch.setenv("COLUMNS", columns)
    whole = _outcome(lambda: main_module.build_parser(argv).parse_args(argv), capsys)
    assert _outcome(lambda: main_module.parse_arguments(argv), capsys) == whole


def test_what_a_command_made_is_kept_only_for_an_exit_without_tear_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(main_module, "_kept", None)  # main called from Python
    main_module.keep_until_exit([1])
    assert main_module._kept is None
    kept: list[object] = []  # as console sets it
    monkeypatch.setattr(main_module, "_kept", kept)
    made = [1]
    main_module.keep_until_exit(made, 2)
    assert kept == [(made, 2)] and kept[0][0] is made  # type: ignore[index]
