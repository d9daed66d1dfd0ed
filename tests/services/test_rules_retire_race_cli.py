"""R-3 (review s28) through the SDK and the command line: a retirement's signed files name the
version their signers saw, and relayed after an abandoned registration (relayed first by
whoever holds it) they still end the line."""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.services.catalog import Catalog
from govchain.services.rulebook import Rulebook
from govchain.services.rules import name_code
from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.services.offers_world import CIVIL, OffersWorld, build_offers_world


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def test_offer_retirement_files_end_a_service_after_an_abandoned_registration(
    city_run: CityRun, world: OffersWorld, tmp_path: Path
) -> None:
    benefit = "0x" + world.schemas["allowance"].hex()
    change, stop = [], []
    for i in (1, 2):
        key = f"civil-approver{i}"
        out = tmp_path / f"v2-{i}.json"
        city_run.json(
            "--key", key, "offer", "sign", "allowance", "--rule", "elderly", "--benefit", benefit,
            "-o", str(out),
        )  # fmt: skip
        change.append(str(out))
        out = tmp_path / f"retire-{i}.json"
        signed = city_run.json(
            "--key", key, "offer", "sign", "allowance", "--retire", "-o", str(out)
        )
        assert signed["version"] == 1 and json.loads(out.read_text())["version"] == 1
        stop.append(str(out))
    # the abandoned change is relayed first (by anyone holding it) ...
    assert city_run.json("--key", "bdb-staff", "offer", "register", *change)["version"] == 2
    # ... and the retirement signed seeing version 1 still ends the service
    state = city_run.json("--key", "bdb-staff", "offer", "register", *stop)
    assert state["in_force"] is False and state["version"] == 2  # the version it retired
    # relayed again, it is refused with a readable line
    failed = city_run("--key", "bdb-staff", "offer", "register", *stop)
    assert failed.exit_code != 0 and "Traceback" not in failed.stderr
    assert "no version in force" in failed.stderr


def test_the_sdk_retires_a_rule_after_an_abandoned_registration(world: OffersWorld) -> None:
    civil = world.city.departments["CIVIL"]
    book = Rulebook(world.connection, world.staff("CIVIL"))
    name = name_code("elderly")
    deadline = book.cases.now() + 86400
    requirements = book.rule(CIVIL, name).requirements
    approvers = civil.approvers[:2]
    change = [book.sign(a, "register", CIVIL, name, deadline, requirements[:1]) for a in approvers]
    stop = [book.sign(a, "retire", CIVIL, name, deadline) for a in approvers]
    assert {s.version for s in stop} == {1}
    book.relay(change)
    assert book.rule(CIVIL, name).version == 2
    book.relay(stop)
    rule = book.rule(CIVIL, name)
    assert not rule.active and rule.version == 2  # shown: the version retired
    catalog = Catalog(world.connection, world.staff("CIVIL"))
    sname = name_code("allowance")
    seen = catalog.version_of(CIVIL, sname)
    catalog.relay(
        CIVIL,
        sname,
        deadline,
        [catalog.sign(a, CIVIL, sname, deadline) for a in approvers],
        version=seen,
    )
    assert not catalog.service(CIVIL, sname).active
