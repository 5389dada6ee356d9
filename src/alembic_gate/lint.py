"""`alembic-gate lint`: static checks of the revision graph and of each revision file."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from alembic_gate import suppress
from alembic_gate.config import Settings, load_settings
from alembic_gate.findings import Finding, Report, sorted_findings
from alembic_gate.git_base import new_revisions, read_base_graph
from alembic_gate.output import parse_formats, write_reports
from alembic_gate.project import History, load_histories
from alembic_gate.rules import LintContext, lint_rules


def lint_history(
    history: History, settings: Settings, cwd: Path, base_ref: str | None = None
) -> list[Finding]:
    """Run every enabled lint rule on one history (with `base_ref`: against that git ref)."""
    base = read_base_graph(base_ref, history.setup, cwd, history.graph.files) if base_ref else None
    ctx = LintContext(
        setup=history.setup,
        graph=history.graph,
        cwd=cwd,
        sourceless=tuple(history.sourceless),
        new_revisions=None if base is None else new_revisions(history.graph, base),
        base_graph=base,
        base_ref=base_ref,
    )
    findings: list[Finding] = []
    for info, check in lint_rules():
        if settings.is_enabled(info.code):
            findings.extend(check(ctx))
    return findings


def lint_codes(settings: Settings) -> list[str]:
    return [info.code for info, _ in lint_rules() if settings.is_enabled(info.code)]


def build_report(
    command: str,
    findings: Iterable[Finding],
    histories: list[History],
    settings: Settings,
    ran: list[str],
    formats: list[str],
) -> Report:
    """Apply selection, severities and inline suppressions; add heads and the graph."""
    selected = settings.select(findings)
    suppressions = suppress.collect(rev for h in histories for rev in h.graph.files)
    kept, unused = suppress.apply(selected, suppressions, ran)
    report = Report(
        command=command,
        findings=sorted_findings(kept),
        heads=[head for h in histories for head in h.graph.heads],
        checks=ran,
        unused_suppressions=unused,
        fail_on=settings.fail_on,
    )
    if _wants_summary(formats):
        from alembic_gate.graph_render import mermaid_around_heads

        report.mermaid = [mermaid_around_heads(h.graph) for h in histories]
    return report


def _wants_summary(formats: list[str]) -> bool:
    has_github = any(f.split("=", 1)[0] == "github" for f in formats)
    return has_github and bool(os.environ.get("GITHUB_STEP_SUMMARY"))


def run(args: argparse.Namespace) -> int:
    targets = parse_formats(args.formats)
    cwd = Path.cwd()
    settings = load_settings(args, cwd)
    histories = load_histories(args, cwd)
    findings = [f for h in histories for f in lint_history(h, settings, cwd, args.base)]
    report = build_report("lint", findings, histories, settings, lint_codes(settings), args.formats)
    write_reports(report, targets)
    return report.exit_code
