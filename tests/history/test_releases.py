"""`release-tags`: each revision file's release, read from real git repositories built
in tmp_path, and what the safety rules make of it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from alembic_gate.history.releases import (
    COMING,
    MOVED_AT_ONCE,
    read_commits,
    read_releases,
    uncommitted_files,
)
from tests.history.test_git_base import (
    ADD_EMAIL,
    CREATE_ORDERS,
    CREATE_USERS,
    VERSIONS,
    Repo,
    codes,
    git_identity,
    lint,
    migration,
)

__all__ = ["git_identity"]  # the autouse fixture: a git identity of the test's own

ADD_CODE = 'op.add_column("orders", sa.Column("code", sa.String(), nullable=False))'
DROP_NOTE = 'op.drop_column("orders", "note")'
ADD_NOTE = 'op.add_column("orders", sa.Column("note", sa.String(), nullable=True))'
SEED_ORDERS = 'op.bulk_insert(sa.table("orders", sa.column("id")), [{"id": 1}])'


def read(
    repo: Repo, patterns: tuple[str, ...] = ("v*",)
) -> tuple[dict[str, str | None], str | None]:
    """Each revision file's release by file name (None: not known), and the note."""
    folder = repo.root / VERSIONS
    files = sorted(str(path) for path in folder.glob("*.py"))
    found, note = read_releases(files, [str(folder)], patterns)
    assert found is not None
    return {Path(file).name: found.release(file) for file in files}, note


def releases_of(repo: Repo, patterns: tuple[str, ...] = ("v*",)) -> dict[str, str | None]:
    """Each revision file's release by file name, read with no note."""
    found, note = read(repo, patterns)
    assert note is None
    return found


def tagged_repo(tmp_path: Path) -> Repo:
    """A repository whose first commit is tagged v0: the project tags its releases from
    the start."""
    repo = Repo.init(tmp_path / "repo")
    (repo.root / "README").write_text("a project\n")
    repo.commit("start")
    repo.git("tag", "v0")
    return repo


def v1_repo(tmp_path: Path) -> Repo:
    """a1 (users) in v1, after v0."""
    repo = tagged_repo(tmp_path)
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.git("tag", "v1")
    return repo


def release_repo(tmp_path: Path) -> Repo:
    """a1 (users) in v1; b2 (orders) in v2; c3 committed after v2; d4 not committed."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.commit("b2")
    repo.git("tag", "-a", "-m", "second", "v2")
    repo.revision("c3", "b2")
    repo.commit("c3")
    repo.revision("d4", "c3")
    return repo


def configure(repo: Repo, patterns: str = '"v*"') -> None:
    (repo.root / "pyproject.toml").write_text(f"[tool.alembic-gate]\nrelease-tags = {patterns}\n")


def test_a_file_belongs_to_the_oldest_tag_that_holds_its_commit(tmp_path: Path) -> None:
    repo = release_repo(tmp_path)
    repo.git("tag", "v3")  # a later tag holds a1 too
    found = releases_of(repo)
    assert found == {"a1_m.py": "v1", "b2_m.py": "v2", "c3_m.py": "v3", "d4_m.py": COMING}


def test_files_committed_before_the_first_tag_have_no_known_release(tmp_path: Path) -> None:
    """Before its first tag the project did not tag releases: which revisions shipped
    together is not known."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.revision("b2", "a1")
    repo.commit("b2")
    repo.git("tag", "v1")
    repo.revision("c3", "b2")
    repo.commit("c3")
    found = releases_of(repo)
    assert found == {"a1_m.py": None, "b2_m.py": None, "c3_m.py": COMING}


def test_files_no_matching_tag_holds_belong_to_the_coming_release(tmp_path: Path) -> None:
    repo = release_repo(tmp_path)
    repo.git("tag", "other-1")  # holds c3, but is not a release tag
    found = releases_of(repo)
    assert found["c3_m.py"] == COMING
    assert found["d4_m.py"] == COMING


def test_a_renamed_file_keeps_the_release_it_was_added_in(tmp_path: Path) -> None:
    repo = release_repo(tmp_path)
    versions = repo.root / VERSIONS
    repo.git("mv", str(versions / "a1_m.py"), str(versions / "2024_a1_initial.py"))
    repo.commit("rename")
    assert releases_of(repo)["2024_a1_initial.py"] == "v1"


def old_folder(repo: Repo) -> Path:
    """`old/versions`, holding more revisions than MOVED_AT_ONCE, committed five at a
    time (the last ones left for the caller to commit)."""
    old = repo.root / "old" / "versions"
    old.mkdir(parents=True)
    down = None
    for number in range(MOVED_AT_ONCE + 1):
        rid = f"r{number:02d}"
        (old / f"{rid}_m.py").write_text(migration(rid, down))
        down = rid
        if number % 5 == 4:
            repo.commit(f"up to {rid}")
    return old


def test_files_moved_in_from_another_folder_are_followed_there(tmp_path: Path) -> None:
    repo = tagged_repo(tmp_path)
    old = old_folder(repo)
    repo.commit("the rest")
    repo.git("tag", "v1")
    (repo.root / VERSIONS).parent.mkdir(parents=True)
    repo.git("mv", str(old), str(repo.root / VERSIONS))
    repo.commit("move")
    repo.git("tag", "v2")
    assert set(releases_of(repo).values()) == {"v1"}


