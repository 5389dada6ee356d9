"""What was read from each revision file, kept between runs and keyed by content.

Every revision file is parsed whole once per content (revisions.py); the result, plain
data, is stored under a hash of the file's bytes. For each path the cache also keeps
the file's metadata (mtime, size, inode, ctime): a file whose metadata is unchanged is
not even opened, and one whose metadata changed (a fresh clone, a checkout, `touch`) is
read and hashed, and parsed only when that content is new. So a cache restored in CI
(actions/cache, GitLab's `cache:`) spares the parse of every unchanged file although
the checkout gave them new mtimes.

The cache lives in `.alembic-gate-cache/` under the current directory (like ruff's
`.ruff_cache/`, with a `.gitignore` of its own), one file per set of version
locations; `--no-cache` or `ALEMBIC_GATE_NO_CACHE=1` turn it off,
`ALEMBIC_GATE_CACHE_DIR` moves it. It holds plain data written with `marshal` (never
pickle, never code), checked field by field when read back (plain.py) and against the
CRC-32 of each piece and of each entry's operations: any problem
reading or writing it, or an entry of the wrong shape, just means a cold read.

Cold reads of many files are shared with forked processes, each reading, hashing and
parsing its part of the files and sending back plain data; the packed operations of many
files read anew are written aside to a temporary file as they come (`Spill`), which their
revisions read them back from, as loaded ones do from the cache file.
"""

from __future__ import annotations

import functools
import gc
import itertools
import marshal
import os
import stat
import struct
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence

from alembic_gate import __version__
from alembic_gate.history import plain
from alembic_gate.history.operations import (
    Operations,
    Uncompressed,
    expect,
    forget,
    keeps,
    unpack_ahead,
)
from alembic_gate.history.revisions import (
    RevisionFile,
    StoredOps,
    Value,
    packed_place,
    read_revision_source,
    shown_as,
    unpacked_place,
    unreadable_file,
)
from alembic_gate.shared.files import open_regular, read_regular
from alembic_gate.shared.paths import display_path, shown_paths
from alembic_gate.shared.records import fields

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Any, BinaryIO, TypeGuard

    from alembic_gate.shared.paths import StrPath

CACHE_DIR = ".alembic-gate-cache"

# (mtime_ns, size, inode, ctime_ns) of a file, as 32 bytes (`_pack_key`).
Key = bytes
# A read file as plain data: its facts (marshal of the packed RevisionFile without
# `ops_data`) and its packed operations (a child sends the bytes; the parent may have
# written them aside: `Spill`).
Entry = tuple[bytes, "bytes | StoredOps"]
# An entry as the cache file holds it: its facts, and where its packed operations lie in
# that file, their offset and length as one int (`packed_place`; the operations are kept
# out of the pieces: loading never reads them).
Stored = tuple[bytes, int]
# What reading one file gives: the hash of its bytes (None when it could not be read:
# nothing to keep) and its entry (None when the hash is already stored).
Read = tuple[bytes | None, Entry | None]
# The same for a file read in this process: the RevisionFile itself rather than its entry
# (packing it to unpack it again cost ~170 k instructions a file).
Local = tuple[bytes | None, "Entry | RevisionFile | None"]

# The cache file is pieces of marshal data, each after its length and after the packed
# operations of its entries (`Stored`; a frame: the two lengths, the operations, the
# marshal data, `_framed`): first the format, then
# pieces of (index entries, stored entries), PIECE of each at a time, so that neither
# loading nor saving holds a copy of the whole file beside what it holds (27 MB at 20,000
# revisions), nor of the whole index (3 MB), and a piece is loaded at once (marshal.load
# on a stream reads it value by value, each a call to the stream: 7x slower). Pieces made
# before the index was spread over them hold it whole in the first one, read alike.
# A piece larger than _LARGEST is not read (a cold run). A run that read few files anew
# (a commit) appends one piece with what it learnt, which later pieces override, instead
# of writing the whole file again (~5 ms at 1,000 revisions); the file is written whole
# again once it holds more than about twice what is still used.
PIECE = 1000
_LARGEST = 1 << 30
_SLACK = 64
_SKIP = 4  # RevisionFile's file, shown, ops_in and ops_at are given, not stored
_STORED = [f.name for f in fields(RevisionFile)][_SKIP:]
_OPS_FIELD = _STORED.index("ops_data")
_LABELS_FIELD, _DEPENDS_FIELD = _STORED.index("branch_labels"), _STORED.index("depends_on")


@functools.cache
def _format() -> str:
    """Changes with the version, with every field of what is stored, and with the number
    after "cache" (raised when the same file is read into other calls)."""
    shapes = f"{plain.schema(RevisionFile)}|{plain.schema(Operations)}"
    return f"alembic-gate {__version__} cache 105 {zlib.crc32(shapes.encode()):08x}"


def cache_dir(cwd: StrPath) -> str | None:
    if os.environ.get("ALEMBIC_GATE_NO_CACHE"):
        return None
    return os.environ.get("ALEMBIC_GATE_CACHE_DIR") or os.path.join(cwd, CACHE_DIR)


