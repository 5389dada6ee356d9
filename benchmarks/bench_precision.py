"""Precision of the AG1xx safety rules on real histories, against hand-made labels.

Usage: python benchmarks/bench_precision.py [--corpus /work/corpus] [--labels FILE]
       python benchmarks/bench_precision.py --dump findings.csv   # every finding, to label

The corpus is a folder of exported public repositories with a `manifest.json` (repo,
commit, dir, environments with their config and versions folders). Every environment is
linted with every AG1xx rule enabled (`--select AG1 --extend-select AG105,AG107`), each
from its repository's root, with its own config where alembic-gate finds the listed
revision files through it, otherwise with `--versions`: one history over all its
folders when they nest (expand/contract subfolders), else one per folder.

The labels (benchmarks/precision/labels.csv: repo, commit, path, line, code, verdict,
reason, sample) say for each judged finding whether it is a real hazard ("real") or not
("fp"), or ("twin") that it makes the change another place of its revision reports in
another dialect branch (one hazard, reported once: it counts neither way): a "design"
sample drawn from the findings before the rules were tuned, and a "holdout" sample
drawn afterwards from findings not in the first one.
With `--shipping FILE` (benchmarks/precision/shipping.csv: repo, model, pattern,
evidence; a corpus of git work trees: make_corpus.py --git), each repository whose
production follows its release tags (model "tags") is linted as one that sets
`[tool.alembic-gate] release-tags` to its pattern: written into its root's
pyproject.toml for the run and taken out after; `--release-tags PATTERN` sets it for
every repository.
Printed: per rule, how many findings the run gives, how many of them are labelled, and
the precision among the labelled ones; and the labelled real hazards the run no longer
reports (lost), which must stay at zero.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic_gate.main import main as gate

HERE = Path(__file__).resolve().parent
LABELS = HERE / "precision" / "labels.csv"
CODES = ("AG101", "AG102", "AG103", "AG104", "AG105", "AG106", "AG107")
# (repo, path, line, code) -> (verdict, sample)
Labels = dict[tuple[str, str, int, str], tuple[str, str]]
RULES = ["--select", "AG1", "--extend-select", "AG105,AG107"]


@dataclass(frozen=True)
class Found:
    repo: str
    commit: str
    path: str
    line: int
    code: str
    message: str
    confidence: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.repo, self.path, self.line, self.code)


def _manifest(corpus: Path) -> list[dict[str, Any]]:
    """The corpus's repositories, as make_corpus.py wrote them (repo, commit, dir,
    environments)."""
    manifest: list[dict[str, Any]] = json.loads((corpus / "manifest.json").read_text())
    return manifest


def _environments(corpus: Path) -> Iterator[tuple[dict[str, str], dict[str, object]]]:
    for repo in _manifest(corpus):
        for env in repo["environments"]:
            if env["versions"]:
                yield repo, env


def _lint(root: Path, argv: list[str], files: list[str]) -> list[dict[str, object]]:
    """Run lint in `root` on `files`; its JSON findings ([] when the setup cannot be read)."""
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # Every revision file is named, so the safety rules report on all of them
            # (a run that names none shows only the head revisions' warnings).
            code = gate(["lint", "--no-cache", *RULES, "--format", "json", *argv, *files])
    finally:
        os.chdir(cwd)
    if code not in (0, 1):  # said, not hidden: a crash would look like no findings
        first = (err.getvalue().strip().splitlines() or [""])[0]
        print(f"lint exited {code} in {root} ({' '.join(argv)}): {first}", file=sys.stderr)
        return []
    findings: list[dict[str, object]] = json.loads(out.getvalue())["findings"]
    return findings


def _runs(root: Path, env: dict[str, object]) -> list[list[str]]:
    """The command lines that lint one environment: its config when that finds the
    listed revision files, otherwise one `--versions` run per folder."""
    folders = [str(v) for v in env["versions"]]  # type: ignore[attr-defined]
    config = env["config"]
    if isinstance(config, str) and not config.startswith("pyproject"):
        path, _, section = config.partition(" [")
        argv = ["-c", path, *(["-n", section.rstrip("]")] if section else [])]
        if _revision_count(root, argv) == env["revision_files"]:
            return [argv]
    nested = any(a != b and a.startswith(b + "/") for a in folders for b in folders)
    if nested:  # one history spread over subfolders (expand/contract branches)
        return [[arg for folder in folders for arg in ("--versions", folder)]]
    return [["--versions", folder] for folder in folders]  # independent histories


def _revision_count(root: Path, argv: list[str]) -> int:
    from alembic_gate.history.load import load_histories
    from alembic_gate.main import build_parser

    args = build_parser().parse_args(["lint", "--no-cache", *argv])
    cwd = Path.cwd()
    os.chdir(root)
    try:
        return sum(len(h.graph.files) for h in load_histories(args, root))
    except Exception:
        return -1
    finally:
        os.chdir(cwd)


@contextlib.contextmanager
def _release_tags(root: Path, patterns: Sequence[str]) -> Iterator[None]:
    """`release-tags = [patterns]` in `root`'s pyproject.toml while the block runs (the
    file as it was afterwards); nothing without patterns."""
    if not patterns:
        yield
        return
    pyproject = root / "pyproject.toml"
    before = pyproject.read_bytes() if pyproject.is_file() else None
    table = f"\n[tool.alembic-gate]\nrelease-tags = {json.dumps(list(patterns))}\n"
    pyproject.write_bytes((before or b"") + table.encode())
    try:
        yield
    finally:
        if before is None:
            pyproject.unlink()
        else:
            pyproject.write_bytes(before)


def _found(repo: dict[str, str], f: dict[str, object]) -> Found:
    return Found(
        repo["repo"],
        repo["commit"],
        str(f["path"]),
        int(f["line"] or 0),  # type: ignore[call-overload]
        str(f["code"]),
        str(f["message"]),
        str(f.get("confidence") or ""),
    )


def read_shipping(path: Path) -> dict[str, list[str]]:
    """The release-tags pattern of each repository that ships by its tags."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row["repo"]: [row["pattern"]] for row in rows if row["model"] == "tags"}


