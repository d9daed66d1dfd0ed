"""Invariant 3: nothing a previous key installed survives its rotation or recovery unconfirmed.

A Hypothesis state machine over one citizen identity with two guardians mixes: adding agents,
consents by the owner key or an agent, key rotations (queued for the guardians' time lock, then
executed), guardian recoveries, the new owner confirming an agent or a consent, revoking every
consent of previous keys in one transaction, accesses under the consents, and attempts by old
keys and old agents. Every outcome is checked against a model:

- an agent is valid exactly when it was added or confirmed under the current owner epoch (and
  has not expired): the registry's ``validDelegate`` and the outcome of a consent both say so;
- a consent authorises access (``recordAccess`` succeeds, ``consentCurrent`` is true) exactly
  when it was given or confirmed under the current epoch and is not revoked;
- a previous owner key can neither consent nor add an agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from govchain.sharing import category_code, grant_id, grant_tuple
from tests.conftest import hypothesis_examples
from tests.sharing.conftest import DAY, REQUEST, make_terms

EXAMPLES = hypothesis_examples(0.15, levels=1 / 3)  # 15; 150 in "deep", 5 in "levels"
AGENT = keccak(text="govchain.delegate.agent")
DELAY = DAY
PENSION = category_code("HRSS.PENSION")


@dataclass
class Consent:
    terms: dict[str, Any]
    epoch: int
    revoked: bool = False


def test_nothing_a_previous_key_installed_survives(
    registry: Any, grants: Any, depts: Any, citizens: list[Any], chain: Any
) -> None:
    civil, hrss = depts["CIVIL"], depts["HRSS"]
    alice = citizens[0]  # the identity
    keys = citizens[0:4]  # owner keys, in turn
    agents = citizens[4:7]
    guardians = citizens[7:9]
    outcomes: dict[str, int] = {}

    def count(name: str) -> None:
        event(name)
        outcomes[name] = outcomes.get(name, 0) + 1

    class EpochMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.owner = alice
            self.epoch = 0
            self.delegates: dict[str, int] = {}  # agent address -> epoch added or confirmed
            self.consents: list[Consent] = []
            self.nonce = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        @initialize()
        def start(self) -> None:
            assert registry.ownerEpoch(alice) == 0
            registry.setGuardians(alice, guardians, 2, DELAY, sender=alice)

        # --- what an owner installs ----------------------------------------------------------

        @rule(who=st.integers(0, 2))
        def add_agent(self, who: int) -> None:
            registry.addDelegate(alice, AGENT, agents[who], 365 * DAY, sender=self.owner)
            self.delegates[agents[who].address] = self.epoch

        @rule(by=st.integers(-1, 2))
        def consent(self, by: int) -> None:
            """The owner (-1) or an agent consents to a grant in alice's name."""
            signer = self.owner if by < 0 else agents[by]
            self.nonce += 1
            now = int(chain.pending_timestamp)
            terms = make_terms(
                alice, civil.code, hrss.code, [PENSION], now, days=90, nonce=self.nonce
            )
            expected = by < 0 or self.delegates.get(signer.address) == self.epoch
            try:
                grants.grant(grant_tuple(terms), sender=signer)
            except Exception:
                assert not expected, ("a controller's consent was refused", by, self.epoch)
                count("consent by an evicted agent refused")
                return
            assert expected, ("an evicted agent consented", by, self.delegates, self.epoch)
            self.consents.append(Consent(terms, self.epoch))
            count("consent given")
            self._access(self.consents[-1])  # the grantee's first use, right after the grant

        # --- owner changes ------------------------------------------------------------------

        def _next_key(self, pick: int) -> Any:
            others = [k for k in keys if k.address != self.owner.address]
            return others[pick % len(others)]

        @rule(pick=st.integers(0, 2))
        def rotate(self, pick: int) -> None:
            new = self._next_key(pick)
            registry.changeOwner(alice, new, sender=self.owner)  # queued: guardians watch
            assert registry.identityOwner(alice) == self.owner.address
            chain.pending_timestamp += DELAY
            registry.executeOwnerChange(alice, new, sender=new)
            self.owner, self.epoch = new, self.epoch + 1
            count("rotation")
            self._access_latest()

        @rule(pick=st.integers(0, 2))
        def recover(self, pick: int) -> None:
            new = self._next_key(pick)
            for g in guardians:
                registry.approveRecovery(alice, new, sender=g)
            chain.pending_timestamp += DELAY
            registry.finalizeRecovery(alice, new, sender=guardians[0])
            self.owner, self.epoch = new, self.epoch + 1
            count("recovery")
            self._access_latest()

        # --- the new owner confirms or sweeps ------------------------------------------------

        @rule(who=st.integers(0, 2))
        def confirm_agent(self, who: int) -> None:
            address = agents[who].address
            expected = address in self.delegates and self.delegates[address] != self.epoch
            try:
                registry.confirmDelegate(alice, AGENT, agents[who], sender=self.owner)
            except Exception:
                assert not expected
                return
            assert expected
            self.delegates[address] = self.epoch
            count("agent confirmed")

        @rule(index=st.integers(0, 20))
        def confirm_consent(self, index: int) -> None:
            if not self.consents:
                return
            c = self.consents[index % len(self.consents)]
            expected = not c.revoked and c.epoch != self.epoch
            try:
                grants.confirmConsent(grant_tuple(c.terms), sender=self.owner)
            except Exception:
                assert not expected
                return
            assert expected
            c.epoch = self.epoch
            count("consent confirmed")

        @rule()
        def revoke_previous(self) -> None:
            previous = [c for c in self.consents if not c.revoked and c.epoch != self.epoch]
            if not previous:
                return
            grants.revokePreviousConsents(
                [grant_tuple(c.terms) for c in previous], sender=self.owner
            )
            for c in previous:
                c.revoked = True
            count("previous consents revoked")

        # --- uses and attempts by what a previous key left behind ------------------------------

        @rule(index=st.integers(0, 20))
        def access(self, index: int) -> None:
            if self.consents:
                self._access(self.consents[index % len(self.consents)])

        def _access_latest(self) -> None:
            """The grantee tries the newest consent right after an owner change."""
            if self.consents:
                self._access(self.consents[-1])

        def _access(self, c: Consent) -> None:
            expected = not c.revoked and c.epoch == self.epoch
            try:
                grants.recordAccess(grant_tuple(c.terms), PENSION, REQUEST, sender=civil.staff)
            except Exception:
                assert not expected, ("a current consent was refused", c, self.epoch)
                count("access refused")
                return
            assert expected, ("access under a revoked or previous-key consent", c, self.epoch)
            count("access recorded")

        @rule(pick=st.integers(0, 3))
        def old_key_attempts(self, pick: int) -> None:
            key = keys[pick]
            if key.address == self.owner.address:
                return
            self.nonce += 1
            terms = make_terms(
                alice, civil.code, hrss.code, [PENSION], int(chain.pending_timestamp),
                nonce=self.nonce,
            )  # fmt: skip
            if key.address in self.delegates and self.delegates[key.address] == self.epoch:
                return  # never: keys and agents are distinct accounts
            for attempt in (
                lambda: grants.grant(grant_tuple(terms), sender=key),
                lambda: registry.addDelegate(alice, AGENT, key, DAY, sender=key),
            ):
                refused = False
                try:
                    attempt()
                except Exception:
                    refused = True
                assert refused, f"the previous key {key.address} still acts for alice"
            count("old key refused")

        @invariant()
        def only_the_current_epoch_counts(self) -> None:
            assert registry.ownerEpoch(alice) == self.epoch
            assert registry.identityOwner(alice) == self.owner.address
            for agent in agents:
                expected = self.delegates.get(agent.address) == self.epoch
                assert registry.validDelegate(alice, AGENT, agent) == expected
            for c in self.consents:
                gid = grant_id(c.terms)
                assert grants.grantState(gid).status == (2 if c.revoked else 1)
                assert grants.consentCurrent(gid, alice) == (c.epoch == self.epoch)

    run_state_machine_as_test(
        EpochMachine,
        settings=settings(deadline=None, max_examples=EXAMPLES, stateful_step_count=15),
    )
    print("state machine outcomes:", outcomes)
    for needed in ("access recorded", "access refused", "consent given"):
        assert outcomes.get(needed, 0) > 0, outcomes
    assert outcomes.get("rotation", 0) + outcomes.get("recovery", 0) > 0, outcomes
