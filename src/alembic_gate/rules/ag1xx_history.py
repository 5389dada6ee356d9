"""What the AG1xx rules know from the rest of the history: computed once per run, in
one pass over the revision graph (never once per revision, which is quadratic).

- `Timeline`: facts that revisions record (a column created NOT NULL, a table
  backfilled, a type changed), read back for a revision from everything it builds on.
  Revisions are walked bases first; each fact gets one bit, and each revision the
  bits of its parents and dependencies OR-ed together, so a query is a mask and a
  `bit_length()`; the latest fact in that order wins. Each key's facts are a chain
  of bits, latest first, in two flat arrays (the caller may number the keys: no
  table of them is kept). Given the keys each revision will ask about, only those
  answers are kept, not its mask (a mask grows with the history: one kept for every
  revision of a long one is quadratic in memory), in one flat array for all
  revisions. When few revisions ask (a pre-commit run names one or
  two), the walk's bookkeeping for each of the thousands below them is most of the
  cost, though few of those record a fact: the facts are read in the same order, and
  each asking revision's mask is made from the revisions that record any.
- `dialects`: the databases a history runs on, from what it names: a versions folder
  named after a dialect (PrefectHQ's `versions/sqlite`), the env.py, the ini's URL,
  and the revision files (`postgresql.JSONB`, `mysql_engine=`, dialect branches).
"""

from __future__ import annotations

import functools
import operator
import os
import re
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.operations import DIALECTS, named_dialects
from alembic_gate.history.revisions import RevisionFile
from alembic_gate.shared.files import read_regular
from alembic_gate.shared.paths import below, module_file
from alembic_gate.shared.patterns import LazyPattern

_DIALECT_FOLDERS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pg": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "mssql": "mssql",
    "oracle": "oracle",
}
_NAME_PARTS = LazyPattern(r"[_.-]")
# What else a folder named after its dialect says (bunkerweb's `sqlite_versions`, one
# folder a database, env.py picking the one it runs on): words any versions folder has.
_FOLDER_WORDS = frozenset({"versions", "version", "migrations", "migration", "alembic"})
# Where a project lists what it depends on, and how far above env.py to look for them.
_DEPENDENCY_NAMES = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "Pipfile"})
_REQ = (".txt", ".in")
_DEPENDENCY_LEVELS = 4
_DRIVER_PACKAGE = LazyPattern(
    r"(?<![\w.-])(psycopg2-binary|psycopg2|psycopg-binary|psycopg-c|psycopg|asyncpg|pg8000)(?![\w-])",
    re.I,
)
_DRIVER_OF = {
    "psycopg2-binary": "psycopg2",
    "psycopg2": "psycopg2",
    "psycopg-binary": "psycopg",
    "psycopg-c": "psycopg",
    "psycopg": "psycopg",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
}
# MySQL's and MariaDB's drivers, as a dependency file names them.
_MYSQL_PACKAGE = LazyPattern(
    r"(?<![\w.-])(pymysql|mysqlclient|mysql-connector-python|mysql-connector|aiomysql|asyncmy"
    r"|mariadb)(?![\w-])",
    re.I,
)
# SQLAlchemy and its version specifiers on a line of a dependency file: a requirement
# (`SQLAlchemy[asyncio]==1.4.54`, `"sqlalchemy>=1.3,<2"`) or Poetry's `sqlalchemy =
# "^1.4"` / `{version = "^1.4", ...}`; not another package's name (`Flask-SQLAlchemy`) or
# extra (`fastapi-users[sqlalchemy]`).
_SQLALCHEMY_SPEC = LazyPattern(
    r"""(?:^|(?<=[\s"',]))sqlalchemy(?![\w.-])(?:\[[^\]]*\])?\s*"""
    r"""(?:=\s*(?:\{[^}]*?version\s*=\s*)?["']([^"']*)["']|([<>=!~^][^;#"'\\]*))?""",
    re.IGNORECASE,
)
_VERSION_CLAUSE = LazyPattern(r"(===|==|<=|<|~=|\^)?\s*(\d+)(?:\.(\d+|\*))?")
_PG_DRIVER = LazyPattern(r"postgres(?:ql)?\+(psycopg2|psycopg|pg8000|asyncpg)", re.I)
_URL = LazyPattern(r"^\s*sqlalchemy\.url\s*=\s*([a-z0-9]+)(?:\+\w+)?://", re.M | re.I)
_URL_SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql"}
_URL_SCHEMES |= {"mariadb": "mysql", "sqlite": "sqlite", "mssql": "mssql", "oracle": "oracle"}
# Where a project sets the database its own runs use: dotenv files (`.env`, `.env.docker`,
# `prod.env`), Flask's `.flaskenv`, and Compose files (which may run the database itself).
_COMPOSE_PREFIXES = ("docker-compose", "compose")
_YAML = (".yml", ".yaml")
# A database URL in such a file (`SQLALCHEMY_DATABASE_URI=sqlite:///app.db`), and the
# database image a Compose service runs (`image: postgres:15`, `postgis/postgis`).
_ANY_URL = LazyPattern(r"(?<![\w+])([a-z0-9]+)(?:\+\w+)?://", re.I)
_DATABASE_IMAGE = LazyPattern(
    r"^\s*image:\s*[\"']?(?:[\w.-]+/)*(postgres|postgis|mysql|mariadb)(?=[:@\s\"']|$)",
    re.M | re.I,
)
_IMAGE_DIALECTS = {"postgres": "postgresql", "postgis": "postgresql"}
_IMAGE_DIALECTS |= {"mysql": "mysql", "mariadb": "mysql"}
# What env.py imports (`from howtheyvote.config import DATABASE_URI`, `import app.settings`):
# the module, and the names taken from it (any may be a module of its own).
_IMPORT = LazyPattern(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+([\w, \t]+)|import[ \t]+([\w.]+))", re.M
)
# Where a project keeps its packages, below the folder of its dependency files.
_SOURCE_ROOTS = ("", "src")


