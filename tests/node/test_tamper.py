"""An altered payload - in transit or in the owner's store - is caught by the requester."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from typing import Any

import ecies
import httpx
import pytest
from sqlalchemy import update

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient, RecordTampered
from govchain.node.store import Record
from govchain.sharing import grant_tuple
from govchain.sharing.merkle import record_hash
from tests.node.conftest import CIVIL, HRSS, PENSION, Holdings, local, make_terms

_grant_nonces = itertools.count(1000)
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class Tampering(httpx.HTTPTransport):
    """A man in the middle: rewrites the node's JSON answer before the client sees it."""

    def __init__(self, rewrite: Rewrite) -> None:
        super().__init__()
        self.rewrite = rewrite

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        body = self.rewrite(response.json())
        return httpx.Response(response.status_code, json=body)


def fetch(
    grants: Any, reader: RpcChain, staff: Any, hrss: Holdings, url: str, now: int,
    record_id: bytes, subject: Any, rewrite: Rewrite | None = None,
) -> Any:  # fmt: skip
    http = httpx.Client(transport=Tampering(rewrite)) if rewrite else None
    client = DataNodeClient(reader, local(staff), http=http)
    terms = make_terms(subject, CIVIL, HRSS, [PENSION], now, nonce=next(_grant_nonces))
    grants.grant(grant_tuple(terms), sender=subject)
    prepared = client.prepare(terms, PENSION, record_id)
    tx = grants.recordAccess(grant_tuple(terms), PENSION, prepared.digest, sender=staff)
    return client.fetch(url, prepared, str(tx.txn_hash))


def flip_ciphertext(body: dict[str, Any]) -> dict[str, Any]:
    raw = bytearray(base64.b64decode(body["ciphertext"]))
    raw[-5] ^= 0x01
    body["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    return body


def reencrypt_altered(public_key: bytes, subject: str) -> Rewrite:
    """What a MITM who knows the requester's public key can do: encrypt other content."""

    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        inner = {
            "category": body["category"],
            "recordId": body["recordId"],
            "subject": subject,
            "version": body["version"],
            "mediaType": "application/json",
            "salt": "0x" + "00" * 32,
            "content": base64.b64encode(b'{"monthly":99999}').decode(),
        }
        body["ciphertext"] = base64.b64encode(
            ecies.encrypt(public_key, json.dumps(inner).encode())
        ).decode()
        return body

    return rewrite


def test_bit_flip_in_transit_is_detected(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int
) -> None:
    with pytest.raises(RecordTampered, match="cannot be decrypted"):
        fetch(
            grants,
            reader,
            civil_staff,
            hrss,
            node_url,
            now,
            hrss.ids["pension"],
            hrss.citizen,
            flip_ciphertext,
        )


def test_reencrypted_altered_content_is_detected(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int
) -> None:
    public = local(civil_staff)._key_obj.public_key.to_bytes()
    rewrite = reencrypt_altered(b"\x04" + public, hrss.citizen.address)
    with pytest.raises(RecordTampered, match=r"\(altered\).*differs from the anchor"):
        fetch(grants, reader, civil_staff, hrss, node_url, now, hrss.ids["pension"], hrss.citizen, rewrite)  # fmt: skip


def test_forged_merkle_proof_is_detected(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int
) -> None:
    def forge(body: dict[str, Any]) -> dict[str, Any]:
        body["anchor"]["proof"] = body["anchor"]["proof"][1:]
        return body

    with pytest.raises(RecordTampered, match="not a leaf"):
        fetch(
            grants, reader, civil_staff, hrss, node_url, now, hrss.ids["batch-1"], hrss.other, forge
        )


def test_anchor_claim_for_another_version_is_detected(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int
) -> None:
    def older(body: dict[str, Any]) -> dict[str, Any]:
        body["anchor"]["version"] = 1  # the node (or a MITM) claims the content is version 1
        return body

    got = fetch(grants, reader, civil_staff, hrss, node_url, now, hrss.ids["pension"], hrss.citizen)
    assert got.version == 2
    # the inner (encrypted) version wins; a tampered outer claim cannot make v2 pass as v1
    got = fetch(
        grants, reader, civil_staff, hrss, node_url, now, hrss.ids["pension"], hrss.citizen, older
    )
    assert got.version == 2


def test_record_altered_in_the_store_is_detected(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int
) -> None:
    record_id = hrss.ids["tamper"]
    assert fetch(
        grants, reader, civil_staff, hrss, node_url, now, record_id, hrss.citizen
    ).json() == {"monthly": 1000}
    altered = b'{"monthly":9000}'
    with hrss.store.session() as s:  # a DBA edits the row, and even recomputes its hash
        row = s.query(Record).filter(Record.record_id == record_id).one()
        again = record_hash(
            row.category, row.record_id, row.version, HRSS, row.subject, row.media_type,
            altered, row.salt,
        )  # fmt: skip
        s.execute(
            update(Record).where(Record.id == row.id).values(content=altered, content_hash=again)
        )
    with pytest.raises(RecordTampered, match=r"\(altered\).*differs from the anchor"):
        fetch(grants, reader, civil_staff, hrss, node_url, now, record_id, hrss.citizen)
