"""AG102: `alter_column(nullable=False)` (or `ALTER TABLE t ALTER [COLUMN] c SET NOT NULL`,
or MySQL's `MODIFY [COLUMN] c <type> NOT NULL`, run as SQL by execute()) with no backfill
before it. MODIFY restates the whole definition, NOT NULL too: where the history does not
say whether the column was nullable, it is reported with low confidence. A check of every
row for NULL in the column (`CHECK (c IS NOT NULL)` added valid, in SQL or by
op.create_check_constraint, or validated in the revision that added it NOT VALID) fails
the same way and is judged the same; where one comes first, a NOT NULL after it is not.

Not reported when the column cannot hold NULL: the table is new or emptied by this
revision, the column was filled (an UPDATE or DELETE ... IS NULL of its table, an ORM
loop assigning it, a server_default, rows put back by INSERTs that name it after the
table was emptied, a `CHECK (c IS NOT NULL)` added valid or validated) earlier in this
revision (also under the name it had before this revision renamed it) or in a revision
this one builds on, or the table is new in the release and
its only rows are literal seeds of that release (`op.bulk_insert`) that each give the
column a value, or it already is NOT NULL (created NOT NULL or as the primary key, added
with nullable=False, or `existing_nullable=False`; a column named `id`, renamed to `id`
or said to be the key (`primary_key=True`) of a table no revision creates is taken for
its primary key): the call only restates it.
Nor for a column this revision adds nullable, then runs work lint does not read (imported
code, ORM session work, SQL built at run time), then makes NOT NULL: it fills it there.
Where upgrade() counts the column's NULLs and then raises under an `if` before the
ALTER (it refuses to run where the ALTER would fail), one step less sure, and says so.
A revision that deletes rows of the table chosen elsewhere, by a bound parameter or a
subquery that does not name the column (`DELETE FROM t WHERE id = ANY(:keys)`), is
reported one step less sure, and says so.
What the history says about the column is read in one pass (rules.ag1xx_history).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import SQL_METHODS, UNKNOWN, Call, checks_every_row
from alembic_gate.rules.ag1xx import (
    NULLABLE_STATES,
    POSTGRESQL_ONLY,
    SQL_TABLE,
    Checked,
    as_written,
    column_of,
    each_revision,
    holds_no_null,
    less_sure,
    relationship_key,
    runs_wherever,
)
from alembic_gate.shared.patterns import LazyPattern

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from alembic_gate.findings import Confidence

RULE = rule("AG102")
# The name of the primary key column of a table no revision creates, by SQLAlchemy's
# and Alembic's convention: NOT NULL already (CodaLab widens every `id` to BIGINT and
# restates NOT NULL; in sixteen labelled sets no such `id` held NULL), also where a
# revision has updated the table's rows since (Anubis resizes every `id`), and a column
# a revision renames to it (Hydra's `<name>_id`).
_KEY_NAME = "id"


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass)."""
    for call in checked.calls:
        if call.name not in _JUDGED or not _makes_not_null(call):
            continue
        new = checked.is_new_table(call.table, call)
        filled = new and checked.filled_before(call)  # rows this revision put in (asked then)
        if (new and not filled) or checked.emptied(call):
            continue
        if _refused_first(checked, call):
            continue
        if checked.history().seeded(checked.rid, checked.table_before(call), call.column):
            continue  # its only rows are this release's seeds, each giving it a value
        judged = _judge(checked, call, filled)
        if judged is not None:
            reason, confidence = judged
            if _deletes_rows(checked, call.table, call.column):
                reason += (
                    ", unless the rows this revision deletes from the table are those that "
                    "hold NULL"
                )
                confidence = less_sure(confidence)
            elif _refused_on_null(checked, call):
                reason += (
                    ", though the revision first counts the rows holding NULL and raises "
                    "under an if: where it stops, it stops with its own message"
                )
                confidence = less_sure(confidence)
            yield checked.finding(RULE, call.line, _message(call, reason), _fix(call), confidence)


def _refused_first(checked: Checked, call: Call) -> bool:
    """Whether the call runs on PostgreSQL only, after an ADD COLUMN of this revision that
    PostgreSQL refuses on a table holding a row (NOT NULL, no server default: AG101's
    finding): it meets only an empty table (cnaas-nms adds `ip_version` to `reservedip`,
    then makes two of its columns NOT NULL). Not so on MySQL, which fills the added column
    with its type's implicit default, nor on SQLite, which refuses that ADD COLUMN on an
    empty table too."""
    dialects, _ = checked.dialects(call)
    return dialects == POSTGRESQL_ONLY and checked.empty_when_reached(call)


