"""AG103: `drop_column` / `drop_table` (data loss, and code still using it breaks).

Drops written as SQL (`op.execute("DROP TABLE t")`, `ALTER TABLE t DROP COLUMN c`) are
read as the calls they stand for (operations.py). Not reported for what this revision
created, nor for another migration tool's version table (`migrate_version`,
`schema_migrations`, ...: a history moved to Alembic drops the old tool's bookkeeping)
or a `_alembic_tmp_<table>` left behind by a batch operation that failed (its rows are
still in the table), or a scratch table of the revision's own that an interrupted run
left (dropped where it exists, then created and dropped or renamed away, made by no
other revision), nor for a rebuild that keeps the name and the data: a table dropped
after its rows were copied (INSERT INTO, or a Core `insert()`) to a new table that is
then renamed to the old name, or to one they are copied back from once the table is
re-created (`INSERT INTO tmp ... FROM t`, then `INSERT INTO t ... FROM tmp`), or the one
renamed aside and copied back (`t` renamed `t_old`, `INSERT INTO t ... FROM t_old`,
`t_old` dropped), or a column dropped and added back under its name as one the database
computes (`GENERATED ALWAYS AS`, run as SQL) or added back after every row of its table
was deleted earlier in the revision, or a column dropped after its values were copied
(UPDATE) to a column added in this revision that then takes the old name, also where
the old one was renamed aside first and dropped under that name (an int to bigint swap;
the UPDATE names the old column), or a column dropped under an if, a loop or a try that
the revisions it builds on dropped already (a guard that it is there). A drop after
the revision deleted every row is reported: the rows the revision deletes are data lost
too. A column moved aside (renamed) while a column this revision adds takes its name and
is filled from it (the source names it between the rename and the drop) is reported with
low confidence, as is a table dropped, re-created under its name and given rows with
`op.bulk_insert` (the old ones, read before the drop, or new ones: not known here). A
column whose values an `INSERT INTO other ... SELECT ... FROM t` copied to another table
first is reported with a message that says so: no data is lost, but the previous
release's code still reads the column (judges took 12 of 20 such labelled places for
real hazards).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import rule
from alembic_gate.history.operations import Call
from alembic_gate.rules.ag1xx import (
    INSERT_INTO,
    Checked,
    adds_column,
    as_written,
    column_of,
    described,
    each_revision,
    insert_select,
    name_confidence,
    runs_wherever,
    suppress_hint,
    table_of,
)
from alembic_gate.shared.files import read_regular
from alembic_gate.shared.patterns import LazyPattern

RULE = rule("AG103")
_DROPS = frozenset({"drop_column", "drop_table"})
# The version tables of other migration tools, which histories moved to Alembic drop:
# bookkeeping of the tool they left, which no application code reads. sqlalchemy-migrate's
# (nova, CKAN), `schema_migrations` of Rails, golang-migrate and dbmate (monasca-api),
# Entity Framework's (foi-flow), Flyway's, Liquibase's and South's.
_LEFT_TOOL_TABLES = frozenset(
    {
        "migrate_version",
        "schema_migrations",
        "__efmigrationshistory",
        "flyway_schema_history",
        "databasechangelog",
        "databasechangeloglock",
        "south_migrationhistory",
    }
)
# The copy alembic's batch mode makes of a table before it takes the table's place:
# histories drop one a failed run left (langflow, open-webui) before they batch again.
_BATCH_COPY_PREFIX = "_alembic_tmp_"

_IF_EXISTS = LazyPattern(r"\bIF\s+EXISTS\b", re.IGNORECASE)
_GENERATED = LazyPattern(r"\bGENERATED\s+ALWAYS\s+AS\b", re.IGNORECASE)
# The names in a select list (`a.b` gives both; `*` stands for every column).
_SELECTED = LazyPattern(r"[\w$]+|(?<![\w.])\*")
# What makes a copy hold fewer rows than its source, or columns of another table.
_WHERE_OR_JOIN = LazyPattern(r"\b(?:WHERE|JOIN|LIMIT|HAVING|GROUP\s+BY)\b|,", re.IGNORECASE)


def check_revision(checked: Checked) -> Iterator[Finding]:
    """The findings of one revision (lint runs every safety rule in one pass)."""
    for call in checked.calls:
        if call.name not in _DROPS or checked.is_new_table(call.table, call):
            continue
        if call.name == "drop_table" and (_tool_table(_lower(call)) or _leftover(checked, call)):
            continue
        if _rebuilt(checked, call):
            continue
        if call.name == "drop_column" and checked.is_new_column(call):
            continue
        if call.name == "drop_column" and call.conditional and checked.column_made(call) is False:
            continue  # a guard that the column is there: the history dropped it (Faraday)
        names = (call.table, call.column) if call.name == "drop_column" else (call.table,)
        message, confidence = _message(call), name_confidence(*names)
        if call.name == "drop_table" and _refilled(checked, call):
            message += (
                ", unless the rows this revision inserts into the table it re-creates "
                "are its old rows, read before the drop"
            )
            confidence = "low"
        elif call.name == "drop_column" and _moved_aside(checked, call):
            message += (
                ", unless the values this revision copies into the column that took its "
                "old name are all of them"
            )
            confidence = "low"
        elif call.name == "drop_column" and (into := _copied_out(checked, call)):
            message = _copied_message(call, into)  # the code's failure stays as sure
        yield checked.finding(RULE, call.line, message, _fix(call), confidence)


def _leftover(checked: Checked, call: Call) -> bool:
    """A drop, only where the table exists, of a table this revision then creates as its
    own scratch (dropped or renamed away before it ends) and that no other revision
    creates or renames into: what an interrupted run of this revision left
    (mcp-context-forge's `<table>_tmp_nounique`, SurfSense's `_inactive_doc_ids`), as a
    batch operation's `_alembic_tmp_` copy is."""
    table = _lower(call)
    guarded = call.conditional or call.options.get("if_exists") is True
    if not table or not (
        guarded or (isinstance(call.sql, str) and _IF_EXISTS.get().search(call.sql))
    ):
        return False
    later = checked.after(call)
    made = next(
        (
            i
            for i, c in enumerate(later)
            if c.name == "create_table" and _lower(c) == table and runs_wherever(c, call)
        ),
        None,
    )
    if made is None:
        return False
    gone = any(  # where the drop runs (not in another dialect's branch: Rucio's)
        c.name in ("drop_table", "rename_table") and _lower(c) == table and runs_wherever(c, call)
        for c in later[made + 1 :]
    )
    return gone and not checked.history().made_elsewhere(checked.rid, table)


