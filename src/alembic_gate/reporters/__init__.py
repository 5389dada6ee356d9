"""One small reporter per output format: each turns a Report into the text to write.

Each reporter module is imported only when its format is asked for, so a plain
`lint` run does not pay for XML or SARIF machinery.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic_gate.findings import Report

Reporter = Callable[[Report], str]


def _lazy(module: str) -> Reporter:
    def render(report: Report) -> str:
        # the module itself, as importlib.import_module gives it (main._command)
        loaded = __import__(f"alembic_gate.reporters.{module}", fromlist=["render"])
        rendered: str = loaded.render(report)
        return rendered

    render.__qualname__ = render.__name__ = f"{module}.render"
    return render


REPORTERS: dict[str, Reporter] = {
    "text": _lazy("text"),
    "github": _lazy("github"),
    "json": _lazy("json_report"),
    "sarif": _lazy("sarif"),
    "gitlab": _lazy("gitlab"),
    "junit": _lazy("junit"),
}
