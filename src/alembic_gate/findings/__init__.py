"""The one flat record every rule produces and every reporter reads."""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic_gate.shared.records import field, record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Literal

    from alembic_gate.findings.locks import RevisionLocks

    Severity = Literal["error", "warning", "info"]
    # How sure a rule is that the problem is real (as bandit's confidence), apart from
    # how bad it would be (severity): "high" when everything it needs was read from the
    # source.
    Confidence = Literal["high", "medium", "low"]

# Where a message's details start: "what is wrong; why and what else" or ". Then...".
# Compiled by `re` when first used: only reports with fingerprints need it.
_FIRST_CLAUSE = r"; |\. "
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@record(frozen=True)
class Finding:
    """One problem at one place.

    ``path`` is POSIX and relative to the current directory (or None), ``line`` is
    1-based (or None). ``fix`` is a command or code snippet that repairs the problem.
    ``key`` tells this finding apart from others of its code in its file (a revision
    id, say) and stays the same while other revisions come and go; reporters build
    fingerprints from code, path and ``identity()``, never from the whole message.
    ``confidence`` says how sure the rule is, where it had to judge from partial facts
    (a table named at run time, a history that does not say which database it runs on).
    """

    code: str
    name: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    fix: str | None = None
    key: str | None = None
    confidence: Confidence = "high"

    def identity(self) -> str:
        """``key``, or the message's first clause (what is wrong, before the details)."""
        if self.key is not None:
            return self.key
        return re.split(_FIRST_CLAUSE, self.message, maxsplit=1)[0]

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path or "", self.line or 0, self.code, self.message)


@record
class Report:
    """Everything one command run hands to the reporters."""

    command: str
    findings: list[Finding] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    # Each Alembic setup read, with its own heads (`heads` holds every setup's in one list):
    # config, section, versions (display paths), revisions, heads.
    setups: list[dict[str, object]] = field(default_factory=list)
    # The rule codes that ran: JUnit writes one testcase per check.
    checks: list[str] = field(default_factory=list)
    # Mermaid sources of the history around the heads, one per Alembic setup, for the
    # GitHub step summary.
    mermaid: list[str] = field(default_factory=list)
    # What a person should know about the run that is not a finding ("path:line: message"):
    # check's tables that seeding could not give rows.
    notes: list[str] = field(default_factory=list)
    # "path:line: ignore[AG009]" notes for suppressions that matched nothing.
    unused_suppressions: list[str] = field(default_factory=list)
    # Severity at or above which a finding fails the run.
    fail_on: Severity = "error"
    # Where a finding that names no file is shown (the setup's config file), for the
    # consumers that need a file on every finding (code scanning, Code Quality).
    anchor: str | None = None
    # What the run covered, in one line (lint: setups, revisions read, heads; check:
    # engine and version, revisions applied, seconds), so a pass over nothing cannot
    # look like a pass; None when the command has none.
    coverage: str | None = None
    # check on PostgreSQL: the locks each revision in scope took, for the lock tables of
    # the text report and the step summary.
    locks: list[RevisionLocks] = field(default_factory=list)

    def failing(self) -> list[Finding]:
        bar = SEVERITY_RANK[self.fail_on]
        return [f for f in self.findings if SEVERITY_RANK[f.severity] >= bar]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing() else 0


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings in report order, each said once: a helper read once for each
    dialect branch that calls it can give the same finding twice."""
    return sorted(dict.fromkeys(findings), key=Finding.sort_key)