# Up to this many asking revisions, their masks are made from the revisions that
# record facts (Timeline._read_for_few) rather than passed through every revision.
_FEW = 32

# The bit of no fact yet (a key's latest, a fact's previous under its key).
_NONE = -1


class Timeline:
    """Facts recorded by revisions, read back from the revisions another builds on."""

    def __init__(
        self,
        graph: RevisionGraph,
        facts: Callable[[str], Iterable[tuple[Hashable, object]]],
        queries: Iterable[str],
        asked: Callable[[str], Sequence[Hashable]] | None = None,
        numbered: int = 0,
        by_position: bool = False,
    ) -> None:
        """`facts`: the (key, value) facts a revision records, asked once for each
        revision the queries build on, bases first (so a long history's facts are read
        as the walk reaches them, never all held at once); `queries`: the revisions
        that will ask; `asked`: for each of them, every key it will ask about, the same
        keys each time it is called (None: any key); `numbered`: the keys are the
        ints below it, numbered by the caller (no table of them is kept here), and
        `asked` may list tuples of them instead, every entry a tuple (groups: one
        answer each, the latest of the group's keys); `by_position`: the answers are
        read by their keys' positions in `asked`'s list (`latest_at`), and `asked`
        (what it holds to number the keys) is let go after the walk."""
        # A set of them as given (the graph's own keys when every revision asks: a copy
        # was 1 MiB at 20,000 revisions, held while the order was found, at the peak).
        asking = queries if isinstance(queries, AbstractSet) else set(queries)
        self._asked = asked
        self._kept = asked is not None  # the answers of the keys asked: kept
        # The answers of every wanted revision, in the order of its asked keys, one
        # after the other in one array (a tuple of int objects each was 6 MiB at 20,000
        # revisions; this is 1), where each revision's start; and the answers by key
        # of the revision that asked last.
        self._answers = array("i")
        self._starts: dict[str, int] = {}
        self._last_asked: tuple[str, dict[Hashable, int]] | None = None
        order, whole = _order(graph, asking)
        # Each fact's value, by its index among the values seen (a few: "filled", a
        # type...): a byte a fact while there are no more than 256 (then 4), where a
        # list held 8; a bytearray's append is also cheaper than an array's.
        self._values: bytearray | array[int] = bytearray()
        self._distinct: list[object] = []
        self._value_ids: dict[object, int] = {}
        # Each key's facts, as a chain of bits: the latest bit of each key (by its
        # number), and for each bit the one before it under the same key. Two flat
        # arrays: a dict of keys to bits, a tuple for each key and an array of bits for
        # each with several facts were 12 MiB at 20,000 revisions.
        self._ids: dict[Hashable, int] | None = None if numbered else {}
        self._latest = array("i", [_NONE]) * numbered
        self._previous = array("i")
        self._masks: dict[Hashable, int] = {}
        self._before: dict[str, int] = {}
        if len(asking) <= _FEW:
            self._read_for_few(graph, order, facts, asking, whole)
        else:
            # None: every revision in order asks (a whole history), no set of them held
            # through the walk (2 MiB at 20,000 revisions)
            every = whole and len(asking) >= len(order) and all(map(asking.__contains__, order))
            wanted = None if every else asking
            del asking
            self._walk(graph, order, facts, wanted)
        self._value_ids = {}
        if asked is not None:  # every answer is kept: the bits are not asked again
            self._latest, self._previous, self._ids = array("i"), array("i"), None
        if by_position:
            self._asked = None

    def _number(self, key: Hashable, same: dict[object, object]) -> int:
        """`key`'s number, given it when first seen (its parts held once: `same`)."""
        ids = self._ids
        if ids is None:
            raise TypeError(f"not a key's number (below {len(self._latest)}): {key!r}")
        found = ids.get(key)
        if found is None:
            if type(key) is tuple:
                key = tuple([same.setdefault(part, part) for part in key])
            found = ids[key] = len(ids)
            self._latest.append(_NONE)
        return found

    def _record(self, found: Iterable[tuple[Hashable, object]], same: dict[object, object]) -> None:
        """Give each of a revision's facts the next bit, in order."""
        values, latest, previous = self._values, self._latest, self._previous
        value_ids = self._value_ids
        count = len(latest) if self._ids is None else 0  # numbered keys: below that
        for key, value in found:
            number = key if type(key) is int and 0 <= key < count else self._number(key, same)
            previous.append(latest[number])  # one bit a fact: the count of facts
            latest[number] = len(previous) - 1
            value_id = value_ids.get(value)
            if value_id is None:
                value_id = self._new_value(value)
                values = self._values
            values.append(value_id)

    def _new_value(self, value: object) -> int:
        """The index of a value not seen before (past a byte's: 4 bytes a fact)."""
        value_id = self._value_ids[value] = len(self._distinct)
        self._distinct.append(value)
        if value_id == 256:
            self._values = array("i", list(self._values))  # (bytes: taken as raw)
        return value_id

    def _walk(
        self,
        graph: RevisionGraph,
        order: list[str],
        facts: Callable[[str], Iterable[tuple[Hashable, object]]],
        wanted: AbstractSet[str] | None,
    ) -> None:
        """Bases first, each revision's mask of what precedes it (answered when it is
        wanted; None: every one is), then its own facts; masks of revisions whose
        children are all done are let go. One walk: no revision's span of bits is kept
        for a second one."""
        # One copy of each part of a key (the table and column names that the calls of
        # many revisions spell anew; keys that are not numbered).
        same: dict[object, object] = {}
        # How many revisions of `order` build on each (those outside it are counted
        # too, and never looked at: no set of `order` to tell them apart).
        pending: dict[str, int] = {}
        for rid in order:
            for parent in graph.upstream(rid):
                pending[parent] = pending.get(parent, 0) + 1
        masks: dict[str, int] = {}
        previous = self._previous  # one entry a fact
        for rid in order:
            upstream = graph.upstream(rid)
            # One parent (most revisions): the same int object, no copy; merges OR.
            if len(upstream) == 1:
                mask = masks.get(upstream[0], 0)
            else:
                mask = functools.reduce(operator.or_, [masks.get(p, 0) for p in upstream], 0)
            for parent in upstream:
                if parent in pending:
                    pending[parent] -= 1
                    if pending[parent] == 0:
                        masks.pop(parent, None)
            if wanted is None or rid in wanted:
                self._keep(rid, mask)
            start = len(previous)
            self._record(facts(rid), same)
            end = len(previous)
            if pending.get(rid):
                masks[rid] = mask | _span(start, end) if end > start else mask

    def _read_for_few(
        self,
        graph: RevisionGraph,
        order: list[str],
        facts: Callable[[str], Iterable[tuple[Hashable, object]]],
        wanted: AbstractSet[str],
        whole: bool,
    ) -> None:
        """What `_walk` does, for a few asking revisions: the facts are read in the
        same order (so each gets the same bit), and then each asking revision gets the
        mask `_walk` would give it, the bits of the revisions below it that record any
        (a few, where `_walk` passed a mask on through every revision)."""
        spans = self._read(order, facts)
        asking = [rid for rid in order if rid in wanted]
        if whole and len(asking) == 1:
            # Every revision in order is below the one that asks, which comes last:
            # all facts but its own are before it.
            start, _ = spans.get(asking[0], (len(self._previous), 0))
            self._keep(asking[0], _span(0, start))
            return
        reached = _reached(graph, order, asking, spans)
        for index, rid in enumerate(asking):
            below = [span for done, span in spans.items() if reached[done] >> index & 1]
            self._keep(rid, _union(below))

    def _read(
        self, order: list[str], facts: Callable[[str], Iterable[tuple[Hashable, object]]]
    ) -> dict[str, tuple[int, int]]:
        """Every revision's facts in `order`, each given the next bit; the bits
        (start, end) of each revision that records any, in order."""
        same: dict[object, object] = {}  # one copy of each part of a key
        previous = self._previous  # one entry a fact
        spans: dict[str, tuple[int, int]] = {}
        for rid in order:
            found = facts(rid)
            if not found:
                continue  # most revisions record nothing: `()`
            start = len(previous)
            self._record(found, same)
            if len(previous) > start:
                spans[rid] = (start, len(previous))
        return spans

    def _keep(self, rid: str, mask: int) -> None:
        if self._asked is None:
            self._before[rid] = mask
            return
        keys = self._asked(rid)
        if not keys:  # nothing to answer (most revisions of a real history): no entry
            return
        self._starts[rid] = len(self._answers)
        end, latest, last = mask.bit_length(), self._latest, self._last
        ids = self._ids
        if ids is not None:
            bits = [_NONE if (n := ids.get(key)) is None else latest[n] for key in keys]
        else:  # the keys are their numbers (below `numbered`: the caller's word for it)
            if isinstance(keys[0], tuple):  # groups of numbers: one answer each
                self._answers.extend([self._latest_of(group, mask, end) for group in keys])  # type: ignore[arg-type]
                return
            bits = [latest[n] for n in keys]  # type: ignore[call-overload]
        # most keys asked about have no facts at all
        self._answers.extend([0 if bit == _NONE else last(bit, mask, end) for bit in bits])

    def _latest_of(self, group: tuple[int, ...], mask: int, end: int) -> int:
        """1 + the latest bit `mask` holds among the facts of the keys numbered `group`
        (one answer where each key had one); 0: none."""
        latest, best = self._latest, 0
        for number in group:
            bit = latest[number]
            if bit >= best:  # (a chain's bits only fall: below the best, none wins)
                best = max(best, self._last(bit, mask, end))
        return best

    def _last(self, bit: int, mask: int, end: int) -> int:
        """1 + the latest bit that `mask` holds in the chain of bits from `bit` down
        (`_previous`); 0: none (`end`: the mask's bit_length)."""
        previous = self._previous
        while bit >= end:  # facts of revisions walked since, on other branches
            bit = previous[bit]
        while bit != _NONE:
            if (mask >> bit) & 1:
                return bit + 1
            bit = previous[bit]
        return 0

    def _answers_of(self, rid: str) -> dict[Hashable, int] | None:
        """`rid`'s answers by key (kept while it goes on asking: a revision's rules ask
        one after the other)."""
        if self._last_asked is not None and self._last_asked[0] == rid:
            return self._last_asked[1]
        start = self._starts.get(rid)
        if start is None:
            return None
        if self._asked is None:
            raise TypeError("answers read by position: latest_at")
        keys = self._asked(rid)
        answers = dict(zip(keys, self._answers[start : start + len(keys)], strict=True))
        self._last_asked = (rid, answers)
        return answers

    def latest_at(self, rid: str, positions: Iterable[int]) -> object | None:
        """The value of the latest fact under the keys at `positions` in the list
        `asked` gives for `rid` (positions within it: the caller's word for it)
        among what `rid` builds on; None: none, or `rid` is not one of the queries (or
        asks about nothing: no answers are kept for it)."""
        start = self._starts.get(rid)
        if start is None:
            return None
        return self._value(max(self._answers[start + position] for position in positions))

    def _value(self, found: int) -> object | None:
        """The value of bit found - 1 (0: None)."""
        return self._distinct[self._values[found - 1]] if found else None

    def _mask(self, key: Hashable) -> int:
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = sum(1 << bit for bit in self._chain(key))
        return mask

    def _chain(self, key: Hashable) -> list[int]:
        """The bits of `key`'s facts, latest first."""
        number = key if self._ids is None else self._ids.get(key)
        bit = _NONE
        if isinstance(number, int) and 0 <= number < len(self._latest):
            bit = self._latest[number]
        bits = []
        while bit != _NONE:
            bits.append(bit)
            bit = self._previous[bit]
        return bits

    def latest(self, rid: str, keys: Iterable[Hashable]) -> object | None:
        """The value of the latest fact under any of `keys` among what `rid` builds on
        (with `asked`: keys it did not say it would ask about raise KeyError, but for
        a revision that asks about none, which is not kept: None)."""
        if self._kept:
            answers = self._answers_of(rid)
            if answers is None:
                return None
            return self._value(max(answers[key] for key in keys))
        wanted = 0
        for key in keys:
            wanted |= self._mask(key)
        mask = self._before.get(rid, 0) & wanted
        return self._distinct[self._values[mask.bit_length() - 1]] if mask else None


