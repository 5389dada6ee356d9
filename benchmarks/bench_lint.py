"""Time `alembic-gate lint` against `alembic heads` and against the floors, side by side.

Usage: python benchmarks/bench_lint.py [--sizes 100,1000,5000,20000] [--repeat 3]
           (an empty --sizes skips the table)
           [--linear 5000,40000]   (an empty value skips the linearity run; best of
                                    --repeat too: one run of 40,000 swings by 10-20%)
           [--lint-args "--select AG0"]   (more flags for every lint run)

For each size a history is generated in a temporary folder (benchmarks/history.py:
autogenerate-style files of 40-110 lines, every one with op.* calls, merges every ~25
revisions), and these run as fresh processes on the same files, best of `--repeat`
rounds (each round runs every one once, so that all are measured in the same minutes):

- read floor: a Python process that only reads every revision file;
- parse floor: one that reads and `ast.parse`s every revision file;
- parse on all cores: the same, the files split over forked processes, one a core (as
  lint's cold run splits them): the least any tool that parses every file can take;
- lint cold: `alembic-gate lint --no-cache` (a fresh clone in CI);
- pre-commit: `alembic-gate lint FILE` with one revision changed since the last run and
  the cache warm (a developer's commit);
- `alembic heads` with no bytecode cache (it imports every revision file).

Peak RSS is the largest resident size of any lint process (forked readers included),
each run started from a small launcher (`_LAUNCH`: the benchmark's own size would count).
The goals are printed at the end, each with whether this run met it.
"""

from __future__ import annotations

import argparse
import compileall
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import write_project

import alembic_gate

BIN = Path(sys.executable).parent
VERSIONS = "migrations/versions"
EACH_FILE = "import os,sys\nfor e in os.scandir(sys.argv[1]):\n    "
READ_ALL = EACH_FILE + "open(e.path,'rb').read()\n"
PARSE_ALL = "import ast\n" + EACH_FILE + "ast.parse(open(e.path,'rb').read())\n"
# The parse floor on every usable core: the files split over forked processes, as
# lint's cold run splits them, each only parsing its share (nothing sent back, no rule).
PARSE_CORES = """
import ast, os, sys
paths = [e.path for e in os.scandir(sys.argv[1])]
cores = len(os.sched_getaffinity(0))
children = []
for share in range(1, cores):
    pid = os.fork()
    if pid == 0:
        for path in paths[share::cores]:
            ast.parse(open(path, 'rb').read())
        os._exit(0)
    children.append(pid)
for path in paths[::cores]:
    ast.parse(open(path, 'rb').read())
for pid in children:
    os.waitpid(pid, 0)
"""
CORES = len(os.sched_getaffinity(0))
MIB = 1024 * 1024


def _clear_bytecode(root: Path) -> None:
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache)


# Runs a command (argv[1:]) with its output to /dev/null and writes, on its own standard
# output, the command's wall time, peak RSS (KiB) and exit code. Measured from this small
# process rather than from the benchmark's own: a process started from another takes
# the other's peak RSS as its own starting peak (Linux carries it over the exec), so
# that measured from here, /bin/true had the benchmark's 15-45 MiB. From here that floor
# is this launcher's (about 8 MiB), below any lint run's.
_LAUNCH = """
import os, sys, time
out = os.open(os.devnull, os.O_WRONLY)
start = time.perf_counter()
to_null = [(os.POSIX_SPAWN_DUP2, out, 1)]
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=to_null)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def _run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one run of `cmd`, measured by `_LAUNCH`."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    launch = [sys.executable, "-S", "-c", _LAUNCH, *cmd]
    # Standard error (lint's note on older warnings, each run) is shown only on failure.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.run(launch, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=errors)
        errors.seek(0)
        said = errors.read().decode(errors="replace")
    try:
        elapsed, peak, code = proc.stdout.decode().split()
    except ValueError:
        raise SystemExit(f"{' '.join(cmd)} could not be run\n{said}") from None
    if proc.returncode != 0 or int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}\n{said}")
    return float(elapsed), int(peak) * 1024


def _best(cmd: list[str], cwd: Path, repeat: int, before: object = None) -> tuple[float, int]:
    return _rounds({"": Run(cmd, before)}, cwd, repeat)[""]


@dataclass
class Run:
    cmd: list[str]
    before: object = None  # called before each run
    most: int | None = None  # at most this many runs (None: every round)


def _rounds(runs: dict[str, Run], cwd: Path, repeat: int) -> dict[str, tuple[float, int]]:
    """Best time and peak RSS of each command over `repeat` rounds, each round running
    every command once: on a machine whose speed drifts from minute to minute (a shared
    VM), the columns compared are then measured in the same minutes."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    peaks = dict.fromkeys(runs, 0)
    for done in range(repeat):
        for name, run in runs.items():
            if run.most is not None and done >= run.most:
                continue
            if callable(run.before):
                run.before()
            elapsed, rss = _run(run.cmd, cwd)
            times[name].append(elapsed)
            peaks[name] = max(peaks[name], rss)
    return {name: (min(times[name]), peaks[name]) for name in runs}


def _touch_one(path: Path) -> object:
    """A change to one revision file before each pre-commit run: new content, so the
    run has one file to parse and everything else comes from the cache."""
    counter = [0]

    def change() -> None:
        counter[0] += 1
        with path.open("a") as handle:
            handle.write(f"# edited {counter[0]}\n")

    return change


