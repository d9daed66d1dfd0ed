"""Attacks on a live data node (uvicorn over the HRSS store, real chain): each is refused with
the node's reason code (govchain.node.protocol.REFUSALS), before anything is released.
"""

from __future__ import annotations

import itertools
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from eth_account import Account

from govchain.node.chain import RpcChain
from govchain.node.client import (
    CitizenClient,
    DataNodeClient,
    NodeRefused,
    PreparedRequest,
    RecordTampered,
)
from govchain.node.protocol import Refusal
from govchain.node.server import DataNode, NodeConfig
from govchain.sharing import grant_tuple
from tests.adversarial.attacks import malleate
from tests.helpers import code
from tests.node.conftest import BANK, CIVIL, HRSS, PENSION, Holdings, local, make_terms
from tests.node.helpers import running_node
from tests.node.test_tamper import fetch as tampered_fetch
from tests.node.test_tamper import flip_ciphertext

_nonces = itertools.count(5000)  # grant nonces: each test's terms are its own


@pytest.fixture
def client(reader: RpcChain, civil_staff: Any) -> DataNodeClient:
    return DataNodeClient(reader, local(civil_staff))


@pytest.fixture
def granted(grants: Any, hrss: Holdings, now: int) -> dict[str, Any]:
    """Alice's consent: Civil Affairs may read her HRSS pension."""
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now, nonce=next(_nonces))
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    return terms


def _record(grants: Any, staff: Any, prepared: PreparedRequest) -> str:
    m = prepared.message
    tx = grants.recordAccess(
        grant_tuple(prepared.terms), m["category"], prepared.digest, sender=staff
    )
    return str(tx.txn_hash)


def _post(url: str, body: Any) -> tuple[int, str]:
    r = httpx.post(url + "/v1/records/fetch", json=body, timeout=10)
    return r.status_code, r.json()["reason"]


@pytest.fixture
def signed(
    grants: Any, granted: dict[str, Any], hrss: Holdings, client: DataNodeClient, civil_staff: Any
) -> tuple[PreparedRequest, dict[str, Any]]:
    """A request for Alice's pension, its access recorded on chain, and its JSON body."""
    prepared = client.prepare(granted, PENSION, hrss.ids["pension"])
    return prepared, prepared.body(_record(grants, civil_staff, prepared))


# --- signatures ----------------------------------------------------------------------------------


def test_unsigned_request_is_refused(node_url: str, signed: Any) -> None:
    """A request with its signature stripped: nobody to check the grant against."""
    _, body = signed
    body.pop("signature")
    assert _post(node_url, body) == (401, "unsigned")


def test_forged_request_is_refused(node_url: str, signed: Any, client: DataNodeClient) -> None:
    """A forged request: an outsider signs a copy of a Civil Affairs request with its own key.
    The signer, recovered from the signature, is in no department."""
    prepared, body = signed
    forger = DataNodeClient(client.chain, Account.create())
    forged = forger.prepare(
        prepared.terms,
        PENSION,
        prepared.message["recordId"],
        nonce=prepared.message["nonce"],
        expiry=prepared.message["expiry"],
    )
    assert _post(node_url, forged.body(body["accessTx"])) == (403, "not_grantee_member")


def test_garbage_signature_is_refused(node_url: str, signed: Any) -> None:
    """A signature that is not 65 bytes r||s||v."""
    _, body = signed
    body["signature"] = "0x" + "ab" * 64
    assert _post(node_url, body) == (401, "bad_signature")


def test_replayed_request_is_refused(node_url: str, signed: Any, client: DataNodeClient) -> None:
    """A request captured on the wire and sent again (the payload would be re-encrypted to the
    original requester, but the replay must not even count as a use)."""
    prepared, body = signed
    client.fetch(node_url, prepared, body["accessTx"])
    assert _post(node_url, body) == (409, "nonce_replayed")


