"""check.untouched: the statements lock tracing needs no catalog query after (pure)."""

from __future__ import annotations

import pytest

from alembic_gate.check.untouched import Untouched, table_name


def test_table_names_fold_as_postgresql_stores_them() -> None:
    assert table_name("Ledger") == "ledger"
    assert table_name('"Ledger"') == "Ledger"
    assert table_name('audit . "Ledger"') == "Ledger"
    assert table_name("audit.ledger") == "ledger"


@pytest.mark.parametrize(
    "statement",
    [
        "SET LOCAL lock_timeout = '5s'",
        "set search_path to audit, public",
        "RESET work_mem",
        "SHOW lock_timeout",
    ],
)
def test_session_statements_are_skipped(statement: str) -> None:
    assert Untouched(["accounts"]).skips(statement)


def test_set_constraints_runs_deferred_checks_and_is_queried() -> None:
    assert not Untouched(["accounts"]).skips("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_new_table_and_its_plain_indexes_are_skipped() -> None:
    untouched = Untouched(["accounts", "audit.events"])
    create = (  # as SQLAlchemy writes it
        "\nCREATE TABLE ledger (\n\tid SERIAL NOT NULL, \n\tamount INTEGER, \n"
        "\tPRIMARY KEY (id)\n)\n\n"
    )
    assert untouched.skips(create)
    assert untouched.skips("CREATE INDEX ix_ledger_amount ON ledger (amount)")
    assert untouched.skips("CREATE UNIQUE INDEX IF NOT EXISTS ux ON public.ledger USING btree (id)")
    assert untouched.skips("CREATE INDEX ON ledger (amount) WHERE amount IS NOT NULL")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE INDEX ix_accounts_name ON accounts (name)",  # existed before
        "CREATE INDEX ix_events_kind ON audit.events (kind)",
        "CREATE INDEX ix_ledger_lower ON ledger (lower(note))",  # an expression
        "CREATE INDEX ix_other ON other (id)",  # not created here
        "CREATE INDEX CONCURRENTLY ix_ledger_id ON ledger (id)",
        "ALTER TABLE ledger ADD COLUMN note TEXT",
        "INSERT INTO ledger (amount) VALUES (1)",  # a foreign key could lock its parent
        "SELECT 1",
        "UPDATE accounts SET name = 'x'",
    ],
)
def test_anything_else_is_queried(statement: str) -> None:
    untouched = Untouched(["accounts", "audit.events"])
    assert untouched.skips("CREATE TABLE ledger (id INTEGER, note TEXT)")
    assert not untouched.skips(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE ledger (id INTEGER, account_id INTEGER REFERENCES accounts (id))",
        "CREATE TABLE ledger (id INTEGER, FOREIGN KEY (id) REFERENCES accounts (id))",
        "CREATE TABLE ledger PARTITION OF accounts FOR VALUES IN (1)",
        "CREATE TABLE ledger (LIKE accounts)",
        "CREATE TABLE ledger (id INTEGER) INHERITS (accounts)",
        "CREATE TABLE ledger (id INTEGER GENERATED ALWAYS AS IDENTITY)",
        "CREATE TABLE accounts (id INTEGER)",  # a name that existed: IF NOT EXISTS, say
        'CREATE TABLE IF NOT EXISTS "Accounts" (id INTEGER)',
        "CREATE TABLE events (id INTEGER)",  # audit.events: another schema, same name
        "CREATE TABLE ledger (id INTEGER); ALTER TABLE accounts ADD COLUMN x INTEGER",
    ],
)
def test_a_create_table_that_may_reach_another_table_is_queried(statement: str) -> None:
    assert not Untouched(["accounts", "audit.events"]).skips(statement)


def test_a_traced_create_table_still_makes_its_indexes_skippable() -> None:
    untouched = Untouched(["accounts"])
    assert not untouched.skips(
        "CREATE TABLE ledger (id INTEGER, account_id INTEGER REFERENCES accounts (id))"
    )
    assert untouched.skips("CREATE INDEX ix_ledger_account_id ON ledger (account_id)")


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE accounts RENAME TO ledger_old",
        "DROP TABLE ledger",
        "UPDATE x SET a = 1; SELECT 1",
    ],
)
def test_a_rename_drop_or_several_statements_end_the_certainty(statement: str) -> None:
    untouched = Untouched(["accounts"])
    assert untouched.skips("CREATE TABLE ledger (id INTEGER)")
    untouched.skips(statement)
    # `ledger` may stand for another table now (DROP TABLE ledger; ALTER TABLE accounts
    # RENAME TO ledger): its indexes are queried again.
    assert not untouched.skips("CREATE INDEX ix_ledger_id ON ledger (id)")


def test_a_rename_by_a_statement_not_traced_ends_the_certainty_too() -> None:
    untouched = Untouched(["accounts"])
    assert untouched.skips("CREATE TABLE ledger (id INTEGER)")
    untouched.saw("DROP TABLE ledger")  # run from env.py's hooks, say
    untouched.saw("ALTER TABLE accounts RENAME TO ledger")
    assert not untouched.skips("CREATE INDEX ix_ledger_id ON ledger (id)")
