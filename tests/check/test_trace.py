"""Lock tracing on real PostgreSQL (the local server and a container from the local image):
AG905-AG907 at the op.* lines of tests/projects/check_locks, the lock tables of the text,
GitHub and JSON reports, and lint's static warnings reconciled with what was measured."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alembic_gate.main import main

from .conftest import LOCAL_POSTGRES, POSTGRES_IMAGE, PROJECTS, line_of

VERSIONS = "migrations/versions"
CREATE_ACCOUNTS = f"{VERSIONS}/a1c3e5f70001_create_accounts.py"
INDEX = f"{VERSIONS}/b2d4f6a80002_index_accounts_name.py"
BIGINT = f"{VERSIONS}/c3e5a7b90003_widen_balance_to_bigint.py"
ADD_NOTE = f"{VERSIONS}/d4f6b8ca0004_add_accounts_note_longer_names.py"
CONCURRENTLY = f"{VERSIONS}/e5a7c9db0005_index_accounts_note_concurrently.py"
CREATE_EVENTS = f"{VERSIONS}/f6b8dae10006_create_events.py"
HOLD = f"{VERSIONS}/a7c9ebf20007_add_accounts_flag_then_wait.py"


@dataclass
class Traced:
    root: Path
    code: int
    report: dict[str, Any]  # the JSON report
    text: str  # the text report
    summary: str  # the GitHub step summary

    def found(self, path: str) -> list[tuple[str, int]]:
        return [(f["code"], f["line"]) for f in self.report["findings"] if f["path"] == path]

    def finding(self, code: str, path: str) -> dict[str, Any]:
        [finding] = [f for f in self.report["findings"] if (f["code"], f["path"]) == (code, path)]
        return finding

    def line(self, path: str, text: str) -> int:
        return line_of(self.root / path, text)

    def locks(self, path: str) -> dict[str, Any]:
        [revision] = [r for r in self.report["locks"] if r["path"] == path]
        return revision


@contextlib.contextmanager
def _database(admin: str) -> Iterator[str]:
    engine = sa.create_engine(admin, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    name = f"ag_trace_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        engine.dispose()


def _check(
    tmp: Path,
    *args: str,
    database: str | None = None,
    since: str | None = None,
    project: str = "check_locks",
    driver: str = "psycopg",
    root: Path | None = None,
) -> Traced:
    """`check` on a fresh copy of a project (check_locks) or on `root`, writing the JSON,
    text and GitHub reports; on a database of the local server, or (database="") in a
    container."""
    if root is None:
        root = Path(shutil.copytree(PROJECTS / project, tmp / uuid.uuid4().hex[:8]))
    if since:
        (root / "pyproject.toml").write_text(f'[tool.alembic-gate]\nsince = "{since}"\n')
    summary = root / "summary.md"
    formats = ["--format", "json=report.json", "--format", "github=github.txt", "--format", "text"]
    stdout = io.StringIO()
    with contextlib.ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.chdir(root)
        patch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        stack.enter_context(contextlib.redirect_stdout(stdout))
        url = stack.enter_context(_database(LOCAL_POSTGRES)) if database is None else database
        url = url.replace("+psycopg:", f"+{driver}:")
        target = ["--database-url", url] if url else ["--image", POSTGRES_IMAGE]
        code = main(["check", *target, *formats, *args])
    report = json.loads((root / "report.json").read_text())
    return Traced(root, code, report, stdout.getvalue(), summary.read_text())


def _reachable() -> None:
    engine = sa.create_engine(LOCAL_POSTGRES, poolclass=sa.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        pytest.skip(f"the local PostgreSQL server ({LOCAL_POSTGRES}) is not reachable")
    finally:
        engine.dispose()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("local", marks=pytest.mark.postgres),
        pytest.param("container", marks=pytest.mark.docker),
    ],
)
def traced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Traced:
    """One run of check_locks on the local server (--database-url) and one in a container."""
    if request.param == "local":
        _reachable()
        return _check(tmp_path_factory.mktemp("local"))
    request.getfixturevalue("docker_images")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
        return _check(tmp_path_factory.mktemp("container"), database="")


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _reachable()
    return tmp_path_factory.mktemp("variants")


# -- what each statement does -----------------------------------------------------------


def test_a_plain_create_index_on_an_existing_table_is_ag906(traced: Traced) -> None:
    line = traced.line(INDEX, "op.create_index(")
    assert traced.found(INDEX) == [("AG906", line)]
    finding = traced.finding("AG906", INDEX)
    assert finding["message"].startswith(
        "`CREATE INDEX ix_accounts_name ON accounts (name)` took a SHARE lock on accounts: "
        "it blocks writes to accounts (INSERT, UPDATE, DELETE)"
    )
    assert "It scanned accounts" in finding["message"]
    assert "postgresql_concurrently=True" in finding["fix"]
    assert "autocommit_block()" in finding["fix"]
    [row] = traced.locks(INDEX)["rows"]
    assert (row["line"], row["table"], row["lock"], row["blocks"], row["rewrite"]) == (
        line,
        "accounts",
        "SHARE",
        "writes",
        False,
    )


def test_integer_to_bigint_rewrites_the_table(traced: Traced) -> None:
    line = traced.line(BIGINT, "op.alter_column(")
    assert sorted(traced.found(BIGINT)) == [("AG905", line), ("AG907", line)]
    finding = traced.finding("AG905", BIGINT)
    assert finding["message"].startswith(
        "`ALTER TABLE accounts ALTER COLUMN balance TYPE BIGINT` rewrote accounts: "
    )
    assert "ACCESS EXCLUSIVE" in finding["message"]
    assert finding["fix"].startswith("add a new column of the new type")
    [row] = traced.locks(BIGINT)["rows"]
    assert (row["table"], row["lock"], row["blocks"], row["rewrite"]) == (
        "accounts",
        "ACCESS EXCLUSIVE",
        "reads and writes",
        True,
    )


def test_a_nullable_add_column_rewrites_nothing_and_locks_for_an_instant(traced: Traced) -> None:
    # Two metadata-only statements: ACCESS EXCLUSIVE for an instant, no rewrite. Only the
    # lock queue is a hazard (lock_timeout is 0).
    line = traced.line(ADD_NOTE, "op.add_column(")
    assert traced.found(ADD_NOTE) == [("AG907", line)]
    rows = traced.locks(ADD_NOTE)["rows"]
    first = rows[0]
    assert (first["line"], first["lock"], first["rewrite"]) == (
        line,
        "ACCESS EXCLUSIVE",
        False,
    )
    assert not any(r["rewrite"] for r in rows)


def test_create_index_concurrently_in_an_autocommit_block_is_clean(traced: Traced) -> None:
    assert traced.found(CONCURRENTLY) == []
    assert all(r["path"] != CONCURRENTLY for r in traced.report["locks"])


def test_a_table_created_and_indexed_in_one_revision_is_clean(traced: Traced) -> None:
    assert traced.found(CREATE_EVENTS) == []
    assert traced.found(CREATE_ACCOUNTS) == []
    assert all(r["path"] not in {CREATE_EVENTS, CREATE_ACCOUNTS} for r in traced.report["locks"])


def test_a_lock_held_through_a_slow_statement(traced: Traced) -> None:
    line = traced.line(HOLD, "op.add_column(")
    sleep = traced.line(HOLD, "pg_sleep")
    assert traced.found(HOLD) == [("AG906", line), ("AG907", line)]
    message = traced.finding("AG906", HOLD)["message"]
    assert message.startswith(
        "`ALTER TABLE accounts ADD COLUMN flag BOOLEAN` took an ACCESS EXCLUSIVE lock on "
        "accounts: it blocks every query on accounts, reads too"
    )
    assert "The statement itself is quick" in message
    assert f"through 1 later statement: line {sleep} ran " in message
    [row] = traced.locks(HOLD)["rows"]
    assert (row["line"], row["table"], row["lock"]) == (line, "accounts", "ACCESS EXCLUSIVE")
    assert row["held"] >= 1.2  # pg_sleep(1.2) ran while it was held


def test_no_lock_timeout_at_each_revision_taking_access_exclusive(traced: Traced) -> None:
    sevens = sorted(f["path"] for f in traced.report["findings"] if f["code"] == "AG907")
    assert sevens == sorted([BIGINT, ADD_NOTE, HOLD])
    message = traced.finding("AG907", ADD_NOTE)["message"]
    line = traced.line(ADD_NOTE, "op.add_column(")
    assert message.startswith(
        f"this revision takes ACCESS EXCLUSIVE locks on accounts (line {line}) while "
        "lock_timeout is 0"
    )
    assert "SET LOCAL lock_timeout" in traced.finding("AG907", ADD_NOTE)["fix"]


def test_warnings_only(traced: Traced) -> None:
    assert traced.code == 0
    assert {f["code"] for f in traced.report["findings"]} == {"AG905", "AG906", "AG907"}


# -- where reviewers look -----------------------------------------------------------------


def test_the_text_report_shows_a_lock_table_per_revision(traced: Traced) -> None:
    lines = traced.text.splitlines()
    start = lines.index("Locks measured on PostgreSQL (tables that existed before each revision):")
    head = lines.index(f"b2d4f6a80002 {INDEX} (1 statement traced):")
    assert start < head
    assert lines[head + 1].split() == [
        "line",
        "statement",
        "table",
        "lock",
        "blocks",
        "held",
        "for",
        "rewrite",
    ]
    row = lines[head + 2].split()
    assert row[0] == str(traced.line(INDEX, "op.create_index("))
    assert row[-5:-2] == ["accounts", "SHARE", "writes"] and row[-1] == "no"
    bigint = lines[lines.index(f"c3e5a7b90003 {BIGINT} (1 statement traced):") + 2]
    assert "ACCESS EXCLUSIVE  reads and writes" in bigint and bigint.endswith("yes")
    assert re.fullmatch(
        r"Found 6 warnings \(6 with a fix\): PostgreSQL [\d.]+, 7 revisions applied in [\d.]+s\.",
        lines[-1],
    )


def test_the_step_summary_shows_a_lock_table_per_revision(traced: Traced) -> None:
    summary = traced.summary
    assert "### Locks measured on PostgreSQL" in summary
    assert f"**`b2d4f6a80002`** `{INDEX}` (1 statement traced)" in summary
    line = traced.line(INDEX, "op.create_index(")
    assert (
        f"| {line} | `CREATE INDEX ix_accounts_name ON accounts (name)` | accounts | SHARE | "
        "writes | " in summary
    )
    assert "| ACCESS EXCLUSIVE | reads and writes |" in summary
    assert "| **yes** |" in summary


# -- how env.py sets lock_timeout, and transactions env.py owns -----------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("how", ["options", "session"])
def test_no_ag907_when_env_py_sets_lock_timeout(local: Path, how: str) -> None:
    run = _check(local, "-x", f"lock_timeout={how}")
    assert [f for f in run.report["findings"] if f["code"] == "AG907"] == []
    assert run.found(INDEX) == [("AG906", run.line(INDEX, "op.create_index("))]


@pytest.mark.postgres
def test_set_local_lock_timeout_lasts_until_an_autocommit_block_commits(local: Path) -> None:
    # env.py's SET LOCAL is carried over the commits lock tracing makes; the autocommit
    # block (as on any deploy) ends that transaction and the setting with it.
    run = _check(local, "-x", "lock_timeout=local")
    sevens = [f["path"] for f in run.report["findings"] if f["code"] == "AG907"]
    assert sevens == [HOLD]


@pytest.mark.postgres
def test_psycopg2_is_traced_as_psycopg(local: Path) -> None:
    # Lock tracing talks to the driver directly, and psycopg2 keeps only the last result
    # of several statements (psycopg2-binary is in the test extra: installed next to
    # psycopg 3, it must not change which driver a plain postgresql:// URL gets).
    run = _check(local, driver="psycopg2")
    assert sorted((f["code"], f["path"]) for f in run.report["findings"]) == sorted(
        [
            ("AG906", INDEX),
            ("AG905", BIGINT),
            ("AG907", BIGINT),
            ("AG907", ADD_NOTE),
            ("AG906", HOLD),
            ("AG907", HOLD),
        ]
    )
    rows = {
        r["path"]: [(x["line"], x["lock"], x["rewrite"]) for x in r["rows"]]
        for r in run.report["locks"]
    }
    assert rows[INDEX] == [(run.line(INDEX, "op.create_index("), "SHARE", False)]
    assert rows[BIGINT] == [(run.line(BIGINT, "op.alter_column("), "ACCESS EXCLUSIVE", True)]


@pytest.mark.postgres
def test_an_async_engine_is_traced(local: Path) -> None:
    # alembic init -t async: the driver runs behind SQLAlchemy's async adapter.
    run = _check(local, project="check_async")
    add = f"{VERSIONS}/c9e2b7d41a05_add_user_email.py"
    index = run.line(add, "op.create_index(")
    assert ("AG906", index) in run.found(add)
    assert run.finding("AG907", add)["line"] == run.line(add, "op.add_column(")


@pytest.mark.postgres
def test_a_transaction_per_migration_is_traced_alike(local: Path) -> None:
    run = _check(local, "-x", "transaction=per_migration")
    assert sorted((f["code"], f["path"]) for f in run.report["findings"]) == sorted(
        [
            ("AG906", INDEX),
            ("AG905", BIGINT),
            ("AG907", BIGINT),
            ("AG907", ADD_NOTE),
            ("AG906", HOLD),
            ("AG907", HOLD),
        ]
    )


@pytest.mark.postgres
def test_a_transaction_env_py_began_itself_is_not_split(local: Path) -> None:
    run = _check(local, "-x", "transaction=own", "--extend-select", "AG105")
    # accounts was created (and locked) earlier in the same transaction: the index's lock
    # cannot be seen, so lint's AG105 stays and no AG906 is claimed.
    assert run.found(INDEX) == [("AG105", run.line(INDEX, "op.create_index("))]
    note = run.locks(INDEX)["note"]
    assert note.startswith("accounts was locked already when the revision started")
    assert "env.py runs the migrations in a transaction it began itself" in note
    # A rewrite shows whatever the locks: the relfilenode changes.
    assert ("AG905", run.line(BIGINT, "op.alter_column(")) in run.found(BIGINT)


# -- static warnings, scope, turning it off -------------------------------------------------


@pytest.mark.postgres
def test_lint_warnings_on_measured_lines_are_replaced_or_dropped(local: Path) -> None:
    run = _check(local, "--extend-select", "AG105", "-x", "lock_timeout=options")
    # AG105 (plain index) confirmed: the measurement stands instead.
    assert run.found(INDEX) == [("AG906", run.line(INDEX, "op.create_index("))]
    # AG106 (type change) confirmed by a rewrite, refuted where nothing was rewritten.
    assert run.found(BIGINT) == [("AG905", run.line(BIGINT, "op.alter_column("))]
    assert run.found(ADD_NOTE) == []


@pytest.mark.postgres
def test_ignoring_the_three_codes_turns_tracing_off(local: Path) -> None:
    run = _check(local, "--extend-select", "AG105", "--ignore", "AG905,AG906,AG907")
    assert run.found(INDEX) == [("AG105", run.line(INDEX, "op.create_index("))]
    assert run.found(BIGINT) == [("AG106", run.line(BIGINT, "op.alter_column("))]
    assert run.found(ADD_NOTE) == []  # a longer VARCHAR: no rewrite on PostgreSQL (AG106 knows)
    assert run.report["locks"] == []
    assert "Locks measured" not in run.text + run.summary


@pytest.mark.postgres
def test_since_limits_tracing_to_the_revisions_after_it(local: Path) -> None:
    run = _check(local, since="d4f6b8ca0004")
    codes = {(f["code"], f["path"]) for f in run.report["findings"]}
    assert codes == {("AG906", HOLD), ("AG907", HOLD)}
    # With a scope, every traced revision has its table, clean ones too.
    assert [r["path"] for r in run.report["locks"]] == [CONCURRENTLY, CREATE_EVENTS, HOLD]
    assert f"e5a7c9db0005 {CONCURRENTLY}: no blocking lock, no rewrite" in run.text


def test_other_engines_claim_nothing(tmp_path: Path) -> None:
    root = Path(shutil.copytree(PROJECTS / "check_generic", tmp_path / "generic"))
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.chdir(root)
        code = main(["check", "--db", "sqlite", "--format", "json"])
    assert code == 0
    report = json.loads(out.getvalue())
    assert (report["findings"], report["locks"]) == ([], [])


# Runs a Session as the worker does, with another measurement that writes rows into
# accounts, as seeding does: once c3e5a7b90003 has run (-x after) or just before
# d4f6b8ca0004 runs (-x before), after the tracer read its counters either way.
DRIVER = """
import json, sys
from pathlib import Path
from alembic_gate.check.observe import Observer
from alembic_gate.check.protocol import DatabaseSpec, Request
from alembic_gate.check.session import Session