def test_files_moved_in_a_commit_with_a_blob_git_cannot_read_are_followed(
    tmp_path: Path,
) -> None:
    """Wikibase Metadata's snapshot lacks a data file's blob that its move commit also
    replaced: git's search for files moved and edited needs it and fails, and the files
    moved as they were are still found (by their ids alone)."""
    repo = tagged_repo(tmp_path)
    old = old_folder(repo)
    data = repo.root / "data.db"
    data.write_text("rows\n" * 200)
    repo.commit("the rest and the data")
    repo.git("tag", "v1")
    blob = repo.git("rev-parse", "HEAD:data.db").strip()
    (repo.root / VERSIONS).parent.mkdir(parents=True)
    repo.git("mv", str(old), str(repo.root / VERSIONS))
    data.unlink()
    (repo.root / "data2.db").write_text("rows\n" * 199 + "more\n")  # like the old one
    repo.git("add", "-A")
    repo.commit("move")
    repo.git("tag", "v2")
    (repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    assert set(releases_of(repo).values()) == {"v1"}


def test_many_files_added_at_once_have_no_known_release(tmp_path: Path) -> None:
    repo = tagged_repo(tmp_path)
    down = None
    for number in range(MOVED_AT_ONCE + 1):
        rid = f"r{number:02d}"
        repo.revision(rid, down)
        down = rid
    repo.commit("an imported history")
    repo.git("tag", "v1")
    assert set(releases_of(repo).values()) == {None}


@pytest.mark.parametrize(
    ("make", "said"),
    [
        ("plain folder", "is not in a git work tree"),
        ("shallow clone", "the clone is shallow"),
        ("no release tag", "no git tag matches v*"),
    ],
)
def test_releases_that_cannot_be_read_are_a_note(tmp_path: Path, make: str, said: str) -> None:
    repo = release_repo(tmp_path)
    folder = repo.root / VERSIONS
    if make == "plain folder":
        folder = tmp_path / "plain"
        folder.mkdir()
    elif make == "shallow clone":
        clone = tmp_path / "clone"
        url = f"file://{repo.root}"
        subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(clone)], check=True)
        folder = clone / VERSIONS
    else:
        repo.git("tag", "-d", "v0", "v1", "v2")
    found, note = read_releases([str(folder / "a1_m.py")], [str(folder)], ("v*",))
    assert found is None
    assert note is not None
    assert said in note


def test_a_table_created_earlier_in_the_coming_release_is_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pre-commit run on c3 after v1: orders (b2, not released) holds no production
    rows, users (a1, v1) does."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", f"{CREATE_ORDERS}\n    {ADD_NOTE}")
    repo.commit("b2")
    repo.revision("c3", "b2", f"{ADD_EMAIL}\n    {ADD_CODE}\n    {DROP_NOTE}")
    c3 = f"{VERSIONS}/c3_m.py"
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", c3)
    found = [(f["code"], f["line"]) for f in report["findings"]]
    assert found == [("AG101", 20), ("AG101", 21), ("AG103", 22)]  # users, orders, note
    configure(repo)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", c3)
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("AG101", 20)]
    assert report["notes"] == []


def test_a_table_of_an_earlier_release_is_not_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole history named: c3 shipped in v2 with b2, so orders was new; in a
    release of its own, orders held v2's rows."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.commit("b2")
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("c3")
    repo.git("tag", "v2")
    configure(repo)
    files = [f"{VERSIONS}/{name}_m.py" for name in ("a1", "b2", "c3")]
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", *files)
    assert report["findings"] == []
    repo.git("tag", "-d", "v2")
    repo.git("tag", "v2", "HEAD~1")  # b2 shipped alone, c3 comes after
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", *files)
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]


@pytest.mark.parametrize("together", ["release-tags", "one commit"])
def test_a_table_the_release_put_rows_into_is_not_new(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    together: str,
) -> None:
    """Seeded by the revision that creates it: the table holds rows, whether the two
    revisions ship in one tagged release or were added by one commit."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", f"{CREATE_ORDERS}\n    {SEED_ORDERS}")
    repo.revision("c3", "b2", ADD_CODE)
    if together == "release-tags":
        configure(repo)
    else:
        repo.commit("b2 c3")
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/c3_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]


def test_what_a_dependency_of_the_release_made_is_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """vmware-nsx's expand and contract branches: the contract revision builds on an
    older one and depends on the expand revision of its release that added the column,
    which alembic applies first; what that one added held nothing before the release."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", ADD_NOTE.replace("orders", "users"))
    drop = DROP_NOTE.replace("orders", "users")
    text = migration("c3", "a1", drop).replace("depends_on = None", "depends_on = ('b2',)")
    (repo.root / VERSIONS / "c3_m.py").write_text(text)
    configure(repo)
    repo.commit("b2 c3")  # (committed: not new as changes of the working tree are)
    c3 = f"{VERSIONS}/c3_m.py"
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", c3)
    assert report["findings"] == []
    (repo.root / VERSIONS / "c3_m.py").write_text(migration("c3", "a1", drop))
    repo.commit("c3 without its dependency")
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", c3)
    assert codes(report) == [("AG103", c3)]  # b2 may not have run: users.note is older


