"""Inline suppression: `# alembic-gate: ignore[AG009]` on the offending line,
or on a line of its own in the file's header for the whole file."""

from __future__ import annotations

from collections.abc import Iterable

from alembic_gate.errors import UsageError
from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.shared.records import record


@record(frozen=True)
class Suppression:
    """One `ignore[CODE]` comment: the file, its line (0: the whole file) and the code."""

    path: str
    line: int  # 0: the whole file
    code: str

    def describe(self) -> str:
        where = self.path if self.line == 0 else f"{self.path}:{self.line}"
        return f"{where}: unused suppression ignore[{self.code}]"


def collect(files: Iterable[RevisionFile]) -> list[Suppression]:
    """Every suppression in the files; an unknown code is a configuration error."""
    found = []
    for rev in files:
        if not rev.suppressions:  # most files have none: nothing to sort
            continue
        for line, codes in sorted(rev.suppressions.items()):
            for code in sorted(codes):
                if code not in RULES:
                    where = rev.display if line == 0 else f"{rev.display}:{line}"
                    raise UsageError(f"{where}: unknown rule code {code!r} in ignore[...]")
                found.append(Suppression(rev.display, line, code))
    return found


class Suppressions:
    """The suppressions of one run, looked up one finding at a time (file-wide, then its
    line: one dict lookup each), remembering which matched: a run can filter findings
    as the rules make them and still say at the end which suppressions went unused."""

    def __init__(self, suppressions: list[Suppression]) -> None:
        self.suppressions = suppressions
        self._index: dict[tuple[str, int, str], Suppression] = {}
        for suppression in suppressions:
            key = (suppression.path, suppression.line, suppression.code)
            self._index.setdefault(key, suppression)
        self._used: set[Suppression] = set()

    def matches(self, finding: Finding) -> bool:
        """Whether a suppression silences `finding` (it then counts as used)."""
        if finding.path is None:
            return False
        match = self._index.get((finding.path, 0, finding.code))
        if match is None and finding.line is not None:
            match = self._index.get((finding.path, finding.line, finding.code))
        if match is None:
            return False
        self._used.add(match)
        return True

    def unused(self, ran: Iterable[str]) -> list[str]:
        """Notes on the suppressions of rules that ran but matched nothing."""
        checked = set(ran)
        return [
            s.describe() for s in self.suppressions if s not in self._used and s.code in checked
        ]


def apply(
    findings: Iterable[Finding], suppressions: list[Suppression], ran: Iterable[str]
) -> tuple[list[Finding], list[str]]:
    """Findings left after suppression, and notes on suppressions of rules that ran
    but matched nothing."""
    index = Suppressions(suppressions)
    kept = [finding for finding in findings if not index.matches(finding)]
    return kept, index.unused(ran)
