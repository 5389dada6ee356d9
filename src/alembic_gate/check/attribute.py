"""Which op.* line of which revision file is running right now.

Measurements hook into SQLAlchemy's events (`before_cursor_execute`) and into alembic's
steps; to tie a statement to the line of Python that emitted it, they look up the call
stack: the innermost frame whose code lives in a revision file is the `op.*` call (or
the `op.execute(...)`, or the helper's line in that file) that is running.

Inside `with op.batch_alter_table(...) as batch_op:` alembic queues the calls and runs
their statements when the block ends, with the `with` line on the stack. `follow_batches`
patches alembic (once) to keep, per batch, the batch_op.* calls it queued (`BatchCall`)
and, while a batch runs, which call's entry alembic's flush is carrying out: where the
batch runs one ALTER per call (no copy of the table), `current()` is that call's line,
and its hooks run again before each call after the first, as before an op.* call.
Where it copies the table (every call's effect is in the copy), it stays the `with` line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from alembic.operations.base import AbstractOperations, BatchOperations
from alembic.operations.batch import BatchOperationsImpl

from alembic_gate.shared.records import record

Line = tuple[str, int]


class Attributor:
    """Finds the innermost frame in one of the revision files (absolute real paths),
    as `revision_files()` gives them when a frame is looked up: the files are imported
    once env.py asks for the revisions to run, as alembic imports them."""

    def __init__(self, revision_files: Callable[[], Collection[str]]) -> None:
        self.files = revision_files
        # co_filename -> its real path in `files`, or None: a syscall per code object only.
        self._known: dict[str, str | None] = {}

    def current(self, skip: int = 1) -> Line | None:
        """(path, line) of the op.* call running now: the batch_op.* call whose entry a
        batch runs as an ALTER of its own, else the innermost revision-file frame above
        the caller."""
        call = running()
        if call is not None and call.line is not None:
            return call.line
        return self.on_stack(skip + 1)

    def on_stack(self, skip: int = 1) -> Line | None:
        """(path, line) of the innermost revision-file frame above the caller."""
        frame = sys._getframe(skip)
        while frame is not None:
            path = self._revision_path(frame.f_code.co_filename)
            if path is not None:
                return path, frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def _revision_path(self, filename: str) -> str | None:
        if filename not in self._known:
            real = os.path.realpath(filename) if not filename.startswith("<") else ""
            self._known[filename] = real if real in self.files() else None
        return self._known[filename]


@record
class BatchCall:
    """A batch_op.* call: its line, its operation, and the entries it put into alembic's
    batch (BatchOperationsImpl.batch[first:end]), which the batch carries out when its
    block ends."""

    line: Line | None
    operation: Any
    first: int
    end: int


class _Batches:
    """alembic's batches: the calls each one queued, and the ones running now."""

    def __init__(self) -> None:
        self.attributor: Attributor | None = None  # names the batch_op.* lines
        self.running: list[tuple[BatchOperationsImpl, list[BatchCall]]] = []
        self.flush_code: Any = None  # the code of alembic's own flush
        # Called as a batch starts running, with its calls (seeding's bookkeeping), and
        # again before each call after the first where it runs them one by one.
        self.on_flush: list[Callable[[BatchOperationsImpl, list[BatchCall]], None]] = []


_BATCHES = _Batches()
_QUEUED = "_alembic_gate_calls"
_FAILED_CALL = "_alembic_gate_failed_call"


def follow_batches(
    attributor: Attributor,
    on_flush: Callable[[BatchOperationsImpl, list[BatchCall]], None] | None = None,
) -> None:
    """Keep the batch_op.* calls of every batch, their lines as `attributor` finds them
    (every attributor of a run knows the same revision files)."""
    _BATCHES.attributor = attributor
    if on_flush is not None and on_flush not in _BATCHES.on_flush:
        _BATCHES.on_flush.append(on_flush)
    if getattr(BatchOperations.invoke, "_alembic_gate_batches", False):
        return
    flush_original = BatchOperationsImpl.flush
    _BATCHES.flush_code = getattr(flush_original, "__code__", None)

    def invoke(self: BatchOperations, operation: Any) -> Any:
        return _queue(self, operation)

    def flush(self: BatchOperationsImpl) -> Any:
        return _flush(flush_original, self)

    invoke._alembic_gate_batches = True  # type: ignore[attr-defined]
    setattr(BatchOperations, "invoke", invoke)  # noqa: B010 - patching a method
    setattr(BatchOperationsImpl, "flush", flush)  # noqa: B010


