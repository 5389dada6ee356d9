"""`alembic-gate check` in the caller's process.

Reads the setup, runs lint's graph rules (a history alembic cannot upgrade stops here;
several heads do not: `upgrade heads` applies them all), provisions the database and
removes it again whatever happens; the worker process (`check.worker`) runs the
project's env.py against it and reports back in JSON. SQLAlchemy and alembic are only
imported in the worker.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

from alembic_gate.check.batches import BatchLines
from alembic_gate.check.databases import provision, validate
from alembic_gate.check.irreversible import downgrade_suppressed, stopped_round_trip
from alembic_gate.check.process import WorkerProcess
from alembic_gate.check.protocol import DatabaseSpec, Note, Request, Result, fill
from alembic_gate.check.reconcile import MEASURED, Measurements, reconcile
from alembic_gate.errors import GateError, UsageError
from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.findings.locks import RevisionLocks
from alembic_gate.history.load import History, load_histories
from alembic_gate.history.scope import check_since_known
from alembic_gate.lint import build_report, lint_context, run_suppressions, unread
from alembic_gate.reporters.output import Target, parse_formats, write_reports
from alembic_gate.rules import LintContext, run_rules
from alembic_gate.rules.ag1xx import release_notes
from alembic_gate.setup.settings import Settings, load_settings
from alembic_gate.shared import placeholders
from alembic_gate.shared.paths import display_path
from alembic_gate.shared.records import replace
from alembic_gate.shared.redact import Redactor

# Lint's graph rules: what must hold before `upgrade heads` means anything.
GRAPH_PREFIX = "AG00"
# Lint's safety rules: guesses that the measurements confirm or refute (check.reconcile).
SAFETY_PREFIX = "AG1"
# What seeding reports (check.seeding).
SEEDING_CODES = ("AG904",)
MEASURED_CODES = frozenset(code for codes in MEASURED.values() for code in codes)
# Graph errors alembic can still upgrade through: `upgrade heads` applies every head.
UPGRADABLE = frozenset({"AG001"})
CHECK_CODES = ("AG801", "AG901", "AG902")
# Signals that end a run after its clean-up (the container, the worker); Ctrl-C too.
SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENGINES = {"postgres": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "sqlite": "SQLite"}
# Lock tracing on PostgreSQL (check.trace); ignoring all three turns it off.
TRACE_CODES = MEASURED["locks"]


class Terminated(GateError):
    """A signal arrived: the database was cleaned up, the run ends as killed by it."""

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"terminated by {name} (after cleaning up)")
        self.exit_code = 128 + signum


class _Signalled(BaseException):
    """Raised by the signal handler; a BaseException so no `except Exception` stops it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def run(args: argparse.Namespace, worker: WorkerProcess) -> int:
    """The command, with a worker started already (the caller ends it)."""
    targets = parse_formats(args.formats)
    env = parse_env(args)
    redact = Redactor()
    redact.add_environ(os.environ)
    redact.add_url(args.database_url)
    for name, value in env.items():
        redact.add_env(name, value)
    redact.add_x_args(args.x_args)
    cwd = Path.cwd()
    try:
        # The worker is started first (by the caller, before this module's imports): it
        # imports alembic and SQLAlchemy while this process reads the history and starts
        # the database.
        with _signals_raise():
            return _run(args, targets, cwd, worker, env, redact)
    except _Signalled as signalled:
        raise Terminated(signalled.signum) from None
    except GateError as exc:
        exc.args = (redact(str(exc)),)
        raise


def parse_env(args: argparse.Namespace) -> dict[str, str]:
    """`--env NAME=VALUE` (and `--url-env NAME`, which is `--env NAME={url}`), checked."""
    env: dict[str, str] = {}
    items = [f"{args.url_env}={{url}}"] if args.url_env else []
    dummy = dict.fromkeys(placeholders.NAMES, "")
    for item in [*items, *args.env]:
        name, sep, value = item.partition("=")
        if not sep or not ENV_NAME.fullmatch(name):
            flag = "--url-env" if item in items else "--env"
            raise UsageError(
                f"{flag}: {name!r} is not NAME=VALUE with a variable name "
                "(letters, digits and _), e.g. --env POSTGRES_SERVER={host}"
            )
        try:
            fill(value, dummy)
        except ValueError as exc:
            raise UsageError(f"--env {name}: {exc}") from None
        env[name] = value
    return env