def _order(graph: RevisionGraph, wanted: AbstractSet[str]) -> tuple[list[str], bool]:
    """The revisions `wanted` build on (themselves too), bases first, and whether
    that is every one of them (none left out for being on a cycle). When `wanted`
    holds every head of a graph without cycles, that is every revision: the same
    order without looking for them (a whole-history run, a pre-commit run on the
    head)."""
    heads = graph.heads
    if not graph.cycles() and all(map(wanted.__contains__, heads)):
        return graph.topological(), True
    below = graph.ancestors(wanted)
    order = graph.topological(below)
    return order, len(order) == len(below)


def _reached(
    graph: RevisionGraph, order: list[str], asking: list[str], spans: dict[str, tuple[int, int]]
) -> dict[str, int]:
    """For each revision of `spans`, which of `asking` build on it (bit i: asking[i]),
    through revisions of `order` only, as `_walk` passes masks on. From the heads
    down, each revision hands its parents and dependencies the asking revisions above
    it and itself; the masks are as wide as `asking`, not as the facts."""
    bits = {rid: 1 << index for index, rid in enumerate(asking)}
    above: dict[str, int] = {}
    reached: dict[str, int] = {}
    for rid in reversed(order):
        mask = above.pop(rid, 0)
        if rid in spans:
            reached[rid] = mask
        mask |= bits.get(rid, 0)
        if mask:
            for parent in graph.upstream(rid):
                above[parent] = above.get(parent, 0) | mask
    return reached


