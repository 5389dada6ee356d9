"""alembic-gate's graph against alembic's own RevisionMap, on every environment of the corpus.

Usage: python benchmarks/bench_alembic_agreement.py [--corpus /work/corpus] [--timeout 300]
       python benchmarks/bench_alembic_agreement.py --json results.json   # every comparison
       python benchmarks/bench_alembic_agreement.py --python VENV/bin/python  # real imports

Each environment is linted as bench_precision.py lints it (its config where alembic-gate
finds the listed revision files through it, otherwise `--versions`), with `--select AG0` for
the findings, and its graph is read through `load_histories`. The same histories are then
given to alembic, each in a subprocess of its own (`python -I -B`, a temporary folder as the
current directory, none of this process's environment variables, no network: `unshare --net`
where allowed and sockets refused in any case; a timeout): a ScriptDirectory from the config
(alembic reads the ini itself; a script location it cannot find from the repository's root
or that holds no env.py, a `package:dir` one or none at all as with Flask-Migrate, is taken
from the manifest) or
from the folders, alembic's own file listing, each revision file imported by alembic's
`Script._from_path`, and a RevisionMap of the files that imported.

No project code runs but the revision files: the project is not on sys.path, and an import
of any module that cannot be found is given a stub module whose every attribute is a stub
(callable, subscriptable, a base class, a decorator, iterable as empty), so a revision
file's module-level code runs far enough to define its variables. A file is "ok" when it
imported without a stub (stdlib and this environment's packages are real), "stubbed" with
one, and "failed" when it could not be imported even so; failed files are counted and left
out of both sides, never guessed.

Compared per history: the revision ids each file defines, and per revision its
down_revision, branch_labels and depends_on. alembic's verdict is "accepts", or what it
raises or warns while making each file a Script (a self-loop, an illegal id, no
down_revision) and building the map (a cycle, a missing parent, a duplicate id or label).
There is no verdict where a file failed or a value came from a stub, and heads and bases
(RevisionMap's) are compared only where every revision, down_revision and depends_on is
real; so are the branch labels each revision carries once the map spread them (what
`label@head` and AG001 go by), a label alembic-gate cannot read (`branch_labels =
(cli.EXPAND_BRANCH,)`) standing for the labels alembic imported for it. `--python` runs
alembic's side in another interpreter, a virtualenv where the projects are installed, so
that fewer values come from stubs. Where alembic refuses, alembic-gate should report an AG0
error. A "false error" is an
AG0 error on a history alembic accepts whose values agree, AG001 (multiple heads) excepted
where alembic's map too has several heads (it accepts such a map, but `alembic upgrade
head` refuses it); a "missed" one is a history alembic refuses with no AG0 error, unless
alembic-gate reads one of its values as not a literal (GeoNature's depends_on, built in
code that a stub steers): no verdict then.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_precision import _runs as precision_runs

from alembic_gate.history.load import load_histories
from alembic_gate.main import build_parser
from alembic_gate.main import main as gate_main

WIDTH = 64  # of the history column
# A file's values: revision, down_revision, branch_labels, depends_on (ids, sorted where
# alembic keeps a set); None for a value that alembic-gate reads as not a literal, or that
# alembic got from a stub (project code).
Ids = tuple[str, ...] | None
Values = tuple[str | None, Ids, Ids, Ids]


# --- the alembic side, run in a subprocess ---------------------------------------------------

WORKER = r'''
import importlib.abc, importlib.util, json, os, socket, sys, types, warnings
from pathlib import Path

job = json.loads(sys.stdin.read())
ROOT = Path(job["root"])
SCRATCH = os.getcwd()


def message(exc):
    """An exception's type and the first line of its message."""
    lines = str(exc).splitlines() or [""]
    return f"{type(exc).__name__}: {lines[0]}"[:300]


def _refuse(*args, **kwargs):
    raise OSError("network refused by bench_alembic_agreement")


socket.socket.connect = socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
socket.create_connection = socket.getaddrinfo = _refuse  # type: ignore[assignment]

import sqlalchemy, sqlalchemy.orm, sqlalchemy.ext.declarative, sqlalchemy.sql  # noqa: E402
import sqlalchemy.dialects.postgresql, sqlalchemy.dialects.mysql  # noqa: E402
import sqlalchemy.dialects.sqlite, sqlalchemy.dialects.mssql, sqlalchemy.dialects.oracle  # noqa
import alembic.op, alembic.context  # noqa: E402
from alembic import util  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import base as script_base  # noqa: E402
from alembic.script.base import Script, ScriptDirectory  # noqa: E402
from alembic.script.revision import RevisionMap  # noqa: E402


