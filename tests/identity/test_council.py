"""Council: M-of-N proposals approved on chain or by signatures, expiring, executed once."""

from __future__ import annotations

from functools import partial
from typing import Any

import ape
import pytest

from govchain.identity.messages import COUNCIL_APPROVAL, council_domain
from tests.helpers import refused_deployment
from tests.identity.conftest import COUNCIL_THRESHOLD, ZERO_ADDRESS, council_decide

DAY = 86_400


def _sign(
    council_contract: Any, chain: Any, signer: Any, pid: bytes, generation: int | None = None
) -> bytes:
    """``signer``'s approval of ``pid`` in its current membership generation unless given."""
    p = council_contract.proposal(pid)
    msg = {
        "proposalId": pid,
        "target": p.target,
        "data": bytes(p.data),
        "expiry": p.expiry,
        "member": signer.address,
        "generation": (council_contract.generationOf(signer) if generation is None else generation),
    }
    return COUNCIL_APPROVAL.sign(
        signer.private_key, council_domain(chain.chain_id, council_contract.address), msg
    )


@pytest.fixture
def add_member_data(council_contract: Any, accounts: Any) -> bytes:
    return bytes(council_contract.addMember.encode_input(accounts[57]))


# --- deployment --------------------------------------------------------------------------------


def test_council_is_set_up_at_deployment(
    project: Any, deployer: Any, council_members: list[Any], chain: Any
) -> None:
    council_contract = project.Council.deploy(council_members, COUNCIL_THRESHOLD, sender=deployer)
    assert council_contract.members() == [m.address for m in council_members]
    assert council_contract.threshold() == COUNCIL_THRESHOLD
    assert all(council_contract.isMember(m) for m in council_members)
    receipt = chain.get_receipt(council_contract.txn_hash)
    added = list(receipt.events.filter(council_contract.CouncilMemberAdded))
    assert [e.member for e in added] == [m.address for m in council_members]
    [changed] = receipt.events.filter(council_contract.CouncilThresholdChanged)
    assert (changed.previous, changed.threshold) == (0, COUNCIL_THRESHOLD)


def test_deployment_sanity_checks(project: Any, deployer: Any, accounts: Any) -> None:
    a, b = accounts[57], accounts[58]
    refused = partial(refused_deployment, project.Council, sender=deployer)  # not ape.reverts
    assert refused([[a, ZERO_ADDRESS], 1]) == ("CouncilZeroAddress", {})
    assert refused([[a, a], 1]) == ("CouncilAlreadyMember", {"account": a.address})
    assert refused([[a, b], 0]) == ("CouncilInvalidThreshold", {"threshold": 0, "members": 2})
    assert refused([[a, b], 3]) == ("CouncilInvalidThreshold", {"threshold": 3, "members": 2})
    assert refused([list(accounts[:33]), 2]) == ("CouncilTooManyMembers", {"max": 32})


def test_council_has_no_initializer_to_call_again(council_contract: Any) -> None:
    names = {abi.name for abi in council_contract.contract_type.mutable_methods}
    assert not any("init" in n.lower() for n in names)


# --- propose and approve -----------------------------------------------------------------------


def test_member_proposes_and_others_approve(
    council_contract: Any, council_members: list[Any], add_member_data: bytes, chain: Any
) -> None:
    expiry = chain.pending_timestamp + DAY
    proposer = council_members[0]
    tx = council_contract.propose(council_contract, add_member_data, expiry, sender=proposer)
    [created] = tx.events.filter(council_contract.ProposalCreated)
    pid = tx.return_value
    assert created.id == pid
    assert created.proposer == proposer.address
    assert created.target == council_contract.address
    assert created.data == add_member_data
    assert created.expiry == expiry
    [approved] = tx.events.filter(council_contract.ProposalApproved)
    assert (approved.id, approved.member) == (pid, proposer.address)
    tx = council_contract.approve(pid, sender=council_members[1])
    [approved] = tx.events.filter(council_contract.ProposalApproved)
    assert approved.member == council_members[1].address
    view = council_contract.proposal(pid)
    assert (view.target, view.expiry, view.executed, view.proposer, view.approvals) == (
        council_contract.address, expiry, False, proposer.address, 2,
    )  # fmt: skip
    assert council_contract.hasApproved(pid, council_members[1])
    assert not council_contract.hasApproved(pid, council_members[2])


def test_proposal_rules(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    outsider: Any,
    chain: Any,
) -> None:
    now = chain.pending_timestamp
    m = council_members[0]
    with ape.reverts(council_contract.CouncilNotMember, account=outsider.address):
        council_contract.propose(council_contract, add_member_data, now + DAY, sender=outsider)
    with ape.reverts(council_contract.CouncilZeroAddress):
        council_contract.propose(ZERO_ADDRESS, add_member_data, now + DAY, sender=m)
    with ape.reverts(council_contract.CouncilInvalidExpiry):
        council_contract.propose(council_contract, add_member_data, now - 1, sender=m)
    with ape.reverts(council_contract.CouncilInvalidExpiry):
        council_contract.propose(council_contract, add_member_data, now + 31 * DAY, sender=m)


