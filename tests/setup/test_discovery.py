from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

from alembic_gate.errors import UsageError
from alembic_gate.setup.discovery import (
    AlembicSetup,
    find_setups,
    revision_files,
    static_version_table,
)

PROJECTS = Path(__file__).parent.parent / "projects"
PLAIN = PROJECTS / "plain"
FLASK = PROJECTS / "flask_app"
PYPROJECT = PROJECTS / "pyproject_cfg"
PACKAGE = PROJECTS / "package_location"
MULTI = PROJECTS / "multi_locations"
HERE = PROJECTS / "here_interp"

# Runs real alembic (and Flask-Migrate) in a child process: it imports project packages and
# revision files, which must not leak into this test process.
ALEMBIC_PROBE = """
import json, os, sys
from alembic.config import Config
from alembic.script import ScriptDirectory

args = json.loads(sys.argv[1])
if args["flask"]:
    from flask import Flask
    from flask_migrate import Migrate

    with Flask("probe").app_context():
        config = Migrate().get_config(args["flask"])
else:
    config = Config(args["ini"], toml_file=args["toml"], ini_section=args["section"])
script = ScriptDirectory.from_config(config)
absolute = lambda path: os.path.normpath(os.path.abspath(path))
print(json.dumps({
    "script_location": absolute(script.dir),
    "version_locations": [absolute(path) for path in script._version_locations],
    "files": sorted(str(rev.path) for rev in script.walk_revisions("base", "heads")),
    "recursive": script.recursive_version_locations,
    "sourceless": script.sourceless,
}))
"""