class Stub:
    """Anything: callable, subscriptable, a base class, a decorator, iterable as empty."""

    def __init__(self, name):
        object.__setattr__(self, "_stub_name", name)

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return Stub(f"{self._stub_name}.{attr}")

    def __setattr__(self, attr, value):
        pass

    def __call__(self, *args, **kwargs):
        return Stub(f"{self._stub_name}()")

    def __getitem__(self, key):
        return Stub(f"{self._stub_name}[]")

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __mro_entries__(self, bases):
        return (StubBase,)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _op(self, *args):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
    __truediv__ = __rtruediv__ = __mod__ = __rmod__ = __or__ = __ror__ = _op
    __and__ = __rand__ = __neg__ = __invert__ = _op


class StubBase:
    """What a class deriving from a stub derives from."""

    def __init_subclass__(cls, **kwargs):
        pass

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return Stub(attr)


class StubModule(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return Stub(f"{self.__name__}.{attr}")


class StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


class StubFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: whatever no other finder found is a stub."""

    stubbed: list = []

    def find_spec(self, name, path, target=None):
        self.stubbed.append(name)
        return importlib.util.spec_from_loader(name, StubLoader(), is_package=True)


class ImportFailed(Exception):
    pass


_load = util.load_python_file


def _load_or_fail(dir_, filename):
    """alembic's own import of a revision file, its failures told apart from alembic's."""
    try:
        return _load(dir_, filename)
    except BaseException as exc:  # module code may raise anything, SystemExit included
        raise ImportFailed(message(exc)) from None


assert script_base.util is util  # Script._from_path calls util.load_python_file
util.load_python_file = _load_or_fail


def script_directory():
    os.chdir(ROOT)  # where alembic-gate ran: relative paths in the config are read from it
    notes = []
    if job["config"]:
        config = Config(job["config"], ini_section=job["section"])
        location = config.get_alembic_option("script_location")
        # Flask-Migrate sets it in code, to the ini's folder, whatever the ini says (a
        # `script_location = .` read from the root would hold no env.py and no versions/)
        if location is None or not (Path(location) / "env.py").is_file():
            notes.append(f"script_location {location!r} taken from the manifest")
            config.set_main_option("script_location", job["script_location"])
        saved = list(sys.path)
        scripts = ScriptDirectory.from_config(config)
        sys.path[:] = saved  # prepend_sys_path would put project code on the path
    else:
        scripts = ScriptDirectory(job["script_location"], version_locations=job["folders"])
    listed = [p.resolve() for v in scripts._version_locations if v.exists()
              for p in Script._list_py_dir(scripts, v)]
    paths = list(dict.fromkeys(listed))  # alembic too loads a file listed twice once
    if len(paths) < len(listed):
        notes.append(f"{len(listed) - len(paths)} file(s) listed twice (alembic warns)")
    os.chdir(SCRATCH)
    return scripts, paths, notes


def read_file(scripts, path, finder):
    before = len(finder.stubbed)
    entry = {"status": "ok"}
    try:
        script = Script._from_path(scripts, path)
    except ImportFailed as exc:
        return {"status": "failed", "error": str(exc)}, None
    except Exception as exc:  # alembic refusing the values (a loop, an illegal id)
        entry["refused"] = message(exc)
        script = None
    finally:
        for name in [n for n, m in sys.modules.items() if isinstance(m, StubModule)]:
            del sys.modules[name]
    stubs = sorted(set(finder.stubbed[before:]))
    if stubs:
        entry.update(status="stubbed", stubs=stubs)
    if script is not None:
        entry.update(
            revision=script.revision if isinstance(script.revision, str) else None,
            # the module's own values: Script normalises them (a stub to an empty tuple)
            down_revision=ids(getattr(script.module, "down_revision", None)),
            branch_labels=ids(getattr(script.module, "branch_labels", None)),
            depends_on=dependency_ids(getattr(script.module, "depends_on", None)),
        )
    return entry, script


def ids(value):
    """A variable's ids as alembic takes them (util.to_tuple), sorted for a set; None for a
    value that is not a string, a collection of strings or None (a stub, from project code,
    which to_tuple would take as empty)."""
    if value is None or isinstance(value, str):
        return list(util.to_tuple(value, default=()))
    if not isinstance(value, (tuple, list, set, frozenset)):
        return None
    if not all(isinstance(item, str) for item in value):
        return None
    return sorted(value) if isinstance(value, (set, frozenset)) else list(value)


def dependency_ids(value):
    """`depends_on`'s ids as alembic resolves them: a single id is kept as a plain string
    (`tuple_rev_as_scalar`), and an empty one resolves nothing (`depends_on = ""`)."""
    found = ids(value)
    return [] if found == [""] else found


def run():
    scripts, paths, notes = script_directory()
    finder = StubFinder()
    sys.meta_path.append(finder)
    files, loaded, refused = {}, [], []
    for path in paths:
        try:
            shown = str(path.relative_to(ROOT))
        except ValueError:
            shown = str(path)
        entry, script = read_file(scripts, path, finder)
        if script is not None:
            loaded.append(script)
        if "refused" in entry:
            refused.append(f"{shown}: {entry['refused']}")
        if entry["status"] != "failed" and "revision" not in entry and "refused" not in entry:
            continue  # not a revision file to alembic (_from_path returned None)
        files[shown] = entry
    sys.meta_path.remove(finder)
    result = {"files": files, "notes": notes, "refused": refused}
    failed = sum(entry["status"] == "failed" for entry in files.values())
    stubbed = sum(None in entry.values() for entry in files.values())
    linked = sum(
        None in (entry.get(key, "") for key in ("revision", "down_revision", "depends_on"))
        for entry in files.values()
    )
    if failed or stubbed:  # the map misses revisions, or holds stubs: no verdict
        result["no_verdict"] = f"{failed} file(s) failed, {stubbed} with stub values"
    if failed or linked:  # nor heads: only stub branch labels leave the links whole
        return result
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            revision_map = RevisionMap(lambda: loaded)
            result["heads"] = sorted(revision_map.heads)
            result["bases"] = sorted(revision_map.bases)
            # each revision's labels once the map spread them (_add_branches)
            # (a stub label shows as its repr: not compared, as its file's labels are None)
            result["labels"] = {s.revision: sorted(map(str, s.branch_labels)) for s in loaded}
        except Exception as exc:
            refused.append(message(exc))
    refused.extend(str(w.message)[:300] for w in caught)
    return result


sys.stdout = sys.stderr = open(os.devnull, "w")  # module code may print
try:
    output = run()
except BaseException as exc:
    output = {"error": message(exc)}
text = json.dumps(output, default=repr)  # a value that is not a string shows as its repr
with open(job["out"], "w") as handle:
    handle.write(text)
'''


def isolation() -> list[str]:
    """`unshare --net` where this user may create a network namespace (no network at all,
    loopback included), else nothing: the worker's refused sockets are then all there is."""
    try:
        probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True)
    except OSError:
        return []
    return ["unshare", "--net", "--"] if probe.returncode == 0 else []


