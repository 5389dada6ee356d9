from __future__ import annotations

import ast

from alembic_gate.rules.ag105_index_not_concurrent import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, users_history
from .conftest import History

INDEX = 'op.create_index(op.f("ix_users_name"), "users", ["name"], unique=False)'


def test_index_without_concurrently(history: History) -> None:
    users_history(history)
    path = add(history, "b2", "a1", INDEX, downgrade='op.drop_index(op.f("ix_users_name"))')
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG105", "warning")
    assert finding.line == line_of(history, path, "op.create_index")
    assert "blocks every write" in finding.message
    assert finding.fix == (
        "with op.get_context().autocommit_block(): op.create_index(op.f('ix_users_name'), "
        "'users', ['name'], unique=False, postgresql_concurrently=True)"
    )
    ast.parse(finding.fix)  # the fix is code that can be pasted


def test_concurrently_inside_an_autocommit_block(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_users_name", "users", ["name"], postgresql_concurrently=True
            )
        """,
    )
    assert history.run(check) == []


def test_concurrently_inside_the_transaction(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        'op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)',
    )
    [finding] = history.run(check)
    assert "refuses CREATE INDEX CONCURRENTLY" in finding.message


def test_batch_index(history: History) -> None:
    users_history(history)
    add(
        history,
        "b2",
        "a1",
        """
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_users_name"), ["name"], unique=False)
        """,
    )
    [finding] = history.run(check)
    assert '"users"' in finding.message
    assert finding.fix == (
        "with op.get_context().autocommit_block(): op.create_index(op.f('ix_users_name'), "
        "'users', ['name'], unique=False, postgresql_concurrently=True)"
    )


def test_index_on_a_table_created_in_the_same_revision(history: History) -> None:
    add(history, "a1", None, CREATE_USERS + INDEX)
    assert history.run(check) == []
