"""What the AG1xx safety rules share: the revisions they read, and which tables are new.

With `--base`, only revisions new relative to the base are read. A table is new,
so nothing on it can break production, when this revision creates it, or (with
`--base`) when a revision of this branch that this one builds on creates it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RuleInfo
from alembic_gate.history.operations import Operations, operations
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import LintContext


@dataclass
class Checked:
    """One revision an AG1xx rule reads."""

    ctx: LintContext
    rid: str
    rev: RevisionFile
    ops: Operations
    _new_tables: set[str] | None = field(default=None, repr=False)

    def is_new_table(self, table: str | None) -> bool:
        if table is None:
            return False
        if self._new_tables is None:
            self._new_tables = self._created_tables()
        return table.lower() in self._new_tables

    def _created_tables(self) -> set[str]:
        scope = {self.rid}
        if self.ctx.new_revisions is not None:
            scope |= self.ctx.graph.ancestors([self.rid]) & self.ctx.new_revisions
        revs = [self.ctx.graph.by_id[rid] for rid in scope]
        calls = [call for rev in revs for call in operations(rev).upgrade.calls]
        tables = {c.table.lower() for c in calls if c.name == "create_table" and c.table}
        renames = {
            (c.table.lower(), c.new_table.lower())
            for c in calls
            if c.name == "rename_table" and c.table and c.new_table
        }
        grown = True
        while grown:  # a new table renamed is still new, however often
            before = len(tables)
            tables |= {new for old, new in renames if old in tables}
            grown = len(tables) > before
        return tables

    def finding(self, info: RuleInfo, line: int | None, message: str, fix: str) -> Finding:
        return info.finding(message, self.rev.display, line or self.rev.line, fix)


def checked_revisions(ctx: LintContext) -> Iterator[Checked]:
    """Readable revisions the AG1xx rules apply to (with --base: the new ones), with
    the operations read by the one parse of each file."""
    for rid in ctx.graph.by_id:
        if not ctx.is_new(rid):
            continue
        rev = ctx.graph.by_id[rid]
        ops = operations(rev)
        if ops.problem is None:
            yield Checked(ctx, rid, rev, ops)


def quoted(table: str | None, column: str | None = None) -> str:
    """`"users.email"`, `"users"`, or a stand-in when a name is not a literal."""
    name = table or "<table>"
    if column is not None:
        name = f"{name}.{column}"
    return f'"{name}"'


def suppress_hint(code: str) -> str:
    return f"# alembic-gate: ignore[{code}]"
