"""AG105: `create_index` on PostgreSQL without CONCURRENTLY inside an autocommit block."""

from __future__ import annotations

import re
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, quoted

RULE = rule("AG105")
_OPTION = "postgresql_concurrently"


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx):
        for call in checked.ops.upgrade.calls:
            if call.name != "create_index" or checked.is_new_table(call.table):
                continue
            concurrently = call.options.get(_OPTION, False)
            if concurrently is False or concurrently is None:
                message = (
                    f"create_index builds an index on {quoted(call.table)} without "
                    f"{_OPTION}=True: CREATE INDEX blocks every write to the table "
                    "until the index is built"
                )
            elif not call.autocommit:
                message = (
                    f"create_index with {_OPTION}=True on {quoted(call.table)} runs "
                    "inside the migration's transaction, where PostgreSQL refuses "
                    "CREATE INDEX CONCURRENTLY"
                )
            else:
                continue
            yield checked.finding(RULE, call.line, message, _fix(call))


def _fix(call: Call) -> str:
    """The call rewritten as `op.create_index(..., postgresql_concurrently=True)` inside
    an autocommit block (batch_op's form gains the table name)."""
    statement = "op.create_index(..., postgresql_concurrently=True)"
    if (call.arguments or call.keywords) and not (call.batch and call.table is None):
        args = list(call.arguments)
        if call.batch:
            args = [_op_f(arg) for arg in args]
            args.insert(1, repr(call.table))
        args += [f"{k}={v}" if k else f"**{v}" for k, v in call.keywords if k != _OPTION]
        args.append(f"{_OPTION}=True")
        statement = f"op.create_index({', '.join(args)})"
    return f"with op.get_context().autocommit_block(): {statement}"


_ALIAS_F = re.compile(r"[A-Za-z_]\w*\.f\(")


def _op_f(arg: str) -> str:
    """`batch_op.f('ix_name')` -> `op.f('ix_name')`."""
    return "op.f(" + arg[arg.index(".f(") + 3 :] if _ALIAS_F.match(arg) else arg
