"""`govchain citizen`: identity, key rotation (direct and relayed), delegates, guardians, recovery."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.keystore import Keystore
from govchain.sharing.catalog import LegalBasis
from govchain.sharing.grants import GrantTerms, purpose_hash
from govchain.toolchain.devnet import Devnet, rpc
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, Run, assert_one_line_error, fund
from tests.cli.sharing_fixtures import SharingCity, sharing_city_fixture  # noqa: F401

DAY = 86400

NewCitizen = Callable[[], tuple[str, LocalAccount]]


@pytest.fixture
def new_citizen(city_run: CityRun, devnet: Devnet) -> NewCitizen:
    """A funded citizen key saved in the city's home under a fresh name."""

    def make() -> tuple[str, LocalAccount]:
        account = Account.create()
        name = f"citizen-{secrets.token_hex(4)}"
        assert city_run.home is not None
        Keystore(city_run.home, kdf="pbkdf2", iterations=2).new(
            name, CITY_PASSPHRASE, private_key=account.key
        )
        fund(devnet, account.address)
        return name, account

    return make


def registry(city_run: CityRun):  # type: ignore[no-untyped-def]
    return city_run.platform.connection.contract("CitizenRegistry")


def owner_of(city_run: CityRun, identity: str) -> str:
    return str(registry(city_run).functions.identityOwner(identity).call())


def test_id_of_a_fresh_identity(city_run: CityRun, new_citizen: NewCitizen) -> None:
    name, alice = new_citizen()
    data = city_run.json("--key", name, "citizen", "id")
    assert data == {
        "identity": alice.address, "owner": alice.address, "rotated": False,
        "changed_block": 0, "nonce": 0, "owner_epoch": 0,
    }  # fmt: skip
    other = Account.create().address
    assert city_run.json("citizen", "id", other)["owner"] == other
    assert "owner" in city_run("citizen", "id", other).stdout


def test_rotate_key_directly_then_act_with_the_new_key(
    city_run: CityRun, new_citizen: NewCitizen
) -> None:
    name, alice = new_citizen()
    new_name, new_key = new_citizen()
    result = city_run.json("--key", name, "citizen", "rotate-key", new_name)
    assert result["identity"] == alice.address and result["owner"] == new_key.address
    assert result["relayed_by"] is None and result["tx_hash"].startswith("0x")
    assert owner_of(city_run, alice.address) == new_key.address
    shown = city_run.json("citizen", "id", alice.address)
    assert shown["rotated"] is True and shown["changed_block"] > 0
    # the old key no longer controls the identity; the new one does
    old = city_run("--key", name, "citizen", "rotate-key", name)
    assert_one_line_error(old, 1, f"{alice.address} does not own identity {alice.address}")
    back = city_run("--key", new_name, "citizen", "rotate-key", name, "--identity", alice.address)
    assert back.exit_code == 0, back.stderr
    assert owner_of(city_run, alice.address) == alice.address


def test_rotate_key_by_signature_relayed_by_someone_else(city_run: CityRun, devnet: Devnet) -> None:
    # a citizen with no gas money at all: the relayer pays
    account = Account.create()
    assert city_run.home is not None
    name = f"poor-{secrets.token_hex(4)}"
    Keystore(city_run.home, kdf="pbkdf2", iterations=2).new(
        name, CITY_PASSPHRASE, private_key=account.key
    )
    new_owner = Account.create().address
    result = city_run.json(
        "--key", name, "citizen", "rotate-key", new_owner, "--relayer", "civil-staff"
    )
    assert result["relayed_by"] == city_run.platform.departments["CIVIL"].staff.address
    assert owner_of(city_run, account.address) == new_owner
    # one nonce for the signed action, one because the owner changed
    assert city_run.json("citizen", "id", account.address)["nonce"] == 2