def _refused_on_null(checked: Checked, call: Call) -> bool:
    """Whether upgrade() counts the rows whose column is NULL (`SELECT count(*) FROM
    author WHERE reference_id IS NULL`, SQL run by execute()) and then raises under an
    `if` before `call`, each where `call` runs: the revision refuses, with its own
    message, to run where the NOT NULL would fail (the Alliance's literature service
    aborts before any DDL; OpenCRE before its ALTER). The deploy still stops there (a
    judge called Tracecat's refusal real: legacy databases hold NULL, no backfill
    comes), so the finding stays, one step less sure."""
    table, column = (call.table or "").lower(), (call.column or "").lower()
    if not table or not column:
        return False
    counted = False
    for step in checked.steps_before(call):
        if not runs_wherever(step, call):
            continue
        if step.name == "raise" and counted:
            return True
        if isinstance(step.sql, str) and step.sql_kind == "data":
            counted = counted or _selects_nulls(step.sql, table, column)
    return False


def _selects_nulls(sql: str, table: str, column: str) -> bool:
    """Whether a SELECT of `sql` reads `table` where `column` IS NULL (lowercased)."""
    for statement in sql.split(";"):
        found = _SELECT_WHERE.get().search(statement)
        if found is None or found.group(1).lower() != table:
            continue
        nulls = _IS_NULL.get().findall(statement[found.end() :])
        if column in {name.lower() for name in nulls}:
            return True
    return False


# `SELECT ... FROM t [AS x] WHERE`: its table, as the group.
_SELECT_WHERE = LazyPattern(
    r"\bSELECT\b.*?\bFROM\s+" + SQL_TABLE + r"[\"`\]]?\s+(?:(?:AS\s+)?\w+\s+)?WHERE\b",
    re.IGNORECASE | re.DOTALL,
)
# `c IS NULL` (`t.c`, `"c"`: the column's own name), not `c IS NOT NULL`.
_IS_NULL = LazyPattern(r"(\w+)[\"`\]]?\s+IS\s+NULL\b", re.IGNORECASE)


# The operations that may make a column NOT NULL (`_makes_not_null`), told by name first:
# asked of every call of every revision.
_JUDGED = frozenset({"alter_column", "not_null_check", "validate_constraint"})


def _makes_not_null(call: Call) -> bool:
    """`alter_column(nullable=False)` (or SQL's SET NOT NULL, MODIFY ... NOT NULL) that
    does not say the column already is NOT NULL (`existing_nullable=False`), or a check
    of every row for NULL in the column, which fails as they do (`checks_every_row`)."""
    if call.name == "alter_column":
        options = call.options
        return options.get("nullable") is False and options.get("existing_nullable") is not False
    return checks_every_row(call)


def _deletes_rows(checked: Checked, table: str | None, column: str | None) -> bool:
    """Whether upgrade() runs `DELETE FROM table WHERE ...` on rows chosen elsewhere (a
    bound parameter or a subquery) by a condition that does not name the column
    (Backend.AI deletes the keypairs it selected by `secret_key IS NULL` by their keys,
    before making the column NOT NULL); `c = ''` or `other IS NULL` is read: it does
    not pick the NULLs."""
    if not table or not column:
        return False
    table, column = table.lower(), column.lower()
    for step in checked.ops.upgrade.steps:
        sql = step.sql
        if not isinstance(sql, str) or "ELETE" not in sql.upper():
            continue
        for name, condition in _DELETE.get().findall(sql):
            if name.lower() != table or not _CHOSEN_ELSEWHERE.get().search(condition):
                continue
            if column not in {word.lower() for word in _WORD.get().findall(condition)}:
                return True
    return False


_DELETE = LazyPattern(r"\bDELETE\s+FROM\s+" + SQL_TABLE + r"[\"`\]]?([^;]*)", re.IGNORECASE)
_WORD = LazyPattern(r"\w+")
# A condition whose rows were chosen elsewhere: a bound parameter or a subquery (a
# comparison of another column with a literal is read: it does not pick the NULLs).
_CHOSEN_ELSEWHERE = LazyPattern(r":\w|%s|%\(|\?|\bSELECT\b", re.IGNORECASE)


