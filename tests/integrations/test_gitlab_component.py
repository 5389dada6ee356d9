"""templates/alembic-gate.yml, the GitLab CI/CD component, run the way a runner runs it.

The file is read as GitLab reads a component: a `spec:` document, `---`, then the job,
with `$[[ inputs.name ]]` interpolated into keys and values. The job's `variables:` become
the environment and its `script:` entries run as one shell script in the project folder
(bash with `-eo pipefail`, as the runner's bash; also POSIX sh, for images without bash).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import ROOT, base_env, git

TEMPLATE = ROOT / "templates" / "alembic-gate.yml"
SPEC, JOBS = yaml.safe_load_all(TEMPLATE.read_text())
INPUTS = SPEC["spec"]["inputs"]
CODE_QUALITY_SCHEMA = json.loads(
    (ROOT / "tests" / "schemas" / "gitlab-code-quality.json").read_text()
)
INTERPOLATION = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def interpolate(node: Any, inputs: dict[str, str]) -> Any:
    """Replace `$[[ inputs.x ]]` in every key and string value, as GitLab does."""
    if isinstance(node, dict):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(item, inputs) for item in node]
    if isinstance(node, str):
        return INTERPOLATION.sub(lambda m: inputs[m.group(1)], node)
    return node


def job_for(**given: str) -> tuple[str, dict[str, Any]]:
    inputs = {name: str(spec.get("default", "")) for name, spec in INPUTS.items()}
    for name, value in given.items():
        key = name.replace("_", "-")
        assert key in INPUTS, f"the component has no input {key}"
        options = INPUTS[key].get("options")
        assert options is None or value in options, f"{key}: {value} not in {options}"
        inputs[key] = value
    ((name, job),) = interpolate(JOBS, inputs).items()
    return name, job


@dataclass
class Job:
    returncode: int
    log: str
    code_quality: list[dict[str, Any]] | None
    junit: ET.Element | None


@pytest.fixture
def run_job(python_bin: Path, action_checkout: Path) -> Callable[..., Job]:
    """Run the job in `project`; `package` defaults to this checkout (no PyPI needed)."""

    def run(
        project: Path, shell: str = "bash", ci: dict[str, str] | None = None, **given: str
    ) -> Job:
        _, job = job_for(**{"package": str(action_checkout), **given})
        script = project.parent / "job.sh"
        script.write_text("\n".join(job["script"]) + "\n")
        argv = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
            if shell == "bash"
            else ["sh", "-e"]
        )
        env = base_env(python_bin) | {
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_PROJECT_DIR": str(project),
            "CI_JOB_IMAGE": job["image"],
            "CI_PIPELINE_SOURCE": "merge_request_event" if ci else "push",
        }
        done = subprocess.run(
            [*argv, str(script)],
            cwd=project,
            env=env | {k: str(v) for k, v in job["variables"].items()} | (ci or {}),
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

    return run


def failures(junit: ET.Element) -> dict[str, int]:
    return {
        case.get("name", ""): len(case.findall("failure"))
        for case in junit.iter("testcase")
        if case.findall("failure")
    }


# --- the component's definition ------------------------------------------------------------


def test_spec_header_declares_the_inputs() -> None:
    assert {"stage", "command", "config", "db", "image", "args", "database-url"} <= set(INPUTS)
    assert INPUTS["command"]["options"] == ["lint", "check", "doctor"]
    assert all(spec.get("description") for spec in INPUTS.values())
    name, job = job_for()
    assert name == "alembic-gate"
    assert job["stage"] == "test"


def test_inputs_reach_the_script_only_through_variables() -> None:
    for line in JOBS[next(iter(JOBS))]["script"]:
        assert "$[[" not in line


def test_reports_are_published_even_when_the_job_fails() -> None:
    _, job = job_for()
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"] == {
        "codequality": "gl-code-quality-report.json",
        "junit": "alembic-gate-junit.xml",
    }
    script = "\n".join(job["script"])
    assert "--format gitlab=gl-code-quality-report.json" in script
    assert "--format junit=alembic-gate-junit.xml" in script


def test_job_name_and_stage_are_inputs() -> None:
    name, job = job_for(job_name="migrations-check", stage="verify", command="check")
    assert name == "migrations-check"
    assert job["stage"] == "verify"
    assert job["variables"]["ALEMBIC_GATE_INPUT_COMMAND"] == "check"


def test_default_package_is_this_version() -> None:
    version = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    assert INPUTS["package"]["default"] == f"alembic-gate=={version[1]}"


# --- running it ----------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_lint_of_two_heads_fails_with_reports(
    make_project: Callable[..., Path], run_job: Callable[..., Job], shell: str
) -> None:
    job = run_job(make_project(two_heads=True), shell=shell)

    assert job.returncode == 1, job.log
    assert "AG001 [multiple-heads]" in job.log
    assert job.code_quality is not None
    jsonschema.Draft7Validator(CODE_QUALITY_SCHEMA).validate(job.code_quality)
    ag001 = [issue for issue in job.code_quality if issue["check_name"] == "AG001"]
    assert ag001 and all(issue["severity"] == "critical" for issue in ag001)
    assert all(issue["location"]["path"].startswith("migrations/versions/") for issue in ag001)
    assert job.junit is not None
    assert failures(job.junit) == {"AG001 multiple-heads": len(ag001)}
    assert len(list(job.junit.iter("testcase"))) > 1


def test_lint_of_a_clean_project_passes(
    make_project: Callable[..., Path], run_job: Callable[..., Job]
) -> None:
    job = run_job(make_project())
    assert job.returncode == 0, job.log
    assert job.code_quality == []
    assert job.junit is not None and failures(job.junit) == {}


def test_merge_request_lint_compares_with_the_fetched_target_branch(
    pr_clone: Path, run_job: Callable[..., Job]
) -> None:
    job = run_job(pr_clone, ci={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})

    assert "Fetching the base branch main from origin" in job.log
    assert git(pr_clone, "rev-parse", "--verify", "origin/main^{commit}")
    assert job.returncode == 1, job.log
    assert job.code_quality is not None
    stale = [i for i in job.code_quality if i["check_name"] == "AG010"]
    assert [i["location"]["path"] for i in stale] == ["migrations/versions/bbbb_feature.py"]


def test_args_and_config_inputs_become_flags(
    make_project: Callable[..., Path], run_job: Callable[..., Job]
) -> None:
    workspace = make_project(two_heads=True, subdir="backend")
    job = run_job(workspace, config="backend/alembic.ini", args="--ignore AG001")
    assert job.returncode == 0, job.log
    assert job.code_quality == []


def test_unknown_command_stops_the_job(
    make_project: Callable[..., Path], run_job: Callable[..., Job]
) -> None:
    project = make_project()
    _, job = job_for()
    job["variables"]["ALEMBIC_GATE_INPUT_COMMAND"] = "migrate"  # past the options check
    script = project.parent / "bad.sh"
    script.write_text("\n".join(job["script"]))
    done = subprocess.run(
        ["sh", "-e", str(script)],
        cwd=project,
        env={k: str(v) for k, v in job["variables"].items()} | {"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "input command must be lint, check or doctor" in done.stderr


# --- check against a services:-style database (--database-url), no Docker ---------------------


def _check_available() -> bool:
    try:
        import alembic_gate.check as check
    except ImportError:
        return False
    return hasattr(check, "run")


@pytest.fixture
def scratch_database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"gl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DRIFT = """

