"""Review findings of the citizen area (issue 15): each attack now fails with a named refusal.

M-3 (recovery does not evict the attacker), guardian departments re-checked at approval and
finalisation, the time lock on owner and guardian changes while guardians watch, typed
messages that name their signer, the owner's nonce bump, and the ERC-1056 event shapes.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.identity.messages import ADD_DELEGATE, APPROVE_RECOVERY, citizen_domain
from govchain.node.client import CitizenClient, DataNodeClient, NodeRefused
from govchain.sharing import LegalBasis, category_code, grant_id, grant_tuple
from tests.identity.conftest import sign_citizen
from tests.node.conftest import CIVIL as NODE_CIVIL
from tests.node.conftest import HRSS as NODE_HRSS
from tests.node.conftest import PENSION as NODE_PENSION
from tests.node.conftest import local
from tests.sharing.conftest import DAY, REQUEST, make_terms, sign_consent

AGENT = keccak(text="govchain.delegate.agent")
CENTURY = 100 * 365 * DAY
DELAY = 3 * DAY
PENSION = category_code("HRSS.PENSION")


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    """The citizen; her original key is the one the thief stole."""
    return citizens[0]


@pytest.fixture
def thief_agent(citizens: list[Any]) -> Any:
    return citizens[1]


@pytest.fixture
def new_key(citizens: list[Any]) -> Any:
    return citizens[2]


@pytest.fixture
def guardians(citizens: list[Any], depts: Any) -> list[Any]:
    return [citizens[3], citizens[4], depts["PSB"].staff]


@pytest.fixture
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


def _terms(alice: Any, depts: Any, now: int, nonce: int = 0) -> dict[str, Any]:
    return make_terms(alice, depts["CIVIL"].code, depts["HRSS"].code, [PENSION], now, nonce=nonce)


def _access(grants: Any, terms: dict[str, Any], depts: Any) -> Any:
    return grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=depts["CIVIL"].staff)


def _thief_installs_agent_and_consents(
    registry: Any, grants: Any, alice: Any, agent: Any, depts: Any, now: int
) -> dict[str, Any]:
    """With the stolen key: a century-long agent, who consents to a grant in alice's name."""
    registry.addDelegate(alice, AGENT, agent, CENTURY, sender=alice)
    terms = _terms(alice, depts, now, nonce=666)
    grants.grant(grant_tuple(terms), sender=agent)
    _access(grants, terms, depts)  # works while the thief holds the key
    return terms


# --- M-3: a rotation or a recovery evicts what the previous key installed --------------------


def test_m3_rotation_evicts_the_thiefs_agent_and_consents(
    registry: Any, grants: Any, alice: Any, thief_agent: Any, new_key: Any, depts: Any, now: int
) -> None:
    terms = _thief_installs_agent_and_consents(registry, grants, alice, thief_agent, depts, now)
    gid = grant_id(terms)
    registry.changeOwner(alice, new_key, sender=alice)  # the citizen rotates (no guardians)
    assert registry.ownerEpoch(alice) == 1
    assert not registry.validDelegate(alice, AGENT, thief_agent)
    # the thief's agent can no longer consent, nor cancel, in alice's name
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=thief_agent.address, subject=alice.address
    ):
        grants.grant(grant_tuple(_terms(alice, depts, now, nonce=667)), sender=thief_agent)
    # nor can the old key itself
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=alice.address, subject=alice.address
    ):
        grants.grant(grant_tuple(_terms(alice, depts, now, nonce=668)), sender=alice)
    # the consent the agent gave stops authorising access, with a named refusal
    with ape.reverts(
        grants.AccessGrantPreviousOwnerConsent, grantId=gid, grantEpoch=0, ownerEpoch=1
    ):
        _access(grants, terms, depts)
    assert not grants.isLive(grant_tuple(terms), PENSION)
    assert not grants.consentCurrent(gid, alice)
    # the new owner revokes every consent of the previous key in one transaction
    tx = grants.revokePreviousConsents([grant_tuple(terms)], sender=new_key)
    [revoked] = tx.events.filter(grants.GrantRevoked)
    assert (revoked.grantId, revoked.revokedBy) == (gid, new_key.address)
    with ape.reverts(grants.AccessGrantRevoked, grantId=gid):
        _access(grants, terms, depts)


