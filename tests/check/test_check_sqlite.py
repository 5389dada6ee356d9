"""`alembic-gate check --db sqlite`: every env.py style and every finding, on SQLite files."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    PROJECTS,
    Run,
    add_fix_revision,
    edit,
    limit_once,
    line_of,
    partial_descending_index,
    tables,
)

Project = Callable[[str], Path]
Check = Callable[..., Run]

GENERIC_REVISIONS = "migrations/versions"
FAILING = "migrations/versions/c9e2b7d41a05_add_user_email.py"


def test_a_clean_project_passes_with_a_round_trip(project: Project, check: Check) -> None:
    project("generic")
    run = check("--db", "sqlite", "--roundtrip")
    assert run.code == 0
    # What was covered, so a pass can be told apart from a run that did nothing.
    assert re.fullmatch(
        r"All checks passed: SQLite 3\.\d+\.\d+, 3 revisions applied in \d+\.\ds\.\n", run.out
    )


def test_drift_is_one_finding_per_difference_at_the_model(project: Project, check: Check) -> None:
    root = project("drift")
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    by_message = {f["message"]: f for f in run.findings}
    nickname = by_message["column users.nickname is in the models but not in the migrated database"]
    assert nickname["code"] == "AG902"
    assert (nickname["path"], nickname["line"]) == (
        "models.py",
        line_of(root / "models.py", "nickname"),
    )
    assert nickname["fix"] == (
        "op.add_column('users', sa.Column('nickname', sa.String(length=40), nullable=True))"
    )
    title = by_message[
        "column posts.title is VARCHAR(200) in the migrated database but VARCHAR(300) in the models"
    ]
    assert title["line"] == line_of(root / "models.py", "title:")
    assert "type_=sa.String(length=300)" in title["fix"]
    assert len(run.findings) == 2


def test_drift_is_located_at_the_assignment_not_the_docstring(
    project: Project, check: Check
) -> None:
    """A docstring naming the attribute (`Attributes:` in Google style) comes first."""
    root = project("drift")
    edit(
        root / "models.py",
        '    __tablename__ = "users"\n',
        '    """A user.\n\n    Attributes:\n        nickname: what friends call them\n    """\n\n'
        '    __tablename__ = "users"\n',
    )
    run = check("--db", "sqlite", "--format", "json")
    [nickname] = [f for f in run.findings if "users.nickname" in f["message"]]
    assert (nickname["path"], nickname["line"]) == (
        "models.py",
        line_of(root / "models.py", "nickname: Mapped"),
    )


HELPER_MODELS = """\"\"\"The tables as the revisions read them (not the models).\"\"\"

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Helper = declarative_base()


class UserThen(Helper):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)
    nickname = sa.Column(sa.String(40))


class PostThen(Helper):
    __tablename__ = "posts"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(200))
