"""AG104: renaming a column (`alter_column(new_column_name=)`) or a table (`rename_table`).

A rename spelled `alter_column(..., name=)`, the keyword alembic later renamed to
`new_column_name` (a history written then renamed the column with it), is reported too,
with a note that current alembic raises a TypeError on it.

Renames written as SQL run by execute() (`ALTER TABLE t RENAME TO u`, `ALTER TABLE t
RENAME [COLUMN] a TO b`, MySQL's `RENAME TABLE a TO b`) are read as the calls they stand
for.

Not reported for a table this revision (or, with a scope, an unreleased revision)
created, nor for a column added earlier in this revision or by an unreleased revision:
no released code uses their names. Nor for a table moved aside while a new one takes its
name and its rows (`INSERT INTO`, or a Core `insert()` where the old table is then
dropped) in the same revision, also one made again by code not read, where the rows
moved aside are copied back into it and the old table is dropped, nor for one moved aside
and dropped later in the revision while a new one is created under its name (a rebuild:
whether the rows come back is the drop's question), nor for a table whose
name is computed at run time renamed after the revision created a table so named (its
scratch table, taking the name of the table it rebuilds), nor for a table whose old name
a view takes later in the revision (`CREATE VIEW`), nor for a column moved aside while a
new one is added under its name and filled (UPDATE) in it, or, set aside under a name
that says so (`old_id`), while a column it did not add is renamed to its name (that rename
is judged itself), nor for a table renamed and renamed back in it, nor for a sequence,
key or index PostgreSQL named after a table (`t_id_seq`, `t_pkey`) renamed, spelled as a
table's rename, after the table the revision renames (`t` to `u`, `t_pkey` to `u_pkey`),
where no revision of the history made a table of that name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules.ag1xx import (
    Checked,
    adds_column,
    as_written,
    column_of,
    each_revision,
    name_confidence,
    table_of,
)
from alembic_gate.shared.patterns import LazyPattern

RULE = rule("AG104")
# The words that mark a column's new name as the old one set aside (`old_id`).
_ASIDE_WORDS = frozenset(
    {"old", "orig", "original", "prev", "previous", "legacy", "bak", "backup", "tmp", "temp"}
)
# The endings of the names PostgreSQL gives a table's own sequences, keys and indexes
# (`t_pkey`; `t_id_seq`, `t_name_key`: the columns between the table and the ending).
_IMPLICIT_SUFFIXES = ("_pkey", "_seq", "_key", "_fkey", "_idx", "_excl", "_check")
# MySQL's `ALTER TABLE t CHANGE a b ...`, which the message names as written.
_MYSQL_CHANGE = LazyPattern(r"\bCHANGE\b", re.IGNORECASE)


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass)."""
    for call in checked.calls:
        renames = call.name == "rename_table" or (
            call.name == "alter_column" and "new_column_name" in call.options
        )
        if not renames or checked.is_new_table(call.table, call, rows=False):
            continue
        if call.name == "alter_column" and checked.is_new_column(call):
            continue
        if _moved_aside(checked, call) or _renamed_back(checked, call):
            continue
        if _view_left(checked, call):
            continue
        if _scratch_renamed(checked, call) or _follows_its_table(checked, call):
            continue
        names = (call.table,) if call.name == "rename_table" else (call.table, call.column)
        confidence = name_confidence(*names)
        yield checked.finding(RULE, call.line, _message(call), _fix(call), confidence)


