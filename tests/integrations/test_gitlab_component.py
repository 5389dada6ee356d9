"""templates/alembic-gate.yml, the GitLab CI/CD component, run as a runner runs it (runners.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import consumers
import jsonschema
import junitparser
import pytest
from lxml import etree as lxml_etree

from .conftest import (
    LAST,
    NOT_NULL_LINE,
    OLD_ROWS,
    OLD_ROWS_FILE,
    PR_ROWS,
    PR_ROWS_FILE,
    REFUSING_FILE,
    commit_all,
    copy_quickstart,
    git,
    init_repo,
    pull_request,
    revision_on,
    shallow_clone,
)
from .runners import INPUTS, JOBS, ROOT, TEMPLATE, VERSION, Job, failures, job_for

CODE_QUALITY_SCHEMA = json.loads(
    (ROOT / "tests" / "schemas" / "gitlab-code-quality.json").read_text()
)
# GitLab's own schema of one Code Quality issue (tests/schemas/README.md).
GITLAB_ISSUE_SCHEMA = json.loads(
    (ROOT / "tests" / "schemas" / "gitlab-codeclimate.json").read_text()
)
JUNIT_XSD = ROOT / "tests" / "schemas" / "jenkins-junit-10.xsd"


def validate_code_quality(issues: list[dict[str, Any]]) -> None:
    """As GitLab reads the report: each issue against its own schema, one per fingerprint."""
    jsonschema.Draft7Validator(CODE_QUALITY_SCHEMA).validate(issues)
    for issue in issues:
        jsonschema.Draft202012Validator(GITLAB_ISSUE_SCHEMA).validate(issue)
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def validate_junit(path: Path) -> junitparser.JUnitXml:
    schema = lxml_etree.XMLSchema(lxml_etree.parse(str(JUNIT_XSD)))
    assert schema.validate(lxml_etree.parse(str(path))), schema.error_log
    return junitparser.JUnitXml.fromfile(str(path))


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


def test_both_documents_are_valid_gitlab_ci(tmp_path: Path) -> None:
    header, job = TEMPLATE.read_text().split("\n---\n", 1)
    (tmp_path / "spec.yml").write_text(header)
    (tmp_path / "job.yml").write_text(job)
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
         str(tmp_path / "spec.yml"), str(tmp_path / "job.yml")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# --- run by gitlab-ci-local, the shell executor, in a merge request pipeline ------------------


def gitlab_ci_local(
    project: Path, python_bin: Path, variables: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the project's pipeline with gitlab-ci-local and its shell executor."""
    tool = consumers.gitlab_ci_local()
    flags = [f"--variable={name}={value}" for name, value in variables.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "GCL_"))}
    env |= {"PATH": f"{python_bin}{os.pathsep}{os.environ['PATH']}", "PIP_NO_INPUT": "1"}
    env |= {"GCL_IGNORE_PREDEFINED_VARS": "CI_PIPELINE_SOURCE", "CI": ""}
    return subprocess.run(
        [
            "node",
            str(tool),
            "--force-shell-executor",
            f"--home={project.parent / 'gcl-home'}",
            *flags,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


MERGE_REQUEST = {
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
}


def merge_request_clone(origin: Path, target: Path, inputs: dict[str, str]) -> Path:
    """A merge request's clone of origin's feature branch (depth 1, no target branch),
    whose .gitlab-ci.yml includes the component with `inputs`."""
    clone = shallow_clone(origin, "feature", target)
    git(clone, "config", "user.email", "t@example.invalid")
    git(clone, "config", "user.name", "t")
    # The component's file, included as a local include with inputs (what `include:
    # component` resolves to), committed as a project's CI files are.
    (clone / "ci").mkdir()
    shutil.copy2(TEMPLATE, clone / "ci" / "alembic-gate.yml")
    given = "".join(f"      {name}: {json.dumps(value)}\n" for name, value in inputs.items())
    (clone / ".gitlab-ci.yml").write_text(
        f"include:\n  - local: ci/alembic-gate.yml\n    inputs:\n{given}"
    )
    commit_all(clone, "CI")
    return clone


@pytest.fixture
def merge_request(tmp_path: Path, action_checkout: Path) -> Path:
    """A merge request whose branch adds bbbb on a parent that main built aaaa on."""
    origin = tmp_path / "origin"
    copy_quickstart(origin)
    init_repo(origin)
    pull_request(origin, "feature", "bbbbbbbbbbbb")
    (origin / "migrations" / "versions" / "aaaa_main.py").write_text(
        revision_on(LAST, "aaaaaaaaaaaa", "main")
    )
    commit_all(origin, "main revision")
    return merge_request_clone(origin, tmp_path / "project", {"package": str(action_checkout)})


def test_gitlab_ci_local_runs_the_component_in_a_merge_request(
    merge_request: Path, python_bin: Path
) -> None:
    done = gitlab_ci_local(merge_request, python_bin, MERGE_REQUEST)
    log = done.stdout + done.stderr
    # The job fetched the target branch, failed on the violation, and exported both reports.
    assert done.returncode != 0, log
    assert "Fetching the base branch main from origin" in log
    assert "FAIL 1" in log
    assert "AG010 [stale-parent]" in log
    artifacts = merge_request / ".gitlab-ci-local" / "artifacts" / "alembic-gate"
    issues = json.loads((artifacts / "gl-code-quality-report.json").read_text())
    validate_code_quality(issues)
    assert [(i["check_name"], i["location"]["path"]) for i in issues] == [
        ("AG010", "migrations/versions/bbbb_feature.py")
    ]
    (suite,) = list(validate_junit(artifacts / "alembic-gate-junit.xml"))
    assert suite.failures == 1
    assert [case.name for case in suite if not case.is_passed] == ["AG010 stale-parent"]


def test_gitlab_ci_local_passes_a_clean_merge_request(
    merge_request: Path, python_bin: Path
) -> None:
    # Rebased onto main: main's revision comes in and the branch's sits on top of it.
    versions = merge_request / "migrations" / "versions"
    shutil.copy2(
        merge_request.parent / "origin" / "migrations" / "versions" / "aaaa_main.py", versions
    )
    path = versions / "bbbb_feature.py"
    path.write_text(path.read_text().replace(LAST, "aaaaaaaaaaaa"))
    commit_all(merge_request, "rebase onto main")
    done = gitlab_ci_local(merge_request, python_bin, MERGE_REQUEST)
    assert done.returncode == 0, done.stdout + done.stderr
    artifacts = merge_request / ".gitlab-ci-local" / "artifacts" / "alembic-gate"
    assert json.loads((artifacts / "gl-code-quality-report.json").read_text()) == []
    (suite,) = list(validate_junit(artifacts / "alembic-gate-junit.xml"))
    assert suite.failures == 0


def _placed(issues: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted(
        (i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues
    )


def test_gitlab_ci_local_checks_a_merge_requests_own_revisions(
    rows_origin: Path, python_bin: Path, action_checkout: Path, tmp_path: Path
) -> None:
    # main's nickname revision fails with rows too, but it is deployed: check speaks of
    # the merge request's slug revision only.
    inputs = {"package": str(action_checkout), "command": "check", "db": "sqlite"}
    project = merge_request_clone(rows_origin, tmp_path / "project", inputs)
    done = gitlab_ci_local(project, python_bin, MERGE_REQUEST)
    log = done.stdout + done.stderr
    assert done.returncode != 0, log
    assert "Fetching the base branch main from origin" in log
    assert f"{PR_ROWS_FILE}:{NOT_NULL_LINE}: AG904 [fails-with-data]" in log
    assert OLD_ROWS_FILE not in log
    assert re.search(rf"note: {REFUSING_FILE}:\d+: check could not give table country rows", log)
    artifacts = project / ".gitlab-ci-local" / "artifacts" / "alembic-gate"
    issues = json.loads((artifacts / "gl-code-quality-report.json").read_text())
    validate_code_quality(issues)
    assert _placed(issues) == [("AG904", PR_ROWS_FILE, NOT_NULL_LINE)]
    (suite,) = list(validate_junit(artifacts / "alembic-gate-junit.xml"))
    assert [case.name for case in suite if not case.is_passed] == ["AG904 fails-with-data"]


@pytest.mark.postgres
def test_gitlab_ci_local_shows_a_merge_requests_locks_in_the_log(
    rows_origin: Path,
    python_bin: Path,
    action_checkout: Path,
    scratch_database: str,
    tmp_path: Path,
) -> None:
    inputs = {
        "package": str(action_checkout),
        "command": "check",
        "database-url": scratch_database,
    }
    project = merge_request_clone(rows_origin, tmp_path / "project", inputs)
    done = gitlab_ci_local(project, python_bin, MERGE_REQUEST)
    log = done.stdout + done.stderr
    assert done.returncode != 0, log
    # The lock table of the merge request's revision, and of no other.
    assert "Locks measured on PostgreSQL (tables that existed before each revision):" in log
    assert f"{PR_ROWS} {PR_ROWS_FILE} (1 statement traced):" in log
    row = re.search(rf"{NOT_NULL_LINE}\s+ALTER TABLE post ADD COLUMN slug .*", log)
    assert row is not None, log
    cells = re.split(r"\s{2,}", row[0].strip())
    assert cells[2:5] == ["post", "ACCESS EXCLUSIVE", "reads and writes"]
    assert re.fullmatch(r"\d+ms|\d+\.\d\ds", cells[5]), cells
    assert cells[6] == "no"
    assert OLD_ROWS not in log
    artifacts = project / ".gitlab-ci-local" / "artifacts" / "alembic-gate"
    issues = json.loads((artifacts / "gl-code-quality-report.json").read_text())
    validate_code_quality(issues)
    assert _placed(issues) == [
        ("AG904", PR_ROWS_FILE, NOT_NULL_LINE),
        ("AG907", PR_ROWS_FILE, NOT_NULL_LINE),
    ]


# --- running it ----------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_lint_of_two_heads_fails_with_reports(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job], shell: str
) -> None:
    job = gitlab_job(make_project(two_heads=True), shell=shell)

    assert job.returncode == 1, job.log
    assert "AG001 [multiple-heads]" in job.log
    assert job.code_quality is not None
    validate_code_quality(job.code_quality)
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
    validate_code_quality(job.code_quality)
    drift = [i for i in job.code_quality if i["check_name"] == "AG902"]
    assert drift and any("comment" in i["description"] for i in drift)
    assert job.junit is not None
    assert set(failures(job.junit)) == {"AG902 schema-drift"}


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_check_with_base_none_speaks_of_every_revision(
    rows_origin: Path, gitlab_job: Callable[..., Job], tmp_path: Path, shell: str
) -> None:
    project = shallow_clone(rows_origin, "feature", tmp_path / "project")
    ci = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    job = gitlab_job(project, shell=shell, ci=ci, command="check", db="sqlite", base="none")
    assert "Fetching" not in job.log
    assert job.returncode == 1, job.log
    assert job.code_quality is not None
    assert _placed(job.code_quality) == [
        ("AG904", OLD_ROWS_FILE, NOT_NULL_LINE),
        ("AG904", PR_ROWS_FILE, NOT_NULL_LINE),
    ]


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_doctor_takes_no_base(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job], shell: str
) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    job = gitlab_job(
        make_project(), shell=shell, command="doctor", database_url=url, base="origin/main"
    )
    assert job.returncode == 2, job.log
    assert "alembic-gate: input base is for commands lint and check, not doctor" in job.log


@pytest.mark.postgres
def test_doctor_in_a_merge_request_pipeline_runs_without_a_base(
    make_project: Callable[..., Path], gitlab_job: Callable[..., Job], scratch_database: str
) -> None:
    ci = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    job = gitlab_job(make_project(), ci=ci, command="doctor", database_url=scratch_database)
    assert job.returncode == 1, job.log
    assert job.code_quality is not None
    assert [i["check_name"] for i in job.code_quality] == ["AG804"]


def test_merged_results_pipeline_judges_the_merge_requests_own_head(
    merge_checkout: Path, gitlab_job: Callable[..., Job]
) -> None:
    # A merged results pipeline checks out a merge commit of the MR into its target.
    job = gitlab_job(merge_checkout, ci={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert "Fetching the merge request's head" in job.log
    assert job.returncode == 1, job.log
    assert job.code_quality is not None
    validate_code_quality(job.code_quality)
    assert [(i["check_name"], i["location"]["path"]) for i in job.code_quality] == [
        ("AG010", "migrations/versions/bbbb_feature.py")
    ]


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
