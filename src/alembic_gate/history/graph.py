"""The revision graph, modelled on alembic's `script/revision.py` RevisionMap.

Built from statically read revision files. Unlike alembic it never raises on a
broken history: missing parents, duplicate ids and labels, and cycles are
recorded so the rules can report each of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

from alembic_gate.history.revisions import RevisionFile, take_imported_ids, take_legacy_id
from alembic_gate.shared.records import field, record

# The labels of a revision that has none (one set for all of them).
_NO_LABELS: frozenset[str] = frozenset()


class _Unlabelled(Mapping[str, frozenset[str]]):
    """The labels of a graph where no revision has any: none for each of its revisions,
    without an entry for each (a dict of them was 0.4 MiB at 20,000 revisions)."""

    def __init__(self, ids: Mapping[str, object]) -> None:
        self._ids = ids

    def __getitem__(self, rid: str) -> frozenset[str]:
        if rid in self._ids:
            return _NO_LABELS
        raise KeyError(rid)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


@record(frozen=True)
class Dangling:
    """A reference from `child` to an id that no file defines."""

    child: str
    target: str
    kind: str  # "down_revision" or "depends_on"


@record
class RevisionGraph:
    """One history's revision files linked: by id, parents and children, dependencies,
    labels, and what does not fit (duplicates, unparsable files, dangling references)."""

    files: list[RevisionFile]
    # Each id's file; of several (AG004), the one read last, as alembic's RevisionMap
    # keeps it (a later file of an id replaces an earlier one), in the first one's place.
    by_id: dict[str, RevisionFile] = field(default_factory=dict)
    # The ids of several files: every file, in the order read (the last is kept).
    duplicates: dict[str, list[RevisionFile]] = field(default_factory=dict)
    unparsable: list[RevisionFile] = field(default_factory=list)
    label_owner: dict[str, str] = field(default_factory=dict)
    duplicate_labels: dict[str, list[str]] = field(default_factory=dict)
    # Versioned edges (down_revision) from parent to children, read through
    # `children_of` (a revision's parents are its own: `parents_of`, no dict of them:
    # 0.6 MiB at 20,000 revisions): a revision with one child holds that child's id,
    # one with several a tuple of them, a head the empty tuple (a tuple for each one
    # child was 1.3 MiB at 20,000 revisions, a list each 0.6 MiB more).
    _children: dict[str, str | tuple[str, ...]] = field(default_factory=dict, repr=False)
    # depends_on, resolved to revision ids (a label names the revision declaring it),
    # of the revisions that name any (`dependencies_of`).
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dangling: list[Dangling] = field(default_factory=list)
    # Derived once in build(): existing parents and dependencies (`upstream`) where they
    # are not a revision's own parents, as they are for most (a dict of every revision's
    # was 0.4 MiB at 20,000 revisions); and cycle members.
    _upstream: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _cycle_members: set[str] | None = field(default=None, repr=False)
    _labels: Mapping[str, frozenset[str]] | None = field(default=None, repr=False)
    _components: list[list[str]] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, files: Sequence[RevisionFile], imports: bool = True) -> RevisionGraph:
        """The graph of `files`; with `imports`, a file whose id variable is a name is read
        again from disk for it (`take_imported_ids`: files read from the working tree;
        those read from git objects were read so already)."""
        graph = cls(list(files))
        graph._index(imports)
        graph._link()
        return graph

    def _index(self, imports: bool) -> None:
        for rev in self.files:
            rid = rev.revision if rev.problem is None else None
            if rid is None:
                rid = take_legacy_id(rev) or (take_imported_ids(rev) if imports else None)
                if rid is None:
                    self.unparsable.append(rev)
                    continue
            kept = self.by_id.get(rid)
            if kept is not None:  # alembic keeps the file it reads last (AG004)
                self.duplicates.setdefault(rid, [kept]).append(rev)
            self.by_id[rid] = rev
            # alembic maps the labels of every file it reads, a copy it drops too, and
            # refuses a label mapped twice, even by two copies of one id or twice in one
            # file's branch_labels (AG006)
            for label in rev.branch_labels.ids:
                owner = self.label_owner.get(label)
                if owner is None:
                    self.label_owner[label] = rid
                else:
                    self.duplicate_labels.setdefault(label, [owner]).append(rid)

    def dropped(self) -> list[RevisionFile]:
        """The files of a duplicate id that alembic drops: all but the one read last."""
        return [rev for files in self.duplicates.values() for rev in files[:-1]]

    def _link(self) -> None:
        # A hot loop (once per revision): locals, and no work for what is absent.
        by_id, children = self.by_id, self._children
        dependencies, upstream = self.dependencies, self._upstream
        several: dict[str, list[str]] = {}  # branch points' children, gathered
        for rid, rev in by_id.items():
            if rid not in children:
                children[rid] = ()
            for parent in rev.parents:
                if parent not in by_id:
                    self.dangling.append(Dangling(rid, parent, "down_revision"))
                elif not children.get(parent):
                    children[parent] = rid
                elif parent in several:
                    several[parent].append(rid)
                else:
                    several[parent] = [*self.children_of(parent), rid]
            if rev.depends_on.ids:
                dependencies[rid] = self._resolve(rid, rev.depends_on.ids)
        for rid, kids in several.items():
            children[rid] = tuple(kids)
        for rid, rev in by_id.items():
            ups, deps = rev.parents, dependencies.get(rid, ())
            if not deps and len(ups) == 1:
                if ups[0] not in by_id:
                    upstream[rid] = ()
            elif ups or deps:
                found = tuple(p for p in dict.fromkeys(ups + deps) if p in by_id)
                if found != ups:
                    upstream[rid] = found

    def _resolve(self, rid: str, deps: tuple[str, ...]) -> tuple[str, ...]:
        """`depends_on` as revision ids (a label names its owner), each once; what
        names nothing is dangling."""
        resolved = []
        for dep in deps:
            target = dep if dep in self.by_id else self.label_owner.get(dep)
            if target is None:
                self.dangling.append(Dangling(rid, dep, "depends_on"))
            else:
                resolved.append(target)
        return tuple(dict.fromkeys(resolved))

    # -- shape -------------------------------------------------------------

    @property
    def heads(self) -> list[str]:
        """Revisions no other revision names as its down_revision (alembic's `heads`)."""
        return [rid for rid in self.by_id if not self._children[rid]]

    @property
    def bases(self) -> list[str]:
        """Revisions whose down_revision is empty (alembic's `bases`)."""
        return [rid for rid, rev in self.by_id.items() if not rev.parents]

    @property
    def merges(self) -> list[str]:
        return [rid for rid, rev in self.by_id.items() if len(rev.parents) > 1]

    @property
    def branchpoints(self) -> list[str]:
        children = self._children.items()
        return [rid for rid, kids in children if type(kids) is tuple and len(kids) > 1]

    def children_of(self, rid: str) -> tuple[str, ...]:
        """The revisions whose down_revision names `rid` (none for an id not in the
        graph)."""
        kids = self._children.get(rid, ())
        return (kids,) if isinstance(kids, str) else kids

    def parents_of(self, rid: str) -> tuple[str, ...]:
        """The ids `rid`'s down_revision names (existing or not; none for an id not in
        the graph)."""
        rev = self.by_id.get(rid)
        return () if rev is None else rev.parents

    def built_on(self, rid: str) -> tuple[str, str] | None:
        """A revision that builds on `rid`: ("child", its id) for the first whose
        down_revision names it, else ("dependent", its id) for the first whose depends_on
        does (by id or label); None. For a duplicate id (AG004) this is what makes alembic
        fail to upgrade to its heads: the dropped copy stays a head below it."""
        children = self.children_of(rid)
        if children:
            return "child", children[0]
        for child, deps in self.dependencies.items():
            if rid in deps:
                return "dependent", child
        return None

    def dependencies_of(self, rid: str) -> tuple[str, ...]:
        """The revisions `rid`'s depends_on names, resolved (those that exist)."""
        return self.dependencies.get(rid, ())

    def upstream(self, rid: str) -> tuple[str, ...]:
        """Existing parents and dependencies: what must be applied before `rid`."""
        found = self._upstream.get(rid)
        if found is not None:
            return found
        rev = self.by_id.get(rid)
        return () if rev is None else rev.parents

    def ancestors(self, start: Iterable[str], include_dependencies: bool = True) -> set[str]:
        """`start` and everything below it."""
        seen: set[str] = set()
        stack = [rid for rid in start if rid in self.by_id]
        # upstream names only revisions that exist; parents may name missing ones
        odd = self._upstream if include_dependencies else None
        while stack:
            rid = stack.pop()
            if rid in seen:
                continue
            seen.add(rid)
            if odd is not None:  # upstream(), inline (a hot loop)
                edges = odd.get(rid)
                stack.extend(self.by_id[rid].parents if edges is None else edges)
            else:
                stack.extend(p for p in self.by_id[rid].parents if p in self.by_id)
        return seen

    def descendants(self, start: Iterable[str]) -> set[str]:
        """`start` and everything above it, through down_revision only."""
        seen: set[str] = set()
        stack = [rid for rid in start if rid in self.by_id]
        while stack:
            rid = stack.pop()
            if rid not in seen:
                seen.add(rid)
                stack.extend(self.children_of(rid))
        return seen

    def topological(self, among: Iterable[str] | None = None) -> list[str]:
        """Ids bases first, each after everything it needs (cycles are left out): a
        depth-first walk from each of `among` in file order, each revision placed once
        what it needs (in the order it names them) is placed."""
        todo = set(self.by_id if among is None else among)
        # In place: `set - set` makes a second copy (1 MiB at 20,000 revisions, at the
        # peak of a pre-commit run on the head).
        todo -= self._cyclic()
        order: list[str] = []
        for rid in self.by_id:
            if rid in todo:
                todo.remove(rid)
                self._visit(rid, todo, order)
        return order

    def _visit(self, rid: str, todo: set[str], order: list[str]) -> None:
        """Place `rid` after what it needs that is still `todo` (a hot loop: once per
        revision: a set of what is left rather than a state for each revision, and the
        revision being placed held apart from those waiting for it). A revision waiting
        with no edge left (one parent: most) waits as its id alone, not with its
        iterator: a long history's first walk goes down to its base, and a tuple and an
        iterator for each revision on the way were about 2 MiB at 20,000 revisions, at the
        peak of a whole-history run then."""
        by_id, odd = self.by_id, self._upstream  # upstream(), inline
        waiting: list[str | tuple[str, Iterator[str]]] = []
        found = odd.get(rid)
        ups = by_id[rid].parents if found is None else found
        node, edges, single = rid, iter(ups), len(ups) == 1
        while True:
            for parent in edges:
                if parent in todo:
                    todo.remove(parent)
                    waiting.append(node if single else (node, edges))
                    found = odd.get(parent)
                    ups = by_id[parent].parents if found is None else found
                    node, edges, single = parent, iter(ups), len(ups) == 1
                    break
            else:
                order.append(node)
                while waiting:
                    held = waiting.pop()
                    if isinstance(held, str):  # nothing left to follow: placed
                        order.append(held)
                        continue
                    node, edges = held
                    single = False  # (what is left of its edges is not counted)
                    break
                else:
                    return

    # -- branch labels -------------------------------------------------------

    def labels(self) -> Mapping[str, frozenset[str]]:
        """Each revision's branch labels, spread as alembic's `_add_branches` spreads
        them: to every descendant, and down through ancestors until a branch point
        (children and dependents both count) or a merge.
        A label whose value is not a literal is kept as `?<revision>`. Computed once.
        Revisions without labels share one empty set (an empty set each was 4.6 MiB
        at 20,000 revisions), and where none has any, no entry is made for each."""
        if self._labels is None:
            self._labels = self._spread_labels()
        return self._labels

    def _spread_labels(self) -> Mapping[str, frozenset[str]]:
        if not self.label_owner and all(r.branch_labels.known for r in self.by_id.values()):
            return _Unlabelled(self.by_id)  # no labels anywhere: nothing to spread
        result = dict.fromkeys(self.by_id, _NO_LABELS)
        fanout = {rid: set(self.children_of(rid)) for rid in self._children}
        for rid, deps in self.dependencies.items():
            for dep in deps:
                fanout[dep].add(rid)
        for rid, rev in self.by_id.items():
            own = set(rev.branch_labels.ids)
            if not rev.branch_labels.known:
                own.add(f"?{rid}")
            if not own:
                continue
            for node in self.descendants([rid]) | self._labelled_below(rid, fanout):
                result[node] = result[node] | own
        return result

    def _labelled_below(self, rid: str, fanout: dict[str, set[str]]) -> set[str]:
        """Alembic walks down from the last of `rid`'s descendants: from the top of a
        single line of them, or (when they branch) from a head that stops above `rid`."""
        top, seen = rid, {rid}
        while kids := self.children_of(top):
            if len(kids) > 1 or kids[0] in seen:
                return set()
            top = kids[0]
            seen.add(top)
        found: set[str] = set()
        node: str | None = top
        while node in self.by_id and node not in found:
            parents = self.by_id[node].parents
            if len(fanout[node]) > 1 or len(parents) > 1:
                break
            found.add(node)
            node = next(iter(parents), None)
        return found

    def without_own_label(self, ids: Sequence[str]) -> list[str]:
        """The `ids` (heads, bases) that carry no branch label the others lack: those that
        `label@head` / `label@base` cannot single out."""
        labels = self.labels()
        counts = Counter(label for rid in ids for label in labels[rid])
        return [rid for rid in ids if all(counts[label] > 1 for label in labels[rid])]

    # -- cycles ----------------------------------------------------------------

    def cycles(self) -> list[list[str]]:
        """Each cycle once, in order, through down_revision and depends_on."""
        return [self._cycle_path(component) for component in self._cyclic_components()]

    def _cyclic_components(self) -> list[list[str]]:
        if self._components is None:
            self._components = self._find_cyclic_components()
        return self._components

    def _find_cyclic_components(self) -> list[list[str]]:
        if self._acyclic():
            return []
        return [
            component
            for component in self._strong_components()
            if len(component) > 1 or component[0] in self.upstream(component[0])
        ]

    def _acyclic(self) -> bool:
        """Whether the graph has no cycle: every revision can be taken off from the
        heads down (Kahn's algorithm), a third of the work of finding the components."""
        upstream, odd = self.upstream, self._upstream
        waiting = dict.fromkeys(self.by_id, 0)  # how many revisions build on each
        for node, rev in self.by_id.items():  # (a hot loop: upstream() inline)
            edges = odd.get(node)
            for rid in rev.parents if edges is None else edges:
                waiting[rid] += 1
        ready = [rid for rid, count in waiting.items() if not count]
        taken = 0
        while ready:
            taken += 1
            for rid in upstream(ready.pop()):
                count = waiting[rid] = waiting[rid] - 1
                if not count:
                    ready.append(rid)
        return taken == len(waiting)

    def _cyclic(self) -> set[str]:
        """Every revision on a cycle (computed once)."""
        if self._cycle_members is None:
            self._cycle_members = {rid for comp in self._cyclic_components() for rid in comp}
        return self._cycle_members

    def _strong_components(self) -> list[list[str]]:
        # Tarjan's algorithm, iterative so deep histories don't hit the recursion limit.
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        components: list[list[str]] = []
        for root in self.by_id:
            if root in index:
                continue
            work: list[tuple[str, Iterator[str]]] = [(root, iter(self.upstream(root)))]
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            while work:
                node, edges = work[-1]
                nxt = next(edges, None)
                if nxt is not None:
                    if nxt not in index:
                        index[nxt] = low[nxt] = len(index)
                        stack.append(nxt)
                        on_stack.add(nxt)
                        work.append((nxt, iter(self.upstream(nxt))))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
        return components

    def _cycle_path(self, component: list[str]) -> list[str]:
        """A closed walk `a -> b -> ... -> a` inside one strong component."""
        members = set(component)
        start = min(component)
        path = [start]
        seen = {start}
        node = start
        while True:
            step = [p for p in self.upstream(node) if p in members]
            back = next((p for p in step if p == start), None)
            if back is not None:
                return [*path, start]
            nxt = next((p for p in step if p not in seen), step[0])
            if nxt in seen:
                cut = path.index(nxt)
                return [*path[cut:], nxt]
            path.append(nxt)
            seen.add(nxt)
            node = nxt
