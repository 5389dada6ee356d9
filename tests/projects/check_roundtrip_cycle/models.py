"""The application's models (what `alembic check` compares the migrated schema with), in
SQLAlchemy 1.4's style, which 2.x reads too: teams and players reference each other."""

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Team(Base):
    __tablename__ = "teams"

    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    captain_id = Column(Integer, ForeignKey("players.id", name="fk_teams_captain"))


class Player(Base):
    __tablename__ = "players"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", name="fk_players_team"), nullable=False)
    name = Column(String(50), nullable=False)
