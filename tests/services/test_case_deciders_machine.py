"""The property of review s27 C-1, against a model over mixed operations.

An attestation carries exactly the authority of those who decided it: a RULE step refuses an
attestation exactly when some key that decided it (its attester; for a case's attestation,
the signers and counted voters of its steps and, through its RULE steps' evidence, the keys
behind that evidence, transitively) is marked compromised now. A Hypothesis state machine
mixes direct attestations by approver keys, cases issuing the allowance by signatures (one or
two steps) or by on-chain votes, cases issuing a follow-up benefit from a RULE step over any
held attestation then a signature step, council marks of keys, and rule checks of any held
attestation; the proofs are built by the SDK (``CaseDeciders.entries``, rebuilt from events
and checked against ``decidersHash``), the model says which keys decided.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ape
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from govchain.approval import CaseStatus
from govchain.services.deciders import CaseDeciders
from govchain.services.rules import Evidence, Requirement, name_code, proof, rule_id, rule_step
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    approvals,
    attestations,
    citizen_registry,
    desk,
    register_schema,
    rule_registry,
    schemas,
)
from tests.conftest import hypothesis_examples
from tests.helpers import ROLE_APPROVER
from tests.services.conftest import YEAR, Rulebook, book, facts  # noqa: F401 (fixtures)
from tests.services.test_case_deciders import _connection, _issued

EXAMPLES = hypothesis_examples(0.1)
OUTCOMES: dict[str, int] = {}
ZERO32 = b"\0" * 32


@dataclass
class Held:
    """An attestation bob holds, and the keys the model says decided it."""

    evidence: Evidence
    schema: str  # "allowance" or "followup"
    deciders: tuple[str, ...]


def test_a_rule_refuses_an_attestation_exactly_when_a_key_that_decided_it_is_marked(
    book: Rulebook, approvals: Any, departments: Any, council: Any, depts: Any, facts: Any,
    citizens: Any, chain: Any, tmp_path: Path,
) -> None:  # fmt: skip
    civil, psb, bob = depts["CIVIL"], depts["PSB"], citizens[10]
    followup = register_schema(
        book.attestations, depts["BDB"].admin, "FollowUp(bytes32 caseId)", ROLE_APPROVER, ZERO32
    )
    holds = [Requirement(facts["allowance"], YEAR, (civil.code,))]
    book.register("CIVIL", "holds-allowance", holds)
    holds_id = rule_id(civil.code, name_code("holds-allowance"))
    renewal = [Requirement(followup, YEAR, (civil.code,))]
    book.register("CIVIL", "holds-followup", renewal)
    renewal_id = rule_id(civil.code, name_code("holds-followup"))
    rule_of = {"allowance": (holds_id, holds), "followup": (renewal_id, renewal)}
    connection = _connection(book, departments, tmp_path)

    class DecidersMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            # one reader per example: a restored chain may reuse a case id with other deciders
            self.reader = CaseDeciders(connection)
            self.held: list[Held] = []
            self.marked: set[str] = set()
            self.n = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        def _documents(self) -> bytes:
            self.n += 1
            return self.n.to_bytes(32, "big")

        def _live(self, dept: Any) -> list[Any]:
            return [a for a in dept.approvers if a.address not in self.marked]

        def _pick(self, dept: Any, picks: list[int], count: int) -> list[Any]:
            live = self._live(dept)
            chosen: list[Any] = []
            for p in picks:
                key = live[p % len(live)]
                if key not in chosen:
                    chosen.append(key)
            for key in live:
                if len(chosen) < count and key not in chosen:
                    chosen.append(key)
            return sorted(chosen[:count], key=lambda k: int(k.address, 16))

        def _sign(self, terms: Any, case_id: bytes, step: int, signers: list[Any]) -> Any:
            d = book.desk.step_decision(case_id, step, signers)
            return book.desk.submit(case_id, terms, [d], sender=civil.staff)

        @initialize()
        def start(self) -> None:
            self.held = []

        @rule(picks=st.lists(st.integers(0, 2), min_size=1, max_size=2))
        def attest_directly(self, picks: list[int]) -> None:
            [key] = self._pick(civil, picks, 1)
            receipt = book.attestations.attest(
                bob.address, facts["allowance"], self._documents(), 0, ZERO32, sender=key
            )
            self.held.append(Held(_issued(book, receipt), "allowance", (key.address,)))

        @rule(
            psb_first=st.booleans(),
            threshold=st.integers(1, 2),
            picks=st.lists(st.integers(0, 2), min_size=1, max_size=3),
        )
        def signed_case(self, psb_first: bool, threshold: int, picks: list[int]) -> None:
            route = [("PSB", 1)] if psb_first else []
            route.append(("CIVIL", threshold))
            terms = book.desk.terms(
                route, citizen=bob, schema=facts["allowance"], documents=self._documents()
            )
            case_id = book.desk.open(terms)
            deciders: list[str] = []
            receipt = None
            for step, (name, k) in enumerate(route):
                signers = self._pick(depts[name], picks, k)
                receipt = self._sign(terms, case_id, step, signers)
                deciders.extend(s.address for s in signers)
            self.held.append(Held(_issued(book, receipt), "allowance", tuple(deciders)))

        @rule(picks=st.lists(st.integers(0, 2), min_size=2, max_size=3))
        def voted_case(self, picks: list[int]) -> None:
            first, second = self._pick(civil, picks, 2)
            terms = book.desk.terms(
                [("CIVIL", 2)], citizen=bob, schema=facts["allowance"], documents=self._documents()
            )
            case_id = book.desk.open(terms)
            approvals.decide(case_id, terms.as_tuple(), True, ZERO32, sender=first)
            receipt = approvals.decide(case_id, terms.as_tuple(), True, ZERO32, sender=second)
            deciders = (second.address, first.address)
            self.held.append(Held(_issued(book, receipt), "allowance", deciders))

        def _refused_by(self, held: Held) -> str | None:
            return next((k for k in held.deciders if k in self.marked), None)

        @precondition(lambda self: any(h.schema == "allowance" for h in self.held))
        @rule(index=st.integers(0, 30), picks=st.lists(st.integers(0, 2), min_size=1))
        def rule_then_signed_case(self, index: int, picks: list[int]) -> None:
            """A RULE step over a held allowance, then a CIVIL signature step: the follow-up."""
            pool = [h for h in self.held if h.schema == "allowance"]
            used = pool[index % len(pool)]
            route_terms = book.desk.terms(
                [("CIVIL", 1)], citizen=bob, schema=followup, documents=self._documents()
            )
            signed = route_terms.route[0]
            terms = replace(route_terms, route=(rule_step(holds_id, signed.deadline), signed))
            case_id = terms.case_id()
            the_proof = proof(holds, [used.evidence], self.reader.entries([used.evidence]))
            marked = self._refused_by(used)
            if marked is not None:
                with ape.reverts(approvals.RuleDeciderCompromised, decider=marked):
                    approvals.openCaseByRule(terms.as_tuple(), [the_proof], sender=civil.staff)
                OUTCOMES["refused"] = OUTCOMES.get("refused", 0) + 1
                return
            approvals.openCaseByRule(terms.as_tuple(), [the_proof], sender=civil.staff)
            [signer] = self._pick(civil, picks, 1)
            receipt = self._sign(terms, case_id, 1, [signer])
            deciders = (*used.deciders, signer.address)
            self.held.append(Held(_issued(book, receipt), "followup", deciders))
            OUTCOMES["chained"] = OUTCOMES.get("chained", 0) + 1

        @precondition(lambda self: len(self.marked & {a.address for a in civil.approvers}) < 1)
        @rule(which=st.integers(0, 2))
        def mark_a_civil_approver(self, which: int) -> None:
            key = civil.approvers[which]
            departments.markCompromised(key, sender=council)
            self.marked.add(key.address)

        @precondition(lambda self: len(self.marked & {a.address for a in psb.approvers}) < 2)
        @rule(which=st.integers(0, 2))
        def mark_a_psb_approver(self, which: int) -> None:
            key = psb.approvers[which]
            if key.address not in self.marked:
                departments.markCompromised(key, sender=council)
                self.marked.add(key.address)

        @precondition(lambda self: bool(self.held))
        @rule(index=st.integers(0, 30))
        def check(self, index: int) -> None:
            held = self.held[index % len(self.held)]
            rid, reqs = rule_of[held.schema]
            entries = self.reader.entries([held.evidence])
            if held.evidence.attester == approvals.address:
                assert [tuple(entries[0][1])] == [held.deciders]
            terms = book.rule_terms([rid], bob, documents=self._documents())
            the_proof = proof(reqs, [held.evidence], entries)
            marked = self._refused_by(held)
            if marked is None:
                approvals.openCaseByRule(terms.as_tuple(), [the_proof], sender=civil.staff)
                assert approvals.caseOf(terms.case_id()).status == CaseStatus.APPROVED
                OUTCOMES["approved"] = OUTCOMES.get("approved", 0) + 1
                return
            since = int(departments.compromisedSince(marked))
            error = (
                approvals.RuleAttesterCompromised
                if held.evidence.attester == marked
                else approvals.RuleDeciderCompromised
            )
            args = {"uid": held.evidence.uid, "since": since}
            args["attester" if held.evidence.attester == marked else "decider"] = marked
            with ape.reverts(error, **args):
                approvals.openCaseByRule(terms.as_tuple(), [the_proof], sender=civil.staff)
            OUTCOMES["refused"] = OUTCOMES.get("refused", 0) + 1

    run_state_machine_as_test(
        DecidersMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=12, deadline=None),
    )
    print("deciders machine outcomes:", OUTCOMES)
    assert OUTCOMES.get("approved", 0) > 0, OUTCOMES
    assert OUTCOMES.get("refused", 0) > 0, OUTCOMES