def alembic_side(job: dict[str, Any], timeout: float, launcher: list[str]) -> dict[str, Any]:
    """Run the worker on one history in a scratch folder; its result, or {"error": ...}."""
    with tempfile.TemporaryDirectory(prefix="agree-") as scratch:
        out = Path(scratch) / "result.json"
        # No variables of this process (secrets, database URLs); libpq, which opens its
        # own sockets, is pointed at a folder with none.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        env.update(HOME=scratch, PGHOST=scratch, PGPASSFILE=os.devnull)
        argv = [*launcher, "-I", "-B", "-c", WORKER]
        try:
            done = subprocess.run(
                argv,
                input=json.dumps({**job, "out": str(out)}),
                cwd=scratch,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f}s"}
        if not out.is_file():
            return {"error": f"worker exit {done.returncode}: {done.stderr.strip()[-300:]}"}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


# --- the alembic-gate side -------------------------------------------------------------------


@dataclass
class GateSide:
    files: dict[str, Values | None] = field(default_factory=dict)
    heads: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # AG0 error findings, "CODE path:line"
    warnings: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    config: tuple[str, str] | None = None
    unknown: int = 0  # files with a value that is not a literal
    # each revision's labels as the graph spreads them ("?<id>": <id>'s, not a literal)
    labels: dict[str, list[str]] = field(default_factory=dict)


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(cwd)


