"""A migration that waits on its own process (PostgreSQL, MySQL, MariaDB; worker side).

A revision (or the app it loads: Airflow's Flask-AppBuilder session) may open a
connection of its own, read a table and leave that transaction open; the next ALTER of
that table on env.py's connection then waits for a lock the idle connection holds, and
nothing ends that transaction while the process waits: `alembic upgrade` hangs for
good. The watcher notices it (every connection this process opened is known by its
backend pid, or MySQL's and MariaDB's thread id), cancels the waiting statement, so the
revision fails at its line (AG901), and says why.

On MySQL and MariaDB the wait is "Waiting for table metadata lock". Where
performance_schema.metadata_locks shows the waiter's pending lock (MySQL 8+; its
instrument is off in MySQL 5.7 and MariaDB, where it then records nothing), its
blockers are the threads granted a lock on that table; elsewhere (MariaDB, whose
performance_schema is off by default) every other thread that is in an InnoDB
transaction or busy counts as one, whatever its current database, and SHOW OPEN TABLES
must show only the waiter's table in use of its database, once (no one's LOCK TABLES or
HANDLER),
which one of those transactions used, and that table must be InnoDB's (a transaction
that read only Aria or MyISAM tables shows nowhere: the wait is then left alone, said to
have an unknown holder, every idle connection of other sessions a possible one). Either
way every blocker must
be this process's, idle (Sleep) in a transaction; without the PROCESS privilege (which
information_schema.INNODB_TRX asks for) and no metadata_locks, nothing is watched, and a
note says so (told to the parent at once: a run that waits until its time limit writes
no result). A wait left alone, because someone else may hold the table, is told too
(on PostgreSQL the lock it waits for, from pg_locks, and each backend pg_blocking_pids
names: whose, its state and when its transaction began).
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import Pool

from alembic_gate.check import targets
from alembic_gate.check.observe import Observer
from alembic_gate.check.protocol import Note

# Seconds between looks, and how many looks in a row must find the same wait.
INTERVAL = 1.0
LOOKS = 3
SHOWN = 120
# The watcher's own connection: how long it may take to connect, and each of its queries
# (every driver that can be told so; a look takes milliseconds).
WATCH_TIMEOUT = 10.0

MYSQL = ("mysql", "mariadb")
# Modules whose connections thread_id reads.
MYSQL_DRIVERS = {"pymysql", "MySQLdb", "mysql", "mariadb", "aiomysql", "asyncmy"}

# Connections of this process that wait for a lock, with each backend blocking them.
WAITING = """
SELECT w.pid, b.pid, b.state, b.xact_start, b.query
FROM pg_stat_activity w
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)
JOIN pg_stat_activity b ON b.pid = blocker.pid
WHERE w.pid = ANY(:own) AND w.wait_event_type = 'Lock'
"""

MYSQL_WAIT = "Waiting for table metadata lock"
MYSQL_THREADS = "SELECT ID, COMMAND, STATE, DB FROM information_schema.PROCESSLIST"
MYSQL_TRX = "SELECT trx_mysql_thread_id, trx_started FROM information_schema.INNODB_TRX"
# Tables open for a statement, LOCK TABLES or HANDLER (an idle transaction's are not).
MYSQL_IN_USE = "SHOW OPEN TABLES WHERE In_use > 0"
# Statements that end a transaction (or begin one: what ran before is committed).
ENDS = re.compile(r"\s*(COMMIT|ROLLBACK|BEGIN|START\s+TRANSACTION)\b", re.IGNORECASE)
# How many statements of a transaction are kept per connection.
KEPT = 200
MYSQL_SCHEMA_ON = "SELECT @@performance_schema"
MDL = "wait/lock/metadata/sql/mdl"
MYSQL_MDL_ON = f"SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = '{MDL}'"
MYSQL_ENGINE = (
    "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :table"
)
# What a run is told when the watch is off, or leaves a wait alone.
OFF = (
    "check's lock watch is off ({why}): a statement waiting for a lock that another "
    "connection of env.py's process holds, idle in a transaction, is not cancelled "
    "(AG901) and the run waits until its time limit, as `alembic upgrade` waits for good"
)
LEFT = (
    "check's lock watch saw {statement} ({waiter}) wait for {lock} and left it waiting: "
    "{why}; cancelling it could be wrong, and `alembic upgrade` would wait as long"
)
# What a PostgreSQL backend of ours waits for (a lock it has not been granted).
PG_WAIT = """
SELECT w.query, l.locktype, l.mode, l.relation::regclass::text
FROM pg_stat_activity w
LEFT JOIN pg_locks l ON l.pid = w.pid AND NOT l.granted
WHERE w.pid = :pid AND w.wait_event_type = 'Lock'
"""

# Table metadata locks by server thread (MySQL 8+; empty where performance_schema is off).
MYSQL_LOCKS = """
SELECT t.PROCESSLIST_ID, m.OBJECT_SCHEMA, m.OBJECT_NAME, m.LOCK_STATUS, m.LOCK_DURATION
FROM performance_schema.metadata_locks m
JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID
WHERE m.OBJECT_TYPE = 'TABLE'
"""


class Stuck(Observer):
    """Watches this process's PostgreSQL, MySQL and MariaDB connections for a wait no
    one can end."""

    def __init__(self) -> None:
        # Backends of this process's connections (a list: appending is atomic, and the
        # watcher copies it while the migration's thread adds to it).
        self.own: list[int] = []
        # Server thread ids of this process's MySQL and MariaDB connections.
        self.threads: list[int] = []
        # The last KEPT statements each of those ran in its current transaction, the last
        # one last (MySQL shows none for an idle thread).
        self.ran: dict[int, deque[str]] = {}
        self.mysql = False
        self.url: URL | None = None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        # Why a statement was cancelled (None: none was).
        self.reason: str | None = None
        # Why the watch is off (None: it is on, or not started), once that is known (for
        # a user without the PROCESS privilege: once a statement of ours waited).
        self.off: str | None = None
        self.decided = threading.Event()
        # Says a note to the parent at once (a worker that runs out of time writes no
        # result); set by the session.
        self.tell: Callable[[str, str], None] = _quiet
        # Looks that found each own waiter waiting, left alone, and the last said of it.
        self.left: dict[int, int] = {}
        self.said: dict[int, str] = {}

    def install(self) -> None:
        """Learn the backend of every connection any pool of this process opens."""
        event.listen(Pool, "connect", self._connected)
        event.listen(Engine, "before_cursor_execute", self._executing)
        event.listen(Engine, "commit", self._ended)
        event.listen(Engine, "rollback", self._ended)

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        self._learn(dbapi_connection)

    def _learn(self, dbapi_connection: Any) -> None:
        pid = backend_pid(dbapi_connection)
        if pid is not None:
            self.own.append(pid)
            return
        thread = thread_id(dbapi_connection)
        if thread is not None:
            self.threads.append(thread)

    def _executing(self, conn: Any, cursor: Any, statement: Any, *args: Any) -> None:
        thread = self._thread_of(conn)
        if thread is None:
            return
        ran = self.ran.setdefault(thread, deque(maxlen=KEPT))
        if ENDS.match(str(statement)):
            ran.clear()
        ran.append(str(statement))

    def _ended(self, conn: Any) -> None:
        thread = self._thread_of(conn)
        if thread is not None:
            self.ran[thread] = deque(maxlen=KEPT)

    def _thread_of(self, conn: Any) -> int | None:
        if not self.threads or conn.dialect.name not in MYSQL:
            return None
        try:
            return thread_id(getattr(conn.connection, "dbapi_connection", None))
        except Exception:  # an invalidated connection: nothing to note
            return None

    def configured(self, context: Any) -> None:
        connection = context.connection
        name = context.dialect.name
        if name not in {"postgresql", *MYSQL} or connection is None:
            return
        # A connection check opened before it listened (lent).
        dbapi_connection = getattr(connection.connection, "dbapi_connection", None)
        self._learn(dbapi_connection)
        if dbapi_connection is not None and _server_id(dbapi_connection) is None:
            module = type(getattr(dbapi_connection, "_connection", dbapi_connection)).__module__
            self._off(
                f"the {module.split('.')[0]} driver does not say which server process "
                "serves a connection"
            )
            return
        if self.thread is None:
            self.start(connection.engine.url)

    def start(self, url: URL) -> None:
        """Watch the server `url` names, on a connection of the watcher's own."""
        self.mysql = url.get_backend_name() in MYSQL
        self.url = targets.sync_url(url)
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def _off(self, why: str) -> None:
        if self.off is None:
            self.off = why
            self.tell(OFF.format(why=why), "off")
        self.decided.set()

    def notes(self) -> list[Note]:
        if self.thread is not None:
            self.decided.wait(WATCH_TIMEOUT)
        return [Note(OFF.format(why=self.off))] if self.off else []

    def _watch(self) -> None:
        assert self.url is not None
        try:
            with targets.connect(self.url, WATCH_TIMEOUT) as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                if self.mysql:
                    self._loop_mysql(conn)
                else:
                    self.decided.set()
                    self._loop(conn)
        except Exception as exc:  # the watch is a help: the run goes on without it
            if not self.stop.is_set():
                self._off(f"it stopped: {targets.one_line(exc)}")
        finally:
            self.decided.set()

    def _loop(self, conn: Any) -> None:
        last, count = None, 0
        while not self.stop.wait(INTERVAL):
            own = set(self.own)
            rows = conn.execute(text(WAITING), {"own": sorted(own)}).all()
            stuck = _stuck(rows, own)
            count = count + 1 if stuck is not None and stuck == last else int(stuck is not None)
            last = stuck
            if stuck is not None and count >= LOOKS:
                self.reason = _reason(stuck)
                conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": stuck[0]})
                last, count = None, 0
            self._left_pg(conn, _left_alone(rows, own), own)

    def _left_pg(self, conn: Any, waits: dict[int, list[Any]], own: set[int]) -> None:
        """Say what each wait of ours left alone waits for, and for whom, once it waited
        LOOKS looks (PostgreSQL: pg_blocking_pids names every backend it waits for)."""
        self.left = {w: looks for w, looks in self.left.items() if w in waits}
        for waiter, blockers in waits.items():
            looks = self.left[waiter] = self.left.get(waiter, 0) + 1
            if looks < LOOKS:
                continue
            row = conn.execute(text(PG_WAIT), {"pid": waiter}).first()
            if row is None:  # it stopped waiting meanwhile
                continue
            listed = ", ".join(_pg_blocker(b, own) for b in blockers)
            self._say_left(
                waiter,
                statement=_quoted(str(row[0] or "")),
                waiter=f"backend {waiter}",
                lock=_pg_lock(row[1], row[2], row[3]),
                why=f"it waits for {listed}",
            )

    def _say_left(self, key: int, **parts: str) -> None:
        """Tell the parent why the waiter `key` is left waiting, when that changed (the
        parent shows the last)."""
        message = LEFT.format(**parts)
        if self.said.get(key) != message:
            self.said[key] = message
            self.tell(message, f"left {key}")

    def _loop_mysql(self, conn: Any) -> None:
        me = conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
        blind = _mysql_blind(conn)
        if blind is not None:
            self._watch_blind(conn, me, blind)
            return
        self.decided.set()
        last, count = None, 0
        while not self.stop.wait(INTERVAL):
            own = set(self.threads) - {me}
            stuck = self._look_mysql(conn, own, me) if own else None
            count = count + 1 if stuck is not None and stuck == last else int(stuck is not None)
            last = stuck
            if stuck is not None and count >= LOOKS:
                waiter, blocker, started = stuck
                self.left.pop(waiter, None)
                statement = (self.ran.get(blocker) or [""])[-1]
                self.reason = _reason((waiter, f"thread {blocker}", started, statement))
                conn.exec_driver_sql(f"KILL QUERY {int(waiter)}")
                last, count = None, 0

    def _watch_blind(self, conn: Any, me: int, why: str) -> None:
        """Tell the parent at once that the watch is off (a run that waits until its time
        limit writes no result), and note it in the report once a statement of this
        process waits for a table (a user sees its own threads without PROCESS)."""
        self.tell(OFF.format(why=why), "off")
        self.decided.set()
        while not self.stop.wait(INTERVAL):
            threads = conn.exec_driver_sql(MYSQL_THREADS).all()
            own = set(self.threads) - {me}
            if any(row[0] in own and row[2] == MYSQL_WAIT for row in threads):
                self._off(why)
                return

    def _look_mysql(self, conn: Any, own: set[int], me: int) -> tuple[Any, ...] | None:
        threads = {row[0]: row for row in conn.exec_driver_sql(MYSQL_THREADS).all()}
        waiters = [t for t in own if t in threads and threads[t][2] == MYSQL_WAIT]
        self.left = {t: looks for t, looks in self.left.items() if t in waiters}
        if not waiters:
            return None
        try:
            locks = conn.exec_driver_sql(MYSQL_LOCKS).all()
        except Exception:  # no performance_schema, or no right to read it
            locks = []
        try:
            open_trx = {row[0]: row[1] for row in conn.exec_driver_sql(MYSQL_TRX).all()}
        except Exception:  # no PROCESS privilege: foreign threads may be out of sight
            open_trx = None
        ran = {thread: list(statements) for thread, statements in dict(self.ran).items()}
        in_use = _in_use(conn)
        for waiter in waiters:
            # Tables in use in another database cannot be the one the waiter waits for.
            mine = _in_database(in_use, threads[waiter][3])
            seen = Seen(threads, open_trx, mine, ran, _engine(conn, mine))
            blockers = _mysql_blockers(waiter, locks, seen, me)
            if blockers and all(
                b in own and b in threads and threads[b][1] == "Sleep" for b in blockers
            ):
                first = blockers[0]
                started = open_trx.get(first) if open_trx else None
                return (waiter, first, started)
            unseen = None if locks else _unseen(seen)
            foreign = {b for b in blockers if b not in own}
            foreign |= _candidates(seen, own | {me}, idle=unseen is not None)
            explained = bool(locks or _table_users(seen, own))
            self._left(waiter, sorted(foreign), explained, unseen)
        return None

    def _left(
        self, waiter: int, foreign: list[int], explained: bool, unseen: str | None = None
    ) -> None:
        """Say why a waiter of ours is left waiting, once it waited LOOKS looks, and
        again when that changes (the parent shows the last)."""
        looks = self.left[waiter] = self.left.get(waiter, 0) + 1
        if looks < LOOKS:
            return
        whys = [unseen] if unseen else []
        if foreign:
            listed = ", ".join(map(str, foreign))
            whys.append(f"connections of other sessions may hold it (thread {listed})")
        if not explained:
            whys.append(
                "someone's LOCK TABLES or HANDLER may hold it (a table is in use that no "
                "transaction of check's used)"
            )
        why = "; ".join(whys) or "check cannot tell who holds it"
        statement = _quoted((self.ran.get(waiter) or [""])[-1])
        lock = "a table metadata lock"
        self._say_left(waiter, statement=statement, waiter=f"thread {waiter}", lock=lock, why=why)

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


