"""Properties of approval cases, checked against a model over mixed operations.

Invariant 2 (rights are re-checked at use), for cases: a step is decided only by ``k`` distinct
people who are active APPROVERs of the step's Active department *when the step is decided*
(the submission of their signatures, or the vote that completes the step); one member, one
vote, whatever keys they used. Invariant 4: an attestation issued from a case carries exactly
the authority of those who decided it: the accepting department's approvers decided a step.

A Hypothesis state machine drives one case per example through signed submissions (honest
approvers, rotated-out keys, approvers of another department, staff, outsiders, duplicates,
wrong messages), on-chain votes, membership removals and re-admissions, role changes, key
rotations, suspensions, time, withdrawal and expiry; a model of the departments predicts every
outcome and which votes the contract counts or discards.
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

from govchain.approval import CaseStatus, CaseTerms
from govchain.approval.messages import entry, pack_signatures
from tests.approval.conftest import HOUR, Desk, h
from tests.conftest import hypothesis_examples
from tests.helpers import ROLE_APPROVER, ROLE_STAFF, enrol

DEPTS = ["DPF", "HRSS", "FINANCE", "CIVIL"]
ZERO32 = b"\0" * 32
OUTCOMES: dict[str, int] = {}  # how examples ended, to see the property is not vacuous
EVENTS: dict[str, int] = {}  # counted operations (discarded votes, refusals, ...), likewise
EXAMPLES = hypothesis_examples(0.12)  # 12 in the default profile, 120 in "deep"

# who signs or votes: (department, kind, index); kind "approver" (the person's current key),
# "old key" (the person's other key), "staff" (index 0: an outsider)
SIGNER = st.tuples(
    st.sampled_from(DEPTS),
    st.sampled_from(["approver"] * 4 + ["old key", "staff"]),
    st.integers(0, 2),
)
# whose membership changes: (department, index), or with None the open step's department
PERSON = st.tuples(st.sampled_from([None, None, *DEPTS]), st.integers(0, 2))


def _count(table: dict[str, int], key: str) -> None:
    table[key] = table.get(key, 0) + 1


@dataclass
class Person:
    """An approver of the model: two keys (``current`` indexes the enrolled one)."""

    keys: tuple[Any, Any]
    current: int = 0
    member: bool = True
    approver: bool = True

    @property
    def key(self) -> Any:
        return self.keys[self.current]


def test_cases_are_decided_only_by_k_people_active_when_it_is_decided(
    approvals: Any, attestations: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any,
    chain: Any, departments: Any, council: Any, schemas: Any, accounts: Any,
) -> None:  # fmt: skip
    # every person's second key: citizens 1..11 and the spare accounts 57..59 (not the applicant)
    spare = [*citizens[1:], accounts[57], accounts[58], accounts[59]]

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
            self.people = {
                (name, i): Person((depts[name].approvers[i], spare[3 * d + i]))
                for d, name in enumerate(DEPTS)
                for i in range(3)
            }
            self.owner = {key.address: who for who, p in self.people.items() for key in p.keys}
            self.votes: list[tuple[str, bool]] = []  # the open step's recorded (key, approve)
            # (step, department, the people who decided it)
            self.decided: list[tuple[int, str, set[tuple[str, int]]]] = []

        def teardown(self) -> None:
            OUTCOMES[self.status.name] = OUTCOMES.get(self.status.name, 0) + 1
            chain.restore(self.snapshot)

        def _tick(self, seconds: int = 1) -> int:
            # never behind the head: an operation of two transactions mines two blocks
            self.t = max(self.t, int(chain.blocks.head.timestamp)) + seconds
            chain.pending_timestamp = self.t
            return self.t

        @initialize(
            route=st.lists(
                st.tuples(st.sampled_from(DEPTS), st.sampled_from([1, 2, 2, 3]), st.integers(1, 6)),
                min_size=1,
                max_size=2,
            ),
            with_schema=st.sampled_from([True, True, False]),
        )
        def open_case(self, route: list[tuple[str, int, int]], with_schema: bool) -> None:
            now = self._tick()
            deadline, steps = now, []
            for name, k, hours in route:
                deadline += hours * HOUR
                steps.append((name, k, deadline))
            self.route = steps
            self.schema = schemas["subsidy"] if with_schema else ZERO32
            terms = desk.terms(steps, citizen=citizens[0], schema=self.schema)
            if with_schema and "CIVIL" not in {name for name, _, _ in steps}:
                # invariant 4 at opening: no CIVIL approver would decide it
                with ape.reverts(
                    approvals.ApprovalIssuerNotOnRoute,
                    schema=self.schema,
                    department=depts["CIVIL"].code,
                ):
                    desk.open(terms)
                _count(EVENTS, "refused: issuer not on route")
                self.schema = ZERO32
                terms = desk.terms(steps, citizen=citizens[0])
            self.terms = terms
            self.case_id = desk.open(self.terms)

        # --- the model -----------------------------------------------------------------------

        def _account(self, who: tuple[str, str, int]) -> Any:
            name, kind, i = who
            if kind == "staff":
                return depts[name].staff if i else outsider
            person = self.people[(name, i)]
            return person.key if kind == "approver" else person.keys[1 - person.current]

        def _counts_now(self, address: str, name: str) -> bool:
            """Whether a signature or vote of ``address`` counts for a step of ``name`` now."""
            who = self.owner.get(address)
            if who is None or who[0] != name or name in self.suspended:
                return False
            person = self.people[who]
            return person.member and person.approver and person.key.address == address

        def _close_step(self, approve: bool, keys: list[str]) -> None:
            name, k, _ = self.route[self.step]
            people = {self.owner[a] for a in keys}
            assert len(keys) == k and len(people) == k, (keys, people)  # k distinct people
            assert all(self._counts_now(a, name) for a in keys)  # each active now
            self.decided.append((self.step, name, people))
            self.votes = []
            if not approve:
                self.status = CaseStatus.REJECTED
            elif self.step + 1 == len(self.route):
                self.status = CaseStatus.APPROVED
            else:
                self.step += 1

        def _live(self, now: int) -> bool:
            return self.status == CaseStatus.OPEN and now <= self.route[self.step][2]

        # --- decisions -----------------------------------------------------------------------

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule(start=st.integers(0, 2), approve=st.sampled_from([True, True, True, False]))
        def submit_by_the_steps_approvers(self, start: int, approve: bool) -> None:
            name = self.route[self.step][0]
            self.submit([(name, "approver", i) for i in range(start, 3)], False, approve, False)

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule()
        def approvers_decide_every_remaining_step(self) -> None:
            """The honest path as one move: each remaining step's approvers sign in turn, until a
            submission is refused or the case closes, so every run reaches approved cases (and
            the attestations they issue) whatever the other rules did before."""
            while self.status == CaseStatus.OPEN:
                step = self.step
                self.submit_by_the_steps_approvers(0, True)
                if self.step == step and self.status == CaseStatus.OPEN:
                    return

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule()
        def a_voter_lapses_before_the_kth_vote(self) -> None:
            """Approver 0 of the open step votes and is removed; the step's other approvers then
            vote. When a side reaches k the lapsed vote is discarded, not counted. One move, so
            every run reaches the recount whatever the other rules did before."""
            name, k, _ = self.route[self.step]
            if k < 2 or not self.people[(name, 0)].member:
                return
            self.vote_by_a_steps_approver(0, True)
            if self.status != CaseStatus.OPEN:
                return
            self.remove_or_readmit((name, 0))
            for i in (1, 2):
                if self.status != CaseStatus.OPEN:
                    return
                self.vote_by_a_steps_approver(i, True)

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
            accounts_ = list({self._account(w).address: self._account(w) for w in who}.values())
            accounts_.sort(key=lambda a: int(a.address, 16))
            signed_step = self.step + 1 if wrong_step else self.step
            deadline = now + HOUR
            sigs = [
                desk.sign(a, self.case_id, signed_step, approve, h("c"), deadline)
                for a in accounts_
            ]
            packed = pack_signatures(sigs)
            if duplicate and sigs:
                packed = entry(sigs[0]) + packed
            decision = (self.step, approve, h("c"), deadline, packed)

            ok = False
            if self._live(now):
                name, k, _ = self.route[self.step]
                chosen = (
                    accounts_[:k] if not (duplicate and sigs) else [accounts_[0], *accounts_][:k]
                )
                ok = (
                    not wrong_step
                    and len(chosen) == k
                    and len({a.address for a in chosen}) == k
                    and all(self._counts_now(a.address, name) for a in chosen)
                )
                # R2-1: a signer with a vote recorded on the open step is refused
                voted = {a for a, _ in self.votes}
                if ok and any(a.address in voted for a in chosen):
                    ok = False
                    _count(EVENTS, "signer already voted on chain")
            if ok:
                receipt = desk.submit(self.case_id, self.terms, [decision], sender=outsider)
                [decided] = receipt.decode_logs(approvals.StepDecided)
                assert list(decided.signers) == [a.address for a in chosen]
                self._close_step(approve, [a.address for a in chosen])
                _count(EVENTS, "step decided by signatures")
            else:
                with ape.reverts():
                    desk.submit(self.case_id, self.terms, [decision], sender=outsider)
                _count(EVENTS, "submission refused")

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule(i=st.integers(0, 2), approve=st.sampled_from([True, True, True, False]))
        def vote_by_a_steps_approver(self, i: int, approve: bool) -> None:
            self.vote((self.route[self.step][0], "approver", i), approve)

        @rule(who=SIGNER, approve=st.booleans())
        def vote(self, who: tuple[str, str, int], approve: bool) -> None:
            now = self._tick()
            account = self._account(who)
            ok = False
            if self._live(now):
                name, k, _ = self.route[self.step]
                ok = self._counts_now(account.address, name) and account.address not in {
                    a for a, _ in self.votes
                }
            if not ok:
                with ape.reverts():
                    approvals.decide(
                        self.case_id, self.terms.as_tuple(), approve, h("v"), sender=account
                    )
                _count(EVENTS, "vote refused")
                return
            receipt = approvals.decide(
                self.case_id, self.terms.as_tuple(), approve, h("v"), sender=account
            )
            self.votes.append((account.address, approve))
            same = [a for a, side in self.votes if side == approve]
            expected_discarded: list[str] = []
            counted: list[str] | None = None
            if len(same) >= k:
                earlier = [a for a in same[:-1] if self._counts_now(a, name)]
                if 1 + len(earlier) >= k:
                    counted = [account.address, *earlier[: k - 1]]
                else:
                    expected_discarded = [a for a in same if not self._counts_now(a, name)]
            discarded = [d.approver for d in receipt.decode_logs(approvals.VoteDiscarded)]
            assert sorted(discarded) == sorted(expected_discarded)
            if expected_discarded:
                _count(EVENTS, "lapsed votes discarded")
                self.votes = [(a, s) for a, s in self.votes if a not in expected_discarded]
            decided = receipt.decode_logs(approvals.StepDecided)
            if counted is None:
                assert not decided
                view = approvals.caseOf(self.case_id)
                assert (view.approvals, view.rejections) == (
                    sum(1 for _, s in self.votes if s),
                    sum(1 for _, s in self.votes if not s),
                )
                return
            assert sorted(decided[0].signers) == sorted(counted)
            self._close_step(approve, counted)
            _count(EVENTS, "step decided by votes")

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule(
            ops=st.lists(
                st.tuples(
                    st.sampled_from(["vote", "vote", "remove", "rotate", "role"]),
                    st.integers(0, 2),
                    st.sampled_from([True, True, True, False]),
                ),
                min_size=2,
                max_size=6,
            )
        )
        def the_steps_department_changes_while_it_votes(
            self, ops: list[tuple[str, int, bool]]
        ) -> None:
            """Votes interleaved with removals, key rotations and role changes in the open
            step's department: the interleaving M-1 is about, made frequent."""
            for op, i, approve in ops:
                if self.status != CaseStatus.OPEN:
                    return
                if op == "vote":
                    self.vote_by_a_steps_approver(i, approve)
                elif op == "remove":
                    self.remove_or_readmit((None, i))
                elif op == "rotate":
                    self.rotate_key((None, i))
                else:
                    self.toggle_approver_role((None, i))

        @precondition(lambda self: self.status == CaseStatus.OPEN)
        @rule(
            change=st.sampled_from(["remove", "rotate", "role", "suspend"]), approve=st.booleans()
        )
        def a_voter_loses_the_right_before_the_kth_vote(self, change: str, approve: bool) -> None:
            """The M-1 attack: an approver votes, then is removed, rotates its key, loses the
            role or sees its department suspended (and reinstated), then the others vote."""
            name = self.route[self.step][0]
            active = [
                i for i in range(3) if self._counts_now(self.people[(name, i)].key.address, name)
            ]
            if not active:
                return
            first, *others = active
            self.vote_by_a_steps_approver(first, approve)
            if self.status != CaseStatus.OPEN:
                return
            if change == "remove":
                self.remove_or_readmit((None, first))
            elif change == "rotate":
                self.rotate_key((None, first))
            elif change == "role":
                self.toggle_approver_role((None, first))
            else:
                self.suspend_or_reinstate(name)
                self.suspend_or_reinstate(name)
            for i in others:
                if self.status == CaseStatus.OPEN:
                    self.vote_by_a_steps_approver(i, approve)

        # --- the departments change under the case ----------------------------------------

        def _admin(self, name: str) -> Any | None:
            """The department's admin, or None while suspended (it cannot act then)."""
            return None if name in self.suspended else depts[name].admin

        def _person(self, who: tuple[str | None, int]) -> tuple[Any | None, Person]:
            """The admin who acts and the person: of the open step's department for None."""
            name = who[0] or self.route[self.step][0]
            return self._admin(name), self.people[(name, who[1])]

        @rule(who=PERSON)
        def remove_or_readmit(self, who: tuple[str | None, int]) -> None:
            self._tick()
            admin, person = self._person(who)
            if admin is None:
                return
            if person.member:
                departments.removeMember(person.key, sender=admin)
                _count(EVENTS, "member removed")
            else:
                roles = ROLE_APPROVER if person.approver else ROLE_STAFF
                enrol(departments, admin, person.key, roles)
            person.member = not person.member

        @rule(who=PERSON)
        def rotate_key(self, who: tuple[str | None, int]) -> None:
            """The admin replaces the person's key: the old one is removed, the other enrolled."""
            self._tick()
            admin, person = self._person(who)
            if admin is None or not person.member:
                return
            roles = ROLE_APPROVER if person.approver else ROLE_STAFF
            departments.removeMember(person.key, sender=admin)
            person.current = 1 - person.current
            self._tick()
            enrol(departments, admin, person.key, roles)
            _count(EVENTS, "key rotated")

        @rule(who=PERSON)
        def toggle_approver_role(self, who: tuple[str | None, int]) -> None:
            self._tick()
            admin, person = self._person(who)
            if admin is None or not person.member:
                return
            roles = ROLE_STAFF if person.approver else ROLE_APPROVER
            departments.setMemberRoles(person.key, roles, sender=admin)
            person.approver = not person.approver

        @rule(name=st.sampled_from(DEPTS))
        def suspend_or_reinstate(self, name: str) -> None:
            self._tick()
            if name in self.suspended:
                departments.reinstate(depts[name].code, sender=council)
                self.suspended.discard(name)
            else:
                departments.suspend(depts[name].code, sender=council)
                self.suspended.add(name)

        # --- time and closing ---------------------------------------------------------------

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
        @rule(now=st.sampled_from([True, False, False, False]))
        def withdraw(self, now: bool) -> None:
            if not now:  # most examples should run on to a decision
                return
            self._tick()
            staff = depts["CIVIL"].staff
            if "CIVIL" in self.suspended:  # L-1: the opener withdraws only as active staff
                with ape.reverts(approvals.ApprovalNotStaff, account=staff.address):
                    approvals.withdraw(self.case_id, self.terms.as_tuple(), h("w"), sender=staff)
                _count(EVENTS, "withdrawal refused")
                return
            approvals.withdraw(self.case_id, self.terms.as_tuple(), h("w"), sender=staff)
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
        def approved_only_with_every_step_decided_by_k_people(self) -> None:
            if self.status != CaseStatus.APPROVED:
                return
            assert [s for s, _, _ in self.decided] == list(range(len(self.route)))
            for (step, _, people), (_, k, _) in zip(self.decided, self.route, strict=True):
                assert len(people) == k, step

        @invariant()
        def an_attestation_carries_the_authority_of_who_decided(self) -> None:
            """Invariant 4: issued only for a schema case, after CIVIL's approvers decided."""
            if not hasattr(self, "case_id") or self.status != CaseStatus.APPROVED:
                return
            uid = approvals.caseOf(self.case_id).outcome
            if self.schema == ZERO32:
                assert uid == ZERO32
                return
            assert any(name == "CIVIL" for _, name, _ in self.decided)
            assert attestations.isValid(uid)
            _count(EVENTS, "attestation issued")

    run_state_machine_as_test(
        CaseMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=16, deadline=None),
    )
    print("case machine outcomes:", OUTCOMES, "events:", EVENTS)
    # not vacuous: steps were decided both ways, lapsed votes discarded, attestations issued
    for event in ("step decided by votes", "step decided by signatures", "attestation issued"):
        assert EVENTS.get(event, 0) > 0, (event, EVENTS)
    assert EVENTS.get("lapsed votes discarded", 0) > 0, EVENTS
