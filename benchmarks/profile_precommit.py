"""Where a pre-commit run of `alembic-gate lint FILE` spends its time, phase by phase.

Usage: python benchmarks/profile_precommit.py [--revisions 1000] [--runs 9] [--instructions]

A history is generated (benchmarks/history.py, the files bench_lint.py times), the cache
is filled by one `lint` run, and then, `--runs` times, one revision file is changed and
`lint FILE` runs in a fresh process that times itself: the interpreter's start-up (a
process that runs nothing, measured alone), the imports `lint` needs (the rule modules
too), and each step of the run (finding the setups, listing the revision files, reading
them through the cache, building the graph, the rules, the report, writing the cache).
Printed: the median of each over the runs, beside the read-every-file floor of
bench_lint.py, so the figures in the README's Speed section can be made again. Nothing
here changes what a run does: the steps are timed by wrapping the functions `lint`
calls, and the child starts and ends as the `alembic-gate` executable does
(main.console: the cyclic collector off, no tear-down at exit).

With --instructions, each of the three processes (one that runs nothing, the floor,
`lint FILE`) instead runs once under valgrind's callgrind, which counts the
instructions they execute: the same count every time, however busy the machine, so two
versions can be compared on a shared machine. Instructions leave out the kernel's work
(reading files, starting the process) and memory stalls, so their ratio to the floor
is not the ratio of times.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import write_project

import alembic_gate

VERSIONS = "migrations/versions"
READ_ALL = "import os,sys\nfor e in os.scandir(sys.argv[1]):\n    open(e.path,'rb').read()\n"

# Run in the child: time the imports, wrap the steps, run `lint FILE`, print the times.
CHILD = """
import gc, sys, time, json
gc.disable()  # as main.console does for lint
start = time.perf_counter()
import alembic_gate.main, alembic_gate.lint as lint
import alembic_gate.history.load as load
import alembic_gate.history.cache as cache
import alembic_gate.history.graph as graph
import alembic_gate.rules
alembic_gate.rules._load()  # the rule modules: a run imports them all, here timed as imports
imported = time.perf_counter()
spent = {}

def timed(owner, name, label):
    real = getattr(owner, name)
    def wrapper(*args, **kwargs):
        begin = time.perf_counter()
        try:
            result = real(*args, **kwargs)
            if label == "rules":
                result = list(result)
            return result
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - begin
    setattr(owner, name, wrapper)

timed(alembic_gate.main, "parse_arguments", "arguments")
timed(lint, "setups_from_args", "setups")
timed(load, "revision_files", "list files")
timed(cache.RevisionCache, "_load", "load cache")
timed(cache.RevisionCache, "read_all", "read files")
timed(cache.RevisionCache, "save", "save cache")
timed(graph.RevisionGraph, "build", "graph")
timed(lint, "iter_rules", "rules")
timed(lint, "build_report", "report")
timed(lint, "write_reports", "output")
begin = time.perf_counter()
code = alembic_gate.main.main(["lint", sys.argv[1]])
spent["run"] = time.perf_counter() - begin
spent["imports"] = imported - start
print(json.dumps(spent), file=sys.stderr)
alembic_gate.main._quick_exit(code)  # as main.console ends
"""
STEPS = (
    "arguments",
    "setups",
    "list files",
    "load cache",
    "read files",
    "graph",
    "rules",
    "report",
    "output",
    "save cache",
)


def _wall(cmd: list[str], cwd: Path) -> float:
    begin = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def _one_run(root: Path, changed: Path, count: int) -> dict[str, float]:
    with changed.open("a") as handle:
        handle.write(f"# edited {count}\n")
    relative = str(changed.relative_to(root))
    begin = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, relative],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - begin
    if proc.returncode not in (0, 1):
        raise SystemExit(f"lint failed: {proc.stderr[-2000:]}")
    times: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    times["wall"] = wall
    return times


def _instructions(cmd: list[str], cwd: Path) -> int:
    """How many instructions `cmd` executes (callgrind's count)."""
    out = "--callgrind-out-file=/dev/null"
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", out, *cmd],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise SystemExit(f"valgrind failed: {proc.stderr[-2000:]}")
    return int(found.group(1))


def _count_instructions(root: Path, changed: Path, revisions: int) -> None:
    versions = str(root / VERSIONS)
    with changed.open("a") as handle:
        handle.write("# edited\n")
    # the installed executable, as pre-commit and bench_lint.py run it (`python -m`
    # would add runpy's imports, contextlib among them)
    gate = str(Path(sys.executable).parent / "alembic-gate")
    lint = [gate, "lint", str(changed.relative_to(root))]
    bare = _instructions([sys.executable, "-c", "pass"], root)
    floor = _instructions([sys.executable, "-c", READ_ALL, versions], root)
    run = _instructions(lint, root)
    print(f"{revisions:,} revisions, one changed file, warm cache; instructions (callgrind)")
    print(f"  a process that runs nothing   {bare / 1e6:8.1f} M")
    print(f"  read-every-file floor         {floor / 1e6:8.1f} M")
    print(f"  lint FILE                     {run / 1e6:8.1f} M ({run / floor:.2f}x the floor)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions with valgrind instead"
    )
    args = parser.parse_args(argv)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # the revision files: never from bytecode
    # alembic-gate itself runs from bytecode, as installed (forced, as in bench_lint.py).
    compileall.compile_dir(str(Path(alembic_gate.__file__).parent), quiet=1, force=True)
    with tempfile.TemporaryDirectory(prefix="profile-precommit-") as tmp:
        root = Path(tmp)
        write_project(root, args.revisions)
        versions = root / VERSIONS
        subprocess.run(
            [sys.executable, "-m", "alembic_gate", "lint"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        changed = max(versions.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        if args.instructions:
            _count_instructions(root, changed, args.revisions)
            return 0
        runs, bare, floor = [], [], []
        for count in range(args.runs):
            bare.append(_wall([sys.executable, "-c", "pass"], root))
            floor.append(_wall([sys.executable, "-c", READ_ALL, str(versions)], root))
            runs.append(_one_run(root, changed, count))
    med = {key: statistics.median(run.get(key, 0.0) for run in runs) for key in runs[0]}
    start_up = statistics.median(bare)
    print(
        f"{args.revisions:,} revisions, one changed file, warm cache; medians of {args.runs} runs"
    )
    print(f"  read-every-file floor    {statistics.median(floor) * 1000:7.1f} ms")
    print(f"  lint FILE, wall          {med['wall'] * 1000:7.1f} ms")
    print(f"    interpreter start-up   {start_up * 1000:7.1f} ms (a process that runs nothing)")
    print(f"    imports                {med['imports'] * 1000:7.1f} ms")
    for step in STEPS:
        print(f"    {step:<22} {med.get(step, 0.0) * 1000:7.1f} ms")
    named = sum(med.get(step, 0.0) for step in STEPS)
    print(f"    the rest of the run    {(med['run'] - named) * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
