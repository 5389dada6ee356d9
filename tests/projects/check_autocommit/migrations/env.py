"""env.py that runs every statement in autocommit mode, as Flask-Migrate projects do
that "commit to the database after every migration step" (the connection's isolation
level is AUTOCOMMIT): a migration may then catch a failing statement and go on.
-x autocommit=no: alembic's transaction, which such a statement aborts."""

from logging.config import fileConfig

from sqlalchemy import engine_from_config
from sqlalchemy import pool

from alembic import context

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name)

from models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )

    with connectable.connect() as connection:
        if context.get_x_argument(as_dictionary=True).get("autocommit") != "no":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        context.configure(connection=connection, target_metadata=target_metadata)

        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
