"""Finding the Alembic setup: alembic.ini, Flask-Migrate, pyproject.toml, flags.

Nothing here imports project code: `package:dir` script locations are found on disk.

The rules follow alembic's own `Config` and `ScriptDirectory` (alembic >= 1.16):

* an ini is read as `configparser` reads it (a plain one by `plain_ini`, which gives the
  same values without importing it), `here` being the ini's folder; keys missing from the ini
  section fall back to `[tool.alembic]` of the current directory's pyproject.toml, as alembic
  does; in `[tool.alembic]`, `%(here)s` is the pyproject.toml's folder;
* relative paths are relative to the current directory, not to the config file;
* `version_locations` is split on `path_separator` (or the deprecated `version_path_separator`,
  or on spaces and commas when neither is set) and defaults to `<script_location>/versions`;
* Flask-Migrate reads `<directory>/alembic.ini` and uses `<directory>` as the script location.
"""

from __future__ import annotations

import _ast as ast  # the node classes, without `ast` itself: shared/syntax.py
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence

from alembic_gate.errors import UsageError
from alembic_gate.setup.toml import load_toml
from alembic_gate.shared import syntax
from alembic_gate.shared.files import read_regular
from alembic_gate.shared.paths import display_path, up_from
from alembic_gate.shared.records import field, record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    import configparser
    from typing import Any, Literal

    from alembic_gate.shared.paths import StrPath

# Paths are strings here (absolute and normal: os.path.abspath), and `pathlib` is not
# imported: lint's start-up would pay ~3 ms for it. Callers may pass Path objects
# (`StrPath`); what a setup holds is strings.

DEFAULT_VERSION_TABLE = "alembic_version"

# alembic.config.Config._get_file_separator_char
_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}
# alembic's legacy splitting when no path_separator is configured. Patterns that most
# runs never use are kept as text, compiled by `re` when first used (~0.5 M instructions
# each, for every run if compiled here).
_LEGACY_SPLIT = r", *|(?: +)"
_LEGACY_SYS_PATH_SPLIT = r", *|(?: +)|\:"
# alembic.script.base: which file names are revisions
_SOURCE_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
_SOURCELESS_FILE = r"(?!\.\#|__init__)(.*\.py)(c|o)?$"
# What marks a Flask-Migrate env.py: its template imports `current_app` from flask (an
# env.py that builds a Flask app of its own, as gramps-web-api's does, runs under plain
# alembic), or it imports flask_migrate.
_FLASK_MIGRATE = "flask_migrate"
_FLASK_APP_NAME = "current_app"


@record(frozen=True)
class AlembicSetup:
    """One Alembic environment, as far as static reading can tell. Its paths are
    strings, absolute and normal."""

    # The alembic.ini / pyproject.toml it came from; None when built from --versions.
    config_path: str | None
    # The ini section (alembic's -n/--name), "alembic" by default.
    section: str
    # The folder holding env.py; None when built from --versions.
    script_location: str | None
    # Folders holding revision files, in alembic's order.
    version_locations: tuple[str, ...]
    recursive: bool = False
    sourceless: bool = False
    # A Flask-Migrate layout: fixes are also printed as `flask db ...`.
    flask: bool = False
    version_table: str = "alembic_version"
    version_table_schema: str | None = None
    # env.py passes `version_table=` an expression (fief's f"{TABLE_PREFIX}..."), which
    # static reading cannot tell: `version_table` is alembic's default then.
    version_table_computed: bool = False
    # What alembic would warn about while reading this configuration, for the caller to show.
    notes: tuple[str, ...] = ()
    # The folder alembic runs in for this setup, which relative paths in its config are
    # read from: the current directory, or (a setup found across a repository) its own.
    working_dir: str | None = field(default=None, compare=False)


def find_setups(
    configs: Sequence[str],
    name: str,
    versions: Sequence[str],
    recursive: bool,
    cwd: StrPath | None = None,
    notes: list[str] | None = None,
) -> list[AlembicSetup]:
    """The environments named by -c/--config, -n/--name, --versions and --recursive.

    Without -c or --versions, the first of `alembic.ini`, `migrations/alembic.ini` and
    `pyproject.toml` with `[tool.alembic]` in `cwd`; where there is none and `cwd` lies
    in a git work tree, every setup the repository tracks below it (repository.py),
    with why a tracked config was left out added to `notes`. Each -c file is one
    environment; two that read the same folders are reported once. Raises UsageError
    when nothing usable is found.
    """
    base = os.path.abspath(os.getcwd() if cwd is None else cwd)
    if versions:
        if configs:
            raise UsageError("--versions reads revision folders directly; drop -c/--config")
        folders = tuple(_absolute(base, folder) for folder in versions)
        return [AlembicSetup(None, name, None, folders, recursive=recursive, working_dir=base)]
    if recursive:
        raise UsageError(
            "--recursive only applies to --versions "
            "(a config file sets recursive_version_locations itself)"
        )
    if not configs:
        here = _discover(name, base)
        return [here] if here is not None else _in_repository(name, base, notes)
    setups: list[AlembicSetup] = []
    for config in configs:
        add_new(setups, _setup_from_file(_absolute(base, config), name, base))
    return setups