def _rebuilt(checked: Checked, call: Call) -> bool:
    """Whether the name comes back later in this revision with the data copied."""
    table = (call.table or "").lower()
    if not table:
        return False
    later = checked.after(call)
    if call.name == "drop_table":
        sources = [
            c.table.lower()
            for c in later
            if c.name == "rename_table" and c.table and (c.new_table or "").lower() == table
        ]
        if any(checked.inserted_into(source) for source in sources):
            return True
        return _copied_back(checked, table) or _renamed_and_copied_back(checked, call, table)
    column = (call.column or "").lower()
    if any(_generated_again(other, table, column) for other in later):
        return True
    if checked.emptied(call) and any(adds_column(other, table, column) for other in later):
        return True  # no row left to lose, and the name comes back (Augur's contributors)
    for other in later:
        if not _renames(other, table, column):
            continue
        added = checked.added_before(other, other.column)
        filled = any(
            c.name == "backfill" and (c.table or "").lower() in ("", table)
            for c in checked.before(call)
        )
        return added is not None and filled
    return _swapped(checked, call, table, column)


def _swapped(checked: Checked, call: Call, table: str, column: str) -> bool:
    """Whether the dropped column is one this revision renamed aside while a column it
    added, filled from it, took the old name: ADS's int to bigint swap (`big_id` added,
    `UPDATE change_log SET big_id=id`, `id` renamed `old_id`, `big_id` renamed `id`,
    `old_id` dropped). The fill must name the old column (Letta's new ids do not)."""
    earlier = checked.before(call)
    old = next(((c.column or "").lower() for c in earlier if _renames(c, table, column)), "")
    if not old:
        return False
    for other in earlier:
        if not _renames(other, table, old) or not other.column:
            continue
        new = other.column.lower()
        if checked.added_before(other, new) is None:
            return False
        return any(
            c.name == "backfill"
            and (c.table or "").lower() in ("", table)
            and (c.column or "").lower() == new
            and _names(checked, c, old)
            for c in checked.before(other)
        )
    return False


