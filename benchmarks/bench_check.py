"""Time `alembic-gate check` against the plain CLI pair `alembic upgrade heads && alembic check`,
and what seeding and lock tracing cost.

Usage: python benchmarks/bench_check.py [--revisions 100,500] [--rounds 7]
           [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
           [--image alembic-gate/postgres:15] [--containers 0]   (N: N container runs;
           --rounds 0 --containers N: those alone) [--baseline ../main/src]

A project with `--revisions` generated revisions is written to a temporary folder, with
models to match, so every side passes: in turn, a revision creates a table (six to eight
columns, foreign keys to two earlier tables, a unique constraint, an index), adds a column
to it and indexes it, updates its rows and adds a column with a default, and creates a
child table with a NOT NULL foreign key and a two-column index.

Each timed run gets a fresh, empty database on `--server` (created before the clock
starts, dropped after); every side runs as subprocesses on the same project:

- `check` as by default (seeding: each new table gets rows; lock tracing: a catalog query
  after the statements of each revision),
- `check --no-seed` (what seeding costs),
- `check --ignore AG905,AG906,AG907` (tracing off: what tracing costs; every revision of the
  generated history is in scope, so every statement is traced),
- both off, and the CLI pair.

With `--baseline SRC`, the default, --no-seed and tracing-off runs are also made with the
alembic_gate package of another checkout (PYTHONPATH=SRC), in the same rounds: a
before/after comparison under the same load.

The sides take turns in rounds (the order shifts each round). Each figure is the median
with the lowest and highest run; each goal is the median of the ratios within a round.
The machine's load average is printed before and after. With `--containers N` the
container's start time (`--db postgres`) is measured on its own, since the CLI pair has
no equivalent, and so are whole container runs: in a new container each time, and in a
kept one (ALEMBIC_GATE_REUSE=1) whose template database, keyed on the history's hash,
spares a repeated run from applying every migration again.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

BIN = Path(sys.executable).parent

HEADER = """\"\"\"{message}

