"""What keeps alembic from loading a history at all: then no alembic command runs
(`upgrade`, `stamp`, `merge` fail with KeyError, CycleDetected, RevisionError,
SyntaxError or ImportError), so doctor names the problem before its diagnosis and prints
no alembic fix.

The problems are lint's AG002, AG003, AG005, AG006, the AG007 files alembic cannot
import or take in (`fails_alembic`), and a parent or dependency that no file defines named
by a file alembic drops for another of its id (AG004: alembic still follows it);
`alembic-gate lint` gives each with its file, line and fix. What alembic does load is left
out: a duplicate id otherwise (AG004: alembic warns and keeps the last file; but see
below for one with a child), several heads (AG001), and an AG007 file that lint cannot
read but Python can (an id that is no literal, a blank `revision`, a file over 8 MiB).
"""

from __future__ import annotations

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import ILLEGAL_ID_CHARS, RevisionFile

# Problems named before "and N more".
LISTED = 3

# Problems (revisions.py) of files Python cannot compile or open: alembic fails to import
# them (SyntaxError, ImportError; a FIFO is never answered). A file over lint's 8 MiB
# limit is read by alembic.
_UNLOADABLE = (
    "syntax error",
    "not UTF-8",
    "not ",
    "bad coding line",
    "file contains NUL",
    "no `down_revision`",  # AttributeError
    # CommandError: a file named by its id (alembic 0.1's) has it already (take_legacy_id)
    "no `revision`",
)
_TOO_LARGE = "cannot read file: larger than"
_ID_PROBLEMS = ("`revision` id ", "`down_revision` id ", "`depends_on` id ")  # not allowed


def reason(graph: RevisionGraph) -> str | None:
    """Why no alembic fix is given for `graph`, as a clause (`sentence`); None when
    alembic can load and upgrade it."""
    found = problems(graph)
    if found:
        return sentence(found + overlaps(graph))
    found = overlaps(graph)
    return _overlap_sentence(found) if found else None


def problems(graph: RevisionGraph) -> list[str]:
    """Why alembic cannot load `graph`, one phrase each; [] when it can."""
    odd = [rev for rev in graph.files if rev.problem is not None or rev.syntax_error is not None]
    found = [_unloadable(rev) for rev in odd if fails_alembic(rev)]
    found += [_dangling(d.child, d.target, d.kind) for d in graph.dangling]
    found += [phrase for rev in graph.dropped() for phrase in _dropped_dangling(rev, graph)]
    found += [f"revisions {' -> '.join(cycle)} need each other (AG005)" for cycle in graph.cycles()]
    found += [_same_label(label, owners) for label, owners in graph.duplicate_labels.items()]
    return found


def fails_alembic(rev: RevisionFile) -> bool:
    """Whether alembic fails on `rev` (an AG007 file) as it loads the history, as alembic
    1.20 does: tried on each problem lint reports."""
    if rev.syntax_error is not None:  # its ids were read above the error
        return True
    problem = rev.problem
    if problem is None or problem.startswith(_TOO_LARGE):
        return False
    if problem.startswith(_UNLOADABLE) or problem.startswith("cannot read file"):
        return True
    if problem.startswith(_ID_PROBLEMS):
        return _refused_ids(rev)
    return False  # a value that is no literal: alembic evaluates it


def _refused_ids(rev: RevisionFile) -> bool:
    """A `revision` with '@', '-', '+' or ':' (RevisionError), a `down_revision` naming
    such an id or a blank one, a `depends_on` naming such an id or one of spaces (KeyError);
    alembic takes a blank `revision` and a `depends_on` of "" as they are."""
    if rev.revision is not None and ILLEGAL_ID_CHARS.intersection(rev.revision):
        return True
    if any(ILLEGAL_ID_CHARS.intersection(rid) or not rid.strip() for rid in rev.parents):
        return True
    return any(
        ILLEGAL_ID_CHARS.intersection(rid) or (rid and not rid.strip())
        for rid in rev.depends_on.ids
    )


def _unloadable(rev: RevisionFile) -> str:
    problem, _ = rev.syntax_error or (rev.problem, None)
    return f"{rev.display}: {problem} (AG007)"


def _dropped_dangling(rev: RevisionFile, graph: RevisionGraph) -> list[str]:
    """What a file alembic drops for another of its id (AG004) names that no file
    defines: alembic still walks its down_revision and resolves its depends_on as it
    loads the history (KeyError)."""
    names = graph.by_id.keys() | graph.label_owner.keys()
    missing = [p for p in rev.parents if p not in graph.by_id]
    missing += [d for d in rev.depends_on.ids if d not in names]
    return [
        f"{rev.display}, a file of {rev.revision} that alembic drops (AG004), names {target}, "
        "which no revision file defines"
        for target in dict.fromkeys(missing)
    ]


def overlaps(graph: RevisionGraph) -> list[str]:
    """The duplicate ids (AG004) with a child or dependent: alembic's heads hold the
    dropped file, which stands for the kept one, an ancestor of the child's head."""
    found = []
    for rid, files in graph.duplicates.items():
        after = graph.built_on(rid)
        if after is not None:
            kind, child = after
            found.append(
                f"{rid} is defined in {len(files)} files (AG004) and has a {kind}, {child}: "
                "alembic still counts the file it drops as a head below it, so `alembic "
                "upgrade heads` and `alembic history` fail (overlaps with other requested "
                "revisions)"
            )
    return found


def _same_label(label: str, owners: list[str]) -> str:
    if len(set(owners)) == 1:  # files of one id (AG004): alembic maps each one's labels
        return f"branch label {label} is on {len(owners)} files of {owners[0]} (AG004, AG006)"
    return f"branch label {label} is on both {' and '.join(owners)} (AG006)"


def _dangling(child: str, target: str, kind: str) -> str:
    if kind == "down_revision":
        return f"{child}'s down_revision names {target}, which no revision file defines (AG002)"
    return f"{child}'s depends_on names {target}, which is no revision or branch label (AG003)"


def sentence(found: list[str]) -> str:
    """The problems as one clause, lower case (it follows "but" in a status line)."""
    return (
        "the history is broken: alembic cannot load it, so no alembic command runs until "
        f"it is fixed: {_listed(found)}"
    )


def _overlap_sentence(found: list[str]) -> str:
    return (
        "the history is broken: alembic loads it but cannot upgrade it to its heads, so no "
        f"alembic fix is given until it is fixed: {_listed(found)}"
    )


def _listed(found: list[str]) -> str:
    shown = "; ".join(found[:LISTED])
    more = f"; and {len(found) - LISTED} more" if len(found) > LISTED else ""
    return f"{shown}{more} (`alembic-gate lint` shows each with its fix)"
