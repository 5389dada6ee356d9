"""Where `check` gets its databases: a container, a SQLite folder, or --database-url."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic_gate.check.protocol import DatabaseSpec
from alembic_gate.errors import UsageError
from alembic_gate.shared.records import record

# SQLite folders are named after the process that made them, so that a later run can
# remove what a killed one left.
SQLITE_PREFIX = "alembic-gate-sqlite-"


@record
class Provisioned:
    spec: DatabaseSpec
    # Seconds the container took to start and accept logins (None without one).
    start_seconds: float | None = None


def validate(args: argparse.Namespace, setups: int) -> None:
    if args.database_url is not None:
        if not args.database_url.strip():
            raise UsageError(
                "--database-url is empty; pass a URL, or leave the flag out to let check "
                "start a throwaway database (--db)"
            )
        if "://" not in args.database_url:
            raise UsageError(
                "--database-url is not a URL (e.g. postgresql://user:password@host:5432/dbname)"
            )
        if args.image:
            raise UsageError("--image chooses the container for --db; --database-url uses none")
        if setups > 1:
            raise UsageError(
                f"{setups} Alembic setups were found and --database-url names one database: "
                "pick one with -c, or let check start a server with --db"
            )
    elif args.db == "sqlite" and args.image:
        raise UsageError("--image has no meaning with --db sqlite")


@contextmanager
def provision(args: argparse.Namespace) -> Iterator[Provisioned]:
    if args.database_url is not None:
        spec = DatabaseSpec("url", url=args.database_url, connect_timeout=args.timeout)
        yield Provisioned(spec)
    elif args.db == "sqlite":
        sweep_sqlite_folders()
        folder = tempfile.mkdtemp(prefix=f"{SQLITE_PREFIX}{os.getpid()}-")
        try:
            yield Provisioned(DatabaseSpec("sqlite", directory=folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        from alembic_gate.check.containers import running

        with running(args.db, args.image, args.timeout) as server:
            spec = DatabaseSpec("server", url=server.url, drop=server.kept)
            yield Provisioned(spec, server.seconds)


def sweep_sqlite_folders() -> None:
    """Remove the SQLite folders of earlier runs whose process is gone (killed)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SQLITE_PREFIX}*-*"):
        pid = folder.name[len(SQLITE_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def alive(pid: int, started: str | None = None) -> bool:
    """Whether process `pid` runs (a zombie, killed and not yet reaped, does not); with
    `started` (its start time, see `start_time`), whether it is still that process and
    not a later one that was given the same number."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _stat(pid)
    if stat is None:  # no /proc: the number is all there is
        return True
    return stat[0] != "Z" and (started is None or stat[19] == started)


def start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), or None."""
    stat = _stat(pid)
    return stat[19] if stat is not None else None


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            return file.read().rsplit(")", 1)[-1].split()
    except OSError:
        return None
