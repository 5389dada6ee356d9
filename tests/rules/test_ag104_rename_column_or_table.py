from __future__ import annotations

import pytest

from alembic_gate.rules.ag104_rename_column_or_table import check

from .ag1xx_helpers import (
    CREATE_USERS,
    SQL_REBUILD_USERS,
    add,
    line_of,
    migration,
    users_history,
    with_base,
)
from .conftest import History


def test_column_and_table_renames(history: History) -> None:
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.alter_column("users", "name", new_column_name="full_name",
                        existing_type=sa.VARCHAR(length=50))
        op.rename_table("users", "accounts")
        """,
    )
    findings = history.run(check)
    assert [(f.code, f.line) for f in findings] == [
        ("AG104", line_of(history, path, "op.alter_column")),
        ("AG104", line_of(history, path, "op.rename_table")),
    ]
    assert 'column "users.name" to "full_name"' in findings[0].message
    assert 'table "users" to "accounts"' in findings[1].message
    assert findings[0].fix is not None
    assert "drop the old column in a later release" in findings[0].fix


def test_batch_rename(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users") as batch_op:
            batch_op.alter_column("name", new_column_name=NEW_NAME)
        """,
    )
    [finding] = history.run(check)
    assert 'column "users.name" to a new name' in finding.message


def test_alter_without_rename_and_renames_of_new_tables(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", 'op.alter_column("users", "name", comment="shown name")')
    add(
        history,
        "c3",
        "b2",
        CREATE_USERS.replace("users", "drafts") + '\nop.rename_table("drafts", "posts")',
    )
    assert history.run(check) == []


def test_with_base_a_column_the_branch_added_can_be_renamed(history: History) -> None:
    users_history(history)
    add(
        history, "b2", "a1", 'op.add_column("users", sa.Column("nick", sa.String(), nullable=True))'
    )
    add(history, "c3", "b2", 'op.alter_column("users", "nick", new_column_name="handle")')
    assert list(check(with_base(history, {"b2", "c3"}))) == []
    # released already (without --base): code of the previous release reads "nick"
    [finding] = history.run(check)
    assert 'column "users.nick" to "handle"' in finding.message


def test_a_table_moved_aside_while_a_new_one_takes_its_name_and_rows(history: History) -> None:
    users_history(history)
    rebuild = """
    op.rename_table("users", "users_tmp")
    op.create_table("users", sa.Column("id", sa.Integer(), nullable=False))
    op.execute("INSERT INTO users (id) SELECT id FROM users_tmp")
    op.drop_table("users_tmp")
    """
    add(history, "b2", "a1", rebuild)
    assert history.run(check) == []
    # without the copy, and users_tmp kept: the old rows live on under another name
    kept = rebuild.replace("op.execute(", "print(").replace('op.drop_table("users_tmp")', "")
    add(history, "b2", "a1", kept)
    assert len(history.run(check)) == 1


def test_a_table_rebuilt_whose_rows_come_back_unread(history: History) -> None:
    """cuckoo's SQLite branch reads the rows into Python, moves `errors` aside, drops it,
    creates `errors` again and puts the rows back through a model it imports: the name
    stays, the drop is AG103's to judge."""
    users_history(history)
    rebuild = """
    rows = op.get_bind().execute(sa.text("SELECT id FROM users")).fetchall()
    op.rename_table("users", "old_users")
    op.drop_table("old_users")
    op.create_table("users", sa.Column("id", sa.Integer(), nullable=False))
    op.bulk_insert(User.__table__, [dict(row) for row in rows])
    """
    add(history, "b2", "a1", rebuild)
    assert history.run(check) == []
    add(history, "b2", "a1", rebuild.replace('op.drop_table("old_users")', ""))
    assert len(history.run(check)) == 1


def test_a_table_moved_aside_and_dropped_while_core_inserts_fill_the_new_one(
    history: History,
) -> None:
    """ComPAIR's 622121ae2f36 moves `comparison` aside, creates a new one, inserts its
    rows one by one with Core's insert() from a select of the old, then drops the old:
    a rebuild. zenml's a91762e6be36 moves `artifact` aside for good (`artifact_version`
    stays) and inserts one new row per name: old code reads another table, reported."""
    users_history(history)
    rebuild = """
    op.rename_table("users", "users_tmp")
    users = op.create_table("users", sa.Column("id", sa.Integer(), nullable=False))
    old = sa.table("users_tmp", sa.column("id"))
    conn = op.get_bind()
    for row in conn.execute(old.select()):
        conn.execute(users.insert().values(id=row.id))
    op.drop_table("users_tmp")
    """
    add(history, "b2", "a1", rebuild)
    assert history.run(check) == []
    add(history, "b2", "a1", rebuild.replace('op.drop_table("users_tmp")', ""))
    assert len(history.run(check)) == 1


@pytest.mark.parametrize(
    ("insert", "reported"),
    [
        ('insert into "Users" (id) select id from users_tmp', False),  # any case, quoted
        ("INSERT INTO `users` SELECT * FROM users_tmp", False),
        ("INSERT INTO users_archive (id) SELECT id FROM users_tmp", True),  # another table
        ('INSERT INTO public."users" (id) SELECT id FROM users_tmp', False),  # its schema
        ("INSERT INTO public.users_old (id) SELECT id FROM users_tmp", True),
        ("SELECT id FROM users_tmp", True),
    ],
)
def test_the_copy_into_the_new_table_as_sql_spells_it(
    history: History, insert: str, reported: bool
) -> None:
    users_history(history)
    rebuild = f"""
    op.rename_table("users", "users_tmp")
    op.create_table("users", sa.Column("id", sa.Integer(), nullable=False))
    op.execute('{insert}')
    """
    add(history, "b2", "a1", rebuild)
    assert len(history.run(check)) == (1 if reported else 0)


def test_renames_written_as_sql(history: History) -> None:
    """ALTER TABLE ... RENAME [COLUMN] a TO b, RENAME TO, and MySQL's RENAME TABLE run
    by execute() are renames; a constraint's, an index's or a type's are not."""
    users_history(history)
    add(history, "b1", "a1", 'op.create_table("orders", sa.Column("id", sa.Integer))')
    path = add(
        history,
        "b2",
        "b1",
        """
        op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")
        op.execute("ALTER TABLE users RENAME CONSTRAINT users_pk TO pk")
        op.execute("ALTER INDEX ix_users_name RENAME TO ix_users_full_name")
        op.execute("ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'")
        op.execute("RENAME TABLE orders TO purchases")
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(":")[0]) for f in findings] == [
        (
            line_of(history, path, "RENAME COLUMN"),
            'RENAME COLUMN (SQL run by execute()) renames column "users.name" to "full_name"',
        ),
        (
            line_of(history, path, "RENAME TABLE"),
            'RENAME (SQL run by execute()) renames table "orders" to "purchases"',
        ),
    ]


def test_a_rename_in_an_anonymous_code_block(history: History) -> None:
    """A RENAME COLUMN that PostgreSQL runs in a `DO $$ ... $$` block, under an IF that
    asks whether the old column is there, is a rename (SurfSense's guarded renames, the
    eleventh set): on a database that ran the previous release the IF holds."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute(\"\"\"
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_name = 'users' AND column_name = 'name') THEN
                    ALTER TABLE users RENAME COLUMN name TO full_name;
                END IF;
            END$$;
        \"\"\")
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(":")[0]) for f in findings] == [
        (
            line_of(history, path, "op.execute"),
            'RENAME COLUMN (SQL run by execute()) renames column "users.name" to "full_name"',
        ),
    ]