def _left_alone(rows: list[Any], own: set[int]) -> dict[int, list[Any]]:
    """The waits of ours, with their blocking backends' rows, that some backend other
    than this process's idle transactions blocks (the watch leaves those alone)."""
    by_waiter: dict[int, list[Any]] = {}
    for row in rows:
        by_waiter.setdefault(row[0], []).append(row)
    return {
        waiter: blockers
        for waiter, blockers in by_waiter.items()
        if not all(b[1] in own and str(b[2]).startswith("idle in transaction") for b in blockers)
    }


def _pg_blocker(row: Any, own: set[int]) -> str:
    """A blocking backend as the user is told it: whose, its state and since when (None
    where another user's backend is out of the watch's sight)."""
    whose = "this process's" if row[1] in own else "another session's"
    state = f", {row[2]}" if row[2] else ""
    began = row[3].isoformat(sep=" ", timespec="seconds") if row[3] is not None else None
    since = f", its transaction began {began}" if began else ""
    return f"backend {row[1]} ({whose}{state}{since})"


def _pg_lock(locktype: Any, mode: Any, relation: Any) -> str:
    if mode is None:
        return "a lock"
    article = "an" if str(mode)[0] in "AEIOU" else "a"
    return f"{article} {mode} on {relation}" if relation else f"{article} {mode} ({locktype})"


