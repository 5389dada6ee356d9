from __future__ import annotations

from alembic_gate.rules.ag106_column_type_change import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, users_history
from .conftest import History


def test_type_change(history: History) -> None:
    users_history(history)
    path = add(
        history,
        "b2",
        "a1",
        """
        op.alter_column("users", "id",
                   existing_type=sa.INTEGER(),
                   type_=sa.BigInteger(),
                   existing_nullable=False)
        """,
    )
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG106", "warning")
    assert finding.line == line_of(history, path, "op.alter_column")
    assert 'the type of "users.id" to sa.BigInteger()' in finding.message


def test_batch_type_change(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users") as batch_op:
            batch_op.alter_column("name", type_=sa.Integer())
        """,
    )
    [finding] = history.run(check)
    assert '"users.name" to sa.Integer()' in finding.message


def test_existing_type_alone_is_no_change(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", 'op.alter_column("users", "name", existing_type=sa.VARCHAR(50))')
    add(
        history,
        "c3",
        "b2",
        CREATE_USERS.replace("users", "t") + 'op.alter_column("t", "id", type_=sa.BigInteger())',
    )
    assert history.run(check) == []
