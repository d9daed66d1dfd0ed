"""Outside review 2: attacks on the fixed contracts against invariants 2, 3 and 4.

Each test asserts the secure behaviour and fails on today's code; it is marked
``xfail(strict=True)`` with its finding id so the suite stays green until the fix lands (the
fix turns the test into an XPASS, which strict mode reports: then drop the marker).

R2-1: an approver's old signed Decision counts although the approver has since voted the
opposite way on chain (mixing ``decide`` and ``submitDecisions``).
R2-2: a guardian who no longer stands (left its department) still cancels the owner's queued
owner or guardian change, so the owner can never replace it.
R2-3: a guardian key the council marked compromised still counts towards a recovery.
R2-4: a share request filed by a clerk key that has since lapsed (marked compromised) is still
approved into a grant: the filer's right is never re-checked when the request takes effect.
R2-5: a case Decision did not name its signer, so one approver's one signature also counted as
the signature of a contract-wallet APPROVER that accepts that approver's key (k=2 met by one).
All five are fixed; the tests are ordinary regression tests now.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.approval import CaseStatus
from govchain.approval.messages import SignerSignature, pack_signatures
from govchain.sharing import category_code
from tests.approval.conftest import Desk, h
from tests.helpers import ROLE_APPROVER
from tests.sharing.conftest import PURPOSE

DAY = 86_400
DELAY = 3 * DAY
ZERO32 = b"\0" * 32


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def new_key(citizens: list[Any]) -> Any:
    return citizens[2]


# --- R2-1: a signature counts against its signer's later on-chain vote ---------------------


def test_r2_1_signature_does_not_override_its_signers_onchain_rejection(
    approvals: Any, desk: Desk, depts: Any, alice: Any, outsider: Any
) -> None:
    """DPF approver A signs an approval off chain (say, on a clerk's tablet), then learns the
    documents are forged and rejects on chain with ``decide``. The clerk relays A's old
    signature with B's: the step — and the case — is approved with A's authority although A's
    last recorded word on this step is a rejection. The signer of a counted signature must not
    have voted on the step (``ApprovalAlreadyVoted``), or an on-chain vote must void the
    signer's signatures for the step."""
    terms = desk.terms([("DPF", 2)], citizen=alice)
    cid = desk.open(terms)
    a, b, _ = depts["DPF"].approvers
    signed_earlier = desk.step_decision(cid, 0, [a, b], approve=True)
    approvals.decide(cid, terms.as_tuple(), False, h("forged"), sender=a)
    assert approvals.hasVoted(cid, 0, a)
    with ape.reverts(approvals.ApprovalAlreadyVoted, caseId=cid, step=0, approver=a.address):
        desk.submit(cid, terms, [signed_earlier], sender=outsider)  # today: Approved
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_r2_1_signature_of_an_onchain_approver_is_not_counted_twice(
    approvals: Any, desk: Desk, depts: Any, alice: Any, outsider: Any
) -> None:
    """R2-1, same side: A approved on chain; A's signature is refused in a submission too, so
    one approver never counts twice on a step (the rule does not depend on the side)."""
    terms = desk.terms([("DPF", 2)], citizen=alice)
    cid = desk.open(terms)
    a, b, _ = depts["DPF"].approvers
    approvals.decide(cid, terms.as_tuple(), True, h("ok"), sender=a)
    decision = desk.step_decision(cid, 0, [a, b], approve=True)
    with ape.reverts(approvals.ApprovalAlreadyVoted, caseId=cid, step=0, approver=a.address):
        desk.submit(cid, terms, [decision], sender=outsider)
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_r2_1_signers_who_have_not_voted_still_decide_the_step(
    approvals: Any, desk: Desk, depts: Any, alice: Any, outsider: Any
) -> None:
    """R2-1, what the rule allows: C rejected on chain; A and B, who have not voted, still
    decide the step with their signatures."""
    terms = desk.terms([("DPF", 2)], citizen=alice)
    cid = desk.open(terms)
    a, b, c = depts["DPF"].approvers
    approvals.decide(cid, terms.as_tuple(), False, h("no"), sender=c)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, [a, b], approve=True)], sender=outsider)
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


# --- R2-2: a lapsed guardian vetoes the owner's queued changes forever --------------------


