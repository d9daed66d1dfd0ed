"""Attacks on consent, grants, access records and anchors: each is refused.

The curious department (wants more than it was granted), the relayer that front-runs or
replays a citizen's consent, and the DBA rewriting anchored history.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.sharing import category_code, grant_id, grant_tuple
from tests.adversarial.attacks import malleate, on_chain, on_contract
from tests.adversarial.conftest import OTHER_CHAIN_ID
from tests.helpers import code
from tests.sharing.conftest import DAY, PURPOSE, REQUEST, make_terms, sign_consent

CIVIL, HRSS, PSB = code("CIVIL"), code("HRSS"), code("PSB")
PENSION = category_code("HRSS.PENSION")
BANK = category_code("HRSS.BANK_ACCOUNT")
POLICY = category_code("HRSS.POLICY")
INTERNAL = category_code("HRSS.INTERNAL")
AGENT = code("agent")  # DELEGATE_AGENT


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


@pytest.fixture
def civil(depts: Any) -> Any:
    return depts["CIVIL"]


def _consent(grants_domain: Any, alice: Any, now: int, **kw: Any) -> tuple[dict, int, bytes]:
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, **kw)
    deadline = now + DAY
    return terms, deadline, sign_consent(grants_domain, alice, terms, deadline)


# --- consent replays and front-running ----------------------------------------------------------


def test_consent_signed_for_another_chain_id_is_refused(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, now: int
) -> None:
    """Replay across chains: a consent signed for a test network is worthless here."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    sig = sign_consent(on_chain(grants_domain, OTHER_CHAIN_ID), alice, terms, now + DAY)
    with ape.reverts(grants.SignatureInvalidSigner, signer=alice.address):
        grants.grantBySignature(grant_tuple(terms), alice, now + DAY, sig, sender=civil.staff)


def test_consent_signed_for_another_contract_is_refused(
    grants: Any, grants_domain: Any, catalog: Any, alice: Any, civil: Any, now: int
) -> None:
    """Replay across contracts: the domain's verifyingContract is this AccessGrants."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    sig = sign_consent(on_contract(grants_domain, catalog.address), alice, terms, now + DAY)
    with ape.reverts(grants.SignatureInvalidSigner, signer=alice.address):
        grants.grantBySignature(grant_tuple(terms), alice, now + DAY, sig, sender=civil.staff)


def test_consent_relayed_twice_is_refused(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, now: int
) -> None:
    """Replay after use: the grant id is the hash of the terms (with the citizen's nonce), and
    each set of terms can be granted once."""
    terms, deadline, sig = _consent(grants_domain, alice, now)
    grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)
    with ape.reverts(grants.AccessGrantAlreadyExists, grantId=grant_id(terms)):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)


def test_consent_replayed_after_revocation_is_refused(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, now: int
) -> None:
    """Replay after revocation: the grantee keeps the signed consent and re-submits it after
    the citizen revoked; a revoked id stays revoked."""
    terms, deadline, sig = _consent(grants_domain, alice, now)
    grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)
    grants.revoke(grant_id(terms), sender=alice)
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(terms)):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)


def test_consent_cancelled_before_it_was_relayed_is_refused(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, now: int
) -> None:
    """The citizen changes their mind before the department relays the signature: cancelling
    by terms marks the id revoked, so the pending signature can never be used."""
    terms, deadline, sig = _consent(grants_domain, alice, now)
    grants.revokeByTerms(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(terms)):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)


def test_front_running_a_consent_gains_the_attacker_nothing(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, depts: Any, outsider: Any, now: int
) -> None:
    """Front-running a grant submission: a watcher of the mempool relays the citizen's consent
    first. The grant it creates is exactly the citizen's (grantor Alice, grantee Civil
    Affairs); redirecting it to the attacker's department breaks the signature; and the
    attacker's department cannot record an access under it. The honest relay then learns
    the grant exists."""
    terms, deadline, sig = _consent(grants_domain, alice, now)
    hijacked = dict(terms, grantee=PSB)
    with ape.reverts(grants.SignatureInvalidSigner, signer=alice.address):
        grants.grantBySignature(grant_tuple(hijacked), alice, deadline, sig, sender=outsider)
    grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=outsider)
    state = grants.grantState(grant_id(terms))
    assert state.grantor == alice.address and state.status == 1
    with ape.reverts(grants.AccessGrantNotStaff, account=depts["PSB"].staff.address):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=depts["PSB"].staff)
    with ape.reverts(grants.AccessGrantAlreadyExists):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, sig, sender=civil.staff)
    grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)


def test_high_s_consent_is_refused(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, now: int
) -> None:
    """Malleability: the high-s twin of Alice's consent signature is rejected (low s only)."""
    terms, deadline, sig = _consent(grants_domain, alice, now)
    twin = malleate(sig)
    with ape.reverts(grants.SignatureInvalidSigner, signer=alice.address):
        grants.grantBySignature(grant_tuple(terms), alice, deadline, twin, sender=civil.staff)


