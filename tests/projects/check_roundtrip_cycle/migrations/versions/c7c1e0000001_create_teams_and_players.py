"""create teams and players, which reference each other

Revision ID: c7c1e0000001
Revises:
Create Date: 2024-06-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "c7c1e0000001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("captain_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "players",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_players_team"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("teams") as batch_op:
        batch_op.create_foreign_key("fk_teams_captain", "players", ["captain_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch_op:
        batch_op.drop_constraint("fk_teams_captain", type_="foreignkey")
    op.drop_table("players")
    op.drop_table("teams")
