"""Which driver a URL gets: the project's own, else SQLAlchemy's default, else the first
installed candidate (with this environment's SQLAlchemy and drivers)."""

from __future__ import annotations

import importlib.util

import consumers
import pytest
from sqlalchemy.engine import make_url

from alembic_gate.shared.drivers import choose, timeout_args

TARGET = "postgresql://u@h:5432/d"


def _chosen(url: str, is_async: bool = False, configured: str | None = None) -> str:
    own = make_url(configured) if configured is not None else None
    return choose(make_url(url), is_async, own).drivername


def _needs(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")


def test_the_driver_the_project_names_is_used() -> None:
    _needs("psycopg", "psycopg2")
    # psycopg 3 is installed and would come first: the project's alembic uses psycopg2.
    assert _chosen(TARGET, configured="postgresql+psycopg2://app@db/app") == "postgresql+psycopg2"
    assert _chosen(TARGET, configured="postgresql+psycopg://app@db/app") == "postgresql+psycopg"
    # Heroku-style names on either side.
    assert _chosen("postgres://u@h/d", configured="postgres+psycopg2://app@db/app") == (
        "postgresql+psycopg2"
    )
    # MySQL and MariaDB URLs take each other's drivers, the URL's backend is kept.
    assert _chosen("mysql://u@h/d", configured="mariadb+pymysql://app@db/app") == "mysql+pymysql"


def test_the_project_driver_in_an_async_env_py() -> None:
    _needs("psycopg", "psycopg2")
    # The async dialect of the driver named (as create_async_engine finds it).
    assert _chosen(TARGET, True, "postgresql+psycopg://app@db/app") == "postgresql+psycopg_async"
    # psycopg2 has no async dialect: the async candidates then.
    assert _chosen(TARGET, True, "postgresql+psycopg2://app@db/app") == _chosen(TARGET, True)


@pytest.mark.parametrize(
    "configured",
    [
        "driver://user:pass@localhost/dbname",  # alembic's template placeholder
        "postgresql://app@db/app",  # names no driver
        "postgresql+nosuch://app@db/app",  # no such dialect
        "sqlite+pysqlite:///app.db",  # another engine
        "postgresql+psycopg_async://app@db/app",  # async, for a synchronous env.py
    ],
)
def test_a_project_url_naming_no_usable_driver_is_passed_over(configured: str) -> None:
    assert _chosen(TARGET, configured=configured) == _chosen(TARGET)


def test_a_project_driver_that_is_not_installed_is_passed_over() -> None:
    # psycopg2cffi: a driver SQLAlchemy knows that no environment here installs (pg8000,
    # which this test named before, is in the test extras now).
    assert importlib.util.find_spec("psycopg2cffi") is None
    configured = "postgresql+psycopg2cffi://app@db/app"
    assert _chosen(TARGET, configured=configured) == _chosen(TARGET)


def test_a_driver_the_url_names_wins() -> None:
    _needs("psycopg", "psycopg2")
    assert _chosen("postgresql+psycopg://u@h/d", configured="postgresql+psycopg2://a@b/c") == (
        "postgresql+psycopg"
    )


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_sqlalchemys_own_default_comes_first_when_installed(backend: str) -> None:
    # SQLAlchemy 1.4 and 2.0 give postgresql:// psycopg2, 2.1 psycopg; mysql:// mysqldb.
    # scripts/test installs both (mysqldb with the `mysqlclient` extra): CI never skips.
    default = make_url(f"{backend}://").get_dialect()
    try:
        (getattr(default, "import_dbapi", None) or default.dbapi)()
    except ImportError:
        consumers.missing(f"{backend}'s default driver {default.driver}")
    assert _chosen(f"{backend}://u@h/d") == f"{backend}+{default.driver}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://h/d", {"connect_timeout": 4}),
        ("postgresql+psycopg2://h/d", {"connect_timeout": 4}),
        # PyMySQL's connect_timeout ends at the TCP connect: the greeting is a read.
        ("mysql+pymysql://h/d", {"connect_timeout": 4, "read_timeout": 4, "write_timeout": 4}),
        # libmysqlclient's connect_timeout bounds the greeting too; read and write
        # timeouts bound a server that stops answering later, as PyMySQL's do.
        ("mysql+mysqldb://h/d", {"connect_timeout": 4, "read_timeout": 4, "write_timeout": 4}),
        # mysql-connector's own name (connect_timeout is its alias for other drivers' URLs).
        ("mysql+mysqlconnector://h/d", {"connection_timeout": 4}),
        # MariaDB Connector/Python: the same three as PyMySQL's (a read bounds a query).
        (
            "mariadb+mariadbconnector://h/d",
            {"connect_timeout": 4, "read_timeout": 4, "write_timeout": 4},
        ),
        ("sqlite:///x.db", {}),
        ("postgresql+pg8000://h/d", {}),
    ],
)
def test_timeout_args_name_each_drivers_own_options(url: str, expected: dict[str, int]) -> None:
    assert timeout_args(make_url(url), 3.2) == expected


def test_timeout_args_round_up_to_what_the_driver_takes() -> None:
    assert timeout_args(make_url("postgresql+psycopg://h/d"), 0.5) == {"connect_timeout": 2}
    assert timeout_args(make_url("mysql+mysqldb://h/d"), 0.5) == dict.fromkeys(
        ("connect_timeout", "read_timeout", "write_timeout"), 1
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://h/d?connect_timeout=60", {}),
        ("mysql+pymysql://h/d?read_timeout=60", {"connect_timeout": 4, "write_timeout": 4}),
        ("mysql+mysqldb://h/d?connect_timeout=60", {"read_timeout": 4, "write_timeout": 4}),
        # Either name of mysql-connector's option is the user's choice.
        ("mysql+mysqlconnector://h/d?connect_timeout=60", {}),
        ("mysql+mysqlconnector://h/d?connection_timeout=60", {}),
    ],
)
def test_timeout_args_leave_an_option_the_url_sets(url: str, expected: dict[str, int]) -> None:
    assert timeout_args(make_url(url), 4) == expected
