"""AccessGrants.accessStatus: one status per refusal of recordAccess, computed by the same code.

Each status has a test that reads it and then shows ``recordAccess`` refusing with the matching
custom error (or succeeding, for ``Live``). A Hypothesis state machine mixes grants, revocations,
suspended departments, removed members, rotated citizen keys, reclassified categories and
time, and checks the property that ties the view to the transaction: ``recordAccess`` by a
member succeeds exactly when ``accessStatus`` for that member said ``Live`` at that block.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import ape
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from govchain.sharing import LegalBasis, SharingClass, category_code, grant_id, grant_tuple
from tests.conftest import hypothesis_examples
from tests.helpers import enrol
from tests.sharing.conftest import DAY, REQUEST, SCHEMA, make_terms

ROLE_STAFF = 1
EXAMPLES = hypothesis_examples(0.25, levels=1 / 3)  # 25; 250 in "deep", 8 in "levels"


class Status(IntEnum):
    """IAccessGrants.AccessStatus, in declaration order."""

    UNKNOWN = 0
    LIVE = 1
    REVOKED = 2
    PREVIOUS_OWNER_CONSENT = 3
    NOT_YET_VALID = 4
    EXPIRED = 5
    NOT_STAFF = 6
    GRANTEE_INACTIVE = 7
    NOT_COVERED = 8
    NOT_SHARED = 9
    USED_UP = 10


PENSION = category_code("HRSS.PENSION")
BANK = category_code("HRSS.BANK_ACCOUNT")


@pytest.fixture
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


def _status(grants: Any, terms: dict[str, Any], category: bytes, member: Any) -> Status:
    return Status(grants.accessStatus(grant_tuple(terms), category, member))


def _granted(grants: Any, alice: Any, depts: Any, now: int, **kw: Any) -> dict[str, Any]:
    categories = kw.pop("categories", [PENSION])
    terms = make_terms(alice, depts["CIVIL"].code, depts["HRSS"].code, categories, now, **kw)
    grants.grant(grant_tuple(terms), sender=alice)
    return terms


def test_live_access_is_recorded(grants: Any, depts: Any, alice: Any, now: int) -> None:
    terms = _granted(grants, alice, depts, now)
    staff = depts["CIVIL"].staff
    assert _status(grants, terms, PENSION, staff) == Status.LIVE
    assert grants.isLive(grant_tuple(terms), PENSION)
    tx = grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)
    assert len(tx.events.filter(grants.AccessRecorded)) == 1


def test_unknown_terms(grants: Any, depts: Any, alice: Any, now: int) -> None:
    terms = make_terms(alice, depts["CIVIL"].code, depts["HRSS"].code, [PENSION], now, nonce=99)
    staff = depts["CIVIL"].staff
    assert _status(grants, terms, PENSION, staff) == Status.UNKNOWN
    with ape.reverts(grants.AccessGrantUnknown, grantId=grant_id(terms)):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)


def test_revoked(grants: Any, depts: Any, alice: Any, now: int) -> None:
    terms = _granted(grants, alice, depts, now)
    grants.revoke(grant_id(terms), sender=alice)
    staff = depts["CIVIL"].staff
    assert _status(grants, terms, PENSION, staff) == Status.REVOKED
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(terms)):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)


def test_previous_owner_consent(
    grants: Any, registry: Any, depts: Any, citizens: list[Any], alice: Any, now: int
) -> None:
    terms = _granted(grants, alice, depts, now)
    registry.changeOwner(alice, citizens[3], sender=alice)  # no guardians: at once
    staff = depts["CIVIL"].staff
    assert _status(grants, terms, PENSION, staff) == Status.PREVIOUS_OWNER_CONSENT
    with ape.reverts(
        grants.AccessGrantPreviousOwnerConsent, grantId=grant_id(terms), grantEpoch=0, ownerEpoch=1
    ):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)
    grants.confirmConsent(grant_tuple(terms), sender=citizens[3])
    assert _status(grants, terms, PENSION, staff) == Status.LIVE


def test_not_yet_valid_and_expired(
    grants: Any, depts: Any, alice: Any, chain: Any, now: int
) -> None:
    start = now + DAY
    terms = _granted(grants, alice, depts, now, valid_from=start, days=1)
    staff = depts["CIVIL"].staff
    assert _status(grants, terms, PENSION, staff) == Status.NOT_YET_VALID
    with ape.reverts(grants.AccessGrantNotYetValid, grantId=grant_id(terms), validFrom=start):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)
    chain.pending_timestamp = terms["validUntil"]
    chain.mine()
    assert _status(grants, terms, PENSION, staff) == Status.EXPIRED
    with ape.reverts(
        grants.AccessGrantExpired, grantId=grant_id(terms), validUntil=terms["validUntil"]
    ):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)


def test_not_staff(grants: Any, depts: Any, alice: Any, now: int) -> None:
    terms = _granted(grants, alice, depts, now)
    civil = depts["CIVIL"]
    for account in (depts["HRSS"].staff, civil.approvers[0], alice):
        assert _status(grants, terms, PENSION, account) == Status.NOT_STAFF
        with ape.reverts(
            grants.AccessGrantNotStaff, account=account.address, department=civil.code
        ):
            grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=account)
    # isLive leaves the member aside
    assert grants.isLive(grant_tuple(terms), PENSION)


def test_grantee_inactive(
    grants: Any, departments: Any, council: Any, depts: Any, alice: Any, now: int
) -> None:
    terms = _granted(grants, alice, depts, now)
    civil = depts["CIVIL"]
    departments.suspend(civil.code, sender=council)
    assert _status(grants, terms, PENSION, civil.staff) == Status.GRANTEE_INACTIVE
    # the same custom error as before there was a status view
    with ape.reverts(
        grants.AccessGrantNotStaff, account=civil.staff.address, department=civil.code
    ):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)


def test_not_covered(grants: Any, depts: Any, alice: Any, now: int) -> None:
    named = _granted(grants, alice, depts, now)
    wide = _granted(grants, alice, depts, now, categories=[depts["HRSS"].code])
    staff = depts["CIVIL"].staff
    cases = [
        (named, BANK),  # not named
        (wide, BANK),  # sensitive: owner-wide does not cover it
        (wide, category_code("HOUSING.PROPERTY")),  # another owner's category
    ]
    for terms, category in cases:
        assert _status(grants, terms, category, staff) == Status.NOT_COVERED
        with ape.reverts(
            grants.AccessGrantCategoryNotCovered, grantId=grant_id(terms), category=category
        ):
            grants.recordAccess(grant_tuple(terms), category, REQUEST, sender=staff)


def test_not_shared(grants: Any, catalog: Any, depts: Any, alice: Any, now: int) -> None:
    named = _granted(grants, alice, depts, now)
    wide = _granted(grants, alice, depts, now, categories=[depts["HRSS"].code])
    catalog.updateCategory(
        PENSION, int(SharingClass.NOT_SHARED), False, SCHEMA, 0, sender=depts["HRSS"].admin
    )
    staff = depts["CIVIL"].staff
    for terms in (named, wide):
        assert _status(grants, terms, PENSION, staff) == Status.NOT_SHARED
        with ape.reverts(grants.AccessGrantCategoryNotShared, category=PENSION):
            grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)


def test_used_up(grants: Any, depts: Any, alice: Any, now: int) -> None:
    terms = _granted(grants, alice, depts, now, max_uses=1)
    staff = depts["CIVIL"].staff
    grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)
    assert _status(grants, terms, PENSION, staff) == Status.USED_UP
    with ape.reverts(grants.AccessGrantUsesExhausted, grantId=grant_id(terms), maxUses=1):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=staff)


def test_statuses_match_the_contract_enum(project: Any) -> None:
    """The Python table names every value of IAccessGrants.AccessStatus, in order."""
    from govchain.sharing.status import AccessStatus

    abi = next(
        f
        for f in project.AccessGrants.contract_type.abi
        if getattr(f, "name", "") == "accessStatus"
    )
    assert abi.outputs[0].type == "uint8"
    assert [s.value for s in AccessStatus] == [s.value for s in Status]
    assert [s.name for s in AccessStatus] == [s.name for s in Status]


# --- the property ------------------------------------------------------------------------------


def test_record_access_succeeds_iff_status_is_live(
    grants: Any,
    registry: Any,
    catalog: Any,
    departments: Any,
    council: Any,
    depts: Any,
    citizens: list[Any],
    chain: Any,
) -> None:
    civil, hrss = depts["CIVIL"], depts["HRSS"]
    members = [civil.staff, civil.approvers[0], hrss.staff]
    alice = citizens[0]
    keys = [alice, citizens[3], citizens[4]]
    names = ["HRSS.PENSION", "HRSS.BANK_ACCOUNT", "HRSS.POLICY"]
    seen: dict[str, int] = {}

    class AccessMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.grants: list[dict[str, Any]] = []
            self.nonce = 1000
            self.owner = alice
            self.suspended = False
            self.removed = False
            self.not_shared = False

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        @initialize()
        def start(self) -> None:
            chain.pending_timestamp = int(chain.pending_timestamp) + 60

        @rule(
            pick=st.sets(st.sampled_from([*names, "HRSS"]), min_size=1, max_size=2),
            start=st.sampled_from([0, 0, 1]),
            days=st.integers(1, 3),
            max_uses=st.sampled_from([0, 1, 2]),
            statutory=st.booleans(),
        )
        def grant(
            self, pick: set[str], start: int, days: int, max_uses: int, statutory: bool
        ) -> None:
            if self.suspended:
                return  # an inactive grantee cannot be granted
            now = int(chain.pending_timestamp)
            self.nonce += 1
            codes = [hrss.code if n == "HRSS" else category_code(n) for n in sorted(pick)]
            if self.not_shared and PENSION in codes:
                return
            basis = LegalBasis.STATUTORY_DUTY if statutory else LegalBasis.CONSENT
            terms = make_terms(
                alice, civil.code, hrss.code, codes, now, valid_from=now + start * DAY,
                days=days, max_uses=max_uses, nonce=self.nonce, basis=basis,
            )  # fmt: skip
            if statutory:
                grants.grantStatutory(grant_tuple(terms), sender=hrss.approvers[0])
            else:
                grants.grant(grant_tuple(terms), sender=self.owner)
            self.grants.append(terms)
            # the grantee's first use, as in practice right after a grant
            named = sorted(n for n in pick if n != "HRSS") or ["HRSS.PENSION"]
            self._attempt(terms, named[0], 0)

        @rule(index=st.integers(0, 20))
        def revoke(self, index: int) -> None:
            if not self.grants:
                return
            terms = self.grants[index % len(self.grants)]
            if grants.grantState(grant_id(terms)).status == 2:
                return
            grants.revokeByTerms(grant_tuple(terms), sender=hrss.approvers[0])

        @rule()
        def toggle_suspension(self) -> None:
            if self.suspended:
                departments.reinstate(civil.code, sender=council)
            else:
                departments.suspend(civil.code, sender=council)
            self.suspended = not self.suspended

        @rule()
        def toggle_membership(self) -> None:
            if self.suspended:
                return  # the admin of a suspended department cannot change members
            if self.removed:
                enrol(departments, civil.admin, civil.staff, ROLE_STAFF)
            else:
                departments.removeMember(civil.staff, sender=civil.admin)
            self.removed = not self.removed

        @rule(pick=st.integers(0, 2))
        def rotate_key(self, pick: int) -> None:
            new = keys[pick]
            if new.address == self.owner.address:
                return
            registry.changeOwner(alice, new, sender=self.owner)
            self.owner = new

        @rule(index=st.integers(0, 20))
        def confirm(self, index: int) -> None:
            if not self.grants:
                return
            terms = self.grants[index % len(self.grants)]
            try:
                grants.confirmConsent(grant_tuple(terms), sender=self.owner)
            except Exception:
                return  # not a live consent of a previous epoch

        @rule()
        def toggle_not_shared(self) -> None:
            self.not_shared = not self.not_shared
            sharing = SharingClass.NOT_SHARED if self.not_shared else SharingClass.CONDITIONAL
            catalog.updateCategory(PENSION, int(sharing), False, SCHEMA, 0, sender=hrss.admin)

        @rule(days=st.sampled_from([0, 1, 2]))
        def advance(self, days: int) -> None:
            chain.pending_timestamp = int(chain.pending_timestamp) + days * DAY + 60

        @rule(
            index=st.integers(0, 20),
            name=st.sampled_from([*names, "HOUSING.PROPERTY"]),
            who=st.sampled_from([0, 0, 0, 1, 2]),
        )
        def access(self, index: int, name: str, who: int) -> None:
            if not self.grants:
                return
            self._attempt(self.grants[index % len(self.grants)], name, who)

        def _attempt(self, terms: dict[str, Any], name: str, who: int) -> None:
            category, member = category_code(name), members[who]
            chain.mine()  # the view reads this block; the transaction is the next (+1 s)
            status = _status(grants, terms, category, member)
            try:
                grants.recordAccess(grant_tuple(terms), category, REQUEST, sender=member)
            except Exception:
                assert status != Status.LIVE, ("refused while Live", terms, name, who)
                seen[status.name] = seen.get(status.name, 0) + 1
                event(f"refused: {status.name}")
                return
            assert status == Status.LIVE, ("recorded while not Live", status, terms, name, who)
            seen["LIVE"] = seen.get("LIVE", 0) + 1
            event("recorded")

    run_state_machine_as_test(
        AccessMachine,
        settings=settings(deadline=None, max_examples=EXAMPLES, stateful_step_count=20),
    )
    print("statuses seen:", seen)
    assert seen.get("LIVE", 0) > 0 and len(seen) > 2, seen
