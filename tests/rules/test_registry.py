"""Every lint code in the catalog has exactly one rule module, named after it."""

from __future__ import annotations

from alembic_gate.findings.catalog import RULES
from alembic_gate.rules import RULE_MODULES, lint_rules

LINT_CODES = sorted(code for code in RULES if code[2] in "01")


def test_every_lint_code_has_one_rule() -> None:
    assert [info.code for info, _ in lint_rules()] == LINT_CODES


def test_module_names_follow_the_codes() -> None:
    for name, info in zip(RULE_MODULES, (info for info, _ in lint_rules()), strict=True):
        assert name.startswith(info.code.lower() + "_")
        assert name.endswith(info.name.replace("-", "_"))
