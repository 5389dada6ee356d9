"""Where in the project something happened: traceback frames, model classes, revision functions.

Runs inside the worker. Paths are absolute; the parent makes them relative.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from alembic_gate.shared.records import record

Location = tuple[str, int]
# A table's name and schema (None: the default one).
TableName = tuple[str, str | None]


def real(path: str) -> str:
    return os.path.realpath(path)


def frames(exc: BaseException) -> list[Location]:
    """(file, line) of every frame between the catcher and the raise, outermost first;
    for a SyntaxError, then the place of the error itself (a file that failed to compile
    has no frame: env.py's error was placed nowhere, a model's at env.py's import)."""
    found = [
        (real(f.f_code.co_filename), line)
        for f, line in traceback.walk_tb(exc.__traceback__)
        if not f.f_code.co_filename.startswith("<")  # exec'd code: "<string>", "<frozen ...>"
    ]
    if (
        isinstance(exc, SyntaxError)
        and exc.filename
        and exc.lineno
        and not exc.filename.startswith("<")
    ):
        found.append((real(exc.filename), exc.lineno))
    return found


def deepest_in(exc: BaseException, files: Iterable[str]) -> Location | None:
    """The innermost frame inside one of `files`."""
    return innermost(exc, set(files).__contains__)


def innermost(exc: BaseException, keep: Callable[[str], bool]) -> Location | None:
    """The innermost frame whose file `keep` accepts."""
    found = None
    for location in frames(exc):
        if keep(location[0]):
            found = location
    return found


class ProjectFiles:
    """Files under the project folder that are not installed packages, nor Python's own
    (a work tree may hold the virtualenv, or, a home folder kept in git, pyenv's Pythons)."""

    def __init__(self, root: str) -> None:
        self.root = real(root) + os.sep
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        self.pythons = tuple(real(prefix) + os.sep for prefix in prefixes)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str) or not path.startswith(self.root):
            return False
        parts = path[len(self.root) :].split(os.sep)
        if "site-packages" in parts or "dist-packages" in parts:
            return False
        return not path.startswith(self.pythons)

    def deepest(self, exc: BaseException) -> Location | None:
        # A compiled module may name a relative file (pydantic 1's "pydantic/main.py"),
        # which realpath puts under the current folder: only files that exist count.
        return innermost(exc, lambda path: path in self and os.path.isfile(path))

    def modules(self) -> Iterator[str]:
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str) and path.endswith(".py") and real(path) in self:
                yield real(path)


@record(frozen=True)
class FunctionSpan:
    name: str
    line: int
    end: int


