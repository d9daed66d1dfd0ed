"""``make screenshots``: every portal page in Chinese and English, as PNGs in docs/portal/.

Runs only when ``GOVCHAIN_SCREENSHOTS`` names the output folder (``make screenshots`` sets it),
so ``make test`` does not rewrite the committed images. The pages are the real ones, on the
reference city with a consent, an access, an open case and a planted misuse.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from govchain.approval.cases import Cases
from govchain.portal import PortalConfig
from govchain.portal.cosign import keep
from govchain.reference import City
from govchain.toolchain.devnet import free_port
from tests.cli.datanode import World, serving
from tests.portal.conftest import civil_fetch, login, new_page, running_portal, wait_drawn
from tests.portal.test_auditor import access_log, attestation, store_path
from tests.portal.test_citizen import grant_with_purpose
from tests.portal.test_department import case_id, file_request, two_approver_case

__all__ = ["access_log", "attestation", "case_id", "store_path", "two_approver_case"]

OUT = os.environ.get("GOVCHAIN_SCREENSHOTS")
pytestmark = pytest.mark.skipif(not OUT, reason="make screenshots sets GOVCHAIN_SCREENSHOTS")
PURPOSES = {"en": "Minimum living allowance review", "zh": "最低生活保障资格审核"}
RELAYED = {"en": "Housing subsidy eligibility", "zh": "住房补贴资格审核"}


@pytest.fixture(scope="module")
def portals(
    world: World,
    store_path: Path,
    access_log: Path,
    case_id: bytes,
    two_approver_case: bytes,
    attestation: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, str]]:
    city: City = world.city
    shared = tmp_path_factory.mktemp("civil-signatures")
    cases = Cases(city.connection)
    second = city.departments["CIVIL"].approvers[1]  # one co-signature is already collected
    keep(shared, cases.sign(second, two_approver_case, True, b"\0" * 32))

    def config(key: str, **extra: object) -> PortalConfig:
        folder = tmp_path_factory.mktemp(key)
        return PortalConfig(
            key=key,
            rpc=city.connection.url,
            home=world.home,
            index=str(folder / "index.db"),
            **extra,  # type: ignore[arg-type]
        )

    with (
        running_portal(config("alice")) as alice,
        running_portal(config("civil-approver1", signatures=shared)) as approver,
        running_portal(config("civil-staff")) as staff,
        running_portal(
            config("hrss-approver1", stores=(("HRSS", f"sqlite:///{store_path}"),))
        ) as owner,
        running_portal(
            config(
                "hrss-auditor",
                stores=(("HRSS", f"sqlite:///{store_path}"),),
                access_logs=(("HRSS", str(access_log)),),
            )
        ) as auditor,
    ):
        yield {
            "citizen": alice,
            "approver": approver,
            "auditor": auditor,
            "owner": owner,
            "staff": staff,
        }


def shot(page: Page, name: str) -> None:
    assert OUT is not None
    folder = Path(OUT)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_every_page_in_both_languages(
    browser: Browser,
    portals: dict[str, str],
    world: World,
    case_id: bytes,
    two_approver_case: bytes,
    tmp_path: Path,
) -> None:
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    file_request(world, 7)
    with serving(world, tmp_path) as (node, _path):
        for lang, locale in (("en", "en-US"), ("zh", "zh-CN")):
            citizen, approver, auditor = (
                portals["citizen"],
                portals["approver"],
                portals["auditor"],
            )
            page = new_page(browser, locale)
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(citizen + "/login")
            shot(page, f"{lang}-login")
            login(page, citizen)
            shot(page, f"{lang}-citizen-home")
            page.goto(citizen + "/me/consents")
            page.select_option("#grantee", "CIVIL")
            page.fill("#purpose", PURPOSES[lang])
            page.select_option("#owner", "HRSS")
            page.check("input[name=items][value='HRSS.PENSION']")
            page.fill("#until", until)
            page.click("#review")
            shot(page, f"{lang}-consent-review")
            page.click("#sign")
            page.wait_for_selector("#notice")
            civil_fetch(world, node, grant_with_purpose(world, PURPOSES[lang]))
            shot(page, f"{lang}-consents")
            page.goto(citizen + "/me/timeline")
            page.wait_for_selector("#timeline")
            shot(page, f"{lang}-timeline")
            page.locator("#timeline tbody tr a").first.click()
            shot(page, f"{lang}-record")
            page.goto(citizen + "/me/consents")
            page.locator("#live a.danger").first.click()
            shot(page, f"{lang}-consent-revoke")
            page.goto(citizen + "/me/timeline?since=yesterday")
            shot(page, f"{lang}-form-error")
            page.goto(citizen + "/me/data")
            shot(page, f"{lang}-data-space")
            page.locator(".card[data-department=HRSS] tr[data-record=pension-alice] button").click()
            page.wait_for_selector("#verified")
            shot(page, f"{lang}-record-verified")
            page.goto(citizen + "/me/attestations")
            shot(page, f"{lang}-attestations")
            page.goto(citizen + "/me/recovery")
            shot(page, f"{lang}-recovery")
            page.goto(citizen + "/me/consents")
            page.select_option("#grantee", "CIVIL")
            page.fill("#purpose", RELAYED[lang])
            page.select_option("#owner", "HRSS")
            page.check("input[name=items][value='HRSS.PENSION']")
            page.fill("#until", until)
            page.click("#review")
            page.click("#sign-only")
            shot(page, f"{lang}-consent-signed")
            with page.expect_download() as download:
                page.click("#download")
            signed = tmp_path / f"signed-{lang}.json"
            download.value.save_as(signed)
            page.context.close()

            page = new_page(browser, locale)
            page.set_viewport_size({"width": 1280, "height": 800})
            login(page, portals["staff"])
            page.goto(portals["staff"] + "/dept/consents")
            page.set_input_files("#consent", str(signed))
            page.click("#relay-review")
            shot(page, f"{lang}-relay-review")
            page.click("#relay")
            page.wait_for_selector("#notice")
            shot(page, f"{lang}-relay")
            page.context.close()

            page = new_page(browser, locale)
            page.set_viewport_size({"width": 1280, "height": 800})
            login(page, approver)
            page.goto(approver + "/dept/inbox")
            shot(page, f"{lang}-inbox")
            page.goto(approver + f"/dept/cases/0x{case_id.hex()}")
            shot(page, f"{lang}-case")
            if page.locator("#approve").count():
                page.click("#approve")
                shot(page, f"{lang}-case-review")
            page.goto(approver + f"/dept/cases/0x{two_approver_case.hex()}")
            page.wait_for_selector("#collected")
            shot(page, f"{lang}-cosign")
            page.context.close()

            page = new_page(browser, locale)
            page.set_viewport_size({"width": 1280, "height": 800})
            login(page, auditor)
            page.goto(auditor + "/audit/anomalies?threshold=0")
            shot(page, f"{lang}-anomalies")
            page.goto(auditor + "/audit/stats")
            wait_drawn(page, "chart")
            wait_drawn(page, "graph")
            shot(page, f"{lang}-stats")
            page.goto(auditor + "/audit/attestations?issuer=PSB")
            shot(page, f"{lang}-attestation-explorer")
            page.context.close()

            page = new_page(browser, locale)
            page.set_viewport_size({"width": 1280, "height": 800})
            login(page, portals["owner"])
            page.goto(portals["owner"] + "/dept/requests")
            shot(page, f"{lang}-sharing-requests")
            page.goto(portals["owner"] + "/dept/publishing")
            shot(page, f"{lang}-publishing")
            page.context.close()

        down = PortalConfig(
            key="alice",
            rpc=f"http://127.0.0.1:{free_port()}",
            home=world.home,
            index=str(tmp_path / "down.db"),
        )
        with running_portal(down) as url:
            for lang, locale in (("en", "en-US"), ("zh", "zh-CN")):
                page = new_page(browser, locale)
                page.set_viewport_size({"width": 1280, "height": 800})
                login(page, url)
                page.goto(url + "/me/timeline")
                time.sleep(0.1)
                shot(page, f"{lang}-chain-unreachable")
                page.context.close()