class Writer(Observer):
    def before(self, step, context):
        if sys.argv[2] == "before" and step.revision.revision == "d4f6b8ca0004":
            self.write(context)

    def after(self, step, context):
        if sys.argv[2] == "after" and step.revision.revision == "c3e5a7b90003":
            self.write(context)

    def write(self, context):
        context.connection.exec_driver_sql(
            "INSERT INTO accounts (id, balance, name) VALUES (99, 1, 'x')"
        )

root = Path.cwd()
request = Request(
    cwd=str(root), config_path=str(root / "alembic.ini"), section="alembic",
    script_location=str(root / "migrations"), flask=False,
    database=DatabaseSpec("url", url=sys.argv[1]), compare=False,
)
session = Session(request)
session.observers.add(Writer())
result = session.run()
print(json.dumps([[f.code, Path(f.path).name, f.line] for f in result.findings]))
"""


@pytest.mark.postgres
@pytest.mark.parametrize("when", ["after", "before"])
def test_rows_another_measurement_writes_are_not_the_revisions(local: Path, when: str) -> None:
    root = Path(shutil.copytree(PROJECTS / "check_locks", local / uuid.uuid4().hex[:8]))
    (root / "driver.py").write_text(DRIVER)
    with _database(LOCAL_POSTGRES) as url:
        done = subprocess.run(
            [sys.executable, str(root / "driver.py"), url, when],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    add_note = Path(ADD_NOTE).name
    # The INSERT moved accounts' row counter before the revision's first statement: it is
    # not the nullable ADD COLUMN's doing, so that stays an instant lock (AG907 only).
    assert [f for f in found if f[1] == add_note] == [
        ["AG907", add_note, line_of(root / ADD_NOTE, "op.add_column(")]
    ]
    assert ["AG906", Path(INDEX).name, line_of(root / INDEX, "op.create_index(")] in found


# Two revisions after check_locks' head. The first only creates a table and indexes it and
# makes a setting: no catalog query follows any of its statements. The second runs such
# statements too, then changes that table (which existed before it) and indexes accounts.
CREATE_LEDGER = f"{VERSIONS}/b8d0fc030008_create_ledger.py"
CHANGE_LEDGER = f"{VERSIONS}/c9e1ad140009_widen_ledger_amount.py"
REVISION = '''"""{doc}

