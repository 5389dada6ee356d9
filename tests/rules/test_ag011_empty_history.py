"""AG011: a setup whose version locations hold no revision file is never a silent
pass; the finding says where revision files do lie and what reads them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate.main import main
from alembic_gate.rules.ag011_empty_history import check

from .conftest import History

PROJECTS = Path(__file__).parent.parent / "projects"


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    def make(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(PROJECTS / name, root, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.chdir(root)
        return root

    return make


def test_per_dialect_folders_below_the_versions_folder(
    copy,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    copy("per_dialect")
    assert main(["lint"]) == 0  # a warning
    out = capsys.readouterr().out
    assert out.startswith(
        "alembic.ini: AG011 [empty-history] no revision file in migrations/versions/, so "
        "nothing in this setup was checked: 4 revision files lie in "
        "migrations/versions/postgresql/, migrations/versions/sqlite/, below the version "
        "locations: alembic reads subfolders only with `recursive_version_locations = true`"
    )
    assert "lint each with `--versions DIR`" in out
    assert "  fix: recursive_version_locations = true\n" in out
    assert out.endswith(
        "Found 1 warning (1 with a fix): 1 setup, 0 revision files read, 0 heads.\n"
    )
    assert main(["lint", "--fail-on", "warning"]) == 1


def test_a_module_that_only_names_the_variables_is_not_counted(
    copy,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    # MLflow's helper modules: "revision" in a docstring, down_revision in a comment
    root = copy("per_dialect")
    helpers = root / "migrations" / "versions" / "helpers"
    helpers.mkdir()
    (helpers / "analytics.py").write_text(
        '"""Schema of\nrevision 75868b020152."""\n\n# runs before down_revision abc\nX = 1\n'
    )
    assert main(["lint"]) == 0
    assert "4 revision files lie in migrations/versions/postgresql/, " in capsys.readouterr().out


def test_each_dialect_folder_read_on_its_own(
    copy,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    copy("per_dialect")
    assert main(["lint", "--versions", "migrations/versions/sqlite"]) == 0
    assert capsys.readouterr().out.startswith("All checks passed: 1 setup, 2 revision files read")
    assert main(["lint", "--versions", "migrations/versions", "--recursive"]) == 1  # two bases
    assert main(["lint", "--versions", "migrations/versions"]) == 0
    assert "fix: alembic-gate lint --versions DIR --recursive" in capsys.readouterr().out


def test_a_script_location_without_versions(
    copy,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    copy("no_versions")
    assert main(["lint"]) == 0
    out = capsys.readouterr().out
    assert (
        "no revision file in db/versions/, so nothing in this setup was checked "
        "(script_location db/ has no versions/ folder): 2 revision files lie in "
        "db/revisions/: name them in `version_locations`"
    ) in out


def test_a_new_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = History(tmp_path)
    (finding,) = history.run(check)
    assert finding.message == (
        "no revision file in versions/, so nothing in this setup was checked (a new "
        "project: `alembic revision` writes the first one)"
    )
    assert (finding.path, finding.line, finding.fix) == ("versions", None, None)


def test_a_history_with_revisions_is_fine(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.add("a")
    assert history.run(check) == []


def test_a_missing_script_location_stays_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/nowhere\n")
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 2
    assert "nowhere does not exist" in capsys.readouterr().err


def test_version_locations_that_do_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # alembic skips them and reads an empty history; lint says so rather than exit 2
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "env.py").write_text("")
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = db\npath_separator = space\n"
        "version_locations = db/expand db/contract\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 0  # a warning
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "alembic.ini: AG011 [empty-history] no revision file in db/expand/, db/contract/, so "
        "nothing in this setup was checked (db/expand/, db/contract/ do not exist)\n"
    )
    assert captured.err == (
        "alembic-gate: note: alembic.ini [alembic] version_locations: db/expand, db/contract "
        "do not exist; alembic skips them\n"
    )