def test_m3_old_signed_consent_cannot_be_relayed_after_rotation(
    registry: Any, grants: Any, grants_domain: Any, alice: Any, new_key: Any, depts: Any, now: int
) -> None:
    terms = _terms(alice, depts, now, nonce=5)
    deadline = now + DAY
    signature = sign_consent(grants_domain, alice, terms, deadline)
    registry.changeOwner(alice, new_key, sender=alice)
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=alice.address, subject=alice.address
    ):
        grants.grantBySignature(
            grant_tuple(terms), alice, deadline, signature, sender=depts["CIVIL"].staff
        )


def test_m3_recovery_evicts_the_thiefs_agent_and_consents(
    registry: Any,
    grants: Any,
    alice: Any,
    thief_agent: Any,
    new_key: Any,
    guardians: list[Any],
    depts: Any,
    chain: Any,
    now: int,
) -> None:
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    terms = _thief_installs_agent_and_consents(registry, grants, alice, thief_agent, depts, now)
    registry.approveRecovery(alice, new_key, sender=guardians[0])
    registry.approveRecovery(alice, new_key, sender=guardians[2])
    chain.pending_timestamp += DELAY
    registry.finalizeRecovery(alice, new_key, sender=guardians[0])
    assert registry.identityOwner(alice) == new_key.address
    assert not registry.validDelegate(alice, AGENT, thief_agent)
    with ape.reverts(
        grants.AccessGrantPreviousOwnerConsent, grantId=grant_id(terms), grantEpoch=0, ownerEpoch=1
    ):
        _access(grants, terms, depts)


def test_m3_new_owner_confirms_what_she_keeps(
    registry: Any, grants: Any, alice: Any, thief_agent: Any, new_key: Any, depts: Any, now: int
) -> None:
    agent = thief_agent  # here: a genuine agent the citizen wants to keep
    registry.addDelegate(alice, AGENT, agent, 30 * DAY, sender=alice)
    terms = _terms(alice, depts, now, nonce=1)
    grants.grant(grant_tuple(terms), sender=alice)
    registry.changeOwner(alice, new_key, sender=alice)
    with ape.reverts(
        registry.CitizenUnauthorizedOwner, identity=alice.address, caller=alice.address
    ):
        registry.confirmDelegate(alice, AGENT, agent, sender=alice)
    tx = registry.confirmDelegate(alice, AGENT, agent, sender=new_key)
    [confirmed] = tx.events.filter(registry.DelegateConfirmed)
    assert (confirmed.delegate, confirmed.epoch, confirmed.sender) == (
        agent.address, 1, new_key.address,
    )  # fmt: skip
    [did] = tx.events.filter(registry.DIDDelegateChanged)
    assert did.validTo == registry.delegateState(alice, AGENT, agent)[0]
    assert registry.validDelegate(alice, AGENT, agent)
    with ape.reverts(
        registry.CitizenDelegateNotFromPreviousEpoch,
        identity=alice.address, delegateType=AGENT, delegate=agent.address, epoch=1,
    ):  # fmt: skip
        registry.confirmDelegate(alice, AGENT, agent, sender=new_key)
    with ape.reverts(
        registry.CitizenDelegateNotFound,
        identity=alice.address, delegateType=AGENT, delegate=new_key.address,
    ):  # fmt: skip
        registry.confirmDelegate(alice, AGENT, new_key, sender=new_key)
    # consents: only the owner key (not an agent, even a confirmed one) confirms
    with ape.reverts(
        grants.AccessGrantNotSubjectOwner, account=agent.address, subject=alice.address
    ):
        grants.confirmConsent(grant_tuple(terms), sender=agent)
    tx = grants.confirmConsent(grant_tuple(terms), sender=new_key)
    [event] = tx.events.filter(grants.ConsentConfirmed)
    assert (event.grantId, event.subject, event.epoch, event.sender) == (
        grant_id(terms), alice.address, 1, new_key.address,
    )  # fmt: skip
    assert grants.grantState(grant_id(terms)).epoch == 1
    _access(grants, terms, depts)
    with ape.reverts(grants.AccessGrantConsentCurrent, grantId=grant_id(terms), epoch=1):
        grants.confirmConsent(grant_tuple(terms), sender=new_key)
    with ape.reverts(grants.AccessGrantConsentCurrent, grantId=grant_id(terms), epoch=1):
        grants.revokePreviousConsents([grant_tuple(terms)], sender=new_key)


