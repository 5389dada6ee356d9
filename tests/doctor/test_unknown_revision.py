"""AG803: the database names a revision no file defines. Real git repositories in which
the file was deleted, renamed, left on another branch, or never existed; the printed fix
is run and must bring the database back to a state doctor accepts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate.doctor import gitlog
from alembic_gate.doctor.gitlog import trace_revision

from .conftest import R3, R4, REVISION_FILES, Database, Run, upgrade, write_revision

Doctor = Callable[..., Run]


def git(project: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dana Dev",
        "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Dev",
        "GIT_COMMITTER_EMAIL": "dana@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(shop: Path, sqlite_db: Database) -> Path:
    """The shop in a git repository on branch main, its alembic.ini pointing at the database
    (so the printed fixes can be run as they are)."""
    ini = shop / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", sqlite_db.url))
    git(shop, "init", "-q", "-b", "main")
    git(shop, "add", ".")
    git(shop, "commit", "-q", "-m", "shop migrations")
    return shop


def run_fix(project: Path, fix: str) -> None:
    """Run a printed fix in the project, with this environment's alembic on PATH."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(fix, shell=True, cwd=project, env=env, check=True, capture_output=True)


def test_deleted_file_names_the_commit_and_restoring_it_heals(
    repo: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    upgrade(repo, sqlite_db.url)
    git(repo, "rm", "-q", REVISION_FILES[R4])
    git(repo, "commit", "-q", "-m", "drop the rename migration")
    short = git(repo, "rev-parse", "--short", "HEAD")
    result = run_doctor(repo, sqlite_db.url, "--format", "json")
    assert result.code == 1
    [finding] = result.findings
    assert finding["code"] == "AG803"
    message = finding["message"]
    assert f"names revision {R4}, which no revision file defines" in message
    assert f"{REVISION_FILES[R4]}, was deleted in commit {short}" in message
    assert "Dana Dev: drop the rename migration" in message
    assert f"(then `alembic downgrade {R3}` undoes it)" in message
    assert "alembic stamp --purge" in message
    assert finding["fix"] == f"git checkout {short}^ -- {REVISION_FILES[R4]}"
    run_fix(repo, finding["fix"])
    assert run_doctor(repo, sqlite_db.url).code == 0


def test_database_upgraded_from_another_branch(
    repo: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    r5 = "5e6f70819203"
    git(repo, "checkout", "-q", "-b", "feature/coupons")
    write_revision(
        repo,
        r5,
        R4,
        '    op.create_table("coupons", sa.Column("id", sa.Integer, primary_key=True))',
        "create coupons",
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "coupons")
    upgrade(repo, sqlite_db.url)
    git(repo, "checkout", "-q", "main")
    result = run_doctor(repo, sqlite_db.url, "--format", "json")
    [finding] = result.findings
    assert finding["code"] == "AG803"
    assert "on feature/coupons" in finding["message"]
    assert "the database was upgraded from that branch" in finding["message"]
    assert finding["fix"] == f"git checkout feature/coupons && alembic downgrade {R4}"
    run_fix(repo, finding["fix"])
    git(repo, "checkout", "-q", "main")
    assert run_doctor(repo, sqlite_db.url).code == 0


def test_fork_point_found_through_several_branch_revisions(
    repo: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    r5, r6 = "5e6f70819203", "6f7081920314"
    git(repo, "checkout", "-q", "-b", "feature")
    create = '    op.create_table("{}", sa.Column("id", sa.Integer, primary_key=True))'
    write_revision(repo, r5, R4, create.format("coupons"), "create coupons")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "coupons")
    write_revision(repo, r6, r5, create.format("vouchers"), "create vouchers")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "vouchers")
    upgrade(repo, sqlite_db.url)
    git(repo, "checkout", "-q", "main")
    [finding] = run_doctor(repo, sqlite_db.url, "--format", "json").findings
    assert finding["fix"] == f"git checkout feature && alembic downgrade {R4}"


def test_renamed_file_with_a_new_revision_id(
    repo: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    upgrade(repo, sqlite_db.url)
    old = repo / REVISION_FILES[R4]
    new_id = "9f9f9f9f9f9f"
    new = old.with_name(f"{new_id}_rename_order_total.py")
    git(repo, "mv", str(old), str(new))
    new.write_text(new.read_text().replace(R4, new_id))
    git(repo, "commit", "-q", "-am", "regenerate the rename migration")
    [finding] = run_doctor(repo, sqlite_db.url, "--format", "json").findings
    assert finding["code"] == "AG803"
    assert (
        f"Its file {REVISION_FILES[R4]} was renamed to "
        f"migrations/versions/{new_id}_rename_order_total.py, which now defines {new_id}"
    ) in finding["message"]


def test_deleted_but_not_committed(repo: Path, sqlite_db: Database, run_doctor: Doctor) -> None:
    upgrade(repo, sqlite_db.url)
    (repo / REVISION_FILES[R4]).unlink()
    [finding] = run_doctor(repo, sqlite_db.url, "--format", "json").findings
    assert "is in HEAD but not in the working tree" in finding["message"]
    assert finding["fix"] == f"git checkout HEAD -- {REVISION_FILES[R4]}"
    run_fix(repo, finding["fix"])
    assert run_doctor(repo, sqlite_db.url).code == 0


def test_revision_never_seen_in_this_repository(
    repo: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    upgrade(repo, sqlite_db.url)
    assert sqlite_db.path is not None
    with sqlite3.connect(sqlite_db.path) as conn:  # another project's database
        conn.execute("UPDATE alembic_version SET version_num = 'c0ffee000000'")
    [finding] = run_doctor(repo, sqlite_db.url, "--format", "json").findings
    assert finding["code"] == "AG803"
    assert "No commit on any branch of this repository" in finding["message"]
    assert "check the URL" in finding["message"]
    assert finding["fix"] is None


def test_a_child_naming_the_id_is_not_the_file_that_defined_it(repo: Path) -> None:
    git(repo, "rm", "-q", REVISION_FILES[R3])
    git(repo, "commit", "-q", "-m", "remove the email migration")
    removed = git(repo, "rev-parse", "--short", "HEAD")
    # Later, the child that names R3 as its down_revision goes too (newer commit).
    git(repo, "rm", "-q", REVISION_FILES[R4])
    git(repo, "commit", "-q", "-m", "remove the rename migration")
    trace = trace_revision(R3, [repo / "migrations" / "versions"], repo)
    assert trace.removed_by is not None
    assert trace.removed_by.short == removed
    assert trace.path == REVISION_FILES[R3]


@pytest.mark.parametrize(
    "source",
    [
        "revision = {[]: 1}\n",  # a literal that cannot be built: TypeError
        "revision = {[]}\n",
        "revision = " + "-" * 5000 + "1\n",  # RecursionError while parsing
        "revision = " + "not " * 10000 + "1\n",  # MemoryError while parsing
    ],
)
def test_a_version_in_git_that_python_cannot_read_names_no_revision(source: str) -> None:
    # doctor reads every version of the revision files in git's log for AG803: one
    # Python cannot build a value of was a traceback
    assert gitlog._variable(source, "revision") == ()


def test_a_set_of_ids_in_git_is_read_as_alembic_reads_it() -> None:
    assert gitlog._variable("down_revision = {'b', 'a'}\n", "down_revision") == ("a", "b")


def test_a_row_of_another_branch_stays_in_the_stamp(
    shop: Path, sqlite_db: Database, run_doctor: Doctor
) -> None:
    # expand/contract (neutron, keystone): one branch's row names a revision this checkout
    # lacks while the other's is known; `stamp --purge REVISION` alone would drop the
    # known row, and the next `upgrade heads` would run that whole branch again
    a1 = "a1a1a1a1a1a1"
    write_revision(shop, a1, None, "    pass", "audit", "branch_labels = ('audit',)")
    upgrade(shop, sqlite_db.url)
    assert sqlite_db.path is not None
    with sqlite3.connect(sqlite_db.path) as conn:
        conn.execute(
            "UPDATE alembic_version SET version_num = 'c0ffee000000' WHERE version_num = ?", (R4,)
        )
        conn.execute("ALTER TABLE customers ADD COLUMN nickname TEXT")  # matches no revision
    [finding] = run_doctor(shop, sqlite_db.url, "--format", "json").findings
    assert finding["code"] == "AG803"
    assert "doctor cannot search the git history" in finding["message"]
    assert f"`alembic stamp --purge {a1} REVISION` with that revision" in finding["message"]
    assert f"keeps {a1}, the table's row this history knows" in finding["message"]
    # the schema is R4's (and a column more): stamping that keeps the audit branch applied
    ini = shop / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", sqlite_db.url))
    run_fix(shop, f"alembic stamp --purge {a1} {R4}")
    assert run_doctor(shop, sqlite_db.url).code == 0
