"""The configs in examples/, README.md and docs/integrations.md: valid, and they run.

Every YAML config is checked against the real thing: `with:` keys against action.yml's
inputs, GitLab `inputs:` against the component's spec, hook ids against
.pre-commit-hooks.yaml, every alembic-gate flag against the command's parser, and every
version against pyproject.toml. Then each distinct Action and component configuration is
run (runners.py) on a project; what cannot run here is swapped for its local stand-in:
the PostgreSQL image for the locally built one, a `services:` database for a scratch
database on the local server, the package from PyPI or GitHub for this checkout.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from alembic_gate.main import build_parser

from .conftest import (
    LAST,
    OLD_ROWS,
    OLD_ROWS_FILE,
    PR_ROWS,
    PR_ROWS_FILE,
    add_not_null_column,
    add_second_head,
    commit_all,
    copy_quickstart,
    git,
    init_repo,
)
from .runners import (
    ACTION,
    EXPRESSION,
    ROOT,
    VERSION,
    Job,
    Run,
    failures,
    job_for,
    parse_annotations,
)

REPO = "alembic-gate/alembic-gate"
ACTION_USES = f"{REPO}@v{VERSION}"
COMPONENT = re.compile(rf"(\$CI_SERVER_FQDN|gitlab\.com)/{REPO}/alembic-gate@{re.escape(VERSION)}")
REMOTE = f"https://raw.githubusercontent.com/{REPO}/v{VERSION}/templates/alembic-gate.yml"
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
GITLAB_GLOBALS = {
    "stages", "include", "workflow", "variables", "default", "image", "services",
    "cache", "before_script", "after_script",
}  # fmt: skip
LOCAL_IMAGE = "alembic-gate/postgres:15"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
CODE_QUALITY_SCHEMA = json.loads(
    (ROOT / "tests" / "schemas" / "gitlab-code-quality.json").read_text()
)

EXAMPLES = sorted(
    p
    for p in (ROOT / "examples").rglob("*")
    if p.suffix in (".yml", ".yaml") and "quickstart" not in p.parts
)
DOCS = [ROOT / "docs" / "integrations.md", ROOT / "README.md"]


# --- reading the configs ---------------------------------------------------------------------


@dataclass
class Config:
    source: str
    text: str

    @property
    def doc(self) -> Any:
        return yaml.safe_load(self.text)


def fenced_blocks(text: str, languages: tuple[str, ...]) -> list[str]:
    pattern = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.M | re.S)
    return [m[2] for m in pattern.finditer(text) if m[1] in languages]


def doc_configs(path: Path) -> list[Config]:
    blocks = fenced_blocks(path.read_text(), ("yaml", "yml"))
    return [Config(f"{path.name} yaml block {i + 1}", b) for i, b in enumerate(blocks)]


def all_configs() -> list[Config]:
    configs = [Config(str(p.relative_to(ROOT)), p.read_text()) for p in EXAMPLES]
    for path in DOCS:
        if path.exists():
            configs += doc_configs(path)
    return configs


def kind(doc: Any) -> str:
    if isinstance(doc, dict) and "repos" in doc:
        return "pre-commit"
    if isinstance(doc, dict) and "jobs" in doc:
        return "github"
    if isinstance(doc, list) and all(
        isinstance(s, dict) and ("uses" in s or "run" in s) for s in doc
    ):
        return "github"
    if isinstance(doc, dict) and ("include" in doc or any(_is_job(v) for v in doc.values())):
        return "gitlab"
    raise AssertionError(f"not a pre-commit, GitHub or GitLab config: {doc!r:.200}")


def _is_job(value: Any) -> bool:
    keys = {"script", "services", "variables", "before_script", "image", "stage", "rules"}
    return isinstance(value, dict) and bool(keys & set(value))


# --- alembic-gate flags ----------------------------------------------------------------------


@cache
def flags(command: str) -> frozenset[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return frozenset(o for a in sub.choices[command]._actions for o in a.option_strings)


def assert_flags(command: str, tokens: list[str], where: str) -> None:
    assert command in ("lint", "check", "doctor", "graph"), f"{where}: command {command!r}"
    unknown = [t for t in tokens if t.startswith("-") and t.split("=")[0] not in flags(command)]
    assert unknown == [], f"{where}: alembic-gate {command} has no {unknown}"


def assert_shell_flags(text: str, where: str) -> None:
    """Every `alembic-gate <command> ...` in shell text uses real flags of that command."""
    for match in re.finditer(r"\balembic-gate (lint|check|doctor|graph)\b([^\n#;&|`]*)", text):
        assert_flags(match[1], shlex.split(match[2]), where)


# --- GitHub ------------------------------------------------------------------------------------


def github_jobs(doc: Any) -> list[dict[str, Any]]:
    return list(doc["jobs"].values()) if isinstance(doc, dict) else [{"steps": doc}]


def is_action(step: dict[str, Any]) -> bool:
    return step.get("uses", "").split("@")[0] in (REPO, ".", "./")


def check_github(config: Config) -> None:
    permissions = config.doc.get("permissions", {}) if isinstance(config.doc, dict) else {}
    for job in github_jobs(config.doc):
        steps = job["steps"]
        for step in steps:
            assert_shell_flags(step.get("run", ""), config.source)
            if not is_action(step):
                continue
            if step["uses"].startswith(REPO):
                assert step["uses"] == ACTION_USES, config.source
            given = step.get("with", {})
            assert set(given) <= set(ACTION["inputs"]), f"{config.source}: {set(given)}"
            command = str(given.get("command", "lint"))
            if not EXPRESSION.search(command):
                assert_flags(command, shlex.split(str(given.get("args", ""))), config.source)
        sarif = {str(s.get("with", {}).get("sarif")) for s in steps if is_action(s)}
        for step in steps:
            if step.get("uses", "").startswith("github/codeql-action/upload-sarif"):
                assert step["with"]["sarif_file"] in sarif, config.source
                granted = permissions | job.get("permissions", {})
                assert granted.get("security-events") == "write", config.source


# --- GitLab -------------------------------------------------------------------------------------


def alembic_gate_includes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    entries = doc.get("include", [])
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict) and ("component" in entry or "remote" in entry):
            found.append(entry)
    return found


def check_gitlab(config: Config) -> None:
    doc = config.doc
    names = {}
    for entry in alembic_gate_includes(doc):
        if "component" in entry:
            assert COMPONENT.fullmatch(entry["component"]), f"{config.source}: {entry}"
        else:
            assert entry["remote"] == REMOTE, config.source
        inputs = entry.get("inputs", {})
        name, _ = job_for(inputs)  # unknown inputs and options fail here
        names[name] = inputs
        assert_flags(inputs.get("command", "lint"), inputs.get("args", "").split(), config.source)
        assert VERSION in inputs.get("package", VERSION), config.source
    for key, job in doc.items():
        if key in GITLAB_GLOBALS or key.startswith("."):
            continue
        if names:
            assert key in names, f"{config.source}: job {key} overrides no included job"
        else:
            assert key.startswith("alembic-gate"), f"{config.source}: job {key}"
        for line in job.get("before_script", []) + job.get("script", []):
            assert_shell_flags(line, config.source)
        check_services(job, names.get(key, {}), config.source)


def service_aliases(job: dict[str, Any]) -> dict[str, str]:
    """alias -> image, as GitLab names a service container."""
    aliases = {}
    for service in job.get("services", []):
        image, alias = (
            (service, None) if isinstance(service, str) else (service["name"], service.get("alias"))
        )
        aliases[alias or image.split(":")[0].split("/")[-1]] = image
    return aliases


def check_services(job: dict[str, Any], inputs: dict[str, str], where: str) -> None:
    """A database URL names a service of the job; Docker-in-Docker settings name the dind one."""
    aliases = service_aliases(job)
    variables = job.get("variables", {})
    url = inputs.get("database-url")
    if url and aliases:
        parts = urlsplit(url)
        assert parts.hostname in aliases, f"{where}: {parts.hostname} is not one of {aliases}"
        if "POSTGRES_DB" in variables:
            assert parts.path.lstrip("/") == variables["POSTGRES_DB"], where
    dind = [alias for alias, image in aliases.items() if "dind" in image]
    if dind:
        assert urlsplit(variables["DOCKER_HOST"]).hostname == dind[0], where
        assert variables["TESTCONTAINERS_HOST_OVERRIDE"] == dind[0], where


# --- pre-commit -----------------------------------------------------------------------------------


def check_pre_commit(config: Config) -> None:
    repos = [r for r in config.doc["repos"] if r["repo"].rstrip("/").endswith(REPO)]
    assert repos, config.source
    for repo in repos:
        assert repo["repo"] == f"https://github.com/{REPO}", config.source
        assert repo["rev"] == f"v{VERSION}", config.source
        for hook in repo["hooks"]:
            assert hook["id"] in HOOKS, f"{config.source}: no hook {hook['id']}"
            command = HOOKS[hook["id"]]["entry"].split()[1]
            assert_flags(command, [str(a) for a in hook.get("args", [])], config.source)


CHECKS = {"github": check_github, "gitlab": check_gitlab, "pre-commit": check_pre_commit}


@pytest.mark.parametrize("config", all_configs(), ids=lambda c: c.source)
def test_config_is_valid(config: Config) -> None:
    CHECKS[kind(config.doc)](config)


def test_every_example_the_docs_promise_exists() -> None:
    names = {p.relative_to(ROOT / "examples").as_posix() for p in EXAMPLES}
    assert names == {
        "pre-commit/.pre-commit-config.yaml",
        "github/lint.yml",
        "github/check-postgres.yml",
        "github/matrix.yml",
        "github/sarif.yml",
        "gitlab/.gitlab-ci.yml",
        "gitlab/remote.gitlab-ci.yml",
        "gitlab/services-postgres.gitlab-ci.yml",
        "gitlab/dind.gitlab-ci.yml",
    }


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_docs_show_all_three_integrations(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    kinds = {kind(c.doc) for c in doc_configs(path)}
    assert kinds == {"github", "gitlab", "pre-commit"}
    for block in fenced_blocks(path.read_text(), ("bash", "sh", "shell", "console")):
        assert_shell_flags(block, path.name)


def dumped(doc: Any) -> Config:
    return Config("test", yaml.safe_dump(doc))


def test_a_wrong_input_or_flag_is_caught() -> None:
    bad_action = dumped({"jobs": {"j": {"steps": [{"uses": ACTION_USES, "with": {"cmd": "x"}}]}}})
    with pytest.raises(AssertionError):
        check_github(bad_action)
    bad_flag = dumped([{"uses": ACTION_USES, "with": {"args": "--selekt AG1"}}])
    with pytest.raises(AssertionError):
        check_github(bad_flag)
    bad_input = dumped({"include": [{"remote": REMOTE, "inputs": {"comand": "lint"}}]})
    with pytest.raises(AssertionError):
        check_gitlab(bad_input)
    stray = dumped({"include": [{"remote": REMOTE}], "alembic-gate-check": {"services": []}})
    with pytest.raises(AssertionError):
        check_gitlab(stray)


# --- running them --------------------------------------------------------------------------------


@dataclass
class Execution:
    """One distinct configuration of the Action or the component, and where it is shown."""

    kind: str
    inputs: dict[str, str]
    override: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    sarif_upload: str | None = None

    @property
    def command(self) -> str:
        return self.inputs.get("command", "lint")

    @property
    def seeds(self) -> bool:
        """check: whether tables get rows (AG904), as the docs' `args` leave it."""
        return "--no-seed" not in shlex.split(self.inputs.get("args", ""))

    @property
    def traces(self) -> bool:
        """check: whether PostgreSQL lock tracing is on (not `--ignore AG905,AG906,AG907`)."""
        args = shlex.split(self.inputs.get("args", ""))
        ignored = [b for a, b in itertools.pairwise(args) if a == "--ignore"]
        ignored += [a.partition("=")[2] for a in args if a.startswith("--ignore=")]
        return not any("AG905" in value for value in ignored)


