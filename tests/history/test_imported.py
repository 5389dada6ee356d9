from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alembic_gate.history.imported import Reader
from alembic_gate.history.operations import read_operations


def project(root: Path, files: dict[str, str]) -> str:
    """Write a project's files under `root` (a git work tree's top) and return the path
    of its revision file, `app/migrations/versions/r1.py`."""
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    revision = root / "app/migrations/versions/r1.py"
    revision.parent.mkdir(parents=True, exist_ok=True)
    revision.write_text("")
    return str(revision)


HELPERS = {
    # Mycodo's marker: a line appended to a file
    "app/post.py": """
        from app.config import MARKER

        def write_marker(revision):
            with open(MARKER, "a+") as f:
                f.write("{}\\n".format(revision))
    """,
    "app/config.py": 'MARKER = "/tmp/marker"\n',
    "app/data.py": """
        import sqlalchemy as sa
        from app.db import Creator, db
        from app.ids import make_id

        def backfill(session):
            for user in session.query(User).filter(User.pubid.is_(None)):
                user.pubid = make_id()
            session.commit()

        def fill(conn):
            conn.execute(sa.text("UPDATE users SET n = 0 WHERE n IS NULL"))
            stmt = sa.update(users).where(users.c.n.is_(None)).values(n=0)
            conn.execute(stmt)
            db.session.commit()

        def rebuild(conn):
            conn.execute(sa.text("ALTER TABLE users ADD COLUMN n int"))

        def built(conn, sql):
            conn.execute(sa.text(sql))

        def ddl_inside():
            helper_ddl()

        def helper_ddl():
            op.create_table("t")

        def make_all():
            db.create_all()

        def loop():
            loop()

        def roles(conn):
            Creator.make(conn)
    """,
    "app/db.py": "db = SQLAlchemy()\n\nclass Creator:\n    pass\n",
    "app/ids.py": "import secrets\n\ndef make_id():\n    return secrets.token_hex(6)\n",
    "app/__init__.py": "",
    "app/migrations/versions/helpers.py": (
        "def local_rows(conn):\n    conn.execute('DELETE FROM t')\n"
    ),
    "pkg/mod.py": "def f(conn):\n    conn.execute('UPDATE t SET a = 1')\n",
}


@pytest.mark.parametrize(
    ("origin", "rows_only"),
    [
        (("write_marker", "write_marker", "app.post"), True),
        (("backfill", "backfill", "app.data"), True),  # the ORM, a project function
        (("fill", "fill", "app.data"), True),  # row SQL, Core update, db.session
        (("d.fill", "app.data.fill", "app.data"), True),  # `import app.data as d`
        (("pkg.mod.f", "pkg.mod.f", "pkg.mod"), True),  # `import pkg.mod`
        (("local_rows", "local_rows", ".helpers"), True),  # a relative import
        (("rebuild", "rebuild", "app.data"), False),  # DDL as SQL
        (("built", "built", "app.data"), False),  # SQL known at run time only
        (("ddl_inside", "ddl_inside", "app.data"), False),  # an op.* call, a call away
        (("make_all", "make_all", "app.data"), False),  # metadata's create_all()
        (("roles", "roles", "app.data"), False),  # a class's method: not read
        (("loop", "loop", "app.data"), True),  # recursion ends
        (("missing", "missing", "app.data"), False),  # no such function
        (("f", "f", "elsewhere.mod"), False),  # a library's, or a module not found
    ],
)
def test_what_an_imported_function_changes(
    tmp_path: Path, origin: tuple[str, str, str], rows_only: bool
) -> None:
    revision = project(tmp_path, HELPERS)
    assert Reader().changes_no_schema(origin, revision) is rows_only


def test_modules_are_looked_up_no_higher_than_the_work_tree(tmp_path: Path) -> None:
    # a module beside the work tree (above its top) is not the project's
    (tmp_path / "app").mkdir()
    (tmp_path / "app/post.py").write_text("def write_marker(r):\n    pass\n")
    revision = project(tmp_path / "repo", {"app/__init__.py": ""})
    assert not Reader().changes_no_schema(("write_marker", "write_marker", "app.post"), revision)


def test_a_file_that_does_not_parse_is_not_read(tmp_path: Path) -> None:
    revision = project(tmp_path, {"app/post.py": "def write_marker(:\n"})
    assert not Reader().changes_no_schema(("write_marker", "write_marker", "app.post"), revision)


def test_the_calls_a_function_makes_on_what_it_is_handed(tmp_path: Path) -> None:
    """CloudKitty's `create_common_tables(batch_op)`: the function's op.* calls, read
    with its parameters bound to the batch's table, `op` and the strings it is given
    (by position or keyword), at the revision's line and under its conditions."""
    revision = project(
        tmp_path,
        {
            "app/common.py": """
                import sqlalchemy as sa

                def add_common(batch_op, flag="flag"):
                    batch_op.add_column(sa.Column("created_by", sa.String(32), nullable=False))
                    batch_op.add_column(sa.Column(flag, sa.Boolean()))

                def drop(o, table):
                    o.drop_column(table, "legacy")
            """,
        },
    )
    source = textwrap.dedent(
        """
        from alembic import op
        from app.common import add_common, drop

        def upgrade():
            with op.batch_alter_table("users") as batch_op:
                add_common(flag="active", batch_op=batch_op)
            if op.get_bind().dialect.name == "mysql":
                drop(op, "accounts")
            drop(None, "nothing")  # handed neither: no step to read
        """
    )
    steps = [s for s in read_operations(source).upgrade.steps if s.name == "foreign"]
    assert [(s.line, s.table, bool(s.options)) for s in steps] == [
        (7, "users", True),
        (9, None, True),
        (10, None, False),
    ]
    reader = Reader()
    added = reader.schema_calls(steps[0], revision)
    assert [(c.name, c.line, c.table, c.column) for c in added] == [
        ("add_column", 7, "users", "created_by"),
        ("add_column", 7, "users", "active"),
    ]
    [dropped] = reader.schema_calls(steps[1], revision)
    assert (dropped.table, dropped.column, dropped.dialects) == ("accounts", "legacy", ("mysql",))
    assert reader.schema_calls(steps[2], revision) == []
