"""The run logic of the GitHub Action (action.yml): `install`, then `run`.

The action's steps call this file from the action's own checkout
(``python "$GITHUB_ACTION_PATH/scripts/github_action.py" run``) with every input passed
through ``env:`` as ``INPUT_<NAME>`` (never interpolated into a script). Standard library
only: it runs before and next to the package it installs.

``install`` pip-installs the action's checkout (with the ``check`` extra for check and
doctor) into the Python on PATH. ``run`` runs ``python -m alembic_gate`` in the working
directory with ``--format github`` (annotations and the job summary) and a JSON report,
then writes the ``findings`` and ``heads`` outputs and exits with the tool's exit code.

Paths: annotations, SARIF and the job summary name files relative to the repository
root; the tool does that itself in GitHub Actions (its ``working-directory`` in front).
The ``sarif`` path is relative to the repository root (the path
``github/codeql-action/upload-sarif`` takes).

The base of ``lint`` and ``check`` (``--base``): on ``pull_request`` (and
``pull_request_target``) events ``origin/<base branch>``; on ``merge_group`` (GitHub's
merge queue) the queue's ``base_sha``. What is missing from a shallow checkout is
fetched: the base, and on a merge checkout (``refs/pull/N/merge``) the pull request's
own head, its second parent. lint then reports AG010 and its safety rules for the pull
request's revisions only; check its measurements (AG904-AG907, the lock tables).
``doctor`` inspects a database, not a branch: it takes no base.

The tool's standard error reaches the log too: a line there that GitHub's runner would
read as a workflow command is marked, so a file name cannot issue one.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

COMMANDS = ("lint", "check", "doctor")
WITH_BASE = ("lint", "check")  # the commands that take --base
USAGE_ERROR = 2  # the tool's own exit code for a configuration error
NO_BASE = "none"
SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# The password of a URL: from the user's ':' to the host's '@' (blanks and '@' in it too).
URL_PASSWORD = re.compile(r"(://[^:/@\s]*:).*(@[^@]*)$")
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class InputError(Exception):
    """An input the action cannot use: reported as an error annotation, exit 2."""


@dataclass(frozen=True)
class Inputs:
    command: str
    configs: list[str]
    db: str
    image: str
    database_url: str
    env: list[str]
    args: list[str]
    sarif: str
    working_directory: str
    base: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        def get(name: str) -> str:
            return env.get(f"INPUT_{name}", "").strip()

        command = get("COMMAND") or "lint"
        if command not in COMMANDS:
            raise InputError(f"input 'command' is {command!r}; choose lint, check or doctor")
        try:
            args = shlex.split(env.get("INPUT_ARGS", ""))
        except ValueError as exc:
            raise InputError(f"input 'args' cannot be split like a shell line: {exc}") from exc
        inputs = cls(
            command=command,
            configs=[line.strip() for line in get("CONFIG").splitlines() if line.strip()],
            db=get("DB"),
            image=get("IMAGE"),
            database_url=get("DATABASE_URL"),
            env=[line.strip() for line in get("ENV").splitlines() if line.strip()],
            args=args,
            sarif=get("SARIF"),
            working_directory=get("WORKING_DIRECTORY") or ".",
            base=get("BASE"),
        )
        inputs.validate()
        return inputs

    def validate(self) -> None:
        only = {
            "db": ("check",),
            "image": ("check",),
            "database-url": ("check", "doctor"),
            "env": ("check",),
        }
        given = {
            "db": self.db,
            "image": self.image,
            "database-url": self.database_url,
            "env": "\n".join(self.env),
        }
        for name, value in given.items():
            if value and self.command not in only[name]:
                allowed = " and ".join(only[name])
                raise InputError(f"input '{name}' is for command {allowed}, not {self.command}")
        if self.command == "doctor" and not self.database_url:
            raise InputError("command doctor needs input 'database-url' (the database to explain)")
        if self.base and self.base != NO_BASE and self.command not in WITH_BASE:
            raise InputError(f"input 'base' is for commands lint and check, not {self.command}")


def install(inputs: Inputs, env: Mapping[str, str]) -> int:
    """pip-install the action's own checkout, so the tool's version is the action's ref."""
    extra = "[check]" if inputs.command in ("check", "doctor") else ""
    spec = f"{env['GITHUB_ACTION_PATH']}{extra}"
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    return subprocess.call([*pip, spec])


