"""One finding per hazard and line: lint's static guesses held against check's measurements.

The AG1xx safety rules guess from the source; `check` measures on a real database:
with rows in the tables (seeding: AG904) and, on PostgreSQL, the locks and rewrites each
statement takes (tracing: AG905-AG907). Where a measurement watched the line a static
warning points at, the measurement wins:

- it found a hazard there: the measured finding stands, the static one is dropped;
- it found none: the static one is dropped (shown not to reproduce);
- it did not watch that line (a table it could not fill, an engine it cannot trace,
  a revision out of scope): the static warning stays as it is.

A warning on a `batch_op.*` line is held against the line its statements ran at (the
batch's `with` line: `runs_at`) when the measurements say nothing of its own line: where
the batch copied the table (check.attribute ties statements to the batch_op.* line only
where the batch runs one ALTER per call).

A static warning is dropped only when every measurement that applies to its rule and
that ran in this check watched its line. A line that failed with rows (AG904) gets no
lock or rewrite finding (AG905, AG906): the statement ran again on emptied tables, so the
trace saw seeding's work rather than the statement's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from alembic_gate.findings import Finding
from alembic_gate.shared.records import field, record

# Which measurement kinds can confirm or refute each static rule.
MEASURES = {
    # NOT NULL added without a default: fails with rows. Not "locks": on the empty tables
    # lock tracing sees, that ADD COLUMN is an instant ACCESS EXCLUSIVE (at most AG907,
    # which says nothing of the failure), so a trace can neither confirm nor refute it.
    "AG101": ("data",),
    "AG102": ("data",),  # NOT NULL set without a backfill: fails where rows hold NULL
    "AG105": ("locks",),  # CREATE INDEX without CONCURRENTLY: blocks writes
    "AG106": ("locks",),  # column type change: may rewrite the table
}
# The codes each measurement kind reports.
MEASURED = {"data": ("AG904",), "locks": ("AG905", "AG906", "AG907")}

Line = tuple[str, int]


@record
class Measurements:
    """What the runs measured: findings, and per kind the (path, line)s watched."""

    findings: list[Finding] = field(default_factory=list)
    watched: dict[str, set[Line]] = field(default_factory=dict)

    def watch(self, kind: str, lines: Iterable[Line]) -> None:
        self.watched.setdefault(kind, set()).update(lines)

    def hazard_at(self, kinds: Sequence[str], line: Line) -> bool:
        codes = {code for kind in kinds for code in MEASURED[kind]}
        return any(f.code in codes and (f.path, f.line) == line for f in self.findings)


@record
class Reconciled:
    findings: list[Finding]
    # Static warnings a measurement showed not to reproduce, and those it confirmed.
    refuted: list[Finding] = field(default_factory=list)
    confirmed: list[Finding] = field(default_factory=list)


def reconcile(
    static: Sequence[Finding],
    measured: Measurements,
    runs_at: Callable[[Line], Line] | None = None,
) -> Reconciled:
    """`static` (lint's warnings) and `measured.findings`, one finding per hazard and line."""
    kept: list[Finding] = []
    result = Reconciled(kept)
    for finding in static:
        kinds = [k for k in MEASURES.get(finding.code, ()) if k in measured.watched]
        if not kinds or finding.path is None or finding.line is None:
            kept.append(finding)
            continue
        line = (finding.path, finding.line)
        if runs_at is not None and not _said(measured, kinds, line):
            line = runs_at(line)
        if measured.hazard_at(kinds, line):
            result.confirmed.append(finding)
        elif all(line in measured.watched[kind] for kind in kinds):
            result.refuted.append(finding)
        else:
            kept.append(finding)
    kept.extend(_measured(measured.findings))
    return result


def _said(measured: Measurements, kinds: Sequence[str], line: Line) -> bool:
    """Whether a measurement of `kinds` watched `line` or found a hazard there."""
    return measured.hazard_at(kinds, line) or any(line in measured.watched[k] for k in kinds)


# Statement findings a failure with rows makes moot: the statement failed, its tables were
# emptied and it ran again, so what the trace saw of it is seeding's work, not the hazard.
MOOT_AFTER_FAILURE = frozenset({"AG905", "AG906"})


def _measured(findings: Sequence[Finding]) -> list[Finding]:
    """The measured findings, without a lock or rewrite on a line that failed with rows."""
    failed = {(f.path, f.line) for f in findings if f.code == "AG904"}
    return [
        f for f in findings if not (f.code in MOOT_AFTER_FAILURE and (f.path, f.line) in failed)
    ]