def _quoted(statement: str) -> str:
    short = _short(statement)
    return f"`{short}`" if short else "a statement"


class Seen:
    """What one look at a MySQL or MariaDB server found: its threads (id, command, state,
    database) by id, the InnoDB transactions' start by thread (None: not readable), the
    tables in use ((database, table, count); None: not readable), the statements each
    of this process's connections ran in its current transaction, and the storage engine
    of the table in use where it is one."""

    def __init__(
        self,
        threads: dict[int, Any],
        open_trx: dict[int, Any] | None,
        in_use: list[tuple[str, str, int]] | None = None,
        ran: dict[int, list[str]] | None = None,
        engine: str | None = "InnoDB",
    ) -> None:
        self.threads = threads
        self.open_trx = open_trx
        self.in_use = in_use
        self.ran = ran or {}
        # The storage engine of the one table in use (None: not known).
        self.engine = engine


def _mysql_blind(conn: Any) -> str | None:
    """Why this connection cannot tell who holds a table (None: it can)."""
    locks = _metadata_locks(conn)
    if locks is None:
        return None  # performance_schema.metadata_locks (MySQL 8+)
    if _reads(conn, MYSQL_TRX) is None:
        return (
            "the database user may not read information_schema.INNODB_TRX, which needs the "
            f"PROCESS privilege, and performance_schema.metadata_locks {locks}; "
            "`GRANT PROCESS ON *.* TO` the user turns it on"
        )
    if _reads(conn, MYSQL_IN_USE) is None:
        return "the database user may not run SHOW OPEN TABLES"
    return None


