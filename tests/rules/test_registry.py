"""Every lint code in the catalog has exactly one rule module, named after it."""

from __future__ import annotations

from pathlib import Path

from alembic_gate.findings import sorted_findings
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import RULE_MODULES, lint_rules, revision_checks, run_rules
from alembic_gate.setup.settings import Settings

from .ag1xx_helpers import add, users_history
from .conftest import History

LINT_CODES = sorted(code for code in RULES if code[2] in "01")


def test_every_lint_code_has_one_rule() -> None:
    assert [info.code for info, _ in lint_rules()] == LINT_CODES


def test_module_names_follow_the_codes() -> None:
    for name, info in zip(RULE_MODULES, (info for info, _ in lint_rules()), strict=True):
        assert name.startswith(info.code.lower() + "_")
        assert name.endswith(info.name.replace("-", "_"))


def test_every_safety_rule_checks_one_revision_at_a_time() -> None:
    safety = [info.code for info, _ in lint_rules() if info.code.startswith("AG1")]
    assert sorted(revision_checks()) == safety


def test_the_one_pass_finds_what_each_safety_rule_finds(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", 'op.add_column("users", sa.Column("x", sa.Integer(), nullable=False))')
    add(history, "c3", "b2", 'op.alter_column("users", "name", nullable=False)')
    add(
        history,
        "d4",
        "c3",
        'op.drop_column("users", "name")\nop.create_index("ix", "users", ["x"])',
    )
    add(history, "e5", "d5", 'op.rename_table("users", "people")')
    add(history, "f6", "e5", 'op.alter_column("people", "x", type_=sa.BigInteger())')
    ctx = history.context()
    codes = {info.code for info, _ in lint_rules()}
    one_pass = run_rules(ctx, Settings(frozenset(codes)).is_enabled)
    each = [f for info, check in lint_rules() for f in check(history.context())]
    assert sorted_findings(one_pass) == sorted_findings(each)
    assert {f.code for f in one_pass} >= {"AG101", "AG102", "AG103", "AG104", "AG105", "AG106"}


def test_revisions_in_scope_are_those_in_scope_says_are(tmp_path: Path) -> None:
    from alembic_gate.rules import LintContext
    from alembic_gate.setup.discovery import AlembicSetup

    graph = _chain(tmp_path, ["a1", "b2", "c3", "d4"])
    ids = list(graph.by_id)
    for named in (None, frozenset(), frozenset({"b2", "d4"})):
        for scope in (None, frozenset({"c3", "d4"})):
            ctx = LintContext(AlembicSetup(None, "alembic", None, ()), graph, str(tmp_path))
            ctx.named, ctx.scope = named, scope
            assert list(ctx.revisions_in_scope()) == [r for r in ids if ctx.in_scope(r)]


def _chain(folder: Path, ids: list[str]) -> RevisionGraph:
    files = [
        RevisionFile(f"{rid}.py", f"{rid}.py", revision=rid, parents=tuple(ids[:i][-1:]))
        for i, rid in enumerate(ids)
    ]
    return RevisionGraph.build(files)
