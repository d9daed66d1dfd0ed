"""Properties of accepted offers (免申即享), checked against a model over mixed operations.

A Hypothesis state machine mixes, for three citizens: attesting their facts, offering (the
terms a watcher would seal: a fresh case of the service), accepting an open offer with the
citizen's signature (relayed by CIVIL's staff), revoking a required fact or a granted benefit,
retiring and re-registering the rule or the service, and waiting. The model predicts each
acceptance's outcome; the invariants: an acceptance whose required attestation was revoked is
refused (`RuleAttestationNotFound`), and no citizen ever holds two valid benefits of the
service.
"""

from __future__ import annotations

from typing import Any

import ape
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from govchain.approval import CaseTerms
from govchain.approval.messages import domain as cases_domain
from govchain.services.catalog import service_id
from govchain.services.offers import consent_hash, sign_acceptance
from govchain.services.rules import (
    Evidence,
    Requirement,
    name_code,
    proof,
    requirements_hash,
    rule_id,
)
from tests.approval.conftest import h
from tests.conftest import hypothesis_examples
from tests.services.conftest import DAY, Rulebook

EXAMPLES = hypothesis_examples(0.1)
OUTCOMES: dict[str, int] = {}
CONSENT = consent_hash("govchain.consent:CIVIL:allowance: machine consent text")
PEOPLE = 3


def test_offers_grant_at_most_one_benefit_and_never_on_a_revoked_fact(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any,
    chain: Any,
) -> None:  # fmt: skip
    requirements = [
        Requirement(facts["age"], 365 * DAY, (depts["PSB"].code,)),
        Requirement(facts["residence"], 365 * DAY, (depts["PSB"].code, depts["CIVIL"].code)),
    ]
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    sid = service_id(depts["CIVIL"].code, name_code("allowance"))
    staff = depts["CIVIL"].staff
    dom = cases_domain(chain.chain_id, approvals.address)

    class OfferMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.facts: dict[int, dict[str, tuple[Evidence, bool]]] = {}
            self.offers: dict[int, CaseTerms] = {}
            self.benefits: dict[int, list[bytes]] = {}
            self.rule_in_force = True
            self.service_in_force = True
            self.count = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        @initialize()
        def register(self) -> None:
            book.register("CIVIL", "elderly", requirements)
            book.register_service("CIVIL", "allowance", rid, facts["allowance"])

        @rule(who=st.integers(0, PEOPLE - 1))
        def attest_facts(self, who: int) -> None:
            self.count += 1
            self.facts[who] = {
                "age": (
                    book.attest("PSB", citizens[who], facts["age"], data=f"a{self.count}"),
                    True,
                ),
                "residence": (
                    book.attest("CIVIL", citizens[who], facts["residence"], data=f"r{self.count}"),
                    True,
                ),
            }

        @rule(who=st.integers(0, PEOPLE - 1))
        def offer_and_qualify(self, who: int) -> None:
            """The usual path: her facts are attested, the watcher then offers the service."""
            self.attest_facts(who)
            self.offer(who)

        @rule(who=st.integers(0, PEOPLE - 1))
        def offer(self, who: int) -> None:
            """What the watcher seals for her: a fresh case of the service (off chain)."""
            self.count += 1
            self.offers[who] = book.rule_terms(
                [rid], citizens[who], schema=facts["allowance"], documents=h(f"o{self.count}")
            )

        @precondition(lambda self: any(self.facts.values()))
        @rule(who=st.integers(0, PEOPLE - 1), which=st.sampled_from(["age", "residence"]))
        def revoke_fact(self, who: int, which: str) -> None:
            held = self.facts.get(who)
            if not held or not held[which][1]:
                return
            ev, _ = held[which]
            dept = "PSB" if which == "age" else "CIVIL"
            attestations.revoke(ev.uid, sender=depts[dept].staff)
            held[which] = (ev, False)

        @precondition(lambda self: any(self.benefits.values()))
        @rule(who=st.integers(0, PEOPLE - 1))
        def revoke_benefit(self, who: int) -> None:
            for uid in self.benefits.get(who, []):
                if attestations.isValid(uid):
                    attestations.revoke(uid, sender=depts["CIVIL"].approvers[0])
                    return

        @rule()
        def retire_or_register_rule(self) -> None:
            if self.rule_in_force:
                book.retire("CIVIL", "elderly")
            else:
                book.register("CIVIL", "elderly", requirements)
            self.rule_in_force = not self.rule_in_force

        @rule()
        def retire_or_register_service(self) -> None:
            if self.service_in_force:
                book.retire_service("CIVIL", "allowance")
            else:
                book.register_service("CIVIL", "allowance", rid, facts["allowance"])
            self.service_in_force = not self.service_in_force

        def _valid_benefits(self, who: int) -> list[bytes]:
            return [u for u in self.benefits.get(who, []) if attestations.isValid(u)]

        def _expected(self, who: int) -> tuple[str, dict[str, Any]] | None:
            if not self.service_in_force:
                return "OfferServiceNotInForce", {"serviceId": sid}
            valid = self._valid_benefits(who)
            if valid:
                return "OfferAlreadyGranted", {"uid": valid[0]}
            if not self.rule_in_force:
                return "RuleNotInForce", {"ruleId": rid}
            for which in ("age", "residence"):
                ev, live = self.facts[who][which]
                if not live:
                    return "RuleAttestationNotFound", {"uid": ev.uid}
            return None

        @precondition(lambda self: any(w in self.facts for w in self.offers))
        @rule(pick=st.integers(0, 50))
        def accept(self, pick: int) -> None:
            ready = sorted(w for w in self.offers if w in self.facts)
            who = ready[pick % len(ready)]
            terms = self.offers[who]
            person = citizens[who]
            signed = sign_acceptance(
                person.private_key,
                dom,
                person.address,
                sid,
                terms,
                CONSENT,
                requirements_hash(requirements),
                book.now() + DAY,
            )
            evidence = [self.facts[who][w][0] for w in ("age", "residence")]
            args = (terms.as_tuple(), [proof(requirements, evidence)], signed)
            expected = self._expected(who)
            del self.offers[who]  # an offer is accepted (or refused) once
            if expected is None:
                approvals.acceptOffer(*args, sender=staff)
                uid = approvals.benefitOf(sid, person.address)
                assert attestations.isValid(uid)
                self.benefits.setdefault(who, []).append(uid)
                OUTCOMES["granted"] = OUTCOMES.get("granted", 0) + 1
                return
            name, kw = expected
            with ape.reverts(getattr(approvals, name), **kw):
                approvals.acceptOffer(*args, sender=staff)
            OUTCOMES[name] = OUTCOMES.get(name, 0) + 1

        @invariant()
        def never_two_valid_benefits_per_citizen(self) -> None:
            for who in self.benefits:
                assert len(self._valid_benefits(who)) <= 1

    run_state_machine_as_test(
        OfferMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=16, deadline=None),
    )
    print("offer machine outcomes:", OUTCOMES)
    assert OUTCOMES.get("granted", 0) > 0, OUTCOMES