def _queue(ops: BatchOperations, operation: Any) -> Any:
    attributor = _BATCHES.attributor
    line = attributor.on_stack() if attributor is not None else None
    first = len(entries(ops.impl))
    result = AbstractOperations.invoke(ops, operation)
    calls = ops.impl.__dict__.setdefault(_QUEUED, [])
    calls.append(BatchCall(line, operation, first, len(entries(ops.impl))))
    return result


def _flush(original: Callable[[BatchOperationsImpl], Any], impl: BatchOperationsImpl) -> Any:
    calls: list[BatchCall] = impl.__dict__.pop(_QUEUED, [])
    for hook in _BATCHES.on_flush:
        hook(impl, calls)
    _BATCHES.running.append((impl, calls))
    try:
        with _each_call(impl, calls):
            return original(impl)
    except BaseException as exc:
        _note_failed_call(exc, impl, calls)
        raise
    finally:
        _BATCHES.running.pop()


@contextmanager
def _each_call(impl: BatchOperationsImpl, calls: list[BatchCall]) -> Iterator[None]:
    """While the batch runs: where it runs its entries one by one (the methods of
    alembic's impl that its entries name), the hooks run again before the first entry of
    each call after the first, so that each call meets the tables as an op.* call would."""
    target = impl.operations.impl
    names = {entry[0] for entry in entries(impl) if isinstance(entry, tuple) and entry}
    kept = {name: vars(target)[name] for name in names if name in vars(target)}
    for name in names:
        method = getattr(target, name, None)
        if callable(method):
            setattr(target, name, _announced(method, impl, calls))
    try:
        yield
    finally:
        for name in names:
            if name in kept:
                setattr(target, name, kept[name])
            else:
                vars(target).pop(name, None)


def _announced(
    method: Callable[..., Any], impl: BatchOperationsImpl, calls: list[BatchCall]
) -> Callable[..., Any]:
    """`method`, run after the hooks where it starts a call other than the batch's first
    (the hooks ran for that one as the batch started)."""

    def announced(*args: Any, **kwargs: Any) -> Any:
        call = running()
        if call is not None and call is not calls[0] and call.first == _running_entry(impl):
            for hook in _BATCHES.on_flush:
                hook(impl, calls)
        return method(*args, **kwargs)

    return announced


def _note_failed_call(
    exc: BaseException, impl: BatchOperationsImpl, calls: list[BatchCall]
) -> None:
    """Mark `exc` with the line of the batch_op.* call whose ALTER raised it, where the
    batch runs one per call (read from alembic's flush frame in the traceback)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code is not _BATCHES.flush_code:
        tb = tb.tb_next
    index = _entry_of(tb.tb_frame, impl) if tb is not None else None
    call = next((c for c in calls if index is not None and c.first <= index < c.end), None)
    if call is not None and call.line is not None and not hasattr(exc, _FAILED_CALL):
        with suppress(AttributeError, TypeError):  # an exception that takes no attributes
            setattr(exc, _FAILED_CALL, call.line)


def failed_call(exc: BaseException) -> Line | None:
    """The batch_op.* call whose statement raised `exc` (None: no such call is known)."""
    line = getattr(exc, _FAILED_CALL, None)
    return line if isinstance(line, tuple) else None


def flushing() -> list[BatchCall] | None:
    """The batch_op.* calls of the batch whose statements run now (None: none runs)."""
    return _BATCHES.running[-1][1] if _BATCHES.running else None


def running() -> BatchCall | None:
    """The batch_op.* call whose statements run now, where the batch runs its entries
    one by one as ALTERs; None where it copies the table (every call's effect is in the
    copy), no batch runs, or the entry cannot be told."""
    if not _BATCHES.running:
        return None
    impl, calls = _BATCHES.running[-1]
    index = _running_entry(impl)
    if index is None:
        return None
    return next((c for c in calls if c.first <= index < c.end), None)


def _running_entry(impl: BatchOperationsImpl) -> int | None:
    """The index in the batch of the entry alembic's flush is carrying out: its loop
    variables (`for opname, arg, kw in self.batch`), read from its frame."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code is not _BATCHES.flush_code:
        frame = frame.f_back  # type: ignore[assignment]
    return _entry_of(frame, impl) if frame is not None else None


def _entry_of(frame: Any, impl: BatchOperationsImpl) -> int | None:
    """The index of the entry that alembic's flush, running in `frame`, carries out."""
    names = frame.f_locals
    if names.get("should_recreate") is not False or "arg" not in names:
        return None
    arg = names["arg"]
    for index, entry in enumerate(entries(impl)):
        if isinstance(entry, tuple) and len(entry) == 3 and entry[1] is arg:
            return index
    return None


def entries(impl: Any) -> list[Any]:
    """The entries of a BatchOperationsImpl's batch (alembic's (opname, arg, kw))."""
    batch = getattr(impl, "batch", None)
    return batch if isinstance(batch, list) else []
