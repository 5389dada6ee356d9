"""What the AG1xx safety rules share: the revisions they read, and which tables are new.

Only revisions in scope (`since`, `--base`: history.scope) are read. A table is new,
so nothing on it can break production, when this revision creates it, or (with a
scope) when a revision in scope that this one builds on creates it.
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
        if self.ctx.scope is not None:  # in scope: has not run in production yet
            scope |= self.ctx.graph.ancestors([self.rid]) & self.ctx.scope
        revs = [self.ctx.graph.by_id[rid] for rid in scope]
        creating = [rev for rev in revs if rev.mentions & {"create_table", "rename_table"}]
        calls = [call for rev in creating for call in operations(rev).upgrade.calls]
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


def checked_revisions(ctx: LintContext, *needs: set[str]) -> Iterator[Checked]:
    """Readable revisions the AG1xx rules apply to (those in scope: since, --base).

    Each of `needs` is a set of operation words (`RevisionFile.mentions`) of which
    the file must mention one outside downgrade(); other files are skipped unparsed.
    """
    candidates = list(ctx.graph.by_id)
    for words in needs:
        mentioned = set(ctx.graph.mentioning(words))
        candidates = [rid for rid in candidates if rid in mentioned]
    for rid in candidates:
        if not ctx.in_scope(rid):
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
