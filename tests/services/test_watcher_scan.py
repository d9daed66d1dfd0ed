"""The eligibility watcher asks the index only for the attestations its services' rules name:
an index full of other schemas, and of the rule's schema by departments the rule does not name,
is not read into Python (``WatchReport.scanned``), and the offers are the same."""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from govchain.indexer.schema import events
from govchain.reference import ROLE_STAFF
from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.services.offers_world import OffersWorld, _schema, build_offers_world

UNRELATED = 30


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def test_the_watcher_reads_only_the_schemas_and_issuers_its_rules_name(world: OffersWorld) -> None:
    alice = world.citizen()
    world.elderly(alice.address)
    world.schemas["other"] = _schema(world.city, "LibraryCard(bytes32 number)", ROLE_STAFF)
    for n in range(UNRELATED):  # another schema: never the rule's
        world.attest("PSB", world.citizen(publish_key=False).address, "other", f"card {n}")
    for n in range(UNRELATED // 3):  # the rule's schema by a department it does not name
        world.attest("HRSS", world.citizen(publish_key=False).address, "age", f"hrss {n}")
    world.sync()
    with world.index.connect() as conn:
        attested = conn.scalar(
            select(func.count()).select_from(events).where(events.c.event == "Attested")
        )
    report = world.watcher().watch()
    assert len(report.offered) == 1 and report.candidates == 1
    # her age and residence, both by PSB: the 40 others stay in the index
    assert report.scanned == 2
    assert attested is not None and attested >= report.scanned + UNRELATED + UNRELATED // 3
