"""`govchain offer` and `govchain citizen offers`: approvers register a service, the department's
watcher offers it through its node, the citizen lists and accepts it from home with one
signature and pays nothing; errors are one line with an exit code."""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.keystore import Keystore
from tests.cli.conftest import (  # noqa: F401 (fixtures)
    CITY_PASSPHRASE,
    CityRun,
    assert_one_line_error,
    city,
    city_run,
    devnet,
    fund,
)
from tests.services.offers_world import OffersWorld, build_offers_world


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def test_a_service_offered_listed_and_accepted_from_the_command_line(
    city_run: CityRun, world: OffersWorld, tmp_path: Path
) -> None:
    benefit = "0x" + world.schemas["allowance"].hex()
    files = []
    for i in (1, 2):
        out = tmp_path / f"svc{i}.json"
        city_run.json(
            "--key", f"civil-approver{i}", "offer", "sign", "allowance-2", "--rule", "elderly",
            "--benefit", benefit, "-o", str(out),
        )  # fmt: skip
        files.append(str(out))
    made = city_run.json("--key", "bdb-staff", "offer", "register", *files)
    assert made["version"] == 1 and made["in_force"] is True and made["benefit"] == benefit
    assert made["valid_for_seconds"] == 0  # no --valid-for: a benefit without a time limit
    listed = city_run.json("offer", "list", "--dept", "CIVIL")
    assert {r["name"] for r in listed} == {"allowance", "allowance-2"}

    alice = world.citizen(publish_key=False)
    world.elderly(alice.address)
    assert city_run.home is not None
    keystore = Keystore(city_run.home, kdf="pbkdf2", iterations=2)
    keystore.new("alice", CITY_PASSPHRASE, private_key=alice.key)
    fund(world.devnet, alice.address)  # publishing her key is her own ERC-1056 transaction
    published = city_run.json("--key", "alice", "citizen", "offers", "publish-key")
    assert published["identity"] == alice.address and published["valid_s"] == 365 * 86400
    store = str(tmp_path / "civil-node.db")
    with world.serving() as url:
        registry = world.connection.contract("DepartmentRegistry")
        world.sender(city_run.platform.departments["CIVIL"].admin).transact(
            registry.functions.setEndpoint(url)
        )
        watched = city_run.json("--key", "civil-staff", "offer", "watch", "--store", store)
        assert watched["offered"] == 2 and watched["accepted"] == []
        again = city_run.json("--key", "civil-staff", "offer", "watch", "--store", store)
        assert again["offered"] == 0  # re-runs are no-ops

        offers = city_run.json("--key", "alice", "citizen", "offers")["offers"]
        mine = [o for o in offers if o.get("offer_id")]
        assert {o["service"] for o in mine} == {"allowance", "allowance-2"}
        assert all(o["state"] == "offered" and o["department"] == "CIVIL" for o in mine)
        text = city_run("--key", "alice", "citizen", "offers").stdout
        assert "allowance" in text and "consent:" in text

        first = next(o for o in mine if o["service"] == "allowance")
        w3 = world.connection.w3
        balance = w3.eth.get_balance(alice.address)
        accepted = city_run.json(
            "--key", "alice", "citizen", "offers", "accept", first["offer_id"][:12]
        )
        assert accepted["state"] == "signed" and accepted["service"] == "allowance"
        relayed = city_run.json("--key", "civil-staff", "offer", "watch", "--store", store)
        [done] = relayed["accepted"]
        assert done["case_id"] == accepted["case_id"]
        assert w3.eth.get_balance(alice.address) == balance

        result = city_run("--key", "alice", "citizen", "offers", "accept", first["offer_id"][:12])
        assert_one_line_error(result, 2, "accepted, not open")
        result = city_run("--key", "alice", "citizen", "offers", "accept", "0xdeadbeef")
        assert_one_line_error(result, 2, "no department's node lists it")
        result = city_run("--key", "alice", "citizen", "offers", "accept", "nothex")
        assert_one_line_error(result, 2, "at least 4 hex digits")


def test_offer_errors_are_one_line(city_run: CityRun, world: OffersWorld, tmp_path: Path) -> None:
    result = city_run(
        "--key", "civil-approver1", "offer", "sign", "x", "-o", str(tmp_path / "x.json")
    )
    assert result.exit_code == 2 and "needs --rule and --benefit" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = city_run("--key", "bdb-staff", "offer", "register", str(bad))
    assert_one_line_error(result, 2, "not a govchain.service.change/3 file")
    # a file of an older format: its message did not name its signer (/2), had no validity (/1)
    old = tmp_path / "old.json"
    for fmt, why in (("2", "named their signer"), ("1", "had a validity")):
        old.write_text(json.dumps({"format": f"govchain.service.change/{fmt}", "signer": "0x0"}))
        result = city_run("--key", "bdb-staff", "offer", "register", str(old))
        assert_one_line_error(result, 2, why, "sign the change again (govchain offer sign)")
    one = tmp_path / "one.json"
    city_run.json(
        "--key", "civil-approver1", "offer", "sign", "solo", "--rule", "elderly",
        "--benefit", "0x" + world.schemas["allowance"].hex(), "-o", str(one),
    )  # fmt: skip
    result = city_run("--key", "bdb-staff", "offer", "register", str(one))
    assert_one_line_error(result, 1, "needs 2 approvers' signatures, got 1")
    result = city_run(
        "--key", "civil-approver1", "offer", "sign", "solo", "--rule", "elderly",
        "--benefit", "0x" + world.schemas["allowance"].hex(), "--valid-for", "5300w",
        "-o", str(one),
    )  # fmt: skip
    assert_one_line_error(result, 2, "expected a duration of up to 100 years")
    # the service `allowance` grants the same benefit on the same rule without a time limit
    yearly = []
    for i in (1, 2):
        out = tmp_path / f"yearly{i}.json"
        signed = city_run.json(
            "--key", f"civil-approver{i}", "offer", "sign", "yearly", "--rule", "elderly",
            "--benefit", "0x" + world.schemas["allowance"].hex(), "--valid-for", "365d",
            "-o", str(out),
        )  # fmt: skip
        assert signed["valid_for_seconds"] == 365 * 86400
        yearly.append(str(out))
    result = city_run("--key", "bdb-staff", "offer", "register", *yearly)
    assert_one_line_error(result, 1, "must agree on its validity")