def test_approval_rules(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    outsider: Any,
    chain: Any,
) -> None:
    pid = council_decide(
        council_contract, council_members, council_contract, add_member_data, chain, 1
    )
    with ape.reverts(
        council_contract.CouncilAlreadyApproved, id=pid, member=council_members[0].address
    ):
        council_contract.approve(pid, sender=council_members[0])
    with ape.reverts(council_contract.CouncilNotMember, account=outsider.address):
        council_contract.approve(pid, sender=outsider)
    with ape.reverts(council_contract.CouncilUnknownProposal, id=b"\x01" * 32):
        council_contract.approve(b"\x01" * 32, sender=council_members[1])
    with ape.reverts(council_contract.CouncilUnknownProposal):
        council_contract.proposal(b"\x01" * 32)
    expiry = council_contract.proposal(pid).expiry
    chain.pending_timestamp = expiry
    with ape.reverts(council_contract.CouncilProposalExpired, id=pid, expiry=expiry):
        council_contract.approve(pid, sender=council_members[1])


def test_signed_approvals_in_any_order(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    outsider: Any,
    chain: Any,
) -> None:
    pid = council_decide(
        council_contract, council_members, council_contract, add_member_data, chain, 1
    )
    signers = [council_members[3], council_members[1], council_members[2]]
    sigs = [_sign(council_contract, chain, s, pid) for s in signers]
    tx = council_contract.approveBySig(pid, signers, sigs, sender=outsider)
    assert [e.member for e in tx.events.filter(council_contract.ProposalApproved)] == [
        s.address for s in signers
    ]
    assert council_contract.proposal(pid).approvals == 4
    with ape.reverts(council_contract.CouncilAlreadyApproved):  # no member counts twice
        council_contract.approveBySig(pid, signers[:1], sigs[:1], sender=outsider)


def test_signed_approval_rules(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    outsider: Any,
    chain: Any,
) -> None:
    pid = council_decide(
        council_contract, council_members, council_contract, add_member_data, chain, 1
    )
    good = _sign(council_contract, chain, council_members[1], pid)
    with ape.reverts(council_contract.CouncilLengthMismatch, signers=1, signatures=0):
        council_contract.approveBySig(pid, [council_members[1]], [], sender=outsider)
    with ape.reverts(council_contract.SignatureInvalidSigner, signer=council_members[2].address):
        council_contract.approveBySig(pid, [council_members[2]], [good], sender=outsider)
    with ape.reverts(council_contract.CouncilNotMember, account=outsider.address):
        council_contract.approveBySig(
            pid, [outsider], [_sign(council_contract, chain, outsider, pid)], sender=outsider
        )
    with ape.reverts(council_contract.CouncilAlreadyApproved):
        council_contract.approveBySig(pid, [council_members[1]] * 2, [good, good], sender=outsider)


# --- execute -----------------------------------------------------------------------------------


def test_execution_needs_the_threshold_and_happens_once(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    accounts: Any,
    outsider: Any,
    chain: Any,
) -> None:
    pid = council_decide(
        council_contract,
        council_members,
        council_contract,
        add_member_data,
        chain,
        COUNCIL_THRESHOLD - 1,
    )
    with ape.reverts(council_contract.CouncilThresholdNotMet, id=pid, approvals=3, threshold=4):
        council_contract.execute(pid, sender=outsider)
    council_contract.approve(pid, sender=council_members[COUNCIL_THRESHOLD])
    tx = council_contract.execute(pid, sender=outsider)
    [executed] = tx.events.filter(council_contract.ProposalExecuted)
    assert (executed.id, executed.executor, executed.approvals) == (pid, outsider.address, 4)
    [added] = tx.events.filter(council_contract.CouncilMemberAdded)
    assert added.member == accounts[57].address
    assert council_contract.isMember(accounts[57])
    assert council_contract.proposal(pid).executed
    with ape.reverts(council_contract.CouncilAlreadyExecuted, id=pid):
        council_contract.execute(pid, sender=outsider)


def test_expired_proposal_cannot_execute(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    outsider: Any,
    chain: Any,
) -> None:
    pid = council_decide(
        council_contract,
        council_members,
        council_contract,
        add_member_data,
        chain,
        COUNCIL_THRESHOLD,
    )
    chain.pending_timestamp += DAY
    with ape.reverts(council_contract.CouncilProposalExpired):
        council_contract.execute(pid, sender=outsider)


def test_failing_call_reverts_with_the_targets_error(
    council_contract: Any, council_members: list[Any], outsider: Any, chain: Any
) -> None:
    data = bytes(council_contract.addMember.encode_input(council_members[1]))
    pid = council_decide(
        council_contract, council_members, council_contract, data, chain, COUNCIL_THRESHOLD
    )
    with ape.reverts(council_contract.CouncilAlreadyMember, account=council_members[1].address):
        council_contract.execute(pid, sender=outsider)


