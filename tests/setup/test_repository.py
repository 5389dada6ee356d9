"""Every setup a git repository tracks, linted from its root (what pre-commit does in a
monorepo): each resolved from its own folder, each with its own graph and closest
settings, paths relative to the root; templates and logging-only inis left out with a
note; FILE arguments lint the setups they belong to."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from alembic_gate.errors import UsageError
from alembic_gate.main import main
from alembic_gate.setup.discovery import find_setups

PROJECTS = Path(__file__).parent.parent / "projects"
BACKEND = "backend/migrations/versions"
AUTH = "services/auth/migrations/versions"

SECOND_HEAD = '''"""a second head

Revision ID: {rev}
Revises: {down}
"""
revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("t_{rev}", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    pass
'''


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def commit_all(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "c")


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(PROJECTS / "monorepo", repo, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo)
    monkeypatch.chdir(repo)
    return repo


def add_head(repo: Path, folder: str, rev: str, down: str) -> str:
    path = repo / folder / f"{rev}_second_head.py"
    path.write_text(SECOND_HEAD.format(rev=rev, down=down))
    return f"{folder}/{path.name}"


def test_every_tracked_setup_from_its_own_folder(monorepo: Path) -> None:
    notes: list[str] = []
    setups = find_setups([], "alembic", [], False, monorepo, notes)
    assert [(s.config_path, s.working_dir, s.flask) for s in setups] == [
        (str(monorepo / "backend" / "alembic.ini"), str(monorepo / "backend"), False),
        (
            str(monorepo / "services/auth/migrations/alembic.ini"),
            str(monorepo / "services/auth"),
            True,
        ),
    ]
    assert setups[0].version_locations == (str(monorepo / BACKEND),)
    assert [note.split(":")[0] for note in notes] == ["tools/alembic.ini is not used"]
    assert "tools/{alembic_dir} does not exist" in notes[0]


def test_lint_at_the_root_reports_root_relative_paths(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "All checks passed: 2 setups, 4 revision files read, 2 heads.\n"
    assert "note: tools/alembic.ini is not used" in captured.err
    head = add_head(monorepo, AUTH, "7c3a2e4f1d32", "6b2f1d3e0c21")
    add_head(monorepo, AUTH, "8d4b3f5a2e43", "6b2f1d3e0c21")
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert f"{head}:6: AG001 [multiple-heads]" in out
    # The auth setup is Flask-Migrate's, run from its folder.
    assert 'fix: cd services/auth && flask db merge -m "merge heads"' in out
    assert "backend/" not in out  # its own graph: the backend has one head


def test_the_json_report_gives_each_setup_with_its_own_heads(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    add_head(monorepo, AUTH, "7c3a2e4f1d32", "6b2f1d3e0c21")
    add_head(monorepo, AUTH, "8d4b3f5a2e43", "6b2f1d3e0c21")
    assert main(["lint", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    backend, auth = report["setups"]
    assert (backend["config"], backend["section"]) == ("backend/alembic.ini", "alembic")
    assert (backend["versions"], backend["revisions"]) == ([BACKEND], 2)
    assert auth["config"] == "services/auth/migrations/alembic.ini"
    assert (auth["versions"], auth["revisions"]) == ([AUTH], 4)
    assert sorted(auth["heads"]) == ["7c3a2e4f1d32", "8d4b3f5a2e43"]
    assert len(backend["heads"]) == 1
    assert sorted(report["heads"]) == sorted(backend["heads"] + auth["heads"])
    assert main(["lint", "--format", "json", "--versions", BACKEND]) == 0
    [alone] = json.loads(capsys.readouterr().out)["setups"]
    assert (alone["config"], alone["section"], alone["versions"]) == (None, None, [BACKEND])


def test_each_setup_uses_its_closest_settings(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """backend/pyproject.toml selects AG107 (an empty downgrade); the auth setup has no
    settings of its own, so the root's (none) apply to it."""
    backend = add_head(monorepo, BACKEND, "2c3d4e5f6071", "1b2c3d4e5f60")
    auth = add_head(monorepo, AUTH, "7c3a2e4f1d32", "6b2f1d3e0c21")
    assert main(["lint", "--format", "json"]) == 0
    import json

    codes = {(f["path"], f["code"]) for f in json.loads(capsys.readouterr().out)["findings"]}
    assert (backend, "AG107") in codes
    assert (auth, "AG107") not in codes