@pytest.mark.parametrize(("schema", "code"), [("schema", "AG103"), ('"public"', None)])
def test_a_table_created_in_a_schema_made_up_as_it_runs_is_another_table(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    schema: str,
    code: str | None,
) -> None:
    """Tracecat's `case_fields` copied into each workspace's own schema (a name the
    revision reads as it runs): the table of the default schema, whose column the next
    revision of the release drops, is not the one it created."""
    repo = v1_repo(tmp_path)
    create = f"{CREATE_ORDERS[:-1]}, schema={schema})"
    workspaces = "op.get_bind().execute(sa.text('SELECT name FROM ws')).scalars()"
    repo.revision("b2", "a1", f"for schema in {workspaces}:\n        {create}")
    repo.revision("c3", "b2", 'op.drop_column("orders", "id")')
    configure(repo)
    c3 = f"{VERSIONS}/c3_m.py"
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", c3)
    assert codes(report) == ([] if code is None else [(code, c3)])


@pytest.mark.parametrize(
    ("later", "code"),
    [
        (ADD_CODE, "AG101"),  # the rows the release put in hold NULL: the ALTER fails
        ('op.create_index("ix_orders_id", "orders", ["id"])', None),  # no running code
        ('op.rename_table("orders", "purchases")', None),  # knows orders: nothing
        ('op.alter_column("orders", "id", type_=sa.BigInteger())', None),
    ],
)
def test_a_table_the_release_filled_holds_rows_that_no_running_code_reads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    later: str,
    code: str | None,
) -> None:
    """Indico's track_principals: made and filled from older tables in v2.3, then changed
    in the same release: a lock on it blocks nothing that runs, a rename breaks nothing,
    but a NOT NULL column without a default fails on its rows."""
    repo = v1_repo(tmp_path)
    copy = 'op.execute("INSERT INTO public.orders (id) SELECT id FROM users")'
    repo.revision("b2", "a1", f"{CREATE_ORDERS}\n    {copy}")
    repo.revision("c3", "b2", later)
    configure(repo)
    _, report, _ = lint(
        repo,
        monkeypatch,
        capsys,
        "--select",
        "AG1",
        "--extend-select",
        "AG105",
        f"{VERSIONS}/c3_m.py",
    )
    assert [f["code"] for f in report["findings"]] == ([code] if code else [])


def test_a_filled_table_renamed_in_the_release_still_holds_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = v1_repo(tmp_path)
    rename = 'op.rename_table("orders", "purchases")'
    repo.revision("b2", "a1", f"{CREATE_ORDERS}\n    {SEED_ORDERS}\n    {rename}")
    repo.revision("c3", "b2", ADD_CODE.replace('"orders"', '"purchases"'))
    configure(repo)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/c3_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]


def test_a_pattern_no_tag_matches_is_said_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = release_repo(tmp_path)
    repo.revision("d4", "c3", ADD_CODE)
    configure(repo, '["release-*"]')
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/d4_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/d4_m.py")]
    assert report["notes"] == [
        "[tool.alembic-gate] release-tags: no git tag matches release-*; releases were not read"
    ]


@pytest.mark.parametrize("value", ["3", '[""]', '["-v"]', "{ a = 1 }"])
def test_a_bad_release_tags_value_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    repo = release_repo(tmp_path)
    configure(repo, value)
    code, report, err = lint(repo, monkeypatch, capsys)
    assert (code, report) == (2, None)
    assert "release-tags in pyproject.toml [tool.alembic-gate] must be a git tag pattern" in err


def test_a_cycle_of_revisions_in_one_release_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tagged_repo(tmp_path)
    repo.revision("a1", "b2", CREATE_ORDERS)
    repo.revision("b2", "a1")
    repo.commit("a cycle")
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("c3")
    repo.git("tag", "v1")
    _, report, _ = lint(repo, monkeypatch, capsys, f"{VERSIONS}/c3_m.py")
    assert ("AG101", f"{VERSIONS}/c3_m.py") in codes(report)
    configure(repo)
    code, report, _ = lint(repo, monkeypatch, capsys, f"{VERSIONS}/c3_m.py")
    assert code == 1
    assert "AG005" in {f["code"] for f in report["findings"]}
    assert ("AG101", f"{VERSIONS}/c3_m.py") not in codes(report)  # orders: created in v1


def test_a_revision_backported_to_a_release_branch_counts_from_that_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Airflow's 1.10.x: a revision cherry-picked onto a release branch shipped in the
    branch's release, before main's next tag holds it."""
    repo = tagged_repo(tmp_path)
    repo.revision("a1", None, CREATE_ORDERS)
    repo.commit("a1")
    repo.git("tag", "v1")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2030-01-01T00:00:00")
    repo.revision("b2", "a1", ADD_CODE)
    repo.commit("b2")
    b2 = repo.git("rev-parse", "HEAD").strip()
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2030-02-01T00:00:00")
    repo.git("checkout", "-q", "-b", "release-1", "v1")
    repo.git("cherry-pick", b2)
    repo.git("tag", "v1.1")
    repo.git("checkout", "-q", "main")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2030-03-01T00:00:00")
    repo.revision("c3", "b2")
    repo.commit("c3")
    repo.git("tag", "v2")
    assert releases_of(repo) == {"a1_m.py": "v1", "b2_m.py": "v1.1", "c3_m.py": "v2"}


def test_a_branch_whose_newest_tag_is_over_a_year_old_has_no_coming_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project that stopped tagging deploys what it merges: the revisions after its
    last tag did not wait for a release."""
    repo = v1_repo(tmp_path)
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2090-01-01T00:00:00")
    repo.revision("b2", "a1")
    repo.commit("b2, years later")
    found, note = read(repo)
    assert found == {"a1_m.py": "v1", "b2_m.py": None}
    assert note is not None
    assert "newest matching tag, v1, is more than a year older than HEAD" in note


