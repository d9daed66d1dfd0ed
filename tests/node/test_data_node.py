"""A real data node (uvicorn) over a real chain: served requests and every refusal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient, NodeRefused, PreparedRequest
from govchain.node.store import ServeLogEntry, UsedNonce
from govchain.sharing import SharingClass, grant_tuple
from govchain.tx import Sender
from tests.helpers import ROLE_APPROVER, ROLE_STAFF
from tests.node.conftest import BANK, CIVIL, HRSS, PENSION, POLICY, Holdings, local, make_terms, rid
from tests.sharing.conftest import SCHEMA


def grant_for(
    grants: Any, citizen: Any, categories: list[bytes], now: int, **kw: Any
) -> dict[str, Any]:
    terms = make_terms(citizen, CIVIL, HRSS, categories, now, **kw)
    grants.grant(grant_tuple(terms), sender=citizen)
    return terms


def record(grants: Any, staff: Any, prepared: PreparedRequest) -> str:
    m = prepared.message
    tx = grants.recordAccess(
        grant_tuple(prepared.terms), m["category"], prepared.digest, sender=staff
    )
    return str(tx.txn_hash)


def refused(excinfo: pytest.ExceptionInfo[NodeRefused]) -> tuple[int, str]:
    return excinfo.value.status, excinfo.value.reason


@pytest.fixture
def client(reader: RpcChain, civil_staff: Any) -> DataNodeClient:
    return DataNodeClient(reader, local(civil_staff))


def test_valid_request_is_served_decrypted_and_verified(
    grants: Any,
    hrss: Holdings,
    node_url: str,
    client: DataNodeClient,
    w3: Any,
    civil_staff: Any,
    now: int,
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    sender = Sender(w3, local(civil_staff))
    got = client.request(node_url, sender, terms, PENSION, hrss.ids["pension"])
    assert got.json() == {"monthly": 3260, "since": "2019-04"}
    assert got.version == 2 and got.anchor_kind == "single" and got.anchored_block > 0
    assert got.subject == hrss.citizen.address and got.department == HRSS
    with hrss.store.session() as s:
        log = s.scalars(select(ServeLogEntry).order_by(ServeLogEntry.id.desc())).first()
        assert log is not None
        assert log.requester == civil_staff.address and log.department == CIVIL
        assert log.record_id == hrss.ids["pension"] and log.version == 2
        assert log.grant_id == client.prepare(terms, PENSION, rid("x")).message["grantId"]
        assert log.access_tx is not None and log.content_hash == got.content_hash


def test_batch_anchored_record_is_served_with_its_merkle_proof(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.other, [PENSION], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["batch-3"])
    got = client.fetch(node_url, prepared, record(grants, civil_staff, prepared))
    assert got.json() == {"month": 3, "paid": 3003}
    assert got.anchor_kind == "batch"


def test_owner_wide_grant_covers_non_sensitive_categories_only(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [HRSS], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    assert client.fetch(node_url, prepared, record(grants, civil_staff, prepared)).version == 2
    bank = client.prepare(terms, BANK, hrss.ids["bank"])
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, bank, record(grants, civil_staff, prepared))
    assert refused(e) == (403, "category_not_covered")


def test_unconditional_category_needs_only_an_open_access_record(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any
) -> None:
    prepared = client.prepare(None, POLICY, hrss.ids["policy"])
    tx = grants.recordOpenAccess(POLICY, b"\x01" * 32, prepared.digest, sender=civil_staff)
    got = client.fetch(node_url, prepared, str(tx.txn_hash))
    assert got.content == b"pension policy text" and got.anchor_kind == "batch"


# --- refusals ----------------------------------------------------------------------------------


def test_unsigned_request_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    body = prepared.body(record(grants, civil_staff, prepared))
    body["signature"] = ""
    r = httpx.post(node_url + "/v1/records/fetch", json=body)
    assert (r.status_code, r.json()["reason"]) == (401, "unsigned")
    body["signature"] = "0x" + "11" * 65
    r = httpx.post(node_url + "/v1/records/fetch", json=body)
    assert (r.status_code, r.json()["reason"]) in (
        (401, "bad_signature"),
        (403, "not_grantee_member"),
    )


def test_signature_by_someone_else_than_the_access_recorder_is_refused(
    grants: Any,
    hrss: Holdings,
    node_url: str,
    reader: RpcChain,
    depts: Any,
    departments: Any,
    civil_staff: Any,
    now: int,
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    # another STAFF member of CIVIL (of the grantee, but not the one who recorded the access)
    colleague = depts["CIVIL"].approvers[0]
    departments.setMemberRoles(colleague, ROLE_STAFF | ROLE_APPROVER, sender=depts["CIVIL"].admin)
    other = DataNodeClient(reader, local(colleague))
    mine = DataNodeClient(reader, local(civil_staff)).prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, mine)
    theirs = other.prepare(
        terms,
        PENSION,
        hrss.ids["pension"],
        nonce=mine.message["nonce"],
        expiry=mine.message["expiry"],
    )
    with pytest.raises(NodeRefused) as e:
        other.fetch(node_url, theirs, tx)
    assert refused(e) == (403, "access_record_mismatch")


def test_member_of_another_department_is_refused(
    grants: Any,
    hrss: Holdings,
    node_url: str,
    reader: RpcChain,
    depts: Any,
    civil_staff: Any,
    now: int,
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    civil = DataNodeClient(reader, local(civil_staff)).prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, civil)
    psb = DataNodeClient(reader, local(depts["PSB"].staff))
    with pytest.raises(NodeRefused) as e:
        psb.fetch(node_url, psb.prepare(terms, PENSION, hrss.ids["pension"]), tx)
    assert refused(e) == (403, "not_grantee_member")


def test_request_without_a_grant_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    real = grant_for(grants, hrss.citizen, [PENSION], now)
    tx = record(grants, civil_staff, client.prepare(real, PENSION, hrss.ids["pension"]))
    never_granted = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now, nonce=99)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, client.prepare(never_granted, PENSION, hrss.ids["pension"]), tx)
    assert refused(e) == (403, "no_grant")


def test_revoked_grant_blocks_access(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, prepared)
    grants.revoke(client.prepare(terms, PENSION, rid("x")).message["grantId"], sender=hrss.citizen)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, tx)
    assert refused(e) == (403, "grant_revoked")


def test_expired_grant_blocks_access(
    grants: Any,
    chain: Any,
    hrss: Holdings,
    node_url: str,
    client: DataNodeClient,
    civil_staff: Any,
    now: int,
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now, days=1)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, prepared)
    chain.mine(deltatime=2 * 86_400)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, tx)
    assert refused(e) == (403, "grant_expired")


def test_category_not_covered_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    tx = record(grants, civil_staff, client.prepare(terms, PENSION, hrss.ids["pension"]))
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, client.prepare(terms, BANK, hrss.ids["bank"]), tx)
    assert refused(e) == (403, "category_not_covered")


def test_missing_access_record_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now)
    grant_tx = grants.grant(grant_tuple(terms), sender=hrss.citizen)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    for tx in (str(grant_tx.txn_hash), "0x" + "ab" * 32):  # a tx without an access record; no tx
        with pytest.raises(NodeRefused) as e:
            client.fetch(node_url, prepared, tx)
        assert refused(e) == (403, "access_record_missing")


def test_access_record_of_another_request_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    first = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, first)
    for other in (
        client.prepare(terms, PENSION, hrss.ids["pension"]),  # another nonce
        client.prepare(terms, PENSION, hrss.ids["tamper"], nonce=first.message["nonce"]),
    ):
        with pytest.raises(NodeRefused) as e:
            client.fetch(node_url, other, tx)
        assert refused(e) == (403, "access_record_mismatch")


def test_replayed_nonce_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, prepared)
    client.fetch(node_url, prepared, tx)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, tx)
    assert refused(e) == (409, "nonce_replayed")
    with hrss.store.session() as s:
        assert s.get(UsedNonce, (civil_staff.address, str(prepared.message["nonce"]))) is not None


def test_expired_request_is_refused(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, civil_staff: Any, now: int
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"], expiry=1_000)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, record(grants, civil_staff, prepared))
    assert refused(e) == (401, "request_expired")


def test_unauthorised_caller_cannot_tell_whether_a_record_exists(
    grants: Any,
    hrss: Holdings,
    node_url: str,
    reader: RpcChain,
    depts: Any,
    client: DataNodeClient,
    civil_staff: Any,
    now: int,
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    psb = DataNodeClient(reader, local(depts["PSB"].staff))
    answers = []
    for record_id in (hrss.ids["pension"], rid("no-such-record")):
        with pytest.raises(NodeRefused) as e:
            psb.fetch(node_url, psb.prepare(terms, PENSION, record_id), "0x" + "ab" * 32)
        answers.append((e.value.status, e.value.reason, e.value.detail))
    assert answers[0] == answers[1]
    # an authorised caller is told
    prepared = client.prepare(terms, PENSION, rid("no-such-record"))
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, record(grants, civil_staff, prepared))
    assert refused(e) == (404, "record_not_found")


def test_oversized_and_malformed_bodies_are_refused(node_url: str) -> None:
    r = httpx.post(node_url + "/v1/records/fetch", content=b"{" + b" " * 10_000 + b"}")
    assert (r.status_code, r.json()["reason"]) == (413, "body_too_large")
    r = httpx.post(node_url + "/v1/records/fetch", content=b"not json")
    assert (r.status_code, r.json()["reason"]) == (400, "malformed_request")
    r = httpx.post(node_url + "/v1/records/fetch", json={"request": {"grantId": "0x12"}})
    assert (r.status_code, r.json()["reason"]) == (400, "malformed_request")


def test_category_reclassified_not_shared_after_the_access_record_is_not_released(
    grants: Any,
    catalog: Any,
    depts: Any,
    hrss: Holdings,
    node_url: str,
    client: DataNodeClient,
    civil_staff: Any,
    now: int,
) -> None:
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    access_tx = record(grants, civil_staff, prepared)
    catalog.updateCategory(
        PENSION, int(SharingClass.NOT_SHARED), False, SCHEMA, 0, sender=depts["HRSS"].admin
    )
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, access_tx)
    assert refused(e) == (403, "category_not_covered")