def _run(
    args: argparse.Namespace,
    targets: list[Target],
    cwd: Path,
    worker: WorkerProcess,
    env: dict[str, str],
    redact: Redactor,
) -> int:
    started = time.monotonic()
    settings = load_settings(args, cwd)
    histories = load_histories(args, cwd)
    validate(args, len(histories))
    for history in histories:
        if history.setup.config_path is None:
            raise UsageError(
                "check runs env.py, so it needs an Alembic config rather than --versions: "
                "pass -c alembic.ini (or run it where alembic.ini is)"
            )
        redact.add_config(history.setup.config_path)
    check_since_known((h.graph for h in histories), settings.since)
    tags = settings.release_tags
    contexts = [lint_context(h, str(cwd), args.base, settings.since, (), tags) for h in histories]
    graph_codes = [c for c in RULES if c.startswith(GRAPH_PREFIX) and settings.is_enabled(c)]
    findings = [f for ctx in contexts for f in rule_findings(ctx, settings, GRAPH_PREFIX)]
    gate = build_report("check", findings, histories, settings, graph_codes, args.formats)
    if any(f.severity == "error" and f.code not in UPGRADABLE for f in gate.findings):
        write_reports(gate, targets)
        return gate.exit_code
    # The static safety warnings, to be confirmed or refuted by what the runs measure.
    static = [f for ctx in contexts for f in rule_findings(ctx, settings, SAFETY_PREFIX)]
    codes = [*CHECK_CODES, "AG903"] if args.roundtrip else list(CHECK_CODES)
    if seeds(args, settings):
        codes += SEEDING_CODES
    results = _check_histories(args, contexts, cwd, settings, worker, env, redact)
    measured = Measurements()
    locks: list[RevisionLocks] = []
    notes: list[str] = []
    for (history, result), ctx in zip(results, contexts, strict=True):
        for finding in result_findings(result, history, cwd):
            (measured.findings if finding.code in MEASURED_CODES else findings).append(finding)
        for observed in result.observed:
            lines = [(display_path(Path(path), cwd), line) for path, line in observed.lines]
            measured.watch(observed.kind, lines)
        locks += [redact.locks(r) for r in lock_tables(result.locks, ctx.scope is None, cwd)]
        notes += [redact(note_line(note, cwd)) for note in result.notes]
    findings += reconcile(static, measured, BatchLines(cwd)).findings
    if "locks" in measured.watched:  # traced: PostgreSQL
        codes += TRACE_CODES
    safety_codes = [c for c in RULES if c.startswith(SAFETY_PREFIX) and settings.is_enabled(c)]
    ran = graph_codes + safety_codes + [c for c in codes if settings.is_enabled(c)]
    findings = [redact.finding(f) for f in findings]
    skipped = {pair for ctx in contexts for pair in unread(ctx, settings)}
    new = [ctx.new_revisions for ctx in contexts]  # marked in the job summary's graph
    suppressions = run_suppressions(histories, skipped)
    report = build_report(
        "check",
        downgrade_suppressed(findings, suppressions, cwd),
        histories,
        settings,
        ran,
        args.formats,
        new=new,
        suppressions=suppressions,
    )
    report.coverage = coverage(args, [r for _, r in results], time.monotonic() - started)
    report.locks = locks
    notes += [note for ctx in contexts for note in release_notes(ctx)]
    report.notes = notes + stopped_round_trip(findings, report.findings, settings)
    write_reports(report, targets)
    return report.exit_code


def _check_histories(
    args: argparse.Namespace,
    contexts: list[LintContext],
    cwd: Path,
    settings: Settings,
    first: WorkerProcess,
    env: dict[str, str],
    redact: Redactor,
) -> list[tuple[History, Result]]:
    results = []
    with provision(args) as database, ExitStack() as workers:
        redact.add_url(database.spec.url)
        if database.start_seconds is not None:
            print(f"alembic-gate: database ready in {database.start_seconds:.1f}s", file=sys.stderr)
        for index, ctx in enumerate(contexts):
            history = History(ctx.setup, ctx.graph, list(ctx.sourceless))
            worker = first if index == 0 else workers.enter_context(WorkerProcess(cwd))
            spec = _spec_for(database.spec, history, args, env, index, seeds(args, settings))
            request = make_request(args, ctx, spec, cwd, settings, env)
            results.append((history, worker.run(request, args.timeout, redact)))
    return results


def coverage(args: argparse.Namespace, results: list[Result], seconds: float) -> str:
    """What the run covered, for the summary line: engine and version, revisions applied,
    time ("PostgreSQL 16.4, 37 revisions applied in 3.2s")."""
    engines = sorted({r.engine for r in results if r.engine}) or [_engine_guess(args)]
    applied = sum(r.applied for r in results)
    noun = "revision" if applied == 1 else "revisions"
    setups = f"{len(results)} setups, " if len(results) > 1 else ""
    reused = (
        " (from this history's migrated template)" if any(r.from_template for r in results) else ""
    )
    return f"{', '.join(engines)}, {setups}{applied} {noun} applied{reused} in {seconds:.1f}s"


