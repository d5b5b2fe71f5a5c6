"""The Alembic environment shared by every service; the service passes its metadata and URL."""

from alembic import context

from services.chassis.db import make_engine

config = context.config
metadata = config.attributes["target_metadata"]
engine = make_engine(config.attributes["database_url"])

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
