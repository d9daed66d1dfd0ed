"""Hypothesis state machine over the Council and the DepartmentRegistry it governs.

Properties: a key is never a member of two departments; a suspended department's members can do
nothing (no member changes, no attestations, no active-member check passes); no council decision
passes below its threshold or after it expires, and none passes twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ape.exceptions import ContractLogicError
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import hypothesis_examples
from tests.helpers import ROLE_STAFF, code
from tests.identity.conftest import COUNCIL_THRESHOLD, ZERO32

DEPTS = ["PSB", "HRSS", "CIVIL"]
ADMIN_INDEX = {"PSB": 1, "HRSS": 2, "CIVIL": 5}  # position in FOUNDERS = position on the council
DAY = 86_400
EXAMPLES = hypothesis_examples(0.08)  # 8 in the default profile, 80 in "deep"


def _succeeds(action: Callable[[], Any]) -> bool:
    try:
        action()
    except ContractLogicError:
        return False
    return True


def test_council_and_registry_keep_their_invariants(
    project: Any, deployer: Any, governed_departments: Any, council_contract: Any,
    council_members: list[Any], citizens: list[Any], chain: Any,
) -> None:  # fmt: skip
    reg, council = governed_departments, council_contract
    attestations = project.AttestationRegistry.deploy(reg, sender=deployer)
    schema = attestations.registerSchema(
        b"\x05" * 32, ROLE_STAFF, ZERO32, True, sender=council_members[0]
    ).return_value
    keys = citizens[:5]
    admins = {d: council_members[i] for d, i in ADMIN_INDEX.items()}

    class CouncilRegistry(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.member_of: dict[str, str] = {}
            self.active = dict.fromkeys(DEPTS, True)
            self.executed: list[bytes] = []
            self.counter = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        @rule(dept=st.sampled_from(DEPTS), key=st.integers(0, len(keys) - 1))
        def admin_adds_a_key(self, dept: str, key: int) -> None:
            account = keys[key]
            ok = _succeeds(lambda: reg.addMember(account, ROLE_STAFF, sender=admins[dept]))
            expected = self.active[dept] and account.address not in self.member_of
            assert ok == expected, (dept, account.address, self.member_of)
            if ok:
                self.member_of[account.address] = dept

        @rule(dept=st.sampled_from(DEPTS), key=st.integers(0, len(keys) - 1))
        def admin_removes_a_key(self, dept: str, key: int) -> None:
            account = keys[key]
            ok = _succeeds(lambda: reg.removeMember(account, sender=admins[dept]))
            assert ok == (self.active[dept] and self.member_of.get(account.address) == dept)
            if ok:
                del self.member_of[account.address]

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

        @rule(
            dept=st.sampled_from(DEPTS),
            approvals=st.integers(1, len(council_members)),
            late=st.booleans(),
        )
        def council_toggles_a_department(self, dept: str, approvals: int, late: bool) -> None:
            method = reg.suspend if self.active[dept] else reg.reinstate
            expiry = chain.pending_timestamp + DAY
            pid = council.propose(
                reg, bytes(method.encode_input(code(dept))), expiry, sender=council_members[0]
            ).return_value
            for member in council_members[1:approvals]:
                council.approve(pid, sender=member)
            if late:
                chain.pending_timestamp = expiry
            ok = _succeeds(lambda: council.execute(pid, sender=council_members[0]))
            assert ok == (approvals >= COUNCIL_THRESHOLD and not late), (approvals, late)
            if ok:
                self.active[dept] = not self.active[dept]
                self.executed.append(pid)

        @rule()
        def executed_decision_cannot_pass_again(self) -> None:
            for pid in self.executed[-2:]:
                assert not _succeeds(
                    lambda pid=pid: council.execute(pid, sender=council_members[0])
                )

        @invariant()
        def each_key_in_at_most_one_department(self) -> None:
            for account in keys:
                department, roles, active = reg.memberOf(account)
                dept = self.member_of.get(account.address)
                if dept is None:
                    assert department == ZERO32 and roles == 0
                else:
                    assert department == code(dept)
                    assert active == self.active[dept]
                    # a suspended department's members pass no permission check
                    assert reg.isActiveMember(account, code(dept), ROLE_STAFF) == self.active[dept]
                    others = [d for d in DEPTS if d != dept]
                    assert not any(reg.rolesOf(code(d), account) for d in others)

        @invariant()
        def statuses_match(self) -> None:
            for dept in DEPTS:
                assert (reg.departmentStatus(code(dept)) == 2) == self.active[dept]

    run_state_machine_as_test(
        CouncilRegistry,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=12, deadline=None),
    )
