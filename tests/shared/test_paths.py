from __future__ import annotations

from pathlib import Path

import pytest

from alembic_gate.shared.paths import display_path, display_paths


@pytest.mark.parametrize("cwd", ["/work/project", "/", "/work/pro"])
def test_display_paths_is_display_path_of_each(cwd: str) -> None:
    paths = [
        Path("/work/project"),
        Path("/work/project/versions/a.py"),
        Path("/work/projectx/a.py"),
        Path("/other/b.py"),
        Path("relative/c.py"),
    ]
    shown = display_paths([str(path) for path in paths], Path(cwd))
    assert shown == [display_path(path, Path(cwd)) for path in paths]
