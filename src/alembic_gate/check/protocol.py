"""What the `check` command hands its worker process, and what it gets back.

Both sides read and write these as JSON files; nothing here imports SQLAlchemy
or alembic, so the parent process stays light.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any, Literal

from alembic_gate.findings.locks import LockRow, RevisionLocks
from alembic_gate.shared.placeholders import listed
from alembic_gate.shared.records import asdict, field, record

DatabaseKind = Literal["url", "server", "sqlite"]
ErrorKind = Literal["usage", "env"]

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with `{url}`, `{host}`, ... replaced (`{{` and `}}` stand for braces;
    other braces stay as they are). ValueError for an unknown `{name}`."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        if name not in values:
            raise ValueError(
                f"unknown placeholder {{{name}}} (known: {listed()}; write {{{{ for a brace)"
            )
        return values[name]

    return _PLACEHOLDER.sub(one, template)


@record
class DatabaseSpec:
    """Where the worker gets its databases from.

    `url`: one existing database (`--database-url`). `server`: a server the run
    owns (a container); `url` is an administrator's URL and the worker creates one
    database per engine, named `prefix`, `prefix_1`, ... `sqlite`: one file per
    engine in `directory`.
    """

    kind: DatabaseKind
    url: str | None = None
    directory: str | None = None
    prefix: str = "alembic_gate"
    # A kept server (ALEMBIC_GATE_REUSE=1): the run's databases are dropped at the end,
    # and on PostgreSQL a migrated copy is kept as a template named after the history's
    # hash; the next run with the same history starts from a copy of it.
    drop: bool = False
    template: str | None = None
    # How long the worker's first connection to a `url` database may take (--timeout):
    # a server that accepts connections and never answers would keep it for the
    # driver's own default (minutes).
    connect_timeout: float | None = None


@record
class Request:
    cwd: str
    config_path: str | None
    section: str
    script_location: str | None
    flask: bool
    database: DatabaseSpec
    flask_app: str | None = None
    allow_nonempty: bool = False
    # --env NAME=VALUE (and --url-env NAME as NAME={url}): set for env.py, with the
    # placeholders {url}, {host}, {port}, {user}, {password}, {database} filled in.
    env: dict[str, str] = field(default_factory=dict)
    x_args: list[str] = field(default_factory=list)
    roundtrip: bool = False
    # Run the autogenerate comparison (AG902 selected).
    compare: bool = True
    # The revisions measurements report on (`since`, `--base`: history.scope); None: all.
    scope: list[str] | None = None
    # Give the tables rows as the migrations run (check.seeding; --no-seed turns it off).
    seed: bool = False
    # Trace the locks and rewrites of each revision in scope (PostgreSQL; AG905-AG907).
    trace: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Request:
        data = json.loads(text)
        data["database"] = DatabaseSpec(**data["database"])
        return cls(**data)


@record
class RawFinding:
    """A finding before the parent applies the catalog: paths are absolute."""

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    fix: str | None = None
    # What tells the finding apart from others of its code in its file, where the
    # message's first clause holds what a run measured (Finding.key: fingerprints).
    key: str | None = None


@record
class Note:
    """Something a person should know about the run that is not a problem of the project
    (a table seeding could not give rows); paths are absolute."""

    message: str
    path: str | None = None
    line: int | None = None


@record
class Observed:
    """The op.* lines a measurement watched run: their statements ran while it looked.

    `kind` is "data" (the tables held rows: seeding) or "locks" (PostgreSQL lock
    tracing). A static warning on a watched line that the measurement found no hazard
    on is dropped; one it confirmed is replaced by the measured finding (reconcile).
    """

    kind: str
    # [path, line] pairs, paths absolute as in RawFinding.
    lines: list[list[Any]] = field(default_factory=list)


@record
class Behind:
    """A database left short of the heads by a successful `upgrade heads` (AG801)."""

    engine: str  # the engine name of a multi-database setup, "" otherwise
    dialect: str
    version_table: str
    version_table_schema: str | None
    versions: list[str]
    has_version_table: bool = True
    # Tables there anyway (SQLite runs DDL outside the transaction that was lost).
    tables: list[str] = field(default_factory=list)


@record
class Result:
    findings: list[RawFinding] = field(default_factory=list)
    behind: list[Behind] = field(default_factory=list)
    observed: list[Observed] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # The locks each traced revision took (paths absolute).
    locks: list[RevisionLocks] = field(default_factory=list)
    error: str | None = None
    error_kind: ErrorKind | None = None
    # What was covered: the engine ("PostgreSQL 16.4") and the revisions applied.
    engine: str | None = None
    applied: int = 0
    # The databases started as a copy of this history's migrated template (kept server).
    from_template: bool = False

    def write(self, file: IO[str]) -> None:
        file.write(json.dumps(asdict(self)))

    @classmethod
    def read(cls, text: str) -> Result:
        data: dict[str, Any] = json.loads(text)
        data["findings"] = [RawFinding(**f) for f in data["findings"]]
        data["behind"] = [Behind(**b) for b in data["behind"]]
        data["observed"] = [Observed(**o) for o in data.get("observed", [])]
        data["notes"] = [Note(**n) for n in data.get("notes", [])]
        data["locks"] = [_revision_locks(r) for r in data.get("locks", [])]
        return cls(**data)


def tell(file: IO[str], message: str, key: str) -> None:
    """Write a note the parent may need before the result (a JSON [key, message] a
    line); a later note of the same key replaces it."""
    file.write(json.dumps([key, message]) + "\n")
    file.flush()


def told(text: str) -> list[str]:
    """The notes a worker told, the last of each key (a line cut short by a kill is
    left out)."""
    notes: dict[str, str] = {}
    for line in text.splitlines():
        try:
            key, message = json.loads(line)
        except ValueError:
            continue
        notes[str(key)] = str(message)
    return list(notes.values())


def _revision_locks(data: dict[str, Any]) -> RevisionLocks:
    rows = [LockRow(**row) for row in data.pop("rows")]
    return RevisionLocks(**data, rows=rows)
