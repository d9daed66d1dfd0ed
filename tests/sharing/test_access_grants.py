"""AccessGrants: consent, signed consent, statutory grants, revocation, access records."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.sharing import LegalBasis, SharingClass, category_code, grant_id, grant_tuple
from tests.sharing.conftest import DAY, PURPOSE, REQUEST, SCHEMA, make_terms, sign_consent

AGENT = keccak(text="govchain.delegate.agent")
ZERO = "0x0000000000000000000000000000000000000000"
LIVE, REVOKED = 1, 2


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def agent(citizens: list[Any]) -> Any:
    return citizens[1]


@pytest.fixture
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


@pytest.fixture
def civil(depts: Any) -> Any:
    return depts["CIVIL"]


@pytest.fixture
def hrss(depts: Any) -> Any:
    return depts["HRSS"]


def pension_terms(alice: Any, civil: Any, hrss: Any, now: int, **kw: Any) -> dict[str, Any]:
    categories = kw.pop("categories", [category_code("HRSS.PENSION")])
    return make_terms(alice, civil.code, hrss.code, categories, now, **kw)


# --- direct consent ---------------------------------------------------------------------------


def test_subject_grants_consent_directly(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, max_uses=3, nonce=7)
    tx = grants.grant(grant_tuple(terms), sender=alice)
    gid = grant_id(terms)
    assert tx.return_value == gid == grants.grantIdOf(grant_tuple(terms))
    [ev] = tx.events.filter(grants.GrantCreated)
    assert (ev.grantId, ev.subject, ev.grantee, ev.owner) == (
        gid,
        alice.address,
        civil.code,
        hrss.code,
    )
    assert list(ev.categories) == terms["categories"]
    assert (ev.purposeHash, ev.basis, ev.validFrom, ev.validUntil) == (
        PURPOSE, LegalBasis.CONSENT, terms["validFrom"], terms["validUntil"],
    )  # fmt: skip
    assert (ev.maxUses, ev.nonce, ev.grantor) == (3, 7, alice.address)
    assert grants.grantState(gid) == (alice.address, LIVE, LegalBasis.CONSENT, 0, 0)
    assert grants.isLive(grant_tuple(terms), category_code("HRSS.PENSION"))


def test_agent_delegate_grants_for_the_subject(
    grants: Any, registry: Any, alice: Any, agent: Any, civil: Any, hrss: Any, now: int
) -> None:
    registry.addDelegate(alice, AGENT, agent, 10 * DAY, sender=alice)
    terms = pension_terms(alice, civil, hrss, now)
    tx = grants.grant(grant_tuple(terms), sender=agent)
    [ev] = tx.events.filter(grants.GrantCreated)
    assert (ev.subject, ev.grantor) == (alice.address, agent.address)


def test_expired_or_wrong_type_delegate_cannot_grant(
    grants: Any, registry: Any, alice: Any, agent: Any, civil: Any, hrss: Any, chain: Any
) -> None:
    registry.addDelegate(alice, keccak(text="other"), agent, 10 * DAY, sender=alice)
    terms = pension_terms(alice, civil, hrss, int(chain.pending_timestamp), days=60)
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=agent.address, subject=alice.address
    ):
        grants.grant(grant_tuple(terms), sender=agent)
    registry.addDelegate(alice, AGENT, agent, DAY, sender=alice)
    chain.pending_timestamp += 2 * DAY
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=agent.address, subject=alice.address
    ):
        grants.grant(grant_tuple(terms), sender=agent)


def test_after_key_rotation_only_the_new_key_grants(
    grants: Any, registry: Any, alice: Any, citizens: list[Any], civil: Any, hrss: Any, now: int
) -> None:
    new_key = citizens[2]
    registry.changeOwner(alice, new_key, sender=alice)
    terms = pension_terms(alice, civil, hrss, now)
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=alice.address, subject=alice.address
    ):
        grants.grant(grant_tuple(terms), sender=alice)
    grants.grant(grant_tuple(terms), sender=new_key)


def test_grant_state_holds_each_member_of_the_one_word_it_is_written_as(
    grants: Any, registry: Any, alice: Any, citizens: list[Any], civil: Any, hrss: Any, now: int
) -> None:
    """A new grant's state is written as one word (grantor, status, basis, uses, epoch): each
    member reads back, with a non-zero epoch and a non-Consent basis."""
    new_key = citizens[2]
    registry.changeOwner(alice, new_key, sender=alice)  # owner epoch 1
    consent = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(consent), sender=new_key)
    assert grants.grantState(grant_id(consent)) == (new_key.address, LIVE, LegalBasis.CONSENT, 0, 1)
    statutory = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY, max_uses=2)
    grants.grantStatutory(grant_tuple(statutory), sender=hrss.approvers[0])
    state = (hrss.approvers[0].address, LIVE, LegalBasis.STATUTORY_DUTY, 0, 0)
    assert grants.grantState(grant_id(statutory)) == state
    pension = category_code("HRSS.PENSION")
    grants.recordAccess(grant_tuple(statutory), pension, REQUEST, sender=civil.staff)
    assert grants.grantState(grant_id(statutory)).uses == 1
    assert grants.grantState(grant_id(statutory)).grantor == hrss.approvers[0].address


def test_grant_refuses_wrong_basis_and_zero_subject(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY)
    with ape.reverts(grants.AccessGrantWrongBasis):
        grants.grant(grant_tuple(terms), sender=alice)
    terms = pension_terms(ZERO, civil, hrss, now)
    with ape.reverts(grants.AccessGrantZeroSubject):
        grants.grant(grant_tuple(terms), sender=alice)


def test_grant_refuses_a_stranger(grants: Any, alice: Any, civil: Any, hrss: Any, now: int) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=civil.staff.address, subject=alice.address
    ):
        grants.grant(grant_tuple(terms), sender=civil.staff)


def test_grant_refuses_bad_windows(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    bad = pension_terms(alice, civil, hrss, now)
    bad["validUntil"] = bad["validFrom"]
    with ape.reverts(
        grants.AccessGrantInvalidWindow, validFrom=bad["validFrom"], validUntil=bad["validUntil"]
    ):
        grants.grant(grant_tuple(bad), sender=alice)
    past = pension_terms(alice, civil, hrss, now - 40 * DAY)
    with ape.reverts(grants.AccessGrantInvalidWindow):
        grants.grant(grant_tuple(past), sender=alice)


def test_grant_refuses_inactive_grantee(
    grants: Any, departments: Any, council: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    departments.suspend(civil.code, sender=council)
    with ape.reverts(grants.AccessGrantGranteeInactive, grantee=civil.code):
        grants.grant(grant_tuple(pension_terms(alice, civil, hrss, now)), sender=alice)
    unknown = make_terms(
        alice, category_code("NOBODY"), hrss.code, [category_code("HRSS.PENSION")], now
    )
    with ape.reverts(grants.AccessGrantGranteeInactive):
        grants.grant(grant_tuple(unknown), sender=alice)


def test_grant_refuses_bad_categories(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    def attempt(categories: list[bytes]) -> Any:
        return grants.grant(
            grant_tuple(pension_terms(alice, civil, hrss, now, categories=categories)), sender=alice
        )

    with ape.reverts(grants.AccessGrantNoCategories):
        attempt([])
    unknown = category_code("HRSS.NOPE")
    with ape.reverts(grants.AccessGrantUnknownCategory, category=unknown):
        attempt([category_code("HRSS.PENSION"), unknown])
    property_ = category_code("HOUSING.PROPERTY")
    with ape.reverts(
        grants.AccessGrantWrongOwner, category=property_, actualOwner=category_code("HOUSING")
    ):
        attempt([property_])
    internal = category_code("HRSS.INTERNAL")
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=internal):
        attempt([internal])
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=internal):
        attempt([hrss.code, internal])


def test_same_terms_are_granted_once(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantAlreadyExists, grantId=grant_id(terms)):
        grants.grant(grant_tuple(terms), sender=alice)
    terms["nonce"] = 1
    grants.grant(grant_tuple(terms), sender=alice)


# --- signed consent ---------------------------------------------------------------------------


def test_grantee_relays_the_subjects_signed_consent(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, nonce=42)
    deadline = now + 3600
    sig = sign_consent(grants_domain, alice, terms, deadline)
    tx = grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)
    [ev] = tx.events.filter(grants.GrantCreated)
    assert (ev.grantId, ev.subject, ev.grantor) == (grant_id(terms), alice.address, alice.address)
    with ape.reverts(grants.AccessGrantAlreadyExists, grantId=grant_id(terms)):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)


def test_agent_signs_consent_for_the_subject(
    grants: Any,
    grants_domain: Any,
    registry: Any,
    alice: Any,
    agent: Any,
    civil: Any,
    hrss: Any,
    now: int,
) -> None:
    registry.addDelegate(alice, AGENT, agent, DAY, sender=alice)
    terms = pension_terms(alice, civil, hrss, now)
    sig = sign_consent(grants_domain, agent, terms, now + 3600)
    tx = grants.grantBySignature(grant_tuple(terms), agent, now + 3600, sig, sender=civil.staff)
    [ev] = tx.events.filter(grants.GrantCreated)
    assert ev.grantor == agent.address


def test_signed_consent_refusals(
    grants: Any,
    grants_domain: Any,
    alice: Any,
    citizens: list[Any],
    civil: Any,
    hrss: Any,
    chain: Any,
    now: int,
) -> None:
    terms = pension_terms(alice, civil, hrss, now, days=60)
    deadline = now + 3600
    sig = sign_consent(grants_domain, alice, terms, deadline)
    # altered terms: the signature is no longer alice's
    altered = dict(terms, maxUses=99)
    with ape.reverts(grants.SignatureInvalidSigner, signer=alice.address):
        grants.grantBySignature(grant_tuple(altered), alice, deadline, sig, sender=civil.staff)
    # someone else's signature claimed as alice's
    mallory = citizens[3]
    forged = sign_consent(grants_domain, mallory, terms, deadline)
    with ape.reverts(grants.SignatureInvalidSigner, signer=alice.address):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, forged, sender=civil.staff)
    # a valid signature by a key that does not control the identity
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=mallory.address, subject=alice.address
    ):
        grants.grantBySignature(grant_tuple(terms), mallory, deadline, forged, sender=civil.staff)
    statutory = dict(terms, basis=LegalBasis.STATUTORY_DUTY)
    with ape.reverts(grants.AccessGrantWrongBasis):
        grants.grantBySignature(grant_tuple(statutory), alice, deadline, sig, sender=civil.staff)
    chain.pending_timestamp = deadline + 1
    with ape.reverts(grants.SignatureExpired, deadline=deadline):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)


def test_subject_cancels_a_signed_consent_before_it_is_relayed(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    sig = sign_consent(grants_domain, alice, terms, now + 3600)
    tx = grants.revokeByTerms(grant_tuple(terms), sender=alice)
    [ev] = tx.events.filter(grants.GrantRevoked)
    assert (ev.grantId, ev.revokedBy) == (grant_id(terms), alice.address)
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(terms)):
        grants.grantBySignature(grant_tuple(terms), alice, now + 3600, sig, sender=civil.staff)


# --- statutory duty ---------------------------------------------------------------------------


def test_owner_approver_creates_a_statutory_grant(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY)
    tx = grants.grantStatutory(grant_tuple(terms), sender=hrss.approvers[0])
    [ev] = tx.events.filter(grants.GrantCreated)
    assert (ev.basis, ev.grantor, ev.subject) == (
        LegalBasis.STATUTORY_DUTY,
        hrss.approvers[0].address,
        alice.address,
    )


def test_statutory_grant_refusals(grants: Any, alice: Any, civil: Any, hrss: Any, now: int) -> None:
    terms = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY)
    for account in (civil.approvers[0], hrss.staff, hrss.admin, alice):
        with ape.reverts(grants.AccessGrantNotApprover, account=account.address, owner=hrss.code):
            grants.grantStatutory(grant_tuple(terms), sender=account)
    with ape.reverts(grants.AccessGrantWrongBasis):
        grants.grantStatutory(
            grant_tuple(dict(terms, basis=LegalBasis.CONSENT)), sender=hrss.approvers[0]
        )
    with ape.reverts(grants.AccessGrantWrongBasis):
        grants.grantStatutory(
            grant_tuple(dict(terms, basis=LegalBasis.OWNER_APPROVAL)), sender=hrss.approvers[0]
        )
    with ape.reverts(grants.AccessGrantZeroSubject):
        grants.grantStatutory(grant_tuple(dict(terms, subject=ZERO)), sender=hrss.approvers[0])


# --- revocation -------------------------------------------------------------------------------


def test_grantor_revokes_at_once(grants: Any, alice: Any, civil: Any, hrss: Any, now: int) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    gid = grant_id(terms)
    grants.recordAccess(
        grant_tuple(terms), category_code("HRSS.PENSION"), REQUEST, sender=civil.staff
    )
    tx = grants.revoke(gid, sender=alice)
    [ev] = tx.events.filter(grants.GrantRevoked)
    assert (ev.grantId, ev.revokedBy) == (gid, alice.address)
    assert grants.grantState(gid).status == REVOKED
    assert not grants.isLive(grant_tuple(terms), category_code("HRSS.PENSION"))
    with ape.reverts(grants.AccessGrantRevoked, grantId=gid):
        grants.recordAccess(
            grant_tuple(terms), category_code("HRSS.PENSION"), REQUEST, sender=civil.staff
        )
    with ape.reverts(grants.AccessGrantRevoked, grantId=gid):
        grants.revoke(gid, sender=alice)


def test_revoke_refusals(grants: Any, alice: Any, civil: Any, hrss: Any, now: int) -> None:
    with ape.reverts(grants.AccessGrantUnknown, grantId=b"\x01" * 32):
        grants.revoke(b"\x01" * 32, sender=alice)
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(
        grants.AccessGrantNotGrantor, account=civil.staff.address, grantId=grant_id(terms)
    ):
        grants.revoke(grant_id(terms), sender=civil.staff)


def test_any_owner_approver_revokes_a_statutory_grant(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY)
    grants.grantStatutory(grant_tuple(terms), sender=hrss.approvers[0])
    gid = grant_id(terms)
    for account in (alice, hrss.staff, civil.approvers[0]):
        with ape.reverts(grants.AccessGrantNotApprover, account=account.address, owner=hrss.code):
            grants.revoke(gid, sender=account)
    tx = grants.revoke(gid, sender=hrss.approvers[1])
    [ev] = tx.events.filter(grants.GrantRevoked)
    assert ev.revokedBy == hrss.approvers[1].address


def test_current_owner_key_or_agent_revokes_a_consent(
    grants: Any,
    registry: Any,
    alice: Any,
    agent: Any,
    citizens: list[Any],
    civil: Any,
    hrss: Any,
    now: int,
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    new_key = citizens[2]
    registry.changeOwner(alice, new_key, sender=alice)
    with ape.reverts(
        grants.AccessGrantNotSubjectController, account=civil.staff.address, subject=alice.address
    ):
        grants.revokeByTerms(grant_tuple(terms), sender=civil.staff)
    tx = grants.revokeByTerms(grant_tuple(terms), sender=new_key)
    [ev] = tx.events.filter(grants.GrantRevoked)
    assert ev.revokedBy == new_key.address
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(terms)):
        grants.revokeByTerms(grant_tuple(terms), sender=new_key)
    # an agent of the identity revokes too
    registry.addDelegate(alice, AGENT, agent, DAY, sender=new_key)
    other = dict(terms, nonce=1)
    grants.grant(grant_tuple(other), sender=new_key)
    grants.revokeByTerms(grant_tuple(other), sender=agent)
    assert grants.grantState(grant_id(other)).status == REVOKED


def test_revoke_by_terms_refuses_the_subject_on_issued_grants(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY)
    grants.grantStatutory(grant_tuple(terms), sender=hrss.approvers[0])
    with ape.reverts(grants.AccessGrantNotApprover, account=alice.address, owner=hrss.code):
        grants.revokeByTerms(grant_tuple(terms), sender=alice)
    grants.revokeByTerms(grant_tuple(terms), sender=hrss.approvers[2])
    assert grants.grantState(grant_id(terms)).status == REVOKED


def test_owner_approver_revokes_a_consent_grant_by_terms(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    with ape.reverts(grants.AccessGrantUnknown, grantId=grant_id(terms)):
        grants.revokeByTerms(grant_tuple(terms), sender=hrss.approvers[0])
    grants.grant(grant_tuple(terms), sender=alice)
    tx = grants.revokeByTerms(grant_tuple(terms), sender=hrss.approvers[0])
    [ev] = tx.events.filter(grants.GrantRevoked)
    assert (ev.grantId, ev.revokedBy) == (grant_id(terms), hrss.approvers[0].address)


# --- access records ---------------------------------------------------------------------------


def test_grantee_staff_records_an_access(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    pension = category_code("HRSS.PENSION")
    tx = grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)
    [ev] = tx.events.filter(grants.AccessRecorded)
    assert (ev.subject, ev.owner, ev.grantee, ev.category) == (
        alice.address,
        hrss.code,
        civil.code,
        pension,
    )
    assert (ev.purposeHash, ev.member, ev.requestHash, ev.grantId) == (
        PURPOSE, civil.staff.address, REQUEST, grant_id(terms),
    )  # fmt: skip
    # without a use limit nothing is counted
    assert grants.grantState(grant_id(terms)).uses == 0


def test_access_outside_the_window_is_refused(
    grants: Any, alice: Any, civil: Any, hrss: Any, chain: Any, now: int
) -> None:
    start = now + DAY
    terms = pension_terms(alice, civil, hrss, now, valid_from=start, days=2)
    grants.grant(grant_tuple(terms), sender=alice)
    gid, pension = grant_id(terms), category_code("HRSS.PENSION")
    with ape.reverts(grants.AccessGrantNotYetValid, grantId=gid, validFrom=start):
        grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)
    assert not grants.isLive(grant_tuple(terms), pension)
    chain.pending_timestamp = start
    grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)
    chain.pending_timestamp = terms["validUntil"]
    with ape.reverts(grants.AccessGrantExpired, grantId=gid, validUntil=terms["validUntil"]):
        grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)


def test_only_active_staff_of_the_grantee_record(
    grants: Any, departments: Any, council: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    pension = category_code("HRSS.PENSION")
    for account in (hrss.staff, civil.approvers[0], civil.admin, alice):
        with ape.reverts(
            grants.AccessGrantNotStaff, account=account.address, department=civil.code
        ):
            grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=account)
    departments.suspend(civil.code, sender=council)
    with ape.reverts(
        grants.AccessGrantNotStaff, account=civil.staff.address, department=civil.code
    ):
        grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)


def test_access_with_altered_terms_finds_no_grant(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    wider = dict(
        terms, categories=[category_code("HRSS.PENSION"), category_code("HRSS.BANK_ACCOUNT")]
    )
    with ape.reverts(grants.AccessGrantUnknown, grantId=grant_id(wider)):
        grants.recordAccess(
            grant_tuple(wider), category_code("HRSS.BANK_ACCOUNT"), REQUEST, sender=civil.staff
        )


def test_access_to_an_uncovered_category_is_refused(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now)
    grants.grant(grant_tuple(terms), sender=alice)
    for category in ("HRSS.BANK_ACCOUNT", "HRSS.POLICY", "HOUSING.PROPERTY", "HRSS.UNKNOWN"):
        with ape.reverts(
            grants.AccessGrantCategoryNotCovered,
            grantId=grant_id(terms),
            category=category_code(category),
        ):
            grants.recordAccess(
                grant_tuple(terms), category_code(category), REQUEST, sender=civil.staff
            )


def test_owner_wide_grant_covers_only_non_sensitive_categories(
    grants: Any, catalog: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, categories=[hrss.code])
    grants.grant(grant_tuple(terms), sender=alice)
    for category in ("HRSS.PENSION", "HRSS.POLICY"):
        grants.recordAccess(
            grant_tuple(terms), category_code(category), REQUEST, sender=civil.staff
        )
    for category in ("HRSS.BANK_ACCOUNT", "HOUSING.PROPERTY", "DPF.DISABILITY"):
        with ape.reverts(grants.AccessGrantCategoryNotCovered, category=category_code(category)):
            grants.recordAccess(
                grant_tuple(terms), category_code(category), REQUEST, sender=civil.staff
            )
    # a category marked sensitive later drops out of the owner-wide grant at once
    pension = category_code("HRSS.PENSION")
    catalog.updateCategory(
        pension, int(SharingClass.CONDITIONAL), True, SCHEMA, 0, sender=hrss.admin
    )
    with ape.reverts(grants.AccessGrantCategoryNotCovered, category=pension):
        grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)


def test_sensitive_category_is_covered_when_named(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    bank = category_code("HRSS.BANK_ACCOUNT")
    terms = pension_terms(alice, civil, hrss, now, categories=[hrss.code, bank])
    grants.grant(grant_tuple(terms), sender=alice)
    grants.recordAccess(grant_tuple(terms), bank, REQUEST, sender=civil.staff)
    assert grants.isLive(grant_tuple(terms), bank)


def test_category_reclassified_not_shared_stops_every_access_at_once(
    grants: Any, catalog: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    pension = category_code("HRSS.PENSION")
    named = pension_terms(alice, civil, hrss, now)
    wide = pension_terms(alice, civil, hrss, now, categories=[hrss.code])
    grants.grant(grant_tuple(named), sender=alice)
    grants.grant(grant_tuple(wide), sender=alice)
    grants.recordAccess(grant_tuple(named), pension, REQUEST, sender=civil.staff)
    catalog.updateCategory(
        pension, int(SharingClass.NOT_SHARED), False, SCHEMA, 0, sender=hrss.admin
    )
    # owner-wide and named coverage both drop it at once
    for terms in (wide, named):
        assert not grants.isLive(grant_tuple(terms), pension)
        with ape.reverts(grants.AccessGrantCategoryNotShared, category=pension):
            grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)
    # no new grant may name it
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=pension):
        grants.grant(grant_tuple(dict(named, nonce=9)), sender=alice)
    # reclassified back, the grants that named it work again; the owner's approver may revoke
    catalog.updateCategory(
        pension, int(SharingClass.CONDITIONAL), False, SCHEMA, 0, sender=hrss.admin
    )
    grants.recordAccess(grant_tuple(named), pension, REQUEST, sender=civil.staff)
    grants.revokeByTerms(grant_tuple(named), sender=hrss.approvers[0])
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(named)):
        grants.recordAccess(grant_tuple(named), pension, REQUEST, sender=civil.staff)


def test_uses_are_counted_up_to_the_limit(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, max_uses=2)
    grants.grant(grant_tuple(terms), sender=alice)
    gid, pension = grant_id(terms), category_code("HRSS.PENSION")
    for used in (1, 2):
        grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)
        assert grants.grantState(gid).uses == used
    assert not grants.isLive(grant_tuple(terms), pension)
    with ape.reverts(grants.AccessGrantUsesExhausted, grantId=gid, maxUses=2):
        grants.recordAccess(grant_tuple(terms), pension, REQUEST, sender=civil.staff)


def test_statutory_grant_admits_access(
    grants: Any, alice: Any, civil: Any, hrss: Any, now: int
) -> None:
    terms = pension_terms(alice, civil, hrss, now, basis=LegalBasis.STATUTORY_DUTY)
    grants.grantStatutory(grant_tuple(terms), sender=hrss.approvers[0])
    tx = grants.recordAccess(
        grant_tuple(terms), category_code("HRSS.PENSION"), REQUEST, sender=civil.staff
    )
    [ev] = tx.events.filter(grants.AccessRecorded)
    assert ev.subject == alice.address


# --- unconditional data -----------------------------------------------------------------------


def test_unconditional_access_needs_no_grant_but_is_recorded(
    grants: Any, civil: Any, hrss: Any
) -> None:
    policy = category_code("HRSS.POLICY")
    tx = grants.recordOpenAccess(policy, PURPOSE, REQUEST, sender=civil.staff)
    [ev] = tx.events.filter(grants.AccessRecorded)
    assert (ev.subject, ev.owner, ev.grantee, ev.category) == (ZERO, hrss.code, civil.code, policy)
    assert (ev.purposeHash, ev.member, ev.requestHash, ev.grantId) == (
        PURPOSE,
        civil.staff.address,
        REQUEST,
        b"\0" * 32,
    )


def test_open_access_refusals(
    grants: Any, departments: Any, council: Any, civil: Any, outsider: Any
) -> None:
    for name in ("HRSS.PENSION", "HRSS.INTERNAL", "HRSS.UNKNOWN"):
        with ape.reverts(grants.AccessGrantNotUnconditional, category=category_code(name)):
            grants.recordOpenAccess(category_code(name), PURPOSE, REQUEST, sender=civil.staff)
    policy = category_code("HRSS.POLICY")
    with ape.reverts(grants.AccessGrantNotStaff, account=outsider.address, department=b"\0" * 32):
        grants.recordOpenAccess(policy, PURPOSE, REQUEST, sender=outsider)
    with ape.reverts(
        grants.AccessGrantNotStaff, account=civil.approvers[0].address, department=civil.code
    ):
        grants.recordOpenAccess(policy, PURPOSE, REQUEST, sender=civil.approvers[0])
    departments.suspend(civil.code, sender=council)
    with ape.reverts(
        grants.AccessGrantNotStaff, account=civil.staff.address, department=civil.code
    ):
        grants.recordOpenAccess(policy, PURPOSE, REQUEST, sender=civil.staff)
