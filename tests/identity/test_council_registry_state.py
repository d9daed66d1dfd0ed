"""Invariant 2 for departments and the council: rights are re-checked at use.

A Hypothesis state machine over the Council and the DepartmentRegistry it governs, mixing
membership offers and acceptances, removals by an ADMIN and by the council, compromised keys,
suspensions and reinstatements, admin-key replacements, attestations, and council proposals,
approvals, withdrawals, cancellations, threshold changes and executions. Checked against a model:

- every member right (an attestation, an ADMIN's offer taken up, a member check) comes from a
  key that is *now* a member of an Active department with that role; a key the council marked
  compromised is in no department and never joins one again; a key belongs to one department;
- every council approval that counts (``hasApproved``, ``proposal().approvals``, execution)
  comes from a member whose key is *now* an ADMIN of an Active department and who did not
  withdraw it; a proposal executes only with max(threshold when proposed, current threshold)
  such approvals, once, and never after it was cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ape.exceptions import ContractLogicError
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import FOUNDERS, hypothesis_examples
from tests.helpers import ROLE_STAFF, code
from tests.identity.conftest import COUNCIL_THRESHOLD, ZERO32

DEPTS = ["PSB", "HRSS", "CIVIL"]  # suspended, reinstated, their admin keys replaced
STEADY = [0, 3, 4, 6]  # BDB, HOUSING, DPF, FINANCE: always Active, their admins always seated
INDEX = {name: i for i, (name, _region, _title) in enumerate(FOUNDERS)}
DAY = 86_400
EXAMPLES = hypothesis_examples(0.08)  # 8 in the default profile, 80 in "deep"


def _succeeds(action: Callable[[], Any]) -> bool:
    try:
        action()
    except ContractLogicError:
        return False
    return True


@dataclass
class ProposalModel:
    pid: bytes
    proposer: str
    snapshot: int
    approvals: set[str] = field(default_factory=set)
    closed: bool = False


def test_rights_are_rechecked_at_use(
    project: Any, deployer: Any, governed_departments: Any, council_contract: Any,
    council_members: list[Any], citizens: list[Any], chain: Any,
) -> None:  # fmt: skip
    reg, council = governed_departments, council_contract
    attestations = project.AttestationRegistry.deploy(reg, sender=deployer)
    schema = attestations.registerSchema(
        b"\x05" * 32, ROLE_STAFF, ZERO32, True, sender=council_members[0]
    ).return_value
    keys = citizens[:5]
    spares = citizens[5:9]  # new admin keys
    by_address = {a.address: a for a in [*keys, *spares, *council_members]}
    outcomes: dict[str, int] = {}

    def count(what: str) -> None:
        outcomes[what] = outcomes.get(what, 0) + 1

    def decide(target: Any, data: bytes) -> bool:
        """A decision by the four always-seated members (enough for any threshold <= 4)."""
        steady = [council_members[i] for i in STEADY]
        pid = council.propose(
            target, data, chain.pending_timestamp + DAY, sender=steady[0]
        ).return_value
        for member in steady[1:]:
            council.approve(pid, sender=member)
        return _succeeds(lambda: council.execute(pid, sender=steady[0]))

    class Rights(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.active = dict.fromkeys(DEPTS, True)
            self.admin = {d: council_members[INDEX[d]].address for d in DEPTS}
            self.member_of: dict[str, str] = {}
            self.compromised: set[str] = set()
            self.offers: dict[tuple[str, str], str] = {}
            self.threshold = COUNCIL_THRESHOLD
            self.proposals: list[ProposalModel] = []
            self.spares_used = 0
            self.counter = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        # --- the model's rules of who may do what now ----------------------------------------

        def seated(self, member: str) -> bool:
            if member in (council_members[i].address for i in STEADY):
                return True
            return any(self.admin[d] == member and self.active[d] for d in DEPTS)

        def counted(self, p: ProposalModel) -> int:
            return sum(1 for m in p.approvals if self.seated(m))

        def needed(self, p: ProposalModel) -> int:
            return max(p.snapshot, self.threshold)

        # --- members --------------------------------------------------------------------------

        @rule(dept=st.sampled_from(DEPTS), key=st.integers(0, len(keys) - 1))
        def admin_offers(self, dept: str, key: int) -> None:
            account = keys[key]
            admin = by_address[self.admin[dept]]
            ok = _succeeds(lambda: reg.addMember(account, ROLE_STAFF, sender=admin))
            expected = (
                self.active[dept]
                and account.address not in self.member_of
                and account.address not in self.compromised
            )
            assert ok == expected, (dept, account.address)
            if ok:
                self.offers[(account.address, dept)] = admin.address

        @rule(dept=st.sampled_from(DEPTS), key=st.integers(0, len(keys) - 1))
        def key_accepts(self, dept: str, key: int) -> None:
            account = keys[key]
            offered_by = self.offers.get((account.address, dept))
            ok = _succeeds(lambda: reg.acceptMembership(code(dept), sender=account))
            expected = (
                offered_by is not None
                and offered_by == self.admin[dept]
                and self.active[dept]
                and account.address not in self.member_of
                and account.address not in self.compromised
            )
            assert ok == expected, (dept, account.address, offered_by)
            count("joined" if ok else "join refused")
            if ok:
                self.member_of[account.address] = dept
                del self.offers[(account.address, dept)]

        @rule(dept=st.sampled_from(DEPTS), key=st.integers(0, len(keys) - 1))
        def admin_removes(self, dept: str, key: int) -> None:
            account = keys[key]
            admin = by_address[self.admin[dept]]
            ok = _succeeds(lambda: reg.removeMember(account, sender=admin))
            assert ok == (self.active[dept] and self.member_of.get(account.address) == dept)
            if ok:
                del self.member_of[account.address]

        @rule(key=st.integers(0, len(keys) - 1))
        def council_removes(self, key: int) -> None:
            account = keys[key]
            ok = decide(reg, bytes(reg.removeMemberByCouncil.encode_input(account)))
            assert ok == (account.address in self.member_of)
            if ok:
                del self.member_of[account.address]

        @rule(key=st.integers(0, len(keys) - 1))
        def council_marks_compromised(self, key: int) -> None:
            account = keys[key]
            ok = decide(reg, bytes(reg.markCompromised.encode_input(account)))
            assert ok == (account.address not in self.compromised)
            if ok:
                self.compromised.add(account.address)
                self.member_of.pop(account.address, None)

        @rule(key=st.integers(0, len(keys) - 1))
        def member_attests(self, key: int) -> None:
            account = keys[key]
            self.counter += 1
            data = self.counter.to_bytes(32, "big")
            ok = _succeeds(
                lambda: attestations.attest(citizens[-1], schema, data, 0, ZERO32, sender=account)
            )
            dept = self.member_of.get(account.address)
            assert ok == (dept is not None and self.active[dept])
            count("attested" if ok else "attest refused")

        # --- departments ----------------------------------------------------------------------

        @rule(dept=st.sampled_from(DEPTS))
        def council_toggles(self, dept: str) -> None:
            method = reg.suspend if self.active[dept] else reg.reinstate
            assert decide(reg, bytes(method.encode_input(code(dept))))
            self.active[dept] = not self.active[dept]

        @rule(dept=st.sampled_from(DEPTS))
        def council_replaces_the_admin(self, dept: str) -> None:
            if self.spares_used == len(spares):
                return
            new = spares[self.spares_used]
            old = self.admin[dept]
            data = bytes(reg.replaceAdmin.encode_input(code(dept), old, new))
            assert decide(reg, data)
            self.spares_used += 1
            self.compromised.add(old)
            self.member_of.pop(old, None)
            self.member_of[new.address] = dept
            self.admin[dept] = new.address

        # --- council --------------------------------------------------------------------------

        @rule(who=st.integers(0, len(council_members) - 1))
        def member_proposes(self, who: int) -> None:
            member = council_members[who]
            data = bytes(reg.departmentCount.encode_input())
            expiry = chain.pending_timestamp + 7 * DAY
            try:
                pid = council.propose(reg, data, expiry, sender=member).return_value
            except ContractLogicError:
                assert not self.seated(member.address)
                count("unseated refused")
                return
            assert self.seated(member.address)
            model = ProposalModel(bytes(pid), member.address, self.threshold, {member.address})
            self.proposals.append(model)

        @rule(p=st.integers(0, 7), who=st.integers(0, len(council_members) - 1))
        def member_approves(self, p: int, who: int) -> None:
            if not self.proposals:
                return
            model = self.proposals[p % len(self.proposals)]
            member = council_members[who]
            ok = _succeeds(lambda: council.approve(model.pid, sender=member))
            seated = self.seated(member.address)
            expected = not model.closed and seated and member.address not in model.approvals
            assert ok == expected, (member.address, model)
            if not model.closed and not seated:
                count("unseated refused")
            if ok:
                model.approvals.add(member.address)

        @rule(p=st.integers(0, 7), who=st.integers(0, len(council_members) - 1))
        def member_withdraws(self, p: int, who: int) -> None:
            if not self.proposals:
                return
            model = self.proposals[p % len(self.proposals)]
            member = council_members[who]
            ok = _succeeds(lambda: council.withdrawApproval(model.pid, sender=member))
            assert ok == (not model.closed and member.address in model.approvals)
            if ok:
                model.approvals.discard(member.address)
                count("withdrawn")

        @rule(p=st.integers(0, 7))
        def anyone_executes(self, p: int) -> None:
            if not self.proposals:
                return
            model = self.proposals[p % len(self.proposals)]
            ok = _succeeds(lambda: council.execute(model.pid, sender=citizens[-1]))
            expected = not model.closed and self.counted(model) >= self.needed(model)
            assert ok == expected, (model, self.threshold)
            count("executed" if ok else "execution refused")
            if ok:
                model.closed = True

        @rule(p=st.integers(0, 7))
        def proposer_cancels(self, p: int) -> None:
            if not self.proposals:
                return
            model = self.proposals[p % len(self.proposals)]
            proposer = by_address[model.proposer]
            ok = _succeeds(lambda: council.cancel(model.pid, sender=proposer))
            assert ok == (not model.closed and self.seated(model.proposer))
            if ok:
                model.closed = True

        @rule(threshold=st.sampled_from([COUNCIL_THRESHOLD - 1, COUNCIL_THRESHOLD]))
        def council_changes_the_threshold(self, threshold: int) -> None:
            assert decide(council, bytes(council.changeThreshold.encode_input(threshold)))
            self.threshold = threshold

        # --- sequences, so that every side of the property is reached in a small budget --------

        @rule(dept=st.sampled_from(DEPTS), key=st.integers(0, len(keys) - 1))
        def offer_accept_attest(self, dept: str, key: int) -> None:
            self.admin_offers(dept, key)
            self.key_accepts(dept, key)
            self.member_attests(key)

        @rule(
            proposer=st.integers(0, len(council_members) - 1),
            voters=st.lists(st.integers(0, len(council_members) - 1), max_size=5, unique=True),
        )
        def vote_then_execute(self, proposer: int, voters: list[int]) -> None:
            before = len(self.proposals)
            self.member_proposes(proposer)
            if len(self.proposals) == before:
                return
            last = len(self.proposals) - 1
            for who in voters:
                self.member_approves(last, who)
            self.anyone_executes(last)

        @rule(dept=st.sampled_from(DEPTS))
        def a_suspended_departments_admin_votes(self, dept: str) -> None:
            if self.active[dept]:
                self.council_toggles(dept)
            self.member_proposes(INDEX[dept])  # its council key: no seat now

        # --- invariants -----------------------------------------------------------------------

        @invariant()
        def member_rights_match_the_model(self) -> None:
            for account in [*keys, *spares[: self.spares_used]]:
                department, _roles, active = reg.memberOf(account)
                dept = self.member_of.get(account.address)
                if dept is None:
                    assert department == ZERO32
                else:
                    assert department == code(dept)
                    assert active == self.active[dept]
                if account.address in self.compromised:
                    assert department == ZERO32 and reg.compromisedSince(account) > 0

        @invariant()
        def every_counted_approval_is_from_a_seat_now(self) -> None:
            for i in (1, 2, 5):  # the members whose seats come and go
                member = council_members[i].address
                assert council.hasSeat(member) == self.seated(member)
            for model in self.proposals[-3:]:
                if model.closed:
                    continue
                view = council.proposal(model.pid)
                assert view.approvals == self.counted(model)
                assert view.threshold == self.needed(model)
                for i in (1, 2, 5):
                    member = council_members[i].address
                    counts = member in model.approvals and self.seated(member)
                    assert council.hasApproved(model.pid, member) == counts

    run_state_machine_as_test(
        Rights,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=15, deadline=None),
    )
    print("state machine outcomes:", outcomes)
    assert outcomes.get("executed", 0) > 0 and outcomes.get("execution refused", 0) > 0, outcomes
    assert outcomes.get("unseated refused", 0) > 0, outcomes
    assert outcomes.get("attested", 0) > 0 and outcomes.get("attest refused", 0) > 0, outcomes
