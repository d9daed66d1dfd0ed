"""Fault-injection fixtures: the sharing deployment and chain readers of the data-node tests.

Each test owns its store (a SQLite file in tmp_path) and its fresh keys; chain state is
reverted after each test by ape's isolation.
"""

from __future__ import annotations

from tests.node.conftest import (  # noqa: F401 (fixtures)
    addresses,
    civil_staff,
    hrss,
    now,
    reader,
    rpc_url,
    w3,
)
from tests.sharing.conftest import catalog, cats, grants, registry  # noqa: F401 (fixtures)
