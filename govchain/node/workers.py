"""A data node served by several worker processes (uvicorn ``workers=N``) over one store.

Each worker builds its own :class:`~govchain.node.server.DataNode` (its own chain reader, per-block
cache and access index, its own database connections) from the same spec, passed to the workers
in the environment variable ``GOVCHAIN_NODE_SPEC`` (JSON: department, store URL, chain URL,
addresses, chain id, body limit). What must hold across workers is held by the store, not by a
worker: a nonce is spent by inserting its ``(signer, nonce)`` primary key in the same
transaction that writes the serve-log row, so two workers racing with the same signed request
release it once (the second insert fails: ``nonce_replayed``). SQLite in WAL mode serialises the
writers (``busy_timeout``); PostgreSQL does the same with its unique index.

Each worker also shares its head reads and groups its nonce commits among its own concurrent
requests (:mod:`govchain.node.index`, :mod:`govchain.node.release`); uvicorn uses its C HTTP
parser (httptools) and uvloop, both pinned.

``serve_workers(..., workers=1)`` is :func:`govchain.node.server.serve`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import uvicorn
from fastapi import FastAPI

from govchain.node.chain import ChainAddresses
from govchain.node.server import NodeConfig, build_node, create_app, serve

SPEC_ENV = "GOVCHAIN_NODE_SPEC"


def app_from_env() -> FastAPI:
    """The app of one worker, built from :data:`SPEC_ENV` (the uvicorn factory)."""
    spec: dict[str, Any] = json.loads(os.environ[SPEC_ENV])
    department = bytes.fromhex(spec["department"])
    node = build_node(
        department,
        spec["db_url"],
        spec["rpc_url"],
        ChainAddresses(**spec["addresses"]),
        chain_id=spec["chain_id"],
        config=NodeConfig(department, **spec.get("config", {})),
    )
    return create_app(node)


def serve_workers(
    department: bytes,
    db_url: str,
    rpc_url: str,
    addresses: ChainAddresses,
    *,
    workers: int = 2,
    host: str = "127.0.0.1",
    port: int = 8700,
    chain_id: int | None = None,
    config: NodeConfig | None = None,
    log_level: str = "warning",
) -> None:
    """Runs a node in ``workers`` processes until interrupted."""
    if workers <= 1:
        serve(
            department, db_url, rpc_url, addresses,
            host=host, port=port, chain_id=chain_id, config=config, log_level=log_level,
        )  # fmt: skip
        return
    cfg = config or NodeConfig(department)
    options = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    options.pop("department")
    os.environ[SPEC_ENV] = json.dumps(
        {
            "department": department.hex(),
            "db_url": db_url,
            "rpc_url": rpc_url,
            "addresses": dataclasses.asdict(addresses),
            "chain_id": chain_id,
            "config": options,
        }
    )
    uvicorn.run(
        "govchain.node.workers:app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # uvicorn's own per-request line; the node's log is govchain's
        timeout_keep_alive=30,
        limit_concurrency=512,
    )
