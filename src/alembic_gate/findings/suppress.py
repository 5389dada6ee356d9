"""Inline suppression: `# alembic-gate: ignore[AG009]` on the offending line,
or on a line of its own in the file's header for the whole file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alembic_gate.errors import UsageError
from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.revisions import RevisionFile


@dataclass(frozen=True)
class Suppression:
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
        for line, codes in sorted(rev.suppressions.items()):
            for code in sorted(codes):
                if code not in RULES:
                    where = rev.display if line == 0 else f"{rev.display}:{line}"
                    raise UsageError(f"{where}: unknown rule code {code!r} in ignore[...]")
                found.append(Suppression(rev.display, line, code))
    return found


def apply(
    findings: Iterable[Finding], suppressions: list[Suppression], ran: Iterable[str]
) -> tuple[list[Finding], list[str]]:
    """Findings left after suppression, and notes on suppressions of rules that ran
    but matched nothing. One dict lookup per finding (file-wide, then its line)."""
    index: dict[tuple[str, int, str], Suppression] = {}
    for suppression in suppressions:
        index.setdefault((suppression.path, suppression.line, suppression.code), suppression)
    used: set[Suppression] = set()
    kept = []
    for finding in findings:
        match = None
        if finding.path is not None:
            match = index.get((finding.path, 0, finding.code))
            if match is None and finding.line is not None:
                match = index.get((finding.path, finding.line, finding.code))
        if match is None:
            kept.append(finding)
        else:
            used.add(match)
    checked = set(ran)
    unused = [s.describe() for s in suppressions if s not in used and s.code in checked]
    return kept, unused
