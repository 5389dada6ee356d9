"""`lint --base`: real git repositories built in tmp_path, read from git objects."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from alembic_gate.errors import UsageError
from alembic_gate.history import git_base
from alembic_gate.history.git_base import fetch_command, read_base_graph
from alembic_gate.history.load import load_history
from alembic_gate.history.revisions import read_revision
from alembic_gate.main import main
from alembic_gate.setup.discovery import AlembicSetup
from tests.shared.test_git import never_answering_git

VERSIONS = "migrations/versions"
TEMPLATE = '''"""{rid}

Revision ID: {rid}
Revises: {revises}
Create Date: 2024-05-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = {rid!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    {upgrade}


def downgrade():
    pass
'''
CREATE_USERS = 'op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))'
CREATE_ORDERS = CREATE_USERS.replace("users", "orders")
ADD_EMAIL = 'op.add_column("users", sa.Column("email", sa.String(), nullable=False))'


def migration(rid: str, down: str | None, upgrade: str = "pass") -> str:
    return TEMPLATE.format(rid=rid, revises=down or "", down=down, upgrade=upgrade)


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Dev")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "dev@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def init(cls, root: Path) -> Repo:
        root.mkdir(parents=True)
        repo = cls(root)
        repo.git("init", "-q", "-b", "main")
        return repo

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True
        )
        return result.stdout

    def revision(self, rid: str, down: str | None, upgrade: str = "pass") -> None:
        path = self.root / VERSIONS / f"{rid}_m.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(migration(rid, down, upgrade))

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


def lint(
    repo: Repo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, Any, str]:
    """Run `alembic-gate lint` in the repository: exit code, JSON report, stderr."""
    monkeypatch.chdir(repo.root)
    code = main(["lint", "--versions", VERSIONS, "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def codes(report: Any) -> list[tuple[str, str]]:
    return [(f["code"], f["path"]) for f in report["findings"]]


@pytest.fixture
def main_repo(tmp_path: Path) -> Repo:
    """main: a1 creates "users"."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    return repo


def test_base_graph_comes_from_the_ref_not_the_working_tree(main_repo: Repo) -> None:
    main_repo.git("checkout", "-q", "-b", "feature")
    main_repo.revision("b2", "a1")
    main_repo.commit("b2")
    main_repo.revision("c3", "b2")  # not committed at all
    setup = AlembicSetup(None, "alembic", None, (str(main_repo.root / VERSIONS),))
    base = read_base_graph("main", setup, main_repo.root)
    assert list(base.by_id) == ["a1"]
    assert base.by_id["a1"].display == f"{VERSIONS}/a1_m.py"
    feature = read_base_graph("HEAD", setup, main_repo.root / "migrations")
    assert sorted(feature.by_id) == ["a1", "b2"]
    assert feature.by_id["b2"].display == "versions/b2_m.py"


def test_unchanged_working_files_are_reused_and_edited_ones_read_from_git(
    main_repo: Repo,
) -> None:
    main_repo.revision("b2", "a1")
    main_repo.commit("b2")
    versions = main_repo.root / VERSIONS
    working = [read_revision(versions / name, main_repo.root) for name in ("a1_m.py", "b2_m.py")]
    # b2 edited but not committed: re-parented onto nothing
    (versions / "b2_m.py").write_text(migration("b2", None))
    working[1] = read_revision(versions / "b2_m.py", main_repo.root)
    setup = AlembicSetup(None, "alembic", None, (str(versions),))
    base = read_base_graph("main", setup, main_repo.root, working)
    assert base.by_id["a1"] is working[0]
    assert base.by_id["b2"] is not working[1]
    assert base.by_id["b2"].parents == ("a1",)
    assert base.by_id["b2"].display == f"{VERSIONS}/b2_m.py"


def test_an_id_imported_from_the_project_is_read_from_the_blob_at_the_base(
    main_repo: Repo,
) -> None:
    """A revision whose `revision` is a name imported from a module of the project (Open
    ACE's baseline): at the base it is read from git's blob, the name followed into the
    module as it is now, never from the working tree's copy of the revision."""
    (main_repo.root / "migrations" / "ids.py").write_text('BASE = "b2"\n')
    text = migration("b2", "a1").replace(
        "revision = 'b2'", "from migrations.ids import BASE\nrevision = BASE"
    )
    versions = main_repo.root / VERSIONS
    (versions / "b2_m.py").write_text(text)
    main_repo.commit("b2")
    (versions / "b2_m.py").write_text(text.replace("'a1'", "None"))  # edited, not committed
    setup = AlembicSetup(None, "alembic", None, (str(versions),))
    base = read_base_graph("main", setup, main_repo.root)
    assert sorted(base.by_id) == ["a1", "b2"]
    assert base.by_id["b2"].parents == ("a1",)
    assert load_history(setup, main_repo.root, use_cache=False).graph.by_id["b2"].parents == ()


def test_recursive_locations_and_files_alembic_skips(main_repo: Repo) -> None:
    versions = main_repo.root / VERSIONS
    (versions / "2024").mkdir()
    (versions / "2024" / "b2_m.py").write_text(migration("b2", "a1"))
    (versions / "__init__.py").write_text("")
    (versions / "notes.txt").write_text("revision = 'x'\n")
    main_repo.commit("nested")
    flat = AlembicSetup(None, "alembic", None, (str(versions),))
    nested = AlembicSetup(None, "alembic", None, (str(versions),), recursive=True)
    assert list(read_base_graph("main", flat, main_repo.root).by_id) == ["a1"]
    assert sorted(read_base_graph("main", nested, main_repo.root).by_id) == ["a1", "b2"]


def test_a_location_missing_at_the_base_has_no_revisions(main_repo: Repo) -> None:
    setup = AlembicSetup(None, "alembic", None, (str(main_repo.root / "other" / "versions"),))
    assert read_base_graph("main", setup, main_repo.root).by_id == {}


def test_two_branches_on_the_same_parent(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo
    repo.git("checkout", "-q", "-b", "first")
    repo.revision("b2", "a1")
    repo.commit("b2 on a1")
    repo.git("checkout", "-q", "-b", "second", "main")
    repo.revision("c2", "a1")
    repo.commit("c2 on a1")
    # each branch passes alone against the main it started from
    code, report, _ = lint(repo, monkeypatch, capsys, "--base", "main")
    assert (code, report["findings"], report["heads"]) == (0, [], ["c2"])
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "first")
    # the second branch against the updated main: AG010, with both fixes
    repo.git("checkout", "-q", "second")
    code, report, _ = lint(repo, monkeypatch, capsys, "--base", "main")
    assert code == 1
    [finding] = report["findings"]
    assert (finding["code"], finding["path"]) == ("AG010", f"{VERSIONS}/c2_m.py")
    assert "It should sit on main's head b2" in finding["message"]
    assert 'set `down_revision = "b2"`' in finding["fix"]
    assert 'alembic merge -m "merge heads" b2 c2' in finding["fix"]
    # merged together, the history has two heads: AG001 on the merge result
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "second")
    code, report, _ = lint(repo, monkeypatch, capsys)
    assert code == 1
    assert codes(report) == [("AG001", f"{VERSIONS}/b2_m.py"), ("AG001", f"{VERSIONS}/c2_m.py")]


def test_safety_rules_only_for_new_revisions(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo
    repo.revision("b2", "a1", 'op.drop_column("users", "name")')
    repo.commit("old drop")
    repo.git("checkout", "-q", "-b", "feature")
    repo.revision("c3", "b2", ADD_EMAIL)
    repo.commit("NOT NULL column on an old table")
    _, report, _ = lint(repo, monkeypatch, capsys, "--base", "main")
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]
    # without --base: the head revision's warnings, and a count of the older ones
    _, report, err = lint(repo, monkeypatch, capsys)
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]
    assert "1 safety warning (AG1xx) about 1 older revision not shown" in err
    # every file named: every revision is checked
    files = [f"{VERSIONS}/b2_m.py", f"{VERSIONS}/c3_m.py"]
    _, report, _ = lint(repo, monkeypatch, capsys, *files)
    assert codes(report) == [("AG103", f"{VERSIONS}/b2_m.py"), ("AG101", f"{VERSIONS}/c3_m.py")]


def test_revisions_reached_through_links_at_the_base_are_not_new(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Links at the base are followed as in the working tree: the revision a link leads
    to (outside the versions folder, through a second link, or to a file listed already)
    is the base's own, so its drop is old and the branch's child of it sits on the base's
    head; a link to a `.txt` file or to nothing is no revision."""
    repo = main_repo
    versions = repo.root / VERSIONS
    shared = repo.root / "shared"
    shared.mkdir()
    (shared / "b2.py").write_text(migration("b2", "a1", 'op.drop_column("users", "name")'))
    (shared / "b2_again.py").symlink_to("b2.py")
    (shared / "notes.txt").write_text(migration("n9", "a1"))
    (versions / "b2_link.py").symlink_to("../../shared/b2_again.py")
    (versions / "a1_link.py").symlink_to("a1_m.py")
    (versions / "notes.py").symlink_to("../../shared/notes.txt")
    (versions / "gone.py").symlink_to("../../shared/gone.py")
    (versions / "outside.py").symlink_to("/nonexistent/x.py")
    repo.commit("b2 through links")
    setup = AlembicSetup(None, "alembic", None, (str(versions),))
    base = read_base_graph("main", setup, repo.root)
    assert sorted(base.by_id) == ["a1", "b2"]
    assert base.duplicates == {}
    assert base.by_id["b2"].display == "shared/b2.py"
    (versions / "gone.py").unlink()
    (versions / "outside.py").unlink()
    repo.git("checkout", "-q", "-b", "feature")
    repo.revision("c3", "b2")
    repo.commit("c3 on b2")
    code, report, _ = lint(repo, monkeypatch, capsys, "--base", "main")
    assert (code, codes(report)) == (0, [])


def test_not_null_column_on_a_table_the_branch_creates(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo
    repo.git("checkout", "-q", "-b", "feature")
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.commit("orders")
    repo.revision("c3", "b2", ADD_EMAIL.replace("users", "orders"))
    repo.commit("email")
    code, report, _ = lint(repo, monkeypatch, capsys, "--base", "main")
    assert (code, report["findings"]) == (0, [])
    # without --base, b2 (a commit of its own) may already be deployed: "orders" exists
    _, report, _ = lint(repo, monkeypatch, capsys)
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]


def test_shallow_clone_without_the_base(
    main_repo: Repo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main_repo.git("checkout", "-q", "-b", "feature")
    main_repo.revision("c2", "a1")
    main_repo.commit("c2")
    main_repo.git("checkout", "-q", "main")
    main_repo.revision("b2", "a1")
    main_repo.commit("b2")
    clone = Repo(tmp_path / "clone")
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            f"file://{main_repo.root}",
            str(clone.root),
        ],
        check=True,
    )
    code, report, err = lint(clone, monkeypatch, capsys, "--base", "origin/main")
    assert (code, report) == (2, None)
    assert "no such commit in this shallow clone" in err
    hint = "git fetch --depth=1 origin main:refs/remotes/origin/main"
    assert f"`{hint}`" in err
    assert "fetch-depth: 0" in err
    # the command the message gives brings the base in, and the check runs
    clone.git(*hint.split()[1:])
    code, report, _ = lint(clone, monkeypatch, capsys, "--base", "origin/main")
    assert code == 1
    assert codes(report) == [("AG010", f"{VERSIONS}/c2_m.py")]


def test_not_a_repository_and_unknown_refs(
    tmp_path: Path,
    main_repo: Repo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = lint(main_repo, monkeypatch, capsys, "--base", "nope")
    assert code == 2
    assert "no such commit in this repository" in err
    assert "git fetch --depth=1 origin nope:refs/remotes/origin/nope" in err
    code, _, err = lint(main_repo, monkeypatch, capsys, "--base=--output=x")
    assert (code, "is not a git ref" in err) == (2, True)
    plain = tmp_path / "plain"
    (plain / VERSIONS).mkdir(parents=True)
    setup = AlembicSetup(None, "alembic", None, (str(plain / VERSIONS),))
    with pytest.raises(UsageError, match="not inside one"):
        read_base_graph("main", setup, plain)
    outside = AlembicSetup(None, "alembic", None, (str(plain / VERSIONS),))
    with pytest.raises(UsageError, match="outside the git repository"):
        read_base_graph("main", outside, main_repo.root)


def test_a_git_that_gives_no_answer_is_a_usage_error(
    main_repo: Repo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # git waiting on a lock or a credential prompt: exit 2 with why, not a hang
    never_answering_git(tmp_path, monkeypatch)
    monkeypatch.setattr(git_base, "GIT_TIMEOUT", 0.2)
    code, report, err = lint(main_repo, monkeypatch, capsys, "--base", "main")
    assert (code, report) == (2, None)
    assert "--base: `git rev-parse` gave no answer in 0.2 s" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("ref", "remotes", "command"),
    [
        ("origin/main", ["origin"], "git fetch --depth=1 origin main:refs/remotes/origin/main"),
        (
            "refs/remotes/upstream/release/2.x",
            ["origin", "upstream"],
            "git fetch --depth=1 upstream release/2.x:refs/remotes/upstream/release/2.x",
        ),
        ("main", ["origin"], "git fetch --depth=1 origin main:refs/remotes/origin/main"),
        ("3f2a1b9c0d", ["origin"], "git fetch --depth=1 origin 3f2a1b9c0d"),
        ("develop", ["fork"], "git fetch --depth=1 fork develop:refs/remotes/fork/develop"),
    ],
)
def test_fetch_command(ref: str, remotes: list[str], command: str) -> None:
    assert fetch_command(ref, remotes) == command


def test_suppressions_in_old_files_are_not_unused_with_base(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_repo
    repo.revision("b2", "a1", 'op.drop_column("users", "name")  # alembic-gate: ignore[AG103]')
    repo.commit("old drop, suppressed")
    repo.git("checkout", "-q", "-b", "feature")
    repo.revision("c3", "b2", "pass  # alembic-gate: ignore[AG104]")
    repo.commit("new revision with a suppression that matches nothing")
    _, report, _ = lint(repo, monkeypatch, capsys, "--base", "main")
    assert report["findings"] == []
    assert report["unused_suppressions"] == [
        f"{VERSIONS}/c3_m.py:20: unused suppression ignore[AG104]"
    ]


# --- a pull request's merge checkout (GitHub's refs/pull/N/merge) ---------------------------


def _pull_request(repo: Repo) -> str:
    """main: a1, then b2 on a1; the pull request (branch `pr`) adds c2 on a1 before b2.

    HEAD ends as GitHub's merge ref: a merge commit of `pr` into main, detached, whose
    first parent is main. Returns the pull request's head commit."""
    repo.git("checkout", "-q", "-b", "pr")
    repo.revision("c2", "a1")
    repo.commit("c2 on a1")
    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "main")
    repo.revision("b2", "a1")
    repo.commit("b2 on a1")
    repo.git("checkout", "-q", "--detach", "main")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "pr")
    parents = repo.git("rev-parse", "HEAD^1", "HEAD^2").split()
    assert parents == [repo.git("rev-parse", "main").strip(), head]
    return head


def test_merge_checkout_reports_ag010_on_the_pull_requests_revision(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _pull_request(main_repo)
    # Without --base the merged tree has two heads, b2 (main's) and c2 (the PR's).
    _, report, _ = lint(main_repo, monkeypatch, capsys)
    assert codes(report) == [("AG001", f"{VERSIONS}/b2_m.py"), ("AG001", f"{VERSIONS}/c2_m.py")]
    # With --base main, the PR's revision is judged against main: AG010 with both fixes,
    # and nothing on b2_m.py, a file the pull request did not touch.
    code, report, _ = lint(main_repo, monkeypatch, capsys, "--base", "main")
    assert code == 1
    assert codes(report) == [("AG010", f"{VERSIONS}/c2_m.py")]
    (finding,) = report["findings"]
    assert "revision c2 is new on this branch and sits on a1, but on main b2" in finding["message"]
    assert 'set `down_revision = "b2"`' in finding["fix"]
    assert 'alembic merge -m "merge heads" b2 c2' in finding["fix"]


def test_merge_checkout_of_an_up_to_date_pull_request_passes(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main_repo.revision("b2", "a1")
    main_repo.commit("b2")
    main_repo.git("checkout", "-q", "-b", "pr")
    main_repo.revision("c3", "b2", ADD_EMAIL)
    main_repo.commit("c3 on b2")
    main_repo.git("checkout", "-q", "main")
    (main_repo.root / "README").write_text("docs\n")  # main moved on, with no revision
    main_repo.commit("docs")
    main_repo.git("checkout", "-q", "--detach", "main")
    main_repo.git("merge", "-q", "--no-ff", "--no-edit", "pr")
    code, report, _ = lint(main_repo, monkeypatch, capsys, "--base", "main")
    # Only the PR's own revision is new: AG101 on it, no graph finding.
    assert (code, codes(report)) == (0, [("AG101", f"{VERSIONS}/c3_m.py")])


def test_merge_checkout_with_two_heads_of_its_own(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main_repo.git("checkout", "-q", "-b", "pr")
    main_repo.revision("c2", "a1")
    main_repo.revision("d2", "a1")
    main_repo.commit("two heads in the PR")
    main_repo.git("checkout", "-q", "main")
    main_repo.revision("b2", "a1")
    main_repo.commit("b2")
    main_repo.git("checkout", "-q", "--detach", "main")
    main_repo.git("merge", "-q", "--no-ff", "--no-edit", "pr")
    _, report, _ = lint(main_repo, monkeypatch, capsys, "--base", "main")
    found = codes(report)
    assert ("AG001", f"{VERSIONS}/c2_m.py") in found and ("AG001", f"{VERSIONS}/d2_m.py") in found
    assert all(path != f"{VERSIONS}/b2_m.py" for _, path in found)


def test_shallow_merge_checkout_needs_the_pull_requests_head(
    main_repo: Repo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    head = _pull_request(main_repo)
    main_repo.git("update-ref", "refs/pull/7/merge", "HEAD")
    # What actions/checkout does on pull_request: one commit of refs/pull/7/merge.
    clone = Repo.init(tmp_path / "checkout")
    clone.git("remote", "add", "origin", main_repo.root.as_uri())
    clone.git("fetch", "-q", "--depth=1", "origin", "+refs/pull/7/merge:refs/remotes/pull/7/merge")
    clone.git("checkout", "-q", "--detach", "refs/remotes/pull/7/merge")
    clone.git("fetch", "-q", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    code, report, err = lint(clone, monkeypatch, capsys, "--base", "origin/main")
    assert (code, report) == (2, None)
    hint = f"git fetch --depth=1 origin {head}"
    assert f"HEAD merges {head} into origin/main" in err and f"`{hint}`" in err
    clone.git(*hint.split()[1:])
    code, report, _ = lint(clone, monkeypatch, capsys, "--base", "origin/main")
    assert (code, codes(report)) == (1, [("AG010", f"{VERSIONS}/c2_m.py")])


def test_a_file_named_by_its_id_at_the_base(
    main_repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """alembic 0.1's files, without `revision`: alembic takes the id from the name (hex
    digits and `.py`), in the base's tree as in the working tree."""
    versions = main_repo.root / VERSIONS
    legacy = "down_revision = 'a1'\n\ndef upgrade():\n    op.drop_column('users', 'x')\n"
    (versions / "0b0e.py").write_text(legacy)
    main_repo.commit("a legacy file")
    setup = AlembicSetup(None, "alembic", None, (str(versions),))
    base = read_base_graph("main", setup, main_repo.root)
    assert base.heads == ["0b0e"]
    assert base.unparsable == []
    main_repo.git("checkout", "-q", "-b", "feature")
    main_repo.revision("c3", "0b0e")
    main_repo.commit("c3")
    code, report, _ = lint(main_repo, monkeypatch, capsys, "--base", "main")
    assert code == 0
    assert codes(report) == []  # 0b0e shipped: no AG103 for its drop_column
    assert report["heads"] == ["c3"]


def test_a_duplicate_id_at_the_base_is_the_file_alembic_reads_last(main_repo: Repo) -> None:
    """alembic lists a folder's files, then its subfolders (git lists them by name
    together), and keeps the last file of an id: the base graph keeps the same one as the
    working tree's."""
    versions = main_repo.root / VERSIONS
    (versions / "sub").mkdir()
    (versions / "sub" / "b1.py").write_text(migration("b1", None))
    (versions / "z_b1.py").write_text(migration("b1", "a1"))
    main_repo.commit("two files of b1")
    setup = AlembicSetup(None, "alembic", None, (str(versions),), recursive=True)
    base = read_base_graph("main", setup, main_repo.root)
    assert base.by_id["b1"].display == f"{VERSIONS}/sub/b1.py"
    assert [rev.display for rev in base.duplicates["b1"]] == [
        f"{VERSIONS}/z_b1.py",
        f"{VERSIONS}/sub/b1.py",
    ]
    working = load_history(setup, main_repo.root, use_cache=False).graph
    assert working.by_id["b1"].display == base.by_id["b1"].display
    assert sorted(working.heads) == sorted(base.heads) == ["a1", "b1"]
