"""Every report format on real histories, each checked by its consumer's own schema.

Usage: python benchmarks/bench_reports.py --corpus DIR [--corpus DIR ...] [--multitool PATH]

For each environment of each corpus (`make_corpus.py` writes them, `manifest.json` lists
the environments), lint runs twice in the repository's root: as a person runs it (the
config, no file named: the head revisions' safety warnings and a line about the older
ones) and as a hook given every revision file. Each run writes all six reports at once
(`--format FMT=PATH`, with GITHUB_STEP_SUMMARY set). A run must exit 0 or 1 with no
traceback on standard error; then the JSON report must parse, its paths relative and
POSIX; the SARIF report validate against the SARIF 2.1.0 schema (and, with --multitool,
Microsoft's SARIF multitool: GitHub's ingestion rules and its SARIF rules, about a second
a report); the GitLab report against the Code Quality schema and GitLab's own schema, its
fingerprints unique; the JUnit report against the Jenkins JUnit schema; the step summary
stay under GitHub's 1 MiB; and JSON, SARIF and GitLab hold the same number of findings.
Every problem is printed; the last line counts runs, findings and problems (exit 1 when
there is any). The tests check each reporter on made-up findings; this bench feeds them
what real histories give.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jsonschema
from bench_precision import _environments as environments
from bench_precision import _runs as precision_runs
from bench_precision import _tree as tree
from lxml import etree

from alembic_gate.main import main as gate

SCHEMAS = Path(__file__).resolve().parents[1] / "tests" / "schemas"
FORMATS = ("text", "json", "sarif", "gitlab", "junit", "github")
SUMMARY_LIMIT = 1024 * 1024  # GitHub refuses a step summary over 1 MiB


def _schema(name: str) -> Any:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


class Consumers:
    """The consumers' validators, loaded once."""

    def __init__(self, multitool: Path | None) -> None:
        sarif = _schema("sarif-schema-2.1.0.json")
        self.sarif = jsonschema.validators.validator_for(sarif)(sarif)
        self.gitlab = jsonschema.Draft7Validator(_schema("gitlab-code-quality.json"))
        self.gitlab_issue = jsonschema.Draft202012Validator(_schema("gitlab-codeclimate.json"))
        self.junit = etree.XMLSchema(etree.parse(str(SCHEMAS / "jenkins-junit-10.xsd")))
        self.multitool = multitool

    def problems(self, reports: Path, findings: list[dict[str, Any]]) -> Iterator[str]:
        """What each consumer finds wrong with the reports one run wrote in `reports`
        (`findings`: its JSON report's)."""
        for finding in findings:
            path = finding["path"]
            if path is not None and (path.startswith("/") or "\\" in path):
                yield f"json: path not relative POSIX: {path}"
        sarif = json.loads((reports / "sarif").read_text(encoding="utf-8"))
        for error in self.sarif.iter_errors(sarif):
            yield f"sarif schema: {error.message[:200]}"
        yield from self._multitool(reports / "sarif")
        issues = json.loads((reports / "gitlab").read_text(encoding="utf-8"))
        for error in self.gitlab.iter_errors(issues):
            yield f"gitlab schema: {error.message[:200]}"
        for issue in issues:
            for error in self.gitlab_issue.iter_errors(issue):
                yield f"gitlab's own schema: {error.message[:200]}"
        if len({issue["fingerprint"] for issue in issues}) != len(issues):
            yield "gitlab: two issues share a fingerprint"
        if not self.junit.validate(etree.parse(str(reports / "junit"))):
            yield f"junit schema: {str(self.junit.error_log).splitlines()[0][:200]}"
        summary = reports / "summary.md"
        if summary.is_file() and summary.stat().st_size > SUMMARY_LIMIT:
            yield f"step summary of {summary.stat().st_size} bytes"
        counts = (len(findings), len(sarif["runs"][0]["results"]), len(issues))
        if len(set(counts)) > 1:
            yield f"findings: json {counts[0]}, sarif {counts[1]}, gitlab {counts[2]}"

    def _multitool(self, sarif: Path) -> Iterator[str]:
        if self.multitool is None:
            return
        environ = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
        for kind in ("Gh", "Sarif"):
            out = sarif.with_name(f"validation-{kind}.sarif")
            argv = [
                str(self.multitool),
                "validate",
                "--rule-kind",
                kind,
                "-o",
                str(out),
                str(sarif),
            ]
            done = subprocess.run(argv, capture_output=True, text=True, env=environ, timeout=300)
            if done.returncode != 0 or not out.is_file():
                yield f"multitool {kind}: exit {done.returncode}"
                continue
            log = json.loads(out.read_text(encoding="utf-8-sig"))
            for result in log["runs"][0].get("results", []):
                yield f"multitool {kind}: {result.get('ruleId')}: {result['message'].get('text')}"


def lint(root: Path, argv: list[str], reports: Path) -> tuple[int, str]:
    """Run lint in `root`, every format written into `reports`: (exit code, stderr)."""
    formats = [arg for fmt in FORMATS for arg in ("--format", f"{fmt}={reports / fmt}")]
    os.environ["GITHUB_STEP_SUMMARY"] = str(reports / "summary.md")
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = gate(["lint", "--no-cache", *argv, *formats])
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 2
            except Exception:
                traceback.print_exc()
                code = -1
    finally:
        os.chdir(cwd)
    return code, err.getvalue()


def runs(corpus: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(label, root, argv) of each run: per environment, as a person and as a hook."""
    for repo, env in environments(corpus):
        root, files = tree(corpus, repo, env)
        for argv in precision_runs(root, env):
            label = f"{repo['repo']} {' '.join(argv)}"
            yield f"{label} (as a person)", root, argv
            yield f"{label} (every file named)", root, [*argv, *files]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--multitool", type=Path, help="Sarif.Multitool, to validate with it too")
    args = parser.parse_args(argv)
    if args.multitool is not None and not os.access(args.multitool, os.X_OK):
        print(f"no SARIF multitool to run at {args.multitool}", file=sys.stderr)
        return 2
    consumers = Consumers(args.multitool)
    done = findings = 0
    problems: list[str] = []
    for corpus in args.corpus:
        if not (corpus / "manifest.json").is_file():
            print(f"no corpus at {corpus} (no manifest.json)", file=sys.stderr)
            return 2
        for label, root, run_argv in runs(corpus):
            with tempfile.TemporaryDirectory() as tmp:
                code, err = lint(root, run_argv, Path(tmp))
                if code not in (0, 1) or "Traceback" in err:
                    problems.append(f"{label}: exit {code}: {err.strip()[-300:]}")
                    continue
                done += 1
                report = json.loads((Path(tmp) / "json").read_text(encoding="utf-8"))
                findings += len(report["findings"])
                found = consumers.problems(Path(tmp), report["findings"])
                problems += [f"{label}: {problem}" for problem in found]
    for problem in problems:
        print("problem:", problem)
    print(f"{done} runs, {findings} findings in each format; problems: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