def _in_repository(name: str, base: str, notes: list[str] | None) -> list[AlembicSetup]:
    from pathlib import Path  # (a repository's setups: not the common case)

    from alembic_gate.setup.repository import repository_setups, tracked_configs

    missing = (
        f"no Alembic setup found in {base}: no alembic.ini, migrations/alembic.ini or "
        "pyproject.toml with [tool.alembic]"
    )
    tracked = tracked_configs(Path(base))
    if tracked is None:
        raise UsageError(f"{missing}; pass -c FILE or --versions DIR")
    found = repository_setups(name, Path(base), tracked)
    if not found.setups:
        why = "".join(f"\n  {reason}" for reason in found.skipped)
        raise UsageError(
            f"{missing}, and none that this git repository tracks below it could be "
            f"used; pass -c FILE (with -n SECTION) or --versions DIR{why}"
        )
    if notes is not None:
        notes.extend(found.skipped)
    return found.setups


def revision_files(setup: AlembicSetup) -> tuple[list[str], list[str]]:
    """The paths of the revision files alembic would load: `.py` sources, then sourceless
    `.pyc`/`.pyo` ones, as strings (Path objects for a thousand files cost twice what
    listing them does: the cache and RevisionFile hold strings).

    Follows `ScriptDirectory._load_revisions`: version locations in order, files sorted, subfolders
    (sorted) only when recursive, `__pycache__` only for sourceless revisions, a file reached twice
    listed once. A symbolic link is taken as alembic takes it, as the file it points to
    (`_through_links`). The second list is empty unless `setup.sourceless`.
    """
    listed = _listed_folders(setup)
    if any(links for _, _, _, links in listed):
        return _split(_through_links(listed), setup.sourceless)
    sources: list[str] = []
    compiled: list[str] = []
    for folder, _, names, _ in listed:
        if not setup.sourceless:  # the common case: a name test, no syscall
            # os.path.join(folder, name): the folder is normal, and a listed name
            # holds no separator.
            prefix = folder if folder.endswith(os.sep) else folder + os.sep
            match = _SOURCE_FILE.match
            sources += [prefix + name for name in names if match(name)]
            continue
        for name in names:
            path = os.path.join(folder, name)
            kind = _revision_kind(path, setup.sourceless)
            if kind == "source":
                sources.append(path)
            elif kind == "compiled":
                compiled.append(path)
    return sources, compiled


# A listed folder: its path, its real path, its files' names (sorted), and which of them
# are symbolic links.
_Listed = tuple[str, str, list[str], list[str]]


def _listed_folders(setup: AlembicSetup) -> list[_Listed]:
    """Every folder alembic lists for `setup`, in its order. The same folder reached
    twice (a repeated or nested location, a link to a location) lists once: alembic
    skips each file whose real path it has loaded, and a file that is no link has the
    real path of its folder (resolving each file would cost a syscall per path
    component)."""
    listed: list[_Listed] = []
    seen: set[str] = set()
    for location in setup.version_locations:
        if not _is_folder(location):
            if _skipped(location, setup):
                continue
            raise UsageError(f"version location {location} does not exist or is not a folder")
        for folder, names, links in _listed_files(location, setup):
            real = os.path.realpath(folder)
            if real not in seen:
                seen.add(real)
                listed.append((folder, real, names, links))
    return listed


def _is_folder(location: str) -> bool:
    """Whether the version location `location` is a folder; a UsageError where it cannot
    be listed or reached (its or a parent's permissions: alembic stops there with a
    PermissionError), which taken for a missing or empty one would pass an unread
    history with AG011's warning only."""
    try:
        os.scandir(location).close()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        raise UsageError(f"cannot list version location {location}: {error.strerror}") from None
    return True


def _through_links(listed: list[_Listed]) -> list[tuple[str, str | None]]:
    """Each listed file as `_load_revisions` takes it when some are symbolic links: by
    the real path it resolves to, loaded once (a link to a file listed already, in this
    folder or another location, is skipped, as alembic skips it with "loaded twice!
    ignoring"), and judged by the name and folder of that real path. Gives (path,
    real path) pairs: a link's path is its target (in its folder where it lies there);
    a dangling link keeps its own path, so that reading it says why it fails; a link in
    a loop has no real path (None) up to Python 3.12, for alembic fails on it whatever
    its name (on 3.13, the path Path.resolve gives it: `_link_target`)."""
    found: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for folder, real, names, links in listed:
        linked = set(links)
        for name in names:
            path = os.path.join(folder, name)
            if name not in linked:
                target: str | None = os.path.join(real, name)
            else:
                path, target = _link_target(path, folder, real)
            if target is None or target not in seen:
                found.append((path, target))
                if target is not None:
                    seen.add(target)
    return found


