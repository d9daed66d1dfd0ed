"""Attacks on identities, departments, attestations and the council: each is refused.

Every test names the attack and says why it fails. A test marked ``xfail(strict=True)`` is an
attack that SUCCEEDS today: a finding, listed in docs/security.md.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.identity.messages import (
    ADD_DELEGATE,
    APPROVE_RECOVERY,
    ATTEST,
    CHANGE_OWNER,
    COUNCIL_APPROVAL,
    attestation_domain,
    citizen_domain,
    council_domain,
)
from tests.adversarial.attacks import TX_GAS_CAP, malleate, on_chain, on_contract
from tests.adversarial.conftest import OTHER_CHAIN_ID
from tests.helpers import ROLE_ADMIN, ROLE_STAFF, code, enrol
from tests.identity.conftest import COUNCIL_THRESHOLD, ZERO32, ZERO_ADDRESS, council_decide

DAY = 86_400
AGENT = code("agent")  # any delegate type; the registry does not interpret it


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


def _owner_change(registry: Any, chain: Any, alice: Any, new_owner: Any, **dom: Any) -> Any:
    """Alice's signed ChangeOwner message (fields, signature) for ``registry`` unless moved."""
    domain = citizen_domain(chain.chain_id, registry.address)
    if "chain_id" in dom:
        domain = on_chain(domain, dom["chain_id"])
    if "contract" in dom:
        domain = on_contract(domain, dom["contract"])
    fields = {
        "identity": alice.address,
        "newOwner": new_owner.address,
        "owner": registry.identityOwner(alice),
        "nonce": registry.nonces(alice),
        "deadline": chain.pending_timestamp + DAY,
    }
    return fields, CHANGE_OWNER.sign(alice.private_key, domain, fields)


def _add_delegate(registry: Any, chain: Any, alice: Any, delegate: Any) -> tuple[dict, bytes]:
    fields = {
        "identity": alice.address,
        "delegateType": AGENT,
        "delegate": delegate.address,
        "validity": DAY,
        "owner": registry.identityOwner(alice),
        "nonce": registry.nonces(alice),
        "deadline": chain.pending_timestamp + DAY,
    }
    domain = citizen_domain(chain.chain_id, registry.address)
    return fields, ADD_DELEGATE.sign(alice.private_key, domain, fields)


def _relay_add_delegate(registry: Any, fields: dict, sig: bytes, sender: Any) -> Any:
    return registry.addDelegateSigned(
        fields["identity"],
        fields["delegateType"],
        fields["delegate"],
        fields["validity"],
        fields["deadline"],
        sig,
        sender=sender,
    )


# --- signature replays -------------------------------------------------------------------------


def test_owner_change_signed_for_another_chain_id_is_refused(
    citizen_registry: Any, chain: Any, alice: Any, outsider: Any
) -> None:
    """Replay across chains: the EIP-712 domain holds the chain id, so a signature made for
    another chain recovers to a stranger, not to the owner."""
    fields, sig = _owner_change(citizen_registry, chain, alice, outsider, chain_id=OTHER_CHAIN_ID)
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=alice.address):
        citizen_registry.changeOwnerSigned(
            alice, outsider, fields["deadline"], sig, sender=outsider
        )
    assert citizen_registry.identityOwner(alice) == alice.address


def test_owner_change_signed_for_another_registry_is_refused(
    citizen_registry: Any, registry: Any, chain: Any, alice: Any, outsider: Any
) -> None:
    """Replay across contracts: a signature made for another CitizenRegistry deployment (the
    sharing one) names that contract as verifyingContract, so it fails here."""
    fields, sig = _owner_change(registry, chain, alice, outsider)
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=alice.address):
        citizen_registry.changeOwnerSigned(
            alice, outsider, fields["deadline"], sig, sender=outsider
        )


def test_signed_delegate_replayed_after_its_nonce_was_used_is_refused(
    citizen_registry: Any, chain: Any, alice: Any, citizens: list[Any], outsider: Any
) -> None:
    """Replay after use: the signed message holds the identity's nonce, which the first relay
    consumed; the same bytes no longer match the current nonce."""
    fields, sig = _add_delegate(citizen_registry, chain, alice, citizens[5])
    _relay_add_delegate(citizen_registry, fields, sig, outsider)
    citizen_registry.revokeDelegate(alice, AGENT, citizens[5], sender=alice)
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=alice.address):
        _relay_add_delegate(citizen_registry, fields, sig, outsider)
    assert not citizen_registry.validDelegate(alice, AGENT, citizens[5])


