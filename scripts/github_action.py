"""The run logic of the GitHub Action (action.yml): `install`, then `run`.

The action's steps call this file from the action's own checkout
(``python "$GITHUB_ACTION_PATH/scripts/github_action.py" run``) with every input passed
through ``env:`` as ``INPUT_<NAME>`` (never interpolated into a script). Standard library
only: it runs before and next to the package it installs.

``install`` pip-installs the action's checkout (with the ``check`` extra for check and
doctor) into the Python on PATH. ``run`` runs ``python -m alembic_gate`` in the working
directory with ``--format github`` (annotations and the job summary) and a JSON report,
then writes the ``findings`` and ``heads`` outputs and exits with the tool's exit code.

Paths: annotations and SARIF must name files relative to the repository root; the tool
writes them relative to its working directory, so with ``working-directory`` set they
are prefixed here. The ``sarif`` path is relative to the repository root (the path
``github/codeql-action/upload-sarif`` takes).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

COMMANDS = ("lint", "check", "doctor")
USAGE_ERROR = 2  # the tool's own exit code for a configuration error
NO_BASE = "none"


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
        if self.base and self.base != NO_BASE and self.command != "lint":
            raise InputError(f"input 'base' is for command lint, not {self.command}")


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
    prefix = repo_prefix(cwd, workspace)
    base = resolve_base(inputs, env, cwd)
    scratch = Path(tempfile.mkdtemp(prefix="alembic-gate-", dir=env.get("RUNNER_TEMP") or None))
    json_path = scratch / "report.json"
    sarif_path = (workspace / inputs.sarif).resolve() if inputs.sarif else None
    argv = tool_args(inputs, base, json_path, sarif_path)
    print(f"$ alembic-gate {shlex.join(shown(argv))}", flush=True)
    code = stream([sys.executable, "-m", "alembic_gate", *argv], cwd, prefix)
    if sarif_path is not None and prefix and sarif_path.is_file():
        sarif_path.write_text(prefix_sarif(sarif_path.read_text(encoding="utf-8"), prefix))
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
    """The command line for the log, without the database URL and the --env values (they
    may hold a password)."""
    hidden = []
    for i, arg in enumerate(argv):
        if i and argv[i - 1] == "--database-url":
            arg = "***"
        elif arg.startswith("--database-url="):
            arg = "--database-url=***"
        elif i and argv[i - 1] == "--env":
            arg = arg.partition("=")[0] + "=***"
        hidden.append(arg)
    return hidden


def repo_prefix(cwd: Path, workspace: Path) -> str:
    """The working directory relative to the repository root ('' at the root or outside)."""
    try:
        relative = cwd.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if relative == "." else relative


# --- the base of a pull request ----------------------------------------------------------


def resolve_base(inputs: Inputs, env: Mapping[str, str], cwd: Path) -> str | None:
    """The ``--base`` ref for lint: the input, else ``origin/<base branch>`` on pull requests.

    A missing ``origin/<branch>`` (a shallow checkout holds one commit) is fetched first.
    """
    if inputs.command != "lint" or inputs.base == NO_BASE:
        return None
    ref = inputs.base
    if not ref:
        branch = env.get("GITHUB_BASE_REF", "")
        if not branch:
            return None
        ref = f"origin/{branch}"
    verify = ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]
    if ref.startswith("origin/") and not _git_ok(verify, cwd):
        fetch_branch(ref.removeprefix("origin/"), cwd)
    return ref


def fetch_branch(branch: str, cwd: Path) -> None:
    shallow = _git_output(["rev-parse", "--is-shallow-repository"], cwd) == "true"
    refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
    depth = ["--depth=1"] if shallow else []
    print(f"Fetching the base branch {branch} from origin", flush=True)
    if not _git_ok(["fetch", "--no-tags", *depth, "origin", refspec], cwd):
        raise InputError(
            f"cannot fetch the base branch {branch!r} from origin; fetch it in an earlier step "
            "(actions/checkout with fetch-depth: 0), or set input 'base' (a ref, or none)"
        )


def _git_ok(args: list[str], cwd: Path) -> bool:
    return subprocess.call(["git", *args], cwd=cwd, stdout=subprocess.DEVNULL) == 0


def _git_output(args: list[str], cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout.strip()


# --- repository-relative paths -----------------------------------------------------------


def stream(command: list[str], cwd: Path, prefix: str) -> int:
    """Run the tool, passing its standard output on with annotation paths prefixed."""
    with subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(prefix_annotation(line, prefix) if prefix else line)
            sys.stdout.flush()
    return proc.returncode


def prefix_annotation(line: str, prefix: str) -> str:
    """Put ``prefix/`` before the ``file=`` property of a workflow command line.

    Property values are escaped (``:`` and ``,`` as %3A and %2C), so the first ``::``
    after the command name ends the properties and ``,`` separates them.
    """
    if not line.startswith("::") or " " not in line.split("::", 2)[1]:
        return line
    head, sep, message = line[2:].partition("::")
    name, _, props = head.partition(" ")
    fixed = [
        f"file={_escape_property(prefix + '/')}{p[5:]}" if p.startswith("file=") else p
        for p in props.split(",")
    ]
    return f"::{name} {','.join(fixed)}{sep}{message}"


def _escape_data(value: str) -> str:
    # As @actions/core escapes a command's message.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    # As @actions/core escapes a property value.
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def prefix_sarif(text: str, prefix: str) -> str:
    """Make every artifact URI in a SARIF log relative to the repository root."""
    log = json.loads(text)
    for run_ in log.get("runs", []):
        for result in run_.get("results", []):
            for location in result.get("locations", []):
                artifact = location.get("physicalLocation", {}).get("artifactLocation", {})
                if "uri" in artifact:
                    artifact["uri"] = _prefix_uri(artifact["uri"], prefix)
    return json.dumps(log, indent=2) + "\n"


def _prefix_uri(uri: str, prefix: str) -> str:
    root = quote(prefix)
    return root if uri == "." else f"{root}/{uri}"


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
        out.writelines(f"{name}={value}\n" for name, value in outputs.items())


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
