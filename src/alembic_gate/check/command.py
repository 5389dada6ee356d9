"""`alembic-gate check` in the caller's process.

Reads the setup, runs lint's graph rules (two heads make `upgrade heads`
ambiguous), provisions the database and removes it again whatever happens; the
worker process (`check.worker`) runs the project's env.py against it and reports
back in JSON. SQLAlchemy and alembic are only imported in the worker.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

from alembic_gate.check.databases import provision, validate
from alembic_gate.check.process import WorkerProcess
from alembic_gate.check.protocol import DatabaseSpec, Request, Result
from alembic_gate.check.reconcile import MEASURED, Measurements, reconcile
from alembic_gate.errors import GateError, UsageError
from alembic_gate.findings import Finding, RevisionLocks
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.load import History, load_histories
from alembic_gate.history.scope import check_since_known
from alembic_gate.lint import build_report, lint_context, unread
from alembic_gate.reporters.output import Target, parse_formats, write_reports
from alembic_gate.rules import LintContext, lint_rules
from alembic_gate.setup.settings import Settings, load_settings
from alembic_gate.shared.paths import display_path

# Lint's graph rules: what must hold before `upgrade heads` means anything.
GRAPH_PREFIX = "AG00"
# Lint's safety rules: guesses that the measurements confirm or refute (check.reconcile).
SAFETY_PREFIX = "AG1"
CHECK_CODES = ("AG801", "AG901", "AG902")
MEASURED_CODES = frozenset(code for codes in MEASURED.values() for code in codes)
# Lock tracing on PostgreSQL (check.trace); ignoring all three turns it off.
TRACE_CODES = MEASURED["locks"]
# The worker may take this long, or ten times --timeout when that is more.
WORKER_SECONDS = 900.0


class Terminated(GateError):
    """SIGTERM arrived: the database was cleaned up, the run ends as killed by it."""

    exit_code = 128 + signal.SIGTERM


class _SigTerm(BaseException):
    """Raised by the SIGTERM handler; a BaseException so no `except Exception` stops it."""


def run(args: argparse.Namespace) -> int:
    targets = parse_formats(args.formats)
    cwd = Path.cwd()
    # Started first: it imports alembic and SQLAlchemy while this process reads the
    # history and starts the database.
    with WorkerProcess(cwd) as worker:
        return _run(args, targets, cwd, worker)


def _run(args: argparse.Namespace, targets: list[Target], cwd: Path, worker: WorkerProcess) -> int:
    settings = load_settings(args, cwd)
    histories = load_histories(args, cwd)
    validate(args, len(histories))
    for history in histories:
        if history.setup.config_path is None:
            raise UsageError(
                "check runs env.py, so it needs an Alembic config rather than --versions: "
                "pass -c alembic.ini (or run it where alembic.ini is)"
            )
    check_since_known((h.graph for h in histories), settings.since)
    contexts = [lint_context(h, cwd, args.base, settings.since) for h in histories]
    graph_codes = [c for c in RULES if c.startswith(GRAPH_PREFIX) and settings.is_enabled(c)]
    findings = [f for ctx in contexts for f in rule_findings(ctx, settings, GRAPH_PREFIX)]
    gate = build_report("check", findings, histories, settings, graph_codes, args.formats)
    if any(f.severity == "error" for f in gate.findings):
        write_reports(gate, targets)
        return gate.exit_code
    # The static safety warnings, to be confirmed or refuted by what the runs measure.
    static = [f for ctx in contexts for f in rule_findings(ctx, settings, SAFETY_PREFIX)]
    codes = [*CHECK_CODES, "AG903"] if args.roundtrip else list(CHECK_CODES)
    locks: list[RevisionLocks] = []
    try:
        found, measured = _check_histories(args, contexts, cwd, settings, worker, locks)
    except _SigTerm:
        raise Terminated("terminated by SIGTERM (after cleaning up)") from None
    findings += found + reconcile(static, measured).findings
    if "locks" in measured.watched:  # traced: PostgreSQL
        codes += TRACE_CODES
    safety_codes = [c for c in RULES if c.startswith(SAFETY_PREFIX) and settings.is_enabled(c)]
    ran = graph_codes + safety_codes + [c for c in codes if settings.is_enabled(c)]
    skipped = {pair for ctx in contexts for pair in unread(ctx, settings)}
    report = build_report("check", findings, histories, settings, ran, args.formats, skipped)
    report.locks = locks
    write_reports(report, targets)
    return report.exit_code


def _check_histories(
    args: argparse.Namespace,
    contexts: list[LintContext],
    cwd: Path,
    settings: Settings,
    first: WorkerProcess,
    locks: list[RevisionLocks],
) -> tuple[list[Finding], Measurements]:
    """Run the worker on each history: its findings, and what it measured (the lock
    tables of the revisions it traced go to `locks`)."""
    found: list[Finding] = []
    measured = Measurements()
    timeout = max(WORKER_SECONDS, 10 * float(args.timeout))
    with _sigterm_raises(), provision(args) as database, ExitStack() as workers:
        if database.start_seconds is not None:
            print(f"alembic-gate: database ready in {database.start_seconds:.1f}s", file=sys.stderr)
        for index, ctx in enumerate(contexts):
            history = History(ctx.setup, ctx.graph, list(ctx.sourceless))
            worker = first if index == 0 else workers.enter_context(WorkerProcess(cwd))
            spec = _spec_for(database.spec, history, args, index)
            result = worker.run(request(args, ctx, spec, cwd, settings), timeout)
            for finding in result_findings(result, history, cwd):
                target = measured.findings if finding.code in MEASURED_CODES else found
                target.append(finding)
            for observed in result.observed:
                lines = [(display_path(Path(path), cwd), line) for path, line in observed.lines]
                measured.watch(observed.kind, lines)
            locks += lock_tables(result.locks, ctx.scope is None, cwd)
    return found, measured


def _spec_for(
    spec: DatabaseSpec, history: History, args: argparse.Namespace, index: int
) -> DatabaseSpec:
    if not spec.drop:  # a server of this run's own
        return replace(spec, prefix=f"alembic_gate_{index}")
    # A kept server: names no other run uses, and the history's template (PostgreSQL).
    run = f"alembic_gate_run_{secrets.token_hex(4)}_{index}"
    template = f"alembic_gate_tpl_{history_key(history, args)}" if args.db == "postgres" else None
    return replace(spec, prefix=run, template=template)


def history_key(history: History, args: argparse.Namespace) -> str:
    """A hash of what decides the migrated schema: the revision files, env.py, the
    config file and the options passed to env.py."""
    digest = hashlib.sha256()
    setup = history.setup
    files = sorted(rev.path for rev in history.graph.files)
    extra = [setup.config_path, setup.script_location / "env.py" if setup.script_location else None]
    for path in [*files, *extra]:
        if path is not None and path.is_file():
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(repr((args.x_args, args.url_env, args.flask_app, setup.section)).encode())
    return digest.hexdigest()[:16]


def rule_findings(ctx: LintContext, settings: Settings, prefix: str) -> list[Finding]:
    """The findings of the enabled lint rules whose code starts with `prefix`."""
    found: list[Finding] = []
    for info, check in lint_rules():
        if info.code.startswith(prefix) and settings.is_enabled(info.code):
            found.extend(check(ctx))
    return found


def request(
    args: argparse.Namespace, ctx: LintContext, spec: DatabaseSpec, cwd: Path, settings: Settings
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
        url_env=args.url_env,
        x_args=list(args.x_args),
        roundtrip=args.roundtrip and settings.is_enabled("AG903"),
        compare=settings.is_enabled("AG902"),
        scope=None if ctx.scope is None else sorted(ctx.scope),
        trace=any(settings.is_enabled(code) for code in TRACE_CODES),
    )


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
        found.append(RULES[raw.code].finding(raw.message, path, raw.line, raw.fix))
    if result.behind:
        from alembic_gate.check.behind import behind_findings

        for behind in result.behind:
            found += behind_findings(history, behind, cwd)
    return found


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into an exception, so every `finally` (container removal) runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up
        raise _SigTerm

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
