"""a team without a name

Revision ID: c7c1e0000002
Revises: c7c1e0000001
Create Date: 2024-06-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "c7c1e0000002"
down_revision: Union[str, Sequence[str], None] = "c7c1e0000001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=50), nullable=True)
    teams = sa.table("teams", sa.column("name", sa.String(length=50)))
    op.bulk_insert(teams, [{"name": None}])


def downgrade() -> None:
    # Lossy: the team this revision inserted has no name, so NOT NULL fails on it.
    with op.batch_alter_table("teams") as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=50), nullable=False)
