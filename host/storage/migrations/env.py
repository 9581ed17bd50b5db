"""Alembic environment: always run from :func:`branchq.host.storage.store.migrate` with a connection."""

from alembic import context

from branchq.host.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
