"""The functions plain.py generates, written ahead of time (plain_generated.py): the
module is current, a `lint` run compiles none of them, each one builds, packs and
refuses exactly what the one compiled at run time does, and one whose class has changed
since is not used."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from changed_records import call_with_a_field_added

from alembic_gate.history import cache, plain, plain_writer
from alembic_gate.history import operations as operations_module
from alembic_gate.history.operations import Call, Operations, read_operations
from alembic_gate.history.revisions import RevisionFile, Value, read_revision

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"
REVISIONS = sorted(PROJECTS.glob("**/versions/*.py"))
GENERATED = Path(plain.__file__).parent / plain_writer.GENERATED
T = TypeVar("T")


def tables_of(text: str, filename: str) -> tuple[Any, Any]:
    """The tables of a module like plain_generated.py, from its text."""
    module = types.ModuleType("generated_for_tests")
    exec(compile(text, filename, "exec"), module.__dict__)
    return module.FUNCTIONS, module.SCHEMAS


@contextmanager
def generated(tables: tuple[Any, Any]) -> Iterator[None]:
    """plain with no function made yet, taking the ones `tables` hold."""
    saved = plain._PLANS, plain._PACKERS, plain._ahead
    plain._PLANS, plain._PACKERS = {}, {}
    plain._ahead = lambda: tables  # type: ignore[assignment]
    try:
        yield
    finally:
        plain._PLANS, plain._PACKERS, plain._ahead = saved  # type: ignore[assignment]


AHEAD = plain._ahead()
NONE: tuple[Any, Any] = ({}, {})


def origin(function: Callable[..., Any]) -> str:
    """Where a generated function was compiled: plain_generated.py or at run time."""
    return "ahead" if function.__code__.co_filename == str(GENERATED) else "now"


def both(work: Callable[[], T]) -> tuple[T, T]:
    """What `work` gives with the functions compiled now, and generated ahead."""
    with generated(NONE):
        now = work()
        assert origin(plain.reader(RevisionFile, cache._SKIP)) == "now"
    with generated(AHEAD):
        ahead = work()
        assert origin(plain.reader(RevisionFile, cache._SKIP)) == "ahead"
    return now, ahead


def test_the_generated_module_is_current() -> None:
    written = plain_writer.generated_module(*plain_writer.cache_records())
    assert GENERATED.read_text() == written, (
        f"{GENERATED.relative_to(ROOT)} is not current: run `{plain_writer.WRITE_COMMAND}`"
    )


LINT_TWICE = """
import json, sys
from alembic_gate.history import plain
compiled, described = [], []
real_compiled, real_hints = plain._compiled, plain._hints
def compiled_now(source, env):
    compiled.append(f"{source.splitlines()[0]} {env.get('cls')}")
    return real_compiled(source, env)
def hints(cls):
    described.append(cls.__name__)
    return real_hints(cls)
plain._compiled, plain._hints = compiled_now, hints
from alembic_gate.main import main
codes = [main(["lint", "--no-cache"]), main(["lint"])]
with open(sys.argv[1], "a") as file:
    file.write("# changed\\n")
codes.append(main(["lint", "--format", "json", sys.argv[1]]))
sys.stdout.flush()
print(json.dumps([codes, compiled, described]), file=sys.stderr)
"""


def test_a_lint_run_compiles_nothing(tmp_path: Path) -> None:
    """`lint`: without the cache, filling it, and reading through it a changed file:
    every function plain.py is asked for is generated ahead (none compiled, no declared
    type evaluated: not even for the cache's format)."""
    project = Path(shutil.copytree(PROJECTS / "plain", tmp_path / "plain"))
    changed = sorted((project / "alembic" / "versions").glob("*.py"))[-1]
    done = subprocess.run(
        [sys.executable, "-c", LINT_TWICE, str(changed)],
        cwd=project,
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if k != "ALEMBIC_GATE_NO_CACHE"},
            "ALEMBIC_GATE_CACHE_DIR": str(tmp_path / "cache"),
        },
        check=True,
    )
    codes, compiled, described = json.loads(done.stderr.splitlines()[-1])
    assert (compiled, described) == ([], [])
    assert codes[0] == codes[1] and any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize("path", REVISIONS, ids=lambda p: str(p.relative_to(PROJECTS)))
def test_generated_ahead_reads_and_packs_as_compiled_now(path: Path) -> None:
    """Every fixture revision, as the cache packs it and reads it back: the same data,
    the same objects; and the same outcome for the data with any field replaced by a
    value of another type (the object built, or the error's message)."""
    rev = read_revision(path, ROOT)
    ops = read_operations(path.read_bytes())
    leading = (rev.file, rev.shown, rev.ops_in, rev.ops_at)

    def packed() -> bytes:
        return marshal.dumps((plain.pack(rev, cache._SKIP), plain.pack(ops)))

    now, ahead = both(packed)
    assert now == ahead
    facts, ops_data = marshal.loads(now)

    def outcomes() -> list[str]:
        damaged = [(RevisionFile, bad, leading) for bad in _damaged(facts)]
        damaged += [(Operations, bad, ()) for bad in _damaged(ops_data)]
        return [_outcome(cls, bad, given) for cls, bad, given in damaged]

    now_read, ahead_read = both(outcomes)
    assert now_read == ahead_read
    assert sum(read.startswith("ValueError") for read in now_read) > len(now_read) / 2

    def unpacked() -> tuple[RevisionFile, Operations]:
        facts, ops_data = marshal.loads(now)  # (reading changes the data in place)
        return plain.unpack(RevisionFile, facts, *leading), plain.unpack(Operations, ops_data)

    read_now, read_ahead = both(unpacked)
    assert read_now == read_ahead == (rev, ops)
    assert type(read_ahead[0]) is RevisionFile and type(read_ahead[1]) is Operations


