"""The worker process of `check`: it runs the project's code.

    python -m alembic_gate.check.worker FD NOTES_FD  < REQUEST (JSON)

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
    # As the `alembic` script runs: without the current folder on sys.path (env.py
    # files that need it say so with `prepend_sys_path`), even for these imports.
    if sys.path and sys.path[0] in {"", os.getcwd()}:
        del sys.path[0]
    from alembic_gate.check.session import serve

    return serve(int(args[0]), int(args[1]))


if __name__ == "__main__":
    code = main()
    # The result is written and every connection closed: skip the interpreter's teardown
    # of SQLAlchemy, alembic and the project's modules, which the parent would wait for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
