"""The parent's handle on a worker process (`check.worker`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from alembic_gate.errors import EnvError, GateError, UsageError

if TYPE_CHECKING:  # imported when the result is read: the worker starts sooner without
    from alembic_gate.check.protocol import Request, Result

# Appended to PYTHONPATH so the worker finds this package without shadowing project modules.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# How much of the worker's output an unexpected stop shows.
TAIL = 3000
# How much of its output a worker that ran out of time is searched for alembic's last step.
STEP_TAIL = 1 << 20
STEPS = ("Running upgrade ", "Running downgrade ")
# The worker may take ten times --timeout, and never less than this.
WORKER_SECONDS = 900.0


# The worker, started without the current folder on sys.path from its first import on,
# as the `alembic` script starts: `python -m` would put it first before runpy's own
# imports, where a project's types.py (Netflix's dispatch has one) shadows the standard
# library's.
WORKER = (
    "import sys\n"
    "if sys.path and sys.path[0] == '':\n"
    "    del sys.path[0]\n"
    "from alembic_gate.check.worker import run\n"
    "run()\n"
)


class WorkerProcess:
    """A worker started at once (it imports alembic and SQLAlchemy meanwhile), given its
    request later; killed on exit if it is still running.

    Its output and its result go to files that have no name (unlinked as soon as they
    are made), so nothing of what env.py printed is left on disk, however this process
    ends (SIGKILL included).
    """

    def __init__(self, cwd: Path) -> None:
        self.log = tempfile.TemporaryFile(prefix="alembic-gate-")  # noqa: SIM115 - closed in __exit__
        self.result = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="alembic-gate-")  # noqa: SIM115
        # Notes told as they come up: what a worker that runs out of time could say.
        self.notes = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="alembic-gate-")  # noqa: SIM115
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), PACKAGE_ROOT) if p)
        fd, notes = self.result.fileno(), self.notes.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(fd), str(notes)],
            stdin=subprocess.PIPE,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            pass_fds=(fd, notes),
            cwd=cwd,
            env=env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.log.close()
        self.result.close()
        self.notes.close()

    def run(self, request: Request, timeout: float, redact: Callable[[str], str]) -> Result:
        """Hand the worker its request; wait for it at most 10x `timeout` (--timeout)."""
        limit = max(WORKER_SECONDS, 10 * timeout)
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(request.to_json().encode())
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # it died while starting: its log says why
        try:
            code = self.process.wait(limit)
        except subprocess.TimeoutExpired:
            step = last_step(self.tail(STEP_TAIL))
            raise EnvError(
                f"env.py and the migrations did not finish within {limit:g}s: a migration "
                "waiting on a lock, or a very long one? (the limit is 10x --timeout, "
                f"{WORKER_SECONDS:g}s at least)"
                + (f"; alembic's last step: {redact(step)}" if step else "")
                + "".join(f"; {redact(note)}" for note in self.told())
            ) from None
        self.result.seek(0)
        text = self.result.read()
        if code != 0 or not text:
            from alembic_gate.shared.redact import cut

            raise GateError(
                f"the worker running env.py stopped unexpectedly (exit {code}); "
                f"its output ends with:\n{cut(self.tail(STEP_TAIL), TAIL, redact, end=True)}"
            )
        from alembic_gate.check.protocol import Result

        result = Result.read(text)
        if result.error is not None:
            raise (UsageError if result.error_kind == "usage" else EnvError)(result.error)
        return result

    def told(self) -> list[str]:
        """The notes the worker told as it ran (protocol.tell), the last of each kind."""
        from alembic_gate.check.protocol import told

        self.notes.seek(0)
        return told(self.notes.read())

    def tail(self, length: int = TAIL) -> str:
        self.log.seek(0, os.SEEK_END)
        size = self.log.tell()
        self.log.seek(max(0, size - length))
        return self.log.read().decode("utf-8", errors="replace")


def last_step(log: str) -> str | None:
    """The last "Running upgrade a -> b, message" line alembic logged (env.py's logging
    shows alembic's INFO lines in most projects), without the logger's prefix."""
    for line in reversed(log.splitlines()):
        for step in STEPS:
            if step in line and " -> " in line:
                return line[line.index(step) :].strip()
    return None


def _die_with_parent() -> None:
    """In the worker, before exec: Linux kills it when the parent dies (even by SIGKILL),
    so it cannot go on migrating a database nobody waits for."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
