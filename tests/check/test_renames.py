"""check.renames: the tables a statement renames, so that seeding follows them."""

from __future__ import annotations

import pytest

from alembic_gate.check import renames


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        (
            "ALTER TABLE users RENAME TO members",
            [((None, "users", False), (None, "members", False))],
        ),
        (
            'ALTER TABLE IF EXISTS app."Users" RENAME TO "Members"',
            [(("app", "Users", True), (None, "Members", True))],
        ),
        (
            "ALTER TABLE `users` RENAME `members`",
            [((None, "users", True), (None, "members", True))],
        ),
        (
            "RENAME TABLE users TO members, app.orgs TO teams;",
            [
                ((None, "users", False), (None, "members", False)),
                (("app", "orgs", False), (None, "teams", False)),
            ],
        ),
        # A column renamed, a batch's copy taking its table's place, not read so: none.
        ("ALTER TABLE users RENAME COLUMN name TO full_name", []),
        ("ALTER TABLE _alembic_tmp_users RENAME TO users", []),
        ("RENAME TABLE users members", []),
        ("SELECT 1", []),
    ],
)
def test_renamed(statement: str, found: list[tuple[renames.Name, renames.Name]]) -> None:
    assert renames.renamed(statement) == found