def to_entry(rev: RevisionFile) -> Entry:
    facts = list(plain.pack(rev, _SKIP))
    ops, facts[_OPS_FIELD] = facts[_OPS_FIELD], None
    if ops is None:  # written aside (`Spill`)
        ops = rev.stored_ops()
    return marshal.dumps(_interned(tuple(facts))), ops


def _interned(value: Any) -> Any:
    """`value` with its strings interned: `marshal` marks them so, and loading interns
    them again, so that the ids, tables and columns that many revisions name are held
    once however many entries are loaded (at 20,000 revisions, 9 MiB less after loading)."""
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is tuple:
        return tuple([_interned(item) for item in value])
    if kind is frozenset:
        return frozenset([_interned(item) for item in value])
    if kind is dict:
        return {key: _interned(item) for key, item in value.items()}
    return value


def from_entry(
    entry: object,
    file: str,
    shown: str | int,
    same: dict[Any, Any],
    source: CacheFile | None = None,
) -> RevisionFile:
    """The RevisionFile an entry (an `Entry`, or a `Stored` one of `source`) holds, for
    the file at `file` (a path) shown as `shown` (its display path, or what
    `RevisionFile.shown` holds); ValueError when it is not a valid entry. `same` holds
    the values that revisions repeat, one object each for all entries read with it."""
    where, ops = _place_of(entry, source)
    if type(shown) is str:
        shown = shown_as(file, shown)
    try:
        facts = marshal.loads(entry[0])  # type: ignore[index]
        known = _known(facts, same)
        shared = len(known)  # (the reader adds what it builds to `known`)
        rev = _reader()(facts, (file, shown, *where), known)
    except _MISFITS as exc:
        raise ValueError(f"not a cache entry: {exc}") from None
    if rev.ops_data is not None:
        raise ValueError("not a cache entry: operations stored twice")
    if ops is not None:
        rev.ops_data = ops
    if shared != 2:  # both already shared: not hashed again
        _share(rev, facts[_LABELS_FIELD], facts[_DEPENDS_FIELD], same)
    else:
        _share_others(rev, same)
    return rev


# What loading and reading an entry raise when it is not one.
_MISFITS = (EOFError, ValueError, *plain.MISFITS)


@functools.cache
def _reader() -> Callable[[object, tuple[object, ...], dict[int, Any]], RevisionFile]:
    return plain.reader(RevisionFile, _SKIP)


def _known(facts: Any, same: dict[Any, Any]) -> dict[int, Any]:
    """The shared values (`_share`'s) for the branch_labels and depends_on of `facts`,
    by the id of their packed form: most are the same as an earlier entry's, and
    `unpack` would build and check each again, only for `_share` to drop it (a third
    of the cost of an entry). Only Values are taken: `same` also holds dialects and
    suppressions, which a foreign entry could give as its branch_labels."""
    known: dict[int, Any] = {}
    try:
        labels, depends = facts[_LABELS_FIELD], facts[_DEPENDS_FIELD]
        shared_labels, shared_depends = same.get(labels), same.get(depends)
    except (TypeError, IndexError, KeyError):  # not a tuple of hashable values
        return known
    if type(shared_labels) is Value:
        known[id(labels)] = shared_labels
    if type(shared_depends) is Value:
        known[id(depends)] = shared_depends
    return known


def _revision(
    read: Entry | RevisionFile, path: StrPath, display: str, same: dict[Any, Any]
) -> RevisionFile:
    """The RevisionFile a read gave: read here, or from the entry a child sent."""
    if type(read) is not RevisionFile:
        return from_entry(read, str(path), display, same)
    _intern_names(read)
    _share(read, plain.pack(read.branch_labels), plain.pack(read.depends_on), same)
    return read


def _intern_names(rev: RevisionFile) -> None:
    """The ids and table names of a file read here interned, as an entry's are
    (`_interned`): held once however many revisions name them."""
    if rev.revision is not None:
        rev.revision = sys.intern(rev.revision)
    rev.parents = _interned(rev.parents)
    rev.branch_labels = _interned_ids(rev.branch_labels)
    rev.depends_on = _interned_ids(rev.depends_on)
    rev.tables = _interned(rev.tables)
    rev.altered = _interned(rev.altered)


def _interned_ids(value: Value) -> Value:
    if not value.ids:
        return value
    return Value(_interned(value.ids), value.known, value.line, value.source)


def _place_of(
    entry: object, source: CacheFile | None
) -> tuple[tuple[CacheFile | None, int | None], bytes | None]:
    """`_operations_of`, as a RevisionFile holds it: (ops_in, ops_at), or the operations."""
    # (most: loaded from the file) `_operations_of`'s first case, without the tuple it
    # builds: going through it costs a pre-commit run 2.8 M instructions (1.1%). The
    # revision holds the entry's own int (`packed_place`'s: at 20,000 revisions, two
    # ints a loaded entry and a third made for each revision were about 1 MiB).
    if source is not None and (place := _stored_place(entry)) is not None:
        return (source, place), None
    at, ops = _operations_of(entry, source)
    return ((None, None) if at is None else (at[0], packed_place(at[1], at[2]))), ops


