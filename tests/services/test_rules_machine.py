"""Properties of RULE steps, checked against a model over mixed operations.

A case step decided by a rule is approved exactly when, at that block, the rule is in force,
its department Active, and each requirement is met by an attestation about the applicant, of
the required schema, from a named department that is Active, unexpired, unrevoked and no
older than the requirement's maximum age; otherwise the contract refuses with the first
reason the model predicts. A Hypothesis state machine mixes attestations (to the applicant and
to another citizen, by named and unnamed departments, expiring or not), revocations, time,
suspensions and reinstatements, rule retirements and new versions, and decision attempts with
evidence drawn from everything attested.
"""

from __future__ import annotations

from dataclasses import dataclass
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

from govchain.approval import CaseStatus
from govchain.services.rules import Evidence, Requirement, name_code, proof, rule_id
from tests.approval.conftest import h
from tests.conftest import hypothesis_examples
from tests.services.conftest import DAY, Rulebook

ISSUERS = ["PSB", "CIVIL", "HOUSING"]
EXAMPLES = hypothesis_examples(0.1)
OUTCOMES: dict[str, int] = {}


@dataclass
class Fact:
    evidence: Evidence
    dept: str
    revoked: bool = False


def test_a_rule_step_is_approved_exactly_when_its_rule_is_met_at_that_block(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any,
    chain: Any, departments: Any, council: Any,
) -> None:  # fmt: skip
    requirements = [
        Requirement(facts["age"], 30 * DAY, (depts["PSB"].code,)),
        Requirement(facts["residence"], 60 * DAY, (depts["PSB"].code, depts["CIVIL"].code)),
    ]
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    schema_of = {"age": facts["age"], "residence": facts["residence"]}

    class RuleMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.t = int(chain.blocks.head.timestamp) + 10
            self.facts: list[Fact] = []
            self.suspended: set[str] = set()
            self.in_force = True
            self.attempts = 0
            self.approved: list[tuple[int, list[Fact]]] = []

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        def _tick(self, seconds: int = 1) -> int:
            self.t = max(self.t, int(chain.blocks.head.timestamp)) + seconds
            chain.pending_timestamp = self.t
            return self.t

        @initialize()
        def register_rule(self) -> None:
            self._tick()
            book.register("CIVIL", "elderly", requirements)
            # its approvers bind the rule to the allowance its cases issue (a service)
            book.register_service("CIVIL", "allowance", rid, facts["allowance"])
            # every example starts from one honest decision, so a run is never without an
            # approval to check, whatever order the drawn moves come in
            self.attest_the_applicants_facts()
            self.decide((0, 0), True)

        @rule(
            dept=st.sampled_from(ISSUERS),
            applicant=st.sampled_from([True, True, True, False]),
            which=st.sampled_from(["age", "residence"]),
            expiring=st.booleans(),
        )
        def attest(self, dept: str, applicant: bool, which: str, expiring: bool) -> None:
            now = self._tick()
            subject = citizens[0] if applicant else citizens[1]
            if dept in self.suspended:
                with ape.reverts(attestations.AttestationUnauthorized):
                    book.attest(dept, subject, schema_of[which])
                return
            expiry = now + 10 * DAY if expiring else 0
            ev = book.attest(dept, subject, schema_of[which], expiry=expiry, data=f"{now}")
            assert ev.issued_at == now
            self.facts.append(Fact(ev, dept))

        @rule()
        def attest_the_applicants_facts(self) -> None:
            """What the owning departments usually do: age by PSB, residence by CIVIL."""
            for dept, which in (("PSB", "age"), ("CIVIL", "residence")):
                if dept not in self.suspended:
                    now = self._tick()
                    ev = book.attest(dept, citizens[0], schema_of[which], data=f"{now}")
                    self.facts.append(Fact(ev, dept))

        @precondition(lambda self: any(not f.revoked for f in self.facts))
        @rule(index=st.integers(0, 50))
        def revoke(self, index: int) -> None:
            live = [f for f in self.facts if not f.revoked and f.dept not in self.suspended]
            if not live:
                return
            self._tick()
            fact = live[index % len(live)]
            attestations.revoke(fact.evidence.uid, sender=depts[fact.dept].staff)
            fact.revoked = True

        @rule(days=st.integers(1, 25))
        def wait(self, days: int) -> None:
            self.t += days * DAY

        @rule(dept=st.sampled_from([*ISSUERS, "PSB"]))
        def suspend_or_reinstate(self, dept: str) -> None:
            self._tick()
            if dept in self.suspended:
                departments.reinstate(depts[dept].code, sender=council)
                self.suspended.discard(dept)
            else:
                departments.suspend(depts[dept].code, sender=council)
                self.suspended.add(dept)

        @precondition(lambda self: "CIVIL" not in self.suspended)
        @rule()
        def retire_or_register(self) -> None:
            self._tick()
            if self.in_force:
                book.retire("CIVIL", "elderly")
            else:
                book.register("CIVIL", "elderly", requirements)
            self.in_force = not self.in_force

        def _expected(self, chosen: list[Fact], now: int) -> tuple[str, dict[str, Any]] | None:
            if "CIVIL" in self.suspended:
                return "ApprovalNotStaff", {"account": depts["CIVIL"].staff.address}
            if not self.in_force:
                return "RuleNotInForce", {"ruleId": rid}
            for req, fact in zip(requirements, chosen, strict=True):
                ev = fact.evidence
                uid = ev.uid
                if ev.subject != citizens[0].address:
                    return "RuleWrongSubject", {"uid": uid, "subject": ev.subject}
                if ev.schema != req.schema:
                    return "RuleWrongSchema", {"uid": uid}
                if ev.department not in req.departments:
                    return "RuleIssuerNotNamed", {"uid": uid, "department": ev.department}
                if fact.dept in self.suspended:
                    return "RuleIssuerNotActive", {"uid": uid}
                if ev.expiry != 0 and ev.expiry <= now:
                    return "RuleAttestationExpired", {"uid": uid, "expiry": ev.expiry}
                if fact.revoked:
                    return "RuleAttestationNotFound", {"uid": uid}
                if now > ev.issued_at + req.max_age:
                    return "RuleAttestationTooOld", {"uid": uid}
            return None

        @precondition(lambda self: len(self.facts) > 0)
        @rule(
            picks=st.tuples(st.integers(0, 50), st.integers(0, 50)),
            best=st.sampled_from([True, True, False]),
        )
        def decide(self, picks: tuple[int, int], best: bool) -> None:
            chosen = [self.facts[p % len(self.facts)] for p in picks]
            now = self._tick()
            if best:  # the evidence an honest client would pick: the newest matching, if any
                for i, req in enumerate(requirements):
                    matching = [
                        f for f in self.facts
                        if f.evidence.schema == req.schema
                        and f.evidence.subject == citizens[0].address
                        and f.evidence.department in req.departments
                        and f.dept not in self.suspended
                        and not f.revoked
                    ]  # fmt: skip
                    if matching:
                        chosen[i] = matching[-1]
            self.attempts += 1
            terms = book.rule_terms([rid], citizens[0], schema=facts["allowance"],
                                    documents=h(f"attempt {self.attempts}"))  # fmt: skip
            args = (terms.as_tuple(), [proof(requirements, [f.evidence for f in chosen])])
            staff = depts["CIVIL"].staff
            expected = self._expected(chosen, now)
            if expected is None:
                receipt = approvals.openCaseByRule(*args, sender=staff)
                [decided] = receipt.decode_logs(approvals.StepDecidedByRule)
                assert list(decided.attestationUids) == [f.evidence.uid for f in chosen]
                view = approvals.caseOf(terms.case_id())
                assert view.status == CaseStatus.APPROVED
                # her allowance is revoked at once, so the next approval may issue one again
                # (one valid benefit per citizen and service, tests/services/test_rules_benefit.py)
                self._tick()
                attestations.revoke(view.outcome, sender=depts["CIVIL"].approvers[0])
                self.approved.append((now, chosen))
                OUTCOMES["approved"] = OUTCOMES.get("approved", 0) + 1
                return
            name, kw = expected
            with ape.reverts(getattr(approvals, name), **kw):
                approvals.openCaseByRule(*args, sender=staff)
            OUTCOMES[name] = OUTCOMES.get(name, 0) + 1

        @invariant()
        def every_approval_used_facts_that_met_the_rule_then(self) -> None:
            for when, chosen in self.approved:
                for req, fact in zip(requirements, chosen, strict=True):
                    ev = fact.evidence
                    assert ev.subject == citizens[0].address and ev.schema == req.schema
                    assert ev.department in req.departments
                    assert when <= ev.issued_at + req.max_age
                    assert ev.expiry == 0 or when < ev.expiry

    run_state_machine_as_test(
        RuleMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=14, deadline=None),
    )
    print("rule machine outcomes:", OUTCOMES)
    assert OUTCOMES.get("approved", 0) > 0, OUTCOMES
    assert sum(v for k, v in OUTCOMES.items() if k != "approved") > 0, OUTCOMES