def _metadata_locks(conn: Any) -> str | None:
    """Why performance_schema.metadata_locks cannot tell who holds a table (None: it
    can). It records nothing where its instrument is off: MySQL 5.7's default, and
    MariaDB's where performance_schema is on."""
    if _reads(conn, MYSQL_SCHEMA_ON) != [(1,)]:
        return "is off (performance_schema = OFF)"
    if _reads(conn, MYSQL_LOCKS) is None:
        return "is not readable"
    if _reads(conn, MYSQL_MDL_ON) != [("YES",)]:
        return f"records nothing (its instrument {MDL} is off)"
    return None


def _reads(conn: Any, query: str) -> list[tuple[Any, ...]] | None:
    try:
        return [tuple(row) for row in conn.exec_driver_sql(query).all()]
    except Exception:  # not there, or no right to read it
        return None


def _quiet(message: str, key: str) -> None:
    """Says nothing (a Stuck outside a worker's session)."""


def _in_use(conn: Any) -> list[tuple[str, str, int]] | None:
    try:
        rows = conn.exec_driver_sql(MYSQL_IN_USE).all()
    except Exception:  # the watch then claims nothing without a lock table
        return None
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def _mysql_blockers(waiter: int, locks: list[Any], seen: Seen, me: int) -> list[int]:
    """The threads that may hold what `waiter` waits for, the likeliest first; empty
    when that cannot be told (every one of them must then be known to be idle in a
    transaction)."""
    wanted = {(r[1], r[2]) for r in locks if r[0] == waiter and r[3] == "PENDING"}
    if wanted:  # performance_schema says exactly who holds that table
        holders = [r for r in locks if r[0] != waiter and (r[1], r[2]) in wanted]
        if any(r[3] == "GRANTED" and r[4] != "TRANSACTION" for r in holders):
            return []  # LOCK TABLES, or a statement's own: not an idle transaction
        # Every holder, also one out of sight in the process list (someone else's).
        return sorted({r[0] for r in holders if r[3] == "GRANTED"})
    return _guessed_blockers(waiter, seen, me)


