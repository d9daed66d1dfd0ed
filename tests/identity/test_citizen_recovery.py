"""CitizenRegistry recovery: guardians, threshold, time lock, cancellation, no single-party takeover."""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.identity.messages import (
    APPROVE_RECOVERY,
    CANCEL_RECOVERY,
    SET_GUARDIANS,
    citizen_domain,
)
from tests.helpers import code
from tests.identity.conftest import ZERO_ADDRESS, sign_citizen

DAY = 86_400
DELAY = 3 * DAY


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def new_key(citizens: list[Any]) -> Any:
    return citizens[1]


@pytest.fixture
def guardians(citizens: list[Any], depts: Any) -> list[Any]:
    # Two relatives and a Public Security key: PSB alone can never reach the threshold.
    return [citizens[2], citizens[3], depts["PSB"].staff]


@pytest.fixture
def guarded(citizen_registry: Any, alice: Any, guardians: list[Any]) -> Any:
    citizen_registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    return citizen_registry


def test_owner_chooses_guardians(citizen_registry: Any, alice: Any, guardians: list[Any]) -> None:
    tx = citizen_registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    [event] = tx.events.filter(citizen_registry.GuardiansChanged)
    assert event.identity == alice.address
    assert event.guardians == [g.address for g in guardians]
    assert event.threshold == 2
    assert event.delay == DELAY
    assert event.sender == alice.address
    s = citizen_registry.guardianSet(alice)
    assert s.guardians == [g.address for g in guardians]
    assert (s.threshold, s.delay, s.epoch) == (2, DELAY, 1)
    # not an ERC-1056 change: the history pointer stays where did:ethr resolvers walk it
    assert citizen_registry.changed(alice) == 0


def test_guardian_set_rules(
    citizen_registry: Any, alice: Any, guardians: list[Any], accounts: Any, depts: Any
) -> None:
    g = guardians
    with ape.reverts(citizen_registry.CitizenUnauthorizedOwner):
        citizen_registry.setGuardians(alice, g, 2, DELAY, sender=g[0])
    with ape.reverts(citizen_registry.CitizenInvalidGuardianThreshold, threshold=1, guardians=3):
        citizen_registry.setGuardians(alice, g, 1, DELAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenInvalidGuardianThreshold, threshold=4, guardians=3):
        citizen_registry.setGuardians(alice, g, 4, DELAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenInvalidGuardianThreshold, threshold=2, guardians=0):
        citizen_registry.setGuardians(alice, [], 2, DELAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenRecoveryDelayTooShort, delay=3600, min=DAY):
        citizen_registry.setGuardians(alice, g, 2, 3600, sender=alice)
    with ape.reverts(citizen_registry.CitizenInvalidGuardian, guardian=ZERO_ADDRESS):
        citizen_registry.setGuardians(alice, [g[0], ZERO_ADDRESS], 2, DELAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenInvalidGuardian, guardian=g[0].address):
        citizen_registry.setGuardians(alice, [g[0], g[1], g[0]], 2, DELAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenTooManyGuardians, count=17, max=16):
        citizen_registry.setGuardians(alice, list(accounts[:17]), 2, DELAY, sender=alice)
    psb = depts["PSB"]
    with ape.reverts(citizen_registry.CitizenGuardiansShareDepartment, department=code("PSB")):
        citizen_registry.setGuardians(
            alice, [psb.staff, g[0], psb.approvers[0]], 2, DELAY, sender=alice
        )


def test_empty_guardian_list_turns_recovery_off(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any, chain: Any, outsider: Any
) -> None:
    guarded.setGuardians(alice, [], 0, 0, sender=alice)  # queued: guardians watch
    chain.pending_timestamp += DELAY
    guarded.executeGuardianChange(alice, [], 0, 0, sender=outsider)
    with ape.reverts(
        guarded.CitizenNotGuardian, identity=alice.address, account=guardians[0].address
    ):
        guarded.approveRecovery(alice, new_key, sender=guardians[0])