def test_delegates_add_list_revoke(city_run: CityRun, new_citizen: NewCitizen) -> None:
    name, alice = new_citizen()
    son = Account.create().address
    added = city_run.json("--key", name, "citizen", "delegate", "add", son, "--for", "30d")
    assert added["delegate"] == son and added["type"] == "agent" and added["validity"] == 30 * DAY
    assert (
        registry(city_run)
        .functions.validDelegate(alice.address, bytes.fromhex(_agent()[2:]), son)
        .call()
    )
    listed = city_run.json("citizen", "delegate", "list", alice.address)
    assert len(listed) == 1 and listed[0]["delegate"] == son and listed[0]["valid"] is True
    assert set(listed[0]) == {
        "delegate", "type", "valid_to", "valid_until", "valid", "epoch", "previous_key",
    }  # fmt: skip
    assert city_run.json("citizen", "delegate", "check", alice.address, son)["valid"] is True

    city_run.json("--key", name, "citizen", "delegate", "revoke", son)
    assert (
        not registry(city_run)
        .functions.validDelegate(alice.address, bytes.fromhex(_agent()[2:]), son)
        .call()
    )
    assert city_run.json("--key", name, "citizen", "delegate", "list")[0]["valid"] is False
    again = city_run("--key", name, "citizen", "delegate", "revoke", Account.create().address)
    assert_one_line_error(again, 1, "is not a agent delegate")


def _agent() -> str:
    from govchain.identity.citizens import DELEGATE_AGENT

    return "0x" + DELEGATE_AGENT.hex()


def test_guardians_and_a_full_recovery(
    city_run: CityRun, new_citizen: NewCitizen, devnet: Devnet
) -> None:
    name, alice = new_citizen()
    guardians = ["hrss-staff", "psb-staff", "civil-staff"]
    city_run.json(
        "--key", name, "citizen", "guardians", "set", *guardians, "--threshold", "2",
        "--delay", "1d",
    )  # fmt: skip
    shown = city_run.json("citizen", "guardians", "show", alice.address)
    staff = [city_run.platform.departments[c].staff.address for c in ("HRSS", "PSB", "CIVIL")]
    assert shown["guardians"] == staff and shown["threshold"] == 2 and shown["delay"] == DAY

    new_owner = Account.create().address
    started = city_run.json("--key", "hrss-staff", "citizen", "recover", "start", alice.address,
                            new_owner)  # fmt: skip
    assert started["approvals"] == 1 and started["queued"] is False
    again = city_run("--key", "psb-staff", "citizen", "recover", "start", alice.address, new_owner)
    assert_one_line_error(again, 1, "under way already")
    supported = city_run.json(
        "--key", "psb-staff", "citizen", "recover", "support", alice.address, new_owner
    )
    assert supported["approvals"] == 2 and supported["queued"] is True
    assert set(supported["supporters"]) == set(staff[:2])

    early = city_run("--key", "civil-staff", "citizen", "recover", "execute", alice.address,
                     new_owner)  # fmt: skip
    assert_one_line_error(early, 1, "time-locked until")
    rpc(devnet.url, "evm_increaseTime", [DAY + 1])
    rpc(devnet.url, "evm_mine", [])
    done = city_run.json(
        "--key", "civil-staff", "citizen", "recover", "execute", alice.address, new_owner
    )
    assert done["executed"] is True
    assert owner_of(city_run, alice.address) == new_owner


def test_the_owner_cancels_a_recovery(city_run: CityRun, new_citizen: NewCitizen) -> None:
    name, alice = new_citizen()
    city_run.json("--key", name, "citizen", "guardians", "set", "hrss-staff", "psb-staff",
                  "--threshold", "2")  # fmt: skip
    thief = Account.create().address
    city_run.json("--key", "hrss-staff", "citizen", "recover", "start", alice.address, thief)
    assert city_run.json("citizen", "recover", "status", alice.address, thief)["active"] is True
    city_run.json("--key", name, "citizen", "recover", "cancel")
    status = city_run.json("citizen", "recover", "status", alice.address, thief)
    assert status["active"] is False and status["approvals"] == 0
    late = city_run("--key", "psb-staff", "citizen", "recover", "support", alice.address, thief)
    assert_one_line_error(late, 1, "was started")


