"""Flask-Migrate projects: states made with Flask-Migrate itself, fixes as `flask db ...`."""

from __future__ import annotations

import importlib.util
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import flask_migrate
import pytest

from .conftest import PROJECTS, Database, Run

Doctor = Callable[..., Run]
FIRST, HEAD = "f4f6257c68e4", "8b039963f586"
# The fixture's env.py is Flask-Migrate's template, which calls a deprecated helper.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture
def flask_project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / "flask_app", tmp_path / "flask_app"))


def load_app(project: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"app_{uuid.uuid4().hex}", project / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flask_upgrade(
    project: Path, url: str, monkeypatch: pytest.MonkeyPatch, revision: str = "head"
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    app = load_app(project).create_app()
    with app.app_context():
        flask_migrate.upgrade(directory=str(project / "migrations"), revision=revision)


def test_behind_fix_is_flask_db_upgrade(
    flask_project: Path, sqlite_db: Database, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    flask_upgrade(flask_project, sqlite_db.url, monkeypatch, FIRST)
    [finding] = run_doctor(flask_project, sqlite_db.url, "--format", "json").findings
    assert finding["code"] == "AG801"
    assert f"is at {FIRST}; 1 revision pending" in finding["message"]
    assert finding["fix"] == "flask db upgrade"


def test_at_head(
    flask_project: Path, sqlite_db: Database, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    flask_upgrade(flask_project, sqlite_db.url, monkeypatch)
    result = run_doctor(flask_project, sqlite_db.url)
    assert result.code == 0
    assert f"is at head ({HEAD})" in result.err


def test_create_all_fix_is_flask_db_stamp(
    flask_project: Path, sqlite_db: Database, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    module = load_app(flask_project)
    app = module.create_app()
    with app.app_context():
        module.db.create_all()
    [finding] = run_doctor(flask_project, sqlite_db.url, "--format", "json").findings
    assert finding["code"] == "AG802"
    assert finding["fix"] == f"flask db stamp {HEAD}"


def test_empty_fix_is_flask_db_upgrade(
    flask_project: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    sqlite_db.touch()
    [finding] = run_doctor(flask_project, sqlite_db.url, "--format", "json").findings
    assert finding["code"] == "AG804"
    assert finding["fix"] == "flask db upgrade"