def _judge(checked: Checked, call: Call, filled: bool) -> tuple[str, Confidence] | None:
    """Why the column may hold NULL and how sure that is; None when it cannot (`filled`:
    the revision puts rows into the table before the call)."""
    earlier = checked.before(call)
    if _fills(call, earlier):
        return None
    renamed = _renamed_here(earlier, call)
    if renamed is not None:  # its rows are the column's under its old name (Bayanat's
        # baseline fills `id_number_temp`, renames it `id_number`, sets NOT NULL)
        if _makes_not_null(renamed):
            return None  # the rename made it NOT NULL: the finding is the rename's
        return _judge(checked, renamed, filled)
    added = checked.added_before(call, call.column)
    if added is not None:
        column = added.new_column
        if holds_no_null(column):
            return None  # (a key column added is NOT NULL: AG101 speaks of the add)
        if added.name != "create_table":
            if _unread_between(checked, added, call):
                return None  # added nullable, then work lint cannot read, then NOT NULL
            return "it is added earlier in this revision, so every existing row holds NULL", "high"
        if filled:
            return _made_here(added, call)
        # (made in another dialect's branch: what the history says, as below)
    history = checked.history()
    table = checked.table_before(call)  # the history knows it by that name
    state = history.column_state(checked.rid, table, call.column)
    if state == "renamed":  # filled under its old name? (the post-award data store fills
        # `event_data_blob`, renames it `data_blob`, makes that NOT NULL)
        state = history.state_before_rename(checked.rid, table, call.column)
    if state in ("filled", "not_null"):
        return None
    if state == "filled_some":
        if _is_key(call) and history.column_null(checked.rid, table, call.column) is None:
            return None  # `id` of a table made before the history, its rows updated since
        return UNREAD_UPDATE, "low"
    if state in NULLABLE_STATES:
        if history.added_filled(checked.rid, table, call.column):
            return None  # filled where it was added, in this release: no NULL written since
        # (created with its table: every row is one the application wrote, which no
        # reading of the migrations tells; added to it: the rows it held then are NULL)
        return _NULLABLE_REASONS[str(state)], "low" if state == "created_nullable" else "medium"
    if state is None and _is_key(call):
        return None  # a table made before the history: `id` is its primary key (CodaLab)
    # A column older than the history: its rows are the application's, as for one created
    # nullable with its table, and about as often judged real (42% of 120 labelled places
    # over seventy-seven sets, none of 19 in the latest twenty-six).
    return "no revision before creates it, so whether rows hold NULL is not known", "low"


def _unread_between(checked: Checked, added: Call, call: Call) -> bool:
    """Whether upgrade(), between adding the column nullable and making it NOT NULL, runs
    work lint does not read, wherever the NOT NULL runs: a call into imported code, ORM
    session work, SQL built at run time, an UPDATE of a table it cannot name. A revision
    written so fills the column there (Agenta's imported data migration, Kitchenowl's
    session loop, Copr's: five labelled places over the hundred sets, all filled), as an
    UPDATE of a table that cannot be read counts as filling it (`_fills`)."""
    between = False
    for step in checked.steps_before(call):
        if step is added:
            between = True
        elif between and runs_wherever(step, call) and _unread(step):
            return True
    return False


def _unread(step: Call) -> bool:
    """A step whose work lint does not read (`_unread_between`)."""
    if step.name in ("foreign", "orm"):
        return True
    if step.name == "backfill":
        return not step.table
    if step.name in SQL_METHODS:  # (DDL built at run time fills nothing)
        built = step.sql is UNKNOWN or step.sql_kind is None
        return step.sql is not None and built and step.sql_kind != "schema"
    return False


# Why a column the history left nullable may hold NULL, by how it became nullable.
_NULLABLE_REASONS = {
    "created_nullable": "the history creates it nullable with its table and never backfills it",
    "added_nullable": (
        "the history adds it nullable to the table, which leaves it NULL in every row the "
        "table held then, and never backfills it"
    ),
    "nullable": "the history makes it nullable and never backfills it",
}


def _renamed_here(earlier: list[Call], call: Call) -> Call | None:
    """The last rename in `earlier` of a column of the call's table to the call's column
    (`alter_column(new_column_name=)` or SQL's RENAME COLUMN), where it runs wherever
    the call runs and is under no `if` the call is not under (a helper that converts the
    column, called under a test, makes both conditional). The rename is judged in the
    call's place: by what was done to the column before it under its old name (filled,
    added) and by what the history says of that name."""
    table, name = (call.table or "").lower(), (call.column or "").lower()
    for rename in reversed(earlier):
        if rename.name != "alter_column" or not rename.new_column_name or not rename.column:
            continue
        if (rename.table or "").lower() == table and rename.new_column_name.lower() == name:
            sure = not rename.conditional or call.conditional  # (both in one `if`: Bayanat)
            return rename if sure and runs_wherever(rename, call) else None
    return None


def _is_key(call: Call) -> bool:
    """Whether the call is on the primary key column of a known table, by its name
    (`_KEY_NAME`), by the name it renames the column to, or as the call says
    (`primary_key=True`, which alter_column does not act on: Hydra renames each table's
    `<name>_id` to `id` on MySQL, restating NOT NULL and the key)."""
    if call.table is None:
        return False
    names = {(call.column or "").lower(), (call.new_column_name or "").lower()}
    return _KEY_NAME in names or call.options.get("primary_key") is True


