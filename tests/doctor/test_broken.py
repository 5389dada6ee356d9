"""A history alembic cannot load: doctor says so first and prints no alembic fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import R2, R4, REVISION_FILES, Database, Run, execute, upgrade, write_revision

Doctor = Callable[..., Run]
SIDE = "5e6f70819203"


def _dangling_parent(shop: Path) -> str:
    write_revision(shop, SIDE, "0badc0ffee00", "    pass")
    return f"{SIDE}'s down_revision names 0badc0ffee00, which no revision file defines (AG002)"


def _dangling_dependency(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass", extra="depends_on = 'nosuchlabel'")
    return f"{SIDE}'s depends_on names nosuchlabel, which is no revision or branch label (AG003)"


def _cycle(shop: Path) -> str:
    write_revision(shop, SIDE, "6f7081920314", "    pass")
    write_revision(shop, "6f7081920314", SIDE, "    pass")
    return f"revisions {SIDE} -> 6f7081920314 -> {SIDE} need each other (AG005)"


def _same_label(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass", extra="branch_labels = ('audit',)")
    write_revision(shop, "6f7081920314", R2, "    pass", extra="branch_labels = ('audit',)")
    return f"branch label audit is on both {SIDE} and 6f7081920314 (AG006)"


def _same_label_on_two_files_of_one_id(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass", extra="branch_labels = ('audit',)")
    versions = shop / "migrations" / "versions"
    [side] = versions.glob(f"{SIDE}*")
    shutil.copy(side, versions / f"z_{side.name}")
    assert not alembic_loads(shop)  # RevisionError: branch name already used
    return f"branch label audit is on 2 files of {SIDE} (AG004, AG006)"


def _dangling_parent_of_a_dropped_copy(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass")
    # read first (sorted), so dropped: alembic still walks its down_revision (KeyError)
    write_revision(shop, SIDE, "0badc0ffee00", "    pass", message="a_copy")
    assert not alembic_loads(shop)
    return (
        f"migrations/versions/{SIDE}_a_copy.py, a file of {SIDE} that alembic drops (AG004), "
        "names 0badc0ffee00, which no revision file defines"
    )


def _dangling_dependency_of_a_dropped_copy(shop: Path) -> str:
    write_revision(shop, SIDE, R2, "    pass")
    write_revision(shop, SIDE, R2, "    pass", message="a_copy", extra="depends_on = 'nolabel'")
    assert not alembic_loads(shop)
    return f"{SIDE}_a_copy.py, a file of {SIDE} that alembic drops (AG004), names nolabel"


@pytest.mark.parametrize(
    "breaks",
    [
        _dangling_parent,
        _dangling_dependency,
        _cycle,
        _same_label,
        _same_label_on_two_files_of_one_id,
        _dangling_parent_of_a_dropped_copy,
        _dangling_dependency_of_a_dropped_copy,
    ],
)
def test_a_broken_history_is_named_first_and_gets_no_alembic_fix(
    sqlite_db: Database, shop: Path, run_doctor: Doctor, breaks: Callable[[Path], str]
) -> None:
    upgrade(shop, sqlite_db.url, R2)
    problem = breaks(shop)  # after upgrading: alembic cannot load the history now
    result = run_doctor(shop, sqlite_db.url, "--format", "json")
    assert result.code == 1
    [finding] = result.findings
    assert finding["message"].startswith("The history is broken: alembic cannot load it, ")
    assert problem in finding["message"]
    assert finding["fix"] is None
    assert "Traceback" not in result.err


def test_a_database_at_the_heads_of_a_broken_history_is_told(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url)
    _dangling_parent(shop)
    execute(sqlite_db.url, f"INSERT INTO alembic_version (version_num) VALUES ('{SIDE}')")
    result = run_doctor(shop, sqlite_db.url)
    assert f"is at head ({R4}, {SIDE}); but the history is broken: alembic cannot load it" in (
        result.err
    )
    assert "`alembic-gate lint`" in result.err


# -- files lint cannot read (AG007, and AG004): which of them alembic refuses ----------------


def _raw(shop: Path, name: str, data: bytes) -> None:
    (shop / "migrations" / "versions" / name).write_bytes(data)


def _ids(rev: str, parent: str) -> bytes:
    return f"revision = {rev!r}\ndown_revision = {parent!r}\n".encode()


def _syntax_error_among_the_ids(shop: Path) -> str | None:
    _raw(shop, "side.py", b"revision = (\n")
    return "syntax error"


def _syntax_error_below_the_ids(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids(SIDE, R2) + b"def upgrade(:\n    pass\n")
    return "syntax error"


def _no_revision(shop: Path) -> str | None:
    _raw(shop, "side.py", f"down_revision = {R2!r}\n".encode())
    return "no `revision` variable"


def _no_revision_in_a_file_named_by_its_id(shop: Path) -> str | None:
    _raw(shop, "5e6f70.py", f"down_revision = {R2!r}\n".encode())
    return None  # alembic takes the id from the name (alembic 0.1's files)


def _nothing_in_a_file_named_by_its_id(shop: Path) -> str | None:
    _raw(shop, "5e6f70.py", b"def upgrade():\n    pass\n")
    return "no `down_revision` variable"  # AttributeError


def _no_down_revision(shop: Path) -> str | None:
    _raw(shop, "side.py", f"revision = {SIDE!r}\n".encode())
    return "no `down_revision` variable"


def _reserved_character_in_the_id(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids("side@1", R2))
    return "`revision` id 'side@1' is not allowed"


def _blank_id(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids("", R2))
    return None  # alembic takes "" as an id


def _blank_parent(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids(SIDE, ""))
    return "`down_revision` id '' is not allowed"


def _empty_dependency(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids(SIDE, R2) + b"depends_on = ''\n")
    return None


def _dependency_of_spaces(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids(SIDE, R2) + b"depends_on = ' '\n")
    return "`depends_on` id ' ' is not allowed"


def _not_utf8(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids(SIDE, R2) + "note = 'caf\u00e9'\n".encode("latin-1"))
    return "not UTF-8"


def _nul_byte(shop: Path) -> str | None:
    _raw(shop, "side.py", _ids(SIDE, R2) + b"\0\n")
    return "file contains NUL bytes"


def _dangling_link(shop: Path) -> str | None:
    (shop / "migrations" / "versions" / "side.py").symlink_to("gone.py")
    return "cannot read file"


def _id_that_is_no_literal(shop: Path) -> str | None:
    _raw(shop, "side.py", f"revision = 'side' + 'x'\ndown_revision = {R2!r}\n".encode())
    return None  # alembic evaluates it


def _duplicate_id(shop: Path) -> str | None:
    shutil.copy(shop / REVISION_FILES[R4], shop / "migrations" / "versions" / "side.py")
    return None  # AG004: alembic warns and keeps one of the files


def alembic_loads(project: Path) -> bool:
    """Whether the real `alembic heads` loads the project's history."""
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "heads"],
        cwd=project,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.parametrize(
    "breaks",
    [
        _syntax_error_among_the_ids,
        _syntax_error_below_the_ids,
        _no_revision,
        _no_revision_in_a_file_named_by_its_id,
        _nothing_in_a_file_named_by_its_id,
        _no_down_revision,
        _reserved_character_in_the_id,
        _blank_id,
        _blank_parent,
        _empty_dependency,
        _dependency_of_spaces,
        _not_utf8,
        _nul_byte,
        _dangling_link,
        _id_that_is_no_literal,
        _duplicate_id,
    ],
)
def test_a_file_alembic_cannot_load_is_named_first_and_gets_no_alembic_fix(
    sqlite_db: Database, shop: Path, run_doctor: Doctor, breaks: Callable[[Path], str | None]
) -> None:
    upgrade(shop, sqlite_db.url, R2)
    problem = breaks(shop)
    assert alembic_loads(shop) is (problem is None)
    result = run_doctor(shop, sqlite_db.url, "--format", "json")
    assert "Traceback" not in result.err
    assert result.code == 1
    [finding] = result.findings
    broken = finding["message"].startswith("The history is broken: alembic cannot load it, ")
    assert broken is (problem is not None)
    if problem is not None:
        known = {Path(path).name for path in REVISION_FILES.values()}
        [name] = [
            p.name for p in (shop / "migrations" / "versions").iterdir() if p.name not in known
        ]
        assert f"migrations/versions/{name}: {problem}" in finding["message"]
        assert "(AG007)" in finding["message"]
        assert finding["fix"] is None
    else:
        assert finding["fix"] is not None
