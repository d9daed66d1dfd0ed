"""Gas-free consent, relayed by the department; purpose text of grants given elsewhere.

Alice signs a consent in her portal without sending a transaction, downloads the signed file
and Civil Affairs' staff uploads and relays it from their own portal (``grantBySignature``):
the grant is live, its purpose text shows on both sides, and Alice's balance and nonce have not
moved. A grant given outside the portal shows its purpose text when a published purposes file
holds it (and only if the text hashes to it), else "purpose text not provided".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from govchain.portal import PortalConfig
from govchain.portal.timeline import purpose_digest
from govchain.sharing.catalog import LegalBasis
from govchain.sharing.grants import AccessGrants, GrantTerms, new_nonce
from govchain.sharing.purposes import legacy_purpose_hash, purpose_commitment
from govchain.tx import Sender
from tests.cli.datanode import World
from tests.portal.conftest import logged_in_client, login, new_page, running_portal
from tests.portal.test_citizen import grant_with_purpose

RELAYED = "Housing subsidy eligibility 住房补贴资格"
CANCELLED = "Changed my mind 我改变主意了"
ELSEWHERE = "Pension statistics for the district plan 区域规划养老金统计"
SALTED = "Elderly care home placement 养老院入住评估"


def config(world: World, key: str, folder: Path, **extra: object) -> PortalConfig:
    return PortalConfig(
        key=key,
        rpc=world.city.connection.url,
        home=world.home,
        index=str(folder / f"{key}.db"),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def alice_portal(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_portal(config(world, "alice", tmp_path_factory.mktemp("alice"))) as url:
        yield url


def test_a_signed_consent_is_relayed_by_the_department_and_she_pays_nothing(
    browser: Browser, alice_portal: str, world: World, tmp_path: Path
) -> None:
    w3 = world.city.connection.w3
    alice = world.alice.address
    balance, nonce = w3.eth.get_balance(alice), w3.eth.get_transaction_count(alice)
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()

    page = new_page(browser)
    login(page, alice_portal)
    page.goto(alice_portal + "/me/consents")
    page.select_option("#grantee", "CIVIL")
    page.fill("#purpose", RELAYED)
    page.select_option("#owner", "HRSS")
    page.check("input[name=items][value='HRSS.PENSION']")
    page.fill("#until", until)
    page.click("#review")
    page.click("#sign-only")
    expect(page.locator("#signed .purpose")).to_have_text(RELAYED)
    with page.expect_download() as download:
        page.click("#download")
    signed = Path(download.value.path())
    signed_file = json.loads(signed.read_text())
    assert signed_file["purpose"] == RELAYED  # the text and its salt travel with the file
    salt = bytes.fromhex(signed_file["purpose_salt"][2:])
    assert signed_file["terms"]["purpose_hash"] == "0x" + purpose_commitment(RELAYED, salt).hex()
    page.goto(alice_portal + "/me/consents")
    expect(page.locator("#pending tr", has_text=RELAYED)).to_have_count(1)
    expect(page.locator("#live tr", has_text=RELAYED)).to_have_count(0)

    with running_portal(config(world, "civil-staff", tmp_path)) as staff:
        desk = new_page(browser)
        login(desk, staff)
        desk.click("text=Relay consents")
        desk.set_input_files(
            "#consent", files=[{"name": "x.json", "mimeType": "application/json", "buffer": b"{"}]
        )
        desk.click("#relay-review")
        expect(desk.locator("#consent-error")).to_contain_text("not JSON")
        desk.set_input_files("#consent", str(signed))
        desk.click("#relay-review")
        expect(desk.locator("#summary .purpose")).to_have_text(RELAYED)
        expect(desk.locator("#summary")).to_contain_text(alice)
        desk.click("#relay")
        expect(desk.locator("#notice")).to_contain_text("Consent relayed")
        desk.context.close()
    with running_portal(config(world, "housing-staff", tmp_path)) as other:
        desk = new_page(browser)
        login(desk, other)
        desk.goto(other + "/dept/consents")
        desk.set_input_files("#consent", str(signed))
        desk.click("#relay-review")
        expect(desk.locator("#consent-error")).to_contain_text("another grantee than HOUSING")
        desk.context.close()

    grant = AccessGrants(world.city.connection).info(grant_with_purpose(world, RELAYED))
    assert grant.status == "LIVE" and grant.terms.basis == LegalBasis.CONSENT
    assert w3.eth.get_balance(alice) == balance  # she paid nothing
    assert w3.eth.get_transaction_count(alice) == nonce  # and sent nothing
    page.goto(alice_portal + "/me/consents")
    expect(page.locator("#live tr", has_text=RELAYED).locator(".status")).to_have_text("live")
    expect(page.locator("#pending")).to_have_count(0)
    page.context.close()


def test_she_cancels_a_signed_consent_and_it_can_no_longer_be_relayed(
    browser: Browser, alice_portal: str, world: World, tmp_path: Path
) -> None:
    until = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    page = new_page(browser)
    login(page, alice_portal)
    page.goto(alice_portal + "/me/consents")
    page.select_option("#grantee", "CIVIL")
    page.fill("#purpose", CANCELLED)
    page.select_option("#owner", "HRSS")
    page.check("input[name=items][value='HRSS.PENSION']")
    page.fill("#until", until)
    page.click("#review")
    page.click("#sign-only")
    with page.expect_download() as download:
        page.click("#download")
    signed = tmp_path / "cancelled.json"  # the browser's copy goes with its context
    download.value.save_as(signed)
    page.goto(alice_portal + "/me/consents")
    page.locator("#pending tr", has_text=CANCELLED).locator(".cancel-signed").click()
    expect(page.locator("#notice")).to_contain_text("Consent revoked")
    expect(page.locator("#pending")).to_have_count(0)
    page.context.close()
    with running_portal(config(world, "civil-staff", tmp_path)) as staff:
        desk = new_page(browser)
        login(desk, staff)
        desk.goto(staff + "/dept/consents")
        desk.set_input_files("#consent", str(signed))
        desk.click("#relay-review")
        desk.click("#relay")
        expect(desk.locator("#consent-error")).to_contain_text("revoked")
        desk.context.close()


def test_purpose_text_of_grants_given_elsewhere(world: World, tmp_path: Path) -> None:
    """A legacy grant (unsalted keccak256 of its text) and a salted one, given outside the
    portal: each shows its text when a published file holds it and it hashes to the chain's
    key (the legacy one marked as such); a forged entry or a wrong salt puts no words on it."""
    connection = world.city.connection
    client = AccessGrants(connection, Sender(connection.w3, world.alice, connection.decoder()))
    now = client.now()
    salt = os.urandom(32)

    def give(digest: bytes) -> None:  # as the CLI or another wallet would: not the portal
        client.give(
            GrantTerms(
                subject=world.alice.address,
                grantee="CIVIL",
                owner="HRSS",
                categories=("HRSS.PENSION",),
                purpose_hash=digest,
                basis=LegalBasis.CONSENT,
                valid_from=now,
                valid_until=now + 86_400,
                nonce=new_nonce(),
            )
        )

    give(legacy_purpose_hash(ELSEWHERE))
    give(purpose_commitment(SALTED, salt))
    published = tmp_path / "purposes.json"
    forged = "0x" + "9a" * 32  # the world grant's bare hash: no text hashes to it
    salted_key = "0x" + purpose_commitment(SALTED, salt).hex()
    published.write_text(
        json.dumps(
            {
                purpose_digest(ELSEWHERE): ELSEWHERE,
                salted_key: {"text": SALTED, "salt": "0x" + salt.hex()},
                forged: "words that do not hash",
            }
        ),
        encoding="utf-8",
    )
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({salted_key: {"text": SALTED, "salt": "0x" + "11" * 32}}))
    with running_portal(config(world, "alice", tmp_path, purposes=(published,))) as url:
        html = logged_in_client(url).get("/me/consents").text
    assert ELSEWHERE in html and SALTED in html
    assert 'id="items-error"' not in html and "built-in method" not in html  # no stray error
    assert "words that do not hash" not in html
    world_row = html[html.index(f'data-grant="0x{world.grant.hex()}"') :]
    assert world_row.index("purpose text not provided") < world_row.index("</tr>")
    legacy_cell = html[html.index(ELSEWHERE) :]
    assert legacy_cell.index("legacy grant: unsalted hash") < legacy_cell.index("</td>")
    salted_cell = html[html.index(SALTED) :]
    assert "legacy" not in salted_cell[: salted_cell.index("</td>")]
    (tmp_path / "plain").mkdir()
    with running_portal(config(world, "alice", tmp_path / "plain", purposes=(wrong,))) as url:
        html = logged_in_client(url).get("/me/consents").text
    assert ELSEWHERE not in html and SALTED not in html  # the hash, said plainly
    cell = html[: html.index(purpose_digest(ELSEWHERE)[:18])]
    assert cell.rindex("purpose text not provided") > cell.rindex("<tr")
    cell = html[: html.index(salted_key[:18])]
    assert cell.rindex("purpose text not provided") > cell.rindex("<tr")
