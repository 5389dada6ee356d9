"""Test packages that scripts/test installs and `pip install -e '.[test]'` does not.

mysqlclient (MySQLdb, the driver SQLAlchemy gives a mysql:// URL naming none) has no Linux
wheel: it builds only where the MySQL/MariaDB client headers are, so it is the extra
`mysqlclient` of its own, which scripts/test installs after installing the headers. A
missing one skips its tests on a developer's machine and fails them under CI=true, so CI
never passes by skipping.
"""

from __future__ import annotations

from consumers import missing


def _imports(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# The driver a mysql:// URL naming none gets here: SQLAlchemy's default, mysqldb, where
# mysqlclient is installed, else the first candidate installed (PyMySQL, in `check`).
MYSQL_DEFAULT = "mysqldb" if _imports("MySQLdb") else "pymysql"


def mysqlclient() -> None:
    """Skip (fail under CI=true) unless MySQLdb imports, its C extension included."""
    if not _imports("MySQLdb"):
        missing("mysqlclient (MySQLdb)")