def _moved_aside(checked: Checked, call: Call) -> bool:
    """`rename_table("t", "t_tmp")`, then a new "t" created and the rows copied into it
    (SQLite's way to rebuild a table; an `INSERT INTO`, or a Core `insert()` where the
    table moved aside is dropped after, ComPAIR's row by row), or another table that the
    rows were copied into renamed to "t" (insights-host-inventory's `hosts_new` taking
    the name `hosts` in the same SQL): the name and the rows stay. A column renamed
    aside, added again under its name later in this revision and filled (open-webui's
    `chat` text moved to `old_chat` for a JSON `chat` filled from it), or replaced by a
    column this revision added and filled that is renamed to its name: the name and its
    values stay."""
    if call.name == "alter_column":
        return _column_added_back(checked, call)
    if call.name != "rename_table" or call.table is None:
        return False
    table = call.table.lower()
    if _swapped_in(checked, call, table):
        return True
    later = checked.after(call)
    created = any(c.name == "create_table" and (c.table or "").lower() == table for c in later)
    named = [
        (c.table or "").lower()
        for c in later
        if c.name == "rename_table" and (c.new_table or "").lower() == table
    ]
    aside = (call.new_table or "").lower()
    dropped = any(c.name == "drop_table" and (c.table or "").lower() == aside for c in later)
    if not (created or named):
        # made again where the revision cannot be read (pycds's helper), as the rows
        # copied back into it show: `INSERT INTO t ... SELECT ... FROM t_old`
        return dropped and (table, aside) in checked.copies()
    if any(checked.copied_into(name) for name in (table, *named)):
        return True
    if created and dropped:
        # a rebuild: the table moved aside is gone by the revision's end and a new one
        # has its name (cuckoo's SQLite branch reads the rows, renames `errors` aside,
        # drops it, creates `errors` and puts the rows back through a model it imports):
        # the name stays, and whether the rows do is the drop's question (AG103)
        return True
    # Rows put in by Core insert() count where the table moved aside is dropped later in
    # the revision and another takes its name (not where it lives on under its new name:
    # zenml's `artifact` renamed `artifact_version` while a new `artifact` gets one row
    # per name, and old code reads another table).
    return dropped and any(checked.inserted_into(name) for name in (table, *named))


def _view_left(checked: Checked, call: Call) -> bool:
    """A table renamed while a view takes its old name later in this revision (`CREATE
    VIEW t AS SELECT ... FROM u`: the fix this rule's message gives, hypothesis/lms's
    `module_item_configurations` renamed `assignment` and read on through a view): the
    code still running from the previous release reads the old name."""
    if call.name != "rename_table" or call.table is None:
        return False
    table = call.table.lower()
    return any(
        c.name == "create_table" and c.options.get("view") and (c.table or "").lower() == table
        for c in checked.after(call)
    )


def _scratch_renamed(checked: Checked, call: Call) -> bool:
    """A table whose name is computed at run time renamed, in a revision that created a
    table so named before: the revision's own scratch table, taking the name of the table
    it rebuilds (threedi-schema's `_temp_229_<uuid>`: CREATE TABLE, INSERT ... SELECT,
    DROP TABLE model_settings, then the scratch table renamed `model_settings`; OpenCRE's
    tables with a random suffix). No released code knows the scratch table's name."""
    if call.name != "rename_table" or call.table is not None:
        return False
    return any(c.name == "create_table" and c.table is None for c in checked.before(call))


def _follows_its_table(checked: Checked, call: Call) -> bool:
    """A sequence, key or index PostgreSQL named after a table (`t_id_seq`, `t_pkey`,
    `t_name_key`) renamed after the table as the revision renames it (`t` to `u`,
    `t_pkey` to `u_pkey`), spelled as a table's rename (`ALTER TABLE t_pkey RENAME TO
    u_pkey`, `op.rename_table("t_id_seq", "u_id_seq")`: pybossa's and HIL's): no code
    names it."""
    if call.name != "rename_table" or not call.table or not call.new_table:
        return False
    old, new = call.table.lower(), call.new_table.lower()
    ending = next((end for end in _IMPLICIT_SUFFIXES if old.endswith(end)), None)
    if ending is None or checked.history().made_elsewhere(checked.rid, old):
        return False  # a table of the history's own (`app_key`), not one of its objects
    for other in checked.calls:
        if other is call or other.name != "rename_table" or not other.table:
            continue
        table, moved = other.table.lower(), (other.new_table or "").lower()
        # PostgreSQL's names: `t_pkey`, and `t_<columns>_key` (`_seq`, `_idx`, ...)
        columns = old[len(table) + 1 : -len(ending)]
        named = old.startswith(f"{table}_") and (ending == "_pkey" or bool(columns))
        if named and moved and new == moved + old[len(table) :]:
            return True
    return False


def _swapped_in(checked: Checked, call: Call, table: str) -> bool:
    """The other half of a swap: `table`, which the rows were copied into, takes the name
    of a table this revision moved aside before (`hosts_new` to `hosts` once `hosts` is
    `hosts_old`)."""
    name = (call.new_table or "").lower()
    vacated = any(
        c.name == "rename_table" and (c.table or "").lower() == name for c in checked.before(call)
    )
    return bool(name) and vacated and checked.copied_into(table)


