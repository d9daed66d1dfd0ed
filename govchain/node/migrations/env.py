"""Alembic's environment for the node's store: run on the connection :mod:`govchain.node.migrate`
hands over (``config.attributes["connection"]``); no alembic.ini, no URL of its own."""

from __future__ import annotations

from alembic import context

from govchain.node.store import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