class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(500))
"""


@pytest.mark.postgres
@pytest.mark.skipif(not _check_available(), reason="alembic_gate.check has not landed")
def test_check_with_database_url_passes_on_a_clean_project(
    make_project: Callable[..., Path], run_job: Callable[..., Job], scratch_database: str
) -> None:
    job = run_job(make_project(), command="check", database_url=scratch_database)
    assert job.returncode == 0, job.log
    assert job.code_quality == []
    assert job.junit is not None and failures(job.junit) == {}


@pytest.mark.postgres
@pytest.mark.skipif(not _check_available(), reason="alembic_gate.check has not landed")
def test_check_with_database_url_reports_drift(
    make_project: Callable[..., Path], run_job: Callable[..., Job], scratch_database: str
) -> None:
    project = make_project()
    with (project / "models.py").open("a") as models:
        models.write(DRIFT)
    job = run_job(project, command="check", database_url=scratch_database)

    assert job.returncode == 1, job.log
    assert "AG902" in job.log
    assert job.code_quality is not None
    jsonschema.Draft7Validator(CODE_QUALITY_SCHEMA).validate(job.code_quality)
    drift = [i for i in job.code_quality if i["check_name"] == "AG902"]
    assert drift and any("comment" in i["description"] for i in drift)
    assert job.junit is not None
    assert set(failures(job.junit)) == {"AG902 schema-drift"}
