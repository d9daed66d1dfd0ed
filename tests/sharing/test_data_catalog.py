"""DataCatalog: categories with owner, sharing class and sensitive flag, edited by the owner's ADMIN."""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.sharing import SharingClass, category_code
from tests.sharing.conftest import SCHEMA, Cat

ZERO_ADDRESS = "0x" + "00" * 20

NEW = category_code("HRSS.UNEMPLOYMENT")


def test_admin_registers_a_category_owned_by_its_department(catalog: Any, depts: Any) -> None:
    hrss = depts["HRSS"]
    tx = catalog.registerCategory(
        NEW, int(SharingClass.CONDITIONAL), True, SCHEMA, 86_400, sender=hrss.admin
    )
    [ev] = tx.events.filter(catalog.CategoryRegistered)
    assert (ev.code, ev.owner, ev.sharing, ev.sensitive) == (
        NEW,
        hrss.code,
        SharingClass.CONDITIONAL,
        True,
    )
    assert (ev.schemaHash, ev.updateCycle, ev.admin) == (SCHEMA, 86_400, hrss.admin.address)
    entry = catalog.category(NEW)
    assert (entry.owner, entry.sharing, entry.sensitive) == (
        hrss.code,
        SharingClass.CONDITIONAL,
        True,
    )
    assert (entry.schemaHash, entry.updateCycle) == (SCHEMA, 86_400)
    assert catalog.ownerOf(NEW) == hrss.code
    assert catalog.sharingOf(NEW) == (SharingClass.CONDITIONAL, True)
    assert catalog.categoryInfo(NEW) == (hrss.code, SharingClass.CONDITIONAL, True)


def test_unknown_category_reads_as_none(catalog: Any) -> None:
    assert catalog.ownerOf(NEW) == b"\0" * 32
    assert catalog.sharingOf(NEW) == (SharingClass.NONE, False)
    with ape.reverts(catalog.CatalogUnknownCategory, code=NEW):
        catalog.category(NEW)


def test_only_an_active_admin_registers(
    catalog: Any, depts: Any, departments: Any, council: Any, outsider: Any
) -> None:
    hrss = depts["HRSS"]
    for account, dept in (
        (hrss.staff, hrss.code),
        (hrss.approvers[0], hrss.code),
        (outsider, b"\0" * 32),
    ):
        with ape.reverts(catalog.CatalogNotAdmin, account=account.address, department=dept):
            catalog.registerCategory(NEW, 2, False, SCHEMA, 0, sender=account)
    departments.suspend(hrss.code, sender=council)
    with ape.reverts(catalog.CatalogNotAdmin, account=hrss.admin.address, department=hrss.code):
        catalog.registerCategory(NEW, 2, False, SCHEMA, 0, sender=hrss.admin)


def test_register_refuses_bad_codes_classes_and_duplicates(
    catalog: Any, depts: Any, cats: dict[str, Cat]
) -> None:
    hrss = depts["HRSS"]
    for bad in (b"\0" * 32, hrss.code):
        with ape.reverts(catalog.CatalogInvalidCode, code=bad):
            catalog.registerCategory(bad, 2, False, SCHEMA, 0, sender=hrss.admin)
    with ape.reverts(catalog.CatalogInvalidSharingClass):
        catalog.registerCategory(NEW, int(SharingClass.NONE), False, SCHEMA, 0, sender=hrss.admin)
    pension = cats["HRSS.PENSION"].code
    with ape.reverts(catalog.CatalogCategoryExists, code=pension, owner=hrss.code):
        catalog.registerCategory(pension, 2, False, SCHEMA, 0, sender=hrss.admin)
    # another department cannot take the code either: it is not in its namespace
    with ape.reverts(
        catalog.CatalogCodeOutsideNamespace, code=pension, department=depts["PSB"].code
    ):
        catalog.registerCategory(pension, 2, False, SCHEMA, 0, sender=depts["PSB"].admin)


def test_owner_admin_updates_a_category(catalog: Any, depts: Any, cats: dict[str, Cat]) -> None:
    hrss = depts["HRSS"]
    pension = cats["HRSS.PENSION"].code
    new_schema = b"\x77" * 32
    tx = catalog.updateCategory(
        pension, int(SharingClass.NOT_SHARED), True, new_schema, 7, sender=hrss.admin
    )
    [ev] = tx.events.filter(catalog.CategoryUpdated)
    assert (ev.code, ev.owner, ev.sharing, ev.sensitive) == (
        pension,
        hrss.code,
        SharingClass.NOT_SHARED,
        True,
    )
    assert (ev.schemaHash, ev.updateCycle, ev.admin) == (new_schema, 7, hrss.admin.address)
    entry = catalog.category(pension)
    assert (entry.owner, entry.sharing, entry.sensitive, entry.schemaHash, entry.updateCycle) == (
        hrss.code, SharingClass.NOT_SHARED, True, new_schema, 7,
    )  # fmt: skip


