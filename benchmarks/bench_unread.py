"""Revision files whose upgrade() the reader takes for doing nothing, though the file calls op.

Usage: python benchmarks/bench_unread.py --corpus DIR [--corpus DIR ...]

A safety rule cannot warn about what the reader does not see, and a revision it reads as
empty passes in silence. This bench counts, over every revision file of each corpus
(`make_corpus.py` writes them, `manifest.json` lists the environments), the files whose
code outside downgrade() calls a schema or data operation of alembic's `op`
(`op.add_column`, `op.execute`, `op.batch_alter_table`, ...), while the reader
(history/operations.py, as lint reads the file) finds no operation, fill or step in
upgrade() but calls into imported code, which it notes and does not follow. Comments and
strings are no calls (the file is parsed), so code commented out is not counted. Each such
file is listed, to judge by hand: an upgrade() that runs nothing on purpose, or a silent
pass to mend. Over the seventy-nine precision sets (24,740 such files) there were 113 at
68636da, Hindsight's 93 (every upgrade() handed to the project's
`run_for_dialect(pg=_pg_upgrade)`) and Initiative's 20 (`run_for_each_guild_schema(bind,
_apply_upgrade)`), and none since 8ed0ca2.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from alembic_gate.history.operations import read_operations

# The op methods that change a schema or its rows (not `get_bind`, `get_context`, `f`, ...).
OPERATIONS = frozenset(
    {
        "add_column",
        "alter_column",
        "batch_alter_table",
        "bulk_insert",
        "create_check_constraint",
        "create_foreign_key",
        "create_index",
        "create_primary_key",
        "create_table",
        "create_unique_constraint",
        "drop_column",
        "drop_constraint",
        "drop_index",
        "drop_table",
        "execute",
        "rename_table",
    }
)


def revision_files(corpus: Path) -> Iterator[tuple[str, Path, Path]]:
    """(repository, its folder, a revision file) for every environment of the corpus."""
    manifest = json.loads((corpus / "manifest.json").read_text())
    for repo in manifest:
        root = corpus / repo.get("dir", repo["repo"].replace("/", "+"))
        seen: set[Path] = set()
        for env in repo["environments"]:
            for versions in env["versions"]:
                for path in sorted((root / versions).rglob("*.py")):
                    if path not in seen:
                        seen.add(path)
                        yield repo["repo"], root, path


def calls_op(module: ast.Module) -> bool:
    """Whether code outside downgrade() (and its `downgrade_<name>` forms) calls an op
    method of OPERATIONS."""
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _downgrade(node.name):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and _op_method(inner.func):
                return True
    return False


def _downgrade(name: str) -> bool:
    return name == "downgrade" or name.startswith("downgrade_")


def _op_method(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr in OPERATIONS
        and isinstance(func.value, ast.Name)
        and func.value.id == "op"
    )


def unread(path: Path) -> bool | None:
    """True: the file calls op, and the reader reads no step of upgrade(); None: not a
    revision file this bench judges (no upgrade(), no op call, not parsable)."""
    source = path.read_bytes()
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    has_upgrade = any(
        isinstance(node, ast.FunctionDef) and node.name == "upgrade" for node in module.body
    )
    if not has_upgrade or not calls_op(module):
        return None
    ops = read_operations(source)
    if ops.problem is not None:
        return None
    read = [
        c for c in (*ops.upgrade.calls, *ops.upgrade.steps) if c.name not in ("foreign", "raise")
    ]
    return not read  # (a call into imported code, a raise: steps of which nothing is read)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    args = parser.parse_args(argv)
    judged = 0
    found: list[tuple[str, str]] = []
    for corpus in args.corpus:
        if not (corpus / "manifest.json").is_file():
            print(f"no corpus at {corpus} (no manifest.json)", file=sys.stderr)
            return 2
        for repo, root, path in revision_files(corpus):
            verdict = unread(path)
            if verdict is None:
                continue
            judged += 1
            if verdict:
                found.append((repo, str(path.relative_to(root))))
    for repo, shown in found:
        print(f"unread: {repo} {shown}")
    print(
        f"{judged} revision files call op outside downgrade(); read as doing nothing: {len(found)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