def run(inputs: Inputs, env: Mapping[str, str]) -> int:
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
    cwd = workspace / inputs.working_directory
    if not cwd.is_dir():
        raise InputError(f"input 'working-directory': no folder {inputs.working_directory!r}")
    base = resolve_base(inputs, env, cwd)
    scratch = Path(tempfile.mkdtemp(prefix="alembic-gate-", dir=env.get("RUNNER_TEMP") or None))
    json_path = scratch / "report.json"
    sarif_path = (workspace / inputs.sarif).resolve() if inputs.sarif else None
    argv = tool_args(inputs, base, json_path, sarif_path)
    print(f"$ alembic-gate {visible(shlex.join(shown(argv)))}", flush=True)
    code = stream([sys.executable, "-m", "alembic_gate", *argv], cwd)
    if json_path.is_file():
        write_outputs(json.loads(json_path.read_text(encoding="utf-8")), env)
    return code


def tool_args(inputs: Inputs, base: str | None, json_path: Path, sarif: Path | None) -> list[str]:
    argv = [inputs.command]
    for config in inputs.configs:
        argv += ["--config", config]
    flags = {"--db": inputs.db, "--image": inputs.image, "--database-url": inputs.database_url}
    for flag, value in flags.items():
        if value:
            argv += [flag, value]
    for item in inputs.env:
        argv += ["--env", item]
    if base:
        argv += ["--base", base]
    argv += [*inputs.args, "--format", "github", "--format", f"json={json_path}"]
    if sarif is not None:
        argv += ["--format", f"sarif={sarif}"]
    return argv


def shown(argv: Sequence[str]) -> list[str]:
    """The command line for the log, without the database URL, the --env values and the
    -x values (any of them may hold a password), given apart or joined to their flag,
    the flag also abbreviated as argparse takes it (`--database-u=URL`), and without the
    password of a URL in any other argument."""
    hidden = []
    for i, arg in enumerate(argv):
        before = argv[i - 1] if i else ""
        flag, equals, value = arg.partition("=") if arg.startswith("--") else ("", "", "")
        if abbreviates(before, "--database-url"):
            arg = "***"
        elif equals and abbreviates(flag, "--database-url"):
            arg = f"{flag}=***"
        elif abbreviates(before, "--env") or before == "-x":
            arg = _name_only(arg)
        elif equals and abbreviates(flag, "--env"):
            arg = f"{flag}={_name_only(value)}"
        elif arg.startswith("-x") and arg != "-x":
            arg = "-x" + _name_only(arg.removeprefix("-x"))
        hidden.append(URL_PASSWORD.sub(r"\1***\2", arg))
    return hidden


def abbreviates(arg: str, flag: str) -> bool:
    """`arg` is `flag` or a prefix argparse reads as it."""
    return len(arg) > 2 and arg.startswith("--") and flag.startswith(arg)


def _name_only(item: str) -> str:
    """``NAME=VALUE`` as ``NAME=***``."""
    return item.partition("=")[0] + "=***"


# --- the base of a pull request ----------------------------------------------------------


def resolve_base(inputs: Inputs, env: Mapping[str, str], cwd: Path) -> str | None:
    """The ``--base`` ref for lint and check: the input; else ``origin/<base branch>``
    on pull requests and the queue's base commit in a merge queue; fetched when missing.

    On a merge checkout the pull request's own head (HEAD's second parent) is fetched
    too: both commands judge it against the base (see `alembic_gate.history.git_base`).
    """
    if inputs.command not in WITH_BASE or inputs.base == NO_BASE:
        return None
    ref = inputs.base or default_base(env)
    if not ref:
        return None
    if not _has_commit(ref, cwd):
        if ref.startswith("origin/"):
            fetch_branch(ref.removeprefix("origin/"), cwd)
        elif SHA.fullmatch(ref):
            fetch_commit(ref, cwd, "the base commit")
    parents = commit_parents(cwd)
    if len(parents) > 1 and not _has_commit(parents[1], cwd):
        fetch_commit(parents[1], cwd, "the pull request's head")
    return ref


def default_base(env: Mapping[str, str]) -> str:
    """``origin/<base branch>`` on pull requests, the queue's base commit in a merge queue."""
    event = env.get("GITHUB_EVENT_NAME", "")
    if event == "merge_group":
        payload = _event(env).get("merge_group")
        base = payload.get("base_sha") if isinstance(payload, dict) else None
        return str(base) if isinstance(base, str) and SHA.fullmatch(base) else ""
    branch = env.get("GITHUB_BASE_REF", "")
    return f"origin/{branch}" if branch else ""


