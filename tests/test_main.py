"""The command line itself: help, version, usage errors, the console's exit."""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

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
    monkeypatch.setattr(main_module, "_formatter", argparse.HelpFormatter)
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
    ["lint", "a.py", "--"],
    ["lint", "a.py", "-"],
    ["lint", "-1"],
    ["lint", "a.py", "-1.5"],
    ["lint", "-a b.py"],  # a space: a positional to argparse, here left to it
    ["lint", "@args.txt"],  # no fromfile_prefix_chars: a file name
    ["lint", "", "a b.py", "lint"],
    ["lint", "a.py", "--no-cache", "b.py"],
    ["lint", "a.py", "-c", "x.ini"],
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


def _outcome(parse: Callable[[], argparse.Namespace]) -> tuple[object, str, str]:
    """What `parse` gives (the namespace's items in order, or its exit) and writes."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result: object = list(vars(parse()).items())
    except SystemExit as exc:
        result = ("exit", exc.code)
    return result, out.getvalue(), err.getvalue()


def _whole(argv: list[str]) -> tuple[object, str, str]:
    return _outcome(lambda: main_module.build_parser(argv).parse_args(argv))


@pytest.mark.parametrize("columns", ["60", "132"])
@pytest.mark.parametrize("argv", ARGVS)
def test_arguments_parse_as_the_whole_parser_does(
    argv: list[str], columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command given first is parsed by its own parser alone, and `lint` with
    positionals only without argparse, to the same namespace, help, errors and exit
    codes as through the top-level parser."""
    monkeypatch.setenv("COLUMNS", columns)
    assert _outcome(lambda: main_module.parse_arguments(argv)) == _whole(argv)


# Paths and option-like strings, lint's options and their values among them.
TOKENS = [
    *["a.py", "migrations/versions/1_x.py", "", " ", "a b.py", "@x", "lint", "check", "json"],
    *["-", "--", "---", "-1", "-1.5", "-1e3", "-a b", "-=", "-x", "-h", "--help"],
    *["--version", "--bogus", "-c", "-cx.ini", "--config", "--config=x.ini", "-n", "--name"],
    *["--versions", "--vers", "--recursive", "--no-cache", "--no", "--format", "--format=json"],
    *["--select", "--extend-select=AG1", "--ignore", "--fail-on", "info", "--base", "--base="],
]


# Not "--=x": the top-level parser finds it ambiguous (--help, --version) before lint's
# parser reads it, lint's parser alone (parse_arguments) finds it ambiguous among lint's
# options: one error message for another, as before lint was read without argparse.
ARGUMENT = (st.sampled_from(TOKENS) | st.text(max_size=4)).filter(lambda a: not a.startswith("--="))


@settings(max_examples=300, deadline=None)
@given(st.lists(ARGUMENT, max_size=6))
@example(["a.py", "b.py"])
@example([])
def test_lint_reads_positionals_without_argparse_as_argparse_does(rest: list[str]) -> None:
    """`lint` and arguments none of which starts with "-" are read without argparse,
    to the namespace argparse makes, its items in the same order; any other `lint`
    command line is argparse's to read (its errors, help, --version)."""
    argv = ["lint", *rest]
    read = main_module.positionals_only(argv)
    assert (read is None) == any(arg.startswith("-") for arg in rest)
    if read is not None:
        assert isinstance(read, main_module.Arguments)
        assert _whole(argv) == (list(vars(read).items()), "", "")
    assert _outcome(lambda: main_module.parse_arguments(argv)) == _whole(argv)


@pytest.mark.parametrize(
    "argv", [[], ["check"], ["check", "a.py"], ["graph"], ["doctor"], ["Lint"], ["a.py", "lint"]]
)
def test_other_commands_are_left_to_argparse(argv: list[str]) -> None:
    assert main_module.positionals_only(argv) is None


def test_each_command_line_read_without_argparse_has_defaults_of_its_own() -> None:
    """As with a new parser each run: a list default is a new list each time."""
    first = main_module.positionals_only(["lint", "a.py"])
    second = main_module.positionals_only(["lint", "a.py"])
    assert first is not None and second is not None
    first.formats.append("json")
    first.files.append("b.py")
    assert second.formats == [] and second.files == ["a.py"]
    assert first.config is not second.config and first.versions is not second.versions
    assert "formats" in second and "nothing" not in second  # as in argparse.Namespace