WRONG = [None, 1, True, 1.5, "x", b"x", (), ("x",), (("x", 1),), [], {}, {"k": "v"}, {1: "v"}]


def _damaged(data: tuple[Any, ...]) -> Iterator[Any]:
    """`data` with each of its fields, and each field of a record in it, replaced by
    values of other types."""
    yield data[:-1]
    for i, value in enumerate(data):
        for wrong in WRONG:
            yield (*data[:i], wrong, *data[i + 1 :])
        if type(value) is tuple and value and type(value[0]) is not str:
            for inner in _damaged(value):
                yield (*data[:i], inner, *data[i + 1 :])


def _outcome(cls: type, data: object, leading: tuple[object, ...]) -> str:
    try:
        return repr(plain.unpack(cls, marshal.loads(marshal.dumps(data)), *leading))
    except ValueError as exc:
        return f"ValueError: {exc}"


def test_the_constructors_generated_ahead_build_as_compiled_now() -> None:
    given = {"name": "add_column", "line": 3, "table": "t", "options": {"k": 1}}
    now, ahead = both(lambda: (plain.constructor(Call), plain.constructor(Call)))
    assert (origin(now[0]), origin(ahead[0])) == ("now", "ahead")
    assert now[0](**given) == ahead[0](**given) == Call(**given)  # type: ignore[arg-type]
    assert vars(ahead[0](**given)) == vars(Call(**given))  # type: ignore[arg-type]
    assert ahead[0]("a", 1, None).options is not ahead[1]("a", 1, None).options
    errors = []
    for make in (now[0], ahead[0]):
        with pytest.raises(TypeError) as caught:
            make("orm")
        errors.append(str(caught.value))
    missing = "make() missing 2 required positional arguments: 'line' and 'table'"
    assert errors[0] == errors[1] == missing


def test_the_schemas_generated_ahead_are_the_walked_ones() -> None:
    """The cache's format stays what it was (a cache written before still loads)."""
    walked, ahead = both(lambda: (plain.schema(RevisionFile), plain.schema(Operations)))
    assert walked == ahead
    with generated(AHEAD):
        stamp = cache._format.__wrapped__()
    with generated(NONE):
        assert cache._format.__wrapped__() == stamp


def _stale(kind: str, cls: type, skip: int) -> tuple[Any, Any]:
    """AHEAD with the entry of `cls` written for a class with other fields."""
    key = (kind, cls.__module__, cls.__qualname__, skip)
    fingerprint, factory = AHEAD[0][key]
    changed = fingerprint.replace("(", "(added:str,", 1)
    return {**AHEAD[0], key: (changed, factory)}, AHEAD[1]


def test_an_entry_written_for_other_fields_is_not_used() -> None:
    with generated(_stale("reader", Value, 0)):
        assert origin(plain._plan(Value)) == "now"
        assert origin(plain.reader(RevisionFile, cache._SKIP)) == "ahead"
        assert plain.unpack(Value, (("a",), True, 3, None)) == Value(("a",), True, 3, None)
    with generated(_stale("packer", Value, 0)):
        assert origin(plain._packer(Value, 0)) == "now"
    with generated(_stale("constructor", Call, 0)):
        assert origin(plain.constructor(Call)) == "now"


def test_a_class_changed_since_is_compiled_now() -> None:
    """A field added to Call (as another developer would, without writing the module
    again): same module, same name, so the entry is found, but not used."""
    extended = call_with_a_field_added()
    with generated(AHEAD):
        assert origin(plain._plan(extended)) == origin(plain._packer(extended, 0)) == "now"
        assert origin(plain.constructor(extended)) == "now"
        call = extended("add_column", 3, "t", confidence="low")
        assert plain.unpack(extended, plain.pack(call)) == call
        assert "confidence:str | None" in plain.schema(extended)


def test_a_named_record_that_is_no_longer_one_is_compiled_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Call's fields name Column: when the name stands for something else, what was
    generated for Call is not used."""
    monkeypatch.setattr(operations_module, "Column", tuple)
    with generated(AHEAD):
        assert plain._ahead_function("reader", Call, 0) is None
        assert plain._ahead_function("packer", Call, 0) is None
        assert plain._ahead_schema(Operations) is None
        assert plain._ahead_schema(RevisionFile) is not None


def test_a_class_with_no_twin_now_is_compiled_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plain, "_twin", lambda cls: None)
    with generated(AHEAD):
        assert origin(plain._plan(Value)) == "now"
        assert plain.unpack(Value, (("a",), True, 3, None)) == Value(("a",), True, 3, None)


def test_a_changed_schema_part_is_walked_again() -> None:
    key = (Operations.__module__, "Operations")
    entry = list(AHEAD[1][key])
    holder, name, part = entry[-1]
    entry[-1] = (holder, name, part.replace("type_:", "kind:"))
    with generated((AHEAD[0], {**AHEAD[1], key: tuple(entry)})):
        assert plain._ahead_schema(Operations) is None
        walked = plain.schema(Operations)
    with generated(NONE):
        assert plain.schema(Operations) == walked


def test_a_type_that_cannot_be_written_ahead_is_refused() -> None:
    class Local:
        pass

    with pytest.raises(ValueError, match="cannot be written ahead"):
        plain_writer._value_code(Local)
    with pytest.raises(ValueError, match="cannot be written ahead"):
        plain_writer._hint_text(Local, Value)
