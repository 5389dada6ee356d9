"""`# alembic-gate: ignore[AG1xx]` on the first line of the offending call, through `lint`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alembic_gate.main import main

from .ag1xx_helpers import CREATE_USERS, migration

CASES = {
    "AG101": """
        op.add_column(  # alembic-gate: ignore[AG101]
            "users",
            sa.Column("email", sa.String(length=255), nullable=False),
        )
        """,
    "AG102": """
        op.alter_column("users", "name",  # alembic-gate: ignore[AG102]
                   existing_type=sa.VARCHAR(length=50),
                   nullable=False)
        """,
    "AG103": """
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.drop_column("name")  # alembic-gate: ignore[AG103]
        """,
    "AG104": """
        op.rename_table(  # alembic-gate: ignore[AG104]
            "users", "accounts"
        )
        """,
    "AG105": """
        op.create_index(  # alembic-gate: ignore[AG105]
            op.f("ix_users_name"), "users", ["name"], unique=False
        )
        """,
    "AG106": """
        op.alter_column(  # alembic-gate: ignore[AG106]
            "users", "id", existing_type=sa.INTEGER(), type_=sa.BigInteger()
        )
        """,
}


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> list[str]:
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "report.json"
    main(["lint", "--versions", "versions", "--select", code, "--format", f"json={report}"])
    return [f["code"] for f in json.loads(report.read_text())["findings"]]


@pytest.mark.parametrize("code", sorted(CASES))
def test_comment_on_the_calls_first_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1_m.py").write_text(migration("a1", None, CREATE_USERS, "pass"))
    target = versions / "b2_m.py"
    body = CASES[code]
    target.write_text(migration("b2", "a1", body, 'op.drop_table("users")'))
    assert lint(tmp_path, monkeypatch, code) == []
    target.write_text(migration("b2", "a1", body.replace(f"ignore[{code}]", "note")))
    assert lint(tmp_path, monkeypatch, code) == [code]


def test_ag107_comment_on_the_def_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    text = migration("a1", None, CREATE_USERS)
    (versions / "a1_m.py").write_text(text)
    assert lint(tmp_path, monkeypatch, "AG107") == ["AG107"]
    suppressed = text.replace(
        "def downgrade() -> None:", "def downgrade() -> None:  # alembic-gate: ignore[AG107]"
    )
    (versions / "a1_m.py").write_text(suppressed)
    assert lint(tmp_path, monkeypatch, "AG107") == []


@pytest.mark.parametrize(
    "comment", ["# Alembic-Gate: ignore[AG103]", "# ALEMBIC-GATE: IGNORE[ag103]"]
)
def test_a_comment_in_another_letter_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, comment: str
) -> None:
    """The marker in any letter case suppresses, on the line and in the header, as ruff
    takes `# NOQA`; it was read in lower case only, and the finding stayed."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1_m.py").write_text(migration("a1", None, CREATE_USERS, "pass"))
    target = versions / "b2_m.py"
    body = f'op.drop_table("users")  {comment}'
    target.write_text(migration("b2", "a1", body, "pass"))
    assert lint(tmp_path, monkeypatch, "AG103") == []
    target.write_text(comment + "\n" + migration("b2", "a1", 'op.drop_table("users")', "pass"))
    assert lint(tmp_path, monkeypatch, "AG103") == []
