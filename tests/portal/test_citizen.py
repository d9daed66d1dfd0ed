"""Citizen pages in a real browser on a real devnet, data node and index: the consent's life.

Alice gives Civil Affairs a consent to her pension record through the portal, Civil Affairs'
staff fetches the record from the HRSS data node (recording the access on chain first), the
access appears in her timeline with the purpose in words, she revokes the consent, and the
next access is refused by the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from playwright.sync_api import Browser, Page, expect

from govchain.errors import GovchainError
from govchain.portal import PortalConfig
from govchain.sharing.grants import AccessGrants
from govchain.sharing.purposes import PurposeBook, legacy_purpose_hash, purpose_commitment
from govchain.tx import Sender
from tests.cli.datanode import World, serving
from tests.portal.conftest import (
    CITY_PASSPHRASE,
    civil_fetch,
    csrf_of,
    logged_in_client,
    login,
    new_page,
    running_portal,
)

PURPOSE = "Minimum living allowance review 低保资格审核"


@pytest.fixture(scope="module")
def hrss_node(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(world, tmp_path_factory.mktemp("hrss-node")) as (url, _path):
        yield url


@pytest.fixture(scope="module")
def portal(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("alice-portal")
    config = PortalConfig(
        key="alice",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(folder / "index.db"),
    )
    with running_portal(config) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser: Browser, portal: str) -> Page:
    opened = new_page(browser)
    login(opened, portal)
    return opened


def grant_with_purpose(world: World, text: str) -> bytes:
    """Alice's one grant whose purpose the portals' book knows as ``text``: a salted
    commitment, filed with its salt, never the unsalted keccak256 of the text."""
    book = PurposeBook(world.home).purposes()
    keys = {k for k, p in book.items() if p.text == text and not p.legacy}
    found = [
        g
        for g in AccessGrants(world.city.connection).list_grants(subject=world.alice.address)
        if "0x" + g.terms.purpose_hash.hex() in keys
    ]
    assert len(found) == 1, found
    digest = found[0].terms.purpose_hash
    assert digest != legacy_purpose_hash(text)  # the chain does not carry keccak256(text)
    salt = book["0x" + digest.hex()].salt
    assert salt is not None and digest == purpose_commitment(text, salt)
    return found[0].grant_id


def test_wrong_passphrase_says_so(browser: Browser, portal: str) -> None:
    page = new_page(browser)
    page.goto(portal + "/login")
    page.fill("#passphrase", "not the passphrase")
    page.click("button[type=submit]")
    expect(page.locator("#passphrase-error")).to_have_text("Wrong passphrase.")
    assert page.url == portal + "/login"
    page.context.close()


def test_consent_access_timeline_revoke_refused(
    page: Page, portal: str, world: World, hrss_node: str
) -> None:
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    page.goto(portal + "/me/consents")
    page.select_option("#grantee", "CIVIL")
    page.fill("#purpose", PURPOSE)
    page.select_option("#owner", "HRSS")
    page.check("input[name=items][value='HRSS.PENSION']")
    page.fill("#until", until)
    page.click("#review")
    expect(page.locator("#summary .purpose")).to_have_text(PURPOSE)
    page.click("#sign")
    expect(page.locator("#notice")).to_contain_text("Consent given")
    live = page.locator("#live tr", has_text=PURPOSE)
    expect(live).to_have_count(1)
    expect(live.locator(".status")).to_have_text("live")

    grant = grant_with_purpose(world, PURPOSE)
    access_tx = civil_fetch(world, hrss_node, grant)

    page.goto(portal + "/me/timeline")
    row = page.locator("#timeline tbody tr", has_text=PURPOSE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CIVIL")
    expect(row).to_contain_text("HRSS.PENSION")
    expect(row).to_contain_text("Your consent")
    expect(row).to_contain_text(world.city.departments["CIVIL"].staff.address[:10])
    row.locator("a").click()
    expect(page.locator("body")).to_contain_text(access_tx)
    expect(page.locator("body")).to_contain_text("AccessRecorded")

    page.goto(portal + "/me/consents")
    page.locator("#live tr", has_text=PURPOSE).get_by_role("link", name="Revoke").click()
    page.click("#confirm-revoke")
    expect(page.locator("#notice")).to_contain_text("Consent revoked")
    expect(page.locator("#ended tr", has_text=PURPOSE).locator(".status")).to_have_text("revoked")

    with pytest.raises(GovchainError, match=r"(?i)revoked"):
        civil_fetch(world, hrss_node, grant)
    page.goto(portal + "/me/timeline")
    expect(page.locator("#timeline tbody tr", has_text=PURPOSE)).to_have_count(1)


def test_timeline_filters_csv_and_paging(page: Page, portal: str, world: World) -> None:
    page.goto(portal + "/me/timeline?department=CIVIL")
    expect(page.locator("#timeline tbody tr").first).to_contain_text("CIVIL")
    page.goto(portal + "/me/timeline?department=FINANCE")
    expect(page.locator("p.empty")).to_have_text("No recorded access.")
    future = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    page.goto(portal + f"/me/timeline?since={future}")
    expect(page.locator("p.empty")).to_have_text("No recorded access.")
    page.goto(portal + "/me/timeline")
    expect(page.locator("#total")).to_have_text(str(page.locator("#timeline tbody tr").count()))
    with page.expect_download() as download:
        page.goto(portal + "/me/timeline")
        page.click("#csv")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("time,department,official_key")
    assert PURPOSE in text


def test_bad_input_is_a_form_error_beside_the_field(page: Page, portal: str) -> None:
    page.goto(portal + "/me/timeline?since=yesterday&until=2020-01-01")
    expect(page.locator("#since-error")).to_have_text("Not a date (YYYY-MM-DD).")
    page.goto(portal + "/me/timeline?since=2026-05-01&until=2026-01-01")
    expect(page.locator("#until-error")).to_have_text("The end is before the start.")
    page.goto(portal + "/me/consents")
    page.fill("#purpose", "")
    page.fill("#until", "31/12/2030")
    page.fill("#max_uses", "-3")
    page.click("#review")
    expect(page.locator("#grantee-error")).to_have_text("Choose one.")
    expect(page.locator("#purpose-error")).to_contain_text("Write the purpose")
    expect(page.locator("#items-error")).to_have_text("Choose at least one data item.")
    expect(page.locator("#until-error")).to_have_text("Not a date (YYYY-MM-DD).")
    expect(page.locator("#max_uses-error")).to_have_text("A whole number from 0.")
    assert "Traceback" not in page.content()


def test_http_bad_input_csrf_headers_and_isolation(portal: str, world: World) -> None:
    client = logged_in_client(portal)
    answer = client.get("/me/timeline", params={"page": "x'; drop", "since": "\x00"})
    assert answer.status_code == 400
    assert "Traceback" not in answer.text
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in answer.text
    refused = client.post("/me/consents/review", data={"csrf": "forged"})
    assert refused.status_code == 400 and "form expired" in refused.text
    missing = client.post("/me/consents/" + "0x" + "12" * 32 + "/revoke", data={})
    assert missing.status_code == 400
    # someone else's grant does not exist for Alice's portal
    bob_grant = "0x" + world.grant.hex()  # Alice's grant from the world: hers, so shown
    assert client.get(f"/me/consents/{bob_grant}/revoke").status_code == 200
    assert client.get("/me/consents/not-a-grant/revoke").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    anonymous = httpx.get(portal + "/me/timeline", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"


def test_language_switch_and_accept_language(browser: Browser, portal: str) -> None:
    page = new_page(browser, "zh-CN")
    login(page, portal, CITY_PASSPHRASE)
    page.goto(portal + "/me/timeline")
    expect(page.locator("h1")).to_have_text("谁使用了我的数据")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Who used my data")
    page.context.close()


def test_unreachable_chain_shows_a_banner(browser: Browser, world: World, tmp_path: Path) -> None:
    from govchain.toolchain.devnet import free_port

    config = PortalConfig(
        key="alice",
        rpc=f"http://127.0.0.1:{free_port()}",
        home=world.home,
        index=str(tmp_path / "index.db"),
    )
    with running_portal(config) as url:
        page = new_page(browser)
        login(page, url)
        expect(page.locator(".banner[data-problem=chain]")).to_contain_text("unreachable")
        page.goto(url + "/me/timeline")
        expect(page.locator(".banner[data-problem=chain]")).to_be_visible()
        expect(page.locator("h1")).to_have_text("Who used my data")
        page.context.close()


def test_idle_session_forgets_the_key(world: World, tmp_path: Path) -> None:
    import time

    config = PortalConfig(
        key="alice",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(tmp_path / "index.db"),
        session_minutes=0.01,
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        time.sleep(1.0)
        answer = client.get("/me/consents", follow_redirects=True)
        assert "session ended" in answer.text
        assert csrf_of(answer.text)


def test_personal_data_space_fetches_decrypts_and_verifies(
    page: Page, portal: str, world: World, hrss_node: str
) -> None:
    page.goto(portal + "/me/data")
    hrss = page.locator(".card[data-department=HRSS]")
    expect(hrss.locator("tr[data-record=pension-alice]")).to_contain_text("HRSS.PENSION")
    expect(hrss).not_to_contain_text("pension-bob")  # Bob's records are not hers
    hrss.locator("tr[data-record=pension-alice] button").click()
    expect(page.locator("#verified")).to_contain_text("Verified against its anchor")
    expect(page.locator("#content")).to_contain_text('"monthly": 3260')


def test_a_data_node_that_does_not_answer_is_named(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    config = PortalConfig(
        key="alice", rpc=world.city.connection.url, home=world.home, index=str(tmp_path / "i.db")
    )
    with serving(world, tmp_path) as (url, _path):
        pass  # the node stops; its endpoint stays registered on chain
    with running_portal(config) as portal_url:
        page = new_page(browser)
        login(page, portal_url)
        page.goto(portal_url + "/me/data")
        expect(page.locator(".banner[data-problem='node HRSS']")).to_contain_text(url)
        expect(page.locator("h1")).to_have_text("Records departments hold about me")
        page.context.close()


def test_recovery_shows_guardians_and_a_pending_recovery_she_cancels(
    page: Page, portal: str, world: World
) -> None:
    from eth_account import Account

    from govchain.identity.citizens import Citizens

    connection = world.city.connection
    keys = world.city.departments
    guardians = [keys[d].staff for d in ("PSB", "HRSS", "CIVIL")]

    def as_(account: LocalAccount) -> Citizens:
        return Citizens(connection, Sender(connection.w3, account, connection.decoder()))

    as_(world.alice).set_guardians([g.address for g in guardians], 2, 86_400)
    thief = Account.create().address
    as_(guardians[0]).start_recovery(world.alice.address, thief)

    page.goto(portal + "/me/recovery")
    expect(page.locator("#guardian-rule")).to_contain_text("2 / 3")
    expect(page.locator("#guardians")).to_contain_text(guardians[1].address)
    pending = page.locator("#pending-recovery")
    expect(pending).to_contain_text(thief)
    expect(pending).to_contain_text("1 / 2")
    page.click("#cancel-recovery")
    expect(page.locator("#notice")).to_have_text("Cancelled.")
    expect(page.locator("#no-recovery")).to_be_visible()
    assert not Citizens(connection).recovery(world.alice.address, thief).active
