"""A data node served by several worker processes over one store: granian (RSGI) or uvicorn.

Each worker builds its own :class:`~govchain.node.server.DataNode` (its own chain reader, per-block
cache and access index, its own database connections) from the same spec, passed to the workers
in the environment variable ``GOVCHAIN_NODE_SPEC`` (JSON: department, store URL, chain URL,
addresses, chain id, body limit). What must hold across workers is held by the store, not by a
worker: a nonce is spent by inserting its ``(signer, nonce)`` primary key in the same
transaction that writes the serve-log row, so two workers racing with the same signed request
release it once (the second insert fails: ``nonce_replayed``). SQLite in WAL mode serialises the
writers (``busy_timeout``); PostgreSQL does the same with its unique index.

Each worker also shares its head reads and groups its nonce commits among its own concurrent
requests (:mod:`govchain.node.index`, :mod:`govchain.node.release`); the grant-checked fetch is
decided on its event loop, those reads and commits batched on threads
(:mod:`govchain.node.onloop`).

The server (``server=``): **granian** by default when it is installed (the ``node`` extra,
pinned) - a Rust HTTP/1 server whose parsing, keep-alive and writing run outside Python, calling
the node through RSGI (:mod:`govchain.node.rsgi`: the POST routes without ASGI, everything else
through FastAPI unchanged); it costs about a tenth less CPU per request than uvicorn
(docs/nodeperf.md). **uvicorn** (httptools and uvloop when installed) otherwise. On SIGTERM
both stop taking connections and answer the requests they hold first (granian's own graceful
stop, bounded here at 30 s, after which a worker is killed; a release is one database
transaction, so a killed one leaves nothing half-written). What granian's stop does with a
request in flight is granian's and is not covered by this project's tests. These workers serve plain HTTP on a local
address (behind a TLS proxy, or for benchmarks): ``govchain node serve``, with TLS, mutual TLS,
the SIGHUP reload and the access log, stays one uvicorn process (:mod:`govchain.node.service`).

``serve_workers(..., workers=1, server="uvicorn")`` is :func:`govchain.node.server.serve`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.fastpath import NodeApp
from govchain.node.rsgi import RsgiNode
from govchain.node.server import DataNode, NodeConfig, build_node, create_app, serve

SPEC_ENV = "GOVCHAIN_NODE_SPEC"
#: a folder where each worker writes its counters (head reads, commit groups, spends, JSON-RPC
#: posts) every quarter second, as ``<pid>.json``, and its threads' names by native id as
#: ``<pid>.threads`` (the benchmarks; unset: nothing is written)
STATS_ENV = "GOVCHAIN_NODE_STATS"


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
    if isinstance(node.chain, RpcChain):
        node.chain.warm()  # each worker reads the chain's access records before it serves
    folder = os.environ.get(STATS_ENV)
    if folder:
        _write_stats(node, Path(folder))
    return create_app(node)


def _write_stats(node: DataNode, folder: Path) -> None:
    """Writes this worker's counters to ``folder/<pid>.json`` every quarter second (a daemon
    thread; for the benchmarks' per-request figures)."""
    target = folder / f"{os.getpid()}.json"

    def loop() -> None:
        while True:
            chain = node.chain
            stats = {
                "head_reads": chain.head_reads if isinstance(chain, RpcChain) else 0,
                "rpc_posts": chain.posts if isinstance(chain, RpcChain) else 0,
                "commit_groups": node.commits.groups,
                "spends": node.commits.spends,
                **(chain.index_counters if isinstance(chain, RpcChain) else {}),
            }
            part = target.with_suffix(".part")
            part.write_text(json.dumps(stats))
            part.replace(target)
            # which thread is which, for a per-thread count of CPU and context switches
            names = {t.native_id: t.name for t in threading.enumerate()}
            part.write_text(json.dumps(names))
            part.replace(target.with_suffix(".threads"))
            time.sleep(0.25)

    threading.Thread(target=loop, name="govchain-node-stats", daemon=True).start()


def rsgi_from_env() -> RsgiNode:
    """The same app as :func:`app_from_env`, under granian's RSGI (the granian factory)."""
    app = app_from_env()
    if not isinstance(app, NodeApp):  # pragma: no cover - build_app makes a NodeApp
        raise TypeError("the node's app is not a NodeApp")
    return RsgiNode(app)


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
    server: str = "granian",
) -> None:
    """Runs a node in ``workers`` processes until interrupted (``server``: "granian", or
    "uvicorn", which is also what runs when granian is not installed)."""
    if server == "granian" and importlib.util.find_spec("granian") is None:
        server = "uvicorn"
    if server not in ("granian", "uvicorn"):
        raise ValueError(f"no server {server!r}: granian or uvicorn")
    if workers <= 1 and server == "uvicorn":
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
    if server == "granian":
        _granian(workers, host, port, log_level)
        return
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


def _granian(workers: int, host: str, port: int, log_level: str) -> None:
    """granian's Rust HTTP/1 server in front of the same ASGI app: the protocol handling
    (parsing, keep-alive, writing the answer) runs outside Python."""
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    Server(
        "govchain.node.workers:rsgi_from_env",
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=workers,
        factory=True,
        http=HTTPModes.http1,
        websockets=False,
        loop=Loops.uvloop,
        backpressure=512,
        log_level=LogLevels(log_level),
        log_access=False,
        workers_kill_timeout=30,  # a worker still answering 30 s after SIGTERM is killed
    ).serve()