def test_m3_confirm_refusals(
    registry: Any, grants: Any, alice: Any, thief_agent: Any, new_key: Any, depts: Any,
    chain: Any, now: int,
) -> None:  # fmt: skip
    registry.addDelegate(alice, AGENT, thief_agent, DAY, sender=alice)
    unknown = _terms(alice, depts, now, nonce=2)
    revoked = _terms(alice, depts, now, nonce=3)
    grants.grant(grant_tuple(revoked), sender=alice)
    grants.revoke(grant_id(revoked), sender=alice)
    statutory = dict(_terms(alice, depts, now, nonce=4), basis=LegalBasis.STATUTORY_DUTY)
    grants.grantStatutory(grant_tuple(statutory), sender=depts["HRSS"].approvers[0])
    registry.changeOwner(alice, new_key, sender=alice)
    with ape.reverts(grants.AccessGrantUnknown, grantId=grant_id(unknown)):
        grants.confirmConsent(grant_tuple(unknown), sender=new_key)
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(revoked)):
        grants.confirmConsent(grant_tuple(revoked), sender=new_key)
    with ape.reverts(grants.AccessGrantWrongBasis, basis=LegalBasis.STATUTORY_DUTY):
        grants.revokePreviousConsents([grant_tuple(statutory)], sender=new_key)
    with ape.reverts(
        grants.AccessGrantNotSubjectOwner, account=alice.address, subject=alice.address
    ):
        grants.revokePreviousConsents([grant_tuple(revoked)], sender=alice)
    # a statutory grant does not depend on the subject's key
    _access(grants, statutory, depts)
    chain.pending_timestamp += DAY
    validity_end = registry.delegateState(alice, AGENT, thief_agent)[0]
    with ape.reverts(
        registry.CitizenDelegateExpired,
        identity=alice.address, delegateType=AGENT, delegate=thief_agent.address,
        validTo=validity_end,
    ):  # fmt: skip
        registry.confirmDelegate(alice, AGENT, thief_agent, sender=new_key)


# --- a stolen key cannot switch recovery off and take the identity at once --------------------


def _change_hash(kind: int, types: list[str], values: list[Any]) -> bytes:
    return keccak(encode(["uint8", *types], [kind, *values]))


def test_stolen_key_owner_change_waits_and_guardians_stop_it(
    registry: Any, alice: Any, new_key: Any, guardians: list[Any], outsider: Any, chain: Any
) -> None:
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)  # none before: at once
    thief_key = outsider
    tx = registry.changeOwner(alice, thief_key, sender=alice)  # the thief, with the stolen key
    change = _change_hash(1, ["address"], [thief_key.address])
    [queued] = tx.events.filter(registry.OwnerChangeQueued)
    ready_at = chain.provider.get_block(tx.block_number).timestamp + DELAY
    assert (queued.changeHash, queued.newOwner, queued.readyAt) == (
        change,
        thief_key.address,
        ready_at,
    )
    assert registry.identityOwner(alice) == alice.address
    with ape.reverts(
        registry.CitizenChangeLocked, identity=alice.address, changeHash=change, readyAt=ready_at
    ):
        registry.executeOwnerChange(alice, thief_key, sender=thief_key)
    with ape.reverts(
        registry.CitizenNotOwnerOrGuardian, identity=alice.address, caller=new_key.address
    ):
        registry.cancelQueuedChange(alice, sender=new_key)
    tx = registry.cancelQueuedChange(alice, sender=guardians[1])
    [cancelled] = tx.events.filter(registry.QueuedChangeCancelled)
    assert (cancelled.changeHash, cancelled.sender) == (change, guardians[1].address)
    chain.pending_timestamp += DELAY
    with ape.reverts(registry.CitizenChangeNotQueued, identity=alice.address, changeHash=change):
        registry.executeOwnerChange(alice, thief_key, sender=thief_key)
    with ape.reverts(
        registry.CitizenChangeNotQueued, identity=alice.address, changeHash=b"\x00" * 32
    ):
        registry.cancelQueuedChange(alice, sender=guardians[1])


