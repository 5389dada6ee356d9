"""Lint rules, one module per rule.

Each rule module defines `RULE` (its entry in `catalog.RULES`) and
`check(ctx: LintContext) -> Iterator[Finding]`. Add a module here and to
`RULE_MODULES`; its docs page lives at `docs/rules/<CODE>.md`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RuleInfo
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.setup.discovery import AlembicSetup


@dataclass
class LintContext:
    setup: AlembicSetup
    graph: RevisionGraph
    cwd: Path
    # Revisions new relative to `--base` (None without --base: every revision counts).
    new_revisions: frozenset[str] | None = None
    # The base ref's graph, read from git objects (None without --base).
    base_graph: RevisionGraph | None = None
    # The `--base` ref as the user wrote it, for messages (None without --base).
    base_ref: str | None = None
    # `.pyc`-only revision files (sourceless): they cannot be read statically.
    sourceless: tuple[str, ...] = ()

    def is_new(self, revision: str) -> bool:
        return self.new_revisions is None or revision in self.new_revisions


Check = Callable[[LintContext], Iterator[Finding]]


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
    return [importlib.import_module(f"alembic_gate.rules.{name}") for name in RULE_MODULES]


def lint_rules() -> list[tuple[RuleInfo, Check]]:
    """Every lint rule with its check function, in code order."""
    rules: list[tuple[RuleInfo, Check]] = [(m.RULE, m.check) for m in _load()]
    return sorted(rules, key=lambda pair: pair[0].code)