def test_guardian_rules_are_checked_before_sending(
    city_run: CityRun, new_citizen: NewCitizen
) -> None:
    name, _ = new_citizen()
    one = city_run("--key", name, "citizen", "guardians", "set", "hrss-staff", "--threshold", "1")
    assert_one_line_error(one, 2, "threshold")
    same_dept = city_run(
        "--key", name, "citizen", "guardians", "set", "hrss-staff", "hrss-admin", "--threshold", "2"
    )
    assert_one_line_error(same_dept, 1, "two guardians belong to department")
    short = city_run("--key", name, "citizen", "guardians", "set", "hrss-staff", "psb-staff",
                     "--threshold", "2", "--delay", "1h")  # fmt: skip
    assert_one_line_error(short, 2, "at least one day")
    stranger = city_run("--key", "bdb-staff", "citizen", "recover", "start",
                        Account.create().address, Account.create().address)  # fmt: skip
    assert_one_line_error(stranger, 1, "is not a guardian of")


def test_bad_input(city_run: CityRun, new_citizen: NewCitizen) -> None:
    name, _ = new_citizen()
    assert_one_line_error(city_run("citizen", "id", "0xabc"), 2, "0xabc")
    assert_one_line_error(city_run("--key", name, "citizen", "rotate-key", "0x12"), 2, "0x12")
    assert_one_line_error(city_run("--key", "nobody", "citizen", "rotate-key", name), 2, "nobody")
    bad_for = city_run("--key", name, "citizen", "delegate", "add", name, "--for", "forever")
    assert_one_line_error(bad_for, 2, "duration")
    assert_one_line_error(city_run("citizen", "id"), 2, "--key")


def test_devnet_not_running(offline: Run) -> None:
    assert_one_line_error(offline("citizen", "id", Account.create().address), 1, "network")
    assert_one_line_error(offline("citizen", "guardians", "show", Account.create().address), 1)


def test_after_a_rotation_the_new_key_sweeps_what_the_old_key_installed(
    city_run: CityRun, new_citizen: NewCitizen, sharing_city: SharingCity
) -> None:
    """M-3 from the command line: the previous key's agent and consents stop working; the new
    owner lists them, revokes every consent of the old key at once, and confirms an agent."""
    name, alice = new_citizen()
    agent_name, agent = new_citizen()
    city_run.json("--key", name, "citizen", "delegate", "add", agent_name, "--for", "100d")
    client = sharing_city.grants(agent)
    now = client.now()
    terms = GrantTerms(
        alice.address, "CIVIL", "HRSS", ("HRSS.PENSION",), purpose_hash("subsidy case"),
        LegalBasis.CONSENT, now, now + 30 * DAY, 0, 1,
    )  # fmt: skip
    client.give(terms)
    new_name, new_key = new_citizen()
    rotated = city_run("--key", name, "citizen", "rotate-key", new_name)
    assert "stop working until you confirm them" in rotated.stdout, rotated.stderr
    assert city_run.json("citizen", "id", alice.address)["owner_epoch"] == 1
    [previous] = city_run.json("citizen", "previous-grants", alice.address)
    assert previous["grant_id"] == "0x" + terms.grant_id.hex()
    assert previous["status"] == "PREVIOUS_KEY"
    [listed] = city_run.json("citizen", "delegate", "list", alice.address)
    assert listed["previous_key"] is True and listed["valid"] is False
    refused = city_run("--key", agent_name, "citizen", "confirm-consent", previous["grant_id"])
    assert_one_line_error(refused, 1, "is not the current owner key")
    swept = city_run.json(
        "--key", new_name, "citizen", "revoke-previous-grants", "--identity", alice.address
    )
    assert swept["revoked"] == [previous["grant_id"]]
    assert city_run.json("citizen", "previous-grants", alice.address) == []
    city_run.json(
        "--key", new_name, "citizen", "delegate", "confirm", agent_name, "--identity", alice.address
    )
    assert city_run.json("citizen", "delegate", "check", alice.address, agent_name)["valid"]
    used = city_run.json("--key", new_name, "citizen", "use-nonce", "--identity", alice.address)
    assert used["identity"] == alice.address
    assert city_run.json("citizen", "id", alice.address)["nonce"] == 2
    assert city_run.json("citizen", "change", "show", alice.address) is None
    assert new_key.address == owner_of(city_run, alice.address)


