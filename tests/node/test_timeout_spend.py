"""A request the node answers ``timeout`` is not spent; one whose spend began is answered
(review s26, N-2).

The node bounds each POST with its ``request_timeout``, but a worker thread cannot be stopped:
before, a request answered 504 went on to spend its nonce and write the serve-log row once the
store let it, so the serve log said a record was released that the caller never got, and the
request (and the access record, a use of the grant, it names) could never be served again.
Now a request's deadline travels with its work: the group commit leaves out a request whose
deadline passed before its spend began (it is answered ``timeout`` and nothing is written),
and a request whose spend began before the deadline is waited for and answered, however long
the store takes. Either way the serve log holds exactly what was delivered.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import ServeLogEntry, UsedNonce
from govchain.sharing import grant_tuple
from tests.node.conftest import (  # noqa: F401 (fixtures)
    CIVIL,
    HRSS,
    PENSION,
    Holdings,
    addresses,
    catalog,
    cats,
    civil_staff,
    grants,
    grants_domain,
    hrss,
    local,
    make_terms,
    reader,
    registry,
    rpc_url,
    w3,
)
from tests.node.helpers import running_node


def _request(grants: Any, hrss: Holdings, reader: RpcChain, staff: Any, terms: Any) -> Any:
    """A request of ``staff`` for Alice's pension under ``terms``, its access recorded."""
    client = DataNodeClient(reader, local(staff))
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = grants.recordAccess(grant_tuple(terms), PENSION, prepared.digest, sender=staff)
    return prepared, prepared.body(str(tx.txn_hash))


def _logged(hrss: Holdings, digest: bytes) -> int:
    with hrss.store.session() as s:
        query = select(func.count()).where(ServeLogEntry.request_hash == digest)
        return int(s.scalar(query) or 0)


def _spent(hrss: Holdings, signer: str, nonce: int) -> int:
    with hrss.store.session() as s:
        query = select(func.count()).where(
            UsedNonce.signer == signer, UsedNonce.nonce == str(nonce)
        )
        return int(s.scalar(query) or 0)


def test_a_spend_begun_is_answered_and_one_not_begun_is_not_spent(
    grants: Any,
    hrss: Holdings,
    reader: RpcChain,
    civil_staff: Any,
    chain: Any,
) -> None:
    node = DataNode(NodeConfig(HRSS, request_timeout=1.0), hrss.store, reader)
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    first, first_body = _request(grants, hrss, reader, civil_staff, terms)
    second, second_body = _request(grants, hrss, reader, civil_staff, terms)
    # another writer holds the store's write lock for 2.5 s (the node waits up to 10 s for it)
    path = hrss.store.engine.url.database
    assert path is not None
    writer = sqlite3.connect(path, timeout=10, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    unlock = threading.Timer(2.5, writer.rollback)
    try:
        with running_node(node) as url, ThreadPoolExecutor(2) as pool:
            unlock.start()
            post = lambda body: httpx.post(url + "/v1/records/fetch", json=body, timeout=30)  # noqa: E731
            began = pool.submit(post, first_body)
            time.sleep(0.3)  # the first request's spend is under way, blocked on the lock
            queued = pool.submit(post, second_body)
            a, b = began.result(), queued.result()
            # the first began its spend in time: it is answered (late), logged once
            assert a.status_code == 200, a.text
            assert _logged(hrss, first.digest) == 1
            # the second waited behind it past its deadline: 504, and nothing was written
            assert (b.status_code, b.json()["reason"]) == (504, "timeout")
            unlock.join()
            time.sleep(1.0)  # its worker thread, still running, has found the store free
            assert _logged(hrss, second.digest) == 0
            assert _spent(hrss, civil_staff.address, second.message["nonce"]) == 0
            # so the same request is served when asked again
            again = post(second_body)
            assert again.status_code == 200, again.text
            assert _logged(hrss, second.digest) == 1
    finally:
        unlock.cancel()
        writer.close()