def test_stolen_key_cannot_switch_recovery_off_at_once(
    registry: Any, alice: Any, new_key: Any, guardians: list[Any], chain: Any
) -> None:
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    tx = registry.setGuardians(alice, [], 0, 0, sender=alice)  # the thief tries to switch it off
    [queued] = tx.events.filter(registry.GuardianChangeQueued)
    assert queued.guardians == [] and queued.threshold == 0
    assert registry.guardianSet(alice).threshold == 2
    # the guardians recover meanwhile; the recovery voids the queued change
    registry.approveRecovery(alice, new_key, sender=guardians[0])
    registry.approveRecovery(alice, new_key, sender=guardians[1])
    chain.pending_timestamp += DELAY
    registry.finalizeRecovery(alice, new_key, sender=guardians[0])
    assert registry.queuedChange(alice).changeHash == b"\x00" * 32
    with ape.reverts(registry.CitizenChangeNotQueued):
        registry.executeGuardianChange(alice, [], 0, 0, sender=alice)
    assert registry.guardianSet(alice).threshold == 2


def test_queued_owner_change_executes_after_the_lock(
    registry: Any, alice: Any, new_key: Any, guardians: list[Any], chain: Any, outsider: Any
) -> None:
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    registry.changeOwner(alice, new_key, sender=alice)
    chain.pending_timestamp += DELAY
    tx = registry.executeOwnerChange(alice, new_key, sender=outsider)
    [epoch] = tx.events.filter(registry.OwnerEpochChanged)
    assert (epoch.owner, epoch.epoch, epoch.sender) == (new_key.address, 1, outsider.address)
    assert registry.identityOwner(alice) == new_key.address


# --- guardians' departments are re-checked when they approve and at finalisation ---------------


def test_guardian_who_left_its_department_does_not_count(
    registry: Any, departments: Any, alice: Any, new_key: Any, guardians: list[Any], depts: Any,
    citizens: list[Any], chain: Any,
) -> None:  # fmt: skip
    psb = depts["PSB"]
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    assert list(registry.guardianDepartments(alice)) == [b"\x00" * 32, b"\x00" * 32, psb.code]
    registry.approveRecovery(alice, new_key, sender=guardians[0])
    registry.approveRecovery(alice, new_key, sender=guardians[2])  # PSB's key: queued
    psb_key = guardians[2]
    departments.removeMember(psb_key, sender=psb.admin)  # the PSB officer leaves PSB
    chain.pending_timestamp += DELAY
    with ape.reverts(
        registry.CitizenRecoveryApprovalsLapsed,
        identity=alice.address, newOwner=new_key.address, counted=1, threshold=2,
    ):  # fmt: skip
        registry.finalizeRecovery(alice, new_key, sender=guardians[0])
    with ape.reverts(
        registry.CitizenGuardianDepartmentChanged,
        identity=alice.address, guardian=psb_key.address, chosen=psb.code, current=b"\x00" * 32,
    ):  # fmt: skip
        registry.approveRecovery(alice, citizens[7], sender=psb_key)
    registry.approveRecovery(alice, new_key, sender=guardians[1])  # another relative
    registry.finalizeRecovery(alice, new_key, sender=guardians[0])
    assert registry.identityOwner(alice) == new_key.address


# --- typed messages name their signer; the owner voids a signed message with a nonce bump -----


def test_one_signature_cannot_approve_for_two_guardian_wallets(
    project: Any, registry: Any, alice: Any, new_key: Any, citizens: list[Any],
    deployer: Any, outsider: Any, chain: Any,
) -> None:  # fmt: skip
    key = citizens[5]  # one person's key behind two contract wallets
    w1 = project.TestContractWallet.deploy(key, sender=deployer)
    w2 = project.TestContractWallet.deploy(key, sender=deployer)
    registry.setGuardians(alice, [w1, w2, citizens[6]], 2, DELAY, sender=alice)
    deadline = chain.pending_timestamp + DAY
    domain = citizen_domain(chain.chain_id, registry.address)
    message = {
        "identity": alice.address,
        "newOwner": new_key.address,
        "guardian": w1.address,
        "epoch": registry.guardianSet(alice).epoch,
        "deadline": deadline,
    }
    sig = APPROVE_RECOVERY.sign(key.private_key, domain, message)
    registry.approveRecoveryBySig(alice, new_key, w1, deadline, sig, sender=outsider)
    with ape.reverts(registry.SignatureInvalidSigner, signer=w2.address):
        registry.approveRecoveryBySig(alice, new_key, w2, deadline, sig, sender=outsider)