def _made_here(made: Call, call: Call) -> tuple[str, Confidence] | None:
    """A column of a table this revision creates and then puts rows into: NOT NULL or
    a default where it is made, else NULL in those rows unless they fill it (not read:
    one step less sure)."""
    name = (call.column or "").lower()
    for column in made.table_columns or ():
        if (column.name or "").lower() == name and holds_no_null(column):
            return None
    return (
        "it is created nullable in this revision and rows are put into the table before "
        "this, which may leave it NULL"
    ), "medium"


def _fills(target: Call, calls: Iterable[Call]) -> bool:
    """An UPDATE (or DELETE ... IS NULL, ORM assignment) of the table, or of a table
    that cannot be read, filling the column or any column; the rows put back into the
    table after it was emptied, naming the column (`insert` with a column); or a check
    that the column holds no NULL, added valid or validated, or a step that made it NOT
    NULL wherever the target runs (it failed there, or left no NULL: the finding is
    that step's)."""
    table = (target.table or "").lower()
    name = (target.column or "").lower()
    for call in calls:
        kind = call.name  # (one test for most calls: the loop runs for each earlier call)
        if kind == "backfill":
            other = (call.table or "").lower()
            column = (call.column or "").lower()
            if (not other or not table or other == table) and (
                not column or column == name or name == relationship_key(column)
            ):
                return True
        elif kind == "insert":
            if name and (call.table or "").lower() == table and (call.column or "").lower() == name:
                return True
        elif kind in _JUDGED and (
            _made_not_null_before(call, target) or _checked_before(call, table, name)
        ):
            return True
    return False


def _checked_before(call: Call, table: str, name: str) -> bool:
    """Whether `call` checks every row of `table` for NULL in the column `name`: a check
    added valid, or the validation of a NOT VALID one made earlier in this revision (the
    reader gives it the check's column: `checks_every_row`)."""
    if not name or not checks_every_row(call) or (call.table or "").lower() != table:
        return False
    return (call.column or "").lower() == name


def _made_not_null_before(earlier: Call, target: Call) -> bool:
    """Whether `earlier` made the target's column NOT NULL (or checked it for NULL)
    wherever the target runs."""
    column, table = earlier.column, earlier.table
    if column is None or table is None or target.column is None or target.table is None:
        return False
    if column.lower() != target.column.lower() or table.lower() != target.table.lower():
        return False  # (most often: asked of each earlier call of a judged revision)
    return _makes_not_null(earlier) and not earlier.conditional and runs_wherever(earlier, target)


def _message(call: Call, reason: str) -> str:
    how = as_written(call, _sql_words(call), _OP_WORDS[call.name])
    column = column_of(call)
    if call.name == "alter_column":
        made = f"{how} makes {column} NOT NULL"
    else:
        made = f"{how} checks that no row holds NULL in {column}"
    if reason.startswith(UNREAD_UPDATE):
        return f"{made}, and {reason}: the ALTER fails if any row still holds NULL"
    return (
        f"{made}, but nothing backfills it first (no UPDATE of the table in this revision "
        f"or an earlier one) and {reason}: the ALTER fails if any row still holds NULL"
    )


# Why a column is reported when an earlier revision's UPDATE of its table sets columns
# the rule cannot read (aodh's `.values(**{name + "_ts": ...})`): it may not be this one.
UNREAD_UPDATE = (
    "no UPDATE names it: an earlier revision updates rows of the table in columns that "
    "cannot be read, so whether that filled it is not known"
)


def _fix(call: Call) -> str:
    table = call.table or "<table>"
    column = call.column or "<column>"
    return (
        f'op.execute("UPDATE {table} SET {column} = ... WHERE {column} IS NULL")'
        f" before the {_sql_words(call) if call.sql is not None else _OP_WORDS[call.name]},"
        " in this revision or an earlier one"
    )


# What a finding calls each operation it judges, written with op.* (a check's
# validation is SQL only: ALTER TABLE ... VALIDATE CONSTRAINT).
_OP_WORDS = {
    "alter_column": "alter_column",
    "not_null_check": "create_check_constraint",
    "validate_constraint": "VALIDATE CONSTRAINT",
}


def _sql_words(call: Call) -> str:
    """What the SQL that makes the column NOT NULL is called: MySQL's MODIFY (or
    CHANGE) restates the column's whole definition; a check, ADD CONSTRAINT ... CHECK
    or VALIDATE CONSTRAINT."""
    if call.name == "not_null_check":
        return "ADD CONSTRAINT ... CHECK (... IS NOT NULL)"
    if call.name == "validate_constraint":
        return "VALIDATE CONSTRAINT"
    return "MODIFY ... NOT NULL" if call.options.get("restated") is True else "SET NOT NULL"


check = each_revision(check_revision)
