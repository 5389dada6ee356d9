"""Removes a session's containers once the `check` process that started them is gone.

    python -m alembic_gate.check.watchdog SESSION

Started by `containers.Watchdog` in its own session (so Ctrl-C does not reach it)
with a pipe on standard input. Reading that pipe returns when the parent closes it,
or when the parent dies in any way, SIGKILL included; then the session's containers
are removed (nothing is left to remove after a normal run).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    session = args[0]
    # Imported before waiting (testcontainers and the Docker SDK too), so the clean-up
    # is quick when it is needed, also on a busy machine.
    import testcontainers.core.docker_client  # noqa: F401

    from alembic_gate.check.containers import docker_client, remove_session

    sys.stdin.buffer.read()
    try:
        remove_session(docker_client(30), session)
    except Exception:  # Docker gone too: the next run's sweep removes what is left
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
