"""Invariant: an objection is decided at most once, only with the signatures of SIGNATURES (2)
active APPROVERs of the target's owner department, and an overdue undecided objection is always
reported.

A Hypothesis state machine over PSB's attestations about two citizens mixes: filing (by the
subject, her agent, or someone else), upholding (after the attestation is revoked) and
rejecting, co-signed by two of PSB's approvers, its staff, another department's approver or a removed approver,
withdrawing, time passing, PSB's suspension and reinstatement, and an approver's removal and
re-enrolment. Every outcome is checked against a model; after every step each objection's
``state`` (the view ``govchain audit objections`` reports from) is the model's: Overdue exactly
when it is undecided and past its deadline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import hypothesis_examples
from tests.helpers import ROLE_APPROVER, enrol
from tests.services.objections.conftest import (
    AGENT,
    DAY,
    OPEN,
    OVERDUE,
    REJECTED,
    UPHELD,
    WITHDRAWN,
    attest,
    commitment,
)
from tests.services.objections.conftest import reject as signed_reject
from tests.services.objections.conftest import uphold as signed_uphold

EXAMPLES = hypothesis_examples(0.15)


@dataclass
class Filed:
    id: bytes
    uid: bytes
    deadline: int
    status: int = OPEN
    decisions: int = 0


def test_objections_are_decided_once_by_an_active_owner_approver_and_overdue_ones_are_reported(
    objections: Any,
    attestations: Any,
    schemas: Any,
    citizen_ids: Any,
    departments: Any,
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    council: Any,
    chain: Any,
) -> None:
    psb, hrss = depts["PSB"], depts["HRSS"]
    subjects = citizens[0:2]
    agent = citizens[2]
    # deciders: PSB's approvers, its staff (not an approver), HRSS's approver (another owner)
    deciders = [*psb.approvers, psb.staff, hrss.approvers[0]]
    outcomes: dict[str, int] = {}

    scripting = False

    def count(name: str) -> None:
        if not scripting:
            event(name)
        outcomes[name] = outcomes.get(name, 0) + 1

    class ObjectionMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.filed: list[Filed] = []
            self.facts: list[tuple[Any, Any]] = []  # (subject, attestation)
            self.revoked: set[bytes] = set()
            self.active = True
            self.removed = False  # psb.approvers[2] removed

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        @initialize()
        def start(self) -> None:
            for subject in subjects:
                for salt in (b"\x01", b"\x02"):
                    fact = attest(
                        attestations, psb.staff, subject, schemas["real_name"], salt=salt * 32
                    )
                    self.facts.append((subject, fact))
            citizen_ids.addDelegate(subjects[0], AGENT, agent, 3650 * DAY, sender=subjects[0])

        def _approver(self, who: Any) -> bool:
            removed = self.removed and who.address == psb.approvers[2].address
            return self.active and who.address in {a.address for a in psb.approvers} and not removed

        @rule(fact=st.integers(0, 3), by=st.sampled_from(["subject", "agent", "other"]))
        def file(self, fact: int, by: str) -> None:
            subject, a = self.facts[fact]
            signer = {"subject": subject, "agent": agent, "other": outsider}[by]
            allowed = (
                by == "subject" or (by == "agent" and subject == subjects[0])
            ) and a.uid not in self.revoked
            try:
                tx = objections.fileAttestationObjection(
                    subject, a.ref(), commitment(os.urandom(8).hex()), sender=signer
                )
            except Exception:
                assert not allowed, ("a filing was refused", by)
                count("filing refused")
                return
            assert allowed, ("a filing by someone else succeeded", by)
            log = next(iter(tx.decode_logs(objections.ObjectionFiled)))
            self.filed.append(Filed(bytes(log.id), a.uid, int(log.deadline)))
            count("filed")

        def _decide(self, index: int, who: int, uphold: bool) -> None:
            if not self.filed:
                return
            f = self.filed[-1 - index % len(self.filed)]  # the newest first
            # two co-signers (SIGNATURES = 2): deciders[who] and the next one; a stranger relays
            pair = [deciders[who], deciders[(who + 1) % len(deciders)]]
            if uphold and f.uid not in self.revoked and self.active:
                attestations.revoke(f.uid, sender=psb.approvers[1])
                self.revoked.add(f.uid)
            allowed = (
                f.status == OPEN
                and all(self._approver(a) for a in pair)
                and (not uphold or f.uid in self.revoked)
            )
            try:
                if uphold:
                    signed_uphold(objections, pair, f.id, 0, sender=outsider)
                else:
                    reason = commitment("the data is right")
                    signed_reject(objections, pair, f.id, reason, sender=outsider)
            except Exception:
                assert not allowed, ("a decision was refused", who, f.status, self.active)
                count("decision refused")
                return
            assert allowed, (
                "a decision that must be refused went through",
                who,
                f.status,
                self.active,
            )
            f.status, f.decisions = (UPHELD if uphold else REJECTED), f.decisions + 1
            count("upheld" if uphold else "rejected")

        @rule(
            index=st.integers(0, 20),
            who=st.sampled_from([0, 1, 2, 3, 4, 0, 1]),
            verdict=st.sampled_from(["reject", "uphold", "withdraw"]),
        )
        def decide(self, index: int, who: int, verdict: str) -> None:
            if verdict == "withdraw":
                self._withdraw(index)
            else:
                self._decide(index, who, uphold=verdict == "uphold")

        @rule()
        def sixteen_days_pass(self) -> None:
            self.world("16 days")

        @rule(index=st.integers(0, 20), who=st.sampled_from([1, 0, 2, 3, 4]))
        def reject(self, index: int, who: int) -> None:
            self._decide(index, who, uphold=False)

        def _withdraw(self, index: int) -> None:
            if not self.filed:
                return
            f = self.filed[index % len(self.filed)]  # the oldest first
            subject = objections.objectionOf(f.id).subject
            try:
                objections.withdraw(f.id, sender=subject)
            except Exception:
                assert f.status != OPEN
                count("withdrawal refused")
                return
            assert f.status == OPEN
            f.status = WITHDRAWN
            count("withdrawn")

        @rule(
            change=st.sampled_from(
                ["16 days", "7 days", "suspend", "reinstate", "remove approver", "restore approver"]
            )
        )
        def world(self, change: str) -> None:
            if change.endswith("days"):
                chain.pending_timestamp += int(change.split()[0]) * DAY
                chain.mine()
            elif change == "suspend" and self.active:
                departments.suspend(psb.code, sender=council)
                self.active = False
                count("suspended")
            elif change == "reinstate" and not self.active:
                departments.reinstate(psb.code, sender=council)
                self.active = True
            elif change == "remove approver" and self.active and not self.removed:
                departments.removeMember(psb.approvers[2], sender=psb.admin)
                self.removed = True
                count("approver removed")
            elif change == "restore approver" and self.active and self.removed:
                enrol(departments, psb.admin, psb.approvers[2], ROLE_APPROVER)
                self.removed = False

        @invariant()
        def states_match_and_overdue_is_reported(self) -> None:
            now = int(chain.blocks.head.timestamp)
            for f in self.filed:
                assert f.decisions <= 1
                expected = OVERDUE if f.status == OPEN and now > f.deadline else f.status
                assert objections.state(f.id) == expected, (f, now)
                if expected == OVERDUE:
                    count("overdue reported")

    run_state_machine_as_test(
        ObjectionMachine,
        settings=settings(deadline=None, max_examples=EXAMPLES, stateful_step_count=20),
    )
    # one scripted run of the same machine, so every outcome is reached whatever Hypothesis draws
    scripting = True
    scripted = ObjectionMachine()
    try:
        scripted.start()
        for step in (
            lambda: scripted.file(0, "subject"),
            lambda: scripted.file(1, "other"),
            lambda: scripted.file(2, "subject"),
            lambda: scripted.reject(0, 3),  # PSB staff and an HRSS approver: refused
            lambda: scripted.reject(0, 4),  # an HRSS approver with a PSB one: refused
            lambda: scripted.sixteen_days_pass(),  # both objections overdue
            lambda: scripted.reject(0, 0),
            lambda: scripted.reject(0, 1),  # decided already: refused
            lambda: scripted.world("suspend"),
            lambda: scripted.decide(1, 0, "uphold"),  # suspended: refused
            lambda: scripted.world("reinstate"),
            lambda: scripted.decide(1, 0, "uphold"),
        ):
            step()
            scripted.states_match_and_overdue_is_reported()
    finally:
        scripted.teardown()
    print("state machine outcomes:", outcomes)
    for needed in ("filed", "filing refused", "decision refused", "overdue reported"):
        assert outcomes.get(needed, 0) > 0, outcomes
    assert outcomes.get("upheld", 0) + outcomes.get("rejected", 0) > 0, outcomes
