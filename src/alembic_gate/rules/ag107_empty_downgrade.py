"""AG107: an empty `downgrade()`, or one that raises, while `upgrade()` changes the schema.

A data-only upgrade (UPDATE/INSERT/DELETE, Core DML, ORM session work, also through
Flask-SQLAlchemy's `db.session`) is not reported:
there is no schema to put back; nor is a column or table it adds and drops again, nor a
table's row level security switched off and on again around the rows' changes (Rhesis's
backfills: `ALTER TABLE t DISABLE ROW LEVEL SECURITY`, later `ENABLE`). An
upgrade that only runs SQL built at run time, or only calls code defined elsewhere, may
or may not change the schema: reported with
lower confidence, unless each function it calls is found in the project's files and
read as changing rows only (history.imported).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import SQL_METHODS, Call, Side
from alembic_gate.rules.ag1xx import Checked, each_revision, imported_reader, suppress_hint
from alembic_gate.shared.patterns import LazyPattern

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from alembic_gate.findings import Confidence

RULE = rule("AG107")
# Steps that change rows only, and steps that are no schema change by themselves (a
# call into imported code, "foreign", is judged as one the reader does not see).
_DATA_STEPS = frozenset({"backfill", "empty", "insert", "orm", "bulk_insert"})
# (The checks and validations read from SQL: the execute() that runs it is judged.)
_NOT_SCHEMA = frozenset(
    {
        "batch_alter_table",
        "run_async",
        "foreign",
        "commit",
        "not_null_check",
        "validate_constraint",
        "raise",
    }
    | SQL_METHODS
)
# One statement that switches a table's row level security (or its FORCE) on or off.
_ROW_SECURITY = LazyPattern(
    r"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([\w.\"]+)\s+"
    r"(ENABLE|DISABLE|FORCE|NO\s+FORCE)\s+ROW\s+LEVEL\s+SECURITY\s*;?\s*$",
    re.IGNORECASE,
)
# What each switch is undone by.
_OPPOSITE = {"ENABLE": "DISABLE", "DISABLE": "ENABLE", "FORCE": "NOFORCE", "NOFORCE": "FORCE"}


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass)."""
    upgrade, downgrade = checked.ops.upgrade, checked.ops.downgrade
    if upgrade.empty:
        return
    if downgrade.line is None:
        problem = "has no downgrade()"
    elif downgrade.raises:
        problem = "has a downgrade() that raises, so it cannot be rolled back"
    elif downgrade.empty:
        problem = (
            "has an empty downgrade(): `alembic downgrade` passes over it and "
            "leaves the schema as upgrade() made it"
        )
    else:
        return
    judged = _changes(checked)
    if judged is None:
        return
    what, confidence = judged
    message = f"revision {checked.rid} {what} but {problem}"
    fix = (
        "write the reverse operations in downgrade() (autogenerate emits them); "
        f"if the revision is meant to be one-way, say so with `{suppress_hint(RULE.code)}`"
    )
    yield checked.finding(RULE, downgrade.line, message, fix, confidence)


def _changes(checked: Checked) -> tuple[str, Confidence] | None:
    """What upgrade() does to the schema, as far as the source shows; None when it
    changes rows only (or does nothing but raise)."""
    upgrade = checked.ops.upgrade
    schema = built = data = False
    undone = _undone(upgrade.steps) | _switched_back(upgrade.steps)
    for step in upgrade.steps:
        if id(step) in undone or step.options.get("temporary"):
            data = True  # a scratch column or table, gone again when upgrade() ends
        elif step.name in _DATA_STEPS:
            data = True
        elif step.name in SQL_METHODS:
            schema = schema or step.sql_kind == "schema"
            data = data or step.sql_kind == "data"
            built = built or (step.sql_kind is None and step.sql is not None)
        elif step.name not in _NOT_SCHEMA:
            schema = True
    if schema:
        return "changes the schema in upgrade()", "high"
    if built:
        return "runs SQL built at run time in upgrade() (it may change the schema)", "medium"
    if data or upgrade.raises or _imported_change_rows_only(checked, upgrade):
        return None
    return "calls code defined elsewhere in upgrade() (it may change the schema)", "low"


def _undone(steps: list[Call]) -> set[int]:
    """The steps (by id) that a later step of the same upgrade() undoes: a column added
    and dropped again, a table created and dropped again (renku's `tmp_launcher_id`,
    which only carries ids while rows are copied), and the drops themselves."""
    made: dict[tuple[str, str, str], Call] = {}
    undone: set[int] = set()
    for step in steps:
        key = _made_key(step)
        if key is not None and step.name in ("add_column", "create_table"):
            made[key] = step
        elif key is not None and key in made:
            undone.update((id(made.pop(key)), id(step)))
    return undone


def _switched_back(steps: list[Call]) -> set[int]:
    """The SQL steps (by id) that switch a table's row level security one way and a
    later step of the same upgrade() switches it back: the schema ends as it began."""
    switched: dict[tuple[str, str], Call] = {}
    back: set[int] = set()
    for step in steps:
        if step.name not in SQL_METHODS or not isinstance(step.sql, str):
            continue
        found = _ROW_SECURITY.get().match(step.sql)
        if found is None:
            continue
        table = found.group(1).replace('"', "").lower()
        how = "".join(found.group(2).upper().split())
        earlier = switched.pop((table, _OPPOSITE[how]), None)
        if earlier is not None:
            back.update((id(earlier), id(step)))
        else:
            switched[(table, how)] = step
    return back


def _made_key(step: Call) -> tuple[str, str, str] | None:
    """What an add/drop of a column or a create/drop of a table is about."""
    table = (step.table or "").lower()
    if not table:
        return None
    if step.name in ("add_column", "drop_column") and step.column:
        return ("column", table, step.column.lower())
    if step.name in ("create_table", "drop_table"):
        return ("table", table, "")
    return None


def _imported_change_rows_only(checked: Checked, upgrade: Side) -> bool:
    """Whether upgrade() calls functions imported from the project, each found in the
    project's files and read as changing no schema (history.imported)."""
    origins = [step.foreign for step in upgrade.steps if step.foreign is not None]
    if not origins:
        return False
    reader = imported_reader(checked.ctx)
    return all(reader.changes_no_schema(origin, checked.rev.file) for origin in origins)


check = each_revision(check_revision)
