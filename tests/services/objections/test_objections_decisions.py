"""k-of-n decisions of objections: each way a co-signed decision is refused, by its exact error.

The owner department decides with its threshold (``thresholdOf``: set per department by the
council, else ``SIGNATURES``, 2 here) of EIP-712 ``ObjectionDecision``
signatures of its approvers: each message names its signer (R2-5), signers strictly ascending,
each re-checked as an active APPROVER of the Active owner at submission, the domain bound to
chain and contract, the objection id unique (decided once), a deadline. Anyone may relay.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.eip712 import Domain
from govchain.services.objection_decisions import OBJECTION_DECISION, decision_message
from tests.helpers import ROLE_APPROVER, code
from tests.services.objections.conftest import (
    REJECTED,
    SIGNATURES,
    UPHELD,
    attest,
    commitment,
    decision_domain,
    file_attestation,
    reject,
    signatures,
    uphold,
)

PSB = code("PSB")


@pytest.fixture
def alice(citizens: Any) -> Any:
    return citizens[0]


@pytest.fixture
def psb(depts: Any) -> Any:
    return depts["PSB"]


@pytest.fixture
def oid(objections: Any, attestations: Any, schemas: Any, psb: Any, alice: Any) -> bytes:
    fact = attest(attestations, psb.staff, alice, schemas["real_name"])
    return file_attestation(objections, alice, alice, fact)


def test_two_approvers_reject_and_anyone_relays(
    objections: Any, oid: bytes, psb: Any, outsider: Any
) -> None:
    assert objections.SIGNATURES() == SIGNATURES
    reason = commitment("the record is right")
    tx = reject(objections, [psb.approvers[0], psb.approvers[2]], oid, reason, sender=outsider)
    event = next(iter(tx.decode_logs(objections.ObjectionRejected)))
    assert event.sender == outsider.address
    expected = sorted(
        [psb.approvers[0].address, psb.approvers[2].address], key=lambda a: int(a, 16)
    )
    assert list(event.signers) == expected
    assert objections.state(oid) == REJECTED


def test_upheld_event_names_its_signers(
    objections: Any, attestations: Any, schemas: Any, psb: Any, alice: Any
) -> None:
    fact = attest(attestations, psb.staff, alice, schemas["real_name"], salt=b"\x07" * 32)
    oid = file_attestation(objections, alice, alice, fact)
    attestations.revoke(fact.uid, sender=psb.approvers[0])
    tx = uphold(objections, [psb.approvers[1], psb.approvers[0]], oid, 0)
    event = next(iter(tx.decode_logs(objections.ObjectionUpheld)))
    assert set(event.signers) == {psb.approvers[0].address, psb.approvers[1].address}
    assert objections.state(oid) == UPHELD


def test_upholding_an_attestation_names_no_version(
    objections: Any, attestations: Any, schemas: Any, psb: Any, alice: Any
) -> None:
    fact = attest(attestations, psb.staff, alice, schemas["real_name"], salt=b"\x08" * 32)
    oid = file_attestation(objections, alice, alice, fact)
    attestations.revoke(fact.uid, sender=psb.approvers[0])
    with ape.reverts(
        objections.ObjectionNotCorrected, recordId=fact.uid, version=3, objected=0, latest=0
    ):
        uphold(objections, [psb.approvers[0], psb.approvers[1]], oid, 3)


def test_one_signature_is_not_enough(objections: Any, oid: bytes, psb: Any) -> None:
    with ape.reverts(objections.ObjectionInsufficientSignatures, given=1, required=SIGNATURES):
        reject(objections, [psb.approvers[0]], oid, commitment("no"))


def test_more_signatures_than_required_are_refused(objections: Any, oid: bytes, psb: Any) -> None:
    with ape.reverts(objections.ObjectionInsufficientSignatures, given=3, required=SIGNATURES):
        reject(objections, psb.approvers[:3], oid, commitment("no"))


def test_signers_and_signatures_of_different_counts_are_refused(
    objections: Any, oid: bytes, psb: Any
) -> None:
    reason = commitment("no")
    who, sigs, until = signatures(objections, psb.approvers[:2], oid, uphold=False, reason=reason)
    with ape.reverts(objections.ObjectionInsufficientSignatures, given=1, required=SIGNATURES):
        objections.reject(oid, reason, until, who, sigs[:1], sender=psb.approvers[0])


def test_one_approver_signing_twice_counts_once(objections: Any, oid: bytes, psb: Any) -> None:
    reason = commitment("no")
    one = psb.approvers[0]
    who, sigs, until = signatures(objections, [one], oid, uphold=False, reason=reason)
    with ape.reverts(objections.ObjectionSignerOrder, signer=one.address, previous=one.address):
        objections.reject(oid, reason, until, who * 2, sigs * 2, sender=one)


def test_signers_out_of_order_are_refused(objections: Any, oid: bytes, psb: Any) -> None:
    reason = commitment("no")
    who, sigs, until = signatures(objections, psb.approvers[:2], oid, uphold=False, reason=reason)
    with ape.reverts(objections.ObjectionSignerOrder, signer=who[0], previous=who[1]):
        objections.reject(oid, reason, until, who[::-1], sigs[::-1], sender=psb.approvers[0])


def test_expired_decision_is_refused(objections: Any, oid: bytes, psb: Any, chain: Any) -> None:
    until = chain.pending_timestamp - 1
    with ape.reverts(objections.SignatureExpired, deadline=until):
        reject(objections, psb.approvers[:2], oid, commitment("no"), deadline=until)


def test_a_signature_counts_only_for_the_signer_it_names(
    objections: Any, oid: bytes, psb: Any
) -> None:
    """R2-5: approver A's signature, placed in B's entry, is checked over a message naming B."""
    reason = commitment("no")
    a, b, c = psb.approvers[:3]
    who, sigs, until = signatures(objections, [a, b], oid, uphold=False, reason=reason)
    _, c_sig, _ = signatures(objections, [c], oid, uphold=False, reason=reason, deadline=until)
    swapped = [sigs[0], c_sig[0]]
    with ape.reverts(objections.SignatureInvalidSigner, signer=who[1]):
        objections.reject(oid, reason, until, who, swapped, sender=a)


def test_signatures_of_another_decision_are_refused(objections: Any, oid: bytes, psb: Any) -> None:
    """Signed to uphold, relayed as a rejection; signed for one reason, relayed with another."""
    who, sigs, until = signatures(objections, psb.approvers[:2], oid, uphold=True)
    with ape.reverts(objections.SignatureInvalidSigner, signer=who[0]):
        objections.reject(oid, commitment("no"), until, who, sigs, sender=psb.approvers[0])
    signed_for = commitment("first text")
    who, sigs, until = signatures(
        objections, psb.approvers[:2], oid, uphold=False, reason=signed_for
    )
    with ape.reverts(objections.SignatureInvalidSigner, signer=who[0]):
        objections.reject(oid, commitment("other"), until, who, sigs, sender=psb.approvers[0])


def test_signatures_of_another_objection_are_refused(
    objections: Any, attestations: Any, schemas: Any, oid: bytes, psb: Any, alice: Any
) -> None:
    fact = attest(attestations, psb.staff, alice, schemas["real_name"], salt=b"\x09" * 32)
    other = file_attestation(objections, alice, alice, fact)
    reason = commitment("no")
    who, sigs, until = signatures(objections, psb.approvers[:2], other, uphold=False, reason=reason)
    with ape.reverts(objections.SignatureInvalidSigner, signer=who[0]):
        objections.reject(oid, reason, until, who, sigs, sender=psb.approvers[0])


def test_signatures_for_another_chain_or_contract_are_refused(
    objections: Any, oid: bytes, psb: Any, chain: Any
) -> None:
    reason = commitment("no")
    for dom in (
        decision_domain(objections, chain.chain_id + 1),
        Domain("ObjectionRegistry", chain.chain_id, psb.admin.address),
        Domain("RuleRegistry", chain.chain_id, objections.address),
    ):
        who, sigs, until = signatures(
            objections, psb.approvers[:2], oid, uphold=False, reason=reason, domain=dom
        )
        with ape.reverts(objections.SignatureInvalidSigner, signer=who[0]):
            objections.reject(oid, reason, until, who, sigs, sender=psb.approvers[0])


def test_signed_decision_cannot_be_replayed(objections: Any, oid: bytes, psb: Any) -> None:
    reason = commitment("no")
    who, sigs, until = signatures(objections, psb.approvers[:2], oid, uphold=False, reason=reason)
    objections.reject(oid, reason, until, who, sigs, sender=psb.approvers[0])
    with ape.reverts(objections.ObjectionNotOpen, id=oid, status=REJECTED):
        objections.reject(oid, reason, until, who, sigs, sender=psb.approvers[1])


def test_approver_removed_after_signing_no_longer_counts(
    objections: Any, departments: Any, oid: bytes, psb: Any
) -> None:
    """M-1: standing is checked at submission, not when the approver signed."""
    reason = commitment("no")
    who, sigs, until = signatures(objections, psb.approvers[:2], oid, uphold=False, reason=reason)
    departments.setMemberRoles(psb.approvers[1], 1, sender=psb.admin)  # STAFF only now
    with ape.reverts(objections.ObjectionNotApprover, account=psb.approvers[1].address, owner=PSB):
        objections.reject(oid, reason, until, who, sigs, sender=psb.approvers[0])


def test_a_threshold_outside_its_bounds_is_refused_at_deployment(
    project: Any, deployer: Any, departments: Any, citizen_ids: Any, attestations: Any, anchors: Any
) -> None:
    for bad in (0, 17):
        with ape.reverts(project.ObjectionRegistry.ObjectionInvalidThreshold, signatures=bad):
            project.ObjectionRegistry.deploy(
                departments, citizen_ids, attestations, anchors, bad, sender=deployer
            )


# --- the threshold of each department (the council's) -----------------------------------------


def test_council_sets_a_departments_threshold_and_its_decisions_need_that_many(
    objections: Any, oid: bytes, psb: Any, council: Any
) -> None:
    hrss = code("HRSS")
    assert objections.thresholdOf(PSB) == objections.thresholdOf(hrss) == SIGNATURES
    tx = objections.setThreshold(PSB, 3, sender=council)
    event = next(iter(tx.decode_logs(objections.ObjectionThresholdSet)))
    assert (bytes(event.department), event.signatures, event.sender) == (PSB, 3, council.address)
    try:
        assert objections.thresholdOf(PSB) == 3 and objections.thresholdOf(hrss) == SIGNATURES
        reason = commitment("no")
        with ape.reverts(objections.ObjectionInsufficientSignatures, given=2, required=3):
            reject(objections, psb.approvers[:2], oid, reason)
        tx = reject(objections, psb.approvers[:3], oid, reason)
        assert len(next(iter(tx.decode_logs(objections.ObjectionRejected))).signers) == 3
        assert objections.state(oid) == REJECTED
    finally:
        objections.setThreshold(PSB, 0, sender=council)
    assert objections.thresholdOf(PSB) == SIGNATURES


def test_a_department_may_decide_alone_when_the_council_sets_one(
    objections: Any, oid: bytes, psb: Any, council: Any
) -> None:
    objections.setThreshold(PSB, 1, sender=council)
    try:
        with ape.reverts(objections.ObjectionInsufficientSignatures, given=2, required=1):
            reject(objections, psb.approvers[:2], oid, commitment("no"))
        reject(objections, [psb.approvers[1]], oid, commitment("no"))
        assert objections.state(oid) == REJECTED
    finally:
        objections.setThreshold(PSB, 0, sender=council)


def test_a_threshold_above_the_maximum_is_refused(objections: Any, council: Any) -> None:
    assert objections.MAX_SIGNATURES() == 16
    objections.setThreshold(PSB, 16, sender=council)  # the maximum itself is allowed
    objections.setThreshold(PSB, 0, sender=council)
    with ape.reverts(objections.ObjectionInvalidThreshold, signatures=17):
        objections.setThreshold(PSB, 17, sender=council)


def test_only_the_council_sets_thresholds(objections: Any, psb: Any) -> None:
    for who in (psb.admin, psb.approvers[0]):
        with ape.reverts(objections.ObjectionUnauthorizedCouncil, caller=who.address):
            objections.setThreshold(PSB, 1, sender=who)


@pytest.fixture
def a_and_her_wallet(project: Any, deployer: Any, departments: Any, psb: Any) -> tuple[Any, Any]:
    """PSB approver A, and a contract wallet (ERC-1271, owned by A's key) PSB made an APPROVER."""
    a = psb.approvers[0]
    wallet = project.TestContractWallet.deploy(a, sender=deployer)
    departments.addMember(wallet, ROLE_APPROVER, sender=psb.admin)
    wallet.execute(departments, departments.acceptMembership.encode_input(PSB), sender=a)
    return a, wallet


def _sign(
    account: Any, objections: Any, oid: bytes, reason: bytes, signer: str, until: int
) -> bytes:
    msg = decision_message(oid, False, 0, reason, signer, until)
    return OBJECTION_DECISION.sign(account.private_key, decision_domain(objections), msg)


def test_a_contract_wallet_approver_cosigns_through_erc1271(
    objections: Any, oid: bytes, psb: Any, a_and_her_wallet: tuple[Any, Any], chain: Any
) -> None:
    a, wallet = a_and_her_wallet
    b = psb.approvers[1]
    reason, until = commitment("no"), chain.pending_timestamp + 3600
    entries = sorted(
        [
            (wallet.address, _sign(a, objections, oid, reason, wallet.address, until)),
            (b.address, _sign(b, objections, oid, reason, b.address, until)),
        ],
        key=lambda e: int(e[0], 16),
    )
    who, sigs = [e[0] for e in entries], [e[1] for e in entries]
    objections.reject(oid, reason, until, who, sigs, sender=b)
    assert objections.state(oid) == REJECTED


def test_one_approvers_signature_does_not_count_for_her_wallet_too(
    objections: Any, oid: bytes, a_and_her_wallet: tuple[Any, Any], chain: Any
) -> None:
    """R2-5: A signs once (naming A); packed as A and as her wallet, the wallet is asked about a
    message naming the wallet, which A never signed."""
    a, wallet = a_and_her_wallet
    reason, until = commitment("no"), chain.pending_timestamp + 3600
    once = _sign(a, objections, oid, reason, a.address, until)
    entries = sorted([(a.address, once), (wallet.address, once)], key=lambda e: int(e[0], 16))
    who, sigs = [e[0] for e in entries], [e[1] for e in entries]
    with ape.reverts(objections.SignatureInvalidSigner, signer=wallet.address):
        objections.reject(oid, reason, until, who, sigs, sender=a)
