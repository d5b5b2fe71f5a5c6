"""The Alembic environment shared by every service; the service passes its metadata and URL."""

from alembic import context

from services.chassis.db import make_engine
from services.chassis.migrations import COMPARE_OPTIONS

config = context.config
metadata = config.attributes["target_metadata"]
engine = make_engine(config.attributes["database_url"])



def _no_empty_revision(_context, _revision, directives) -> None:
    """``makemigration`` with nothing to change writes no file."""
    script = directives[0]
    if config.attributes.get("skip_empty") and script.upgrade_ops.is_empty():
        directives[:] = []
        print("no changes: the database already matches the models")


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        process_revision_directives=_no_empty_revision,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        **COMPARE_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
