"""`check --roundtrip` with seeding (check.session's round trip, check.seeding's clear):
only seeding's own rows are deleted before the downgrade to base, foreign keys in a
cycle are no obstacle, what cannot be cleared is said (and no AG903 is claimed on it),
the tables the history did not create are compared at the base, and a round trip that
did not run says so."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import Run, edit, line_of

Project = Callable[[str], Path]
# Lock tracing off (test_trace.py measures it); LOOSE: the models left as they are.
UNTRACED = ("--ignore", "AG905,AG906,AG907")
LOOSE = ("--ignore", "AG103,AG902,AG905,AG906,AG907")
HELD_FLAGS = ("--allow-nonempty", "--roundtrip", "--ignore", "AG902", "--format", "json")
Check = Callable[..., Run]

SKIPPED = (
    "the round trip (--roundtrip) did not run: the upgrade (or the comparison after it) failed"
)


def notes(run: Run) -> list[str]:
    found: list[str] = json.loads(run.out)["notes"]
    return found


# -- a round trip that did not run -----------------------------------------------------------


def test_a_failed_upgrade_says_the_round_trip_did_not_run(project: Project, check: Check) -> None:
    project("failing")
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert run.codes() == ["AG901"]
    assert [note for note in notes(run) if "round trip" in note] == [
        f"{SKIPPED}, so no downgrade was checked (no AG903 does not mean the downgrades work)"
    ]
    text = check("--db", "sqlite", "--roundtrip")
    assert f"note: {SKIPPED}" in text.out
    # Without --roundtrip nothing is said about it.
    assert "round trip" not in check("--db", "sqlite").out


def test_an_uncommitted_upgrade_says_the_round_trip_did_not_run(
    project: Project, check: Check
) -> None:
    project("behind")
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert run.codes() == ["AG801"]
    assert any(
        note.startswith("the round trip (--roundtrip) did not run: the upgrade was not committed")
        for note in notes(run)
    )


# A table keyed by bytes (quetz keys every table by a UUID's 16 bytes), and a revision
# whose downgrade copies it into a new table with a NOT NULL column: it fails on any row.
BINARY_KEYS = {
    "r1": (
        '    op.create_table("keys", sa.Column("id", sa.LargeBinary(16), primary_key=True),\n'
        '                    sa.Column("name", sa.String(50)))',
        '    op.drop_table("keys")',
    ),
    "r2": (
        '    with op.batch_alter_table("keys") as batch_op:\n        batch_op.drop_column("name")',
        '    with op.batch_alter_table("keys", recreate="always") as batch_op:\n'
        '        batch_op.add_column(sa.Column("name", sa.String(50), nullable=False))',
    ),
}


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_seedings_rows_keyed_by_bytes_are_deleted_before_the_downgrades(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """Their DELETE wrote the keys out as text, which no SQLite BLOB equals: it deleted
    nothing, said nothing, and the downgrade failed on seeding's rows (a false AG903; on
    PostgreSQL keys that are no UTF-8 could not be written out at all: a note)."""
    root = project("roundtrip")
    for old in (root / "migrations" / "versions").glob("*.py"):
        old.unlink()
    for number, (revision, (up, down)) in enumerate(BINARY_KEYS.items()):
        parent = f'"r{number}"' if number else "None"
        (root / "migrations" / "versions" / f"{revision}.py").write_text(
            f'"""{revision}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f'revision = "{revision}"\ndown_revision = {parent}\n\n\n'
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{down}\n"
        )
    url = (
        f"sqlite:///{tmp_path / 'keys.db'}"
        if engine == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    run = check("--database-url", url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings, notes(run)) == (0, [], [])


# -- clearing seeding's rows -----------------------------------------------------------------

CYCLE_FIRST = "migrations/versions/c7c1e0000001_create_teams_and_players.py"
NAMELESS = "migrations/versions/c7c1e0000002_a_team_without_a_name.py"
FANS = """    op.create_table(
        "fans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.CheckConstraint("since >= '2100-01-01'", name="ck_fans_future"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("teams") as batch_op:
"""
# The second revision made one that drops a column its downgrade adds back NOT NULL
# without a default: it fails on any row left in players, none of them the revisions'.
DROPS_NAME = """def upgrade() -> None:
    {insert}op.drop_column("players", "name")


def downgrade() -> None:
    op.add_column("players", sa.Column("name", sa.String(50), nullable=False))
    op.execute("DELETE FROM teams WHERE name = 'guests'")
"""
GUESTS = """op.execute(
        "INSERT INTO teams (name, captain_id) SELECT 'guests', min(id) FROM players"
    )
    """


def drops_name(root: Path, insert: str = "") -> None:
    """The second revision replaced by DROPS_NAME (`insert`: a row of the revision's own
    first, which references a row seeding made up)."""
    path = root / NAMELESS
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("def upgrade()")]
    path.write_text(head + DROPS_NAME.format(insert=insert), encoding="utf-8")


