"""`alembic_gate.check.run`: the worker process starts before the parent's heavy imports
(lint, the rules, the reporters, check.command), so that its own imports overlap them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECTS

# Records, with CPython's audit hooks, the order in which the worker is started and the
# parent's modules are imported, during a whole `check --db sqlite` run.
DRIVER = """
import json, sys
events = []

def hook(event, args):
    if event == "import" and args[0] in {"alembic_gate.check.command", "alembic_gate.lint"}:
        events.append(args[0])
    elif event == "subprocess.Popen" and any("alembic_gate.check.worker" in a for a in args[1]):
        events.append("worker")

sys.addaudithook(hook)
from alembic_gate.main import main

code = main(["check", "--db", "sqlite", "--format", "json=report.json"])
print(json.dumps([code, list(dict.fromkeys(events))]))
"""


def test_the_worker_starts_before_the_command_is_imported(tmp_path: Path) -> None:
    root = Path(shutil.copytree(PROJECTS / "check_generic", tmp_path / "generic"))
    done = subprocess.run(
        [sys.executable, "-c", DRIVER], cwd=root, capture_output=True, text=True, check=True
    )
    code, order = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0
    assert order == ["worker", "alembic_gate.check.command", "alembic_gate.lint"]
    assert json.loads((root / "report.json").read_text())["findings"] == []


def console_check(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`alembic-gate check --db sqlite` in `root` through the console script, as users run
    it (`python -m` would put the folder on sys.path), with `env` added to the environment."""
    script = Path(sys.executable).parent / "alembic-gate"
    return subprocess.run(
        [str(script), "check", "--db", "sqlite"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("name", ["types", "functools", "enum"])
def test_a_project_module_named_as_the_standard_librarys(tmp_path: Path, name: str) -> None:
    # Netflix's dispatch keeps a types.py beside its alembic.ini: `alembic upgrade` runs
    # there, and so must the worker, with the standard library's modules its own.
    root = Path(shutil.copytree(PROJECTS / "check_generic", tmp_path / "generic"))
    (root / f"{name}.py").write_text(f"raise ImportError('the project {name}.py was imported')\n")
    done = console_check(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "was imported" not in done.stdout + done.stderr


def test_a_pythonpath_naming_the_current_folder_is_kept(tmp_path: Path) -> None:
    # hypothesis/h's Makefile runs alembic with PYTHONPATH=$(CURDIR) and no
    # prepend_sys_path: alembic imports the project's package from there, and so must
    # the worker (it dropped that entry as if it were `python -m`'s own).
    root = Path(shutil.copytree(PROJECTS / "check_generic", tmp_path / "generic"))
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace("prepend_sys_path = .\n", ""))
    done = console_check(root, PYTHONPATH=str(root))
    assert done.returncode == 0, done.stdout + done.stderr