@cache
def functions(path: str) -> dict[str, FunctionSpan]:
    """Top-level functions of a Python file by name (empty when it does not parse)."""
    module = tree(path)
    return {
        node.name: FunctionSpan(node.name, node.lineno, node.end_lineno or node.lineno)
        for node in (module.body if module else ())
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


@cache
def text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


@cache
def tree(path: str) -> ast.Module | None:
    """A Python file's syntax tree, parsed once for every caller; None when it does not
    parse (a file that cannot be read is empty)."""
    try:
        return ast.parse(text(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL byte
        return None


def lines(path: str) -> list[str]:
    return text(path).splitlines()


def created_in(
    revisions: Iterable[str], *names: str, undo: bool = False, word: bool = False
) -> Location | None:
    """The `upgrade()` (or with `undo`, the matching `downgrade()`) of the first revision
    file whose upgrade names each of `names` as a string literal (`word`: as a word, so
    inside SQL text too). Multi-database revisions have one pair per engine
    (`upgrade_engine1` / `downgrade_engine1`)."""
    patterns = [
        re.compile(rf"\b{re.escape(name)}\b" if word else rf"""["']{re.escape(name)}["']""")
        for name in names
    ]
    for path in revisions:
        spans = functions(path)
        for name, span in spans.items():
            if not (name == "upgrade" or name.startswith("upgrade_")):
                continue
            body = "\n".join(lines(path)[span.line - 1 : span.end])
            if all(p.search(body) for p in patterns) or _formatted(path, span, names):
                target = spans.get("down" + name[2:]) if undo else span
                return (path, target.line) if target else (path, span.line)
    return None


def _formatted(path: str, span: FunctionSpan, names: Sequence[str]) -> bool:
    """Whether f-strings of the function at `span` give each of `names`: fief names its
    tables and enum types `f"{table_prefix}acr"`, which no literal spells."""
    shapes = _fstring_shapes(path, span.line)
    return bool(shapes) and all(any(shape.fullmatch(n) for shape in shapes) for n in names)


@cache
def _fstring_shapes(path: str, line: int) -> tuple[re.Pattern[str], ...]:
    """The f-strings of the function defined at `line` as patterns (`f"{p}acr"`:
    `.+acr`), those with a literal part of two characters or more."""
    module = tree(path)
    function = next(
        (node for node in (module.body if module else ()) if getattr(node, "lineno", 0) == line),
        None,
    )
    shapes = []
    for node in ast.walk(function) if function is not None else ():
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = [str(v.value) if isinstance(v, ast.Constant) else None for v in node.values]
        if any(part is not None and len(part) >= 2 for part in parts):
            shapes.append(re.compile("".join(re.escape(p) if p else ".+" for p in parts)))
    return tuple(shapes)


def table_created_at(revisions: Iterable[str], name: str, schema: str | None) -> Location | None:
    """The statement of an upgrade that creates table `name`: `op.create_table("name", ...)`
    or SQL text saying `CREATE TABLE name`. Revision files are read newest first (the
    creation that made the table there now); a create_table whose `schema=` is that schema
    (or absent, for the default one) comes before one whose schema is an expression, SQL
    text, or one without `schema=` for a table of another schema."""
    sql = re.compile(
        rf"""CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([`"\[]?\w+[`"\]]?\.)?[`"\[]?{re.escape(name)}\b""",
        re.IGNORECASE,
    )
    best: tuple[int, Location] | None = None
    for path in revisions:
        for statement in _upgrade_statements(path):
            rank = _creates(statement, name, schema)
            if rank is None and any(
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and sql.search(node.value)
                for node in ast.walk(statement)
            ):
                rank = 1
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, (path, statement.lineno))
    return best[1] if best else None


def named_at(revisions: Iterable[str], name: str) -> Location | None:
    """The newest upgrade statement that names `name` (an index's or constraint's) as a
    string of its own, or as a word of SQL text."""
    word = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    for path in revisions:
        if name not in text(path):
            continue
        for statement in _upgrade_statements(path):
            if any(
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value == name or word.search(node.value))
                for node in ast.walk(statement)
            ):
                return (path, statement.lineno)
    return None


def _upgrade_statements(path: str) -> Iterator[ast.stmt]:
    """The simple statements (calls, assignments) of a revision file's upgrade functions."""
    module = tree(path)
    for function in module.body if module else ():
        if isinstance(function, ast.FunctionDef) and function.name.startswith("upgrade"):
            for node in ast.walk(function):
                if isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign):
                    yield node


def _creates(statement: ast.stmt, name: str, schema: str | None) -> int | None:
    """How sure it is that a statement is the `op.create_table("name", ...)` of that
    schema (0 surest, as `TableCall.rank`), None when it is none."""
    call = getattr(statement, "value", None)
    if not isinstance(call, ast.Call) or called_name(call) != "create_table" or not call.args:
        return None
    first = call.args[0]
    if not (isinstance(first, ast.Constant) and first.value == name):
        return None
    named, how = _schema_argument(call)
    return TableCall(name, named, how, call.lineno, call.lineno).rank(schema)


def undone_in(revisions: Iterable[str], *names: str) -> Location | None:
    """The line of the first revision file's `downgrade()` (or `downgrade_<engine>()`)
    that names the last of `names` (a table, or its column) as a string literal, in a
    downgrade that names each of them so: where it drops or alters what they are about."""
    patterns = [re.compile(rf"""["']{re.escape(name)}["']""") for name in names]
    for path in revisions:
        for name, span in functions(path).items():
            if not (name == "downgrade" or name.startswith("downgrade_")):
                continue
            body = lines(path)[span.line - 1 : span.end]
            if not all(p.search("\n".join(body)) for p in patterns):
                continue
            for number, line in enumerate(body, span.line):
                if patterns[-1].search(line):
                    return path, number
    return None