def test_update_refuses_unknown_other_departments_and_none_class(
    catalog: Any, depts: Any, cats: dict[str, Cat]
) -> None:
    pension = cats["HRSS.PENSION"].code
    with ape.reverts(catalog.CatalogUnknownCategory, code=NEW):
        catalog.updateCategory(NEW, 2, False, SCHEMA, 0, sender=depts["HRSS"].admin)
    for account in (depts["PSB"].admin, depts["HRSS"].staff):
        with ape.reverts(
            catalog.CatalogNotAdmin, account=account.address, department=depts["HRSS"].code
        ):
            catalog.updateCategory(pension, 2, False, SCHEMA, 0, sender=account)
    with ape.reverts(catalog.CatalogInvalidSharingClass):
        catalog.updateCategory(pension, 0, False, SCHEMA, 0, sender=depts["HRSS"].admin)


def test_the_deployer_links_access_grants_once(
    project: Any, departments: Any, deployer: Any, outsider: Any, grants: Any
) -> None:
    fresh = project.AnchorRegistry.deploy(departments, sender=deployer)
    assert fresh.accessGrants() == ZERO_ADDRESS
    with ape.reverts(fresh.CatalogUnauthorizedDeployer, caller=outsider.address):
        fresh.setAccessGrants(grants, sender=outsider)
    with ape.reverts(fresh.CatalogZeroAddress):
        fresh.setAccessGrants(ZERO_ADDRESS, sender=deployer)
    tx = fresh.setAccessGrants(grants, sender=deployer)
    [linked] = tx.events.filter(fresh.AccessGrantsLinked)
    assert (linked.grants, linked.account) == (grants.address, deployer.address)
    assert fresh.accessGrants() == grants.address
    with ape.reverts(fresh.CatalogAccessGrantsAlreadySet, grants=grants.address):
        fresh.setAccessGrants(outsider, sender=deployer)


def test_a_change_to_or_from_not_shared_is_reported_to_access_grants(
    catalog: Any, grants: Any, depts: Any, outsider: Any
) -> None:
    pension = category_code("HRSS.PENSION")
    admin = depts["HRSS"].admin
    closing = catalog.updateCategory(
        pension, int(SharingClass.NOT_SHARED), False, SCHEMA, 0, sender=admin
    )
    [synced] = closing.events.filter(grants.CategoryClassSynced)
    assert synced.category == pension and synced.notShared
    # a change that keeps the category shareable reports nothing
    quiet = catalog.updateCategory(
        pension, int(SharingClass.NOT_SHARED), True, SCHEMA, 7, sender=admin
    )
    assert list(quiet.events.filter(grants.CategoryClassSynced)) == []
    reopening = catalog.updateCategory(
        pension, int(SharingClass.CONDITIONAL), True, SCHEMA, 0, sender=admin
    )  # still sensitive: the flag, once set, is final (review s28 S-1)
    [synced] = reopening.events.filter(grants.CategoryClassSynced)
    assert not synced.notShared
    # only the catalog reports reclassifications
    with ape.reverts(grants.AccessGrantUnauthorizedCatalog, caller=outsider.address):
        grants.categoryClassChanged(pension, False, sender=outsider)


# --- L-3 (review, issue 15): category codes belong to their department by construction ----------


@pytest.mark.parametrize(
    "name",
    [
        "PSB.HOUSEHOLD",  # another department's namespace: the squat of the finding
        "HRSSX.PENSION",  # a longer department code that merely starts with HRSS
        "HRSS.",  # a namespace without a name
        "HRSS_PENSION",  # no dot
        "PENSION",
    ],
)
def test_l3_admin_cannot_register_a_code_outside_its_namespace(
    catalog: Any, depts: Any, name: str
) -> None:
    hrss = depts["HRSS"]
    with ape.reverts(
        catalog.CatalogCodeOutsideNamespace, code=category_code(name), department=hrss.code
    ):
        catalog.registerCategory(category_code(name), 2, False, SCHEMA, 0, sender=hrss.admin)


def test_l3_the_owner_registers_its_own_codes(catalog: Any, depts: Any) -> None:
    """PSB's codes stay PSB's: HRSS cannot take PSB.HOUSEHOLD, PSB can."""
    psb, hrss = depts["PSB"], depts["HRSS"]
    household = category_code("PSB.HOUSEHOLD")
    with ape.reverts(catalog.CatalogCodeOutsideNamespace, code=household, department=hrss.code):
        catalog.registerCategory(household, 2, False, SCHEMA, 0, sender=hrss.admin)
    catalog.registerCategory(household, 2, False, SCHEMA, 0, sender=psb.admin)
    assert bytes(catalog.ownerOf(household)) == psb.code
    longest = category_code("HRSS." + "X" * 27)  # 32 bytes: the longest code of HRSS
    catalog.registerCategory(longest, 2, False, SCHEMA, 0, sender=hrss.admin)
    assert bytes(catalog.ownerOf(longest)) == hrss.code
