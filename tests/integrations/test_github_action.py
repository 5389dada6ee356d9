"""action.yml, run the way the GitHub runner runs a composite action (see runners.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import consumers
import jsonschema
import pytest

from .conftest import (
    LAST,
    NOT_NULL_LINE,
    OLD_ROWS,
    OLD_ROWS_FILE,
    PR_ROWS,
    PR_ROWS_FILE,
    REFUSING_FILE,
    checkout,
    copy_quickstart,
    git,
    init_repo,
    merge_into,
    pull_request,
)
from .runners import ACTION, EXPRESSION, ROOT, Run, parse_annotations, read_outputs, sarif_uris

SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())


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
        "command", "config", "db", "image", "database-url", "env", "args",
        "python-version", "sarif", "working-directory", "base",
    }  # fmt: skip
    assert set(ACTION["inputs"]) == expected
    assert all(spec["description"] for spec in ACTION["inputs"].values())


def test_valid_for_githubs_action_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions",
         str(ROOT / "action.yml")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


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
    expressions = [e for v in run_step["env"].values() for e in EXPRESSION.findall(v)]
    passed = {e.split(".", 1)[1] for e in expressions}
    assert passed == set(ACTION["inputs"]) - {"python-version"}


# --- running it ----------------------------------------------------------------------------


def test_two_heads_fail_with_annotations_summary_and_sarif(
    make_project: Callable[..., Path], action: Callable[..., Run]
) -> None:
    workspace = make_project(two_heads=True)
    result = action(workspace, sarif="reports/alembic-gate.sarif")

    assert result.returncode == 1, result.stdout
    errors = [a for a in parse_annotations(result.stdout) if a["title"] == "AG001 multiple-heads"]
    assert errors and all(a["level"] == "error" for a in errors)
    assert {a["file"] for a in errors} <= {
        "migrations/versions/4c535d2e7ab2_create_post.py",
        "migrations/versions/99aa99aa99aa_a_second_head.py",
    }
    assert "## alembic-gate lint" in result.summary
    assert "### AG001 multiple-heads: 2 errors" in result.summary

    sarif_path = workspace / "reports" / "alembic-gate.sarif"
    sarif = json.loads(sarif_path.read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    problems = consumers.sarif_validate(sarif_path, workspace.parent)
    assert problems == [], consumers.describe(problems)
    results = sarif["runs"][0]["results"]
    assert "AG001" in {r["ruleId"] for r in results}
    assert all((workspace / uri).is_file() for uri in sarif_uris(sarif))


def test_clean_project_passes_and_sets_outputs(
    make_project: Callable[..., Path], action: Callable[..., Run]
) -> None:
    result = action(make_project())
    assert result.returncode == 0, result.stdout
    assert result.outputs == {"findings": "0", "heads": LAST}
    assert parse_annotations(result.stdout) == []
    assert "## alembic-gate lint" in result.summary


def test_outputs_count_findings_and_list_heads(tmp_path: Path) -> None:
    # A failing run still writes its outputs before the step fails.
    load_script().write_outputs(
        {"findings": [{"code": "AG001"}, {"code": "AG001"}], "heads": ["ab12", "cd34"]},
        {"GITHUB_OUTPUT": str(tmp_path / "out")},
    )
    assert read_outputs(tmp_path / "out") == {"findings": "2", "heads": "ab12 cd34"}


@pytest.mark.parametrize("head", ["x\nfindings=0", "x\r\nfindings=0", "x\ny"])
def test_a_head_id_cannot_write_another_output(tmp_path: Path, head: str) -> None:
    """A revision id may hold a newline (alembic accepts it): written as `name=value`,
    its second line was an output of its own (`findings=0` over the real count), or a
    line the runner refuses. Each output is a `name<<DELIMITER` block, as @actions/core
    writes them."""
    out = tmp_path / "out"
    load_script().write_outputs(
        {"findings": [{"code": "AG103"}], "heads": [head]}, {"GITHUB_OUTPUT": str(out)}
    )
    assert read_outputs(out) == {"findings": "1", "heads": "\n".join(head.splitlines())}


def test_working_directory_paths_are_relative_to_the_repository(
    make_project: Callable[..., Path], action: Callable[..., Run]
) -> None:
    workspace = make_project(two_heads=True, subdir="backend")
    result = action(workspace, working_directory="backend", sarif="alembic-gate.sarif")

    assert result.returncode == 1, result.stdout
    files = {a["file"] for a in parse_annotations(result.stdout) if "file" in a}
    assert files and all(f.startswith("backend/migrations/versions/") for f in files)
    assert all((workspace / f).is_file() for f in files)
    sarif = json.loads((workspace / "alembic-gate.sarif").read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    uris = sarif_uris(sarif)
    assert uris and all((workspace / uri).is_file() for uri in uris)


def test_pull_request_base_is_fetched_into_a_shallow_checkout(
    pr_clone: Path, action: Callable[..., Run]
) -> None:
    result = action(pr_clone, base_ref="main")

    assert "--base origin/main" in result.stdout
    assert git(pr_clone, "rev-parse", "--verify", "origin/main^{commit}")
    assert result.returncode == 1, result.stdout
    stale = [a for a in parse_annotations(result.stdout) if a["title"].startswith("AG010")]
    assert [a["file"] for a in stale] == ["migrations/versions/bbbb_feature.py"]


def test_base_none_lints_without_a_base(pr_clone: Path, action: Callable[..., Run]) -> None:
    result = action(pr_clone, base_ref="main", base="none")
    assert "--base" not in result.stdout
    assert result.returncode == 0, result.stdout
    assert result.outputs["heads"] == "bbbbbbbbbbbb"


def test_an_unusable_input_is_an_error_annotation(
    make_project: Callable[..., Path], action: Callable[..., Run]
) -> None:
    workspace = make_project()
    bad = action(workspace, command="migrate")
    assert bad.returncode == 2
    assert "::error title=alembic-gate::input 'command' is 'migrate'" in bad.stdout

    misplaced = action(workspace, db="mysql")
    assert misplaced.returncode == 2
    assert "input 'db' is for command check, not lint" in misplaced.stdout

    # doctor inspects a database, not a branch.
    url = "postgresql://u@h/db"
    based = action(workspace, command="doctor", database_url=url, base="origin/main")
    assert based.returncode == 2
    assert "input 'base' is for commands lint and check, not doctor" in based.stdout


def test_database_url_is_not_printed() -> None:
    argv = ["check", "--database-url", "postgresql://u:pw@h/db", "--database-url=sqlite:///x"]
    assert load_script().shown(argv) == ["check", "--database-url", "***", "--database-url=***"]


def test_x_values_and_joined_env_values_are_not_printed() -> None:
    """`-x` passes values to env.py, often a URL with its password (args: -x
    url=postgresql://app:pw@db/app), and `--env=NAME=VALUE` is --env joined: the log's
    command line showed both in clear."""
    argv = ["check", "-x", "url=postgresql://u:pw@h/db", "-xtoken=abc", "--env=PW=hunter2"]
    assert load_script().shown(argv) == ["check", "-x", "url=***", "-xtoken=***", "--env=PW=***"]


def test_abbreviated_flags_and_urls_anywhere_are_not_printed() -> None:
    """argparse takes any unambiguous prefix of a long flag (`--database-u=URL`,
    `--datab URL`, `--en NAME=VALUE`): the log showed their values in clear; a URL given
    to any other argument shows no password."""
    argv = [
        "doctor", "--database-u=postgresql://u:pw1@h/db", "--datab", "mysql://u:pw2@h/db",
        "--en", "PW=hunter2", "--en=TOKEN=abc", "--db=postgresql://u:pw3@h/db",
        "postgresql://u:p w4@h/db",
    ]  # fmt: skip
    assert load_script().shown(argv) == [
        "doctor", "--database-u=***", "--datab", "***", "--en", "PW=***", "--en=TOKEN=***",
        "--db=postgresql://u:***@h/db", "postgresql://u:***@h/db",
    ]  # fmt: skip


def test_the_logged_command_line_of_a_run_shows_no_password(
    make_project: Callable[..., Path], action: Callable[..., Run]
) -> None:
    # lint takes neither flag: its usage error quotes them too, masked as well.
    workspace = make_project()
    url = "postgresql://app:Action-Secret-71@127.0.0.1:1/app"
    run = action(workspace, args=f"--database-u={url} --en=PW=Action-Env-72")
    assert run.returncode == 2
    assert "$ alembic-gate lint '--database-u=***' '--en=PW=***'" in run.stdout, run.stdout
    assert "Action-Secret-71" not in run.stdout + run.summary
    assert "Action-Env-72" not in run.stdout + run.summary


def test_env_lines_become_env_flags_whose_values_are_not_printed() -> None:
    script = load_script()
    inputs = script.Inputs.from_env(
        {
            "INPUT_COMMAND": "check",
            "INPUT_ENV": "POSTGRES_SERVER={host}\n\n  PROJECT_NAME=My App  \nPW=hunter2\n",
        }
    )
    argv = script.tool_args(inputs, None, Path("r.json"), None)
    assert argv[:7] == [
        "check", "--env", "POSTGRES_SERVER={host}", "--env", "PROJECT_NAME=My App",
        "--env", "PW=hunter2",
    ]  # fmt: skip
    assert script.shown(argv)[:7] == [
        "check", "--env", "POSTGRES_SERVER=***", "--env", "PROJECT_NAME=***", "--env", "PW=***",
    ]  # fmt: skip
    with pytest.raises(script.InputError, match="input 'env' is for command check, not lint"):
        script.Inputs.from_env({"INPUT_COMMAND": "lint", "INPUT_ENV": "A=b"})


@pytest.mark.postgres
def test_check_with_env_input_for_an_env_py_that_builds_its_url(
    action: Callable[..., Run], scratch_database: str, tmp_path: Path
) -> None:
    workspace = Path(shutil.copytree(ROOT / "tests/projects/check_url_parts", tmp_path / "ws"))
    env = "\n".join(
        f"POSTGRES_{name}={{{part}}}"
        for name, part in [
            ("SERVER", "host"), ("PORT", "port"), ("USER", "user"), ("DB", "database"),
        ]
    )  # fmt: skip
    # Lock tracing's warnings on the seeded tables are not what this test is about.
    untraced = "--ignore AG905,AG906,AG907"
    result = action(
        workspace, command="check", database_url=scratch_database, env=env, args=untraced
    )
    assert result.returncode == 0, result.stdout
    assert "--env 'POSTGRES_SERVER=***' --env 'POSTGRES_PORT=***'" in result.stdout
    assert result.outputs["findings"] == "0"


def test_doctor_takes_no_base_in_a_pull_request(tmp_path: Path) -> None:
    script = load_script()
    pull_request = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    for base in ("", "none"):
        env = {"INPUT_COMMAND": "doctor", "INPUT_DATABASE_URL": "sqlite://", "INPUT_BASE": base}
        inputs = script.Inputs.from_env(env)
        assert script.resolve_base(inputs, pull_request, tmp_path) is None
    check = script.Inputs.from_env({"INPUT_COMMAND": "check"})
    # No git repository here: the base is looked up, and fetching it fails.
    with pytest.raises(script.InputError, match="cannot fetch the base branch 'main'"):
        script.resolve_base(check, pull_request, tmp_path)


@pytest.mark.postgres
def test_doctor_explains_an_empty_database(
    make_project: Callable[..., Path], action: Callable[..., Run], scratch_database: str
) -> None:
    # In a pull request too: doctor is given no --base (it would refuse one).
    result = action(
        make_project(), base_ref="main", command="doctor", database_url=scratch_database
    )
    assert "--base" not in result.stdout
    assert result.returncode == 1, result.stdout
    assert [a["title"] for a in parse_annotations(result.stdout)] == ["AG804 empty-database"]
    assert f"--database-url {scratch_database}" not in result.stdout
    assert "--database-url '***'" in result.stdout


def test_a_pull_requests_merge_checkout_gets_ag010_on_its_own_file(
    merge_checkout: Path, action: Callable[..., Run]
) -> None:
    result = action(merge_checkout, base_ref="main")

    assert "--base origin/main" in result.stdout
    assert "Fetching the pull request's head" in result.stdout
    assert result.returncode == 1, result.stdout
    annotations = parse_annotations(result.stdout)
    assert [(a["title"], a["file"]) for a in annotations] == [
        ("AG010 stale-parent", "migrations/versions/bbbb_feature.py")
    ]
    # main's own revision file, which the pull request did not touch, gets nothing.
    assert "aaaa_main.py" not in "".join(a["file"] for a in annotations)
    assert "### AG010 stale-parent: 1 error" in result.summary
    assert "AG001" not in result.summary


def _pull_request_checkout(origin: Path, tmp_path: Path) -> Path:
    """GitHub's `pull_request` checkout of origin's feature branch: refs/pull/1/merge."""
    merge_into(origin, "main", "feature", "refs/pull/1/merge")
    return checkout(origin, "refs/pull/1/merge", tmp_path / "workspace")


def _placed(result: Run) -> list[tuple[str, str, str]]:
    return sorted((a["title"], a["file"], a["line"]) for a in parse_annotations(result.stdout))


def test_check_in_a_pull_request_speaks_of_its_own_revisions(
    rows_origin: Path, action: Callable[..., Run], tmp_path: Path
) -> None:
    # main's nickname revision fails with rows as much as the pull request's slug one,
    # but it is deployed: only the pull request's can still change.
    workspace = _pull_request_checkout(rows_origin, tmp_path)
    line = str(NOT_NULL_LINE)

    result = action(workspace, base_ref="main", command="check", db="sqlite")

    assert "$ alembic-gate check --db sqlite --base origin/main" in result.stdout
    assert "Fetching the base branch main from origin" in result.stdout
    assert "Fetching the pull request's head" in result.stdout
    assert result.returncode == 1, result.stdout
    assert _placed(result) == [("AG904 fails-with-data", PR_ROWS_FILE, line)]
    assert "### AG904 fails-with-data: 1 error" in result.summary
    assert f"- `{PR_ROWS_FILE}:{line}`: upgrade of {PR_ROWS} (add slug) fails on tables that " in (
        result.summary
    )
    # The table no rows could be made for: a note in the log and the summary, no failure.
    (note,) = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
    assert note.startswith(f"note: {REFUSING_FILE}:")
    assert "check could not give table country rows" in note
    assert "Notes:\n\n- " in result.summary
    assert "check could not give table country rows" in result.summary

    whole = action(workspace, base_ref="main", command="check", db="sqlite", base="none")
    assert "--base" not in whole.stdout
    assert whole.returncode == 1, whole.stdout
    assert _placed(whole) == [
        ("AG904 fails-with-data", OLD_ROWS_FILE, line),
        ("AG904 fails-with-data", PR_ROWS_FILE, line),
    ]


@pytest.mark.postgres
def test_check_in_a_pull_request_on_postgresql_shows_its_locks_in_the_summary(
    rows_origin: Path, action: Callable[..., Run], make_database: Callable[[], str], tmp_path: Path
) -> None:
    workspace = _pull_request_checkout(rows_origin, tmp_path)
    line = str(NOT_NULL_LINE)

    result = action(workspace, base_ref="main", command="check", database_url=make_database())

    assert "--database-url '***' --base origin/main" in result.stdout
    assert result.returncode == 1, result.stdout
    assert _placed(result) == [
        ("AG904 fails-with-data", PR_ROWS_FILE, line),
        ("AG907 no-lock-timeout", PR_ROWS_FILE, line),
    ]
    summary = result.summary
    assert "### Locks measured on PostgreSQL" in summary
    assert f"**`{PR_ROWS}`** `{PR_ROWS_FILE}` (1 statement traced)" in summary
    assert (
        f"| {line} | `ALTER TABLE post ADD COLUMN slug VARCHAR(50) NOT NULL` | post | "
        "ACCESS EXCLUSIVE | reads and writes |"
    ) in summary
    assert f"**`{OLD_ROWS}`**" not in summary  # main's revisions are not traced
    assert summary.index("### AG904") < summary.index("### Locks") < summary.index("```mermaid")

    # What the documentation says turns each measurement off.
    quiet = action(
        workspace,
        base_ref="main",
        command="check",
        database_url=make_database(),
        args="--no-seed --ignore AG905,AG906,AG907",
    )
    assert quiet.returncode == 0, quiet.stdout
    # lint's guess is back where nothing measured the line.
    assert _placed(quiet) == [("AG101 not-null-column-without-default", PR_ROWS_FILE, line)]
    assert "Locks measured" not in quiet.summary


def test_the_merge_queue_catches_two_pull_requests_green_alone(
    tmp_path: Path, action: Callable[..., Run]
) -> None:
    origin = tmp_path / "origin"
    copy_quickstart(origin)
    init_repo(origin)
    base = git(origin, "rev-parse", "HEAD")
    pull_request(origin, "first", "aaaaaaaaaaaa")
    pull_request(origin, "second", "bbbbbbbbbbbb")
    # GitHub's queue branch: main, then the first pull request, then the second.
    queue = "refs/heads/gh-readonly-queue/main/pr-2"
    merge_into(origin, "main", "first", queue)
    merge_into(origin, queue, "second", queue)
    workspace = checkout(origin, queue, tmp_path / "workspace")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"merge_group": {"base_sha": base, "base_ref": "refs/heads/main"}}))

    result = action(
        workspace, extra_env={"GITHUB_EVENT_NAME": "merge_group", "GITHUB_EVENT_PATH": str(event)}
    )

    assert f"--base {base}" in result.stdout
    assert result.returncode == 1, result.stdout
    annotations = parse_annotations(result.stdout)
    assert sorted((a["title"], a["file"]) for a in annotations) == [
        ("AG001 multiple-heads", "migrations/versions/aaaa_first.py"),
        ("AG001 multiple-heads", "migrations/versions/bbbb_second.py"),
    ]


def test_the_summary_names_files_from_the_repository_root(
    make_project: Callable[..., Path], action: Callable[..., Run]
) -> None:
    workspace = make_project(two_heads=True, subdir="backend")
    result = action(workspace, working_directory="backend")
    assert "- `backend/migrations/versions/4c535d2e7ab2_create_post.py:15`" in result.summary
    assert 'title: "backend/alembic.ini"' in result.summary


def test_no_line_of_standard_error_becomes_a_command(
    make_project: Callable[..., Path], action: Callable[..., Run], capfd: pytest.CaptureFixture[str]
) -> None:
    result = action(make_project(), args="--config 'x\n::error file=README.md::pwned'")
    assert result.returncode == 2
    log = result.stdout + capfd.readouterr().err
    assert "> ::error file=README.md::pwned" in log
    assert not any(line.lstrip().startswith("::error file=README") for line in log.splitlines())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("::error::x\n", "> ::error::x\n"),
        ("   ##[warning]x\n", ">    ##[warning]x\n"),
        ("alembic-gate: error: ::x\n", "alembic-gate: error: ::x\n"),
    ],
)
def test_standard_error_lines_that_would_be_commands_are_marked(line: str, expected: str) -> None:
    assert load_script().safe_line(line) == expected
