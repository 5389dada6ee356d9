from __future__ import annotations

from pathlib import Path

import pytest

from alembic_gate.shared.paths import below, display_path, display_paths, up_from


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


PLACES = ["/", "/work", "/work/project", "/work/project/versions", "/work/projectx", "/other"]


@pytest.mark.parametrize("path", PLACES)
@pytest.mark.parametrize("folder", PLACES)
def test_below_is_paths_parents(path: str, folder: str) -> None:
    # lint's paths are strings (pathlib is not imported): the same answers as Path's
    assert below(path, folder) == (Path(folder) in Path(path).parents)


@pytest.mark.parametrize("folder", PLACES)
def test_up_from_is_the_folder_and_its_parents(folder: str) -> None:
    assert [Path(f) for f in up_from(folder)] == [Path(folder), *Path(folder).parents]


def test_a_path_object_is_taken_as_its_string() -> None:
    assert display_path(Path("/work/project/a.py"), Path("/work")) == "project/a.py"
    assert display_path("/work/project/a.py", "/work") == "project/a.py"
