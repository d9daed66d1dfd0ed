"""Event indexer: every event of govchain's contracts in SQL, queried in milliseconds.

from govchain.indexer import Indexer, RpcLogSource, contracts_from_manifest, open_database
engine = open_database("index.db")                # or "postgresql://user@host/db"
watched = contracts_from_manifest({"DepartmentRegistry": address}, start_blocks=deploy_block)
indexer = Indexer(engine, RpcLogSource(rpc_url), watched, step=2000, confirmations=2)
indexer.sync()                                    # or indexer.follow(poll_interval=2.0)
access_by_subject(engine, citizen_address)
"""

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
