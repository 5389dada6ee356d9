"""Whether this Python has the libraries `check` and `doctor` run on.

Both need SQLAlchemy 1.4 or newer (its `sqlalchemy.engine.URL`, the inspector of a
connection and the 2.0-style API), and check's worker alembic 1.9 or newer too (its
`AbstractOperations`). A project pinned to SQLAlchemy 1.3 (faraday: `sqlalchemy<1.4`) or
to an older alembic (foi-docreviewer: 1.5.8), or alembic-gate installed apart from the
project (pipx), would otherwise stop on an ImportError with a traceback.
"""

from __future__ import annotations

import re

OLDEST_SQLALCHEMY = (1, 4)
OLDEST_ALEMBIC = (1, 9)


def release(version: str) -> tuple[int, int]:
    """The first two numbers of a version: (1, 3) of "1.3.24", (2, 0) of "2.0.0b4"."""
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def sqlalchemy_problem() -> str | None:
    """What keeps this Python's SQLAlchemy from serving ("SQLAlchemy 1.3.24 is installed",
    "SQLAlchemy is not installed"); None when it is 1.4 or newer."""
    try:
        import sqlalchemy
    except ImportError:
        return "SQLAlchemy is not installed"
    version = str(getattr(sqlalchemy, "__version__", "?"))
    if release(version) >= OLDEST_SQLALCHEMY:
        return None
    return f"SQLAlchemy {version} is installed"


def check_problem() -> str | None:
    """What keeps check's worker from running env.py with this Python; None when nothing."""
    problem = sqlalchemy_problem()
    if problem is not None:
        return problem
    try:
        import alembic
    except ImportError:
        return "alembic is not installed"
    version = str(getattr(alembic, "__version__", "?"))
    if release(version) < OLDEST_ALEMBIC:
        return f"alembic {version} is installed"
    return None
