"""Which revision an unversioned schema is at: compare its tables and columns with the
schema each point of the history would have.

The points come from the static reader (`static_points`: fold each revision's table
changes over its ancestors) or from a replay in a throwaway database (`replay.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from alembic_gate.doctor.tables import Change, TableChanges
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.shared.records import field, record

# Table -> its columns; None when they are not known (static reading only).
Schema = dict[str, frozenset[str] | None]


@record(frozen=True)
class Point:
    """A state of the history: the revisions to stamp for it, and its schema."""

    heads: tuple[str, ...]
    schema: Mapping[str, frozenset[str] | None]
    # Revisions among those applied whose table changes could not all be read.
    unsure: tuple[str, ...] = ()


@record
class SchemaMatch:
    """The outcome of comparing a live schema with the points of the history."""

    # How the points were made, for the message.
    method: str
    # Points whose schema equals the live one (their `heads`).
    matches: list[tuple[str, ...]] = field(default_factory=list)
    # Revisions read incompletely anywhere in the history: what they do is not known, so
    # neither a match nor the lack of one is certain (a later revision's unread SQL may
    # have brought the schema to, or away from, any point).
    unsure: list[str] = field(default_factory=list)
    # Live tables no revision creates: left out of the comparison.
    foreign: list[str] = field(default_factory=list)
    # No match: the closest point, and how the live schema differs from it.
    nearest: tuple[str, ...] | None = None
    differences: list[str] = field(default_factory=list)
    # Anything else worth saying ("the replay stopped at ...").
    notes: list[str] = field(default_factory=list)

    @property
    def decided(self) -> tuple[str, ...] | None:
        """The revisions to stamp, when exactly one point matches, certainly."""
        if len(self.matches) == 1 and not self.unsure:
            return self.matches[0]
        return None


def apply(schema: Schema, change: Change) -> None:
    """Apply one change to `schema` in place."""
    table = change.table
    if change.kind == "create":
        schema[table] = change.columns
    elif change.kind == "drop":
        schema.pop(table, None)
    elif change.kind == "rename":
        schema[str(change.new_name)] = schema.pop(table, None)
    elif table in schema and schema[table] is not None:
        columns = set(schema[table] or ())
        if change.kind == "add_column":
            columns.add(str(change.column))
        elif change.kind == "drop_column":
            columns.discard(str(change.column))
        elif change.column in columns:
            columns.discard(str(change.column))
            columns.add(str(change.new_name))
        else:
            schema[table] = None  # renaming a column we do not know of: stop guessing
            return
        schema[table] = frozenset(columns)


def static_points(
    graph: RevisionGraph,
    changes: Mapping[str, TableChanges],
    start: Mapping[str, frozenset[str]] | None = None,
) -> list[Point]:
    """The schema after each revision (with everything it needs), bases first; then, when
    the history has several heads, the schema with every head applied. The history
    starts from the tables of `start` (`start_schema`), or from none."""
    start = start or {}
    points: list[Point] = []
    schemas: dict[str, Schema] = {}
    unsure: dict[str, set[str]] = {}
    for rid in graph.topological():
        upstream = graph.upstream(rid)
        if len(upstream) == 1 and upstream[0] in schemas:
            schema = dict(schemas[upstream[0]])
            doubts = set(unsure[upstream[0]])
        else:
            schema, doubts = _fold(graph, graph.ancestors(upstream), changes, start)
        for change in changes[rid].changes:
            apply(schema, change)
        if changes[rid].unknown:
            doubts.add(rid)
        schemas[rid], unsure[rid] = schema, doubts
        points.append(Point((rid,), schema, tuple(sorted(doubts))))
    heads = [h for h in graph.heads if h in schemas]
    if len(heads) > 1:
        schema, doubts = _fold(graph, graph.ancestors(heads), changes, start)
        points.append(Point(tuple(heads), schema, tuple(sorted(doubts))))
    return points


def _fold(
    graph: RevisionGraph,
    revisions: set[str],
    changes: Mapping[str, TableChanges],
    start: Mapping[str, frozenset[str]],
) -> tuple[Schema, set[str]]:
    schema: Schema = dict(start)
    doubts: set[str] = set()
    for rid in graph.topological(revisions):
        for change in changes[rid].changes:
            apply(schema, change)
        if changes[rid].unknown:
            doubts.add(rid)
    return schema, doubts


def managed_tables(changes: Iterable[TableChanges]) -> set[str]:
    """Every table some revision creates, drops or renames."""
    names: set[str] = set()
    for revision in changes:
        for change in revision.changes:
            if change.kind in ("create", "drop", "rename"):
                names.add(change.table)
                if change.new_name:
                    names.add(change.new_name)
    return names


def differences(
    expected: Mapping[str, frozenset[str] | None], live: Mapping[str, frozenset[str]]
) -> list[str]:
    """How `live` differs from `expected`, one phrase each; empty when they match."""
    found: list[str] = []
    for table in sorted(set(expected) - set(live)):
        found.append(f"table {table} is missing")
    for table in sorted(set(live) - set(expected)):
        found.append(f"table {table} is extra")
    for table in sorted(set(expected) & set(live)):
        columns = expected[table]
        if columns is None:
            continue
        for column in sorted(columns - live[table]):
            found.append(f"column {table}.{column} is missing")
        for column in sorted(live[table] - columns):
            found.append(f"column {table}.{column} is extra")
    return found


def match(
    method: str,
    points: Sequence[Point],
    live: Mapping[str, frozenset[str]],
    managed: set[str],
) -> SchemaMatch:
    """Compare the live schema (tables no revision manages left out) with every point."""
    result = SchemaMatch(method, foreign=sorted(set(live) - managed))
    compared = {table: cols for table, cols in live.items() if table in managed}
    best: tuple[int, int] | None = None
    for index, point in enumerate(points):
        found = differences(point.schema, compared)
        result.unsure.extend(r for r in point.unsure if r not in result.unsure)
        if not found:
            result.matches.append(point.heads)
        elif best is None or (len(found), -index) < best:
            best = (len(found), -index)
            result.nearest, result.differences = point.heads, found
    if result.matches:
        result.nearest, result.differences = None, []
    return result


# -- the schema a history starts from ---------------------------------------------------

# (table, None): the table exists; (table, column): the column exists.
Expectation = dict[tuple[str, str | None], bool]


@record
class Start:
    """A live schema held against the one a history starts from: the tables its
    revisions alter (add columns to, index, ...) before, or without, creating them, as
    MLflow's first revision alters the tables `create_all` made."""

    # Those tables -> the first revision that names each.
    tables: dict[str, str]
    # Points that match: () before the first revision, (rid,) after a revision that
    # creates no table (nor follows one that does).
    matches: list[tuple[str, ...]] = field(default_factory=list)
    # Revisions whose upgrade() cannot all be read: no verdict is certain.
    unsure: list[str] = field(default_factory=list)
    # No match: how the live schema differs from the one before the first revision.
    differences: list[str] = field(default_factory=list)
    # Live tables the history never names: left out of the comparison.
    foreign: list[str] = field(default_factory=list)


