from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import consumers
from history.test_graph import Spec, write

from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import read_revision
from alembic_gate.reporters.graph_render import mermaid_around_heads, newest_first, render

TRICKY = 'a"b\\n\nc&amp;<x>;#35;'


def branched(tmp_path: Path) -> RevisionGraph:
    return write(
        tmp_path,
        [
            Spec("a"),
            Spec("b", ("a",)),
            Spec("c", ("a",), labels=("plugin",)),
            Spec("m", ("b", "c")),
            Spec("p", labels=("side",), depends=("b",)),
        ],
    )


def tricky(tmp_path: Path) -> RevisionGraph:
    (tmp_path / "a.py").write_text(
        f"revision = {TRICKY!r}\ndown_revision = None\nbranch_labels = {TRICKY + 'L'!r}\n"
    )
    (tmp_path / "b.py").write_text(f"revision = 'b'\ndown_revision = {TRICKY!r}\n")
    return RevisionGraph.build([read_revision(tmp_path / n, tmp_path) for n in ("a.py", "b.py")])


def test_text_is_newest_first_like_alembic_history(tmp_path: Path) -> None:
    assert render(branched(tmp_path), "text") == (
        "<base> (b) -> p (side) (head), 004_p.py\n"
        "b, c -> m (plugin) (head) (mergepoint), 003_m.py\n"
        "a -> c (plugin), 002_c.py\n"
        "a -> b, 001_b.py\n"
        "<base> -> a (branchpoint), 000_a.py\n"
    )


def test_mermaid(tmp_path: Path) -> None:
    assert render(branched(tmp_path), "mermaid") == (
        "flowchart BT\n"
        '    r0["p (side)"]\n'
        '    r1["m (plugin)"]\n'
        '    r2["c (plugin)"]\n'
        '    r3["b"]\n'
        '    r4["a"]\n'
        "    r3 -.-> r0\n"
        "    r3 --> r1\n"
        "    r2 --> r1\n"
        "    r4 --> r2\n"
        "    r4 --> r3\n"
        "    classDef head stroke-width:3px\n"
        "    classDef missing stroke-dasharray:4\n"
        "    class r0,r1 head\n"
    )


def test_dot(tmp_path: Path) -> None:
    out = render(branched(tmp_path), "dot")
    assert out.startswith("digraph alembic {\n    rankdir=BT;\n")
    assert '    r0 [label="p\\nside", style=bold];\n' in out
    assert '    r4 [label="a"];\n' in out
    assert "    r3 -> r0 [style=dashed];\n    r3 -> r1;\n" in out
    assert out.endswith("}\n")


def mermaid_labels(out: str) -> dict[str, str]:
    labels = {}
    for line in out.splitlines()[1:]:
        match = re.fullmatch(r'    (\w+)\["([^"]*)"\]', line)
        if match:
            labels[match[1]] = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), match[2])
    return labels


def test_mermaid_escapes_ids_and_labels(tmp_path: Path) -> None:
    out = render(tricky(tmp_path), "mermaid")
    assert all(
        re.fullmatch(r'    \w+\["[^"\n]*"\]|    [\w ,:.>-]+|flowchart BT', line)
        for line in out.splitlines()
    ), out
    assert mermaid_labels(out) == {"r0": f"b ({TRICKY}L)", "r1": f"{TRICKY} ({TRICKY}L)"}


def dot_labels(out: str) -> list[str]:
    quoted = re.findall(r'label="((?:[^"\\]|\\.)*)"', out)
    return [
        html.unescape(re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], q)) for q in quoted
    ]


def test_dot_escapes_ids_and_labels(tmp_path: Path) -> None:
    out = render(tricky(tmp_path), "dot")
    assert dot_labels(out) == [f"b\n{TRICKY}L", f"{TRICKY}\n{TRICKY}L"]


def test_dot_writes_controls_as_visible_escapes(tmp_path: Path) -> None:
    """An id with a terminal control sequence in it reaches no terminal as one."""
    (tmp_path / "a.py").write_text('revision = "a\\x1b[2J\\x07a"\ndown_revision = None\n')
    graph = RevisionGraph.build([read_revision(tmp_path / "a.py", tmp_path)])
    out = render(graph, "dot")
    assert "\x1b" not in out and "\x07" not in out
    assert dot_labels(out) == ["a\\x1b[2J\\x07a"]


