"""AG105: `create_index` on PostgreSQL without CONCURRENTLY inside an autocommit block."""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator

from alembic_gate.catalog import rule
from alembic_gate.findings import Finding
from alembic_gate.operations import Call
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, quoted

RULE = rule("AG105")
_OPTION = "postgresql_concurrently"


def check(ctx: LintContext) -> Iterator[Finding]:
    for checked in checked_revisions(ctx, {"create_index"}):
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
    statement = "op.create_index(..., postgresql_concurrently=True)"
    if call.node is not None and not call.batch:
        node = copy.copy(call.node)
        node.keywords = [
            *(kw for kw in call.node.keywords if kw.arg != _OPTION),
            ast.keyword(arg=_OPTION, value=ast.Constant(True)),
        ]
        statement = ast.unparse(node)
    return f"with op.get_context().autocommit_block(): {statement}"