def test_consent_by_a_delegate_past_its_validity_is_refused(
    grants: Any,
    grants_domain: Any,
    registry: Any,
    alice: Any,
    citizens: list[Any],
    civil: Any,
    chain: Any,
) -> None:
    """A relative's agent delegation (代办) ran out; the relative still signs consents for the
    parent. Delegation is checked at use, and has expired."""
    agent = citizens[6]
    registry.addDelegate(alice, AGENT, agent, DAY, sender=alice)
    chain.mine(deltatime=DAY + 1)
    now = int(chain.pending_timestamp)
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    sig = sign_consent(grants_domain, agent, terms, now + DAY)
    with ape.reverts(grants.AccessGrantNotSubjectController, account=agent.address):
        grants.grantBySignature(grant_tuple(terms), agent, now + DAY, sig, sender=civil.staff)


def test_stranger_cannot_consent_for_a_citizen(
    grants: Any, grants_domain: Any, alice: Any, civil: Any, outsider: Any, now: int
) -> None:
    """A forged consent: someone signs 'for' Alice with their own key."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    sig = sign_consent(grants_domain, outsider, terms, now + DAY)
    with ape.reverts(grants.AccessGrantNotSubjectController, account=outsider.address):
        grants.grantBySignature(grant_tuple(terms), outsider, now + DAY, sig, sender=civil.staff)


# --- what a grant may cover --------------------------------------------------------------------


def test_grant_of_a_not_shared_category_is_refused(grants: Any, alice: Any, now: int) -> None:
    """Consenting to a NOT_SHARED (不予共享) category: the class forbids sharing outright,
    whatever the subject agrees to."""
    terms = make_terms(alice, CIVIL, HRSS, [INTERNAL], now)
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=INTERNAL):
        grants.grant(grant_tuple(terms), sender=alice)


def test_owner_wide_grant_does_not_reach_a_not_shared_category(
    grants: Any, alice: Any, civil: Any, now: int
) -> None:
    """The curious department: with an owner-wide grant ('all of HRSS') it records an access
    to HRSS's NOT_SHARED category. Owner-wide coverage excludes it at the block of access."""
    terms = make_terms(alice, CIVIL, HRSS, [HRSS], now)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=INTERNAL):
        grants.recordAccess(grant_tuple(terms), INTERNAL, REQUEST, sender=civil.staff)


def test_owner_wide_grant_does_not_reach_a_sensitive_category(
    grants: Any, alice: Any, civil: Any, now: int
) -> None:
    """The curious department reads Alice's bank account (sensitive, PIPL art. 28) under an
    owner-wide grant: sensitive data needs a grant that names it."""
    terms = make_terms(alice, CIVIL, HRSS, [HRSS], now)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantCategoryNotCovered, category=BANK):
        grants.recordAccess(grant_tuple(terms), BANK, REQUEST, sender=civil.staff)


def test_category_outside_the_grant_is_refused(
    grants: Any, alice: Any, civil: Any, now: int
) -> None:
    """Wrong category: a pension grant used to record a bank-account access."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantCategoryNotCovered, category=BANK):
        grants.recordAccess(grant_tuple(terms), BANK, REQUEST, sender=civil.staff)


def test_altered_terms_do_not_name_a_grant(grants: Any, alice: Any, civil: Any, now: int) -> None:
    """The grantee passes the terms back with a longer window and no use limit: the terms hash
    to another id, which was never granted."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, max_uses=1)
    grants.grant(grant_tuple(terms), sender=alice)
    stretched = dict(terms, validUntil=terms["validUntil"] + 365 * DAY, maxUses=0)
    with ape.reverts(grants.AccessGrantUnknown, grantId=grant_id(stretched)):
        grants.recordAccess(grant_tuple(stretched), PENSION, REQUEST, sender=civil.staff)


