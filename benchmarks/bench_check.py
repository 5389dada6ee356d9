"""Time `alembic-gate check` against the plain CLI pair `alembic upgrade heads && alembic check`.

Usage: python benchmarks/bench_check.py [--revisions 100,500] [--repeat 5]
           [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
           [--image alembic-gate/postgres:15] [--containers 3]   (0: no Docker part)

A project with `--revisions` generated revisions (each table created by one revision
and given a column by the next; models to match, so both sides pass) is written to a
temporary folder. Each timed run gets a fresh, empty database on `--server` (created
before the clock starts, dropped after); both sides run as subprocesses on the same
project. alembic-gate runs twice: as by default (seeding: each new table gets rows and
every later statement meets them) and with --no-seed, to show what seeding costs. The
container's start time (`--db postgres`) is measured on its own, since the
CLI pair has no equivalent, and so are whole container runs: in a new container each
time, and in a kept one (ALEMBIC_GATE_REUSE=1) whose template database, keyed on the
history's hash, spares a repeated run from applying every migration again.

The cost of lock tracing (AG905-AG907, one catalog query per statement of each revision)
is the gate's time against `check --ignore AG905,AG906,AG907`, which turns it off (every
revision of the generated history is in scope, so every statement is traced).
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

HEADER = '''"""{message}

Revision ID: {revision}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None

'''
CREATE = """
def upgrade():
    op.create_table(
        "t{n}",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("t{n}")
"""
ADD = """
def upgrade():
    op.add_column("t{n}", sa.Column("note", sa.String(length=200), nullable=True))
    op.create_index("ix_t{n}_note", "t{n}", ["note"])


def downgrade():
    op.drop_index("ix_t{n}_note", table_name="t{n}")
    op.drop_column("t{n}", "note")
"""
MODEL = """

class T{n}(Base):
    __tablename__ = "t{n}"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(200), index=True)
"""
MODELS = """from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass
"""


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
    models = [MODELS]
    down = None
    for index in range(revisions):
        n, adding = divmod(index, 2)
        revision = f"{index + 1:012x}"
        body = (ADD if adding else CREATE).format(n=n)
        message = f"{'add note to' if adding else 'create'} t{n}"
        head = HEADER.format(
            message=message, revision=revision, down=down or "", down_repr=repr(down)
        )
        (root / "migrations" / "versions" / f"{revision}_rev.py").write_text(head + body)
        if not adding:
            models.append(MODEL.format(n=n))
        down = revision
    if revisions % 2:  # the last table never got its note column
        models[-1] = models[-1].replace(
            "    note: Mapped[str | None] = mapped_column(String(200), index=True)\n", ""
        )
    (root / "models.py").write_text("".join(models))


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


def timed(
    sides: dict[str, Callable[[str], None]], server: str, repeat: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall-clock and CPU (user + system, of the subprocesses) seconds per side; the sides
    take turns, so a busy moment on a shared machine hits both."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in sides}
    for _ in range(repeat):
        for name, run in sides.items():
            with fresh_database(server) as url:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                run(url)
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


def gate(root: Path, *extra: str) -> Callable[[str], None]:
    def run(url: str) -> None:
        subprocess.run(
            [str(BIN / "alembic-gate"), "check", "--database-url", url, *extra],
            cwd=root,
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


def measure(revisions: int, server: str, repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds per side on a generated history of `revisions`."""
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        root = Path(tmp)
        write_project(root, revisions)
        sides = {"gate": gate(root), "no-seed": gate(root, "--no-seed"), "cli": cli_pair(root)}
        timed(sides, server, 1)  # warm the bytecode caches of every side
        times = timed(sides, server, repeat)
    return {
        side: (statistics.median(wall), statistics.median(cpu))
        for side, (wall, cpu) in times.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revisions", default="100,500", help="comma-separated sizes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--image", default="alembic-gate/postgres:15")
    parser.add_argument("--containers", type=int, default=3, help="container starts (0: skip)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.revisions.split(",")]
    where = args.server.split("@")[-1]
    for size in sizes:
        found = measure(size, args.server, args.repeat)
        (ours, our_cpu), (bare, bare_cpu), (theirs, their_cpu) = (
            found[side] for side in ("gate", "no-seed", "cli")
        )
        print(f"{size} revisions on PostgreSQL ({where}), median of {args.repeat}:")
        print("                                               wall     cpu")
        print(f"  alembic-gate check --database-url            {ours:5.2f}s  {our_cpu:5.2f}s")
        print(f"  alembic-gate check --database-url --no-seed  {bare:5.2f}s  {bare_cpu:5.2f}s")
        print(f"  alembic upgrade heads && alembic check       {theirs:5.2f}s  {their_cpu:5.2f}s")
        print(
            f"  ratio {ours / theirs:.2f}x wall, {our_cpu / their_cpu:.2f}x cpu (target <= 0.70x)"
        )
        print(f"  seeding costs {100 * (ours / bare - 1):+.0f}% wall (target < +15%)")
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
