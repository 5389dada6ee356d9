"""How the AG1xx rules' reading of the history grows with its length.

Usage: python benchmarks/bench_safety_history.py [--sizes 5000,10000,20000,40000]

Generates linear histories where every tenth revision makes a column NOT NULL (some after
a backfill, some of a column the same revision adds), then times AG102 (the rule that
reads the most history: earlier backfills, how each column was created) after every
file has been read once (CPU time, best of 3): on the whole history, and as `--base`
sees it (one new revision that makes a column NOT NULL, its history read back to the
base). Printed: seconds per size and the growth exponent between the two largest sizes
(1.0 is linear; the search for earlier backfills this replaced was 2).
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from alembic_gate.history.load import load_history
from alembic_gate.history.operations import operations
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag102_not_null_without_backfill import check
from alembic_gate.setup.discovery import AlembicSetup

REVISION = '''"""revision {number}

Revision ID: {rid}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = "{rid}"
down_revision = {parent!r}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''


def _body(number: int) -> str:
    table = f"t{number % 200}"
    if number % 200 < 10:  # the 200 tables are created first
        return (
            f'    op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True),'
            f' sa.Column("c{number}", sa.String(), nullable=True))'
        )
    step = number % 10
    if step == 1:  # NOT NULL on the column a revision nine earlier added
        return f'    op.alter_column("{table}", "c{number - 10}", nullable=False)'
    if step == 2:
        return f'    op.execute("UPDATE {table} SET c = 1")'
    if step == 5:  # added nullable and made NOT NULL at once: every old row holds NULL
        return (
            f'    op.add_column("{table}", sa.Column("c{number}", sa.String(), nullable=True))\n'
            f'    op.alter_column("{table}", "c{number}", nullable=False)'
        )
    return f'    op.add_column("{table}", sa.Column("c{number}", sa.String(), nullable=True))'


def write_history(folder: Path, size: int) -> None:
    folder.mkdir(parents=True)
    parent = None
    for number in range(size):
        rid = f"{number:012x}"
        text = REVISION.format(
            number=number, rid=rid, down=parent or "", parent=parent, body=_body(number)
        )
        (folder / f"{rid}_m.py").write_text(text)
        parent = rid


def measure(size: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix=f"bench-safety-{size}-") as tmp:
        versions = Path(tmp) / "versions"
        write_history(versions, size)
        setup = AlembicSetup(None, "alembic", None, (str(versions),))
        graph = load_history(setup, Path(tmp), use_cache=False).graph
        for rev in graph.by_id.values():
            operations(rev)  # read once, as the reader will; only the rule is timed
        gc.collect()
        gc.freeze()
        try:
            found = len(list(check(LintContext(setup, graph, tmp))))
            whole = _best(lambda: list(check(LintContext(setup, graph, tmp))))
            # --base with one new revision that makes a column NOT NULL
            newest = frozenset({f"{(size - 1) // 10 * 10 - 9:012x}"})
            base = _best(
                lambda: list(
                    check(LintContext(setup, graph, tmp, new_revisions=newest, scope=newest))
                )
            )
        finally:
            gc.unfreeze()
    return whole, base, found


def _best(run: Callable[[], object], repeat: int = 3) -> float:
    """The best of `repeat` CPU times (a shared machine makes wall time noisy)."""
    best = math.inf
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,10000,20000,40000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'revisions':>10} {'AG102 whole':>12} {'AG102 --base':>13} {'findings':>9}")
    times = []
    for size in sizes:
        whole, base, found = measure(size)
        times.append(whole)
        print(f"{size:>10} {whole:>11.3f}s {base:>12.3f}s {found:>9}", flush=True)
    if len(sizes) > 1 and times[-2] > 0:
        exponent = math.log(times[-1] / times[-2]) / math.log(sizes[-1] / sizes[-2])
        print(f"growth exponent {sizes[-2]} -> {sizes[-1]}: {exponent:.2f} (1.0 is linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