class Models:
    """Finds the source of the model that maps a table, and of its columns.

    A model is a class mapping a table of env.py's `target_metadata` (`metadata`: each
    MetaData alembic compares with). Other mapped classes are left out: a revision's own
    declarative classes, which read or fix rows (Superset's), name the same tables."""

    def __init__(self, project: ProjectFiles, metadata: Iterable[Any], env_py: str = "") -> None:
        self.project = project
        self.metadata = list(metadata)
        self.env_py = real(env_py) if env_py else ""
        self._classes: dict[str, list[type[Any]]] | None = None
        # The database's default schema ("public"): alembic names a table of it with no
        # schema, where a model may spell it out (`__table_args__ = {"schema": "public"}`).
        self.default_schema: str | None = None

    def _mapped(self) -> dict[str, list[type[Any]]]:
        if self._classes is None:
            self._classes = {}
            for mapper in _all_mappers():
                table = getattr(mapper, "local_table", None)
                key = getattr(table, "key", None)
                if isinstance(key, str) and self._compared(key, table):
                    self._classes.setdefault(key, []).append(mapper.class_)
        return self._classes

    def _compared(self, key: str, table: Any) -> bool:
        """Whether `table` is the one a target MetaData holds under `key`."""
        return any(getattr(meta, "tables", {}).get(key) is table for meta in self.metadata)

    def classes(self, name: str, schema: str | None) -> list[type[Any]]:
        """The declarative classes that map the table (a class mapped imperatively onto
        a Core Table declares nothing of it: the Table does)."""
        return [cls for cls in self._mapped().get(self._key(name, schema), []) if _declarative(cls)]

    def _key(self, name: str, schema: str | None) -> str:
        """The table's key in the models: under the default schema's name where they
        spell it out and alembic does not."""
        key = _key(name, schema)
        if schema is None and self.default_schema and key not in self._mapped():
            spelled = _key(name, self.default_schema)
            if spelled in self._mapped():
                return spelled
        return key

    def table(self, name: str, schema: str | None) -> Location | None:
        classes = self.classes(name, schema)
        for cls in classes:
            found = _class_source(cls)
            if found is not None:
                return found
        core = self.core_table(name, schema)
        if core is not None:
            return (core[0], core[1].line)
        # Classes whose source cannot be read (a package installed as .pyc or compiled
        # modules only): the project's line that brings their module in.
        for cls in classes:
            found = self._import_line(cls.__module__) or self._target_line()
            if found is not None:
                return found
        return None

    def column(self, table: str, schema: str | None, column: str) -> Location | None:
        for cls in self.classes(table, schema):
            attr = _attribute_for(cls, column)
            for klass in cls.__mro__:
                found = _attribute_source(klass, attr)
                if found is not None:
                    return found
        core = self.core_table(table, schema)
        if core is None:
            return self.table(table, schema)
        path, call = core
        return (path, dict(call.columns).get(column) or _column_line(path, call, column))

    def core_table(self, name: str, schema: str | None) -> tuple[str, TableCall] | None:
        """The Core `Table(...)` call of a table, where no declarative class maps it."""
        mapped = bool(self._mapped().get(self._key(name, schema)))
        found = self._core_table(name, schema, mapped=mapped)
        if found is None and schema is None and self.default_schema:
            found = self._core_table(name, self.default_schema, mapped=mapped)
        return found

    def outside(
        self, where: Location, table: TableName | None = None
    ) -> tuple[str, Location | None] | None:
        """For a place outside the project (models or a mixin of an installed package):
        how to name it (`shopmodels/models.py:17`) and the project's line to put it at:
        the project's class mapping `table` (the mixin's user), else the line that
        brings the package in; None for a place in the project."""
        path, line = where
        if path in self.project:
            return None
        module = _module_of(path)
        user = self._user(path, table) if table else None
        if module is None:
            return f"{os.path.basename(path)}:{line}", user or self._target_line()
        shown = module.replace(".", "/") + (
            "/__init__.py" if path.endswith("__init__.py") else ".py"
        )
        return f"{shown}:{line}", user or self._import_line(module) or self._target_line()

    def _user(self, path: str, table: TableName) -> Location | None:
        """The class statement of a project class mapping `table`: one with a base
        written in `path` (the mixin) before another."""
        found = []
        for cls in self.classes(*table):
            source = _class_source(cls)
            if source is not None and source[0] in self.project:
                uses = any(_source_file(base) == path for base in cls.__mro__[1:])
                found.append((not uses, source))
        return min(found)[1] if found else None

    def _import_line(self, module: str) -> Location | None:
        """The first import of `module` (or of a package holding it) in env.py, else in
        another module of the project."""
        others = sorted(p for p in self.project.modules() if p != self.env_py)
        for path in [self.env_py, *others] if self.env_py else others:
            for node in ast.walk(tree(path) or ast.Module([], [])):
                if isinstance(node, ast.Import | ast.ImportFrom) and any(
                    module == name or module.startswith(name + ".") for name in _imported(node)
                ):
                    return (path, node.lineno)
        return None

    def _target_line(self) -> Location | None:
        """env.py's `target_metadata = ...` line."""
        for node in ast.walk(tree(self.env_py) or ast.Module([], [])) if self.env_py else ():
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "target_metadata" for t in node.targets
            ):
                return (self.env_py, node.lineno)
        return None

    def _core_table(
        self, name: str, schema: str | None, mapped: bool
    ) -> tuple[str, TableCall] | None:
        """Where a Core `Table("name", ...)` of that schema is written in the project's
        modules: one whose `schema=` is that literal; else one without `schema=` for the
        default schema; else (for a table no class maps: its MetaData may name the
        schema) one without a literal `schema=`. Never one naming another schema."""
        best: tuple[int, tuple[str, TableCall]] | None = None
        for path in self.project.modules():
            if name not in text(path):
                continue
            for call in table_calls(path):
                rank = call.rank(schema) if call.name == name else None
                if rank is None or (mapped and rank > 1):
                    continue
                if best is None or rank < best[0]:
                    best = (rank, (path, call))
        return best[1] if best else None


