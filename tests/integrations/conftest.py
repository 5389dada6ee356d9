"""What the CI integrations' tests share: a Python on PATH, the action's checkout, projects.

The GitHub runner and GitLab's Python image both hand the integration a Python with pip
and nothing else. Here that Python is a fresh virtualenv whose site-packages also see
the test environment's (through a .pth file), so installing alembic-gate into it runs
the real `pip install` of the repository without downloading its dependencies.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
import uuid
import venv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .runners import ROOT, Job, Run, run_action, run_job

QUICKSTART = ROOT / "examples" / "quickstart"
FIRST, LAST = "46eedd18c879", "4c535d2e7ab2"  # the quickstart's two revisions

SECOND_HEAD = '''"""a second head

Revision ID: 99aa99aa99aa
Revises: 46eedd18c879
Create Date: 2024-01-01 00:00:00

"""
revision = "99aa99aa99aa"
down_revision = "46eedd18c879"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''

# What of the runner's checkout of the action (the whole repository) the action uses.
_ACTION_FILES = (
    "action.yml",
    ".pre-commit-hooks.yaml",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "scripts",
    "src",
    "templates",
)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def python_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh Python with pip, as actions/setup-python or python:3.12 give."""
    home = tmp_path_factory.mktemp("python")
    venv.EnvBuilder(with_pip=False).create(home)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(home)}))
    (purelib / "_test_env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return home / "bin"


@pytest.fixture(scope="session")
def action_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, where the runner checks out a `uses:` action."""
    target = tmp_path_factory.mktemp("actions") / "alembic-gate"
    target.mkdir()
    for name in _ACTION_FILES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def init_repo(path: Path) -> None:
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.invalid")
    git(path, "config", "user.name", "t")
    commit_all(path, "project")


def commit_all(path: Path, message: str) -> None:
    git(path, "add", ".")
    git(path, "commit", "-qm", message)


def copy_quickstart(target: Path) -> Path:
    shutil.copytree(
        QUICKSTART,
        target,
        ignore=shutil.ignore_patterns("__pycache__", "*.db", ".alembic-gate-cache"),
    )
    return target


def add_second_head(project: Path) -> Path:
    path = project / "migrations" / "versions" / "99aa99aa99aa_a_second_head.py"
    path.write_text(SECOND_HEAD)
    return path


def revision_on(parent: str, revision: str, slug: str) -> str:
    return (
        SECOND_HEAD.replace("99aa99aa99aa", revision)
        .replace(FIRST, parent)
        .replace("a second head", slug)
    )


# Revisions that add a NOT NULL column without a default to a table the history created
# earlier: they pass on empty tables and fail once the table holds rows (AG904).
NOT_NULL_COLUMN = '''"""{slug}

Revision ID: {revision}
Revises: {parent}
"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("{table}", sa.Column("{column}", sa.String(50), nullable=False))


def downgrade() -> None:
    op.drop_column("{table}", "{column}")
'''
NOT_NULL_LINE = 16  # the op.add_column line
# On main before the pull request: user_account.nickname. The pull request: post.slug.
OLD_ROWS = "c0ffee000001"
OLD_ROWS_FILE = "migrations/versions/c0ff_add_nickname.py"
PR_ROWS = "decade000002"
PR_ROWS_FILE = "migrations/versions/deca_add_slug.py"
_MODELS = {
    "user_account": "    name: Mapped[str | None] = mapped_column(String(100))\n",
    "post": "    created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n",
}


def add_not_null_column(
    project: Path, path: str, revision: str, parent: str, table: str, column: str
) -> None:
    """A revision adding `table.column` NOT NULL with no default, and the model's column."""
    source = NOT_NULL_COLUMN.format(
        slug=f"add {column}", revision=revision, parent=parent, table=table, column=column
    )
    (project / path).write_text(source)
    models = project / "models.py"
    anchor = _MODELS[table]
    text = models.read_text()
    assert anchor in text
    column_line = f"    {column}: Mapped[str] = mapped_column(String(50))\n"
    models.write_text(text.replace(anchor, anchor + column_line))


# A table whose CHECK constraint refuses the rows check makes up: a note, not a finding.
REFUSING = "c0c0c0000000"
REFUSING_FILE = "migrations/versions/c0c0_create_country.py"
REFUSING_TABLE = '''"""create country

Revision ID: c0c0c0000000
Revises: {parent}
"""
from alembic import op
import sqlalchemy as sa

revision = "c0c0c0000000"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "country",
        sa.Column("code", sa.String(3), primary_key=True),
        sa.CheckConstraint("{check}", name="known_code"),
    )