def _stored_place(entry: object) -> int | None:
    """Where the packed operations of an entry loaded from a cache file lie there, as
    `packed_place` made it (`Stored`); None for any other entry. (The offset and length
    are checked where they are read: most never are.)"""
    if type(entry) is not tuple or len(entry) != 2:
        return None
    place = entry[1]
    return place if type(place) is int and _PLACES <= place < _PAST_PLACES else None


def _operations_of(
    entry: object, source: CacheFile | None
) -> tuple[StoredOps, None] | tuple[None, bytes]:
    """Where an entry's packed operations lie in `source`, or the operations; ValueError
    when it is not an entry (its facts are checked when they are loaded)."""
    if source is not None and (place := _stored_place(entry)) is not None:
        return StoredOps((source, *unpacked_place(place))), None
    if type(entry) is tuple and len(entry) == 2:
        if type(entry[1]) is bytes:
            return None, entry[1]
        if type(entry[1]) is StoredOps:  # written aside this run (`Spill`)
            return entry[1], None
    raise ValueError("not a cache entry")


def _as_entry(stored: Any) -> Any:
    """What the store holds for a content, as an entry: a file parsed in this run is
    held as its revision (`RevisionCache._keep`), packed only when it is written or
    another file of its content asks for it."""
    return to_entry(stored) if type(stored) is RevisionFile else stored


# What the store holds for a loaded entry once its revision is made (`_read_back`).
_LET_GO: Any = ("let go",)

# `same`'s key for the empty suppressions (no packed value is a string).
_NO_SUPPRESSIONS = "no suppressions"


def _share(rev: RevisionFile, labels: Any, depends: Any, same: dict[Any, Any]) -> None:
    """One object for what most revisions repeat: their branch_labels and depends_on
    (mostly none, on the same line), the dialects they name (at 20,000 revisions,
    10 MiB less) and their suppressions, mostly none (1.2 MiB). The values are found
    by their packed form (`labels`, `depends`), which hashes in C."""
    rev.branch_labels = same.setdefault(labels, rev.branch_labels)
    rev.depends_on = same.setdefault(depends, rev.depends_on)
    _share_others(rev, same)


def _share_others(rev: RevisionFile, same: dict[Any, Any]) -> None:
    """`_share` for the dialects and suppressions (a revision whose branch_labels and
    depends_on are shared already: `_known`)."""
    if rev.dialects is not None:
        rev.dialects = same.setdefault(rev.dialects, rev.dialects)
    if not rev.suppressions:  # never changed in place (revisions.py makes a new dict)
        rev.suppressions = same.setdefault(_NO_SUPPRESSIONS, rev.suppressions)


