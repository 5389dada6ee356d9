"""What AG106 says of a VARCHAR widened on MySQL happens on a real MariaDB: InnoDB widens it
in place (ALGORITHM=INPLACE) exactly where the length keeps the bytes it is stored with, and
those are the changes the rule does not report. (MariaDB also widens in place a VARCHAR of
at most 127 bytes to any length, as its values then keep a one-byte length: `VARCHAR(32)`
utf8mb3 to 100. MySQL does not, and the rule judges by MySQL's rule, so those cases are
not among these.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from alembic_gate.rules.ag106_column_type_change import check

from .ag1xx_helpers import CREATE_MYSQL_USERS, add
from .conftest import History

pytestmark = pytest.mark.mariadb

SERVER = "mysql+pymysql://root@127.0.0.1:3306/test"


@pytest.fixture
def connection() -> Iterator[sa.Connection]:
    engine = sa.create_engine(SERVER)
    try:
        with engine.connect() as conn:
            yield conn
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no local MariaDB: {exc}")
    finally:
        engine.dispose()


def widened_in_place(conn: sa.Connection, charsets: tuple[str, str], old: int, new: int) -> bool:
    """Whether MariaDB widens a VARCHAR(old) of the first character set holding a row to
    VARCHAR(new) of the second with ALGORITHM=INPLACE (it refuses where only a copy of
    the table can do it)."""
    table = f"ag106_{uuid.uuid4().hex[:10]}"
    before, after = (
        f"VARCHAR({length}) CHARACTER SET {charset}"
        for length, charset in zip((old, new), charsets, strict=True)
    )
    conn.exec_driver_sql(f"CREATE TABLE {table} (id INT PRIMARY KEY, name {before}) ENGINE=InnoDB")
    try:
        conn.exec_driver_sql(f"INSERT INTO {table} VALUES (1, 'ann')")
        alter = f"ALTER TABLE {table} MODIFY name {after}"
        try:
            conn.exec_driver_sql(f"{alter}, ALGORITHM=INPLACE, LOCK=NONE")
        except sa.exc.DBAPIError as exc:
            assert "ALGORITHM=INPLACE is not supported" in str(exc)
            return False
        return True
    finally:
        conn.exec_driver_sql(f"DROP TABLE {table}")


LATIN1 = ("latin1", "latin1_swedish_ci")
UTF8MB4 = ("utf8mb4", "utf8mb4_unicode_ci")
UTF8MB3 = ("utf8mb3", "utf8mb3_general_ci")


@pytest.mark.parametrize(
    ("before", "after", "old", "new"),
    [
        (LATIN1, LATIN1, 32, 80),
        (LATIN1, LATIN1, 200, 300),
        (UTF8MB4, UTF8MB4, 32, 60),
        (UTF8MB4, UTF8MB4, 32, 80),
        (UTF8MB3, UTF8MB3, 32, 80),
        (UTF8MB3, UTF8MB3, 50, 100),
        (UTF8MB4, UTF8MB4, 100, 300),
        (LATIN1, UTF8MB4, 300, 400),  # two length bytes both, but another character set
    ],
)
def test_a_widening_is_reported_where_mariadb_copies_the_table(
    connection: sa.Connection,
    history: History,
    before: tuple[str, str],
    after: tuple[str, str],
    old: int,
    new: int,
) -> None:
    in_place = widened_in_place(connection, (before[0], after[0]), old, new)
    add(history, "a1", None, CREATE_MYSQL_USERS)
    add(
        history,
        "b2",
        "a1",
        f'op.alter_column("users", "name", '
        f'existing_type=mysql.VARCHAR({old}, collation="{before[1]}"), '
        f'type_=mysql.VARCHAR({new}, collation="{after[1]}"))',
    )
    assert bool(history.run(check)) is not in_place
