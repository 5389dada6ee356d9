"""Drawing the revision graph: mermaid, Graphviz dot, or text like `alembic history`.

Edges point from a revision to the revisions built on it (older to newer); a dashed
edge is a `depends_on`. Ids and labels come from files, so every language escapes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.reporters.common import github_prefix, prefixed, visible
from alembic_gate.shared.paths import display_path
from alembic_gate.shared.records import field, record

if TYPE_CHECKING:
    from alembic_gate.history.load import History

FORMATS = ("mermaid", "dot", "text")
# Revisions whose branch_labels are not literals named in the graph's note.
_UNKNOWN_SHOWN = 5

_MERMAID_PLAIN = re.compile(r"[A-Za-z0-9 _.,:/()-]")
# A module docstring after any comment or blank lines: its quotes and its text.
_DOCSTRING = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*[rRuU]?(\"\"\"|'''|\"|')(.*?)\1", re.S)


@record
class _Drawing:
    """What to draw: revisions newest first, their edges, and what is not shown."""

    graph: RevisionGraph
    nodes: list[str]
    # Ids that no file defines but a shown revision names.
    missing: list[str] = field(default_factory=list)
    # Shown revisions with parents or dependencies left out of the drawing.
    cut: list[str] = field(default_factory=list)
    # Revision messages to show under the ids (the step summary's graph).
    messages: dict[str, str] = field(default_factory=dict)
    # Revisions new relative to --base, drawn in their own colour.
    new: frozenset[str] = frozenset()

    def edges(self) -> list[tuple[str, str, bool]]:
        """(older, newer, is_dependency) for every edge between drawn ids."""
        drawn = {*self.nodes, *self.missing}
        graph = self.graph
        needs: dict[str, set[str]] = {rid: set(graph.dependencies_of(rid)) for rid in self.nodes}
        for ref in graph.dangling:
            if ref.kind == "depends_on" and ref.child in needs:
                needs[ref.child].add(ref.target)
        found = []
        for rid in self.nodes:
            parents = graph.parents_of(rid)
            found += [(parent, rid, False) for parent in parents if parent in drawn]
            deps = sorted(needs[rid] - set(parents))
            found += [(dep, rid, True) for dep in deps if dep in drawn]
        return found

    def markers(self, rid: str) -> list[str]:
        graph = self.graph
        marks = []
        if not graph.children_of(rid):
            marks.append("head")
        if len(graph.children_of(rid)) > 1:
            marks.append("branchpoint")
        if len(graph.parents_of(rid)) > 1:
            marks.append("mergepoint")
        return marks

    def notes(self) -> list[str]:
        notes = [f"not read: {rev.display}: {rev.problem}" for rev in self.graph.unparsable]
        for rid, files in self.graph.duplicates.items():
            dropped = ", ".join(r.display for r in files[:-1])
            notes.append(
                f"{rid} is defined again in {files[-1].display}, which alembic keeps over {dropped}"
            )
        return notes + self._unknown_labels()

    def _unknown_labels(self) -> list[str]:
        """Labels lint cannot name (`branch_labels = (cli.EXPAND_BRANCH,)`), which no
        format draws as if they were labels."""
        drawn = [self.graph.by_id[rid] for rid in self.nodes]
        unknown = [
            f"{r.revision}'s {r.branch_labels.source}" for r in drawn if not r.branch_labels.known
        ]
        if not unknown:
            return []
        more = f" and {len(unknown) - _UNKNOWN_SHOWN} more" if len(unknown) > _UNKNOWN_SHOWN else ""
        shown = ", ".join(unknown[:_UNKNOWN_SHOWN])
        return [f"branch labels not written as literals are not shown: {shown}{more}"]


def newest_first(graph: RevisionGraph, among: Iterable[str] | None = None) -> list[str]:
    """Every wanted id, each before what it needs; revisions on a cycle come first."""
    wanted = list(graph.by_id if among is None else among)
    order = graph.topological(wanted)
    placed = set(order)
    return [rid for rid in wanted if rid not in placed] + order[::-1]


def _drawing(graph: RevisionGraph, among: Iterable[str] | None = None) -> _Drawing:
    nodes = newest_first(graph, among)
    shown = set(nodes)
    missing = sorted({d.target for d in graph.dangling if d.child in shown})
    cut = [rid for rid in nodes if set(graph.upstream(rid)) - shown]
    return _Drawing(graph, nodes, missing, cut)


def render(graph: RevisionGraph, fmt: str) -> str:
    """The whole graph in `fmt` (one of FORMATS)."""
    writers = {"mermaid": _mermaid, "dot": _dot, "text": _text}
    return writers[fmt](_drawing(graph))


def mermaid_around_heads(graph: RevisionGraph, depth: int = 3) -> str:
    """The heads and `depth` revisions below each, as mermaid."""
    return _mermaid(_drawing(graph, _near_heads(graph, depth)))


def _near_heads(graph: RevisionGraph, depth: int) -> list[str]:
    near: set[str] = set()
    level = set(graph.heads)
    for _ in range(depth + 1):
        near |= level
        level = {up for rid in level for up in graph.upstream(rid)} - near
    return [rid for rid in graph.by_id if rid in near]


# What a step summary's graph may hold: mermaid as GitHub runs it refuses more.
SUMMARY_NODES = 150
MESSAGE_WIDTH = 40


def summary_graph(history: History, new: frozenset[str] | None = None, depth: int = 3) -> str:
    """The history around the heads for a step summary: each node with its revision
    message, the revisions new relative to --base marked, the setup as the title.

    Fewer levels below the heads are drawn when the drawing would be too large.
    """
    graph = history.graph
    among = _near_heads(graph, depth)
    while depth > 0 and len(among) > SUMMARY_NODES:
        depth -= 1
        among = _near_heads(graph, depth)
    drawing = _drawing(graph, among)
    drawing.messages = {rid: revision_message(graph.by_id[rid].path) for rid in drawing.nodes}
    drawing.new = new or frozenset()
    config = history.setup.config_path
    title = prefixed(display_path(config, Path.cwd()), github_prefix()) if config else ""
    head = f"---\ntitle: {json.dumps(_visible_title(title))}\n---\n" if title else ""
    return head + _mermaid(drawing)


def _visible_title(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def revision_message(path: Path, width: int = MESSAGE_WIDTH) -> str:
    """The first line of a revision file's docstring (alembic's `-m` message), cut to
    `width` characters; '' when there is none or the file cannot be read."""
    try:
        with path.open("rb") as source:
            head = source.read(16384).decode("utf-8", "replace")
    except OSError:
        return ""
    match = _DOCSTRING.match(head)
    doc = match.group(2) if match else ""
    first = next((line.strip() for line in doc.splitlines() if line.strip()), "")
    return first if len(first) <= width else first[: width - 1] + "…"


def comment(fmt: str, text: str) -> str:
    """`text` as a comment line of `fmt`."""
    one_line = " ".join(text.split())
    return {"mermaid": "%% ", "dot": "// ", "text": "# "}[fmt] + one_line


# -- text ------------------------------------------------------------------------


def _text(drawing: _Drawing) -> str:
    graph = drawing.graph
    labels = graph.labels()
    lines = []
    for rid in drawing.nodes:
        rev = graph.by_id[rid]
        down = _text_ids(graph.parents_of(rid)) or "<base>"
        deps = rev.depends_on.ids
        line = (
            f"{down} ({_text_ids(deps)}) -> {_text_id(rid)}"
            if deps
            else f"{down} -> {_text_id(rid)}"
        )
        named = sorted(label for label in labels[rid] if not label.startswith("?"))
        if named:
            line += f" ({_text_ids(named)})"
        line += "".join(f" ({mark})" for mark in drawing.markers(rid))
        path = rev.display if rev.display.isprintable() else repr(rev.display)
        lines.append(f"{line}, {path}")
    lines += [
        comment("text", f"missing: {_text_id(rid)} (named, defined nowhere)")
        for rid in drawing.missing
    ]
    lines += [comment("text", note) for note in drawing.notes()]
    return "\n".join(lines or [comment("text", "no revisions")]) + "\n"


def _text_id(text: str) -> str:
    """An id or label as is, or quoted when it holds spaces, commas, brackets or controls."""
    plain = text.isprintable() and not any(c in text for c in " ,()'\"<>")
    return text if plain and text else repr(text)


def _text_ids(ids: Iterable[str]) -> str:
    return ", ".join(_text_id(rid) for rid in ids)


# -- mermaid ---------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """Text for a quoted mermaid label: anything unusual as an entity code (`#34;`)."""
    return "".join(c if _MERMAID_PLAIN.fullmatch(c) else f"#{ord(c)};" for c in text)


def _mermaid(drawing: _Drawing) -> str:
    graph = drawing.graph
    labels = graph.labels()
    key = {rid: f"r{n}" for n, rid in enumerate(drawing.nodes)}
    key |= {rid: f"m{n}" for n, rid in enumerate(drawing.missing)}
    lines = ["flowchart BT"]
    for rid in drawing.nodes:
        own = sorted(label for label in labels[rid] if not label.startswith("?"))
        text = _mermaid_text(f"{rid} ({', '.join(own)})" if own else rid)
        if drawing.messages.get(rid):
            text += "<br/>" + _mermaid_text(drawing.messages[rid])
        lines.append(f'    {key[rid]}["{text}"]')
    for rid in drawing.missing:
        lines.append(f'    {key[rid]}["{_mermaid_text(rid)} (missing)"]')
    if drawing.cut:
        lines.append('    older(["older revisions"])')
        lines += [f"    older -.- {key[rid]}" for rid in drawing.cut]
    for older, newer, dependency in drawing.edges():
        lines.append(f"    {key[older]} {'-.->' if dependency else '-->'} {key[newer]}")
    lines += _mermaid_classes(drawing, key)
    lines += [comment("mermaid", note) for note in drawing.notes()]
    return "\n".join(lines) + "\n"


def _mermaid_classes(drawing: _Drawing, key: dict[str, str]) -> list[str]:
    heads = [key[rid] for rid in drawing.nodes if "head" in drawing.markers(rid)]
    new = [key[rid] for rid in drawing.nodes if rid in drawing.new]
    lines = ["    classDef head stroke-width:3px", "    classDef missing stroke-dasharray:4"]
    if new:
        lines.append("    classDef new fill:#d4f7dc,stroke:#1a7f37")
        lines.append(f"    class {','.join(new)} new")
    if heads:
        lines.append(f"    class {','.join(heads)} head")
    if drawing.missing:
        lines.append(f"    class {','.join(key[rid] for rid in drawing.missing)} missing")
    return lines


# -- dot -------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    """A double-quoted DOT string: graphviz reads `\\n`, `\\l` and `&amp;` in labels.
    Other controls from files are written as visible escapes (`\\x1b`), as the text and
    mermaid formats write them."""
    shown = visible(text.replace("\r", ""), keep_newlines=True)
    escaped = shown.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n") + '"'


def _dot(drawing: _Drawing) -> str:
    graph = drawing.graph
    labels = graph.labels()
    key = {rid: f"r{n}" for n, rid in enumerate(drawing.nodes)}
    key |= {rid: f"m{n}" for n, rid in enumerate(drawing.missing)}
    lines = ["digraph alembic {", "    rankdir=BT;", "    node [shape=box];"]
    for rid in drawing.nodes:
        text = "\n".join(
            [rid, *sorted(label for label in labels[rid] if not label.startswith("?"))]
        )
        bold = ", style=bold" if "head" in drawing.markers(rid) else ""
        lines.append(f"    {key[rid]} [label={_dot_text(text)}{bold}];")
    for rid in drawing.missing:
        lines.append(
            f"    {key[rid]} [label={_dot_text(rid + chr(10) + '(missing)')}, style=dashed];"
        )
    if drawing.cut:
        lines.append('    older [label="older revisions", shape=plaintext];')
        lines += [f"    older -> {key[rid]} [style=dotted];" for rid in drawing.cut]
    for older, newer, dependency in drawing.edges():
        style = " [style=dashed]" if dependency else ""
        lines.append(f"    {key[older]} -> {key[newer]}{style};")
    lines += [f"    {comment('dot', note)}" for note in drawing.notes()]
    lines.append("}")
    return "\n".join(lines) + "\n"
