"""Proactive offers end to end on a real devnet and a real data node over HTTP: the watcher
finds who newly qualifies from the index, seals the offer to her key at CIVIL's node (nothing on
chain), she lists and accepts it with one signature, CIVIL's relayer sends it, and each refusal."""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

from pathlib import Path

import pytest

from govchain.approval import CaseStatus
from govchain.approval.cases import Cases
from govchain.node.client import NodeRefused
from govchain.node.offers import OFFERS_CATEGORY
from govchain.services.inbox import OfferInbox
from govchain.services.rulebook import Rulebook
from govchain.services.rules import Requirement, name_code
from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.services.offers_world import CIVIL, PSB, YEAR, OffersWorld, build_offers_world


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def test_offered_privately_accepted_with_one_signature_relayed_by_the_department(
    world: OffersWorld,
) -> None:
    alice = world.citizen()
    world.elderly(alice.address)
    world.citizen()  # a citizen without the facts is offered nothing
    world.sync()
    w3 = world.connection.w3
    head = w3.eth.block_number
    report = world.watcher().watch()
    assert (report.services, len(report.offered)) == (1, 1)
    assert w3.eth.block_number == head  # finding and delivering put nothing on chain
    again = world.watcher().watch()  # a re-run is a no-op
    assert (again.offered, again.already) == ([], 1)
    [row] = world.box.all()
    assert row.citizen == alice.address and alice.address.encode() not in row.sealed

    inbox = OfferInbox(world.reader(), alice)
    with world.serving() as url:
        [held] = inbox.list_offers(url, CIVIL)
        assert held.state == "offered" and held.content is not None
        assert held.content["department"] == "CIVIL" and held.content["service"] == "allowance"
        signed = inbox.accept(url, CIVIL, held.content)
        assert signed["state"] == "signed"
        balance = w3.eth.get_balance(alice.address)
        start = w3.eth.block_number
        relayed = world.watcher().relay()
        [done] = relayed.accepted
        assert w3.eth.block_number == start + 1  # one transaction, one block
        assert w3.eth.get_balance(alice.address) == balance  # she paid nothing
        case = Cases(world.connection).state(bytes.fromhex(done["case_id"][2:]), history=False)
        assert case.status == CaseStatus.APPROVED
        [after] = inbox.list_offers(url, CIVIL)
        assert after.state == "accepted" and after.case_id == done["case_id"]
        with pytest.raises(NodeRefused) as refused:
            inbox.accept(url, CIVIL, held.content)
        assert refused.value.reason == "offer_not_open"
    assert world.watcher().watch().offered == []  # she holds the benefit: never offered again


def test_only_her_controller_lists_and_only_at_the_offering_node(world: OffersWorld) -> None:
    alice, mallory = world.citizen(), world.citizen()
    world.elderly(alice.address)
    world.sync()
    world.watcher().watch()
    with world.serving() as url:
        with pytest.raises(NodeRefused) as refused:
            OfferInbox(world.reader(), mallory, identity=alice.address).list_offers(url, CIVIL)
        assert refused.value.reason == "not_subject_controller"
        with pytest.raises(NodeRefused) as refused:
            OfferInbox(world.reader(), alice).list_offers(url, PSB)
        assert refused.value.reason == "wrong_node"
        assert OfferInbox(world.reader(), mallory).list_offers(url, CIVIL) == []
        [held] = OfferInbox(world.reader(), alice).list_offers(url, CIVIL)
        assert held.content is not None
        with pytest.raises(ValueError, match="do not hash to its case id"):
            OfferInbox(world.reader(), mallory).accept(url, CIVIL, held.content)
        # her own signed request naming alice's offer: the node finds no such offer of hers
        inbox = OfferInbox(world.reader(), mallory)
        body = inbox._signed(OFFERS_CATEGORY, bytes.fromhex(held.offer_id[2:]), CIVIL)
        body["acceptance"] = {
            "signer": mallory.address,
            "consentHash": held.content["consentHash"],
            "requirementsHash": held.content["requirementsHash"],
            "deadline": 2**40,
            "signature": "0x" + "11" * 65,
        }
        with pytest.raises(NodeRefused) as refused:
            inbox._post(url + "/v1/offers/accept", body)
        assert refused.value.reason == "offer_not_found"
    assert world.box.all()[0].state == "offered"


def test_no_key_no_offer_and_a_revoked_fact_refuses_the_acceptance(world: OffersWorld) -> None:
    keyless = world.citizen(publish_key=False)
    world.elderly(keyless.address)
    bob = world.citizen()
    facts = world.elderly(bob.address)
    world.sync()
    report = world.watcher().watch()
    assert report.no_key == 1 and len(report.offered) == 1
    inbox = OfferInbox(world.reader(), bob)
    with world.serving() as url:
        [held] = inbox.list_offers(url, CIVIL)
        assert held.content is not None
        inbox.accept(url, CIVIL, held.content)
        registry = world.connection.contract("AttestationRegistry")
        world.staff("PSB").transact(registry.functions.revoke(facts["age"]))
        relayed = world.watcher().relay()
        assert relayed.accepted == [] and len(relayed.refused) == 1
        [after] = inbox.list_offers(url, CIVIL)
        assert after.state == "refused" and after.reason
    bid = world.connection.contract("CaseApprovals").functions.benefitOf(world.service, bob.address)
    assert bytes(bid.call()) == b"\0" * 32


def test_the_relay_refuses_an_acceptance_once_the_rule_changed_since_the_offer(
    world: OffersWorld,
) -> None:
    """She accepts; CIVIL's approvers then register a version of the rule with other
    requirements: the relayer sends nothing and settles the offer refused, in one line."""
    bob = world.citizen()
    world.elderly(bob.address)
    world.sync()
    assert len(world.watcher().watch().offered) == 1
    inbox = OfferInbox(world.reader(), bob)
    with world.serving() as url:
        [held] = inbox.list_offers(url, CIVIL)
        assert held.content is not None
        inbox.accept(url, CIVIL, held.content)
        c = world.connection
        civil = world.city.departments["CIVIL"]
        book = Rulebook(c, world.staff("CIVIL"))
        stricter = [
            Requirement(world.schemas["age"], YEAR // 2, (PSB,)),
            Requirement(world.schemas["residence"], YEAR, (PSB, CIVIL)),
        ]
        deadline = book.cases.now() + 86400
        name = name_code("elderly")
        book.relay(
            [book.sign(a, "register", CIVIL, name, deadline, stricter) for a in civil.approvers[:2]]
        )
        relayed = world.watcher().relay()
        assert relayed.accepted == []
        [refused] = relayed.refused
        assert "changed since the offer" in refused["reason"] and "\n" not in refused["reason"]
        assert "tx_hash" not in refused
        [after] = inbox.list_offers(url, CIVIL)
        assert after.state == "refused" and after.reason == refused["reason"]
    bid = world.connection.contract("CaseApprovals").functions.benefitOf(world.service, bob.address)
    assert bytes(bid.call()) == b"\0" * 32
