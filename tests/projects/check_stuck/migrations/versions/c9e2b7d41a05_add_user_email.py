"""add user email

Revision ID: c9e2b7d41a05
Revises: 7a3d5e8c2f40
Create Date: 2024-05-04 10:00:00.000000

"""
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
    HELD[-1].execute(sa.text("SELECT count(*) FROM users"))
    op.add_column("users", sa.Column("email", sa.String(length=120), nullable=True))
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_email"), table_name="users")
    op.drop_column("users", "email")
