"""`alembic-gate lint`: static checks of the revision graph and of each revision file."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence

from alembic_gate.errors import UsageError
from alembic_gate.findings import Finding, Report, sorted_findings, suppress
from alembic_gate.findings.suppress import Suppressions
from alembic_gate.history.cache import CollectorPaused
from alembic_gate.history.load import History, load_history, setups_from_args
from alembic_gate.history.operations import expect_history, forget
from alembic_gate.history.scope import check_since_known, safety_scope
from alembic_gate.main import keep_until_exit
from alembic_gate.reporters.output import parse_formats, wants_step_summary, write_reports
from alembic_gate.rules import LintContext, iter_rules, lint_rules, rule_notes
from alembic_gate.rules.ag1xx import unchecked_notes
from alembic_gate.setup.discovery import AlembicSetup
from alembic_gate.setup.settings import Settings, load_settings
from alembic_gate.shared.paths import below, display_path

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    import argparse

    from alembic_gate.findings import Severity
    from alembic_gate.history.graph import RevisionGraph

# The safety rules: the ones the scope (since, --base, files) applies to.
SAFETY = "AG1"


def lint_context(
    history: History,
    cwd: str,
    base_ref: str | None = None,
    since: Sequence[str] = (),
    files: Sequence[str] = (),
    release_tags: Sequence[str] = (),
) -> LintContext:
    """What the rules read; with `base_ref`, also that git ref's history; with `files`
    (pre-commit's changed files), the safety rules report on those revisions only;
    `release_tags`: the tag patterns that mark releases."""
    ctx = LintContext(
        setup=history.setup,
        graph=history.graph,
        cwd=cwd,
        sourceless=tuple(history.sourceless),
        release_tags=tuple(release_tags),
    )
    if base_ref:
        from pathlib import Path  # (git_base's paths: only with --base)

        from alembic_gate.history import git_base  # only with --base

        working = history.graph.files
        where = Path(cwd)
        ctx.base_graph = git_base.read_base_graph(base_ref, history.setup, where, working)
        head = git_base.merged_head(base_ref, where)
        if head is not None:  # a pull request's merge checkout: judge its own head
            ctx.branch_graph = git_base.read_base_graph(head, history.setup, where, working)
        branch = ctx.branch_graph or history.graph
        ctx.new_revisions = git_base.new_revisions(branch, ctx.base_graph)
        ctx.base_ref = base_ref
    ctx.scope = safety_scope(history.graph, since, ctx.new_revisions)
    if files:
        ctx.named = named_revisions(history, files, cwd)
    return ctx


def named_revisions(history: History, files: Sequence[str], cwd: str) -> frozenset[str]:
    """The revisions defined by the files named on the command line."""
    wanted = {os.path.realpath(os.path.join(cwd, name)) for name in files}
    basenames = {os.path.basename(path) for path in wanted}
    # `str.endswith` first: one C call a revision instead of a Python function
    ends = tuple(basenames)
    return frozenset(
        rid
        for rid, rev in history.graph.by_id.items()
        if rev.file.endswith(ends)
        and os.path.basename(rev.file) in basenames
        and os.path.realpath(rev.file) in wanted
    )


def unread(ctx: LintContext, settings: Settings) -> set[tuple[str, str]]:
    """(path, code) of the AG1xx rules for files the scope (since, --base, the files
    named) kept them from reading: a suppression there is not unused, only not looked
    at this time."""
    if ctx.scope is None and ctx.named is None:
        return set()
    codes = [code for code in lint_codes(settings) if code.startswith(SAFETY)]
    # Only files with suppressions matter (a pair for each of 1,000 files cost ~1 ms).
    old = [r for rid, r in ctx.graph.by_id.items() if r.suppressions and not ctx.in_scope(rid)]
    return {(rev.display, code) for rev in old for code in codes}


class OlderWarnings:
    """On a whole-history run (no since, --base or files): the safety findings about
    revisions that are not heads (the ones that can no longer change), counted as the
    rules make them and let go (23,000 of them on a 20,000-revision history), after the
    same selection and suppressions as the report's; the report keeps the heads' ones.
    `line()` says how many there are and how to set `since`."""

    def __init__(
        self, contexts: Sequence[LintContext], selection: Settings, suppressions: Suppressions
    ) -> None:
        self.contexts = contexts
        self.selection = selection  # the report's (build_report's `settings`)
        self.suppressions = suppressions
        graphs = [ctx.graph for ctx in contexts]
        self._heads = {g.by_id[rid].display for g in graphs for rid in g.heads}
        self.count = 0
        # How many revisions the counted findings are about, and the last one's path: the
        # safety rules make a revision's findings together (`iter_rules`: one pass over the
        # revisions, once per history), so a new path is a new revision, and no set of
        # paths is held (at 20,000 revisions, 12,000 display paths: 1.7 MiB).
        self.revisions = 0
        self._last: str | None = None
        # What the last revision's counted findings say: one said twice (a helper read for
        # each dialect branch that calls it) is counted once, as the report says it once
        # (their fields, not the findings, which are let go as they come).
        self._said: set[tuple[object, ...]] = set()

    def shown(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        """`findings` less the older safety ones, which are counted (unless the report
        would have dropped them: a rule not selected, a suppression, which is then used)."""
        for finding in findings:
            if not self._older(finding):
                yield finding
            elif self.selection.is_enabled(finding.code) and not self.suppressions.matches(finding):
                if finding.path != self._last:
                    self.revisions += 1
                    self._last = finding.path
                    self._said.clear()
                said = _said(finding)
                if said not in self._said:
                    self._said.add(said)
                    self.count += 1

    def _older(self, finding: Finding) -> bool:
        """A safety finding (always about a revision in the graph: `checked_revisions`)
        about a revision that is not a head."""
        return finding.code.startswith(SAFETY) and finding.path not in self._heads

    def line(self) -> str | None:
        """The line that says what was held back; None when nothing was."""
        if not self.count:
            return None
        count = self.revisions
        suggestion = _since_suggestion(self.contexts)
        noun = "warning" if self.count == 1 else "warnings"
        return (
            f"alembic-gate: {self.count} safety {noun} (AG1xx) about {count} older "
            f"revision{'s' if count != 1 else ''} not shown (only head revisions can still "
            f"change): set since = {suggestion} under [tool.alembic-gate] to make that the "
            "baseline, or name the files to check them"
        )


def _said(finding: Finding) -> tuple[object, ...]:
    """What a finding of a known revision says: equal for equal findings."""
    line, fix, key = finding.line, finding.fix, finding.key
    return (finding.code, finding.severity, finding.message, line, fix, key, finding.confidence)


def _since_suggestion(contexts: Sequence[LintContext]) -> str:
    """`"ab12"` (or a list, one per setup): the newest revision every head builds on;
    where the heads build on none in common (branches from bases of their own), the
    parents of each head."""
    found: list[str] = []
    for graph in (ctx.graph for ctx in contexts):
        common = _newest_common(graph)
        found += [common] if common else _heads_parents(graph)
    if not found:
        return '"<revision>"'
    quoted = [f'"{rid}"' for rid in found]
    return quoted[0] if len(quoted) == 1 else f"[{', '.join(quoted)}]"


def _heads_parents(graph: RevisionGraph) -> list[str]:
    return list(dict.fromkeys(parent for head in graph.heads for parent in graph.upstream(head)))


def _newest_common(graph: RevisionGraph) -> str | None:
    """The newest revision every head of `graph` builds on (the last of them in
    topological order); None when there is none."""
    heads = graph.heads
    below = graph.upstream(heads[0]) if len(heads) == 1 else ()
    if len(below) == 1 and not graph.cycles():
        # Everything below the one head is below its one parent, which comes last: no
        # set of the whole history (2 MiB at 20,000 revisions, at the run's peak).
        return below[0]
    common = set.intersection(*(graph.ancestors([h]) for h in heads)) if heads else set()
    common -= set(heads)
    return graph.topological(common)[-1] if common else None


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
    suppressions: Suppressions | None = None,
) -> Report:
    """Apply selection, severities and inline suppressions; add heads and the graph.
    Suppressions for the (path, code) pairs in `unread` are left out; `new` holds each
    history's revisions new relative to `--base` (marked in the graph). `suppressions`:
    the run's, when some findings were already matched against them (OlderWarnings)."""
    if suppressions is None:
        suppressions = run_suppressions(histories, unread)
    kept = [f for f in settings.selected(findings) if not suppressions.matches(f)]
    report = Report(
        command=command,
        findings=sorted_findings(kept),
        heads=[head for h in histories for head in h.graph.heads],
        setups=[setup_entry(h, os.getcwd()) for h in histories],
        checks=ran,
        unused_suppressions=suppressions.unused(ran),
        fail_on=settings.fail_on,
        anchor=_anchor(histories),
    )
    if wants_step_summary(parse_formats(formats)):
        from alembic_gate.reporters.graph_render import summary_graph

        marked = [*new, *[None] * len(histories)]
        report.mermaid = [summary_graph(h, marked[i]) for i, h in enumerate(histories)]
    return report


def setup_entry(history: History, cwd: str) -> dict[str, object]:
    """One setup as the JSON report gives it: where it is configured (config and section;
    None for one built from --versions), its version folders, and what was read."""
    setup = history.setup
    config = setup.config_path
    return {
        "config": None if config is None else display_path(config, cwd),
        "section": None if config is None else setup.section,
        "versions": [display_path(folder, cwd) for folder in setup.version_locations],
        "revisions": len(history.graph.files) + len(history.sourceless),
        "heads": list(history.graph.heads),
    }


def run_suppressions(
    histories: Sequence[History], unread: Collection[tuple[str, str]] = ()
) -> Suppressions:
    """The inline suppressions of every revision file, less those for the (path, code)
    pairs in `unread`."""
    collected = suppress.collect(rev for h in histories for rev in h.graph.files)
    return Suppressions([s for s in collected if (s.path, s.code) not in unread])


def _anchor(histories: list[History]) -> str | None:
    """The config file of the first setup: where findings without a file are shown."""
    configs = [h.setup.config_path for h in histories if h.setup.config_path is not None]
    return display_path(configs[0], os.getcwd()) if configs else None


def run(args: argparse.Namespace) -> int:
    # A short run that makes many objects and no garbage cycles: the cyclic collector
    # would only scan what was read, over and over.
    forget()
    with CollectorPaused():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    targets = parse_formats(args.formats)
    cwd = os.getcwd()
    here = load_settings(args, cwd)  # flags and the current directory's settings first
    files = existing_files(args.files, cwd)
    setups = owning(setups_from_args(args, cwd), files, cwd)
    use_cache = not args.no_cache
    histories = [load_history(setup, cwd, use_cache) for setup in setups]
    expect_history(sum(len(history.graph.files) for history in histories))
    per_setup = [_setup_settings(args, cwd, h.setup.working_dir, here) for h in histories]
    for since in dict.fromkeys(s.since for s in per_setup):
        check_since_known((h.graph for h in histories), since)
    contexts = [
        lint_context(history, cwd, args.base, settings.since, args.files, settings.release_tags)
        for history, settings in zip(histories, per_setup, strict=True)
    ]
    skipped: set[tuple[str, str]] = set()
    for ctx, settings in zip(contexts, per_setup, strict=True):
        skipped |= unread(ctx, settings)
    ran = [info.code for info, _ in lint_rules() if any(s.is_enabled(info.code) for s in per_setup)]
    merged = Settings(frozenset(ran), fail_on(args, here, per_setup))
    suppressions = run_suppressions(histories, skipped)
    # whole-history runs: the older safety warnings are counted, not shown
    unscoped = [c for c, s in zip(contexts, per_setup, strict=True) if not _scoped(args, s)]
    older = OlderWarnings(unscoped, merged, suppressions) if unscoped else None
    findings: list[Finding] = []
    for ctx, settings in zip(contexts, per_setup, strict=True):
        made = settings.selected(iter_rules(ctx, settings.is_enabled))
        findings += made if older is None else older.shown(made)
    new = [ctx.new_revisions for ctx in contexts]
    report = build_report(
        "lint", findings, histories, merged, ran, args.formats, skipped, new, suppressions
    )
    report.coverage = coverage(histories, ran)
    report.notes += unowned_notes(setups, files, cwd)
    report.notes += [note for ctx in contexts for note in unchecked_notes(ctx)]
    for ctx, settings in zip(contexts, per_setup, strict=True):
        report.notes += rule_notes(ctx, settings.is_enabled)
    note = older.line() if older is not None else None
    write_reports(report, targets)
    if note is not None:
        print(note, file=sys.stderr)
    keep_until_exit(histories, contexts, report)
    return report.exit_code


def _setup_settings(
    args: argparse.Namespace, cwd: str, folder: str | None, here: Settings
) -> Settings:
    """The settings of a setup that runs in `folder`: for one that runs in the current
    directory, `here`, read already (settings_file finds the same file for both)."""
    if folder is None or folder == cwd:
        return here
    return load_settings(args, cwd, folder)


def _scoped(args: argparse.Namespace, settings: Settings) -> bool:
    """Whether the safety rules report on part of the history only (since, --base, the
    files named)."""
    return bool(args.base or settings.since or args.files)


def existing_files(names: Sequence[str], cwd: str) -> list[str]:
    """The FILE arguments (pre-commit passes the changed files), absolute and normal; one
    that does not exist is a usage error, as in any linter."""
    if "" in names:
        # Joined to the current directory, "" would name it, which exists.
        raise UsageError("empty FILE argument ('' names no file)")
    paths = [os.path.normpath(os.path.join(cwd, name)) for name in names]
    missing = [name for name, path in zip(names, paths, strict=True) if not os.path.exists(path)]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    return paths


def owning(setups: list[AlembicSetup], files: Sequence[str], cwd: str) -> list[AlembicSetup]:
    """With setups found across a repository and FILE arguments, the setups those files
    belong to (a revision file, config or env.py of theirs); all of them when a file
    belongs to none (a settings file at the root)."""
    if not files or all(setup.working_dir in (None, cwd) for setup in setups):
        return setups
    owners = [[s for s in setups if _owns(s, path)] for path in files]
    if any(not found for found in owners):
        return setups
    wanted = {id(setup) for found in owners for setup in found}
    return [setup for setup in setups if id(setup) in wanted]


def unowned_notes(setups: Sequence[AlembicSetup], files: Sequence[str], cwd: str) -> list[str]:
    """A note for each Python file named (pre-commit's changed files) that no setup of the
    run holds: a revision file of a history no config found (an ini not named alembic.ini)
    was not checked, and the run must not pass it in silence."""
    return [
        f"{display_path(path, cwd)}: in no Alembic setup this run read, so it was not "
        "checked (give its config with -c, or its folder with --versions)"
        for path in files
        if path.endswith(".py") and not any(_owns(setup, path) for setup in setups)
    ]


def _owns(setup: AlembicSetup, path: str) -> bool:
    folders = [*setup.version_locations, setup.script_location]
    if any(folder is not None and below(path, folder) for folder in folders):
        return True
    own = [setup.config_path]
    if setup.working_dir is not None:
        own.append(os.path.join(setup.working_dir, "pyproject.toml"))
    return path in own


def fail_on(args: argparse.Namespace, here: Settings, per_setup: Sequence[Settings]) -> Severity:
    """One exit code per run: --fail-on, else the current directory's settings (`here`),
    else the setups' own settings when they agree ("error" when they do not)."""
    if args.fail_on:
        chosen: Severity = args.fail_on  # argparse's choices
        return chosen
    if here.source is not None or not per_setup:
        return here.fail_on
    values = {settings.fail_on for settings in per_setup}
    return values.pop() if len(values) == 1 else "error"


def coverage(histories: Sequence[History], ran: Sequence[str]) -> str:
    """What the run read: "2 setups, 141 revision files read, 2 heads"; first that it
    checked nothing when no rule of lint ran (`ran`), so such a pass cannot pass for one
    over everything."""
    files = sum(len(h.graph.files) + len(h.sourceless) for h in histories)
    heads = sum(len(h.graph.heads) for h in histories)
    nothing = "" if ran else "no lint rule is selected, nothing was checked; "
    return (
        f"{nothing}{_count(len(histories), 'setup')}, {_count(files, 'revision file')} read, "
        f"{_count(heads, 'head')}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
