"""What AG101, AG102 and AG105 warn about happens on a real PostgreSQL, and their fixes work."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from alembic_gate.main import main

from .ag1xx_helpers import CREATE_USERS, migration

pytestmark = pytest.mark.postgres

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENV_PY = """\
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""
SEED = CREATE_USERS + "\nop.execute(\"INSERT INTO users (id, name) VALUES (1, 'ann')\")"


@pytest.fixture
def database() -> Iterator[str]:
    name = f"ag1xx_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no local PostgreSQL: {exc}")
    try:
        yield SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.dispose()


class Project:
    def __init__(self, root: Path, url: str) -> None:
        self.versions = root / "versions"
        self.versions.mkdir(parents=True)
        (root / "env.py").write_text(ENV_PY)
        self.config = Config()
        self.config.set_main_option("script_location", str(root))
        self.config.set_main_option("sqlalchemy.url", url)

    def add(self, revision: str, down: str | None, upgrade: str) -> None:
        (self.versions / f"{revision}_m.py").write_text(migration(revision, down, upgrade))

    def lint(self, codes: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        monkeypatch.chdir(self.versions.parent)
        report = self.versions.parent / "report.json"
        main(["lint", "--versions", "versions", "--select", codes, "--format", f"json={report}"])
        return [f["code"] for f in json.loads(report.read_text())["findings"]]

    def upgrade(self) -> None:
        command.upgrade(self.config, "heads")


@pytest.fixture
def project(tmp_path: Path, database: str) -> Project:
    project = Project(tmp_path / "migrations", database)
    project.add("a1", None, SEED)
    return project


def test_ag101_fails_on_rows_and_its_safe_sequence_applies(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.upgrade()
    project.add(
        "b2", "a1", 'op.add_column("users", sa.Column("email", sa.String(), nullable=False))'
    )
    assert project.lint("AG101,AG102", monkeypatch) == ["AG101"]
    with pytest.raises(sa.exc.IntegrityError, match="contains null values"):
        project.upgrade()
    # the fix AG101 describes: nullable, backfill, NOT NULL in a later revision
    project.add(
        "b2",
        "a1",
        'op.add_column("users", sa.Column("email", sa.String(), nullable=True))\n'
        "op.execute(\"UPDATE users SET email = name || '@example.invalid' WHERE email IS NULL\")",
    )
    project.add("c3", "b2", 'op.alter_column("users", "email", nullable=False)')
    assert project.lint("AG101,AG102", monkeypatch) == []
    project.upgrade()


def test_ag102_fails_on_null_rows_and_passes_after_a_backfill(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.add("b2", "a1", 'op.execute("INSERT INTO users (id, name) VALUES (2, NULL)")')
    project.upgrade()
    alter = 'op.alter_column("users", "name", existing_type=sa.VARCHAR(50), nullable=False)'
    project.add("c3", "b2", alter)
    assert project.lint("AG102", monkeypatch) == ["AG102"]
    with pytest.raises(sa.exc.IntegrityError, match="contains null values"):
        project.upgrade()
    project.add(
        "c3", "b2", "op.execute(\"UPDATE users SET name = '' WHERE name IS NULL\")\n" + alter
    )
    assert project.lint("AG102", monkeypatch) == []
    project.upgrade()


def test_ag105_fix_runs_concurrently_and_the_transaction_form_fails(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = 'op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)'
    project.add("b2", "a1", index)
    assert project.lint("AG105", monkeypatch) == ["AG105"]
    with pytest.raises(sa.exc.DBAPIError, match="cannot run inside a transaction block"):
        project.upgrade()
    project.add("b2", "a1", f"with op.get_context().autocommit_block():\n    {index}")
    assert project.lint("AG105", monkeypatch) == []
    project.upgrade()


def test_ag105_add_column_with_index_builds_it_and_the_fix_runs(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alembic's add_column builds the index of a column with `index=True` (evesrp's
    `request.payout`): CREATE INDEX on the existing table, in the migration's transaction."""
    project.upgrade()
    project.add("b2", "a1", 'op.add_column("users", sa.Column("email", sa.String(), index=True))')
    assert project.lint("AG105", monkeypatch) == ["AG105"]
    project.upgrade()
    with sa.create_engine(project.config.get_main_option("sqlalchemy.url") or "").connect() as c:
        indexes = c.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'users'")
        assert "ix_users_email" in {name for (name,) in indexes}
    # the fix AG105 gives: the column, then its index concurrently
    project.add(
        "c3",
        "b2",
        'op.add_column("users", sa.Column("code", sa.String()))\n'
        "with op.get_context().autocommit_block():\n"
        '    op.create_index("ix_users_code", "users", ["code"], postgresql_concurrently=True)',
    )
    assert project.lint("AG105", monkeypatch) == []  # the head, c3: b2 is older now
    project.upgrade()


def _blocked(url: str, statement: str) -> bool:
    """Whether `statement` waits on a lock (lock_timeout: it fails at once with 55P03
    once it has waited, instead of hanging)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '200ms'")
            try:
                other.exec_driver_sql(statement)
            except sa.exc.OperationalError as exc:
                assert "lock timeout" in str(exc)
                return True
            finally:
                other.rollback()
        return False
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("before", "reads_wait"),
    [
        ("", False),
        ("DROP INDEX ix_users_name", True),
        ("ALTER TABLE users ADD COLUMN nick text", True),
        ("COMMENT ON COLUMN users.name IS 'shown'", False),
    ],
)
def test_ag105_reads_wait_for_an_index_built_after_access_exclusive(
    project: Project, before: str, reads_wait: bool
) -> None:
    """What AG105's note says of a CREATE INDEX after a DROP INDEX, an ADD COLUMN (and not
    after a comment) in the migration's transaction: the earlier statement's ACCESS
    EXCLUSIVE is held until the transaction ends, so reads wait too, not only writes."""
    project.add("a1", None, SEED + '\nop.create_index("ix_users_name", "users", ["name"])')
    project.upgrade()
    url = project.config.get_main_option("sqlalchemy.url") or ""
    engine = sa.create_engine(url)
    with engine.connect() as migration_transaction:
        if before:
            migration_transaction.exec_driver_sql(before)
        migration_transaction.exec_driver_sql("CREATE INDEX ix_users_id_name ON users (id, name)")
        assert _blocked(url, "INSERT INTO users (id, name) VALUES (2, 'bo')")
        assert _blocked(url, "SELECT count(*) FROM users") is reads_wait
        migration_transaction.rollback()
    engine.dispose()