Revision ID: {revision}
Revises: {down}
\"\"\"
from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
"""
MODELS_HEAD = """import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
"""
# What a revision does, in turn: create a table (several columns, foreign keys to earlier
# tables, a unique constraint, an index), add a column and index it, update rows and add a
# column with a constant default, create a child table with a NOT NULL foreign key.
KINDS = ("create", "add", "update", "child")


class Project:
    """The schema so far: per table, its column, constraint and index definitions (the
    same text serves the revision and the models)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[str]] = {}
        self.indexes: dict[str, list[str]] = {}
        self.parents: list[str] = []

    def revision(self, index: int) -> tuple[str, list[str], list[str]]:
        kind = KINDS[index % len(KINDS)]
        make: Callable[[int], tuple[str, list[str], list[str]]] = getattr(self, kind)
        return make(index // len(KINDS))

    def create(self, n: int) -> tuple[str, list[str], list[str]]:
        name = f"account{n}"
        columns = [
            'sa.Column("id", sa.Integer(), primary_key=True)',
            'sa.Column("name", sa.String(length=80), nullable=False)',
            'sa.Column("email", sa.String(length=120), nullable=False)',
            'sa.Column("balance", sa.Numeric(12, 2), nullable=True)',
            'sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)',
            'sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False)',
        ]
        if self.parents:
            columns.append(
                f'sa.Column("owner_id", sa.Integer(), sa.ForeignKey("{self.parents[-1]}.id"), '
                "nullable=True)"
            )
            columns.append(
                f'sa.Column("origin_id", sa.Integer(), '
                f'sa.ForeignKey("{self.parents[len(self.parents) // 2]}.id"), nullable=True)'
            )
        columns.append(f'sa.UniqueConstraint("email", name="uq_{name}_email")')
        self.tables[name] = columns
        self.parents.append(name)
        body = [f'    op.create_table(\n        "{name}",']
        body += [f"        {column}," for column in columns]
        body.append("    )")
        body += self._index(name, "name")
        return f"create {name}", body, [f'    op.drop_table("{name}")']

    def add(self, n: int) -> tuple[str, list[str], list[str]]:
        name = f"account{n}"
        column = 'sa.Column("note", sa.String(length=200), nullable=True)'
        self.tables[name].insert(-1, column)
        body = [f'    op.add_column("{name}", {column})', *self._index(name, "note")]
        down = [
            f'    op.drop_index("ix_{name}_note", table_name="{name}")',
            f'    op.drop_column("{name}", "note")',
        ]
        return f"add note to {name}", body, down

    def update(self, n: int) -> tuple[str, list[str], list[str]]:
        name = f"account{n}"
        column = 'sa.Column("score", sa.Integer(), server_default="0", nullable=False)'
        self.tables[name].insert(-1, column)
        body = [
            f'    op.execute("UPDATE {name} SET note = name WHERE note IS NULL")',
            f'    op.add_column("{name}", {column})',
            f'    op.execute("UPDATE {name} SET balance = 0 WHERE balance IS NULL")',
        ]
        return f"backfill {name}", body, [f'    op.drop_column("{name}", "score")']

    def child(self, n: int) -> tuple[str, list[str], list[str]]:
        parent, name = f"account{n}", f"entry{n}"
        self.tables[name] = [
            'sa.Column("id", sa.BigInteger(), primary_key=True)',
            f'sa.Column("account_id", sa.Integer(), sa.ForeignKey("{parent}.id"), nullable=False)',
            'sa.Column("amount", sa.Numeric(12, 2), nullable=False)',
            'sa.Column("memo", sa.Text(), nullable=True)',
            'sa.Column("booked_on", sa.Date(), nullable=False)',
        ]
        body = [f'    op.create_table(\n        "{name}",']
        body += [f"        {column}," for column in self.tables[name]]
        body.append("    )")
        body += self._index(name, "account_id", "booked_on")
        return f"create {name}", body, [f'    op.drop_table("{name}")']

    def _index(self, table: str, *columns: str) -> list[str]:
        index = f"ix_{table}_{columns[0]}"
        listed = ", ".join(f'"{c}"' for c in columns)
        self.indexes.setdefault(table, []).append(f'sa.Index("{index}", {listed})')
        return [f'    op.create_index("{index}", "{table}", [{listed}])']

    def models(self) -> str:
        parts = [MODELS_HEAD]
        for name, columns in self.tables.items():
            items = [*columns, *self.indexes.get(name, [])]
            listed = "".join(f"    {item},\n" for item in items)
            parts.append(f'\n{name} = sa.Table(\n    "{name}",\n    metadata,\n{listed})\n')
        return "".join(parts)


def write_project(root: Path, revisions: int) -> None:
    subprocess.run(
        [str(BIN / "alembic"), "init", "-t", "generic", "migrations"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    env = root / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None", "from models import Base\n\ntarget_metadata = Base.metadata"
        )
    )
    project = Project()
    down = None
    for index in range(revisions):
        revision = f"{index + 1:012x}"
        message, upgrade, downgrade = project.revision(index)
        text = HEADER.format(
            message=message,
            revision=revision,
            down=down or "",
            down_repr=repr(down),
            upgrade="\n".join(upgrade),
            downgrade="\n".join(downgrade),
        )
        (root / "migrations" / "versions" / f"{revision}_rev.py").write_text(text)
        down = revision
    (root / "models.py").write_text(project.models())


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


Times = dict[str, tuple[list[float], list[float]]]


def timed(sides: dict[str, Callable[[str], None]], server: str, rounds: int) -> Times:
    """Wall-clock and CPU (user + system, of the subprocesses) seconds per side. The sides
    take turns in rounds, each round starting one side later, so a busy moment on a
    shared machine hits them all alike."""
    times: Times = {name: ([], []) for name in sides}
    names = list(sides)
    for turn in range(rounds):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            with fresh_database(server) as url:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                sides[name](url)
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            times[name][0].append(wall)
            times[name][1].append(cpu)
    return times


def cli_pair(root: Path) -> Callable[[str], None]:
    def run(url: str) -> None:
        ini = root / "alembic.ini"
        lines = ini.read_text().splitlines()
        ini.write_text(
            "\n".join(
                f"sqlalchemy.url = {url.replace('%', '%%')}"
                if line.startswith("sqlalchemy.url")
                else line
                for line in lines
            )
            + "\n"
        )
        for command in (["upgrade", "heads"], ["check"]):
            subprocess.run(
                [str(BIN / "alembic"), *command], cwd=root, check=True, capture_output=True
            )

    return run


def gate(root: Path, *extra: str, source: str | None = None) -> Callable[[str], None]:
    """A run of `alembic-gate check`; `source`: with the alembic_gate package of that
    src folder instead (another checkout, for a before/after comparison)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))

    def run(url: str) -> None:
        subprocess.run(
            [str(BIN / "alembic-gate"), "check", "--database-url", url, *extra],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )

    return run


def container_starts(image: str, count: int) -> list[float]:
    from alembic_gate.check.containers import running

    seconds = []
    for _ in range(count):
        with running("postgres", image, 120) as server:
            seconds.append(server.seconds)
    return seconds


def container_runs(root: Path, image: str, count: int) -> dict[str, float]:
    """Whole `check --db postgres` runs: each in a new container, then with a kept
    container (ALEMBIC_GATE_REUSE=1): the first run migrates and keeps a template,
    the next ones copy it instead of applying every migration again."""
    # --no-seed: a run that seeds never starts from the template copy.
    command = [str(BIN / "alembic-gate"), "check", "--image", image, "--no-seed"]
    env = {**os.environ, "TESTCONTAINERS_RYUK_DISABLED": "true"}
    kept = {**env, "ALEMBIC_GATE_REUSE": "1"}
    _remove_kept(image)
    try:
        fresh = [_run(command, root, env) for _ in range(count)]
        first = _run(command, root, kept)
        again = [_run(command, root, kept) for _ in range(count)]
    finally:
        _remove_kept(image)
    return {
        "new container": statistics.median(fresh),
        "kept container, first run": first,
        "kept container, repeated": statistics.median(again),
    }


def _run(command: list[str], root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _remove_kept(image: str) -> None:
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=alembic-gate.image={image}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for container in listed.stdout.split():
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


TRACING_OFF = ("--ignore", "AG905,AG906,AG907")
# The variants of a run: label, and the alembic-gate flags (None: the CLI pair).
SIDES: dict[str, tuple[str, ...] | None] = {
    "check": (),
    "check --no-seed": ("--no-seed",),
    "check --ignore AG905,AG906,AG907": TRACING_OFF,
    "check --no-seed --ignore AG905,AG906,AG907": ("--no-seed", *TRACING_OFF),
    "alembic upgrade heads && alembic check": None,
}
# With --baseline SRC: the same runs with another checkout's package, in the same rounds.
BASELINE = {
    "baseline: check": (),
    "baseline: check --no-seed": ("--no-seed",),
    "baseline: check --ignore AG905,AG906,AG907": TRACING_OFF,
}
GOAL_EXTRA = 0.15  # seeding, tracing: at most 15% more wall time than without
GOAL_RATIO = 0.70  # check against the CLI pair


class Summary:
    """Median and spread (lowest to highest) of each side's runs."""

    def __init__(self, times: Times) -> None:
        self.times = times

    def wall(self, side: str) -> float:
        return statistics.median(self.times[side][0])

    def cpu(self, side: str) -> float:
        return statistics.median(self.times[side][1])

    def spread(self, side: str) -> tuple[float, float]:
        return min(self.times[side][0]), max(self.times[side][0])

    def paired(self, side: str, base: str) -> float:
        """The median of the ratios of the runs of `side` and `base` in the same round
        (steadier than a ratio of medians when the load changes between rounds)."""
        pairs = zip(self.times[side][0], self.times[base][0], strict=True)
        return statistics.median(ours / theirs for ours, theirs in pairs)


def measure(revisions: int, server: str, rounds: int, baseline: str | None) -> Summary:
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        root = Path(tmp)
        write_project(root, revisions)
        sides = {
            name: cli_pair(root) if flags is None else gate(root, *flags)
            for name, flags in SIDES.items()
        }
        if baseline is not None:
            for name, flags in BASELINE.items():
                sides[name] = gate(root, *flags, source=baseline)
        timed(sides, server, 1)  # warm the bytecode caches of every side
        return Summary(timed(sides, server, rounds))


def report(revisions: int, where: str, rounds: int, found: Summary) -> list[tuple[str, bool]]:
    """Print one size's table and goals; the goals with whether each was met."""
    print(f"{revisions} revisions on PostgreSQL ({where}), {rounds} rounds: median (spread)")
    print(f"  {'':<44} {'wall':>6} {'(lowest-highest)':>17} {'cpu':>6}")
    for side in found.times:
        low, high = found.spread(side)
        print(
            f"  {side:<44} {found.wall(side):5.2f}s ({low:5.2f}-{high:5.2f}s)"
            f" {found.cpu(side):5.2f}s"
        )
    seeding = found.paired("check", "check --no-seed") - 1
    tracing = found.paired("check", "check --ignore AG905,AG906,AG907") - 1
    ratio = found.paired("check", "alembic upgrade heads && alembic check")
    goals = [
        (f"seeding adds {100 * seeding:+.0f}% wall (goal < +15%)", seeding < GOAL_EXTRA),
        (f"tracing adds {100 * tracing:+.0f}% wall (goal < +15%)", tracing < GOAL_EXTRA),
        (f"check is {ratio:.2f}x the CLI pair's wall (goal <= 0.70x)", ratio <= GOAL_RATIO),
    ]
    for text, met in goals:
        print(f"  {text}: {'met' if met else 'NOT met'}")
    if "baseline: check" in found.times:
        base = found.paired("baseline: check", "baseline: check --no-seed") - 1
        traced = found.paired("baseline: check", "baseline: check --ignore AG905,AG906,AG907") - 1
        against = found.paired("check", "baseline: check")
        print(f"  baseline: seeding adds {100 * base:+.0f}%, tracing adds {100 * traced:+.0f}%")
        print(f"  check takes {against:.2f}x the baseline's wall")
    print("  (each: the median of the per-round ratios)")
    return [(f"{revisions} revisions: {text}", met) for text, met in goals]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--revisions", default="100,500", help="comma-separated sizes")
    parser.add_argument("--rounds", type=int, default=7, help="0: the container part only")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--image", default="alembic-gate/postgres:15")
    parser.add_argument("--containers", type=int, default=0, help="container runs (0: skip)")
    parser.add_argument(
        "--baseline", help="a src folder: also time its alembic_gate, in the same rounds"
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.revisions.split(",")]
    where = args.server.split("@")[-1]
    print(f"load average before: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    goals = []
    for size in sizes if args.rounds else []:
        found = measure(size, args.server, args.rounds, args.baseline)
        goals += report(size, where, args.rounds, found)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if goals:
        print("goals:")
    for text, met in goals:
        print(f"  {'met    ' if met else 'NOT met'}  {text}")
    if args.containers:
        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            root = Path(tmp)
            write_project(root, sizes[0])
            runs = container_runs(root, args.image, args.containers)
        starts = container_starts(args.image, args.containers)
        median = statistics.median(starts)
        print(f"container start ({args.image}), median of {len(starts)}: {median:.2f}s")
        print(f"whole `check --db postgres --no-seed` runs, median of {args.containers}:")
        for name, seconds in runs.items():
            print(f"  {name:<28} {seconds:5.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