@pytest.fixture
def guardians(citizens: list[Any], depts: Any) -> list[Any]:
    return [citizens[3], citizens[4], depts["PSB"].staff]


def test_r2_2_guardian_who_left_its_department_cannot_cancel_the_owners_change(
    registry: Any, departments: Any, alice: Any, guardians: list[Any], depts: Any,
    citizens: list[Any],
) -> None:  # fmt: skip
    """A PSB officer is one of Alice's guardians. PSB dismisses it: by the standing rule it no
    longer counts for anything (approveRecovery refuses it). Alice queues a guardian change to
    replace it; the dismissed officer cancels it — and every later one, and every queued key
    rotation: while guardians are set, Alice can change neither her key nor her guardians, and
    the one person she wants out holds a veto. The cancel right must pass the same standing
    rule as an approval."""
    psb = depts["PSB"]
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    dismissed = guardians[2]
    departments.removeMember(dismissed, sender=psb.admin)
    with ape.reverts(
        registry.CitizenGuardianDepartmentChanged,
        identity=alice.address, guardian=dismissed.address, chosen=psb.code, current=ZERO32,
    ):  # fmt: skip
        registry.approveRecovery(alice, citizens[7], sender=dismissed)  # the rule, as it is
    replacement = [guardians[0], guardians[1], citizens[6]]
    registry.setGuardians(alice, replacement, 2, DELAY, sender=alice)  # queued
    assert registry.queuedChange(alice).changeHash != ZERO32
    with ape.reverts(
        registry.CitizenGuardianDepartmentChanged,
        identity=alice.address, guardian=dismissed.address, chosen=psb.code, current=ZERO32,
    ):  # fmt: skip
        registry.cancelQueuedChange(alice, sender=dismissed)


# --- R2-3: a compromised guardian key still counts ----------------------------------------


def test_r2_3_guardian_key_marked_compromised_does_not_count(
    registry: Any, departments: Any, council: Any, alice: Any, new_key: Any,
    citizens: list[Any], chain: Any,
) -> None:  # fmt: skip
    """Alice's guardians are three relatives (no department). One relative's key is stolen; the
    thief approves a recovery to his key together with a second colluding/phished guardian, and
    the council marks the stolen key compromised (a compromised key "is in no department and can
    never join one" — it is no current key). The standing rule only asks "still in no
    department?", which a compromised key satisfies, so the approval still counts and the
    recovery completes. Expected: a compromised guardian key counts for nothing
    (``CitizenRecoveryApprovalsLapsed`` with counted = 1)."""
    relatives = [citizens[3], citizens[4], citizens[5]]
    registry.setGuardians(alice, relatives, 2, DELAY, sender=alice)
    stolen = relatives[0]
    registry.approveRecovery(alice, new_key, sender=stolen)
    registry.approveRecovery(alice, new_key, sender=relatives[1])
    departments.markCompromised(stolen, sender=council)
    assert departments.compromisedSince(stolen) != 0
    chain.pending_timestamp += DELAY
    with ape.reverts(
        registry.CitizenRecoveryApprovalsLapsed,
        identity=alice.address, newOwner=new_key.address, counted=1, threshold=2,
    ):  # fmt: skip
        registry.finalizeRecovery(alice, new_key, sender=relatives[1])


# --- R2-4: a lapsed clerk's share request takes effect ------------------------------------


def test_r2_4_request_of_a_clerk_key_marked_compromised_is_not_granted(
    grants: Any, departments: Any, council: Any, depts: Any, chain: Any
) -> None:
    """A thief holding a Civil Affairs clerk's key files a request for FINANCE's conditional
    budget data with a made-up purpose. The council marks the key compromised; the request
    stays Pending and nothing shows it came from a key that no longer holds any right. A
    FINANCE approver approves it next week and CIVIL gets a grant nobody entitled asked for.
    Expected: the request records its filer and ``approveRequest`` re-checks it at use
    (``AccessGrantNotStaff(filer, grantee)``)."""
    civil, finance = depts["CIVIL"], depts["FINANCE"]
    now = int(chain.pending_timestamp)
    request = (
        civil.code,
        finance.code,
        [category_code("FINANCE.BUDGET")],
        PURPOSE,
        now,
        now + 90 * DAY,
        10,
        now + 7 * DAY,
        424242,
    )
    grants.fileRequest(request, sender=civil.staff)
    departments.markCompromised(civil.staff, sender=council)
    chain.pending_timestamp += 2 * DAY
    with ape.reverts(
        grants.AccessGrantNotStaff, account=civil.staff.address, department=civil.code
    ):
        grants.approveRequest(request, sender=finance.approvers[0])


