"""A Safe-owned citizen identity (2-of-3) from the CLI beyond delegate additions and key
rotation: revoking a delegate, setting and revoking an attribute, setting guardians and
cancelling recoveries, each signed by two owners and relayed by the department's staff
(``--as-safe`` / ``--signature``: revokeDelegateSigned, setAttributeSigned,
revokeAttributeSigned, setGuardiansSigned, cancelRecoverySigned). The second owner signs from
the first owner's part file ('safe sign-like'), not by retyping its terms; a part file of another
chain or registry, with a passed deadline or an outdated nonce, or signed by a stranger, is
refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account
from web3.logs import DISCARD

from govchain.keystore import Keystore
from govchain.safe import SafeWallet, approved_hash_signature
from govchain.toolchain.devnet import Devnet
from tests.cli.conftest import CityRun, assert_one_line_error, fund
from tests.safe.test_safe_citizen import safe_identity  # noqa: F401 (fixture)
from tests.safe.test_safe_cli import safe_and_owners  # noqa: F401 (fixture)


def two_parts(city_run: CityRun, tmp_path: Path, name: str, *command: str) -> list[str]:
    """Owner 1 signs ``command --as-safe --out FILE``; owner 3 signs like FILE. Their tokens."""
    first = tmp_path / f"{name}.json"
    one = city_run.json("--key", "safe-owner1", *command, "--out", str(first))
    assert json.loads(first.read_text())["token"] == one["token"]
    like = city_run("--key", "safe-owner3", "--json", "safe", "sign-like", str(first), "--yes")
    assert like.exit_code == 0, like.stderr
    assert like.stderr.startswith(f"signed like {first}: ")
    third = json.loads(like.stdout)
    assert Path(third["file"]).exists()
    return [one["token"], third["token"]]


def test_sign_like_shows_the_message_and_signs_nothing_unconfirmed(
    city_run: CityRun,
    tmp_path: Path,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
) -> None:
    """Review s25 L-3: the next owner sees what the file asks before anything is signed;
    without --yes and without a terminal to confirm at, nothing is signed or written."""
    identity, safe = safe_identity
    first = tmp_path / "ask.json"
    city_run.json("--key", "safe-owner1", "citizen", "attribute", "set", "did/svc/Hub",
                  "https://hub.example", "--for", "30d", "--identity", identity,
                  "--as-safe", safe.address, "--out", str(first))  # fmt: skip
    target = tmp_path / "owner3.json"
    for command in ("sign-like", "approve-hash"):
        asked = city_run("--key", "safe-owner3", "safe", command, str(first), "-o", str(target))
        assert asked.exit_code == 1 and "Traceback" not in asked.stderr + asked.stdout
        shown, refusal = asked.stderr.strip().splitlines()
        assert shown.startswith(f"{first} asks ") and "did/svc/Hub" in shown
        assert refusal.startswith("error: refused: nothing signed")
        assert not target.exists()


def relayed(city_run: CityRun, tokens: list[str], *command: str) -> Any:
    flags = [x for t in tokens for x in ("--signature", t)]
    return city_run.json("--key", "hrss-staff", *command, *flags)


def test_safe_owners_revoke_a_delegate(
    city_run: CityRun,
    tmp_path: Path,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
) -> None:
    identity, safe = safe_identity
    agent = Account.create().address
    add = ("citizen", "delegate", "sign", agent, "--for", "30d", "--identity", identity,
           "--as-safe", safe.address)  # fmt: skip
    tokens = two_parts(city_run, tmp_path, "add", *add)
    relayed(city_run, tokens, "citizen", "delegate", "add", agent, "--for", "30d",
            "--identity", identity)  # fmt: skip
    assert city_run.json("citizen", "delegate", "check", identity, agent)["valid"] is True

    revoke = ("citizen", "delegate", "revoke", agent, "--identity", identity)
    tokens = two_parts(city_run, tmp_path, "revoke", *revoke, "--as-safe", safe.address)
    one = city_run("--key", "hrss-staff", *revoke, "--signature", tokens[0])
    assert_one_line_error(one, 2, f"Safe {safe.address} needs 2 owners' signatures")
    done = relayed(city_run, tokens, *revoke)
    assert done["identity"] == identity and done["relayed_by"] is not None
    assert city_run.json("citizen", "delegate", "check", identity, agent)["valid"] is False
    both = city_run("--key", "hrss-staff", *revoke, "--as-safe", safe.address,
                    "--signature", tokens[0])  # fmt: skip
    assert_one_line_error(both, 2, "give --as-safe (sign a part) or --signature")


def test_safe_owners_set_and_revoke_an_attribute(
    city_run: CityRun,
    tmp_path: Path,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
) -> None:
    identity, safe = safe_identity
    name, value = "did/svc/HubService", "https://hub.example.org/"
    set_ = ("citizen", "attribute", "set", name, value, "--for", "365d", "--identity", identity)
    tokens = two_parts(city_run, tmp_path, "set", *set_, "--as-safe", safe.address)
    done = relayed(city_run, tokens, *set_)
    assert done["value"] == "0x" + value.encode().hex()
    revoke = ("citizen", "attribute", "revoke", name, value, "--identity", identity)
    tokens = two_parts(city_run, tmp_path, "revoke", *revoke, "--as-safe", safe.address)
    relayed(city_run, tokens, *revoke)
    registry = city_run.platform.connection.contract("CitizenRegistry")
    changes = registry.events.DIDAttributeChanged().get_logs(
        from_block=0, argument_filters={"identity": identity}
    )
    assert [bytes(c["args"]["value"]) for c in changes] == [value.encode()] * 2
    assert changes[0]["args"]["validTo"] > 0 and changes[1]["args"]["validTo"] == 0
    long_name = city_run("--key", "safe-owner1", "citizen", "attribute", "set", "x" * 33, value,
                         "--for", "1d", "--identity", identity, "--as-safe", safe.address)  # fmt: skip
    assert_one_line_error(long_name, 2, "expected 1 to 32 bytes of text")


def test_safe_owners_set_guardians_and_cancel_recoveries(
    city_run: CityRun,
    tmp_path: Path,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
) -> None:
    identity, safe = safe_identity
    guardians = ["hrss-staff", "civil-staff"]
    set_ = ("citizen", "guardians", "set", *guardians, "--threshold", "2", "--delay", "2d",
            "--identity", identity)  # fmt: skip
    tokens = two_parts(city_run, tmp_path, "guardians", *set_, "--as-safe", safe.address)
    relayed(city_run, tokens, *set_)
    shown = city_run.json("citizen", "guardians", "show", identity)
    assert shown["threshold"] == 2 and len(shown["guardians"]) == 2
    bad = city_run("--key", "safe-owner1", "citizen", "guardians", "set", "hrss-staff",
                   "--threshold", "2", "--identity", identity, "--as-safe", safe.address)  # fmt: skip
    assert_one_line_error(bad, 2, "expected 2 to 1")

    candidate = Account.create().address
    city_run.json("--key", "hrss-staff", "citizen", "recover", "start", identity, candidate)
    assert city_run.json("citizen", "recover", "status", identity, candidate)["active"] is True
    cancel = ("citizen", "recover", "cancel", "--identity", identity)
    tokens = two_parts(city_run, tmp_path, "cancel", *cancel, "--as-safe", safe.address)
    done = relayed(city_run, tokens, *cancel)
    assert done["cancelled"] is True
    assert city_run.json("citizen", "recover", "status", identity, candidate)["active"] is False
    receipt = city_run.platform.connection.w3.eth.get_transaction_receipt(done["tx_hash"])
    registry = city_run.platform.connection.contract("CitizenRegistry")
    assert registry.events.RecoveryCancelled().process_receipt(receipt, errors=DISCARD)


def test_a_part_file_of_another_chain_registry_deadline_or_nonce_is_refused(
    city_run: CityRun,
    tmp_path: Path,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
) -> None:
    identity, safe = safe_identity
    first = tmp_path / "first.json"
    city_run.json("--key", "safe-owner1", "citizen", "recover", "cancel", "--identity", identity,
                  "--as-safe", safe.address, "--out", str(first))  # fmt: skip
    data = json.loads(first.read_text())
    now = int(city_run.platform.connection.w3.eth.get_block("latest")["timestamp"])
    edits = {
        "chain": ({"chain_id": data["chain_id"] + 1}, "the part file is for chain"),
        "registry": ({"contract": safe.address}, "the part file is for registry"),
        "deadline": ({"deadline": now - 1}, "deadline"),
        "format": ({"format": "something/1"}, "expected a citizen part"),
        "signer": ({"signer": Account.create().address}, "is not a Safe"),
    }
    for name, (edit, expected) in edits.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({**data, **edit}))
        result = city_run("--key", "safe-owner3", "safe", "sign-like", str(path), "--yes")
        assert_one_line_error(result, 1 if name != "format" else 2, expected)
    stranger = city_run("--key", "safe-stranger", "safe", "sign-like", str(first), "--yes")
    assert_one_line_error(stranger, 1, f"is not an owner of Safe {safe.address}")
    # the identity's nonce moves on (another signed action is relayed): the file is outdated
    agent = Account.create().address
    tokens = two_parts(city_run, tmp_path, "add", "citizen", "delegate", "sign", agent, "--for",
                       "1d", "--identity", identity, "--as-safe", safe.address)  # fmt: skip
    relayed(city_run, tokens, "citizen", "delegate", "add", agent, "--for", "1d",
            "--identity", identity)  # fmt: skip
    outdated = city_run("--key", "safe-owner3", "safe", "sign-like", str(first), "--yes")
    assert_one_line_error(outdated, 1, f"the part file was made at nonce {data['nonce']}")


def test_an_owner_approves_the_message_on_chain_instead_of_signing(
    city_run: CityRun,
    tmp_path: Path,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
    devnet: Devnet,
) -> None:
    """'safe approve-hash FILE': owner 2 approves the SafeMessage hash with the Safe's
    approveHash (v 1 part); the relay checks the approval on chain: an owner's v 1 part without
    it is refused in one line before sending."""
    identity, safe = safe_identity
    first = tmp_path / "first.json"
    cancel = ("citizen", "recover", "cancel", "--identity", identity)
    one = city_run.json("--key", "safe-owner1", *cancel, "--as-safe", safe.address,
                        "--out", str(first))  # fmt: skip
    data = json.loads(first.read_text())
    keys = Keystore(city_run.home, kdf="pbkdf2", iterations=2)
    owner2, owner3 = (keys.show(f"safe-owner{i}").address for i in (2, 3))
    unapproved = (
        f"{safe.address}:{owner3}:{data['deadline']}:0x{approved_hash_signature(owner3).hex()}"
    )
    refused = city_run("--key", "hrss-staff", *cancel, "--signature", one["token"],
                       "--signature", unapproved)  # fmt: skip
    assert_one_line_error(refused, 2, f"{owner3} has not approved Safe {safe.address}'s message")
    fund(devnet, owner2)
    approved = city_run.json("--key", "safe-owner2", "safe", "approve-hash", str(first), "--yes")
    assert approved["token"].endswith(approved_hash_signature(owner2).hex())
    assert safe.approved(owner2, bytes.fromhex(data["digest"][2:]))
    done = relayed(city_run, [one["token"], approved["token"]], *cancel)
    assert done["cancelled"] is True


def test_safe_show(city_run: CityRun, safe_identity: tuple[str, SafeWallet]) -> None:  # noqa: F811
    _, safe = safe_identity
    shown = city_run.json("safe", "show", safe.address)
    assert shown["threshold"] == 2 and set(shown["owners"]) == set(safe.owners())
    assert shown["version"] == safe.version()
    not_a_safe = city_run("safe", "show", Account.create().address)
    assert_one_line_error(not_a_safe, 2, "is not a Safe")