def gate_side(root: Path, argv: list[str]) -> GateSide:
    side = GateSide()
    args = build_parser().parse_args(["lint", "--no-cache", *argv])
    out = io.StringIO()
    with _inside(root):
        histories = load_histories(args, root)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = gate_main(["lint", "--no-cache", "--select", "AG0", "--format", "json", *argv])
    if code not in (0, 1):  # the setup could not be read: no findings to relate
        side.errors.append(f"lint exit {code}")
        return side
    for history in histories:
        setup = history.setup
        if setup.config_path is not None:
            side.config = (str(setup.config_path), setup.section)
        side.folders += [str(v) for v in setup.version_locations]
        for rev in history.graph.files:
            side.files[rev.display] = _values(rev)
            known = (rev.down_revision, rev.branch_labels, rev.depends_on)
            side.unknown += not all(v.known for v in known)
        side.heads += history.graph.heads
        side.labels.update((rid, sorted(ids)) for rid, ids in history.graph.labels().items())
        side.bases += history.graph.bases
    for finding in json.loads(out.getvalue())["findings"]:
        place = f"{finding['code']} {finding['path']}:{finding['line']}"
        (side.errors if finding["severity"] == "error" else side.warnings).append(place)
    return side


def _values(rev: Any) -> Values | None:
    if rev.revision is None or rev.problem is not None:
        return None
    labels = tuple(sorted(rev.branch_labels.ids)) if rev.branch_labels.known else None
    return (rev.revision, _ids(rev.down_revision), labels, _ids(rev.depends_on))


def _ids(value: Any) -> Ids:
    return tuple(value.ids) if value.known else None


def _alembic_values(entry: dict[str, Any]) -> Values:
    def ids(key: str) -> Ids:
        found = entry[key]
        return None if found is None else tuple(found)

    labels = ids("branch_labels")  # a set to alembic: sorted, as on alembic-gate's side
    labels = None if labels is None else tuple(sorted(labels))
    return (entry["revision"], ids("down_revision"), labels, ids("depends_on"))


# --- comparing -------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    files: int = 0
    ok: int = 0
    stubbed: int = 0
    failed: int = 0
    ids_agree: bool = True
    values_agree: bool = True
    heads_agree: bool | None = None  # None: not compared (no verdict, or alembic refused)
    labels_agree: bool | None = None  # spread labels; None: not compared (as heads, or a stub)
    unread: int = 0  # values alembic-gate reads as not literals that alembic has as ids
    alembic_heads: list[str] = field(default_factory=list)
    verdict: str = "accepts"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stubs: list[str] = field(default_factory=list)  # the top-level modules stubbed, per file

    @property
    def unconfirmed(self) -> list[str]:
        """The AG0 errors alembic's map does not bear out: all but AG001 where alembic too
        counts several heads (a map it accepts, but `alembic upgrade head` refuses)."""
        several = len(self.alembic_heads) > 1
        return [e for e in self.errors if not (several and e.startswith("AG001 "))]

    @property
    def outcome(self) -> str:
        if self.verdict.startswith(("no verdict", "worker: ")):  # (a timeout is no refusal)
            return "n/a"
        refused = self.verdict != "accepts"
        if self.unconfirmed and not refused and self.ids_agree and self.values_agree:
            return "FALSE ERROR"
        if refused and not self.errors:
            # a refusal that may come from a value alembic-gate cannot read (depends_on
            # built in code, which a stub steered): no verdict, the notes say which
            return "n/a" if self.unread else "MISSED"
        same = self.ids_agree and self.values_agree and self.labels_agree is not False
        return "agree" if same else "differ"


