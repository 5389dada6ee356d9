"""The commands a person runs to fix what a finding reports: `alembic ...`, or
`flask db ...` for Flask-Migrate projects. Lint rules, check and doctor all print them."""

from __future__ import annotations

import os

from alembic_gate.shared.paths import display_path

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from alembic_gate.setup.discovery import AlembicSetup
    from alembic_gate.shared.paths import StrPath


def quote(word: str) -> str:
    """`shlex.quote`, imported only when a command is written (a finding to fix)."""
    import shlex

    return shlex.quote(word)


def alembic_command(setup: AlembicSetup, cwd: StrPath, subcommand: str, rest: str) -> str:
    """`alembic [-c CONFIG] [-n NAME] SUBCOMMAND REST`, as run from `cwd`."""
    words = ["alembic"]
    config = setup.config_path
    defaults = {_real(cwd, "alembic.ini"), _real(cwd, "pyproject.toml")}
    if config is not None and _real(config) not in defaults:
        words += ["-c", quote(display_path(config, cwd))]
    if setup.section != "alembic":
        words += ["-n", quote(setup.section)]
    return " ".join([*words, subcommand, rest])


def flask_command(setup: AlembicSetup, cwd: StrPath, subcommand: str, rest: str) -> str:
    """`flask db SUBCOMMAND [-d DIRECTORY] REST` (Flask-Migrate's default: migrations)."""
    words = ["flask", "db", subcommand]
    folder = setup.script_location
    if folder is not None and _real(folder) != _real(cwd, "migrations"):
        words += ["-d", quote(display_path(folder, cwd))]
    return " ".join([*words, rest])


def fix_command(setup: AlembicSetup, cwd: StrPath, subcommand: str, rest: str) -> str:
    """The command this setup's users run: `flask db ...` for Flask-Migrate, else `alembic ...`;
    for a setup found in a subfolder of a repository, run in that folder (`cd backend && ...`),
    where its relative paths mean what they say."""
    command = flask_command if setup.flask else alembic_command
    folder = setup.working_dir
    if folder is None or folder == os.fspath(cwd):
        return command(setup, cwd, subcommand, rest)
    return f"cd {quote(display_path(folder, cwd))} && {command(setup, folder, subcommand, rest)}"


def _real(path: StrPath, *names: str) -> str:
    """The path with its symbolic links resolved (Path.resolve())."""
    return os.path.realpath(os.path.join(path, *names))
