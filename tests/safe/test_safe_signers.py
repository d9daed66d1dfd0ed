"""The official Safe (1.4.1 and 1.5.0, CompatibilityFallbackHandler) as a govchain signer, through
ERC-1271.

A Safe's owners each sign the Safe's ``SafeMessage`` over govchain's EIP-712 digest naming the
Safe (``govchain.safe``); joined in ascending owner order they are the Safe's signature,
which the contracts check with OpenZeppelin's ``SignatureChecker`` → the Safe's
``isValidSignature``. Proved here: a 2-of-3 Safe decides a case step as an APPROVER (its packed
entry ``safe ‖ offset ‖ 0 ‖ 0x00`` plus its bytes, R2-5), approves a Council proposal as a
council member, and acts for a citizen identity it owns; and each way it is refused: below the
Safe's threshold, an ex-owner's signature, a signature of another case, step or verdict, and
the Safe's signature counted for its owner too (or an owner's for the Safe).
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from govchain.approval import CaseStatus
from govchain.approval.decisions import SignedDecision, sign_decision
from govchain.approval.messages import DECISION, SignerSignature, decision, pack_signatures
from govchain.identity.messages import (
    ADD_DELEGATE,
    COUNCIL_APPROVAL,
    citizen_domain,
    council_domain,
)
from govchain.safe import (
    OwnerSignature,
    SafeWallet,
    combine_owner_signatures,
    safe_message_hash,
    sign_safe_message,
)
from govchain.toolchain.safe import SafeDeployment, artifact
from govchain.tx import Sender, encode_call
from tests.approval.conftest import Desk, h
from tests.helpers import ROLE_APPROVER, code
from tests.safe.conftest import local, make_safe

DAY = 86_400
SENTINEL = "0x" + "00" * 19 + "01"  # the head of a Safe's owner list


@pytest.fixture
def owners(depts: Any) -> list[LocalAccount]:
    """A's key (DPF approver 1, an approver in her own right) and two more owners."""
    return [local(depts["DPF"].approvers[0]), Account.create(), Account.create()]


@pytest.fixture
def safe(
    safe_contracts: SafeDeployment, relayer: Sender, owners: list[LocalAccount],
    departments: Any, depts: Any,
) -> SafeWallet:  # fmt: skip
    """A 2-of-3 Safe that DPF made an APPROVER; it accepted the offer by a Safe transaction."""
    wallet = make_safe(safe_contracts, relayer, owners, 2)
    dpf = depts["DPF"]
    departments.addMember(wallet.address, ROLE_APPROVER, sender=dpf.admin)
    accept = bytes(departments.acceptMembership.encode_input(dpf.code))
    wallet.execute(relayer, owners[1:], departments.address, accept)
    return wallet


def safe_part(
    owner: LocalAccount, desk: Desk, safe: str, cid: bytes, step: int, deadline: int,
    approve: bool = True,
) -> SignedDecision:  # fmt: skip
    """One owner's decision file: the SafeMessage over the Decision naming the Safe."""
    return sign_decision(owner, desk.domain, cid, step, approve, h("ok"), deadline, safe=safe)


def joined(parts: list[SignedDecision]) -> SignerSignature:
    signature = combine_owner_signatures(
        OwnerSignature(p.safe_owner, p.signature) for p in parts if p.safe_owner
    )
    return SignerSignature(parts[0].signer, signature, contract=True)


def test_the_safe_is_the_official_version_from_npm(
    safe: SafeWallet, owners: list[Any], safe_version: str
) -> None:
    assert safe.version() == safe_version
    assert safe.threshold() == 2 and set(safe.owners()) == {o.address for o in owners}


def test_owners_sign_the_safes_own_message_hash(
    safe: SafeWallet, safe_contracts: SafeDeployment, w3: Any, safe_version: str
) -> None:
    """The SDK's SafeMessage digest is the one the Safe's handler computes."""
    digest = bytes(keccak(text="any govchain digest"))
    handler = w3.eth.contract(
        address=safe_contracts.handler,
        abi=artifact("CompatibilityFallbackHandler", safe_version)["abi"],
    )
    on_chain = handler.functions.getMessageHashForSafe(safe.address, digest).call()
    assert bytes(on_chain) == safe_message_hash(w3.eth.chain_id, safe.address, digest)


# --- (a) an APPROVER ---------------------------------------------------------------------------


