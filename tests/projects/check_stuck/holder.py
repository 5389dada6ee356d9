"""A connection of another process that holds `users` while the third revision's ALTER
waits (check_stuck with STUCK_HOLDER set; MySQL and MariaDB; STUCK_HOLD_SECONDS sets
HOLD; STUCK_HOLDER_LOG names a file that gets what it saw).

    python holder.py URL HOW

HOW is `other-database`: reads users in a transaction while its current database is
another one (information_schema); or `lock-tables`: LOCK TABLES users WRITE in
autocommit mode, so no InnoDB transaction shows it. Prints "held" once it holds the table, then lets go as soon as the
ALTER has waited HOLD seconds (check's watcher, which cancels after three looks a
second apart, would have cancelled it by then), or stopped waiting (cancelled).
"""

import os
import sys
import time

import sqlalchemy as sa

HOLD = float(os.environ.get("STUCK_HOLD_SECONDS", "8"))
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
        while seconds is not None and seconds < HOLD:
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
