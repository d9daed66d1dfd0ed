"""Sharing fixtures: the catalog/anchor deployment, a standard catalog, AccessGrants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from govchain.eip712 import Domain
from govchain.sharing import GRANT_CONSENT, LegalBasis, SharingClass, category_code, consent_message

SCHEMA = b"\x5c" * 32
DAY = 86_400


@dataclass(frozen=True)
class Cat:
    name: str
    code: bytes
    owner: str
    sharing: SharingClass
    sensitive: bool


# name, owner department, sharing class, sensitive (PIPL art. 28)
CATALOG = [
    ("HRSS.PENSION", "HRSS", SharingClass.CONDITIONAL, False),
    ("HRSS.BANK_ACCOUNT", "HRSS", SharingClass.CONDITIONAL, True),
    ("HRSS.POLICY", "HRSS", SharingClass.UNCONDITIONAL, False),
    ("HRSS.INTERNAL", "HRSS", SharingClass.NOT_SHARED, False),
    ("HOUSING.PROPERTY", "HOUSING", SharingClass.CONDITIONAL, False),
    ("DPF.DISABILITY", "DPF", SharingClass.CONDITIONAL, True),
    ("FINANCE.BUDGET", "FINANCE", SharingClass.CONDITIONAL, False),
    ("FINANCE.OPEN_STATS", "FINANCE", SharingClass.UNCONDITIONAL, False),
]


@pytest.fixture(scope="session")
def catalog(project: Any, deployer: Any, departments: Any) -> Any:
    """The AnchorRegistry deployment, which is also the data catalog."""
    return project.AnchorRegistry.deploy(departments, sender=deployer)


@pytest.fixture(scope="session")
def cats(catalog: Any, depts: dict[str, Any]) -> dict[str, Cat]:
    out = {}
    for name, owner, sharing, sensitive in CATALOG:
        catalog.registerCategory(
            category_code(name),
            int(sharing),
            sensitive,
            SCHEMA,
            30 * DAY,
            sender=depts[owner].admin,
        )
        out[name] = Cat(name, category_code(name), owner, sharing, sensitive)
    return out


# --- grants ----------------------------------------------------------------------------------

PURPOSE = b"\x9a" * 32  # keccak of the purpose text, e.g. "subsidy case 2026-0012"
REQUEST = b"\x7e" * 32  # hash of one data request


@pytest.fixture(scope="session")
def registry(project: Any, deployer: Any, departments: Any) -> Any:
    """The CitizenRegistry (identities, owner keys, agent delegates)."""
    return project.CitizenRegistry.deploy(departments, sender=deployer)


@pytest.fixture(scope="session")
def grants(
    project: Any, deployer: Any, departments: Any, registry: Any, catalog: Any, cats: Any
) -> Any:
    deployed = project.AccessGrants.deploy(departments, registry, catalog, sender=deployer)
    catalog.setAccessGrants(deployed, sender=deployer)  # as govchain.deploy wires it
    return deployed


@pytest.fixture(scope="session")
def grants_domain(grants: Any, chain: Any) -> Domain:
    return Domain("AccessGrants", chain.chain_id, grants.address)


def make_terms(
    subject: Any,
    grantee: bytes,
    owner: bytes,
    categories: list[bytes],
    now: int,
    *,
    purpose: bytes = PURPOSE,
    basis: LegalBasis = LegalBasis.CONSENT,
    valid_from: int | None = None,
    days: int = 30,
    max_uses: int = 0,
    nonce: int = 0,
) -> dict[str, Any]:
    start = now if valid_from is None else valid_from
    return {
        "subject": getattr(subject, "address", subject),
        "grantee": grantee,
        "owner": owner,
        "categories": list(categories),
        "purposeHash": purpose,
        "basis": basis,
        "validFrom": start,
        "validUntil": start + days * DAY,
        "maxUses": max_uses,
        "nonce": nonce,
    }


def sign_consent(domain: Domain, signer: Any, terms: dict[str, Any], deadline: int) -> bytes:
    return GRANT_CONSENT.sign(
        signer.private_key, domain, consent_message(terms, signer.address, deadline)
    )
