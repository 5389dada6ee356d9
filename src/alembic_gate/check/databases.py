"""Where `check` gets its databases: a container, a SQLite folder, or --database-url."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic_gate.check.protocol import DatabaseSpec, mask
from alembic_gate.errors import UsageError


@dataclass
class Provisioned:
    spec: DatabaseSpec
    # Seconds the container took to start and accept logins (None without one).
    start_seconds: float | None = None


def validate(args: argparse.Namespace, setups: int) -> None:
    if args.database_url:
        if "://" not in args.database_url:
            raise UsageError(
                f"--database-url {mask(args.database_url)!r} is not a URL "
                "(e.g. postgresql://user:password@host:5432/dbname)"
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
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")


@contextmanager
def provision(args: argparse.Namespace) -> Iterator[Provisioned]:
    if args.database_url:
        yield Provisioned(DatabaseSpec("url", url=args.database_url))
    elif args.db == "sqlite":
        folder = tempfile.mkdtemp(prefix="alembic-gate-")
        try:
            yield Provisioned(DatabaseSpec("sqlite", directory=folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        from alembic_gate.check.containers import running

        with running(args.db, args.image, args.timeout) as server:
            spec = DatabaseSpec("server", url=server.url, drop=server.kept)
            yield Provisioned(spec, server.seconds)
