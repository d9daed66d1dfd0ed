"""Shared fixtures: one account per role, deployments per session, isolation per test (ape).

Accounts: 0 deployer, 1 council (an EOA standing in for the Council contract in unit tests of
other contracts), 2..43 six per founding department (admin, staff, three approvers, auditor),
44..55 citizens, 56 outsider, 57..59 spare.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings

from tests.helpers import ROLE_APPROVER, ROLE_AUDITOR, ROLE_STAFF, code, enrol

# Hypothesis profiles: "default" (make test) and "deep" (GOVCHAIN_HYPOTHESIS_PROFILE=deep, ten
# times the examples). A property runs hypothesis_examples(share) of the profile's budget.
# make test draws the same examples on every run (derandomize), so CI is reproducible and a
# machine's own check that it reached both outcomes cannot flake; "deep" explores at random.
settings.register_profile("default", max_examples=100, deadline=None, derandomize=True)
settings.register_profile("deep", max_examples=1000, deadline=None)
# "levels": make test-levels (the contract tests again on the Paris build). The default profile,
# so every property replays the main pass's own examples on the other build; a machine whose
# checks that it reached every outcome pass with fewer replays only ``levels`` of them
# (hypothesis_examples; docs/testing.md, "The Paris pass").
LEVELS_PROFILE = "levels"
settings.register_profile(LEVELS_PROFILE, settings.get_profile("default"))
settings.load_profile(os.environ.get("GOVCHAIN_HYPOTHESIS_PROFILE", "default"))


def hypothesis_examples(share: float, levels: float = 1.0) -> int:
    """Examples for one property: ``share`` of the loaded profile's ``max_examples``, and only
    ``levels`` of that in the "levels" profile."""
    budget = settings().max_examples * share
    if settings.get_current_profile_name() == LEVELS_PROFILE:
        budget *= levels
    return max(1, round(budget))


# name, region (GB/T 2260), English name
FOUNDERS = [
    ("BDB", 330100, "Big Data Bureau"),
    ("PSB", 330100, "Public Security Bureau"),
    ("HRSS", 330100, "Human Resources and Social Security Bureau"),
    ("HOUSING", 330102, "Housing and Construction Bureau"),
    ("DPF", 330102, "Disabled Persons' Federation"),
    ("CIVIL", 330102, "Civil Affairs Bureau"),
    ("FINANCE", 330100, "Finance Bureau"),
]


@dataclass(frozen=True)
class Dept:
    name: str
    code: bytes
    region: int
    admin: Any
    staff: Any
    approvers: list[Any]
    auditor: Any


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def council(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def citizens(accounts: Any) -> list[Any]:
    return [accounts[i] for i in range(44, 56)]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    return accounts[56]


@pytest.fixture(scope="session")
def departments(project: Any, deployer: Any, council: Any, accounts: Any) -> Any:
    founders = [
        (
            code(name),
            title,
            region,
            f"http://127.0.0.1:0/{name.lower()}",
            b"\0" * 32,
            accounts[2 + 6 * i],
        )
        for i, (name, region, title) in enumerate(FOUNDERS)
    ]
    return project.DepartmentRegistry.deploy(council, founders, sender=deployer)


@pytest.fixture(scope="session")
def depts(departments: Any, accounts: Any) -> dict[str, Dept]:
    out: dict[str, Dept] = {}
    for i, (name, region, _title) in enumerate(FOUNDERS):
        base = 2 + 6 * i
        admin, staff, a1, a2, a3, auditor = (accounts[base + j] for j in range(6))
        enrol(departments, admin, staff, ROLE_STAFF)
        for approver in (a1, a2, a3):
            enrol(departments, admin, approver, ROLE_APPROVER)
        enrol(departments, admin, auditor, ROLE_AUDITOR)
        out[name] = Dept(name, code(name), region, admin, staff, [a1, a2, a3], auditor)
    return out


@pytest.fixture(scope="session")
def shared_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The reference city, built once per test process on an anvil of its own; each module that
    uses it starts from it as built (tests/shared_city.py, the CLI fixtures ``devnet``/``city``)."""
    from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
    from tests.shared_city import SharedCity

    with Devnet(DevnetConfig(port=free_port())) as running:
        yield SharedCity.start(
            running, tmp_path_factory.mktemp("city-home"), tmp_path_factory.mktemp("city-pristine")
        )