def first_matrix(job: dict[str, Any]) -> dict[str, str]:
    matrix = job.get("strategy", {}).get("matrix", {})
    if "include" in matrix:
        return {k: str(v) for k, v in matrix["include"][0].items()}
    return {k: str(v[0]) for k, v in matrix.items() if isinstance(v, list)}


def with_matrix(value: str, matrix: dict[str, str]) -> str:
    """Evaluate `${{ matrix.x }}`; any other expression raises KeyError."""

    def one(match: re.Match[str]) -> str:
        context, _, name = match[1].partition(".")
        if context != "matrix":
            raise KeyError(match[1])
        return matrix[name]

    return EXPRESSION.sub(one, value)


def github_executions(config: Config) -> Iterator[Execution]:
    for job in github_jobs(config.doc):
        matrix = first_matrix(job)
        uploads = [
            s["with"]["sarif_file"]
            for s in job["steps"]
            if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
        ]
        for step in filter(is_action, job["steps"]):
            given = {k: str(v) for k, v in step.get("with", {}).items()}
            try:
                inputs = {k: with_matrix(v, matrix) for k, v in given.items()}
            except KeyError:
                continue  # secrets or other contexts: checked above, not run
            upload = uploads[0] if uploads else None
            yield Execution("github", inputs, sources=[config.source], sarif_upload=upload)