# Whether Path.resolve, which alembic takes each listed file's real path with, gives a
# link in a loop a path (os.path.realpath's, the link's own where the loop is its last
# part), as Python 3.13's does: alembic then judges it by that path's name, and skips a
# name that is no revision file's. Up to 3.12 it raises (RuntimeError), whatever the name.
_LOOPS_RESOLVE = sys.version_info >= (3, 13)


def _link_target(link: str, folder: str, real: str) -> tuple[str, str | None]:
    """The path to read for the symbolic link `link` in `folder` (whose real path is
    `real`), and the real path alembic resolves it to (None: a loop, which
    `Path.resolve` raises on up to Python 3.12)."""
    import errno  # (only for a versions folder holding links)

    try:
        target = os.path.realpath(link, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not _LOOPS_RESOLVE:
            return link, None
        # dangling, or a loop on 3.13: judged by the name Path.resolve gives; reading the
        # link then fails as loading it fails alembic
        return link, os.path.realpath(link)
    if os.path.dirname(target) == real:
        return os.path.join(folder, os.path.basename(target)), target
    return target, target


def _split(found: list[tuple[str, str | None]], sourceless: bool) -> tuple[list[str], list[str]]:
    """`revision_files` of `_through_links`'s pairs: each judged by its real path."""
    sources: list[str] = []
    compiled: list[str] = []
    for path, target in found:
        kind = "source" if target is None else _revision_kind(target, sourceless)
        if kind == "source":
            sources.append(path)
        elif kind == "compiled":
            compiled.append(path)
    return sources, compiled


def static_version_table(script_location: StrPath) -> tuple[str, str | None]:
    """`version_table` and `version_table_schema`, when env.py passes them as literals.

    Reads `<script_location>/env.py` with `ast`: a keyword given the same literal in every
    `configure(...)` call that passes it is taken; anything else gives alembic's defaults.
    """
    table, schema, _, _ = _read_env(os.fspath(script_location))
    return table, schema


# --- where the configuration is -------------------------------------------------------------


def _discover(name: str, base: str) -> AlembicSetup | None:
    for ini in (os.path.join(base, "alembic.ini"), os.path.join(base, "migrations", "alembic.ini")):
        if os.path.isfile(ini):
            return setup_from_ini(ini, name, base)
    pyproject = os.path.join(base, "pyproject.toml")
    if os.path.isfile(pyproject) and tool_alembic(pyproject, base) is not None:
        return setup_from_toml(pyproject, name, base)
    return None


def _setup_from_file(path: str, name: str, base: str) -> AlembicSetup:
    if not os.path.exists(path):
        raise UsageError(f"config file not found: {display_path(path, base)}")
    if not os.path.isfile(path):
        raise UsageError(f"config file is not a file: {display_path(path, base)}")
    if _suffix(path) == ".toml":
        return setup_from_toml(path, name, base)
    return setup_from_ini(path, name, base)


def setup_from_ini(
    ini: StrPath, name: str, base: StrPath, root: StrPath | None = None
) -> AlembicSetup:
    """The setup of section `name` of `ini`, as alembic sees it when run in `base`;
    messages show paths relative to `root` (default: `base`)."""
    ini, base = os.path.abspath(ini), os.path.abspath(base)
    root = None if root is None else os.path.abspath(root)
    shown = root or base
    parser = _read_ini_for(ini, name, shown)
    if not parser.has_section(name):
        raise UsageError(f"{display_path(ini, shown)} has no [{name}] section")
    options = _Options(base, ini, parser, name, root=root)
    folder = os.path.dirname(ini)
    if options.ini_value("script_location") is None and _has_env(folder):
        # Flask-Migrate: `<directory>/alembic.ini`, script_location set to `<directory>`
        return _build(options, folder, flask=True)
    pyproject = os.path.join(base, "pyproject.toml")
    if os.path.isfile(pyproject):
        options.toml = tool_alembic(pyproject, shown) or {}
        options.toml_path = pyproject
    location = _script_location(options)
    if _run_by_flask_migrate(ini, location):
        options.notes.append(
            f"{options.where('script_location')}: {display_path(location, shown)} holds no "
            f"env.py; read as Flask-Migrate runs it, from {display_path(folder, shown)}/ "
            "(it sets script_location to the folder of its alembic.ini)"
        )
        return _build(options, folder, flask=True)
    return _build(options, location, flask=False)


def _run_by_flask_migrate(ini: str, location: str) -> bool:
    """Whether an ini whose script_location (`location`) holds no env.py, so that alembic
    cannot run it, sits beside a Flask-Migrate env.py: `flask db` sets script_location to
    the ini's folder whatever the ini says (ihatemoney's `script_location = .`)."""
    folder = os.path.dirname(ini)
    if location == folder or _has_env(location):
        return False
    return _has_env(folder) and _read_env(folder)[2]


def _has_env(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "env.py"))


