"""locate: finding lines in project files never fails on a file Python cannot parse."""

from __future__ import annotations

import os
import py_compile
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_gate.check import locate

from .conftest import Run, edit, line_of


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "-" * 5000 + "1\n",  # nested past the parser's limit: RecursionError
        "x = " + "not " * 10000 + "1\n",  # more than it can hold: MemoryError
        "x = 1\x00\n",  # a NUL byte: ValueError
    ],
)
def test_a_file_python_cannot_parse_has_no_tree(tmp_path: Path, source: str) -> None:
    # check locates AG901/AG903 findings in the files alembic ran, which may be any of
    # these (alembic failing on them is what AG901 reports): they were a traceback
    path = tmp_path / "a.py"
    path.write_text(source, encoding="utf-8")
    assert locate.tree(str(path)) is None
    assert locate._assigned_in_body("class A:\n    x = " + "-" * 5000 + "1\n", "x") is None


# AG902 at the line where the difference lives: check runs for real on SQLite files.

Project = Callable[[str], Path]
Check = Callable[..., Run]
USERS_REVISION = "migrations/versions/4f1c2a9e0b11_create_users.py"


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _database(request: pytest.FixtureRequest, name: str) -> list[str]:
    """check's arguments for a SQLite file or a scratch database on the local PostgreSQL."""
    if name == "sqlite":
        return ["--db", "sqlite"]
    return ["--database-url", request.getfixturevalue("postgres_url")]


def _places(run: Run) -> dict[str, tuple[str, int]]:
    return {f["message"]: (f["path"], f["line"]) for f in run.findings if f["code"] == "AG902"}


DECLARED = """
class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint(
            "name",
            "email",
            name="uq_users_name_email",
        ),
        Index("ix_users_email_name", "email", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(
        String(50),
        index=True,
    )
    email: Mapped[str | None] = mapped_column(String(120), index=True)
"""


@pytest.mark.parametrize("database", DATABASES)
def test_an_index_or_constraint_is_placed_at_its_declaration(
    project: Project, check: Check, request: pytest.FixtureRequest, database: str
) -> None:
    """Not the class line: the Index(...), UniqueConstraint(...) of __table_args__, the
    `index=True` of a column written over lines, and an Index(...) after the class."""
    root = project("generic")
    models = root / "models.py"
    edit(models, "import ForeignKey, String", "import ForeignKey, Index, String, UniqueConstraint")
    start = models.read_text(encoding="utf-8").index("\nclass User(Base):")
    end = models.read_text(encoding="utf-8").index("\nclass Post(Base):")
    text = models.read_text(encoding="utf-8")
    text = text[:start] + DECLARED + text[end:]
    text += '\n\nIndex("ix_posts_user_title", Post.user_id, Post.title)\n'
    models.write_text(text, encoding="utf-8")
    run = check(*_database(request, database), "--format", "json")
    assert run.code == 1
    places = {message.split(" is ")[0]: place for message, place in _places(run).items()}
    assert places == {
        "unique constraint uq_users_name_email on users(name, email)": (
            "models.py",
            line_of(models, "UniqueConstraint("),
        ),
        "index ix_users_email_name on users(email, name)": (
            "models.py",
            line_of(models, 'Index("ix_users_email_name"'),
        ),
        "index ix_users_name on users(name)": ("models.py", line_of(models, "index=True,")),
        "index ix_posts_user_title on posts(user_id, title)": (
            "models.py",
            line_of(models, 'Index("ix_posts_user_title"'),
        ),
    }


