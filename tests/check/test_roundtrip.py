"""`check --roundtrip` with seeding (check.session's round trip, check.seeding's clear):
only seeding's own rows are deleted before the downgrade to base, foreign keys in a
cycle are no obstacle, what cannot be cleared is said (and no AG903 is claimed on it),
the tables the history did not create are compared at the base, and a round trip that
did not run says so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .conftest import Run

Project = Callable[[str], Path]
Check = Callable[..., Run]

SKIPPED = (
    "the round trip (--roundtrip) did not run: the upgrade (or the comparison after it) failed"
)


def notes(run: Run) -> list[str]:
    found: list[str] = json.loads(run.out)["notes"]
    return found


# -- a round trip that did not run -----------------------------------------------------------


def test_a_failed_upgrade_says_the_round_trip_did_not_run(project: Project, check: Check) -> None:
    project("failing")
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert run.codes() == ["AG901"]
    assert [note for note in notes(run) if "round trip" in note] == [
        f"{SKIPPED}, so no downgrade was checked (no AG903 does not mean the downgrades work)"
    ]
    text = check("--db", "sqlite", "--roundtrip")
    assert f"note: {SKIPPED}" in text.out
    # Without --roundtrip nothing is said about it.
    assert "round trip" not in check("--db", "sqlite").out


def test_an_uncommitted_upgrade_says_the_round_trip_did_not_run(
    project: Project, check: Check
) -> None:
    project("behind")
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert run.codes() == ["AG801"]
    assert any(
        note.startswith("the round trip (--roundtrip) did not run: the upgrade was not committed")
        for note in notes(run)
    )