def _renames(call: Call, table: str, to: str) -> bool:
    """Whether `call` renames a column of `table` to `to`."""
    if call.name != "alter_column" or (call.table or "").lower() != table:
        return False
    return (call.new_column_name or "").lower() == to


def _names(checked: Checked, fill: Call, column: str) -> bool:
    """Whether the statement of `fill` (its lines up to the next call's) names `column`
    as a word: the values it sets are read from that column."""
    lines = _source_lines(checked)
    return (
        bool(lines) and _times_named(lines, fill.line, _next_line(checked, fill, lines), column) > 0
    )


def _source_lines(checked: Checked) -> list[str]:
    """The revision file's lines (none where it cannot be read)."""
    try:
        return read_regular(checked.rev.file).decode("utf-8", "replace").splitlines()
    except OSError:
        return []


def _next_line(checked: Checked, call: Call, lines: list[str]) -> int:
    """The last line of `call`'s statement: the line before the next call's, or the
    file's last."""
    later = [c.line for c in checked.after(call) if c.line > call.line]
    return min(later) - 1 if later else len(lines)


def _times_named(lines: list[str], first: int, last: int, column: str) -> int:
    """How many times lines `first` to `last` (from 1) name `column` as a word."""
    text = "\n".join(lines[first - 1 : last])
    return len(re.findall(rf"(?<![\w]){re.escape(column)}(?![\w])", text, re.IGNORECASE))


def _moved_aside(checked: Checked, call: Call) -> bool:
    """Whether the dropped column is one this revision moved aside (renamed) while a
    column it added took the old name and was filled from it before the drop
    (szurubooru's `flags` renamed `oldflags`, a new `flags` filled row by row from it,
    `oldflags` dropped). Whether every value was copied is not known here: Gnocchi's
    copy loop for `metric` reads another table's row, and those values are lost."""
    table, column = (call.table or "").lower(), (call.column or "").lower()
    earlier = checked.before(call)
    for at, other in enumerate(earlier):
        if not _renames(other, table, column) or not other.column:
            continue
        old = other.column.lower()
        since = earlier[at + 1 :]
        filled = any(adds_column(c, table, old) for c in since) and any(
            c.name == "backfill"
            and (c.table or "").lower() in ("", table)
            and (c.column or "").lower() in ("", old)
            for c in since
        )
        return filled and _read_between(checked, other, call, column)
    return False


def _read_between(checked: Checked, rename: Call, drop: Call, column: str) -> bool:
    """Whether the source names the column moved aside between its rename and its
    drop, besides those two: the fill reads it (`row.oldflags`; Letta's new `id`,
    filled with new UUIDs, names no `old_id`, and the old ids are lost)."""
    lines = _source_lines(checked)
    if not lines:
        return False
    last = drop.line
    if last <= rename.line:  # one SQL text: up to the next call's line
        last = _next_line(checked, drop, lines)
    return _times_named(lines, rename.line, last, column) > 2


def _copied_out(checked: Checked, call: Call) -> str | None:
    """The table an `INSERT INTO other (...) SELECT ... c ... FROM t` run as SQL earlier
    in this revision copies the dropped column's values into, every row of `t` (no
    WHERE): invenio-accounts moves the login columns of `accounts_user` into a table of
    their own, ras-collection-instrument the SEFT file columns into `seft_instrument`."""
    table, column = (call.table or "").lower(), (call.column or "").lower()
    if not table or not column:
        return None
    for step in checked.steps_before(call):
        sql = step.sql
        if not isinstance(sql, str) or step.line > call.line or not INSERT_INTO.get().search(sql):
            continue
        for statement in sql.split(";"):
            copy = _copy_of(statement, table)
            if copy is not None and {column, "*"} & copy[1]:
                return copy[0]
    return None


