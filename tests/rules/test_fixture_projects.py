"""The graph rules on the whole fixture projects: real alembic trees, no findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alembic_gate.history.load import load_history
from alembic_gate.rules import LintContext, lint_rules
from alembic_gate.setup.discovery import find_setups

PROJECTS = Path(__file__).parent.parent / "projects"
CLEAN = [
    "plain",
    "flask_app",
    "pyproject_cfg",
    "package_location",
    "multi_locations",
    "here_interp",
]


@pytest.mark.parametrize("name", CLEAN)
def test_graph_rules_find_nothing_in_a_clean_project(name: str, tmp_path: Path) -> None:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root, ignore=shutil.ignore_patterns(".alembic-gate-cache"))
    (setup,) = find_setups([], "alembic", [], False, root)
    history = load_history(setup, root, use_cache=False)
    ctx = LintContext(setup, history.graph, str(root), sourceless=tuple(history.sourceless))
    graph_rules = [check for rule, check in lint_rules() if rule.code < "AG010"]
    assert len(graph_rules) == 9
    assert [finding for check in graph_rules for finding in check(ctx)] == []
    assert history.graph.by_id


def test_the_multiple_locations_project_has_two_labelled_heads_and_bases(tmp_path: Path) -> None:
    root = tmp_path / "multi_locations"
    shutil.copytree(
        PROJECTS / "multi_locations", root, ignore=shutil.ignore_patterns(".alembic-gate-cache")
    )
    (setup,) = find_setups([], "alembic", [], False, root)
    graph = load_history(setup, root, use_cache=False).graph
    assert len(graph.heads) == 2
    assert len(graph.bases) == 2
