"""The worker's own error: it ends the run with a message and an exit code."""

from __future__ import annotations

from alembic_gate.check.protocol import ErrorKind


class WorkerError(Exception):
    """A usage (exit 2) or environment (exit 3) problem found inside the worker."""

    def __init__(self, message: str, kind: ErrorKind) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
