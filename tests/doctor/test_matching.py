"""Folding table changes over the history, and comparing a live schema with each point."""

from __future__ import annotations

from pathlib import Path

from alembic_gate.doctor.matching import (
    Point,
    Schema,
    apply,
    differences,
    managed_tables,
    match,
    match_start,
    start_schema,
    starting_tables,
    static_points,
)
from alembic_gate.doctor.tables import Change, TableChanges, read_table_changes
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import read_revision


def history(
    tmp_path: Path, revisions: dict[str, tuple[object, str]]
) -> tuple[RevisionGraph, dict[str, TableChanges]]:
    """Revision files `id -> (down_revision, upgrade body)`, read as doctor reads them."""
    files = []
    for rid, (down, body) in revisions.items():
        path = tmp_path / f"{rid}.py"
        path.write_text(
            f"from alembic import op\nimport sqlalchemy as sa\nrevision = {rid!r}\n"
            f"down_revision = {down!r}\n\ndef upgrade():\n    {body}\n",
            encoding="utf-8",
        )
        files.append(read_revision(path, tmp_path))
    graph = RevisionGraph.build(files)
    return graph, {rid: read_table_changes(rev.path) for rid, rev in graph.by_id.items()}


def create(table: str, *columns: str) -> str:
    cols = "".join(f", sa.Column({c!r}, sa.Integer)" for c in columns)
    return f"op.create_table({table!r}{cols})"


def test_apply_follows_renames_and_stops_guessing_at_unknown_columns() -> None:
    schema: Schema = {}
    for change in (
        Change("create", "users", columns=frozenset({"id", "name"})),
        Change("add_column", "users", "email"),
        Change("rename_column", "users", "name", new_name="full_name"),
        Change("drop_column", "users", "email"),
        Change("rename", "users", new_name="accounts"),
        Change("create", "raw"),
        Change("add_column", "raw", "x"),
    ):
        apply(schema, change)
    assert schema == {"accounts": frozenset({"id", "full_name"}), "raw": None}
    apply(schema, Change("rename_column", "accounts", "nope", new_name="other"))
    assert schema["accounts"] is None


def test_points_across_a_branch_and_its_merge(tmp_path: Path) -> None:
    graph, changes = history(
        tmp_path,
        {
            "base": (None, create("users", "id")),
            "left": ("base", create("posts", "id")),
            "right": ("base", "op.add_column('users', sa.Column('email', sa.Integer))"),
            "merge": (("left", "right"), "pass"),
        },
    )
    points = {p.heads: dict(p.schema) for p in static_points(graph, changes)}
    assert points[("left",)] == {"users": frozenset({"id"}), "posts": frozenset({"id"})}
    assert points[("right",)] == {"users": frozenset({"id", "email"})}
    assert points[("merge",)] == {
        "users": frozenset({"id", "email"}),
        "posts": frozenset({"id"}),
    }


def test_two_heads_also_give_the_point_with_both_applied(tmp_path: Path) -> None:
    graph, changes = history(
        tmp_path,
        {
            "base": (None, create("users", "id")),
            "a": ("base", create("a", "id")),
            "b": ("base", create("b", "id")),
        },
    )
    live = {"users": frozenset({"id"}), "a": frozenset({"id"}), "b": frozenset({"id"})}
    result = match("static", static_points(graph, changes), live, managed_tables(changes.values()))
    assert result.matches == [("a", "b")]
    assert result.decided == ("a", "b")


def test_doubts_spread_to_every_later_point(tmp_path: Path) -> None:
    graph, changes = history(
        tmp_path,
        {
            "one": (None, create("users", "id")),
            "two": ("one", "op.execute(build_sql())"),
            "three": ("two", create("posts", "id")),
        },
    )
    unsure = {p.heads: p.unsure for p in static_points(graph, changes)}
    assert unsure == {("one",): (), ("two",): ("two",), ("three",): ("two",)}
    live = {"users": frozenset({"id"}), "posts": frozenset({"id"})}
    result = match("static", static_points(graph, changes), live, {"users", "posts"})
    assert result.matches == [("three",)]
    assert result.decided is None


def test_nearest_point_and_foreign_tables() -> None:
    points = [
        Point(("a",), {"users": frozenset({"id"})}),
        Point(("b",), {"users": frozenset({"id", "email"})}),
        Point(("c",), {"users": frozenset({"id", "email"}), "posts": frozenset({"id"})}),
    ]
    live = {"users": frozenset({"id", "email", "phone"}), "spatial_ref_sys": frozenset({"srid"})}
    result = match("static", points, live, {"users", "posts"})
    assert result.matches == []
    assert result.foreign == ["spatial_ref_sys"]
    assert result.nearest == ("b",)
    assert result.differences == ["column users.phone is extra"]


def test_differences_name_tables_and_columns() -> None:
    expected = {"users": frozenset({"id", "email"}), "posts": frozenset({"id"}), "raw": None}
    live = {"users": frozenset({"id", "name"}), "raw": frozenset({"anything"}), "tags": frozenset()}
    assert differences(expected, live) == [
        "table posts is missing",
        "table tags is extra",
        "column users.email is missing",
        "column users.name is extra",
    ]


def test_the_schema_a_history_starts_from(tmp_path: Path) -> None:
    graph, changes = history(
        tmp_path,
        {
            "a1": (None, 'op.create_index("ix_runs_name", "runs", ["name"])'),
            "a2": ("a1", 'op.add_column("runs", sa.Column("x", sa.Integer))'),
            "a3": ("a2", create("tags", "id")),
            "a4": ("a3", 'op.drop_column("metrics", "old")'),
        },
    )
    assert starting_tables(graph, changes) == {"runs": "a1", "metrics": "a4"}
    runs = frozenset({"name"})
    start = match_start(graph, changes, {"runs": runs, "metrics": frozenset({"old"})})
    assert start is not None
    # An index is not compared: before a1 and after it look the same.
    assert start.matches == [(), ("a1",)]
    start = match_start(graph, changes, {"runs": runs | {"x"}, "metrics": frozenset({"old"})})
    assert start is not None and start.matches == [("a2",)]
    start = match_start(graph, changes, {"runs": runs, "metrics": frozenset()})
    assert start is not None and start.matches == []
    assert start.differences == ["column metrics.old is missing"]
    # A table the history creates, or none it starts from: not the start.
    assert match_start(graph, changes, {"runs": runs, "tags": frozenset({"id"})}) is None
    assert match_start(graph, changes, {"invoices": frozenset({"id"})}) is None


def test_the_start_schema_a_replay_begins_with(tmp_path: Path) -> None:
    graph, changes = history(
        tmp_path,
        {
            "a1": (None, 'op.add_column("runs", sa.Column("x", sa.Integer))'),
            "a2": ("a1", create("tags", "id")),
            "a3": ("a2", 'op.drop_column("metrics", "old")'),
        },
    )
    live = {
        "runs": frozenset({"id", "x"}),
        "metrics": frozenset({"id"}),
        "tags": frozenset({"id"}),
        "invoices": frozenset({"id"}),
    }
    # x is not there before a1 adds it; old is, until a3 drops it; tags is the history's
    # own, invoices not named by it.
    assert start_schema(graph, changes, live) == {
        "runs": frozenset({"id"}),
        "metrics": frozenset({"id", "old"}),
    }