def fixed_downgrade(root: Path) -> None:
    """The second revision's downgrade deletes the team without a name first."""
    edit(
        root / NAMELESS,
        "def downgrade() -> None:\n",
        'def downgrade() -> None:\n    op.execute("DELETE FROM teams WHERE name IS NULL")\n',
    )


def cycle_rows_kept(root: Path, run: Run, before: int) -> None:
    """The round trip kept the row the second revision inserted: its lossy downgrade
    fails on it, as `alembic downgrade base` does on a database holding it."""
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG903", NAMELESS)
    # (`before`: 1 on SQLite, where the batch's copy fails, at its `with` line)
    assert finding["line"] == line_of(root / NAMELESS, "nullable=False") - before
    assert finding["message"].startswith("downgrade of c7c1e0000002 (a team without a name)")
    assert notes(run) == []
    assert run.code == 1


def test_sqlite_keeps_the_rows_revisions_inserted(project: Project, check: Check) -> None:
    root = project("roundtrip_cycle")
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    cycle_rows_kept(root, run, 1)
    assert "NOT NULL constraint failed: _alembic_tmp_teams.name" in run.findings[0]["message"]


def test_sqlite_fixed_downgrade_passes_the_cycle(project: Project, check: Check) -> None:
    fixed_downgrade(project("roundtrip_cycle"))
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert (run.code, run.findings, notes(run)) == (0, [], [])