def test_files_lint_the_setups_they_belong_to(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = add_head(monorepo, AUTH, "7c3a2e4f1d32", "6b2f1d3e0c21")
    assert main(["lint", auth]) == 0
    assert "1 setup, 3 revision files read" in capsys.readouterr().out
    assert main(["lint", "backend/alembic.ini"]) == 0
    assert "1 setup, 2 revision files read" in capsys.readouterr().out
    assert main(["lint", auth, "pyproject.toml"]) == 0  # a root file: every setup
    assert "2 setups" in capsys.readouterr().out


def test_a_file_that_does_not_exist_exits_2(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", f"{AUTH}/gone.py"]) == 2
    assert f"no such file: {AUTH}/gone.py" in capsys.readouterr().err


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def repository(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    return tmp_path


def test_named_sections_are_setups_of_their_own(tmp_path: Path) -> None:
    """An ini whose [alembic] section only holds defaults and whose environments are
    named sections (`alembic -n core`, `alembic -n tenant`)."""
    repo = repository(tmp_path)
    write(
        repo / "src/app/alembic.ini",
        """
        [alembic]
        file_template = %%(rev)s

        [core]
        script_location = %(here)s/revisions/core

        [tenant]
        script_location = %(here)s/revisions/tenant
        """,
    )
    for name in ("core", "tenant"):
        write(repo / f"src/app/revisions/{name}/versions/a_{name}.py", "revision='a'\n")
    write(repo / "backend/alembic.ini", "[loggers]\nkeys = root\n")  # logging only
    commit_all(repo)
    notes: list[str] = []
    setups = find_setups([], "alembic", [], False, repo, notes)
    assert [s.section for s in setups] == ["core", "tenant"]
    assert notes == [
        "backend/alembic.ini is not used: backend/alembic.ini has no [alembic] section"
    ]
    only = find_setups([], "tenant", [], False, repo)
    assert [s.section for s in only] == ["tenant"]


def test_named_sections_beside_a_usable_alembic_section(tmp_path: Path) -> None:
    """Onyx's backend/alembic.ini: [alembic] and [schema_private] (`alembic -n
    schema_private`, the tenants' history) each set a script_location; [DEFAULT] sets
    one too, which [loggers] only inherits: not a setup of its own."""
    repo = repository(tmp_path)
    write(
        repo / "backend/alembic.ini",
        """
        [DEFAULT]
        script_location = alembic

        [alembic]
        script_location = alembic

        [schema_private]
        script_location = alembic_tenants

        [loggers]
        keys = root
        """,
    )
    for name in ("alembic", "alembic_tenants"):
        write(repo / f"backend/{name}/versions/a_{name}.py", "revision='a'\n")
    commit_all(repo)
    setups = find_setups([], "alembic", [], False, repo)
    assert [s.section for s in setups] == ["alembic", "schema_private"]
    assert setups[1].script_location == str(repo / "backend/alembic_tenants")


def test_sections_that_only_inherit_a_default_script_location(tmp_path: Path) -> None:
    """c2cgeoportal's commons/alembic.ini: no [alembic]; [DEFAULT] sets script_location,
    which [main] and [static] take with version_locations of their own (`alembic -n
    main`); the logging sections inherit it too, and are no setups (their default
    versions/ folder is empty: an AG011 warning on nothing)."""
    repo = repository(tmp_path)
    write(
        repo / "commons/alembic.ini",
        """
        [DEFAULT]
        script_location = %(here)s/migrations

        [main]
        version_locations = %(here)s/migrations/main

        [static]
        version_locations = %(here)s/migrations/static

        [loggers]
        keys = root

        [handlers]
        keys = console

        [logger_root]
        level = WARN
        """,
    )
    write(repo / "commons/migrations/env.py", "")
    for name in ("main", "static"):
        write(repo / f"commons/migrations/{name}/a_{name}.py", "revision='a'\n")
    commit_all(repo)
    setups = find_setups([], "alembic", [], False, repo)
    assert [s.section for s in setups] == ["main", "static"]


def test_nothing_usable_is_a_configuration_error(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    write(repo / "tools/alembic.ini", "[alembic]\nscript_location = {alembic_dir}\n")
    commit_all(repo)
    with pytest.raises(UsageError) as caught:
        find_setups([], "alembic", [], False, repo)
    message = str(caught.value)
    assert "none that this git repository tracks below it could be used" in message
    assert "tools/alembic.ini is not used" in message


def test_outside_a_repository_nothing_changes(tmp_path: Path) -> None:
    write(tmp_path / "backend/alembic.ini", "[alembic]\nscript_location = migrations\n")
    with pytest.raises(UsageError, match="pass -c FILE or --versions DIR"):
        find_setups([], "alembic", [], False, tmp_path)


def test_untracked_configs_are_not_setups(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    write(repo / "scratch/alembic.ini", "[alembic]\nscript_location = %(here)s\n")
    write(repo / "README", "x\n")
    commit_all(repo)
    (repo / "scratch/alembic.ini").rename(repo / "scratch/alembic.ini.bak")
    write(repo / "other/alembic.ini", "[alembic]\nscript_location = %(here)s\n")  # untracked
    with pytest.raises(UsageError):
        find_setups([], "alembic", [], False, repo)


def test_fail_on_is_one_per_run(monorepo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The setups' own fail-on applies when they agree and the root sets none; the
    command line and the root's table win."""
    add_head(monorepo, BACKEND, "2c3d4e5f6071", "1b2c3d4e5f60")  # AG107: info
    backend = monorepo / "backend" / "pyproject.toml"
    auth = monorepo / "services" / "auth" / "pyproject.toml"
    backend.write_text(backend.read_text() + 'fail-on = "info"\n')
    assert main(["lint"]) == 0  # auth has no settings: the setups do not agree
    auth.write_text('[tool.alembic-gate]\nfail-on = "info"\n')
    assert main(["lint"]) == 1  # now they do
    assert main(["lint", "--fail-on", "error"]) == 0
    (monorepo / "pyproject.toml").write_text('[tool.alembic-gate]\nfail-on = "error"\n')
    assert main(["lint"]) == 0
    capsys.readouterr()
