"""The Python EIP-712 builder and terms encoding match CaseApprovals byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from govchain.approval import CaseTerms, Step
from govchain.approval.cases import Comment, comment_commitment
from govchain.approval.messages import (
    ANY_SIGNER,
    DECISION,
    SignerSignature,
    decision,
    pack_signatures,
)
from govchain.errors import InvalidInput
from tests.approval.conftest import Desk, h


def test_decision_typehash_matches_the_contract(approvals: Any) -> None:
    assert DECISION.type_string() == (
        "Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,address signer,"
        "uint256 deadline)"
    )
    assert approvals.DECISION_TYPEHASH() == DECISION.typehash()


@pytest.mark.parametrize("approve", [True, False])
def test_python_digest_equals_the_contracts(approvals: Any, desk: Desk, approve: bool) -> None:
    case_id, comment, deadline = h("case"), h("comment"), 1_900_000_000
    signer, other = Account.create().address, Account.create().address
    msg = decision(case_id, 3, approve, comment, signer, deadline)
    digest = DECISION.digest(desk.domain, msg)
    assert approvals.decisionHash(case_id, 3, approve, comment, signer, deadline) == digest
    struct_hash = keccak(
        DECISION.typehash()
        + case_id
        + (3).to_bytes(32, "big")
        + int(approve).to_bytes(32, "big")
        + comment
        + bytes.fromhex(signer[2:]).rjust(32, b"\0")
        + deadline.to_bytes(32, "big")
    )
    assert approvals.hashTypedData(struct_hash) == digest
    # R2-5: a wallet's digest names the wallet, so it differs from the one every key signs
    # (signer zero) and from another wallet's
    for_keys = DECISION.digest(
        desk.domain, decision(case_id, 3, approve, comment, ANY_SIGNER, deadline)
    )
    assert approvals.decisionHash(case_id, 3, approve, comment, ANY_SIGNER, deadline) == for_keys
    assert for_keys != digest
    assert approvals.decisionHash(case_id, 3, approve, comment, other, deadline) != digest


def test_python_case_id_equals_the_contracts(approvals: Any, desk: Desk, citizens: Any) -> None:
    terms = desk.terms([("CIVIL", 1), ("DPF", 2), ("FINANCE", 3)], citizen=citizens[0])
    assert approvals.caseIdOf(terms.as_tuple()) == terms.case_id()
    by_dept = desk.terms([("HRSS", 2)], department="HOUSING", previous=h("earlier"))
    assert approvals.caseIdOf(by_dept.as_tuple()) == by_dept.case_id()
    assert by_dept.applicant_key == by_dept.applicant_department


def test_signatures_are_packed_by_ascending_signer() -> None:
    keys = [Account.create() for _ in range(4)]
    sigs = [SignerSignature(k.address, bytes([i + 1]) * 64 + b"\x1b") for i, k in enumerate(keys)]
    wallet = "0x" + "ff" * 20
    sigs.append(SignerSignature(wallet, b"\x07" * 70, contract=True))
    packed = pack_signatures(reversed(sigs))
    order = sorted([*(k.address for k in keys), wallet], key=lambda a: int(a, 16))
    assert order[-1] == wallet
    for i, address in enumerate(order[:-1]):
        entry = packed[65 * i : 65 * (i + 1)]  # r || s || v, naming no signer (Safe's encoding)
        assert entry == next(s.signature for s in sigs if s.signer == address)
    contract_entry = packed[65 * 4 : 65 * 5]
    assert contract_entry[:32] == bytes(12) + bytes.fromhex("ff" * 20)  # r: the wallet
    offset = int.from_bytes(contract_entry[32:64], "big")  # s: its data's offset
    assert offset == 65 * 5 and contract_entry[64] == 0  # v = 0
    assert int.from_bytes(packed[offset : offset + 32], "big") == 70
    assert packed[offset + 32 :] == b"\x07" * 70


def test_packing_refuses_an_eoa_signature_that_is_not_r_s_v() -> None:
    key = Account.create()
    with pytest.raises(ValueError, match="65 bytes"):
        pack_signatures([SignerSignature(key.address, b"\x01" * 66)])
    with pytest.raises(ValueError, match="27 or 28"):
        pack_signatures([SignerSignature(key.address, b"\x01" * 64 + b"\x00")])


def test_packing_refuses_a_signer_twice() -> None:
    key = Account.create()
    sig = SignerSignature(key.address, b"\x01" * 64 + b"\x1c")
    with pytest.raises(ValueError, match="twice"):
        pack_signatures([sig, sig])


def test_terms_reject_a_non_32_byte_hash() -> None:
    with pytest.raises(ValueError):
        decision(b"\x01" * 31, 0, True, b"\0" * 32, "0x" + "00" * 20, 0)
    assert (
        CaseTerms(b"\0" * 32, b"A".ljust(32, b"\0"), (Step(b"B" * 32, 1, 5),)).route[0].threshold
        == 1
    )


def test_a_comment_commitment_is_salted_and_fresh_each_time() -> None:
    """Unsalted comments finding: only keccak256(salt ‖ text) goes on chain, a new salt each time."""
    first, second = Comment.new("13800138000"), Comment.new("13800138000")
    assert first.salt != second.salt and first.commitment != second.commitment
    assert first.commitment == bytes(keccak(first.salt + b"13800138000"))
    assert first.commitment != bytes(keccak(text="13800138000"))
    assert Comment.new("ok", b"\x01" * 32).commitment == comment_commitment(b"\x01" * 32, "ok")
    with pytest.raises(InvalidInput, match="expected 32 bytes"):
        comment_commitment(b"\x01" * 31, "ok")
