"""Findings of the security review (issue 15) on the data node, in the "faults" area.

- The node accepted high-s (malleable) signatures that every contract refuses: now refused
  with ``malleable_signature`` before anything else is read.
- A suspended owner department's node kept releasing records: every release re-reads the
  node's own department status (``owner_inactive``).

Each test fails on the code before the fix (the request was served).
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from govchain.node.chain import RpcChain
from govchain.node.client import CitizenClient, DataNodeClient, NodeRefused, PreparedRequest
from govchain.sharing import grant_tuple
from tests.adversarial.attacks import malleate
from tests.node.conftest import CIVIL, HRSS, PENSION, Holdings, local, make_terms

_nonces = itertools.count(9000)  # grant nonces of this file


@pytest.fixture
def client(reader: RpcChain, civil_staff: Any) -> DataNodeClient:
    return DataNodeClient(reader, local(civil_staff))


@pytest.fixture
def recorded(
    grants: Any, hrss: Holdings, client: DataNodeClient, civil_staff: Any, now: int
) -> tuple[PreparedRequest, dict[str, Any]]:
    """Alice's consent to Civil Affairs, a request for her pension and its access record."""
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now, nonce=next(_nonces))
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    m = prepared.message
    tx = grants.recordAccess(grant_tuple(terms), m["category"], prepared.digest, sender=civil_staff)
    return prepared, prepared.body(str(tx.txn_hash))


def _post(url: str, body: Any) -> tuple[int, str]:
    r = httpx.post(url + "/v1/records/fetch", json=body, timeout=10)
    return r.status_code, r.json().get("reason", "served")


def test_high_s_signature_is_refused_as_malleable(node_url: str, recorded: Any) -> None:
    """The high-s twin of a fresh, never-served request: the same key recovers from it, but
    OpenZeppelin's ECDSA refuses it on chain, and so does the node now (it was served)."""
    prepared, body = recorded
    body["signature"] = "0x" + malleate(prepared.signature).hex()
    assert _post(node_url, body) == (401, "malleable_signature")
    # the canonical signature of the same request is still served: nothing was spent
    body["signature"] = "0x" + prepared.signature.hex()
    assert _post(node_url, body)[0] == 200


def test_suspended_owner_departments_node_releases_nothing(
    node_url: str,
    recorded: Any,
    departments: Any,
    council: Any,
    hrss: Holdings,
    reader: RpcChain,
) -> None:
    """HRSS is suspended after the grant and the access record: its node refuses to release,
    to the grantee department and to the citizen alike, and serves again once reinstated."""
    _, body = recorded
    departments.suspend(HRSS, sender=council)
    assert _post(node_url, body) == (403, "owner_inactive")
    alice = CitizenClient(reader, local(hrss.citizen))
    for attempt in (
        lambda: alice.fetch(node_url, PENSION, hrss.ids["pension"]),
        lambda: alice.list_records(node_url, HRSS),
    ):
        with pytest.raises(NodeRefused) as refused:
            attempt()
        assert (refused.value.status, refused.value.reason) == (403, "owner_inactive")
    departments.reinstate(HRSS, sender=council)
    assert _post(node_url, body)[0] == 200
    assert alice.fetch(node_url, PENSION, hrss.ids["pension"]).version == 2
