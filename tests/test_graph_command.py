from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from alembic_gate.graph_command import draw
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.load import History
from alembic_gate.main import main
from alembic_gate.setup.discovery import AlembicSetup

PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALEMBIC_GATE_NO_CACHE", "1")


def copy_project(name: str, to: Path) -> Path:
    target = to / name
    shutil.copytree(PROJECTS / name, target, ignore=shutil.ignore_patterns(".alembic-gate-cache"))
    return target


def test_text_of_a_versions_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "a.py").write_text("revision = 'a'\ndown_revision = None\n")
    (tmp_path / "v" / "b.py").write_text("revision = 'b'\ndown_revision = 'a'\n")
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--versions", "v"]) == 0
    assert capsys.readouterr().out == "a -> b (head), v/b.py\n<base> -> a, v/a.py\n"


@pytest.mark.parametrize(("fmt", "start"), [("mermaid", "flowchart BT\n"), ("dot", "digraph")])
def test_formats_of_a_fixture_project(
    fmt: str,
    start: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(copy_project("multi_locations", tmp_path))
    assert main(["graph", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.startswith(start)
    assert out.count("->") == 4  # 3 down_revision edges, 1 depends_on
    assert "core" in out and "billing" in out


def test_several_setups_get_a_header_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_project("plain", tmp_path)
    copy_project("here_interp", tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["graph", "-c", "plain/alembic.ini", "-c", "here_interp/alembic.ini"]
    assert main(args) == 0
    blocks = capsys.readouterr().out.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        "# plain/alembic.ini [alembic]",
        "# here_interp/alembic.ini [alembic]",
    ]
    assert all(len(block.splitlines()) == 4 for block in blocks)


def test_project_code_is_never_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "imported"
    monkeypatch.setenv("ALEMBIC_GATE_IMPORT_MARKER", str(marker))
    monkeypatch.chdir(copy_project("package_location", tmp_path))
    assert main(["graph"]) == 0
    assert "(head)" in capsys.readouterr().out
    assert not marker.exists()


def test_no_setup_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--format", "dot"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("alembic-gate: error: ")
    assert "Traceback" not in captured.err


def test_sourceless_revisions_are_noted(tmp_path: Path) -> None:
    setup = AlembicSetup(None, "alembic", None, (str(tmp_path / "v"),), sourceless=True)
    history = History(setup, RevisionGraph.build([]), ["v/__pycache__/a.cpython-311.pyc"])
    assert draw([history], "dot", tmp_path).endswith(
        "}\n// not read (sourceless): v/__pycache__/a.cpython-311.pyc\n"
    )
    two = draw([history, history], "mermaid", tmp_path)
    assert two.count("%% revisions in v\nflowchart BT\n") == 2


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_an_id_no_utf8_can_hold(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `revision = "\ud800"` is a string Python reads (alembic loads it): dot wrote it to
    # standard output as it was, a UnicodeEncodeError traceback
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "a.py").write_text("revision = '\\ud800'\ndown_revision = None\n")
    monkeypatch.chdir(tmp_path)
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8"))
    assert main(["graph", "--versions", "v", "--format", fmt]) == 0
    sys.stdout.flush()
    shown = raw.getvalue().decode("utf-8")
    assert "#55296;" in shown if fmt == "mermaid" else "\\ud800" in shown