def test_use_over_the_limit_is_refused(grants: Any, alice: Any, civil: Any, now: int) -> None:
    """A grant for two uses, used a third time."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, max_uses=2)
    grants.grant(grant_tuple(terms), sender=alice)
    for _ in range(2):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)
    with ape.reverts(grants.AccessGrantUsesExhausted, grantId=grant_id(terms), maxUses=2):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)


def test_access_one_second_after_expiry_is_refused(
    grants: Any, alice: Any, civil: Any, chain: Any, now: int
) -> None:
    """Access at the first second the grant is no longer valid (``validUntil`` is exclusive):
    the last valid second works, the next one does not."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, days=1)
    grants.grant(grant_tuple(terms), sender=alice)
    until = terms["validUntil"]
    chain.pending_timestamp = until - 1
    grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)
    chain.pending_timestamp = until
    with ape.reverts(grants.AccessGrantExpired, grantId=grant_id(terms), validUntil=until):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)


def test_access_before_the_window_opens_is_refused(
    grants: Any, alice: Any, civil: Any, now: int
) -> None:
    """A consent for next week used today."""
    start = now + 7 * DAY
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, valid_from=start)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantNotYetValid, validFrom=start):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)


def test_access_after_revocation_is_refused(grants: Any, alice: Any, civil: Any, now: int) -> None:
    """Revocation takes effect at once, in the next block."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    grants.grant(grant_tuple(terms), sender=alice)
    grants.revoke(grant_id(terms), sender=alice)
    with ape.reverts(grants.AccessGrantRevoked, grantId=grant_id(terms)):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=civil.staff)


def test_another_departments_clerk_cannot_use_a_grant(
    grants: Any, alice: Any, depts: Any, now: int
) -> None:
    """A curious department borrows Civil Affairs' grant: access records are by the grantee's
    active STAFF only."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    grants.grant(grant_tuple(terms), sender=alice)
    psb = depts["PSB"].staff
    with ape.reverts(grants.AccessGrantNotStaff, account=psb.address, department=CIVIL):
        grants.recordAccess(grant_tuple(terms), PENSION, REQUEST, sender=psb)


def test_grantee_cannot_grant_itself_statutory_access(
    grants: Any, alice: Any, civil: Any, now: int
) -> None:
    """An over-reaching department claims a statutory duty to read HRSS data: only the owner's
    approvers answer for a statutory grant."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, basis=1)
    approver = civil.approvers[0]
    with ape.reverts(grants.AccessGrantNotApprover, account=approver.address, owner=HRSS):
        grants.grantStatutory(grant_tuple(terms), sender=approver)


def test_conditional_data_cannot_be_read_as_open_data(grants: Any, civil: Any) -> None:
    """Recording an 'open access' to conditional data, to skip the grant."""
    with ape.reverts(grants.AccessGrantNotUnconditional, category=PENSION):
        grants.recordOpenAccess(PENSION, PURPOSE, REQUEST, sender=civil.staff)


def test_staff_cannot_revoke_a_citizens_consent(
    grants: Any, alice: Any, civil: Any, now: int
) -> None:
    """Role escalation: the grantee's clerk revokes (or the owner's clerk, then re-grants)
    a citizen's consent; only the grantor may."""
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now)
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantNotGrantor, account=civil.staff.address):
        grants.revoke(grant_id(terms), sender=civil.staff)


def test_zero_subject_is_refused(grants: Any, depts: Any, now: int) -> None:
    """A statutory grant about 'nobody', which would read as a wildcard subject."""
    terms = make_terms("0x" + "00" * 20, CIVIL, HRSS, [PENSION], now, basis=1)
    with ape.reverts(grants.AccessGrantZeroSubject):
        grants.grantStatutory(grant_tuple(terms), sender=depts["HRSS"].approvers[0])


# --- anchors (the DBA rewriting history) --------------------------------------------------------


def test_anchored_version_cannot_be_rewritten(catalog: Any, depts: Any, cats: Any) -> None:
    """The colluding clerk + DBA try to replace an anchored record's hash with the edited
    row's: a version is written once."""
    staff = depts["HRSS"].staff
    rec = b"pension-alice".ljust(32, b"\0")
    catalog.anchorRecord(PENSION, rec, 1, b"\x01" * 32, sender=staff)
    with ape.reverts(catalog.AnchorVersionExists, version=1):
        catalog.anchorRecord(PENSION, rec, 1, b"\x02" * 32, sender=staff)
    assert catalog.verifyRecord(PENSION, rec, b"\x01" * 32).anchored


def test_department_cannot_anchor_another_departments_records(
    catalog: Any, depts: Any, cats: Any
) -> None:
    """A department plants a version of another's record (to make a forged copy verify)."""
    staff = depts["PSB"].staff
    with ape.reverts(catalog.AnchorNotPublisher, account=staff.address, owner=HRSS):
        catalog.anchorRecord(PENSION, b"r".ljust(32, b"\0"), 1, b"\x01" * 32, sender=staff)
