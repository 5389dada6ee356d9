"""The command line itself: help, version, usage errors."""

from __future__ import annotations

import pytest

from alembic_gate import __version__
from alembic_gate.main import main


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
