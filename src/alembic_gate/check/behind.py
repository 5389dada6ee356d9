"""AG801 in `check`: the throwaway database is short of the heads after `upgrade heads`.

The wording and the fix come from doctor's diagnosis (the same finding `doctor`
gives for that database); check adds why it happens in its own run.
"""

from __future__ import annotations

from pathlib import Path

from alembic_gate.catalog import RULES
from alembic_gate.check.protocol import Behind
from alembic_gate.doctor.diagnose import diagnose
from alembic_gate.doctor.state import DatabaseState
from alembic_gate.findings import Finding
from alembic_gate.project import History

WHY = (
    "`upgrade heads` finished without an error but did not leave the database at the heads: "
    "env.py did not commit its transaction (with SQLAlchemy 2, a statement run on the "
    "connection before `context.begin_transaction()` starts a transaction that alembic "
    "leaves to env.py to commit), or it skipped running the migrations"
)


def behind_findings(history: History, behind: Behind, cwd: Path) -> list[Finding]:
    name = (
        f"the throwaway database ({behind.engine})" if behind.engine else "the throwaway database"
    )
    state = DatabaseState(
        url=name,
        dialect=behind.dialect,
        version_table=behind.version_table,
        version_table_schema=behind.version_table_schema,
        has_version_table=True,
        versions=tuple(behind.versions),
    )
    found = []
    for finding in diagnose(history, state, cwd=cwd):
        if finding.code not in {"AG801", "AG804"}:
            found.append(finding)
            continue
        # An empty version table is AG804 for doctor; in check it is the same fault.
        message = f"{finding.message}. {WHY}"
        found.append(RULES["AG801"].finding(message, finding.path, finding.line, finding.fix))
    return found