def test_mysql_change_that_renames_a_column(history: History) -> None:
    """MySQL's `CHANGE [COLUMN] a b <definition>` renames when b is not a (sync-engine);
    the same name restated with a new definition is no rename."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute("ALTER TABLE users CHANGE name full_name VARCHAR(255) NOT NULL")
        op.execute("ALTER TABLE `users` CHANGE COLUMN `id` `id` BIGINT NOT NULL")
        """,
    )
    findings = history.run(check)
    assert [(f.line, f.message.split(":")[0]) for f in findings] == [
        (
            line_of(history, path, "CHANGE name"),
            'CHANGE (SQL run by execute()) renames column "users.name" to "full_name"',
        )
    ]


def test_a_table_moved_aside_in_sql_while_a_new_one_takes_its_rows(history: History) -> None:
    """SQLite's rebuild written as SQL: the old table renamed aside, a new one created
    under its name and the rows copied in; the name and the rows stay."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        SQL_REBUILD_USERS,
    )
    assert history.run(check) == []


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ("", "", 0),
        ('op.execute(f"DROP TABLE {schema}.users_old")', "", 1),  # the old one lives on
        ("FROM {schema}.users_old", "FROM {schema}.other", 1),  # not its rows
    ],
)
def test_a_table_renamed_aside_made_again_where_it_cannot_be_read(
    history: History, old: str, new: str, reported: int
) -> None:
    """pycds renames a history table aside, makes it again through a helper of the
    project (not read), copies the rows back and drops the old one: the name and the
    rows stay, as the copy into the old name shows."""
    users_history(history)
    rebuild = """
    from pycds.alembic.util import create_history_table

    op.execute(f"ALTER TABLE {schema}.users RENAME TO users_old")
    create_history_table("users")
    op.execute(f"INSERT INTO {schema}.users SELECT * FROM {schema}.users_old")
    op.execute(f"DROP TABLE {schema}.users_old")
    """
    add(history, "b2", "a1", rebuild.replace(old, new) if old else rebuild)
    assert len(history.run(check)) == reported


def test_a_table_swapped_for_one_the_rows_were_copied_into(history: History) -> None:
    """insights-host-inventory moves `hosts` aside and gives its name to `hosts_new`, made
    by an earlier revision and filled here: the name and the rows stay. Without the copy
    the rows stay behind under the old table's new name."""
    users_history(history)
    add(history, "b2", "a1", 'op.create_table("users_new", sa.Column("id", sa.Integer()))')
    swap = """
    op.execute("INSERT INTO public.users_new (id) SELECT id FROM public.users")
    op.execute('''
        ALTER TABLE public.users RENAME TO users_old;
        ALTER TABLE public.users_new RENAME TO users;
    ''')
    """
    add(history, "c3", "b2", swap)
    assert history.run(check) == []
    add(history, "c3", "b2", swap.replace("INSERT INTO public.users_new (id) SELECT", "SELECT"))
    assert len(history.run(check)) == 2  # users moved aside; users_new, known, renamed