def alembic_view(
    cwd: Path,
    ini: str | None = "alembic.ini",
    toml: str | None = "pyproject.toml",
    flask: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, object]:
    """What alembic itself makes of the setup, run from `cwd` as the `alembic` command would."""
    args = json.dumps({"ini": ini, "toml": toml, "section": "alembic", "flask": flask})
    done = subprocess.run(
        [sys.executable, "-c", ALEMBIC_PROBE, args],
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    view: dict[str, object] = json.loads(done.stdout)
    return view


def our_view(setup: AlembicSetup) -> dict[str, object]:
    sources, compiled = revision_files(setup)
    return {
        "script_location": str(setup.script_location),
        "version_locations": [str(path) for path in setup.version_locations],
        "files": sorted(str(Path(path).resolve()) for path in sources + compiled),
        "recursive": setup.recursive,
        "sourceless": setup.sourceless,
    }


def only_setup(cwd: Path, *configs: str, name: str = "alembic") -> AlembicSetup:
    (setup,) = find_setups(list(configs), name, [], False, cwd=cwd)
    return setup


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def revision(rev: str) -> str:
    return f"revision = {rev!r}\ndown_revision = None\n"


# --- the fixture projects -------------------------------------------------------------------


def test_plain_alembic_ini_in_cwd() -> None:
    assert find_setups([], "alembic", [], False, cwd=PLAIN) == [
        AlembicSetup(
            config_path=str(PLAIN / "alembic.ini"),
            section="alembic",
            script_location=str(PLAIN / "alembic"),
            version_locations=(str(PLAIN / "alembic" / "versions"),),
        )
    ]


def test_plain_revision_files_in_name_order() -> None:
    sources, compiled = revision_files(only_setup(PLAIN))
    versions = PLAIN / "alembic" / "versions"
    assert sources == [
        str(versions / "939dbcec735e_create_account_table.py"),
        str(versions / "c8ad9e954c83_add_account_email.py"),
        str(versions / "f6e2167fe08a_add_account_email_index.py"),
    ]
    assert compiled == []


def test_flask_migrate_ini_has_no_script_location() -> None:
    assert find_setups([], "alembic", [], False, cwd=FLASK) == [
        AlembicSetup(
            config_path=str(FLASK / "migrations" / "alembic.ini"),
            section="alembic",
            script_location=str(FLASK / "migrations"),
            version_locations=(str(FLASK / "migrations" / "versions"),),
            flask=True,
        )
    ]


def test_alembic_ini_without_script_location_falls_back_to_tool_alembic() -> None:
    setup = only_setup(PYPROJECT)
    assert setup.config_path == str(PYPROJECT / "alembic.ini")
    assert setup.script_location == str(PYPROJECT / "alembic")
    assert setup.version_locations == (str(PYPROJECT / "alembic" / "versions"),)


def test_pyproject_toml_alone(tmp_path: Path) -> None:
    shutil.copytree(PYPROJECT, tmp_path, dirs_exist_ok=True)
    (tmp_path / "alembic.ini").unlink()
    assert find_setups([], "alembic", [], False, cwd=tmp_path) == [
        AlembicSetup(
            config_path=str(tmp_path / "pyproject.toml"),
            section="alembic",
            script_location=str(tmp_path / "alembic"),
            version_locations=(str(tmp_path / "alembic" / "versions"),),
        )
    ]


def test_package_location_found_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported.txt"
    monkeypatch.setenv("ALEMBIC_GATE_IMPORT_MARKER", str(marker))
    setup = only_setup(PACKAGE)
    revision_files(setup)
    assert setup.script_location == str(PACKAGE / "myapp" / "migrations")
    assert setup.version_locations == (str(PACKAGE / "myapp" / "migrations" / "versions"),)
    assert setup.version_table == "myapp_alembic_version"
    assert not marker.exists()
    # alembic imports the package: the marker does work.
    alembic_view(PACKAGE, env={"ALEMBIC_GATE_IMPORT_MARKER": str(marker)})
    assert marker.read_text() == "imported myapp\n"


def test_multi_locations_recursive_with_semicolon_separator() -> None:
    setup = only_setup(MULTI)
    assert setup.version_locations == (
        str(MULTI / "migrations" / "versions"),
        str(MULTI / "plugins" / "billing" / "versions"),
    )
    assert setup.recursive
    sources, _ = revision_files(setup)
    assert [Path(path).relative_to(MULTI).as_posix() for path in sources] == [
        "migrations/versions/2024/f0b4c24f9a1c_create_customer_table.py",
        "migrations/versions/2025/6ba9e8d4413d_add_customer_phone.py",
        "migrations/versions/2025/06/9bed2f8a82b2_add_customer_phone_index.py",
        "plugins/billing/versions/356669b9836c_create_billing_account_table.py",
        "plugins/billing/versions/2025/5099aa9cd451_add_billing_account_iban.py",
    ]


def test_here_interpolation_from_another_directory(tmp_path: Path) -> None:
    setup = only_setup(tmp_path, str(HERE / "alembic.ini"))
    assert setup.script_location == str(HERE / "db" / "migrations")
    assert setup.version_locations == (
        str(HERE / "db" / "migrations" / "versions"),
        str(HERE / "db" / "data_migrations"),
    )


@pytest.mark.parametrize(
    ("project", "probe"),
    [
        (PLAIN, {}),
        (FLASK, {"flask": "migrations"}),
        (PYPROJECT, {}),
        (PACKAGE, {}),
        (MULTI, {}),
        (HERE, {}),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else None,
)
def test_fixture_reads_as_alembic_reads_it(project: Path, probe: dict[str, str]) -> None:
    assert our_view(only_setup(project)) == alembic_view(project, **probe)


# --- search order and several environments ------------------------------------------------------


def test_alembic_ini_wins_over_migrations_and_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "alembic.ini", "[alembic]\nscript_location = %(here)s/alembic\n")
    (tmp_path / "alembic").mkdir()
    write(tmp_path / "migrations" / "alembic.ini", "[alembic]\n")
    write(tmp_path / "migrations" / "env.py", "")
    write(tmp_path / "pyproject.toml", '[tool.alembic]\nscript_location = "elsewhere"\n')
    assert only_setup(tmp_path).script_location == str(tmp_path / "alembic")
    (tmp_path / "alembic.ini").unlink()
    assert only_setup(tmp_path).config_path == str(tmp_path / "migrations" / "alembic.ini")


def test_nothing_found(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(UsageError) as info:
        find_setups([], "alembic", [], False, cwd=tmp_path)
    assert str(info.value) == (
        f"no Alembic setup found in {tmp_path}: no alembic.ini, migrations/alembic.ini or "
        "pyproject.toml with [tool.alembic]; pass -c FILE or --versions DIR"
    )


def test_each_config_is_one_environment() -> None:
    setups = find_setups(
        ["plain/alembic.ini", "here_interp/alembic.ini", "./plain/alembic.ini"],
        "alembic",
        [],
        False,
        cwd=PROJECTS,
    )
    assert [setup.config_path for setup in setups] == [
        str(PLAIN / "alembic.ini"),
        str(HERE / "alembic.ini"),
    ]


def test_ini_and_its_pyproject_are_one_environment() -> None:
    setups = find_setups(["alembic.ini", "pyproject.toml"], "alembic", [], False, cwd=PYPROJECT)
    assert [setup.config_path for setup in setups] == [str(PYPROJECT / "alembic.ini")]


def test_section_from_name(tmp_path: Path) -> None:
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = one\n[audit]\nscript_location = two\n",
    )
    (tmp_path / "two").mkdir()
    setup = only_setup(tmp_path, name="audit")
    assert (setup.section, setup.script_location) == ("audit", str(tmp_path / "two"))


def test_versions_flag_skips_config_files(tmp_path: Path) -> None:
    write(tmp_path / "alembic.ini", "not an ini")
    setups = find_setups([], "alembic", ["a", str(tmp_path / "b")], True, cwd=tmp_path)
    assert setups == [
        AlembicSetup(
            None, "alembic", None, (str(tmp_path / "a"), str(tmp_path / "b")), recursive=True
        )
    ]


# --- how alembic reads the keys ----------------------------------------------------------------


def test_relative_script_location_is_relative_to_cwd(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "alembic.ini", "[alembic]\nscript_location = alembic\n")
    write(tmp_path / "alembic" / "versions" / "a1.py", revision("a1"))
    setup = only_setup(tmp_path, "sub/alembic.ini")
    assert setup.script_location == str(tmp_path / "alembic")
    assert our_view(setup) == alembic_view(tmp_path, ini="sub/alembic.ini")


def test_a_repository_setup_whose_folder_exists_from_the_root_says_how_to_lint_it(
    tmp_path: Path,
) -> None:
    """openstack/mistral: the ini lies beside its scripts but names them from the
    repository's root, where the project runs alembic with -c; read from the ini's own
    folder (pre-commit at the root) it is no setup, and the message says what works."""
    ini = "pkg/db/alembic.ini"
    write(tmp_path / ini, "[alembic]\nscript_location = pkg/db/migrations\n")
    write(tmp_path / "pkg/db/migrations/env.py", "")
    write(tmp_path / "pkg/db/migrations/versions/a.py", revision("a"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    with pytest.raises(UsageError) as caught:
        find_setups([], "alembic", [], False, tmp_path)
    assert (
        "pkg/db/pkg/db/migrations does not exist (relative paths are read from pkg/db/, "
        "where alembic runs for this config, as alembic does; %(here)s is the config file's "
        "folder); pkg/db/migrations exists from the current directory: lint it from there "
        f"with -c {ini}"
    ) in str(caught.value)
    assert only_setup(tmp_path, ini).script_location == str(tmp_path / "pkg/db/migrations")


def test_here_and_escaped_percent(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "alembic.ini",
        "[alembic]\nroot = %(here)s/db\nscript_location = %(root)s/100%%\n",
    )
    (tmp_path / "db" / "100%").mkdir(parents=True)
    assert only_setup(tmp_path / "db", str(ini)).script_location == str(tmp_path / "db" / "100%")
    assert Config(str(ini)).get_main_option("script_location") == f"{tmp_path}/db/100%"


@pytest.mark.parametrize(
    ("separator_line", "value", "note"),
    [
        ("path_separator = os", f"a{os.pathsep}b", None),
        ("path_separator = space", "a  b", None),
        ("path_separator = newline", "\n  a\n  b", None),
        ("path_separator = :", "a:b", None),
        ("path_separator = ;", "a; b", None),
        ("version_path_separator = ;", "a;b", "version_path_separator is deprecated"),
        ("", "a, b", "no path_separator in the configuration"),
    ],
)
def test_version_locations_separators(
    tmp_path: Path, separator_line: str, value: str, note: str | None
) -> None:
    ini = write(
        tmp_path / "alembic.ini",
        f"[alembic]\nscript_location = .\n{separator_line}\nversion_locations = {value}\n",
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    setup = only_setup(tmp_path)
    assert setup.version_locations == (str(tmp_path / "a"), str(tmp_path / "b"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Config(str(ini)).get_version_locations_list() == ["a", "b"]
    assert [note in n for n in setup.notes] == ([True] if note else [])
    assert len(caught) == (1 if note else 0)


def test_version_locations_in_tool_alembic(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        "[tool.alembic]\n"
        'script_location = "%(here)s/mig"\n'
        'version_locations = ["%(here)s/mig/v1", "v2"]\n'
        "recursive_version_locations = true\n"
        "sourceless = true\n",
    )
    (tmp_path / "mig").mkdir()
    setup = only_setup(tmp_path)
    assert setup.version_locations == (str(tmp_path / "mig" / "v1"), str(tmp_path / "v2"))
    assert (setup.recursive, setup.sourceless) == (True, True)


def test_ini_flags_are_true_only_when_spelled_true(tmp_path: Path) -> None:
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = .\nrecursive_version_locations = True\nsourceless = true\n",
    )
    setup = only_setup(tmp_path)
    assert (setup.recursive, setup.sourceless) == (False, True)
    assert setup.notes == (
        "alembic.ini [alembic] recursive_version_locations = 'True' is read as false: "
        "alembic only accepts 'true'",
    )


def test_flask_migrate_with_custom_directory(tmp_path: Path) -> None:
    shutil.copytree(FLASK / "migrations", tmp_path / "db_migrations")
    setup = only_setup(tmp_path, "db_migrations/alembic.ini")
    assert (setup.script_location, setup.flask) == (str(tmp_path / "db_migrations"), True)
    assert our_view(setup) == alembic_view(tmp_path, flask="db_migrations")


def test_flask_migrate_ini_whose_script_location_holds_no_env_py(tmp_path: Path) -> None:
    # ihatemoney: `script_location = .` in migrations/alembic.ini; `flask db` ignores it
    shutil.copytree(FLASK / "migrations", tmp_path / "app" / "migrations")
    ini = tmp_path / "app" / "migrations" / "alembic.ini"
    ini.write_text(ini.read_text().replace("[alembic]", "[alembic]\nscript_location = ."))
    setup = only_setup(tmp_path, "app/migrations/alembic.ini")
    assert (setup.script_location, setup.flask) == (str(tmp_path / "app" / "migrations"), True)
    assert our_view(setup) == alembic_view(tmp_path, flask="app/migrations")
    assert setup.notes == (
        "app/migrations/alembic.ini [alembic] script_location: . holds no env.py; read as "
        "Flask-Migrate runs it, from app/migrations/ (it sets script_location to the folder "
        "of its alembic.ini)",
    )


@pytest.mark.parametrize(
    ("source", "flask"),
    [
        ("from flask import current_app\n", True),
        ("import flask_migrate\n", True),
        # gramps-web-api's env.py builds a Flask app of its own to read its settings, and
        # runs under plain alembic: no Flask-Migrate, no `flask db` fixes.
        ("from flask import Flask\napp = Flask(__name__)\n", False),
        ("import flask\n", False),
    ],
)
def test_flask_migrate_seen_in_env_py(tmp_path: Path, source: str, flask: bool) -> None:
    write(tmp_path / "alembic.ini", "[alembic]\nscript_location = migrations\n")
    write(tmp_path / "migrations" / "env.py", source)
    assert only_setup(tmp_path).flask is flask


@pytest.mark.parametrize(
    ("layout", "script_location"),
    [
        ({"src/myapp/__init__.py": "", "src/myapp/db/__init__.py": ""}, "myapp.db:migrations"),
        # a regular package anywhere wins over a namespace folder earlier in the path
        (
            {"myapp/db/x.txt": "", "lib/myapp/__init__.py": "", "lib/myapp/db/__init__.py": ""},
            "myapp.db:migrations",
        ),
    ],
)
def test_package_script_location_layouts(
    tmp_path: Path, layout: dict[str, str], script_location: str
) -> None:
    for name, text in layout.items():
        write(tmp_path / name, text)
    package = tmp_path / ("src" if "src/myapp/__init__.py" in layout else "lib") / "myapp" / "db"
    write(package / "migrations" / "versions" / "a1.py", revision("a1"))
    write(
        tmp_path / "alembic.ini",
        f"[alembic]\nscript_location = {script_location}\n"
        "prepend_sys_path = . lib src\npath_separator = space\n",
    )
    setup = only_setup(tmp_path)
    assert setup.script_location == str(package / "migrations")
    assert our_view(setup) == alembic_view(tmp_path)


def test_package_found_in_src_without_prepend_sys_path(tmp_path: Path) -> None:
    write(tmp_path / "src" / "myapp" / "__init__.py", "")
    (tmp_path / "src" / "myapp" / "migrations").mkdir()
    write(tmp_path / "alembic.ini", "[alembic]\nscript_location = myapp:migrations\n")
    assert only_setup(tmp_path).script_location == str(tmp_path / "src" / "myapp" / "migrations")


def test_package_version_location(tmp_path: Path) -> None:
    write(tmp_path / "plugin" / "__init__.py", "")
    write(tmp_path / "plugin" / "versions" / "p1.py", revision("p1"))
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = .\nversion_locations = plugin:versions\n"
        "path_separator = space\n",
    )
    assert only_setup(tmp_path).version_locations == (str(tmp_path / "plugin" / "versions"),)


# --- configuration errors -----------------------------------------------------------------------

CONFIG_ERRORS = [
    ("nope.ini", None, "config file not found: nope.ini"),
    ("folder", None, "config file is not a file: folder"),
    (
        "alembic.ini",
        "script_location = x\n",
        "alembic.ini is not a valid ini file: File contains no section headers.",
    ),
    (
        "alembic.ini",
        "[alembic]\na = 1\na = 2\n",
        "alembic.ini is not a valid ini file: While reading from",
    ),
    ("alembic.ini", "[other]\n", "alembic.ini has no [alembic] section"),
    (
        "alembic.ini",
        "[alembic]\n",
        "alembic.ini: no script_location in [alembic] or [tool.alembic]",
    ),
    (
        "alembic.ini",
        "[alembic]\nscript_location = %(nope)s\n",
        "alembic.ini [alembic] script_location: Bad value substitution",
    ),
    (
        "alembic.ini",
        "[alembic]\nscript_location = gone\n",
        "alembic.ini [alembic] script_location: gone does not exist",
    ),
    (
        "alembic.ini",
        "[alembic]\nscript_location = nopkg:migrations\n",
        "alembic.ini [alembic] script_location: cannot find package 'nopkg'",
    ),
    (
        "alembic.ini",
        "[alembic]\nscript_location = .\nversion_locations = a\npath_separator = comma\n",
        "alembic.ini [alembic] path_separator: 'comma' is not a valid value",
    ),
    ("pyproject.toml", "[tool.alembic\n", "pyproject.toml is not valid TOML"),
    ("pyproject.toml", "[project]\n", "pyproject.toml has no [tool.alembic] table"),
    ("pyproject.toml", "[tool]\nalembic = 1\n", "pyproject.toml: [tool.alembic] must be a table"),
    (
        "pyproject.toml",
        "[tool.alembic]\nscript_location = 1\n",
        "pyproject.toml [tool.alembic] script_location: expected a string",
    ),
    (
        "pyproject.toml",
        '[tool.alembic]\nscript_location = "%(nope)s"\n',
        "pyproject.toml [tool.alembic] script_location: bad %-interpolation",
    ),
    (
        "pyproject.toml",
        '[tool.alembic]\nscript_location = "."\nversion_locations = "a b"\n',
        "pyproject.toml [tool.alembic] version_locations: expected a list of paths",
    ),
    (
        "pyproject.toml",
        '[tool.alembic]\nscript_location = "."\nsourceless = "yes"\n',
        "pyproject.toml [tool.alembic] sourceless: expected true or false",
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), CONFIG_ERRORS)
def test_config_errors(tmp_path: Path, name: str, text: str | None, message: str) -> None:
    (tmp_path / "folder").mkdir()
    if text is not None:
        write(tmp_path / name, text)
    with pytest.raises(UsageError) as info:
        find_setups([name], "alembic", [], False, cwd=tmp_path)
    assert str(info.value).startswith(message)


def test_config_not_in_the_locale_encoding(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_bytes(b"[alembic]\nscript_location = \xff\n")
    with pytest.raises(UsageError, match=r"^cannot read alembic\.ini: invalid start byte$"):
        find_setups([], "alembic", [], False, cwd=tmp_path)


def test_flag_mistakes(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^--versions reads revision folders directly"):
        find_setups(["alembic.ini"], "alembic", ["versions"], False, cwd=tmp_path)
    with pytest.raises(UsageError, match=r"^--recursive only applies to --versions"):
        find_setups([], "alembic", [], True, cwd=tmp_path)


def test_missing_version_location(tmp_path: Path) -> None:
    (setup,) = find_setups([], "alembic", ["versions"], False, cwd=tmp_path)
    with pytest.raises(UsageError) as info:
        revision_files(setup)
    assert str(info.value) == (
        f"version location {tmp_path / 'versions'} does not exist or is not a folder"
    )


# --- which files are revisions ------------------------------------------------------------------


def build_zoo(root: Path) -> Path:
    """A versions folder holding every kind of file alembic has a rule for."""
    versions = root / "versions"
    write(versions / "a_first.py", revision("a1"))
    write(versions / ".hidden.py", revision("h1"))  # alembic loads hidden files
    write(versions / ".#a_first.py", "an editor lock file")
    write(versions / "__init__.py", "")
    write(versions / "README.md", "# notes")
    write(versions / "kept.py", revision("k1"))
    py_compile.compile(str(versions / "kept.py"), cfile=str(versions / "kept.pyc"))
    py_compile.compile(
        str(versions / "a_first.py"),
        cfile=importlib.util.cache_from_source(str(versions / "a_first.py")),
    )
    gone = write(versions / "gone.py", revision("g1"))
    py_compile.compile(str(gone), cfile=importlib.util.cache_from_source(str(gone)))
    gone.unlink()
    legacy = write(versions / "legacy.py", revision("l1"))
    py_compile.compile(str(legacy), cfile=str(versions / "legacy.pyc"))
    legacy.unlink()
    write(versions / "sub" / "c_nested.py", revision("c1"))
    write(versions / "sub" / "deeper" / "e_deep.py", revision("e1"))
    write(versions / ".hidden_dir" / "d_hidden.py", revision("d1"))
    write(
        root / "alembic.ini",
        "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s/versions\n"
        "path_separator = os\n",
    )
    return versions


@pytest.mark.parametrize(
    ("recursive", "sourceless", "sources", "compiled"),
    [
        (False, False, [".hidden.py", "a_first.py", "kept.py"], []),
        (
            True,
            False,
            [
                ".hidden.py",
                "a_first.py",
                "kept.py",
                ".hidden_dir/d_hidden.py",
                "sub/c_nested.py",
                "sub/deeper/e_deep.py",
            ],
            [],
        ),
        (
            False,
            True,
            [".hidden.py", "a_first.py", "kept.py"],
            ["legacy.pyc", importlib.util.cache_from_source("gone.py")],
        ),
    ],
)
def test_revision_files_like_alembic(
    tmp_path: Path, recursive: bool, sourceless: bool, sources: list[str], compiled: list[str]
) -> None:
    versions = build_zoo(tmp_path)
    with (tmp_path / "alembic.ini").open("a") as ini:
        ini.write(f"recursive_version_locations = {str(recursive).lower()}\n")
        ini.write(f"sourceless = {str(sourceless).lower()}\n")
    setup = only_setup(tmp_path)
    found_sources, found_compiled = revision_files(setup)
    assert [Path(path).relative_to(versions).as_posix() for path in found_sources] == sources
    assert [Path(path).relative_to(versions).as_posix() for path in found_compiled] == compiled
    # Strings as a Path would give them (the cache keys its index by them).
    assert all(path == str(Path(path)) for path in found_sources + found_compiled)
    assert our_view(setup) == alembic_view(tmp_path)


def test_pyo_is_shadowed_by_pyc(tmp_path: Path) -> None:
    write(tmp_path / "v" / "e.pyo", "")
    write(tmp_path / "v" / "e.pyc", "")
    write(tmp_path / "v" / "f.pyo", "")
    setup = AlembicSetup(None, "alembic", None, (str(tmp_path / "v"),), sourceless=True)
    assert revision_files(setup) == (
        [],
        [str(tmp_path / "v" / "e.pyc"), str(tmp_path / "v" / "f.pyo")],
    )


def test_same_file_through_two_locations_is_listed_once(tmp_path: Path) -> None:
    write(tmp_path / "v" / "a1.py", revision("a1"))
    (tmp_path / "link").symlink_to(tmp_path / "v")
    (setup,) = find_setups([], "alembic", ["v", "link"], False, cwd=tmp_path)
    assert revision_files(setup) == ([str(tmp_path / "v" / "a1.py")], [])


# --- version table, read statically ---------------------------------------------------------------

OFFLINE_ONLINE = """
from alembic import context

def run_migrations_offline():
    context.configure(url=url, {offline})

def run_migrations_online():
    context.configure(connection=connection, {online})
"""


@pytest.mark.parametrize(
    ("offline", "online", "expected"),
    [
        ("", "", ("alembic_version", None)),
        (
            'version_table="app_version", version_table_schema="meta"',
            'version_table="app_version", version_table_schema="meta"',
            ("app_version", "meta"),
        ),
        ("", 'version_table="app_version"', ("app_version", None)),
        ('version_table="one"', 'version_table="two"', ("alembic_version", None)),
        ('version_table="one"', "version_table=TABLE", ("alembic_version", None)),
        ("", "version_table_schema=None", ("alembic_version", None)),
    ],
)
def test_static_version_table(
    tmp_path: Path, offline: str, online: str, expected: tuple[str, str | None]
) -> None:
    write(tmp_path / "env.py", OFFLINE_ONLINE.format(offline=offline, online=online))
    assert static_version_table(tmp_path) == expected


@pytest.mark.parametrize(
    ("offline", "online", "computed"),
    [
        ("", 'version_table="app_version"', False),
        ("", 'version_table=f"{PREFIX}version"', True),
        ('version_table="one"', "version_table=TABLE", True),
        ("", 'version_table_schema=os.environ["S"]', False),
    ],
)
def test_a_version_table_named_by_an_expression_is_told(
    tmp_path: Path, offline: str, online: str, computed: bool
) -> None:
    write(tmp_path / "alembic.ini", "[alembic]\nscript_location = %(here)s\n")
    write(tmp_path / "env.py", OFFLINE_ONLINE.format(offline=offline, online=online))
    setup = only_setup(tmp_path, "alembic.ini")
    assert setup.version_table_computed is computed
    assert setup.version_table == ("app_version" if "app_version" in online else "alembic_version")


@pytest.mark.parametrize(
    "env_py",
    [
        None,
        "def broken(:\n",
        # nested past what the parser takes (RecursionError) or can hold (MemoryError):
        # both were a traceback of every lint run
        'context.configure(version_table="v")\nx = ' + "-" * 5000 + "1\n",
        'context.configure(version_table="v")\nx = ' + "not " * 10000 + "1\n",
    ],
)
def test_static_version_table_without_readable_env_py(tmp_path: Path, env_py: str | None) -> None:
    if env_py is not None:
        write(tmp_path / "env.py", env_py)
    assert static_version_table(tmp_path) == ("alembic_version", None)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a name in other letters is normalized (NFKC) to version_table when parsed
        ('context.configure(\uff56ersion_table="app_version")\n', ("app_version", None)),
        # a coding cookie changes what the (ASCII) bytes mean: utf-7 spells "v" as +AHY-
        (
            '# coding: utf-7\ncontext.configure(+AHY-ersion_table="app_version")\n',
            ("app_version", None),
        ),
    ],
)
def test_static_version_table_reads_what_the_bytes_do_not_show(
    tmp_path: Path, source: str, expected: tuple[str, str | None]
) -> None:
    (tmp_path / "env.py").write_bytes(source.encode("utf-8"))
    assert static_version_table(tmp_path) == expected


def test_env_py_without_table_or_flask_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ast

    def parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed")

    write(tmp_path / "env.py", OFFLINE_ONLINE.format(offline="", online=""))
    monkeypatch.setattr(ast, "parse", parse)
    assert static_version_table(tmp_path) == ("alembic_version", None)


def test_missing_default_versions_folder_is_an_empty_history(tmp_path: Path) -> None:
    # `alembic init` makes versions/ empty and git does not keep empty folders.
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (setup,) = find_setups([], "alembic", [], False, tmp_path)
    assert revision_files(setup) == ([], [])


def test_a_config_naming_a_folder_that_does_not_exist_reads_the_others(tmp_path: Path) -> None:
    # Keystone and neutron list every release's expand and contract folder, made or not
    # (keystone/common/sql/upgrades.py): alembic skips a version location that does not
    # exist (ScriptDirectory._load_revisions), so lint reads the others, with one note.
    write(tmp_path / "migrations" / "env.py", "")
    write(tmp_path / "migrations" / "versions" / "yoga" / "expand" / "a1.py", revision("a1"))
    folders = [
        f"migrations/versions/{r}/{b}"
        for r in ("yoga", "bobcat", "2024.1")
        for b in ("expand", "contract")
    ]
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = migrations\npath_separator = space\n"
        f"version_locations = migrations/versions {' '.join(folders)}\n",
    )
    setup = only_setup(tmp_path)
    assert our_view(setup) == alembic_view(tmp_path)
    assert setup.notes == (
        "alembic.ini [alembic] version_locations: migrations/versions/yoga/contract, "
        "migrations/versions/bobcat/expand, migrations/versions/bobcat/contract and 2 more do "
        "not exist; alembic skips them",
    )
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = migrations\nversion_locations = gone\n",
    )
    assert only_setup(tmp_path).notes[-1] == (
        "alembic.ini [alembic] version_locations: gone does not exist; alembic skips it"
    )


def test_missing_explicit_versions_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        (setup,) = find_setups([], "alembic", [str(tmp_path / "nope")], False, tmp_path)
        revision_files(setup)


# --- alembic.ini read without configparser --------------------------------------------------------

INI_LINES = [
    "[alembic]",
    "[other]",
    "[DEFAULT]",
    "[alembic] tail",
    "[]",
    "[a]b]",
    "script_location = %(here)s/migrations",
    "Script_Location: x",
    "script_location=y",
    "sqlalchemy.url = driver://u:p@host/db",
    "url = a%%b",
    "url = %(missing)s",
    "url = %(SCRIPT_LOCATION)s/v",
    "url = %(url)s",
    "url = 50%",
    "url = %()s",
    "url = %(here)d",
    "nested = %(url)s",
    "a = b : c",
    " = value",
    "novalue",
    "  indented = 1",
    "\tcontinued",
    "# comment = 1",
    "  ; comment",
    "; k = v",
    "",
    "   ",
    "key = é",
    "\ufeff[alembic]",
    "k\x0c = v\x0b",
]


def _configparser_view(text: str, name: str, here: str) -> object:
    """What configparser gives: the sections, and section `name`'s values (or the error)."""
    import configparser
    import io

    parser = configparser.ConfigParser({"here": here})
    try:
        parser.read_file(io.StringIO(text), source="alembic.ini")
        if not parser.has_section(name):
            return set(parser.sections()), None
        keys = parser.options(name)
        return set(parser.sections()), {key: parser.get(name, key) for key in keys}
    except (configparser.Error, ValueError) as exc:
        return type(exc)


@given(
    lines=st.lists(st.sampled_from(INI_LINES), max_size=12),
    here=st.sampled_from(["/p/app", "/p/50%", "/p/a%%b"]),
)
@settings(max_examples=3000, deadline=None)
def test_plain_ini_reads_as_configparser(lines: list[str], here: str) -> None:
    from alembic_gate.setup.discovery import plain_ini

    text = "".join(f"{line}\n" for line in ["[alembic]", *lines])
    plain = plain_ini(io_lines(text), "alembic", here)
    if plain is None:
        return  # configparser reads it
    sections, values = _configparser_view(text, "alembic", here)  # type: ignore[misc]
    assert plain.sections == sections
    assert plain.has_section("alembic") == (values is not None)
    if values is not None:
        assert plain.values == values
        assert all(plain.has_option("alembic", key.upper()) for key in values)
        assert all(plain.get("alembic", key.upper()) == value for key, value in values.items())


def io_lines(text: str) -> list[str]:
    import io

    return io.StringIO(text).readlines()


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        (  # the generic template's
            "[alembic]\nscript_location = %(here)s/alembic\nprepend_sys_path = .\n"
            "version_path_separator = os\nsqlalchemy.url = driver://user:pass@localhost/dbname\n\n"
            "[post_write_hooks]\n# format using black\n\n[loggers]\nkeys = root\n\n"
            "[formatter_generic]\nformat = %(levelname)-5.5s [%(name)s] %(message)s\n",
            True,
        ),
        ("[alembic]\nscript_location = migrations\n# file_template = %%(rev)s\nurl = 10%%\n", True),
        ("[alembic]\n  # indented comment\nurl = a\n", True),
        ("[alembic]\n[Alembic]\nKey = 1\n", True),
        ("[alembic]\nurl = a%%b\nnested = %(url)s\n", False),  # nested
        ("[alembic]\nurl = a\n  indented = 1\n", False),  # a continued value
        ("[alembic]\nurl = a\n\n  indented = 1\n", False),
        ("[alembic]\n  indented = 1\n", False),
        ("[alembic]\nurl = %(here)s/%(missing)s\n", False),  # errors on get
        ("[alembic]\nurl = %()s\n", False),
        ("[alembic]\nurl = %(url\n", False),
        ("[alembic]\nKey = 1\nkey: 2\n", False),  # errors on read
    ],
)
def test_plain_ini_reads_as_configparser_does(text: str, taken: bool) -> None:
    """Either plain_ini leaves the file to configparser, or reads what configparser does."""
    from alembic_gate.setup.discovery import plain_ini

    plain = plain_ini(io_lines(text), "alembic", "/p")
    assert (plain is not None) == taken
    if plain is not None:
        assert (plain.sections, plain.values) == _configparser_view(text, "alembic", "/p")


