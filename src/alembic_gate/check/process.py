"""The parent's handle on a worker process (`check.worker`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from alembic_gate.check.protocol import Request, Result, mask
from alembic_gate.errors import EnvError, GateError, UsageError

# Appended to PYTHONPATH so the worker finds this package without shadowing project modules.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerProcess:
    """A worker started at once (it imports alembic and SQLAlchemy meanwhile), given its
    request later; killed on exit if it is still running."""

    def __init__(self, cwd: Path) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="alembic-gate-"))
        self.log_path = self.folder / "worker.log"
        self.result_path = self.folder / "result.json"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), PACKAGE_ROOT) if p)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "alembic_gate.check.worker", str(self.result_path)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
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
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, request: Request, timeout: float) -> Result:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(request.to_json().encode())
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # it died while starting: its log says why
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise EnvError(
                f"env.py and the migrations did not finish within {timeout:g}s: a migration "
                "waiting on a lock, or a very long one? (the limit is 10x --timeout)"
            ) from None
        if code != 0 or not self.result_path.is_file():
            tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise GateError(
                f"the worker running env.py stopped unexpectedly (exit {code}); "
                f"its output ends with:\n{mask(tail)}"
            )
        result = Result.read(self.result_path)
        if result.error is not None:
            raise (UsageError if result.error_kind == "usage" else EnvError)(result.error)
        return result


def _die_with_parent() -> None:
    """In the worker, before exec: Linux kills it when the parent dies (even by SIGKILL),
    so it cannot go on migrating a database nobody waits for."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