def test_a_revision_its_tag_shipped_over_a_year_later_has_no_known_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A year between a revision and the tag that first holds it: the project deployed
    between tags, so the tag does not say what shipped together."""
    repo = tagged_repo(tmp_path)
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2080-01-01T00:00:00")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2082-01-01T00:00:00")
    repo.revision("b2", "a1")
    repo.commit("b2")
    repo.git("tag", "v1")
    assert releases_of(repo) == {"a1_m.py": None, "b2_m.py": "v1"}


def test_what_a_base_revision_creates_is_not_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A base revision often recreates the schema that was there before Alembic (and is
    stamped on old databases): its tables may hold rows whatever the release."""
    repo = tagged_repo(tmp_path)
    repo.revision("a1", None, CREATE_ORDERS)
    repo.revision("b2", "a1", ADD_CODE)
    configure(repo)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/b2_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/b2_m.py")]


# -- revisions not committed yet ------------------------------------------------------

ADD_CODE_TO_USERS = ADD_CODE.replace('"orders"', '"users"')


def uncommitted_names(repo: Repo) -> set[str] | None:
    found = uncommitted_files([str(repo.root / VERSIONS)])
    return None if found is None else {Path(path).name for path in found}


def test_uncommitted_files_are_the_staged_and_the_new_ones_git_knows(tmp_path: Path) -> None:
    """Staged and untracked revision files are not committed; an ignored one is not
    known, and a committed file moved (staged as a rename) is not new."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.git("add", f"{VERSIONS}/b2_m.py")
    repo.revision("c3", "b2")  # untracked
    repo.revision("d4", "c3")
    (repo.root / ".gitignore").write_text("d4_m.py\n")
    repo.git("mv", f"{VERSIONS}/a1_m.py", f"{VERSIONS}/old")
    repo.git("mv", f"{VERSIONS}/old", f"{VERSIONS}/sub_a1_m.py")
    assert uncommitted_names(repo) == {"b2_m.py", "c3_m.py"}


@pytest.mark.parametrize("make", ["plain folder", "no commit yet"])
def test_uncommitted_files_cannot_be_known(tmp_path: Path, make: str) -> None:
    """Outside a git work tree (no git process is started) or before the first commit,
    what is committed is not known."""
    root = tmp_path / "repo"
    repo = Repo(root) if make == "plain folder" else Repo.init(root)
    root.mkdir(exist_ok=True)
    repo.revision("a1", None, CREATE_USERS)
    assert uncommitted_names(repo) is None


def test_a_table_an_uncommitted_revision_creates_is_new_to_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit's case: two revisions written together, the first creating a table
    the second gives a NOT NULL column; neither is committed, so no deploy ran either.
    Committed together, they still shipped together (with no release-tags); committed
    apart, the table may have been deployed before the column was added."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.revision("c3", "b2", ADD_CODE)
    repo.revision("d4", "c3", ADD_CODE_TO_USERS)  # users: committed in a1
    files = [f"{VERSIONS}/{name}_m.py" for name in ("b2", "c3", "d4")]
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", *files)
    assert codes(report) == [("AG101", f"{VERSIONS}/d4_m.py")]
    repo.commit("b2 c3 d4")
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", *files)
    assert codes(report) == [("AG101", f"{VERSIONS}/d4_m.py")]
    repo.git("reset", "-q", "--soft", "HEAD~1")
    repo.git("reset", "-q")
    repo.git("add", f"{VERSIONS}/b2_m.py")
    repo.git("commit", "-q", "-m", "b2")
    repo.commit("c3 d4")
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", *files)
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py"), ("AG101", f"{VERSIONS}/d4_m.py")]


def test_an_uncommitted_base_revision_is_not_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A base revision often stands for the schema that was there before Alembic
    (stamped on old databases): its tables are not new, committed or not."""
    repo = tagged_repo(tmp_path)
    repo.revision("a1", None, CREATE_USERS)
    repo.revision("b2", "a1", ADD_CODE_TO_USERS)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/b2_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/b2_m.py")]


def test_many_uncommitted_revisions_are_a_history_copied_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """More than MOVED_AT_ONCE revisions not committed are a history brought in (a
    project moved into a new repository): they are not taken for new work."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", CREATE_ORDERS)
    down = "b2"
    for index in range(MOVED_AT_ONCE):
        repo.revision(f"p{index}", down)
        down = f"p{index}"
    repo.revision("c3", down, ADD_CODE)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/c3_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/c3_m.py")]


# -- revisions one commit added (no release-tags) ------------------------------------


def commits_of(folder: Path, bases: tuple[str, ...] = ()) -> dict[str, str | None] | None:
    """Each revision file's group by file name (its adding commit; None: not known);
    `bases`: the names of the base revisions' files."""
    files = sorted(str(path) for path in folder.glob("*.py"))
    found = read_commits(files, [str(folder)], [str(folder / name) for name in bases])
    return None if found is None else {Path(file).name: found.release(file) for file in files}


