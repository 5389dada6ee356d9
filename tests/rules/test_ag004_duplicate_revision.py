from __future__ import annotations

from alembic_gate.findings import Report
from alembic_gate.reporters.common import fingerprints
from alembic_gate.rules.ag004_duplicate_revision import check

from .conftest import History


def test_unique_ids_are_fine(history: History) -> None:
    history.add("a")
    history.add("b", "a")
    assert history.run(check) == []


def test_each_file_of_a_duplicate_names_the_others(history: History) -> None:
    history.add("a")
    one = history.add("b", "a", name="b_add_user.py")
    two = history.add("b", "a", name="b_add_email.py")
    findings = sorted(history.run(check), key=lambda f: f.path or "")
    assert [(f.path, f.line) for f in findings] == [(two, 12), (one, 12)]
    assert f"'b' is also defined in {one}" in findings[0].message
    assert f"'b' is also defined in {two}" in findings[1].message
    assert "uuid" in (findings[0].fix or "")


def test_three_copies(history: History) -> None:
    history.add("a")
    for name in ("x.py", "y.py", "z.py"):
        history.add("a", name=name)
    findings = history.run(check)
    assert len(findings) == 4
    assert "versions/x.py, versions/y.py, versions/z.py" in findings[0].message


def test_fingerprint_holds_when_another_copy_comes(history: History) -> None:
    """The message names the other files: as the finding's identity it changed the
    fingerprints (SARIF, GitLab) of the findings already there when a third copy came."""

    def prints() -> dict[str | None, str]:
        report = Report("lint", findings=history.run(check))
        return {f.path: digest for f, digest in fingerprints(report)}

    history.add("a")
    history.add("b", "a", name="x.py")
    history.add("b", "a", name="y.py")
    before = prints()
    history.add("b", "a", name="z.py")
    after = prints()
    assert len(after) == 3
    assert {path: after[path] for path in before} == before


def test_a_child_or_dependent_is_named_and_the_fingerprint_holds(history: History) -> None:
    """With a child (or a dependent), alembic cannot upgrade to the heads (the dropped
    copy still counts as a head, below the child): each finding says so, and keeps the
    fingerprint it had before the child came."""

    def prints() -> dict[str | None, str]:
        report = Report("lint", findings=history.run(check))
        return {f.path: digest for f, digest in fingerprints(report)}

    history.add("a")
    history.add("b", "a", name="x.py")
    history.add("b", "a", name="y.py")
    before = prints()
    assert not any("upgrade heads" in f.message for f in history.run(check))
    history.add("d", "a", depends="b")
    messages = [f.message for f in history.run(check)]
    assert len(messages) == 2
    assert all("b has a dependent, d, so `alembic upgrade heads` and" in m for m in messages)
    history.add("c", "b")
    messages = [f.message for f in history.run(check)]
    assert all("b has a child, c, so `alembic upgrade heads` and" in m for m in messages)
    assert prints() == before
