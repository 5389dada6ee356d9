"""The op.* line running right now, from the call stack."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from alembic_gate.check.attribute import Attributor

REVISION = """
def helper(op):
    return op.run()


def upgrade(op):
    first = op.run()
    second = helper(
        op,
    )
    return first, second
"""


class FakeOp:
    """Stands in for alembic's `op` proxy: it asks where it was called from."""

    def __init__(self, attributor: Attributor) -> None:
        self.attributor = attributor

    def run(self) -> object:
        return self.attributor.current(skip=2)


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location("revision_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_innermost_revision_frame_is_the_op_line(tmp_path: Path) -> None:
    path = tmp_path / "ab12_rev.py"
    path.write_text(REVISION)
    real = os.path.realpath(path)
    module = _load(path)
    attributor = Attributor(lambda: {real})
    first, second = module.upgrade(FakeOp(attributor))  # type: ignore[attr-defined]
    assert first == (real, 7)
    assert second == (real, 3)  # inside the helper, in the same file


def test_no_revision_frame_is_none(tmp_path: Path) -> None:
    assert Attributor(lambda: {str(tmp_path / "other.py")}).current() is None