def test_revisions_one_commit_added_are_one_group(tmp_path: Path) -> None:
    """Files a commit added together share it, also after a rename; a file its commit
    added alone groups nothing, and the repository's first commit is not taken for a
    group (a history imported at once)."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.revision("a2", "a1")
    repo.commit("imported")
    repo.revision("b2", "a2", CREATE_ORDERS)
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("orders")
    repo.revision("d4", "c3")
    repo.commit("d4")
    repo.git("mv", f"{VERSIONS}/c3_m.py", f"{VERSIONS}/c3_renamed_m.py")
    repo.commit("rename")
    repo.revision("e5", "d4")  # not committed
    found = commits_of(repo.root / VERSIONS)
    assert found is not None
    together = found["b2_m.py"]
    assert together is not None and found["c3_renamed_m.py"] == together
    assert [found[name] for name in ("a1_m.py", "a2_m.py", "d4_m.py", "e5_m.py")] == [None] * 4


def imported_repo(root: Path, dates: tuple[str, ...]) -> Repo:
    """After a first commit of its own, one commit adds a1 (users, the base), b2 (orders)
    and c3 (a NOT NULL column on orders), their Create Date headers `dates`: i.AI's
    minute, whose open-source commit added 19 revisions written over 19 months."""
    repo = Repo.init(root)
    (repo.root / "README").write_text("a project\n")
    repo.commit("start")
    for (rid, down, body), date in zip(
        (("a1", None, CREATE_USERS), ("b2", "a1", CREATE_ORDERS), ("c3", "b2", ADD_CODE)),
        dates,
        strict=True,
    ):
        repo.revision(rid, down, body)
        path = repo.root / VERSIONS / f"{rid}_m.py"
        path.write_text(path.read_text().replace("2024-05-01", date))
    repo.commit("open source initial commit")
    return repo


@pytest.mark.parametrize(
    ("dates", "together"),
    [
        (("2024-03-01", "2024-06-01", "2025-09-01"), False),  # written over 18 months
        (("2024-03-01", "2024-05-01", "2024-08-01"), True),  # within IMPORTED_SPAN days
    ],
)
def test_a_base_revision_added_with_others_written_months_apart_is_an_imported_history(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dates: tuple[str, ...],
    together: bool,
) -> None:
    """A commit adding the base revision with others whose Create Dates lie more than
    IMPORTED_SPAN days apart added a history that ran elsewhere: not one release, so a
    table b2 created is not new to c3 (AG101 reports its NOT NULL column); written
    within the span, they are one piece of work, deployed together."""
    repo = imported_repo(tmp_path / "repo", dates)
    found = commits_of(repo.root / VERSIONS, bases=("a1_m.py",))
    groups = None if found is None else {found[name] for name in ("a1_m.py", "b2_m.py", "c3_m.py")}
    assert (groups is not None and None not in groups and len(groups) == 1) is together
    assert commits_of(repo.root / VERSIONS) is not None  # (no base named: grouped)
    files = [f"{VERSIONS}/{name}_m.py" for name in ("a1", "b2", "c3")]
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG101", *files)
    assert [f["code"] for f in report["findings"]] == ([] if together else ["AG101"])


def test_a_history_imported_between_two_tags_has_no_known_release(tmp_path: Path) -> None:
    """With release-tags: the import commit lies between v0 and v1, so v1 holds its files
    first; written over 18 months with the base, they did not ship in v1 (not known),
    written within the span, they did."""
    for name, dates, expected in (
        ("apart", ("2024-03-01", "2024-06-01", "2025-09-01"), None),
        ("together", ("2024-03-01", "2024-05-01", "2024-08-01"), "v1"),
    ):
        repo = imported_repo(tmp_path / name, dates)
        repo.git("tag", "v0", "HEAD~1")
        repo.git("tag", "v1")
        folder = repo.root / VERSIONS
        files = sorted(str(path) for path in folder.glob("*.py"))
        bases = [str(folder / "a1_m.py")]
        found, note = read_releases(files, [str(folder)], ("v*",), bases)
        assert found is not None and note is None
        assert {found.release(file) for file in files[1:]} == {expected}, name


def test_a_revision_two_commits_added_has_no_known_group(tmp_path: Path) -> None:
    """The same work committed on two lines (a squashed copy merged beside the original
    commits): which of them a deploy took first is not known."""
    repo = Repo.init(tmp_path / "repo")
    (repo.root / "README").write_text("a project\n")
    repo.commit("start")
    repo.git("checkout", "-q", "-b", "copy")
    repo.revision("b2", None, CREATE_ORDERS)
    repo.revision("c3", "b2", ADD_CODE)
    repo.revision("e5", "c3")  # (so that the merge takes from both lines)
    repo.commit("b2 c3 e5 squashed")
    repo.git("checkout", "-q", "main")
    repo.revision("b2", None, CREATE_ORDERS)
    repo.commit("b2")
    repo.revision("c3", "b2", ADD_CODE)
    repo.revision("d4", "c3")
    repo.commit("c3 d4")
    repo.git("merge", "-q", "--no-edit", "copy")
    found = commits_of(repo.root / VERSIONS)
    assert found is not None
    assert (found["b2_m.py"], found["c3_m.py"]) == (None, None)
    assert found["d4_m.py"] is not None


def feature_merged(tmp_path: Path, how: str) -> Repo:
    """main: a1 (users); a branch adds b2 (orders) and c3 in two commits, and main takes
    them in with a merge commit (`how`: the merge's message, or "tagged": the branch's
    last commit is tagged, a release branch merged back)."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.git("checkout", "-q", "-b", "feature")
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.commit("b2")
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("c3")
    if how == "tagged":
        repo.git("tag", "v1.0.1")
    repo.git("checkout", "-q", "main")
    message = "Merge pull request #7 from someone/feature" if how == "tagged" else how
    repo.git("merge", "-q", "--no-ff", "-m", message, "feature")
    return repo