def test_a_2_of_3_safe_decides_a_step_with_another_approver(
    approvals: Any, desk: Desk, depts: Any, citizens: list[Any], outsider: Any,
    safe: SafeWallet, owners: list[LocalAccount],
) -> None:  # fmt: skip
    b = depts["DPF"].approvers[1]
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    parts = [safe_part(o, desk, safe.address, cid, 0, deadline) for o in owners[1:]]
    assert all(p.owner_recovered() == p.safe_owner for p in parts)
    packed = pack_signatures([joined(parts), desk.sign(b, cid, 0, deadline=deadline)])
    receipt = desk.submit(
        cid, terms, [desk.step_decision(cid, 0, [], deadline=deadline, packed=packed)], outsider
    )
    [decided] = receipt.decode_logs(approvals.StepDecided)
    assert sorted(decided.signers) == sorted([safe.address, b.address])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def submit_safe_only(desk: Desk, terms: Any, cid: bytes, sig: SignerSignature, deadline: int,
                     outsider: Any, approve: bool = True) -> Any:  # fmt: skip
    decision_ = desk.step_decision(
        cid, 0, [], approve=approve, deadline=deadline, packed=pack_signatures([sig])
    )
    return desk.submit(cid, terms, [decision_], sender=outsider)


def test_below_the_safes_threshold_is_refused(
    approvals: Any, desk: Desk, citizens: list[Any], outsider: Any, safe: SafeWallet,
    owners: list[LocalAccount],
) -> None:  # fmt: skip
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    one = joined([safe_part(owners[1], desk, safe.address, cid, 0, deadline)])
    with ape.reverts(approvals.SignatureInvalidSigner, signer=safe.address):
        submit_safe_only(desk, terms, cid, one, deadline, outsider)
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_an_ex_owners_signature_is_refused(
    approvals: Any, desk: Desk, citizens: list[Any], outsider: Any, safe: SafeWallet,
    owners: list[LocalAccount], relayer: Sender, safe_version: str,
) -> None:  # fmt: skip
    """Owner 3 leaves the Safe (removeOwner, threshold kept at 2); owners 2 and 3 together are
    no longer the Safe's signature."""
    listed = safe.owners()
    gone = owners[2].address
    i = listed.index(gone)
    prev = SENTINEL if i == 0 else listed[i - 1]
    remove = artifact("Safe", safe_version)["abi"]
    contract = safe.w3.eth.contract(address=safe.address, abi=remove)
    data = bytes.fromhex(encode_call(contract.functions.removeOwner(prev, gone, 2))[2:])
    safe.execute(relayer, owners[:2], safe.address, data)
    assert gone not in safe.owners()
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sig = joined([safe_part(o, desk, safe.address, cid, 0, deadline) for o in owners[1:]])
    with ape.reverts(approvals.SignatureInvalidSigner, signer=safe.address):
        submit_safe_only(desk, terms, cid, sig, deadline, outsider)
    # the remaining owners still decide
    ok = joined([safe_part(o, desk, safe.address, cid, 0, deadline) for o in owners[:2]])
    submit_safe_only(desk, terms, cid, ok, deadline, outsider)
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


