"""`doctor --replay`: run the migrations one by one in a throwaway SQLite database and
record the tables and columns after each step.

This imports and runs the revision files (through alembic, with doctor's own env.py:
the project's env.py and models are never imported, unless a revision file imports
them itself). Steps follow the graph's topological order; each step's stamp target is
the set of heads of what has been applied so far. A migration that fails on SQLite
(PostgreSQL-only SQL, an ALTER that SQLite lacks) ends the replay; the steps before it
still count.

A history may start from tables it never creates (MLflow's first revision adds a column
to tables `create_all` made): the replay starts from those (`seed`: each table with the
columns the first revision expects, typed TEXT), so its first step can run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.pool import NullPool

from alembic_gate.doctor.database import table_columns
from alembic_gate.doctor.matching import Point
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.load import History
from alembic_gate.shared.records import field, record
from alembic_gate.shared.redact import mask_urls

VERSION_TABLE = "alembic_version"
# The longest exception message a note quotes.
MESSAGE_LIMIT = 200
_ENV_PY = '''\
"""alembic-gate doctor --replay: run the migrations on the connection it passes."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="alembic_version")
with context.begin_transaction():
    context.run_migrations()
'''


@record
class Replay:
    """The schema after each step, and where the replay stopped (if it did) and why."""

    points: list[Point] = field(default_factory=list)
    stopped_at: str | None = None
    note: str | None = None


def replay_points(
    history: History, cwd: Path, seed: Mapping[str, frozenset[str]] | None = None
) -> Replay:
    """Replay the history step by step in a throwaway SQLite database, which starts
    with the tables of `seed` (table -> its columns)."""
    graph = history.graph
    with tempfile.TemporaryDirectory(prefix="alembic-gate-replay-") as tmp:
        script = Path(tmp)
        (script / "env.py").write_text(_ENV_PY, encoding="utf-8")
        # future=True: SQLAlchemy 1.4's connection commits as 2.x's does (2.x takes it too).
        engine = sa.create_engine(
            f"sqlite:///{script / 'replay.db'}", poolclass=NullPool, future=True
        )
        try:
            with engine.connect() as conn, _quiet():
                _create(conn, seed or {})
                config = _config(history, script, cwd, conn)
                return _steps(graph, config, conn)
        finally:
            engine.dispose()


def _create(conn: sa.Connection, seed: Mapping[str, frozenset[str]]) -> None:
    """The tables the history starts from, made before its first step."""
    metadata = sa.MetaData()
    for table, columns in seed.items():
        if columns:  # SQLite has no table without a column
            sa.Table(table, metadata, *(sa.Column(c, sa.Text) for c in sorted(columns)))
    metadata.create_all(conn)
    conn.commit()


def _steps(graph: RevisionGraph, config: Config, conn: sa.Connection) -> Replay:
    replay = Replay()
    applied: set[str] = set()
    for rid in graph.topological():
        try:
            command.upgrade(config, rid)
            conn.commit()
        except (Exception, SystemExit) as exc:  # a failing migration ends the replay only
            replay.stopped_at = rid
            replay.note = f"The replay stopped at {_failure(exc, graph, rid)}"
            return replay
        applied.add(rid)
        order = graph.topological(applied)
        heads = tuple(r for r in order if not set(graph.children_of(r)) & applied)
        schema = {t: c for t, c in table_columns(sa.inspect(conn)).items() if t != VERSION_TABLE}
        replay.points.append(Point(heads, schema))
    return replay


def _failure(exc: BaseException, graph: RevisionGraph, rid: str) -> str:
    """Where and why the step to `rid` failed, short and on one line: the revision, its
    file and the line the exception was raised at, then the exception's type and message
    (a database error's own, without the statement): "ab12 (versions/ab12_x.py, line 23):
    KeyError: 'table_prefix'"."""
    orig = getattr(exc, "orig", None) if isinstance(exc, sa.exc.DBAPIError) else None
    cause = orig if isinstance(orig, BaseException) else exc
    text = mask_urls(" ".join(str(cause).split()))  # masked before it is cut
    shown = text[:MESSAGE_LIMIT] + ("..." if len(text) > MESSAGE_LIMIT else "")
    said = f"{type(cause).__name__}: {shown}" if shown else type(cause).__name__
    where = graph.by_id[rid].display
    place = _raised_at(exc, graph)
    if place is None:
        return f"{rid} ({where}): {said}"
    if place[0] == where:
        return f"{rid} ({where}, line {place[1]}): {said}"
    return f"{rid} ({where}): {said}, raised at line {place[1]} of {place[0]}"


def _raised_at(exc: BaseException, graph: RevisionGraph) -> tuple[str, int] | None:
    """The innermost place in a revision file that `exc` passed through (a syntax error:
    where it is), as the file's display path and the line."""
    files = {os.path.realpath(rev.file): rev.display for rev in graph.by_id.values()}
    places = [(f.f_code.co_filename, line) for f, line in traceback.walk_tb(exc.__traceback__)]
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        places.append((exc.filename, exc.lineno))
    found = [
        (files[real], line)
        for name, line in places
        for real in [os.path.realpath(name)]
        if real in files
    ]
    return found[-1] if found else None


def _config(history: History, script: Path, cwd: Path, conn: sa.Connection) -> Config:
    setup = history.setup
    config = Config()
    config.set_main_option("script_location", _escape(str(script)))
    config.set_main_option("path_separator", "os")
    locations = os.pathsep.join(str(p) for p in setup.version_locations)
    config.set_main_option("version_locations", _escape(locations))
    config.set_main_option("recursive_version_locations", str(setup.recursive).lower())
    config.set_main_option("sourceless", str(setup.sourceless).lower())
    config.set_main_option("prepend_sys_path", _escape(str(cwd)))
    config.attributes["connection"] = conn
    return config


def _escape(value: str) -> str:
    return value.replace("%", "%%")  # configparser interpolation


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Migrations that print must not spoil a report on standard output; alembic's
    "Running upgrade" lines of the throwaway database are held back, also from a logging
    handler a revision file or the calling program set up."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