def setup_from_toml(
    pyproject: StrPath, name: str, base: StrPath, root: StrPath | None = None
) -> AlembicSetup:
    """The setup of `[tool.alembic]` in `pyproject`, as alembic sees it run in `base`."""
    pyproject, base = os.path.abspath(pyproject), os.path.abspath(base)
    root = None if root is None else os.path.abspath(root)
    shown = root or base
    table = tool_alembic(pyproject, shown)
    if table is None:
        raise UsageError(f"{display_path(pyproject, shown)} has no [tool.alembic] table")
    options = _Options(base, pyproject, None, name, table, pyproject, root=root)
    return _build(options, _script_location(options), flask=False)


def read_ini(ini: StrPath, base: StrPath) -> configparser.ConfigParser:
    # alembic.config.Config.file_config: `here` as a default, the locale's encoding
    import configparser

    ini = os.fspath(ini)
    parser = configparser.ConfigParser({"here": _posix(os.path.dirname(ini))})
    try:
        with open(ini, encoding="locale") as file:
            parser.read_file(file, source=ini)
    except OSError as exc:
        raise UsageError(f"cannot read {display_path(ini, base)}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {display_path(ini, base)}: {exc.reason}") from exc
    except configparser.Error as exc:
        raise UsageError(
            f"{display_path(ini, base)} is not a valid ini file: {_one_line(exc)}"
        ) from exc
    return parser


def _read_ini_for(ini: str, name: str, base: str) -> PlainIni | configparser.ConfigParser:
    """`read_ini`, for section `name`: a plain ini is read without `configparser`, whose
    import and patterns cost ~8 M instructions a run (~3% of a pre-commit run)."""
    try:
        with open(ini, encoding="locale") as file:
            lines = file.readlines()
    except (OSError, UnicodeDecodeError):  # the same errors, as configparser reads
        lines = None
    plain = None if lines is None else plain_ini(lines, name, _posix(os.path.dirname(ini)))
    return read_ini(ini, base) if plain is None else plain


class PlainIni:
    """What `configparser.ConfigParser` reads from an ini that `plain_ini` takes: its
    section names, and one section's values (the defaults' `here` included), interpolated."""

    __slots__ = ("section", "sections", "values")

    def __init__(self, sections: set[str], section: str, values: dict[str, str]) -> None:
        self.sections = sections
        self.section = section  # the one section with `values`
        self.values = values

    def has_section(self, name: str) -> bool:
        return name in self.sections

    def has_option(self, section: str, key: str) -> bool:
        return section == self.section and key.lower() in self.values

    def get(self, section: str, key: str) -> str:
        if section != self.section:
            raise KeyError(section)
        return self.values[key.lower()]


