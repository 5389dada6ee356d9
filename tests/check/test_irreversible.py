from __future__ import annotations

from pathlib import Path

from alembic_gate.check.irreversible import downgrade_line, stopped_round_trip
from alembic_gate.findings.catalog import RULES
from alembic_gate.setup.settings import Settings

REVISION = """\
revision = "b2"
down_revision = "a1"


def upgrade():
    pass


def downgrade():  # alembic-gate: ignore[AG903]
    raise NotImplementedError("the dropped rows cannot come back")


def downgrade_audit():
    op.drop_table("log")
"""


def test_downgrade_line_is_the_def_of_the_function_holding_the_line(tmp_path: Path) -> None:
    path = tmp_path / "b2_x.py"
    path.write_text(REVISION)
    assert downgrade_line(path, 10) == 9  # the raise, in downgrade()
    assert downgrade_line(path, 14) == 13  # a multi-database downgrade_<engine>()
    assert downgrade_line(path, 6) is None  # upgrade() is no downgrade
    assert downgrade_line(tmp_path / "missing.py", 10) is None


def test_a_stopped_round_trip_is_said_only_when_its_finding_is_left_out() -> None:
    raised = RULES["AG903"].finding(
        "downgrade of b2 failed: NotImplementedError: the dropped rows cannot come back",
        "versions/b2_x.py",
        10,
    )
    settings = Settings(enabled=frozenset({"AG903"}))
    [note] = stopped_round_trip([raised], [], settings)
    assert note == (
        "versions/b2_x.py:10: the round trip stopped at a suppressed AG903 (downgrade of b2 "
        "failed): the downgrades below it, the upgrade again and the comparison did not run"
    )
    assert stopped_round_trip([raised], [raised], settings) == []
    ignored = stopped_round_trip([raised], [], Settings(enabled=frozenset()))
    assert "an ignored AG903" in ignored[0]
