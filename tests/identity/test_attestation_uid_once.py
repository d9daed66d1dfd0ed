"""Review s28 D-1: an attestation uid is issued once, even after it is revoked.

The uid is ``keccak256(schema, subject, attester, department, dataHash, expiry, refUID,
block.timestamp)``. Revocation used to delete the record, so inside one block (one timestamp)
the same contents could be issued again after a revocation, by another transaction: two
issuings of one uid, a valid uid after its ``Revoked`` event. Revocation now leaves a
tombstone: the uid reads as absent (``isValid`` false, ``getAttestation`` all zero, a second
revocation ``AttestationNotFound``) and every attest path refuses it
(``AttestationAlreadyExists``), whichever route revoked it (``revoke``, ``councilRevoke``).
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.identity.messages import attestation_uid, salted_hash
from tests.helpers import ACTIVE, code
from tests.identity.conftest import ZERO32, sign_attest

DATA = salted_hash(b"\x5d" * 32, b"verified record #d1")
ALREADY_EXISTS = bytes(keccak(text="AttestationAlreadyExists(bytes32)"))[:4]


def _rpc(w3: Any, method: str, *params: Any) -> Any:
    answer = w3.provider.make_request(method, list(params))
    assert "error" not in answer, answer
    return answer.get("result")


def one_block(w3: Any, calls: list[tuple[Any, Any, bytes]], when: int) -> list[Any]:
    """Send ``(sender, contract, calldata)`` in order into one block stamped ``when``."""
    _rpc(w3, "evm_setAutomine", False)
    try:
        sent = [
            w3.eth.send_transaction(
                {"from": who.address, "to": c.address, "data": data, "gas": 1_500_000}
            )
            for who, c, data in calls
        ]
        _rpc(w3, "evm_setNextBlockTimestamp", when)
        _rpc(w3, "evm_mine")
    finally:
        _rpc(w3, "evm_setAutomine", True)
    receipts = [w3.eth.get_transaction_receipt(h) for h in sent]
    assert len({r["blockNumber"] for r in receipts}) == 1
    return receipts


def revert_data(w3: Any, sender: Any, contract: Any, data: bytes, block: int) -> bytes:
    """What the call reverts with, replayed on the state and clock of ``block``."""
    answer = w3.provider.make_request(
        "eth_call", [{"from": sender.address, "to": contract.address, "data": data}, hex(block)]
    )
    assert "error" in answer, answer
    return bytes.fromhex(answer["error"]["data"].removeprefix("0x"))


@pytest.mark.parametrize("route", ["attest", "multiAttest", "attestBySig"])
def test_a_revoked_uid_is_never_issued_again_in_the_same_block(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any], chain: Any,
    route: str,
) -> None:  # fmt: skip
    psb, subject = depts["PSB"], citizens[3]
    member = psb.approvers[0]  # holds a role of the schema: attests and revokes
    w3 = chain.provider.web3
    when = int(w3.eth.get_block("latest")["timestamp"]) + 60
    request = (subject.address, schemas["real_name"], DATA, 0, ZERO32)
    uid = attestation_uid(
        schemas["real_name"], subject.address, member.address, psb.code, DATA, 0, ZERO32, when
    )
    if route == "attest":
        again = attestations.attest.encode_input(*request)
    elif route == "multiAttest":
        again = attestations.multiAttest.encode_input([request])
    else:
        deadline = when + 3600
        signature = sign_attest(attestations, chain, member, psb.code, request, deadline)
        again = attestations.attestBySig.encode_input(
            member.address, psb.code, request, deadline, signature
        )
    calls = [
        (member, attestations, attestations.attest.encode_input(*request)),
        (member, attestations, attestations.revoke.encode_input(uid)),
        (member, attestations, again),
    ]
    receipts = one_block(w3, calls, when)
    assert [r["status"] for r in receipts] == [1, 1, 0]
    assert revert_data(w3, member, attestations, again, receipts[0]["blockNumber"]) == (
        ALREADY_EXISTS + uid
    )
    # the revocation stands: absent, invalid, not revocable twice
    assert not attestations.isValid(uid)
    record = attestations.getAttestation(uid)
    assert (record.expiry, record.issuedAt, record.roleMask, record.revocable) == (0, 0, 0, False)
    assert bytes(record.departmentTag) == b"\0" * 16
    with ape.reverts(attestations.AttestationNotFound, uid=uid):
        attestations.revoke(uid, sender=member)
    # the same contents at a later time are a new attestation with a new uid (anvil may stamp
    # the next block with the same second: a tombstone refuses that too, so move the clock)
    chain.pending_timestamp = when + 1
    tx = attestations.attest(*request, sender=member)
    assert bytes(tx.return_value) != uid and attestations.isValid(tx.return_value)


def test_a_uid_the_council_revoked_is_never_issued_again_in_the_same_block(
    attestations: Any, schemas: dict[str, bytes], departments: Any, depts: Any, council: Any,
    citizens: list[Any], chain: Any,
) -> None:  # fmt: skip
    """The council's clean-up leaves the same tombstone: revoked, reinstated and re-attested
    in one block, the uid stays revoked."""
    psb, subject = depts["PSB"], citizens[4]
    member = psb.staff
    w3 = chain.provider.web3
    request = (subject.address, schemas["real_name"], DATA, 0, ZERO32)
    when = int(w3.eth.get_block("latest")["timestamp"]) + 60
    uid = attestation_uid(
        schemas["real_name"], subject.address, member.address, psb.code, DATA, 0, ZERO32, when
    )
    suspend = departments.suspend.encode_input(psb.code)
    revoke = attestations.councilRevoke.encode_input(psb.code, [uid])
    reinstate = departments.reinstate.encode_input(psb.code)
    again = attestations.attest.encode_input(*request)
    calls = [
        (member, attestations, again),
        (council, departments, suspend),
        (council, attestations, revoke),
        (council, departments, reinstate),
        (member, attestations, again),
    ]
    receipts = one_block(w3, calls, when)
    assert [r["status"] for r in receipts] == [1, 1, 1, 1, 0]
    assert revert_data(w3, member, attestations, again, receipts[0]["blockNumber"]) == (
        ALREADY_EXISTS + uid
    )
    assert not attestations.isValid(uid) and attestations.getAttestation(uid).issuedAt == 0
    assert departments.departmentStatus(code("PSB")) == ACTIVE  # reinstated
    with ape.reverts(attestations.AttestationNotFound, uid=uid):
        attestations.revoke(uid, sender=psb.approvers[0])
