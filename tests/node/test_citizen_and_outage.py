"""The citizen's personal data space; a node that loses the chain answers 503 and recovers;
the node's EIP-712 digests."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from govchain.eip712 import Domain
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import CitizenClient, DataNodeClient, NodeRefused
from govchain.node.messages import DATA_REQUEST, SUBJECT_REQUEST, FastDigest, node_domain
from govchain.node.server import DataNode, NodeConfig
from govchain.sharing import grant_tuple
from tests.node.conftest import CIVIL, HRSS, PENSION, Holdings, local, make_terms
from tests.node.helpers import TcpProxy, running_node


def test_citizen_lists_departments_holding_their_records_and_fetches_them(
    departments: Any, depts: Any, hrss: Holdings, node_url: str, reader: RpcChain
) -> None:
    departments.setEndpoint(node_url, sender=depts["HRSS"].admin)  # discovery on chain
    me = CitizenClient(reader, local(hrss.citizen))
    space = {h.department: h for h in me.personal_data_space()}
    held = space[HRSS]
    assert held.error is None and held.endpoint == node_url
    assert {(r.category, r.record_id, r.version) for r in held.records} == {
        (PENSION, hrss.ids["pension"], 2),
        (PENSION, hrss.ids["tamper"], 1),
        (b"HRSS.BANK_ACCOUNT".ljust(32, b"\0"), hrss.ids["bank"], 1),
    }
    assert all(r.anchored_block > 0 for r in held.records)
    assert all(h.error for code, h in space.items() if code != HRSS)  # no node runs there
    got = me.fetch(node_url, PENSION, hrss.ids["pension"])
    assert got.json()["monthly"] == 3260 and got.subject == hrss.citizen.address
    bob = CitizenClient(reader, local(hrss.other))
    assert {r.anchor_kind for r in bob.list_records(node_url, HRSS)} == {"batch"}


def test_citizen_cannot_read_someone_elses_records(
    hrss: Holdings, node_url: str, reader: RpcChain
) -> None:
    bob_as_alice = CitizenClient(reader, local(hrss.other), identity=hrss.citizen.address)
    with pytest.raises(NodeRefused) as e:
        bob_as_alice.fetch(node_url, PENSION, hrss.ids["pension"])
    assert (e.value.status, e.value.reason) == (403, "not_subject_controller")
    with pytest.raises(NodeRefused):
        bob_as_alice.list_records(node_url, HRSS)
    # and bob asking for alice's record as himself learns nothing beyond "not found"
    bob = CitizenClient(reader, local(hrss.other))
    with pytest.raises(NodeRefused) as e:
        bob.fetch(node_url, PENSION, hrss.ids["pension"])
    assert e.value.reason == "record_not_found"


def test_citizen_access_trail_lists_every_access_record(
    grants: Any, hrss: Holdings, reader: RpcChain, civil_staff: Any, node_url: str, chain: Any
) -> None:
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    client = DataNodeClient(reader, local(civil_staff))
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    grants.recordAccess(grant_tuple(terms), PENSION, prepared.digest, sender=civil_staff)
    trail = CitizenClient(reader, local(hrss.citizen)).access_trail()
    assert trail[-1]["requestHash"] == prepared.digest and trail[-1]["grantee"] == CIVIL
    assert trail[-1]["member"] == civil_staff.address


def test_node_answers_503_without_the_chain_and_recovers_by_itself(
    grants: Any, hrss: Holdings, rpc_url: str, addresses: ChainAddresses, chain: Any,
    civil_staff: Any, reader: RpcChain,
) -> None:  # fmt: skip
    target = urlparse(rpc_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 80)
    node = DataNode(
        NodeConfig(HRSS),
        hrss.store,
        RpcChain(proxy.url, addresses, chain_id=chain.chain_id, timeout=2),
    )
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    client = DataNodeClient(reader, local(civil_staff))
    with running_node(node) as url:
        prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
        tx = grants.recordAccess(grant_tuple(terms), PENSION, prepared.digest, sender=civil_staff)
        r = httpx.post(url + "/v1/records/fetch", json=prepared.body(str(tx.txn_hash)))
        assert (r.status_code, r.json()["reason"]) == (503, "chain_unavailable")
        assert httpx.get(url + "/v1/health").json()["chain"] == "ok"  # chain id is known
        proxy.start()
        try:
            time.sleep(0.05)
            got = client.fetch(url, prepared, str(tx.txn_hash))  # same request, now served
            assert got.version == 2
            proxy.stop()
            again = client.prepare(terms, PENSION, hrss.ids["pension"])
            tx2 = grants.recordAccess(grant_tuple(terms), PENSION, again.digest, sender=civil_staff)
            with pytest.raises(NodeRefused) as e:
                client.fetch(url, again, str(tx2.txn_hash))
            assert e.value.status == 503
            proxy.start()
            assert client.fetch(url, again, str(tx2.txn_hash)).version == 2
        finally:
            proxy.stop()


def test_fast_digests_equal_the_eip712_module(chain: Any, grants: Any) -> None:
    domain = node_domain(chain.chain_id, grants.address)
    assert domain == Domain("GovchainDataNode", chain.chain_id, grants.address)
    data = {
        "grantId": b"\x01" * 32,
        "category": PENSION,
        "subject": "0x" + "12" * 20,
        "recordId": b"\x02" * 32,
        "nonce": 2**200 + 7,
        "expiry": 1_900_000_000,
    }
    assert FastDigest(DATA_REQUEST, domain)(data) == DATA_REQUEST.digest(domain, data)
    subject = {k: data[k] for k in ("subject", "category", "recordId", "nonce", "expiry")}
    subject["department"] = HRSS
    assert FastDigest(SUBJECT_REQUEST, domain)(subject) == SUBJECT_REQUEST.digest(domain, subject)
    assert SUBJECT_REQUEST.type_string() == (
        "SubjectRequest(bytes32 department,address subject,bytes32 category,bytes32 recordId,"
        "uint256 nonce,uint256 expiry)"
    )
    assert DATA_REQUEST.type_string() == (
        "DataRequest(bytes32 grantId,bytes32 category,address subject,bytes32 recordId,"
        "uint256 nonce,uint256 expiry)"
    )
    # the domain separator matches what an OpenZeppelin EIP712 contract computes for that
    # name: AccessGrants' own separator differs only by name
    from govchain.node.messages import domain_separator

    own = Domain("AccessGrants", chain.chain_id, grants.address)
    assert domain_separator(own) == bytes(grants.DOMAIN_SEPARATOR())