def compare(name: str, gate: GateSide, alembic: dict[str, Any]) -> Row:
    row = Row(name, errors=gate.errors, warnings=gate.warnings)
    if "error" in alembic:
        row.verdict = "worker: " + alembic["error"]
        row.ids_agree = row.values_agree = False
        return row
    row.notes += alembic["notes"]
    files: dict[str, dict[str, Any]] = alembic["files"]
    row.files = len(files)
    for path, entry in files.items():
        setattr(row, entry["status"], getattr(row, entry["status"]) + 1)
        row.stubs += sorted({name.split(".")[0] for name in entry.get("stubs", [])})
        if entry["status"] == "failed":
            row.failures.append(f"failed: {path}: {entry['error']}")
    missing = sorted(set(gate.files) - set(files))
    extra = sorted(set(files) - set(gate.files))
    row.differences += [f"only alembic-gate reads {p}" for p in missing]
    row.differences += [f"only alembic reads {p}" for p in extra]
    row.ids_agree = not missing and not extra
    for path in sorted(set(files) & set(gate.files)):
        entry = files[path]
        if entry["status"] == "failed" or "revision" not in entry:
            continue
        theirs = _alembic_values(entry)
        mine = gate.files[path]
        if mine is None or mine[0] != theirs[0]:
            row.ids_agree = False
            row.differences.append(f"{path}: id {mine and mine[0]!r} vs alembic {theirs[0]!r}")
            continue
        for key, a, b in zip(
            ("down_revision", "branch_labels", "depends_on"), mine[1:], theirs[1:], strict=True
        ):
            if a is None and b is not None:
                row.unread += 1
                row.notes.append(f"{path}: {key} not a literal to alembic-gate, {b} to alembic")
            elif a != b:
                row.values_agree = False
                row.differences.append(f"{path}: {key} {a} vs alembic {b}")
    if "no_verdict" in alembic:
        row.verdict = "no verdict: " + alembic["no_verdict"]
    elif alembic["refused"]:
        row.verdict = "; ".join(alembic["refused"])
    row.alembic_heads = alembic.get("heads", [])
    if row.failed == 0 and "heads" in alembic and not alembic["refused"]:
        row.heads_agree = (
            sorted(gate.heads) == alembic["heads"] and sorted(gate.bases) == alembic["bases"]
        )
        if not row.heads_agree:
            row.differences.append(
                f"heads {sorted(gate.heads)} bases {sorted(gate.bases)} vs alembic "
                f"{alembic['heads']} {alembic['bases']}"
            )
        row.labels_agree = _labels_agree(row, gate, alembic)
    return row


def _labels_agree(row: Row, gate: GateSide, alembic: dict[str, Any]) -> bool | None:
    """Whether each revision carries the labels alembic's map spread to it (what
    `label@head` and AG001 go by). A label alembic-gate cannot read ("?<id>") stands for
    <id>'s own labels as alembic imported them; None where one of those is a stub."""
    own = {e["revision"]: e["branch_labels"] for e in alembic["files"].values() if "revision" in e}
    differ = []
    for rid, theirs in alembic.get("labels", {}).items():
        mine: set[str] = set()
        for label in gate.labels.get(rid, []):
            named = own.get(label[1:]) if label.startswith("?") else [label]
            if named is None:
                return None
            mine.update(named)
        if sorted(mine) != theirs:
            differ.append(f"{rid}: labels {sorted(mine)} vs alembic {theirs}")
    row.differences += differ
    return not differ


# --- the corpus --------------------------------------------------------------------------------


def _environments(corpus: Path) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for repo in json.loads((corpus / "manifest.json").read_text()):
        root = Path(repo["dir"])
        if not root.is_dir():
            root = corpus / Path(repo["dir"]).name
        for env in repo["environments"]:
            if env["versions"]:
                yield root, repo["repo"], env


def _job(root: Path, env: dict[str, Any], gate: GateSide) -> dict[str, Any]:
    config, section = gate.config or (None, "alembic")
    return {
        "root": str(root),
        "config": config,
        "section": section,
        "script_location": str(root / env["script_location"]),
        "folders": gate.folders,
    }


def run_corpus(corpus: Path, timeout: float, launcher: list[str]) -> list[Row]:
    rows = []
    for root, repo, env in _environments(corpus):
        for argv in precision_runs(root, env):
            gate = gate_side(root, argv)
            alembic = alembic_side(_job(root, env, gate), timeout, launcher)
            rows.append(compare(f"{repo} {_shown(argv)}", gate, alembic))
            if gate.unknown:
                rows[-1].notes.append(f"{gate.unknown} file(s) with a value that is not a literal")
    return rows


def _shown(argv: list[str]) -> str:
    """How a run reads its history: `-c ini [-n section]`, or its first folder."""
    if argv[0] == "-c":
        return " ".join(argv)
    more = len(argv) // 2 - 1
    return f"--versions {argv[1]}" + (f" (+{more})" if more else "")


