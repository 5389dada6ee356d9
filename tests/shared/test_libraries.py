"""check and doctor in a Python whose SQLAlchemy is older than 1.4 (faraday pins
`sqlalchemy<1.4`) or that has no alembic (alembic-gate installed apart from the project):
a usage error that says so, never an ImportError's traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from alembic_gate.shared.libraries import release

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"

# Real environments that scripts/test makes: SQLAlchemy 1.3.24 (as faraday pins it), and
# SQLAlchemy 2 with no alembic; alembic-gate is installed in each without its dependencies.
OLD_SQLALCHEMY = ROOT / ".venv-sa13"
NO_ALEMBIC = ROOT / ".venv-noalembic"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.3.24", (1, 3)),
        ("1.4.0rc1", (1, 4)),
        ("2.0.0b4", (2, 0)),
        ("2.1.9", (2, 1)),
        ("", (0, 0)),
    ],
)
def test_release_reads_the_first_two_numbers(version: str, expected: tuple[int, int]) -> None:
    assert release(version) == expected


def _gate(tmp_path: Path, venv: Path, command: str) -> subprocess.CompletedProcess[str]:
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{venv.name} is missing: scripts/test makes it")
    project = Path(shutil.copytree(PROJECTS / "check_generic", tmp_path / "generic"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [
            str(python),
            "-m",
            "alembic_gate",
            command,
            "--database-url",
            f"sqlite:///{tmp_path}/x.db",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["check", "doctor"])
def test_sqlalchemy_older_than_1_4_is_a_usage_error(tmp_path: Path, command: str) -> None:
    done = _gate(tmp_path, OLD_SQLALCHEMY, command)
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    assert "SQLAlchemy 1.3.24 is installed" in done.stderr
    assert "1.4 or newer" in done.stderr


def test_check_without_alembic_is_a_usage_error(tmp_path: Path) -> None:
    done = _gate(tmp_path, NO_ALEMBIC, "check")
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    assert "alembic is not installed" in done.stderr
    assert "the project's own environment" in done.stderr


def test_check_on_sqlalchemy_1_3_says_the_project_cannot_be_checked(tmp_path: Path) -> None:
    done = _gate(tmp_path, OLD_SQLALCHEMY, "check")
    assert "pinned below SQLAlchemy 1.4 cannot be checked" in done.stderr