Revision ID: {revision}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''
LEDGER_BODY = """    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("amount", sa.Integer(), nullable=False),
    )
    op.create_index("ix_ledger_amount", "ledger", ["amount"])
    op.execute("SET LOCAL work_mem = '8MB'")"""
CHANGE_BODY = """    op.execute("SET LOCAL work_mem = '16MB'")
    op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_index("ix_scratch_id", "scratch", ["id"])
    op.alter_column("ledger", "amount", type_=sa.BigInteger(), existing_type=sa.Integer())
    op.create_index("ix_accounts_balance", "accounts", ["balance"])"""


def _with_ledger(tmp: Path) -> Path:
    root = Path(shutil.copytree(PROJECTS / "check_locks", tmp / uuid.uuid4().hex[:8]))
    revisions = [
        (CREATE_LEDGER, "b8d0fc030008", "a7c9ebf20007", "create ledger", LEDGER_BODY),
        (CHANGE_LEDGER, "c9e1ad140009", "b8d0fc030008", "widen ledger amount", CHANGE_BODY),
    ]
    for path, revision, down, doc, body in revisions:
        text = REVISION.format(doc=doc, revision=revision, down=down, body=body)
        (root / path).write_text(text)
    return root


@pytest.mark.postgres
@pytest.mark.parametrize("transaction", ["shared", "per_migration"])
def test_statements_on_new_tables_only_are_not_queried_and_nothing_is_missed(
    local: Path, transaction: str
) -> None:
    """Statements that touch only tables their revision created (and SETs) are recorded
    without a catalog query; a table such statements created is known to the revision
    after it, and a change to a table that existed before is traced right after them."""
    root = _with_ledger(local)
    args = ["--ignore", "AG902"]  # the models know neither table
    if transaction == "per_migration":
        args += ["-x", "transaction=per_migration"]
    run = _check(local, *args, root=root)
    assert run.found(CREATE_LEDGER) == []
    assert all(r["path"] != CREATE_LEDGER for r in run.report["locks"])
    alter = run.line(CHANGE_LEDGER, "op.alter_column(")
    index = run.line(CHANGE_LEDGER, 'op.create_index("ix_accounts_balance"')
    assert sorted(run.found(CHANGE_LEDGER)) == [
        ("AG905", alter),
        ("AG906", index),
        ("AG907", alter),
    ]
    assert run.finding("AG905", CHANGE_LEDGER)["message"].startswith(
        "`ALTER TABLE ledger ALTER COLUMN amount TYPE BIGINT` rewrote ledger: "
    )
    rows = [
        (r["line"], r["table"], r["lock"], r["rewrite"]) for r in run.locks(CHANGE_LEDGER)["rows"]
    ]
    assert rows == [
        (alter, "ledger", "ACCESS EXCLUSIVE", True),
        (index, "accounts", "SHARE", False),
    ]
    assert run.locks(CHANGE_LEDGER)["statements"] == 5


