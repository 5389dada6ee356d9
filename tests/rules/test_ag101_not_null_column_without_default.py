from __future__ import annotations

import pytest

from alembic_gate.rules.ag101_not_null_column_without_default import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, users_history, with_base
from .conftest import History

ADD_EMAIL = 'op.add_column("users", sa.Column("email", sa.String(length=255), nullable=False))'


def test_not_null_column_on_an_existing_table(history: History) -> None:
    users_history(history)
    path = add(history, "b2", "a1", ADD_EMAIL, downgrade='op.drop_column("users", "email")')
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG101", "warning")
    assert (finding.path, finding.line) == (path, line_of(history, path, "op.add_column"))
    assert '"users.email"' in finding.message
    assert finding.fix is not None
    assert "nullable=True" in finding.fix
    assert 'op.alter_column("users", "email", nullable=False)' in finding.fix
    assert "later revision" in finding.fix


@pytest.mark.parametrize(
    "upgrade",
    [
        f"o = op\n{ADD_EMAIL.replace('op.', 'o.')}",
        f"add = op.add_column\n{ADD_EMAIL.replace('op.add_column', 'add')}",
    ],
    ids=["op", "method"],
)
def test_through_an_alias_of_op(history: History, upgrade: str) -> None:
    # the reader doctor uses sees the alias too: both read the same calls
    users_history(history)
    path = add(history, "b2", "a1", upgrade)
    [finding] = history.run(check)
    assert (finding.path, finding.line) == (path, line_of(history, path, '("users"'))
    assert '"users.email"' in finding.message


@pytest.mark.parametrize(
    "column",
    [
        'sa.Column("email", sa.String(), nullable=False, server_default="")',
        'sa.Column("created", sa.DateTime(), server_default=sa.text("now()"), nullable=False)',
        'sa.Column("n", sa.Integer(), sa.Identity(always=True), nullable=False)',
        'sa.Column("email", sa.String(), nullable=True)',
        'sa.Column("email", sa.String())',
        'sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False)',
        'sa.Column("id", sa.BigInteger, primary_key=True, nullable=False)',
    ],
)
def test_columns_that_fill_or_allow_existing_rows(history: History, column: str) -> None:
    users_history(history)
    add(history, "b2", "a1", f'op.add_column("users", {column})')
    assert history.run(check) == []


def test_table_created_in_the_same_revision_is_new(history: History) -> None:
    add(history, "a1", None, CREATE_USERS + ADD_EMAIL)
    assert history.run(check) == []


def test_table_created_in_an_earlier_revision_counts_as_existing(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", ADD_EMAIL)
    add(history, "c3", "b2", "pass")
    assert [f.path for f in history.run(check)] == ["versions/b2_m.py"]


def test_with_base_a_table_created_by_the_branch_is_new(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", CREATE_USERS.replace("users", "orders"))
    add(history, "c3", "b2", ADD_EMAIL.replace("users", "orders"))
    assert list(check(with_base(history, {"b2", "c3"}))) == []
    # the same history without --base: "orders" existed before c3
    assert [f.path for f in history.run(check)] == ["versions/c3_m.py"]


def test_with_base_only_new_revisions_are_read(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", ADD_EMAIL)
    add(history, "c3", "b2", ADD_EMAIL.replace("email", "phone"))
    findings = list(check(with_base(history, {"c3"})))
    assert [(f.path, '"users.phone"' in f.message) for f in findings] == [
        ("versions/c3_m.py", True)
    ]


def test_batch_mode_column(history: History) -> None:
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.add_column(sa.Column("age", sa.Integer(), nullable=False))
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "batch_op.add_column")
    assert '"users.age"' in finding.message
    assert finding.fix is not None
    assert 'batch_op.alter_column("age", nullable=False)' in finding.fix


def test_client_side_default_is_explained(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.add_column("users", sa.Column("active", sa.Boolean(), nullable=False, default=True))',
    )
    [finding] = history.run(check)
    assert "`default=` is applied by SQLAlchemy on INSERT" in finding.message


def test_table_and_column_given_by_keyword_and_constant(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        op.add_column(
            table_name=USERS,
            column=sa.Column("email", sa.String(), nullable=False),
        )
        """,
    )
    text = (history.versions / "b2_m.py").read_text()
    (history.versions / "b2_m.py").write_text(
        text.replace("\n\ndef upgrade", '\nUSERS = "users"\n\ndef upgrade')
    )
    [finding] = history.run(check)
    assert '"users.email"' in finding.message


def test_only_upgrade_is_read(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", 'op.drop_column("users", "email")', downgrade=ADD_EMAIL)
    assert history.run(check) == []


def test_not_null_column_added_in_sql(history: History) -> None:
    """ALTER TABLE ... ADD [COLUMN] c type NOT NULL run by execute(): AG101, in SQL's
    words; with a DEFAULT (or a serial type) it passes, as on a table created in SQL."""
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.execute("ALTER TABLE users ADD COLUMN age integer NOT NULL")
        op.execute("ALTER TABLE users ADD COLUMN nick varchar(20) NOT NULL DEFAULT ''")
        op.execute("CREATE TABLE audit (id int); ALTER TABLE audit ADD who text NOT NULL")
        """,
    )
    [finding] = history.run(check)
    assert finding.line == line_of(history, path, "ADD COLUMN age")
    assert finding.message.startswith(
        'ADD COLUMN (SQL run by execute()) adds NOT NULL column "users.age" with no DEFAULT'
    )


@pytest.mark.parametrize(
    "column",
    [
        'sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False, nullable=False)',
        'sa.Column("code", sa.String(8), primary_key=True, nullable=False)',
        'sa.Column("n", sa.Integer(), nullable=False)',
    ],
)
def test_keys_the_server_does_not_number(history: History, column: str) -> None:
    # only an integer key left to autoincrement gets SERIAL / AUTO_INCREMENT values
    users_history(history)
    add(history, "b2", "a1", f'op.add_column("users", {column})')
    [finding] = history.run(check)
    assert finding.code == "AG101"
