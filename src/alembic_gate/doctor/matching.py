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
    # Revisions read incompletely among the matches' history: the match is not certain.
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


def static_points(graph: RevisionGraph, changes: Mapping[str, TableChanges]) -> list[Point]:
    """The schema after each revision (with everything it needs), bases first; then, when
    the history has several heads, the schema with every head applied."""
    points: list[Point] = []
    schemas: dict[str, Schema] = {}
    unsure: dict[str, set[str]] = {}
    for rid in graph.topological():
        upstream = graph.upstream(rid)
        if len(upstream) == 1 and upstream[0] in schemas:
            schema = dict(schemas[upstream[0]])
            doubts = set(unsure[upstream[0]])
        else:
            schema, doubts = _fold(graph, graph.ancestors(upstream), changes)
        for change in changes[rid].changes:
            apply(schema, change)
        if changes[rid].unknown:
            doubts.add(rid)
        schemas[rid], unsure[rid] = schema, doubts
        points.append(Point((rid,), schema, tuple(sorted(doubts))))
    heads = [h for h in graph.heads if h in schemas]
    if len(heads) > 1:
        schema, doubts = _fold(graph, graph.ancestors(heads), changes)
        points.append(Point(tuple(heads), schema, tuple(sorted(doubts))))
    return points


def _fold(
    graph: RevisionGraph, revisions: set[str], changes: Mapping[str, TableChanges]
) -> tuple[Schema, set[str]]:
    schema: Schema = {}
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
        if not found:
            result.matches.append(point.heads)
            result.unsure.extend(r for r in point.unsure if r not in result.unsure)
        elif best is None or (len(found), -index) < best:
            best = (len(found), -index)
            result.nearest, result.differences = point.heads, found
    if result.matches:
        result.nearest, result.differences = None, []
    return result
