"""templates/alembic-gate.yml, the GitLab CI/CD component, run as a runner runs it (runners.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from .conftest import git
from .runners import INPUTS, JOBS, ROOT, VERSION, Job, failures, job_for

CODE_QUALITY_SCHEMA = json.loads(
    (ROOT / "tests" / "schemas" / "gitlab-code-quality.json").read_text()
)


# --- the component's definition ------------------------------------------------------------


def test_spec_header_declares_the_inputs() -> None:
    assert {"stage", "command", "config", "db", "image", "args", "database-url", "env"} <= set(
        INPUTS
    )
    assert INPUTS["command"]["options"] == ["lint", "check", "doctor"]
    assert all(spec.get("description") for spec in INPUTS.values())
    name, job = job_for({})
    assert name == "alembic-gate"
    assert job["stage"] == "test"


def test_inputs_reach_the_script_only_through_variables() -> None:
    for line in JOBS[next(iter(JOBS))]["script"]:
        assert "$[[" not in line


def test_reports_are_published_even_when_the_job_fails() -> None:
    _, job = job_for({})
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
    name, job = job_for({"job-name": "migrations-check", "stage": "verify", "command": "check"})
    assert name == "migrations-check"
    assert job["stage"] == "verify"
    assert job["variables"]["ALEMBIC_GATE_INPUT_COMMAND"] == "check"


def test_default_package_is_this_version() -> None:
    assert INPUTS["package"]["default"] == f"alembic-gate=={VERSION}"


# --- running it ----------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_lint_of_two_heads_fails_with_reports(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job], shell: str
) -> None:
    job = gitlab_job(make_project(two_heads=True), shell=shell)

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
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job]
) -> None:
    job = gitlab_job(make_project())
    assert job.returncode == 0, job.log
    assert job.code_quality == []
    assert job.junit is not None and failures(job.junit) == {}


def test_merge_request_lint_compares_with_the_fetched_target_branch(
    pr_clone: Path, gitlab_job: Callable[..., Job]
) -> None:
    job = gitlab_job(pr_clone, ci={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})

    assert "Fetching the base branch main from origin" in job.log
    assert git(pr_clone, "rev-parse", "--verify", "origin/main^{commit}")
    assert job.returncode == 1, job.log
    assert job.code_quality is not None
    stale = [i for i in job.code_quality if i["check_name"] == "AG010"]
    assert [i["location"]["path"] for i in stale] == ["migrations/versions/bbbb_feature.py"]


def test_args_and_config_inputs_become_flags(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job]
) -> None:
    workspace = make_project(two_heads=True, subdir="backend")
    job = gitlab_job(workspace, config="backend/alembic.ini", args="--ignore AG001")
    assert job.returncode == 0, job.log
    assert job.code_quality == []


def test_unknown_command_stops_the_job(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job]
) -> None:
    project = make_project()
    _, job = job_for({})
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


DRIFT = """

class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(500))
"""


@pytest.mark.postgres
@pytest.mark.skipif(not _check_available(), reason="alembic_gate.check has not landed")
def test_check_with_database_url_passes_on_a_clean_project(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job], scratch_database: str
) -> None:
    job = gitlab_job(make_project(), command="check", database_url=scratch_database)
    assert job.returncode == 0, job.log
    assert job.code_quality == []
    assert job.junit is not None and failures(job.junit) == {}


@pytest.mark.postgres
@pytest.mark.skipif(not _check_available(), reason="alembic_gate.check has not landed")
def test_check_with_database_url_reports_drift(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job], scratch_database: str
) -> None:
    project = make_project()
    with (project / "models.py").open("a") as models:
        models.write(DRIFT)
    job = gitlab_job(project, command="check", database_url=scratch_database)

    assert job.returncode == 1, job.log
    assert "AG902" in job.log
    assert job.code_quality is not None
    jsonschema.Draft7Validator(CODE_QUALITY_SCHEMA).validate(job.code_quality)
    drift = [i for i in job.code_quality if i["check_name"] == "AG902"]
    assert drift and any("comment" in i["description"] for i in drift)
    assert job.junit is not None
    assert set(failures(job.junit)) == {"AG902 schema-drift"}


@pytest.mark.postgres
@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_check_with_env_input_for_an_env_py_that_builds_its_url(
    gitlab_job: Callable[..., Job], scratch_database: str, tmp_path: Path, shell: str
) -> None:
    project = Path(shutil.copytree(ROOT / "tests/projects/check_url_parts", tmp_path / "project"))
    env = (
        "POSTGRES_SERVER={host}\nPOSTGRES_PORT={port}\nPOSTGRES_USER={user}\n"
        "POSTGRES_DB={database}\nPROJECT_NAME=Name with spaces\n"
    )
    # Without the variables, env.py's own URL (the compose service "db") is refused.
    refused = gitlab_job(project, shell=shell, command="check", database_url=scratch_database)
    assert refused.returncode == 2, refused.log
    assert "env.py connects to postgresql+psycopg://postgres@db:5432/app" in refused.log
    job = gitlab_job(project, shell=shell, command="check", database_url=scratch_database, env=env)
    assert job.returncode == 0, job.log
    assert job.junit is not None and failures(job.junit) == {}
