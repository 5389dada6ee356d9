from __future__ import annotations

import textwrap

import pytest

from alembic_gate.history import operations as operations_module
from alembic_gate.history.operations import Call
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.rules import ag1xx
from alembic_gate.rules.ag102_not_null_without_backfill import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, migration, users_history, with_base
from .conftest import History

# What autogenerate writes when a model's column loses `nullable=True`.
ALTER = """
op.alter_column("users", "name",
           existing_type=sa.VARCHAR(length=50),
           nullable=False)
"""


def added_history(history: History) -> None:
    """`users` made by `a0` and its `name` added nullable by `a1`: every row the table
    held then holds NULL (medium confidence, where a column created with its table is
    low: its rows are what the application wrote)."""
    add(history, "a0", None, 'op.create_table("users", sa.Column("id", sa.Integer()))')
    add(history, "a1", "a0", 'op.add_column("users", sa.Column("name", sa.String(50)))')


def test_not_null_with_no_backfill(history: History) -> None:
    users_history(history)
    path = add(history, "b2", "a1", ALTER)
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG102", "warning")
    assert (finding.path, finding.line) == (path, line_of(history, path, "op.alter_column"))
    assert '"users.name"' in finding.message
    assert finding.fix == (
        'op.execute("UPDATE users SET name = ... WHERE name IS NULL") before the '
        "alter_column, in this revision or an earlier one"
    )


@pytest.mark.parametrize(
    "backfill",
    [
        "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")",
        'op.execute(sa.text("update public.users set name = :n where name is null"))',
        "op.execute('UPDATE \"users\" u SET name = \\'\\' WHERE u.name IS NULL')",
        """
        users = sa.table("users", sa.column("name", sa.String))
        op.execute(users.update().where(users.c.name.is_(None)).values(name=""))
        """,
        """
        users = sa.table("users", sa.column("name", sa.String))
        op.execute(sa.update(users).values(name=""))
        """,
        """
        conn = op.get_bind()
        conn.execute(sa.text("UPDATE users SET name = 'x' WHERE name IS NULL"))
        """,
        # a table name the reader cannot know counts as a backfill
        """
        for table in ("users", "admins"):
            op.execute(f"UPDATE {table} SET name = '' WHERE name IS NULL")
        """,
        # a loop that qualifies one of its tables (sw.allotmentclub's `public.user`)
        """
        for table in ("users", "admins"):
            target = table
            if target == "admins":
                target = "public.admins"
            op.execute("UPDATE {} SET name = '' WHERE name IS NULL".format(target))
        """,
        # MySQL's multi-table UPDATE, the tables listed (tokenserver's nodeid)
        'op.execute("UPDATE users, teams SET users.name = teams.name WHERE users.t = teams.id")',
    ],
)
def test_backfill_in_the_same_revision(history: History, backfill: str) -> None:
    users_history(history)
    add(history, "b2", "a1", textwrap.dedent(backfill) + "\n" + ALTER)
    assert history.run(check) == []


def test_backfill_in_an_earlier_revision(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")")
    add(history, "c3", "b2", ALTER)
    assert history.run(check) == []
    # with --base the earlier revision still counts, though only c3 is checked
    assert list(check(with_base(history, {"c3"}))) == []


# aiida-core's 1de112340b16 deletes, with SQLAlchemy Core, the rows whose column is NULL
# before 1de112340b17 makes it NOT NULL: as `DELETE FROM t WHERE c IS NULL` in SQL does
CORE_DELETE = """
users = sa.table("users", sa.column("name", sa.String))
op.execute(users.delete().where(users.c.{test}))
"""


@pytest.mark.parametrize("test", ["name.is_(None)", "name == None", "name.is_(sa.null())"])
def test_a_core_delete_of_the_null_rows_in_an_earlier_revision_counts(
    history: History, test: str
) -> None:
    users_history(history)
    add(history, "b2", "a1", CORE_DELETE.format(test=test))
    add(history, "c3", "b2", ALTER)
    assert history.run(check) == []


def test_a_core_delete_of_the_rows_where_another_column_is_null_does_not(
    history: History,
) -> None:
    users_history(history)
    add(history, "b2", "a1", CORE_DELETE.format(test="email.is_(None)"))
    add(history, "c3", "b2", ALTER)
    assert [f.code for f in history.run(check)] == ["AG102"]