def _copy_of(statement: str, table: str) -> tuple[str, set[str]] | None:
    """The table `statement` copies every row of `table` into, and the names its select
    list holds (lowercased, `*` among them); None where it copies no such rows."""
    parts = insert_select(statement)
    if parts is None:
        return None
    into, select, source = parts
    if source.group(1).lower() != table or into.group(1).lower() == table:
        return None
    if _WHERE_OR_JOIN.get().search(statement, source.end()):
        return None
    listed = statement[select.end() : source.start()].lower()
    return into.group(1), set(_SELECTED.get().findall(listed))


def _copied_message(call: Call, into: str) -> str:
    how = as_written(call, "DROP COLUMN", "drop_column")
    return (
        f"{how} drops column {column_of(call)} after this "
        f"revision copied its values into table {described(into)}: no data is lost, but "
        "the code still running from the previous release that reads the column fails "
        "on it during the deploy"
    )


def _generated_again(call: Call, table: str, column: str) -> bool:
    """Whether `call` adds the column back under its name as one the database computes
    from the row (`ALTER TABLE t ADD c ... GENERATED ALWAYS AS (...)`, run as SQL:
    Tacker's filter columns, dropped and made again from the filter JSON)."""
    if not adds_column(call, table, column) or not isinstance(call.sql, str):
        return False
    return _GENERATED.get().search(call.sql) is not None


def _copied_back(checked: Checked, table: str) -> bool:
    """Whether the revision copies the table's rows aside and back (`INSERT INTO tmp ...
    FROM t`, then `INSERT INTO t ... FROM tmp`: Tracim's rebuild of a table whose CHECK
    SQLite cannot alter), both run as SQL."""
    copies = checked.copies()
    return any(into == table and (source, table) in copies for into, source in copies)


def _renamed_and_copied_back(checked: Checked, call: Call, table: str) -> bool:
    """Whether the dropped table is one this revision renamed another to and copied the
    rows of back into a table under the old name (`ALTER TABLE t RENAME TO t_old`, `t`
    made again, `INSERT INTO t ... SELECT ... FROM t_old`, then `DROP TABLE t_old`:
    pycds rebuilds its history tables so, through a helper that creates `t`)."""
    copies = checked.copies()
    return any(
        other.name == "rename_table"
        and other.table is not None
        and (other.new_table or "").lower() == table
        and (other.table.lower(), table) in copies
        for other in checked.before(call)
    )


def _refilled(checked: Checked, call: Call) -> bool:
    """Whether this revision re-creates the dropped table under its name and then
    inserts rows into it (`op.bulk_insert`, its table that one or not known): rows it
    may have read before the drop (pgAdmin's ac2c2e27dc2d), or new ones."""
    table = (call.table or "").lower()
    later = checked.after(call)
    made = next(
        (i for i, c in enumerate(later) if c.name == "create_table" and _lower(c) == table), None
    )
    if not table or made is None:
        return False
    return any(c.name == "bulk_insert" and _lower(c) in ("", table) for c in later[made:])


def _tool_table(table: str) -> bool:
    return table in _LEFT_TOOL_TABLES or table.startswith(_BATCH_COPY_PREFIX)


def _lower(call: Call) -> str:
    return (call.table or "").lower()


def _message(call: Call) -> str:
    if call.name == "drop_table":
        how = as_written(call, "DROP TABLE", "drop_table")
        what = f"{how} drops table {table_of(call)} and every row in it"
    else:
        how = as_written(call, "DROP COLUMN", "drop_column")
        what = f"{how} drops column {column_of(call)} and its data"
    return (
        f"{what}: the code still running from the previous release fails on it "
        "during the deploy, and the data cannot be brought back by a downgrade"
    )


def _fix(call: Call) -> str:
    thing = "table" if call.name == "drop_table" else "column"
    return (
        f"first release code that no longer uses the {thing}, then drop it in a later "
        f"revision; when that is done, keep the drop and add `{suppress_hint(RULE.code)}`"
    )


check = each_revision(check_revision)