"""


def test_drift_is_located_at_the_model_not_a_revisions_own_class(
    project: Project, check: Check
) -> None:
    """Classes a revision maps a table with, to read or fix its rows (kept in a module
    of their own, as Superset's migrations/shared/ are), are no models: the drift stays
    at models.py (Superset's ab_view_menu, tab_state and tables drift was placed at
    such classes)."""
    root = project("drift")
    (root / "data_fix.py").write_text(HELPER_MODELS, encoding="utf-8")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(
        revision, "import sqlalchemy as sa\n", "import sqlalchemy as sa\nimport data_fix  # noqa\n"
    )
    run = check("--db", "sqlite", "--format", "json")
    places = sorted((f["path"], f["line"]) for f in run.findings)
    assert places == sorted(
        [
            ("models.py", line_of(root / "models.py", "nickname: Mapped")),
            ("models.py", line_of(root / "models.py", "title: Mapped")),
        ]
    )


def test_a_failing_migration_is_located_at_its_file_and_line(
    project: Project, check: Check
) -> None:
    root = project("failing")
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    [finding] = run.findings
    assert finding["code"] == "AG901"
    assert finding["path"] == FAILING
    assert finding["line"] == line_of(root / FAILING, "op.execute(")
    message = finding["message"]
    assert message.startswith("upgrade of c9e2b7d41a05 (add user email) failed: ")
    assert "no such column: username" in message
    assert "the database is at 7a3d5e8c2f40" in message


def test_a_failing_import_in_the_models_is_located_there(project: Project, check: Check) -> None:
    root = project("generic")
    edit(
        root / "models.py",
        "class Base(DeclarativeBase):",
        "import not_installed\n\n\nclass Base(DeclarativeBase):",
    )
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", "models.py")
    assert finding["line"] == line_of(root / "models.py", "import not_installed")
    assert "No module named 'not_installed'" in finding["message"]


@pytest.mark.parametrize("name", ["models.py", "migrations/env.py"])
def test_a_syntax_error_is_located_where_it_is(project: Project, check: Check, name: str) -> None:
    """A file that does not compile has no frame in the traceback: the error's own place."""
    root = project("generic")
    with (root / name).open("a") as handle:
        handle.write("\n\ndef broken(:\n    pass\n")
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", name)
    assert finding["line"] == line_of(root / name, "def broken(:")
    assert "SyntaxError" in finding["message"]


@pytest.mark.parametrize(
    ("raised", "named"),
    [
        ("__import__('asyncio').CancelledError()", "CancelledError"),
        ("KeyboardInterrupt('stop')", "KeyboardInterrupt: stop"),
        ("GeneratorExit()", "GeneratorExit"),
        ("type('Halt', (BaseException,), {})('no more')", "Halt: no more"),
        ("SystemExit(3)", "SystemExit: 3"),
    ],
)
def test_a_migration_raising_a_base_exception_is_ag901(
    project: Project, check: Check, raised: str, named: str
) -> None:
    # Not an Exception, yet the migration's failure: reported at its line like any other.
    root = project("generic")
    edit(
        root / FAILING, "def upgrade() -> None:\n", f"def upgrade() -> None:\n    raise {raised}\n"
    )
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1, run.err
    [finding] = run.findings
    assert (finding["code"], finding["path"]) == ("AG901", FAILING)
    assert finding["line"] == line_of(root / FAILING, "    raise ")
    assert f"failed: {named}" in finding["message"]
    assert "Traceback" not in run.err


def test_async_template(project: Project, check: Check) -> None:
    project("async")
    run = check("--db", "sqlite", "--roundtrip")
    assert run.code == 0, run.out + run.err


def test_multidb_template_migrates_one_database_per_engine(project: Project, check: Check) -> None:
    root = project("multidb")
    assert check("--db", "sqlite", "--roundtrip").code == 0
    edit(
        root / "models.py",
        '    Column("entry", Text),',
        '    Column("entry", Text),\n    Column("actor", String(50)),',
    )
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["message"] == (
        "column audit_log.actor is in the models but not in the migrated database"
    )
    assert (finding["path"], finding["line"]) == (
        "models.py",
        line_of(root / "models.py", '"actor"'),
    )
    assert (
        finding["fix"]
        == "op.add_column('audit_log', sa.Column('actor', sa.String(length=50), nullable=True))"
    )


def test_env_py_given_a_connection_in_config_attributes(project: Project, check: Check) -> None:
    project("attributes")
    run = check("--db", "sqlite", "--roundtrip")
    assert run.code == 0, run.out + run.err


def test_env_py_that_connects_from_the_connection_it_may_be_given(
    project: Project, check: Check
) -> None:
    # alembic's old cookbook recipe (JupyterHub): `config.attributes.get("connection")`,
    # else an Engine, then `.connect()` on it. alembic passes no connection, so env.py
    # makes its Engine; the connection check lends must answer `.connect()` too.
    project("attributes_branch")
    run = check("--db", "sqlite", "--roundtrip")
    assert run.code == 0, run.out + run.err
    assert "3 revisions applied" in run.out


def test_env_py_reading_its_own_variable_needs_url_env(project: Project, check: Check) -> None:
    root = project("url_env")
    refused = check("--db", "sqlite")
    assert refused.code == 2
    assert f"env.py connects to sqlite:///{root / 'dev.db'}, a URL of its own" in refused.err
    assert "--url-env NAME" in refused.err and "--env NAME=VALUE" in refused.err
    assert not (root / "dev.db").exists()  # stopped before it even connected
    assert check("--db", "sqlite", "--url-env", "APP_DATABASE_URL").code == 0


def test_env_py_options_and_x_arguments_are_honoured(project: Project, check: Check) -> None:
    root = project("options")
    # compare_type=False hides users.name's width; include_name hides legacy_audit.
    assert check("--db", "sqlite").code == 0
    run = check("--db", "sqlite", "-x", "legacy=include", "--format", "json")
    [finding] = run.findings
    assert (
        finding["message"] == "table legacy_audit is in the migrated database but not in the models"
    )
    revision = "migrations/versions/8b2f4d6e0a57_create_legacy_audit.py"
    assert (finding["path"], finding["line"]) == (
        revision,
        line_of(root / revision, "op.create_table("),
    )
    assert finding["fix"] == "op.drop_table('legacy_audit')"


def test_compare_server_default_from_env_py(project: Project, check: Check) -> None:
    root = project("options")
    edit(root / "models.py", 'server_default="new"', 'server_default="pending"')
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["message"] == (
        "column users.status has server default 'new' in the migrated database "
        "but 'pending' in the models"
    )
    assert "server_default='pending'" in finding["fix"]


def test_a_database_left_behind_by_env_py_is_ag801(project: Project, check: Check) -> None:
    project("behind")
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["code"] == "AG801"
    assert finding["fix"] == "alembic upgrade heads"
    assert "3 pending, oldest first: 4f1c2a9e0b11, 7a3d5e8c2f40, c9e2b7d41a05" in finding["message"]
    assert "Target database is not up to date" not in run.out
    assert "did not commit its transaction" in finding["message"]


def test_a_lossy_downgrade_is_ag903_at_the_downgrade(project: Project, check: Check) -> None:
    root = project("roundtrip")
    assert check("--db", "sqlite").code == 0  # without --roundtrip nothing is wrong
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    [finding] = run.findings
    tags = "migrations/versions/b6c1d9e3f2a8_create_tags.py"
    assert finding == {
        "code": "AG903",
        "name": "downgrade-failed",
        "severity": "error",
        "path": tags,
        "line": line_of(root / tags, "def downgrade"),
        "message": "the downgrade to base left table tags behind",
        "fix": "op.drop_table('tags')",
        "confidence": "high",
    }


def test_a_round_trip_over_columns_without_a_type(project: Project, check: Check) -> None:
    """SQLite lets a column have no type (`CREATE TABLE legacy (a, b)`); SQLAlchemy
    reflects it as NullType, which compiles to no DDL: the round trip's snapshot of the
    schema stopped with a traceback (CompileError)."""
    root = project("generic")
    first = root / GENERIC_REVISIONS / "4f1c2a9e0b11_create_users.py"
    edit(
        first,
        "def upgrade() -> None:\n",
        'def upgrade() -> None:\n    op.execute("CREATE TABLE legacy (a, b)")\n',
    )
    edit(
        first,
        "def downgrade() -> None:\n",
        'def downgrade() -> None:\n    op.execute("DROP TABLE legacy")\n',
    )
    run = check("--db", "sqlite", "--roundtrip", "--ignore", "AG902")
    assert run.code == 0, run.out + run.err


def test_a_failing_downgrade_is_ag903_at_its_line(project: Project, check: Check) -> None:
    root = project("generic")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(revision, '    op.drop_column("users", "email")', '    op.drop_column("users", "e_mail")')
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    [finding] = run.findings
    assert finding["code"] == "AG903"
    assert finding["line"] == line_of(revision, '"e_mail"')
    assert finding["message"].startswith("downgrade of c9e2b7d41a05 (add user email) failed: ")


@pytest.mark.parametrize(
    "comment", ["# alembic-gate: ignore[AG903]", "# Alembic-Gate: IGNORE[ag903]"]
)
def test_an_irreversible_downgrade_is_suppressed_on_its_def_line(
    project: Project, check: Check, comment: str
) -> None:
    """AG903.md: a revision that cannot be undone raises and carries the suppression on
    its `def downgrade` line; the finding is at the raising line, and the suppression
    there was "unused" while the run failed. The comment in another letter case too (it
    was read in lower case only)."""
    root = project("generic")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(
        revision,
        "def downgrade() -> None:\n",
        f"def downgrade() -> None:  {comment}\n"
        '    """Emails cannot be dropped again."""\n'
        '    raise NotImplementedError("irreversible")\n',
    )
    run = check("--db", "sqlite", "--roundtrip", "--format", "json")
    assert (run.code, run.findings) == (0, []), run.out + run.err
    assert "unused suppression" not in run.out + run.err
    # Not a silent pass: the round trip went no further than that downgrade.
    assert json.loads(run.out)["notes"] == [
        "migrations/versions/c9e2b7d41a05_add_user_email.py:"
        f"{line_of(revision, 'raise')}: the round trip stopped at a suppressed AG903 (downgrade "
        "of c9e2b7d41a05 (add user email) failed): the downgrades below it, the upgrade "
        "again and the comparison did not run"
    ]
    edit(revision, f"  {comment}", "")
    [finding] = check("--db", "sqlite", "--roundtrip", "--format", "json").findings
    assert (finding["code"], finding["line"]) == ("AG903", line_of(revision, "raise"))


def test_flask_migrate_app_points_at_the_throwaway_database(project: Project, check: Check) -> None:
    root = project("flask")
    assert check("--db", "sqlite", "--flask-app", "app", "--roundtrip").code == 0
    edit(
        root / "app.py",
        "    email = db.Column(db.String(120), index=True)\n",
        "    email = db.Column(db.String(120), index=True)\n    bio = db.Column(db.String(500))\n",
    )
    run = check("--db", "sqlite", "--format", "json")  # app.py found as `flask` finds it
    [finding] = run.findings
    assert (finding["path"], finding["line"]) == ("app.py", line_of(root / "app.py", "bio ="))
    assert finding["fix"] == (
        "with op.batch_alter_table('user', schema=None) as batch_op:\n"
        "    batch_op.add_column(sa.Column('bio', sa.String(length=500), nullable=True))"
    )
    assert not (root / "instance").exists()  # the app's own sqlite:///dev.db was never made


def test_models_above_the_folder_check_runs_in_are_the_projects(
    project: Project, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mwdb-core runs Flask-Migrate from mwdb/model/migrations, below the models of its
    package: a drift finding was placed at env.py, its model called "outside the project",
    though it lies in the same git work tree."""
    root = project("generic")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    db = root / "db"
    db.mkdir()
    (root / "migrations").rename(db / "migrations")
    ini = (
        (root / "alembic.ini").read_text().replace("prepend_sys_path = .", "prepend_sys_path = ..")
    )
    (db / "alembic.ini").write_text(ini)
    (root / "alembic.ini").unlink()
    models = root / "models.py"
    edit(
        models,
        "    title: Mapped[str] = mapped_column(String(200))\n",
        "    title: Mapped[str] = mapped_column(String(200))\n"
        "    body: Mapped[str] = mapped_column(String(500))\n",
    )
    monkeypatch.chdir(db)
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["message"].startswith("column posts.body "), finding
    assert "outside the project" not in finding["message"]
    assert (finding["path"], finding["line"]) == (str(models), line_of(models, "body:")), finding


def test_a_plain_env_py_that_builds_a_flask_app_runs_as_plain_alembic(
    project: Project, check: Check
) -> None:
    """gramps-web-api's env.py imports Flask to read its settings from an app of its own,
    and runs under plain alembic: check looked for a Flask-Migrate app and stopped."""
    root = project("generic")
    edit(
        root / "migrations/env.py",
        "from models import Base\n",
        'from models import Base\nfrom flask import Flask\n\nsettings = Flask("settings").config\n',
    )
    run = check("--db", "sqlite", "--format", "json")
    assert (run.code, run.findings) == (0, []), run.out + run.err


def test_a_flask_app_run_from_inside_its_package_says_so(
    project: Project, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FitTrackee's alembic.ini sits in src/fittrackee/migrations, and src/fittrackee is a
    package: run there, Flask (as `flask --app` does) looks for `fittrackee.fittrackee`.
    The message said to pass --flask-app module:app, which had been passed."""
    root = project("flask")
    package = root / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (root / "app.py").rename(package / "app.py")
    (root / "migrations").rename(package / "migrations")
    monkeypatch.chdir(package)
    run = check("--db", "sqlite", "--flask-app", "shop.app")
    assert run.code == 2, run.out + run.err
    assert (
        "the current folder is package shop (it holds __init__.py), so Flask looks for the "
        "module inside it, as `flask --app` run here does: run check from the folder above"
    ) in run.err, run.err


def test_an_error_that_says_nothing_is_described_by_its_cause(
    project: Project, check: Check
) -> None:
    """Superset's app factory turns a failed CREATE SEQUENCE into `raise SQLAlchemyError()
    from ex`, which SQLAlchemy writes as "()": the finding said "SQLAlchemyError: ()"
    and nothing of why. The cause the exception was raised from says it."""
    root = project("flask")
    edit(
        root / "app.py",
        "    migrate.init_app(app, db)\n",
        "    migrate.init_app(app, db)\n"
        "    try:\n"
        '        raise ValueError("CREATE SEQUENCE users_id_seq was refused")\n'
        "    except ValueError as ex:\n"
        "        from sqlalchemy.exc import SQLAlchemyError\n\n"
        "        raise SQLAlchemyError() from ex\n",
    )
    run = check("--db", "sqlite", "--flask-app", "app:create_app()", "--format", "json")
    [finding] = run.findings
    assert finding["code"] == "AG901"
    assert finding["message"].startswith(
        "loading the Flask app failed: SQLAlchemyError, raised from ValueError: "
        "CREATE SEQUENCE users_id_seq was refused"
    ), finding["message"]


def test_an_app_that_upgrades_itself_when_loaded_is_said_to(project: Project, check: Check) -> None:
    # CTFd's and ihatemoney's create_app() run Flask-Migrate's upgrade(): check's own
    # `upgrade heads` then applies nothing, seeds nothing and traces nothing. It passes
    # (the comparison with the models still holds), and says what was not measured.
    project("flask_upgrades")
    run = check("--db", "sqlite", "--flask-app", "app:create_app()", "--format", "json")
    assert run.code == 0, run.out + run.err
    [note] = json.loads(run.out)["notes"]
    assert note.startswith("app.py: the database was already at 9c0d8e7f6a5b when check's")
    assert "loading the Flask app applied 2 revisions itself" in note
    text = check("--db", "sqlite", "--flask-app", "app:create_app()")
    assert text.code == 0
    assert "note: " in text.out and "0 revisions applied" in text.out


OTHER_HEAD = '''"""other head"""
import sqlalchemy as sa
from alembic import op

revision = "d00d00d00d00"
down_revision = "{parent}"


def upgrade():
    {body}


def downgrade():
    pass
'''


def test_two_heads_are_ag001_and_both_are_still_applied(project: Project, check: Check) -> None:
    root = project("generic")
    second = root / GENERIC_REVISIONS / "d00d00d00d00_other_head.py"
    second.write_text(
        OTHER_HEAD.format(
            parent="4f1c2a9e0b11",
            # This branch creates the table the other branch creates too: the merge would
            # fail, and only applying both heads shows it.
            body='op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True))',
        )
    )
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    assert sorted(run.codes()) == ["AG001", "AG001", "AG901"]
    [failed] = [f for f in run.findings if f["code"] == "AG901"]
    assert "table posts already exists" in failed["message"]


def test_two_heads_that_apply_cleanly_are_only_ag001(project: Project, check: Check) -> None:
    root = project("generic")
    second = root / GENERIC_REVISIONS / "d00d00d00d00_other_head.py"
    second.write_text(OTHER_HEAD.format(parent="7a3d5e8c2f40", body="pass"))
    run = check("--db", "sqlite", "--format", "json")
    assert sorted(run.codes()) == ["AG001", "AG001"]


def test_a_missing_parent_stops_the_check_before_any_database(
    project: Project, check: Check
) -> None:
    root = project("generic")
    second = root / GENERIC_REVISIONS / "d00d00d00d00_other_head.py"
    second.write_text(OTHER_HEAD.format(parent="0badc0ffee00", body="pass"))
    # An unreachable server: getting past the graph rules would be exit 3.
    run = check("--database-url", "postgresql://nobody@127.0.0.1:1/none", "--format", "json")
    assert run.code == 1
    assert "AG002" in run.codes() and "AG901" not in run.codes()


def test_a_non_empty_database_is_refused(project: Project, check: Check, tmp_path: Path) -> None:
    project("generic")
    database = tmp_path / "in_use.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    run = check("--database-url", f"sqlite:///{database}")
    assert run.code == 2
    assert "is not empty: it holds 1 object(s) (table customers)" in run.err
    assert "--allow-nonempty" in run.err
    assert tables(f"sqlite:///{database}") == ["customers"]
    allowed = check(
        "--database-url", f"sqlite:///{database}", "--allow-nonempty", "--format", "json"
    )
    # Migrated; the extra table is drift, as alembic check would say.
    assert [f["message"] for f in allowed.findings] == [
        "table customers is in the migrated database but not in the models"
    ]
    assert tables(f"sqlite:///{database}") == ["alembic_version", "customers", "posts", "users"]


def test_a_round_trip_leaves_the_tables_held_before_alone(
    project: Project, check: Check, tmp_path: Path
) -> None:
    """--allow-nonempty --roundtrip: a table the database held before check ran is not one
    a downgrade should have removed (it was AG903 "left table customers behind", with the
    fix op.drop_table('customers'))."""
    project("generic")
    database = tmp_path / "in_use.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    url = f"sqlite:///{database}"
    flags = ["--allow-nonempty", "--roundtrip", "--ignore", "AG902", "--format", "json"]
    run = check("--database-url", url, *flags)
    assert (run.code, run.findings) == (0, []), run.out + run.err
    assert tables(url) == ["alembic_version", "customers", "posts", "users"]


def test_a_file_that_is_no_database_is_an_environment_error(
    project: Project, check: Check, tmp_path: Path
) -> None:
    project("generic")
    notes = tmp_path / "notes.txt"
    notes.write_text("precious notes\n")
    run = check("--database-url", f"sqlite:///{notes}")
    assert run.code == 3, run.err
    assert "cannot use the database" in run.err and "file is not a database" in run.err
    assert "Traceback" not in run.err
    assert notes.read_text() == "precious notes\n"
    allowed = check("--database-url", f"sqlite:///{notes}", "--allow-nonempty")
    assert allowed.code == 3 and "file is not a database" in allowed.err
    assert "Traceback" not in allowed.err


@pytest.mark.parametrize(
    "url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file:mem?mode=memory&uri=true"]
)
def test_an_in_memory_database_is_a_usage_error(project: Project, check: Check, url: str) -> None:
    # Each step connects anew (the worker's probe, env.py, the comparison): an in-memory
    # database would be a new, empty one each time.
    project("generic")
    run = check("--database-url", url)
    assert run.code == 2, run.err
    assert "an in-memory SQLite database cannot hold the migrated schema" in run.err
    assert "AG801" not in run.err + run.out


def test_versions_without_a_config_is_a_usage_error(project: Project, check: Check) -> None:
    project("generic")
    run = check("--versions", GENERIC_REVISIONS, "--db", "sqlite")
    assert run.code == 2
    assert "needs an Alembic config" in run.err


def test_docker_unreachable_is_exit_3_with_advice(
    project: Project, check: Check, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project("generic")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-docker.sock'}")
    run = check("--db", "postgres")
    assert run.code == 3
    assert run.err.startswith("alembic-gate: error: cannot reach Docker")
    assert "--db sqlite" in run.err and "--database-url" in run.err
    assert "Traceback" not in run.err


def test_every_format_in_one_run(project: Project, check: Check, tmp_path: Path) -> None:
    project("failing")
    sarif = tmp_path / "out" / "check.sarif"
    run = check("--db", "sqlite", "--format", "github", "--format", f"sarif={sarif}")
    assert run.code == 1
    assert run.out.startswith(f"::error file={FAILING},line=25,title=AG901 upgrade-failed::")
    result = json.loads(sarif.read_text())["runs"][0]["results"][0]
    assert result["ruleId"] == "AG901"
    location = result["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == (FAILING, 25)


def test_inline_suppression_in_the_revision_file(project: Project, check: Check) -> None:
    root = project("failing")
    edit(root / FAILING, "    op.execute(\n", "    op.execute(  # alembic-gate: ignore[AG901]\n")
    assert check("--db", "sqlite").code == 0


def test_pyproject_config_without_models(
    check: Check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `alembic init -t pyproject`: script_location in [tool.alembic], target_metadata = None.
    root = Path(shutil.copytree(PROJECTS / "pyproject_cfg", tmp_path / "pyproject_cfg"))
    monkeypatch.chdir(root)
    run = check("--db", "sqlite")
    assert run.code == 2
    assert "env.py gives alembic no target_metadata" in run.err
    # Applying the migrations (and undoing them) needs no models.
    assert check("--db", "sqlite", "--ignore", "AG902", "--roundtrip").code == 0


def test_an_unreachable_database_url_is_exit_3(project: Project, check: Check) -> None:
    project("generic")
    run = check("--database-url", "postgresql://app:hunter2@127.0.0.1:1/app")
    assert run.code == 3
    assert run.err.startswith("alembic-gate: error: cannot connect to the database: ")
    assert "hunter2" not in run.err and "Traceback" not in run.err


def test_a_database_url_naming_a_missing_driver_is_exit_2(project: Project, check: Check) -> None:
    # mysql-connector: no extra installs it (scripts/test installs mysqlclient, which this
    # test named before).
    try:
        import mysql.connector  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("mysql-connector-python is installed here")
    project("generic")
    run = check("--database-url", "mysql+mysqlconnector://app:hunter2@127.0.0.1:1/app")
    assert run.code == 2
    assert "the mysql+mysqlconnector driver is not installed (mysql)" in run.err
    assert "hunter2" not in run.err and "Traceback" not in run.err


def test_a_database_url_that_is_not_a_url_is_exit_2(project: Project, check: Check) -> None:
    project("generic")
    run = check("--database-url", "localhost:5432")
    assert run.code == 2
    assert "is not a URL" in run.err


def test_index_and_constraint_drift(project: Project, check: Check) -> None:
    root = project("generic")
    models = root / "models.py"
    edit(models, "String(120), index=True)", "String(120))")
    edit(
        models,
        "name: Mapped[str] = mapped_column(String(50))",
        "name: Mapped[str] = mapped_column(String(50), unique=True)",
    )
    run = check("--db", "sqlite", "--format", "json")
    found = {f["message"]: (f["line"], f["fix"]) for f in run.findings}
    assert found == {
        # (SQLite: in a batch block, under a name, which its batch mode needs)
        "unique constraint on users(name) is in the models but not in the migrated database": (
            line_of(models, "name: Mapped"),
            "with op.batch_alter_table('users', schema=None) as batch_op:\n"
            "    batch_op.create_unique_constraint('uq_users_name', ['name'])",
        ),
        "index ix_users_email on users(email) is in the migrated database but not in the models": (
            line_of(models, "email: Mapped"),
            "op.drop_index(op.f('ix_users_email'), table_name='users')",
        ),
    }
    add_fix_revision(root, "\n".join(fix for _, fix in found.values()))
    assert check("--db", "sqlite", "--no-seed", "--format", "json").findings == []


def test_an_index_changed_under_its_name_is_one_finding(project: Project, check: Check) -> None:
    """alembic gives a changed index as a removal and an addition of one name: that is one
    difference, with one fix that drops the old index before creating the new one (each
    half alone fails: create_index meets the index the database still has). Found by
    MLflow's models, whose index of two tables lost its columns."""
    root = project("generic")
    models = root / "models.py"
    edit(models, "import ForeignKey, String", "import ForeignKey, Index, String")
    edit(
        models,
        "    email: Mapped[str | None] = mapped_column(String(120), index=True)\n",
        "    email: Mapped[str | None] = mapped_column(String(120))\n\n"
        '    __table_args__ = (Index("ix_users_email", "email", "name", unique=True),)\n',
    )
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    [finding] = run.findings
    assert finding["message"] == (
        "index ix_users_email on users is (email) in the migrated database "
        "but unique (email, name) in the models"
    )
    # Where the models' side is: its Index(...), not the class.
    assert (finding["path"], finding["line"]) == ("models.py", line_of(models, "Index("))
    assert finding["fix"] == (
        "op.drop_index(op.f('ix_users_email'), table_name='users')\n"
        "op.create_index('ix_users_email', 'users', ['email', 'name'], unique=True)"
    )


def test_a_sqlite_fix_runs_in_batch_mode_where_env_py_renders_none(
    project: Project, check: Check
) -> None:
    """A unique constraint and a NOT NULL only the models have, in a project whose env.py
    renders no batches: plain `op.create_unique_constraint` and `op.alter_column` fail on
    SQLite (no ALTER of constraints or columns there), so the fix is a batch block."""
    root = project("generic")
    models = root / "models.py"
    edit(models, "import ForeignKey, String", "import ForeignKey, String, UniqueConstraint")
    edit(
        models,
        "    email: Mapped[str | None] = mapped_column(String(120), index=True)\n",
        "    email: Mapped[str] = mapped_column(String(120), index=True)\n\n"
        '    __table_args__ = (UniqueConstraint("name", name="uq_users_name"),)\n',
    )
    run = check("--db", "sqlite", "--format", "json")
    fixes = [finding["fix"] for finding in run.findings]
    assert len(fixes) == 2 and all(fix.startswith("with op.batch_alter_table") for fix in fixes)
    add_fix_revision(root, "\n".join(fixes))
    # (--no-seed: the NOT NULL fails on rows whose email is NULL, rightly AG904; lint's
    # AG102 says so too)
    again = check("--db", "sqlite", "--no-seed", "--ignore", "AG102", "--format", "json")
    assert again.findings == []


PLUGIN = """
from alembic.autogenerate import comparators, renderers
from alembic.operations import ops as plugin_ops


class DropEnumOp(plugin_ops.MigrateOperation):
    def __init__(self, name, schema, values):
        self.name, self.schema, self.values = name, schema, values

    def reverse(self):
        return self

    def to_diff_tuple(self):
        return ("drop_enum", self.name, self.schema, self.values)


@comparators.dispatch_for("schema")
def compare_enums(autogen_context, upgrade_ops, schemas):
    upgrade_ops.ops.append(DropEnumOp("mood", "public", ("happy", "sad")))


@renderers.dispatch_for(DropEnumOp)
def render_drop_enum(autogen_context, op):
    return f"op.execute('DROP TYPE {op.name}')"

"""


def test_a_difference_an_autogenerate_plugin_adds_reads_as_words(
    project: Project, check: Check
) -> None:
    """alembic-postgresql-enum's `drop_enum` and the like: the kind and its items in words
    (not a Python tuple), at the newest upgrade statement naming it, with the plugin's fix."""
    root = project("generic")
    edit(
        root / "migrations/env.py",
        "if context.is_offline_mode():",
        PLUGIN + "if context.is_offline_mode():",
    )
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(
        revision,
        "def upgrade() -> None:\n",
        'def upgrade() -> None:\n    mood = sa.Enum("happy", "sad", name="mood")\n',
    )
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["message"] == "drop enum: mood, public, (happy, sad)"
    assert (finding["path"], finding["line"]) == (
        "migrations/versions/c9e2b7d41a05_add_user_email.py",
        line_of(revision, "mood = sa.Enum("),
    )
    assert finding["fix"] == "op.execute('DROP TYPE mood')"


POSTS_REVISION = "migrations/versions/7a3d5e8c2f40_create_posts.py"
POSTS_KEY = '        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),\n'
CASCADE_KEY = '        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),\n'
# SQLite reflects foreign keys unnamed, and batch mode refuses a constraint without a
# name: the fix names the database's key through the batch's naming convention.
NAMED_BY_CONVENTION = """\
# the naming convention names the database's unnamed foreign key to drop it
with op.batch_alter_table('posts', schema=None, naming_convention={'fk': \
'fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s'}) as batch_op:
    batch_op.drop_constraint('fk_posts_user_id_users', type_='foreignkey')
"""


def test_a_foreign_key_changed_only_in_on_delete_is_one_finding_with_a_fix_that_runs(
    project: Project, check: Check
) -> None:
    """The history made the key ON DELETE CASCADE, the models' unnamed ForeignKey has
    none: alembic gives a removal and an addition that no name pairs (pgAdmin 4's 16
    keys), one difference. Its fix cannot be alembic's `drop_constraint(None, ...)`,
    which fails as rendered."""
    root = project("generic")
    edit(root / POSTS_REVISION, POSTS_KEY, CASCADE_KEY)
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["message"] == (
        "foreign key on posts(user_id) referring to users(id) has ON DELETE CASCADE in the "
        "migrated database but no ON DELETE in the models"
    )
    models = root / "models.py"
    assert (finding["path"], finding["line"]) == ("models.py", line_of(models, "ForeignKey("))
    assert finding["fix"] == NAMED_BY_CONVENTION + (
        "    batch_op.create_foreign_key('fk_posts_user_id_users', 'users', ['user_id'], ['id'])"
    )
    add_fix_revision(root, finding["fix"])
    assert check("--db", "sqlite", "--format", "json").findings == []


def test_a_flask_projects_foreign_key_changed_in_two_options_is_one_finding(
    project: Project, check: Check
) -> None:
    """Both options that differ are said; the batch block Flask-Migrate renders gets the
    naming convention, and the new key a name, which batch mode requires."""
    root = project("flask")
    revision = root / "migrations/versions/9c0d8e7f6a5b_add_email_and_notes.py"
    edit(revision, "['user.id'], ),", "['user.id'], ondelete='CASCADE'),")
    app = root / "app.py"
    edit(app, 'db.ForeignKey("user.id")', 'db.ForeignKey("user.id", onupdate="CASCADE")')
    run = check("--db", "sqlite", "--flask-app", "app", "--format", "json")
    [finding] = run.findings
    assert finding["message"] == (
        "foreign key on note(user_id) referring to user(id) has ON DELETE CASCADE and no "
        "ON UPDATE in the migrated database but no ON DELETE and ON UPDATE CASCADE in the "
        "models"
    )
    assert (finding["path"], finding["line"]) == ("app.py", line_of(app, "db.ForeignKey("))
    assert "naming_convention=" in finding["fix"]
    assert (
        "batch_op.drop_constraint('fk_note_user_id_user', type_='foreignkey')" in (finding["fix"])
    )
    assert "batch_op.create_foreign_key('fk_note_user_id_user', 'user'" in finding["fix"]
    add_fix_revision(root, finding["fix"], parent="9c0d8e7f6a5b")
    run = check("--db", "sqlite", "--flask-app", "app", "--format", "json")
    assert run.findings == []


def test_a_foreign_key_the_models_dropped_has_a_fix_that_runs(
    project: Project, check: Check
) -> None:
    """The database's key, unnamed on SQLite, is dropped under the name the naming
    convention gives it."""
    root = project("generic")
    models = root / "models.py"
    edit(models, 'mapped_column(ForeignKey("users.id"))', "mapped_column()")
    run = check("--db", "sqlite", "--format", "json")
    [finding] = run.findings
    assert finding["message"] == (
        "foreign key on posts(user_id) referring to users is in the migrated database but not "
        "in the models"
    )
    assert finding["fix"] == NAMED_BY_CONVENTION.rstrip("\n")
    add_fix_revision(root, finding["fix"])
    assert check("--db", "sqlite", "--format", "json").findings == []


def test_a_descending_index_the_history_made_as_the_models_say_is_no_drift(
    project: Project, check: Check
) -> None:
    """SQLAlchemy reads no DESC back from SQLite (nor MySQL, MariaDB), so alembic's
    comparison finds the models' `title DESC` index missing and the database's `title`
    one extra, though the history made it as the models say (MLflow's
    idx_mcp_server_versions_latest). check builds the models' index on a temporary copy of
    the table and reads it back: where it reads back as the database's, there is no
    difference. An index that really differs still is one."""
    root = project("generic")
    posts = root / "migrations/versions/7a3d5e8c2f40_create_posts.py"
    index = '    op.create_index("ix_posts_recent", "posts", ["user_id", sa.text("title DESC")])\n'
    edit(posts, "\n\ndef downgrade", "\n" + index + "\n\ndef downgrade")
    models = root / "models.py"
    edit(models, "import ForeignKey, String", "import ForeignKey, Index, String, text")
    edit(
        models,
        "    title: Mapped[str] = mapped_column(String(200))\n",
        "    title: Mapped[str] = mapped_column(String(200))\n\n"
        '    __table_args__ = (Index("ix_posts_recent", "user_id", text("title DESC")),)\n',
    )
    run = check("--db", "sqlite", "--format", "json")
    assert (run.code, run.findings) == (0, [])
    edit(models, 'Index("ix_posts_recent", "user_id",', 'Index("ix_posts_recent", "id",')
    run = check("--db", "sqlite", "--format", "json")
    assert [f["message"] for f in run.findings] == [
        "index ix_posts_recent on posts is (user_id, title) in the migrated database "
        "but (id, title DESC) in the models"
    ]


def test_a_descending_partial_index_the_history_made_as_the_models_say_is_no_drift(
    project: Project, check: Check
) -> None:
    """SQLAlchemy reads a partial index of a temporary table from SQLite only through its
    schema `temp`, and its WHERE back as a text() clause, equal to no other: the models'
    index measured on a temporary table never read back as the database's, a false
    finding that also left the DESC column out of the models' side (Arize Phoenix). A
    WHERE that differs is still a difference, which shows both sides whole."""
    root = project("generic")
    models = partial_descending_index(root, "user_id > 0")
    run = check("--db", "sqlite", "--format", "json")
    assert (run.code, run.findings) == (0, [])
    edit(models, 'text("user_id > 0"), postgresql', 'text("user_id > 1"), postgresql')
    run = check("--db", "sqlite", "--format", "json")
    assert [f["message"] for f in run.findings] == [
        "index ix_posts_recent on posts is (user_id, title) WHERE user_id > 0 in the migrated "
        "database but (user_id, title DESC) WHERE user_id > 1 in the models"
    ]


def _drops_a_column_in_the_newest_revision(root: Path) -> Path:
    """The generic project's newest revision, made to drop posts.x: AG103 warns of it
    (the drop fails on this database, no such column; the warning is what matters)."""
    newest = root / GENERIC_REVISIONS / "c9e2b7d41a05_add_user_email.py"
    edit(
        newest,
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n    op.drop_column('posts', 'x')\n",
    )
    return newest


def test_static_safety_warnings_are_in_the_report_within_since(
    project: Project, check: Check
) -> None:
    root = project("generic")
    newest = _drops_a_column_in_the_newest_revision(root)
    args = ("--db", "sqlite", "--format", "json", "--ignore", "AG901")
    run = check(*args)
    shown = f"{GENERIC_REVISIONS}/{newest.name}"
    assert [(f["code"], f["path"]) for f in run.findings] == [("AG103", shown)]
    (root / "pyproject.toml").write_text('[tool.alembic-gate]\nsince = "c9e2b7d41a05"\n')
    assert check(*args).findings == []


def test_release_tags_that_cannot_be_read_are_a_note_and_change_nothing(
    project: Project, check: Check
) -> None:
    """The copied project is no git work tree: its releases cannot be read, the report
    says so, and the warning stays."""
    root = project("generic")
    newest = _drops_a_column_in_the_newest_revision(root)
    (root / "pyproject.toml").write_text('[tool.alembic-gate]\nrelease-tags = "v*"\n')
    run = check("--db", "sqlite", "--format", "json", "--ignore", "AG901")
    shown = f"{GENERIC_REVISIONS}/{newest.name}"
    assert [(f["code"], f["path"]) for f in run.findings] == [("AG103", shown)]
    notes = json.loads(run.out)["notes"]
    assert [n for n in notes if "release-tags" in n] == [
        f"[tool.alembic-gate] release-tags: {root / GENERIC_REVISIONS} is not in a git work "
        "tree; tags were not read"
    ]


def test_a_killed_run_leaves_no_worker_output_and_the_next_run_sweeps_its_folder(
    project: Project, check: Check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("generic")
    (root / GENERIC_REVISIONS / "d00d00d00d00_wait.py").write_text(
        OTHER_HEAD.format(
            parent="c9e2b7d41a05",
            body='print("from env.py: postgresql://u:hunter2@h/d", flush=True)\n'
            '    import pathlib, time\n    pathlib.Path("started").touch()\n    time.sleep(300)',
        )
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # this process's next run, too
    process = subprocess.Popen(
        [sys.executable, "-m", "alembic_gate", "check", "--db", "sqlite"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not (root / "started").exists():  # the event: the migration runs
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        process.kill()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    # Only the SQLite folder (the database) is left, named after the killed process.
    [folder] = temp.iterdir()
    assert folder.name.startswith(f"alembic-gate-sqlite-{process.pid}-")
    assert not any(b"hunter2" in f.read_bytes() for f in folder.rglob("*") if f.is_file())
    (root / GENERIC_REVISIONS / "d00d00d00d00_wait.py").unlink()
    assert check("--db", "sqlite").code == 0
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize(
    ("ddl", "named"),
    [
        ("CREATE VIEW recent AS SELECT 1 AS one", "1 object(s) (view recent)"),
        (
            "CREATE VIEW recent AS SELECT 1 AS one; "
            "CREATE TRIGGER stamp INSTEAD OF INSERT ON recent BEGIN SELECT 1; END",
            "2 object(s) (trigger stamp, view recent)",
        ),
    ],
)
def test_sqlite_empty_means_empty(
    project: Project, check: Check, tmp_path: Path, ddl: str, named: str
) -> None:
    project("generic")
    database = tmp_path / "in_use.db"
    with sqlite3.connect(database) as conn:
        conn.executescript(ddl)
    run = check("--database-url", f"sqlite:///{database}")
    assert run.code == 2
    assert f"is not empty: it holds {named}" in run.err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--database-url", "postgresql://u:hunter2@h:port/d"], "its port is not a number"),
        (["--database-url", "postgresql://u:hunter2@h:99999/d"], "port 99999 is not in 1-65535"),
        (["--database-url", "postgresql://u:hunter2@h:-5/d"], "port -5 is not in 1-65535"),
        (["--database-url", "postgresql://u:hunter2@h:0/d"], "port 0 is not in 1-65535"),
        (["--database-url", "mysql+pymysql://u:hunter2@h:99999/d"], "is not in 1-65535"),
        (["--database-url", "nosuchdb://u:hunter2@h/d"], "has no dialect 'nosuchdb'"),
        (["--database-url", "mssql+pyodbc://u:hunter2@h/d"], "driver is not installed"),
        (["--database-url", "postgresql+nodriver://u:hunter2@h/d"], "has no dialect"),
        (["--database-url", ""], "--database-url is empty"),
        (["--database-url", "  "], "--database-url is empty"),
        (["--timeout", "nan"], "give a number of seconds above 0"),
        (["--timeout", "inf"], "give a number of seconds above 0"),
        (["--timeout", "-1"], "give a number of seconds above 0"),
        (["--timeout", "0"], "give a number of seconds above 0"),
        (["--timeout", "soon"], "'soon' is not a number of seconds"),
    ],
)
def test_malformed_input_is_a_usage_error(
    project: Project, check: Check, capsys: pytest.CaptureFixture[str], flags: list[str], said: str
) -> None:
    project("generic")
    try:
        run = check(*flags)
    except SystemExit as exit_:  # argparse's own error: exit 2 with a message
        run = Run(int(str(exit_.code)), "", capsys.readouterr().err)
    assert run.code == 2, run.err
    assert said in run.err
    assert "Traceback" not in run.err and "hunter2" not in run.err


def test_the_worker_time_limit_says_which_limit_held(
    project: Project, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("generic")
    (root / GENERIC_REVISIONS / "d00d00d00d00_wait.py").write_text(
        OTHER_HEAD.format(parent="c9e2b7d41a05", body="import time; time.sleep(300)")
    )
    step = "Running upgrade c9e2b7d41a05 -> d00d00d00d00, other head"
    # The limit counts from when the worker sleeps in that revision (on a busy machine
    # it took more than 3 s to get there once: the log line below was missing).
    limit_once(monkeypatch, lambda log, notes: step in log, seconds=2.0)
    run = check("--db", "sqlite", "--timeout", "0.1")  # 10x is 1s: the floor holds
    assert run.code == 3
    assert "did not finish within 2s" in run.err
    assert "(the limit is 10x --timeout, 2s at least)" in run.err
    # Where it was (from alembic's own log, env.py's logging permitting): Airflow's
    # history waits on MariaDB for a lock of its own process, and the message named none.
    assert f"alembic's last step: {step}" in run.err


def test_url_env_gets_the_url_as_users_write_it(project: Project, check: Check) -> None:
    # Airflow's settings refuse a SQLite URL that does not start with "sqlite:////"
    # (an absolute path): the URL env.py is given names no driver SQLAlchemy would pick
    # itself, as users write it (check gave sqlite+pysqlite:////..., a false AG901).
    root = project("url_env")
    refuse = (
        'url = os.environ.get("APP_DATABASE_URL", "sqlite:///dev.db")\n'
        '    if not url.startswith("sqlite:////"):\n'
        '        raise ValueError(f"Cannot use relative path: {url}")'
    )
    edit(
        root / "migrations/env.py",
        'url = os.environ.get("APP_DATABASE_URL", "sqlite:///dev.db")',
        refuse,
    )
    run = check("--db", "sqlite", "--url-env", "APP_DATABASE_URL")
    assert run.code == 0, run.out + run.err


TAGS_TABLE = """
metadata = sa.MetaData()


def _tags() -> sa.Table:
    return sa.Table("tags", metadata, sa.Column("id", sa.Integer), sa.Column("label", sa.String))


def downgrade() -> None:
    op.execute(_tags().delete())
    op.drop_table("tags")
"""


def test_the_round_trip_loads_the_revision_files_afresh(project: Project, check: Check) -> None:
    # A module-level MetaData that upgrade() and downgrade() each define a table in
    # (Airflow's c306b5b5ae4a): alembic runs them in separate processes, so this passes
    # there; check's round trip reused the modules its upgrade loaded and reported a false
    # AG903 "Table 'tags' is already defined for this MetaData instance".
    root = project("roundtrip")
    tags = root / "migrations/versions/b6c1d9e3f2a8_create_tags.py"
    edit(tags, "def downgrade() -> None:\n    pass\n", TAGS_TABLE)
    edit(
        tags,
        '        sa.UniqueConstraint("label"),\n    )\n',
        '        sa.UniqueConstraint("label"),\n    )\n    op.execute(_tags().delete())\n',
    )
    run = check("--db", "sqlite", "--roundtrip")
    assert run.code == 0, run.out + run.err


def test_env_py_outside_the_folder_failing_is_placed_at_its_line(
    project: Project, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check run from another folder than the project's (conda-store's ini written
    elsewhere, script_location absolute): env.py's import that failed is the place, not
    env.py with no line."""
    root = project("generic")
    env_py = root / "migrations/env.py"
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    ini = (root / "alembic.ini").read_text().replace("%(here)s", str(root))
    (elsewhere / "alembic.ini").write_text(ini)
    monkeypatch.chdir(elsewhere)
    run = check("--db", "sqlite", "--format", "json")
    [failed] = run.findings
    assert failed["code"] == "AG901", failed
    # (prepend_sys_path = . is the other folder now: the models are not found)
    assert failed["line"] == line_of(env_py, "from models import Base"), failed
    assert failed["path"].endswith("migrations/env.py")
    assert "No module named 'models'" in failed["message"]


def test_revision_files_are_imported_after_env_py(project: Project, check: Check) -> None:
    """As `alembic upgrade` imports them: once env.py asks for the revisions to run, after
    its own imports (tracecat's first revision imports fastapi_users_db_sqlalchemy, whose
    circular import works only once env.py's models have imported fastapi_users)."""
    root = project("generic")
    (root / "after_models.py").write_text(
        "import sys\n"
        "if 'models' not in sys.modules:\n"
        "    raise ImportError('cannot import name Base from partially initialized module')\n"
    )
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(revision, "import sqlalchemy as sa\n", "import sqlalchemy as sa\nimport after_models\n")
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 0, run.out + run.err
    assert run.findings == []


def test_a_revision_file_that_fails_to_load_is_named(project: Project, check: Check) -> None:
    """A revision file's import of project code that fails deeper (Marzban's
    `app/__init__.py` needing `pkg_resources`): the revision file and its import, not the
    project file where the error was raised."""
    root = project("generic")
    (root / "helpers").mkdir()
    (root / "helpers" / "__init__.py").write_text("import no_such_module_here\n")
    revision = root / "migrations/versions/c9e2b7d41a05_add_user_email.py"
    edit(revision, "import sqlalchemy as sa\n", "import sqlalchemy as sa\nimport helpers\n")
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    [failed] = [f for f in run.findings if f["code"] == "AG901"]
    assert (failed["path"], failed["line"]) == (
        "migrations/versions/c9e2b7d41a05_add_user_email.py",
        line_of(revision, "import helpers"),
    )
    assert failed["message"].startswith(
        "loading c9e2b7d41a05_add_user_email.py failed: ModuleNotFoundError"
    ), failed["message"]
