"""action.yml, run the way the GitHub runner runs a composite action.

Each `run:` step is written to a file and run with `bash --noprofile --norc -eo pipefail`
(the runner's `shell: bash`), with the step's `env:` block evaluated from the inputs, the
runner's GITHUB_* variables and files, and the workspace as working directory. `uses:`
steps are not run: actions/setup-python's part is played by a fresh Python on PATH.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import LAST, ROOT, base_env, git

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ANNOTATION = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$", re.M)


def evaluate(value: str, context: dict[str, dict[str, str]]) -> str:
    """Evaluate `${{ ctx.name }}` expressions: the only kind action.yml may use."""

    def one(match: re.Match[str]) -> str:
        ctx, _, name = match.group(1).partition(".")
        return context[ctx][name]

    return EXPRESSION.sub(one, str(value))


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for text in lines:
                if text == delimiter:
                    break
                body.append(text)
            outputs[name] = "\n".join(body)
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@dataclass
class Run:
    returncode: int
    stdout: str
    outputs: dict[str, str]
    summary: str


@pytest.fixture
def run_action(python_bin: Path, action_checkout: Path, tmp_path: Path) -> Callable[..., Run]:
    def run(workspace: Path, base_ref: str = "", **given: str) -> Run:
        inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        for name, value in given.items():
            key = name.replace("_", "-")
            assert key in inputs, f"action.yml has no input {key}"
            inputs[key] = value
        runner = tmp_path / "runner"
        runner.mkdir(exist_ok=True)
        summary = runner / "summary.md"
        summary.touch()
        env = base_env(python_bin) | {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(action_checkout),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_EVENT_NAME": "pull_request" if base_ref else "push",
            "GITHUB_BASE_REF": base_ref,
            "RUNNER_TEMP": str(runner),
        }
        context = {"inputs": inputs, "steps": {}}
        stdout = ""
        step_outputs: dict[str, dict[str, str]] = {}
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "uses" in step:
                continue
            output_file = runner / f"output-{index}"
            output_file.touch()
            script = runner / f"step-{index}.sh"
            script.write_text(step["run"])
            step_env = {k: evaluate(v, context) for k, v in step.get("env", {}).items()}
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=workspace,
                env=env | step_env | {"GITHUB_OUTPUT": str(output_file)},
                capture_output=True,
                text=True,
                timeout=600,
            )
            stdout += done.stdout
            sys.stderr.write(done.stderr)
            if "id" in step:
                step_outputs[step["id"]] = read_outputs(output_file)
            if done.returncode != 0:
                return Run(done.returncode, stdout, {}, summary.read_text())
        outputs = {
            name: evaluate(spec["value"], _steps_context(step_outputs))
            for name, spec in ACTION["outputs"].items()
        }
        return Run(0, stdout, outputs, summary.read_text())

    return run


def _steps_context(step_outputs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    # `steps.<id>.outputs.<name>` flattened into the one-dot form evaluate() reads.
    flat = {f"{sid}.outputs.{k}": v for sid, outs in step_outputs.items() for k, v in outs.items()}
    return {"steps": flat}


def annotations(stdout: str) -> list[dict[str, str]]:
    found = []
    for match in ANNOTATION.finditer(stdout):
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        found.append({"level": match[1], **props, "message": match["message"]})
    return found


def sarif_uris(sarif: dict[str, Any]) -> list[str]:
    return [
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for location in result["locations"]
    ]


def load_script() -> ModuleType:
    path = ROOT / "scripts" / "github_action.py"
    spec = importlib.util.spec_from_file_location("github_action", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["github_action"] = module
    spec.loader.exec_module(module)
    return module


# --- the action's definition -----------------------------------------------------------------


def test_marketplace_metadata() -> None:
    assert ACTION["name"] == "alembic-gate"
    assert ACTION["description"].strip()
    assert ACTION["author"]
    assert set(ACTION["branding"]) == {"icon", "color"}
    assert ACTION["runs"]["using"] == "composite"
    expected = {
        "command", "config", "db", "image", "database-url", "args",
        "python-version", "sarif", "working-directory", "base",
    }  # fmt: skip
    assert set(ACTION["inputs"]) == expected
    assert all(spec["description"] for spec in ACTION["inputs"].values())


def test_python_is_set_up_with_the_python_version_input() -> None:
    uses = [step for step in ACTION["runs"]["steps"] if "uses" in step]
    assert [step["uses"].split("@")[0] for step in uses] == ["actions/setup-python"]
    assert uses[0]["with"] == {"python-version": "${{ inputs.python-version }}"}


def test_no_input_or_event_value_reaches_a_script() -> None:
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue
        assert "${{" not in step["run"], f"expression inside run: of {step.get('name')}"
        for value in step.get("env", {}).values():
            for expression in EXPRESSION.findall(value):
                ctx, _, name = expression.partition(".")
                assert ctx == "inputs" and name in ACTION["inputs"], expression


def test_every_input_reaches_the_run_step() -> None:
    run_step = next(step for step in ACTION["runs"]["steps"] if step.get("id") == "run")
    passed = {EXPRESSION.search(v)[1].split(".", 1)[1] for v in run_step["env"].values()}
    assert passed == set(ACTION["inputs"]) - {"python-version"}


# --- running it ----------------------------------------------------------------------------


def test_two_heads_fail_with_annotations_summary_and_sarif(
    make_project: Callable[..., Path], run_action: Callable[..., Run]
) -> None:
    workspace = make_project(two_heads=True)
    result = run_action(workspace, sarif="reports/alembic-gate.sarif")

    assert result.returncode == 1, result.stdout
    errors = [a for a in annotations(result.stdout) if a["title"] == "AG001 multiple-heads"]
    assert errors and all(a["level"] == "error" for a in errors)
    assert {a["file"] for a in errors} <= {
        "migrations/versions/4c535d2e7ab2_create_post.py",
        "migrations/versions/99aa99aa99aa_a_second_head.py",
    }
    assert "## alembic-gate lint" in result.summary
    assert "| Location | Rule | Severity | Message | Fix |" in result.summary
    assert "AG001" in result.summary

    sarif = json.loads((workspace / "reports" / "alembic-gate.sarif").read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert "AG001" in {r["ruleId"] for r in results}
    assert all((workspace / uri).is_file() for uri in sarif_uris(sarif))


def test_clean_project_passes_and_sets_outputs(
    make_project: Callable[..., Path], run_action: Callable[..., Run]
) -> None:
    result = run_action(make_project())
    assert result.returncode == 0, result.stdout
    assert result.outputs == {"findings": "0", "heads": LAST}
    assert annotations(result.stdout) == []
    assert "## alembic-gate lint" in result.summary


def test_outputs_count_findings_and_list_heads(tmp_path: Path) -> None:
    # A failing run still writes its outputs before the step fails.
    load_script().write_outputs(
        {"findings": [{"code": "AG001"}, {"code": "AG001"}], "heads": ["ab12", "cd34"]},
        {"GITHUB_OUTPUT": str(tmp_path / "out")},
    )
    assert read_outputs(tmp_path / "out") == {"findings": "2", "heads": "ab12 cd34"}


def test_working_directory_paths_are_relative_to_the_repository(
    make_project: Callable[..., Path], run_action: Callable[..., Run]
) -> None:
    workspace = make_project(two_heads=True, subdir="backend")
    result = run_action(workspace, working_directory="backend", sarif="alembic-gate.sarif")

    assert result.returncode == 1, result.stdout
    files = {a["file"] for a in annotations(result.stdout) if "file" in a}
    assert files and all(f.startswith("backend/migrations/versions/") for f in files)
    assert all((workspace / f).is_file() for f in files)
    sarif = json.loads((workspace / "alembic-gate.sarif").read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    uris = sarif_uris(sarif)
    assert uris and all((workspace / uri).is_file() for uri in uris)


def test_pull_request_base_is_fetched_into_a_shallow_checkout(
    pr_clone: Path, run_action: Callable[..., Run]
) -> None:
    result = run_action(pr_clone, base_ref="main")

    assert "--base origin/main" in result.stdout
    assert git(pr_clone, "rev-parse", "--verify", "origin/main^{commit}")
    assert result.returncode == 1, result.stdout
    stale = [a for a in annotations(result.stdout) if a["title"].startswith("AG010")]
    assert [a["file"] for a in stale] == ["migrations/versions/bbbb_feature.py"]


def test_base_none_lints_without_a_base(pr_clone: Path, run_action: Callable[..., Run]) -> None:
    result = run_action(pr_clone, base_ref="main", base="none")
    assert "--base" not in result.stdout
    assert result.returncode == 0, result.stdout
    assert result.outputs["heads"] == "bbbbbbbbbbbb"


def test_an_unusable_input_is_an_error_annotation(
    make_project: Callable[..., Path], run_action: Callable[..., Run]
) -> None:
    workspace = make_project()
    bad = run_action(workspace, command="migrate")
    assert bad.returncode == 2
    assert "::error title=alembic-gate::input 'command' is 'migrate'" in bad.stdout

    misplaced = run_action(workspace, db="mysql")
    assert misplaced.returncode == 2
    assert "input 'db' is for command check, not lint" in misplaced.stdout


def test_database_url_is_not_printed() -> None:
    shown = load_script().shown(["check", "--database-url", "postgresql://u:secret@h/db"])
    assert shown == ["check", "--database-url", "***"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "::error file=m/a.py,line=3,title=AG001 multiple-heads::two%0Afix: a%2C b\n",
            "::error file=my%2Capp/m/a.py,line=3,title=AG001 multiple-heads::two%0Afix: a%2C b\n",
        ),
        ("::warning title=alembic-gate::a: b, c\n", None),
        ("m/a.py:3: AG001 [multiple-heads] file=x\n", None),
    ],
)
def test_annotation_paths_get_the_prefix(line: str, expected: str | None) -> None:
    assert load_script().prefix_annotation(line, "my,app") == (expected or line)
