"""What the AG1xx safety rules share: the revisions they read, what each revision did
before a call, and what the rest of the history says (rules.ag1xx_history).

Only revisions in scope (`since`, `--base`, the files named: history.scope) are
reported on. A table is new, so nothing on it can break production, when this
revision creates it before the call (in a branch that runs wherever the call runs: a
table created for PostgreSQL is not new on MySQL), or (with a scope) when a revision
in scope that this one builds on creates it. A table this revision empties (`DELETE
FROM t`, `TRUNCATE t`) before a call holds no rows for that call.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Set

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RuleInfo
from alembic_gate.history.literals import UNKNOWN
from alembic_gate.history.operations import (
    DIALECTS,
    Call,
    Column,
    Operations,
    altered_columns,
    downgrade_calls,
    operations,
    upgrade_calls,
)
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import LintContext
from alembic_gate.rules.ag1xx_history import (
    Timeline,
    configured_dialects,
    file_dialect,
    folder_dialect,
    project_dialects,
    project_drivers,
    setup_dialects,
    setup_drivers,
)
from alembic_gate.shared.paths import in_git_work_tree
from alembic_gate.shared.patterns import LazyPattern
from alembic_gate.shared.records import field, record, replace

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import TypeVar

    from alembic_gate.findings import Confidence
    from alembic_gate.history.imported import Reader
    from alembic_gate.history.releases import Additions, Releases
    from alembic_gate.rules import Check

    Key = TypeVar("Key", bound=Hashable)

POSTGRESQL = "postgresql"
# A history, or a call, that runs on PostgreSQL alone.
POSTGRESQL_ONLY = frozenset({POSTGRESQL})
MYSQL = "mysql"


@record
class Checked:
    """One revision an AG1xx rule reads."""

    ctx: LintContext
    rid: str
    rev: RevisionFile
    ops: Operations
    _positions: dict[int, int] | None = field(default=None, repr=False)
    # Where upgrade() creates or renames a table, and the tables new before a call by
    # how many of those come before it (every rule asks, call after call).
    _table_calls: list[int] | None = field(default=None, repr=False)
    _created: dict[tuple[int, tuple[str, ...] | None], set[str]] = field(
        default_factory=dict, repr=False
    )
    # Whether upgrade() empties a table at all (most revisions do not).
    _empties: bool | None = field(default=None, repr=False)
    # The tables upgrade()'s SQL runs `INSERT INTO` for (None: not asked yet).
    _inserts: set[str] | None = field(default=None, repr=False)
    # (a, b) of upgrade()'s `INSERT INTO a ... SELECT ... FROM b` (None: not asked yet).
    _copies: set[tuple[str, str]] | None = field(default=None, repr=False)
    # The dialect the file's name or folder names ("" for none; None: not asked yet).
    _named_dialect: str | None = field(default=None, repr=False)
    # downgrade()'s calls, read anew from the file when first asked (None: not yet).
    _downgrade: list[Call] | None = field(default=None, repr=False)

    @property
    def calls(self) -> list[Call]:
        return self.ops.upgrade.calls

    def downgrade_calls(self) -> list[Call]:
        """downgrade()'s calls: the file is read and parsed again once, when a rule first
        asks (lint reads no downgrade's calls on its way)."""
        if self._downgrade is None:
            self._downgrade = downgrade_calls(self.rev)
        return self._downgrade

    def history(self) -> Knowledge:
        return knowledge(self.ctx)

    # -- what this revision did --------------------------------------------------------

    def is_new_table(self, table: str | None, call: Call, rows: bool = True) -> bool:
        """Created by this revision before `call`, or by an unreleased revision it
        builds on (scope) or one of its own release (release-tags). `rows`: it must
        also hold no rows, so not one that one of those revisions put rows into (seeds,
        rows copied from an older table: what AG101-AG103 ask; rows this revision puts
        in are `filled_before`'s); else no released code knowing it is enough (a lock
        or a rename of it blocks or breaks nothing that runs: AG104-AG106)."""
        if table is None:  # (a name as written: made here, so no released code knows it)
            return not rows and _text_key(call) in self._created_before(call)
        name = table.lower()
        if name in self._created_before(call):
            return True
        history = self.history()  # (the common case, asked call after call: nothing
        # says it is new: no scope, nothing uncommitted, no release or commit read)
        if self.ctx.scope is None and not history.uncommitted() and history.releases() is None:
            return False
        return history.table_is_new(self.rid, self._name_before(name, call), rows)

    def table_before(self, call: Call) -> str | None:
        """The name `call`'s table had when this revision began (lowercased), under which
        the history knows its columns (MaveDB renames its association tables, then
        makes a column NOT NULL that the base revision created in the primary key)."""
        return None if call.table is None else self._name_before(call.table.lower(), call)

    def _name_before(self, table: str, call: Call) -> str:
        """The name `table` (lowercased) had when this revision began: the renames to it
        before `call` that run wherever `call` runs, followed back (Transformer Lab
        renames `team_providers`, made earlier in the release, then indexes it under its
        new name)."""
        positions = self._table_positions()
        for index in reversed(positions[: bisect.bisect_left(positions, self._position(call))]):
            earlier = self.calls[index]
            if earlier.name != "rename_table" or not earlier.table or not earlier.new_table:
                continue
            if earlier.new_table.lower() == table and runs_wherever(earlier, call):
                table = earlier.table.lower()
        return table

    def _created_before(self, call: Call) -> set[str]:
        """`_created_tables` of the calls before `call` that run wherever it runs (a
        table created in another dialect's branch is not new in this one), and those
        dialect branches create between them wherever it runs."""
        positions = self._table_positions()
        count = bisect.bisect_left(positions, self._position(call))
        key = (count, call.dialects)
        found = self._created.get(key)
        if found is None:
            calls = [self.calls[i] for i in positions[:count]]
            found = _created_tables([c for c in calls if runs_wherever(c, call)])
            branched = [c for c in calls if c.dialects is not None]
            if branched:  # (Open ACE makes a table one way for PostgreSQL, another for the rest)
                made = [
                    (c.table.lower(), c.dialects)
                    for c in branched
                    if c.name == "create_table" and c.table
                ]
                needed = DIALECTS if call.dialects is None else set(call.dialects)
                found |= _made_everywhere(made, needed)
            self._created[key] = found
        return found

    def _table_positions(self) -> list[int]:
        """Where upgrade() creates or renames a table (indexes of `calls`)."""
        if self._table_calls is None:
            made = ("create_table", "rename_table")
            self._table_calls = [i for i, c in enumerate(self.calls) if c.name in made]
        return self._table_calls

    def steps_before(self, call: Call) -> Iterator[Call]:
        """The steps upgrade() runs before `call`, in order (`Side.steps`: its calls and
        what the rules do not read, such as SQL run on a connection or imported code)."""
        for step in self.ops.upgrade.steps:
            if step is call:
                return
            yield step

    def before(self, call: Call) -> list[Call]:
        """The calls upgrade() makes before `call`."""
        return self.calls[: self._position(call)]

    def after(self, call: Call) -> list[Call]:
        return self.calls[self._position(call) + 1 :]

    def _position(self, call: Call) -> int:
        if self._positions is None:
            self._positions = {id(c): index for index, c in enumerate(self.calls)}
        return self._positions.get(id(call), 0)

    def emptied(self, call: Call) -> bool:
        """Whether this revision deletes every row of `call`'s table before `call`,
        wherever `call` runs, and puts none in after."""
        if self._empties is None:
            self._empties = any(c.name == "empty" for c in self.calls)
        table = _lower(call.table)
        if table is None or not self._empties:
            return False
        return self._rows_before(call, table) is False

    def empty_when_reached(self, call: Call) -> bool:
        """Whether the table holds no row when PostgreSQL reaches `call`: it, or an
        add_column of this revision before it that runs wherever it runs (not under an
        if, a loop or a try), adds a NOT NULL column with no server default to the table,
        which PostgreSQL refuses once the table holds a row (AG101's finding): `call`
        runs only where the table is empty (one finding for the one hazard)."""
        table = _lower(call.table)
        if table is None:
            return False
        added = [
            c
            for c in self.before(call)
            if c.name == "add_column" and not c.conditional and runs_wherever(c, call)
        ]
        return any(_lower(c.table) == table and _fails_on_rows(c) for c in [*added, call])

    def filled_before(self, call: Call) -> bool:
        """Whether this revision puts rows into `call`'s table before `call`, on a
        database it runs on (`bulk_insert`, `insert()`, `INSERT INTO`), and does not
        empty it after: a table it creates holds those rows when `call` runs."""
        table = _lower(call.table)
        return table is not None and self._rows_before(call, table) is True

    def _rows_before(self, call: Call, table: str) -> bool | None:
        """What this revision last did to the rows of `table` before `call`: True put
        some in (where `call` may run), False deleted all (wherever it runs), None
        neither; a DELETE under the name it had then, where the revision renamed it
        since (the Police Data Accessibility Project deletes every agency meta URL, then
        renames the table `meta_urls`). Rows put in count under `table` only: a table
        filled under another name and renamed into place is the old table rebuilt
        (conbench's `CREATE TABLE temp AS SELECT` from `benchmark_result`, renamed back),
        whose rows hold what the old ones held (measured: following those renames too
        reported a NOT NULL restated on the copy)."""
        found: dict[str, bool | None] = {}
        for step in self.ops.upgrade.steps:
            if step is call:
                break
            if step.name == "empty" and step.table:
                name = step.table.lower()
                found[name] = False if runs_wherever(step, call) else found.get(name)
            elif step.name == "rename_table" and step.table and step.new_table:
                moved = found.pop(step.table.lower(), None)
                if runs_wherever(step, call):
                    found[step.new_table.lower()] = moved
            elif _runs_with(step, call) and table in _filled_tables([step]):
                found[table] = True
        return found.get(table)

    def inserted_into(self, table: str) -> bool:
        """Whether upgrade() runs a Core `insert(table)` (open-webui's `prompt` copied
        row by row into `prompt_new`), or an `INSERT INTO table`."""
        if any(c.name == "insert" and _lower(c.table) == table for c in self.calls):
            return True
        return self.copied_into(table)

    def copies(self) -> set[tuple[str, str]]:
        """(a, b) of each `INSERT INTO a ... SELECT ... FROM b` upgrade() runs as SQL,
        also built at run time where both names are written out (lowercased)."""
        if self._copies is None:
            self._copies = {
                pair
                for step in self.ops.upgrade.steps
                if (text := step.sql if isinstance(step.sql, str) else step.sql_shape)
                for pair in sql_copies(text)
            }
        return self._copies

    def copied_into(self, table: str) -> bool:
        """Whether upgrade() runs an `INSERT INTO table` (rows copied into it; `table`
        lowercased)."""
        if self._inserts is None:
            self._inserts = sql_inserts(self.ops.upgrade.steps)
        return table in self._inserts

    def added_before(self, call: Call, column: str | None) -> Call | None:
        """The add_column (or create_table) of `column` on `call`'s table earlier in
        this revision."""
        table, name = _lower(call.table), _lower(column)
        if table is None or name is None:
            return None
        for other in self.before(call):
            if _lower(other.table) != table:
                continue
            if other.name == "add_column" and _lower(other.column) == name:
                return other
            if other.name == "create_table" and name in {n.lower() for n in other.columns or ()}:
                return other
        return None

    def column_made(self, call: Call) -> bool | None:
        """Whether the revisions this one builds on left `call`'s column in its table:
        True where they made it (created, added, renamed to it, made NOT NULL or
        nullable, filled by name) and did not drop it since, False where they dropped it
        last, None where the history does not say. Asked of an add_column or drop_column
        under an if, a loop or a try (`altered_columns` keys those)."""
        try:
            state = self.history().column_state(self.rid, self.table_before(call), call.column)
        except KeyError:  # (a call `altered_columns` does not key)
            return None
        if state == "gone":
            return False
        return True if state in _MADE_STATES else None

    def is_new_column(self, call: Call) -> bool:
        """Whether no release holds data in `call`'s column or code that names it: added
        earlier in this revision, by an unreleased revision it builds on (scope) or by
        one of its own release (release-tags)."""
        if self.added_before(call, call.column) is not None:
            return True
        return self.history().column_is_new(self.rid, call.table, call.column)

    # -- where it runs -----------------------------------------------------------------

    def dialects(self, call: Call) -> tuple[frozenset[str] | None, bool]:
        """The databases `call` runs on, and whether that is certain (a dialect branch
        or a dialect's versions folder) rather than what the history names; (None,
        False) when nothing says."""
        if self._named_dialect is None:
            self._named_dialect = self.history().folder_dialect(self.rev) or ""
        folder = self._named_dialect or None
        branch = None if call.dialects is None else frozenset(call.dialects)
        if folder is not None:
            only = frozenset({folder})
            return (only if branch is None else only & branch), True
        if branch is not None:
            return branch, True
        named = self.history().dialects()
        return (named or None), False

    def finding(
        self,
        info: RuleInfo,
        line: int | None,
        message: str,
        fix: str,
        confidence: Confidence = "high",
        key: str | None = None,
    ) -> Finding:
        """`key`: the message without what other revisions decide (the dialects the
        history names), which would change the finding's fingerprint."""
        return info.finding(
            message, self.rev.display, line or self.rev.line, fix, key=key, confidence=confidence
        )


class Knowledge:
    """The AG1xx rules' view of one history, computed once per run when first asked."""

    def __init__(self, ctx: LintContext) -> None:
        self.ctx = ctx
        self._scoped: Timeline | None = None
        # The column timeline, and the (table, column) pairs each revision alters
        # (what it asks about, `_ColumnKeys.about` for each, in that order).
        self._columns: tuple[Timeline, Callable[[str], tuple[tuple[str, str], ...]]] | None = None
        self._dialects: frozenset[str] | None = None
        self._drivers: frozenset[str] | None = None
        self._depended: frozenset[str] | None = None
        self._depended_dialects: frozenset[str] | None = None
        self._configured: frozenset[str] | None = None
        # Each table a revision creates or renames a table to: the revisions that do.
        self._makers: dict[str, set[str]] | None = None
        self._folders: dict[str, str | None] = {}
        # Columns renamed, by (table, new name): the revisions that renamed one to it,
        # each with the name it had, in the order the column timeline reads them.
        self._renames: dict[tuple[str, str], list[tuple[str, str]]] = {}
        # The column each NOT VALID check that it holds no NULL is about, by (table,
        # constraint name), for the revision that validates it (`_column_events`).
        self._checks: dict[tuple[str, str], str] = {}
        # The release of each revision file (release-tags), read when first asked; what
        # the revisions of a release before each revision created (`_release_facts`).
        self._releases: Releases | None = None
        self._releases_read = False
        self._release_facts: dict[str, frozenset[Hashable]] = {}
        # The revisions not yet committed (`uncommitted`), read from git when first asked.
        self._uncommitted: frozenset[str] | None = None
        # The commit that added each revision file, and whether the tree named PostgreSQL
        # at a commit (`ran_before_postgresql`), read from git when first asked.
        self._additions: Additions | None = None
        self._additions_read = False
        self._postgresql_at: dict[str, bool | None] = {}
        self._since: int | None = None
        self._since_read = False

    def upgrade(self, rid: str) -> list[Call]:
        """A revision's upgrade() calls (unpacked again when asked again, never kept: on
        a long history that would be every revision's calls at once; a file that could
        not be read has none)."""
        return upgrade_calls(self.ctx.graph.by_id[rid])

    # -- what no deploy has run -------------------------------------------------------

    def fresh(self) -> frozenset[str] | None:
        """The revisions no deploy has run, whose tables and columns are new to the ones
        built on them: those in scope (since, --base) and those not committed yet; None
        when neither says any."""
        uncommitted = self.uncommitted()
        scope = self.ctx.scope
        if scope is None:
            return uncommitted or None
        return scope | uncommitted if uncommitted - scope else scope

    def uncommitted(self) -> frozenset[str]:
        """The revisions whose files git knows of but HEAD does not hold (pre-commit's
        changed files, a branch's work in progress), read once; none outside a git work
        tree, and none when more than MOVED_AT_ONCE are (a history copied in). A base
        revision is never one: it often stands for a schema that was there before."""
        if self._uncommitted is None:
            self._uncommitted = frozenset()
            folders = self.ctx.setup.version_locations
            if not folders or not in_git_work_tree(folders[0]):
                return self._uncommitted  # (nothing more imported, no git process)
            from alembic_gate.history.releases import MOVED_AT_ONCE, uncommitted_files

            found = uncommitted_files(folders)
            if found:
                graph = self.ctx.graph
                rids = {
                    rid
                    for rid, rev in graph.by_id.items()
                    if graph.parents_of(rid) and os.path.realpath(rev.file) in found
                }
                if len(rids) <= MOVED_AT_ONCE:
                    self._uncommitted = frozenset(rids)
        return self._uncommitted

    # -- facts along the history -------------------------------------------------------

    def _scope_timeline(self) -> Timeline:
        """Tables created, tables filled and columns added by unreleased revisions (in
        scope): only the files in scope are read."""
        if self._scoped is None:
            ctx = self.ctx
            fresh = self.fresh()
            scoped = [rid for rid in ctx.graph.by_id if fresh is None or rid in fresh]
            wanted = set(scoped)

            def facts(rid: str) -> Iterable[tuple[Hashable, object]]:
                if rid not in wanted:
                    return ()
                side = operations(ctx.graph.by_id[rid]).upgrade
                filled = [(("filled", t), "filled") for t in sorted(_filled_tables(side.steps))]
                return [*_scope_events(side.calls), *filled]

            self._scoped = Timeline(ctx.graph, facts, scoped)
        return self._scoped

    def _column_timeline(self) -> tuple[Timeline, Callable[[str], tuple[tuple[str, str], ...]]]:
        """What every revision below the scope did to the columns that revisions in
        scope alter: each file is read once, in one pass. The keys' numbers are let go
        once it is made (3.5 MiB at 20,000 revisions, held while the report is
        written): the answers are read by position."""
        if self._columns is None:
            ctx = self.ctx
            scoped = ctx.revisions_in_scope()
            unknown: dict[str, tuple[tuple[str, str], ...]] = {}  # known from the calls

            def altered(rid: str) -> tuple[tuple[str, str], ...]:
                found = ctx.graph.by_id[rid].altered
                if found is None:  # not known without the calls
                    found = unknown.get(rid)
                    if found is None:
                        found = unknown[rid] = altered_columns(self.upgrade(rid))
                return found

            # the pairs themselves (held by each revision), not copies (2 MiB at 20,000)
            keys = _ColumnKeys(pair for rid in scoped for pair in altered(rid))

            def asked(rid: str) -> list[Hashable]:
                # made again when asked (never kept for every revision of a long history)
                return [group for t, c in altered(rid) for group in keys.about(t, c)]

            by_id, tables = ctx.graph.by_id, keys.tables.keys()  # used for every revision

            def facts(rid: str) -> Iterable[tuple[Hashable, object]]:
                # Whether its upgrade() may record facts about the tables: it names one
                # of them or backfills a table that cannot be read (not known: it may).
                # Inline: asked of every revision below the scope.
                named = by_id[rid].tables
                if not tables or (
                    named is not None and "*" not in named and tables.isdisjoint(named)
                ):
                    return ()  # its calls are not even unpacked
                return _column_events(self.upgrade(rid), keys, rid, self._renames, self._checks)

            timeline = Timeline(
                ctx.graph, facts, scoped, asked, numbered=keys.count, by_position=True
            )
            self._columns = timeline, altered
        return self._columns

    def created_in_scope(self, rid: str, table: str) -> list[str] | None:
        """The names a table had since an unreleased revision `rid` builds on created
        it, from `table` back to the name it was created under (one name unless it was
        renamed since), or None when no such revision created it."""
        if self.fresh() is None:
            return None
        names = [table]
        for _ in range(8):
            fact = self._scope_timeline().latest(rid, [("table", table)])
            if fact == "created":
                return names
            if not isinstance(fact, tuple):
                return None
            table = fact[1]  # ("renamed", old name)
            names.append(table)
        return None

    def table_is_new(self, rid: str, table: str, rows: bool = True) -> bool:
        """Whether no released code knows the table when `rid` runs: created by an
        unreleased revision `rid` builds on (scope), or by one of its own release; with
        `rows`, not one that such a revision put rows into (under any of its names)."""
        names = self.created_in_scope(rid, table)
        if names is not None:
            timeline = self._scope_timeline()
            filled = any(timeline.latest(rid, [("filled", name)]) is not None for name in names)
            return not (rows and filled)
        facts = self.release_facts(rid)
        return ("table", table) in facts and not (rows and ("filled", table) in facts)

    def seeded(self, rid: str, table: str | None, column: str | None) -> bool:
        """Whether `table`, new in `rid`'s release, got rows only from literal seeds of
        that release (`op.bulk_insert`) that each give `column` a value: no row of it can
        hold NULL there (Flathub's `role_permission`)."""
        if table is None or column is None:
            return False
        facts, table, column = self.release_facts(rid), table.lower(), column.lower()
        if ("filled", table) not in facts or ("unseeded", table) in facts:
            return False
        seeds = [f for f in facts if isinstance(f, tuple) and f[:2] == ("seed", table)]
        return bool(seeds) and all(column in f[2] for f in seeds)

    def made_elsewhere(self, rid: str, table: str) -> bool:
        """Whether a revision other than `rid` creates `table` (lowercased) or renames a
        table to it, and leaves it there: not a scratch table of its own, dropped or
        renamed away before it ends (Hydra's revisions each copy a table into `<t>_new`
        and rename that into place). Every revision is read once, when first asked: only
        of a drop that may be a leftover."""
        if self._makers is None:
            self._makers = {}
            for other in self.ctx.graph.by_id:
                for made in _kept_tables(self.upgrade(other)):
                    self._makers.setdefault(made, set()).add(other)
        return bool(self._makers.get(table, set()) - {rid})

    def column_is_new(self, rid: str, table: str | None, column: str | None) -> bool:
        """Whether no released code knows the column when `rid` runs: added by an
        unreleased revision `rid` builds on (scope), or by one of its own release."""
        if table is None or column is None:
            return False
        if self.added_in_scope(rid, table, column):
            return True
        return ("added", table.lower(), column.lower()) in self.release_facts(rid)

    # -- releases (release-tags) -------------------------------------------------------

    def releases(self) -> Releases | None:
        """The release of each revision file, read from git when first asked: by the
        `release-tags`, else by the commit that added it (revisions one commit added
        shipped together). None: neither can be read (why release-tags cannot is in a
        note)."""
        if not self._releases_read:
            self._releases_read = True
            patterns = self.ctx.release_tags
            folders = self.ctx.setup.version_locations
            if patterns:
                # (git, and subprocess with what it imports: only where git is)
                from alembic_gate.history.releases import read_releases

                self._releases, note = read_releases(
                    self._files(), folders, patterns, self._bases()
                )
                if note is not None:
                    self.ctx.memo[_RELEASE_NOTE] = note
            elif folders and in_git_work_tree(folders[0]):
                from alembic_gate.history.releases import read_commits

                self._releases = read_commits(self._files(), folders, self._bases())
        return self._releases

    def ran_before_postgresql(self, rid: str) -> bool:
        """Whether the commit that added `rid`'s file came before the project named
        PostgreSQL anywhere (no text file of its tree names the database, its URL scheme
        or a driver) while HEAD's tree names it: a project that moved to PostgreSQL later
        (Thunderbird Appointment ran on MySQL until 2025, flowintel on SQLite) ran it on
        PostgreSQL only on the empty tables it had just made, where one that ran on
        PostgreSQL without naming it did not (Hasjob's URL came from its deployment). Not
        for a revision git does not say the adding commit of (not committed yet)."""
        if rid in self.uncommitted():
            return False  # (pre-commit's case: no `git log` of the history)
        additions = self._read_additions()
        if additions is None:
            return False
        commit = additions.added.get(os.path.realpath(self.ctx.graph.by_id[rid].file))
        if commit is None:
            return False  # (no `git grep` for it)
        since = self._postgresql_since()
        return since is not None and additions.times[commit] < since

    def _postgresql_since(self) -> int | None:
        """When the project first named PostgreSQL: the time of the oldest commit that
        added a revision file with PostgreSQL named in its tree (a binary search over
        those commits, oldest first: once named, taken to stay named; a few `git grep`s),
        or after all of them where only HEAD's tree names it. None where HEAD's tree does
        not, the first of them does already (most histories: two `git grep`s), or git
        cannot tell."""
        if self._since_read:
            return self._since
        self._since_read = True
        additions = self._additions
        assert additions is not None
        commits = sorted(set(additions.added.values()), key=additions.times.__getitem__)
        if not commits or not self._postgresql_named("HEAD"):
            return None
        if self._postgresql_named(commits[0]) is not False:
            return None
        low, high = 1, len(commits)  # the first commit whose tree names it: in [low, high]
        while low < high:
            middle = (low + high) // 2
            named = self._postgresql_named(commits[middle])
            if named is None:
                return None
            low, high = (low, middle) if named else (middle + 1, high)
        self._since = additions.times[commits[low]] if low < len(commits) else sys.maxsize
        return self._since

    def _read_additions(self) -> Additions | None:
        if not self._additions_read:
            self._additions_read = True
            folders = self.ctx.setup.version_locations
            if folders and in_git_work_tree(folders[0]):
                from alembic_gate.history.releases import read_additions

                self._additions = read_additions(self._files(), folders)
        return self._additions

    def _postgresql_named(self, commit: str) -> bool | None:
        """`names_postgresql` at `commit` (None: git cannot tell), asked once."""
        if commit not in self._postgresql_at:
            from alembic_gate.history.releases import names_postgresql

            assert self._additions is not None
            self._postgresql_at[commit] = names_postgresql(self._additions.root, commit)
        return self._postgresql_at[commit]

    def _files(self) -> list[str]:
        """The history's revision files."""
        return [rev.file for rev in self.ctx.graph.by_id.values()]

    def _bases(self) -> list[str]:
        """The files of the history's base revisions (no down_revision)."""
        return [rev.file for rev in self.ctx.graph.by_id.values() if not rev.parents]

    def release_facts(self, rid: str) -> frozenset[Hashable]:
        """The tables created (`("table", name)`) and columns added (`("added", table,
        column)`) by the revisions of `rid`'s release that it builds on: none of them
        has run in production before that release. Each revision is read once, from the
        oldest of a release up."""
        found = self._release_facts.get(rid)
        if found is not None:
            return found
        if not self.ctx.release_tags and rid in self.uncommitted():
            return frozenset()  # in no commit yet (pre-commit's case): git is not asked
        releases = self.releases()
        if releases is None:
            return frozenset()
        graph, memo = self.ctx.graph, self._release_facts
        stack, entered = [rid], {rid}  # (a revision met again on a cycle adds nothing)
        while stack:
            top = stack[-1]
            parents = self._release_parents(releases, top)
            todo = [p for p in parents if p not in memo and p not in entered]
            if todo:
                stack += todo
                entered.update(todo)
                continue
            stack.pop()
            facts: set[Hashable] = set()
            for parent in parents:
                before = memo.get(parent, _NO_FACTS)
                if not graph.parents_of(parent):  # a base: often the schema that was
                    facts |= before  # there before Alembic, stamped on old databases
                    continue
                facts |= _apply_events(before, graph.by_id[parent])
            memo[top] = frozenset(facts) if facts else _NO_FACTS
        return memo[rid]

    def _release_parents(self, releases: Releases, rid: str) -> list[str]:
        """The revisions `rid` builds on that shipped in its release: its parents and
        its dependencies (`depends_on`: alembic applies them first; vmware-nsx's
        contract revisions depend on the expand revisions of their release)."""
        by_id = self.ctx.graph.by_id
        release = releases.release(by_id[rid].file)
        if release is None:
            return []
        upstream = self.ctx.graph.upstream(rid)
        return [p for p in upstream if p in by_id and releases.release(by_id[p].file) == release]

    def column_state(self, rid: str, table: str | None, column: str | None) -> object | None:
        """The latest of: "not_null", a NULLABLE_STATES one, "filled" ("filled_some": rows of its
        table, or of a table not known, updated in columns not known), "gone" for a column among
        the revisions `rid` builds on; None when the history does not say."""
        if column is None:
            return None
        table, column = _lower(table) or "*", column.lower()
        state = self._column_fact(rid, table, column, _STATE)
        if state == "filled_some" and self._column_fact(rid, table, column, _NULL_OF) == (
            "not_null"
        ):
            return "not_null"  # (an UPDATE after it was made NOT NULL changes nothing)
        return state

    def column_null(self, rid: str, table: str | None, column: str | None) -> object | None:
        """What the revisions `rid` builds on last made of the column's NOT NULL,
        "not_null" or a NULLABLE_STATES one, whatever filled it since; None when the
        history does not say."""
        if column is None:
            return None
        return self._column_fact(rid, _lower(table) or "*", column.lower(), _NULL_OF)

    def state_before_rename(self, rid: str, table: str | None, column: str | None) -> object:
        """Where the latest thing the revisions `rid` builds on did to a column is a
        rename (its `column_state` is "renamed"), the state of the column under its old
        name before the revision that renamed it (a rename keeps the rows' values),
        renames followed back a few times; None where it cannot be told."""
        table, column = (table or "").lower(), (column or "").lower()
        for _ in range(4):
            found = self._renames.get((table, column))
            if not found:
                return None
            if len(found) > 1:  # which of them the revision builds on: the latest
                above = self.ctx.graph.ancestors([rid])
                found = [rename for rename in found if rename[0] in above]
            if not found:
                return None
            rid, column = found[-1]
            try:
                state = self.column_state(rid, table, column)
            except KeyError:  # (that revision alters no column the run reads)
                return None
            if state != "renamed":
                return state
        return None

    def column_type(self, rid: str, table: str | None, column: str | None) -> str | None:
        """The type a column was last given (create_table, add_column, type_=)."""
        if table is None or column is None:
            return None
        # "": no fact, as "*"
        fact = self._column_fact(rid, table.lower() or "*", column.lower(), _TYPE_OF)
        return fact if isinstance(fact, str) and fact not in ("gone", "unknown") else None

    def _column_fact(self, rid: str, table: str, column: str, asked: int) -> object | None:
        """The latest fact under the keys of group `asked` of `_ColumnKeys.about(table,
        column)` among what `rid` builds on (a column `rid` alters: others raise
        KeyError)."""
        timeline, altered = self._column_timeline()
        pairs = altered(rid)
        try:
            index = pairs.index((table, column))
        except ValueError:
            raise KeyError((rid, table, column)) from None
        return timeline.latest_at(rid, [_GROUPS * index + asked])

    def added_in_scope(self, rid: str, table: str | None, column: str | None) -> bool:
        """Whether an unreleased revision `rid` builds on added the column."""
        if self.fresh() is None or table is None or column is None:
            return False
        key = ("added", table.lower(), column.lower())
        return self._scope_timeline().latest(rid, [key]) in ("added", "added_null")

    def added_filled(self, rid: str, table: str | None, column: str | None) -> bool:
        """Whether the column was added with a value in every row (NOT NULL or a server
        default) by an unreleased revision `rid` builds on, or one of its own release:
        no released code has written it since, so it holds no NULL however often this
        release's revisions made it nullable (feedi adds `feeds.user_id` with a server
        default, then makes it nullable and NOT NULL again, all in one commit)."""
        if table is None or column is None:
            return False
        key = ("added", table.lower(), column.lower())
        added = self._scope_timeline().latest(rid, [key]) if self.fresh() is not None else None
        if added is not None:
            return added == "added"
        facts = self.release_facts(rid)
        return key in facts and ("null", *key[1:]) not in facts

    # -- databases ---------------------------------------------------------------------

    def dialects(self) -> frozenset[str]:
        """Every database the history names (env.py, the ini's URL, revision files)."""
        if self._dialects is None:
            setup = self.ctx.setup
            found = set(setup_dialects(setup.script_location, setup.config_path))
            for rev in self.ctx.graph.by_id.values():
                named = rev.dialects
                found |= operations(rev).dialects if named is None else named
            self._dialects = frozenset(found & DIALECTS)
        return self._dialects

    def drivers(self) -> frozenset[str]:
        """The PostgreSQL drivers the setup names in a URL (`postgresql+psycopg://`)."""
        if self._drivers is None:
            setup = self.ctx.setup
            self._drivers = setup_drivers(setup.script_location, setup.config_path)
        return self._drivers

    def depended_drivers(self) -> frozenset[str]:
        """The PostgreSQL drivers the project's dependency files name."""
        if self._depended is None:
            self._depended = project_drivers(self._dependency_start())
        return self._depended

    def _dependency_start(self) -> str | None:
        """Where the search for the project's dependency files starts."""
        setup = self.ctx.setup
        start = setup.script_location or (
            os.path.dirname(setup.config_path) if setup.config_path else None
        )
        if start is None and setup.version_locations:
            # `--versions`: the script folder above it, where env.py is (the levels
            # searched count from there)
            start = setup.version_locations[0]
            above = os.path.dirname(start)
            if os.path.isfile(os.path.join(above, "env.py")):
                start = above
        return start

    def depended_dialects(self) -> frozenset[str]:
        """The databases whose drivers the project's dependency files name."""
        if self._depended_dialects is None:
            self._depended_dialects = project_dialects(self._dependency_start())
        return self._depended_dialects

    def configured_dialects(self) -> frozenset[str]:
        """The databases the project's dotenv and Compose files name (`configured_dialects`)."""
        if self._configured is None:
            self._configured = configured_dialects(self._dependency_start())
        return self._configured

    def folder_dialect(self, rev: RevisionFile) -> str | None:
        """The one dialect the revision's file name or folder names, if any."""
        named = file_dialect(rev.file)
        if named is not None:
            return named
        key = os.path.dirname(rev.file)  # what it depends on: one entry per folder
        if key not in self._folders:
            self._folders[key] = folder_dialect(rev, self.ctx.setup.version_locations)
        return self._folders[key]


def _kept_tables(calls: list[Call]) -> set[str]:
    """The tables `calls` create or rename into (lowercased) and do not drop or rename
    away after, where that drop or rename runs wherever the table was made."""
    made: dict[str, Call] = {}
    for call in calls:
        name = _lower(call.table)
        if name is None:
            continue
        if call.name in ("drop_table", "rename_table"):
            maker = made.get(name)
            if maker is not None and runs_wherever(call, maker):
                del made[name]
        if call.name == "create_table":
            made[name] = call
        elif call.name == "rename_table" and call.new_table:
            made[call.new_table.lower()] = call
    return set(made)


def knowledge(ctx: LintContext) -> Knowledge:
    """The run's Knowledge (one per context and scope)."""
    memo = ctx.memo.get("ag1xx")
    if isinstance(memo, tuple) and memo[0] == ctx.scope and isinstance(memo[1], Knowledge):
        return memo[1]
    found = Knowledge(ctx)
    ctx.memo["ag1xx"] = (ctx.scope, found)
    return found


# The kinds of a column's facts: filled, NOT NULL or not, its type.
_FILL, _NULL, _TYPE = 0, 1, 2
# What `_ColumnKeys.about` gives for a column, in order: the keys column_state asks
# about, the one column_type asks about, and whether it is NOT NULL (column_state, when
# the latest is an UPDATE of columns not known).
_STATE, _TYPE_OF, _NULL_OF = 0, 1, 2
# The states of a nullable column (column_state, column_null): made so by alter_column,
# created so with its table (its rows are the application's, written since), or added so
# to a table (every row the table held then holds NULL).
NULLABLE_STATES = frozenset({"nullable", "created_nullable", "added_nullable"})
# The states of a column the history made and has not dropped since (`Checked.column_made`;
# "filled_some" is an UPDATE of its table in columns not known: not this one's word).
_MADE_STATES = NULLABLE_STATES | {"not_null", "filled", "renamed"}
_GROUPS = 3


class _ColumnKeys:
    """The column timeline's keys, (kind, table, column), as numbers (the Timeline's
    `numbered`): by index of the (table, column) pairs that revisions in scope alter,
    of their tables (a table filled, column unknown) and of their columns (filled, the
    table unknown). A tuple for each key and a dict of them were 7.5 MiB at 20,000
    revisions; these tables hold the names each revision holds already. 0 numbers a
    key no fact has (nothing records it: a pair with its table unknown)."""

    def __init__(self, altered: Iterable[tuple[str, str]]) -> None:
        # The pairs facts are recorded about (tables known, columns named), sorted, each
        # once: a pair's number is its index's (`first`), found by bisection. A dict of
        # them to their numbers was 2.4 MiB at 20,000 revisions (an int object for each
        # pair); this list is 0.3.
        anywhere: dict[str, int] = {"*": 0}
        named: list[tuple[str, str]] = []
        for pair in altered:
            if pair[0] != "*" and pair[1]:
                named.append(pair)
            anywhere.setdefault(pair[1], len(anywhere))
        named.sort()
        self.pairs = [pair for i, pair in enumerate(named) if not i or pair != named[i - 1]]
        del named
        # Each table by its first pair (numbered by that pair's index: `_table_fill`).
        # Its keys' isdisjoint is asked of every revision below the scope: as fast as a
        # set's, with no set of them (0.5 MiB at 20,000 revisions); the pair rather than
        # its index, no int object for each table (0.4 MiB).
        self.tables: dict[str, tuple[str, str]] = {}
        for pair in self.pairs:
            self.tables.setdefault(pair[0], pair)
        self._anywhere = anywhere
        self._table_base = 1 + 3 * len(self.pairs)
        self._anywhere_base = self._table_base + len(self.pairs)
        self.count = self._anywhere_base + len(anywhere)  # every number is below

    def first(self, table: str, column: str) -> int | None:
        """The number of the pair's first key, (fill, table, column): its kinds'
        numbers follow (`first + _NULL`); None for a pair no revision in scope alters."""
        pairs = self.pairs
        index = bisect.bisect_left(pairs, (table, column))
        if index < len(pairs) and pairs[index] == (table, column):
            return 1 + 3 * index
        return None

    def number(self, kind: int, table: str, column: str) -> int:
        """The number of the key (kind, table, column): the same key, the same number."""
        if kind == _FILL and (column == "*" or table == "*"):
            if table != "*":
                return self._table_fill(table)
            found = self._anywhere.get(column)
            return 0 if found is None else self._anywhere_base + found
        first = self.first(table, column)
        return 0 if first is None else first + kind

    def _table_fill(self, table: str) -> int:
        """The number of (fill, table, *): after the columns' keys, by the index of the
        table's first pair (0: no pair names the table)."""
        pair = self.tables.get(table)
        return 0 if pair is None else self._table_base + bisect.bisect_left(self.pairs, pair)

    def about(self, table: str, column: str) -> tuple[tuple[int, ...], tuple[int], tuple[int]]:
        """What column_state and column_type ask about a column: the numbers of (fill,
        table, column), (fill, table, *), (fill, *, column), (fill, *, *), (null,
        table, column); of (type, table, column); and of (null, table, column) alone.
        Groups: one answer each is kept (the latest of its keys), not one a key (1 MiB
        at 20,000 revisions)."""
        if table == "*" or column == "*":  # keys that are the same key: as `number` says
            number = self.number
            fills = [number(_FILL, table, column), number(_FILL, table, "*")]
            fills += [number(_FILL, "*", column), number(_FILL, "*", "*")]
            null = number(_NULL, table, column)
            return (*fills, null), (number(_TYPE, table, column),), (null,)
        # asked for every column altered (a hot path): each name looked up once
        table_fill = self._table_fill(table)
        anywhere = self._anywhere.get(column)
        anywhere = 0 if anywhere is None else self._anywhere_base + anywhere
        first = self.first(table, column)
        if first is None:
            return (0, table_fill, anywhere, self._anywhere_base, 0), (0,), (0,)
        state = (first, table_fill, anywhere, self._anywhere_base, first + _NULL)
        return state, (first + _TYPE,), (first + _NULL,)


_NO_FACTS: frozenset[Hashable] = frozenset()


def _apply_events(before: frozenset[Hashable], rev: RevisionFile) -> frozenset[Hashable]:
    """`before` (tables created, columns added, new tables filled) with what `rev`'s
    upgrade() creates and adds: a table renamed from one in it is still new, one
    renamed from an older table is not; and a new table it puts rows into (bulk_insert,
    insert(), INSERT INTO: seeds, or rows copied from an older table) holds rows
    (`("filled", table)`)."""
    side = operations(rev).upgrade
    found = set(before)
    renames = []
    for key, value in _scope_events(side.calls):
        old = value[1] if isinstance(value, tuple) else None  # ("renamed", old name)
        if value in ("created", "added", "added_null") or ("table", old) in found:
            found.add(key)
            if value == "added_null" and isinstance(key, tuple):
                found.add(("null", *key[1:]))  # its rows hold NULL when it is added
            if isinstance(key, tuple) and old is not None:
                renames.append((old, key[1]))
    for table, columns in _fills(side.steps):
        if ("table", table) in found:
            found.add(("filled", table))
            # a literal seed: the columns each of its rows gives a value (AG102)
            found.add(("unseeded", table) if columns is None else ("seed", table, columns))
    for old, new in renames:  # filled, before or after this revision renames it
        for fact in [f for f in found if isinstance(f, tuple) and f[1:2] == (old,)]:
            if fact[0] in ("filled", "unseeded", "seed"):
                found.add((fact[0], new, *fact[2:]))
    return frozenset(found) if found else _NO_FACTS


def holds_no_null(column: Column | None) -> bool:
    """Whether a column holds no NULL where it is made (created or added): NOT NULL
    (PostgreSQL refuses an added one on a table with rows unless a default fills them), a
    server default, or a primary key column."""
    if column is None:
        return False
    return column.nullable is False or bool(column.server_default) or bool(column.primary_key)


def relationship_key(attribute: str) -> str:
    """The column that setting `attribute` on ORM rows fills: the foreign key of a
    relationship so named (`row.owner = ...` sets `owner_id` on flush, SQLAlchemy's
    naming habit; LVFS gives each firmware its `vendor_odm` before making `vendor_odm_id`
    NOT NULL)."""
    return attribute + "_id"


def _fills(steps: list[Call]) -> Iterator[tuple[str, frozenset[str] | None]]:
    """Each table an upgrade() puts rows into, with the columns every row is given a
    value in where the rows are a literal `op.bulk_insert` list (None: any other rows)."""
    for step in steps:
        if step.name in ("insert", "bulk_insert") and step.table:
            seeded = step.columns if step.name == "bulk_insert" else None
            yield step.table.lower(), None if seeded is None else frozenset(seeded)
    for table in sql_inserts(steps):
        yield table, None


def _filled_tables(steps: list[Call]) -> set[str]:
    """The tables an upgrade() puts rows into (its steps: calls and SQL)."""
    return {table for table, _ in _fills(steps)}


def sql_inserts(steps: list[Call]) -> set[str]:
    """The tables the SQL among `steps` puts rows into, lowercased: `INSERT INTO`, and
    a table created from a query (`CREATE TABLE t AS SELECT ...`, MySQL's `CREATE TABLE
    t SELECT ...`), which holds its rows from the start; also in SQL built at run time
    where the table is written out (subunit2sql's copies, their column lists quoted as
    the dialect needs)."""
    found: set[str] = set()
    for step in steps:
        text = step.sql if isinstance(step.sql, str) else step.sql_shape
        if text is None:
            continue
        found.update(_inserted_tables(text))
        if step.name == "create_table" and step.table and step.options.get("from_query"):
            found.add(step.table.lower())
    return found


def _inserted_tables(text: str) -> Iterator[str]:
    """The tables each `INSERT INTO` of `text` names, lowercased; in SQL built at run
    time (parts not known as "{}"), not one whose name is partly built (`INSERT INTO
    {}_new`, `INSERT INTO tests_{}`)."""
    for match in INSERT_INTO.get().finditer(text):
        if not text.startswith("{", match.end()):
            yield match.group(1).lower()


# A table's name in SQL, after its schema's where one is written (`public."users"`), as
# the pattern's group (the rules' patterns of statements that name a table end in it).
# (a schema named at run time is a placeholder: pycds's `{schema_name}.meta_network_hx`)
SQL_TABLE = r"(?:[\"`\[]?(?:\w+|\{\w*\})[\"`\]]?\.)?[\"`\[]?(\w+)"
# The table an `INSERT INTO` fills.
INSERT_INTO = LazyPattern(r"\bINSERT\s+INTO\s+" + SQL_TABLE, re.IGNORECASE)
# The parts of `INSERT INTO a [(...)] SELECT ... FROM b` after INSERT_INTO (`insert_select`).
_SELECT = LazyPattern(r"\bSELECT\b", re.IGNORECASE)
_FROM = LazyPattern(r"\bFROM\s+" + SQL_TABLE, re.IGNORECASE)


def insert_select(statement: str) -> tuple[re.Match[str], re.Match[str], re.Match[str]] | None:
    """The `INSERT INTO a`, `SELECT` and `FROM b` of `INSERT INTO a [(...)] SELECT ...
    FROM b`, each pattern searched from where the one before matched (no backtracking
    over a long text), the FROM outside the parentheses of the select list (Stalker
    selects a status id with a subquery of its own, `(SELECT id FROM "Statuses" WHERE
    ...)`, before `FROM "Scenes"`); None for any other statement."""
    into = INSERT_INTO.get().search(statement)
    select = into and _SELECT.get().search(statement, into.end())
    source = select and _top_level_match(statement, select.end(), _FROM.get())
    if into and select and source:
        return into, select, source
    return None


def _top_level_match(text: str, start: int, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The first match of `pattern` in `text` after `start` that no parenthesis opened
    after `start` encloses (a parenthesis in a '...' string does not count): the match's
    offsets stay those of `text`, which operations.py's `_outside_parentheses` (the text
    with what parentheses hold taken out) does not keep."""
    depth, quoted, at = 0, False, start
    for match in pattern.finditer(text, start):
        for char in text[at : match.start()]:
            if char == "'":
                quoted = not quoted
            elif char == "(" and not quoted:
                depth += 1
            elif char == ")" and not quoted and depth:
                depth -= 1
        at = match.start()
        if not depth and not quoted:
            return match
    return None


def sql_copies(text: str) -> Iterator[tuple[str, str]]:
    """(a, b), lowercased, of each `INSERT INTO a [(...)] SELECT ... FROM b` statement of
    `text`; not where a name is partly built at run time (`INSERT INTO {}_new`)."""
    for statement in text.split(";"):
        parts = insert_select(statement)
        if parts is None:
            continue
        into, _, source = parts
        if statement.startswith("{", into.end()) or statement.startswith("{", source.end()):
            continue
        yield into.group(1).lower(), source.group(1).lower()


def _scope_events(calls: list[Call]) -> Iterator[tuple[Hashable, object]]:
    """Tables created or renamed, and columns added, by an unreleased revision, where it
    does so on every database: a table made again in one dialect's branch only is new
    there alone, and later revisions meet its rows on the others (Cuckoo's `tasks`,
    rebuilt on SQLite, indexed on PostgreSQL by the next revision of its release)."""
    events = list(_events_by_branch(calls))
    everywhere = _made_everywhere((key, dialects) for key, _, dialects in events)
    for key, value, _ in events:
        if key in everywhere:
            yield key, value


def _events_by_branch(
    calls: list[Call],
) -> Iterator[tuple[Hashable, object, tuple[str, ...] | None]]:
    """`_scope_events`' events with the dialects of the branch each sits in (None: any).
    A table renamed into the name of one the revision dropped is that table rebuilt,
    not a new one (mcp-context-forge's copies renamed back: later indexes meet its rows);
    one made in a schema computed as it runs (Tracecat's copy of `case_fields` in each
    workspace's schema) is not the table its name names."""
    dropped: set[str] = set()
    for call in calls:
        table = _lower(call.table)
        if table is None or call.schema is UNKNOWN:
            continue
        branch = call.dialects
        if call.name == "drop_table":
            dropped.add(table)
        elif call.name == "create_table":
            yield ("table", table), "created", branch
        elif call.name == "rename_table" and call.new_table:
            if call.new_table.lower() not in dropped:
                yield ("table", call.new_table.lower()), ("renamed", table), branch
        elif call.name == "add_column" and call.column:
            kind = "added" if holds_no_null(call.new_column) else "added_null"
            yield ("added", table, call.column.lower()), kind, branch
        elif call.name == "alter_column" and call.column and call.new_column_name:
            # a column renamed keeps being new only if it was: not known here
            yield ("added", table, call.new_column_name.lower()), "renamed", branch


# The calls that can record facts about a column (create_index, execute ... cannot).
_COLUMN_CALLS = frozenset(
    {
        "backfill",
        "insert",
        "create_table",
        "alter_column",
        "add_column",
        "drop_column",
        "create_primary_key",
        "not_null_check",
        "validate_constraint",
    }
)


def _column_events(
    calls: list[Call],
    keys: _ColumnKeys,
    rid: str,
    renames: dict[tuple[str, str], list[tuple[str, str]]],
    checks: dict[tuple[str, str], str],
) -> Iterator[tuple[Hashable, object]]:
    """The facts revision `rid`'s calls record about the columns and tables of interest:
    whether a column is NOT NULL, filled, and its type (keys numbered by `keys`; a
    fact no revision asks about is left out); the columns it renames go into
    `renames`, the NOT VALID checks that a column holds no NULL into `checks` (read
    bases first: a check is made before the revision that validates it)."""
    first_of, tables = keys.first, keys.tables
    filled: set[tuple[str, str]] = set()  # the columns this revision fills, as it goes
    for call in calls:
        kind = call.name  # a local: reading an unpacked call's attribute is dearer
        if kind not in _COLUMN_CALLS:
            continue
        table, column = _lower(call.table), _lower(call.column)
        if kind == "backfill":
            if table is not None and column is not None:
                filled.add((table, column))
            if table is None or table in tables:
                number = keys.number(_FILL, table or "*", column or "*")
                if number:  # (which columns an UPDATE sets may not be known)
                    yield number, "filled" if column is not None else "filled_some"
                if column is not None:  # `row.owner = ...` fills `owner_id`
                    key = keys.number(_FILL, table or "*", relationship_key(column))
                    if key:
                        yield key, "filled"
        elif kind == "not_null_check" or kind == "validate_constraint":
            checked = _checked_column(call, table, column, checks)
            if checked is not None and table in tables:
                number = keys.number(_FILL, table, checked)
                if number:  # every row holds a value: as good as a backfill
                    yield number, "filled"
        elif kind == "create_table" and table in tables:
            for col in call.table_columns or ():
                found = first_of(table, (col.name or "").lower())
                if found is not None:
                    yield from _column_facts(
                        found, col.nullable, col.primary_key, col.type_, "created_nullable"
                    )
                    if col.server_default:  # every row gets it (mwdb-core's feed_quality)
                        yield keys.number(_FILL, table, (col.name or "").lower()), "filled"
        elif kind == "alter_column" and table and call.new_column_name:
            yield from _renamed(call, table, keys, rid, renames)
            if (table, (call.column or "").lower()) in filled:  # its values, under the new name
                number = keys.number(_FILL, table, call.new_column_name.lower())
                if number:
                    yield number, "filled"
        elif kind == "create_primary_key" and table in tables:
            for name in call.columns or ():  # a key's columns are NOT NULL
                found = first_of(table, name.lower())
                if found is not None:
                    yield found + _NULL, "not_null"
        if table is None or column is None:
            continue
        first = first_of(table, column)
        if first is None:
            continue
        if kind == "insert":  # put back, naming it, into the table the revision emptied
            yield keys.number(_FILL, table, column), "filled"
        elif kind == "add_column" and call.new_column is not None:
            new = call.new_column
            yield from _column_facts(first, new.nullable, False, new.type_, "added_nullable")
            if new.server_default:  # existing rows get the default, new ones too
                yield keys.number(_FILL, table, column), "filled"
        elif kind == "alter_column":
            nullable = call.options.get("nullable")
            if isinstance(nullable, bool):
                yield first + _NULL, "nullable" if nullable else "not_null"
            if call.type_text:
                yield first + _TYPE, call.type_text
        elif kind == "drop_column":
            yield first + _NULL, "gone"
            yield first + _TYPE, "gone"


def _checked_column(
    call: Call, table: str | None, column: str | None, checks: dict[tuple[str, str], str]
) -> str | None:
    """The column a check that it holds no NULL now holds for every row of `table`:
    one added valid (named or not), or a NOT VALID one (noted in `checks` by its name)
    validated by `call`."""
    if table is None:
        return None
    name = call.options.get("constraint")
    named = name.lower() if isinstance(name, str) else None
    if call.name == "validate_constraint":
        return None if named is None else checks.get((table, named))
    if column is not None and not call.options.get("valid"):
        if named is not None:
            checks[(table, named)] = column
        return None
    return column


def made_not_null(nullable: bool | None, primary: bool) -> bool:
    """Whether a column is made NOT NULL: `nullable=False`, or a primary key column that
    does not say `nullable=True` (a key is NOT NULL)."""
    return nullable is False or (primary and nullable is not True)


def _fails_on_rows(call: Call) -> bool:
    """An add_column of a NOT NULL column with no server default (AG101's)."""
    column = call.new_column
    return call.name == "add_column" and column is not None and not_null_without_default(column)


def not_null_without_default(column: Column) -> bool:
    """Whether an added column is NOT NULL with nothing the server fills it with (no
    server_default, Identity, Computed or SERIAL key): its ADD COLUMN fails on a table
    with rows on PostgreSQL (MySQL fills zeros instead)."""
    return made_not_null(column.nullable, column.primary_key) and not column.server_default


def _column_facts(
    first: int, nullable: bool | None, primary: bool, type_: str | None, made: str
) -> Iterator[tuple[Hashable, object]]:
    """The facts a column made NOT NULL or not, of a type, records (`first`: its pair's
    first key's number: `_ColumnKeys.first`; `made`: how a nullable one came,
    "created_nullable" with its table or "added_nullable" to it: NULLABLE_STATES)."""
    yield first + _NULL, "not_null" if made_not_null(nullable, primary) else made
    if type_:
        yield first + _TYPE, type_


def _renamed(
    call: Call,
    table: str,
    keys: _ColumnKeys,
    rid: str,
    renames: dict[tuple[str, str], list[tuple[str, str]]],
) -> Iterator[tuple[Hashable, object]]:
    """A rename gives the new name facts it does not know (the old column's are not
    carried over), unless the call states them: its state is "renamed", and `renames`
    says which revision renamed it from which name (Knowledge.state_before_rename; one
    value for every rename: the timeline keeps a byte a fact while its values are few)."""
    new = (call.new_column_name or "").lower()
    first = keys.first(table, new)
    if first is None:
        return
    nullable = call.options.get("nullable")
    if call.column and nullable is not False:
        renames.setdefault((table, new), []).append((rid, call.column.lower()))
        yield first + _NULL, "renamed"
    else:
        yield first + _NULL, "not_null" if nullable is False else "unknown"
    yield first + _TYPE, call.type_text or "unknown"


def _runs_with(earlier: Call, call: Call) -> bool:
    """Whether `earlier` runs on any database `call` runs on (rows it puts into a table
    there are there when the call runs)."""
    if earlier.dialects is None or call.dialects is None:
        return True
    return not set(earlier.dialects).isdisjoint(call.dialects)


def runs_wherever(earlier: Call, call: Call) -> bool:
    """Whether `earlier` runs on every database `call` runs on (its dialect branch, if
    any, holds the later call's)."""
    if earlier.dialects is None:
        return True
    return call.dialects is not None and set(call.dialects) <= set(earlier.dialects)


def _made_everywhere(
    made: Iterable[tuple[Key, tuple[str, ...] | None]], needed: Set[str] = DIALECTS
) -> set[Key]:
    """The keys of `made` (what calls make, each with the dialects of the branch it sits
    in: None for any) made wherever `needed` runs: outside any branch, or in branches
    that between them cover `needed`. A table made again in one dialect's branch only is
    new there alone (Cuckoo's `tasks`, rebuilt on SQLite); one made for PostgreSQL and
    again for the rest is new everywhere (Open ACE's backup table)."""
    everywhere: set[Key] = set()
    branches: dict[Key, set[str]] = {}
    for key, dialects in made:
        if dialects is None:
            everywhere.add(key)
        else:
            branches.setdefault(key, set()).update(dialects)
    return everywhere | {key for key, named in branches.items() if named >= needed}


def _created_tables(calls: list[Call]) -> set[str]:
    tables = {c.table.lower() for c in calls if c.name == "create_table" and c.table}
    tables |= {_text_key(c) for c in calls if c.name == "create_table" and c.table_text}
    renames = {
        (c.table.lower(), c.new_table.lower())
        for c in calls
        if c.name == "rename_table" and c.table and c.new_table
    }
    grown = True
    while grown:  # a new table renamed is still new, however often
        before = len(tables)
        tables |= {new for old, new in renames if old in tables}
        grown = len(tables) > before
    return tables


def _text_key(call: Call) -> str:
    """How `_created_tables` keeps a table known only as written (`Call.table_text`):
    apart from every name read ("" when there is no text, which no table is)."""
    return "" if call.table_text is None else f"\0{call.table_text}"


def checked_revisions(ctx: LintContext) -> Iterator[Checked]:
    """Readable revisions the AG1xx rules apply to (those in scope: since, --base, files),
    with the operations read by the one parse of each file."""
    for rid in ctx.revisions_in_scope():
        rev = ctx.graph.by_id[rid]
        ops = operations(rev)
        if ops.problem is None:
            yield Checked(ctx, rid, rev, ops)
        elif rev.problem is None and rev.syntax_error is None:  # (else AG007 reports it)
            _unchecked(ctx)[rev.display] = ops.problem


def _unchecked(ctx: LintContext) -> dict[str, str]:
    """The files in scope whose calls could not be read, with why (the run's, kept in
    the context's memo)."""
    found = ctx.memo.setdefault(_UNCHECKED, {})
    assert isinstance(found, dict)
    return found


_UNCHECKED = "ag1xx unchecked"


def release_notes(ctx: LintContext) -> list[str]:
    """Why `release-tags` could not be read, where it was asked and could not (check
    prints it beside its own notes; lint's `unchecked_notes` holds it too)."""
    note = ctx.memo.get(_RELEASE_NOTE)
    return [note] if isinstance(note, str) else []


def unchecked_notes(ctx: LintContext) -> list[str]:
    """A note for each file in scope that parses but whose calls the safety rules could
    not read, and why releases could not be read from `release-tags` (a run is never
    silent about what it did not check)."""
    notes = [
        f"{path}: its op.* calls could not be read ({problem}): the safety rules did not check it"
        for path, problem in _unchecked(ctx).items()
    ]
    return notes + release_notes(ctx)


_RELEASE_NOTE = "release-tags note"


def imported_reader(ctx: LintContext) -> Reader:
    """The run's reader of project functions (history.imported): one a run, so that
    each project file is parsed once."""
    from alembic_gate.history.imported import Reader  # (read for few revisions)

    reader = ctx.memo.get(_READER)
    if not isinstance(reader, Reader):
        reader = ctx.memo[_READER] = Reader()
    return reader


_READER = "imported functions"


def with_imported_calls(checked: Checked) -> Checked:
    """`checked` with the op.* calls of the project functions its upgrade() hands a
    batch alias or `op` (CloudKitty's `create_common_tables(batch_op)`) read in where
    each is called, each marked with the function (`Call.foreign`); `checked` itself
    where it hands none."""
    upgrade = checked.ops.upgrade
    handing = [s for s in upgrade.steps if s.name == "foreign" and s.options]
    if not handing:
        return checked
    reader = imported_reader(checked.ctx)
    own = {id(call) for call in upgrade.calls}
    calls: list[Call] = []
    for step in upgrade.steps:
        if id(step) in own:
            calls.append(step)
        elif step.name == "foreign" and step.options:
            read = reader.schema_calls(step, checked.rev.file)
            calls += [replace(call, foreign=step.foreign) for call in read]
    if len(calls) == len(upgrade.calls):
        return checked
    side = replace(upgrade, calls=calls)
    return Checked(checked.ctx, checked.rid, checked.rev, replace(checked.ops, upgrade=side))


def each_revision(check_revision: Callable[[Checked], Iterator[Finding]]) -> Check:
    """A safety rule's check of a whole history, from its check of one revision (lint
    and check run `check_revision` itself, in one pass for every rule)."""

    def check(ctx: LintContext) -> Iterator[Finding]:
        for checked in checked_revisions(ctx):
            yield from one_per_hazard(checked, list(check_revision(checked)))

    return check


def one_per_hazard(checked: Checked, findings: list[Finding]) -> list[Finding]:
    """`findings` of one revision, less those a rule made twice for one change: a change
    made once per dialect branch (ubersystem's `if is_sqlite:` a batch's `alter_column`,
    `else:` op's; fief's drop_column for PostgreSQL, MySQL and SQLite) is one hazard
    where the same rule says the same of each (`Finding.identity`): reported at the call
    that runs on any database, else PostgreSQL's, else the one for the most."""
    if len(findings) < 2 or all(c.dialects is None for c in checked.calls):
        return findings
    at_line: dict[int, list[Call]] = {}
    for call in checked.calls:
        at_line.setdefault(call.line, []).append(call)
    branched = [f for f in findings if _in_branches(at_line.get(f.line or 0))]
    if not branched:
        return findings
    changes: dict[tuple[object, ...], list[Call]] = {}
    for call in checked.calls:
        changes.setdefault(_change(call), []).append(call)
    reported = {(f.code, f.line, _hazard(f)) for f in findings}

    def twinned(finding: Finding) -> bool:
        said = _hazard(finding)
        return all(
            any((finding.code, other.line, said) in reported for other in _twins(call, changes))
            for call in at_line[finding.line or 0]
        )

    dropped = {id(f) for f in branched if twinned(f)}
    return [f for f in findings if id(f) not in dropped]


def _hazard(finding: Finding) -> str:
    """What `finding` says is wrong, less the operation as its branch writes it (`as_written`):
    a rename run as SQL in PostgreSQL's branch and as alter_column in the other is one
    hazard (the Prebid sales agent's)."""
    said = finding.identity()
    return said.split(_AS_SQL, 1)[1].lstrip() if _AS_SQL in said else said.partition(" ")[2]


def _in_branches(calls: list[Call] | None) -> bool:
    """Whether there are calls on the line, each in a dialect branch."""
    if not calls:
        return False
    return all(c.dialects is not None for c in calls)


def _twins(call: Call, changes: dict[tuple[object, ...], list[Call]]) -> Iterator[Call]:
    """The calls making the change `call` makes (`changes`: the revision's calls by
    change), in a branch that runs where `call`'s does not, that come before it in
    `_breadth`'s order."""
    if call.dialects is None:
        return
    mine = set(call.dialects)
    for other in changes[_change(call)]:
        if other is call:
            continue
        if other.dialects is not None and not mine.isdisjoint(other.dialects):
            continue
        if _breadth(other) > _breadth(call):
            yield other


def _change(call: Call) -> tuple[object, ...]:
    """What `call` changes, as far as the call says: an index by its name (the first
    argument, in op's form and a batch's alike); a constraint, or an index whose name is
    not written, by the call itself (which one it builds is not kept: no twin)."""
    if call.name.startswith("create_") and call.name != "create_table":
        if call.name != "create_index" or not call.args_text or call.sql is not None:
            return (id(call),)
        return (call.name, _lower(call.table), call.args_text[0])
    new = call.new_column.name if call.new_column is not None else None
    return (
        call.name,
        _lower(call.table),
        _lower(call.column),
        _lower(call.new_column_name),
        _lower(call.new_table),
        _lower(new),
        call.type_text,
    )


def _breadth(call: Call) -> tuple[bool, bool, int, int]:
    """Which of a change's calls is reported (the largest): one that runs anywhere, then
    PostgreSQL's, then the one for the most databases, then the first."""
    dialects = call.dialects
    if dialects is None:
        return (True, True, len(DIALECTS), -call.line)
    return (False, POSTGRESQL in dialects, len(dialects), -call.line)


def adds_column(call: Call, table: str, column: str) -> bool:
    """Whether `call` is the add_column of `column` to `table` (both lowercased)."""
    return (
        call.name == "add_column"
        and (call.table or "").lower() == table
        and (call.column or "").lower() == column
    )


def as_written(call: Call, sql: str, op: str) -> str:
    """What a finding calls the operation: `op`, the op.* method; for a call read from
    SQL run by execute() (`Call.sql`), the SQL's words `sql`, saying where they ran."""
    return f"{sql}{_AS_SQL}" if call.sql is not None else op


_AS_SQL = " (SQL run by execute())"


def described(table: str | None, column: str | None = None, written: str | None = None) -> str:
    """`"users.email"`, `"users"`, or what is known when a name is computed at run time:
    the expression that names the table, as `written` (`Call.table_text`), where known."""
    if table is not None and column is not None:
        return f'"{table}.{column}"'
    if table is not None:
        return f'"{table}"'
    of = "a table named at run time" if written is None else f"the table named by {written}"
    if column is not None:
        return f'"{column}" (of {of})'
    return "(a name computed at run time)" if written is None else of


def table_of(call: Call) -> str:
    """`described` of the call's table (`"users"`, or the expression naming it)."""
    return described(call.table, written=call.table_text)


def column_of(call: Call) -> str:
    """`described_column` of the call's column (`"users.email"`)."""
    return described_column(call.table, call.column, call.table_text)


def described_column(table: str | None, column: str | None, written: str | None = None) -> str:
    """`described` for a column: one whose name is computed at run time on a known table
    is not the table's name alone (`"users"`, read as a column named users)."""
    if table is not None and column is None:
        return f'(a column named at run time) of "{table}"'
    if table is None and column is None and written is not None:
        return f"(a column named at run time) of the table named by {written}"
    return described(table, column, written)


def name_confidence(*names: str | None) -> Confidence:
    """Medium when a name is only known at run time: the rule cannot tell whether the
    table is new or emptied."""
    return "high" if all(name is not None for name in names) else "medium"


def less_sure(confidence: Confidence) -> Confidence:
    """One step less sure: where a fact the rule does not read may undo the hazard."""
    return "medium" if confidence == "high" else "low"


def suppress_hint(code: str) -> str:
    return f"# alembic-gate: ignore[{code}]"


def _lower(name: str | None) -> str | None:
    return None if name is None else name.lower()
