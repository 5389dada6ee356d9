"""Time `alembic-gate lint` against `alembic heads`, and against simply reading every file.

Usage: python benchmarks/bench_lint.py [--sizes 100,1000,5000,20000] [--repeat 3]

Histories are generated in a temporary folder (benchmarks/history.py); both tools run
as subprocesses with no bytecode cache, in the same run, on the same files.
"""

from __future__ import annotations

import argparse
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
        return {
            "read": _time([sys.executable, "-c", READ_ALL, versions], root, repeat),
            "gate": _time([str(BIN / "alembic-gate"), "lint"], root, repeat),
            "alembic": _time([str(BIN / "alembic"), "heads"], root, alembic_repeat),
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"{'revisions':>9} {'read all':>9} {'gate lint':>10} {'alembic heads':>14} "
        f"{'speed-up':>9} {'gate/read':>10}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        r = bench(size, args.repeat, 1 if size > 5000 else args.repeat)
        print(
            f"{size:>9} {r['read']:>8.3f}s {r['gate']:>9.3f}s {r['alembic']:>13.3f}s "
            f"{r['alembic'] / r['gate']:>8.1f}x {r['gate'] / r['read']:>9.2f}x",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
