# -*- coding: latin-1 -*-
"""add person city (Zürich, Genève)

Revision ID: 6f7a8b9c0d1e
Revises: 5e6f7a8b9c0d
Create Date: 2026-12-01 15:23:51.212888

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6f7a8b9c0d1e'
down_revision: Union[str, Sequence[str], None] = '5e6f7a8b9c0d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Default for rows that exist: "Genève" (written in latin-1, as the coding line says).
    op.add_column(
        "person", sa.Column("city", sa.String(length=100), server_default="Genève", nullable=False)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("person", "city")