def test_an_earlier_backfill_of_a_table_known_only_at_run_time_counts(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(f\"UPDATE {TABLE} SET name = ''\")")
    add(history, "c3", "b2", ALTER)
    assert list(check(with_base(history, {"c3"}))) == []


def test_only_revisions_naming_the_table_are_unpacked(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(\"UPDATE admins SET name = ''\")")
    add(history, "c3", "b2", "op.execute(\"UPDATE users SET name = ''\")")
    add(history, "d4", "c3", ALTER)
    ctx = with_base(history, {"d4"})
    unpacked: set[str] = set()

    def upgrade_calls(rev: RevisionFile) -> list[Call]:
        unpacked.add(str(rev.revision))
        return operations_module.upgrade_calls(rev)

    monkeypatch.setattr(ag1xx, "upgrade_calls", upgrade_calls)
    assert list(check(ctx)) == []
    assert unpacked == {"a1", "c3", "d4"}


def test_backfill_of_another_table_does_not_count(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(\"UPDATE admins SET name = ''\")\n" + ALTER)
    assert len(history.run(check)) == 1


def test_backfill_after_the_alter_does_not_count(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", ALTER + "\nop.execute(\"UPDATE users SET name = ''\")")
    assert len(history.run(check)) == 1


def test_backfill_on_a_sibling_branch_does_not_count(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(\"UPDATE users SET name = ''\")")
    add(history, "c3", "a1", ALTER)
    assert [f.path for f in history.run(check)] == ["versions/c3_m.py"]


def test_column_added_with_a_server_default_is_filled(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.add_column("users", sa.Column("tier", sa.String(), server_default="free"))',
    )
    add(history, "c3", "b2", 'op.alter_column("users", "tier", nullable=False)')
    assert history.run(check) == []


def test_batch_mode_and_new_tables(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users") as batch_op:
            batch_op.alter_column("name", existing_type=sa.VARCHAR(length=50), nullable=False)
        """,
    )
    add(
        history,
        "c3",
        "b2",
        CREATE_USERS.replace("users", "orders") + ALTER.replace("users", "orders"),
    )
    [finding] = history.run(check)
    assert finding.path == "versions/b2_m.py"
    assert '"users.name"' in finding.message


def test_making_a_column_nullable_is_fine(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", ALTER.replace("nullable=False", "nullable=True"))
    assert history.run(check) == []


def test_backfill_on_one_side_of_a_merge(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")")
    add(history, "c2", "a1", "pass")
    add(history, "m3", ("b2", "c2"), ALTER)
    add(history, "d4", "c2", ALTER)
    assert [f.path for f in history.run(check)] == ["versions/d4_m.py"]


@pytest.mark.parametrize(
    "restated",
    [
        # created NOT NULL (autogenerate writes nullable=False for the primary key)
        'op.alter_column("users", "id", existing_type=sa.INTEGER(), nullable=False)',
        # a rename that passes nullable=False on a NOT NULL column
        'op.alter_column("users", "id", new_column_name="user_id", nullable=False)',
        # the call says the column already is NOT NULL
        'op.alter_column("users", "name", existing_nullable=False, nullable=False)',
    ],
)
def test_not_null_restated_on_a_column_that_already_is(history: History, restated: str) -> None:
    users_history(history)
    add(history, "b2", "a1", restated)
    assert history.run(check) == []


def test_not_null_restated_after_an_earlier_revision_set_it(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "op.execute(\"UPDATE users SET name = ''\")\n" + ALTER)
    add(
        history, "c3", "b2", ALTER.replace("nullable=False", "type_=sa.VARCHAR(80), nullable=False")
    )
    assert history.run(check) == []


@pytest.mark.parametrize(
    "key",
    [
        'op.create_primary_key("users_pk", "users", ["id", "name"])',
        'with op.batch_alter_table("users") as batch_op:\n'
        '    batch_op.create_primary_key(constraint_name="users_pk", columns=["id", "name"])',
    ],
)
def test_not_null_restated_on_a_primary_key_column(history: History, key: str) -> None:
    # MLflow's 451aebb31d03 puts metrics.value in the primary key; 181f10493468 then
    # restates nullable=False on it
    add(history, "a1", None, "pass")  # the table predates the migrations (create_all)
    add(history, "b2", "a1", key)
    add(history, "c3", "b2", ALTER)
    assert history.run(check) == []


def test_an_update_of_other_columns_is_no_backfill_of_this_one(history: History) -> None:
    # Bodhi's 58b7919b942c: earlier UPDATEs set status and request, never alias
    users_history(history)
    add(history, "b2", "a1", 'op.execute("UPDATE users SET id = id + 1")')
    add(history, "c3", "b2", 'op.execute("UPDATE users SET id = 0 WHERE id IS NULL")\n' + ALTER)
    [finding] = history.run(check)
    assert finding.path == "versions/c3_m.py"
    add(history, "d4", "c3", "op.execute(\"UPDATE users SET name = 'x', id = 1\")\n" + ALTER)
    assert [f.path for f in history.run(check)] == ["versions/c3_m.py"]


# aodh's 367aadf5485f: an UPDATE whose columns are computed (`**{name + "_ts": ...}`)
UNREAD_UPDATE = """
users = sa.table("users", sa.column("name"))
for name in COLUMNS:
    op.execute(users.update().values(**{name + "_ts": users.c[name]}))
"""


def test_an_earlier_update_whose_columns_cannot_be_read(history: History) -> None:
    """It may have filled the column or not: reported with low confidence, saying so
    (aodh's 009 made a column NOT NULL that such an UPDATE never set); in the same
    revision as the ALTER it still counts as the backfill."""
    users_history(history)
    add(history, "b2", "a1", UNREAD_UPDATE)
    add(history, "c3", "b2", ALTER)
    [finding] = history.run(check)
    assert (finding.path, finding.confidence) == ("versions/c3_m.py", "low")
    assert finding.message.startswith(
        'alter_column makes "users.name" NOT NULL, and no UPDATE names it: an earlier '
        "revision updates rows of the table in columns that cannot be read"
    )
    add(history, "d4", "c3", UNREAD_UPDATE + ALTER)
    assert [f.path for f in history.run(check)] == ["versions/c3_m.py"]


def test_an_unread_update_after_the_column_was_made_not_null(history: History) -> None:
    """NOT NULL from where it was made (a key's column: Airflow's execution_date,
    pgAdmin's database.id), then an UPDATE of columns not known: the ALTER restates."""
    add(history, "a1", None, CREATE_USERS.replace("nullable=True", "nullable=False"))
    add(history, "b2", "a1", UNREAD_UPDATE)
    add(history, "c3", "b2", ALTER)
    assert history.run(check) == []


def test_a_column_created_with_a_server_default_is_filled(history: History) -> None:
    # mwdb-core's user.feed_quality: created nullable with server_default="high"
    add(
        history,
        "a1",
        None,
        CREATE_USERS.replace(
            'sa.Column("name", sa.String(length=50), nullable=True)',
            'sa.Column("name", sa.String(length=50), nullable=True, server_default="x")',
        ),
    )
    add(history, "b2", "a1", ALTER)
    assert history.run(check) == []


def test_an_update_before_a_column_named_at_run_time(history: History) -> None:
    # daf_butler_migrate's 035dcf13ef18 makes columns named in a loop NOT NULL after
    # filling one of them: whether this one was filled is not known
    users_history(history)
    upgrade = """
        op.execute(users.update().values(physical_filter="x"))
        op.alter_column(name_of(), column_of(), nullable=False)
        """
    add(history, "b2", "a1", upgrade)
    [finding] = history.run(check)
    assert finding.confidence == "low"  # no revision is known to create it


def test_a_rename_that_makes_a_nullable_column_not_null(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.alter_column("users", "name", new_column_name="title", nullable=False)',
    )
    [finding] = history.run(check)
    assert "the history creates it nullable with its table and never" in finding.message
    assert finding.confidence == "low"  # whether rows hold NULL: what the app wrote


@pytest.mark.parametrize(
    ("made", "title", "said"),
    [
        (
            'op.add_column("users", sa.Column("title", sa.String()))',
            "",
            "the history adds it nullable to the table, which leaves it NULL in every row "
            "the table held then, and never backfills it",
        ),
        (
            'op.alter_column("users", "title", nullable=True)',
            ', sa.Column("title", sa.String(), nullable=False)',
            "the history makes it nullable and never backfills it",
        ),
    ],
)
def test_how_the_history_made_the_column_nullable_is_said(
    history: History, made: str, title: str, said: str
) -> None:
    """A column added nullable to a table leaves NULL in every row it held then; one
    created with its table holds what the application wrote since; one altered to
    nullable, what was written after."""
    users = f'op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True){title})'
    add(history, "a1", None, users)
    add(history, "b2", "a1", made)
    add(history, "c3", "b2", 'op.alter_column("users", "title", nullable=False)')
    [finding] = [f for f in history.run(check) if f.path.endswith("c3_m.py")]
    assert said in finding.message
    assert finding.confidence == "medium"


def test_a_column_added_in_the_same_revision(history: History) -> None:
    users_history(history)
    not_null_add = 'op.add_column("users", sa.Column("nick", sa.String(), nullable=False))\n'
    add(history, "b2", "a1", not_null_add + 'op.alter_column("users", "nick", nullable=False)')
    assert history.run(check) == []  # added NOT NULL (AG101's business), restated here
    # a key column is NOT NULL when added (ziggurat_foundations' `groups.id` on MySQL)
    key = "sa.Integer, primary_key=True, autoincrement=False"  # (no SERIAL)
    key_add = f'op.add_column("users", sa.Column("nick", {key}))\n'
    add(history, "b2", "a1", key_add + 'op.alter_column("users", "nick", nullable=False)')
    assert history.run(check) == []
    nullable_add = not_null_add.replace("nullable=False", "nullable=True")
    add(history, "b2", "a1", nullable_add + 'op.alter_column("users", "nick", nullable=False)')
    [finding] = history.run(check)
    assert (
        "it is added earlier in this revision, so every existing row holds NULL" in finding.message
    )


@pytest.mark.parametrize(
    ("between", "reported"),
    [
        ("from app.data import fill_nicks\nfill_nicks(op.get_bind())", False),  # Agenta's
        (
            "session = Session(bind=op.get_bind())\nfor user in session.query(User):\n"
            "    user.nick = user.name\nsession.commit()",
            False,
        ),  # Kitchenowl's ORM loop
        ('op.execute(f"UPDATE {TABLE} SET nick = name")', False),  # SQL built at run time
        ('op.execute(f"CREATE INDEX ix ON users ({COLUMN})")', True),  # DDL fills nothing
        ('op.execute("UPDATE users SET name = 1")', True),  # read: it fills another column
        # under an if: it may run, a possible fill as well
        ("from app.data import fill_nicks\nif FLAG:\n    fill_nicks(op.get_bind())", False),
        ("", True),
    ],
)
def test_work_lint_cannot_read_between_the_add_and_the_not_null(
    history: History, between: str, reported: bool
) -> None:
    """A column added nullable and made NOT NULL in one revision, with work lint cannot
    read in between (a call into imported code, ORM session work, SQL built at run
    time): the revision fills it there (five labelled places, none real), as an UPDATE
    of a table that cannot be read counts as filling it. Not work lint reads and finds
    fills nothing, nor DDL built at run time."""
    users_history(history)
    nullable_add = 'op.add_column("users", sa.Column("nick", sa.String(), nullable=True))\n'
    body = nullable_add + between + '\nop.alter_column("users", "nick", nullable=False)'
    add(history, "b2", "a1", body)
    assert [f.code for f in history.run(check)] == (["AG102"] if reported else [])


def test_a_column_the_history_does_not_create(history: History) -> None:
    add(history, "a1", None, "pass")  # the table predates the migrations (create_all)
    add(history, "b2", "a1", ALTER)
    [finding] = history.run(check)
    # its rows are the application's, which no reading of the migrations tells: judged
    # real in 42% of 120 labelled places, none of 19 in the twenty-six latest sets
    assert finding.confidence == "low"
    assert "no revision before creates it" in finding.message
    # NOT NULL next to a type change (most often restated for MySQL's MODIFY): the same
    add(
        history, "b2", "a1", ALTER.replace("nullable=False", "type_=sa.VARCHAR(80), nullable=False")
    )
    [finding] = history.run(check)
    assert finding.confidence == "low"


def test_set_not_null_in_sql(history: History) -> None:
    """ALTER TABLE ... ALTER COLUMN c SET NOT NULL run by execute() with nothing filling
    the column: AG102, in SQL's words; an UPDATE before it fills it."""
    users_history(history)
    path = add(
        history, "b2", "a1", 'op.execute("ALTER TABLE users ALTER COLUMN name SET NOT NULL")'
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "SET NOT NULL")
    assert finding.message.startswith(
        'SET NOT NULL (SQL run by execute()) makes "users.name" NOT NULL, but nothing backfills'
    )
    assert "before the SET NOT NULL" in str(finding.fix)
    add(
        history,
        "b2",
        "a1",
        """
        op.execute("UPDATE users SET name = '' WHERE name IS NULL")
        op.execute("ALTER TABLE users ALTER name SET NOT NULL")
        """,
    )
    assert history.run(check) == []


ORM_MODEL = """
Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(50))
    email = sa.Column(sa.String(50))
"""


@pytest.mark.parametrize(
    ("work", "fills"),
    [
        # sync-engine: the rows whose column is NULL deleted through the ORM
        ("session.query(User).filter_by(name=None).delete()", True),
        ("session.query(User).filter(User.name.is_(None)).delete()", True),
        ("session.query(User).filter_by(email=None).delete()", False),
        ("session.query(User).filter(User.id > 10).delete()", False),
        # sync-engine: every NULL set through the ORM, by name in a literal loop
        (
            """
            for user in session.query(User):
                for attr in ("email", "name"):
                    if getattr(user, attr) is None:
                        setattr(user, attr, "")
            """,
            True,
        ),
        (
            """
            for user in session.query(User):
                setattr(user, "name", "")
            """,
            True,
        ),
        (
            """
            for user in session.query(User):
                setattr(user, "email", "")
            """,
            False,
        ),
    ],
)
def test_rows_filled_or_deleted_through_the_orm(history: History, work: str, fills: bool) -> None:
    users_history(history)
    body = "session = Session(bind=op.get_bind())\n" + textwrap.dedent(work).strip()
    text = migration("b2", "a1", body + "\nsession.commit()\n" + ALTER)
    history.write("b2_m.py", text.replace("def upgrade()", ORM_MODEL + "\n\ndef upgrade()", 1))
    assert [f.code for f in history.run(check)] == ([] if fills else ["AG102"])


@pytest.mark.parametrize(
    ("attribute", "fills"), [("team", True), ("team_id", True), ("teams", False), ("tea", False)]
)
def test_a_relationship_set_through_the_orm_fills_its_key(
    history: History, attribute: str, fills: bool
) -> None:
    """LVFS gives each firmware its `vendor_odm` through the ORM, then makes
    `vendor_odm_id` NOT NULL: the relationship's key is set on flush."""
    users_history(history)
    work = f"for user in session.query(User):\n    user.{attribute} = default_team\n"
    alter = ALTER.replace('"name"', '"team_id"').replace("sa.VARCHAR(length=50)", "sa.Integer()")
    body = "session = Session(bind=op.get_bind())\n" + work + "session.commit()\n" + alter
    text = migration("b2", "a1", body)
    history.write("b2_m.py", text.replace("def upgrade()", ORM_MODEL + "\n\ndef upgrade()", 1))
    assert [f.code for f in history.run(check)] == ([] if fills else ["AG102"])


@pytest.mark.parametrize(
    ("made", "fill", "confidence"),
    [
        ("nullable=True", 'op.execute("INSERT INTO orders (id) SELECT id FROM users")', "medium"),
        ("nullable=True", "", None),  # no rows: new
        ("nullable=False", 'op.execute("INSERT INTO orders (id) SELECT id FROM users")', None),
        ("server_default='x'", 'op.execute("INSERT INTO orders (id) SELECT id FROM users")', None),
        ("nullable=True", 'op.execute("INSERT INTO users (id) VALUES (1)")', None),  # another
    ],
)
def test_a_table_this_revision_creates_and_fills(
    history: History, made: str, fill: str, confidence: str | None
) -> None:
    """The rows put into a table made in the same revision may leave a nullable column
    NULL; whether they fill it is not read, so one step less sure."""
    users_history(history)
    upgrade = f"""
    op.create_table("orders", sa.Column("id", sa.Integer()), sa.Column("code", sa.String(), {made}))
    {fill}
    op.alter_column("orders", "code", nullable=False)
    """
    add(history, "b2", "a1", upgrade)
    found = [f.confidence for f in history.run(check)]
    assert found == ([confidence] if confidence else [])
    if confidence:
        assert "rows are put into the table before this" in history.run(check)[0].message


def test_rows_deleted_by_a_condition_not_read(history: History) -> None:
    """Backend.AI selects the keypairs whose secret key is NULL and deletes them by key
    before making the column NOT NULL: the rule cannot read that the deleted rows are
    the NULL ones, so it says so, one step less sure."""
    added_history(history)
    tighten = 'op.alter_column("users", "name", nullable=False)'
    add(history, "b2", "a1", tighten)
    [plain] = history.run(check)
    delete = 'op.execute(sa.text("DELETE FROM users WHERE id = ANY(:keys)"))'
    add(history, "b2", "a1", f"{delete}\n{tighten}")
    [finding] = history.run(check)
    assert (plain.confidence, finding.confidence) == ("medium", "low")
    assert "unless the rows this revision deletes from the table are those" in finding.message
    add(history, "b2", "a1", f'op.execute("DELETE FROM orders WHERE id = 1")\n{tighten}')
    assert history.run(check)[0].confidence == "medium"
    schema = 'op.execute(sa.text("DELETE FROM public.users WHERE id = ANY(:keys)"))'
    add(history, "b2", "a1", f"{schema}\n{tighten}")
    assert history.run(check)[0].confidence == "low"


def test_rows_deleted_on_a_condition_of_the_column(history: History) -> None:
    """open-event-server deletes the rows whose code is '' before making it NOT NULL: a
    condition on the column that leaves its NULLs; as sure as without it."""
    added_history(history)
    delete = "op.execute(\"DELETE FROM users WHERE name = ''\")"
    add(history, "b2", "a1", f'{delete}\nop.alter_column("users", "name", nullable=False)')
    [finding] = history.run(check)
    assert finding.confidence == "medium"


@pytest.mark.parametrize(
    ("between", "added", "reported"),
    [
        ("", "nullable=True", False),  # every row held NULL in it: all deleted
        ("op.execute(\"UPDATE users SET code = 'x' WHERE id = 1\")", "nullable=True", True),
        ("", "server_default='x'", True),  # the rows hold the default
        ("", None, True),  # a column the revision did not add: only its NULL rows go
    ],
)
def test_rows_deleted_where_a_column_just_added_is_null(
    history: History, between: str, added: str | None, reported: bool
) -> None:
    """bunkerweb adds `bw_instances.name`, deletes the rows whose name is NULL, then makes
    the other new columns NOT NULL: every row held NULL in the new column, so the DELETE
    empties the table."""
    users_history(history)
    add_code = f'op.add_column("users", sa.Column("code", sa.String(8), {added}))'
    add_kind = 'op.add_column("users", sa.Column("kind", sa.String(8), nullable=True))'
    delete = 'op.execute("DELETE FROM users WHERE code IS NULL")'
    tighten = 'op.alter_column("users", "kind", nullable=False)'
    steps = [add_kind, add_code if added else "", between, delete, tighten]
    add(history, "b2", "a1", "\n".join(step for step in steps if step))
    assert bool(history.run(check)) is reported


def test_rows_deleted_on_a_condition_of_another_column(history: History) -> None:
    """mwdb-core deletes the comments whose object is NULL, then makes the user NOT NULL
    too: a condition read, that does not pick the user's NULLs."""
    added_history(history)
    delete = 'op.execute("DELETE FROM users WHERE id IS NULL")'
    add(history, "b2", "a1", f'{delete}\nop.alter_column("users", "name", nullable=False)')
    [finding] = history.run(check)
    assert finding.confidence == "medium"


CHECKED = (
    'op.execute("ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID")'
)
VALIDATED = 'op.execute("ALTER TABLE users VALIDATE CONSTRAINT name_nn")'
SET_NOT_NULL = 'op.alter_column("users", "name", nullable=False)'
BACKFILL = "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")"
VALID_CHECK = 'op.execute("ALTER TABLE ONLY users ADD CONSTRAINT c CHECK ((name IS NOT NULL))")'


def _reported(history: History, steps: list[str]) -> list[str]:
    """Each revision of `steps` built on the one before (on users_history); what each
    AG102 finding says the step it is on is."""
    users_history(history)
    parent = "a1"
    for number, body in enumerate(steps, start=2):
        rid = f"r{number}"
        add(history, rid, parent, body)
        parent = rid
    return [f.message.split(" makes ")[0].split(" checks ")[0] for f in history.run(check)]


SQL_VALIDATE = "VALIDATE CONSTRAINT (SQL run by execute())"
SQL_CHECK = "ADD CONSTRAINT ... CHECK (... IS NOT NULL) (SQL run by execute())"


@pytest.mark.parametrize(
    ("steps", "reported"),
    [
        # pass Culture's three revisions: check NOT VALID, validate, SET NOT NULL; the
        # validation of a check an earlier revision made is not judged (its column is
        # not known where the file is read, and the rows are most often filled between
        # the deploys, outside the migrations), and the SET NOT NULL after it cannot fail
        ([CHECKED, VALIDATED, SET_NOT_NULL], []),
        # a validation fails where a row holds NULL, as SET NOT NULL does: reported
        # where the column was not filled, and the SET NOT NULL after it is not
        ([f"{CHECKED}\n{VALIDATED}", SET_NOT_NULL], [SQL_VALIDATE]),
        ([f"{CHECKED}\n{VALIDATED}\n{SET_NOT_NULL}"], [SQL_VALIDATE]),
        ([f"{BACKFILL}\n{CHECKED}\n{VALIDATED}", SET_NOT_NULL], []),
        ([BACKFILL, f"{CHECKED}\n{VALIDATED}\n{SET_NOT_NULL}"], []),
        # a check added valid is checked against every row as it is made
        ([VALID_CHECK, SET_NOT_NULL], [SQL_CHECK]),
        ([BACKFILL, VALID_CHECK, SET_NOT_NULL], []),
        ([CHECKED, SET_NOT_NULL], ["alter_column"]),  # never validated: old rows may hold NULL
        ([f"{CHECKED}\n{SET_NOT_NULL}"], ["alter_column"]),
        ([CHECKED, VALIDATED.replace("name_nn", "other"), SET_NOT_NULL], ["alter_column"]),
        (
            [CHECKED.replace("users", "posts"), VALIDATED.replace("users", "posts"), SET_NOT_NULL],
            ["alter_column"],
        ),
        ([CHECKED.replace("NULL) NOT VALID", "NULL OR id > 0)"), SET_NOT_NULL], ["alter_column"]),
        # checked after the ALTER: the ALTER is the step that fails, the one finding
        ([f"{SET_NOT_NULL}\n{CHECKED}\n{VALIDATED}"], ["alter_column"]),
    ],
)
def test_a_check_that_the_column_holds_no_null(
    history: History, steps: list[str], reported: list[str]
) -> None:
    """`ADD CONSTRAINT n CHECK (c IS NOT NULL) NOT VALID`, then `VALIDATE CONSTRAINT n`:
    the way to NOT NULL without a long lock on PostgreSQL. The validation (or a check
    added valid) fails where a row holds NULL, and is judged as SET NOT NULL is; once
    it has run no row holds NULL, and SET NOT NULL after it cannot fail."""
    assert _reported(history, steps) == reported


CREATED_CHECK = (
    'op.create_check_constraint("name_nn", "users", "name IS NOT NULL", postgresql_not_valid=True)'
)
OP_CHECK = "create_check_constraint"


@pytest.mark.parametrize(
    ("steps", "reported"),
    [
        ([CREATED_CHECK, VALIDATED, SET_NOT_NULL], []),
        ([f"{CREATED_CHECK}\n{VALIDATED}\n{SET_NOT_NULL}"], [SQL_VALIDATE]),
        ([f"{BACKFILL}\n{CREATED_CHECK}\n{VALIDATED}\n{SET_NOT_NULL}"], []),
        ([CREATED_CHECK, SET_NOT_NULL], ["alter_column"]),  # NOT VALID, never validated
        ([CREATED_CHECK.replace(", postgresql_not_valid=True", ""), SET_NOT_NULL], [OP_CHECK]),
        ([BACKFILL, CREATED_CHECK.replace(", postgresql_not_valid=True", "")], []),
        (
            ['op.create_check_constraint(None, "users", sa.column("name").isnot(None))', ALTER],
            [OP_CHECK],
        ),
        (
            ['op.create_check_constraint("c", "users", sa.column("id").isnot(None))', ALTER],
            ["alter_column"],
        ),
        # (a table no revision creates: judged as SET NOT NULL is, medium confidence)
        (
            ['op.create_check_constraint("c", "posts", "name IS NOT NULL")', ALTER],
            [OP_CHECK, "alter_column"],
        ),
        (
            [f"{ALTER}\n{CREATED_CHECK.replace(', postgresql_not_valid=True', '')}"],
            ["alter_column"],
        ),
    ],
)
def test_a_check_constraint_made_with_op_that_the_column_holds_no_null(
    history: History, steps: list[str], reported: list[str]
) -> None:
    """The same check written as `op.create_check_constraint(n, t, "c IS NOT NULL")`:
    valid as it is made, or NOT VALID with `postgresql_not_valid=True` until
    `VALIDATE CONSTRAINT n`; a check of another column or table fills nothing."""
    assert _reported(history, steps) == reported


def test_a_check_on_a_column_made_not_null_before_is_not_reported(history: History) -> None:
    """A check of a column that the history created NOT NULL restates it: no row holds
    NULL (Rucio adds `*_NN` checks beside its NOT NULL columns)."""
    add(history, "a1", None, CREATE_USERS.replace("nullable=True", "nullable=False"))
    add(history, "b2", "a1", VALID_CHECK)
    assert history.run(check) == []


def test_the_check_finding_says_what_the_check_does(history: History) -> None:
    users_history(history)
    path = add(history, "b2", "a1", VALID_CHECK)
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "ADD CONSTRAINT")
    assert finding.message.startswith(
        "ADD CONSTRAINT ... CHECK (... IS NOT NULL) (SQL run by execute()) checks that no "
        'row holds NULL in "users.name", but nothing backfills it first'
    )
    assert "before the ADD CONSTRAINT ... CHECK (... IS NOT NULL)," in str(finding.fix)


MODIFY = 'op.execute("ALTER TABLE users MODIFY COLUMN name VARCHAR(50) NOT NULL")'


def test_mysql_modify_not_null(history: History) -> None:
    """MySQL's MODIFY restating a column NOT NULL is read as SET NOT NULL is, in its own
    words: the ALTER fails on a NULL row (a DEFAULT in the definition fills none of
    them); an UPDATE before it fills the column."""
    added_history(history)
    path = add(history, "b2", "a1", MODIFY)
    [finding] = history.run(check)
    assert (finding.line, finding.confidence) == (line_of(history, path, "MODIFY"), "medium")
    assert finding.message.startswith(
        'MODIFY ... NOT NULL (SQL run by execute()) makes "users.name" NOT NULL, but nothing'
    )
    assert "the history adds it nullable to the table" in finding.message
    assert "before the MODIFY ... NOT NULL" in str(finding.fix)
    add(
        history,
        "b2",
        "a1",
        "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")\n" + MODIFY,
    )
    assert history.run(check) == []


def test_mysql_modify_restates_what_the_history_does_not_know(history: History) -> None:
    """A whole definition restated is most often NOT NULL as it was: where the history
    does not say, low confidence; a key's column (AUTO_INCREMENT) is not judged."""
    add(history, "a1", None, "pass")  # the table predates the migrations
    add(history, "b2", "a1", MODIFY)
    [finding] = history.run(check)
    assert finding.confidence == "low"
    add(
        history, "b2", "a1", 'op.execute("ALTER TABLE users MODIFY id INT NOT NULL AUTO_INCREMENT")'
    )
    assert history.run(check) == []


def test_what_a_mysql_modify_leaves_is_known_later(history: History) -> None:
    """MODIFY ... NOT NULL makes the column NOT NULL for the revisions after it (a later
    alter_column(nullable=False) restates it); a MODIFY without NOT NULL lets a column
    created NOT NULL hold NULL again."""
    users_history(history)
    first = add(history, "b2", "a1", MODIFY)
    last = add(history, "c3", "b2", ALTER)
    assert [f.path for f in history.run(check)] == [first]
    created_not_null = CREATE_USERS.replace(
        "length=50), nullable=True", "length=50), nullable=False"
    )
    add(history, "a1", None, created_not_null)
    add(history, "b2", "a1", "pass")
    assert history.run(check) == []
    add(history, "b2", "a1", MODIFY.replace(" NOT NULL", ""))
    [finding] = history.run(check)
    assert (finding.path, finding.confidence) == (last, "medium")


EMPTIED_AND_REFILLED = """
op.execute("DELETE FROM users")
op.execute("INSERT INTO users (id, name) SELECT id, title FROM old_users")
"""


def test_rows_put_back_after_the_table_was_emptied(history: History) -> None:
    """A table emptied and given its rows back by INSERTs that name the column (fides'
    experiences, deleted and put back with their config, made NOT NULL in the next
    revision): the column is filled, in the revision that does it and after it. Rows
    put back without naming it, or into a table not emptied, fill nothing."""
    users_history(history)
    add(history, "b2", "a1", EMPTIED_AND_REFILLED + ALTER)
    assert history.run(check) == []
    add(history, "b2", "a1", EMPTIED_AND_REFILLED)
    add(history, "c3", "b2", ALTER)
    assert history.run(check) == []
    add(history, "b2", "a1", EMPTIED_AND_REFILLED.replace("id, name", "id"))
    add(history, "c3", "b2", ALTER)
    assert len(history.run(check)) == 1
    add(history, "b2", "a1", EMPTIED_AND_REFILLED.replace("DELETE", "SELECT * "))
    assert len(history.run(check)) == 1


@pytest.mark.parametrize(
    ("fill", "reported"),
    [
        ("op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")", False),
        ('op.alter_column("users", "name", nullable=False)', False),  # NOT NULL already
        ('op.execute("UPDATE users SET id = id + 1")', True),  # another column's values
    ],
)
def test_a_column_filled_under_its_old_name(history: History, fill: str, reported: bool) -> None:
    """The post-award data store fills `event_data_blob`, renames it `data_blob`, and
    makes that NOT NULL: a rename keeps the values the history filled in."""
    users_history(history)
    add(history, "b2", "a1", fill)
    add(history, "c3", "b2", 'op.alter_column("users", "name", new_column_name="title")')
    add(history, "d4", "c3", 'op.alter_column("users", "title", nullable=False)')
    found = [f for f in history.run(check) if f.path.endswith("d4_m.py")]
    assert bool(found) == reported, found


@pytest.mark.parametrize(
    ("fill", "reported"),
    [
        ('op.execute("UPDATE users SET new_name = m.name FROM m WHERE users.id = m.id")', False),
        ('op.execute("UPDATE users SET email = 1")', True),  # another column's values
        ("", True),
    ],
)
def test_a_column_filled_and_renamed_in_one_revision(
    history: History, fill: str, reported: bool
) -> None:
    """Kaapi's 014 adds `new_owner_id`, fills it, drops `owner_id` and renames the new one
    into its place, all in SQL; 015 makes `owner_id` NOT NULL: the values filled before the
    rename of the same revision are the renamed column's."""
    users_history(history)
    steps = [
        'op.execute("ALTER TABLE users ADD COLUMN new_name INT")',
        fill,
        'op.execute("ALTER TABLE users DROP COLUMN name")',
        'op.execute("ALTER TABLE users RENAME COLUMN new_name TO name")',
    ]
    add(history, "b2", "a1", "\n".join(steps))
    add(history, "c3", "b2", 'op.alter_column("users", "name", nullable=False)')
    found = [f for f in history.run(check) if f.path.endswith("c3_m.py")]
    assert bool(found) == reported, found


@pytest.mark.parametrize(
    ("fill", "reported"),
    [
        ("op.execute(\"UPDATE users SET new_name = CASE WHEN name = '' THEN 'x' END\")", False),
        ('op.execute("UPDATE users SET email = 1")', True),  # another column's values
        ("", True),
    ],
)
@pytest.mark.parametrize(
    "rename",
    [
        'op.execute("ALTER TABLE users RENAME COLUMN new_name TO name")',
        'op.alter_column("users", "new_name", new_column_name="name")',
    ],
)
def test_a_column_filled_renamed_and_made_not_null_in_one_revision(
    history: History, fill: str, reported: bool, rename: str
) -> None:
    """Bayanat's baseline adds `id_number_temp`, fills every row, drops `id_number`,
    renames the new column into its place and sets NOT NULL, all in one revision: the
    rows are those filled under the old name. Unfilled, every row holds NULL (high)."""
    users_history(history)
    steps = [
        'op.execute("ALTER TABLE users ADD COLUMN new_name TEXT")',
        fill,
        'op.execute("ALTER TABLE users DROP COLUMN name")',
        rename,
        'op.execute("ALTER TABLE users ALTER COLUMN name SET NOT NULL")',
    ]
    add(history, "b2", "a1", "\n".join(steps))
    found = history.run(check)
    assert [f.confidence for f in found] == (["high"] if reported else []), found


@pytest.mark.parametrize(("guarded", "reported"), [("all", False), ("rename", True)])
def test_a_column_renamed_under_a_test(history: History, guarded: str, reported: bool) -> None:
    """Bayanat converts the column in a helper it calls under a test: the rename and the
    NOT NULL are both conditional, and the rename is followed. A rename under a test the
    NOT NULL is not under may not have run: the column is judged by its own name."""
    users_history(history)
    convert = [
        'op.execute("ALTER TABLE users ADD COLUMN new_name TEXT")',
        "op.execute(\"UPDATE users SET new_name = ''\")",
        'op.execute("ALTER TABLE users DROP COLUMN name")',
        'op.execute("ALTER TABLE users RENAME COLUMN new_name TO name")',
    ]
    not_null = 'op.execute("ALTER TABLE users ALTER COLUMN name SET NOT NULL")'
    if guarded == "all":
        steps = ["if legacy_column():", *("    " + s for s in [*convert, not_null])]
    else:
        steps = ["if legacy_column():", *("    " + s for s in convert), not_null]
    add(history, "b2", "a1", "\n".join(steps))
    assert bool(history.run(check)) == reported


def test_a_rename_that_made_the_column_not_null_is_not_judged_again(history: History) -> None:
    """A NOT NULL restated after the rename that set it: one finding, the rename's."""
    users_history(history)
    steps = [
        'op.alter_column("users", "name", new_column_name="title", nullable=False)',
        'op.alter_column("users", "title", nullable=False)',
    ]
    path = add(history, "b2", "a1", "\n".join(steps))
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "new_column_name")


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        ('new_column_name="id", existing_type=sa.Integer(), autoincrement=True', False),
        ('new_column_name="ident", existing_type=sa.Integer(), primary_key=True', False),
        ('new_column_name="name", existing_type=sa.String(60)', True),  # not the key
    ],
)
def test_a_key_renamed_on_a_table_the_history_does_not_create(
    history: History, options: str, reported: bool
) -> None:
    """Hydra renames each table's `<name>_id` to `id` on MySQL, restating NOT NULL (and
    `primary_key=True`, which alter_column does not act on), on tables made before its
    migrations: taken for the primary key, as a column named `id` is."""
    add(history, "a1", None, "pass")  # the tables predate the migrations (create_all)
    add(history, "b2", "a1", f'op.alter_column("users", "user_id", {options}, nullable=False)')
    found = history.run(check)
    assert bool(found) == reported, found


@pytest.mark.parametrize("updated", [False, True])
def test_the_id_of_a_table_the_history_does_not_create(history: History, updated: bool) -> None:
    """CodaLab widens every table's `id` to BIGINT and restates NOT NULL, on tables made
    before its migrations: `id` is taken for the primary key (NOT NULL already); so does
    Anubis, after a revision updated rows of its tables in columns that cannot be read.
    Another column is judged, with low confidence."""
    add(history, "a1", None, "pass")  # the tables predate the migrations (create_all)
    parent = "a1"
    if updated:
        add(history, "b2", "a1", UNREAD_UPDATE)
        parent = "b2"
    widen = 'op.alter_column("users", "{column}", type_=sa.BigInteger(), nullable=False)'
    add(history, "c3", parent, widen.format(column="id"))
    assert history.run(check) == []
    add(history, "c3", parent, widen.format(column="owner_id"))
    [finding] = history.run(check)
    assert finding.confidence == "low"


def test_the_id_of_a_table_the_history_creates_nullable(history: History) -> None:
    """Where the history says the column is nullable, `id` is judged as any column."""
    add(
        history,
        "a1",
        None,
        'op.create_table("users", sa.Column("id", sa.Integer(), nullable=True))',
    )
    widen = 'op.alter_column("users", "id", type_=sa.BigInteger(), nullable=False)'
    add(history, "b2", "a1", widen)
    [finding] = history.run(check)
    assert "the history creates it nullable with its table and never" in finding.message


@pytest.mark.parametrize(
    ("named", "reported"),
    [("postgresql.JSONB", False), ('mysql_engine="InnoDB"', True), ("", True)],
)
def test_after_an_add_column_postgresql_refuses_on_rows(
    history: History, named: str, reported: bool
) -> None:
    """cnaas-nms adds a NOT NULL column with no default to `reservedip` (AG101's finding),
    then makes two of its columns NOT NULL: on PostgreSQL the ALTER meets only an empty
    table (one hazard, one finding). MySQL fills the added column with its implicit
    default, so there the ALTER meets the rows; a history that names no database may
    run there."""
    users_history(history)
    if named:
        history.write("n0_named.py", migration("n0", None, f"{named}\n"))
    added = 'op.add_column("users", sa.Column("plan", sa.Integer(), nullable=False))\n'
    history.write("b2_m.py", migration("b2", "a1", added + ALTER))
    assert [f.code for f in history.run(check)] == (["AG102"] if reported else [])


@pytest.mark.parametrize(
    ("added", "reported"),
    [
        ('sa.Column("user_id", sa.Integer(), nullable=False, server_default="1")', False),
        ('sa.Column("user_id", sa.Integer(), server_default="1")', False),
        ('sa.Column("user_id", sa.Integer(), nullable=False)', False),
        ('sa.Column("user_id", sa.Integer())', True),  # every existing row NULL
    ],
)
def test_a_column_added_with_values_then_made_nullable_in_the_release(
    history: History, added: str, reported: bool
) -> None:
    """feedi adds `feeds.user_id` NOT NULL with a server default, then makes it nullable
    (dropping the default) and NOT NULL again, the three in one commit: no released code
    ran in between to write a NULL. A column added nullable with no default leaves every
    existing row NULL; revisions already released may have written NULLs since."""
    users_history(history)
    add(history, "b2", "a1", f'op.add_column("users", {added})')
    add(
        history,
        "c3",
        "b2",
        'op.alter_column("users", "user_id", server_default=None, nullable=True)',
    )
    add(history, "d4", "c3", 'op.alter_column("users", "user_id", nullable=False)')
    new = list(check(with_base(history, {"b2", "c3", "d4"})))
    assert len(new) == int(reported)
    released = list(check(with_base(history, {"d4"})))
    assert len(released) == 1
    assert "the history makes it nullable and never backfills it" in released[0].message


def test_a_key_filled_by_a_numbered_orm_loop_the_revision_before(history: History) -> None:
    """nextline-rdb's data revision gives every prompt its `trace_call` (a relationship,
    whose key is `trace_call_id`) in `for i, prompt in enumerate(prompts)`, over
    `session.scalars(sa.select(Prompt))`; the next revision makes the key NOT NULL."""
    users_history(history)
    add(history, "b2", "a1", 'op.add_column("users", sa.Column("trace_call_id", sa.Integer()))')
    loop = """with Session(bind=op.get_bind()) as session, session.begin():
    prompts = session.scalars(sa.select(Prompt))
    for i, prompt in enumerate(prompts):
        prompt.trace_call = TraceCall(trace_call_no=i + 1)
"""
    add(history, "c3", "b2", loop)
    path = add(history, "d4", "c3", 'op.alter_column("users", "trace_call_id", nullable=False)')
    assert list(check(with_base(history, {"d4"}))) == []
    add(history, "c3", "b2", loop.replace("enumerate(prompts)", "prompts.items()"))
    [finding] = check(with_base(history, {"d4"}))
    assert finding.path == path


def test_a_column_of_a_table_the_revision_renamed_is_known_by_its_old_name(
    history: History,
) -> None:
    """MaveDB renames its association tables, then restates NOT NULL on a column the
    base revision created in the primary key: the history knows the column under the
    table's old name. A nullable column of the renamed table is still reported."""
    links = """
    op.create_table(
        "links",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=50), nullable=True),
    )
    """
    add(history, "a1", None, links)
    body = """
    op.rename_table("links", "user_links")
    op.alter_column("user_links", "user_id", nullable=False, new_column_name="member_id")
    op.alter_column("user_links", "note", nullable=False)
    """
    path = add(history, "b2", "a1", body)
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, '"user_links", "note"')


def test_a_check_of_a_renamed_table_in_dialect_branches_is_judged_by_its_old_name(
    history: History,
) -> None:
    """Rucio renames `callbacks` to `messages`, then adds a CHECK that `event_type` is
    not null (read as AG102's NOT NULL); renames made in dialect branches are followed
    only where the call runs (on PostgreSQL, `x` became `b` there; `a` became `b` on
    MySQL only): each column is judged by the history of the table it was."""
    tables = """
    op.create_table("callbacks", sa.Column("event_type", sa.String(length=50), nullable=True))
    op.create_table("x", sa.Column("c", sa.Integer(), nullable=False))
    op.create_table("a", sa.Column("c", sa.Integer(), nullable=True))
    """
    add(history, "a1", None, tables)
    body = """
    op.rename_table("callbacks", "messages")
    op.create_check_constraint("nn", "messages", "event_type IS NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.rename_table("x", "b")
    if op.get_bind().dialect.name == "mysql":
        op.rename_table("a", "b")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("b", "c", nullable=False)
    """
    path = add(history, "b2", "a1", body)
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "op.create_check_constraint")
    assert "creates it nullable with its table" in finding.message