def _union(spans: list[tuple[int, int]]) -> int:
    """The bits of `spans` (ascending, apart) set, made in one go: OR-ing one span
    after another copies a growing int each time."""
    flags = bytearray()
    for start, end in spans:
        flags += b"0" * (start - len(flags)) + b"1" * (end - start)
    return int(flags[::-1], 2) if flags else 0


def _span(start: int, end: int) -> int:
    """The bits start..end-1 set."""
    return ((1 << (end - start)) - 1) << start


def folder_dialect(rev: RevisionFile, locations: Sequence[str]) -> str | None:
    """The dialect a versions folder is named after (`versions/sqlite/...`,
    `sqlite_versions/...`), if any: the folder itself or one between it and the file."""
    parent = os.path.dirname(rev.file)
    for location in locations:
        name = os.path.basename(location)
        if parent == location:  # most files: no folder between (and cheaper to tell)
            parts: list[str] = [name]
        elif below(parent, location):
            parts = [name, *os.path.relpath(parent, location).split(os.sep)]
        else:
            continue
        for part in parts:
            found = _named_folder(part.lower())
            if found is not None:
                return found
    return None


def _named_folder(name: str) -> str | None:
    """The dialect a folder's name is (`sqlite`), or is with the words of a versions
    folder only (`sqlite_versions`, `postgres-migrations`)."""
    found = _DIALECT_FOLDERS.get(name)
    if found is not None or name.isalnum():
        return found
    words = _NAME_PARTS.get().split(name)
    named = [w for w in words if w not in _FOLDER_WORDS]
    if len(named) == 1 and len(words) > 1:
        return _DIALECT_FOLDERS.get(named[0])
    return None