def test_guardians_recover_after_the_time_lock(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any, outsider: Any, chain: Any
) -> None:
    tx1 = guarded.approveRecovery(alice, new_key, sender=guardians[0])
    [approved] = tx1.events.filter(guarded.RecoveryApproved)
    assert (approved.identity, approved.newOwner, approved.guardian, approved.approvals) == (
        alice.address, new_key.address, guardians[0].address, 1,
    )  # fmt: skip
    assert not list(tx1.events.filter(guarded.RecoveryQueued))
    with ape.reverts(
        guarded.CitizenRecoveryNotQueued, identity=alice.address, newOwner=new_key.address
    ):
        guarded.finalizeRecovery(alice, new_key, sender=outsider)
    tx2 = guarded.approveRecovery(alice, new_key, sender=guardians[2])
    [queued] = tx2.events.filter(guarded.RecoveryQueued)
    ready_at = chain.provider.get_block(tx2.block_number).timestamp + DELAY
    assert queued.readyAt == ready_at
    status = guarded.recoveryStatus(alice, new_key)
    assert (status.approvals, status.readyAt, status.active) == (2, ready_at, True)
    with ape.reverts(
        guarded.CitizenRecoveryLocked,
        identity=alice.address,
        newOwner=new_key.address,
        readyAt=ready_at,
    ):
        guarded.finalizeRecovery(alice, new_key, sender=outsider)
    chain.pending_timestamp = ready_at
    tx = guarded.finalizeRecovery(alice, new_key, sender=outsider)
    [final] = tx.events.filter(guarded.RecoveryFinalized)
    assert (final.identity, final.newOwner, final.by) == (
        alice.address,
        new_key.address,
        outsider.address,
    )
    [owner] = tx.events.filter(guarded.DIDOwnerChanged)
    assert owner.owner == new_key.address
    [epoch] = tx.events.filter(guarded.OwnerEpochChanged)
    assert (epoch.owner, epoch.epoch, epoch.sender) == (new_key.address, 1, outsider.address)
    assert guarded.identityOwner(alice) == new_key.address
    assert not guarded.recoveryStatus(alice, new_key).active  # done, cannot be replayed
    with ape.reverts(guarded.CitizenRecoveryNotQueued):
        guarded.finalizeRecovery(alice, new_key, sender=outsider)


def test_guardian_cannot_count_twice(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any
) -> None:
    guarded.approveRecovery(alice, new_key, sender=guardians[0])
    with ape.reverts(
        guarded.CitizenRecoveryAlreadyApproved,
        identity=alice.address, newOwner=new_key.address, guardian=guardians[0].address,
    ):  # fmt: skip
        guarded.approveRecovery(alice, new_key, sender=guardians[0])


def test_stranger_cannot_approve(guarded: Any, alice: Any, new_key: Any, outsider: Any) -> None:
    with ape.reverts(guarded.CitizenNotGuardian, identity=alice.address, account=outsider.address):
        guarded.approveRecovery(alice, new_key, sender=outsider)


def test_recovery_to_zero_is_refused(guarded: Any, alice: Any, guardians: list[Any]) -> None:
    with ape.reverts(guarded.CitizenZeroAddress):
        guarded.approveRecovery(alice, ZERO_ADDRESS, sender=guardians[0])


def test_owner_cancels_during_the_lock(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any, outsider: Any, chain: Any
) -> None:
    guarded.approveRecovery(alice, new_key, sender=guardians[0])
    guarded.approveRecovery(alice, new_key, sender=guardians[1])
    tx = guarded.cancelRecovery(alice, sender=alice)
    [event] = tx.events.filter(guarded.RecoveryCancelled)
    assert (event.identity, event.owner) == (alice.address, alice.address)
    assert not guarded.recoveryStatus(alice, new_key).active
    chain.pending_timestamp += DELAY
    with ape.reverts(guarded.CitizenRecoveryNotQueued):
        guarded.finalizeRecovery(alice, new_key, sender=outsider)
    # Old approvals do not count in the new epoch.
    guarded.approveRecovery(alice, new_key, sender=guardians[0])
    assert guarded.recoveryStatus(alice, new_key).approvals == 1
    with ape.reverts(guarded.CitizenUnauthorizedOwner):
        guarded.cancelRecovery(alice, sender=guardians[0])


