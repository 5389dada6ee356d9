"""AG801 on expand/contract branches (neutron's layout): the contract branch's revisions
`depends_on` expand ones, and each pending revision is listed once, under the branch it
is on. The printed fixes are run and doctor must pass after them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import R2, R3, R4, Database, Run, upgrade, write_revision
from .test_states import diagnosed
from .test_unknown_revision import run_fix

Doctor = Callable[..., Run]
E1, E2, E3 = "e1e1e1e1e1e1", "e2e2e2e2e2e2", "e3e3e3e3e3e3"
C1, C2 = "c1c1c1c1c1c1", "c2c2c2c2c2c2"
CREATE = '    op.create_table("{}", sa.Column("id", sa.Integer, primary_key=True))'
DROP = '    op.drop_table("{}")'


@pytest.fixture
def branches(shop: Path, db: Database) -> Path:
    """The shop, then an expand branch that creates tables and a contract branch that
    drops them, each contract revision depending on the expand one it follows."""
    write_revision(
        shop, E1, R4, CREATE.format("e_one"), "expand one", "branch_labels = ('expand',)"
    )
    write_revision(shop, E2, E1, CREATE.format("e_two"), "expand two")
    write_revision(shop, E3, E2, CREATE.format("e_three"), "expand three")
    write_revision(
        shop,
        C1,
        R4,
        DROP.format("e_one"),
        "contract one",
        f"branch_labels = ('contract',)\ndepends_on = ({E1!r},)",
    )
    write_revision(shop, C2, C1, DROP.format("e_three"), "contract two", f"depends_on = {E3!r}")
    ini = shop / "alembic.ini"
    url = db.url.replace("%", "%%")
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", url))
    return shop


def test_each_pending_revision_is_listed_once(
    db: Database, branches: Path, run_doctor: Doctor
) -> None:
    upgrade(branches, db.url, R4)
    [finding] = diagnosed(run_doctor, branches, db).findings
    assert finding["code"] == "AG801"
    message = finding["message"]
    assert "5 revisions pending on 2 branches" in message
    for rid in (E1, E2, E3, C1, C2):
        assert message.count(rid) == 1, rid
    assert f"branch expand: {E1} (expand one), {E2} (expand two), {E3} (expand three)" in message
    assert f"branch contract: {C1} (contract one), {C2} (contract two)" in message
    assert "also needs 3 revisions listed under branch expand" in message
    assert finding["fix"] == "alembic upgrade heads"
    run_fix(branches, finding["fix"])
    assert run_doctor(branches, db.url).code == 0


def test_contract_behind_alone(db: Database, branches: Path, run_doctor: Doctor) -> None:
    upgrade(branches, db.url, "expand@head")
    [finding] = diagnosed(run_doctor, branches, db).findings
    message = finding["message"]
    assert f"2 revisions pending on 1 branch: branch contract: {C1} (contract one), {C2}" in (
        message
    )
    assert "also needs" not in message
    assert finding["fix"] == "alembic upgrade contract@head"
    run_fix(branches, finding["fix"])
    assert run_doctor(branches, db.url).code == 0


def test_expand_part_way(db: Database, branches: Path, run_doctor: Doctor) -> None:
    upgrade(branches, db.url, E1)
    [finding] = diagnosed(run_doctor, branches, db).findings
    message = finding["message"]
    assert "4 revisions pending on 2 branches" in message
    for rid in (E2, E3, C1, C2):
        assert message.count(rid) == 1, rid
    assert "also needs 2 revisions listed under branch expand" in message
    run_fix(branches, finding["fix"])
    assert run_doctor(branches, db.url).code == 0


def test_a_trunk_below_both_branches_is_listed_once(
    db: Database, branches: Path, run_doctor: Doctor
) -> None:
    upgrade(branches, db.url, R2)
    [finding] = diagnosed(run_doctor, branches, db).findings
    message = finding["message"]
    assert "7 revisions pending on 2 branches: below branches contract and expand: " in message
    for rid in (R3, R4, E1, E2, E3, C1, C2):
        assert message.count(rid) == 1, rid
    assert finding["fix"] == "alembic upgrade heads"
    run_fix(branches, finding["fix"])
    assert run_doctor(branches, db.url).code == 0