def file_dialect(path: str) -> str | None:
    """The dialect a revision file's name ends with (`005_add_asset_key_sqlite.py`,
    `011_wipe_schedules_sqlite_2.py`), if any: histories that keep one revision per
    database name them so, each a no-op where its database is not the one running."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    for part in reversed(_NAME_PARTS.get().split(stem)):
        if not part.isdigit():
            return _DIALECT_FOLDERS.get(part)
    return None


def setup_dialects(script_location: str | None, config_path: str | None) -> frozenset[str]:
    """The dialects env.py names, and the scheme of the ini's sqlalchemy.url."""
    found: set[str] = set()
    if script_location is not None:
        found |= named_dialects(_text(os.path.join(script_location, "env.py")))
    if config_path is not None and os.path.splitext(config_path)[1] == ".ini":
        for scheme in _URL.get().findall(_text(config_path)):
            dialect = _URL_SCHEMES.get(scheme.lower())
            if dialect is not None:
                found.add(dialect)
    return frozenset(found & DIALECTS)


def setup_drivers(script_location: str | None, config_path: str | None) -> frozenset[str]:
    """The PostgreSQL drivers env.py and the ini name in a URL (`postgresql+psycopg://`)."""
    texts = [_text(config_path)] if config_path is not None else []
    if script_location is not None:
        texts.append(_text(os.path.join(script_location, "env.py")))
    pattern = _PG_DRIVER.get()
    return frozenset(m.lower() for text in texts for m in pattern.findall(text))


