"""Lint rules, one module per rule.

Each rule module defines `RULE` (its entry in `catalog.RULES`) and
`check(ctx: LintContext) -> Iterator[Finding]`; a safety rule (AG1xx) defines
`check_revision(checked)` and `check = each_revision(check_revision)`, and `run_rules`
runs every safety rule in one pass. A rule may also define `notes(ctx) -> Iterator[str]`:
what it could not judge, said as a note of the report (no finding, no exit code; `rule_notes`).
Add a module here and to `RULE_MODULES`; its docs
page lives at `docs/rules/<CODE>.md`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from types import ModuleType

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RuleInfo
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.setup.discovery import AlembicSetup
from alembic_gate.shared.records import field, record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Any


@record
class LintContext:
    """What the lint rules read of one history, and what they share during a run."""

    setup: AlembicSetup
    graph: RevisionGraph
    # The current directory (paths in findings are relative to it), as a string.
    cwd: str
    # Revisions new relative to `--base` (None without --base: every revision counts).
    new_revisions: frozenset[str] | None = None
    # What the safety rules report on: `since` and `--base` (history.scope); None: all.
    # Revisions in scope have not run in production yet.
    scope: frozenset[str] | None = None
    # The revisions whose files were named on the command line (pre-commit passes the
    # changed ones): the safety rules report only on them; None when none were named.
    named: frozenset[str] | None = None
    # Git tag patterns that mark the project's releases (`release-tags`): a table the
    # same release created holds no production rows (history.releases).
    release_tags: tuple[str, ...] = ()
    # The base ref's graph, read from git objects (None without --base).
    base_graph: RevisionGraph | None = None
    # The `--base` ref as the user wrote it, for messages (None without --base).
    base_ref: str | None = None
    # `.pyc`-only revision files (sourceless): they cannot be read statically.
    sourceless: tuple[str, ...] = ()
    # On a merge checkout of the base and a pull request (GitHub's refs/pull/N/merge),
    # the graph at the pull request's own head: AG001 and AG010 judge that one.
    branch_graph: RevisionGraph | None = None
    # What the rules of one run compute once and share (the AG1xx rules' view of the
    # history: rules.ag1xx_history), by name.
    memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def in_scope(self, revision: str) -> bool:
        """Whether safety findings are reported for `revision`."""
        if self.named is not None and revision not in self.named:
            return False
        return self.scope is None or revision in self.scope

    def revisions_in_scope(self) -> Collection[str]:
        """The revisions `in_scope`, in file order, found without a call for each
        revision (a pre-commit run names one or two of thousands); every revision (the
        graph's own, not a copy) when nothing is left out."""
        found: Collection[str] = self.graph.by_id.keys()
        if self.named is not None:
            found = [rid for rid in found if rid in self.named]
        if self.scope is not None:
            found = [rid for rid in found if rid in self.scope]
        return found


if TYPE_CHECKING:
    Check = Callable[[LintContext], Iterator[Finding]]
    # A safety rule's check of one revision (rules.ag1xx.Checked).
    RevisionCheck = Callable[[Any], Iterator[Finding]]


# One module per rule, in code order.
RULE_MODULES = (
    "ag001_multiple_heads",
    "ag002_missing_down_revision",
    "ag003_missing_dependency",
    "ag004_duplicate_revision",
    "ag005_revision_cycle",
    "ag006_duplicate_branch_label",
    "ag007_unparsable_revision",
    "ag008_multiple_bases",
    "ag009_header_mismatch",
    "ag010_stale_parent",
    "ag011_empty_history",
    "ag101_not_null_column_without_default",
    "ag102_not_null_without_backfill",
    "ag103_drop_column_or_table",
    "ag104_rename_column_or_table",
    "ag105_index_not_concurrent",
    "ag106_column_type_change",
    "ag107_empty_downgrade",
)


def _load() -> list[ModuleType]:
    # each module itself, as importlib.import_module gives it (main._command)
    return [__import__(f"alembic_gate.rules.{name}", fromlist=["RULE"]) for name in RULE_MODULES]


def revision_checks() -> dict[str, RevisionCheck]:
    """The safety rules' checks of one revision, by code: lint runs them in one pass
    over the revisions in scope, so each revision's calls are unpacked once."""
    return {m.RULE.code: m.check_revision for m in _load() if hasattr(m, "check_revision")}


def run_rules(ctx: LintContext, enabled: Callable[[str], bool]) -> list[Finding]:
    """The findings of every lint rule whose code `enabled` accepts, on one history."""
    return list(iter_rules(ctx, enabled))


def iter_rules(ctx: LintContext, enabled: Callable[[str], bool]) -> Iterator[Finding]:
    """`run_rules` one finding at a time, as the rules make them (a caller that counts
    some of them need not keep them): the graph rules first, then the safety rules in
    one pass over the revisions in scope."""
    per_revision = revision_checks()
    passes = []
    for info, check in lint_rules():
        if not enabled(info.code):
            continue
        if info.code in per_revision:
            passes.append(per_revision[info.code])
        else:
            yield from check(ctx)
    if passes:
        from alembic_gate.rules.ag1xx import checked_revisions, one_per_hazard

        for checked in checked_revisions(ctx):
            yield from one_per_hazard(checked, [f for each in passes for f in each(checked)])


def rule_notes(ctx: LintContext, enabled: Callable[[str], bool]) -> list[str]:
    """The notes of every lint rule whose code `enabled` accepts and that has any (a
    module's `notes(ctx)`), in code order."""
    return [
        note
        for m in _load()
        if hasattr(m, "notes") and enabled(m.RULE.code)
        for note in m.notes(ctx)
    ]


def lint_rules() -> list[tuple[RuleInfo, Check]]:
    """Every lint rule with its check function, in code order."""
    rules: list[tuple[RuleInfo, Check]] = [(m.RULE, m.check) for m in _load()]
    return sorted(rules, key=lambda pair: pair[0].code)