def test_setup_from_an_ini_configparser_must_read(tmp_path: Path) -> None:
    # a continued value: read by configparser
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\npath_separator = newline\n"
        "version_locations = %(here)s/a\n    %(here)s/b\n"
    )
    (setup,) = find_setups([], "alembic", [], False, tmp_path)
    assert setup.version_locations == (str(tmp_path / "a"), str(tmp_path / "b"))


# --- symbolic links, taken as alembic takes them ---------------------------------------------


def linked_project(root: Path, extra: str = "") -> Path:
    """A project whose versions folder the cases below fill; `shared/` lies outside it."""
    write(
        root / "alembic.ini",
        f"[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n{extra}",
    )
    (root / "shared").mkdir()
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    return versions


def child(rev: str, parent: str) -> str:
    return f"revision = {rev!r}\ndown_revision = {parent!r}\n"


def _link_in_same_folder(versions: Path) -> None:
    write(versions / "a1_base.py", revision("a1"))
    (versions / "z_link.py").symlink_to("a1_base.py")


def _link_listed_first(versions: Path) -> None:
    write(versions / "m_base.py", revision("a1"))
    (versions / "a_link.py").symlink_to("m_base.py")


def _link_out_of_the_folder(versions: Path) -> None:
    write(versions.parent.parent / "shared" / "b1.py", revision("b1"))
    write(versions / "a1.py", child("a1", "b1"))
    (versions / "b_link.py").symlink_to("../../shared/b1.py")


