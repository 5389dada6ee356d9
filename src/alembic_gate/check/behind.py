"""AG801 in `check`: the throwaway database is short of the heads after `upgrade heads`.

With revisions applied, the wording and the fix are doctor's (the finding `doctor`
gives for that database); with none, doctor would speak of an empty or unversioned
database and of stamping, which is not the problem here. Either way check adds why
it happens in its own run.
"""

from __future__ import annotations

from pathlib import Path

from alembic_gate.check.protocol import Behind
from alembic_gate.doctor.diagnose import diagnose
from alembic_gate.doctor.state import DatabaseState
from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.load import History
from alembic_gate.shared.commands import fix_command

WHY = (
    "`upgrade heads` finished without an error but did not leave the database at the heads: "
    "env.py did not commit its transaction (with SQLAlchemy 2, a statement run on the "
    "connection before `context.begin_transaction()` starts a transaction that alembic "
    "leaves to env.py to commit), or it skipped running the migrations"
)
LISTED = 12


def behind_findings(history: History, behind: Behind, cwd: Path) -> list[Finding]:
    name = "the throwaway database" + (f" ({behind.engine})" if behind.engine else "")
    if not behind.versions:
        return [_nothing_applied(history, behind, name, cwd)]
    state = DatabaseState(
        url=name,
        dialect=behind.dialect,
        version_table=behind.version_table,
        version_table_schema=behind.version_table_schema,
        has_version_table=behind.has_version_table,
        versions=tuple(behind.versions),
    )
    return [
        RULES["AG801"].finding(f"{f.message}. {WHY}", f.path, f.line, f.fix)
        if f.code == "AG801"
        else f
        for f in diagnose(history, state, cwd=cwd)
    ]


def _nothing_applied(history: History, behind: Behind, name: str, cwd: Path) -> Finding:
    graph = history.graph
    pending = graph.topological()
    table = behind.version_table
    if behind.version_table_schema:
        table = f"{behind.version_table_schema}.{table}"
    state = (
        f"its {table} table is empty" if behind.has_version_table else f"it has no {table} table"
    )
    if behind.tables:
        state += f" (though these tables are there: {', '.join(behind.tables[:LISTED])})"
    shown = ", ".join(pending[:LISTED]) + (", ..." if len(pending) > LISTED else "")
    message = (
        f"{name} has no revision applied: {state}; {len(pending)} pending, oldest first: "
        f"{shown}. {WHY}"
    )
    first = graph.by_id[pending[0]] if pending else None
    setup = history.setup
    fix = fix_command(setup, cwd, "upgrade", "" if setup.flask else "heads").rstrip()
    return RULES["AG801"].finding(
        message, first.display if first else None, first.line if first else None, fix
    )
