"""A connection of another process that holds `users` while the third revision's ALTER
waits (check_stuck with STUCK_HOLDER set; MySQL and MariaDB; STUCK_HOLD_SECONDS sets
HOLD; STUCK_HOLDER_LOG names a file that gets what it saw).

    python holder.py URL HOW

HOW is `other-database`: reads users in a transaction while its current database is
another one (information_schema); or `lock-tables`: LOCK TABLES users WRITE in
autocommit mode, so no InnoDB transaction shows it. Prints "held" once it holds the
table, then lets go as soon as the ALTER stopped waiting (cancelled), or has waited
HOLD seconds, or (without STUCK_HOLD_SECONDS) check's lock watch has told that it
leaves the ALTER waiting: it says so after the three looks a second apart after which
it would have cancelled it; a watch that is off (blind) says so again once it saw the
ALTER wait. The notes are read from the notes file of check's worker, the process
that started this one.
"""

import json
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

# Without STUCK_HOLD_SECONDS: how long the ALTER may wait where the watch tells nothing.
HOLD = float(os.environ.get("STUCK_HOLD_SECONDS", "60"))
UNTIL_TOLD = "STUCK_HOLD_SECONDS" not in os.environ
# How long the holder waits for the ALTER to start waiting at all.
START = 60
WAITING = (
    "SELECT TIME FROM information_schema.PROCESSLIST WHERE DB = :db"
    " AND STATE = 'Waiting for table metadata lock' AND INFO LIKE 'ALTER TABLE users%'"
)


def hold(conn, database, how):
    if how == "other-database":
        conn.exec_driver_sql("USE information_schema")
        conn.exec_driver_sql(f"SELECT count(*) FROM `{database}`.users").all()
    else:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("LOCK TABLES users WRITE")


def waited(watch, database):
    """Seconds the ALTER waits now; None while it does not wait."""
    seconds = watch.execute(sa.text(WAITING), {"db": database}).scalar()
    watch.rollback()
    return seconds


def left_waiting():
    """Whether check's lock watch has told that it leaves a statement waiting: a note
    keyed "left <thread>" on the notes file of the worker (`worker FD NOTES_FD`), or a
    second note keyed "off" (a blind watch tells it when it starts, and again once it
    saw a statement of the worker wait)."""
    worker = os.getppid()
    notes = (Path(f"/proc/{worker}/cmdline").read_bytes().split(b"\0"))[-2].decode()
    keys = []
    for line in Path(f"/proc/{worker}/fd/{notes}").read_text(encoding="utf-8").splitlines():
        try:
            keys.append(json.loads(line)[0])
        except ValueError:  # a line being written
            continue
    return keys.count("off") > 1 or any(key.startswith("left ") for key in keys)


def main(url, how):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    database = engine.url.database
    with engine.connect() as conn, engine.connect() as watch:
        hold(conn, database, how)
        print("held", flush=True)
        deadline = time.monotonic() + START
        while waited(watch, database) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        seconds = waited(watch, database)
        while seconds is not None and seconds < HOLD and not (UNTIL_TOLD and left_waiting()):
            time.sleep(0.1)
            seconds = waited(watch, database)
        said = "ALTER cancelled while held" if seconds is None else f"let go after {seconds}s"
        if os.environ.get("STUCK_HOLDER_LOG"):  # where the test reads it
            with open(os.environ["STUCK_HOLDER_LOG"], "w", encoding="utf-8") as log:
                log.write(said)
        if how == "lock-tables":
            conn.exec_driver_sql("UNLOCK TABLES")
        else:
            conn.rollback()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