@pytest.mark.postgres
def test_an_index_built_in_sql_is_measured_as_the_call_would_be(local: Path) -> None:
    """CREATE INDEX run by op.execute(): lint reads it as create_index (AG105, in SQL's
    words), and the lock the trace measures on that line stands in its place."""
    root = Path(shutil.copytree(PROJECTS / "check_locks", local / uuid.uuid4().hex[:8]))
    index = root / INDEX
    written = 'op.create_index(op.f("ix_accounts_name"), "accounts", ["name"], unique=False)'
    text = index.read_text()
    assert written in text
    index.write_text(
        text.replace(written, 'op.execute("CREATE INDEX ix_accounts_name ON accounts (name)")')
    )
    line = line_of(index, "op.execute(")
    measured = _check(local, "--extend-select", "AG105", "-x", "lock_timeout=options", root=root)
    assert measured.found(INDEX) == [("AG906", line)]
    static = _check(local, "--extend-select", "AG105", "--ignore", "AG905,AG906,AG907", root=root)
    assert static.found(INDEX) == [("AG105", line)]
    assert static.finding("AG105", INDEX)["message"].startswith(
        "CREATE INDEX (SQL run by execute())"
    )


def _batched(local: Path, recreate: str = "") -> Path:
    """check_locks with the BIGINT revision's type change in a batch of three calls."""
    root = Path(shutil.copytree(PROJECTS / "check_locks", local / uuid.uuid4().hex[:8]))
    bigint = root / BIGINT
    text = bigint.read_text()
    written = (
        "    op.alter_column(\n"
        '        "accounts", "balance", existing_type=sa.Integer(), type_=sa.BigInteger()\n'
        "    )\n"
    )
    assert written in text
    batch = (
        f'    with op.batch_alter_table("accounts"{recreate}) as batch_op:\n'
        '        batch_op.alter_column("name", existing_type=sa.String(50), type_=sa.Text())\n'
        "        batch_op.alter_column(\n"
        '            "balance", existing_type=sa.Integer(), type_=sa.BigInteger()\n'
        "        )\n"
        '        batch_op.create_index("ix_accounts_balance", ["balance"])\n'
    )
    bigint.write_text(text.replace(written, batch, 1))
    return root


