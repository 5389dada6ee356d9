"""Measurements taken while `check` migrates: what each revision does to a real database.

Runs in the worker. The session calls each observer

- `configured(context)` whenever env.py calls `context.configure()` with a connection
  to the throwaway database (a multi-database env.py does so once per engine);
- `before(step, context)` just before alembic applies a revision during `upgrade heads`,
  inside env.py's transaction;
- `after(step, context)` once that revision, its version-table update and alembic's
  `on_version_apply` callbacks have run (a revision that raised gets no `after`);
- `failed(step, exc)` when a revision raised, before the session reports it;
- `before_roundtrip()` once `upgrade heads` and the comparison are done and env.py's
  connections are closed, just before `--roundtrip` downgrades to base: undo what the
  measurement put into the databases (seeding's rows).

`step` is alembic's RevisionStep: `step.revision` is the Script (`.revision` id, `.path`).
At the end the session collects each observer's measured findings, notes, and the op.*
lines it watched (`Observed`), which the parent reconciles with lint's static warnings.
"""

from __future__ import annotations

from typing import Any

from alembic_gate.check.protocol import Note, Observed, RawFinding


class Observer:
    """Base class: every hook does nothing; subclasses override what they need."""

    def configured(self, context: Any) -> None:
        """env.py configured a MigrationContext on a connection to the throwaway database."""

    def before(self, step: Any, context: Any) -> None:
        """`step` is about to run."""

    def after(self, step: Any, context: Any) -> None:
        """`step` ran and its version row is written."""

    def failed(self, step: Any, exc: BaseException) -> None:
        """`step` raised `exc`."""

    def before_roundtrip(self) -> None:
        """The round trip is about to downgrade to base."""

    def findings(self) -> list[RawFinding]:
        return []

    def observed(self) -> list[Observed]:
        return []

    def notes(self) -> list[Note]:
        return []


class Observers(Observer):
    """Several observers called in order, as one."""

    def __init__(self, members: list[Observer] | None = None) -> None:
        self.members = list(members or [])

    def add(self, observer: Observer) -> None:
        self.members.append(observer)

    def configured(self, context: Any) -> None:
        for member in self.members:
            member.configured(context)

    def before(self, step: Any, context: Any) -> None:
        for member in self.members:
            member.before(step, context)

    def after(self, step: Any, context: Any) -> None:
        for member in self.members:
            member.after(step, context)

    def failed(self, step: Any, exc: BaseException) -> None:
        for member in self.members:
            member.failed(step, exc)

    def before_roundtrip(self) -> None:
        for member in self.members:
            member.before_roundtrip()

    def findings(self) -> list[RawFinding]:
        return [f for member in self.members for f in member.findings()]

    def observed(self) -> list[Observed]:
        return [o for member in self.members for o in member.observed()]

    def notes(self) -> list[Note]:
        return [n for member in self.members for n in member.notes()]