def test_malleated_signature_does_not_replay_a_request(
    node_url: str, signed: Any, client: DataNodeClient
) -> None:
    """The high-s twin of a served request's signature recovers to the same key; the node
    refuses every high-s signature, as the contracts do (review finding, issue 15), before it
    even looks at the replay table (keyed on (signer, nonce), not on signature bytes)."""
    prepared, body = signed
    client.fetch(node_url, prepared, body["accessTx"])
    twin = malleate(prepared.signature)
    assert twin != prepared.signature
    body["signature"] = "0x" + twin.hex()
    assert _post(node_url, body) == (401, "malleable_signature")


def test_access_record_cannot_serve_a_second_request(
    node_url: str, signed: Any, client: DataNodeClient
) -> None:
    """One recorded access, two requests: a new request (new nonce) reuses the first one's
    access transaction, so that one audit record covers two releases."""
    prepared, body = signed
    second = client.prepare(prepared.terms, PENSION, prepared.message["recordId"])
    assert _post(node_url, second.body(body["accessTx"])) == (403, "access_record_mismatch")


def test_request_replayed_at_another_departments_node_is_refused(
    signed: Any, hrss: Holdings, reader: RpcChain
) -> None:
    """A request for HRSS data sent to another department's node: the grant's owner names the
    one node that may answer."""
    _, body = signed
    psb_node = DataNode(NodeConfig(code("PSB")), hrss.store, reader)
    with pytest.raises(Refusal) as refused:
        psb_node.fetch(body)
    assert (refused.value.status, refused.value.reason) == (400, "wrong_node")


# --- content of the request ------------------------------------------------------------------


def test_wrong_category_is_refused(
    grants: Any,
    granted: Any,
    hrss: Holdings,
    node_url: str,
    client: DataNodeClient,
    civil_staff: Any,
) -> None:
    """The curious department asks for Alice's bank account under her pension grant, citing
    a real (pension) access record."""
    pension = client.prepare(granted, PENSION, hrss.ids["pension"])
    tx = _record(grants, civil_staff, pension)
    bank = client.prepare(granted, BANK, hrss.ids["bank"])
    assert _post(node_url, bank.body(tx)) == (403, "category_not_covered")


def test_tampered_request_is_refused(node_url: str, signed: Any) -> None:
    """The request is altered after signing (another citizen's record id): the signature now
    recovers to a key that is no member of anything."""
    _, body = signed
    body["request"]["recordId"] = "0x" + b"bank-alice".ljust(32, b"\0").hex()
    assert _post(node_url, body) == (403, "not_grantee_member")


def test_tampered_grant_terms_are_refused(node_url: str, signed: Any) -> None:
    """The grant terms in the body are widened (no use limit, a year longer): they no longer
    hash to the signed grant id."""
    _, body = signed
    body["grant"]["validUntil"] += 365 * 86_400
    assert _post(node_url, body) == (403, "grant_mismatch")


def test_tampered_payload_in_transit_is_detected(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int
) -> None:
    """A man in the middle flips a bit of the encrypted answer: the requester's client refuses
    it (the ECIES tag fails) instead of using altered data."""
    with pytest.raises(RecordTampered, match="cannot be decrypted"):
        tampered_fetch(
            grants, reader, civil_staff, hrss, node_url, now, hrss.ids["pension"], hrss.citizen,
            flip_ciphertext,
        )  # fmt: skip


def test_far_future_expiry_is_refused(
    node_url: str, granted: Any, hrss: Holdings, client: DataNodeClient
) -> None:
    """A request valid for a year (to be replayed from a stolen log after the nonce table is
    pruned): expiries are bounded."""
    prepared = client.prepare(
        granted, PENSION, hrss.ids["pension"], expiry=int(time.time()) + 365 * 86_400
    )
    assert _post(node_url, prepared.body("0x" + "ab" * 32)) == (400, "expiry_too_far")


# --- the body itself ---------------------------------------------------------------------------