def test_sqlite_rows_that_cannot_be_cleared_are_a_note(project: Project, check: Check) -> None:
    """A revision's team has a captain seeding made up: seeding's players stay, said in a
    note. SQLite's own check passed the deletion (deleting seeding's team whose captain
    was already missing made up for it), and the team was left referencing nothing."""
    root = project("roundtrip_cycle")
    drops_name(root, GUESTS)
    run = check("--db", "sqlite", "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, []), run.out
    cleared, failed = notes(run)
    assert cleared.startswith(
        "check could not delete the rows its seeding made up in tables players, teams before "
        "the round trip (deleting them would leave 1 row of teams referencing rows that are "
        "gone)"
    ), cleared
    line = line_of(root / NAMELESS, "op.add_column(")
    assert failed.startswith(f"{NAMELESS}:{line}: "), failed
    assert "not reported as AG903" in failed, failed


@pytest.mark.postgres
def test_postgres_keeps_the_rows_revisions_inserted(
    project: Project, check: Check, postgres_url: str
) -> None:
    root = project("roundtrip_cycle")
    run = check("--database-url", postgres_url, "--roundtrip", "--format", "json", *UNTRACED)
    cycle_rows_kept(root, run, 0)
    assert 'column "name" of relation "teams" contains null values' in run.findings[0]["message"]


@pytest.mark.postgres
def test_postgres_clears_a_cycle_referenced_by_an_unseeded_table(
    project: Project, check: Check, postgres_url: str
) -> None:
    """teams and players reference each other, and fans (which no rows can be made for)
    references teams: TRUNCATE teams, players failed on fans' foreign key, was swallowed,
    and the downgrade met seeding's players: a false AG903."""
    root = project("roundtrip_cycle")
    edit(root / CYCLE_FIRST, '    with op.batch_alter_table("teams") as batch_op:\n', FANS)
    edit(
        root / CYCLE_FIRST,
        '    op.drop_table("players")\n',
        '    op.drop_table("fans")\n    op.drop_table("players")\n',
    )
    drops_name(root)
    run = check("--database-url", postgres_url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, [])
    assert [note.split(": ", 1)[1][:40] for note in notes(run)] == [
        "check could not give table fans rows (Ch"
    ]


@pytest.mark.postgres
def test_postgres_rows_that_cannot_be_cleared_are_a_note(
    project: Project, check: Check, postgres_url: str
) -> None:
    """A revision's team has a captain seeding made up: seeding's players cannot be
    deleted. Said in a note; the downgrade that fails on them is no AG903."""
    root = project("roundtrip_cycle")
    drops_name(root, GUESTS)
    run = check("--database-url", postgres_url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, [])
    cleared, failed = notes(run)
    assert cleared.startswith(
        "check could not delete the rows its seeding made up in tables players, teams before "
        'the round trip (ForeignKeyViolation: update or delete on table "players" violates '
    )
    assert "the downgrades ran with them there" in cleared
    assert "one no row can cause, a missing column or a dependent object, still is" in cleared
    line = line_of(root / NAMELESS, "op.add_column(")
    assert failed.startswith(
        f"{NAMELESS}:{line}: downgrade of c7c1e0000002 (a team without a name) failed: "
        'NotNullViolation: column "name" of relation "players" contains null values'
    )
    assert "not reported as AG903" in failed


# The downgrade's own error, whatever the rows: a column that is not there.
DROPS_NOTHING = (
    '    op.add_column("players", sa.Column("name"',
    '    op.drop_column("players", "nosuch")\n    op.add_column("players", sa.Column("name"',
)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_downgrade_error_no_row_causes_is_ag903_beside_uncleared_rows(
    project: Project, check: Check, request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    """Seeding's rows could not be deleted, but the downgrade fails on a column that is
    not there, as it does on empty tables: AG903, not the note (quetz's 0653794b6252,
    `column "period" cannot be cast automatically to type interval`, passed so)."""
    root = project("roundtrip_cycle")
    drops_name(root, GUESTS)
    edit(root / NAMELESS, *DROPS_NOTHING)
    url = (
        f"sqlite:///{tmp_path / 'kept.db'}"
        if engine == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    run = check("--database-url", url, "--roundtrip", "--format", "json", *LOOSE)
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG903", NAMELESS), finding
    assert "nosuch" in finding["message"], finding
    assert not [note for note in notes(run) if note.startswith(NAMELESS)], notes(run)
    assert run.code == 1


@pytest.mark.mariadb
def test_mariadb_keeps_the_rows_revisions_inserted(
    project: Project, check: Check, mariadb_url: str
) -> None:
    root = project("roundtrip_cycle")
    run = check("--database-url", mariadb_url, "--roundtrip", "--format", "json")
    cycle_rows_kept(root, run, 0)
    assert "Data truncated for column 'name'" in run.findings[0]["message"]


@pytest.mark.mariadb
def test_mariadb_fixed_downgrade_passes_the_cycle(
    project: Project, check: Check, mariadb_url: str
) -> None:
    fixed_downgrade(project("roundtrip_cycle"))
    run = check("--database-url", mariadb_url, "--roundtrip", "--format", "json")
    assert (run.code, run.findings, notes(run)) == (0, [], [])


@pytest.mark.mariadb
def test_mariadb_rows_that_cannot_be_cleared_are_a_note(
    project: Project, check: Check, mariadb_url: str
) -> None:
    """The foreign key checks stay on: seeding's players, one of which a revision's team
    references, stay (a note), rather than leave that team referencing nothing."""
    root = project("roundtrip_cycle")
    drops_name(root, GUESTS)
    run = check("--database-url", mariadb_url, "--roundtrip", "--format", "json", *LOOSE)
    [cleared] = notes(run)
    assert cleared.startswith(
        "check could not delete the rows its seeding made up in tables players, teams before "
        "the round trip (IntegrityError: (1451, 'Cannot delete or update a parent row"
    )
    # MariaDB gives the added NOT NULL column its implicit default: the downgrade passes.
    assert (run.code, run.findings) == (0, [])


# -- a cascade from seeding's rows into rows a revision wrote ---------------------------------

# kids references parents ON DELETE CASCADE; revision 2 inserts a kid of a parent seeding
# made up; revision 3's downgrade makes kids.note NOT NULL (in a batch: SQLite copies the
# table, at the `with` line), which that kid's NULL breaks.
CASCADE = (
    (
        '    op.create_table("parents", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("name", sa.String(20)))',
        '    op.drop_table("parents")',
    ),
    (
        '    op.create_table("kids", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("parent_id", sa.Integer,\n'
        '                  sa.ForeignKey("parents.id", ondelete="CASCADE")),\n'
        '        sa.Column("note", sa.String(20)))\n'
        '    op.execute("INSERT INTO kids (id, parent_id) SELECT 100, min(id) FROM parents")',
        '    op.drop_table("kids")',
    ),
    (
        '    op.create_index("ix_kids_note", "kids", ["note"])',
        '    op.drop_index("ix_kids_note", table_name="kids")\n'
        '    with op.batch_alter_table("kids") as batch_op:\n'
        '        batch_op.alter_column("note", existing_type=sa.String(20), nullable=False)',
    ),
)


def cascade_history(root: Path) -> str:
    """The project's revisions replaced by CASCADE's; returns the third one's path."""
    return replaced_history(root, CASCADE)[2]


def replaced_history(root: Path, revisions: Sequence[tuple[str, str]]) -> list[str]:
    """The project's revisions replaced by a chain whose upgrade() and downgrade() bodies
    are `revisions`' (indented already); returns their paths."""
    versions = root / "migrations" / "versions"
    for old in versions.glob("*.py"):
        old.unlink()
    for number, (up, down) in enumerate(revisions, 1):
        before = f'"r{number - 1}"' if number > 1 else "None"
        (versions / f"r{number}.py").write_text(
            f'"""step {number}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f'revision = "r{number}"\ndown_revision = {before}\n\n\n'
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{down}\n",
            encoding="utf-8",
        )
    return [f"migrations/versions/r{number}.py" for number in range(1, len(revisions) + 1)]


ENGINES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


def target(request: pytest.FixtureRequest, engine: str) -> tuple[str, str]:
    """The flags that point check at `engine`'s scratch database."""
    if engine == "sqlite":
        return ("--db", "sqlite")
    return ("--database-url", request.getfixturevalue(f"{engine}_url"))


CASCADED = (
    "by ON DELETE CASCADE, deleting them would also delete 1 row of kids not known to be seeding's)"
)


@pytest.mark.parametrize("engine", ENGINES)
def test_seeded_rows_a_revisions_row_cascades_from_stay(
    project: Project, check: Check, request: pytest.FixtureRequest, engine: str
) -> None:
    """Deleting seeding's parents would delete, by ON DELETE CASCADE, the kid revision 2
    inserted: they stay, and a note says why; revision 3's downgrade meets that kid and
    fails, said in a note (no AG903: seeding's rows were there). Before, the kid went
    with them and the round trip passed without a word."""
    root = project("data")
    third = cascade_history(root)
    run = check(*target(request, engine), "--roundtrip", "--format", "json", *LOOSE)
    kept_parents(root, third, run, engine, CASCADED)


SET_NULL_ENGINES = [
    pytest.param("sqlite", "SET NULL"),
    pytest.param("sqlite", "SET DEFAULT"),
    pytest.param("postgres", "SET DEFAULT", marks=pytest.mark.postgres),
    # (InnoDB refuses SET DEFAULT)
    pytest.param("mariadb", "SET NULL", marks=pytest.mark.mariadb),
]
CHANGED = (
    "by ON DELETE SET NULL or SET DEFAULT, deleting them would also change 1 row of kids "
    "not known to be seeding's)"
)


@pytest.mark.parametrize(("engine", "action"), SET_NULL_ENGINES)
def test_seeded_rows_a_revisions_row_would_be_set_null_by_stay(
    project: Project, check: Check, request: pytest.FixtureRequest, engine: str, action: str
) -> None:
    """As above, kids' foreign key ON DELETE SET NULL (or SET DEFAULT, kids.parent_id
    having no default: NULL too): deleting seeding's parents would rewrite the kid revision
    2 inserted. They stay, and a note says why. Before, the kid's parent_id became NULL
    without a word and the round trip went on as if nothing had changed."""
    root = project("data")
    third = cascade_history(root)
    edit(root / "migrations/versions/r2.py", 'ondelete="CASCADE"', f'ondelete="{action}"')
    run = check(*target(request, engine), "--roundtrip", "--format", "json", *LOOSE)
    kept_parents(root, third, run, engine, CHANGED)


def made_not_null(path: Path, engine: str) -> int:
    """The line revision 3's downgrade fails at: the batch's `with` where it copies the
    table (SQLite), else its alter_column."""
    return line_of(path, "batch_alter_table(" if engine == "sqlite" else "batch_op.alter_column(")


# What deleting a parent a kid references says, without ON DELETE CASCADE.
REFUSED = {
    "sqlite": "IntegrityError: FOREIGN KEY constraint failed)",
    "postgres": 'ForeignKeyViolation: update or delete on table "parents" violates ',
    "mariadb": "IntegrityError: (1451, 'Cannot delete or update a parent row",
}


@pytest.mark.parametrize("engine", ENGINES)
def test_seeded_rows_a_revisions_row_references_stay(
    project: Project, check: Check, request: pytest.FixtureRequest, engine: str
) -> None:
    """As above, kids' foreign key without ON DELETE CASCADE: the database refuses to
    delete seeding's parent the kid references; they stay, said in a note. Before, on
    SQLite, they were deleted and the kid was left referencing nothing."""
    root = project("data")
    third = cascade_history(root)
    edit(root / "migrations/versions/r2.py", ', ondelete="CASCADE"', "")
    run = check(*target(request, engine), "--roundtrip", "--format", "json", *LOOSE)
    kept_parents(root, third, run, engine, REFUSED[engine])


def kept_parents(root: Path, third: str, run: Run, engine: str, reason: str) -> None:
    """Seeding's parents stayed (a note giving `reason`); revision 3's downgrade met the
    kid and failed, said in a note (no AG903: seeding's rows were there)."""
    assert (run.code, run.findings) == (0, []), run.out
    cleared, failed = notes(run)
    assert cleared.startswith(
        "check could not delete the rows its seeding made up in table parents before the "
        f"round trip ({reason}"
    ), cleared
    assert failed.startswith(f"{third}:{made_not_null(root / third, engine)}: "), failed
    assert "not reported as AG903" in failed, failed


@pytest.mark.parametrize(
    ("engine", "action"),
    [
        ("sqlite", "CASCADE"),
        pytest.param("postgres", "CASCADE", marks=pytest.mark.postgres),
        pytest.param("mariadb", "CASCADE", marks=pytest.mark.mariadb),
        ("sqlite", "SET NULL"),
    ],
)
def test_seeded_rows_no_revisions_row_cascades_from_go(
    project: Project, check: Check, request: pytest.FixtureRequest, engine: str, action: str
) -> None:
    """The kid revision 2 inserts has no parent: nothing of the revisions' goes with
    seeding's parents (or is changed by their deletion), which are deleted; the downgrade
    fails on that kid: AG903."""
    root = project("data")
    third = cascade_history(root)
    edit(root / "migrations/versions/r2.py", 'ondelete="CASCADE"', f'ondelete="{action}"')
    edit(
        root / "migrations/versions/r2.py", "SELECT 100, min(id) FROM parents", "VALUES (100, NULL)"
    )
    run = check(*target(request, engine), "--roundtrip", "--format", "json", *LOOSE)
    assert notes(run) == [], run.out
    assert [(f["code"], f["path"], f["line"]) for f in run.findings] == [
        ("AG903", third, made_not_null(root / third, engine))
    ]
    assert run.code == 1


# Revision 2 drops tags' primary key column, by which seeding knew its rows (`{insert}`: a
# row of the revision's own after it); its downgrade adds the column back NOT NULL without
# a default: it fails on any row left in tags.
KEYLESS = (
    (
        '    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("tag", sa.String(20)))',
        '    op.drop_table("tags")',
    ),
    (
        '    with op.batch_alter_table("tags") as batch_op:\n'
        '        batch_op.drop_column("id")\n{insert}',
        '    with op.batch_alter_table("tags", recreate="always") as batch_op:\n'
        '        batch_op.add_column(sa.Column("id", sa.Integer, nullable=False))',
    ),
)
KEPT_TAG = """    op.execute("INSERT INTO tags (tag) VALUES ('kept')")\n"""


def keyless_history(root: Path, insert: str = "") -> str:
    """The project's revisions replaced by KEYLESS's; returns the second one's path."""
    (first, (up, down)) = KEYLESS
    return replaced_history(root, [first, (up.format(insert=insert), down)])[1]


# (MariaDB refuses the downgrade's copy on empty tables too: no value for the NOT NULL id)
@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_seeded_rows_whose_key_a_revision_dropped_go_with_their_table(
    project: Project, check: Check, request: pytest.FixtureRequest, engine: str
) -> None:
    """tags holds seeding's rows alone, but their key is gone: tags is emptied wholly, and
    the downgrade passes on it. Before, their DELETE by key failed (a note: `column
    tags.id does not exist`), and the downgrade ran on them (a note, no AG903)."""
    root = project("data")
    keyless_history(root)
    run = check(*target(request, engine), "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings, notes(run)) == (0, [], []), run.out


@pytest.mark.parametrize("engine", ENGINES)
def test_seeded_rows_whose_key_a_revision_dropped_stay_beside_a_revisions_row(
    project: Project, check: Check, request: pytest.FixtureRequest, engine: str
) -> None:
    """As above, revision 2 also inserts a tag: seeding's rows cannot be told from it, and
    stay; the note says so (before: the database's error on the missing key column)."""
    root = project("data")
    second = keyless_history(root, KEPT_TAG)
    run = check(*target(request, engine), "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, []), run.out
    cleared, failed = notes(run)
    assert cleared.startswith(
        "check could not delete the rows its seeding made up in table tags before the round "
        "trip (check cannot tell its rows from those the revisions wrote there: it knew them "
        "by their primary key, and a revision dropped or renamed its column id); "
    ), cleared
    assert failed.startswith(f"{second}:"), failed
    assert "not reported as AG903" in failed, failed


def counted_by_the_server(root: Path, alter: str) -> None:
    """teams' id declared with autoincrement=False, then made the server's by `alter`
    run through the DBAPI cursor (which seeding does not see): seeding writes its ids
    itself, and the revision's team (GUESTS) takes one from the server's counter."""
    edit(
        root / CYCLE_FIRST,
        'sa.Column("id", sa.Integer(), nullable=False),',
        'sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),',
    )
    edit(
        root / CYCLE_FIRST,
        '    op.create_table(\n        "players",',
        f'    op.get_bind().connection.cursor().execute("{alter}")\n'
        '    op.create_table(\n        "players",',
    )
    drops_name(root, GUESTS)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "alter",
    [
        "ALTER TABLE teams ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
        # a sequence of its own, not owned by the column: only the default names it
        "CREATE SEQUENCE IF NOT EXISTS team_ids; ALTER TABLE teams ALTER COLUMN id SET DEFAULT "
        "nextval('team_ids')",
        # counting down from -1: seeding's ids 1-3 are out of its way, and no setval
        # of a largest key past its bounds may refuse seeding's rows
        "CREATE SEQUENCE IF NOT EXISTS team_ids INCREMENT BY -1; ALTER TABLE teams ALTER "
        "COLUMN id SET DEFAULT nextval('team_ids')",
        # counting down from 3: seeding's ids are in its way, it moves below them
        "CREATE SEQUENCE IF NOT EXISTS team_ids INCREMENT BY -1 START WITH 3 MAXVALUE 3; "
        "ALTER TABLE teams ALTER COLUMN id SET DEFAULT nextval('team_ids')",
        # counting up by 10: moves past seeding's largest id
        "CREATE SEQUENCE IF NOT EXISTS team_ids INCREMENT BY 10; ALTER TABLE teams ALTER "
        "COLUMN id SET DEFAULT nextval('team_ids')",
    ],
    ids=["identity", "default", "descending", "descending-into", "by-ten"],
)
def test_postgres_seeded_keys_move_the_identity_past_them(
    project: Project, check: Check, postgres_url: str, alter: str
) -> None:
    """Seeding wrote teams' ids 1-3 into an identity column and left it at 1: the
    revision's INSERT without an id met them (a false AG904, "teams_pkey")."""
    root = project("roundtrip_cycle")
    counted_by_the_server(root, alter)
    run = check("--database-url", postgres_url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, []), run.out + run.err
    assert "made up in tables players, teams before" in notes(run)[0]


@pytest.mark.mariadb
def test_mariadb_seeded_keys_move_the_auto_increment_past_them(
    project: Project, check: Check, mariadb_url: str
) -> None:
    root = project("roundtrip_cycle")
    counted_by_the_server(root, "ALTER TABLE teams MODIFY id INTEGER NOT NULL AUTO_INCREMENT")
    run = check("--database-url", mariadb_url, "--roundtrip", "--format", "json", *LOOSE)
    assert (run.code, run.findings) == (0, []), run.out + run.err
    assert "made up in tables players, teams before" in notes(run)[0]


# -- the tables the database held before the first revision, at base ------------------------

USERS = "migrations/versions/4f1c2a9e0b11_create_users.py"


def held_customers(root: Path, database: Path, upgrade: str, downgrade: str = "") -> Path:
    """check_generic on a database holding `customers`, its first revision given
    `upgrade` (and `downgrade`) lines on it; --allow-nonempty --roundtrip."""
    with sqlite3.connect(database) as conn:
        # (as op.create_table makes it: a round trip that makes it anew changes nothing)
        conn.execute(
            "CREATE TABLE customers (id INTEGER NOT NULL, name VARCHAR(50), PRIMARY KEY (id))"
        )
    first = root / USERS
    edit(first, "def upgrade() -> None:\n", f"def upgrade() -> None:\n    {upgrade}\n")
    if downgrade:
        edit(first, "def downgrade() -> None:\n", f"def downgrade() -> None:\n    {downgrade}\n")
    return root


def test_a_held_table_a_downgrade_drops_is_ag903_at_that_line(
    project: Project, check: Check, tmp_path: Path
) -> None:
    """The first revision adopts `customers` (create_table if_not_exists) and its
    downgrade drops it: the upgrade again makes it anew and the round trip passed."""
    database = tmp_path / "in_use.db"
    root = held_customers(
        project("generic"),
        database,
        'op.create_table("customers", sa.Column("id", sa.Integer(), primary_key=True), '
        'sa.Column("name", sa.String(50)), if_not_exists=True)',
        'op.drop_table("customers")',
    )
    run = check("--database-url", f"sqlite:///{database}", *HELD_FLAGS)
    [finding] = run.findings
    assert (finding["code"], finding["path"], finding["line"]) == (
        "AG903",
        USERS,
        line_of(root / USERS, 'op.drop_table("customers")'),
    )
    assert finding["message"] == (
        "the downgrade to base removed table customers, which the database held before check ran"
    )
    assert run.code == 1


def test_a_held_table_changed_at_base_is_ag903(
    project: Project, check: Check, tmp_path: Path
) -> None:
    """An index the first revision adds to `customers` (if_not_exists) and its downgrade
    leaves: the upgrade again passes over it, so the schema after the round trip is the
    same, and nothing was said."""
    database = tmp_path / "in_use.db"
    root = held_customers(
        project("generic"),
        database,
        'op.create_index("ix_customers_name", "customers", ["name"], if_not_exists=True)',
    )
    run = check("--database-url", f"sqlite:///{database}", *HELD_FLAGS)
    [finding] = run.findings
    assert (finding["code"], finding["path"], finding["line"]) == (
        "AG903",
        USERS,
        line_of(root / USERS, "def downgrade"),
    )
    assert finding["message"] == (
        "the downgrade to base left index ix_customers_name on customers (name) behind, which "
        "the database did not hold before check ran"
    )


@pytest.mark.postgres
def test_postgres_a_held_column_left_changed_at_base_is_ag903(
    project: Project, check: Check, postgres_url: str
) -> None:
    """The first revision widens customers.name and its downgrade does not narrow it back:
    the upgrade again changes nothing, so the round trip passed."""
    root = project("generic")
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50))"
        )
    engine.dispose()
    edit(
        root / USERS,
        "def upgrade() -> None:\n",
        'def upgrade() -> None:\n    op.alter_column("customers", "name", type_=sa.String(100))\n',
    )
    flags = ("--allow-nonempty", "--roundtrip", "--format", "json")
    run = check("--database-url", postgres_url, *flags, "--ignore", "AG106,AG902,AG905,AG906,AG907")
    [finding] = run.findings
    assert (finding["code"], finding["path"], finding["line"]) == (
        "AG903",
        USERS,
        line_of(root / USERS, "def downgrade"),
    )
    assert finding["message"] == (
        "the downgrade to base left column customers.name as VARCHAR(100) NULL; the database "
        "held it as VARCHAR(50) NULL before check ran"
    )


def test_an_env_py_that_cannot_run_twice_in_one_process(project: Project, check: Check) -> None:
    # An app built in env.py that refuses to be built again (Flask-Themes2's blueprint in
    # flaskbb): the round trip's second run of env.py fails before any downgrade() ran.
    # Not AG903: the separate `alembic downgrade` command, a process of its own, never
    # meets it; the note says the downgrades were not checked.
    root = project("generic")
    edit(
        root / "migrations/env.py",
        "if context.is_offline_mode():",
        "import builtins\n"
        "if getattr(builtins, '_app_built', False):\n"
        "    raise AssertionError('The setup method add_url_rule can no longer be called')\n"
        "builtins._app_built = True\n\nif context.is_offline_mode():",
    )
    run = check("--db", "sqlite", "--roundtrip", *LOOSE, "--format", "json")
    assert run.code == 0, run.out + run.err
    assert run.codes() == []
    [note] = [note for note in notes(run) if "round trip" in note]
    assert note.startswith(
        "the round trip (--roundtrip) did not run: env.py failed when check ran it again for "
        "the downgrade, before any revision's downgrade() ran (AssertionError: The setup "
        "method add_url_rule can no longer be called); "
    ), note
    assert note.endswith("(no AG903 does not mean the downgrades work)")


def test_a_failure_in_env_py_during_the_downgrades_is_ag903(project: Project, check: Check) -> None:
    # Once a downgrade() ran, what env.py raises is the round trip's failure.
    root = project("generic")
    edit(
        root / "migrations/env.py",
        "if context.is_offline_mode():",
        "import builtins\nbuiltins._env_runs = getattr(builtins, '_env_runs', 0) + 1\n\n"
        "if context.is_offline_mode():",
    )
    edit(
        root / "migrations/env.py",
        "            context.run_migrations()",
        "            context.run_migrations()\n"
        "            if __import__('builtins')._env_runs == 2:\n"
        "                raise RuntimeError('env.py failed after the downgrades')",
    )
    run = check("--db", "sqlite", "--roundtrip", *LOOSE, "--format", "json")
    assert run.codes() == ["AG903"], run.out
    assert "env.py failed after the downgrades" in run.out


@pytest.mark.postgres
def test_a_batch_copy_failing_in_a_downgrade_is_shown_not_its_cleanup(
    project: Project, check: Check, postgres_url: str
) -> None:
    # alembic's batch drops its copy when the copy fails, which PostgreSQL refuses in the
    # aborted transaction: "InFailedSqlTransaction ... DROP TABLE _alembic_tmp_tags" hid
    # the error that broke the downgrade.
    root = project("data")
    tags = (
        '    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("tag", sa.String(20)))\n'
        "    op.execute(\"INSERT INTO tags (tag) VALUES ('first')\")"
    )
    down = (
        '    with op.batch_alter_table("tags", recreate="always") as batch_op:\n'
        '        batch_op.add_column(sa.Column("weight", sa.Integer, nullable=False))'
    )
    replaced_history(root, [(tags, down)])
    run = check(
        "--database-url", postgres_url, "--roundtrip", "--no-seed", *LOOSE, "--format", "json"
    )
    [failed] = run.findings
    assert failed["code"] == "AG903", failed
    assert "NotNullViolation" in failed["message"], failed["message"]
    assert "InFailedSqlTransaction" not in failed["message"]
    # At the batch's `with` line, which copies the table (every call's effect is in it).
    revision = root / "migrations/versions/r1.py"
    assert (failed["path"], failed["line"]) == (
        "migrations/versions/r1.py",
        line_of(revision, "with op.batch_alter_table"),
    ), failed


@pytest.mark.postgres
def test_an_enum_type_left_behind_named_by_an_f_string_is_placed(
    project: Project, check: Check, postgres_url: str
) -> None:
    # fief names its tables and enum types f"{table_prefix}acr": the AG903 for the type its
    # downgrade leaves had no file or line (no literal spells the name).
    root = project("data")
    up = (
        '    prefix = "fief_"\n'
        '    op.create_table(f"{prefix}clients", sa.Column("id", sa.Integer, primary_key=True),\n'
        '        sa.Column("acr", sa.Enum("0", "1", name=f"{prefix}acr")))'
    )
    down = '    op.drop_table("fief_clients")'
    replaced_history(root, [(up, down)])
    run = check(
        "--database-url", postgres_url, "--roundtrip", "--no-seed", *LOOSE, "--format", "json"
    )
    [left] = run.findings
    assert left["message"].startswith("the downgrade to base left enum type fief_acr"), left
    revision = root / "migrations/versions/r1.py"
    assert (left["path"], left["line"]) == (
        "migrations/versions/r1.py",
        line_of(revision, "def downgrade"),
    ), left


def test_unnamed_unique_constraints_are_told_apart_by_their_columns(tmp_path: Path) -> None:
    # SQLite's UNIQUE (a), UNIQUE (b) have no names: both were "unique constraint None on
    # t", the one read last winning, and a batch's copy of the table, listing them in
    # another order, made a false AG903 in some runs (SecureDrop).
    from alembic_gate.check.roundtrip import snapshot

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'unique.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, UNIQUE (a), UNIQUE (b))"
        )
        first = snapshot(conn, set(), [])
        conn.exec_driver_sql(
            "CREATE TABLE t2 (id INTEGER PRIMARY KEY, a TEXT, b TEXT, UNIQUE (b), UNIQUE (a))"
        )
        conn.exec_driver_sql("INSERT INTO t2 SELECT * FROM t")
        conn.exec_driver_sql("DROP TABLE t")
        conn.exec_driver_sql("ALTER TABLE t2 RENAME TO t")
        second = snapshot(conn, set(), [])
    engine.dispose()
    assert first["unique constraint (a) on t"] == "(a)"
    assert first["unique constraint (b) on t"] == "(b)"
    assert first == second