def _guessed_blockers(waiter: int, seen: Seen, me: int) -> list[int]:
    """Without a lock table (MariaDB): the threads in a transaction, when nothing else
    can hold the waiter's table, the one that used that table first; else none.

    An idle transaction holds a table without having it open, so SHOW OPEN TABLES shows
    only the waiter's own table, once (an ALTER opens it, then waits to lock it
    exclusively). More in use is a LOCK TABLES or HANDLER of someone's; the waiter's
    table in use and none of the transactions having used it is someone's LOCK TABLES
    WRITE, which the waiter waits for before it opens the table."""
    open_trx = seen.open_trx
    if open_trx is None or seen.in_use is None:
        return []
    blockers = _candidates(seen, {waiter, me})
    if any(t not in open_trx for t in blockers):
        return []  # busy, not idle in a transaction: it may end
    users = _table_users(seen, blockers)
    if not users or _unseen(seen):
        return []
    return [*users, *sorted(set(blockers) - set(users))]


def _unseen(seen: Seen) -> str | None:
    """Why INNODB_TRX cannot tell who holds the waiter's table (the one in use): it is
    not InnoDB's, so a transaction that only read it (or other tables of its kind) shows
    nowhere, though it holds the table until it ends; None when it can, or no table is."""
    if seen.in_use is None or len(seen.in_use) != 1 or seen.engine == "InnoDB":
        return None
    database, table, _ = seen.in_use[0]
    kind = f"an {seen.engine}" if seen.engine else "a"
    return (
        f"{database}.{table} is {kind} table, whose readers information_schema.INNODB_TRX "
        "does not show, so check cannot tell who holds it"
    )