@pytest.mark.postgres
def test_a_batch_statement_is_at_the_batch_op_line_that_queued_it(local: Path) -> None:
    """A batch's statements run when its `with` block ends; where it runs one ALTER per
    call (PostgreSQL, no recreate), each is tied to the batch_op.* line that queued it
    (all were at the `with` line), and lint's warning there is replaced by the
    measurement: one finding per hazard."""
    root = _batched(local)
    bigint = root / BIGINT
    name = line_of(bigint, 'batch_op.alter_column("name"')
    balance = line_of(bigint, '"balance", existing_type') - 1
    run = _check(local, "--ignore", "AG902", root=root)
    assert sorted(run.found(BIGINT)) == [("AG905", balance), ("AG906", name), ("AG907", name)]
    rows = [(r["line"], r["lock"], r["rewrite"]) for r in run.locks(BIGINT)["rows"]]
    assert rows == [(name, "ACCESS EXCLUSIVE", False), (balance, "ACCESS EXCLUSIVE", True)]
    static = _check(local, "--ignore", "AG902,AG905,AG906,AG907", root=root)
    assert ("AG106", balance) in static.found(BIGINT)


@pytest.mark.postgres
def test_a_batch_that_copies_the_table_stays_at_the_with_line(local: Path) -> None:
    """recreate="always": every call's effect is in the copy, so its statements are tied
    to the `with` line, and lint's warning inside the block is held against it."""
    root = _batched(local, ', recreate="always"')
    bigint = root / BIGINT
    run = _check(local, "--ignore", "AG902", root=root)
    lines = {line for _, line in run.found(BIGINT)}
    assert lines == {line_of(bigint, "with op.batch_alter_table(")}
    assert "AG106" not in {code for code, _ in run.found(BIGINT)}


