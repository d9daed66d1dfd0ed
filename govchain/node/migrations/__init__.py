"""Alembic migrations of the data node's store (see :mod:`govchain.node.migrate`)."""
