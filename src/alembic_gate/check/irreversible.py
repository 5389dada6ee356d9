"""A round trip (`check --roundtrip`) stopped by a downgrade that cannot be undone.

A revision that cannot be undone says so in its downgrade (it raises), and carries
`# alembic-gate: ignore[AG903]` on its `def downgrade` line, as AG903.md says. The
finding is at the line that raised, so the suppression is matched against the `def`
line too; and the report says, in a note, what the stopped round trip did not run.
Runs in the caller's process, on the worker's findings.
"""

from __future__ import annotations

from pathlib import Path

from alembic_gate.check.locate import functions
from alembic_gate.findings import Finding
from alembic_gate.findings.suppress import Suppressions
from alembic_gate.setup.settings import Settings
from alembic_gate.shared.records import replace

# What a round trip's AG903 failures begin with (check.session's phases).
ROUND_TRIP_STEPS = ("downgrade", "upgrade after the downgrade to base")


def downgrade_suppressed(
    findings: list[Finding], suppressions: Suppressions, cwd: Path
) -> list[Finding]:
    """`findings` less the AG903 ones inside a `def downgrade` that carries the
    suppression on its own line: a revision that cannot be undone says so there (its
    downgrade raises), while the finding is at the line that raised."""
    kept = []
    for finding in findings:
        line = None
        if finding.code == "AG903" and finding.path and finding.line:
            line = downgrade_line(cwd / finding.path, finding.line)
        moved = line not in {None, finding.line}
        if not (moved and suppressions.matches(replace(finding, line=line))):
            kept.append(finding)
    return kept


def downgrade_line(path: Path, line: int) -> int | None:
    """The `def` line of the top-level downgrade function (`downgrade`, or a
    multi-database `downgrade_<engine>`) of `path` that holds `line`, or None."""
    for span in functions(str(path)).values():
        named = span.name == "downgrade" or span.name.startswith("downgrade_")
        if named and span.line <= line <= span.end:
            return span.line
    return None


def stopped_round_trip(
    findings: list[Finding], shown: list[Finding], settings: Settings
) -> list[str]:
    """Notes on the round trips a failure stopped whose AG903 the report leaves out (a
    downgrade that cannot be undone, suppressed): what did not run after it."""
    kept = {(f.code, f.path, f.line, f.message) for f in shown}
    how = "a suppressed" if settings.is_enabled("AG903") else "an ignored"
    notes = []
    for finding in findings:
        what, failed, _ = finding.message.partition(" failed: ")
        if finding.code != "AG903" or not failed or not what.startswith(ROUND_TRIP_STEPS):
            continue
        if (finding.code, finding.path, finding.line, finding.message) in kept:
            continue
        rest = (
            "the downgrades below it, the upgrade again"
            if what[0] == "d"
            else "the rest of the upgrade"
        )
        rest += " and the comparison did not run"
        where = ":".join(str(part) for part in (finding.path, finding.line) if part)
        note = f"the round trip stopped at {how} AG903 ({what} failed): {rest}"
        notes.append(f"{where}: {note}" if where else note)
    return notes
