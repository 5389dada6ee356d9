"""`alembic-gate lint`: static checks of the revision graph and of each revision file."""

from __future__ import annotations

import argparse
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from alembic_gate.findings import Finding, Report, sorted_findings, suppress
from alembic_gate.history.load import History, load_histories
from alembic_gate.history.scope import check_since_known, safety_scope
from alembic_gate.reporters.output import parse_formats, wants_step_summary, write_reports
from alembic_gate.rules import LintContext, lint_rules
from alembic_gate.setup.settings import Settings, load_settings
from alembic_gate.shared.paths import display_path


def lint_context(
    history: History, cwd: Path, base_ref: str | None = None, since: Sequence[str] = ()
) -> LintContext:
    """What the rules read; with `base_ref`, also that git ref's history."""
    ctx = LintContext(
        setup=history.setup,
        graph=history.graph,
        cwd=cwd,
        sourceless=tuple(history.sourceless),
    )
    if base_ref:
        from alembic_gate.history import git_base  # only with --base

        files = history.graph.files
        ctx.base_graph = git_base.read_base_graph(base_ref, history.setup, cwd, files)
        head = git_base.merged_head(base_ref, cwd)
        if head is not None:  # a pull request's merge checkout: judge its own head
            ctx.branch_graph = git_base.read_base_graph(head, history.setup, cwd, files)
        branch = ctx.branch_graph or history.graph
        ctx.new_revisions = git_base.new_revisions(branch, ctx.base_graph)
        ctx.base_ref = base_ref
    ctx.scope = safety_scope(history.graph, since, ctx.new_revisions)
    return ctx


def lint_history(ctx: LintContext, settings: Settings) -> list[Finding]:
    """Run every enabled lint rule on one history."""
    findings: list[Finding] = []
    for info, check in lint_rules():
        if settings.is_enabled(info.code):
            findings.extend(check(ctx))
    return findings


def unread(ctx: LintContext, settings: Settings) -> set[tuple[str, str]]:
    """(path, code) of the AG1xx rules for files the scope (since, --base) kept them
    from reading: a suppression there is not unused, only not looked at this time."""
    if ctx.scope is None:
        return set()
    codes = [code for code in lint_codes(settings) if code.startswith("AG1")]
    old = [rev for rid, rev in ctx.graph.by_id.items() if rid not in ctx.scope]
    return {(rev.display, code) for rev in old for code in codes}


def lint_codes(settings: Settings) -> list[str]:
    return [info.code for info, _ in lint_rules() if settings.is_enabled(info.code)]


def build_report(
    command: str,
    findings: Iterable[Finding],
    histories: list[History],
    settings: Settings,
    ran: list[str],
    formats: list[str],
    unread: Collection[tuple[str, str]] = (),
    new: Sequence[frozenset[str] | None] = (),
) -> Report:
    """Apply selection, severities and inline suppressions; add heads and the graph.
    Suppressions for the (path, code) pairs in `unread` are left out; `new` holds each
    history's revisions new relative to `--base` (marked in the graph)."""
    selected = settings.select(findings)
    collected = suppress.collect(rev for h in histories for rev in h.graph.files)
    suppressions = [s for s in collected if (s.path, s.code) not in unread]
    kept, unused = suppress.apply(selected, suppressions, ran)
    report = Report(
        command=command,
        findings=sorted_findings(kept),
        heads=[head for h in histories for head in h.graph.heads],
        checks=ran,
        unused_suppressions=unused,
        fail_on=settings.fail_on,
        anchor=_anchor(histories),
    )
    if wants_step_summary(parse_formats(formats)):
        from alembic_gate.reporters.graph_render import summary_graph

        marked = [*new, *[None] * len(histories)]
        report.mermaid = [summary_graph(h, marked[i]) for i, h in enumerate(histories)]
    return report


def _anchor(histories: list[History]) -> str | None:
    """The config file of the first setup: where findings without a file are shown."""
    configs = [h.setup.config_path for h in histories if h.setup.config_path is not None]
    return display_path(configs[0], Path.cwd()) if configs else None


def run(args: argparse.Namespace) -> int:
    targets = parse_formats(args.formats)
    cwd = Path.cwd()
    settings = load_settings(args, cwd)
    histories = load_histories(args, cwd)
    check_since_known((h.graph for h in histories), settings.since)
    contexts = [lint_context(h, cwd, args.base, settings.since) for h in histories]
    findings = [f for ctx in contexts for f in lint_history(ctx, settings)]
    skipped = {pair for ctx in contexts for pair in unread(ctx, settings)}
    ran = lint_codes(settings)
    new = [ctx.new_revisions for ctx in contexts]
    report = build_report("lint", findings, histories, settings, ran, args.formats, skipped, new)
    write_reports(report, targets)
    return report.exit_code