def _column_added_back(checked: Checked, call: Call) -> bool:
    table, column = (call.table or "").lower(), (call.column or "").lower()
    if not table or not column:
        return False
    later = checked.after(call)
    added = next((i for i, c in enumerate(later) if adds_column(c, table, column)), None)
    if added is None:
        return _column_swapped_in(checked, later, table, column, call.new_column_name or "")
    return any(_fills(c, table, column) for c in later[added + 1 :])


def _column_swapped_in(
    checked: Checked, later: list[Call], table: str, column: str, moved_to: str
) -> bool:
    """The column moved aside is replaced by one this revision added and filled, renamed
    to its name later in this revision (Notify: `new_status` added and filled from
    `status`, `status` renamed `old_status`, `new_status` renamed `status`), or, where it
    was set aside under a name that says so (`moved_to`), by a column it did not add, whose
    rows hold their values (sourcehut's `remote_id` renamed `id` after `id` is renamed
    `old_id`: that rename is the one the previous release cannot follow, and is judged
    itself). Names handed on without such a mark are new meanings (lcfs moves
    `service_address` to `head_office_address` and `bc_address` to `service_address`: the
    previous release reads another address under the old name), reported."""
    for rename in later:
        source = (rename.column or "").lower()
        if not (
            rename.name == "alter_column"
            and source
            and (rename.table or "").lower() == table
            and (rename.new_column_name or "").lower() == column
        ):
            continue
        before = checked.before(rename)
        if not any(adds_column(c, table, source) for c in before):
            if _set_aside(column, moved_to.lower()):
                return True
            continue
        if any(_fills(c, table, source) for c in before):
            return True
    return False


def _set_aside(column: str, name: str) -> bool:
    """Whether `name` is `column` set aside: its words with one that says so (`old_id`,
    `status_old`, `id_backup`)."""
    words, kept = name.split("_"), column.split("_")
    for at in range(len(words) - len(kept) + 1):
        if words[at : at + len(kept)] == kept:
            rest = words[:at] + words[at + len(kept) :]
            return bool(rest) and all(word in _ASIDE_WORDS for word in rest)
    return False


def _fills(call: Call, table: str, column: str) -> bool:
    """Whether `call` fills the column (an UPDATE that sets it, or one whose table or
    columns cannot be read)."""
    return (
        call.name == "backfill"
        and (call.table or "").lower() in ("", table)
        and (call.column or "").lower() in ("", column)
    )


def _renamed_back(checked: Checked, call: Call) -> bool:
    """A table renamed and renamed back in this revision (pgAdmin renames `user` to
    `user_old` and back, for SQLite to rewrite the foreign keys that name it): the name
    stays. Each of the two renames is this one."""
    if call.name != "rename_table" or not call.table or not call.new_table:
        return False
    old, new = call.table.lower(), call.new_table.lower()

    def reverses(other: Call) -> bool:
        return (
            other.name == "rename_table"
            and (other.table or "").lower() == new
            and (other.new_table or "").lower() == old
        )

    return any(reverses(other) for other in checked.calls if other is not call)


def _new_name(call: Call) -> str:
    name = call.new_table if call.name == "rename_table" else call.options["new_column_name"]
    return f'"{name}"' if isinstance(name, str) else "a new name"


def _message(call: Call) -> str:
    if call.name == "rename_table":
        how = as_written(call, "RENAME", "rename_table")
        what = f"{how} renames table {table_of(call)} to {_new_name(call)}"
    else:
        changed = isinstance(call.sql, str) and _MYSQL_CHANGE.get().search(call.sql)
        sql = "CHANGE" if changed else "RENAME COLUMN"
        how = as_written(call, sql, "alter_column")
        column = column_of(call)
        what = f"{how} renames column {column} to {_new_name(call)}{_legacy(call)}"
    return (
        f"{what}: the code still running from the previous release uses the old "
        "name and fails until the new release is everywhere"
    )


def _legacy(call: Call) -> str:
    """A note for a rename spelled `name=` (the reader reads it as new_column_name)."""
    if "name" not in call.options:
        return ""
    return (
        " (with `name=`, the old spelling of `new_column_name`: current alembic "
        "raises a TypeError on it, so the revision no longer runs as written)"
    )


def _fix(call: Call) -> str:
    if call.name == "rename_table":
        return (
            "create the new table and copy the rows (or leave a view under the old "
            "name), switch the code over, then drop the old table in a later release"
        )
    return (
        "add the new column and copy the data, release code that writes both and "
        "reads the new one, then drop the old column in a later release"
    )


check = each_revision(check_revision)