def project_drivers(start: str | None) -> frozenset[str]:
    """The PostgreSQL drivers the project's dependency files name (pyproject.toml,
    setup.py, setup.cfg, Pipfile, requirements*.txt or .in, requirements/*): those of
    the nearest folder at or above `start` that holds any, up to the repository's root.
    Where they name none but hold SQLAlchemy below 2.1 (pass Culture's `SQLAlchemy==1.3.*`),
    psycopg2: what those versions take for `postgresql://`."""
    files, _ = _nearest_dependency_files(start)
    texts = [_text(path) for path in files]
    pattern = _DRIVER_PACKAGE.get()
    found = frozenset(_DRIVER_OF[m.lower()] for text in texts for m in pattern.findall(text))
    if not found and texts and sqlalchemy_below_2_1(texts):
        return frozenset({"psycopg2"})
    return found


def sqlalchemy_below_2_1(texts: Sequence[str]) -> bool:
    """Whether the dependency files `texts` name SQLAlchemy, each time with a version
    bound below 2.1 (`==1.4.54`, `<2`, `~=1.3`, Poetry's `"^1.4"`)."""
    specs = [
        spec
        for text in texts
        for line in text.splitlines()
        for spec in _sqlalchemy_specs(line.split("#", 1)[0])  # (comments aside)
    ]
    return bool(specs) and all(_below_2_1(spec) for spec in specs)


