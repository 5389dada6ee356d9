"""AG106: `alter_column(type_=...)`, which rewrites the table on most databases (also
`ALTER TABLE t ALTER [COLUMN] c [SET DATA] TYPE ...` run as SQL by execute(): its type
read with its words run together, `character varying(20)` as `charactervarying(20)`).

Not reported for changes the database makes without touching the rows. On PostgreSQL
(ALTER TABLE, "Notes": a rewrite is not needed when the old type is binary coercible
to the new one, or the change only relaxes a length or precision limit):

- VARCHAR(n) to VARCHAR(m) with m >= n, or to VARCHAR without a limit;
- VARCHAR to TEXT and TEXT to VARCHAR without a limit (binary coercible; the indexes
  are kept too, as the two sort the same);
- NUMERIC(p, s) to NUMERIC(q, s) with q >= p, or to NUMERIC without a limit;
- CIDR to INET (binary coercible);
- a floating-point type to one PostgreSQL makes the same: `FLOAT(p)` is REAL up to
  p = 24 and DOUBLE PRECISION above or without p (REAL to `Float(precision=3)`, as
  autogenerate writes it again and again, is no change);
- VARCHAR or TEXT to CITEXT, and CITEXT to TEXT or VARCHAR without a limit (the citext
  extension's casts are binary coercible; the indexes on the column are rebuilt);
- the same type with another `collation=` (no row is rewritten; the indexes on the
  column are rebuilt);
- the type the column already has (`type_=` restating it; a Boolean restated with
  `create_constraint=True` only adds a CHECK constraint), also when a call made to
  change the column's nullability, default or name restates the type the history last
  gave it while its `existing_type=` names the older type an earlier revision gave it
  (a stale copy).

An ENUM whose values are appended at the end of its list (also through `*NAMES`, a
literal list of the file's) is in place on MySQL while the column keeps its nullability,
and on PostgreSQL when the type keeps its name (alembic alters the column to the type it
has, which rewrites nothing and adds no value).

MySQL's MODIFY and CHANGE restate a text or bytes type of one word, or an ENUM with its
values (`ENUM('a', 'b')`, judged as `sa.Enum("a", "b")`), against the type the history
gave the column; other restated types are not read.

On MySQL only the restated type, a longer VARCHAR whose length already needs two
bytes (over 255) and one that still needs one (up to 63 characters, 4 bytes each in
utf8mb4) are in place; a longer VARCHAR that may cross 255 bytes is reported
with low confidence, a change of collation (a copy of the table) as any other. The old
type comes from `existing_type=`, or from the revision that created the column or last
changed its type. Not reported for tables this revision (or an unreleased one) creates
or empties. A longer VARCHAR MySQL widens in place is reported where alembic's MODIFY
also makes a column the history left NOT NULL nullable.

A history that names no database is judged on MySQL too, a step less sure, where the
project's dependency files name a MySQL driver (RootTheBox). A column this revision adds
and renames into the name of one it dropped, of another type, is reported at the rename
(a copy-and-swap: old readers get the new type under the old name). A table converted
to another character set (MySQL's `CONVERT TO CHARACTER SET`) changes every text
column's type: a copy of the table, reported once a line.
"""

from __future__ import annotations

import _ast as ast  # the node classes, without `ast` itself: shared/syntax.py
import functools
import re
from collections import deque
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.literals import source
from alembic_gate.history.operations import DIALECTS, Call, upgrade_calls
from alembic_gate.rules.ag1xx import (
    MYSQL,
    NULLABLE_STATES,
    POSTGRESQL_ONLY,
    Checked,
    as_written,
    column_of,
    described,
    each_revision,
    less_sure,
    name_confidence,
    suppress_hint,
)
from alembic_gate.shared import syntax
from alembic_gate.shared.patterns import LazyPattern
from alembic_gate.shared.records import record

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from alembic_gate.findings import Confidence

RULE = rule("AG106")
_VARCHAR = frozenset({"STRING", "VARCHAR", "UNICODE", "NVARCHAR", "CHARACTERVARYING"})
_TEXT = frozenset({"TEXT", "UNICODETEXT", "CLOB"})
_NUMERIC = frozenset({"NUMERIC", "DECIMAL"})
# The families whose length, precision or scale decides whether a change rewrites.
_LIMITED = frozenset({"VARCHAR", "TEXT", "NUMERIC", "FLOAT", "CHAR"})
# The bytes a character takes at most in MySQL's character sets (latin1, ucs2, utf8mb3,
# utf8mb4/utf16/utf32): a VARCHAR holds its length in one byte up to 255 bytes, in two
# above, and InnoDB lengthens it in place while that count stays.
_CHAR_BYTES = (1, 2, 3, 4)
# The bytes a character takes at most in the MySQL character sets that are not one byte
# a character, by name; a collation's name starts with its character set's
# (`latin1_swedish_ci`, `utf8mb4_0900_ai_ci`).
_WIDE_CHARSETS = {
    "big5": 2, "cp932": 2, "euckr": 2, "gb2312": 2, "gbk": 2, "sjis": 2, "ucs2": 2,
    "eucjpms": 3, "ujis": 3, "utf8": 3, "utf8mb3": 3,
    "gb18030": 4, "utf16": 4, "utf16le": 4, "utf32": 4, "utf8mb4": 4,
}  # fmt: skip
# MySQL's character sets of one byte a character.
_NARROW_CHARSETS = frozenset({
    "armscii8", "ascii", "binary", "cp1250", "cp1251", "cp1256", "cp1257", "cp850", "cp852",
    "cp866", "dec8", "geostd8", "greek", "hebrew", "hp8", "keybcs2", "koi8r", "koi8u",
    "latin1", "latin2", "latin5", "latin7", "macce", "macroman", "swe7", "tis620",
})  # fmt: skip
_FLOAT4 = frozenset({"REAL", "FLOAT4"})
_FLOAT8 = frozenset({"DOUBLE", "DOUBLE_PRECISION", "FLOAT8"})
# Databases that change a type as PostgreSQL does for the cases above (SQLite does not
# enforce declared lengths; nothing said is read as PostgreSQL, the usual production one).
_LIKE_POSTGRESQL = frozenset({"postgresql", "sqlite"})
_SQLITE_ONLY = frozenset({"sqlite"})
# Said of ENUM values appended on MySQL to a column no revision says is nullable or not
# (a table older than the history: Trailblazer's `analysis.priority`).
# (Or NOT NULL, where the call says so: Beaker's MODIFY ... NOT NULL of 0.17.)
_NULLABILITY_NOT_KNOWN = (
    " (MySQL adds values at the end in place only where the column is {}, which no "
    "revision says here)"
)
# An ENUM given values at its end, which MySQL would add in place, by a MODIFY that also
# makes its NOT NULL column nullable (Collectives' `roles.role_id`, five revisions).
_APPENDED_BUT_NULLABLE = (
    " (MySQL adds values at the end of an ENUM in place, but alembic's MODIFY without "
    "`existing_nullable=False` also makes the NOT NULL column nullable, which copies the table)"
)
_JSON_FAMILIES = frozenset({"JSON", "JSONB"})
# Said of MySQL where the history names no database and the project depends on a driver
# of it (RootTheBox: MySQL by default, named only in its options and requirements).
_DEPENDED = ", which the project depends on a driver of"
_ALTERED = LazyPattern(
    r"\bALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?([\w.\"`]+)", re.IGNORECASE
)
# A clause `... TYPE t USING expr` (`_converted`): split on commas and semicolons.
_CLAUSES = LazyPattern(r"[,;]")
_TYPE_WORD = LazyPattern(r"\bTYPE\b", re.IGNORECASE)
_USING_WORD = LazyPattern(r"\bUSING\b", re.IGNORECASE)
# What else an alter_column can change (a call that restates the type to make one).
_OTHER_CHANGES = frozenset({"nullable", "server_default", "comment", "autoincrement"})
# How many revisions below a call `_types_before` reads, nearest first.
_SEARCHED = 2000


