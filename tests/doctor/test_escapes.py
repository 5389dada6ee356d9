"""Names read from the database (tables, columns, version rows) reach no terminal or
report raw: a control character or terminal escape in them is written as a visible
escape (`\\x1b`) in every output, standard error included."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from .conftest import R4, Database, Run, execute, upgrade, write_revision
from .test_formats import FILES

Doctor = Callable[..., Run]
# What must never be written as it is: C0 controls but the newline, DEL, C1 controls,
# the line separators and the bidirectional overrides.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CLEAR = "\x1b[2J"


def assert_escaped(*texts: str) -> None:
    for text in texts:
        assert RAW.search(text) is None, RAW.findall(text)


def test_database_names_are_escaped_in_every_format(
    sqlite_db: Database, shop: Path, run_doctor: Doctor, tmp_path: Path
) -> None:
    execute(
        sqlite_db.url,
        f'CREATE TABLE "evil{CLEAR}\x9b31m" (id INTEGER, "col\x07\u202e" INTEGER)',
        "CREATE TABLE alembic_version (version_num VARCHAR(64) PRIMARY KEY)",
        f"INSERT INTO alembic_version VALUES ('abc{CLEAR}\r\n::error::x')",
    )
    out = tmp_path / "reports"
    args = [f"--format={fmt}={out / name}" for fmt, name in FILES.items()]
    before = sqlite_db.fingerprint()
    result = run_doctor(shop, sqlite_db.url, "--format", "text", *args)
    assert sqlite_db.fingerprint() == before
    assert result.code == 1
    assert "abc\\x1b[2J\\r\\n::error::x" in result.out
    assert_escaped(result.out, result.err, *(p.read_text() for p in out.iterdir()))


def test_the_status_line_at_head_is_escaped(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    # A revision id alembic takes as it is, written into the version table by upgrade.
    odd = f"5e6f{CLEAR}70819203"
    write_revision(shop, odd, R4, "    pass", "odd id")
    upgrade(shop, sqlite_db.url)
    result = run_doctor(shop, sqlite_db.url)
    assert result.code == 0
    assert "is at head (5e6f\\x1b[2J70819203)" in result.err
    assert_escaped(result.out, result.err)
    shutil.rmtree(shop / "migrations" / "versions" / "__pycache__", ignore_errors=True)
