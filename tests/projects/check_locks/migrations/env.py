from logging.config import fileConfig

from sqlalchemy import engine_from_config
from sqlalchemy import pool
from sqlalchemy import text

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
from models import Base

target_metadata = Base.metadata

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    How lock_timeout is set (-x lock_timeout=...): not at all (the default), in the
    connection's options, for the session, or with SET LOCAL in the migrations'
    transaction. -x transaction=own: env.py begins the transaction itself;
    -x transaction=per_migration: alembic's transaction_per_migration.
    """
    x_args = context.get_x_argument(as_dictionary=True)
    lock_timeout = x_args.get("lock_timeout")
    extra = {}
    if lock_timeout == "options":
        extra["connect_args"] = {"options": "-c lock_timeout=5s"}
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
        **extra,
    )

    with connectable.connect() as connection:
        if lock_timeout == "session":
            connection.execute(text("SET lock_timeout = '5s'"))
            connection.commit()
        if x_args.get("transaction") == "own":
            with connection.begin():
                context.configure(
                    connection=connection, target_metadata=target_metadata
                )
                with context.begin_transaction():
                    context.run_migrations()
            return

        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=x_args.get("transaction") == "per_migration",
        )

        with context.begin_transaction():
            if lock_timeout == "local":
                context.execute("SET LOCAL lock_timeout = '5s'")
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