@pytest.mark.parametrize(
    ("how", "together"),
    [
        ("Merge pull request #7 from someone/feature", True),
        ("Merge branch 'feature'", True),
        ("Merge branch 'main' of https://example.org/project", False),  # git pull
        ("Merge remote-tracking branch 'origin/master' into main", False),
        ("tagged", False),
    ],
)
def test_revisions_one_merge_brought_in_are_one_group(
    tmp_path: Path, how: str, together: bool
) -> None:
    """A branch merged with a merge commit arrives on main's line at once: the revisions
    its commits added are one group, the merge. Not when the merge says it takes in a
    main or master (`git pull`'s merge of commits already pushed, and maybe deployed),
    nor when the branch holds a tag (released on its own)."""
    repo = feature_merged(tmp_path, how)
    found = commits_of(repo.root / VERSIONS)
    if not together:
        assert found is None
        return
    assert found is not None
    merge = repo.git("rev-parse", "HEAD").strip()
    assert (found["a1_m.py"], found["b2_m.py"], found["c3_m.py"]) == (None, merge, merge)


def test_another_history_merged_in_groups_nothing(tmp_path: Path) -> None:
    """A history with a first commit of its own, merged in (`--allow-unrelated-histories`:
    a project moved into this repository), ran its revisions elsewhere one by one."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.git("checkout", "-q", "--orphan", "other")
    repo.git("rm", "-q", "-r", "--cached", ".")
    (repo.root / "OTHER").write_text("another project\n")
    repo.git("add", "OTHER")
    repo.git("commit", "-q", "-m", "start of the other project")
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.git("add", f"{VERSIONS}/b2_m.py")
    repo.git("commit", "-q", "-m", "b2")
    repo.revision("c3", "b2", ADD_CODE)
    repo.git("add", f"{VERSIONS}/c3_m.py")
    repo.git("commit", "-q", "-m", "c3")
    repo.git("checkout", "-q", "-f", "main")
    merge = ["merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", "Merge other"]
    repo.git(*merge, "other")
    assert commits_of(repo.root / VERSIONS) is None


def test_main_merged_into_a_branch_keeps_its_commits_apart(tmp_path: Path) -> None:
    """On a branch that took main in (under any message), main's commits stand alone:
    main's line may have been deployed at each of them. The branch's own merge of
    another branch still groups that branch's commits."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.git("checkout", "-q", "-b", "feature")
    repo.revision("x9", "a1")
    repo.commit("x9")
    repo.git("checkout", "-q", "main")
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.commit("b2")
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("c3")
    repo.git("checkout", "-q", "-b", "topic")
    repo.revision("d4", "c3")
    repo.commit("d4")
    repo.revision("e5", "d4")
    repo.commit("e5")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-ff", "-m", "sync", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "topic", "topic")
    found = commits_of(repo.root / VERSIONS)
    assert found is not None
    merge = repo.git("rev-parse", "HEAD").strip()
    assert (found["b2_m.py"], found["c3_m.py"]) == (None, None)
    assert (found["d4_m.py"], found["e5_m.py"]) == (merge, merge)


def test_commits_a_pull_brought_in_stay_apart_when_a_later_branch_builds_on_them(
    tmp_path: Path,
) -> None:
    """`git pull` merges the remote's b2 and c3 (pushed, maybe deployed one by one); a
    branch made from c3 adds d4 and e5 and is merged later. The branch's merge reaches
    b2 and c3 too, but they came in with the pull: only d4 and e5 are its group."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.git("checkout", "-q", "-b", "pushed")
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.commit("b2")
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("c3")
    repo.git("checkout", "-q", "main")
    (repo.root / "README").write_text("a local change\n")
    repo.commit("local")
    pull = "Merge branch 'main' of https://example.org/project"
    repo.git("merge", "-q", "--no-ff", "-m", pull, "pushed")
    repo.git("checkout", "-q", "-b", "topic", "pushed")
    repo.revision("d4", "c3")
    repo.commit("d4")
    repo.revision("e5", "d4")
    repo.commit("e5")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #8 from someone/topic", "topic")
    found = commits_of(repo.root / VERSIONS)
    assert found is not None
    merge = repo.git("rev-parse", "HEAD").strip()
    assert (found["b2_m.py"], found["c3_m.py"]) == (None, None)
    assert (found["d4_m.py"], found["e5_m.py"]) == (merge, merge)


def test_a_table_one_merge_created_is_new_to_the_revisions_it_brought(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the whole history named: c3's NOT NULL column goes onto orders, which b2 of
    the same merged branch created, so no deploy of main saw orders with rows; merged by
    `git pull`, the two commits may have been deployed apart."""
    files = [f"{VERSIONS}/{name}_m.py" for name in ("a1", "b2", "c3")]
    for how, expected in (
        ("Merge pull request #7 from someone/feature", []),
        ("Merge branch 'main' of https://example.org/project", ["AG101"]),
    ):
        repo = feature_merged(tmp_path / str(len(expected)), how)
        _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", *files)
        assert [f["code"] for f in report["findings"]] == expected, how