@pytest.mark.parametrize("other", ["case", "step", "verdict"])
def test_a_signature_of_another_case_step_or_verdict_is_refused(
    other: str, approvals: Any, desk: Desk, citizens: list[Any], outsider: Any,
    safe: SafeWallet, owners: list[LocalAccount],
) -> None:  # fmt: skip
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    signed_cid, step, approve = cid, 0, True
    if other == "case":
        signed_cid = desk.open(desk.terms([("DPF", 1)], citizen=citizens[1]))
    elif other == "step":
        step = 1
    else:
        approve = False
    parts = [
        safe_part(o, desk, safe.address, signed_cid, step, deadline, approve) for o in owners[:2]
    ]
    with ape.reverts(approvals.SignatureInvalidSigner, signer=safe.address):
        submit_safe_only(desk, terms, cid, joined(parts), deadline, outsider)
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_r2_5_the_safes_signature_does_not_count_for_its_owner_too(
    approvals: Any, desk: Desk, depts: Any, citizens: list[Any], outsider: Any,
    safe: SafeWallet, owners: list[LocalAccount],
) -> None:  # fmt: skip
    """A (DPF approver and Safe owner) and owner 2 sign for the Safe; the clerk also packs A's
    part of the Safe's signature as A's own entry, so that a 2-approver step would be decided
    by the Safe alone. A's SafeMessage signature is not A's signature of the Decision for keys:
    as an EOA entry it recovers an unrelated address, no approver."""
    a = depts["DPF"].approvers[0]
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    parts = [safe_part(o, desk, safe.address, cid, 0, deadline) for o in owners[:2]]
    a_part = next(p for p in parts if p.safe_owner == a.address)
    stranger = desk.recovered(a_part.signature, cid, 0, deadline, comment=h("ok"))
    assert stranger != a.address
    # packed in the order the contract checks (by the key the entry recovers)
    as_a = SignerSignature(stranger, a_part.signature)
    packed = pack_signatures([joined(parts), as_a])
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [desk.step_decision(cid, 0, [], deadline=deadline,
                                                    packed=packed)], sender=outsider)  # fmt: skip
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_r2_5_an_owners_own_signature_does_not_count_for_the_safe(
    approvals: Any, desk: Desk, depts: Any, citizens: list[Any], outsider: Any,
    safe: SafeWallet, owners: list[LocalAccount],
) -> None:  # fmt: skip
    """The other way round: A's own signature (of the Decision for keys), with owner 2's,
    offered as the Safe's: the Safe is asked about a Decision naming the Safe, which A did not
    sign."""
    a = depts["DPF"].approvers[0]
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    own = desk.sign(a, cid, 0, deadline=deadline)
    second = safe_part(owners[1], desk, safe.address, cid, 0, deadline)
    as_safe = combine_owner_signatures(
        [
            OwnerSignature(a.address, own.signature),
            OwnerSignature(owners[1].address, second.signature),
        ]
    )
    packed = pack_signatures([own, SignerSignature(safe.address, as_safe, contract=True)])
    with ape.reverts(approvals.SignatureInvalidSigner, signer=safe.address):
        desk.submit(cid, terms, [desk.step_decision(cid, 0, [], deadline=deadline,
                                                    packed=packed)], sender=outsider)  # fmt: skip
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_the_sdk_joins_owner_files_and_refuses_what_the_safe_would(
    desk: Desk, safe: SafeWallet, owners: list[LocalAccount], citizens: list[Any]
) -> None:
    """``SafeWallet.check_owner_signatures``: below threshold and a stranger are refused in one
    line before anything is sent; two owners make a signature the Safe accepts."""
    cid = desk.open(desk.terms([("DPF", 1)], citizen=citizens[0]))
    deadline = desk.now() + DAY
    parts = [safe_part(o, desk, safe.address, cid, 0, deadline) for o in owners]
    sigs = [OwnerSignature(p.safe_owner, p.signature) for p in parts if p.safe_owner]
    digest = parts[0].digest()
    assert safe.accepts(digest, safe.check_owner_signatures(sigs))
    assert not safe.accepts(digest, sigs[0].signature)
    with pytest.raises(Exception, match="needs 2 owners' signatures"):
        safe.check_owner_signatures(sigs[:1])
    stranger = Account.create()
    other = sign_decision(stranger, desk.domain, cid, 0, True, h("ok"), deadline, safe=safe.address)
    with pytest.raises(Exception, match="is not an owner of Safe"):
        safe.check_owner_signatures([*sigs[:1], OwnerSignature(stranger.address, other.signature)])


# --- (b) a council member ----------------------------------------------------------------------


@pytest.fixture
def safe_council(
    project: Any, deployer: Any, safe_contracts: SafeDeployment, relayer: Sender,
    owners: list[LocalAccount], citizens: list[Any],
) -> tuple[Any, Any, SafeWallet, list[Any]]:  # fmt: skip
    """A Council of three founders' ADMINs, the first being a 2-of-3 Safe (threshold 2)."""
    wallet = make_safe(safe_contracts, relayer, owners, 2)
    others = [citizens[8], citizens[9]]  # keys of no department yet
    members = [wallet.address, others[0].address, others[1].address]
    council = project.Council.deploy(members, 2, sender=deployer)
    founders = [
        (code(name), name, 330100 + i, "", b"\0" * 32, member)
        for i, (name, member) in enumerate(zip(("BDB", "PSB", "HRSS"), members, strict=True))
    ]
    registry = project.DepartmentRegistry.deploy(council, founders, sender=deployer)
    council.bindRegistry(registry, sender=deployer)
    return council, registry, wallet, others


