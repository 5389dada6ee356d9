"""`alembic-gate graph`: draw each Alembic environment's revision graph."""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic_gate.history.load import History, load_histories
from alembic_gate.reporters.graph_render import comment, render
from alembic_gate.reporters.output import write_shown
from alembic_gate.shared.paths import display_path


def run(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    histories = load_histories(args, cwd)
    write_shown(draw(histories, args.graph_format, cwd))
    return 0


def draw(histories: list[History], fmt: str, cwd: Path) -> str:
    """Each history in `fmt`, under a comment naming its setup when there are several."""
    parts = []
    for history in histories:
        header = [comment(fmt, describe(history, cwd))] if len(histories) > 1 else []
        notes = [comment(fmt, f"not read (sourceless): {path}") for path in history.sourceless]
        parts.append("\n".join([*header, render(history.graph, fmt).rstrip("\n"), *notes]))
    return "\n\n".join(parts) + "\n"


def describe(history: History, cwd: Path) -> str:
    setup = history.setup
    if setup.config_path is None:
        folders = ", ".join(display_path(p, cwd) for p in setup.version_locations)
        return f"revisions in {folders}"
    return f"{display_path(setup.config_path, cwd)} [{setup.section}]"