def gitlab_executions(config: Config) -> Iterator[Execution]:
    for entry in alembic_gate_includes(config.doc):
        inputs = {k: str(v) for k, v in entry.get("inputs", {}).items()}
        name, _ = job_for(inputs)
        override = config.doc.get(name, {})
        yield Execution("gitlab", inputs, override, [config.source])


def executions() -> list[Execution]:
    found: dict[str, Execution] = {}
    producers = {"github": github_executions, "gitlab": gitlab_executions}
    for config in all_configs():
        try:
            produce = producers.get(kind(config.doc))
        except (yaml.YAMLError, AssertionError):
            continue  # test_config_is_valid reports it
        for execution in produce(config) if produce else ():
            key = json.dumps([execution.kind, execution.inputs, execution.override], sort_keys=True)
            shown = found.setdefault(key, execution)
            if config.source not in shown.sources:
                shown.sources.append(config.source)
    return list(found.values())


def local_image_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    probe = subprocess.run([docker, "image", "inspect", LOCAL_IMAGE], capture_output=True)
    return probe.returncode == 0


def runnable(execution: Execution) -> Any:
    """The execution as a pytest param, marked for what it needs."""
    marks = []
    uses_container = execution.command == "check" and "database-url" not in execution.inputs
    if uses_container:
        marks.append(pytest.mark.docker)
        if execution.inputs.get("db", "postgres") != "postgres":
            marks.append(pytest.mark.skip(reason="only the PostgreSQL image is built locally"))
        elif not local_image_available():
            marks.append(pytest.mark.skip(reason=f"needs Docker and the local {LOCAL_IMAGE}"))
    if execution.command == "check" and "database-url" in execution.inputs:
        marks.append(pytest.mark.postgres)
    return pytest.param(execution, marks=marks, id=" + ".join(execution.sources)[:120])