def test_huge_body_is_refused(node_url: str) -> None:
    """A huge body, declared (Content-Length) and undeclared (chunked): the node stops reading
    at its limit (8 KiB here)."""
    r = httpx.post(node_url + "/v1/records/fetch", content=b"x" * 1_000_000, timeout=10)
    assert (r.status_code, r.json()["reason"]) == (413, "body_too_large")

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 10_000

    r = httpx.post(node_url + "/v1/records/fetch", content=chunks(), timeout=10)
    assert (r.status_code, r.json()["reason"]) == (413, "body_too_large")


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2, 3]", b'"a string"', b"\xff\xfe\x00", b'{"request": 7}', b""],
    ids=["broken", "array", "string", "not-utf8", "request-not-object", "empty"],
)
def test_malformed_json_is_refused(node_url: str, raw: bytes) -> None:
    """Malformed JSON of several shapes: 400 with a reason, never a server error."""
    r = httpx.post(node_url + "/v1/records/fetch", content=raw, timeout=10)
    assert (r.status_code, r.json()["reason"]) == (400, "malformed_request")


@pytest.fixture
def production_recursion_limit() -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_deeply_nested_json_is_refused(node_url: str, production_recursion_limit: None) -> None:
    """Malformed JSON that exhausts the parser's recursion: 4,000 nested arrays, within the
    size limit. Run under Python's default recursion limit (1000), which a node started by
    ``govchain node serve`` has; the test process has 100,000 (py_ecc raises it on import)."""
    r = httpx.post(node_url + "/v1/records/fetch", content=b"[" * 4000 + b"]" * 4000, timeout=10)
    assert r.status_code == 400, (r.status_code, r.text[:100])
    assert r.json()["reason"] == "malformed_request"


@pytest.mark.parametrize(
    "field, value",
    [("nonce", "9" * 5000), ("expiry", 1.5), ("nonce", -1), ("grantId", "0x12"), ("subject", 7)],
)
def test_ill_typed_fields_are_refused(node_url: str, signed: Any, field: str, value: Any) -> None:
    """Ill-typed fields: a 5,000-digit nonce, a float expiry, a negative nonce, a short id, a
    number for an address."""
    _, body = signed
    body["request"][field] = value
    assert _post(node_url, body) == (400, "malformed_request")


@pytest.fixture(scope="module")
def impatient_node_url(hrss: Holdings, reader: RpcChain) -> Iterator[str]:
    """A second node over the same store whose request timeout is one second."""
    node = DataNode(NodeConfig(HRSS, max_body_bytes=8192, request_timeout=1.0), hrss.store, reader)
    with running_node(node) as url:
        yield url


def test_slow_client_is_held_to_a_timeout(impatient_node_url: str) -> None:
    """A slow client (slowloris): it declares 200 bytes, sends one, and waits. The node should
    answer (or hang up) within its one-second timeout; we allow three seconds."""
    url = urlparse(impatient_node_url)
    with socket.create_connection((url.hostname, url.port), timeout=3) as sock:
        sock.sendall(
            b"POST /v1/records/fetch HTTP/1.1\r\nHost: node\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
        )
        answer = sock.recv(4096)  # TimeoutError if the node is still waiting for the body
    # hung up, or answered 504 (on a loaded machine the status line and the JSON body that names
    # the timeout can arrive in separate reads)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 504") or b"timeout" in answer


# --- citizens' own data ------------------------------------------------------------------------


def test_citizen_cannot_read_another_citizens_records(
    hrss: Holdings, node_url: str, reader: RpcChain
) -> None:
    """Bob signs a subject request naming Alice's identity."""
    bob_as_alice = CitizenClient(reader, local(hrss.other), identity=hrss.citizen.address)
    with pytest.raises(NodeRefused) as refused:
        bob_as_alice.fetch(node_url, PENSION, hrss.ids["pension"])
    assert (refused.value.status, refused.value.reason) == (403, "not_subject_controller")
