"""Every rule code the tool can report: name, default severity, one-line summary.

This is the single source for codes; rule modules, reporters (SARIF rule entries,
JUnit testcases), configuration validation and the docs test all read it.
"""

from __future__ import annotations

from alembic_gate.findings import Finding
from alembic_gate.shared.records import record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from alembic_gate.findings import Confidence, Severity

DOCS_URL = "https://github.com/alembic-gate/alembic-gate/blob/main/docs/rules/{code}.md"


@record(frozen=True)
class RuleInfo:
    """A rule's entry in the catalog: its code, name, default severity and summary."""

    code: str
    name: str
    severity: Severity
    summary: str
    # Opt-in rules run only when selected explicitly.
    default_enabled: bool = True

    @property
    def help_uri(self) -> str:
        return DOCS_URL.format(code=self.code)

    def finding(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        fix: str | None = None,
        *,
        key: str | None = None,
        confidence: Confidence = "high",
    ) -> Finding:
        return Finding(
            self.code,
            self.name,
            self.severity,
            message,
            path,
            line,
            fix,
            key=key,
            confidence=confidence,
        )


def _r(code: str, name: str, severity: Severity, summary: str, default: bool = True) -> RuleInfo:
    return RuleInfo(code, name, severity, summary, default)


RULES: dict[str, RuleInfo] = {
    r.code: r
    for r in (
        _r("AG001", "multiple-heads", "error", "The history has more than one head."),
        _r("AG002", "missing-down-revision", "error", "A down_revision names no revision."),
        _r("AG003", "missing-dependency", "error", "A depends_on names no revision or label."),
        _r("AG004", "duplicate-revision", "error", "One revision id is defined in two files."),
        _r("AG005", "revision-cycle", "error", "The revisions form a cycle."),
        _r("AG006", "duplicate-branch-label", "error", "One branch label is used twice."),
        _r("AG007", "unparsable-revision", "error", "A revision file cannot be read."),
        _r("AG008", "multiple-bases", "warning", "The history has more than one base."),
        _r(
            "AG009",
            "header-mismatch",
            "warning",
            "The docstring header disagrees with the revision variables.",
            default=False,
        ),
        _r("AG010", "stale-parent", "error", "A new revision sits on an outdated parent."),
        _r(
            "AG011",
            "empty-history",
            "warning",
            "A setup's version locations hold no revision file.",
        ),
        _r(
            "AG101",
            "not-null-column-without-default",
            "warning",
            "A NOT NULL column without server_default is added to an existing table.",
        ),
        _r(
            "AG102",
            "not-null-without-backfill",
            "warning",
            "A column is made NOT NULL with no backfill.",
        ),
        _r("AG103", "drop-column-or-table", "warning", "A column or table is dropped."),
        _r("AG104", "rename-column-or-table", "warning", "A column or table is renamed."),
        _r(
            "AG105",
            "index-not-concurrent",
            "warning",
            "An index is created without CONCURRENTLY on PostgreSQL.",
            default=False,
        ),
        _r("AG106", "column-type-change", "warning", "A column's type is changed."),
        _r(
            "AG107",
            "empty-downgrade",
            "info",
            "A downgrade is empty or raises while the upgrade is not.",
            default=False,
        ),
        _r("AG801", "database-behind", "error", "The database is behind head."),
        _r("AG802", "unversioned-database", "error", "The database has tables but no version."),
        _r(
            "AG803",
            "unknown-database-revision",
            "error",
            "The database names a revision no file defines.",
        ),
        _r("AG804", "empty-database", "error", "Nothing has been applied to the database."),
        _r("AG901", "upgrade-failed", "error", "A migration failed to apply."),
        _r("AG902", "schema-drift", "error", "The models and the migrated schema differ."),
        _r(
            "AG903",
            "downgrade-failed",
            "error",
            "A downgrade failed, or the round trip changed the schema.",
        ),
        _r(
            "AG904",
            "fails-with-data",
            "error",
            "A migration that passes on empty tables fails on tables that hold rows.",
        ),
        _r(
            "AG905",
            "table-rewrite",
            "warning",
            "A statement rewrote a table that existed before the revision (PostgreSQL).",
        ),
        _r(
            "AG906",
            "blocking-lock",
            "warning",
            "A statement took a lock that blocks writes or reads of an existing table "
            "(PostgreSQL).",
        ),
        _r(
            "AG907",
            "no-lock-timeout",
            "warning",
            "A revision takes ACCESS EXCLUSIVE on an existing table while lock_timeout "
            "is 0 (PostgreSQL).",
        ),
    )
}


def rule(code: str) -> RuleInfo:
    return RULES[code]