def test_with_guardians_a_rotation_waits_and_a_guardian_cancels_it(
    city_run: CityRun, new_citizen: NewCitizen, devnet: Devnet
) -> None:
    name, alice = new_citizen()
    city_run.json("--key", name, "citizen", "guardians", "set", "hrss-staff", "psb-staff",
                  "--threshold", "2", "--delay", "1d")  # fmt: skip
    thief = Account.create().address
    queued = city_run.json("--key", name, "citizen", "rotate-key", thief)
    assert queued["queued"]["new_owner"] == thief
    assert owner_of(city_run, alice.address) == alice.address
    early = city_run("--key", "civil-staff", "citizen", "change", "execute", alice.address)
    assert_one_line_error(early, 1, "time-locked until")
    shown = city_run.json("citizen", "change", "show", alice.address)
    assert shown["kind"] == "owner" and shown["new_owner"] == thief
    city_run.json("--key", "psb-staff", "citizen", "change", "cancel", "--identity", alice.address)
    assert city_run.json("citizen", "change", "show", alice.address) is None
    # the owner's own change goes through after the time lock
    new_name, new_key = new_citizen()
    city_run.json("--key", name, "citizen", "rotate-key", new_name)
    rpc(devnet.url, "evm_increaseTime", [DAY + 1])
    rpc(devnet.url, "evm_mine", [])
    done = city_run.json("--key", "civil-staff", "citizen", "change", "execute", alice.address)
    assert done["executed"]["new_owner"] == new_key.address
    assert owner_of(city_run, alice.address) == new_key.address


def test_attributes_set_and_revoke_by_the_owner_key(
    city_run: CityRun, new_citizen: NewCitizen
) -> None:
    """`citizen attribute set/revoke` (ERC-1056 DIDAttributeChanged); a key that does not own
    the identity, malformed input and `--out` without `--as-safe` are refused in one line."""
    name, alice = new_citizen()
    attr, value = "did/pub/Secp256k1/veriKey/hex", "0x02" + "11" * 32
    done = city_run.json("--key", name, "citizen", "attribute", "set", attr, value, "--for", "365d")
    assert done["identity"] == alice.address and done["relayed_by"] is None
    city_run.json("--key", name, "citizen", "attribute", "revoke", attr, value)
    logs = (
        registry(city_run)
        .events.DIDAttributeChanged()
        .get_logs(from_block=0, argument_filters={"identity": alice.address})
    )
    assert [bytes(e["args"]["name"]).rstrip(b"\0").decode() for e in logs] == [attr, attr]
    assert logs[0]["args"]["validTo"] > 0 and logs[1]["args"]["validTo"] == 0
    assert bytes(logs[0]["args"]["value"]) == bytes.fromhex(value[2:])

    other, _ = new_citizen()
    not_owner = city_run("--key", other, "citizen", "attribute", "set", "did/svc/X", "x",
                         "--for", "1d", "--identity", alice.address)  # fmt: skip
    assert_one_line_error(not_owner, 1, "does not own identity")
    not_hex = city_run("--key", name, "citizen", "attribute", "set", "did/svc/X", "0xzz",
                       "--for", "1d")  # fmt: skip
    assert_one_line_error(not_hex, 2, "not hex")
    out = city_run("--key", name, "citizen", "recover", "cancel", "--out", "part.json")
    assert_one_line_error(out, 2, "--out goes with --as-safe")