@pytest.mark.parametrize("make", ["plain folder", "shallow clone", "many at once"])
def test_commits_that_cannot_group_revisions(tmp_path: Path, make: str) -> None:
    """Outside a git work tree and in a shallow clone (its one commit seems to add every
    file) nothing is read; a commit adding more than MOVED_AT_ONCE files imported them, so
    no commit groups any."""
    repo = Repo.init(tmp_path / "repo")
    (repo.root / "README").write_text("a project\n")
    repo.commit("start")
    count = MOVED_AT_ONCE + 1 if make == "many at once" else 2
    down = None
    for index in range(count):
        repo.revision(f"r{index}", down)
        down = f"r{index}"
    repo.commit("revisions")
    folder = repo.root / VERSIONS
    if make == "plain folder":
        folder = tmp_path / "plain"
        folder.mkdir()
        (folder / "r0_m.py").write_text((repo.root / VERSIONS / "r0_m.py").read_text())
    elif make == "shallow clone":
        clone = tmp_path / "clone"
        url = f"file://{repo.root}"
        subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(clone)], check=True)
        folder = clone / VERSIONS
    assert commits_of(folder) is None


@pytest.mark.parametrize(
    ("later", "together", "apart"),
    [
        (ADD_CODE, [], ["AG101"]),  # orders shipped empty with it, or held rows before
        (DROP_NOTE, [], ["AG103"]),  # note shipped with it: no release held data in it
        ('op.create_index("ix_orders_id", "orders", ["id"])', [], ["AG105"]),
    ],
)
def test_a_table_one_commit_created_is_new_to_the_revisions_it_added(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    later: str,
    together: list[str],
    apart: list[str],
) -> None:
    """With no release-tags and the whole history named: b2 creates orders and c3
    changes it. Added by one commit, they were deployed together; added by two, a
    deploy may have run between them."""
    for case, expected in (("together", together), ("apart", apart)):
        repo = v1_repo(tmp_path / case)
        repo.revision("b2", "a1", f"{CREATE_ORDERS}\n    {ADD_NOTE}")
        if case == "apart":
            repo.commit("b2")
        repo.revision("c3", "b2", later)
        repo.commit("c3")
        files = [f"{VERSIONS}/{name}_m.py" for name in ("a1", "b2", "c3")]
        args = ("--select", "AG1", "--extend-select", "AG105", *files)
        _, report, _ = lint(repo, monkeypatch, capsys, *args)
        assert [f["code"] for f in report["findings"]] == expected, case
        assert report["notes"] == []


def test_no_git_log_for_a_revision_in_no_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit's case: the changed revision is in no commit, so no commit can group it
    with the ones it builds on; the history's commits are not read for it."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", ADD_CODE_TO_USERS)

    def unread(*args: object) -> None:
        raise AssertionError("the commits were read")

    monkeypatch.setattr("alembic_gate.history.releases.read_commits", unread)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/b2_m.py")
    assert codes(report) == [("AG101", f"{VERSIONS}/b2_m.py")]


_ORDERS_WITH_NAME = (
    'op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True), '
    'sa.Column("name", sa.String(), nullable=True))'
)
_SEED = 'op.bulk_insert(sa.table("orders", sa.column("id"), sa.column("name")), {rows})'


@pytest.mark.parametrize(
    ("seed", "code"),
    [
        (_SEED.format(rows='[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]'), None),
        (_SEED.format(rows='[{"id": 1, "name": "a"}, {"id": 2, "name": None}]'), "AG102"),
        (_SEED.format(rows='[{"id": 1, "name": "a"}, {"id": 2}]'), "AG102"),
        (_SEED.format(rows="ROWS"), "AG102"),  # rows not known
        ('op.execute("INSERT INTO orders (id) VALUES (1)")', "AG102"),
    ],
)
def test_a_column_every_seed_of_the_release_gave_a_value(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    seed: str,
    code: str | None,
) -> None:
    """Flathub's role_permission: made by one revision, seeded by the next with a value
    in every row, made NOT NULL by a third, all in one commit: no row can hold NULL. A
    row without the value, rows not known, or rows from SQL leave it reported."""
    repo = v1_repo(tmp_path)
    repo.revision("b2", "a1", _ORDERS_WITH_NAME)
    repo.revision("c3", "b2", seed)
    repo.revision("d4", "c3", 'op.alter_column("orders", "name", nullable=False)')
    repo.commit("b2 c3 d4")
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG102", f"{VERSIONS}/d4_m.py")
    assert [f["code"] for f in report["findings"]] == ([code] if code else [])


def test_files_one_commit_added_where_no_tag_tells_their_release_ship_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """AudioBookRequest's tables made and changed by revisions of one commit before its
    first tag: no tag tells their release, but they shipped together, as without the
    setting; a revision a commit of its own added stays without a release."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.revision("b2", "a1", CREATE_ORDERS)
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("b2 c3")
    repo.git("tag", "v1")
    found = releases_of(repo)
    assert found["a1_m.py"] is None
    assert found["b2_m.py"] == found["c3_m.py"] is not None
    configure(repo)
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1", f"{VERSIONS}/c3_m.py")
    assert codes(report) == []


INDEX_USERS = 'op.create_index("ix_users_id", "users", ["id"])'


def _commit_on(repo: Repo, monkeypatch: pytest.MonkeyPatch, day: str, message: str) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_DATE", f"{day}T12:00:00+00:00")
    repo.commit(message)


def _moved_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str) -> Repo:
    """users (a1) and its index (b2) committed while the project depends on `first`;
    psycopg2 joins the dependencies later, then c3 indexes users again."""
    repo = Repo.init(tmp_path / "repo")
    (repo.root / "requirements.txt").write_text(f"{first}\n")
    repo.revision("a1", None, CREATE_USERS)
    _commit_on(repo, monkeypatch, "2020-01-01", "a1")
    repo.revision("b2", "a1", INDEX_USERS)
    _commit_on(repo, monkeypatch, "2020-02-01", "b2")
    (repo.root / "requirements.txt").write_text(f"{first}\npsycopg2\n")
    _commit_on(repo, monkeypatch, "2021-01-01", "PostgreSQL")
    repo.revision("c3", "b2", INDEX_USERS.replace("ix_users_id", "ix_users_id_2"))
    _commit_on(repo, monkeypatch, "2021-02-01", "c3")
    return repo


def test_an_index_committed_before_the_project_named_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Thunderbird Appointment ran on MySQL until it moved to PostgreSQL: an index built
    before any file of the project named PostgreSQL ran on rows on MySQL only, and every
    PostgreSQL database ran it on a new, empty table (unless the project ran on
    PostgreSQL without naming it): low confidence, and the message says why. One
    committed after, and one not committed yet, keep their confidence."""
    repo = _moved_repo(tmp_path, monkeypatch, "pymysql")
    repo.revision("d4", "c3", INDEX_USERS.replace("ix_users_id", "ix_users_id_4"))
    files = [f"{VERSIONS}/{rid}_m.py" for rid in ("a1", "b2", "c3", "d4")]
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1,AG105", *files)
    assert codes(report) == [("AG105", f) for f in files[1:]]
    confidence = [f["confidence"] for f in report["findings"]]
    assert confidence == ["low", "medium", "medium"]
    assert (
        "committed before any file of the project named PostgreSQL"
        in (report["findings"][0]["message"])
    )


