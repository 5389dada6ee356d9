"""`alembic-gate check`: apply every migration to a throwaway database, then `alembic check`.

`check.command` runs in the caller's process: it reads the setup, runs lint's graph
rules, provisions the database and removes it again whatever happens. `check.worker`
is a process of its own that runs the project's env.py against that database
(`check.session`) and reports back in JSON. This package module stays empty of
imports: the worker imports it too, and starts faster without lint and reporters.
"""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from alembic_gate.check.process import WorkerProcess

    # The worker starts first: it imports alembic and SQLAlchemy while this process
    # imports lint, the rules and the reporters, reads the history and starts the database.
    with WorkerProcess(Path.cwd()) as worker:  # ended here, whatever happens
        from alembic_gate.check.command import run as run_check

        return run_check(args, worker)