def starting_tables(graph: RevisionGraph, changes: Mapping[str, TableChanges]) -> dict[str, str]:
    """The tables the history names before (or without) creating them, each with the
    first revision that names it."""
    found: dict[str, str] = {}
    created: set[str] = set()
    for rid in graph.topological():
        for change in changes[rid].changes:
            if change.kind == "create":
                created.add(change.table)
                continue
            if change.table not in created:
                found.setdefault(change.table, rid)
            if change.kind == "rename" and change.new_name:
                created.add(change.new_name)
        for table in changes[rid].touched:
            if table not in created:
                found.setdefault(table, rid)
    return found


def created_tables(changes: Iterable[TableChanges]) -> set[str]:
    """Every table some revision creates (or renames a table to)."""
    return {
        str(c.new_name if c.kind == "rename" else c.table)
        for revision in changes
        for c in revision.changes
        if c.kind == "create" or (c.kind == "rename" and c.new_name)
    }


def _expect(expectation: Expectation, change: Change, first: bool) -> None:
    """What `change` says of the tables it names: before it runs (`first`: only where
    nothing was said yet), or after it."""

    def put(key: tuple[str, str | None], value: bool) -> None:
        if first:
            expectation.setdefault(key, value)
        else:
            expectation[key] = value

    table = change.table
    if change.kind in ("drop", "rename"):
        put((table, None), first)
    elif change.kind == "add_column":
        put((table, change.column), not first)
    elif change.kind == "drop_column":
        put((table, change.column), first)
    elif change.kind == "rename_column":
        put((table, change.column), first)
        put((table, change.new_name), not first)