# --- membership and threshold ------------------------------------------------------------------


def test_membership_changes_only_through_proposals(
    council_contract: Any, council_members: list[Any], accounts: Any
) -> None:
    m = council_members[0]
    with ape.reverts(council_contract.CouncilOnlySelf, caller=m.address):
        council_contract.addMember(accounts[57], sender=m)
    with ape.reverts(council_contract.CouncilOnlySelf):
        council_contract.removeMember(council_members[1], sender=m)
    with ape.reverts(council_contract.CouncilOnlySelf):
        council_contract.changeThreshold(2, sender=m)


def _execute(council_contract: Any, members: list[Any], data: bytes, chain: Any) -> Any:
    pid = council_decide(
        council_contract, members, council_contract, data, chain, COUNCIL_THRESHOLD
    )
    return council_contract.execute(pid, sender=members[0])


def test_council_removes_a_member_and_its_approvals_stop_counting(
    council_contract: Any, council_members: list[Any], add_member_data: bytes, chain: Any
) -> None:
    leaving = council_members[6]
    pending = council_decide(
        council_contract, council_members[3:], council_contract, add_member_data, chain, 4
    )
    assert council_contract.proposal(pending).approvals == 4
    tx = _execute(
        council_contract,
        council_members,
        bytes(council_contract.removeMember.encode_input(leaving)),
        chain,
    )
    [removed] = tx.events.filter(council_contract.CouncilMemberRemoved)
    assert removed.member == leaving.address
    assert not council_contract.isMember(leaving)
    assert council_contract.proposal(pending).approvals == 3
    # Rejoining does not revive the old approval.
    _execute(
        council_contract,
        council_members,
        bytes(council_contract.addMember.encode_input(leaving)),
        chain,
    )
    assert not council_contract.hasApproved(pending, leaving)
    with ape.reverts(council_contract.CouncilThresholdNotMet):
        council_contract.execute(pending, sender=leaving)


def test_a_signed_approval_is_not_replayed_after_its_signer_leaves_and_rejoins(
    council_contract: Any,
    council_members: list[Any],
    add_member_data: bytes,
    outsider: Any,
    chain: Any,
) -> None:
    leaving = council_members[6]
    pending = council_decide(
        council_contract, council_members[3:4], council_contract, add_member_data, chain, 1
    )
    signature = _sign(council_contract, chain, leaving, pending)
    council_contract.approveBySig(pending, [leaving], [signature], sender=outsider)
    for action in ("removeMember", "addMember"):
        _execute(
            council_contract,
            council_members[:6],
            bytes(getattr(council_contract, action).encode_input(leaving)),
            chain,
        )
    assert council_contract.isMember(leaving)
    # the signature names the generation it was made in, which is over
    with ape.reverts(council_contract.SignatureInvalidSigner, signer=leaving.address):
        council_contract.approveBySig(pending, [leaving], [signature], sender=outsider)
    # the rejoined member may approve anew, on chain
    council_contract.approve(pending, sender=leaving)
    assert council_contract.hasApproved(pending, leaving)


def test_council_changes_its_threshold(
    council_contract: Any, council_members: list[Any], chain: Any
) -> None:
    tx = _execute(
        council_contract,
        council_members,
        bytes(council_contract.changeThreshold.encode_input(5)),
        chain,
    )
    [event] = tx.events.filter(council_contract.CouncilThresholdChanged)
    assert (event.previous, event.threshold) == (4, 5)
    assert council_contract.threshold() == 5


def test_threshold_sanity_on_changes(
    council_contract: Any, council_members: list[Any], accounts: Any, chain: Any
) -> None:
    for data, error in (
        (
            council_contract.changeThreshold.encode_input(8),
            council_contract.CouncilInvalidThreshold,
        ),
        (
            council_contract.changeThreshold.encode_input(0),
            council_contract.CouncilInvalidThreshold,
        ),
        (
            council_contract.addMember.encode_input(ZERO_ADDRESS),
            council_contract.CouncilZeroAddress,
        ),
        (
            council_contract.removeMember.encode_input(accounts[57]),
            council_contract.CouncilNotMember,
        ),
    ):
        pid = council_decide(
            council_contract,
            council_members,
            council_contract,
            bytes(data),
            chain,
            COUNCIL_THRESHOLD,
        )
        with ape.reverts(error):
            council_contract.execute(pid, sender=council_members[0])
    # 7 members, threshold 7: removing one would make every decision impossible.
    _execute(
        council_contract,
        council_members,
        bytes(council_contract.changeThreshold.encode_input(7)),
        chain,
    )
    data = bytes(council_contract.removeMember.encode_input(council_members[6]))
    pid = council_decide(council_contract, council_members, council_contract, data, chain, 7)
    with ape.reverts(council_contract.CouncilInvalidThreshold, threshold=7, members=6):
        council_contract.execute(pid, sender=council_members[0])
