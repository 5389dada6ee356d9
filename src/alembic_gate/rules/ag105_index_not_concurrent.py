"""AG105: `create_index` on PostgreSQL without CONCURRENTLY inside an autocommit block.

Only where the index can be built on PostgreSQL: not in a branch for another dialect
(`if op.get_bind().dialect.name == "sqlite":`), not in a versions folder named after
another dialect, and not in a history that names other databases but never
PostgreSQL. Not for tables this revision creates or empties.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules.ag1xx import (
    POSTGRESQL,
    Checked,
    described,
    each_revision,
    name_confidence,
)

RULE = rule("AG105")
_OPTION = "postgresql_concurrently"


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass)."""
    for call in checked.calls:
        if call.name != "create_index" or checked.is_new_table(call.table, call):
            continue
        if checked.emptied(call):
            continue
        dialects, _ = checked.dialects(call)
        if dialects is not None and POSTGRESQL not in dialects:
            continue
        concurrently = call.options.get(_OPTION, False)
        if concurrently is False or concurrently is None:
            message = (
                f"create_index builds an index on {described(call.table)} without "
                f"{_OPTION}=True: CREATE INDEX blocks every write to the table "
                "until the index is built"
            )
        elif not call.autocommit:
            message = (
                f"create_index with {_OPTION}=True on {described(call.table)} runs "
                "inside the migration's transaction, where PostgreSQL refuses "
                "CREATE INDEX CONCURRENTLY"
            )
        else:
            continue
        confidence = name_confidence(call.table)
        if dialects is None:
            confidence = "medium"  # nothing says the history runs on PostgreSQL
            message += " (if this history runs on PostgreSQL)"
        yield checked.finding(RULE, call.line, message, _fix(call), confidence)


def _fix(call: Call) -> str:
    """The call rewritten as `op.create_index(..., postgresql_concurrently=True)` inside
    an autocommit block (batch_op's form gains the table name)."""
    statement = "op.create_index(..., postgresql_concurrently=True)"
    written = call.args_text or call.keywords_text
    if written and not (call.batch and call.table is None):
        args = list(call.args_text)
        if call.batch:
            args.insert(1, repr(call.table))
        keywords = [f"{name}={value}" for name, value in call.keywords_text if name != _OPTION]
        keywords.append(f"{_OPTION}=True")
        statement = f"op.create_index({', '.join([*args, *keywords])})"
    return f"with op.get_context().autocommit_block(): {statement}"


check = each_revision(check_revision)