def match_start(
    graph: RevisionGraph,
    changes: Mapping[str, TableChanges],
    live: Mapping[str, frozenset[str]],
) -> Start | None:
    """`live` against the schema the history starts from, when it holds some of the
    tables the history alters without creating them and none of those it creates;
    None otherwise."""
    tables = starting_tables(graph, changes)
    if not set(live) & set(tables) or set(live) & created_tables(changes.values()):
        return None
    start = _start_expectation(graph, changes, tables)
    result = Start(tables, foreign=sorted(set(live) - set(tables)))
    result.unsure = [rid for rid in graph.topological() if changes[rid].unknown]
    found = _unmet(start, live)
    if not found:
        result.matches.append(())
    result.differences = found
    # After each revision that creates no table, nor follows one that does.
    for rid in graph.topological():
        below = graph.topological(graph.ancestors([rid]))
        if any(c.kind in ("create", "rename") for r in below for c in changes[r].changes):
            continue
        after = dict(start)
        for r in below:
            for change in changes[r].changes:
                _expect(after, change, first=False)
        if not _unmet(after, live):
            result.matches.append((rid,))
    return result


def _start_expectation(
    graph: RevisionGraph, changes: Mapping[str, TableChanges], tables: Iterable[str]
) -> Expectation:
    """The schema before the first revision: every table of `tables`, and each column as
    the first change that names it expects it (add_column: not there yet; drop_column:
    there)."""
    start: Expectation = {(table, None): True for table in tables}
    created: set[str] = set()
    for rid in graph.topological():
        for change in changes[rid].changes:
            if change.kind == "create" or change.table in created:
                created.add(change.new_name or change.table)
                continue
            _expect(start, change, first=True)
            if change.kind == "rename":
                created.add(str(change.new_name))
    return start


def start_schema(
    graph: RevisionGraph,
    changes: Mapping[str, TableChanges],
    live: Mapping[str, frozenset[str]],
) -> dict[str, frozenset[str]]:
    """The live tables the history starts from (it alters them before, or without,
    creating them; no revision creates them), each with the columns the first revision
    expects: the live ones, less those a revision adds, plus those it drops or renames.
    A replay starts from them, as the history does."""
    created = created_tables(changes.values())
    tables = [t for t in starting_tables(graph, changes) if t in live and t not in created]
    start = _start_expectation(graph, changes, tables)
    schema: dict[str, frozenset[str]] = {}
    for table in tables:
        columns = {c for c in live[table] if start.get((table, c), True)}
        columns |= {str(c) for (t, c), there in start.items() if t == table and c and there}
        schema[table] = frozenset(columns)
    return schema


def _unmet(expectation: Expectation, live: Mapping[str, frozenset[str]]) -> list[str]:
    found: list[str] = []
    for (table, column), wanted in sorted(
        expectation.items(), key=lambda i: (i[0][0], i[0][1] or "")
    ):
        if column is None:
            if (table in live) != wanted:
                found.append(f"table {table} is {'missing' if wanted else 'extra'}")
        elif table in live and (column in live[table]) != wanted:
            found.append(f"column {table}.{column} is {'missing' if wanted else 'extra'}")
    return found