def _installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, models: str) -> Path:
    """A package `name` installed in a site-packages folder outside the project (on
    PYTHONPATH, which check's worker inherits), its `models` as `name/models.py`."""
    package = tmp_path / "venv/lib/python3/site-packages" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "models.py").write_text(models, encoding="utf-8")
    paths = [str(package.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    return package


SITE_MODELS = '''"""Models of an installed package."""

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(120), index=True)
    nickname: Mapped[str | None] = mapped_column(String(40))
'''


def test_models_of_an_installed_package_are_placed_at_the_projects_import(
    project: Project, check: Check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path outside the project is no place for a finding (SARIF and GitLab need one in
    the project): the env.py line that imports the models, the package's file named."""
    root = project("generic")
    package = _installed(tmp_path, monkeypatch, "shopmodels", SITE_MODELS)
    env_py = root / "migrations/env.py"
    edit(env_py, "from models import Base\n", "from shopmodels.models import Base\n")
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    nickname = "column users.nickname is in the models but not in the migrated database"
    place = ("migrations/env.py", line_of(env_py, "from shopmodels.models import Base"))
    found = _places(run)
    line = line_of(package / "models.py", "nickname:")
    where = f"(declared in shopmodels/models.py:{line}, outside the project)"
    assert found[f"{nickname} {where}"] == place
    assert not [path for path, _ in found.values() if path.startswith("/")]


SITE_MIXIN = '''"""Columns an installed package gives the project's models."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class Nicknamed:
    nickname: Mapped[str | None] = mapped_column(String(40))
'''


def test_a_column_of_an_installed_mixin_is_placed_at_the_projects_class(
    project: Project, check: Check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the project's import of the package: the class whose table lacks the column,
    the mixin's file named."""
    root = project("drift")
    package = _installed(tmp_path, monkeypatch, "shopmixins", SITE_MIXIN)
    models = root / "models.py"
    edit(models, "\nclass Base(", "from shopmixins.models import Nicknamed\n\n\nclass Base(")
    edit(models, "class User(Base):", "class User(Nicknamed, Base):")
    edit(models, "    nickname: Mapped[str | None] = mapped_column(String(40))\n", "")
    run = check("--db", "sqlite", "--format", "json")
    line = line_of(package / "models.py", "nickname:")
    nickname = (
        "column users.nickname is in the models but not in the migrated database "
        f"(declared in shopmixins/models.py:{line}, outside the project)"
    )
    assert _places(run)[nickname] == ("models.py", line_of(models, "class User("))


@pytest.mark.parametrize("database", DATABASES)
def test_a_table_only_the_database_has_is_placed_at_its_create_table(
    project: Project, check: Check, request: pytest.FixtureRequest, database: str
) -> None:
    """Not the revision's `def upgrade` line (nor nowhere, for one made by SQL text)."""
    root = project("generic")
    revision = root / USERS_REVISION
    legacy = (
        '\n    op.create_table(\n        "legacy",\n'
        '        sa.Column("id", sa.Integer(), primary_key=True),\n    )\n'
        '    op.execute("CREATE TABLE raw_legacy (id INTEGER PRIMARY KEY)")\n'
    )
    edit(
        revision,
        '        sa.PrimaryKeyConstraint("id"),\n    )\n',
        '        sa.PrimaryKeyConstraint("id"),\n    )\n' + legacy,
    )
    run = check(*_database(request, database), "--format", "json")
    assert _places(run) == {
        "table legacy is in the migrated database but not in the models": (
            USERS_REVISION,
            line_of(revision, '"legacy"') - 1,
        ),
        "table raw_legacy is in the migrated database but not in the models": (
            USERS_REVISION,
            line_of(revision, "CREATE TABLE raw_legacy"),
        ),
    }


@pytest.mark.parametrize("database", DATABASES)
def test_an_index_only_the_database_has_is_placed_where_a_revision_made_it(
    project: Project, check: Check, request: pytest.FixtureRequest, database: str
) -> None:
    """On a table the models lack, an index is no column of theirs: its create_index
    (or the SQL that made it), not nowhere (AgriConnect's 14, SQLBot's 2)."""
    root = project("generic")
    revision = root / USERS_REVISION
    legacy = (
        '\n    op.create_table(\n        "legacy",\n'
        '        sa.Column("id", sa.Integer(), primary_key=True),\n'
        '        sa.Column("code", sa.String(10)),\n    )\n'
        '    op.create_index("ix_legacy_code", "legacy", ["code"])\n'
        '    op.execute("CREATE INDEX ix_legacy_both ON legacy (code, id)")\n'
    )
    edit(
        revision,
        '        sa.PrimaryKeyConstraint("id"),\n    )\n',
        '        sa.PrimaryKeyConstraint("id"),\n    )\n' + legacy,
    )
    run = check(*_database(request, database), "--format", "json")
    extra = "is in the migrated database but not in the models"
    assert _places(run) == {
        f"table legacy {extra}": (USERS_REVISION, line_of(revision, '"legacy"') - 1),
        f"index ix_legacy_code on legacy(code) {extra}": (
            USERS_REVISION,
            line_of(revision, '"ix_legacy_code"'),
        ),
        f"index ix_legacy_both on legacy(code, id) {extra}": (
            USERS_REVISION,
            line_of(revision, "CREATE INDEX ix_legacy_both"),
        ),
    }


def test_models_of_a_package_without_source_are_placed_at_the_projects_import(
    project: Project, check: Check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package installed as compiled modules only (.pyc, or Cython's .so: SQLBot's
    sqlbot-xpack): no line of the class to read, so the env.py line importing it, not
    nowhere."""
    root = project("generic")
    package = _installed(tmp_path, monkeypatch, "pycmodels", SITE_MODELS)
    py_compile.compile(str(package / "models.py"), cfile=str(package / "models.pyc"))
    (package / "models.py").unlink()
    env_py = root / "migrations/env.py"
    edit(env_py, "from models import Base\n", "from pycmodels.models import Base\n")
    run = check("--db", "sqlite", "--format", "json")
    assert run.code == 1
    nickname = "column users.nickname is in the models but not in the migrated database"
    assert _places(run)[nickname] == (
        "migrations/env.py",
        line_of(env_py, "from pycmodels.models import Base"),
    )
    assert all(f["path"] for f in run.findings), run.findings


@pytest.mark.postgres
def test_a_model_that_spells_out_the_default_schema(
    project: Project, check: Check, postgres_url: str
) -> None:
    """`__table_args__ = {"schema": "public"}` (foi-docreviewer's BCGovIDIRs): alembic
    names the table without a schema, the column is still found in the class."""
    root = project("generic")
    models = root / "models.py"
    models.write_text(
        models.read_text(encoding="utf-8")
        + "\n\nclass Person(Base):\n"
        + '    __tablename__ = "people"\n'
        + '    __table_args__ = {"schema": "public"}\n\n'
        + "    login: Mapped[str] = mapped_column(String(40), primary_key=True)\n",
        encoding="utf-8",
    )
    revision = root / USERS_REVISION
    edit(
        revision,
        '        sa.PrimaryKeyConstraint("id"),\n    )\n',
        '        sa.PrimaryKeyConstraint("id"),\n    )\n'
        '    op.create_table("people", sa.Column("login", sa.Text(), primary_key=True))\n',
    )
    run = check("--database-url", postgres_url, "--format", "json")
    login = "column people.login is TEXT in the migrated database but VARCHAR(40) in the models"
    assert _places(run) == {login: ("models.py", line_of(models, "login: Mapped"))}


CORE = '''"""Core tables, one class mapped onto them imperatively."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import registry

metadata = MetaData()
mapper_registry = registry(metadata=metadata)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "name",
        String(60),
        nullable=False,
    ),
    Column("email", String(120), index=True),
    Column("nickname", String(40)),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column(
        "title",
        String(300),
        nullable=False,
    ),
)


class User:
    """A user (mapped imperatively)."""

    name: str
    nickname: str | None


mapper_registry.map_imperatively(User, users)


class Base:
    metadata = metadata
'''


def test_a_core_column_written_over_lines_is_placed_at_its_name(
    project: Project, check: Check
) -> None:
    """Not the Table's line (posts: no class maps it)."""
    root = project("generic")
    models = root / "models.py"
    models.write_text(CORE, encoding="utf-8")
    run = check("--db", "sqlite", "--format", "json")
    title = (
        "column posts.title is VARCHAR(200) in the migrated database but VARCHAR(300) in the models"
    )
    assert _places(run)[title] == ("models.py", line_of(models, '"title",'))


def test_a_class_mapped_imperatively_is_placed_at_the_tables_column(
    project: Project, check: Check
) -> None:
    """Not at the class's annotations, which declare no column (users: map_imperatively)."""
    root = project("generic")
    models = root / "models.py"
    models.write_text(CORE, encoding="utf-8")
    run = check("--db", "sqlite", "--format", "json")
    found = _places(run)
    name = "column users.name is VARCHAR(50) in the migrated database but VARCHAR(60) in the models"
    nickname = "column users.nickname is in the models but not in the migrated database"
    assert found[name] == ("models.py", line_of(models, '"name",'))
    assert found[nickname] == ("models.py", line_of(models, 'Column("nickname"'))


MIXIN = '''

class Named:
    """Columns every named thing has."""

    @declared_attr
    def nickname(cls) -> Mapped[str | None]:
        return mapped_column(String(40))

'''


def test_a_column_of_a_mixins_declared_attr_is_placed_in_the_mixin(
    project: Project, check: Check
) -> None:
    root = project("drift")
    models = root / "models.py"
    edit(models, "mapped_column\n", "mapped_column, declared_attr\n")
    edit(models, "\nclass User(Base):", MIXIN + "class User(Named, Base):")
    edit(models, "    nickname: Mapped[str | None] = mapped_column(String(40))\n", "")
    run = check("--db", "sqlite", "--format", "json")
    place = _places(run)["column users.nickname is in the models but not in the migrated database"]
    assert place == ("models.py", line_of(models, "def nickname"))


POSTS_REVISION = "migrations/versions/7a3d5e8c2f40_create_posts.py"
FOREIGN_KEY = "foreign key on posts(user_id) referring to users"
# posts.user_id written over lines, its ForeignKey(...) not on the first one.
MAPPED_USER_ID = """    user_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("users.id"),
    )
"""
CORE_USER_ID = """    Column(
        "user_id",
        Integer,
        ForeignKey("users.id"),
        nullable=False,
    ),
"""


@pytest.mark.parametrize("form", ["mapped_column", "Column"])
def test_a_columns_foreign_key_is_placed_at_its_foreign_key_call(
    project: Project, check: Check, form: str
) -> None:
    """Not the column's first line: the `ForeignKey(` the database lacks."""
    root = project("generic")
    models = root / "models.py"
    edit(root / POSTS_REVISION, '        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),\n', "")
    if form == "Column":
        models.write_text(CORE, encoding="utf-8")
        edit(
            models, '    Column("user_id", ForeignKey("users.id"), nullable=False),\n', CORE_USER_ID
        )
    else:
        edit(models, "import ForeignKey, String", "import ForeignKey, Integer, String")
        edit(
            models,
            '    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))\n',
            MAPPED_USER_ID,
        )
    run = check("--db", "sqlite", "--format", "json")
    found = {message.split(" is ")[0]: place for message, place in _places(run).items()}
    assert found[FOREIGN_KEY] == ("models.py", line_of(models, 'ForeignKey("users.id")'))


# posts.user_id given by a mixin's @declared_attr (SQLAlchemy 1.4's form for a foreign key
# on a mixin), its ForeignKey(...) and index=True inside the column the method returns.
OWNED = """

class Owned:
    \"\"\"The column of everything a user owns.\"\"\"

    @declared_attr
    def user_id(cls):
        return Column(
            Integer,
            ForeignKey("users.id"),
            index=True,
            nullable=False,
        )

"""


def test_a_declared_attrs_foreign_key_and_index_are_placed_in_its_column(
    project: Project, check: Check
) -> None:
    """Not the method's `def` line: the `ForeignKey(` and `index=True` of the `Column(`
    it returns."""
    root = project("generic")
    models = root / "models.py"
    edit(root / POSTS_REVISION, '        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),\n', "")
    edit(models, "import ForeignKey, String", "import Column, ForeignKey, Integer, String")
    edit(models, "mapped_column\n", "mapped_column, declared_attr\n")
    edit(models, "\nclass Post(Base):", OWNED + "class Post(Owned, Base):")
    edit(models, '    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))\n', "")
    run = check("--db", "sqlite", "--format", "json")
    found = {message.split(" is ")[0]: place for message, place in _places(run).items()}
    assert found[FOREIGN_KEY] == ("models.py", line_of(models, 'ForeignKey("users.id")'))
    assert found["index ix_posts_user_id on posts(user_id)"] == (
        "models.py",
        line_of(models, "index=True,"),
    )


# posts.user_id refers to users and to accounts, each ForeignKey(...) naming a class's
# attribute; the database has the one to users only.
ACCOUNT = """

class Account(Base):
    __tablename__ = "accounts"

    number: Mapped[int] = mapped_column("id", primary_key=True)

"""
TWO_KEYS = """    user_id: Mapped[int] = mapped_column(
        ForeignKey(User.id),
        ForeignKey(Account.number),
    )
"""


def test_a_foreign_key_naming_a_class_attribute_is_placed_at_its_own_call(
    project: Project, check: Check
) -> None:
    """Of a column's several `ForeignKey(...)`, the one whose class's `__tablename__` and
    column are the key's target, not the column's first."""
    root = project("generic")
    models = root / "models.py"
    edit(models, "\nclass Post(Base):", ACCOUNT + "class Post(Base):")
    edit(models, '    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))\n', TWO_KEYS)
    run = check("--db", "sqlite", "--format", "json")
    found = {message.split(" is ")[0]: place for message, place in _places(run).items()}
    accounts = "foreign key on posts(user_id) referring to accounts"
    assert found[accounts] == ("models.py", line_of(models, "ForeignKey(Account.number)"))


def test_a_create_table_without_schema_is_not_another_schemas_table(tmp_path: Path) -> None:
    """audit.items was created by the older revision naming its schema; the newer one
    creates the default schema's items."""
    older, newer = tmp_path / "a1.py", tmp_path / "p2.py"
    body = 'def upgrade():\n    op.create_table("items", sa.Column("id", sa.Integer){})\n'
    older.write_text(body.format(', schema="audit"'), encoding="utf-8")
    newer.write_text(body.format(""), encoding="utf-8")
    revisions = [str(newer), str(older)]
    assert locate.table_created_at(revisions, "items", "audit") == (str(older), 2)
    assert locate.table_created_at(revisions, "items", None) == (str(newer), 2)
