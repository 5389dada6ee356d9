"""A history alembic cannot load: doctor says so first and prints no alembic fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    R1,
    R2,
    R3,
    R4,
    REVISION_FILES,
    Database,
    Run,
    execute,
    upgrade,
    write_revision,
)

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


# -- a duplicate id with a child (AG004): alembic loads it but `upgrade heads` fails -------

R3_FILE = REVISION_FILES[R3]


def _copy_of(shop: Path, name: str, parent: str | None) -> None:
    """Another file of R3 (which R4 sits on) named `name`, with `parent` as its parent."""
    text = (shop / R3_FILE).read_text(encoding="utf-8")
    text = text.replace(f"down_revision = {R2!r}", f"down_revision = {parent!r}")
    (shop / "migrations" / "versions" / name).write_text(text, encoding="utf-8")


def _dropped_copy_a_base(shop: Path) -> bool:
    _copy_of(shop, f"{R3}_a_copy.py", None)  # listed first: alembic drops it
    return True


def _dropped_copy_on_another_parent(shop: Path) -> bool:
    _copy_of(shop, f"{R3}_a_copy.py", R1)
    return True


def _dropped_copy_on_the_same_parent(shop: Path) -> bool:
    _copy_of(shop, f"{R3}_a_copy.py", R2)
    return True


def _kept_copy_listed_last(shop: Path) -> bool:
    _copy_of(shop, f"{R3}_z_copy.py", None)  # kept: the shop's own R3 file is dropped
    return True


def _child_by_dependency(shop: Path) -> bool:
    write_revision(shop, SIDE, R2, "    pass", message="a_copy")  # dropped
    write_revision(shop, SIDE, R2, "    pass")  # kept
    write_revision(shop, "6f7081920314", R4, "    pass", extra=f"depends_on = {SIDE!r}")
    return True


def _copy_of_a_head(shop: Path) -> bool:
    shutil.copy(shop / REVISION_FILES[R4], shop / "migrations" / "versions" / "side.py")
    return False  # no child: `upgrade heads` runs


def _copy_of_a_head_on_another_parent(shop: Path) -> bool:
    write_revision(shop, SIDE, R2, "    pass", message="a_copy")
    write_revision(shop, SIDE, None, "    pass")
    return False


def alembic_overlaps(project: Path, url: str) -> bool:
    """Whether the real `alembic history` and `upgrade heads` fail on the history as
    doctor's fix would (on a copy of the database): each run is checked to agree."""
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "history"],
        cwd=project,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    history_fails = done.returncode != 0
    assert ("overlaps with other requested revisions" in done.stdout + done.stderr) is history_fails
    try:
        upgrade(project, url)
    except Exception as error:  # alembic's RevisionError
        assert "overlaps with other requested revisions" in str(error)
        assert history_fails
        return True
    assert not history_fails
    return False


@pytest.mark.parametrize(
    "duplicates",
    [
        _dropped_copy_a_base,
        _dropped_copy_on_another_parent,
        _dropped_copy_on_the_same_parent,
        _kept_copy_listed_last,
        _child_by_dependency,
        _copy_of_a_head,
        _copy_of_a_head_on_another_parent,
    ],
)
def test_a_duplicate_id_with_a_child_is_named_first_and_gets_no_alembic_fix(
    sqlite_db: Database,
    shop: Path,
    run_doctor: Doctor,
    tmp_path: Path,
    duplicates: Callable[[Path], bool],
) -> None:
    upgrade(shop, sqlite_db.url, R2)
    overlaps = duplicates(shop)
    assert alembic_loads(shop)
    assert sqlite_db.path is not None
    spare = tmp_path / "spare.db"
    shutil.copy(sqlite_db.path, spare)
    assert alembic_overlaps(shop, f"sqlite:///{spare}") is overlaps
    result = run_doctor(shop, sqlite_db.url, "--format", "json")
    assert "Traceback" not in result.err
    assert result.code == 1
    [finding] = result.findings
    broken = finding["message"].startswith("The history is broken: alembic loads it but ")
    assert broken is overlaps
    if overlaps:
        assert "is defined in 2 files (AG004) and has a " in finding["message"]
        assert "`alembic upgrade heads` and `alembic history` fail" in finding["message"]
        assert finding["fix"] is None
    else:
        assert finding["fix"] is not None


def test_a_database_at_the_heads_of_a_duplicate_id_with_a_child_is_told(
    sqlite_db: Database, shop: Path, run_doctor: Doctor
) -> None:
    upgrade(shop, sqlite_db.url)
    _dropped_copy_a_base(shop)
    result = run_doctor(shop, sqlite_db.url)
    assert result.code == 0
    assert (
        f"is at head ({R4}); but the history is broken: alembic loads it but cannot upgrade "
        f"it to its heads, so no alembic fix is given until it is fixed: {R3} is defined in 2 "
        f"files (AG004) and has a child, {R4}:"
    ) in " ".join(result.err.split())