# --- R2-5: one signature, two signers --------------------------------------------------------


@pytest.fixture
def a_and_her_wallet(depts: Any, project: Any, deployer: Any, departments: Any) -> tuple[Any, Any]:
    """DPF approver A, and a contract wallet (a 1-of-n department multisig, here owned by A's
    key alone) that DPF made an APPROVER next to its individual approvers."""
    a = depts["DPF"].approvers[0]
    dpf = depts["DPF"]
    wallet = project.TestContractWallet.deploy(a, sender=deployer)
    departments.addMember(wallet, ROLE_APPROVER, sender=dpf.admin)
    wallet.execute(departments, departments.acceptMembership.encode_input(dpf.code), sender=a)
    return a, wallet


def test_r2_5_one_approvers_signature_does_not_count_for_a_wallet_too(
    approvals: Any, desk: Desk, alice: Any, outsider: Any, a_and_her_wallet: tuple[Any, Any]
) -> None:
    """A signs the Decision once; the clerk packs that one signature twice — as A (ECDSA) and
    as the wallet (ERC-1271, which accepts any owner's signature of the digest it is asked
    about) — so that a step needing two approvers is decided by one person. Fixed: a wallet is
    asked about the ``Decision`` naming the wallet, which A never signed (A's key signed the
    one for keys, signer zero): ``SignatureInvalidSigner(wallet)``."""
    a, wallet = a_and_her_wallet
    terms = desk.terms([("DPF", 2)], citizen=alice)
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    once = desk.sign(a, cid, 0, deadline=deadline)
    packed = pack_signatures([once, SignerSignature(wallet.address, once.signature, contract=True)])
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=packed)
    with ape.reverts(approvals.SignatureInvalidSigner, signer=wallet.address):
        desk.submit(cid, terms, [decision], sender=outsider)
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_r2_5_a_wallets_signature_does_not_count_for_its_owner_too(
    approvals: Any, desk: Desk, alice: Any, outsider: Any, a_and_her_wallet: tuple[Any, Any]
) -> None:
    """The other way round: A's key signs for the wallet (a Decision naming the wallet); the
    clerk also packs that signature as A's own ECDSA entry. It is not A's signature of the one
    Decision for keys (signer zero): it recovers an unrelated address, no approver
    (``ApprovalNotApprover``)."""
    a, wallet = a_and_her_wallet
    terms = desk.terms([("DPF", 2)], citizen=alice)
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    for_wallet = desk.sign(a, cid, 0, deadline=deadline, wallet=wallet.address)
    stranger = desk.recovered(for_wallet.signature, cid, 0, deadline)
    assert stranger != a.address
    # packed in the order the contract checks (by the key the entry recovers)
    as_a = SignerSignature(stranger, for_wallet.signature)
    decision = desk.step_decision(
        cid, 0, [], deadline=deadline, packed=pack_signatures([for_wallet, as_a])
    )
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [decision], sender=outsider)
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_r2_5_a_signature_naming_each_signer_still_decides(
    approvals: Any, desk: Desk, depts: Any, alice: Any, outsider: Any,
    a_and_her_wallet: tuple[Any, Any],
) -> None:  # fmt: skip
    """What the rule allows: the wallet's signature of a Decision naming it, next to another
    approver's own, decides a 2-approver step, and both are named in ``StepDecided``."""
    a, wallet = a_and_her_wallet
    b = depts["DPF"].approvers[1]
    terms = desk.terms([("DPF", 2)], citizen=alice)
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sigs = [
        desk.sign(a, cid, 0, deadline=deadline, wallet=wallet.address),
        desk.sign(b, cid, 0, deadline=deadline),
    ]
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=pack_signatures(sigs))
    receipt = desk.submit(cid, terms, [decision], sender=outsider)
    [decided] = receipt.decode_logs(approvals.StepDecided)
    assert sorted(decided.signers) == sorted([wallet.address, b.address])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED
