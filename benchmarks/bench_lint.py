"""Time `alembic-gate lint` against `alembic heads`, and against simply reading every file.

Usage: python benchmarks/bench_lint.py [--sizes 100,1000,5000,20000] [--repeat 3]

Histories are generated in a temporary folder (benchmarks/history.py); both tools run
as subprocesses with no bytecode cache, in the same run, on the same files.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import write_project

import alembic_gate

BIN = Path(sys.executable).parent
READ_ALL = (
    "import pathlib,sys\nfor p in sorted(pathlib.Path(sys.argv[1]).glob('*.py')): p.read_bytes()\n"
)


def _clear_bytecode(root: Path) -> None:
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache)


def _time(cmd: list[str], cwd: Path, repeat: int) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    best = float("inf")
    for _ in range(repeat):
        _clear_bytecode(cwd)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def bench(size: int, repeat: int, alembic_repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-lint-{size}-") as tmp:
        root = Path(tmp)
        write_project(root, size)
        versions = str(root / "migrations" / "versions")
        gate = [str(BIN / "alembic-gate"), "lint"]
        return {
            "read": _time([sys.executable, "-c", READ_ALL, versions], root, repeat),
            "cold": _time([*gate, "--no-cache"], root, repeat),
            # The first run fills .alembic-gate-cache/; the best of the next ones is warm.
            "warm": _time(gate, root, repeat + 1),
            "alembic": _time([str(BIN / "alembic"), "heads"], root, alembic_repeat),
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    # Like any installed package (pip compiles on install), alembic-gate runs from
    # bytecode; only the revision files are read without a bytecode cache.
    compileall.compile_dir(str(Path(alembic_gate.__file__).parent), quiet=1)
    header = ("revisions", "read all", "lint cold", "lint warm", "alembic heads")
    print(" ".join(f"{h:>13}" for h in header), f"{'cold speed-up':>13} {'cold/read':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = bench(size, args.repeat, 1 if size > 5000 else args.repeat)
        times = " ".join(f"{r[k]:>12.3f}s" for k in ("read", "cold", "warm", "alembic"))
        speedup = r["alembic"] / r["cold"]
        print(f"{size:>13} {times} {speedup:>12.1f}x {r['cold'] / r['read']:>8.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