FILES = (("f",), {"nargs": "*"})


def _parser_of(*declared: tuple[tuple[str, ...], dict[str, Any]], **parser: Any) -> Any:
    """A command's parser function that declares the options `declared`."""

    def add(sub: Any) -> None:
        p = sub.add_parser("lint", help="h", **parser)
        for flags, kwargs in declared:
            p.add_argument(*flags, **kwargs)

    return add


@pytest.mark.parametrize(
    "add",
    [
        _parser_of((("-a", "--all-of-it"), {"action": "store_true"}), (("f",), {"nargs": "*"})),
        _parser_of((("-q",), {"action": "store_false"}), (("-v",), {"action": "count"})),
        _parser_of((("--x-y",), {"default": 3, "type": int}), (("--z",), {"dest": "x_y"})),
        _parser_of((("--e",), {"action": "extend", "nargs": "+"}), (("--c",), {"default": "s"})),
        _parser_of((("--a",), {"action": "append_const", "const": 1})),
    ],
)
@pytest.mark.parametrize("rest", [[], ["a.py"], ["a.py", "b c"]])
def test_what_defaults_models_it_reads_as_argparse_does(
    add: Any, rest: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(main_module.COMMAND_PARSERS, "lint", add)
    argv = ["lint", *rest]
    read = main_module.positionals_only(argv)
    whole = _whole(argv)
    if read is None:  # no positional: argparse's error
        assert whole[0] == ("exit", 2)
    else:
        assert whole == (list(vars(read).items()), "", "")


@pytest.mark.parametrize(
    "add",
    [
        _parser_of((("--db",), {"required": True}), FILES),
        _parser_of((("--t",), {"type": float, "default": "1.5"}), FILES),  # argparse converts it
        _parser_of((("--version",), {"action": "version", "version": "1"}), FILES),
        _parser_of((("--c",), {"dest": "command"}), FILES),  # the top-level parser's
        _parser_of((("f",), {"nargs": "+"})),
        _parser_of((("f",), {"nargs": "*", "default": ["x"]})),
        _parser_of((("f",), {"nargs": "*", "choices": ["a.py"]})),
        _parser_of((("f",), {"nargs": "*"}), (("g",), {"nargs": "*"})),
        _parser_of((("f",), {"nargs": "*"}), prefix_chars="+"),
        _parser_of((("f",), {"nargs": "*"}), fromfile_prefix_chars="@"),
    ],
)
def test_what_defaults_does_not_model_is_left_to_argparse(
    add: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(main_module.COMMAND_PARSERS, "lint", add)
    assert main_module.positionals_only(["lint", "a.py"]) is None


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


@pytest.mark.parametrize("argv", [["lint"], ["graph"], ["lint", "--format", "json"]])
def test_standard_output_closed_is_a_usage_error(tmp_path: Path, argv: list[str]) -> None:
    """Started with standard output closed (`>&-`, for which Python's sys.stdout is
    None): exit 2 with a message, not an AttributeError's traceback."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "quickstart", root)
    closed = ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "alembic_gate"]
    run = subprocess.run(
        [*closed, *argv], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        "alembic-gate: error: cannot write to standard output: standard output is closed\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["doctor", "--database-url", "sqlite:///x.db", "--url", "postgresql://app:Pw42@db/app"],
        ["graph", "--database-url", "postgresql://app:Pw42@db/app"],
        ["lint", "--database-url=postgresql://app:Pw42@db/app"],
        ["check", "--db", "postgresql://app:Pw42@db/app"],
        ["doctor", "-x", "mysql+pymysql://root:Pw42@db/app?charset=utf8", "--database-url", "x"],
    ],
)
def test_a_usage_error_shows_no_password(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's errors quote the arguments: a URL given to the wrong flag or command
    has its password masked there too."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Pw42" not in err
    assert "***@db/app" in err


def test_a_file_that_fails_a_command_is_named_not_taken_for_standard_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An OSError about a file that no reader turned into a message (the requirements
    folder AG105 listed, once) says which file and why, exit 2; before, it said that
    standard output could not be written."""

    def failing(args: argparse.Namespace) -> int:
        raise PermissionError(13, "Permission denied", "/srv/app/requirements")

    monkeypatch.setattr(main_module, "_command", lambda name: failing)
    assert main(["lint"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "alembic-gate: error: /srv/app/requirements: Permission denied\n"
    assert captured.out == ""
