"""Event indexer: every event of govchain's contracts in SQL, queried in milliseconds.

from govchain.indexer import Indexer, RpcLogSource, contracts_from_manifest, open_database
engine = open_database("index.db")                # or "postgresql://user@host/db"
watched = contracts_from_manifest({"DepartmentRegistry": address}, start_blocks=deploy_block)
indexer = Indexer(engine, RpcLogSource(rpc_url), watched, step=2000, confirmations=2)
indexer.sync()                                    # or indexer.follow(poll_interval=2.0)
access_by_subject(engine, citizen_address)
"""

# The names below are imported on first use (PEP 562): ``govchain.indexer.abi`` is what the
# audits, the data node and the CLI read events with, and importing it runs this file; loading
# SQLAlchemy, the schema and the sync loop with it cost every such command ~0.2 s (issue 20).
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govchain.indexer.abi import ABI, EventSpec, load_abis
    from govchain.indexer.columns import ARG_OVERRIDES, COLUMN_ARGS, ColumnPlan
    from govchain.indexer.errors import (
        ArtifactsMissing,
        IndexerError,
        ReorgDetected,
        RpcError,
        TooManyResults,
    )
    from govchain.indexer.queries import (
        QUERY_EVENTS,
        AttestationRow,
        EventRow,
        GrantRow,
        access_by_department,
        access_by_grant,
        access_by_subject,
        anchors_by_department,
        attestations_by_subject,
        chains_held,
        department_code,
        events_of,
        grants_by_subject,
        open_cases_by_department,
    )
    from govchain.indexer.schema import database_url, metadata, open_database
    from govchain.indexer.source import LogSource, RpcLogSource
    from govchain.indexer.sync import (
        UNKNOWN_EVENT,
        Indexer,
        SyncReport,
        WatchedContract,
        contracts_from_manifest,
    )

_LAZY: dict[str, str] = {
    "ABI": "govchain.indexer.abi",
    "EventSpec": "govchain.indexer.abi",
    "load_abis": "govchain.indexer.abi",
    "ARG_OVERRIDES": "govchain.indexer.columns",
    "COLUMN_ARGS": "govchain.indexer.columns",
    "ColumnPlan": "govchain.indexer.columns",
    "ArtifactsMissing": "govchain.indexer.errors",
    "IndexerError": "govchain.indexer.errors",
    "ReorgDetected": "govchain.indexer.errors",
    "RpcError": "govchain.indexer.errors",
    "TooManyResults": "govchain.indexer.errors",
    "QUERY_EVENTS": "govchain.indexer.queries",
    "AttestationRow": "govchain.indexer.queries",
    "EventRow": "govchain.indexer.queries",
    "GrantRow": "govchain.indexer.queries",
    "access_by_department": "govchain.indexer.queries",
    "access_by_grant": "govchain.indexer.queries",
    "access_by_subject": "govchain.indexer.queries",
    "anchors_by_department": "govchain.indexer.queries",
    "attestations_by_subject": "govchain.indexer.queries",
    "chains_held": "govchain.indexer.queries",
    "department_code": "govchain.indexer.queries",
    "events_of": "govchain.indexer.queries",
    "grants_by_subject": "govchain.indexer.queries",
    "open_cases_by_department": "govchain.indexer.queries",
    "database_url": "govchain.indexer.schema",
    "metadata": "govchain.indexer.schema",
    "open_database": "govchain.indexer.schema",
    "LogSource": "govchain.indexer.source",
    "RpcLogSource": "govchain.indexer.source",
    "UNKNOWN_EVENT": "govchain.indexer.sync",
    "Indexer": "govchain.indexer.sync",
    "SyncReport": "govchain.indexer.sync",
    "WatchedContract": "govchain.indexer.sync",
    "contracts_from_manifest": "govchain.indexer.sync",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ABI",
    "ARG_OVERRIDES",
    "COLUMN_ARGS",
    "QUERY_EVENTS",
    "UNKNOWN_EVENT",
    "ArtifactsMissing",
    "AttestationRow",
    "ColumnPlan",
    "EventRow",
    "EventSpec",
    "GrantRow",
    "Indexer",
    "IndexerError",
    "LogSource",
    "ReorgDetected",
    "RpcError",
    "RpcLogSource",
    "SyncReport",
    "TooManyResults",
    "WatchedContract",
    "access_by_department",
    "access_by_grant",
    "access_by_subject",
    "anchors_by_department",
    "attestations_by_subject",
    "chains_held",
    "contracts_from_manifest",
    "database_url",
    "department_code",
    "events_of",
    "grants_by_subject",
    "load_abis",
    "metadata",
    "open_cases_by_department",
    "open_database",
]
