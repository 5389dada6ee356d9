"""Small revision histories written to tmp_path, and the graph rules run on them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from alembic_gate.findings import Finding
from alembic_gate.history.graph import RevisionGraph
from alembic_gate.history.revisions import read_revision
from alembic_gate.rules import LintContext
from alembic_gate.setup.discovery import AlembicSetup

Ids = str | Sequence[str] | None

TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {revises}
Create Date: 2024-05-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade():
    pass


def downgrade():
    pass
'''


def revision_text(
    revision: str, down: Ids = None, labels: Ids = None, depends: Ids = None, message: str = "m"
) -> str:
    parents = (down,) if isinstance(down, str) else tuple(down or ())
    return TEMPLATE.format(
        message=message,
        revision=revision,
        revises=", ".join(parents),
        down=down,
        labels=labels,
        depends=depends,
    )


class History:
    """A versions folder in tmp_path that rules can be run on."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions = root / "versions"
        self.versions.mkdir()

    def add(
        self,
        revision: str,
        down: Ids = None,
        labels: Ids = None,
        depends: Ids = None,
        name: str | None = None,
    ) -> str:
        """Write a revision file; returns its display path."""
        return self.write(
            name or f"{revision}_m.py", revision_text(revision, down, labels, depends)
        )

    def write(self, name: str, text: str | bytes) -> str:
        path = self.versions / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return f"versions/{name}"

    def graph(self) -> RevisionGraph:
        files = sorted(self.versions.glob("*.py"))
        return RevisionGraph.build([read_revision(path, self.root) for path in files])

    def context(
        self, setup: AlembicSetup | None = None, sourceless: tuple[str, ...] = ()
    ) -> LintContext:
        setup = setup or AlembicSetup(None, "alembic", None, (str(self.versions),))
        return LintContext(setup, self.graph(), str(self.root), sourceless=sourceless)

    def run(
        self,
        check: Callable[[LintContext], Iterator[Finding]],
        setup: AlembicSetup | None = None,
        sourceless: tuple[str, ...] = (),
    ) -> list[Finding]:
        return list(check(self.context(setup, sourceless)))


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path)
