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
OLD_ALEMBIC = ROOT / ".venv-oldalembic"


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


@pytest.mark.parametrize(
    ("venv", "command", "said"),
    [
        (
            OLD_SQLALCHEMY,
            "check",
            [
                "SQLAlchemy 1.3.24 is installed",
                "1.4 or newer",
                "pinned below SQLAlchemy 1.4 cannot be checked",
            ],
        ),
        (OLD_SQLALCHEMY, "doctor", ["SQLAlchemy 1.3.24 is installed", "1.4 or newer"]),
        (NO_ALEMBIC, "check", ["alembic is not installed", "the project's own environment"]),
        (OLD_ALEMBIC, "check", ["alembic 1.5.8 is installed", "alembic to 1.9 or newer"]),
    ],
    ids=["sqlalchemy-1.3-check", "sqlalchemy-1.3-doctor", "no-alembic-check", "alembic-1.5-check"],
)
def test_an_environment_that_cannot_serve_is_a_usage_error(
    tmp_path: Path, venv: Path, command: str, said: list[str]
) -> None:
    done = _gate(tmp_path, venv, command)
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    for words in said:
        assert words in done.stderr
