"""CitizenRegistry: owners, delegates, attributes, their signed variants and the history pointer."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.identity.messages import (
    ADD_DELEGATE,
    CHANGE_OWNER,
    REVOKE_ATTRIBUTE,
    REVOKE_DELEGATE,
    SET_ATTRIBUTE,
)
from tests.identity.conftest import ZERO_ADDRESS, sign_citizen

AGENT = keccak(text="govchain.delegate.agent")
ENC_KEY = keccak(text="govchain.attr.encryptionKey")
DAY = 86_400


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def bob(citizens: list[Any]) -> Any:
    return citizens[1]


@pytest.fixture
def relayer(outsider: Any) -> Any:
    return outsider


def _deadline(chain: Any) -> int:
    return chain.pending_timestamp + 3600


# --- identities and owners ---------------------------------------------------------------------


def test_any_address_is_an_identity_owned_by_itself(citizen_registry: Any, alice: Any) -> None:
    assert citizen_registry.identityOwner(alice) == alice.address
    assert citizen_registry.changed(alice) == 0
    assert citizen_registry.nonces(alice) == 0


def test_agent_constant_is_the_shared_delegate_type() -> None:
    assert keccak(text="govchain.delegate.agent") == AGENT


def test_owner_rotates_the_key(
    citizen_registry: Any, alice: Any, bob: Any, citizens: list[Any]
) -> None:
    tx = citizen_registry.changeOwner(alice, bob, sender=alice)
    [event] = tx.events.filter(citizen_registry.DIDOwnerChanged)
    assert event.identity == alice.address
    assert event.owner == bob.address
    assert event.previousChange == 0
    [epoch] = tx.events.filter(citizen_registry.OwnerEpochChanged)
    assert (epoch.owner, epoch.epoch, epoch.sender) == (bob.address, 1, alice.address)
    assert citizen_registry.ownerEpoch(alice) == 1
    assert citizen_registry.identityOwner(alice) == bob.address
    assert citizen_registry.changed(alice) == tx.block_number
    # The new key acts; the old one no longer can; the history pointer chains back.
    tx2 = citizen_registry.changeOwner(alice, citizens[2], sender=bob)
    [event2] = tx2.events.filter(citizen_registry.DIDOwnerChanged)
    assert event2.previousChange == tx.block_number
    with ape.reverts(
        citizen_registry.CitizenUnauthorizedOwner, identity=alice.address, caller=bob.address
    ):
        citizen_registry.changeOwner(alice, bob, sender=bob)


def test_stranger_cannot_change_the_owner(citizen_registry: Any, alice: Any, bob: Any) -> None:
    with ape.reverts(
        citizen_registry.CitizenUnauthorizedOwner, identity=alice.address, caller=bob.address
    ):
        citizen_registry.changeOwner(alice, bob, sender=bob)


def test_zero_owner_is_refused(citizen_registry: Any, alice: Any) -> None:
    with ape.reverts(citizen_registry.CitizenZeroAddress):
        citizen_registry.changeOwner(alice, ZERO_ADDRESS, sender=alice)


def test_signed_owner_change_is_relayed(
    citizen_registry: Any, alice: Any, bob: Any, relayer: Any, chain: Any
) -> None:
    deadline = _deadline(chain)
    sig = sign_citizen(
        citizen_registry,
        chain,
        alice,
        CHANGE_OWNER,
        identity=alice.address,
        newOwner=bob.address,
        deadline=deadline,
    )
    tx = citizen_registry.changeOwnerSigned(alice, bob, deadline, sig, sender=relayer)
    [event] = tx.events.filter(citizen_registry.DIDOwnerChanged)
    assert event.owner == bob.address
    [epoch] = tx.events.filter(citizen_registry.OwnerEpochChanged)
    assert epoch.sender == relayer.address
    assert citizen_registry.identityOwner(alice) == bob.address
    # one nonce for the signed action, one because the owner changed
    assert citizen_registry.nonces(alice) == 2
    # Replaying it fails: the nonce moved on and the signer is no longer the owner.
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=bob.address):
        citizen_registry.changeOwnerSigned(alice, bob, deadline, sig, sender=relayer)


def test_expired_signature_is_refused(
    citizen_registry: Any, alice: Any, bob: Any, relayer: Any, chain: Any
) -> None:
    deadline = chain.pending_timestamp - 1
    sig = sign_citizen(
        citizen_registry,
        chain,
        alice,
        CHANGE_OWNER,
        identity=alice.address,
        newOwner=bob.address,
        deadline=deadline,
    )
    with ape.reverts(citizen_registry.SignatureExpired, deadline=deadline):
        citizen_registry.changeOwnerSigned(alice, bob, deadline, sig, sender=relayer)


def test_signature_by_a_non_owner_is_refused(
    citizen_registry: Any, alice: Any, bob: Any, relayer: Any, chain: Any
) -> None:
    deadline = _deadline(chain)
    sig = sign_citizen(
        citizen_registry,
        chain,
        bob,
        CHANGE_OWNER,
        identity=alice.address,
        newOwner=bob.address,
        deadline=deadline,
    )
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=alice.address):
        citizen_registry.changeOwnerSigned(alice, bob, deadline, sig, sender=relayer)


# --- delegates ---------------------------------------------------------------------------------


def test_owner_adds_a_time_limited_agent(
    citizen_registry: Any, alice: Any, bob: Any, chain: Any
) -> None:
    tx = citizen_registry.addDelegate(alice, AGENT, bob, 30 * DAY, sender=alice)
    [event] = tx.events.filter(citizen_registry.DIDDelegateChanged)
    now = chain.provider.get_block(tx.block_number).timestamp
    assert event.identity == alice.address
    assert event.delegateType == AGENT
    assert event.delegate == bob.address
    assert event.validTo == now + 30 * DAY
    assert event.previousChange == 0
    assert citizen_registry.validDelegate(alice, AGENT, bob)
    assert not citizen_registry.validDelegate(alice, keccak(text="other"), bob)
    chain.mine(timestamp=now + 30 * DAY)
    assert not citizen_registry.validDelegate(alice, AGENT, bob)


def test_owner_revokes_an_agent_at_once(
    citizen_registry: Any, alice: Any, bob: Any, chain: Any
) -> None:
    add = citizen_registry.addDelegate(alice, AGENT, bob, 30 * DAY, sender=alice)
    tx = citizen_registry.revokeDelegate(alice, AGENT, bob, sender=alice)
    [event] = tx.events.filter(citizen_registry.DIDDelegateChanged)
    assert event.validTo == chain.provider.get_block(tx.block_number).timestamp
    assert event.previousChange == add.block_number
    assert not citizen_registry.validDelegate(alice, AGENT, bob)
    with ape.reverts(
        citizen_registry.CitizenDelegateNotFound,
        identity=alice.address,
        delegateType=AGENT,
        delegate=bob.address,
    ):
        citizen_registry.revokeDelegate(alice, AGENT, bob, sender=alice)


def test_delegate_rules(citizen_registry: Any, alice: Any, bob: Any) -> None:
    with ape.reverts(citizen_registry.CitizenUnauthorizedOwner):
        citizen_registry.addDelegate(alice, AGENT, bob, DAY, sender=bob)
    with ape.reverts(citizen_registry.CitizenZeroAddress):
        citizen_registry.addDelegate(alice, AGENT, ZERO_ADDRESS, DAY, sender=alice)
    with ape.reverts(citizen_registry.CitizenInvalidValidity):
        citizen_registry.addDelegate(alice, AGENT, bob, 0, sender=alice)
    with ape.reverts(citizen_registry.CitizenUnauthorizedOwner):
        citizen_registry.revokeDelegate(alice, AGENT, bob, sender=bob)


def test_signed_delegate_add_and_revoke(
    citizen_registry: Any, alice: Any, bob: Any, relayer: Any, chain: Any
) -> None:
    deadline = _deadline(chain)
    fields = {"identity": alice.address, "delegateType": AGENT, "delegate": bob.address}
    sig = sign_citizen(
        citizen_registry, chain, alice, ADD_DELEGATE, **fields, validity=DAY, deadline=deadline
    )
    tx = citizen_registry.addDelegateSigned(alice, AGENT, bob, DAY, deadline, sig, sender=relayer)
    [event] = tx.events.filter(citizen_registry.DIDDelegateChanged)
    assert event.delegate == bob.address
    assert citizen_registry.validDelegate(alice, AGENT, bob)
    with ape.reverts(citizen_registry.SignatureInvalidSigner):  # replay
        citizen_registry.addDelegateSigned(alice, AGENT, bob, DAY, deadline, sig, sender=relayer)
    sig = sign_citizen(citizen_registry, chain, alice, REVOKE_DELEGATE, **fields, deadline=deadline)
    tx = citizen_registry.revokeDelegateSigned(alice, AGENT, bob, deadline, sig, sender=relayer)
    assert len(list(tx.events.filter(citizen_registry.DIDDelegateChanged))) == 1
    assert not citizen_registry.validDelegate(alice, AGENT, bob)
    assert citizen_registry.nonces(alice) == 2


# --- attributes --------------------------------------------------------------------------------


def test_owner_publishes_and_withdraws_an_attribute(
    citizen_registry: Any, alice: Any, chain: Any
) -> None:
    value = b"\x04" + b"\x11" * 64  # a public encryption key
    tx = citizen_registry.setAttribute(alice, ENC_KEY, value, 365 * DAY, sender=alice)
    [event] = tx.events.filter(citizen_registry.DIDAttributeChanged)
    assert event.identity == alice.address
    assert event["name"] == ENC_KEY
    assert event.value == value
    assert event.validTo == chain.provider.get_block(tx.block_number).timestamp + 365 * DAY
    assert event.previousChange == 0
    tx2 = citizen_registry.revokeAttribute(alice, ENC_KEY, value, sender=alice)
    [event2] = tx2.events.filter(citizen_registry.DIDAttributeChanged)
    assert event2.validTo == 0
    assert event2.previousChange == tx.block_number


def test_attribute_rules(citizen_registry: Any, alice: Any, bob: Any) -> None:
    with ape.reverts(citizen_registry.CitizenUnauthorizedOwner):
        citizen_registry.setAttribute(alice, ENC_KEY, b"k", DAY, sender=bob)
    with ape.reverts(citizen_registry.CitizenInvalidValidity):
        citizen_registry.setAttribute(alice, ENC_KEY, b"k", 0, sender=alice)
    with ape.reverts(citizen_registry.CitizenUnauthorizedOwner):
        citizen_registry.revokeAttribute(alice, ENC_KEY, b"k", sender=bob)


def test_signed_attribute_set_and_revoke(
    citizen_registry: Any, alice: Any, relayer: Any, chain: Any
) -> None:
    deadline = _deadline(chain)
    value = b"https://node.example/alice"
    fields = {"identity": alice.address, "name": ENC_KEY, "value": value}
    sig = sign_citizen(
        citizen_registry, chain, alice, SET_ATTRIBUTE, **fields, validity=DAY, deadline=deadline
    )
    tx = citizen_registry.setAttributeSigned(
        alice, ENC_KEY, value, DAY, deadline, sig, sender=relayer
    )
    [event] = tx.events.filter(citizen_registry.DIDAttributeChanged)
    assert event.value == value
    sig = sign_citizen(
        citizen_registry, chain, alice, REVOKE_ATTRIBUTE, **fields, deadline=deadline
    )
    tx = citizen_registry.revokeAttributeSigned(
        alice, ENC_KEY, value, deadline, sig, sender=relayer
    )
    [event] = tx.events.filter(citizen_registry.DIDAttributeChanged)
    assert event.validTo == 0
    with ape.reverts(citizen_registry.SignatureInvalidSigner):  # replay
        citizen_registry.revokeAttributeSigned(alice, ENC_KEY, value, deadline, sig, sender=relayer)


def test_history_walk_visits_every_change(
    citizen_registry: Any, alice: Any, bob: Any, chain: Any
) -> None:
    blocks = [
        citizen_registry.addDelegate(alice, AGENT, bob, DAY, sender=alice).block_number,
        citizen_registry.setAttribute(alice, ENC_KEY, b"k", DAY, sender=alice).block_number,
        citizen_registry.changeOwner(alice, bob, sender=alice).block_number,
    ]
    # Walk back from changed(alice) through previousChange, reading one block's logs each step.
    seen = []
    block = citizen_registry.changed(alice)
    while block:
        seen.append(block)
        logs = [
            log
            for event in (
                citizen_registry.DIDOwnerChanged,
                citizen_registry.DIDDelegateChanged,
                citizen_registry.DIDAttributeChanged,
            )
            for log in event.query("*", start_block=block, stop_block=block).itertuples()
        ]
        block = logs[0].event_arguments["previousChange"]
    assert seen == blocks[::-1]
