"""The portal's "My records" with one department's node answering in the wrong shape (review s27
L-4): that department is a named problem on the page, the other departments' records are shown
(before, the whole page was a 500 for every citizen). And "Offers for me" with a node listing an
offer sealed to her key whose content lacks a field (review s31 F5): that offer's own card says
so, the page is not a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ecies
import pytest
from playwright.sync_api import Browser, expect

from govchain.node.protocol import b64
from govchain.portal import PortalConfig
from govchain.services.watcher import OFFER_FORMAT
from tests.cli.datanode import World, serving
from tests.httpstub import StubHandler
from tests.httpstub import serving as stub_serving
from tests.portal.conftest import csrf_of, logged_in_client, login, new_page, running_portal


class _Hostile(StubHandler):
    """Answers every request 200 with records of the wrong shape."""

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        return 200, b'{"records": [{"category": 5}], "offers": [{"offerId": 5}]}'


@pytest.fixture
def hostile_url() -> Iterator[str]:
    with stub_serving(_Hostile) as url:
        yield url


def test_a_hostile_node_is_named_and_the_other_records_are_shown(
    browser: Browser, world: World, tmp_path: Path, hostile_url: str
) -> None:
    registry = world.contract("DepartmentRegistry")
    world.sender(world.city.departments["CIVIL"].admin).transact(
        registry.functions.setEndpoint(hostile_url)
    )
    config = PortalConfig(
        key="alice", rpc=world.city.connection.url, home=world.home, index=str(tmp_path / "i.db")
    )
    with serving(world, tmp_path), running_portal(config) as portal_url:
        page = new_page(browser)
        login(page, portal_url)
        page.goto(portal_url + "/me/data")
        expect(page.locator("h1")).to_have_text("Records departments hold about me")
        expect(page.locator(".banner[data-problem='node CIVIL']")).to_contain_text("malformed")
        hrss = page.locator(".card[data-department=HRSS]")
        expect(hrss.locator("tr[data-record=pension-alice]")).to_contain_text("HRSS.PENSION")
        page.context.close()


class _Offering(StubHandler):
    """Lists one offer, sealed to Alice's key as a node would, without the rule it names."""

    sealed = ""

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        offers = [{"offerId": "0x" + "ab" * 32, "state": "offered", "sealed": self.sealed}]
        return 200, json.dumps({"offers": offers}).encode()


def test_an_offer_missing_a_field_is_its_own_error_not_a_500(world: World, tmp_path: Path) -> None:
    content = {
        "format": OFFER_FORMAT,
        "service": "elderly allowance",
        "serviceId": "0x" + "11" * 32,
    }
    public = world.alice._key_obj.public_key.to_bytes()  # what her DID document publishes
    _Offering.sealed = b64(ecies.encrypt(public, json.dumps(content).encode()))
    config = PortalConfig(
        key="alice", rpc=world.city.connection.url, home=world.home, index=str(tmp_path / "i.db")
    )
    with stub_serving(_Offering) as offering, running_portal(config) as portal_url:
        registry = world.contract("DepartmentRegistry")
        world.sender(world.city.departments["CIVIL"].admin).transact(
            registry.functions.setEndpoint(offering)
        )
        client = logged_in_client(portal_url)
        page = client.get("/me/offers")
        assert page.status_code == 200, page.text[-500:]
        assert 'data-offer="0x' + "ab" * 32 in page.text
        assert (
            "the offer is malformed (offerId, chainId, caseApprovals, department, ruleId"
            in page.text
        )
        accept = client.post(
            "/me/offers/accept", data={"csrf": csrf_of(page.text), "offer": "0x" + "ab" * 32}
        )
        assert accept.status_code == 400 and "cannot be opened" in accept.text
        timeline = client.get("/me/timeline", params={"page": "99999999999999999999"})
        assert timeline.status_code == 400 and "Not a page number" in timeline.text
