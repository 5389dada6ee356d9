"""Static warnings held against measurements: one finding per hazard and line."""

from __future__ import annotations

from alembic_gate.check.reconcile import Measurements, reconcile
from alembic_gate.findings import Finding

PATH = "migrations/versions/b2_add_email.py"


def static(code: str, line: int, path: str | None = PATH) -> Finding:
    return Finding(code, "rule", "warning", f"guess {code}", path, line)


def measured(code: str, line: int) -> Finding:
    return Finding(code, "measured", "error", f"measured {code}", PATH, line)


def test_without_measurements_static_warnings_stay() -> None:
    warnings = [static("AG101", 12), static("AG103", 14)]
    assert reconcile(warnings, Measurements()).findings == warnings


def test_a_measured_hazard_on_the_line_replaces_the_guess() -> None:
    runs = Measurements([measured("AG904", 12)])
    runs.watch("data", [(PATH, 12)])
    result = reconcile([static("AG101", 12)], runs)
    assert [f.code for f in result.findings] == ["AG904"]
    assert [f.code for f in result.confirmed] == ["AG101"]


def test_a_watched_line_without_hazard_drops_the_guess() -> None:
    runs = Measurements()
    runs.watch("data", [(PATH, 12)])
    result = reconcile([static("AG102", 12)], runs)
    assert result.findings == []
    assert [f.code for f in result.refuted] == ["AG102"]


def test_a_line_the_measurement_did_not_watch_keeps_the_guess() -> None:
    runs = Measurements()
    runs.watch("data", [(PATH, 30)])
    assert [f.code for f in reconcile([static("AG102", 12)], runs).findings] == ["AG102"]


def test_every_kind_that_ran_must_have_watched_the_line() -> None:
    # AG101 is answered by rows (data) only: a lock trace on empty tables watching its
    # line (and finding AG907 there, say) neither confirms nor refutes it.
    runs = Measurements([measured("AG907", 12)])
    runs.watch("locks", [(PATH, 12)])
    assert [f.code for f in reconcile([static("AG101", 12)], runs).findings] == [
        "AG101",
        "AG907",
    ]
    runs.watch("data", [(PATH, 40)])
    assert [f.code for f in reconcile([static("AG101", 12)], runs).findings] == [
        "AG101",
        "AG907",
    ]
    runs.watch("data", [(PATH, 12)])
    assert [f.code for f in reconcile([static("AG101", 12)], runs).findings] == ["AG907"]


def test_a_kind_that_did_not_run_does_not_count() -> None:
    # SQLite: no lock tracing at all, so rows alone decide AG101.
    runs = Measurements()
    runs.watch("data", [(PATH, 12)])
    assert reconcile([static("AG101", 12)], runs).findings == []


def test_a_lock_measurement_replaces_index_and_type_guesses() -> None:
    runs = Measurements([measured("AG906", 12)])
    runs.watch("locks", [(PATH, 12), (PATH, 14)])
    result = reconcile([static("AG105", 12), static("AG106", 14), static("AG106", 16)], runs)
    assert [(f.code, f.line) for f in result.findings] == [("AG106", 16), ("AG906", 12)]
    assert [f.code for f in result.confirmed] == ["AG105"]
    assert [f.code for f in result.refuted] == ["AG106"]


def test_rules_no_measurement_answers_stay() -> None:
    runs = Measurements()
    runs.watch("data", [(PATH, 14)])
    runs.watch("locks", [(PATH, 14)])
    assert [f.code for f in reconcile([static("AG103", 14)], runs).findings] == ["AG103"]


def test_findings_without_a_line_stay() -> None:
    runs = Measurements()
    runs.watch("locks", [(PATH, 1)])
    kept = static("AG105", 0, path=None)
    assert reconcile([kept], runs).findings == [kept]


def test_a_line_that_failed_with_rows_gets_no_lock_finding() -> None:
    runs = Measurements([measured("AG904", 12), measured("AG906", 12), measured("AG907", 12)])
    runs.watch("data", [(PATH, 12)])
    runs.watch("locks", [(PATH, 12)])
    assert [f.code for f in reconcile([], runs).findings] == ["AG904", "AG907"]
    runs = Measurements([measured("AG906", 12)])
    assert [f.code for f in reconcile([], runs).findings] == ["AG906"]


def test_a_batch_op_line_is_held_against_the_line_its_batch_ran_at() -> None:
    # Lines 21-23 lie in `with op.batch_alter_table(...)` on line 20: their statements
    # ran when the block ended, and the trace tied them to line 20.
    def runs_at(line: tuple[str, int]) -> tuple[str, int]:
        return (line[0], 20) if 21 <= line[1] <= 23 else line

    rewrite = Measurements([measured("AG905", 20)])
    rewrite.watch("locks", [(PATH, 20)])
    result = reconcile([static("AG106", 22)], rewrite, runs_at)
    assert [(f.code, f.line) for f in result.findings] == [("AG905", 20)]
    clean = Measurements()
    clean.watch("locks", [(PATH, 20)])
    assert reconcile([static("AG106", 22)], clean, runs_at).findings == []
    # A line the measurement watched itself is held against its own findings.
    own = Measurements([measured("AG905", 20)])
    own.watch("locks", [(PATH, 20), (PATH, 22)])
    assert [f.code for f in reconcile([static("AG106", 22)], own, runs_at).findings] == ["AG905"]
    assert [f.code for f in reconcile([static("AG106", 22)], own, runs_at).refuted] == ["AG106"]
    assert [f.code for f in reconcile([static("AG106", 30)], clean, runs_at).findings] == ["AG106"]
