"""locate: finding lines in project files never fails on a file Python cannot parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from alembic_gate.check import locate


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "-" * 5000 + "1\n",  # nested past the parser's limit: RecursionError
        "x = " + "not " * 10000 + "1\n",  # more than it can hold: MemoryError
        "x = 1\x00\n",  # a NUL byte: ValueError
    ],
)
def test_a_file_python_cannot_parse_has_no_tree(tmp_path: Path, source: str) -> None:
    # check locates AG901/AG903 findings in the files alembic ran, which may be any of
    # these (alembic failing on them is what AG901 reports): they were a traceback
    path = tmp_path / "a.py"
    path.write_text(source, encoding="utf-8")
    assert locate.tree(str(path)) is None
    assert locate._assigned_in_body("class A:\n    x = " + "-" * 5000 + "1\n", "x") is None