def bench(size: int, repeat: int, extra: Sequence[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-lint-{size}-") as tmp:
        root = Path(tmp)
        write_project(root, size)
        versions = root / VERSIONS
        gate = [str(BIN / "alembic-gate"), "lint", *extra]
        python = [sys.executable, "-c"]
        _run(gate, root)  # fills .alembic-gate-cache/ for the pre-commit runs
        changed = max(versions.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        relative = str(changed.relative_to(root))
        best = _rounds(
            {
                "read": Run([*python, READ_ALL, str(versions)]),
                "parse": Run([*python, PARSE_ALL, str(versions)]),
                "cores": Run([*python, PARSE_CORES, str(versions)]),
                "cold": Run([*gate, "--no-cache"]),
                "commit": Run([*gate, relative], before=_touch_one(changed)),
                "alembic": Run(
                    [str(BIN / "alembic"), "heads"],
                    before=lambda: _clear_bytecode(root),
                    most=None if size <= 5000 else 1,
                ),
            },
            root,
            repeat,
        )
        r = {name: elapsed for name, (elapsed, _) in best.items()}
        r["rss_cold"], r["rss_commit"] = best["cold"][1], best["commit"][1]
        return r


def _cold(size: int, repeat: int, extra: Sequence[str]) -> float:
    """Best of `repeat` cold runs (`lint --no-cache`) on a history of `size` revisions."""
    with tempfile.TemporaryDirectory(prefix=f"bench-lint-{size}-") as tmp:
        root = Path(tmp)
        write_project(root, size)
        return _best([str(BIN / "alembic-gate"), "lint", *extra, "--no-cache"], root, repeat)[0]


def _exponent(
    sizes: Sequence[int], repeat: int, extra: Sequence[str]
) -> tuple[float, dict[int, float]]:
    times = {n: _cold(n, repeat, extra) for n in sizes}
    low, high = min(sizes), max(sizes)
    return math.log(times[high] / times[low]) / math.log(high / low), times


def _goal(text: str, met: bool) -> str:
    return f"  [{'met' if met else 'NOT met'}] {text}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--linear", default="5000,40000", help="two sizes, or empty")
    parser.add_argument("--lint-args", default="", help="more flags for every lint run")
    args = parser.parse_args(argv)
    extra = shlex.split(args.lint_args)
    if extra:
        print(f"lint runs with: {' '.join(extra)}")
    # Like any installed package (pip compiles on install), alembic-gate runs from
    # bytecode; only the revision files are read without a bytecode cache.
    # Forced: a source saved in the same second as its old .pyc keeps that .pyc's stamp,
    # and would be compiled again on every import of every run.
    compileall.compile_dir(str(Path(alembic_gate.__file__).parent), quiet=1, force=True)
    print(f"{CORES} usable cores")
    header = [
        "revisions",
        "read",
        "parse",
        "parse/cores",
        "lint cold",
        "pre-commit",
        "alembic",
        "peak RSS",
    ]
    print(" ".join(f"{h:>11}" for h in header), "  cold vs alembic  cold/parse  commit/read")
    results: dict[int, dict[str, float]] = {}
    for size in (int(s) for s in args.sizes.split(",") if s):
        r = results[size] = bench(size, args.repeat, extra)
        rss = max(r["rss_cold"], r["rss_commit"]) / MIB
        columns = ("read", "parse", "cores", "cold", "commit", "alembic")
        times = " ".join(f"{r[k]:>10.3f}s" for k in columns)
        print(
            f"{size:>11,} {times} {rss:>7.1f} MiB {r['alembic'] / r['cold']:>13.1f}x"
            f" {r['cold'] / r['parse']:>10.2f}x {r['commit'] / r['read']:>11.2f}x",
            flush=True,
        )
    print("\ngoals:")
    one = results.get(1000)
    if one:
        speedup = one["alembic"] / one["cold"]
        print(
            _goal(
                f"1,000 revisions, cold: {speedup:.1f}x faster than alembic heads (>= 2.5x)",
                speedup >= 2.5,
            )
        )
        # What is left, for start-up, reading the calls and every rule, once the files
        # are parsed on every core: the bound the goal sets on everything but the parse.
        left = one["alembic"] / 2.5 - one["cores"]
        print(
            f"      parsing alone on {CORES} cores: {one['cores']:.3f}s, "
            f"{one['alembic'] / one['cores']:.1f}x faster than alembic heads; "
            f"the goal leaves {left * 1000:.0f} ms for all the rest "
            f"(lint takes {(one['cold'] - one['cores']) * 1000:.0f} ms more than that parse)"
        )
        ratio = one["cold"] / one["parse"]
        print(
            _goal(
                f"1,000 revisions, cold: {ratio:.2f}x the parse-every-file floor (<= 1.3x)",
                ratio <= 1.3,
            )
        )
        commit = one["commit"] / one["read"]
        print(
            _goal(
                f"1,000 revisions, pre-commit, one changed file, warm cache: {commit:.2f}x "
                "the read-every-file floor (<= 2.5x)",
                commit <= 2.5,
            )
        )
    big = results.get(20000)
    if big:
        rss = max(big["rss_cold"], big["rss_commit"]) / MIB
        print(_goal(f"20,000 revisions: peak RSS {rss:.1f} MiB (< 40 MiB)", rss < 40))
    if args.linear:
        sizes = [int(s) for s in args.linear.split(",")]
        exponent, cold = _exponent(sizes, args.repeat, extra)
        spread = ", ".join(f"{n:,}: {t:.2f}s" for n, t in cold.items())
        print(
            _goal(
                f"linear in N: lint cold grows as N^{exponent:.2f} ({spread}; <= 1.1)",
                exponent <= 1.1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