def _module_of(path: str) -> str | None:
    """The name of the imported module whose file is `path`."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and real(file) == path:
            return name
    return None


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement imports (`a.b` and `a.b.c` of `from a.b import c`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def _declarative(cls: type[Any]) -> bool:
    """Whether a mapped class is declarative (its body declares the table), not one
    mapped with `registry.map_imperatively` / `mapper()` onto a Core Table (which
    SQLAlchemy gives a `__table__` too, and no registry of a declarative base)."""
    return hasattr(cls, "__tablename__") or hasattr(cls, "_sa_registry")


def _column_line(path: str, call: TableCall, column: str) -> int:
    """The line of `Column("column"` in a Table call the syntax tree did not tell."""
    pattern = re.compile(rf"""Column\(\s*["']{re.escape(column)}["']""")
    for number in range(call.line, call.end + 1):
        if pattern.search(lines(path)[number - 1]):
            return number
    return call.line


def _key(name: str, schema: str | None) -> str:
    """A table's key in its MetaData (and in `_mapped`)."""
    return f"{schema}.{name}" if schema else name


@record(frozen=True)
class TableCall:
    """A `Table("name", ...)` call in a Python file, and what its `schema=` says:
    `how` is "literal" (then `schema` is its value), "absent" or "expression"."""

    name: str
    schema: str | None
    how: str
    line: int
    end: int
    # Each `Column("name", ...)` argument's name and the line of that name.
    columns: tuple[tuple[str, int], ...] = ()

    def rank(self, schema: str | None) -> int | None:
        """How sure it is that this call is the table of `schema` (0 surest), None
        when it names another schema."""
        if self.how == "literal":
            return 0 if self.schema == schema else None
        return 1 if self.how == "absent" and schema is None else 2


@cache
def table_calls(path: str) -> tuple[TableCall, ...]:
    """The `Table("name", ...)` calls of a Python file (`sa.Table`, `db.Table` too), in
    the order they are written; none when it does not parse."""
    module = tree(path)
    if module is None:
        return ()
    found = []
    for node in ast.walk(module):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if (
            called_name(node) == "Table"
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            schema, how = _schema_argument(node)
            end = node.end_lineno or node.lineno
            columns = _core_columns(node)
            found.append(TableCall(first.value, schema, how, node.lineno, end, columns))
    return tuple(sorted(found, key=lambda call: call.line))


def called_name(call: ast.Call) -> str | None:
    """What a call calls, without its module: `Column` of `sa.Column(...)`."""
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _core_columns(table: ast.Call) -> tuple[tuple[str, int], ...]:
    """The `Column("name", ...)` arguments of a Table call: each name and its line (a
    column written over several lines is placed at its name)."""
    found = []
    for arg in table.args[1:]:
        if isinstance(arg, ast.Call) and called_name(arg) == "Column" and arg.args:
            first = arg.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((first.value, first.lineno))
    return tuple(found)


def _schema_argument(call: ast.Call) -> tuple[str | None, str]:
    for keyword in call.keywords:
        if keyword.arg == "schema":
            value = keyword.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str | None):
                return value.value, "literal"
            return None, "expression"
        if keyword.arg is None:  # **kwargs: may hold schema
            return None, "expression"
    return None, "absent"


def _all_mappers() -> list[Any]:
    try:
        from sqlalchemy.orm import mapperlib

        registries = mapperlib._all_registries()
    except (ImportError, AttributeError):
        return []
    return [mapper for reg in registries for mapper in reg.mappers]


def _source_file(cls: type[Any]) -> str | None:
    try:
        path = inspect.getsourcefile(cls)
    except (OSError, TypeError):
        return None
    return real(path) if path else None


def _class_source(cls: type[Any]) -> Location | None:
    path = _source_file(cls)
    if path is None:
        return None
    try:
        _, line = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    return path, line


def _attribute_for(cls: type[Any], column: str) -> str:
    """The attribute name mapping `column` (often the same)."""
    try:
        from sqlalchemy import inspect as sa_inspect

        mapper = sa_inspect(cls)
        col = mapper.local_table.c[column]
        return str(mapper.get_property_by_column(col).key)
    except Exception:  # any mapping oddity: fall back to the column name
        return column


def _attribute_source(cls: type[Any], attr: str) -> Location | None:
    try:
        path = inspect.getsourcefile(cls)
        source, start = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    if not path:
        return None
    offset = _assigned_in_body("".join(source), attr)
    if offset is not None:
        return (real(path), start + offset)
    # Not assigned in the class body itself (in an `if`, or a source that does not parse
    # alone): the first line that reads like it.
    pattern = re.compile(rf"^\s+{re.escape(attr)}\s*[:=]")
    for offset, text in enumerate(source):
        if pattern.match(text):
            return (real(path), start + offset)
    return None


def _assigned_in_body(source: str, attr: str) -> int | None:
    """Where (0-based line, in `source`: a class's) a statement of the class body assigns
    `attr` (`attr = ...`, `attr: T = ...`), not a docstring line that names it
    (`Attributes: attr: the ...`); None when none does or the source does not parse."""
    import ast
    import textwrap

    try:
        parsed = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    classes = [node for node in parsed.body if isinstance(node, ast.ClassDef)]
    for statement in classes[0].body if classes else []:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        elif isinstance(statement, ast.FunctionDef) and _declared_attr(statement):
            targets = [ast.Name(statement.name)]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == attr for t in targets):
            return statement.lineno - 1
    return None


def _declared_attr(function: ast.FunctionDef) -> bool:
    """Whether a method is a `@declared_attr` (`.cascading`, `.directive`, `sa.orm.` too):
    a column a mixin gives each class, written in the mixin."""
    for decorator in function.decorator_list:
        node = decorator.func if isinstance(decorator, ast.Call) else decorator
        names = set()
        while isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            names.add(node.id)
        if "declared_attr" in names:
            return True
    return False


def revision_message(rev: Any) -> str:
    """The first line of a revision's docstring (alembic's -m message), or "no message"."""
    doc = (rev.doc or "").strip()
    return doc.splitlines()[0] if doc else "no message"
