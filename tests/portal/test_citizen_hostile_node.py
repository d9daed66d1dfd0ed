"""The portal's "My records" with one department's node answering in the wrong shape (review s27
L-4): that department is a named problem on the page, the other departments' records are shown
(before, the whole page was a 500 for every citizen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from govchain.portal import PortalConfig
from tests.cli.datanode import World, serving
from tests.httpstub import StubHandler
from tests.httpstub import serving as stub_serving
from tests.portal.conftest import login, new_page, running_portal


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