def _link_named_py_to_a_text_file(versions: Path) -> None:
    write(versions.parent.parent / "shared" / "b1.txt", revision("b1"))
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.py").symlink_to("../../shared/b1.txt")


def _text_link_to_a_py_file(versions: Path) -> None:
    write(versions.parent.parent / "shared" / "b1.py", revision("b1"))
    write(versions / "a1.py", child("a1", "b1"))
    (versions / "b_link.txt").symlink_to("../../shared/b1.py")


def _link_to_an_init_file(versions: Path) -> None:
    write(versions.parent.parent / "shared" / "__init__.py", revision("b1"))
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.py").symlink_to("../../shared/__init__.py")


def _link_to_an_editor_lock(versions: Path) -> None:
    write(versions.parent.parent / "shared" / ".#b1.py", revision("b1"))
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.py").symlink_to("../../shared/.#b1.py")


def _dangling_link_to_a_py_file(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.py").symlink_to("../../shared/gone.py")


def _dangling_link_to_a_text_file(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.py").symlink_to("gone.txt")


def _dangling_text_link_to_a_py_file(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.txt").symlink_to("gone.py")


def _links_in_a_loop(versions: Path, suffix: str = ".py") -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / f"loop1{suffix}").symlink_to(f"loop2{suffix}")
    (versions / f"loop2{suffix}").symlink_to(f"loop1{suffix}")


def _text_links_in_a_loop(versions: Path) -> None:
    _links_in_a_loop(versions, ".txt")


def _a_link_to_itself(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "self").symlink_to("self")


def _py_and_text_links_in_a_loop(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "loop.py").symlink_to("loop.txt")
    (versions / "loop.txt").symlink_to("loop.py")


def _text_link_through_a_looping_folder_to_a_py_name(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "folder").symlink_to("folder")
    (versions / "b_link.txt").symlink_to("folder/b1.py")


def _text_link_through_a_looping_folder(versions: Path) -> None:
    write(versions / "a1.py", revision("a1"))
    (versions / "folder").symlink_to("folder")
    (versions / "b_link.txt").symlink_to("folder/b1.txt")


def _sourceless_loop_beside_its_source(versions: Path) -> None:
    with (versions.parent.parent / "alembic.ini").open("a") as ini:
        ini.write("sourceless = true\n")
    write(versions / "a1.py", revision("a1"))
    (versions / "a1.pyc").symlink_to("a1.pyc")


def _linked_subfolder(versions: Path) -> None:
    with (versions.parent.parent / "alembic.ini").open("a") as ini:
        ini.write("recursive_version_locations = true\n")
    write(versions.parent.parent / "shared" / "b1.py", revision("b1"))
    write(versions / "a1.py", revision("a1"))
    write(versions / "real" / "c1.py", child("c1", "a1"))
    (versions / "linked").symlink_to("../../shared")


def _link_to_a_folder_named_py(versions: Path) -> None:
    """alembic 1.20 walks a folder with Path.walk on Python 3.12 and later, which lists a
    link to a folder among the files: judged by the folder's name, `pkg.py` fails to load
    (IsADirectoryError); os.walk, before 3.12, lists it among the folders, not walked."""
    write(versions.parent.parent / "pkg.py" / "b1.py", revision("b1"))
    write(versions / "a1.py", revision("a1"))
    (versions / "pkg_link").symlink_to("../../pkg.py")


def _link_to_a_folder_named_py_in_a_recursive_location(versions: Path) -> None:
    with (versions.parent.parent / "alembic.ini").open("a") as ini:
        ini.write("recursive_version_locations = true\n")
    _link_to_a_folder_named_py(versions)


def _location_linked_to_another(versions: Path) -> None:
    root = versions.parent.parent
    with (root / "alembic.ini").open("a") as ini:
        ini.write("version_locations = %(here)s/migrations/versions:%(here)s/alias\n")
    write(versions / "a1.py", revision("a1"))
    (root / "alias").symlink_to("migrations/versions")


def _link_to_a_file_of_a_later_location(versions: Path) -> None:
    root = versions.parent.parent
    with (root / "alembic.ini").open("a") as ini:
        ini.write("version_locations = %(here)s/migrations/versions:%(here)s/shared\n")
    write(root / "shared" / "a1.py", revision("a1"))
    write(versions / "b1.py", child("b1", "a1"))
    (versions / "a_link.py").symlink_to("../../shared/a1.py")


def _link_to_a_file_of_an_earlier_location(versions: Path) -> None:
    root = versions.parent.parent
    with (root / "alembic.ini").open("a") as ini:
        ini.write("version_locations = %(here)s/shared:%(here)s/migrations/versions\n")
    write(root / "shared" / "a1.py", revision("a1"))
    write(versions / "b1.py", child("b1", "a1"))
    (versions / "z_link.py").symlink_to("../../shared/a1.py")


def _sourceless_link_to_a_compiled_file_beside_its_source(versions: Path) -> None:
    with (versions.parent.parent / "alembic.ini").open("a") as ini:
        ini.write("sourceless = true\n")
    shared = versions.parent.parent / "shared"
    write(shared / "b1.py", revision("b1"))
    py_compile.compile(str(shared / "b1.py"), cfile=str(shared / "b1.pyc"))
    write(versions / "a1.py", revision("a1"))
    (versions / "b_link.pyc").symlink_to("../../shared/b1.pyc")


SYMLINK_CASES = [
    _link_in_same_folder,
    _link_listed_first,
    _link_out_of_the_folder,
    _link_named_py_to_a_text_file,
    _text_link_to_a_py_file,
    _link_to_an_init_file,
    _link_to_an_editor_lock,
    _dangling_link_to_a_py_file,
    _dangling_link_to_a_text_file,
    _dangling_text_link_to_a_py_file,
    _links_in_a_loop,
    # Path.resolve raises on a loop up to Python 3.12 (alembic fails whatever the name);
    # 3.13's gives a path, whose name then decides (alembic skips a name that is no
    # revision file's, a .pyc beside its source too).
    _text_links_in_a_loop,
    _a_link_to_itself,
    _py_and_text_links_in_a_loop,
    _text_link_through_a_looping_folder_to_a_py_name,
    _text_link_through_a_looping_folder,
    _sourceless_loop_beside_its_source,
    _linked_subfolder,
    _link_to_a_folder_named_py,
    _link_to_a_folder_named_py_in_a_recursive_location,
    _location_linked_to_another,
    _link_to_a_file_of_a_later_location,
    _link_to_a_file_of_an_earlier_location,
    _sourceless_link_to_a_compiled_file_beside_its_source,
]


def run_alembic(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The `alembic` command, run in `cwd` with the project's alembic.ini."""
    return subprocess.run(
        [sys.executable, "-m", "alembic", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_gate(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic_gate", *argv, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def history_ids(text: str) -> set[str]:
    """The revision ids of `alembic history` (or `alembic-gate graph --format text`)."""
    lines = [line for line in text.splitlines() if " -> " in line and not line.startswith("#")]
    return {line.split(" -> ", 1)[1].split()[0].rstrip(",") for line in lines}


@pytest.mark.parametrize("case", SYMLINK_CASES)
def test_symbolic_links_are_read_as_alembic_reads_them(
    tmp_path: Path, case: Callable[[Path], None]
) -> None:
    case(linked_project(tmp_path))
    heads = run_alembic(tmp_path, "heads")
    lint = run_gate(tmp_path, "lint", "--format", "json")
    assert "Traceback" not in lint.stderr
    report = json.loads(lint.stdout)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    if heads.returncode != 0:  # alembic cannot load the history: lint says why
        assert [f["code"] for f in errors] and {f["code"] for f in errors} == {"AG007"}
        assert lint.returncode == 1
        return
    assert errors == []
    assert lint.returncode == 0
    assert set(report["heads"]) == {line.split()[0] for line in heads.stdout.splitlines()}
    history = run_alembic(tmp_path, "history")
    graph = run_gate(tmp_path, "graph", "--format", "text")
    assert history.returncode == 0
    assert history_ids(graph.stdout) == history_ids(history.stdout) != set()