@record(frozen=True)
class SqlType:
    """A column type as written: its family and limits."""

    family: str
    length: int | None = None
    scale: int | None = None
    text: str = ""
    # `collation=` as written (a string), or None.
    collation: str | None = None
    # A length, precision or scale written as something other than a number (wazo-auth's
    # `sa.String(RFC_DN_MAX_LENGTH)`, a module constant): the limit is not known.
    unread: bool = False


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass): one per
    column and line, naming every type the line is given (a helper called once per
    dialect branch with that dialect's type changes the column once on any database)."""
    changed: dict[tuple[int | None, str | None, str | None, bool], list[str]] = {}
    first: list[tuple[Call, str, Confidence]] = []
    for call in checked.calls:
        if call.name != "alter_column" or call.type_text is None:
            continue
        if checked.is_new_table(call.table, call, rows=False) or checked.emptied(call):
            continue
        if _refused_by_sqlite(checked, call):
            continue
        judged = _judge(checked, call)
        if judged is None:
            continue
        types = changed.setdefault((call.line, call.table, call.column, call.sql is None), [])
        if not types:
            first.append((call, *judged))
        if call.type_text not in types:
            types.append(call.type_text)
    for call, note, confidence in first:
        types = changed[(call.line, call.table, call.column, call.sql is None)]
        yield _finding(checked, call, " or ".join(types), note, confidence)
    for call in checked.calls:
        if call.name == "alter_column" and call.new_column_name:
            yield from _swapped_in(checked, call)
    yield from _conversions(checked)


def _refused_by_sqlite(checked: Checked, call: Call) -> bool:
    """Whether the call runs on SQLite only, outside batch mode and under a try, an if
    or `contextlib.suppress`: SQLite has no ALTER COLUMN, so alembic's `ALTER TABLE t
    ALTER COLUMN c TYPE ...` fails there before any row is touched, and the error is
    caught or the call skipped (MoviePilot wraps its type changes in
    `contextlib.suppress`). One that runs wherever its revision runs would fail every
    upgrade on SQLite: such a history runs on another database too (Fedora Badges' ini
    names SQLite for development, production ran PostgreSQL), and is judged as usual."""
    if call.batch or call.sql is not None or not call.conditional:
        return False
    dialects, _ = checked.dialects(call)
    return dialects == _SQLITE_ONLY


def _conversions(checked: Checked) -> Iterator[Finding]:
    """MySQL's `ALTER TABLE t CONVERT TO CHARACTER SET cs` (aurweb's utf8mb4 revision, one
    table after another in a loop): it changes the type of every text column, which
    MySQL and MariaDB do by copying the table, writes blocked (ALGORITHM=COPY). One
    finding a line, naming its tables; none for a table this revision (or an unreleased
    one) creates or empties."""
    tables: dict[int, list[Call]] = {}
    for call in checked.calls:
        if call.name != "convert_charset":
            continue
        if checked.is_new_table(call.table, call, rows=False) or checked.emptied(call):
            continue
        named = tables.setdefault(call.line, [])
        if all(c.table != call.table for c in named):
            named.append(call)
    for line, calls in tables.items():
        names = [described(c.table) for c in calls]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        message = (
            "ALTER TABLE ... CONVERT TO CHARACTER SET (SQL run by execute()) changes the "
            f"type of every text column of {shown}: MySQL and MariaDB copy the whole "
            "table and block writes to it until the copy is done"
        )
        fix = (
            "convert a large table with an online schema change tool (gh-ost, "
            "pt-online-schema-change) or in a maintenance window; for tables known to be "
            f"small, add `{suppress_hint(RULE.code)}`"
        )
        yield checked.finding(RULE, line, message, fix, name_confidence(*(c.table for c in calls)))


def _swapped_in(checked: Checked, call: Call) -> Iterator[Finding]:
    """A column this revision added renamed into the name of one it dropped, of
    another type (Ironic Inspector's FLOAT `started_at` copied into a new DATETIME
    column that takes its name): the rows are copied, not rewritten in place, but
    code from the previous release reads the old type under the name. Medium
    confidence: the copy may keep what readers see; low where no revision gives the
    dropped column's type (a table older than the history). A type PostgreSQL would
    change in place (a longer VARCHAR) is not reported, nor a swap on a table or of a
    column no release holds."""
    added = checked.added_before(call, call.column)
    column = added.new_column if added is not None and added.name == "add_column" else None
    name = (call.new_column_name or "").lower()
    if column is None or checked.is_new_table(call.table, call, rows=False):
        return
    if checked.history().column_is_new(checked.rid, call.table, call.new_column_name):
        return  # no release read the column it replaces (Langflow's deployment tables)
    if not any(
        c.name == "drop_column"
        and (c.table or "").lower() == (call.table or "").lower()
        and (c.column or "").lower() == name
        for c in checked.before(call)
    ):
        return
    old_text = checked.history().column_type(checked.rid, call.table, call.new_column_name)
    old, new = parse_type(old_text), parse_type(column.type_)
    if new is None or (old is not None and (_same(old, new) or _postgresql_in_place(old, new))):
        return
    confidence: Confidence = "medium"
    was = f"which was {old_text}"
    if old is None:  # a table older than the history (EVE-SRP's FLOAT `base_payout`)
        was, confidence = "whose type is not known here", "low"
    message = (
        f"alter_column renames {column_of(call)} to "
        f"{described(call.new_column_name)} in place of the column of that name this revision "
        f"drops, {was}: the column's type changes to {column.type_}, and "
        "code from the previous release may not read the new type"
    )
    fix = (
        "keep the old column until code that reads the new type is released, then drop "
        f"it in a later revision; if readers see no difference, add `{suppress_hint(RULE.code)}`"
    )
    yield checked.finding(RULE, call.line, message, fix, confidence)


def _finding(
    checked: Checked, call: Call, types: str, note: str, confidence: Confidence
) -> Finding:
    how = as_written(call, _sql_words(call), "alter_column")
    key = (  # the message without the note, which the history's dialects decide
        f"{how} changes the type of {column_of(call)}"
        f" to {types}: most type changes rewrite the whole table under "
        "an exclusive lock, and code from the previous release may not read the "
        "new type"
    )
    fix = (
        "add a column of the new type, backfill it, switch the code over, then "
        "drop the old column in a later release; a change the database does "
        "without a rewrite can be suppressed with "
        f"`{suppress_hint(RULE.code)}`"
    )
    return checked.finding(RULE, call.line, key + note, fix, confidence, key)


def _judge(checked: Checked, call: Call) -> tuple[str, Confidence] | None:
    """(a note for the message, confidence), or None for a change without a rewrite."""
    replaced = _replacing_using(checked, call)
    if replaced is not None:  # values that change are a rewrite, whatever the types
        return replaced, name_confidence(call.table, call.column)
    variants = _variants(call.type_text)
    if variants is None:
        return _judge_type(checked, call, call.type_text, None)
    return _judge_variants(checked, call, *variants)


def _judge_variants(
    checked: Checked, call: Call, base: str, variants: dict[str, str]
) -> tuple[str, Confidence] | None:
    """`_judge` of a type with variants (`sa.Unicode(255).with_variant(sa.Unicode,
    "postgresql")`: WUVT's widenings, unbounded on PostgreSQL): each database the call
    runs on gets its own type, judged there; the first that rewrites is reported, the
    databases taken in sorted order (a set's order would change from run to run). Where
    the history names no database, the base type is judged as any other type is."""
    dialects, _ = checked.dialects(call)
    groups: dict[str, set[str]] = {}
    for dialect in sorted(DIALECTS if dialects is None else dialects):
        groups.setdefault(variants.get(dialect, base), set()).add(dialect)
    for text, group in groups.items():
        on = None if dialects is None and text == base else frozenset(group)
        judged = _judge_type(checked, call, text, on)
        if judged is not None:
            return judged
    return None


def _variants(text: str | None) -> tuple[str, dict[str, str]] | None:
    """A type written with `.with_variant(type, "dialect")` (or a tuple of dialects):
    the base type and each named database's type, as written; None for any other type
    or a variant whose type or database is not written out."""
    if not text or "with_variant" not in text:
        return None
    node = _expression(text)
    variants: dict[str, str] = {}
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "with_variant"
    ):
        if len(node.args) != 2 or node.keywords:
            return None
        names = _dialect_names(node.args[1])
        if names is None:
            return None
        written = source(node.args[0])
        if written is None:
            return None
        for name in names:  # the outermost call is the last word, as in SQLAlchemy
            variants.setdefault(name, written)
        node = node.func.value
    base = source(node)
    if not variants or base is None:
        return None
    return base, variants