def _engine_guess(args: argparse.Namespace) -> str:
    """The engine when no migration reached the database (env.py failed first); a
    `mysql://` URL may be a MariaDB server's, which only a connection tells."""
    if args.database_url is None:
        return ENGINES[args.db]
    scheme = str(args.database_url).split(":", 1)[0].split("+", 1)[0]
    if scheme == "mysql":
        return "MySQL or MariaDB"
    return ENGINES.get({"postgresql": "postgres"}.get(scheme, scheme), scheme)


def _spec_for(
    spec: DatabaseSpec,
    history: History,
    args: argparse.Namespace,
    env: dict[str, str],
    index: int,
    seeding: bool,
) -> DatabaseSpec:
    if not spec.drop:  # a server of this run's own
        return replace(spec, prefix=f"alembic_gate_{index}")
    # A kept server: names no other run uses, and the history's template (PostgreSQL).
    # Not when seeding: a copy of a migrated database would skip what it measures.
    run = f"alembic_gate_run_{secrets.token_hex(4)}_{index}"
    keep = args.db == "postgres" and not seeding
    template = f"alembic_gate_tpl_{history_key(history, args, env)}" if keep else None
    return replace(spec, prefix=run, template=template)


def seeds(args: argparse.Namespace, settings: Settings) -> bool:
    """Whether the tables get rows while the migrations run (AG904; --no-seed)."""
    return not getattr(args, "no_seed", False) and settings.is_enabled("AG904")


def history_key(history: History, args: argparse.Namespace, env: dict[str, str]) -> str:
    """A hash of what decides the migrated schema: the revision files, env.py, the
    config file and the options passed to env.py."""
    digest = hashlib.sha256()
    setup = history.setup
    files = sorted(rev.path for rev in history.graph.files)
    script = setup.script_location
    extra = [setup.config_path, os.path.join(script, "env.py") if script else None]
    for path in [*files, *(Path(name) for name in extra if name is not None)]:
        if path is not None and path.is_file():
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    options = (args.x_args, sorted(env.items()), args.flask_app, setup.section)
    digest.update(repr(options).encode())
    return digest.hexdigest()[:16]


def rule_findings(ctx: LintContext, settings: Settings, prefix: str) -> list[Finding]:
    """The findings of the enabled lint rules whose code starts with `prefix`."""
    return run_rules(ctx, lambda code: code.startswith(prefix) and settings.is_enabled(code))


def make_request(
    args: argparse.Namespace,
    ctx: LintContext,
    spec: DatabaseSpec,
    cwd: Path,
    settings: Settings,
    env: dict[str, str],
) -> Request:
    setup = ctx.setup
    return Request(
        cwd=str(cwd),
        config_path=str(setup.config_path) if setup.config_path else None,
        section=setup.section,
        script_location=str(setup.script_location) if setup.script_location else None,
        flask=setup.flask,
        database=spec,
        flask_app=args.flask_app,
        allow_nonempty=args.allow_nonempty,
        env=env,
        x_args=list(args.x_args),
        roundtrip=args.roundtrip and settings.is_enabled("AG903"),
        compare=settings.is_enabled("AG902"),
        scope=None if ctx.scope is None else sorted(ctx.scope),
        seed=seeds(args, settings),
        trace=any(settings.is_enabled(code) for code in TRACE_CODES),
    )


def note_line(note: Note, cwd: Path) -> str:
    """A worker's note as the report shows it: ``path:line: message``."""
    path = display_path(Path(note.path), cwd) if note.path else None
    where = f"{path}:{note.line}" if path and note.line else path
    return f"{where}: {note.message}" if where else note.message


def lock_tables(traced: list[RevisionLocks], everything: bool, cwd: Path) -> list[RevisionLocks]:
    """The lock tables to show: for a scope (since, --base) every revision traced, for a
    whole history only those that locked or rewrote a table that existed before them."""
    shown = []
    for revision in traced:
        if everything and not revision.rows and not revision.note:
            continue
        path = display_path(Path(revision.path), cwd) if revision.path else None
        shown.append(replace(revision, path=path))
    return shown


def result_findings(result: Result, history: History, cwd: Path) -> list[Finding]:
    found = []
    for raw in result.findings:
        path = display_path(Path(raw.path), cwd) if raw.path else None
        found.append(RULES[raw.code].finding(raw.message, path, raw.line, raw.fix, key=raw.key))
    if result.behind:
        from alembic_gate.check.behind import behind_findings

        for behind in result.behind:
            found += behind_findings(history, behind, cwd)
    return found


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP and SIGQUIT into an exception, and Ctrl-C into one
    KeyboardInterrupt, so every `finally` (container removal, the worker) runs; further
    signals are ignored until the clean-up is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        for each in (*SIGNALS, signal.SIGINT):
            signal.signal(each, signal.SIG_IGN)  # a second one must not cut the clean-up
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Signalled(signum)

    previous = {each: signal.signal(each, handler) for each in (*SIGNALS, signal.SIGINT)}
    try:
        yield
    finally:
        for each, old in previous.items():
            signal.signal(each, old)