def _candidates(seen: Seen, left_out: set[int], idle: bool = False) -> set[int]:
    """Every thread but `left_out` in a transaction, or running anything (with `idle`,
    every one: one idle may be in a transaction INNODB_TRX does not show): each may hold
    the table, whatever its current database (`USE other` reads `app.users` all the
    same)."""
    open_trx = seen.open_trx or {}
    quiet = ("Daemon",) if idle else ("Sleep", "Daemon")
    return {
        t
        for t, row in seen.threads.items()
        if t not in left_out and (t in open_trx or row[1] not in quiet)
    }


def _in_database(
    in_use: list[tuple[str, str, int]] | None, database: str | None
) -> list[tuple[str, str, int]] | None:
    """The tables in use of `database` (all of them where it is not known)."""
    if in_use is None or not database:
        return in_use
    return [row for row in in_use if row[0] == database]


def _engine(conn: Any, in_use: list[tuple[str, str, int]] | None) -> str | None:
    """The storage engine of the one table in use (None: none is, or not readable)."""
    if not in_use or len(in_use) != 1:
        return None
    database, table, _ = in_use[0]
    try:
        engine = conn.execute(text(MYSQL_ENGINE), {"db": database, "table": table}).scalar()
    except Exception:  # not readable: the watch then claims nothing
        return None
    return str(engine) if engine else None


def _table_users(seen: Seen, threads: Iterable[int]) -> list[int]:
    """Those of `threads` whose transaction used the one table in use, once (the
    waiter's); none where more is in use, or another table, or nothing."""
    if seen.in_use is None or len(seen.in_use) != 1 or seen.in_use[0][2] != 1:
        return []
    table = seen.in_use[0][1]
    return [t for t in sorted(threads) if _used(table, seen.ran.get(t, ()))]


def _used(table: str, statements: Iterable[str]) -> bool:
    """Whether one of `statements` names `table` (as a word; quoted or qualified too)."""
    name = re.compile(rf"(?<![\w$]){re.escape(table)}(?![\w$])", re.IGNORECASE)
    return any(name.search(statement) for statement in statements)


def _short(statement: str) -> str:
    flat = " ".join(statement.split())
    return f"{flat[:SHOWN]}{'...' if len(flat) > SHOWN else ''}"


def _reason(stuck: tuple[Any, ...]) -> str:
    last = _short(str(stuck[3] or ""))
    return (
        "check cancelled the statement: it waited for a lock that another connection "
        f"this process opened holds ({_backend(stuck[1])}), idle in a transaction whose last "
        f"statement was `{last}`; nothing ends that transaction while the migration "
        "waits, so `alembic upgrade` hangs here for good. Run the revision's queries on "
        "op.get_bind(), or end that connection's transaction before the next statement"
    )


def _backend(which: Any) -> str:
    return which if isinstance(which, str) else f"backend {which}"


def thread_id(dbapi_connection: Any) -> int | None:
    """The MySQL or MariaDB server thread (CONNECTION_ID()) of a DBAPI connection
    (PyMySQL, mysqlclient, mysql-connector, MariaDB Connector/Python, aiomysql and asyncmy
    as SQLAlchemy adapts them); None for others."""
    inner = getattr(dbapi_connection, "_connection", dbapi_connection)
    module = type(inner).__module__.split(".")[0]
    if module not in MYSQL_DRIVERS:
        return None
    for getter in (_thread_id, _connection_id, _server_thread_id):
        try:
            thread = getter(inner)
        except Exception:  # not this driver
            continue
        if isinstance(thread, int) and not isinstance(thread, bool):
            return thread
    return None


def _thread_id(connection: Any) -> Any:
    return connection.thread_id()


def _connection_id(connection: Any) -> Any:
    return connection.connection_id


def _server_thread_id(connection: Any) -> Any:
    return connection.server_thread_id[0]


def _server_id(dbapi_connection: Any) -> int | None:
    pid = backend_pid(dbapi_connection)
    return pid if pid is not None else thread_id(dbapi_connection)


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