def test_owner_voids_an_unrelayed_signature_with_a_nonce_bump(
    registry: Any, alice: Any, thief_agent: Any, outsider: Any, chain: Any
) -> None:
    deadline = chain.pending_timestamp + DAY
    fields = {"identity": alice.address, "delegateType": AGENT, "delegate": thief_agent.address}
    sig = sign_citizen(
        registry, chain, alice, ADD_DELEGATE, **fields, validity=DAY, deadline=deadline
    )
    with ape.reverts(
        registry.CitizenUnauthorizedOwner, identity=alice.address, caller=outsider.address
    ):
        registry.useNonce(alice, sender=outsider)
    tx = registry.useNonce(alice, sender=alice)
    [used] = tx.events.filter(registry.NonceUsed)
    assert (used.identity, used.nonce, used.sender) == (alice.address, 0, alice.address)
    assert registry.nonces(alice) == 1
    with ape.reverts(registry.SignatureInvalidSigner, signer=alice.address):
        registry.addDelegateSigned(alice, AGENT, thief_agent, DAY, deadline, sig, sender=outsider)


def test_owner_change_voids_the_previous_owners_unrelayed_signatures(
    registry: Any, alice: Any, thief_agent: Any, new_key: Any, outsider: Any, chain: Any
) -> None:
    deadline = chain.pending_timestamp + DAY
    fields = {"identity": alice.address, "delegateType": AGENT, "delegate": thief_agent.address}
    sig = sign_citizen(
        registry, chain, alice, ADD_DELEGATE, **fields, validity=DAY, deadline=deadline
    )
    registry.changeOwner(alice, new_key, sender=alice)
    registry.changeOwner(alice, alice, sender=new_key)  # even if the key comes back
    with ape.reverts(registry.SignatureInvalidSigner, signer=alice.address):
        registry.addDelegateSigned(alice, AGENT, thief_agent, DAY, deadline, sig, sender=outsider)


# --- ERC-1056 events, exactly -------------------------------------------------------------------


def test_registry_events_have_the_erc1056_signatures(registry: Any) -> None:
    abi = {e.name: e for e in registry.contract_type.events}
    expected = {
        "DIDOwnerChanged": "DIDOwnerChanged(address,address,uint256)",
        "DIDDelegateChanged": "DIDDelegateChanged(address,bytes32,address,uint256,uint256)",
        "DIDAttributeChanged": "DIDAttributeChanged(address,bytes32,bytes,uint256,uint256)",
    }
    for name, signature in expected.items():
        assert abi[name].selector == signature
        assert abi[name].inputs[0].indexed
        assert not any(i.indexed for i in abi[name].inputs[1:])
    assert "OwnerChanged" not in abi and "DelegateChanged" not in abi


# --- M-3 at the data node: it asks the contracts' views, never re-derives --------------------


def test_m3_data_node_refuses_the_old_agent_and_the_old_key(
    registry: Any, hrss: Any, node_url: str, reader: Any, citizens: list[Any]
) -> None:

    alice, agent, new_key = hrss.citizen, citizens[10], citizens[11]
    registry.addDelegate(alice, AGENT, agent, CENTURY, sender=alice)
    as_agent = CitizenClient(reader, local(agent), identity=alice.address)
    assert as_agent.fetch(node_url, NODE_PENSION, hrss.ids["pension"]).subject == alice.address
    registry.changeOwner(alice, new_key, sender=alice)
    for who in (agent, alice):
        stale = CitizenClient(reader, local(who), identity=alice.address)
        with pytest.raises(NodeRefused) as refused:
            stale.fetch(node_url, NODE_PENSION, hrss.ids["pension"])
        assert (refused.value.status, refused.value.reason) == (403, "not_subject_controller")
    owner = CitizenClient(reader, local(new_key), identity=alice.address)
    assert owner.fetch(node_url, NODE_PENSION, hrss.ids["pension"]).subject == alice.address


