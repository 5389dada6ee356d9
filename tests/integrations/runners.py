"""Run action.yml as the GitHub runner does, and the GitLab component's job as a runner does.

GitHub: each `run:` step of the composite action is written to a file and run with
`bash --noprofile --norc -eo pipefail` (the runner's `shell: bash`) in the workspace, with
the step's `env:` block evaluated from the inputs and the runner's GITHUB_* variables and
files. `uses:` steps are not run: a fresh Python first on PATH plays actions/setup-python.

GitLab: templates/alembic-gate.yml is read as GitLab reads a component (a `spec:`
document, `---`, the job) with `$[[ inputs.name ]]` interpolated into keys and values. The
job's `variables:` become the environment and its `script:` entries run as one shell
script in the project folder (bash with `-eo pipefail` as GitLab's bash, or POSIX sh).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
VERSION: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def base_env(python_bin: Path) -> dict[str, str]:
    """The test's environment minus any CI variables, with the fresh Python first on PATH."""
    drop = ("GITHUB_", "RUNNER_", "INPUT_", "CI_", "GITLAB_", "VIRTUAL_ENV", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{python_bin}{os.pathsep}{os.environ['PATH']}"
    env["PIP_NO_INPUT"] = "1"
    return env


# --- GitHub --------------------------------------------------------------------------------

ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ANNOTATION = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$", re.M)


def evaluate(value: str, context: Mapping[str, Mapping[str, str]]) -> str:
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


def action_inputs(given: Mapping[str, str]) -> dict[str, str]:
    """The action's defaults overridden by `given` (`working_directory` or `working-directory`)."""
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    for name, value in given.items():
        key = name.replace("_", "-")
        assert key in inputs, f"action.yml has no input {key}"
        inputs[key] = str(value)
    return inputs


@dataclass
class Run:
    returncode: int
    stdout: str
    outputs: dict[str, str]
    summary: str


def run_action(
    python_bin: Path,
    action_path: Path,
    runner: Path,
    workspace: Path,
    inputs: Mapping[str, str],
    *,
    base_ref: str = "",
    extra_env: Mapping[str, str] | None = None,
) -> Run:
    runner.mkdir(parents=True, exist_ok=True)
    summary = runner / "summary.md"
    summary.write_text("")
    env = base_env(python_bin) | {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_EVENT_NAME": "pull_request" if base_ref else "push",
        "GITHUB_BASE_REF": base_ref,
        "RUNNER_TEMP": str(runner),
        **(extra_env or {}),
    }
    context = {"inputs": action_inputs(inputs)}
    stdout = ""
    step_outputs: dict[str, str] = {}
    for index, step in enumerate(ACTION["runs"]["steps"]):
        if "uses" in step:
            continue
        output_file = runner / f"output-{index}"
        output_file.write_text("")
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
            # `steps.<id>.outputs.<name>`, flattened into the one-dot form evaluate() reads.
            outs = read_outputs(output_file).items()
            step_outputs |= {f"{step['id']}.outputs.{k}": v for k, v in outs}
        if done.returncode != 0:
            return Run(done.returncode, stdout, {}, summary.read_text())
    outputs = {
        name: evaluate(spec["value"], {"steps": step_outputs})
        for name, spec in ACTION["outputs"].items()
    }
    return Run(0, stdout, outputs, summary.read_text())


def parse_annotations(stdout: str) -> list[dict[str, str]]:
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


# --- GitLab --------------------------------------------------------------------------------

TEMPLATE = ROOT / "templates" / "alembic-gate.yml"
SPEC, JOBS = yaml.safe_load_all(TEMPLATE.read_text())
INPUTS: dict[str, dict[str, Any]] = SPEC["spec"]["inputs"]
INTERPOLATION = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")


def interpolate(node: Any, inputs: Mapping[str, str]) -> Any:
    """Replace `$[[ inputs.x ]]` in every key and string value, as GitLab does."""
    if isinstance(node, dict):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(item, inputs) for item in node]
    if isinstance(node, str):
        return INTERPOLATION.sub(lambda m: inputs[m.group(1)], node)
    return node


def job_for(given: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The component's job (name, definition) for these inputs, checked as GitLab checks them."""
    inputs = {name: str(spec.get("default", "")) for name, spec in INPUTS.items()}
    for name, value in given.items():
        key = name.replace("_", "-")
        assert key in INPUTS, f"the component has no input {key}"
        options = INPUTS[key].get("options")
        assert options is None or value in options, f"{key}: {value} not in {options}"
        inputs[key] = str(value)
    ((name, job),) = interpolate(JOBS, inputs).items()
    return name, job


@dataclass
class Job:
    returncode: int
    log: str
    code_quality: list[dict[str, Any]] | None
    junit: ET.Element | None


def run_job(
    python_bin: Path,
    project: Path,
    inputs: Mapping[str, str],
    *,
    shell: str = "bash",
    ci: Mapping[str, str] | None = None,
    override: Mapping[str, Any] | None = None,
) -> Job:
    """Run the job's script in `project`; `ci` adds merge request pipeline variables.

    `override` is the user's own definition of the job, merged as GitLab merges it: its
    `variables` over the component's, its `before_script` before the script.
    """
    _, job = job_for(inputs)
    override = override or {}
    variables = {**job["variables"], **override.get("variables", {})}
    script = project.parent / "job.sh"
    script.write_text("\n".join([*override.get("before_script", []), *job["script"]]) + "\n")
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
    env = base_env(python_bin) | {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(project),
        "CI_JOB_IMAGE": job["image"],
        "CI_PIPELINE_SOURCE": "merge_request_event" if ci else "push",
    }
    done = subprocess.run(
        [*(bash if shell == "bash" else ["sh", "-e"]), str(script)],
        cwd=project,
        env=env | {k: str(v) for k, v in variables.items()} | dict(ci or {}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    sys.stderr.write(done.stderr)
    reports = job["artifacts"]["reports"]
    quality = project / reports["codequality"]
    junit = project / reports["junit"]
    return Job(
        done.returncode,
        done.stdout + done.stderr,
        json.loads(quality.read_text()) if quality.exists() else None,
        ET.parse(junit).getroot() if junit.exists() else None,
    )


def failures(junit: ET.Element) -> dict[str, int]:
    """Failures per testcase name, for the testcases that have any."""
    return {
        case.get("name", ""): len(case.findall("failure"))
        for case in junit.iter("testcase")
        if case.findall("failure")
    }
