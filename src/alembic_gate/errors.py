"""Errors that end a run with one of the contract's exit codes and a clear message."""

from __future__ import annotations


class GateError(Exception):
    """An error that is reported as one line on stderr, never as a traceback."""

    exit_code = 1


class UsageError(GateError):
    """Bad flag, no Alembic setup found, unreadable config (exit 2)."""

    exit_code = 2


class EnvError(GateError):
    """Docker or the database unreachable, timed out, image missing (exit 3)."""

    exit_code = 3