def _dialect_names(node: ast.expr) -> list[str] | None:
    """`"mysql"` or `("mysql", "mariadb")` as the databases of DIALECTS they name."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List) else [node]
    names = []
    for item in items:
        if not isinstance(item, ast.Constant) or not isinstance(item.value, str):
            return None
        name = item.value.lower()
        names.append(MYSQL if name == "mariadb" else name)
    return names


def _judge_type(
    checked: Checked, call: Call, text: str | None, on: frozenset[str] | None
) -> tuple[str, Confidence] | None:
    """`_judge` of the call's change to the type `text` on the databases `on` (None:
    those the call runs on)."""
    new = parse_type(text)
    if new is not None and _given_earlier(checked, call, new):
        return None
    added = checked.added_before(call, call.column)
    stated = call.existing_type_text if _names_a_type(call.existing_type_text) else None
    if stated is not None and new is not None and stated[-4:].upper() == "ENUM" and _is_enum(new):
        stated = None  # `existing_type=sa.Enum` for an ENUM: the class, not its values
    old_text = stated
    if old_text is None and added is not None and added.new_column is not None:
        old_text = added.new_column.type_  # the type this revision gave it
    if old_text is None:
        old_text = checked.history().column_type(
            checked.rid, checked.table_before(call), call.column
        )
    if old_text is None:
        old_text = _restored_type(checked, call)
    old = parse_type(_as_got(checked, call, old_text, on))
    if old is not None and new is not None and stated is None and _names_enum(old, new):
        old = _enum_before(checked, call, new) or old
    if old is not None and old.unread:
        old = _limits_restored(checked, call, old)
    confidence = name_confidence(call.table, call.column)
    if old is None and call.options.get("restated"):
        return None  # MySQL's MODIFY restates the type whether it changes or not
    if old is None or new is None:
        return " (the old type is not known here)", less_sure(confidence)
    if (_same(old, new) or _same_on_mysql(old, new)) and not _converted(call):
        return None
    if stated is not None and _restated(checked, call, old, new):
        return None
    dialects = checked.dialects(call)[0] if on is None else on
    if _enum_appended(old, new):
        if _appended_in_place(checked, call, dialects, old, new):
            return None
        if _appended_in_place(checked, call, dialects, old, new, unknown=True):
            was = "nullable" if _nullable_after(call) else "NOT NULL"
            return _NULLABILITY_NOT_KNOWN.format(was), less_sure(confidence)
        others = (DIALECTS if dialects is None else dialects) - {MYSQL}
        if _loses_not_null(checked, call) and _appended_in_place(checked, call, others, old, new):
            return _APPENDED_BUT_NULLABLE, confidence
    if _same_enum_type(old, new) and not _converted(call) and dialects == POSTGRESQL_ONLY:
        return None
    if _time_zone_only(old, new, dialects) and not _converted(call):
        return _judge_time_zone(dialects, confidence)
    if not _postgresql_in_place(old, new):
        if old.unread and old.family == new.family:  # longer or shorter: not known
            return " (the old length is not known here)", less_sure(confidence)
        return "", confidence  # a rewrite wherever it runs: no need to know where
    if dialects is not None:
        return _judge_in_place(checked, call, dialects, old, new, confidence, "")
    depended = checked.history().depended_dialects()  # the history names no database
    if not depended:
        return None
    by_dependencies: Confidence = "medium" if confidence == "high" else confidence
    return _judge_in_place(checked, call, depended, old, new, by_dependencies, _DEPENDED)


def _sql_words(call: Call) -> str:
    """The SQL's words for a type change: MySQL's MODIFY (or CHANGE) restates it."""
    return "MODIFY" if call.options.get("restated") is True else "ALTER COLUMN ... TYPE"


def _as_got(
    checked: Checked, call: Call, text: str | None, on: frozenset[str] | None
) -> str | None:
    """The old type as the databases `on` (None: those the call runs on) got it, where
    it was written with variants and all of them got the same one; else as written."""
    variants = _variants(text)
    if variants is None:
        return text
    if on is None:
        on = checked.dialects(call)[0]
    given = {variants[1].get(dialect, variants[0]) for dialect in on or ()}
    return given.pop() if len(given) == 1 else text


def _limits_restored(checked: Checked, call: Call, old: SqlType) -> SqlType:
    """`old` with the limits downgrade() gives the column back where `old` writes them as
    names (wazo-auth's `String(RFC_DN_MAX_LENGTH)`, widened to 253, given back 61)."""
    restored = parse_type(_restored_type(checked, call))
    if restored is None or restored.unread or restored.family != old.family:
        return old
    return restored


def _restored_type(checked: Checked, call: Call) -> str | None:
    """The type downgrade() gives the column back, where nothing else tells the old type
    (skylines' `airspace_class`, a table older than the history: `String(12)` in
    upgrade(), `String(3)` in downgrade()). Not where a rename is involved (the
    downgrade's call may be on another column of that name: Tracim's), nor a type the
    same as the new one (a downgrade copied from the upgrade: sync-engine's)."""
    if call.new_column_name:
        return None
    table, column = (call.table or "").lower(), (call.column or "").lower()
    found = None
    for other in checked.downgrade_calls():
        if other.name != "alter_column" or (other.table or "").lower() != table:
            continue
        names = {(other.column or "").lower(), (other.new_column_name or "").lower()}
        if column not in names:
            continue
        if other.new_column_name or other.type_text is None or found is not None:
            return None  # renamed, no type, or given twice: nothing sure
        found = other.type_text
    return None if found == call.type_text else found


def _judge_in_place(
    checked: Checked,
    call: Call,
    dialects: frozenset[str],
    old: SqlType,
    new: SqlType,
    confidence: Confidence,
    depended: str,
) -> tuple[str, Confidence] | None:
    """`_judge` of a change PostgreSQL makes in place, on the databases `dialects` (the
    history's, or its dependencies': `depended` says so in the note)."""
    if dialects <= _LIKE_POSTGRESQL:
        return None
    if _collation_only(old, new) or _collation_changed(old, new):
        return f" (changing a collation copies the table on MySQL{depended})", confidence
    if MYSQL in dialects and _longer_varchar(old, new):
        on_mysql = f"on MySQL{depended}{',' if depended else ''}"
        if not _same_length_bytes(old.length, new.length, _char_bytes(old, new)):
            return f" ({on_mysql} a VARCHAR whose length crosses 255 bytes is copied)", "low"
        if _loses_not_null(checked, call):
            note = (
                f" ({on_mysql} alembic's MODIFY without `existing_nullable=False` also "
                "makes the NOT NULL column nullable, which copies the table)"
            )
            return note, confidence
        return None
    if MYSQL not in dialects and _longer_varchar(old, new):
        return None
    # (PostgreSQL changes it in place: the message says where it does not)
    return (f" (on MySQL{depended})" if MYSQL in dialects else ""), confidence


def _judge_time_zone(
    dialects: frozenset[str] | None, confidence: Confidence
) -> tuple[str, Confidence] | None:
    """A timestamp given or relieved of its time zone only (`sa.DateTime()` to
    `sa.DateTime(timezone=True)`): MySQL and SQLite get the same column type either way
    (SQLAlchemy writes no time zone for them), so nothing changes there. PostgreSQL 12 and
    later change TIMESTAMP to TIMESTAMPTZ (and back) in place when the session's TimeZone
    is UTC, and rewrite the table otherwise (measured on PostgreSQL 15: the table's file
    node stays under UTC, is replaced under Europe/Paris); the revision does not say which,
    so the finding is one step less sure and says so."""
    if dialects is not None and "postgresql" not in dialects:
        return None
    return _TIME_ZONE_NOTE, less_sure(confidence)


_TIME_ZONE_NOTE = (
    " (PostgreSQL 12 and later change a timestamp's time zone in place when the session's "
    "TimeZone is UTC, which nothing here says)"
)
# Timestamp families: PostgreSQL's own names, and SQLAlchemy's two types (the same type
# on PostgreSQL; DATETIME and TIMESTAMP are two on MySQL).
_WITH_ZONE = frozenset({"TIMESTAMPTZ", "TIMESTAMPWITHTIMEZONE"})
_WITHOUT_ZONE = frozenset({"TIMESTAMPWITHOUTTIMEZONE"})
_ZONE_FLAGGED = frozenset({"DATETIME", "TIMESTAMP"})


def _time_zone_only(old: SqlType, new: SqlType, dialects: frozenset[str] | None) -> bool:
    """Whether the two types are timestamps that differ in their time zone only: the same
    SQLAlchemy type (`DateTime` or `TIMESTAMP`) with another `timezone=`, or PostgreSQL's
    TIMESTAMP WITH and WITHOUT TIME ZONE named in SQL. `DateTime` and `TIMESTAMP` are
    one type on a history that names PostgreSQL (or SQLite) only: autogenerate's
    `existing_type=postgresql.TIMESTAMP()` to `sa.DateTime(timezone=True)`."""
    before, after = _time_zone(old), _time_zone(new)
    if before is None or after is None or before == after:
        return False
    two_types = dialects is None or not dialects <= _LIKE_POSTGRESQL  # as on MySQL
    if two_types and old.family != new.family and {old.family, new.family} <= _ZONE_FLAGGED:
        return False  # DATETIME to TIMESTAMP: another type on MySQL, whatever the zone
    return _zone_free(old) == _zone_free(new)  # (Airflow's `fsp=6` is another type)


def _zone_free(sql_type: SqlType) -> tuple[object, ...]:
    """What a timestamp type says besides its time zone: its precision, and any other
    argument as written (`mysql.TIMESTAMP(fsp=6)`)."""
    node = _expression(sql_type.text)
    if not isinstance(node, ast.Call) or sql_type.family not in _ZONE_FLAGGED:
        return (sql_type.length,)
    rest = [source(arg) for arg in node.args[1:]]
    rest += sorted(f"{kw.arg}={source(kw.value)}" for kw in node.keywords if kw.arg != "timezone")
    return tuple(rest)


def _time_zone(sql_type: SqlType) -> bool | None:
    """Whether a timestamp type has a time zone (`timezone=True`, or its first argument,
    or a name that says so); None for another type, or a flag known only at run time."""
    if sql_type.family in _WITH_ZONE:
        return True
    if sql_type.family in _WITHOUT_ZONE:
        return False
    if sql_type.family not in _ZONE_FLAGGED:
        return None
    node = _expression(sql_type.text)
    if not isinstance(node, ast.Call):
        return False
    given = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    flag = given.get("timezone", node.args[0] if node.args else None)
    if flag is None:
        return False
    value = flag.value if isinstance(flag, ast.Constant) else None
    return value if isinstance(value, bool) else None


def _enum_appended(old: SqlType, new: SqlType) -> bool:
    """Whether an ENUM gains values at the end of its list only (sync-engine's sync
    states): MySQL changes the table's metadata only, while the count stays within the
    one byte a value takes (255)."""
    if old.family != "ENUM" or new.family != "ENUM":
        return False
    before, after = _enum_values(old.text), _enum_values(new.text)
    if before is None or after is None or len(after) > 255:
        return False
    return len(after) > len(before) and after[: len(before)] == before


def _given_earlier(checked: Checked, call: Call, new: SqlType) -> bool:
    """Whether an earlier change of this revision already gave the column the type
    (Mergin Maps converts with SQL's USING, then restates the type with alter_column and
    a stale `existing_type=`): altering a column to the type it has rewrites nothing."""
    if call.sql is not None:
        return False  # (SQL after SQL: Indico converts each schema's `settings` in turn)
    table, column = (call.table or "").lower(), (call.column or "").lower()
    for other in checked.before(call):
        if other.name != "alter_column" or other.type_text is None:
            continue
        if _schema_of(other) != call.schema:
            continue
        if other.dialects is not None and not set(call.dialects or DIALECTS) <= set(other.dialects):
            continue  # a branch for other databases than the call's
        if (other.table or "").lower() != table or (other.column or "").lower() != column:
            continue
        given = parse_type(other.type_text)
        if given is not None and (_same(given, new) or _names_enum(given, new)):
            return True
    return False


def _names_enum(named: SqlType, new: SqlType) -> bool:
    """Whether `named` is the bare name SQL gives the ENUM `new` declares (`TYPE
    user_roles_enum` in SQL, then `sa.Enum(..., name="user_roles_enum")`: Digital
    Marketplace's SQL converts the column, the alter_column after it restates it)."""
    name = _enum_name(new.text) if new.family == "ENUM" else None
    return name is not None and named.text.strip('"').lower() == name.lower()


def _enum_before(checked: Checked, call: Call, new: SqlType) -> SqlType | None:
    """The ENUM of `new`'s name that a revision `checked` builds on gave the column,
    where the history's last word on its type is SQL naming that ENUM in a PostgreSQL
    branch (gnocchi renames the type aside and converts the column so there, and
    appends the values with alter_column for every database): the type as declared,
    with its values."""
    name = _enum_name(new.text)
    return next(
        (
            given
            for given in _types_before(checked, call)
            if given.family == "ENUM" and _enum_name(given.text) == name
        ),
        None,
    )


def _schema_of(call: Call) -> object:
    """The schema a call names: `schema=`, or the qualifier of SQL's `ALTER TABLE s.t`."""
    if not isinstance(call.sql, str):
        return call.schema
    found = _ALTERED.get().search(call.sql)
    name = found.group(1).replace('"', "").replace("`", "") if found else ""
    return name.rsplit(".", 1)[0] if "." in name else None


def _converted(call: Call) -> bool:
    """Whether the change converts the values with USING (`postgresql_using=`, or SQL's
    `TYPE t USING c::text::t`): the type may bear the old one's name while being another
    (Backend.AI renames the ENUM type aside and creates a new one under its name)."""
    if "postgresql_using" in call.options:
        return True
    if not isinstance(call.sql, str):
        return False
    for part in _CLAUSES.get().split(call.sql):  # each clause searched once, in order
        kind = _TYPE_WORD.get().search(part)
        if kind is not None and _USING_WORD.get().search(part, kind.end()):
            return True
    return False


def _replacing_using(checked: Checked, call: Call) -> str | None:
    """A note for a `postgresql_using=` expression that does not read the column
    (OpenHands' `ARRAY[]::text[]` for `gitlab_webhook.scopes`): every row gets the
    expression's value and the old values are lost. None where it reads the column,
    where the expression or the column's name is not known as written, or where the call
    runs on no PostgreSQL (other databases are not given the expression)."""
    using, column = call.options.get("postgresql_using"), call.column
    if not isinstance(using, str) or not column or call.sql is not None:
        return None
    dialects, _ = checked.dialects(call)
    if dialects is not None and "postgresql" not in dialects:
        return None
    name = re.escape(column)
    if re.search(rf"(?<![\w$]){name}(?![\w$])", using, re.IGNORECASE):
        return None
    return (
        f"; postgresql_using={using!r} does not read the column: every row's value is "
        "replaced by it, and the old values are lost"
    )


def _appended_in_place(
    checked: Checked,
    call: Call,
    dialects: frozenset[str] | None,
    old: SqlType,
    new: SqlType,
    *,
    unknown: bool = False,
) -> bool:
    """Whether every database the call runs on (any, where the history names none)
    takes the values appended to an ENUM without touching the rows. MySQL changes the
    metadata while the column keeps its nullability (alembic's MODIFY writes NULL when
    neither `nullable=` nor `existing_nullable=` says otherwise); PostgreSQL is given the
    type by its name, and altering a column to the type it has rewrites nothing (alembic
    does not add the values there). Where an ENUM is no type of the database's own
    (SQLite, Oracle, SQL Server) it is a VARCHAR, widened in place, whose CHECK
    constraint alembic's alter_column leaves as it is; SQLite's batch copy is a test
    database's. An ENUM given no name is none of PostgreSQL's: SQLAlchemy refuses to
    compile it there ("PostgreSQL ENUM type requires a name"), so the call fails on
    PostgreSQL before it touches a row (StoryBoard's and Thunderbird Appointment's MySQL
    ENUMs). `unknown`: a column whose nullability no revision says counts as nullable."""
    dialects = DIALECTS if dialects is None else dialects
    if MYSQL in dialects and not _keeps_nullability(checked, call, unknown):
        return False
    if "postgresql" in dialects and not _unnamed(new.text):
        name = _enum_name(old.text)
        return name is not None and name == _enum_name(new.text)
    return True


def _keeps_nullability(checked: Checked, call: Call, unknown: bool = False) -> bool:
    """Whether MySQL's MODIFY leaves the column as NULL or NOT NULL as it was (`unknown`:
    what to take for a column whose nullability no revision says)."""
    before = _nullable_before(checked, call)
    if before is None:
        return unknown  # taken for what the MODIFY makes it
    return _nullable_after(call) is before


def _nullable_after(call: Call) -> bool:
    """Whether MySQL's MODIFY leaves the column nullable: `nullable=` or
    `existing_nullable=`, else NULL (what alembic's MODIFY writes)."""
    after = _stated_nullability(call)
    return True if after is None else after is True


def _stated_nullability(call: Call) -> object:
    """What the call says of the column's NULL after it: `nullable=`, else
    `existing_nullable=`; None where neither is given."""
    return call.options.get("nullable", call.options.get("existing_nullable"))


def _loses_not_null(checked: Checked, call: Call) -> bool:
    """Whether MySQL's MODIFY makes a column the history left NOT NULL nullable
    (neither `nullable=` nor `existing_nullable=` given: RootTheBox's widenings)."""
    return _stated_nullability(call) is None and _nullable_before(checked, call) is False


def _nullable_before(checked: Checked, call: Call) -> bool | None:
    """Whether the column was nullable before the call: `existing_nullable=`, else as
    the history left it; None where neither says."""
    before = call.options.get("existing_nullable")
    if isinstance(before, bool):
        return before
    knowledge = checked.history()
    state = knowledge.column_state(checked.rid, call.table, call.column)
    if state in ("filled", "filled_some"):  # rows updated since: its NOT NULL as it was
        state = knowledge.column_null(checked.rid, call.table, call.column)
    if state in NULLABLE_STATES:
        return True
    return False if state == "not_null" else None


def _enum_name(text: str) -> str | None:
    """The `name=` of `sa.Enum(..., name="t")` as written."""
    node = _expression(text)
    if not isinstance(node, ast.Call):
        return None
    for keyword in node.keywords:
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            value = keyword.value.value
            return value if isinstance(value, str) else None
    return None


def _unnamed(text: str) -> bool:
    """Whether `sa.Enum("a", "b", ...)` is written with no `name=` (nor `**options` that
    could hold one): values given as strings, so no Python enum class lends its name."""
    node = _expression(text)
    return isinstance(node, ast.Call) and all(k.arg not in ("name", None) for k in node.keywords)


def _enum_values(text: str) -> tuple[str, ...] | None:
    """The values of `sa.Enum("a", "b", ...)` as written; None when not all literal."""
    node = _expression(text)
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    values = [a.value for a in node.args if isinstance(a, ast.Constant)]
    if len(values) != len(node.args) or not all(isinstance(v, str) for v in values):
        return None
    return tuple(str(v) for v in values)


def _same_length_bytes(
    old: int | None, new: int | None, widths: tuple[int, ...] = _CHAR_BYTES
) -> bool:
    """Whether a VARCHAR(old) lengthened to VARCHAR(new) keeps the number of bytes its
    length takes in every character set of `widths` bytes a character (`VARCHAR(250)` to
    255: one byte in latin1, two in the others, before and after); an unbounded new
    length is not known."""
    if old is not None and old > 255:
        return True  # two bytes in every character set already
    if old is None or new is None:
        return False
    return all((old * width > 255) == (new * width > 255) for width in widths)


def _char_bytes(old: SqlType, new: SqlType) -> tuple[int, ...]:
    """The bytes a character may take in the column, where both types name a collation
    of the same known MySQL character set (TrapTagger's `latin1_swedish_ci`: one);
    else every width a character set may give."""
    before, after = _charset_bytes(old.collation), _charset_bytes(new.collation)
    return (before,) if before is not None and before == after else _CHAR_BYTES


def _charset_bytes(collation: str | None) -> int | None:
    if not collation:
        return None
    charset = collation.lower().split("_", 1)[0]
    return 1 if charset in _NARROW_CHARSETS else _WIDE_CHARSETS.get(charset)


def _names_a_type(text: str | None) -> bool:
    """Whether `existing_type=` as written names a type (`sa.String(50)`, `sa.Text`,
    `mysql.LONGTEXT`), not a value read at run time: a reflected column's `col.type` or
    a local `existing_type`, a bare name or attribute in lower case."""
    node = _expression(text)
    if node is None:
        return False
    if isinstance(node, ast.Attribute):
        return not node.attr[:1].islower()
    if isinstance(node, ast.Name):
        return not node.id[:1].islower()
    return True  # a call: `sa.String(50)`


def _restated(checked: Checked, call: Call, old: SqlType, new: SqlType) -> bool:
    """Whether a call made to change something else (nullability, default, name)
    restates the type the history last gave the column, its `existing_type=` copied from
    an older revision that gave the column that older type. A call that only changes the
    type, or whose old type the history never gave the column, is taken at its word: its
    author knows what the column holds (a type changed outside the migrations)."""
    if not _OTHER_CHANGES.intersection(call.options) and call.new_column_name is None:
        return False
    history = checked.history()
    recorded = parse_type(history.column_type(checked.rid, checked.table_before(call), call.column))
    if recorded is None or not _same(recorded, new):
        return False
    return _given_before(checked, call, old)


def _given_before(checked: Checked, call: Call, old: SqlType) -> bool:
    """Whether a revision `checked` builds on gave the column the type `old`."""
    return any(_same(old, given) for given in _types_before(checked, call))


def _types_before(checked: Checked, call: Call) -> Iterator[SqlType]:
    """The types the revisions `checked` builds on gave the call's column (or said it
    had), the nearest revision first and, in each, its last call first (the nearest
    `_SEARCHED` revisions are read: a rare question, asked of few calls)."""
    table, column = (call.table or "").lower(), (call.column or "").lower()
    graph = checked.ctx.graph
    queue, seen = deque(graph.upstream(checked.rid)), set[str]()
    while queue and len(seen) < _SEARCHED:
        rid = queue.popleft()
        if rid in seen:
            continue
        seen.add(rid)
        for earlier in reversed(upgrade_calls(graph.by_id[rid])):
            if (earlier.table or "").lower() == table:
                yield from _types_given(earlier, column)
        queue.extend(graph.upstream(rid))


def _types_given(call: Call, column: str) -> Iterator[SqlType]:
    """The types `call` gives (or says it had) the column named `column`."""
    texts: list[str | None] = []
    if call.name == "create_table":
        texts = [c.type_ for c in call.table_columns or () if (c.name or "").lower() == column]
    elif (call.column or "").lower() == column:
        if call.name == "add_column" and call.new_column is not None:
            texts = [call.new_column.type_]
        elif call.name == "alter_column":
            texts = [call.type_text, call.existing_type_text]
    for text in texts:
        found = parse_type(text)
        if found is not None:
            yield found


@functools.lru_cache(maxsize=4096)  # a history writes the same few types again and again
def _expression(text: str | None) -> ast.expr | None:
    """A type expression as written, parsed (`_names_a_type` and `parse_type` read the
    same `existing_type=`); None for no text or text that is no expression."""
    if not text:
        return None
    try:
        return syntax.parse_expression(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@functools.lru_cache(maxsize=4096)
def parse_type(text: str | None) -> SqlType | None:
    """`sa.String(length=50)` -> SqlType("VARCHAR", 50); None when not a type expression."""
    node = _expression(text)
    if node is None or text is None:  # (no node without text)
        return None
    args: list[ast.expr] = []
    keywords: dict[str, ast.expr] = {}
    if isinstance(node, ast.Call):
        args = list(node.args)
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        node = node.func
    if isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Name):
        name = node.id
    else:
        return None
    upper = name.upper()
    family = "VARCHAR" if upper in _VARCHAR else "TEXT" if upper in _TEXT else upper
    family = "NUMERIC" if upper in _NUMERIC else family
    first = keywords.get("length") or keywords.get("precision") or (args[0] if args else None)
    second = keywords.get("scale") or (args[1] if len(args) > 1 else None)
    collation = keywords.get("collation")
    named = collation.value if isinstance(collation, ast.Constant) else None
    length, scale = _int(first), _int(second)
    unread = (first is not None and length is None) or (second is not None and scale is None)
    if family == "ENUM" and _not_native(keywords):
        stored = _int(keywords.get("length")) or _longest(args)
        if stored is not None:  # a VARCHAR as long as its longest value
            family, length, scale, unread = "VARCHAR", stored, None, False
    collated = named if isinstance(named, str) else None
    return SqlType(family, length, scale, text, collated, unread and family in _LIMITED)


def _is_enum(sql_type: SqlType) -> bool:
    """Whether the type is written as an Enum, native or not (a non-native one's family
    is VARCHAR)."""
    return sql_type.family == "ENUM" or _plain(sql_type.text).startswith("ENUM(")


def _not_native(keywords: dict[str, ast.expr]) -> bool:
    """Whether `sa.Enum(...)` says `native_enum=False`: SQLAlchemy makes it a VARCHAR on
    every database (with a CHECK constraint where `create_constraint=True`)."""
    value = keywords.get("native_enum")
    return isinstance(value, ast.Constant) and value.value is False


def _longest(args: list[ast.expr]) -> int | None:
    """The length of the longest of an Enum's values, where all are literal strings
    (SQLAlchemy's VARCHAR length for a non-native Enum given no `length=`)."""
    values = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return max(map(len, values)) if values and len(values) == len(args) else None


def _int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return None


def _same(old: SqlType, new: SqlType) -> bool:
    if old.family == new.family == "BOOLEAN":  # `create_constraint=` adds a CHECK only
        return True
    if old.family == new.family and old.family in _JSON_FAMILIES:
        return True  # `astext_type=`, `none_as_null=`: how Python reads it, not the column
    if old.family in ("VARCHAR", "TEXT", "NUMERIC"):
        return _limits(old) == _limits(new) and old.collation == new.collation
    return _plain(old.text) == _plain(new.text)


def _same_on_mysql(old: SqlType, new: SqlType) -> bool:
    """A BLOB or TEXT type MySQL stores as the one named (MySQL makes `BLOB(n)` the
    smallest BLOB type that holds n bytes, and SQLAlchemy writes `LargeBinary(n)` as
    `BLOB(n)`): autogenerate on MySQL compares a reflected `TINYBLOB` with a model's
    `LargeBinary(length=12)` and writes the same type again (dds_web). Only where one of
    the two is a type MySQL alone has, so the column is on MySQL."""
    if old.family not in _MYSQL_ONLY and new.family not in _MYSQL_ONLY:
        return False
    stored = _mysql_storage(old)
    return stored is not None and stored == _mysql_storage(new) and old.collation == new.collation


def _mysql_storage(sql_type: SqlType) -> str | None:
    """The BLOB or TEXT type MySQL stores `sql_type` as; None for any other type."""
    family = sql_type.family
    if family in _MYSQL_ONLY:
        return family
    kind = "BLOB" if family in ("LARGEBINARY", "BLOB") else "TEXT" if family == "TEXT" else None
    if kind is None:
        return None
    length = sql_type.length
    if length is None:
        return kind
    if kind == "BLOB":
        return _mysql_sized(kind, length)
    # TEXT(n) counts characters: its type is known where every character set (1 to 4
    # bytes a character) gives the same one
    fewest, most = _mysql_sized(kind, length), _mysql_sized(kind, length * max(_CHAR_BYTES))
    return fewest if fewest == most else None


def _mysql_sized(kind: str, size: int) -> str:
    """The smallest MySQL BLOB or TEXT type (`kind`) that holds `size` bytes."""
    for prefix, largest in _MYSQL_SIZES:
        if size <= largest:
            return prefix + kind
    return "LONG" + kind


# MySQL's BLOB and TEXT types, by the most bytes each holds (TINY: 255, none: 65,535,
# MEDIUM: 16,777,215, LONG: 4 GiB).
_MYSQL_SIZES = (("TINY", 255), ("", 65_535), ("MEDIUM", 16_777_215))
_MYSQL_ONLY = frozenset(
    f"{prefix}{kind}" for prefix in ("TINY", "MEDIUM", "LONG") for kind in ("BLOB", "TEXT")
)


def _plain(text: str) -> str:
    """`sa.Integer()` and `INTEGER` alike."""
    name = text.split("(", 1)[0].rsplit(".", 1)[-1].upper()
    rest = text[len(text.split("(", 1)[0]) :].replace(" ", "")
    return name + ("" if rest in ("", "()") else rest)


def _limits(sql_type: SqlType) -> tuple[str, int | None, int | None]:
    return sql_type.family, sql_type.length, sql_type.scale


def _collation_changed(old: SqlType, new: SqlType) -> bool:
    """Both types name a collation, and not the same one (a longer VARCHAR converted to
    another character set: MySQL copies the table whatever the lengths)."""
    return bool(old.collation and new.collation) and old.collation != new.collation


def _collation_only(old: SqlType, new: SqlType) -> bool:
    """The same type with another collation (PostgreSQL rewrites no row for it, but
    rebuilds the indexes on the column; MySQL copies the table)."""
    return _limits(old) == _limits(new) and old.collation != new.collation


def _longer_varchar(old: SqlType, new: SqlType) -> bool:
    if old.family != "VARCHAR" or new.family != "VARCHAR":
        return False
    return new.length is None or (old.length is not None and new.length >= old.length)


def _postgresql_in_place(old: SqlType, new: SqlType) -> bool:
    if _collation_only(old, new):
        return True
    if _longer_varchar(old, new):
        return True
    if old.family in ("VARCHAR", "TEXT") and new.family == "TEXT":
        return True
    if old.family == "TEXT" and new.family == "VARCHAR" and new.length is None:
        return True
    if _citext_in_place(old, new):
        return True
    if old.family == "NUMERIC" and new.family == "NUMERIC":
        if new.length is None and new.scale is None:
            return True
        wider = old.length is not None and new.length is not None and new.length >= old.length
        return wider and old.scale == new.scale
    float_type = _postgresql_float(old)
    if float_type is not None and float_type == _postgresql_float(new):
        return True
    return (old.family, new.family) == ("CIDR", "INET")


def _same_enum_type(old: SqlType, new: SqlType) -> bool:
    """Whether both are ENUMs of one `name=`, whatever values each lists: on PostgreSQL,
    without USING, `ALTER COLUMN c TYPE name` keeps the type the column has (alter_column
    creates no type, nor changes one's values), so it rewrites nothing and old code reads
    what it read (Baobab lists `event_type` without a value it meant to remove, which
    stayed). With USING, the name may stand for a new type made in its place (Tracim and
    Hyperion rename the old one aside): a rewrite."""
    if old.family != "ENUM" or new.family != "ENUM":
        return False
    name = _enum_name(new.text)
    return name is not None and name.lower() == (_enum_name(old.text) or "").lower()


def _postgresql_float(sql_type: SqlType) -> str | None:
    """The floating-point type PostgreSQL makes of `sql_type` (FLOAT(p) is REAL up to 24
    binary digits, DOUBLE PRECISION above or without p), or None for another type."""
    if sql_type.family in _FLOAT4:
        return "REAL"
    if sql_type.family in _FLOAT8:
        return "DOUBLE PRECISION"
    if sql_type.family != "FLOAT":
        return None
    single = sql_type.length is not None and 1 <= sql_type.length <= 24
    return "REAL" if single else "DOUBLE PRECISION"


def _citext_in_place(old: SqlType, new: SqlType) -> bool:
    if old.family in ("VARCHAR", "TEXT") and new.family == "CITEXT":
        return True
    unlimited = new.family == "TEXT" or (new.family == "VARCHAR" and new.length is None)
    return old.family == "CITEXT" and unlimited


check = each_revision(check_revision)
