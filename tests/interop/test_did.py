"""did:ethr documents of citizen identities: the method's resolution rules, checked against the
stock resolver from npm (ethr-did-resolver 11.1.3) reading the same devnet, and `citizen did`."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.identity.citizens import DELEGATE_AGENT
from govchain.interop.did import Change, build_document, did_of, resolve
from govchain.network import Connection
from govchain.toolchain.devnet import rpc
from govchain.toolchain.paths import PROJECT_ROOT
from govchain.tx import Sender
from tests.cli.conftest import CityRun, assert_one_line_error

DAY = 24 * 3600
SCRIPT = PROJECT_ROOT / "tests" / "interop" / "stock_resolver.cjs"


def b32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def citizen(city_run: CityRun) -> LocalAccount:
    account: LocalAccount = Account.create()
    assert city_run.rpc is not None
    rpc(city_run.rpc, "anvil_setBalance", [account.address, hex(10**21)])
    return account


def connection(city_run: CityRun) -> Connection:
    return city_run.platform.connection


def send(city_run: CityRun, signer: LocalAccount, call: Any) -> None:
    conn = connection(city_run)
    Sender(conn.w3, signer, conn.decoder()).transact(call)


def registry(city_run: CityRun) -> Any:
    return connection(city_run).contract("CitizenRegistry")


def stock(city_run: CityRun, did: str) -> dict[str, Any]:
    if (
        shutil.which("node") is None
        or not (PROJECT_ROOT / "node_modules/ethr-did-resolver").is_dir()
    ):
        pytest.skip(
            "the stock resolver needs node and 'npm ci' (ethr-did-resolver in package.json)"
        )
    out = subprocess.run(
        ["node", str(SCRIPT), str(city_run.rpc), registry(city_run).address, did],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def ours(city_run: CityRun, did: str, strict: bool = False) -> dict[str, Any]:
    return resolve(connection(city_run), did, now=int(time.time()), strict=strict)


def test_fresh_identity_is_its_own_controller(city_run: CityRun) -> None:
    person = citizen(city_run)
    did = did_of(connection(city_run).chain_id, person.address)
    result = ours(city_run, did)
    doc = result["didDocument"]
    assert doc["verificationMethod"] == [
        {
            "id": f"{did}#controller",
            "type": "EcdsaSecp256k1RecoveryMethod2020",
            "controller": did,
            "blockchainAccountId": f"eip155:{connection(city_run).chain_id}:{person.address}",
        }
    ]
    assert doc["authentication"] == doc["assertionMethod"] == [f"{did}#controller"]
    assert result["didDocumentMetadata"] == {}
    assert result == stock(city_run, did)


def test_delegates_attributes_revocation_and_rotation_match_the_stock_resolver(
    city_run: CityRun,
) -> None:
    person, new_owner = citizen(city_run), citizen(city_run)
    signer_key, auth_key, gone = (Account.create().address for _ in range(3))
    reg = registry(city_run)
    me = person.address
    send(city_run, person, reg.functions.addDelegate(me, b32("veriKey"), signer_key, DAY))
    send(city_run, person, reg.functions.addDelegate(me, b32("sigAuth"), auth_key, DAY))
    send(city_run, person, reg.functions.addDelegate(me, b32("veriKey"), gone, DAY))
    send(city_run, person, reg.functions.revokeDelegate(me, b32("veriKey"), gone))
    # a revocation sets validTo to its block's time and the method counts a delegate valid while
    # validTo >= now: let a second pass so later blocks (and "now") are after it, however fast
    # the machine mines the next transactions
    time.sleep(1.1)
    key = bytes.fromhex("02" + "ab" * 32)
    send(
        city_run,
        person,
        reg.functions.setAttribute(me, b32("did/pub/Secp256k1/veriKey/hex"), key, DAY),
    )
    endpoint = b"https://hub.example.gov/citizen"
    send(city_run, person, reg.functions.setAttribute(me, b32("did/svc/HubService"), endpoint, DAY))
    # govchain's own agent type is a hash, not UTF-8: the method ignores it
    send(city_run, person, reg.functions.addDelegate(me, DELEGATE_AGENT, gone, DAY))
    did = did_of(connection(city_run).chain_id, me)
    chain = connection(city_run).chain_id
    result = ours(city_run, did)
    doc = result["didDocument"]
    assert [m["id"].split("#")[1] for m in doc["verificationMethod"]] == [
        "controller", "delegate-1", "delegate-2", "delegate-5",
    ]  # fmt: skip
    assert doc["verificationMethod"][1]["blockchainAccountId"] == f"eip155:{chain}:{signer_key}"
    assert doc["verificationMethod"][2]["blockchainAccountId"] == f"eip155:{chain}:{auth_key}"
    assert doc["verificationMethod"][3] == {
        "id": f"{did}#delegate-5",
        "type": "EcdsaSecp256k1VerificationKey2019",
        "controller": did,
        "publicKeyHex": key.hex(),
    }
    assert doc["authentication"] == [f"{did}#controller", f"{did}#delegate-2"]
    assert doc["assertionMethod"] == [
        f"{did}#controller", f"{did}#delegate-1", f"{did}#delegate-2", f"{did}#delegate-5",
    ]  # fmt: skip
    assert doc["service"] == [
        {"id": f"{did}#service-1", "type": "HubService", "serviceEndpoint": endpoint.decode()}
    ]
    # the latest change (the agent delegate) is not a method event: the version is the one before
    assert int(result["didDocumentMetadata"]["versionId"]) == reg.functions.changed(me).call() - 1
    assert result == stock(city_run, did)

    # rotation: the controller is the new owner, and the registry announces the end of the old
    # owner's delegates (DIDDelegateChanged, validTo = now), so the method's rules drop them as
    # the contract does (validDelegate is false under the new owner epoch)
    send(city_run, person, reg.functions.changeOwner(me, new_owner.address))
    time.sleep(1.1)  # "now" after the rotation block's time (validTo >= now counts as valid)
    rotated = ours(city_run, did)
    ctrl = rotated["didDocument"]["verificationMethod"][0]
    assert ctrl["blockchainAccountId"] == f"eip155:{chain}:{new_owner.address}"
    assert [m["id"].split("#")[1] for m in rotated["didDocument"]["verificationMethod"]] == [
        "controller", "delegate-5",
    ]  # fmt: skip
    assert rotated["didDocument"]["authentication"] == [f"{did}#controller"]
    assert rotated == stock(city_run, did)
    # strict mode has no delegate left to withhold, but withholds the key and the service the
    # previous owner set (ERC-1056 attributes live in events only: a stock resolver keeps them)
    strict = ours(city_run, did, strict=True)
    assert [m["id"] for m in strict["didDocument"]["verificationMethod"]] == [f"{did}#controller"]
    assert "service" not in strict["didDocument"]
    assert [a["id"] for a in strict["didResolutionMetadata"]["govchainWithheldAttributes"]] == [
        f"{did}#delegate-5", f"{did}#service-1",
    ]  # fmt: skip
    # confirming one makes it valid again: a new DIDDelegateChanged, read by both resolvers
    send(city_run, new_owner, reg.functions.confirmDelegate(me, b32("sigAuth"), auth_key))
    confirmed = ours(city_run, did, strict=True)
    assert "govchainWithheldDelegates" not in confirmed["didResolutionMetadata"]
    [_, auth_ref] = confirmed["didDocument"]["authentication"]
    [method] = [m for m in confirmed["didDocument"]["verificationMethod"] if m["id"] == auth_ref]
    assert method["blockchainAccountId"] == f"eip155:{chain}:{auth_key}"
    # the old owner's attributes are still withheld until the new owner sets them again
    assert len(confirmed["didResolutionMetadata"]["govchainWithheldAttributes"]) == 2
    send(
        city_run,
        new_owner,
        reg.functions.setAttribute(me, b32("did/pub/Secp256k1/veriKey/hex"), key, DAY),
    )
    send(
        city_run, new_owner, reg.functions.revokeAttribute(me, b32("did/svc/HubService"), endpoint)
    )
    time.sleep(1.1)  # the revocation's validTo is its block time, valid while validTo >= now
    settled = ours(city_run, did, strict=True)
    assert "govchainWithheldAttributes" not in settled["didResolutionMetadata"]
    assert settled == ours(city_run, did) == stock(city_run, did)


def test_expired_delegate_drops_out(city_run: CityRun) -> None:
    person = citizen(city_run)
    reg = registry(city_run)
    send(
        city_run,
        person,
        reg.functions.addDelegate(person.address, b32("veriKey"), person.address, 60),
    )
    did = did_of(connection(city_run).chain_id, person.address)
    assert len(ours(city_run, did)["didDocument"]["verificationMethod"]) == 2
    later = resolve(connection(city_run), did, now=int(time.time()) + 120, strict=False)
    assert len(later["didDocument"]["verificationMethod"]) == 1


def test_owner_zero_deactivates_by_the_method_rules() -> None:
    """CitizenRegistry refuses a zero owner (CitizenZeroAddress), so a govchain identity is never
    deactivated on chain; the rule itself, as the method states it, on a history."""
    did = did_of(31337, "0x" + "11" * 20)
    history = [
        Change("DIDDelegateChanged", 5, kind="veriKey", subject="0x" + "22" * 20, valid_to=10**12),
        Change("DIDOwnerChanged", 6, owner="0x" + "00" * 20),
        Change("DIDDelegateChanged", 7, kind="veriKey", subject="0x" + "33" * 20, valid_to=10**12),
    ]
    built = build_document(did, "0x" + "11" * 20, history, 31337, now=1)
    assert built.deactivated and built.version_block == 6
    assert built.document["verificationMethod"] == built.document["authentication"] == []


def test_citizen_did_command(city_run: CityRun) -> None:
    person = citizen(city_run)
    did = did_of(connection(city_run).chain_id, person.address)
    shown = city_run.json("citizen", "did", person.address)
    assert shown["didDocument"]["id"] == did
    text = city_run("citizen", "did", did)
    assert text.exit_code == 0 and json.loads(text.stdout)["didDocument"]["id"] == did
    assert_one_line_error(city_run("citizen", "did", "0x1234"), 2, "address")
    assert_one_line_error(city_run("citizen", "did", "did:ethr:0x1:" + person.address), 2, "chain")


def test_an_earlier_owners_encryption_key_is_withheld_and_cleaned(city_run: CityRun) -> None:
    """Review s25 M-2: a thief holding her key publishes his own encryption key; after the owner
    changes, offers and rejection texts are sealed to the current owner's key only, and
    `citizen attribute clean` ends the thief's key for stock resolvers too (a re-run is a no-op)."""
    from govchain.services.watcher import encryption_key
    from tests.cli.conftest import new_key

    victim = citizen(city_run)
    name, new_owner = new_key(city_run, "rotated")
    reg = registry(city_run)
    me = victim.address
    enc = b32("did/pub/Secp256k1/enc/hex")
    thief_pub, own_pub = b"\x02" + b"\x11" * 32, b"\x03" + b"\x22" * 32
    send(city_run, victim, reg.functions.setAttribute(me, enc, thief_pub, 365 * DAY))
    send(city_run, victim, reg.functions.changeOwner(me, new_owner))
    assert encryption_key(connection(city_run), me) is None
    city_run.json(
        "--key", name, "citizen", "attribute", "set", "did/pub/Secp256k1/enc/hex",
        "0x" + own_pub.hex(), "--for", "365d", "--identity", me,
    )  # fmt: skip
    assert encryption_key(connection(city_run), me) == own_pub
    did = did_of(connection(city_run).chain_id, me)
    listed = stock(city_run, did)["didDocument"]
    assert {m.get("publicKeyHex") for m in listed["verificationMethod"]} >= {
        thief_pub.hex(), own_pub.hex(),
    }  # fmt: skip

    done = city_run.json("--key", name, "citizen", "attribute", "clean", "--identity", me)
    assert [(r["name"], r["value"]) for r in done["revoked"]] == [
        ("did/pub/Secp256k1/enc/hex", "0x" + thief_pub.hex())
    ]
    time.sleep(1.1)  # validTo of a revocation is its block time (valid while validTo >= now)
    listed = stock(city_run, did)["didDocument"]
    assert thief_pub.hex() not in json.dumps(listed)
    assert own_pub.hex() in json.dumps(listed)
    again = city_run("--key", name, "citizen", "attribute", "clean", "--identity", me)
    assert again.exit_code == 0 and "nothing to clean" in again.stdout
