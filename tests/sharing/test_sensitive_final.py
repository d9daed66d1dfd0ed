"""Review s28 S-1: a category's sensitive flag is final, and a sensitive category is never open.

An owner-wide grant (one naming the owner department) covers the owner's non-sensitive
categories only; a sensitive category (PIPL art. 28/29, a separate consent) is covered only by
a grant that names it. Were the flag clearable, one ADMIN key of the owner would widen every
citizen's owner-wide consent to her sensitive data at once, and set it back after the access.
So the flag is a one-way ratchet (``updateCategory`` may set it, never clear it:
``CatalogSensitiveIsFinal``), and a sensitive category is never Unconditional, the class read
with no grant at all (``CatalogSensitiveUnconditional``), by registration or by update.
"""

from __future__ import annotations

import itertools
from typing import Any

import ape

from govchain.sharing import SharingClass, category_code, grant_tuple
from tests.sharing.conftest import REQUEST, SCHEMA, Cat, make_terms

CLASSES = (SharingClass.UNCONDITIONAL, SharingClass.CONDITIONAL, SharingClass.NOT_SHARED)
STATES = [(c, s) for c in CLASSES for s in (False, True)]


def _allowed(sharing: SharingClass, sensitive: bool) -> bool:
    return not (sensitive and sharing == SharingClass.UNCONDITIONAL)


def test_s1_one_admin_key_cannot_widen_owner_wide_consents_to_sensitive_data(
    grants: Any, catalog: Any, depts: Any, cats: dict[str, Cat], citizens: list[Any], chain: Any
) -> None:
    """The review's probe, inverted: the admin's clearing of the flag is refused, the consent
    stays as narrow as Alice signed it."""
    alice, civil, hrss = citizens[0], depts["CIVIL"], depts["HRSS"]
    bank = cats["HRSS.BANK_ACCOUNT"].code
    terms = make_terms(alice, civil.code, hrss.code, [hrss.code], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=alice)
    with ape.reverts(grants.AccessGrantCategoryNotCovered, category=bank):
        grants.recordAccess(grant_tuple(terms), bank, REQUEST, sender=civil.staff)
    # one ADMIN key of HRSS can no longer clear the flag, whatever class it asks for
    for sharing in CLASSES:
        with ape.reverts(catalog.CatalogSensitiveIsFinal, code=bank):
            catalog.updateCategory(bank, int(sharing), False, SCHEMA, 0, sender=hrss.admin)
    # nor make the sensitive category open data (read with no grant at all)
    with ape.reverts(catalog.CatalogSensitiveUnconditional, code=bank):
        catalog.updateCategory(
            bank, int(SharingClass.UNCONDITIONAL), True, SCHEMA, 0, sender=hrss.admin
        )
    assert catalog.categoryInfo(bank) == (hrss.code, SharingClass.CONDITIONAL, True)
    assert not grants.isLive(grant_tuple(terms), bank)
    with ape.reverts(grants.AccessGrantCategoryNotCovered, category=bank):
        grants.recordAccess(grant_tuple(terms), bank, REQUEST, sender=civil.staff)
    with ape.reverts(grants.AccessGrantNotUnconditional, category=bank):
        grants.recordOpenAccess(bank, b"\x01" * 32, REQUEST, sender=civil.staff)


def test_a_sensitive_category_is_registered_conditional_or_not_shared_never_open(
    catalog: Any, depts: Any
) -> None:
    hrss = depts["HRSS"]
    for i, (sharing, sensitive) in enumerate(STATES):
        code = category_code(f"HRSS.S1_REG_{i}")
        if _allowed(sharing, sensitive):
            tx = catalog.registerCategory(
                code, int(sharing), sensitive, SCHEMA, 0, sender=hrss.admin
            )
            [ev] = tx.events.filter(catalog.CategoryRegistered)
            assert (ev.sharing, ev.sensitive) == (sharing, sensitive)
            assert catalog.categoryInfo(code) == (hrss.code, sharing, sensitive)
        else:
            with ape.reverts(catalog.CatalogSensitiveUnconditional, code=code):
                catalog.registerCategory(
                    code, int(sharing), sensitive, SCHEMA, 0, sender=hrss.admin
                )
            assert catalog.ownerOf(code) == b"\0" * 32


def test_every_update_keeps_the_flag_once_set_and_never_opens_a_sensitive_category(
    catalog: Any, depts: Any
) -> None:
    """All 5 x 6 transitions from a registrable (class, sensitive) to any other: refused exactly
    when it would clear the flag (``CatalogSensitiveIsFinal``, checked first) or make a
    sensitive category Unconditional; otherwise stored and reported as asked."""
    admin = depts["HRSS"].admin
    starts = [s for s in STATES if _allowed(*s)]
    for i, (start, target) in enumerate(itertools.product(starts, STATES)):
        code = category_code(f"HRSS.S1_UPD_{i}")
        catalog.registerCategory(code, int(start[0]), start[1], SCHEMA, 0, sender=admin)
        sharing, sensitive = target
        if start[1] and not sensitive:
            with ape.reverts(catalog.CatalogSensitiveIsFinal, code=code):
                catalog.updateCategory(code, int(sharing), sensitive, SCHEMA, 0, sender=admin)
            assert catalog.sharingOf(code) == start
        elif not _allowed(sharing, sensitive):
            with ape.reverts(catalog.CatalogSensitiveUnconditional, code=code):
                catalog.updateCategory(code, int(sharing), sensitive, SCHEMA, 0, sender=admin)
            assert catalog.sharingOf(code) == start
        else:
            tx = catalog.updateCategory(code, int(sharing), sensitive, SCHEMA, 0, sender=admin)
            [ev] = tx.events.filter(catalog.CategoryUpdated)
            assert (ev.sharing, ev.sensitive) == target
            assert catalog.sharingOf(code) == target