def downgrade() -> None:
    op.drop_table("country")
'''
REFUSING_CHECK = "substr(code, 1, 1) = 'Q' AND substr(code, 3, 1) = 'Z'"
REFUSING_MODEL = f'''

class Country(Base):
    __tablename__ = "country"
    __table_args__ = (CheckConstraint("{REFUSING_CHECK}", name="known_code"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
'''


def add_refusing_table(project: Path, parent: str) -> None:
    """REFUSING on `parent`, and its model."""
    source = REFUSING_TABLE.format(parent=parent, check=REFUSING_CHECK)
    (project / REFUSING_FILE).write_text(source)
    models = project / "models.py"
    text = models.read_text().replace("import ForeignKey,", "import CheckConstraint, ForeignKey,")
    models.write_text(text + REFUSING_MODEL)


@pytest.fixture
def rows_origin(tmp_path: Path) -> Path:
    """origin of a project whose main already holds a revision that fails once its table
    holds rows (OLD_ROWS, long deployed), and a branch `feature` (the pull request) that
    adds another on top (PR_ROWS). `check --base main` speaks of PR_ROWS only. Below them,
    a table no rows can be made for (REFUSING): a note in every report."""
    origin = copy_quickstart(tmp_path / "origin")
    add_refusing_table(origin, LAST)
    add_not_null_column(origin, OLD_ROWS_FILE, OLD_ROWS, REFUSING, "user_account", "nickname")
    init_repo(origin)
    git(origin, "checkout", "-q", "-b", "feature")
    add_not_null_column(origin, PR_ROWS_FILE, PR_ROWS, OLD_ROWS, "post", "slug")
    commit_all(origin, f"feature: revision {PR_ROWS}")
    git(origin, "checkout", "-q", "main")
    return origin


def shallow_clone(origin: Path, branch: str, target: Path) -> Path:
    """What a CI runner clones: one commit of `branch`, no other branch."""
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--branch", branch, origin.as_uri(), str(target)],
        check=True,
        capture_output=True,
    )
    assert git(target, "rev-parse", "--is-shallow-repository") == "true"
    return target


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A git repository holding the quickstart project (at `subdir`), optionally two heads."""

    def make(*, two_heads: bool = False, subdir: str = "") -> Path:
        repo = tmp_path / "workspace"
        project = copy_quickstart(repo / subdir if subdir else repo)
        if two_heads:
            add_second_head(project)
        init_repo(repo)
        return repo

    return make


@pytest.fixture
def pr_clone(tmp_path: Path) -> Path:
    """A shallow clone of a feature branch whose new revision sits on a stale parent.

    origin's main gained revision aaaa after the branch left it; the branch adds bbbb on
    the old head. The clone holds one commit of the branch and no main.
    """
    origin = tmp_path / "origin"
    copy_quickstart(origin)
    init_repo(origin)
    git(origin, "checkout", "-q", "-b", "feature")
    (origin / "migrations" / "versions" / "bbbb_feature.py").write_text(
        revision_on(LAST, "bbbbbbbbbbbb", "feature")
    )
    commit_all(origin, "feature revision")
    git(origin, "checkout", "-q", "main")
    (origin / "migrations" / "versions" / "aaaa_main.py").write_text(
        revision_on(LAST, "aaaaaaaaaaaa", "main")
    )
    commit_all(origin, "main revision")
    return shallow_clone(origin, "feature", tmp_path / "workspace")


def checkout(origin: Path, ref: str, target: Path) -> Path:
    """What actions/checkout does: one commit of `ref` from origin, detached."""
    target.mkdir()
    git(target, "init", "-q")
    git(target, "remote", "add", "origin", origin.as_uri())
    git(target, "fetch", "-q", "--no-tags", "--depth=1", "origin", f"+{ref}:refs/remotes/checkout")
    git(target, "checkout", "-q", "--detach", "refs/remotes/checkout")
    assert git(target, "rev-parse", "--is-shallow-repository") == "true"
    return target


def pull_request(origin: Path, branch: str, revision: str) -> None:
    """A branch `branch` off main adding `revision` on the quickstart's head."""
    git(origin, "checkout", "-q", "-b", branch, "main")
    (origin / "migrations" / "versions" / f"{revision[:4]}_{branch}.py").write_text(
        revision_on(LAST, revision, branch)
    )
    commit_all(origin, f"{branch}: revision {revision}")
    git(origin, "checkout", "-q", "main")


def merge_into(origin: Path, base: str, branch: str, ref: str) -> None:
    """`ref`: a merge commit of `branch` into `base` (first parent), as GitHub makes them."""
    git(origin, "checkout", "-q", "--detach", base)
    git(origin, "merge", "-q", "--no-ff", "--no-edit", branch)
    git(origin, "update-ref", ref, "HEAD")
    git(origin, "checkout", "-q", "main")


@pytest.fixture
def merge_checkout(tmp_path: Path) -> Path:
    """GitHub's `pull_request` checkout: refs/pull/1/merge, depth 1.

    The pull request adds bbbb on the quickstart's head; main gained aaaa on the same
    head after it branched. GitHub's merge of the two has two heads.
    """
    origin = tmp_path / "origin"
    copy_quickstart(origin)
    init_repo(origin)
    pull_request(origin, "feature", "bbbbbbbbbbbb")
    (origin / "migrations" / "versions" / "aaaa_main.py").write_text(
        revision_on(LAST, "aaaaaaaaaaaa", "main")
    )
    commit_all(origin, "main revision")
    merge_into(origin, "main", "feature", "refs/pull/1/merge")
    return checkout(origin, "refs/pull/1/merge", tmp_path / "workspace")


@pytest.fixture
def action(python_bin: Path, action_checkout: Path, tmp_path: Path) -> Callable[..., Run]:
    """Run action.yml in a workspace: `action(workspace, base_ref="main", sarif="x")`."""

    def run(
        workspace: Path,
        base_ref: str = "",
        extra_env: dict[str, str] | None = None,
        **inputs: str,
    ) -> Run:
        runner = tmp_path / "runner"
        return run_action(
            python_bin,
            action_checkout,
            runner,
            workspace,
            inputs,
            base_ref=base_ref,
            extra_env=extra_env,
        )

    return run


@pytest.fixture
def gitlab_job(python_bin: Path, action_checkout: Path) -> Callable[..., Job]:
    """Run the component's job in a project; `package` is this checkout (no PyPI needed)."""

    def run(
        project: Path,
        shell: str = "bash",
        ci: dict[str, str] | None = None,
        override: dict[str, Any] | None = None,
        **inputs: str,
    ) -> Job:
        inputs = {**inputs, "package": str(action_checkout)}
        return run_job(python_bin, project, inputs, shell=shell, ci=ci, override=override)

    return run


@pytest.fixture
def make_database() -> Iterator[Callable[[], str]]:
    """Empty databases gl_<random> on the local PostgreSQL server, dropped afterwards:
    one per call (check refuses a database an earlier run migrated)."""
    psycopg = pytest.importorskip("psycopg")
    names: list[str] = []

    def make() -> str:
        name = f"gl_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return f"postgresql://postgres@127.0.0.1:5432/{name}"

    try:
        yield make
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch_database(make_database: Callable[[], str]) -> str:
    """An empty database on the local PostgreSQL server, dropped afterwards."""
    return make_database()