def _tree(corpus: Path, repo: dict[str, str], env: dict[str, object]) -> tuple[Path, list[str]]:
    """An environment's repository root (where the manifest says, else in `corpus`: a
    corpus moved since it was made) and its revision files, relative to the root."""
    root = Path(repo["dir"])
    if not root.is_dir():
        root = corpus / Path(repo["dir"]).name
    folders = [str(v) for v in env["versions"]]  # type: ignore[attr-defined]
    files = sorted(str(p.relative_to(root)) for v in folders for p in (root / v).glob("*.py"))
    return root, files


def run_corpus(
    corpus: Path, release_tags: Sequence[str] = (), shipping: dict[str, list[str]] | None = None
) -> list[Found]:
    found = []
    for repo, env in _environments(corpus):
        root, files = _tree(corpus, repo, env)
        patterns = release_tags or (shipping or {}).get(repo["repo"], [])
        with _release_tags(root, patterns):
            runs = [f for argv in _runs(root, env) for f in _lint(root, argv, files)]
        found += [_found(repo, f) for f in runs]
    return found


def read_labels(path: Path) -> Labels:
    labels = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["repo"], row["path"], int(row["line"]), row["code"])
            labels[key] = (row["verdict"], row.get("sample") or "design")
    return labels


def in_corpus(labels: Labels, corpus: Path) -> Labels:
    """The labels of the repositories `corpus` holds. Those of others are no part of
    this run (run on one set with another set's labels, every one of them would count
    as lost): how many are left out is printed, none of their verdicts."""
    held = {entry["repo"] for entry in _manifest(corpus)}
    kept = {key: value for key, value in labels.items() if key[0] in held}
    if len(kept) < len(labels):
        left = len(labels) - len(kept)
        print(f"labelled places of repositories not in this corpus, left out: {left}")
    return kept


