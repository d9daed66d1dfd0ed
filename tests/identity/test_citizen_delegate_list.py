"""CitizenRegistry's per-epoch delegate list: an owner change announces the end of every
unexpired delegate of the ended epoch (``DIDDelegateChanged`` with ``validTo`` = now, what a
stock did:ethr resolver reads as the delegate's end), within the bound ``MAX_DELEGATES``."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_account import Account
from eth_utils.crypto import keccak

AGENT = keccak(text="govchain.delegate.agent")
VERI = b"veriKey".ljust(32, b"\0")
DAY = 86_400


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def bob(citizens: list[Any]) -> Any:
    return citizens[1]


def addresses(n: int) -> list[str]:
    return [Account.create().address for _ in range(n)]


def ended(tx: Any, registry: Any) -> list[tuple[bytes, str, int, int]]:
    return [
        (bytes(e.delegateType), e.delegate, e.validTo, e.previousChange)
        for e in tx.events.filter(registry.DIDDelegateChanged)
    ]


def test_the_bound_is_eight(citizen_registry: Any) -> None:
    assert citizen_registry.MAX_DELEGATES() == 8


def test_rotation_announces_the_end_of_each_live_delegate(
    citizen_registry: Any, alice: Any, bob: Any, chain: Any
) -> None:
    reg = citizen_registry
    live, expiring, revoked = addresses(2), addresses(1)[0], addresses(1)[0]
    reg.addDelegate(alice, VERI, live[0], 30 * DAY, sender=alice)
    reg.addDelegate(alice, AGENT, live[1], 30 * DAY, sender=alice)
    reg.addDelegate(alice, AGENT, expiring, 60, sender=alice)
    reg.addDelegate(alice, AGENT, revoked, 30 * DAY, sender=alice)
    reg.revokeDelegate(alice, AGENT, revoked, sender=alice)
    chain.mine(timestamp=chain.pending_timestamp + 120)
    tx = reg.changeOwner(alice, bob, sender=alice)
    now = chain.provider.get_block(tx.block_number).timestamp
    # after the owner change, in list order; previousChange is this block (already recorded)
    assert ended(tx, reg) == [
        (VERI, live[0], now, tx.block_number),
        (AGENT, live[1], now, tx.block_number),
    ]
    [owner] = tx.events.filter(reg.DIDOwnerChanged)
    assert owner.previousChange < tx.block_number  # the resolver's walk goes on from there
    assert not reg.validDelegate(alice, VERI, live[0])
    # the next rotation has nothing left to announce (the new epoch lists none)
    assert ended(reg.changeOwner(alice, alice, sender=bob), reg) == []


def test_a_confirmed_delegate_is_announced_again_and_ends_at_the_next_rotation(
    citizen_registry: Any, alice: Any, bob: Any, chain: Any
) -> None:
    reg = citizen_registry
    [agent] = addresses(1)
    add = reg.addDelegate(alice, AGENT, agent, 30 * DAY, sender=alice)
    valid_to = reg.delegateState(alice, AGENT, agent)[0]
    reg.changeOwner(alice, bob, sender=alice)
    confirm = reg.confirmDelegate(alice, AGENT, agent, sender=bob)
    assert [e[2] for e in ended(confirm, reg)] == [valid_to]
    assert reg.validDelegate(alice, AGENT, agent)
    assert reg.delegateState(alice, AGENT, agent) == (valid_to, 1)
    tx = reg.changeOwner(alice, alice, sender=bob)
    assert [(e[1], e[3]) for e in ended(tx, reg)] == [(agent, tx.block_number)]
    assert add.block_number < tx.block_number


def test_a_ninth_delegate_is_refused_until_one_is_revoked(
    citizen_registry: Any, alice: Any, bob: Any
) -> None:
    reg = citizen_registry
    first = addresses(8)
    for who in first:
        reg.addDelegate(alice, AGENT, who, DAY, sender=alice)
    [extra] = addresses(1)
    with ape.reverts(reg.CitizenTooManyDelegates, identity=alice.address, max=8):
        reg.addDelegate(alice, VERI, extra, DAY, sender=alice)
    # renewing a listed delegate takes no new place
    reg.addDelegate(alice, AGENT, first[7], 2 * DAY, sender=alice)
    # revoking one in the middle frees a place; the last entry moves into it
    reg.revokeDelegate(alice, AGENT, first[2], sender=alice)
    reg.addDelegate(alice, VERI, extra, DAY, sender=alice)
    # the moved entry still revokes cleanly (its position followed it)
    reg.revokeDelegate(alice, AGENT, first[7], sender=alice)
    tx = reg.changeOwner(alice, bob, sender=alice)
    expected = {*(first[i] for i in (0, 1, 3, 4, 5, 6)), extra}
    assert {e[1] for e in ended(tx, reg)} == expected
    assert len(ended(tx, reg)) == 7


def test_the_new_epoch_has_its_own_bound_and_confirmations_count(
    citizen_registry: Any, alice: Any, bob: Any
) -> None:
    reg = citizen_registry
    old = addresses(8)
    for who in old:
        reg.addDelegate(alice, AGENT, who, DAY, sender=alice)
    reg.changeOwner(alice, bob, sender=alice)
    for who in old[:7]:
        reg.confirmDelegate(alice, AGENT, who, sender=bob)
    reg.addDelegate(alice, VERI, addresses(1)[0], DAY, sender=bob)
    with ape.reverts(reg.CitizenTooManyDelegates, identity=alice.address, max=8):
        reg.confirmDelegate(alice, AGENT, old[7], sender=bob)
    # a delegate of the ended epoch is in no current list: revoking it frees nothing, breaks
    # nothing
    reg.revokeDelegate(alice, AGENT, old[7], sender=bob)
    with ape.reverts(reg.CitizenTooManyDelegates, identity=alice.address, max=8):
        reg.addDelegate(alice, VERI, addresses(1)[0], DAY, sender=bob)
    # revoking a confirmed one does
    reg.revokeDelegate(alice, AGENT, old[0], sender=bob)
    reg.addDelegate(alice, VERI, addresses(1)[0], DAY, sender=bob)


def test_types_follow_their_entries_when_the_list_is_compacted(
    citizen_registry: Any, alice: Any, bob: Any
) -> None:
    """Agents are listed in one slot, other types with their type beside; removing the first
    entry moves the last (of another type) into it, and the rotation still names each type."""
    reg = citizen_registry
    agent, veri, auth, other = addresses(4)
    sig_auth = b"sigAuth".ljust(32, b"\0")
    reg.addDelegate(alice, AGENT, agent, DAY, sender=alice)
    reg.addDelegate(alice, VERI, veri, DAY, sender=alice)
    reg.addDelegate(alice, sig_auth, auth, DAY, sender=alice)
    reg.revokeDelegate(alice, AGENT, agent, sender=alice)  # entry 0: sigAuth moves in
    reg.addDelegate(alice, AGENT, other, DAY, sender=alice)
    reg.revokeDelegate(alice, VERI, veri, sender=alice)  # entry 1: the agent moves in
    tx = reg.changeOwner(alice, bob, sender=alice)
    assert [(e[0], e[1]) for e in ended(tx, reg)] == [(sig_auth, auth), (AGENT, other)]