def test_m3_data_node_refuses_a_consent_of_a_previous_key(
    registry: Any, grants: Any, hrss: Any, node_url: str, reader: Any, civil_staff: Any,
    citizens: list[Any], now: int,
) -> None:  # fmt: skip

    alice = hrss.citizen
    terms = make_terms(alice, NODE_CIVIL, NODE_HRSS, [NODE_PENSION], now, nonce=4242)
    grants.grant(grant_tuple(terms), sender=alice)
    client = DataNodeClient(reader, local(civil_staff))
    prepared = client.prepare(terms, NODE_PENSION, hrss.ids["pension"])
    tx = grants.recordAccess(
        grant_tuple(terms), NODE_PENSION, prepared.digest, sender=civil_staff
    )  # recorded while the consent was current
    registry.changeOwner(alice, citizens[11], sender=alice)
    with pytest.raises(NodeRefused) as refused:
        client.fetch(node_url, prepared, str(tx.txn_hash))
    assert (refused.value.status, refused.value.reason) == (403, "consent_previous_key")


def test_queued_guardian_change_owner_cancels_and_executes(
    registry: Any, alice: Any, guardians: list[Any], citizens: list[Any], chain: Any,
    outsider: Any,
) -> None:  # fmt: skip
    registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)
    new_set = [citizens[5], citizens[6]]
    registry.setGuardians(alice, new_set, 2, DELAY, sender=alice)
    tx = registry.cancelQueuedChange(alice, sender=alice)  # the owner changes her mind
    [cancelled] = tx.events.filter(registry.QueuedChangeCancelled)
    assert cancelled.sender == alice.address
    registry.setGuardians(alice, new_set, 2, DELAY, sender=alice)
    wrong = _change_hash(
        2,
        ["bytes32", "uint8", "uint32"],
        [
            keccak(b"".join(bytes.fromhex(g.address[2:]).rjust(32, b"\0") for g in new_set)),
            3,
            DELAY,
        ],
    )
    chain.pending_timestamp += DELAY
    with ape.reverts(registry.CitizenChangeNotQueued, identity=alice.address, changeHash=wrong):
        registry.executeGuardianChange(alice, new_set, 3, DELAY, sender=outsider)
    tx = registry.executeGuardianChange(alice, new_set, 2, DELAY, sender=outsider)
    [changed] = tx.events.filter(registry.GuardiansChanged)
    assert changed.guardians == [g.address for g in new_set] and changed.sender == outsider.address
    assert registry.guardianSet(alice).guardians == [g.address for g in new_set]


def test_r2_2_r2_3_compromised_guardian_neither_cancels_nor_approves(
    registry: Any, departments: Any, council: Any, alice: Any, new_key: Any,
    citizens: list[Any],
) -> None:  # fmt: skip
    """R2-2/R2-3: a guardian chosen without a department whose key the council marked
    compromised fails the standing rule everywhere: it cannot approve a recovery nor cancel the
    owner's queued change; a standing guardian and the owner still can."""
    relatives = [citizens[3], citizens[4], citizens[5]]
    registry.setGuardians(alice, relatives, 2, DELAY, sender=alice)
    stolen = relatives[0]
    departments.markCompromised(stolen, sender=council)
    zero = b"\x00" * 32
    with ape.reverts(
        registry.CitizenGuardianDepartmentChanged,
        identity=alice.address, guardian=stolen.address, chosen=zero, current=zero,
    ):  # fmt: skip
        registry.approveRecovery(alice, new_key, sender=stolen)
    registry.changeOwner(alice, new_key, sender=alice)  # queued
    with ape.reverts(
        registry.CitizenGuardianDepartmentChanged,
        identity=alice.address, guardian=stolen.address, chosen=zero, current=zero,
    ):  # fmt: skip
        registry.cancelQueuedChange(alice, sender=stolen)
    tx = registry.cancelQueuedChange(alice, sender=relatives[1])  # a standing guardian may
    [cancelled] = tx.events.filter(registry.QueuedChangeCancelled)
    assert cancelled.sender == relatives[1].address
    registry.changeOwner(alice, new_key, sender=alice)
    registry.cancelQueuedChange(alice, sender=alice)  # and the owner always may
