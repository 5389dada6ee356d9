"""The one flat record every rule produces and every reporter reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    ``path`` is POSIX and relative to the current directory (or None), ``line`` is
    1-based (or None). ``fix`` is a command or code snippet that repairs the problem.
    """

    code: str
    name: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    fix: str | None = None

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path or "", self.line or 0, self.code, self.message)


@dataclass
class Report:
    """Everything one command run hands to the reporters."""

    command: str
    findings: list[Finding] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    # The rule codes that ran: JUnit writes one testcase per check.
    checks: list[str] = field(default_factory=list)
    # Mermaid sources of the history around the heads, one per Alembic setup, for the
    # GitHub step summary.
    mermaid: list[str] = field(default_factory=list)
    # "path:line: ignore[AG009]" notes for suppressions that matched nothing.
    unused_suppressions: list[str] = field(default_factory=list)
    # Severity at or above which a finding fails the run.
    fail_on: Severity = "error"
    # What the run covered, in a few words ("2 setups, 141 revisions read, 2 heads"),
    # so a pass over nothing cannot look like a pass; None when the command has none.
    coverage: str | None = None

    def failing(self) -> list[Finding]:
        bar = SEVERITY_RANK[self.fail_on]
        return [f for f in self.findings if SEVERITY_RANK[f.severity] >= bar]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing() else 0


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
