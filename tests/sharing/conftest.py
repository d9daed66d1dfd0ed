"""Sharing fixtures: the catalog/anchor deployment, a standard catalog, AccessGrants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from govchain.sharing import SharingClass, category_code

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
