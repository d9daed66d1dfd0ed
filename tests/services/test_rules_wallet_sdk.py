"""The SDK signs rule and service changes for an ERC-1271 approver wallet (review s26 R-1).

Since every rule and service message names its signer, an approver wallet's owner signs the
message naming the wallet (``Rulebook.sign(..., wallet=)``, ``Catalog.sign(..., wallet=)``);
relayed with another approver's own signature, the change goes through on a real devnet, and
the owner's own signature listed for the wallet is refused.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.errors import GovchainError, InvalidInput
from govchain.reference import ROLE_APPROVER
from govchain.services.catalog import Catalog
from govchain.services.rulebook import Rulebook
from govchain.services.rules import name_code, rule_id
from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.services.offers_world import CIVIL, OffersWorld, build_offers_world


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def _civil_wallet(world: OffersWorld, owner: LocalAccount) -> str:
    """A contract wallet owned by ``owner`` (ERC-1271), made and accepted as a CIVIL APPROVER."""
    c = world.connection
    admin = world.sender(world.city.departments["CIVIL"].admin)
    artifacts = c.artifacts
    receipt = admin.deploy(
        artifacts.abi("TestContractWallet"), artifacts.bytecode("TestContractWallet"), owner.address
    )
    wallet = str(receipt["contractAddress"])
    registry = c.contract("DepartmentRegistry")
    admin.transact(registry.functions.addMember(wallet, ROLE_APPROVER))
    admin.send({"to": owner.address, "value": 10**17})
    accept = registry.functions.acceptMembership(CIVIL)._encode_transaction_data()
    contract = c.w3.eth.contract(address=wallet, abi=artifacts.abi("TestContractWallet"))
    world.sender(owner).transact(contract.functions.execute(registry.address, accept))
    return wallet


def test_a_wallet_approver_signs_rule_and_service_changes_through_the_sdk(
    world: OffersWorld,
) -> None:
    """CIVIL approver A owns an approver wallet: A's own signature listed for the wallet is
    refused; A signing the message naming the wallet counts for it, beside approver B."""
    civil = world.city.departments["CIVIL"]
    a, b = civil.approvers[0], civil.approvers[1]
    wallet = _civil_wallet(world, a)
    relayer = world.staff("CIVIL")
    book = Rulebook(world.connection, relayer)
    catalog = Catalog(world.connection, relayer)
    name, sname = name_code("elderly"), name_code("allowance")
    deadline = book.cases.now() + 86400
    requirements = book.rule(CIVIL, name).requirements

    mine = book.sign(a, "register", CIVIL, name, deadline, requirements)
    assert mine.signer == a.address
    as_wallet = book.sign(a, "register", CIVIL, name, deadline, requirements, wallet=wallet)
    assert as_wallet.signer == wallet and as_wallet.signature != mine.signature
    listed_twice = replace(mine, signer=wallet)
    with pytest.raises(GovchainError, match=f"not made by {wallet}"):
        book.relay([mine, listed_twice])
    assert book.rule(CIVIL, name).version == 1

    theirs = book.sign(b, "register", CIVIL, name, deadline, requirements)
    book.relay([theirs, as_wallet])
    rule = book.rule(CIVIL, name)
    assert rule.version == 2 and rule.active
    rid = rule_id(CIVIL, name)
    allowance = world.schemas["allowance"]
    signed = [
        catalog.sign(b, CIVIL, sname, deadline, rid, allowance),
        catalog.sign(a, CIVIL, sname, deadline, rid, allowance, wallet=wallet),
    ]
    assert signed[1].signer == wallet
    catalog.relay(CIVIL, sname, deadline, signed, rid, allowance)
    assert catalog.service(CIVIL, sname).version == 2
    retired = [
        catalog.sign(b, CIVIL, sname, deadline),
        catalog.sign(a, CIVIL, sname, deadline, wallet=wallet),
    ]
    catalog.relay(CIVIL, sname, deadline, retired)
    assert not catalog.service(CIVIL, sname).active
    book.relay(
        [
            book.sign(b, "retire", CIVIL, name, deadline),
            book.sign(a, "retire", CIVIL, name, deadline, wallet=wallet),
        ]
    )
    assert not book.rule(CIVIL, name).active


def test_a_wallet_that_is_not_an_approver_is_refused_before_signing(world: OffersWorld) -> None:
    owner: LocalAccount = Account.create()
    book = Rulebook(world.connection)
    not_member = world.city.departments["PSB"].staff.address
    with pytest.raises(InvalidInput, match=r"wallet .*not an active APPROVER of CIVIL"):
        book.sign(owner, "retire", CIVIL, name_code("elderly"), 1, wallet=not_member)


def test_the_command_line_signs_for_a_wallet_approver(
    city_run: CityRun, world: OffersWorld, tmp_path: Path
) -> None:
    """``rule sign --wallet`` and ``offer sign --wallet``: the key signs the message naming its
    approver wallet (the department is the wallet's); relayed beside approver 2's own files."""
    civil = world.city.departments["CIVIL"]
    wallet = _civil_wallet(world, civil.approvers[0])
    service, rule = [], []
    for i, extra in ((1, ["--wallet", wallet]), (2, [])):
        out = tmp_path / f"service{i}.json"
        signed = city_run.json(
            "--key", f"civil-approver{i}", "offer", "sign", "allowance", "--retire", *extra,
            "-o", str(out),
        )  # fmt: skip
        assert signed["signer"] == (wallet if extra else civil.approvers[1].address)
        service.append(str(out))
        out = tmp_path / f"rule{i}.json"
        signed = city_run.json(
            "--key", f"civil-approver{i}", "rule", "sign", "retire", "elderly", *extra,
            "-o", str(out),
        )  # fmt: skip
        assert signed["signer"] == (wallet if extra else civil.approvers[1].address)
        assert signed["department"] == "CIVIL"
        rule.append(str(out))
    assert city_run.json("--key", "bdb-staff", "offer", "register", *service)["in_force"] is False
    assert city_run.json("--key", "bdb-staff", "rule", "retire", *rule)["in_force"] is False
