"""The reports' real consumers, as the tests run them: their own validators and renderers.

scripts/test installs the npm ones into .tools/npm/ and Chromium from Debian (the
Python ones come with the test extras). A consumer that is missing skips its test on a
developer's machine and fails it under CI=true, so CI never passes by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "schemas"
NODE_MODULES = Path(os.environ.get("ALEMBIC_GATE_TOOLS", ROOT / ".tools")) / "npm" / "node_modules"


def missing(what: str) -> NoReturn:
    message = f"{what} is not installed: scripts/test installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def npm_file(relative: str, what: str) -> Path:
    path = NODE_MODULES / relative
    if not path.exists():
        missing(what)
    return path


def sarif_multitool() -> Path:
    return npm_file("@microsoft/sarif-multitool-linux/Sarif.Multitool", "the SARIF multitool")


def gitlab_ci_local() -> Path:
    return npm_file("gitlab-ci-local/dist/index.js", "gitlab-ci-local")


def mermaid_js() -> Path:
    return npm_file("mermaid/dist/mermaid.min.js", "mermaid")


def chromium() -> str:
    return command("chromium", "Chromium")


def command(name: str, what: str) -> str:
    """The path of a consumer's command on PATH (a Debian package scripts/test installs)."""
    found = shutil.which(name)
    if found is None:
        missing(what)
    return found


def sarif_validate(path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """The problems Microsoft's SARIF multitool finds in the SARIF file at `path`: its
    GitHub ingestion rules (`--rule-kind Gh`) and its SARIF rules, as result objects."""
    problems: list[dict[str, Any]] = []
    for kind in ("Gh", "Sarif"):
        out = tmp_path / f"validation-{kind}.sarif"
        out.unlink(missing_ok=True)
        done = subprocess.run(
            [str(sarif_multitool()), "validate", "--rule-kind", kind, "-o", str(out), str(path)],
            capture_output=True,
            text=True,
            env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"},
            timeout=300,
        )
        assert done.returncode == 0 and out.is_file(), done.stdout + done.stderr
        log = json.loads(out.read_text(encoding="utf-8-sig"))
        problems += log["runs"][0].get("results", [])
    return problems


def describe(problems: list[dict[str, Any]]) -> list[str]:
    """The multitool's results as `RULE level: arguments` lines, for assertion messages."""
    return [
        f"{p['ruleId']} {p.get('level', 'warning')}: {p['message'].get('arguments')}"
        for p in problems
    ]