def report(rows: list[Row]) -> None:
    def mark(flag: bool | None) -> str:
        return "-" if flag is None else "yes" if flag else "NO"

    print(
        f"{'history':<{WIDTH}} {'files':>5} {'ok':>4} {'stub':>4} {'fail':>4} {'ids':>4} "
        f"{'vals':>4} {'heads':>5} {'lbls':>4} {'alembic':<8} {'AG0 err':>7} {'warn':>4}  outcome"
    )
    for r in rows:
        verdict = r.verdict if r.verdict == "accepts" else "REFUSES"
        verdict = "-" if r.outcome == "n/a" else verdict
        print(
            f"{_cut(r.name):<{WIDTH}} {r.files:>5} {r.ok:>4} {r.stubbed:>4} {r.failed:>4} "
            f"{mark(r.ids_agree):>4} {mark(r.values_agree):>4} {mark(r.heads_agree):>5} "
            f"{mark(r.labels_agree):>4} {verdict:<8} {len(r.errors):>7} {len(r.warnings):>4}  "
            f"{r.outcome}"
        )
    for r in rows:
        details = r.differences + r.failures + r.notes + r.errors
        if r.verdict != "accepts":
            details.insert(0, f"alembic: {r.verdict}")
        if details:
            print(f"\n{r.name}:")
            for line in details[:12]:
                print(f"  {line}")
            if len(details) > 12:
                print(f"  ... {len(details) - 12} more")
    _totals(rows)


def _cut(name: str) -> str:
    """A name that fits the column: its start (the repository) and its end."""
    if len(name) <= WIDTH:
        return name
    half = WIDTH // 2 - 1
    return f"{name[:half]}..{name[-(WIDTH - half - 2) :]}"


def _totals(rows: list[Row]) -> None:
    files = sum(r.files for r in rows)
    print(
        f"\n{len(rows)} histories, {files} revision files: {sum(r.ok for r in rows)} imported "
        f"as they are, {sum(r.stubbed for r in rows)} with stubs, "
        f"{sum(r.failed for r in rows)} failed (left out)"
    )
    print(
        f"over the files that imported, ids agree on {sum(r.ids_agree for r in rows)}, values on "
        f"{sum(r.ids_agree and r.values_agree for r in rows)}; heads and bases compared on "
        f"{sum(r.heads_agree is not None for r in rows)}, equal on "
        f"{sum(bool(r.heads_agree) for r in rows)}; spread branch labels compared on "
        f"{sum(r.labels_agree is not None for r in rows)}, equal on "
        f"{sum(bool(r.labels_agree) for r in rows)}"
    )
    stubs = Counter(name for r in rows for name in r.stubs)
    print(
        "most stubbed (top-level module: files): "
        + ", ".join(f"{name} {count}" for name, count in stubs.most_common(12))
    )
    print(
        f"no verdict on {sum(r.outcome == 'n/a' for r in rows)} (a file failed, or a value "
        f"came from a stub); values alembic-gate reads as not literals where alembic has ids: "
        f"{sum(r.unread for r in rows)}"
    )
    refused = [r for r in rows if r.verdict != "accepts" and r.outcome != "n/a"]
    print(
        f"alembic refuses {len(refused)}; AG0 errors on "
        f"{sum(bool(r.errors) for r in rows)} (on {sum(bool(r.errors) for r in refused)} of "
        f"the refused); false errors: {sum(r.outcome == 'FALSE ERROR' for r in rows)}, "
        f"missed: {sum(r.outcome == 'MISSED' for r in rows)}, values differ (to judge by "
        f"hand): {sum(r.outcome == 'differ' for r in rows)}"
    )
    several = [r for r in rows if r.errors and not r.unconfirmed and r.verdict == "accepts"]
    print(f"AG001 errors where alembic's own map has several heads too: {len(several)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per history")
    parser.add_argument("--json", type=Path, help="write every comparison to this file")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter of alembic's side (default: this one): a virtualenv where the "
        "projects are installed (pip install neutron keystone), so that their revision files "
        "import for real and fewer values come from stubs",
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.json").is_file():
        print(f"no corpus at {args.corpus} (no manifest.json)", file=sys.stderr)
        return 2
    prefix = isolation()
    print(f"network in the workers: {'none (unshare --net)' if prefix else 'sockets refused'}")
    rows = run_corpus(args.corpus, args.timeout, [*prefix, args.python])
    report(rows)
    if args.json:
        found = [{**r.__dict__, "outcome": r.outcome} for r in rows]
        args.json.write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