def _event(env: Mapping[str, str]) -> dict[str, object]:
    try:
        loaded = json.loads(Path(env.get("GITHUB_EVENT_PATH", "")).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def commit_parents(cwd: Path) -> list[str]:
    """HEAD's parents as its commit object names them (a shallow clone knows no more)."""
    raw = _git_output(["cat-file", "commit", "HEAD"], cwd)
    header = raw.split("\n\n", 1)[0]
    return [line[7:].strip() for line in header.splitlines() if line.startswith("parent ")]


def fetch_branch(branch: str, cwd: Path) -> None:
    refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
    print(f"Fetching the base branch {branch} from origin", flush=True)
    if not _git_ok(["fetch", "--no-tags", *_depth(cwd), "origin", refspec], cwd):
        raise InputError(
            f"cannot fetch the base branch {branch!r} from origin; fetch it in an earlier step "
            "(actions/checkout with fetch-depth: 0), or set input 'base' (a ref, or none)"
        )


def fetch_commit(sha: str, cwd: Path, what: str) -> None:
    print(f"Fetching {what} {sha} from origin", flush=True)
    if not _git_ok(["fetch", "--no-tags", *_depth(cwd), "origin", sha], cwd):
        raise InputError(
            f"cannot fetch {what} {sha} from origin; use actions/checkout with "
            "fetch-depth: 0, or set input 'base' (a ref, or none)"
        )


def _depth(cwd: Path) -> list[str]:
    shallow = _git_output(["rev-parse", "--is-shallow-repository"], cwd) == "true"
    return ["--depth=1"] if shallow else []


def _has_commit(ref: str, cwd: Path) -> bool:
    return _git_ok(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)


def _git_ok(args: list[str], cwd: Path) -> bool:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    return done.returncode == 0


def _git_output(args: list[str], cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout.strip()


# --- passing the tool's output on -------------------------------------------------------


def stream(command: list[str], cwd: Path) -> int:
    """Run the tool: its standard output (annotations) passes as it is, its standard
    error with any line a runner would read as a workflow command marked."""
    with subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        errors = threading.Thread(target=_pass_on, args=(proc.stderr, sys.stderr, True))
        errors.start()
        _pass_on(proc.stdout, sys.stdout, False)
        errors.join()
    return proc.returncode


def _pass_on(source: IO[str], target: IO[str], mark_commands: bool) -> None:
    for line in source:
        target.write(safe_line(line) if mark_commands else line)
        target.flush()


def visible(text: str) -> str:
    """``text`` on one line: control characters (a newline among them) as escapes."""
    return CONTROLS.sub(lambda m: repr(m.group())[1:-1], text)


def safe_line(line: str) -> str:
    """``line`` with a visible ``> `` in front when it would start a workflow command."""
    return f"> {line}" if line.lstrip().startswith(("::", "##[")) else line


def _escape_data(value: str) -> str:
    # As @actions/core escapes a command's message.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# --- outputs -------------------------------------------------------------------------------


def write_outputs(report: Mapping[str, object], env: Mapping[str, str]) -> None:
    findings = report.get("findings")
    heads = report.get("heads")
    outputs = {
        "findings": str(len(findings) if isinstance(findings, list) else 0),
        "heads": " ".join(str(h) for h in heads) if isinstance(heads, list) else "",
    }
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        out.writelines(output_block(name, value) for name, value in outputs.items())


def output_block(name: str, value: str) -> str:
    """One output as @actions/core's ``setOutput`` writes it: a ``name<<DELIMITER`` block
    whose delimiter the value does not hold. A head id may hold a newline (alembic takes
    it), and written as ``name=value`` its next line was an output of its own."""
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    while delimiter in value:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["install"], ["run"]):
        print("usage: github_action.py install|run", file=sys.stderr)
        return USAGE_ERROR
    env = os.environ
    try:
        inputs = Inputs.from_env(env)
        return install(inputs, env) if args == ["install"] else run(inputs, env)
    except InputError as exc:
        print(f"::error title=alembic-gate::{_escape_data(str(exc))}", flush=True)
        return USAGE_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
