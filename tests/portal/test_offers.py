"""Offers (免申即享) in the citizen's portal, on a real devnet, CIVIL's real data node and index.

CIVIL's approvers registered the elderly allowance (rule: age and residence attested by PSB);
the department's watcher seals an offer to each qualifying citizen. The citizen lists her offer
(the service, the benefit, what the consent covers in plain words), accepts it with one
signature and pays nothing; CIVIL's relayer sends it and the benefit appears on her page. The
refusals are form messages: the rule no longer met (a required attestation revoked), the benefit
already held, an offer no node lists (withdrawn), an offer already accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from govchain.keystore import Keystore
from govchain.portal import PortalConfig
from govchain.reference import City
from govchain.services.offerbox import offers as offers_table
from govchain.toolchain.devnet import Devnet
from tests.cli.conftest import CITY_PASSPHRASE
from tests.portal.conftest import csrf_of, logged_in_client, login, new_page, running_portal
from tests.portal.shots import both
from tests.services.offers_world import OffersWorld, build_offers_world


@pytest.fixture(scope="module")
def offers_world(
    city: tuple[City, Path], devnet: Devnet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OffersWorld]:
    built, _home = city
    made = build_offers_world(built, devnet, tmp_path_factory.mktemp("offers"))
    with made.serving() as url:
        registry = made.connection.contract("DepartmentRegistry")
        made.sender(built.departments["CIVIL"].admin).transact(registry.functions.setEndpoint(url))
        yield made


def citizen_portal(
    city: tuple[City, Path], world: OffersWorld, name: str, folder: Path
) -> tuple[LocalAccount, PortalConfig]:
    """A new elderly citizen (age and residence attested by PSB, her encryption key
    published), her key in the city's keystore, offered the allowance by CIVIL's watcher."""
    _built, home = city
    person = world.citizen()
    world.elderly(person.address)
    Keystore(home, kdf="pbkdf2", iterations=2).new(name, CITY_PASSPHRASE, private_key=person.key)
    world.sync()
    assert world.watcher().watch().offered  # sealed to her key in CIVIL's box, nothing on chain
    config = PortalConfig(
        key=name, rpc=world.connection.url, home=home, index=str(folder / f"{name}.db")
    )
    return person, config


def test_she_accepts_an_offer_with_one_signature_and_the_benefit_appears(
    browser: Browser, city: tuple[City, Path], offers_world: OffersWorld, tmp_path: Path
) -> None:
    world = offers_world
    elder, config = citizen_portal(city, world, "elder", tmp_path)
    w3 = world.connection.w3
    before = (w3.eth.get_balance(elder.address), w3.eth.get_transaction_count(elder.address))
    with running_portal(config) as url:
        page: Page = new_page(browser)
        login(page, url)
        page.click("text=Offers for me")
        card = page.locator(".offer[data-state=offered]")
        expect(card).to_have_count(1)
        expect(card.locator("h2")).to_have_text("CIVIL · allowance")
        covers = card.locator(".covers li")
        expect(covers).to_have_count(3)
        expect(covers.nth(0)).to_contain_text("issued by PSB, at most 365 days old")
        expect(covers.nth(1)).to_contain_text("issued by PSB / CIVIL")
        expect(covers.nth(2)).to_contain_text("used only to decide this application, by CIVIL")
        expect(card.locator(".consent")).to_contain_text("govchain.consent:CIVIL:allowance")
        both(page, "offers")
        card.locator("button.accept").click()
        expect(page.locator("#notice")).to_contain_text("Accepted")
        expect(page.locator(".offer .state")).to_have_text("signed, waiting for the department")

        relayed = world.watcher().relay()  # CIVIL's relayer sends it; CIVIL pays
        [done] = relayed.accepted
        page.goto(url + "/me/offers")
        granted = page.locator(".offer[data-state=accepted]")
        expect(granted.locator(".state")).to_have_text("granted")
        expect(granted.locator(".case")).to_have_text(done["case_id"])
        benefit = granted.locator(".benefit").inner_text()
        assert benefit.startswith("0x") and len(benefit) == 66
        both(page, "offer-granted")
        page.goto(url + "/me/attestations")
        expect(page.locator(f"#attestations tr[data-uid='{benefit}']")).to_contain_text("CIVIL")
        assert (w3.eth.get_balance(elder.address), w3.eth.get_transaction_count(elder.address)) == (
            before
        )  # she paid nothing and sent nothing

        # the department's box offers it again (stale): the chain says she holds the benefit
        with world.box.engine.begin() as conn:
            conn.execute(update(offers_table).values(state="offered"))
        page.goto(url + "/me/offers")
        page.locator(".offer button.accept").click()
        expect(page.locator("#offer-error")).to_have_text("You already hold this benefit.")
        with world.box.engine.begin() as conn:
            conn.execute(update(offers_table).values(state="accepted"))
        page.goto(url + "/me/offers")
        expect(page.locator(".offer button.accept")).to_have_count(0)

        client = logged_in_client(url)
        token = csrf_of(client.get("/me/offers").text)
        gone = client.post("/me/offers/accept", data={"csrf": token, "offer": "0x" + "ab" * 32})
        assert gone.status_code == 400 and "This offer was withdrawn" in gone.text
        page.context.close()


def test_an_offer_whose_rule_is_no_longer_met_is_refused_before_signing(
    browser: Browser, city: tuple[City, Path], offers_world: OffersWorld, tmp_path: Path
) -> None:
    world = offers_world
    person, config = citizen_portal(city, world, "elder-two", tmp_path)
    facts = (
        world.connection.contract("AttestationRegistry")
        .events.Attested()
        .get_logs(from_block=0, argument_filters={"subject": person.address})
    )
    age = next(
        bytes(f["args"]["uid"]) for f in facts if f["args"]["schema"] == world.schemas["age"]
    )
    registry = world.connection.contract("AttestationRegistry")
    world.staff("PSB").transact(registry.functions.revoke(age))  # her age attestation revoked
    with running_portal(config) as url:
        page = new_page(browser)
        login(page, url)
        page.goto(url + "/me/offers")
        page.locator(".offer[data-state=offered] button.accept").click()
        expect(page.locator("#offer-error")).to_contain_text(
            "You no longer meet the service's rule"
        )
        expect(page.locator(".offer .state")).to_have_text("offered")  # nothing was signed
        page.context.close()
