"""A migration that waits on its own process (PostgreSQL, worker side).

A revision (or the app it loads: Airflow's Flask-AppBuilder session) may open a
connection of its own, read a table and leave that transaction open; the next ALTER of
that table on env.py's connection then waits for a lock the idle connection holds, and
nothing ends that transaction while the process waits: `alembic upgrade` hangs for
good. The watcher notices it (every connection this process opened is known by its
backend pid), cancels the waiting statement, so the revision fails at its line (AG901),
and says why.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import Pool

from alembic_gate.check import targets
from alembic_gate.check.observe import Observer

# Seconds between looks, and how many looks in a row must find the same wait.
INTERVAL = 1.0
LOOKS = 3
SHOWN = 120

# Connections of this process that wait for a lock, with each backend blocking them.
WAITING = """
SELECT w.pid, b.pid, b.state, b.xact_start, b.query
FROM pg_stat_activity w
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)
JOIN pg_stat_activity b ON b.pid = blocker.pid
WHERE w.pid = ANY(:own) AND w.wait_event_type = 'Lock'
"""


class Stuck(Observer):
    """Watches PostgreSQL connections of this process for a wait no one can end."""

    def __init__(self) -> None:
        # Backends of this process's connections (a list: appending is atomic, and the
        # watcher copies it while the migration's thread adds to it).
        self.own: list[int] = []
        self.url: URL | None = None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        # Why a statement was cancelled (None: none was).
        self.reason: str | None = None

    def install(self) -> None:
        """Learn the backend of every connection any pool of this process opens."""
        event.listen(Pool, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        pid = backend_pid(dbapi_connection)
        if pid is not None:
            self.own.append(pid)

    def configured(self, context: Any) -> None:
        connection = context.connection
        if context.dialect.name != "postgresql" or connection is None:
            return
        pid = backend_pid(getattr(connection.connection, "dbapi_connection", None))
        if pid is not None:
            self.own.append(pid)  # a connection check opened before it listened (lent)
        if self.thread is None:
            self.url = targets.sync_url(connection.engine.url)
            self.thread = threading.Thread(target=self._watch, daemon=True)
            self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def _watch(self) -> None:
        assert self.url is not None
        try:
            with targets.connect(self.url) as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                self._loop(conn)
        except Exception:  # the watch is a help: the run goes on without it
            pass

    def _loop(self, conn: Any) -> None:
        last, count = None, 0
        while not self.stop.wait(INTERVAL):
            own = set(self.own)
            stuck = _stuck(conn.execute(text(WAITING), {"own": sorted(own)}).all(), own)
            count = count + 1 if stuck is not None and stuck == last else int(stuck is not None)
            last = stuck
            if stuck is not None and count >= LOOKS:
                self.reason = _reason(stuck)
                conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": stuck[0]})
                last, count = None, 0

    def take(self) -> str:
        """Why the statement failed, once the watcher cancelled it ("" otherwise); said
        once (a revision that caught the cancel may fail later for reasons of its own)."""
        reason, self.reason = self.reason or "", None
        return reason


def _stuck(rows: list[Any], own: set[int]) -> tuple[Any, ...] | None:
    """(waiting pid, blocking pid, its transaction's start, its last statement) of a
    wait that only this process's idle transactions block; None when there is none."""
    by_waiter: dict[int, list[Any]] = {}
    for row in rows:
        by_waiter.setdefault(row[0], []).append(row)
    for waiter, blockers in by_waiter.items():
        if all(b[1] in own and str(b[2]).startswith("idle in transaction") for b in blockers):
            first = blockers[0]
            return (waiter, first[1], first[3], first[4])
    return None


def _reason(stuck: tuple[Any, ...]) -> str:
    flat = " ".join(str(stuck[3] or "").split())
    last = f"{flat[:SHOWN]}{'...' if len(flat) > SHOWN else ''}"
    return (
        "check cancelled the statement: it waited for a lock that another connection "
        f"this process opened holds (backend {stuck[1]}), idle in a transaction whose last "
        f"statement was `{last}`; nothing ends that transaction while the migration "
        "waits, so `alembic upgrade` hangs here for good. Run the revision's queries on "
        "op.get_bind(), or end that connection's transaction before the next statement"
    )


def backend_pid(dbapi_connection: Any) -> int | None:
    """The PostgreSQL backend of a DBAPI connection (psycopg2, psycopg, asyncpg and
    psycopg as SQLAlchemy adapts them); None for others."""
    inner = getattr(dbapi_connection, "_connection", dbapi_connection)
    for getter in (_psycopg2_pid, _psycopg_pid, _asyncpg_pid):
        try:
            pid = getter(inner)
        except Exception:  # not this driver
            continue
        if isinstance(pid, int):
            return pid
    return None


def _psycopg2_pid(connection: Any) -> Any:
    return connection.get_backend_pid()


def _psycopg_pid(connection: Any) -> Any:
    return connection.info.backend_pid


def _asyncpg_pid(connection: Any) -> Any:
    return connection.get_server_pid()
