"""`alembic-gate doctor`: explain "Target database is not up to date" and print the fix.

For other commands (`check` reuses the diagnosis when its database is behind head):

    from alembic_gate.doctor import diagnose, read_state
    state = read_state(url, version_table="alembic_version", schema=None)  # read-only
    findings = diagnose(history, state)  # [] when the database is at head

`read_state` needs SQLAlchemy; importing this package does not.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from alembic_gate.doctor.diagnose import diagnose, status_line
from alembic_gate.doctor.state import DatabaseState
from alembic_gate.errors import UsageError

if TYPE_CHECKING:
    from alembic_gate.doctor.database import read_state
else:

    def read_state(*args: object, **kwargs: object) -> DatabaseState:
        """See `alembic_gate.doctor.database.read_state` (imported on first use)."""
        from alembic_gate.doctor.database import read_state as read

        return read(*args, **kwargs)


__all__ = ["DatabaseState", "diagnose", "read_state", "run", "status_line"]


def run(args: argparse.Namespace) -> int:
    from alembic_gate.shared.libraries import sqlalchemy_problem

    problem = sqlalchemy_problem()
    if problem is not None:
        raise UsageError(
            f"doctor reads the database with SQLAlchemy 1.4 or newer, and {problem} here: "
            "doctor runs no project code, so it runs from any environment, one of its own too "
            "(pipx install 'alembic-gate[check]')"
        )
    from alembic_gate.doctor.command import run_doctor

    return run_doctor(args)