def council_signature(council: Any, pid: bytes, member: str, owners: list[LocalAccount],
                      chain_id: int) -> bytes:  # fmt: skip
    p = council.proposal(pid)
    digest = COUNCIL_APPROVAL.digest(
        council_domain(chain_id, council.address),
        {"proposalId": pid, "target": p.target, "data": bytes(p.data), "expiry": p.expiry,
         "member": member, "generation": council.generationOf(member)},
    )  # fmt: skip
    return combine_owner_signatures(
        OwnerSignature(o.address, sign_safe_message(o, chain_id, member, digest)) for o in owners
    )


def test_a_safe_council_member_approves_by_signature(
    safe_council: tuple[Any, Any, SafeWallet, list[Any]], owners: list[LocalAccount],
    chain: Any, outsider: Any,
) -> None:  # fmt: skip
    council, _registry, safe, others = safe_council
    assert council.hasSeat(safe.address)
    data = council.changeThreshold.encode_input(3)
    pid = council.propose(
        council, data, chain.pending_timestamp + DAY, sender=others[0]
    ).return_value
    below = council_signature(council, pid, safe.address, owners[:1], chain.chain_id)
    with ape.reverts(council.SignatureInvalidSigner, signer=safe.address):
        council.approveBySig(pid, [safe.address], [below], sender=outsider)
    signature = council_signature(council, pid, safe.address, owners[:2], chain.chain_id)
    council.approveBySig(pid, [safe.address], [signature], sender=outsider)
    assert council.hasApproved(pid, safe.address)
    council.execute(pid, sender=outsider)
    assert council.threshold() == 3


# --- (c) a citizen identity's owner ------------------------------------------------------------


def test_a_safe_owned_identity_adds_a_delegate_by_signature(
    citizen_registry: Any, citizens: list[Any], safe_contracts: SafeDeployment, relayer: Sender,
    owners: list[LocalAccount], chain: Any, outsider: Any,
) -> None:  # fmt: skip
    """A citizen hands her identity to a 2-of-3 Safe (her phone, her laptop, a relative);
    the Safe's owners sign a delegate change that anyone relays."""
    alice = citizens[0]
    wallet = make_safe(safe_contracts, relayer, owners, 2)
    citizen_registry.changeOwner(alice, wallet.address, sender=alice)
    assert citizen_registry.identityOwner(alice) == wallet.address
    agent = bytes(keccak(text="veriKey"))
    delegate = citizens[5].address
    deadline = chain.pending_timestamp + DAY

    def signed(by: list[LocalAccount]) -> bytes:
        message = {"identity": alice.address, "delegateType": agent, "delegate": delegate,
                   "validity": DAY, "owner": wallet.address,
                   "nonce": citizen_registry.nonces(alice), "deadline": deadline}  # fmt: skip
        digest = ADD_DELEGATE.digest(
            citizen_domain(chain.chain_id, citizen_registry.address), message
        )
        return combine_owner_signatures(
            OwnerSignature(o.address, sign_safe_message(o, chain.chain_id, wallet.address, digest))
            for o in by
        )

    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=wallet.address):
        citizen_registry.addDelegateSigned(alice, agent, delegate, DAY, deadline, signed(owners[:1]),
                                           sender=outsider)  # fmt: skip
    citizen_registry.addDelegateSigned(alice, agent, delegate, DAY, deadline, signed(owners[1:]),
                                       sender=outsider)  # fmt: skip
    assert citizen_registry.validDelegate(alice, agent, delegate)


def test_the_decision_digest_the_safe_is_asked_about_names_the_safe(
    desk: Desk, safe: SafeWallet, owners: list[LocalAccount], citizens: list[Any]
) -> None:
    """The file an owner writes states the Decision digest naming the Safe, and its SafeMessage."""
    cid = desk.open(desk.terms([("DPF", 1)], citizen=citizens[0]))
    deadline = desk.now() + DAY
    part = safe_part(owners[1], desk, safe.address, cid, 0, deadline)
    expected = DECISION.digest(desk.domain, decision(cid, 0, True, h("ok"), safe.address, deadline))
    assert part.digest() == expected
    data = part.as_dict()
    assert data["safe"]["owner"] == owners[1].address and data["erc1271"] is True
    assert SignedDecision.from_dict(data) == part