@pytest.mark.postgres
def test_statements_on_another_connection_are_not_the_migrations(local: Path) -> None:
    """A revision that reads a table through a connection of its own: that backend's
    locks and counters are not the migration's (its scan was taken for the next
    statement's, a false AG906 on an instant ADD COLUMN)."""
    root = Path(shutil.copytree(PROJECTS / "check_locks", local / uuid.uuid4().hex[:8]))
    add_note = root / ADD_NOTE
    text = add_note.read_text()
    first = '    op.add_column("accounts", sa.Column("note"'
    assert first in text
    other = (
        "    with op.get_bind().engine.connect() as other:\n"
        '        other.execute(sa.text("SELECT count(*) FROM accounts"))\n'
    )
    add_note.write_text(text.replace(first, other + first, 1))
    run = _check(local, "-x", "lock_timeout=options", root=root)
    assert run.found(ADD_NOTE) == []
    [revision] = [r for r in run.report["locks"] if r["path"] == ADD_NOTE] or [None]
    assert revision is None or all(
        row["line"] != line_of(add_note, "SELECT") for row in revision["rows"]
    )


@pytest.mark.postgres
def test_an_autocommit_connection_is_left_in_autocommit(local: Path) -> None:
    # env.py sets isolation_level="AUTOCOMMIT" (privacyIDEA's Flask-Migrate env.py): each
    # statement commits alone, so a revision that catches a failing ADD COLUMN goes on,
    # as under alembic. Tracing must not open a transaction there (its "COMMIT; BEGIN"
    # did, and the caught error aborted it: a false AG901 at the version table's UPDATE).
    run = _check(local, project="check_autocommit")
    assert run.code == 0, run.text
    assert run.report["findings"] == []
    assert "2 revisions applied" in run.text
    # Nothing outlives its statement there, so nothing was measured: the run says so.
    [note] = run.report["notes"]
    assert note.startswith("env.py's connection is in AUTOCOMMIT"), note
    assert "2 revisions" in note and "AG905" in note
    assert "note: env.py's connection is in AUTOCOMMIT" in run.text