def test_a_swap_whose_copy_is_built_at_run_time(history: History) -> None:
    """subunit2sql copies each table into its `_new` one with SQL built by `.format()`
    (a column quoted as the dialect needs), then swaps the names: the tables written out
    in that SQL are read, the name and the rows stay. A copy into a table whose name is
    itself built (`INSERT INTO {}_new`) says nothing of which table it fills."""
    users_history(history)
    swap = """
    op.create_table("users_new", sa.Column("id", sa.Integer()))
    quoted = "`key`" if op.get_bind().dialect.name == "mysql" else "key"
    op.execute(COPY)
    op.rename_table("users", "users_old")
    op.rename_table("users_new", "users")
    op.drop_table("users_old")
    """
    copy = '"INSERT INTO users_new (id, {}) SELECT id, key FROM users".format(quoted)'
    add(history, "b2", "a1", swap.replace("COPY", copy))
    assert history.run(check) == []
    built = '"INSERT INTO {}_new (id) SELECT id FROM users".format(users())'
    add(history, "b2", "a1", swap.replace("COPY", built))
    found = history.run(check)
    assert len(found) == 1  # users moved aside, its rows left under users_old
    assert '"users" to "users_old"' in found[0].message


def test_a_column_of_a_view_the_revision_creates_again(history: History) -> None:
    """ConsDB drops its views, creates them again from `SELECT *` and renames their columns
    to the names the old views had: the view is the revision's own, not reported. A view
    made `OR REPLACE` may be the one released code reads: its rename still is."""
    users_history(history)
    views = """
    op.execute("DROP VIEW people")
    op.execute("CREATE VIEW people AS SELECT * FROM users")
    op.execute("ALTER TABLE people RENAME COLUMN id TO person_id")
    """
    add(history, "b2", "a1", views)
    assert history.run(check) == []
    add(history, "b2", "a1", views.replace("CREATE VIEW", "CREATE OR REPLACE VIEW"))
    assert [f.code for f in history.run(check)] == ["AG104"]


def test_a_table_renamed_while_a_view_takes_its_old_name(history: History) -> None:
    """hypothesis/lms renames `module_item_configurations` to `assignment` and creates a
    view under the old name (the fix the finding itself gives): the previous release's
    code reads on through it. A view made under another name leaves the rename reported."""
    users_history(history)
    renamed = """
    op.rename_table("users", "people")
    op.execute("CREATE VIEW users AS (SELECT * FROM people)")
    """
    add(history, "b2", "a1", renamed)
    assert history.run(check) == []
    add(history, "b2", "a1", renamed.replace("CREATE VIEW users", "CREATE VIEW users_v"))
    assert [f.code for f in history.run(check)] == ["AG104"]


