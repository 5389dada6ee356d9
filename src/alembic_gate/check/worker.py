"""The worker process of `check`: it runs the project's code.

    python -c "... from alembic_gate.check.worker import run; run()" FD NOTES_FD < REQUEST
    python -m alembic_gate.check.worker FD NOTES_FD  < REQUEST (JSON)

(`check.process` starts it the first way: the current folder is off sys.path before
any import; a project's types.py would shadow the standard library's in runpy's.)

It writes its result (JSON) to the open file FD that the parent passes it, and notes
the parent needs even if it never gets that far (the lock watch is off) to NOTES_FD as
they come up.

The parent starts it early: it imports alembic and SQLAlchemy while the parent
reads the history and starts the database, then reads its request on standard
input. A process of its own keeps env.py's side effects (logging configuration,
`sys.path` changes, imported models) away from the caller, and kills nothing but
itself when project code misbehaves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from alembic_gate.shared.libraries import check_problem

    problem = check_problem()
    if problem is not None:
        return refuse(int(args[0]), problem)
    from alembic_gate.check.session import serve

    return serve(int(args[0]), int(args[1]))


def refuse(result_fd: int, problem: str) -> int:
    """Tell the parent, as a usage error (exit 2), that this Python cannot run env.py."""
    from alembic_gate.check.protocol import Result

    if "not installed" in problem:
        advice = (
            "install alembic-gate into the project's own environment, next to its "
            "requirements (pip install 'alembic-gate[check]')"
        )
    elif problem.startswith("alembic"):
        advice = (
            "upgrade the project's alembic to 1.9 or newer, which runs the same revision "
            "files (doctor runs no project code: it works with this environment)"
        )
    else:
        advice = (
            "a project pinned below SQLAlchemy 1.4 cannot be checked (doctor runs no "
            "project code: it runs from an environment of its own)"
        )
    message = (
        "check runs env.py with alembic 1.9 and SQLAlchemy 1.4 or newer, in this Python "
        f"({sys.executable}), where {problem}: {advice}"
    )
    with open(result_fd, "w", encoding="utf-8", closefd=False) as file:
        Result(error=message, error_kind="usage").write(file)
    return 0


def run() -> None:
    """main(), then exit at once: the result is written and every connection closed, so
    the interpreter's teardown of SQLAlchemy, alembic and the project's modules, which
    the parent would wait for, is skipped."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    # As the `alembic` script runs: without the current folder `python -m` put first on
    # sys.path (env.py files that need it say so with `prepend_sys_path`); a PYTHONPATH
    # entry naming that folder, after it, stays.
    if sys.path and sys.path[0] in {"", os.getcwd()}:
        del sys.path[0]
    run()
