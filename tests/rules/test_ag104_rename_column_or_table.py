from __future__ import annotations

from alembic_gate.rules.ag104_rename_column_or_table import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, users_history
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