def test_rogue_guardian_cannot_block_the_others(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any, citizens: list[Any], chain: Any
) -> None:
    rogue_key = citizens[9]
    guarded.approveRecovery(alice, rogue_key, sender=guardians[2])  # proposes its own key
    guarded.approveRecovery(alice, new_key, sender=guardians[0])
    guarded.approveRecovery(alice, new_key, sender=guardians[1])
    chain.pending_timestamp += DELAY
    guarded.finalizeRecovery(alice, new_key, sender=guardians[0])
    assert guarded.identityOwner(alice) == new_key.address
    assert not guarded.recoveryStatus(alice, rogue_key).active


def test_new_guardian_set_voids_pending_recoveries(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any, chain: Any
) -> None:
    guarded.approveRecovery(alice, new_key, sender=guardians[0])
    guarded.setGuardians(alice, guardians, 3, DELAY, sender=alice)
    chain.pending_timestamp += DELAY
    guarded.executeGuardianChange(alice, guardians, 3, DELAY, sender=alice)
    assert not guarded.recoveryStatus(alice, new_key).active


def test_signed_guardian_set_and_cancel(
    citizen_registry: Any, alice: Any, guardians: list[Any], outsider: Any, chain: Any
) -> None:
    deadline = chain.pending_timestamp + 3600
    addresses = [g.address for g in guardians]
    sig = sign_citizen(
        citizen_registry, chain, alice, SET_GUARDIANS,
        identity=alice.address, guardians=addresses, threshold=2, delay=DELAY, deadline=deadline,
    )  # fmt: skip
    tx = citizen_registry.setGuardiansSigned(
        alice, guardians, 2, DELAY, deadline, sig, sender=outsider
    )
    [event] = tx.events.filter(citizen_registry.GuardiansChanged)
    assert event.guardians == addresses
    with ape.reverts(citizen_registry.SignatureInvalidSigner):  # replay
        citizen_registry.setGuardiansSigned(
            alice, guardians, 2, DELAY, deadline, sig, sender=outsider
        )
    sig = sign_citizen(
        citizen_registry, chain, alice, CANCEL_RECOVERY, identity=alice.address, deadline=deadline
    )
    tx = citizen_registry.cancelRecoverySigned(alice, deadline, sig, sender=outsider)
    [event] = tx.events.filter(citizen_registry.RecoveryCancelled)
    assert event.owner == alice.address
    assert citizen_registry.guardianSet(alice).epoch == 2
    assert citizen_registry.nonces(alice) == 2


def test_guardian_approves_by_signature(
    guarded: Any, alice: Any, guardians: list[Any], new_key: Any, outsider: Any, chain: Any
) -> None:
    deadline = chain.pending_timestamp + 3600
    domain = citizen_domain(chain.chain_id, guarded.address)
    msg = {
        "identity": alice.address,
        "newOwner": new_key.address,
        "guardian": guardians[1].address,
        "epoch": 1,
        "deadline": deadline,
    }
    sig = APPROVE_RECOVERY.sign(guardians[1].private_key, domain, msg)
    tx = guarded.approveRecoveryBySig(alice, new_key, guardians[1], deadline, sig, sender=outsider)
    [event] = tx.events.filter(guarded.RecoveryApproved)
    assert event.guardian == guardians[1].address
    with ape.reverts(guarded.CitizenRecoveryAlreadyApproved):
        guarded.approveRecoveryBySig(alice, new_key, guardians[1], deadline, sig, sender=outsider)
    # After a cancellation (new epoch) the old signature is worthless.
    guarded.cancelRecovery(alice, sender=alice)
    with ape.reverts(guarded.SignatureInvalidSigner, signer=guardians[1].address):
        guarded.approveRecoveryBySig(alice, new_key, guardians[1], deadline, sig, sender=outsider)