def _sqlalchemy_specs(line: str) -> Iterator[str]:
    """The version specifiers given SQLAlchemy on one line ("" where none is)."""
    for match in _SQLALCHEMY_SPEC.get().finditer(line):
        yield match.group(1) or match.group(2) or ""


def _below_2_1(spec: str) -> bool:
    """Whether one of the clauses of `spec` keeps the version below 2.1."""
    return any(_clause_below_2_1(clause.strip()) for clause in spec.split(","))


def _clause_below_2_1(clause: str) -> bool:
    """Whether a version clause (`==1.3.*`, `<2`, `~=1.4`, `^1.4`, `1.3.24`) bounds the
    version below 2.1; False for a lower bound or an exclusion."""
    bound = _VERSION_CLAUSE.get().match(clause)
    if bound is None:
        return False
    sign, major, minor = bound.group(1) or "==", int(bound.group(2)), bound.group(3)
    if sign == "~=" and clause.count(".") >= 2 and minor is not None and minor.isdigit():
        return (major, int(minor)) < (2, 1)  # ~=X.Y.Z: below X.(Y+1)
    if sign in ("~=", "^"):
        return major <= 1  # below (X+1)
    upper = (major, 10**6 if minor is None or minor == "*" else int(minor))
    if sign == "<":
        return upper <= (2, 1) or (minor is None and major <= 2)
    return upper < (2, 1)  # ==, ===, <=


def project_dialects(start: str | None) -> frozenset[str]:
    """The databases whose drivers the project's dependency files name: "postgresql"
    (psycopg, asyncpg, pg8000), "mysql" (PyMySQL, mysqlclient, mysql-connector,
    aiomysql, asyncmy, mariadb). The files `project_drivers` reads; where there are
    none up to the repository's root, the requirements files one folder below the root
    (RootTheBox keeps its own in `setup/`)."""
    files, top = _nearest_dependency_files(start)
    if not files and top is not None:
        files = _requirements_below(top)
    texts = [_text(path) for path in files]
    found = set()
    if any(_DRIVER_PACKAGE.get().search(text) for text in texts):
        found.add("postgresql")
    if any(_MYSQL_PACKAGE.get().search(text) for text in texts):
        found.add("mysql")
    return frozenset(found)


def configured_dialects(start: str | None) -> frozenset[str]:
    """The databases the project's own settings name: the URLs of its dotenv files
    (`.env`, `.env.*`, `*.env`, `.flaskenv`) and Compose files, and the database images
    those run, in the folder of its nearest dependency files (`project_drivers`), else the
    repository's root, and the URLs of the project's modules that env.py (in `start`, the
    script folder) imports. Ambuda's `.flaskenv` and `.env.docker` set `sqlite:///` URLs
    only."""
    files, top = _nearest_dependency_files(start)
    folder = top if not files else _project_folder(files[0])
    if folder is None:
        return frozenset()
    found: set[str] = set()
    settings = _listed(folder, _is_settings_file)
    if start is not None:
        settings += _imported_modules(os.path.join(start, "env.py"), folder)
    for path in settings:
        text = _text(path)
        for scheme in _ANY_URL.get().findall(text):
            dialect = _URL_SCHEMES.get(scheme.lower())
            if dialect is not None:
                found.add(dialect)
        found |= {_IMAGE_DIALECTS[m.lower()] for m in _DATABASE_IMAGE.get().findall(text)}
    return frozenset(found)