def test_an_index_of_a_project_that_named_postgresql_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project whose first revision was committed with PostgreSQL named (here in its
    dependencies, as `postgres` in a URL or a driver anywhere would) is taken to have run
    on it since: every index keeps its confidence."""
    repo = _moved_repo(tmp_path, monkeypatch, "asyncpg")
    files = [f"{VERSIONS}/{rid}_m.py" for rid in ("a1", "b2", "c3")]
    _, report, _ = lint(repo, monkeypatch, capsys, "--select", "AG1,AG105", *files)
    assert codes(report) == [("AG105", files[1]), ("AG105", files[2])]
    assert [f["confidence"] for f in report["findings"]] == ["medium", "medium"]


def develop_with_a_pull_request(tmp_path: Path, pulled: list[str]) -> tuple[Repo, str]:
    """Git flow: main holds a1; `develop` takes a feature branch adding `pulled` (each
    building on the one before, from a1) by pull request #8. Returns the repository on
    `develop` and that merge."""
    repo = Repo.init(tmp_path / "repo")
    repo.revision("a1", None, CREATE_USERS)
    repo.commit("a1")
    repo.git("checkout", "-q", "-b", "develop")
    repo.git("checkout", "-q", "-b", "feature")
    down = "a1"
    for revision, table in zip(pulled, (CREATE_ORDERS, ADD_CODE), strict=False):
        repo.revision(revision, down, table)
        repo.commit(revision)
        down = revision
    repo.git("checkout", "-q", "develop")
    pull = "Merge pull request #8 from someone/feature"
    repo.git("merge", "-q", "--no-ff", "-m", pull, "feature")
    return repo, repo.git("rev-parse", "HEAD").strip()


def release_develop(repo: Repo) -> str:
    """main takes `develop` in by pull request #9 (a release); returns that merge, with
    the repository back on `develop`."""
    repo.git("checkout", "-q", "main")
    message = "Merge pull request #9 from someone/develop"
    repo.git("merge", "-q", "--no-ff", "-m", message, "develop")
    merge = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "develop")
    return merge


@pytest.mark.parametrize("merged", [True, False])
def test_git_flow_groups_what_one_merge_into_main_brought(tmp_path: Path, merged: bool) -> None:
    """Baobab works on `develop` (HEAD, the default branch) and deploys `main`, which
    takes `develop` in by pull requests: the revisions one such merge brought ran
    together, though they sit on HEAD's own line (c3) or came to it by a pull request of
    their own (b2). Not before `main` has taken them in (each may yet ship alone), nor
    for the revisions `develop` holds after it."""
    repo, _ = develop_with_a_pull_request(tmp_path, ["b2"])
    repo.revision("c3", "b2", ADD_CODE)
    repo.commit("c3")
    merge = release_develop(repo) if merged else ""
    repo.revision("d4", "c3")
    repo.commit("d4")
    repo.revision("e5", "d4")
    repo.commit("e5")
    found = commits_of(repo.root / VERSIONS)
    if not merged:
        assert found is None
        return
    assert found is not None
    assert (found["a1_m.py"], found["b2_m.py"], found["c3_m.py"]) == (None, merge, merge)
    assert (found["d4_m.py"], found["e5_m.py"]) == (None, None)


def test_git_flow_keeps_the_pull_requests_of_a_large_release_apart(tmp_path: Path) -> None:
    """A merge into main that brings more than MOVED_AT_ONCE revision files (Baobab's
    releases of many pull requests) is not one group, as a commit adding as many is not:
    the pull requests it took in stay the groups they are."""
    repo, pull = develop_with_a_pull_request(tmp_path, ["b2", "c3"])
    down = "c3"
    for number in range(MOVED_AT_ONCE):
        revision = f"d{number:02d}"
        repo.revision(revision, down)
        repo.commit(revision)
        down = revision
    release_develop(repo)
    found = commits_of(repo.root / VERSIONS)
    assert found is not None
    assert (found["b2_m.py"], found["c3_m.py"]) == (pull, pull)
    assert {found[f"d{number:02d}_m.py"] for number in range(MOVED_AT_ONCE)} == {None}
