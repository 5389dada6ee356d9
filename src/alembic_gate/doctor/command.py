"""`alembic-gate doctor`: read the database's version table (read-only), diagnose, report."""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from pathlib import Path

from alembic_gate.doctor.database import database_url, mask, read_state
from alembic_gate.doctor.diagnose import diagnose, status_line
from alembic_gate.doctor.state import DatabaseState
from alembic_gate.errors import GateError, UsageError
from alembic_gate.findings import Finding
from alembic_gate.history.load import History, load_histories
from alembic_gate.lint import build_report
from alembic_gate.reporters.common import log_line
from alembic_gate.reporters.output import parse_formats, write_reports
from alembic_gate.setup.discovery import DEFAULT_VERSION_TABLE
from alembic_gate.setup.settings import load_settings
from alembic_gate.shared.paths import display_path
from alembic_gate.shared.redact import Redactor, redacted_output

CODES = ("AG801", "AG802", "AG803", "AG804")
URL_SOURCE = "--database-url"


def run_doctor(args: argparse.Namespace) -> int:
    redact = Redactor()
    redact.add_environ(os.environ)
    redact.add_url(args.database_url)
    try:
        return _run(args, redact)
    except GateError as exc:
        exc.args = (redact(str(exc)),)
        raise


def _run(args: argparse.Namespace, redact: Redactor) -> int:
    cwd = Path.cwd()
    targets = parse_formats(args.formats)
    settings = load_settings(args, cwd)
    histories = load_histories(args, cwd)
    for history in histories:
        redact.add_config(history.setup.config_path)
    findings: list[Finding] = []
    states: dict[tuple[str, str | None, bool], DatabaseState] = {}
    for history in histories:
        table, schema, table_source = _version_table(args, history)
        computed = history.setup.version_table_computed and not args.version_table
        if (table, schema, computed) not in states:
            states[table, schema, computed] = read_state(
                args.database_url, table, schema, computed=computed
            )
        state = states[table, schema, computed]
        table_source = _found_source(state) or table_source
        with redacted_output(redact):  # --replay runs the migrations, which may print
            found = diagnose(history, state, cwd=cwd, replay=args.replay)
        where = f"{_config_name(history, cwd)}: " if len(histories) > 1 else ""
        status = f"inspected {state.url}" if found else status_line(history, state, cwd)
        context = _context(args, history, state, table_source, cwd)
        line = redact(f"alembic-gate doctor: {where}{status} ({context})")
        print(log_line(line), file=sys.stderr)
        findings.extend(found)
    findings = [redact.finding(f) for f in findings]
    ran = [code for code in CODES if settings.is_enabled(code)]
    report = build_report("doctor", findings, histories, settings, ran, args.formats)
    write_reports(report, targets)
    return report.exit_code


def _version_table(
    args: argparse.Namespace, history: History
) -> tuple[str, str | None, str | None]:
    """The version table and schema to read, and where their names came from."""
    setup = history.setup
    table = args.version_table or setup.version_table
    schema = args.version_table_schema or setup.version_table_schema
    if args.version_table or args.version_table_schema:
        source = "--version-table flags"
    elif (table, schema) != (DEFAULT_VERSION_TABLE, None):
        source = "env.py"
    else:
        source = None
    return table, schema, source


def _found_source(state: DatabaseState) -> str | None:
    """Where the version table's name came from, when doctor found it in the database."""
    if state.found_in_schema:
        return (
            "the only schema holding it: env.py names the schema with an expression "
            f"doctor does not run, --version-table-schema {state.version_table_schema} "
            "says so"
        )
    if state.found_by_shape:
        return (
            "the only table shaped as one: env.py names the table with an expression "
            f"doctor does not run, --version-table {state.version_table} says so"
        )
    return None


def _context(
    args: argparse.Namespace,
    history: History,
    state: DatabaseState,
    table_source: str | None,
    cwd: Path,
) -> str:
    """Where the URL came from, how the connection was kept read-only, which table was read."""
    table = f"version table {state.version_table_name}"
    parts = [
        f"URL from {URL_SOURCE}",
        f"read-only: {state.read_only}",
        f"{table} (from {table_source})" if table_source else table,
    ]
    other = _config_url(history)
    named = _identity(other) if other is not None else None
    if other is not None and named is not None and named != _identity(args.database_url):
        parts.append(
            f"note: {_config_name(history, cwd)} sets sqlalchemy.url to {mask(other)}, another "
            "database: alembic uses that one unless env.py overrides it"
        )
    return "; ".join(parts)


def _config_name(history: History, cwd: Path) -> str:
    path = history.setup.config_path
    return "" if path is None else display_path(Path(path).resolve(), cwd.resolve())


def _config_url(history: History) -> str | None:
    """The ini's own literal sqlalchemy.url, when it names a real database."""
    path = history.setup.config_path
    if path is None or Path(path).suffix != ".ini":
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
        url = parser.get(history.setup.section, "sqlalchemy.url", fallback="").strip()
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    if not url or "%(" in url or url.startswith("driver://") or "${" in url:
        return None
    return url


def _identity(url: str) -> tuple[object, ...] | None:
    """Which database a URL names (engine, host, port, database); None if not a URL."""
    try:
        parsed = database_url(url)
    except UsageError:
        return None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return backend, Path(parsed.database or "").resolve()
    return backend, parsed.host, parsed.port, parsed.database