@pytest.mark.postgres
def test_the_autocommit_note_does_not_count_a_revision_that_failed(local: Path) -> None:
    # A third revision that fails: the note counted it among those that "ran" there (3)
    # while the summary said 2 revisions applied (privacyIDEA: 40 against 39).
    root = Path(shutil.copytree(PROJECTS / "check_autocommit", local / uuid.uuid4().hex[:8]))
    failing = REVISION.format(
        doc="fail",
        revision="5d7f9b130003",
        down="4c6e8a020002",
        body='    op.execute("SELECT * FROM no_such_table")',
    )
    (root / VERSIONS / "5d7f9b130003_fail.py").write_text(failing)
    run = _check(local, root=root)
    assert [f["code"] for f in run.report["findings"]] == ["AG901"], run.text
    assert "2 revisions applied" in run.text
    [note] = run.report["notes"]
    assert note.startswith("env.py's connection is in AUTOCOMMIT"), note
    assert "of the 2 revisions that ran there" in note, note


@pytest.mark.postgres
def test_a_failure_in_alembics_own_statement_is_placed_at_the_revision(local: Path) -> None:
    # In alembic's transaction the caught ADD COLUMN aborts it, and what fails is alembic's
    # UPDATE of its version table once upgrade() has returned: no frame of the revision
    # file is in the traceback, yet that revision ran ("before any migration ran" at
    # env.py was wrong). alembic fails the same way.
    run = _check(local, "-x", "autocommit=no", project="check_autocommit")
    add = f"{VERSIONS}/4c6e8a020002_add_kind_unless_there.py"
    [finding] = [f for f in run.report["findings"] if f["code"] == "AG901"]
    assert (finding["path"], finding["line"]) == (add, run.line(add, "def upgrade("))
    assert finding["message"].startswith(
        "upgrade of 4c6e8a020002 (add items.note, then items.kind unless it is there) failed "
        "once its upgrade() had run, in alembic's own statements: InFailedSqlTransaction"
    ), finding["message"]
    assert "UPDATE alembic_version" in finding["message"]