def _imported_modules(env_py: str, folder: str) -> list[str]:
    """The files of the project's own modules that env.py imports, found under `folder`
    (or its `src/`): HowTheyVote's env.py takes its URL from `howtheyvote.config`, whose
    default is a `sqlite:///` URL. Read as text, never run; a module outside the project
    (alembic, sqlalchemy, an installed package) has no file there."""
    found: list[str] = []
    for match in _IMPORT.get().finditer(_text(env_py)):
        module, names, plain = match.groups()
        dotted = (
            [plain] if plain else [module, *(f"{module}.{n.strip()}" for n in names.split(","))]
        )
        for name in dotted:
            found += _module_file(name, folder)
    return sorted(set(found))


def _module_file(name: str, folder: str) -> list[str]:
    """The file of module `name` (dotted) under `folder` or its `src/` ([] if none)."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return []
    path = module_file(parts, (os.path.join(folder, root) for root in _SOURCE_ROOTS))
    return [] if path is None else [path]


def _project_folder(dependency_file: str) -> str:
    """The folder a dependency file belongs to (`requirements/base.txt`'s is the one
    above `requirements/`)."""
    folder = os.path.dirname(dependency_file)
    return os.path.dirname(folder) if os.path.basename(folder) == "requirements" else folder


def _is_settings_file(name: str) -> bool:
    lowered = name.lower()
    if lowered in (".env", ".flaskenv") or lowered.startswith(".env.") or lowered.endswith(".env"):
        return True
    return lowered.startswith(_COMPOSE_PREFIXES) and lowered.endswith(_YAML)


def _nearest_dependency_files(start: str | None) -> tuple[list[str], str | None]:
    """The dependency files of the nearest folder at or above `start` that holds any
    (up to the repository's root, or `_DEPENDENCY_LEVELS` folders), and the
    repository's root where the search reached it without finding any."""
    folder = start
    for _ in range(_DEPENDENCY_LEVELS):
        if folder is None:
            break
        files = _dependency_files(folder)
        if files:
            return files, None
        if os.path.isdir(os.path.join(folder, ".git")):
            return [], folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return [], None


def _requirements_below(folder: str) -> list[str]:
    """The requirements files in the folders right below `folder` (not hidden ones)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    found: list[str] = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            names = sorted(os.listdir(entry.path))
        except OSError:
            continue
        found += [os.path.join(entry.path, n) for n in names if _is_requirements(n)]
    return found


def _listed(folder: str, wanted: Callable[[str], bool]) -> list[str]:
    """The paths of the entries of `folder` whose names are `wanted`, by name ([] where
    the folder cannot be listed)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if wanted(n)]


def _dependency_files(folder: str) -> list[str]:
    found = _listed(folder, _is_dependency_file)
    nested = os.path.join(folder, "requirements")
    if os.path.isdir(nested):
        found += _listed(nested, lambda name: name.endswith(_REQ))
    return found


def _is_dependency_file(name: str) -> bool:
    return name in _DEPENDENCY_NAMES or _is_requirements(name)


def _is_requirements(name: str) -> bool:
    return name.startswith("requirements") and name.endswith(_REQ)


def _text(path: str) -> str:
    """The text of a regular file, its line ends made `\\n` ("" for anything else: a
    `.env` folder, or a FIFO, whose read would block lint)."""
    try:
        data = read_regular(path)
    except OSError:
        return ""
    return data.decode(errors="replace").replace("\r\n", "\n").replace("\r", "\n")
