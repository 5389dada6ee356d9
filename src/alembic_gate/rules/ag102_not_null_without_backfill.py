"""AG102: `alter_column(nullable=False)` with no backfill before it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call, operations
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx import checked_revisions, quoted

RULE = rule("AG102")


def check(ctx: LintContext) -> Iterator[Finding]:
    earlier = _EarlierFills(ctx)
    for checked in checked_revisions(ctx):
        calls = checked.ops.upgrade.calls
        for index, call in enumerate(calls):
            if call.name != "alter_column" or call.options.get("nullable") is not False:
                continue
            if checked.is_new_table(call.table) or _fills(call, calls[:index]):
                continue
            if not earlier.filled(checked.rid, call):
                yield checked.finding(RULE, call.line, _message(call), _fix(call))


class _EarlierFills:
    """The backfills of every revision, read once, and which revisions each one precedes."""

    def __init__(self, ctx: LintContext) -> None:
        self.ctx = ctx
        self._fills: dict[str, list[Call]] | None = None
        self._above: dict[str, set[str]] = {}

    def filled(self, rid: str, target: Call) -> bool:
        """Whether a revision that `rid` builds on fills `target`'s column."""
        for other, calls in self._by_revision().items():
            if other != rid and _fills(target, calls) and rid in self._descendants(other):
                return True
        return False

    def _by_revision(self) -> dict[str, list[Call]]:
        if self._fills is None:
            self._fills = {}
            for rid, rev in self.ctx.graph.by_id.items():
                calls = [c for c in operations(rev).upgrade.calls if _is_fill(c)]
                if calls:
                    self._fills[rid] = calls
        return self._fills

    def _descendants(self, rid: str) -> set[str]:
        if rid not in self._above:
            self._above[rid] = self.ctx.graph.descendants([rid])
        return self._above[rid]


def _is_fill(call: Call) -> bool:
    column = call.new_column
    return call.name == "backfill" or (column is not None and column.server_default)


def _fills(target: Call, calls: Iterable[Call]) -> bool:
    """An UPDATE of the table (or of a table that cannot be read), or the column
    added with a server_default, which fills the rows that existed."""
    table = (target.table or "").lower()
    for call in calls:
        other = (call.table or "").lower()
        if call.name == "backfill" and (not other or not table or other == table):
            return True
        column = call.new_column
        filled = column is not None and column.server_default and column.name == target.column
        if filled and other == table:
            return True
    return False


def _message(call: Call) -> str:
    return (
        f"alter_column makes {quoted(call.table, call.column)} NOT NULL, but neither this "
        "revision nor an earlier one backfills it (no UPDATE of the table): the ALTER "
        "fails if any row still holds NULL"
    )


def _fix(call: Call) -> str:
    table = call.table or "<table>"
    column = call.column or "<column>"
    return (
        f'op.execute("UPDATE {table} SET {column} = ... WHERE {column} IS NULL")'
        " before the alter_column, in this revision or an earlier one"
    )
