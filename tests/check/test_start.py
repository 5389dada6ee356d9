"""`alembic_gate.check.run`: the worker process starts before the parent's heavy imports
(lint, the rules, the reporters, check.command), so that its own imports overlap them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import PROJECTS

# Records, with CPython's audit hooks, the order in which the worker is started and the
# parent's modules are imported, during a whole `check --db sqlite` run.
DRIVER = """
import json, sys
events = []

def hook(event, args):
    if event == "import" and args[0] in {"alembic_gate.check.command", "alembic_gate.lint"}:
        events.append(args[0])
    elif event == "subprocess.Popen" and "alembic_gate.check.worker" in list(args[1]):
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
