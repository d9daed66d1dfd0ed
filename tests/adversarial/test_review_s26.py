"""Review s26 (docs/security.md): A-1, informational and documented - one key decides a 2-of-n
step as itself and as its ERC-1271 wallet, and keeps the wallet's vote after its own removal -
and the wallet games against the 65-byte entries that the reviewer found refused.

``DecisionVerifier`` counts distinct member ADDRESSES: a key K that is an APPROVER of a
department, and a wallet W that accepts K's signatures and is also an APPROVER of it, are two
signers (ascending, distinct), so K alone meets a threshold of 2. And removing K (or marking it
compromised) leaves W a member: K's holder still signs for W. Nothing on chain links W to K, so
the registry cannot refuse either; the department's ADMIN (and the council on a compromise)
must know which wallets a key controls. The other wallet games of the brief are refused (see
the report: offsets into the entries, shared data, duplicates, dirty address words).

The first test pins the documented behaviour (a department removes a key's wallets with it); if
the registry ever links wallets to keys, it fails and the documentation changes with it.
"""

from __future__ import annotations

from typing import Any

from govchain.approval import CaseStatus
from govchain.approval.messages import pack_signatures
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    DAY,
    Desk,
    approvals,
    attestations,
    citizen_registry,
    desk,
    rule_registry,
    schemas,
)
from tests.helpers import ROLE_APPROVER


def test_a_removed_keys_wallet_stays_an_approver(
    approvals: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    depts: Any,
    citizens: Any,
    project: Any,
    deployer: Any,
    accounts: Any,
    departments: Any,
) -> None:
    key = accounts[56]
    dpf = depts["DPF"]
    wallet = project.TestContractWallet.deploy(key, sender=deployer)
    for member in (key, wallet):
        departments.addMember(member, ROLE_APPROVER, sender=dpf.admin)
    departments.acceptMembership(dpf.code, sender=key)
    wallet.execute(departments, departments.acceptMembership.encode_input(dpf.code), sender=key)

    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sigs = [
        desk.sign(key, cid, 0, deadline=deadline),
        desk.sign(key, cid, 0, deadline=deadline, wallet=wallet.address),
    ]
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=pack_signatures(sigs))
    receipt = desk.submit(cid, terms, [decision], citizens[2])
    [log] = receipt.decode_logs(approvals.StepDecided)
    assert sorted(log.signers) == sorted([key.address, wallet.address])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED

    # the key is removed; its wallet stays an approver, and the key still signs for it
    departments.removeMember(key, sender=dpf.admin)
    terms = desk.terms([("DPF", 1)], citizen=citizens[1])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    packed = pack_signatures([desk.sign(key, cid, 0, deadline=deadline, wallet=wallet.address)])
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=packed)
    desk.submit(cid, terms, [decision], citizens[2])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


# --- what the review tried against the 65-byte entries and found refused (sound) -------------


def _two_wallets(project: Any, deployer: Any, departments: Any, dpf: Any, key: Any) -> list[Any]:
    wallets = [project.TestContractWallet.deploy(key, sender=deployer) for _ in range(2)]
    for w in wallets:
        departments.addMember(w, ROLE_APPROVER, sender=dpf.admin)
        w.execute(departments, departments.acceptMembership.encode_input(dpf.code), sender=key)
    return sorted(wallets, key=lambda w: int(w.address, 16))


def test_sound_a_wallet_entry_cannot_point_into_the_entries(
    approvals: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    depts: Any,
    citizens: Any,
    project: Any,
    deployer: Any,
    accounts: Any,
    departments: Any,
) -> None:
    import ape

    from govchain.approval.messages import SignerSignature, entry

    key = accounts[56]
    first, second = _two_wallets(project, deployer, departments, depts["DPF"], key)
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    good = desk.sign(key, cid, 0, deadline=deadline, wallet=first.address)
    packed = pack_signatures(
        [good, desk.sign(key, cid, 0, deadline=deadline, wallet=second.address)]
    )
    # entry 1's data offset moved to 0 (inside the entries), to 64, and to entry 0's data
    for offset, error in ((0, "malformed"), (64, "malformed"), (130, "invalid")):
        bad = (
            packed[:65]
            + entry(SignerSignature(second.address, b"", contract=True), offset)
            + packed[130:]
        )
        decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=bad)
        if error == "malformed":
            with ape.reverts(approvals.ApprovalMalformedSignature, index=1):
                desk.submit(cid, terms, [decision], citizens[2])
        else:  # the first wallet's data is a signature of the Decision naming the first wallet
            with ape.reverts(approvals.SignatureInvalidSigner, signer=second.address):
                desk.submit(cid, terms, [decision], citizens[2])
    # the same wallet twice: refused by the order rule
    twice = entry(SignerSignature(first.address, b"", contract=True), 130) * 2 + packed[130:]
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=twice)
    with ape.reverts(approvals.ApprovalSignerOrder, signer=first.address, previous=first.address):
        desk.submit(cid, terms, [decision], citizens[2])


def test_sound_a_high_s_twin_and_a_replay_to_another_step_or_case_are_refused(
    approvals: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    depts: Any,
    citizens: Any,
) -> None:
    import ape

    from tests.adversarial.attacks import SECP256K1_N

    approver = depts["DPF"].approvers[0]
    terms = desk.terms([("DPF", 1), ("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sig = desk.sign(approver, cid, 0, deadline=deadline).signature
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=twin)
    with ape.reverts(approvals.ApprovalMalformedSignature, index=0):
        desk.submit(cid, terms, [decision], citizens[2])
    # step 0's signature presented for step 1 (after step 0 is decided) recovers another key
    desk.submit(
        cid, terms, [desk.step_decision(cid, 0, [], deadline=deadline, packed=sig)], citizens[2]
    )
    replay = desk.step_decision(cid, 1, [], deadline=deadline, packed=sig)
    with ape.reverts():
        desk.submit(cid, terms, [replay], citizens[2])
    assert approvals.caseOf(cid).currentStep == 1