def test_graphviz_reads_the_escaped_labels(tmp_path: Path) -> None:
    out = render(tricky(tmp_path), "dot")
    plain = subprocess.run(
        [consumers.command("dot", "Graphviz"), "-Tplain"],
        input=out,
        capture_output=True,
        text=True,
        check=True,
    )
    nodes = [line for line in plain.stdout.splitlines() if line.startswith("node ")]
    assert len(nodes) == 2
    assert "&amp;" in plain.stdout  # shown as typed, not decoded to "&"


def test_text_quotes_odd_ids(tmp_path: Path) -> None:
    out = render(tricky(tmp_path), "text")
    assert out.splitlines()[0] == f"{TRICKY!r} -> b ({TRICKY + 'L'!r}) (head), b.py"


def test_cycles_are_drawn_first(tmp_path: Path) -> None:
    graph = write(tmp_path, [Spec("a"), Spec("x", ("y",)), Spec("y", ("x",)), Spec("b", ("a",))])
    assert newest_first(graph) == ["x", "y", "b", "a"]
    assert "    r1 --> r0\n    r0 --> r1\n" in render(graph, "mermaid")


def test_missing_parents_unreadable_files_and_duplicates(tmp_path: Path) -> None:
    # Of two files of one id, alembic keeps the last it lists (001_a.py): its parent is drawn.
    graph = write(tmp_path, [Spec("a"), Spec("a", ("gone",)), Spec("b-c")])
    text = render(graph, "text")
    assert text.splitlines() == [
        "gone -> a (head), 001_a.py",
        "# missing: gone (named, defined nowhere)",
        "# not read: 002_b-c.py: `revision` id 'b-c' is not allowed ('-')",
        "# a is defined again in 001_a.py, which alembic keeps over 000_a.py",
    ]
    mermaid = render(graph, "mermaid")
    assert '    m0["gone (missing)"]\n' in mermaid
    assert "    m0 --> r0\n" in mermaid
    assert "%% not read: 002_b-c.py" in mermaid
    assert '    m0 [label="gone\\n(missing)", style=dashed];\n' in render(graph, "dot")


def test_an_empty_history(tmp_path: Path) -> None:
    graph = RevisionGraph.build([])
    assert render(graph, "text") == "# no revisions\n"
    assert render(graph, "mermaid").startswith("flowchart BT\n")
    assert render(graph, "dot").endswith("}\n")


def test_mermaid_around_heads_keeps_depth_revisions_below_each_head(tmp_path: Path) -> None:
    specs = [Spec("r0")] + [Spec(f"r{n}", (f"r{n - 1}",)) for n in range(1, 8)]
    graph = write(tmp_path, [*specs, Spec("side", ("r2",))])
    out = mermaid_around_heads(graph, depth=2)
    assert set(mermaid_labels(out).values()) == {"r7", "r6", "r5", "side", "r2", "r1"}
    assert 'older(["older revisions"])' in out
    cut = {line.split()[-1] for line in out.splitlines() if line.startswith("    older -.-")}
    key = {label: node for node, label in mermaid_labels(out).items()}
    assert cut == {key["r5"], key["r1"]}
    only_heads = mermaid_around_heads(graph, depth=0)
    assert set(mermaid_labels(only_heads).values()) == {"r7", "side"}


def test_mermaid_around_heads_of_a_short_history_has_no_cut(tmp_path: Path) -> None:
    out = mermaid_around_heads(branched(tmp_path))
    assert "older" not in out
    assert out == render(branched(tmp_path), "mermaid")


def test_labels_that_are_not_literals(tmp_path: Path) -> None:
    # neutron: branch_labels = (cli.EXPAND_BRANCH,); the revisions on that branch carry
    # a label lint cannot name, which no format shows as if it were one
    (tmp_path / "a.py").write_text("revision = 'a'\ndown_revision = None\n")
    (tmp_path / "b.py").write_text(
        "revision = 'b'\ndown_revision = 'a'\nbranch_labels = (cli.EXPAND_BRANCH,)\n"
    )
    (tmp_path / "c.py").write_text("revision = 'c'\ndown_revision = 'b'\n")
    graph = RevisionGraph.build(
        [read_revision(tmp_path / n, tmp_path) for n in ("a.py", "b.py", "c.py")]
    )
    note = "branch labels not written as literals are not shown: b's (cli.EXPAND_BRANCH,)"
    assert render(graph, "text") == (
        f"b -> c (head), c.py\na -> b, b.py\n<base> -> a, a.py\n# {note}\n"
    )
    for fmt in ("mermaid", "dot"):
        out = render(graph, fmt)
        assert "?" not in out.replace(note, "")
        assert note in out