class RevisionCache:
    """Reads revision files through the cache stored at `folder` (None: no cache)."""

    def __init__(self, folder: StrPath | None, scope: Sequence[StrPath]) -> None:
        """`scope` names the version locations (relative to the current directory, so a
        cache restored into a checkout at another place is found): one file each set."""
        self.folder = folder
        digest = f"{zlib.crc32(chr(0).join(map(str, scope)).encode()):08x}"
        self.file = os.path.join(folder, f"revisions-{digest}.marshal") if folder else None
        self.index: dict[str, Any] = {}
        self.store: dict[bytes, Any] = {}
        self.changed = False
        # What this run added to the index and the store (what an append writes).
        self.added: set[str] = set()
        self.stored: set[bytes] = set()
        # The file as loaded: its identity and size, and how many entries it holds
        # (overridden ones included); None when there was no valid file to append to.
        self.loaded: tuple[int, int, int, int] | None = None
        self.same: dict[Any, Any] = {}  # from_entry's
        # Whether what was loaded is all held (else lookups let go of it: `_read_back`).
        self.kept_all = False
        # The file as loaded, open while revisions read their operations from it.
        self.source: CacheFile | None = None
        self._load()

    def _load(self) -> None:
        if self.file is None:
            return
        try:
            stream = open_regular(self.file)
        except OSError:
            return
        source = CacheFile(stream)
        try:
            index, store, entries = _read_entries(stream)
            info = os.fstat(stream.fileno())
        except (OSError, EOFError, ValueError, TypeError, MemoryError):
            return
        self.index, self.store, self.source = index, store, source
        self.loaded = (info.st_dev, info.st_ino, info.st_size, entries)

    def read(self, path: StrPath, cwd: StrPath) -> RevisionFile:
        return self.read_all([path], cwd)[0]

    def read_all(self, paths: Sequence[StrPath], cwd: StrPath) -> list[RevisionFile]:
        """Every file (its path, mostly as a string: discovery.revision_files): from the
        cache where its metadata or its content is known, the others parsed (in parallel
        when there are many) and stored."""
        if self.file is None:  # no cache: nothing to look up, no metadata to keep
            return read_revisions([str(path) for path in paths], cwd)
        names = [str(path) for path in paths]
        with CollectorPaused():
            found, missed = self._lookup(names, shown_paths(names, cwd))
            files = [names[i] for i, _ in missed]
            results = read_files(files, cwd, self)
            for n, ((i, key), path) in enumerate(zip(missed, files, strict=True)):
                digest, entry = results[n]
                results[n] = _USED  # let go as it is used (`read_revisions`)
                found[i] = self._keep(path, cwd, key, digest, entry)
        return [rev for rev in found if rev is not None]

    def _lookup(
        self, names: list[str], shown: list[str | int]
    ) -> tuple[list[RevisionFile | None], list[tuple[int, Key | None]]]:
        """The stored revision of each file (at `names`, shown as `shown`: what
        `RevisionFile.shown` holds) whose metadata
        is unchanged, else None; and the files not found, with their metadata (None: the
        file cannot be read; only theirs are kept: 4 MiB at 20,000 files). One loop for
        every file of every run."""
        found: list[RevisionFile | None] = []
        missed: list[tuple[int, Key | None]] = []
        index, pack, regular = self.index, _pack_key, stat.S_ISREG
        for i, (name, place) in enumerate(zip(names, shown, strict=True)):
            try:
                st = os.stat(name)
                if regular(st.st_mode):
                    key = pack(st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                else:
                    key = None
            except (OSError, struct.error):
                key = None  # read anew, not kept
            rev = None
            # let go (`_read_back`; a second lookup finds the file by its content): the
            # loaded index is 4 MiB at 20,000 revisions
            hit: Any = index.pop(name, None)
            # (`_valid`, inline: one loop for every file of every run)
            if key is not None and type(hit) is bytes and len(hit) == _HIT and hit.endswith(key):
                rev = self._from_store(hit[:_DIGEST], name, place)
            found.append(rev)
            if rev is None:
                missed.append((i, key))
        return found, missed

    def _from_store(self, digest: bytes, file: str, shown: str | int) -> RevisionFile | None:
        """The revision stored under `digest`, read as the file at `file`."""
        entry = self.store.get(digest)
        if entry is None:
            return None
        entry = _as_entry(entry)  # (a file read here: another file of its content)
        if entry is _LET_GO:  # a content another file has (or a second lookup)
            self._read_back()
            entry = self.store.get(digest)
            if entry is None or entry is _LET_GO:  # not read back: read the file again
                self.store.pop(digest, None)
                return None
        try:
            rev = from_entry(entry, file, shown, self.same, self.source)
        except ValueError:
            del self.store[digest]  # a damaged entry: read the file again
            return None
        if type(entry[1]) is int and not self.kept_all:  # loaded from the file: read back if needed
            self.store[digest] = _LET_GO
        return rev

    def _read_back(self) -> None:
        """Put back the loaded entries that lookups let go once their revisions were made
        (their facts and index entries, 12 MiB at 20,000 revisions, are not held beside
        the revisions), from the file as loaded: for a run that writes the file whole, or
        a content two files share. Later pieces override earlier ones, as in `_load`;
        what cannot be read back is dropped (its files are read again next time)."""
        if self.kept_all:
            return
        self.kept_all = True
        if self.source is None or self.loaded is None:
            return
        stream = self.source.stream
        try:
            stream.seek(0)
            # (another run may have appended since: only what was loaded)
            index, store, _ = _read_entries(stream, self.loaded[2])
        except (OSError, EOFError, ValueError, TypeError, MemoryError):
            index, store = {}, {}
        for name, hit in index.items():
            self.index.setdefault(name, hit)
        for digest, entry in self.store.items():
            if entry is _LET_GO:
                self.store[digest] = store.get(digest, _LET_GO)

    def has(self, digest: bytes) -> bool:
        return digest in self.store

    def _keep(
        self,
        path: StrPath,
        cwd: StrPath,
        key: Key | None,
        digest: bytes | None,
        read: Entry | RevisionFile | None,
    ) -> RevisionFile:
        if read is None and digest is not None:
            rev = self._from_store(digest, str(path), display_path(path, cwd))
            if rev is not None:
                self._remember(path, key, digest)
                return rev
            _, read = read_local(path, cwd, None)
        assert read is not None
        rev = _revision(read, path, display_path(path, cwd), self.same)
        if digest is not None and self.file is not None:
            # a file read in this run (here or by a child): the revision itself, packed
            # when it is written (its entry held beside it from now to then was 3 MiB
            # at 20,000 revisions)
            self.store[digest] = rev
            self.stored.add(digest)
            self._remember(path, key, digest)
        return rev

    def _remember(self, path: StrPath, key: Key | None, digest: bytes) -> None:
        if key is not None and self.file is not None:
            self.index[str(path)] = digest + key
            self.added.add(str(path))
            self.changed = True

    def save(self, keep: Sequence[StrPath]) -> None:
        """Write the cache: the files in `keep` (those that exist now), and a few
        contents no file has any more (a branch switched back and forth)."""
        if self.file is None or self.folder is None or not self.changed:
            return
        if self._append(len(keep)):
            return
        self._read_back()
        index = {name: self.index[name] for name in map(str, keep) if _valid(self.index.get(name))}
        used = {hit[:_DIGEST] for hit in index.values()}
        stale = [d for d in self.store if d not in used]
        spare = stale[max(len(stale) - len(used) // 4 - _SLACK, 0) :]
        store = {d: self.store[d] for d in [*spare, *used] if d in self.store}
        try:
            os.makedirs(self.folder, exist_ok=True)
            ignore = os.path.join(self.folder, ".gitignore")
            if not os.path.lexists(ignore):
                with open(ignore, "w") as file:
                    file.write("# Created by alembic-gate automatically.\n*\n")
            name = os.path.basename(self.file)
            tmp = os.path.join(self.folder, f".tmp-{os.getpid()}-{name}")
            with open(tmp, "wb") as handle:
                handle.write(_framed(_format()))
                for part in _parts(index, store):
                    handle.writelines(self._frame_parts(part, handle.tell()))
            os.replace(tmp, self.file)
        except (OSError, ValueError):
            return

    def _append(self, kept: int) -> bool:
        """Append what this run added to the file it loaded, while that file is still
        the one loaded and would hold at most about twice what `kept` files use (an
        index entry and a content each); False when the whole file is to be written."""
        if self.file is None or self.loaded is None:
            return False
        dev, ino, size, entries = self.loaded
        added = {name: self.index[name] for name in self.added}
        stored = {d: self.store[d] for d in self.stored if d in self.store}
        if entries + len(added) + len(stored) > 4 * kept + _SLACK:
            return False
        try:
            return append_to(
                self.file, (dev, ino, size), b"".join(self._frame_parts((added, stored), size))
            )
        except (OSError, ValueError):
            return False

    def _frame_parts(self, piece: tuple[dict[str, Any], dict[bytes, Any]], at: int) -> list[bytes]:
        """A piece framed with its entries' packed operations, for the place `at` in the
        file: each entry `Stored` there; in parts (`_framed`'s), so that a file written
        whole never holds a piece's operations joined (1 MB a piece, twice). An entry
        whose operations the loaded file no longer gives is left out (its files are read
        again next time)."""
        index, entries = piece
        stored: dict[bytes, Stored] = {}
        blobs: list[bytes] = []
        offset = at + _FRAME
        for digest, entry in entries.items():
            entry = _as_entry(entry)
            ops = self._operations(entry)
            if ops is None or type(entry[0]) is not bytes:
                continue
            blob = _checked(ops)
            stored[digest] = (entry[0], packed_place(offset, len(blob)))
            blobs.append(blob)
            offset += len(blob)
        data = marshal.dumps((index, stored))
        return [_head(offset - at - _FRAME, data), *blobs, data]

    def _operations(self, entry: object) -> bytes | None:
        """An entry's packed operations; None for a damaged entry (never written)."""
        try:
            at, ops = _operations_of(entry, self.source)
        except ValueError:
            return None
        if at is None:
            return ops
        return at.read() or None  # (b"": cut or damaged)


class CacheFile:
    """The cache file a run loaded, kept open while its revisions read their packed
    operations from it (`StoredOps`): a run that replaces the file (or another run)
    leaves this one as it was."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def read_at(self, offset: int, length: int) -> bytes:
        """What the `length` bytes at `offset` hold (`_checked` data); b"" when the file
        does not hold them, or holds other bytes than were written there."""
        if offset < 0 or length < _CHECK:
            return b""
        try:
            self.stream.seek(offset)
            blob = self.stream.read(length)
        except (OSError, ValueError, OverflowError):
            return b""
        data = blob[_CHECK:]
        if len(blob) != length or blob[:_CHECK] != zlib.crc32(data).to_bytes(_CHECK, "little"):
            return b""
        return data

    def __del__(self) -> None:
        self.stream.close()


class Spill(CacheFile):
    """A temporary file (gone once closed) holding the packed operations of files read
    in this run, which no cache file holds yet (a cold run, `--no-cache`): their
    revisions hold where those lie (`StoredOps`) instead of the bytes, read back when a
    rule asks, as a loaded cache file's are. At 20,000 revisions they are 16 MiB."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(stream)
        self.end: int | None = 0  # None once a write failed: nothing more is set aside

    @classmethod
    def open(cls) -> Spill | None:
        """A new spill; None where no temporary file can be made."""
        import tempfile  # only runs that read many files anew

        try:
            return cls(tempfile.TemporaryFile())
        except OSError:
            return None

    def keep(self, data: bytes) -> StoredOps | None:
        """Where `data` now lies; None when it could not be written (then it is held)."""
        end = self.end
        if end is None:
            return None
        data = _checked(data)
        try:
            self.stream.seek(end)
            self.stream.write(data)
        except (OSError, ValueError):
            # (what an earlier write left in the buffer may be lost too: reading it
            # then gives short data, and the revision file is read again)
            self.end = None
            return None
        self.end = end + len(data)
        return StoredOps((self, end, len(data)))

    def aside(self, read: Local) -> Local:
        """`read` with its packed operations written here (when it has any)."""
        digest, got = read
        if type(got) is RevisionFile:
            if got.ops_data is not None and (at := self.keep(got.ops_data)) is not None:
                got.store_ops(at)
        elif type(got) is tuple and type(got[1]) is bytes:
            at = self.keep(got[1])
            if at is not None:
                return digest, (got[0], at)
        return read


def _parts(
    index: dict[str, Any], store: dict[bytes, Any]
) -> Iterator[tuple[dict[str, Any], dict[bytes, Any]]]:
    """(index entries, stored entries) pieces, PIECE of each, made as they are written
    (at least one piece)."""
    names, items = iter(index.items()), iter(store.items())
    part = dict(itertools.islice(names, PIECE)), dict(itertools.islice(items, PIECE))
    while True:
        yield part
        part = dict(itertools.islice(names, PIECE)), dict(itertools.islice(items, PIECE))
        if not (part[0] or part[1]):
            return


def _is_piece(part: object) -> TypeGuard[tuple[dict[Any, Any], dict[Any, Any]]]:
    return (
        type(part) is tuple and len(part) == 2 and type(part[0]) is dict and type(part[1]) is dict
    )


# A frame's head: the length of the operations, then of the marshal data (with its
# CRC-32 in the upper 4 bytes: `_head`).
_FRAME = 16
# The CRC-32 ahead of each entry's packed operations (`_checked`).
_CHECK = 4


def _checked(data: bytes) -> bytes:
    """`data` after its CRC-32 (4 bytes, little-endian): an entry's packed operations as
    a file holds them, read back by `CacheFile.read_at`, so that a byte changed there
    (a disk error, another tool) is a read of the revision file again, never other
    calls."""
    return zlib.crc32(data).to_bytes(_CHECK, "little") + data


def _framed(piece: Any, operations: bytes = b"") -> bytes:
    """A piece as the file holds it: the lengths (8 bytes each, little-endian) of the
    packed operations of its entries and of its marshal data, then both."""
    data = marshal.dumps(piece)
    return _head(len(operations), data) + operations + data


def _head(operations: int, data: bytes) -> bytes:
    """A frame's head: the length of its packed operations, then that of its marshal
    data and, in the upper 4 bytes, the data's CRC-32 (`read_pieces` checks it: a byte
    changed in an entry's facts is a cold read, never another id)."""
    checked = len(data) | zlib.crc32(data) << 32
    return operations.to_bytes(8, "little") + checked.to_bytes(8, "little")


def append_to(path: str, identity: tuple[int, int, int], data: bytes) -> bool:
    """Append `data` to the regular file at `path` in one write, only while it is the
    file with `identity` (device, inode, size): not one another process replaced or
    appended to since it was read. False (nothing written) otherwise."""
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino, info.st_size) != identity:
            return False
        written = os.write(fd, data)
        if written != len(data):  # a full disk: cut the piece off again
            os.ftruncate(fd, info.st_size)
            return False
        return True
    finally:
        os.close(fd)


def _read_entries(
    stream: BinaryIO, size: int | None = None
) -> tuple[dict[str, Any], dict[bytes, Any], int]:
    """The index and the stored entries of a cache file read from its start, later
    pieces overriding earlier ones, and how many entries its pieces hold (overridden ones
    included); only the pieces within its first `size` bytes when given. ValueError for a
    file of another format or a piece of another shape."""
    pieces = read_pieces(stream)
    if next(pieces, None) != _format():
        raise ValueError("a cache file of another format")
    index: dict[str, Any] = {}
    store: dict[bytes, Any] = {}
    entries = 0
    while size is None or stream.tell() < size:
        part = next(pieces, None)
        if part is None:
            break
        if not _is_piece(part):
            raise ValueError("not a piece of a cache file")
        index.update(part[0])
        store.update(part[1])
        entries += len(part[0]) + len(part[1])
    return index, store, entries


def read_pieces(stream: BinaryIO) -> Iterator[object]:
    """The pieces of a cache file (each `_framed`), passing over the packed operations;
    ValueError for a cut or oversized one."""
    while head := stream.read(_FRAME):
        skip, length = int.from_bytes(head[:8], "little"), int.from_bytes(head[8:12], "little")
        if len(head) != _FRAME or length > _LARGEST or skip > _LARGEST:
            raise ValueError("not a cache file")
        if skip:
            stream.seek(skip, os.SEEK_CUR)
        data = stream.read(length)
        if len(data) != length:
            raise ValueError("a cut cache file")
        if zlib.crc32(data) != int.from_bytes(head[12:], "little"):
            raise ValueError("a damaged cache file")
        yield marshal.loads(data)


def _valid(hit: Any) -> bool:
    """An index entry: the content's hash, then the metadata key (`_pack_key`)."""
    return type(hit) is bytes and len(hit) == _HIT


# What tells that a file changed, (mtime_ns, size, inode, ctime_ns), as 32 bytes
# (`_lookup`; struct.error for a value no real file has): an index entry is its
# content's hash and this, one bytes object (a tuple of the hash and a tuple of four ints
# was 230 bytes more a file: 4.4 MiB of a cache of 20,000 revisions loaded). One C call
# a file: shifting the four into one int for `int.to_bytes` cost a pre-commit run 3.6 M
# instructions.
_pack_key = struct.Struct("<qQQq").pack
_DIGEST, _KEY = 16, 32  # the lengths of a content's hash and of a metadata key
_HIT = _DIGEST + _KEY
# The ints `packed_place` makes (none is one of the small ints Python shares).
_PLACES, _PAST_PLACES = 1 << 32, 1 << 73


class CollectorPaused:
    """Reading makes many short-lived objects and no reference cycles: the cyclic
    garbage collector would only scan what was read so far, over and over. (A class,
    not a `contextlib.contextmanager`: lint imports nothing else of contextlib.)"""

    enabled = False

    def __enter__(self) -> None:
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            gc.enable()


def read_one(path: StrPath, cwd: StrPath, cache: RevisionCache | None) -> Read:
    """`read_local` as plain data (what a child sends)."""
    digest, rev = read_local(path, cwd, cache)
    return digest, None if rev is None else to_entry(rev)


def read_local(
    path: StrPath, cwd: StrPath, cache: RevisionCache | None
) -> tuple[bytes | None, RevisionFile | None]:
    """Read, hash and (unless its content is stored in `cache`) parse one file."""
    display = display_path(path, cwd)
    try:
        data = read_regular(path)
    except OSError as exc:
        return None, unreadable_file(path, display, exc)
    digest = None
    if cache is not None and cache.file is not None:
        digest = _digest(data)
        if cache.has(digest):
            return digest, None
    return digest, read_revision_source(data, path, display)


def _digest(data: bytes) -> bytes:
    """The content hash the cache is keyed by (BLAKE2b, 16 bytes)."""
    try:  # what hashlib.blake2b is, without importing OpenSSL's hashes for it
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import blake2b
    return blake2b(data, digest_size=_DIGEST).digest()


# Reading many files is split over forked processes: below this many files per
# process, forking costs more than it saves.
PER_PROCESS = 300
MAX_PROCESSES = 4
# From this many files read anew in one run, their packed operations are written
# aside (`Spill`); fewer hold under 2 MiB of them.
SPILL_FROM = 2000
# A reader packs its results this many files at a time (pieces as the cache file
# holds them) and sends each as it is made, so that neither it nor the parent holds all
# of them twice, as objects and as marshal data (10 MiB each at 20,000 revisions).
BATCH = 250
# The same where the parent unpacks a reader's operations as they come (`unpack_ahead`):
# smaller pieces, so that after the last one it has only that one to unpack. (Where it
# does not, the smaller pieces cost each reader ~0.2% more instructions, at 2,500 files.)
AHEAD_BATCH = 25


def read_files(
    paths: Sequence[StrPath], cwd: StrPath, cache: RevisionCache | None = None
) -> list[Local]:
    """`read_local` for each path, in order; on several cores (where `fork` exists and
    the process has no other thread) the work is shared with child processes, whose
    files come back as entries. The packed operations of many files are written aside
    (`SPILL_FROM`) as they come."""
    spill = Spill.open() if len(paths) >= SPILL_FROM else None
    with Uncompressed(cache is None and spill is None):  # nothing leaves the run
        return _read_files(paths, cwd, cache, spill)


def _read_files(
    paths: Sequence[StrPath], cwd: StrPath, cache: RevisionCache | None, spill: Spill | None
) -> list[Local]:
    count = _processes(len(paths))
    if count < 2:
        expect(len(paths))
        return _local(paths, cwd, cache, spill)
    # Few enough files that the memo keeps every one's operations: this process unpacks
    # the children's as they come, while they still parse (`unpack_ahead`), and takes a
    # smaller share to make room for it.
    ahead = spill is None and keeps(len(paths))
    mine, theirs = _shares(paths, count, spill is None, ahead)
    batch = min(BATCH, AHEAD_BATCH) if ahead else BATCH
    children = [Child(*_fork_reader(c, cwd, cache, batch), c, ahead) for c in theirs]
    expect(len(mine))
    result = _local(mine, cwd, cache, spill, children)
    _wait_for(children, spill)
    for child in children:
        result.extend(child.results(cwd, cache, spill))
    return result


# What unpacking a child's file ahead costs this process, against reading a file (about
# 0.4 M instructions against 8.5 M, by callgrind): its share is smaller by that much (at
# 1,000 files, 490 against 510: the two processes' reads end within ~1% in counts).
UNPACK_COST = 0.04


def _shares(
    paths: Sequence[StrPath], count: int, mine: bool, ahead: bool
) -> tuple[Sequence[StrPath], list[Sequence[StrPath]]]:
    """This process's files and each child's. With many files (`mine` false: those
    written aside) this process parses none, so that what it keeps is not left scattered
    among the freed blocks of parsed trees (at 20,000 files, 2 MiB of them stayed
    resident); it loads what the children send as they parse. `ahead`: it also
    unpacks the children's operations, and takes fewer files (`UNPACK_COST`)."""
    weight = (1 - UNPACK_COST * (count - 1)) if ahead else 1.0
    first = round(len(paths) * weight / (weight + count - 1)) if mine else 0
    size = -(-(len(paths) - first) // (count - 1 if mine else count))
    rest = range(first, len(paths), size)
    return paths[:first], [paths[i : i + size] for i in rest]


def _local(
    paths: Sequence[StrPath],
    cwd: StrPath,
    cache: RevisionCache | None,
    spill: Spill | None,
    children: Sequence[Child] = (),
) -> list[Local]:
    """`read_local` for each path, in this process; after each file, what the
    `children` sent meanwhile is loaded (so that none waits on a full pipe)."""
    result: list[Local] = []
    for path in paths:
        read = read_local(path, cwd, cache)
        result.append(read if spill is None else spill.aside(read))
        for child in children:
            child.take(spill)
    return result


# What a read is replaced with once used.
_USED: Local = (None, None)


def read_revisions(paths: Sequence[StrPath], cwd: StrPath) -> list[RevisionFile]:
    """Every file read and parsed, with no cache (in parallel when there are many)."""
    with CollectorPaused():
        reads = read_files(paths, cwd)
        same: dict[Any, Any] = {}
        found = []
        for i, path in enumerate(paths):
            read = reads[i][1]
            reads[i] = _USED  # let go as it is used: its blocks hold the next revisions
            assert read is not None  # with no cache, every file is read
            found.append(_revision(read, path, display_path(path, cwd), same))
        return found


def _processes(files: int) -> int:
    # A process that never imported threading has no other thread (and forking is safe).
    threading = sys.modules.get("threading")
    if not hasattr(os, "fork") or (threading is not None and threading.active_count() > 1):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_PROCESSES, files // PER_PROCESS))


def _fork_reader(
    chunk: Sequence[StrPath], cwd: StrPath, cache: RevisionCache | None, batch: int
) -> tuple[int, int]:
    """A child that reads `chunk` and writes the plain results to a pipe, `batch`
    files a piece."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns to the caller
        status = 1
        try:
            os.close(read_end)
            forget(room=0)  # up to a thousand files' operations, never asked for here
            with os.fdopen(write_end, "wb") as out:
                for i in range(0, len(chunk), batch):  # each piece sent as it is made
                    out.write(
                        _framed([read_one(path, cwd, cache) for path in chunk[i : i + batch]])
                    )
                    out.flush()
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _wait_for(children: Sequence[Child], spill: Spill | None) -> None:
    """Load what the children send until each has ended its output."""
    import select  # only runs that fork

    while waiting := [child.pipe for child in children if child.open]:
        ready, _, _ = select.select(waiting, [], [])
        for child in children:
            if child.pipe in ready:
                child.take(spill)


class Child:
    """A forked reader (its process id, the pipe it writes its results to, the files
    it reads), whose pieces are loaded as they come: read without waiting while this
    process reads files of its own (`take`), their operations written to `spill`, when
    given, or unpacked (`ahead`: `unpack_ahead`)."""

    def __init__(self, pid: int, pipe: int, chunk: Sequence[StrPath], ahead: bool) -> None:
        self.pid, self.pipe, self.chunk, self.ahead = pid, pipe, chunk, ahead
        self.open = True
        self.failed = False
        self.buffer = bytearray()
        self.reads: list[Local] = []
        os.set_blocking(pipe, False)

    def take(self, spill: Spill | None) -> None:
        """Load the whole pieces the pipe holds now; at its end, close it."""
        while self.open:
            try:
                data = os.read(self.pipe, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                data = b""
                self.failed = True
            if not data:
                self.open = False
                os.close(self.pipe)
                return
            if not self.failed:
                self.buffer += data
                self._load(spill)

    def _load(self, spill: Spill | None) -> None:
        """The whole pieces at the start of the buffer (each `_framed`, with no
        operations of its own), loaded and taken off it."""
        buffer, start = self.buffer, 0
        while len(buffer) - start >= _FRAME:
            skip = int.from_bytes(buffer[start : start + 8], "little")
            checked = int.from_bytes(buffer[start + 8 : start + _FRAME], "little")
            length, end = checked & 0xFFFFFFFF, start + _FRAME + (checked & 0xFFFFFFFF)
            if skip or length > _LARGEST:
                self._fail()
                return
            if len(buffer) < end:
                break
            data = bytes(buffer[start + _FRAME : end])
            start = end
            if zlib.crc32(data) != checked >> 32 or not self._loaded(data, spill):
                self._fail()
                return
        del buffer[:start]

    def _loaded(self, data: bytes, spill: Spill | None) -> bool:
        """Whether `data` is a piece of results (then they are kept)."""
        try:
            piece = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return False
        if type(piece) is not list or not all(map(_is_read, piece)):
            return False
        if self.ahead:
            for _, entry in piece:
                if entry is not None:
                    unpack_ahead(entry[1])
        self.reads.extend(piece if spill is None else map(spill.aside, piece))
        return True

    def _fail(self) -> None:
        """Results that are not that: the rest of the output is read and dropped."""
        self.failed = True
        self.buffer = bytearray()

    def results(
        self, cwd: StrPath, cache: RevisionCache | None, spill: Spill | None
    ) -> list[Local]:
        """The child's results, once its output has ended; if it failed in any way,
        its files are read here instead."""
        _, status = os.waitpid(self.pid, 0)
        whole = not (self.failed or self.buffer) and len(self.reads) == len(self.chunk)
        if status == 0 and whole:
            return self.reads
        return _local(self.chunk, cwd, cache, spill)


def _is_read(item: object) -> bool:
    """What a reader sends for a file: (its hash or None, its entry or None)."""
    if not (type(item) is tuple and len(item) == 2):
        return False
    digest, entry = item
    entry_ok = entry is None or (
        type(entry) is tuple
        and len(entry) == 2
        and type(entry[0]) is bytes
        and type(entry[1]) is bytes
    )
    return (digest is None or type(digest) is bytes) and entry_ok and bool(digest or entry)
