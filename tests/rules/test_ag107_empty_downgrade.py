from __future__ import annotations

from alembic_gate.rules.ag107_empty_downgrade import check

from .ag1xx_helpers import CREATE_USERS, add, line_of, users_history
from .conftest import History


def test_empty_downgrade(history: History) -> None:
    path = add(history, "a1", None, CREATE_USERS)
    [finding] = history.run(check)
    assert (finding.code, finding.severity) == ("AG107", "info")
    assert finding.line == line_of(history, path, "def downgrade")
    assert "empty downgrade()" in finding.message


def test_downgrade_that_raises(history: History) -> None:
    add(
        history,
        "a1",
        None,
        CREATE_USERS,
        downgrade='"""One way."""\nraise NotImplementedError("cannot undo")',
    )
    [finding] = history.run(check)
    assert "raises" in finding.message


def test_no_downgrade_at_all(history: History) -> None:
    path = history.write(
        "a1_m.py",
        'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n'
        'def upgrade():\n    op.drop_table("x")\n',
    )
    [finding] = history.run(check)
    assert (finding.line, "has no downgrade()" in finding.message) == (
        line_of(history, path, "revision ="),
        True,
    )


def test_real_downgrade_and_empty_merge_revisions(history: History) -> None:
    users_history(history)
    add(history, "b2", "a1", "pass")
    add(history, "c3", "a1", '"""Nothing here."""')
    assert history.run(check) == []
