"""add user email

Revision ID: c9e2b7d41a05
Revises: 7a3d5e8c2f40
Create Date: 2024-05-04 10:00:00.000000

"""
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "c9e2b7d41a05"
down_revision: Union[str, Sequence[str], None] = "7a3d5e8c2f40"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Connections the revision keeps open (as an app's session would) for the whole run.
HELD = []


def upgrade() -> None:
    # As Apache Airflow's Flask-AppBuilder revisions do (the web app's session): a
    # connection of the revision's own reads users and stays idle in that transaction,
    # so the ALTER below, on env.py's connection, waits for it for good.
    url = op.get_context().config.get_main_option("sqlalchemy.url")
    HELD.append(sa.create_engine(url).connect())
    HELD[-1].execute(sa.text(f"SELECT count(*) FROM {os.environ.get('STUCK_READS', 'users')}"))
    if os.environ.get("STUCK_HOLDER"):  # tests: another process holds users too
        _hold(url, os.environ["STUCK_HOLDER"])
    op.add_column("users", sa.Column("email", sa.String(length=120), nullable=True))
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=False)


def _hold(url: str, how: str) -> None:
    """Start holder.py (another process) and wait until it holds users."""
    holder = Path(__file__).resolve().parents[2] / "holder.py"
    process = subprocess.Popen(
        [sys.executable, str(holder), url, how], stdout=subprocess.PIPE, text=True
    )
    HELD.append(process)
    assert process.stdout.readline().strip() == "held"


def downgrade() -> None:
    op.drop_index(op.f("ix_users_email"), table_name="users")
    op.drop_column("users", "email")