RENAME = f"{VERSIONS}/b8d0fc030008_rename_events.py"
INDEX_RENAMED = f"{VERSIONS}/c9e1ad140009_index_renamed_events.py"
RENAME_BODY = """    op.rename_table("events", "happenings")
    op.create_index("ix_happenings_kind", "happenings", ["kind"])"""
INDEX_RENAMED_BODY = (
    """    op.create_index("ix_happenings_id_kind", "happenings", ["id", "kind"])"""
)


@pytest.mark.postgres
@pytest.mark.parametrize("transaction", ["shared", "per_migration"])
def test_a_renamed_table_is_named_as_it_was_called_then(local: Path, transaction: str) -> None:
    """A table renamed in a revision: what a later statement (of that revision or a later
    one) did to it is named by its new name (the lock rows and AG906 of CREATE INDEX ...
    ON happenings named it events, its name when the revision started)."""
    root = Path(shutil.copytree(PROJECTS / "check_locks", local / uuid.uuid4().hex[:8]))
    revisions = [
        (RENAME, "b8d0fc030008", "a7c9ebf20007", "rename events", RENAME_BODY),
        (INDEX_RENAMED, "c9e1ad140009", "b8d0fc030008", "index happenings", INDEX_RENAMED_BODY),
    ]
    for path, revision, down, doc, body in revisions:
        text = REVISION.format(doc=doc, revision=revision, down=down, body=body)
        (root / path).write_text(text)
    args = ["--ignore", "AG902", "-x", "lock_timeout=options"]
    if transaction == "per_migration":
        args += ["-x", "transaction=per_migration"]
    run = _check(local, *args, root=root)
    rename = run.line(RENAME, "op.rename_table(")
    index = run.line(RENAME, "op.create_index(")
    rows = [(r["line"], r["table"], r["lock"]) for r in run.locks(RENAME)["rows"]]
    assert rows == [(rename, "events", "ACCESS EXCLUSIVE"), (index, "happenings", "SHARE")]
    later = [(r["line"], r["table"], r["lock"]) for r in run.locks(INDEX_RENAMED)["rows"]]
    assert later == [(run.line(INDEX_RENAMED, "op.create_index("), "happenings", "SHARE")]
    found = run.report["findings"]
    [blocking] = [f for f in found if (f["code"], f["path"], f["line"]) == ("AG906", RENAME, index)]
    assert "lock on happenings:" in blocking["message"], blocking["message"]
    assert "lock on happenings:" in run.finding("AG906", INDEX_RENAMED)["message"]


@pytest.mark.postgres
def test_a_revision_that_commits_itself_gets_a_note(local: Path) -> None:
    # A revision's own `COMMIT` (insights-host-inventory's first revision sends one, in a
    # transaction its env.py began): from there on its statements, and those of the
    # revisions after it, may each commit alone, and nothing said that the lock tables
    # showed no lock held to the end ("no blocking lock") for that reason.
    root = Path(shutil.copytree(PROJECTS / "check_locks", local / uuid.uuid4().hex[:8]))
    add_note = root / ADD_NOTE
    text = add_note.read_text()
    first = '    op.add_column("accounts", sa.Column("note"'
    add_note.write_text(text.replace(first, '    op.execute("COMMIT")\n' + first, 1))
    run = _check(local, root=root)
    line = line_of(add_note, 'op.execute("COMMIT")')
    ended = [n for n in run.report["notes"] if "ends the transaction itself" in n]
    assert ended == [
        f"{ADD_NOTE}:{line}: revision d4f6b8ca0004 ends the transaction itself here (a "
        "COMMIT or ROLLBACK in its SQL): the locks its statements took before it end there, "
        "and the statements after it may run with no transaction around them, each "
        "committing alone, so the lock tables of this revision and of those after it need "
        "not show what a deploy holds (AG905, AG906 and AG907 are read inside a "
        "transaction); lint's warnings (AG1xx) on their lines stay"
    ], run.report["notes"]
