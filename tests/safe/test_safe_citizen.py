"""A citizen identity owned by the official Safe (1.4.1, 1.5.0) (2-of-3) used from the CLI: the identity's
key is rotated to the Safe, then two owners each run 'citizen delegate sign --as-safe' and the
department's staff relays both parts ('citizen delegate add --signature'), joined into the Safe's
one ERC-1271 signature of the registry's AddDelegate; fewer parts than the threshold, a stranger,
and a part of other terms are refused in one line before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.keystore import Keystore
from govchain.safe import SafeWallet
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, assert_one_line_error
from tests.safe.test_safe_cli import safe_and_owners  # noqa: F401 (fixture)


@pytest.fixture
def safe_identity(
    city_run: CityRun,
    safe_and_owners: tuple[SafeWallet, list[LocalAccount]],  # noqa: F811
) -> tuple[str, SafeWallet]:
    """A citizen's identity whose key was rotated to the Safe (signed by the citizen, relayed
    by HRSS staff: the citizen's key holds no gas)."""
    safe, _ = safe_and_owners
    citizen = Account.create()
    keystore = Keystore(city_run.home, kdf="pbkdf2", iterations=2)
    if keystore.exists("safe-citizen"):
        keystore.path("safe-citizen").unlink()
    keystore.new("safe-citizen", CITY_PASSPHRASE, private_key=citizen.key)
    city_run.json("--key", "safe-citizen", "citizen", "rotate-key", safe.address,
                  "--relayer", "hrss-staff")  # fmt: skip
    assert city_run.json("citizen", "id", citizen.address)["owner"] == safe.address
    return citizen.address, safe


def sign(city_run: CityRun, key: str, identity: str, agent: str, safe: str, *extra: str) -> Any:
    return city_run("--key", key, "citizen", "delegate", "sign", agent, "--for", "30d",
                    "--identity", identity, "--as-safe", safe, *extra)  # fmt: skip


def test_safe_owned_identity_adds_a_delegate_with_two_of_three_owners(
    city_run: CityRun, safe_identity: tuple[str, SafeWallet]
) -> None:
    identity, safe = safe_identity
    agent = Account.create().address
    first = city_run.json("--key", "safe-owner1", "citizen", "delegate", "sign", agent,
                          "--for", "30d", "--identity", identity, "--as-safe", safe.address)  # fmt: skip
    deadline = str(first["deadline"])
    third = city_run.json("--key", "safe-owner3", "citizen", "delegate", "sign", agent,
                          "--for", "30d", "--identity", identity, "--as-safe", safe.address,
                          "--deadline", deadline)  # fmt: skip
    tokens = [first["token"], third["token"]]
    assert all(t.startswith(f"{safe.address}:") and t.count(":") == 3 for t in tokens)

    def relay(*chosen: str) -> Any:
        flags = [x for t in chosen for x in ("--signature", t)]
        return city_run("--key", "hrss-staff", "citizen", "delegate", "add", agent,
                        "--for", "30d", "--identity", identity, *flags)  # fmt: skip

    assert_one_line_error(relay(tokens[0]), 2, f"Safe {safe.address} needs 2 owners' signatures")
    other_terms = city_run.json("--key", "safe-owner2", "citizen", "delegate", "sign", agent,
                                "--for", "7d", "--identity", identity, "--as-safe", safe.address,
                                "--deadline", deadline)["token"]  # fmt: skip
    assert_one_line_error(relay(tokens[0], other_terms), 2, "is not its signature of Safe")
    done = city_run.json("--key", "hrss-staff", "citizen", "delegate", "add", agent,
                         "--for", "30d", "--identity", identity,
                         "--signature", tokens[0], "--signature", tokens[1])  # fmt: skip
    assert done["identity"] == identity and done["delegate"] == agent
    checked = city_run.json("citizen", "delegate", "check", identity, agent)
    assert checked["valid"] is True
    # the nonce moved on: the same parts cannot be relayed twice
    assert_one_line_error(relay(*tokens), 2, "is not its signature of Safe")


def test_a_stranger_or_the_rotated_key_cannot_sign_for_the_safe_identity(
    city_run: CityRun, safe_identity: tuple[str, SafeWallet]
) -> None:
    identity, safe = safe_identity
    agent = Account.create().address
    stranger = sign(city_run, "safe-stranger", identity, agent, safe.address)
    assert_one_line_error(stranger, 1, f"is not an owner of Safe {safe.address}")
    old_key = city_run("--key", "safe-citizen", "citizen", "delegate", "sign", agent,
                       "--for", "30d", "--identity", identity)  # fmt: skip
    assert_one_line_error(old_key, 1, f"does not own identity {identity}")
    bad = city_run("--key", "hrss-staff", "citizen", "delegate", "add", agent, "--for", "30d",
                   "--identity", identity, "--signature", "0x12")  # fmt: skip
    assert_one_line_error(bad, 2, "expected SIGNER:DEADLINE:0xSIG")


def test_the_safe_owners_rotate_the_identity_to_a_new_key(
    city_run: CityRun, safe_identity: tuple[str, SafeWallet]
) -> None:
    """'citizen rotate-key --as-safe' by two owners, relayed with '--signature' by HRSS staff
    (changeOwnerSigned through the Safe's ERC-1271): the identity leaves the Safe."""
    identity, safe = safe_identity
    new_key = Account.create().address
    first = city_run.json("--key", "safe-owner2", "citizen", "rotate-key", new_key,
                          "--identity", identity, "--as-safe", safe.address)  # fmt: skip
    second = city_run.json("--key", "safe-owner3", "citizen", "rotate-key", new_key,
                           "--identity", identity, "--as-safe", safe.address,
                           "--deadline", str(first["deadline"]))  # fmt: skip
    assert city_run.json("citizen", "id", identity)["owner"] == safe.address  # nothing sent
    one = city_run("--key", "hrss-staff", "citizen", "rotate-key", new_key, "--identity", identity,
                   "--signature", first["token"])  # fmt: skip
    assert_one_line_error(one, 2, f"Safe {safe.address} needs 2 owners' signatures")
    both = city_run("--key", "hrss-staff", "citizen", "rotate-key", new_key, "--relayer",
                    "hrss-staff", "--signature", first["token"])  # fmt: skip
    assert_one_line_error(both, 2, "give one of --relayer, --as-safe or --signature")
    done = city_run.json("--key", "hrss-staff", "citizen", "rotate-key", new_key,
                         "--identity", identity, "--signature", first["token"],
                         "--signature", second["token"])  # fmt: skip
    assert done["owner"] == new_key and done["identity"] == identity
    assert city_run.json("citizen", "id", identity)["owner"] == new_key