EXECUTIONS = [runnable(e) for e in executions()]


@pytest.fixture
def local_services(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Callable[[Execution], dict[str, str]]:
    """Swap what only exists in CI for its local stand-in; return the inputs to run with."""

    def swap(execution: Execution) -> dict[str, str]:
        inputs = dict(execution.inputs)
        container = execution.command == "check" and "database-url" not in inputs
        if "image" in inputs or container:
            inputs["image"] = LOCAL_IMAGE
            monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")  # no registry for ryuk
        if "database-url" in inputs:
            inputs["database-url"] = request.getfixturevalue("scratch_database")
        return inputs

    return swap


@dataclass
class PullRequest:
    """A workspace on a pull request's branch whose base, main, is at origin/main."""

    workspace: Path
    subdir: str  # the project's folder in it ('' at the root)

    def path(self, relative: str) -> str:
        return f"{self.subdir}/{relative}" if self.subdir else relative


def project_for(execution: Execution, make_project: Callable[..., Path]) -> PullRequest:
    """Every configuration runs on a pull request (a merge request) against main.

    lint: the branch adds a second head (it must fail, AG001). check: main already holds
    a revision whose NOT NULL column fails once its table holds rows, and the branch adds
    another; with the base, only the branch's is reported (AG904, and on PostgreSQL its
    lock table and AG907).
    """
    subdir = execution.inputs.get("working-directory", "")
    # Setups named by `config` lie where the config says: the first gets the change.
    folders = [str(Path(c).parent) for c in execution.inputs.get("config", "").split()]
    if not subdir and folders and folders[0] != ".":
        subdir = folders[0]
    subdir = subdir.strip("./")
    workspace = make_project(subdir=subdir)
    for folder in folders[1:]:
        copy_quickstart(workspace / folder)
        commit_all(workspace, f"a second setup in {folder}")
    project = workspace / subdir
    if execution.command == "check":
        add_not_null_column(project, OLD_ROWS_FILE, OLD_ROWS, LAST, "user_account", "nickname")
        commit_all(workspace, f"main: revision {OLD_ROWS}")
    git(workspace, "update-ref", "refs/remotes/origin/main", "HEAD")  # fetched: the base
    if execution.command == "check":
        add_not_null_column(project, PR_ROWS_FILE, PR_ROWS, OLD_ROWS, "post", "slug")
    else:
        add_second_head(project)
    commit_all(workspace, "the pull request's revision")
    if execution.override.get("before_script"):
        (workspace / "requirements.txt").write_text("sqlalchemy>=2\nalembic>=1.9\n")
    return PullRequest(workspace, subdir)


def expected_exit(execution: Execution) -> int:
    """lint fails on the second head, check on the rows (AG904) unless it seeds none."""
    return 1 if execution.command == "lint" or execution.seeds else 0


def assert_found(execution: Execution, pull: PullRequest, found: list[tuple[str, str]]) -> None:
    """(code, file) of every finding: lint finds the second head; check reports the
    pull request's revision only (AG904; AG907 too on PostgreSQL), never main's."""
    if execution.command == "lint":
        assert "AG001" in {code for code, _ in found}, found
        return
    assert (("AG904", pull.path(PR_ROWS_FILE)) in found) == execution.seeds, found
    assert any(code == "AG907" for code, _ in found) == execution.traces, found
    measured = [(code, path) for code, path in found if code.startswith("AG9")]
    assert {path for _, path in measured} == {pull.path(PR_ROWS_FILE)}, found
    assert pull.path(OLD_ROWS_FILE) not in {path for _, path in found}, found


@pytest.mark.parametrize("execution", EXECUTIONS)
def test_config_runs(
    execution: Execution,
    make_project: Callable[..., Path],
    local_services: Callable[[Execution], dict[str, str]],
    action: Callable[..., Run],
    gitlab_job: Callable[..., Job],
) -> None:
    pull = project_for(execution, make_project)
    workspace = pull.workspace
    inputs = local_services(execution)
    if execution.kind == "github":
        run = action(workspace, base_ref="main", **inputs)
        assert run.returncode == expected_exit(execution), run.stdout
        assert "--base origin/main" in run.stdout
        annotations = parse_annotations(run.stdout)
        assert_found(execution, pull, [(a["title"].split()[0], a["file"]) for a in annotations])
        if execution.command == "check":
            # PostgreSQL: the pull request's lock table, and no other, in the job summary.
            assert inputs.get("db", "postgres") == "postgres"
            table = f"**`{PR_ROWS}`** `{pull.path(PR_ROWS_FILE)}`"
            assert (table in run.summary) == execution.traces, run.summary
            assert f"**`{OLD_ROWS}`**" not in run.summary
        if "sarif" in inputs:
            assert execution.sarif_upload == inputs["sarif"]
            sarif = json.loads((workspace / inputs["sarif"]).read_text())
            jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    else:
        # The dind service is GitLab's: here the local engine plays it.
        override = dict(execution.override)
        override["variables"] = {
            k: v
            for k, v in override.get("variables", {}).items()
            if k not in ("DOCKER_HOST", "TESTCONTAINERS_HOST_OVERRIDE")
        }
        ci = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
        job = gitlab_job(workspace, ci=ci, override=override, **inputs)
        assert job.returncode == expected_exit(execution), job.log
        assert job.code_quality is not None and job.junit is not None
        jsonschema.Draft7Validator(CODE_QUALITY_SCHEMA).validate(job.code_quality)
        issues = [(i["check_name"], i["location"]["path"]) for i in job.code_quality]
        assert_found(execution, pull, issues)
        assert bool(failures(job.junit)) == bool(expected_exit(execution))
        if execution.command == "check":
            # PostgreSQL: the pull request's lock table, and no other, in the job's log.
            assert inputs.get("db", "postgres") == "postgres"
            table = f"{PR_ROWS} {pull.path(PR_ROWS_FILE)} (1 statement traced):"
            assert (table in job.log) == execution.traces, job.log
            assert OLD_ROWS not in job.log


def test_pre_commit_example_runs(tmp_path: Path, action_checkout: Path) -> None:
    """The example config, pointed at a clone of this repository tagged with the version."""
    hooks_repo = tmp_path / "hooks-repo"
    shutil.copytree(action_checkout, hooks_repo)
    init_repo(hooks_repo)
    git(hooks_repo, "tag", f"v{VERSION}")
    config = yaml.safe_load((ROOT / "examples/pre-commit/.pre-commit-config.yaml").read_text())
    for repo in config["repos"]:
        if repo["repo"] == f"https://github.com/{REPO}":
            repo["repo"] = str(hooks_repo)
    project = copy_quickstart(tmp_path / "project")
    add_second_head(project)
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    init_repo(project)

    env = os.environ | {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    valid = subprocess.run(
        [*pre_commit, "validate-config"], cwd=project, env=env, capture_output=True, text=True
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr
    done = subprocess.run(
        [*pre_commit, "run", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "AG001 [multiple-heads]" in done.stdout
    assert "alembic-gate check" not in done.stdout  # the check hook waits for pre-push
