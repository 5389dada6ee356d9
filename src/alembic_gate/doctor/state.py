"""What doctor read from a database: its version rows and its tables."""

from __future__ import annotations

from collections.abc import Mapping

from alembic_gate.shared.records import field, record


@record(frozen=True)
class DatabaseState:
    """One database's Alembic state, as read (read-only) by `read_state`."""

    # The URL with its password masked: safe to print.
    url: str
    # SQLAlchemy's dialect name: "postgresql", "mysql", "mariadb", "sqlite", ...
    dialect: str
    version_table: str
    version_table_schema: str | None
    has_version_table: bool
    # The version table's rows: the revisions alembic considers the database's heads.
    versions: tuple[str, ...]
    # Tables of the default schema (the version table left out) -> their column names,
    # all lower case.
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # How the connection was kept read-only, for the report ("SQLite mode=ro").
    read_only: str = ""
    # Whether the version table was found in a schema no flag nor literal named.
    found_in_schema: bool = False
    # Whether the version table was found by its shape, env.py naming it with an
    # expression (`version_table` is then the table found).
    found_by_shape: bool = False
    # With no version table: the tables of the schema read shaped as one (a single
    # string column, version_num), which --version-table would read.
    lookalikes: tuple[str, ...] = ()
    # The schema read by default ("public" on PostgreSQL unless the server says other).
    default_schema: str | None = None
    # With no version row and no table in the default schema: the other schemas holding
    # tables -> their tables' names (PostgreSQL).
    elsewhere: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def version_table_name(self) -> str:
        if self.version_table_schema:
            return f"{self.version_table_schema}.{self.version_table}"
        return self.version_table