COUNT_NULLS = (
    'nulls = op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE {}")).scalar()'
)
REFUSE = "\nif nulls:\n    raise RuntimeError('clean up')\n"


@pytest.mark.parametrize(
    ("upgrade", "refused"),
    [
        (COUNT_NULLS.format("name IS NULL") + REFUSE, True),
        # SQL's SET NOT NULL after the count (OpenCRE's), with the table's alias
        (
            COUNT_NULLS.format("u.x = 1 OR u.name IS NULL").replace("users", "users u")
            + REFUSE
            + 'op.execute("ALTER TABLE users ALTER COLUMN name SET NOT NULL")\n',
            True,
        ),
        (f"{COUNT_NULLS.format('name IS NULL')}\nprint(nulls)\n", False),  # counted, no refusal
        (f"{COUNT_NULLS.format('name IS NOT NULL')}\nif nulls:\n    raise RuntimeError()\n", False),
        (f"{COUNT_NULLS.format('id IS NULL')}\nif nulls:\n    raise RuntimeError()\n", False),
        (f"if FLAG:\n    raise RuntimeError()\n{COUNT_NULLS.format('name IS NULL')}\n", False),
        # a dialect test is no refusal of what was counted
        (
            f"{COUNT_NULLS.format('name IS NULL')}\n"
            "if op.get_bind().dialect.name == 'sqlite':\n    raise NotImplementedError()\n",
            False,
        ),
    ],
)
def test_a_count_of_nulls_then_a_refusal(history: History, upgrade: str, refused: bool) -> None:
    """The Alliance's literature service counts the rows whose column is NULL and raises,
    with its own message, before any DDL: the revision refuses to run where the NOT NULL
    would fail. The deploy still stops there: reported one step less sure, saying so.
    Not so where nothing refuses after the count, where the count is of other rows, or
    where the raise comes first or tests the dialect."""
    added_history(history)  # (medium: every row the table held got a NULL)
    body = upgrade if "SET NOT NULL" in upgrade else upgrade + ALTER
    add(history, "b2", "a1", body)
    [finding] = history.run(check)
    assert ("raises under an if" in finding.message) == refused
    assert finding.confidence == ("low" if refused else "medium")
