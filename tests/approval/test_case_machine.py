"""Property: a case reaches Approved only when every step had k distinct, active approvers'
valid approvals before its deadline, and no decision changes a closed case.

A Hypothesis state machine drives one case per example through signed submissions (honest
approvers, approvers of another department, staff, outsiders, duplicates, wrong messages),
on-chain votes, suspensions, time, withdrawal and expiry, and checks the contract against a
model after every step.
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

from govchain.approval import CaseStatus, CaseTerms
from govchain.approval.messages import pack_signatures
from tests.approval.conftest import HOUR, Desk, h
from tests.conftest import hypothesis_examples

DEPTS = ["DPF", "HRSS", "FINANCE"]
OUTCOMES: dict[str, int] = {}  # how examples ended, to see the property is not vacuous
EXAMPLES = hypothesis_examples(0.12)  # 12 in the default profile, 120 in "deep"

# who signs: (department, kind, index); kind "approver" | "staff" | "outsider"
SIGNER = st.tuples(
    st.sampled_from(DEPTS), st.sampled_from(["approver"] * 4 + ["staff"]), st.integers(0, 2)
)


def test_cases_are_approved_only_by_k_active_approvers_before_the_deadline(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, chain: Any,
    departments: Any, council: Any,
) -> None:  # fmt: skip
    class CaseMachine(RuleBasedStateMachine):
        terms: CaseTerms
        case_id: bytes

        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.t = int(chain.blocks.head.timestamp) + 10
            self.status = CaseStatus.OPEN
            self.step = 0
            self.suspended: set[str] = set()
            self.votes: dict[int, dict[str, set[str]]] = {}
            self.decided: list[tuple[int, set[str]]] = []  # (step, distinct approvers)

        def teardown(self) -> None:
            OUTCOMES[self.status.name] = OUTCOMES.get(self.status.name, 0) + 1
            chain.restore(self.snapshot)

        def _tick(self, seconds: int = 1) -> int:
            self.t += seconds
            chain.pending_timestamp = self.t
            return self.t

        @initialize(
            route=st.lists(
                st.tuples(st.sampled_from(DEPTS), st.integers(1, 3), st.integers(1, 6)),
                min_size=1,
                max_size=3,
            )
        )
        def open_case(self, route: list[tuple[str, int, int]]) -> None:
            now = self._tick()
            deadline, steps = now, []
            for name, k, hours in route:
                deadline += hours * HOUR
                steps.append((name, k, deadline))
            self.route = steps
            self.terms = desk.terms(steps, citizen=citizens[0])
            self.case_id = desk.open(self.terms)

        # --- helpers -------------------------------------------------------------------------

        def _account(self, who: tuple[str, str, int]) -> Any:
            name, kind, i = who
            if kind == "staff":
                return depts[name].staff if i else outsider
            return depts[name].approvers[i]

        def _active_approver(self, account: Any, name: str) -> bool:
            return account in depts[name].approvers and name not in self.suspended

        def _close_step(self, approve: bool, approvers: set[str]) -> None:
            _, k, _ = self.route[self.step]
            assert len(approvers) >= k
            self.decided.append((self.step, approvers))
            if not approve:
                self.status = CaseStatus.REJECTED
            elif self.step + 1 == len(self.route):
                self.status = CaseStatus.APPROVED
            else:
                self.step += 1

        # --- rules ---------------------------------------------------------------------------

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule(start=st.integers(0, 2), approve=st.sampled_from([True, True, True, False]))
        def submit_by_the_steps_approvers(self, start: int, approve: bool) -> None:
            name = self.route[self.step][0]
            self.submit([(name, "approver", i) for i in range(start, 3)], False, approve, False)

        @rule(
            who=st.lists(SIGNER, min_size=0, max_size=4),
            duplicate=st.booleans(),
            approve=st.booleans(),
            wrong_step=st.booleans(),
        )
        def submit(
            self, who: list[tuple[str, str, int]], duplicate: bool, approve: bool, wrong_step: bool
        ) -> None:
            now = self._tick()
            accounts = list({self._account(w).address: self._account(w) for w in who}.values())
            accounts.sort(key=lambda a: int(a.address, 16))
            signed_step = self.step + 1 if wrong_step else self.step
            deadline = now + HOUR
            sigs = [
                desk.sign(a, self.case_id, signed_step, approve, h("c"), deadline) for a in accounts
            ]
            packed = pack_signatures(sigs)
            if duplicate and sigs:
                packed = sigs[0].signature + packed
            decision = (self.step, approve, h("c"), deadline, packed)

            ok = False
            if self.status == CaseStatus.OPEN and self.step < len(self.route):
                name, k, step_deadline = self.route[self.step]
                chosen = accounts[:k] if not (duplicate and sigs) else [accounts[0], *accounts][:k]
                ok = (
                    now <= step_deadline
                    and not wrong_step
                    and len(chosen) == k
                    and len({a.address for a in chosen}) == k
                    and all(self._active_approver(a, name) for a in chosen)
                )
            if ok:
                desk.submit(self.case_id, self.terms, [decision], sender=outsider)
                self._close_step(approve, {a.address for a in chosen})
            else:
                with ape.reverts():
                    desk.submit(self.case_id, self.terms, [decision], sender=outsider)

        @rule(who=SIGNER, approve=st.booleans())
        def vote(self, who: tuple[str, str, int], approve: bool) -> None:
            now = self._tick()
            account = self._account(who)
            ok = False
            if self.status == CaseStatus.OPEN:
                name, k, step_deadline = self.route[self.step]
                voted = self.votes.setdefault(self.step, {"yes": set(), "no": set()})
                ok = (
                    now <= step_deadline
                    and self._active_approver(account, name)
                    and account.address not in voted["yes"] | voted["no"]
                )
            if not ok:
                with ape.reverts():
                    approvals.decide(
                        self.case_id, self.terms.as_tuple(), approve, h("v"), sender=account
                    )
                return
            approvals.decide(self.case_id, self.terms.as_tuple(), approve, h("v"), sender=account)
            side = voted["yes" if approve else "no"]
            side.add(account.address)
            if len(side) == k:
                self._close_step(approve, set(side))

        @rule(name=st.sampled_from(DEPTS))
        def suspend_or_reinstate(self, name: str) -> None:
            self._tick()
            if name in self.suspended:
                departments.reinstate(depts[name].code, sender=council)
                self.suspended.discard(name)
            else:
                departments.suspend(depts[name].code, sender=council)
                self.suspended.add(name)

        @rule(hours=st.integers(1, 8))
        def wait(self, hours: int) -> None:
            self.t += hours * HOUR

        @rule()
        def expire(self) -> None:
            now = self._tick()
            if self.status == CaseStatus.OPEN and now > self.route[self.step][2]:
                approvals.expire(self.case_id, self.terms.as_tuple(), sender=outsider)
                self.status = CaseStatus.EXPIRED
            else:
                with ape.reverts():
                    approvals.expire(self.case_id, self.terms.as_tuple(), sender=outsider)

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule()
        def withdraw(self) -> None:
            self._tick()
            approvals.withdraw(
                self.case_id, self.terms.as_tuple(), h("w"), sender=depts["CIVIL"].staff
            )
            self.status = CaseStatus.WITHDRAWN

        # --- invariants ----------------------------------------------------------------------

        @invariant()
        def contract_matches_model(self) -> None:
            if not hasattr(self, "case_id"):
                return
            view = approvals.caseOf(self.case_id)
            assert view.status == self.status
            assert view.currentStep == self.step

        @invariant()
        def approved_only_with_every_step_decided_by_k_approvers(self) -> None:
            if self.status != CaseStatus.APPROVED:
                return
            assert [s for s, _ in self.decided] == list(range(len(self.route)))
            for (step, approvers), (_, k, _) in zip(self.decided, self.route, strict=True):
                assert len(approvers) >= k, step

    run_state_machine_as_test(
        CaseMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=12, deadline=None),
    )
    print("case machine outcomes:", OUTCOMES)
