"""The session's measurement hooks, seen by an observer in a real worker-like process:
before/after around each revision of `upgrade heads`, failed for the one that raised."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

PROJECTS = Path(__file__).parent.parent / "projects"

# Runs a Session as the worker does, with one observer that records what it is told.
DRIVER = """
import json, sys
from pathlib import Path
from alembic_gate.check.observe import Observer
from alembic_gate.check.protocol import DatabaseSpec, Request
from alembic_gate.check.session import Session

seen = []

class Recorder(Observer):
    def configured(self, context):
        seen.append(["configured", context.dialect.name])
    def before(self, step, context):
        seen.append(["before", step.revision.revision])
    def after(self, step, context):
        seen.append(["after", step.revision.revision])
    def failed(self, step, exc):
        seen.append(["failed", step.revision.revision, type(exc).__name__])

root = Path.cwd()
request = Request(
    cwd=str(root), config_path=str(root / "alembic.ini"), section="alembic",
    script_location=str(root / "migrations"), flask=False,
    database=DatabaseSpec("sqlite", directory=sys.argv[1]), compare=False,
)
session = Session(request)
session.observers.add(Recorder())
result = session.run()
print(json.dumps({"seen": seen, "codes": [f.code for f in result.findings]}))
"""


def _observe(tmp_path: Path, name: str) -> dict[str, list[object]]:
    root = Path(shutil.copytree(PROJECTS / name, tmp_path / name))
    (tmp_path / "db").mkdir()
    (tmp_path / "driver.py").write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "db")],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    seen: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def test_each_revision_is_framed_by_before_and_after(tmp_path: Path) -> None:
    seen = _observe(tmp_path, "check_generic")
    events = seen["seen"]
    assert events[0] == ["configured", "sqlite"]
    steps = events[1:]
    assert [kind for kind, _ in steps] == ["before", "after"] * (len(steps) // 2)
    befores = [rev for kind, rev in steps if kind == "before"]
    assert befores == [rev for kind, rev in steps if kind == "after"]
    assert len(befores) >= 2 and seen["codes"] == []


def test_the_revision_that_raised_is_failed_not_after(tmp_path: Path) -> None:
    seen = _observe(tmp_path, "check_failing")
    events = seen["seen"]
    assert events[-3:] == [
        ["after", "7a3d5e8c2f40"],
        ["before", "c9e2b7d41a05"],
        ["failed", "c9e2b7d41a05", "OperationalError"],
    ]
    assert seen["codes"] == ["AG901"]