def test_high_s_signature_is_refused(
    citizen_registry: Any, chain: Any, alice: Any, citizens: list[Any], outsider: Any
) -> None:
    """Malleability: the high-s twin of a valid signature would recover to the same owner, but
    OpenZeppelin ECDSA accepts low s only, so the twin is not a signature at all."""
    fields, sig = _add_delegate(citizen_registry, chain, alice, citizens[5])
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=alice.address):
        _relay_add_delegate(citizen_registry, fields, malleate(sig), outsider)


def test_signature_past_its_deadline_is_refused(
    citizen_registry: Any, chain: Any, alice: Any, citizens: list[Any], outsider: Any
) -> None:
    """A relayer holding a signed message back: the deadline is part of the message and is
    checked before the signature."""
    fields, sig = _add_delegate(citizen_registry, chain, alice, citizens[5])
    chain.mine(deltatime=DAY + 1)
    with ape.reverts(citizen_registry.SignatureExpired, deadline=fields["deadline"]):
        _relay_add_delegate(citizen_registry, fields, sig, outsider)


def test_attestation_signed_for_another_registry_is_refused(
    attestations: Any,
    other_attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    chain: Any,
    alice: Any,
    outsider: Any,
) -> None:
    """Replay across contracts: a PSB clerk's Attest signature for another AttestationRegistry
    does not verify here (verifyingContract differs)."""
    staff = depts["PSB"].staff
    request = (alice.address, schemas["real_name"], b"\x11" * 32, 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    msg = _attest_message(staff, request, 0, deadline)
    domain = attestation_domain(chain.chain_id, other_attestations.address)
    sig = _attest_sign(staff, domain, msg)
    with ape.reverts(attestations.SignatureInvalidSigner, signer=staff.address):
        attestations.attestBySig(staff, code("PSB"), request, deadline, sig, sender=outsider)


def test_attestation_replayed_after_its_nonce_was_used_is_refused(
    attestations: Any, schemas: dict[str, bytes], depts: Any, chain: Any, alice: Any, outsider: Any
) -> None:
    """Replay after use: attestBySig consumes the attester's nonce inside the check, so the
    second relay of the same signature hashes another nonce."""
    staff = depts["PSB"].staff
    request = (alice.address, schemas["real_name"], b"\x11" * 32, 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    domain = attestation_domain(chain.chain_id, attestations.address)
    sig = _attest_sign(
        staff, domain, _attest_message(staff, request, attestations.nonces(staff), deadline)
    )
    attestations.attestBySig(staff, code("PSB"), request, deadline, sig, sender=outsider)
    chain.mine(deltatime=1)  # another block time: the uid would differ, only the nonce stops it
    with ape.reverts(attestations.SignatureInvalidSigner, signer=staff.address):
        attestations.attestBySig(staff, code("PSB"), request, deadline, sig, sender=outsider)


def _attest_message(
    staff: Any, request: tuple, nonce: int, deadline: int, department: bytes = code("PSB")
) -> dict[str, Any]:
    subject, schema, data_hash, expiry, ref = request
    return {
        "attester": staff.address,
        "department": department,
        "subject": subject,
        "schema": schema,
        "dataHash": data_hash,
        "expiry": expiry,
        "refUID": ref,
        "nonce": nonce,
        "deadline": deadline,
    }


def _attest_sign(staff: Any, domain: Any, msg: dict[str, Any]) -> bytes:
    return ATTEST.sign(staff.private_key, domain, msg)


# --- signatures by keys that lost their rights -------------------------------------------------


def test_attestation_signed_by_a_removed_member_is_refused(
    attestations: Any,
    departments: Any,
    schemas: dict[str, bytes],
    depts: Any,
    chain: Any,
    alice: Any,
    outsider: Any,
) -> None:
    """A clerk signs, is dismissed, and someone relays the signature later: membership is
    checked when the signature is used, not when it was made."""
    psb = depts["PSB"]
    request = (alice.address, schemas["real_name"], b"\x11" * 32, 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    domain = attestation_domain(chain.chain_id, attestations.address)
    sig = _attest_sign(
        psb.staff,
        domain,
        _attest_message(psb.staff, request, attestations.nonces(psb.staff), deadline),
    )
    departments.removeMember(psb.staff, sender=psb.admin)
    with ape.reverts(attestations.AttestationUnauthorized, account=psb.staff.address):
        attestations.attestBySig(psb.staff, code("PSB"), request, deadline, sig, sender=outsider)


def test_attestation_signed_by_a_suspended_departments_member_is_refused(
    attestations: Any,
    departments: Any,
    council: Any,
    schemas: dict[str, bytes],
    depts: Any,
    chain: Any,
    alice: Any,
    outsider: Any,
) -> None:
    """The council suspends Public Security; its members' earlier signatures lose their force
    at once (memberOf reports the member inactive)."""
    psb = depts["PSB"]
    request = (alice.address, schemas["real_name"], b"\x11" * 32, 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    domain = attestation_domain(chain.chain_id, attestations.address)
    sig = _attest_sign(
        psb.staff,
        domain,
        _attest_message(psb.staff, request, attestations.nonces(psb.staff), deadline),
    )
    departments.suspend(psb.code, sender=council)
    with ape.reverts(attestations.AttestationUnauthorized, account=psb.staff.address):
        attestations.attestBySig(psb.staff, code("PSB"), request, deadline, sig, sender=outsider)


def test_outsider_cannot_attest(
    attestations: Any, schemas: dict[str, bytes], alice: Any, outsider: Any
) -> None:
    """A forged credential: a key in no department cannot attest anything."""
    with ape.reverts(attestations.AttestationUnauthorized, account=outsider.address):
        attestations.attest(alice, schemas["subsidy"], b"\x01" * 32, 0, ZERO32, sender=outsider)


def test_department_cannot_use_another_departments_schema(
    attestations: Any, schemas: dict[str, bytes], depts: Any, alice: Any
) -> None:
    """An over-reaching department: HRSS staff attesting a real-name check, a schema reserved
    to Public Security."""
    staff = depts["HRSS"].staff
    with ape.reverts(attestations.AttestationSchemaNotAllowed, schema=schemas["real_name"]):
        attestations.attest(alice, schemas["real_name"], b"\x01" * 32, 0, ZERO32, sender=staff)


def test_department_cannot_revoke_another_departments_attestation(
    attestations: Any, schemas: dict[str, bytes], depts: Any, alice: Any
) -> None:
    """Erasing a fact another department attested: the record carries the attesting
    department's tag, and only that department's members may revoke."""
    tx = attestations.attest(
        alice, schemas["real_name"], b"\x01" * 32, 0, ZERO32, sender=depts["PSB"].staff
    )
    uid = tx.return_value
    with ape.reverts(attestations.AttestationUnauthorizedRevoker, uid=uid):
        attestations.revoke(uid, sender=depts["HRSS"].approvers[0])
    assert attestations.isValid(uid)


# --- recovery ----------------------------------------------------------------------------------


@pytest.fixture
def guarded(citizen_registry: Any, alice: Any, citizens: list[Any]) -> Any:
    """Alice's identity with three relatives as guardians, two needed, a three-day lock."""
    citizen_registry.setGuardians(alice, citizens[2:5], 2, 3 * DAY, sender=alice)
    return citizen_registry


def test_recovery_by_fewer_guardians_than_the_threshold_is_refused(
    guarded: Any, alice: Any, citizens: list[Any], outsider: Any, chain: Any
) -> None:
    """One guardian (or a thief who bribed one) tries to take the identity: below the
    threshold nothing is queued, however long one waits."""
    guarded.approveRecovery(alice, outsider, sender=citizens[2])
    chain.mine(deltatime=4 * DAY)
    with ape.reverts(guarded.CitizenRecoveryNotQueued, identity=alice.address):
        guarded.finalizeRecovery(alice, outsider, sender=outsider)
    assert guarded.identityOwner(alice) == alice.address


def test_recovery_cancelled_by_the_owner_cannot_be_finalised(
    guarded: Any, alice: Any, citizens: list[Any], outsider: Any, chain: Any
) -> None:
    """Colluding guardians reach the threshold while the owner still holds the key: the owner
    cancels during the time lock and the queued recovery dies (the epoch moved)."""
    guarded.approveRecovery(alice, outsider, sender=citizens[2])
    guarded.approveRecovery(alice, outsider, sender=citizens[3])
    guarded.cancelRecovery(alice, sender=alice)
    chain.mine(deltatime=4 * DAY)
    with ape.reverts(guarded.CitizenRecoveryNotQueued, identity=alice.address):
        guarded.finalizeRecovery(alice, outsider, sender=outsider)


def test_guardian_signature_replayed_after_cancellation_is_refused(
    guarded: Any, alice: Any, citizens: list[Any], outsider: Any, chain: Any
) -> None:
    """Replay after revocation: a guardian's ApproveRecovery signature names the recovery
    epoch; after the owner cancels, the same signature no longer verifies."""
    guardian = citizens[2]
    deadline = chain.pending_timestamp + DAY
    msg = {
        "identity": alice.address,
        "newOwner": outsider.address,
        "guardian": guardian.address,
        "epoch": guarded.guardianSet(alice).epoch,
        "deadline": deadline,
    }
    domain = citizen_domain(chain.chain_id, guarded.address)
    sig = APPROVE_RECOVERY.sign(guardian.private_key, domain, msg)
    guarded.approveRecoveryBySig(alice, outsider, guardian, deadline, sig, sender=outsider)
    guarded.cancelRecovery(alice, sender=alice)
    with ape.reverts(guarded.SignatureInvalidSigner, signer=guardian.address):
        guarded.approveRecoveryBySig(alice, outsider, guardian, deadline, sig, sender=outsider)


def test_recovery_before_the_time_lock_is_refused(
    guarded: Any, alice: Any, citizens: list[Any], outsider: Any
) -> None:
    """Guardians racing the owner: even at the threshold the new key waits out the lock, the
    owner's window to cancel."""
    guarded.approveRecovery(alice, outsider, sender=citizens[2])
    guarded.approveRecovery(alice, outsider, sender=citizens[3])
    with ape.reverts(guarded.CitizenRecoveryLocked, identity=alice.address):
        guarded.finalizeRecovery(alice, outsider, sender=outsider)


def test_stranger_cannot_change_a_citizens_owner(
    citizen_registry: Any, alice: Any, outsider: Any
) -> None:
    """Identity theft by a direct call: only the current owner key may change the owner."""
    with ape.reverts(citizen_registry.CitizenUnauthorizedOwner, caller=outsider.address):
        citizen_registry.changeOwner(alice, outsider, sender=outsider)


# --- council -----------------------------------------------------------------------------------


def test_council_action_below_threshold_is_refused(
    council_contract: Any, governed_departments: Any, council_members: list[Any], chain: Any
) -> None:
    """Three of seven council members (threshold four) try to suspend Public Security."""
    reg = governed_departments
    data = bytes(reg.suspend.encode_input(code("PSB")))
    pid = council_decide(council_contract, council_members, reg, data, chain, COUNCIL_THRESHOLD - 1)
    with ape.reverts(council_contract.CouncilThresholdNotMet, approvals=COUNCIL_THRESHOLD - 1):
        council_contract.execute(pid, sender=council_members[0])
    assert reg.departmentStatus(code("PSB")) == 2  # still Active


def test_removed_council_members_signature_is_refused(
    council_contract: Any, governed_departments: Any, council_members: list[Any], chain: Any
) -> None:
    """A member is voted off the council; its approval signature, relayed afterwards, counts
    for nothing."""
    removed = council_members[6]
    remove = bytes(council_contract.removeMember.encode_input(removed))
    pid = council_decide(
        council_contract, council_members, council_contract, remove, chain, COUNCIL_THRESHOLD
    )
    council_contract.execute(pid, sender=council_members[0])
    reg = governed_departments
    data = bytes(reg.suspend.encode_input(code("PSB")))
    target = council_decide(council_contract, council_members, reg, data, chain, 1)
    p = council_contract.proposal(target)
    msg = {
        "proposalId": target, "target": p.target, "data": bytes(p.data), "expiry": p.expiry,
        "member": removed.address, "generation": 7,  # its generation while it sat
    }  # fmt: skip
    domain = council_domain(chain.chain_id, council_contract.address)
    sig = COUNCIL_APPROVAL.sign(removed.private_key, domain, msg)
    with ape.reverts(council_contract.CouncilNotMember, account=removed.address):
        council_contract.approveBySig(target, [removed], [sig], sender=council_members[0])


def test_council_signature_for_another_proposal_is_refused(
    council_contract: Any, governed_departments: Any, council_members: list[Any], chain: Any
) -> None:
    """Replay across proposals: an approval signature names the proposal id, target, data and
    expiry; it does not approve a different proposal."""
    reg = governed_departments
    benign = council_decide(
        council_contract, council_members, reg, bytes(reg.admit.encode_input(code("X"))), chain, 1
    )
    hostile = council_decide(
        council_contract,
        council_members,
        reg,
        bytes(reg.suspend.encode_input(code("PSB"))),
        chain,
        1,
    )
    p = council_contract.proposal(benign)
    signer = council_members[3]
    msg = {
        "proposalId": benign, "target": p.target, "data": bytes(p.data), "expiry": p.expiry,
        "member": signer.address, "generation": council_contract.generationOf(signer),
    }  # fmt: skip
    sig = COUNCIL_APPROVAL.sign(
        signer.private_key, council_domain(chain.chain_id, council_contract.address), msg
    )
    with ape.reverts(council_contract.SignatureInvalidSigner, signer=signer.address):
        council_contract.approveBySig(hostile, [signer], [sig], sender=council_members[0])


def test_council_member_cannot_bypass_the_council(
    council_contract: Any, governed_departments: Any, council_members: list[Any]
) -> None:
    """One council member calls the registry's council-only function directly, and the
    council's own membership function, instead of going through a proposal."""
    member = council_members[0]
    with ape.reverts(governed_departments.DepartmentUnauthorizedCouncil, caller=member.address):
        governed_departments.suspend(code("PSB"), sender=member)
    with ape.reverts(council_contract.CouncilOnlySelf, caller=member.address):
        council_contract.addMember(member, sender=member)


def test_executed_proposal_cannot_run_twice(
    council_contract: Any, governed_departments: Any, council_members: list[Any], chain: Any
) -> None:
    """Replaying an executed decision (e.g. to suspend a reinstated department again)."""
    reg = governed_departments
    data = bytes(reg.suspend.encode_input(code("PSB")))
    pid = council_decide(council_contract, council_members, reg, data, chain, COUNCIL_THRESHOLD)
    council_contract.execute(pid, sender=council_members[0])
    with ape.reverts(council_contract.CouncilAlreadyExecuted, id=pid):
        council_contract.execute(pid, sender=council_members[0])


# --- initialisation and roles ------------------------------------------------------------------


def test_approval_module_cannot_be_set_twice(
    attestations: Any, approvals: Any, deployer: Any
) -> None:
    """Re-initialisation: the deployer (or a thief of its key) tries to swap the approval
    module for one it controls. The module is set once; the contracts have no initializer."""
    with ape.reverts(attestations.AttestationApprovalModuleAlreadySet, module=approvals.address):
        attestations.setApprovalModule(deployer, sender=deployer)
    assert attestations.approvalModule() == approvals.address


def test_only_the_deployer_may_wire_the_approval_module(
    other_attestations: Any, outsider: Any
) -> None:
    """Hijacking a fresh deployment before it is wired: only the deployer may set the module."""
    with ape.reverts(other_attestations.AttestationUnauthorizedDeployer, caller=outsider.address):
        other_attestations.setApprovalModule(outsider, sender=outsider)


def test_approval_module_entry_is_closed_to_everyone_else(
    attestations: Any, schemas: dict[str, bytes], depts: Any, alice: Any
) -> None:
    """Calling the module-only entry point directly to attest with a department's full
    authority."""
    staff = depts["CIVIL"].staff
    with ape.reverts(attestations.AttestationUnauthorizedApprovalModule, caller=staff.address):
        attestations.attestFromApproval(
            depts["CIVIL"].code, alice, schemas["subsidy"], b"\x01" * 32, 0, ZERO32, sender=staff
        )


def test_staff_cannot_act_as_admin(departments: Any, depts: Any, outsider: Any) -> None:
    """Role escalation: a clerk adds an accomplice's key to the department."""
    staff = depts["HRSS"].staff
    with ape.reverts(departments.DepartmentUnauthorizedAdmin, caller=staff.address):
        departments.addMember(outsider, ROLE_STAFF, sender=staff)


def test_staff_cannot_promote_itself(departments: Any, depts: Any) -> None:
    """Role escalation: a clerk gives itself the ADMIN role."""
    staff = depts["HRSS"].staff
    with ape.reverts(departments.DepartmentUnauthorizedAdmin, caller=staff.address):
        departments.setMemberRoles(staff, ROLE_STAFF | ROLE_ADMIN, sender=staff)


def test_admin_cannot_remove_another_departments_member(departments: Any, depts: Any) -> None:
    """An over-reaching department: the HRSS admin dismisses a Public Security clerk. An admin
    acts only inside its own department, where that key is not a member."""
    psb_staff = depts["PSB"].staff
    with ape.reverts(departments.DepartmentNotMember, account=psb_staff.address):
        departments.removeMember(psb_staff, sender=depts["HRSS"].admin)
    assert departments.isActiveMember(psb_staff, depts["PSB"].code, ROLE_STAFF)


def test_suspended_departments_admin_loses_admin_rights(
    departments: Any, council: Any, depts: Any, outsider: Any
) -> None:
    """A suspended department's admin keeps adding keys: suspension removes every right."""
    hrss = depts["HRSS"]
    departments.suspend(hrss.code, sender=council)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin, caller=hrss.admin.address):
        departments.addMember(outsider, ROLE_STAFF, sender=hrss.admin)


def test_outsider_cannot_bind_someone_elses_key_by_proposing_a_department(
    departments: Any, depts: Any, accounts: Any, outsider: Any
) -> None:
    """Griefing by admission request: an outsider proposes a department naming the key HRSS is
    about to enrol as that department's admin, front-running the enrolment. Refused: a
    department is proposed by its own first ADMIN key, so only a key's holder can bind it."""
    new_clerk = accounts[57]
    with ape.reverts(
        departments.DepartmentUnauthorizedProposer, caller=outsider.address, admin=new_clerk.address
    ):
        departments.propose(code("JUNK"), "Junk", 330100, "", ZERO32, new_clerk, sender=outsider)
    enrol(departments, depts["HRSS"].admin, new_clerk, ROLE_STAFF)
    assert departments.isActiveMember(new_clerk, depts["HRSS"].code, ROLE_STAFF)


# --- zero addresses and oversized input ---------------------------------------------------------


def test_zero_address_is_refused_everywhere(
    departments: Any,
    citizen_registry: Any,
    council_contract: Any,
    depts: Any,
    alice: Any,
    citizens: list[Any],
) -> None:
    """Zero addresses, which would lock a role or an identity for good: as a member, as an
    owner, as a delegate, as a guardian, as a recovery target."""
    with ape.reverts(departments.DepartmentZeroAddress):
        departments.addMember(ZERO_ADDRESS, ROLE_STAFF, sender=depts["HRSS"].admin)
    with ape.reverts(citizen_registry.CitizenZeroAddress):
        citizen_registry.changeOwner(alice, ZERO_ADDRESS, sender=alice)
    with ape.reverts(citizen_registry.CitizenZeroAddress):
        citizen_registry.addDelegate(alice, AGENT, ZERO_ADDRESS, DAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenInvalidGuardian, guardian=ZERO_ADDRESS):
        citizen_registry.setGuardians(alice, [citizens[2], ZERO_ADDRESS], 2, 3 * DAY, sender=alice)
    citizen_registry.setGuardians(alice, citizens[2:4], 2, 3 * DAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenZeroAddress):
        citizen_registry.approveRecovery(alice, ZERO_ADDRESS, sender=citizens[2])


def test_long_endpoint_is_refused(departments: Any, depts: Any) -> None:
    """Oversized input: an endpoint of 257 bytes (storage bloat, clients choking on it)."""
    with ape.reverts(departments.DepartmentEndpointTooLong, length=257, max=256):
        departments.setEndpoint("https://" + "a" * 249, sender=depts["HRSS"].admin)


def test_long_department_name_is_refused(departments: Any, outsider: Any, accounts: Any) -> None:
    """Oversized input: a department name of 129 bytes in an admission request."""
    with ape.reverts(departments.DepartmentInvalidName, length=129, max=128):
        departments.propose(code("LONG"), "n" * 129, 330100, "", ZERO32, outsider, sender=outsider)


def test_too_many_guardians_is_refused(citizen_registry: Any, alice: Any, accounts: Any) -> None:
    """Oversized input: 17 guardians (each recovery approval scans the list)."""
    many = [accounts[i] for i in range(60 - 17, 60)]
    with ape.reverts(citizen_registry.CitizenTooManyGuardians, count=17, max=16):
        citizen_registry.setGuardians(alice, many, 2, 3 * DAY, sender=alice)


def test_attestation_batch_over_the_gas_cap_is_refused(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    """Oversized batch: 700 attestations in one transaction would need more gas than one
    transaction may use on an osaka network (EIP-7825), where it could never be mined. The
    contract refuses any batch over MAX_BATCH up front, and a full batch fits under the cap."""
    requests = [
        (citizens[i % 12].address, schemas["subsidy"], i.to_bytes(32, "big"), 0, ZERO32)
        for i in range(700)
    ]
    approver = depts["CIVIL"].approvers[0]
    most = attestations.MAX_BATCH()
    with ape.reverts(attestations.AttestationBatchTooLarge, count=700, max=most):
        attestations.multiAttest(requests, sender=approver)
    full = attestations.multiAttest.estimate_gas_cost(requests[:most], sender=approver)
    assert full < TX_GAS_CAP