def plain_ini(lines: Sequence[str], name: str, here: str) -> PlainIni | None:
    """The ini `lines` as `configparser.ConfigParser({"here": here})` reads them, for
    section `name`, when they keep to what most alembic.ini files hold: comments, blank
    lines, `[section]` headers other than DEFAULT, each once, and `key = value` lines
    that start in the first column (no continued values), each key once a section, and
    in section `name` no `%` but `%%` and `%(key)s` of a key without `%`. None for any
    other ini, which `configparser` reads (errors included)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue  # configparser's blank lines and whole-line comments
        if line[0].isspace():
            return None  # continues a value, or starts one configparser indents
        if stripped[0] == "[":
            header = stripped[1:-1]
            if stripped[-1] != "]" or not header or header == "DEFAULT":
                return None
            if header in sections:
                return None  # configparser's DuplicateSectionError
            current = sections[header] = {}
            continue
        delimiter = _first_delimiter(stripped)
        if current is None or delimiter <= 0:
            return None  # no section header yet, no key, or no delimiter
        key = stripped[:delimiter].rstrip().lower()
        if key in current:
            return None  # configparser's DuplicateOptionError
        current[key] = stripped[delimiter + 1 :].strip()
    return _plain_section(sections, name, here)


def _first_delimiter(line: str) -> int:
    """Where the first `=` or `:` is (configparser's delimiters), -1 when neither is."""
    found = [at for at in (line.find("="), line.find(":")) if at >= 0]
    return min(found) if found else -1


def _plain_section(sections: dict[str, dict[str, str]], name: str, here: str) -> PlainIni | None:
    raw = {"here": here, **sections.get(name, {})}
    values = {}
    for key, value in raw.items():
        done = _interpolated(value, raw)
        if done is None:
            return None
        values[key] = done
    return PlainIni(set(sections), name, values)


def _interpolated(value: str, raw: dict[str, str]) -> str | None:
    """`configparser.BasicInterpolation` of `value`: `%%` and `%(key)s` of a key without
    `%`; None for anything else (nested, missing or bad references, for configparser)."""
    parts = []
    rest = value
    while "%" in rest:
        at = rest.index("%")
        parts.append(rest[:at])
        rest = rest[at:]
        if rest.startswith("%%"):
            parts.append("%")
            rest = rest[2:]
            continue
        close = rest.find(")")
        if not rest.startswith("%(") or rest[close + 1 : close + 2] != "s":
            return None
        found = raw.get(rest[2:close].lower())
        if found is None or "%" in found:
            return None
        parts.append(found)
        rest = rest[close + 2 :]
    parts.append(rest)
    return "".join(parts)


def tool_alembic(pyproject: StrPath, base: StrPath) -> dict[str, Any] | None:
    try:
        data = load_toml(pyproject)
    except OSError as exc:
        raise UsageError(f"cannot read {display_path(pyproject, base)}: {exc.strerror}") from exc
    except ValueError as exc:  # TOMLDecodeError, UnicodeDecodeError
        raise UsageError(f"{display_path(pyproject, base)} is not valid TOML: {exc}") from exc
    tool = data.get("tool", {})
    table = tool.get("alembic") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{display_path(pyproject, base)}: [tool.alembic] must be a table")
    return table


# --- reading keys as alembic.config.Config does ------------------------------------------------


@record
class _Options:
    """Keys from the ini section first, then from `[tool.alembic]` (alembic's lookup order)."""

    base: str
    config_path: str
    ini: configparser.ConfigParser | PlainIni | None
    section: str
    toml: Mapping[str, Any] = field(default_factory=dict)
    toml_path: str | None = None
    notes: list[str] = field(default_factory=list)
    # The current directory (paths in messages are relative to it), when `base` is a
    # setup's own folder in a repository.
    root: str | None = None

    @property
    def shown(self) -> str:
        return self.root or self.base

    def where(self, key: str) -> str:
        if self.ini is not None and self.ini.has_option(self.section, key):
            return f"{display_path(self.config_path, self.shown)} [{self.section}] {key}"
        path = self.config_path if self.toml_path is None else self.toml_path
        return f"{display_path(path, self.shown)} [tool.alembic] {key}"

    def ini_value(self, key: str) -> str | None:
        if self.ini is None or not self.ini.has_option(self.section, key):
            return None
        try:
            return self.ini.get(self.section, key)
        except _configparser().Error as exc:  # evaluated only when `get` raises
            raise UsageError(f"{self.where(key)}: {_one_line(exc)}") from exc

    def toml_value(self, key: str) -> Any:
        return _interpolate(self.toml.get(key), self.toml_here(), self.where(key))

    def toml_here(self) -> str:
        path = self.config_path if self.toml_path is None else self.toml_path
        return _posix(os.path.dirname(path))

    def string(self, key: str) -> str | None:
        value = self.ini_value(key)
        if value is not None:
            return value
        value = self.toml_value(key)
        if value is None or isinstance(value, str):
            return value
        raise UsageError(f"{self.where(key)}: expected a string")

    def flag(self, key: str) -> bool:
        value = self.ini_value(key)
        if value is not None:
            if value not in ("true", "false"):
                self.notes.append(
                    f"{self.where(key)} = {value!r} is read as false: alembic only accepts 'true'"
                )
            return value == "true"
        value = self.toml.get(key, False)
        if not isinstance(value, bool):
            raise UsageError(f"{self.where(key)}: expected true or false")
        return value

    def paths(self, key: str, legacy: str, *separators: str) -> list[str] | None:
        value = self.ini_value(key)
        if value:
            items = self.split(key, value, legacy, separators)
            return [item.strip() for item in items if item.strip()]
        listed = self.toml_value(key)
        if listed is None:
            return None
        if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
            return [item for item in listed if item]
        raise UsageError(f"{self.where(key)}: expected a list of paths")

    def split(self, key: str, value: str, legacy: str, names: Sequence[str]) -> list[str]:
        for name in names:
            separator = self.ini_value(name)
            if separator is not None:
                break
        else:
            self.notes.append(
                f"{self.where(key)}: no path_separator in the configuration, so alembic splits "
                "it on spaces and commas, which alembic 1.16 and newer deprecate; with those, "
                "add `path_separator = os` (older ones read only `version_path_separator`)"
            )
            return re.split(legacy, value)
        if separator not in _SEPARATORS:
            raise UsageError(
                f"{self.where(name)}: {separator!r} is not a valid value; "
                "expected 'space', 'newline', 'os', ':', ';'"
            )
        if name == "version_path_separator":
            self.notes.append(
                f"{self.where(name)} is deprecated since alembic 1.16; with 1.16 or newer, "
                "use path_separator (older ones read only version_path_separator)"
            )
        return value.split(_SEPARATORS[separator])


def _interpolate(value: Any, here: str, where: str) -> Any:
    """`%(here)s` and `%%` in `[tool.alembic]` strings, as alembic applies them."""
    try:
        if isinstance(value, str):
            return value % {"here": here}
        if isinstance(value, list):
            return [item % {"here": here} if isinstance(item, str) else item for item in value]
    except (KeyError, ValueError, TypeError) as exc:
        raise UsageError(
            f"{where}: bad %-interpolation ({exc!r}); write a literal % as %%"
        ) from exc
    return value


# --- from keys to folders ----------------------------------------------------------------------


def _script_location(options: _Options) -> str:
    raw = options.string("script_location")
    if not raw:
        raise UsageError(
            f"{display_path(options.config_path, options.shown)}: no script_location in "
            f"[{options.section}] or [tool.alembic]"
        )
    return _locate(raw, options, "script_location")


def _build(options: _Options, script_location: str, *, flask: bool) -> AlembicSetup:
    if not os.path.isdir(script_location):
        hint = _from_root(options, script_location)
        raise UsageError(
            f"{options.where('script_location')}: {display_path(script_location, options.shown)} "
            f"does not exist (relative paths are read from {_run_folder(options)}, as "
            f"alembic does; %(here)s is the config file's folder){hint}"
        )
    listed = options.paths(
        "version_locations", _LEGACY_SPLIT, "path_separator", "version_path_separator"
    )
    folders = tuple(_locate(raw, options, "version_locations") for raw in listed or ())
    _note_missing(options, folders)
    table, schema, imports_flask, computed = _read_env(script_location)
    return AlembicSetup(
        config_path=options.config_path,
        section=options.section,
        script_location=script_location,
        version_locations=folders or (os.path.join(script_location, "versions"),),
        recursive=options.flag("recursive_version_locations"),
        sourceless=options.flag("sourceless"),
        flask=flask or imports_flask,
        version_table=table,
        version_table_schema=schema,
        version_table_computed=computed,
        notes=tuple(dict.fromkeys(options.notes)),
        working_dir=options.base,
    )


# Missing version locations named in the note, before "and N more".
_MISSING_SHOWN = 3


def _note_missing(options: _Options, folders: Sequence[str]) -> None:
    """alembic skips a version location that does not exist (`_load_revisions`:
    `vers.exists()`): keystone and neutron list every release's expand and contract
    folder, made or not. One note names them (the first few)."""
    missing = [display_path(f, options.shown) for f in folders if not os.path.exists(f)]
    if not missing:
        return
    shown = ", ".join(missing[:_MISSING_SHOWN])
    more = f" and {len(missing) - _MISSING_SHOWN} more" if len(missing) > _MISSING_SHOWN else ""
    verb = "does" if len(missing) == 1 else "do"
    them = "it" if len(missing) == 1 else "them"
    options.notes.append(
        f"{options.where('version_locations')}: {shown}{more} {verb} not exist; "
        f"alembic skips {them}"
    )


def _from_root(options: _Options, script_location: str) -> str:
    """For a repository's setup read from its own folder: how to lint it where its script
    folder, read from the current directory instead, exists (openstack/mistral's ini names
    its scripts from the repository's root, where the project runs alembic with -c)."""
    if options.root is None or options.root == options.base:
        return ""
    relative = os.path.relpath(script_location, options.base)
    there = os.path.join(options.root, relative)
    if relative.startswith(os.pardir) or not os.path.isdir(there):
        return ""
    config = display_path(options.config_path, options.root)
    return (
        f"; {display_path(there, options.root)} exists from the current directory: lint it "
        f"from there with -c {config}"
    )


def _run_folder(options: _Options) -> str:
    if options.root is None or options.root == options.base:
        return "the current directory"
    return f"{display_path(options.base, options.root)}/, where alembic runs for this config"


def _locate(raw: str, options: _Options, key: str) -> str:
    """A path (relative to the current directory) or a `package:dir` resource, on disk."""
    if os.path.isabs(raw) or ":" not in raw:
        return _absolute(options.base, raw)
    package, *parts = raw.split(":")
    roots = _package_roots(options, package)
    folder = _find_package(package, roots)
    if folder is None:
        raise UsageError(
            f"{options.where(key)}: cannot find package {package!r} of {raw!r} on disk "
            "(looked in prepend_sys_path, the current directory, the config file's folder, "
            "their src/ folders, the package the config file lies in, and sys.path); "
            "alembic-gate never imports it"
        )
    return os.path.normpath(os.path.join(folder, *parts))


def _package_roots(options: _Options, package: str) -> list[str]:
    prepended = options.paths("prepend_sys_path", _LEGACY_SYS_PATH_SPLIT, "path_separator") or []
    here = os.path.dirname(options.config_path)
    roots = [_absolute(options.base, entry) for entry in prepended]
    roots += [options.base, here, os.path.join(options.base, "src"), os.path.join(here, "src")]
    # A config file inside the package it names (src/app/alembic.ini naming
    # `app:migrations`): the folder holding that package, however far up.
    top = package.split(".")[0]
    roots += [os.path.dirname(f) for f in up_from(here) if os.path.basename(f) == top]
    roots += [os.path.normpath(entry) for entry in sys.path if entry]
    return list(dict.fromkeys(root for root in roots if os.path.isdir(root)))


def _find_package(dotted: str, roots: Sequence[str]) -> str | None:
    """Where `import dotted` would find a package: a regular one first, else a namespace one."""
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    folders = [os.path.join(root, *parts) for root in roots]
    for folder in folders:
        if os.path.isfile(os.path.join(folder, "__init__.py")):
            return folder
    return next((folder for folder in folders if os.path.isdir(folder)), None)


def add_new(setups: list[AlembicSetup], setup: AlembicSetup) -> None:
    """Add `setup` to `setups` unless one of them reads the same folders already."""
    if all(_folders(setup) != _folders(seen) for seen in setups):
        setups.append(setup)


def _folders(setup: AlembicSetup) -> tuple[str | None, tuple[str, ...]]:
    return setup.script_location, setup.version_locations


# --- revision files ----------------------------------------------------------------------------


def _skipped(location: str, setup: AlembicSetup) -> bool:
    """A version location that is no folder and holds no revisions, as alembic reads it:
    a missing one a config names (noted when the setup was read; a missing --versions
    DIR is a mistake on the command line), or a fresh project's versions/."""
    if setup.config_path is not None and not os.path.exists(location):
        return True
    return _fresh_project(location, setup)


def _fresh_project(location: str, setup: AlembicSetup) -> bool:
    """`alembic init` makes an empty versions/ folder, which git does not keep: a
    missing default location under an existing script folder just holds no revisions."""
    script = setup.script_location
    if script is None or not os.path.isdir(script):
        return False
    return location == os.path.join(script, "versions")


def _listed_files(location: str, setup: AlembicSetup) -> Iterator[tuple[str, list[str], list[str]]]:
    """`Script._list_py_dir`: each folder with its files' names, before the name filter,
    and which of them are symbolic links."""
    for folder, dirs, files, links in _walk(location):
        if os.path.basename(folder).endswith("__pycache__"):
            continue
        names = sorted(files)
        yield folder, names, links
        if setup.sourceless:
            cache = os.path.join(folder, "__pycache__")
            cached = _cached_without_source(folder, names)
            yield cache, cached, [n for n in cached if os.path.islink(os.path.join(cache, n))]
        if not setup.recursive:
            break
        dirs.sort()


# Whether alembic walks a version location with Path.walk (alembic's compat.path_walk,
# on Python 3.12 and later), which lists a link to a folder among the files: it is then
# judged by its real path's name, as any link (a folder named `x.py` fails to load).
# os.walk, before 3.12, lists it among the folders (not walked into, so never loaded).
_FOLDER_LINKS_ARE_FILES = sys.version_info >= (3, 12)


def _walk(top: str) -> Iterator[tuple[str, list[str], list[str], list[str]]]:
    """`os.walk(top)`, top-down (the caller may sort or prune a folder's subfolders
    before they are walked), with the names of each folder's files that are symbolic
    links, which `os.scandir` tells without a syscall. As in os.walk, a link to a folder
    is not walked into, anything else (a dangling link too) is a file, and a folder that
    cannot be listed is skipped; a link to a folder is a file on Python 3.12 and later,
    as Path.walk takes it (`_FOLDER_LINKS_ARE_FILES`), a folder before."""
    stack = [top]
    while stack:
        folder = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        links: list[str] = []
        linked_dirs: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if not is_dir:
                        files.append(entry.name)
                        if entry.is_symlink():
                            links.append(entry.name)
                        continue
                    if entry.is_symlink():
                        if _FOLDER_LINKS_ARE_FILES:
                            files.append(entry.name)
                            links.append(entry.name)
                            continue
                        linked_dirs.append(entry.name)
                    dirs.append(entry.name)
        except OSError:
            continue
        yield folder, dirs, files, links
        stack += [os.path.join(folder, d) for d in reversed(dirs) if d not in linked_dirs]


def revision_folders_near(setup: AlembicSetup, limit: int = 2000) -> list[tuple[str, int]]:
    """Folders that hold revision files alembic does not read for `setup`, with how many:
    subfolders of its version locations (when not recursive), and the script location's
    folders when its own versions/ folder is missing. For a history found empty (AG011);
    at most `limit` folders are looked at."""
    roots = [loc for loc in setup.version_locations if os.path.isdir(loc)]
    if not roots and setup.script_location is not None:
        roots = [setup.script_location]
    found: dict[str, int] = {}
    seen = 0
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
            seen += 1
            if seen > limit:
                return list(found.items())
            count = sum(1 for name in names if _looks_like_revision(os.path.join(folder, name)))
            if count and folder not in setup.version_locations:
                found[folder] = count
    return list(found.items())


def _looks_like_revision(path: str) -> bool:
    name = os.path.basename(path)
    if not _SOURCE_FILE.match(name) or name == "env.py":
        return False
    try:
        head = read_regular(path)
    except OSError:
        return False
    return assigns_revision(head)


def assigns_revision(source: bytes) -> bool:
    """Whether a module's source assigns `revision` and `down_revision` at module level,
    as a revision file does (a docstring line or a comment that names them is not one:
    MLflow's trace_analytics modules)."""
    return _ASSIGNS_REVISION.search(source) is not None and _ASSIGNS_DOWN.search(source) is not None


_ASSIGNS_REVISION = re.compile(rb"^revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_ASSIGNS_DOWN = re.compile(rb"^down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)


def _cached_without_source(folder: str, names: Sequence[str]) -> list[str]:
    cache = os.path.join(folder, "__pycache__")
    if not os.path.isdir(cache):
        return []
    stems = {name.split(".")[0] for name in names}
    try:
        cached = os.listdir(cache)
    except OSError as error:
        raise UsageError(f"cannot list {cache}: {error.strerror}") from None
    return sorted(name for name in cached if name.split(".")[0] not in stems)


def _revision_kind(path: str, sourceless: bool) -> Literal["source", "compiled"] | None:
    """`Script._from_path`'s filter: which files alembic loads as revisions."""
    name = os.path.basename(path)
    if not sourceless:
        return "source" if _SOURCE_FILE.match(name) else None
    match = re.match(_SOURCELESS_FILE, name)
    if match is None:
        return None
    if match.group(2) is None:
        return "source"
    source = os.path.join(os.path.dirname(path), match.group(1))
    if os.path.exists(source) or (match.group(2) == "o" and os.path.exists(source + "c")):
        return None
    return "compiled"


# --- env.py, read with ast -----------------------------------------------------------------------


def _parse_env(script_location: str) -> ast.Module | None:
    try:  # a regular file only: a FIFO's read would block
        source = read_regular(os.path.join(script_location, "env.py"))
    except OSError:
        return None
    if not _may_tell(source):
        return None
    try:
        return syntax.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # (nested too deep)
        return None


def _may_tell(source: bytes) -> bool:
    """Whether parsing env.py can find anything: an ASCII file with no coding cookie is
    read as it is written, so a `version_table` keyword or an import of flask shows in
    its bytes (names written in other scripts are normalized, a cookie may change what
    the bytes mean: those are parsed). The usual env.py has neither, and parsing and
    walking it cost ~0.5 ms of every run."""
    if not source.isascii() or b"coding" in source:
        return True
    return b"version_table" in source or b"flask" in source


def _read_env(script_location: str) -> tuple[str, str | None, bool, bool]:
    """What is read of env.py, in one parse and one walk: the version table and its
    schema (`static_version_table`), whether it is Flask-Migrate's (imports flask's
    current_app, or flask_migrate), and whether it passes `version_table=` an expression."""
    tree = _parse_env(script_location)
    if tree is None:  # unreadable, not Python, or nothing to find (`_may_tell`)
        return DEFAULT_VERSION_TABLE, None, False, False
    literals: dict[str | None, list[object]] = {"version_table": [], "version_table_schema": []}
    modules: set[str] = set()
    from_flask: set[str] = set()
    for node in syntax.walk(tree):
        if isinstance(node, ast.Call) and _is_configure(node.func):
            _add_literals(node, literals)
        elif isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
            if node.module == "flask":
                from_flask.update(alias.name for alias in node.names)
    tables, schemas = literals["version_table"], literals["version_table_schema"]
    table = tables[0] if len(tables) == 1 and isinstance(tables[0], str) else None
    schema = schemas[0] if len(schemas) == 1 and isinstance(schemas[0], str) else None
    flask = _FLASK_MIGRATE in modules or _FLASK_APP_NAME in from_flask
    computed = any(isinstance(value, ast.AST) for value in tables)
    return table or DEFAULT_VERSION_TABLE, schema, flask, computed


def _add_literals(call: ast.Call, literals: dict[str | None, list[object]]) -> None:
    """The distinct values `call` gives the keywords in `literals`; non-literals as such."""
    for item in call.keywords:
        values = literals.get(item.arg)
        if values is not None:
            value = item.value.value if isinstance(item.value, ast.Constant) else item.value
            if value not in values:
                values.append(value)


def _is_configure(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "configure"
    return isinstance(func, ast.Name) and func.id == "configure"


# --- small helpers -----------------------------------------------------------------------------


def _configparser() -> Any:
    import configparser

    return configparser


def _absolute(base: str, path: str) -> str:
    return os.path.normpath(os.path.join(base, path))


def _suffix(path: str) -> str:
    """Path's `suffix`: the last dot's part of the name."""
    return os.path.splitext(os.path.basename(path))[1]


def _posix(path: str) -> str:
    """Path's `as_posix()`."""
    return path if os.sep == "/" else path.replace(os.sep, "/")


def _one_line(exc: Exception) -> str:
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
