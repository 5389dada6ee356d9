"""The diagnosis: a database's version rows held against the history read statically.

`diagnose(history, state)` returns the findings (AG801-AG804; none when the database
is at head); `status_line` says in one line where a healthy database stands.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_gate.doctor import broken
from alembic_gate.doctor.gitlog import Trace, trace_revision
from alembic_gate.doctor.matching import (
    Point,
    SchemaMatch,
    Start,
    managed_tables,
    match,
    match_start,
    start_schema,
    static_points,
)
from alembic_gate.doctor.state import DatabaseState
from alembic_gate.doctor.tables import TableChanges, already_there, read_table_changes
from alembic_gate.doctor.unread import advice, unread_definition
from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.history.load import History
from alembic_gate.reporters.common import visible
from alembic_gate.shared.commands import fix_command
from alembic_gate.shared.records import replace

if TYPE_CHECKING:
    from alembic_gate.findings import Confidence

# Pending revisions listed per branch before "and N more".
LISTED = 12
# How many missing parents to follow through git for a branch's fork point.
FORK_STEPS = 10
STATIC = "the tables and columns each revision's upgrade() makes, read from the files"
REPLAY = "a replay of the migrations in a throwaway SQLite database"
# Engines on which an upgrade that fails keeps the DDL it ran before the error.
_KEEPS_DDL = {
    "mysql": "MySQL and MariaDB commit each DDL statement as it runs: an upgrade",
    "mariadb": "MySQL and MariaDB commit each DDL statement as it runs: an upgrade",
    "sqlite": "Python's sqlite3 commits DDL it runs outside BEGIN: an upgrade",
}
# Pending revisions of AG801: the heads whose down_revision line they are on, and them.
Group = tuple[tuple[str, ...], list[str]]


def diagnose(
    history: History, state: DatabaseState, *, cwd: Path | None = None, replay: bool = False
) -> list[Finding]:
    """What is wrong with the database's Alembic state, each with its fix; [] at head.

    `replay` lets AG802 replay the migrations in a throwaway SQLite database (this
    imports the revision files) instead of reading them statically.
    """
    found = _Doctor(history, state, cwd or Path.cwd(), replay).findings()
    return [_escaped(finding) for finding in found]


def status_line(history: History, state: DatabaseState, cwd: Path | None = None) -> str:
    """One line for a database that needs nothing: where it stands."""
    doctor = _Doctor(history, state, cwd or Path.cwd(), replay=False)
    if not history.graph.by_id:
        return f"{state.url}: the history has no revisions, so there is nothing to apply"
    line = f"{state.url} is at head ({', '.join(state.versions)})"
    found = broken.reason(history.graph)
    merge = f"but {found}" if found else doctor.merge_note()
    return visible(f"{line}; {merge}" if merge else line)


def _escaped(finding: Finding) -> Finding:
    """`finding` with every control character written as a visible escape: names read
    from the database (tables, columns, version rows) may hold any, a newline or a
    terminal escape too. A fix keeps the newlines between its commands."""
    fix = finding.fix and "\n".join(visible(line) for line in finding.fix.split("\n"))
    return replace(finding, message=visible(finding.message), fix=fix)


class _Doctor:
    def __init__(self, history: History, state: DatabaseState, cwd: Path, replay: bool) -> None:
        self.history = history
        self.graph = history.graph
        self.state = state
        self.cwd = cwd
        self.replay = replay
        # Where a replay stopped, and the revisions it did not reach (oldest first).
        self.stopped: str | None = None
        self.unchecked: list[str] = []

    def findings(self) -> list[Finding]:
        first = broken.reason(self.graph)
        if first is None:
            return self.diagnosis()
        return [self.unfixable(finding, first) for finding in self.diagnosis()]

    @staticmethod
    def unfixable(finding: Finding, first: str) -> Finding:
        """`finding` after the reason alembic cannot load the history, without a fix that
        would run alembic on it (AG803's fixes restore files with git: they stay)."""
        message = f"{first[:1].upper()}{first[1:]}. Meanwhile: {finding.message}"
        fix = finding.fix if finding.code == "AG803" else None
        return replace(finding, message=message, fix=fix)

    def diagnosis(self) -> list[Finding]:
        versions = self.state.versions
        if not versions:
            if not self.graph.by_id:
                return []
            return [self.unversioned()] if self.state.tables else [self.empty()]
        unknown = [v for v in versions if v not in self.graph.by_id]
        if unknown:
            return [self.unknown(v) for v in unknown]
        overlap = self.overlapping()
        if overlap:
            return [overlap]
        behind = self.behind()
        return [behind] if behind else []

    # -- commands ------------------------------------------------------------

    def command(self, subcommand: str, *words: str) -> str:
        """The command this setup's users run (`flask db ...` for Flask-Migrate)."""
        return self.raw_command(subcommand, " ".join(shlex.quote(w) for w in words))

    def raw_command(self, subcommand: str, rest: str) -> str:
        return fix_command(self.history.setup, self.cwd, subcommand, rest).rstrip()

    def upgrade(self, target: str = "heads") -> str:
        if self.history.setup.flask and target == "heads" and len(self.graph.heads) == 1:
            return self.command("upgrade")
        return self.command("upgrade", target)

    def merge(self, heads: Sequence[str]) -> str:
        return self.raw_command("merge", '-m "merge heads" ' + " ".join(map(shlex.quote, heads)))

    # -- AG801 database-behind -------------------------------------------------

    def behind(self) -> Finding | None:
        applied = self.graph.ancestors(self.state.versions)
        pending = [r for r in self.graph.topological() if r not in applied]
        if not pending:
            return None
        heads = self.graph.heads
        groups = self._groups(applied, pending)
        first = self.graph.by_id[pending[0]]
        at = f"{self.state.url} is at {', '.join(self.state.versions)}"
        count = _count(len(pending), "revision")
        unaddressable = self.graph.without_own_label(heads)
        if len(heads) == 1:
            message = f"{at}; {count} pending, oldest first: {self.listing(pending)}"
            fix = self.upgrade()
        elif len(unaddressable) > 1:
            message, fix = self._needs_merge(at, unaddressable, groups)
        else:
            branches = "; ".join(self.group_text(o, todo, groups) for o, todo in groups)
            behind = [owners[0] for owners, _ in groups if len(owners) == 1]
            message = f"{at}; {count} pending on {_count(len(behind), 'branch')}: {branches}"
            label = self.own_label(behind[0]) if len(behind) == 1 else None
            fix = self.upgrade(f"{label}@head" if label else "heads")
        clash = self.half_applied(applied, pending)
        if clash is not None:
            rid, found = clash
            message += self.clash_text(rid, found)
            first = self.graph.by_id[rid]
            fix = f"# first drop {', '.join(found)} (or stamp {rid} if all of it ran), then:\n{fix}"
        return RULES["AG801"].finding(message, first.display, first.line, fix)

    def half_applied(self, applied: set[str], pending: list[str]) -> tuple[str, list[str]] | None:
        """The first pending revision upgrade runs next whose tables or columns the
        database already holds, with them: its upgrade would fail on them."""
        for rid in pending:
            if set(self.graph.parents_of(rid)) <= applied:
                found = already_there(self.changes[rid], self.state.tables)
                if found:
                    return rid, found
        return None

    def clash_text(self, rid: str, found: list[str]) -> str:
        """Why the upgrade doctor advises would fail, and what to do first."""
        one = len(found) == 1
        there = f"{', '.join(found)}, which it makes, {'is' if one else 'are'} there already"
        why = _KEEPS_DDL.get(self.state.dialect, "an upgrade run outside a transaction")
        return (
            f". But {rid}'s upgrade would fail at once: {there} ({why} that failed in this "
            f"revision kept what it had made, with no version row; or made by hand). Drop "
            f"{'it' if one else 'them'} first (check that no data of yours is in "
            f"{'it' if one else 'them'}), or, if all of {rid} ran, "
            f"`{self.command('stamp', rid)}` instead of upgrading"
        )

    def overlapping(self) -> Finding | None:
        """A version table holding a revision and one of its ancestors: alembic refuses
        it ("Requested revision X overlaps with other requested revisions Y"), so no
        upgrade runs until the ancestor's row is gone."""
        versions = self.state.versions
        below = set().union(*(self.graph.ancestors([v]) - {v} for v in versions))
        kept = [v for v in versions if v not in below]
        extra = [v for v in versions if v in below]
        if not extra or not kept:  # (none kept: a cycle, which the history's note names)
            return None
        whose = "its" if len(kept) == 1 else "their"
        ancestors = "ancestor" if len(extra) == 1 else "ancestors"
        message = (
            f"{self.state.url}'s {self.state.version_table_name} holds {', '.join(kept)} and "
            f"{whose} {ancestors} {', '.join(extra)}: a row stands for its revision and "
            "everything below it, so alembic refuses this table (upgrade fails with "
            '"Requested revision ... overlaps with other requested revisions", and '
            "`alembic check` says the database is not up to date). Replace the rows with "
            f"{', '.join(kept)} alone (`stamp --purge` empties the table first; no migration "
            "runs)"
        )
        fix = self.command("stamp", "--purge", *kept)
        then = _Doctor(self.history, replace(self.state, versions=tuple(kept)), self.cwd, False)
        behind = then.behind()
        if behind is not None:
            message += f". After that, {behind.message[:1].lower()}{behind.message[1:]}"
            fix += f"\n{behind.fix}" if behind.fix else ""
        first = self.graph.by_id[extra[0]]
        return RULES["AG801"].finding(message, first.display, first.line, fix)

    def _groups(self, applied: set[str], pending: list[str]) -> list[Group]:
        """The pending revisions by the heads not applied whose down_revision line they
        are on, each revision once, oldest group first. A revision only `depends_on`
        leads to (expand ones, for the contract branch) is not another head's; one
        below several heads (their trunk) forms a group of those heads."""
        heads = [h for h in self.graph.heads if h not in applied]
        owners: dict[str, list[str]] = {}
        for head in heads:
            for rid in self.graph.ancestors([head], include_dependencies=False) - applied:
                owners.setdefault(rid, []).append(head)
        groups: dict[tuple[str, ...], list[str]] = {}
        for rid in pending:
            groups.setdefault(tuple(owners.get(rid, heads[:1])), []).append(rid)
        return list(groups.items())

    def group_text(self, owners: tuple[str, ...], todo: list[str], groups: list[Group]) -> str:
        """One group of pending revisions: "branch expand: a (...), b (...)"."""
        if len(owners) > 1:
            labels = [self.own_label(h) for h in owners]
            if all(labels):
                name = f"below branches {' and '.join(str(label) for label in labels)}"
            else:
                name = f"below heads {' and '.join(owners)}"
            return f"{name}: {self.listing(todo)}"
        return f"{self.branch(owners[0])}: {self.listing(todo)}{self.also_needs(owners, groups)}"

    def also_needs(self, owners: tuple[str, ...], groups: list[Group]) -> str:
        """What else a head needs that another head's group lists: " (also needs ...)"."""
        needed = self.graph.ancestors(owners)
        parts = [
            f"{_count(n, 'revision')} listed under {self.where(other[0])}"
            for other, todo in groups
            if len(other) == 1 and other != owners
            for n in [len(needed.intersection(todo))]
            if n
        ]
        return f" (also needs {' and '.join(parts)})" if parts else ""

    def where(self, head: str) -> str:
        label = self.own_label(head)
        return f"branch {label}" if label else f"head {head}"

    def _needs_merge(self, at: str, heads: list[str], groups: list[Group]) -> tuple[str, str]:
        above = self.graph.descendants(self.state.versions)
        on = [h for h in heads if h in above]
        where = " and ".join(f"the branch of head {h}" for h in on) or "no branch's head"
        behind = "; ".join(self.group_text(o, todo, groups) for o, todo in groups)
        message = (
            f"The history has {len(heads)} heads that no branch label tells apart "
            f"({', '.join(heads)}): merge them (AG001), then upgrade. {at}, on {where}; "
            f"pending {behind}"
        )
        return message, f"{self.merge(heads)}\n{self.upgrade('head')}"

    def merge_note(self) -> str | None:
        heads = self.graph.without_own_label(self.graph.heads)
        if len(heads) < 2:
            return None
        return (
            f"but the history has {len(heads)} heads that need a merge (AG001): "
            f"`{self.merge(heads)}`"
        )

    def branch(self, head: str) -> str:
        label = self.own_label(head)
        return f"branch {label}" if label else f"towards head {head}"

    @cached_property
    def labels(self) -> Mapping[str, frozenset[str]]:
        return self.graph.labels()

    def own_label(self, head: str) -> str | None:
        others = [self.labels[h] for h in self.graph.heads if h != head]
        own = sorted(self.labels[head].difference(*others))
        return next((label for label in own if not label.startswith("?")), None)

    # -- AG802 unversioned-database / AG804 empty-database -------------------------

    def no_version(self) -> str:
        table = self.state.version_table_name
        if self.state.has_version_table:
            return f"its {table} table is empty"
        return f"it has no {table} table{self.lookalikes()}"

    def lookalikes(self) -> str:
        """A word on the tables shaped as a version table, which env.py may name so."""
        found = self.state.lookalikes
        if not found:
            return ""
        shape = "shaped as one, a single string column version_num"
        if len(found) == 1:
            return (
                f", but table {found[0]} is {shape}: if env.py names its version table so, "
                f"run doctor again with --version-table {found[0]}"
            )
        return (
            f", but tables {', '.join(found)} are each {shape}: if env.py names its version "
            "table as one of them, run doctor again with --version-table NAME"
        )

    def empty(self) -> Finding:
        if self.state.elsewhere:
            return self.empty_here()
        message = (
            f"{self.state.url} is empty ({self.no_version()}, and no tables): nothing has been "
            f"applied yet; {_count(len(self.graph.by_id), 'revision')} to apply"
        )
        return RULES["AG804"].finding(message, fix=self.upgrade())

    def empty_here(self) -> Finding:
        """AG804 for a database whose default schema is empty while other schemas hold
        tables: they may be this setup's, made where a search_path env.py sets points."""
        state = self.state
        schemas = list(state.elsewhere)
        tables = [f"{s}.{name}" for s in schemas for name in state.elsewhere[s]]
        which = "schema" if len(schemas) == 1 else "schemas"
        hold = "holds" if len(schemas) == 1 else "hold"
        more = ", ..." if len(tables) > LISTED else ""
        message = (
            f"{state.url} has no version row ({self.no_version()}) and its default schema "
            f"({state.default_schema}) is empty, but {which} {', '.join(schemas)} {hold} "
            f"{_count(len(tables), 'table')} ({', '.join(tables[:LISTED])}{more}). If the "
            "tables are this setup's (env.py may set a search_path to their schema), they were "
            "made without alembic and `upgrade` would fail on them: stamp the revision they "
            "match instead. If not, nothing has been applied yet; "
            f"{_count(len(self.graph.by_id), 'revision')} to apply"
        )
        return RULES["AG804"].finding(message, fix=self.upgrade(), confidence="medium")

    def unversioned(self) -> Finding:
        live = self.state.tables
        head = (
            f"{self.state.url} has {_count(len(live), 'table')} but no version row "
            f"({self.no_version()})"
        )
        start = match_start(self.graph, self.changes, live)
        if start is not None:
            return self.from_start(head, start)
        result = self.schema_match(replay=self.replay)
        sure = _confidence(result.unsure)
        if len(result.foreign) == len(live):
            message = ". ".join([self.none_created(head, result), *result.notes])
            return RULES["AG802"].finding(message, confidence=sure)
        parts = [head, *self.verdict(result)]
        decided = result.decided
        if decided is None:
            return RULES["AG802"].finding(". ".join(parts), confidence=sure)
        rev = self.graph.by_id[decided[-1]]
        return RULES["AG802"].finding(
            ". ".join(parts), rev.display, rev.line, self.command("stamp", *decided)
        )

    def none_created(self, head: str, result: SchemaMatch) -> str:
        """The message for a database none of whose tables a revision creates."""
        live = self.state.tables
        names = ", ".join(sorted(live)[:LISTED])
        them = "it" if len(live) == 1 else "any of them"
        if not result.unsure:
            return (
                f"{head}, and no revision creates {them} ({names}): is this the right "
                "database? Do not stamp it"
            )
        return (
            f"{head}, and no revision doctor could read creates {them} ({names}); but "
            f"{self.unsure(result.unsure)}, so this is not certain"
            f"{self.replay_hint(' ({})')}: it may be created there. Do not stamp it before "
            "you know which revision made it"
        )

    def from_start(self, head: str, start: Start) -> Finding:
        """AG802 for a schema holding tables the history alters but never creates, and
        none of those it creates: the schema it starts from, or a little past it."""
        live = self.state.tables
        first = sorted(set(start.tables.values()), key=self.graph.topological().index)
        named = sorted(set(live) & set(start.tables))
        bases = self.names(self.graph.bases)
        before = "the first revision" if len(self.graph.bases) == 1 else "the first revisions"
        sentences = [
            head,
            f"Its tables ({', '.join(named[:LISTED])}) are ones the history starts from: "
            f"{self.names(first[:3])} {'alters' if len(first) == 1 else 'alter'} them and no "
            "revision creates them, and none of the tables the history creates is there",
        ]
        fix: str | None = None
        rev = self.graph.by_id[self.graph.bases[0]]
        matches = start.matches
        unsure = (
            f"; but {self.unsure(start.unsure)}, so this is not certain" if start.unsure else ""
        )
        if matches == [()]:
            sentences.append(
                f"Its schema is the one before {before}, {bases} (compared with the tables and "
                "columns each revision's upgrade() changes, read from the files), which "
                f"{'that revision' if len(self.graph.bases) == 1 else 'they'} expect"
                f"{'s' if len(self.graph.bases) == 1 else ''}: apply every revision with "
                f"`upgrade` (it also records them in {self.state.version_table_name}); do not "
                f"stamp it{unsure}"
            )
            fix = None if start.unsure else self.upgrade()
        elif len(matches) == 1:
            rev = self.graph.by_id[matches[0][0]]
            sentences.append(
                f"Its schema matches {self.names(matches[0])}, compared with the tables and "
                "columns each revision's upgrade() changes, read from the files; tell alembic "
                f"so with `stamp` (no migration runs){unsure}"
            )
            fix = None if start.unsure else self.command("stamp", *matches[0])
        elif matches:
            options = " or ".join(
                self.names(m) if m else f"the state before {before}" for m in matches
            )
            sentences.append(
                f"Its tables and columns match {options} equally (they differ only in "
                "indexes, constraints, types or data, which doctor does not compare): check "
                f"which one it is, then `upgrade` from before {before}, or `stamp` the revision"
            )
        else:
            shown = "; ".join(start.differences[:LISTED])
            if start.unsure:
                sentences.append(
                    f"Its schema differs from the one before {before}, {bases}: {shown}; "
                    f"but {self.unsure(start.unsure)}, so doctor could not verify it: check "
                    "the schema by hand before you `upgrade` or `stamp`"
                )
            else:
                sentences.append(
                    f"But its schema is not the one before {before}, {bases}: {shown}. Bring "
                    "the schema to that state first (or migrate a fresh database); neither "
                    "`upgrade` nor `stamp` fits it now"
                )
        if start.foreign:
            sentences.append(
                "Tables the history never names, left out of the comparison: "
                + ", ".join(start.foreign[:LISTED])
            )
        if fix is None:
            return RULES["AG802"].finding(
                ". ".join(sentences), confidence=_confidence(start.unsure)
            )
        return RULES["AG802"].finding(". ".join(sentences), rev.display, rev.line, fix)

    def verdict(self, result: SchemaMatch) -> list[str]:
        """Sentences on what the live schema matches."""
        sentences: list[str] = []
        decided = result.decided
        if decided is not None:
            at_head = set(decided) == set(self.graph.heads)
            note = " (the head)" if at_head else ""
            sentences.append(
                f"Its schema matches {self.names(decided)}{note}, compared with "
                f"{result.method}; tell alembic so with `stamp` (no migration runs)"
            )
        elif result.matches and result.unsure:
            sentences.append(
                f"Its schema matches {' or '.join(self.names(m) for m in result.matches)} "
                f"(compared with {result.method}), but {self.unsure(result.unsure)}, so this "
                f"is not certain{self.replay_hint(' ({})')}; check before you stamp"
            )
        elif result.matches:
            options = " or ".join(self.names(m) for m in result.matches)
            sentences.append(
                f"Its tables and columns match {options} equally (they differ only in "
                "indexes, constraints, types or data, which doctor does not compare"
                f"{self.replay_hint('; {}')}): check which one the schema is at, then `stamp` "
                "that one"
            )
        elif result.nearest is not None and result.unsure:
            sentences.append(
                f"Its schema matches none of the revisions doctor could check "
                f"({result.method}); the nearest is {self.names(result.nearest)}, but: "
                f"{self.shown(result.differences)}. But doctor could not verify it: "
                f"{self.unsure(result.unsure)}{self.replay_hint('; {}')}. Do not stamp it "
                "before you know which revision the schema is at"
            )
        elif result.nearest is not None:
            shown = self.shown(result.differences)
            sentences.append(
                f"Its schema matches no revision ({result.method}{self.replay_hint('; {}')}); "
                f"the nearest is {self.names(result.nearest)}, but: {shown}. Bring the "
                "schema to a "
                "revision's state first (or migrate a fresh database); stamping now would "
                "record a schema that is not there"
            )
        if result.foreign:
            sentences.append(
                "Tables no revision creates, left out of the comparison: "
                + ", ".join(result.foreign[:LISTED])
            )
        sentences.extend(result.notes)
        return sentences

    @staticmethod
    def shown(differences: Sequence[str]) -> str:
        more = len(differences) - LISTED
        extra = f"; and {more} more" if more > 0 else ""
        return "; ".join(differences[:LISTED]) + extra

    def unsure(self, revisions: Sequence[str]) -> str:
        reasons = [self.doubt(r) for r in revisions[:3]]
        more = f" and {len(revisions) - 3} more" if len(revisions) > 3 else ""
        return "; ".join(reasons) + more

    @staticmethod
    def seeded(seed: Mapping[str, frozenset[str]]) -> list[str]:
        """A note naming the tables the replay started from, if any."""
        if not seed:
            return []
        return [
            "The replay started from the tables the history starts from: "
            f"{', '.join(sorted(seed)[:LISTED])} (the database's columns, as the first "
            "revision naming each expects them)"
        ]

    def doubt(self, revision: str) -> str:
        unknown = self.changes[revision].unknown
        if revision == self.stopped:
            return f"{revision} could not be replayed and may match too"
        if revision in self.unchecked:
            return f"{revision} was not checked (the replay stopped at {self.stopped})"
        dialects = self.changes[revision].dialects
        if self.replay and dialects and self.state.dialect != "sqlite":
            return (
                f"{revision}'s upgrade() branches on the database ({', '.join(dialects)}), and "
                f"the replay ran it on SQLite, not {self.state.dialect}"
            )
        if unknown:
            return f"{revision}'s upgrade() cannot be read statically ({unknown[0]})"
        return f"{revision} could not be replayed and may match too"

    def replay_hint(self, template: str) -> str:
        """A pointer to --replay put into `template`, unless this run replayed already."""
        return "" if self.replay else template.format("run doctor again with --replay to compare")

    @cached_property
    def changes(self) -> dict[str, TableChanges]:
        return {rid: read_table_changes(rev.path) for rid, rev in self.graph.by_id.items()}

    def schema_match(self, replay: bool) -> SchemaMatch:
        live = self.state.tables
        seed = start_schema(self.graph, self.changes, live)
        static = static_points(self.graph, self.changes, seed)
        managed = managed_tables(self.changes.values()) | set(seed)
        if not replay:
            return match(STATIC, static, live, managed)
        return self.replayed(static, managed)

    def replayed(self, static: Sequence[Point], managed: set[str]) -> SchemaMatch:
        """The live schema against a replay; where it stopped, the revisions it did not
        reach are not checked: a verdict on them is never given."""
        from alembic_gate.doctor.replay import replay_points

        live = self.state.tables
        seed = start_schema(self.graph, self.changes, live)
        replayed = replay_points(self.history, self.cwd, seed)
        tables = {t for p in replayed.points for t in p.schema}
        if replayed.stopped_at is None or replayed.note is None:
            result = match(REPLAY, replayed.points, live, tables)
            result.notes.extend(self.seeded(seed))
            result.unsure.extend(self.branching())
            return result
        # Tables only the revisions not replayed create are theirs, not another application's.
        result = match(REPLAY, replayed.points, live, tables | managed | set(seed))
        result.notes.extend([*self.seeded(seed), replayed.note])
        self.stopped = replayed.stopped_at
        done = self.graph.ancestors(replayed.points[-1].heads) if replayed.points else set()
        self.unchecked = [r for r in self.graph.topological() if r not in done]
        result.unsure.extend(self.not_reached(result, static, managed, done))
        result.unsure.extend(r for r in self.branching() if r in done)
        return result

    def branching(self) -> list[str]:
        """The revisions whose upgrade() branches on the dialect: replayed on SQLite,
        they may have run another branch than on the database's own engine."""
        if self.state.dialect == "sqlite":
            return []
        return [r for r in self.graph.topological() if self.changes[r].dialects]

    def not_reached(
        self, result: SchemaMatch, static: Sequence[Point], managed: set[str], done: set[str]
    ) -> list[str]:
        """The revisions a stopped replay did not reach that may be the database's: with
        no match among the replayed steps, all of them; with one, those whose schema read
        from the files matches too (or cannot be read)."""
        if not result.matches:
            return self.unchecked
        live = self.state.tables
        later = [p for p in static if not done.issuperset(p.heads)]
        open_ = {
            r
            for p in later
            if p.unsure or match(STATIC, [p], live, managed).matches
            for r in p.heads
        }
        return [r for r in self.unchecked if r in open_]

    # -- AG803 unknown-database-revision -----------------------------------------

    def _locations(self) -> list[Path]:
        return [Path(folder) for folder in self.history.setup.version_locations]

    def unknown(self, revision: str) -> Finding:
        message = (
            f"{self.state.url}'s {self.state.version_table_name} names revision {revision}, "
            "which no revision file defines"
        )
        named_by = sorted({d.child for d in self.graph.dangling if d.target == revision})
        if named_by:
            message += f" (though {', '.join(named_by)} names it as down_revision)"
        found = unread_definition(self.history.setup, revision, self.cwd)
        if found is not None:
            return self.unread(message, revision, found)
        trace = trace_revision(revision, self._locations(), self.cwd)
        sentences, fix = self.traced(revision, trace)
        return RULES["AG803"].finding(". ".join([message, *sentences]), fix=fix)

    def unread(self, message: str, revision: str, path: str) -> Finding:
        """AG803 for a revision defined in a subfolder the setup does not read."""
        how, fix = advice(self.history.setup, self.cwd)
        sentences = [
            f"{message} that this setup reads. But {revision} is defined in {path}, in a "
            "subfolder of a version location",
            how,
            "Then alembic knows the revision again; do not stamp or purge the version table: "
            "the revision exists",
        ]
        return RULES["AG803"].finding(". ".join(sentences), fix=fix)

    def traced(self, revision: str, trace: Trace) -> tuple[list[str], str | None]:
        if trace.problem is not None:
            return [f"doctor cannot search the git history: {trace.problem}", self.purge()], None
        commit = trace.removed_by or trace.added_by
        if commit is None or trace.path is None:
            return [
                "No commit on any branch of this repository has a revision file defining it: "
                "the database may belong to another project or to a branch not fetched here "
                "(`git fetch --all`); check the URL",
                self.purge(),
            ], None
        about = f"commit {commit.short} ({commit.date}, {commit.author}: {commit.subject})"
        if trace.removed_by is not None:
            return self.removed(trace, about), f"git checkout {commit.short}^ -- {trace.path}"
        if trace.in_head:
            return [
                f"Its file {trace.path} is in HEAD but not in the working tree (deleted and not "
                "committed yet?): restore it"
            ], f"git checkout HEAD -- {trace.path}"
        return self.elsewhere(revision, trace, about)

    def removed(self, trace: Trace, about: str) -> list[str]:
        if trace.renamed_to is not None:
            now = f", which now defines {trace.new_revision}" if trace.new_revision else ""
            sentences = [f"Its file {trace.path} was renamed to {trace.renamed_to}{now} in {about}"]
        else:
            sentences = [f"The file that defined it, {trace.path}, was deleted in {about}"]
        parent = " ".join(trace.parents)
        undo = f" (then `{self.command('downgrade', parent)}` undoes it)" if parent else ""
        sentences.append(f"Restore the file so alembic knows the revision again{undo}")
        sentences.append(self.purge())
        return sentences

    def elsewhere(self, revision: str, trace: Trace, about: str) -> tuple[list[str], str | None]:
        where = ", ".join(trace.branches) or "no branch (only in unreachable history)"
        sentences = [
            f"It is defined in {trace.path} on {where} ({about}), not in the files checked "
            "out here: the database was upgraded from that branch"
        ]
        fork = self.fork_point(trace)
        if not trace.branches or fork is None:
            sentences.append("Merge that branch here, or downgrade the database from it")
            return sentences, None
        back = self.command("downgrade", *fork)
        sentences.append(
            f"Downgrade the database from {trace.branches[0]} to {', '.join(fork)}, which this "
            "checkout has, or merge that branch here"
        )
        return sentences, f"git checkout {trace.branches[0]} && {back}"

    def fork_point(self, trace: Trace) -> tuple[str, ...] | None:
        """The first revisions below a branch's revision that this history has."""
        parents = trace.parents
        for _ in range(FORK_STEPS):
            missing = [p for p in parents if p not in self.graph.by_id]
            if not missing:
                return parents or None
            found = trace_revision(missing[0], self._locations(), self.cwd)
            if found.path is None:
                return None
            parents = tuple(p for p in parents if p != missing[0]) + found.parents
        return None

    def purge(self) -> str:
        decided = self.schema_match(replay=False).decided
        if decided:
            return f"Or, once the schema is checked, `{self.command('stamp', '--purge', *decided)}`"
        # Rows of other branches (expand/contract) that this history knows stay: purging
        # them would make the next `upgrade heads` run their branches again.
        known = [v for v in self.state.versions if v in self.graph.by_id]
        stamp = f"`{self.command('stamp', '--purge', *known, 'REVISION')}`"
        text = f"Or, once you know which revision the schema matches, {stamp} with that revision"
        if not known:
            return text
        rows = "row" if len(known) == 1 else "rows"
        return f"{text} (it keeps {', '.join(known)}, the table's {rows} this history knows)"

    # -- wording -------------------------------------------------------------

    def describe(self, rid: str) -> str:
        message = self.changes[rid].message
        return f"{rid} ({message})" if message else rid

    def names(self, revisions: Iterable[str]) -> str:
        return " + ".join(self.describe(r) for r in revisions)

    def listing(self, revisions: Sequence[str]) -> str:
        shown = ", ".join(self.describe(r) for r in revisions[:LISTED])
        more = len(revisions) - LISTED
        return f"{shown}, and {more} more" if more > 0 else shown


def _confidence(unsure: Sequence[str]) -> Confidence:
    """How sure a verdict on the schema is: "medium" when it rests on a revision that
    was read only in part, or not checked at all."""
    return "medium" if unsure else "high"


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("ch") else "s")
    return f"{number} {noun if number == 1 else plural}"
