"""Every Alembic setup a git repository tracks: how a monorepo is linted from its root.

pre-commit runs hooks at the repository root, where most projects keep no alembic.ini:
it lives in `backend/`, `server/`, `app/migrations/`. Where the current directory holds
no setup and lies in a git work tree, each tracked `alembic.ini`, Flask-Migrate
`<folder>/migrations/alembic.ini` and `pyproject.toml` with `[tool.alembic]` below it
is a setup, resolved as if alembic ran in its own folder (the ini's folder, or the
folder holding `migrations/`): a relative `script_location` is read from there.

What a repository tracks is not always a working config: an ini that is a template
(`script_location = {alembic_dir}`), or one whose only sections are named ones
(`alembic -n core`), or one that only configures logging. Named sections that set a
`script_location` are each a setup (as `alembic -n NAME` runs them); a config that
cannot be resolved is skipped with a note, and only when nothing is left is that an
error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from alembic_gate.errors import UsageError
from alembic_gate.setup.discovery import (
    AlembicSetup,
    add_new,
    read_ini,
    setup_from_ini,
    setup_from_toml,
    tool_alembic,
)
from alembic_gate.shared.files import read_regular
from alembic_gate.shared.paths import display_path
from alembic_gate.shared.records import field, record

DEFAULT_SECTION = "alembic"
_PATTERNS = (":(glob)**/alembic.ini", ":(glob)**/pyproject.toml")


@record
class Found:
    """The setups of a repository, and why tracked configs were left out."""

    setups: list[AlembicSetup] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def tracked_configs(cwd: Path) -> list[Path] | None:
    """The alembic.ini and pyproject.toml files git tracks below `cwd` (staged ones
    too), sorted; None when `cwd` is not in a git work tree (or git is missing)."""
    try:
        result = subprocess.run(
            ["git", "-C", str(cwd), "ls-files", "-z", "--", *_PATTERNS],
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted(cwd / name for name in names if name)


def repository_setups(name: str, cwd: Path, configs: list[Path]) -> Found:
    """The setups of the tracked `configs`, each resolved from its own folder. `name`
    is the ini section (-n); the default one, "alembic", also lets named sections in."""
    found = Found()
    inis = {path.parent for path in configs if path.name == "alembic.ini"}
    for path in configs:
        if not path.is_file():
            continue  # tracked but deleted in the work tree
        try:
            if path.name == "alembic.ini":
                setups = _from_ini(path, name, cwd)
            elif path.parent in inis or not _has_tool_alembic(path, cwd):
                continue  # alembic.ini beside it is what alembic reads
            else:
                setups = [setup_from_toml(path, name, path.parent, cwd)]
        except UsageError as exc:
            found.skipped.append(f"{display_path(path, cwd)} is not used: {exc}")
            continue
        for setup in setups:
            add_new(found.setups, setup)
    return found


def _from_ini(ini: Path, name: str, cwd: Path) -> list[AlembicSetup]:
    """A Flask-Migrate `migrations/alembic.ini` runs from the folder above it; any other
    ini from its own folder. Each named section that sets script_location is a setup too
    (`alembic -n SECTION`): beside a usable [name] section, those that set one of their
    own, not [DEFAULT]'s."""
    folders = [ini.parent]
    if ini.parent.name == "migrations":
        folders.insert(0, ini.parent.parent)
    setups: list[AlembicSetup] = []
    first_error: UsageError | None = None
    for folder in folders:
        try:
            setups = [setup_from_ini(ini, name, folder, cwd)]
            break
        except UsageError as exc:
            first_error = first_error or exc
    if name == DEFAULT_SECTION and (not setups or _sets_several_locations(ini)):
        try:
            sections = _named_sections(ini, name, cwd, own=bool(setups))
        except UsageError as exc:
            sections, first_error = [], first_error or exc
        for section in sections:
            try:
                setups.append(setup_from_ini(ini, section, ini.parent, cwd))
            except UsageError as exc:
                first_error = first_error or exc
    if not setups and first_error is not None:
        raise first_error
    return setups


def _sets_several_locations(ini: Path) -> bool:
    """Whether more than one line of `ini` sets script_location: only then can a named
    section beside [alembic] set its own (configparser, which reads the named sections,
    costs a run ~3%: setup/discovery.py's `plain_ini`)."""
    try:
        lines = read_regular(ini, 1 << 20).splitlines()
    except OSError:
        return False
    return sum(line.lstrip().lower().startswith(b"script_location") for line in lines) > 1


def _named_sections(ini: Path, name: str, cwd: Path, own: bool) -> list[str]:
    """The sections but `name` that set script_location; with `own`, not those that
    only inherit [DEFAULT]'s ([loggers] of an ini whose [DEFAULT] sets it), and never
    the logging configuration's sections that only inherit it (c2cgeoportal's ini has
    no [alembic]: its [main] and [static] take [DEFAULT]'s script_location and name
    their own version_locations, while [loggers], [handlers] and [logger_root] are
    what env.py's `fileConfig` reads)."""
    parser = read_ini(ini, cwd)
    inherited = parser.defaults().get("script_location")
    found = []
    for section in parser.sections():
        if section == name or not parser.has_option(section, "script_location"):
            continue
        if parser.get(section, "script_location", raw=True) == inherited and (
            own or _is_logging(section)
        ):
            continue
        found.append(section)
    return found


def _is_logging(section: str) -> bool:
    """Whether `logging.config.fileConfig` reads the section."""
    return section in _LOGGING or section.startswith(_LOGGING_PREFIXES)


_LOGGING = frozenset({"loggers", "handlers", "formatters"})
_LOGGING_PREFIXES = ("logger_", "handler_", "formatter_")


def _has_tool_alembic(pyproject: Path, cwd: Path) -> bool:
    try:
        data = read_regular(pyproject, 1 << 20)
    except OSError:
        return False
    return b"alembic" in data and tool_alembic(pyproject, cwd) is not None