def report(found: list[Found], labels: Labels) -> None:
    """Precision per rule over the labelled places (a place is a (file, line, code): a
    loop read once per table can put several findings on one line, judged once). A place
    labelled "twin" makes the change another place of its revision reports (one per
    dialect branch: reported once) and counts neither way; one reported again is shown."""
    keys = {f.key for f in found}
    twins = sorted(k for k, (verdict, _) in labels.items() if verdict == "twin")
    labels = {k: value for k, value in labels.items() if value[0] != "twin"}
    print(f"{'rule':<7} {'findings':>8} {'labelled':>8} {'real':>5} {'fp':>4} {'precision':>9}")
    for code in (*CODES, "all"):
        mine = [f for f in found if code in ("all", f.code)]
        judged = [labels[k][0] for k in {f.key for f in mine} if k in labels]
        real, fp = judged.count("real"), judged.count("fp")
        precision = f"{real / (real + fp):.0%}" if real + fp else "-"
        print(f"{code:<7} {len(mine):>8} {len(judged):>8} {real:>5} {fp:>4} {precision:>9}")
    for sample in sorted({sample for _, sample in labels.values()}):
        judged = [labels[k][0] for k in keys if k in labels and labels[k][1] == sample]
        if judged:
            share = judged.count("real") / len(judged)
            print(f"{sample} sample: {len(judged)} labelled places reported, {share:.0%} real")
    weighted = _weighted(found, labels)
    if weighted is not None:
        print(f"overall, each rule weighted by its findings: {weighted:.0%}")
    again = [k for k in twins if k in keys]
    print(f"twin places reported again: {len(again)}")
    for key in again:
        print("  twin:", ":".join(map(str, key[1:])), f"({key[0]})")
    lost = [k for k, (verdict, _) in labels.items() if verdict == "real" and k not in keys]
    print(f"labelled real hazards no longer reported: {len(lost)}")
    for key in sorted(lost):
        print("  lost:", ":".join(map(str, key[1:])), f"({key[0]})")
    confidence = {f.key: f.confidence for f in found if f.key in labels}
    if any(confidence.values()):
        print("by confidence (labelled places):")
        for level in ("high", "medium", "low"):
            judged = [labels[k][0] for k, c in confidence.items() if c == level]
            if judged:
                share = judged.count("real") / len(judged)
                print(f"  {level:<6} {len(judged):>4} labelled, {share:.0%} real")


def _weighted(found: list[Found], labels: Labels) -> float | None:
    """Precision over all findings: each rule's labelled precision weighted by how many
    findings the rule gives (the labels are a sample of a fixed size per rule)."""
    total = hits = 0.0
    for code in CODES:
        mine = [f for f in found if f.code == code]
        judged = [labels[k][0] for k in {f.key for f in mine} if k in labels]
        if judged:
            total += len(mine)
            hits += len(mine) * judged.count("real") / len(judged)
    return hits / total if total else None


def dump(found: list[Found], labels: Labels, out: Path) -> None:
    header = ["repo", "commit", "path", "line", "code", "confidence", "label", "message"]
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for f in sorted(found, key=lambda f: f.key):
            label = labels.get(f.key, ("", ""))[0]
            row = [f.repo, f.commit, f.path, f.line, f.code, f.confidence, label, f.message]
            writer.writerow(row)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--dump", type=Path, help="write every finding to this CSV file")
    parser.add_argument(
        "--release-tags",
        action="append",
        default=[],
        metavar="PATTERN",
        help="lint as a project with this release-tags pattern (repeatable)",
    )
    parser.add_argument("--shipping", type=Path, help="release-tags per repository (shipping.csv)")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.json").is_file():
        print(f"no corpus at {args.corpus} (no manifest.json)", file=sys.stderr)
        return 2
    shipping = read_shipping(args.shipping) if args.shipping else None
    # killed (a run stopped half-way), it still takes its release-tags out of the trees'
    # pyproject.toml files: a table left there would make the next run read it twice
    signal.signal(signal.SIGTERM, _stopped)
    found = run_corpus(args.corpus, args.release_tags, shipping)
    labels = read_labels(args.labels) if args.labels.is_file() else {}
    labels = in_corpus(labels, args.corpus)
    if args.dump:
        dump(found, labels, args.dump)
    report(found, labels)
    return 0


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # `finally` blocks run: `_release_tags` cleans up


if __name__ == "__main__":
    raise SystemExit(main())
