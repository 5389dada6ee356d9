"""One small reporter per output format: each turns a Report into the text to write."""

from __future__ import annotations

from collections.abc import Callable

from alembic_gate.findings import Report
from alembic_gate.reporters import github, gitlab, json_report, junit, sarif, text

Reporter = Callable[[Report], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "github": github.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "gitlab": gitlab.render,
    "junit": junit.render,
}