def test_a_table_renamed_and_renamed_back(history: History) -> None:
    """pgAdmin renames `user` to `user_old` and back (SQLite then rewrites the foreign
    keys that name it): the name stays, neither rename is reported; a table renamed on
    to a third name still is."""
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.execute('ALTER TABLE "users" RENAME TO users_old')
        op.execute('ALTER TABLE users_old RENAME TO "users"')
        op.rename_table("users", "people")
        """,
    )
    [finding] = history.run(check)
    assert 'table "users" to "people"' in finding.message


SCRATCH_REBUILD = """
def rebuild(table_name):
    temp_name = f"_temp_{uuid.uuid4().hex}"
    columns = ",".join(read_columns(table_name))
    op.execute(sa.text(f"CREATE TABLE {temp_name} (id INTEGER PRIMARY KEY, {columns})"))
    op.execute(sa.text(f"INSERT INTO {temp_name} SELECT * FROM {table_name}"))
    op.execute(sa.text(f"DROP TABLE {table_name}"))
    op.execute(sa.text(f"ALTER TABLE {temp_name} RENAME TO {table_name}"))


"""


def test_a_scratch_table_named_at_run_time_takes_the_name_it_rebuilds(
    history: History,
) -> None:
    """threedi-schema rebuilds `model_settings` through a scratch table named
    `_temp_229_<uuid>`: created, filled, the old table dropped, the scratch table renamed
    to its name. No released code knows the scratch table. A table named at run time that
    the revision did not create (sbc-pay's loop renaming released tables to plurals) is
    still reported, with medium confidence."""
    users_history(history)
    text = migration("b2", "a1", 'rebuild("users")')
    text = text.replace("def upgrade()", SCRATCH_REBUILD.lstrip("\n") + "def upgrade()")
    path = history.write("b2_m.py", text)
    assert history.run(check) == []
    history.write("b2_m.py", text.replace("CREATE TABLE", "DELETE FROM"))
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "RENAME TO")
    assert finding.confidence == "medium"


def test_a_column_moved_aside_while_a_new_one_takes_its_name(history: History) -> None:
    """open-webui's `chat` text renamed to `old_chat` and a JSON `chat` added and filled
    from it (Letta does the same to a key in SQL; Gnocchi makes the new column with a
    function): the name and its values stay. With
    the new column left empty (MLRun's `params`), or nothing added under the old name,
    the rename is reported."""
    users_history(history)
    aside = 'op.alter_column("users", "name", new_column_name="old_name")'
    added = 'op.add_column("users", sa.Column("name", sa.JSON(), nullable=True))'
    filled = 'op.execute("UPDATE users SET name = old_name")'
    add(history, "b2", "a1", f"{aside}\n{added}\n{filled}")
    assert history.run(check) == []
    sql_aside = 'op.execute("ALTER TABLE users RENAME COLUMN name TO old_name")'
    add(history, "b2", "a1", f"{sql_aside}\n{added}\n{filled}")
    assert history.run(check) == []
    # the new column made by a lambda (Gnocchi's resource type, made by a function)
    made = 'new_column = lambda: sa.Column("name", sa.JSON(), nullable=True)'
    add(history, "b2", "a1", f'{aside}\n{made}\nop.add_column("users", new_column())\n{filled}')
    assert history.run(check) == []
    add(history, "b2", "a1", f"{aside}\n{added}")
    [finding] = history.run(check)
    assert '"users.name"' in finding.message
    added_elsewhere = added.replace('"users"', '"accounts"')
    add(history, "b2", "a1", f"{aside}\n{added_elsewhere}\n{filled}")
    [finding] = history.run(check)
    assert '"users.name"' in finding.message


@pytest.mark.parametrize(
    ("fill", "reported"),
    [('op.execute("UPDATE users SET new_name = upper(name)")', False), ("", True)],
)
def test_a_column_moved_aside_while_a_new_one_is_renamed_to_its_name(
    history: History, fill: str, reported: bool
) -> None:
    """Notify adds `new_status`, fills it from `status`, renames `status` to `old_status`
    and `new_status` to `status`: the name keeps its values. Left empty, the new column
    takes the name without them: reported."""
    users_history(history)
    upgrade = f"""
    op.add_column("users", sa.Column("new_name", sa.Text(), nullable=True))
    {fill}
    op.alter_column("users", "name", new_column_name="old_name")
    op.alter_column("users", "new_name", new_column_name="name")
    op.drop_column("users", "old_name")
    """
    add(history, "b2", "a1", upgrade)
    found = history.run(check)
    assert bool(found) == reported, found


def test_a_column_moved_aside_while_an_older_one_takes_its_name(history: History) -> None:
    """sourcehut's canonical ids: `user.id` renamed `old_id` while `remote_id`, a column an
    earlier revision added, takes the name `id` in the same statement: code naming `id`
    still finds it, with every row's value. The rename of `remote_id` itself is what the
    previous release cannot follow, reported once."""
    users_history(history)
    add(history, "b2", "a1", 'op.add_column("users", sa.Column("remote_id", sa.Integer()))')
    sql = (
        "ALTER TABLE users RENAME COLUMN id TO old_id; "
        "ALTER TABLE users RENAME COLUMN remote_id TO id"
    )
    add(history, "c3", "b2", f'op.execute("{sql}")')
    [finding] = [f for f in history.run(check) if f.path.endswith("c3_m.py")]
    assert '"users.remote_id" to "id"' in finding.message
    # lcfs hands `service_address` to another address: a name that does not say it sets
    # the column aside is a new meaning for the old name, reported
    moved = (
        "ALTER TABLE users RENAME COLUMN name TO head_name; "
        "ALTER TABLE users RENAME COLUMN remote_id TO name"
    )
    add(history, "c3", "b2", f'op.execute("{moved}")')
    found = [f for f in history.run(check) if f.path.endswith("c3_m.py")]
    assert len(found) == 2, found


def test_a_rename_spelled_with_the_legacy_name_keyword(history: History) -> None:
    # fedocal's and Altair's histories renamed columns with alembic's old `name=`,
    # which current alembic rejects with a TypeError
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.alter_column("users", "name", name="full_name", existing_type=sa.VARCHAR(50))
        with op.batch_alter_table("users") as batch_op:
            batch_op.alter_column("email", name="mail")
        """,
    )
    findings = history.run(check)
    assert [(f.code, f.line) for f in findings] == [
        ("AG104", line_of(history, path, "op.alter_column")),
        ("AG104", line_of(history, path, "batch_op.alter_column")),
    ]
    assert 'column "users.name" to "full_name"' in findings[0].message
    assert 'column "users.email" to "mail"' in findings[1].message
    assert all("old spelling of `new_column_name`" in f.message for f in findings)
    assert "TypeError" in findings[0].message


def test_a_legacy_name_rename_of_a_column_added_in_the_revision_is_not_reported(
    history: History,
) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.add_column("users", sa.Column("nick", sa.String(), nullable=True))
        op.alter_column("users", "nick", name="handle")
        op.alter_column("users", "id", name="id", type_=sa.BigInteger())
        """,
    )
    assert history.run(check) == []  # nor a column named as itself (Altair's MySQL types)


@pytest.mark.parametrize(
    ("renames", "reported"),
    [
        # pybossa: the primary key and unique keys follow the table `app` to `project`
        (
            [
                "ALTER TABLE app_pkey RENAME TO project_pkey",
                "ALTER TABLE app_name_key RENAME TO project_name_key",
            ],
            1,
        ),
        # HIL: the serial's sequence follows its table
        (["ALTER TABLE app_id_seq RENAME TO project_id_seq"], 1),
        # a table of its own whose name ends so, renamed alone: reported
        (["ALTER TABLE app_key RENAME TO app_keys"], 2),
        # the sequence renamed apart from its table's new name: reported
        (["ALTER TABLE app_id_seq RENAME TO other_id_seq"], 2),
        # `t_key` is no name PostgreSQL gives (`t_<columns>_key`): a table, reported
        (["ALTER TABLE app_key RENAME TO project_key"], 2),
    ],
)
def test_a_tables_own_sequence_or_key_renamed_after_it(
    history: History, renames: list[str], reported: int
) -> None:
    users_history(history)
    body = "\n".join(
        f'    op.execute("{sql}")' for sql in ["ALTER TABLE app RENAME TO project", *renames]
    )
    add(history, "b2", "a1", body + "\n")
    assert len(history.run(check)) == reported


def test_a_table_the_history_made_is_no_tables_own_key(history: History) -> None:
    """`app_api_key`, which an earlier revision created as a table, renamed along with
    `app`: the code of the previous release reads it, reported."""
    users_history(history)
    add(history, "b2", "a1", 'op.create_table("app_api_key", sa.Column("id", sa.Integer()))')
    renames = """
    op.rename_table("app", "project")
    op.rename_table("app_api_key", "project_api_key")
    """
    add(history, "c3", "b2", renames)
    reported = [f for f in history.run(check) if "app_api_key" in f.message]
    assert len(reported) == 1
