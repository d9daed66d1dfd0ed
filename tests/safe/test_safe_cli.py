"""`govchain case sign --as-safe` and `case submit` with the official Safe (1.4.1 and 1.5.0) as the APPROVER,
on the CLI's reference city: each owner writes a decision file (the Safe's SafeMessage over the
Decision naming the Safe), the submitter joins them into the Safe's signature; what the Safe
would refuse is refused in one line before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from govchain.deploy import department_code
from govchain.keystore import Keystore
from govchain.reference import ROLE_APPROVER
from govchain.safe import SafeWallet
from govchain.toolchain.safe import SafeDeployment
from govchain.tx import Sender
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, assert_one_line_error

CITIZEN = Account.create().address


@pytest.fixture
def safe_and_owners(city_run: CityRun, safe_version: str) -> tuple[SafeWallet, list[LocalAccount]]:
    """A 2-of-3 Safe; its owners' keys in the home as safe-owner1..3, and a stranger's as
    safe-stranger."""
    connection = city_run.platform.connection
    sender = Sender(connection.w3, city_run.platform.departments["DPF"].admin, connection.decoder())
    owners = [Account.create() for _ in range(3)]
    keystore = Keystore(city_run.home, kdf="pbkdf2", iterations=2)
    for name, account in [*((f"safe-owner{i + 1}", o) for i, o in enumerate(owners)),
                          ("safe-stranger", Account.create())]:  # fmt: skip
        if keystore.exists(name):
            keystore.path(name).unlink()
        keystore.new(name, CITY_PASSPHRASE, private_key=account.key)
    safe = SafeDeployment.deploy(sender, safe_version).create(
        sender, [o.address for o in owners], 2
    )
    return safe, owners


@pytest.fixture
def safe_approver(
    city_run: CityRun, safe_and_owners: tuple[SafeWallet, list[LocalAccount]]
) -> tuple[SafeWallet, list[LocalAccount]]:
    """The Safe made DPF's APPROVER; it accepted the offer by a Safe transaction."""
    safe, owners = safe_and_owners
    connection = city_run.platform.connection
    sender = Sender(connection.w3, city_run.platform.departments["DPF"].admin, connection.decoder())
    registry = connection.contract("DepartmentRegistry")
    sender.transact(registry.functions.addMember(safe.address, ROLE_APPROVER))
    accept = registry.functions.acceptMembership(department_code("DPF"))._encode_transaction_data()
    safe.execute(sender, owners[:2], registry.address, bytes.fromhex(accept[2:]))
    return safe, owners


def open_case(city_run: CityRun) -> str:
    opened = city_run.json("--key", "civil-staff", "case", "open", "--citizen", CITIZEN,
                           "--step", "DPF:1:7d", "--documents-hash", "0x" + "22" * 32)  # fmt: skip
    return str(opened["case_id"])


def sign_as_safe(city_run: CityRun, key: str, case_id: str, safe: str, out: Path) -> Any:
    return city_run("--key", key, "case", "sign", case_id, "--approve", "--as-safe", safe,
                    "-o", str(out))  # fmt: skip


def test_owners_sign_and_the_submitter_joins_them(
    city_run: CityRun, tmp_path: Path, safe_approver: tuple[SafeWallet, list[LocalAccount]]
) -> None:
    safe, owners = safe_approver
    case_id = open_case(city_run)
    files = []
    for i in (1, 3):
        out = tmp_path / f"owner{i}.json"
        result = sign_as_safe(city_run, f"safe-owner{i}", case_id, safe.address, out)
        assert result.exit_code == 0, result.stderr
        data = json.loads(out.read_text())
        assert data["format"] == "govchain.approval.decision/3"
        assert data["signer"] == safe.address and data["erc1271"] is True
        assert data["safe"]["owner"] == owners[i - 1].address
        files.append(str(out))
    below = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", files[0])
    assert_one_line_error(below, 1, f"Safe {safe.address} needs 2 owners' signatures")
    done = city_run.json("--key", "hrss-staff", "case", "submit", case_id, "0", *files)
    assert done["status"] == "approved" and done["signers"] == 1
    decided = city_run.json("case", "show", case_id)["history"]
    assert [e["signers"] for e in decided if e["event"] == "StepDecided"] == [[safe.address]]


def test_the_next_owner_signs_like_the_first_owners_decision_file(
    city_run: CityRun, tmp_path: Path, safe_approver: tuple[SafeWallet, list[LocalAccount]]
) -> None:
    """Owner 1 signs with a comment (a fresh salt) and a deadline of its own; owner 2 signs
    exactly that decision from owner 1's file ('safe sign-like'), and both files are submitted."""
    safe, owners = safe_approver
    case_id = open_case(city_run)
    first, second = tmp_path / "owner1.json", tmp_path / "owner2.json"
    signed = city_run("--key", "safe-owner1", "case", "sign", case_id, "--approve", "--as-safe",
                      safe.address, "--comment", "documents complete", "--deadline", "3d",
                      "-o", str(first))  # fmt: skip
    assert signed.exit_code == 0, signed.stderr
    like = city_run("--key", "safe-owner2", "--json", "safe", "sign-like", str(first), "--yes",
                    "-o", str(second))  # fmt: skip
    assert like.exit_code == 0, like.stderr
    assert f"approval of step 0 of case {case_id} for Safe {safe.address}" in like.stderr
    one, two = json.loads(first.read_text()), json.loads(second.read_text())
    assert two["safe"]["owner"] == owners[1].address and two["comment_salt"] == one["comment_salt"]
    assert (two["deadline"], two["comment_hash"]) == (one["deadline"], one["comment_hash"])
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**{k: v for k, v in one.items() if k != "digest"},
                                 "contract": safe.address}))  # fmt: skip
    refused = city_run("--key", "safe-owner2", "safe", "sign-like", str(other), "--yes")
    # the file's own owner signature no longer matches its (edited) contract: refused as it is read
    assert_one_line_error(refused, 2, "not this owner's signature of Safe")
    done = city_run.json("--key", "hrss-staff", "case", "submit", case_id, "0", str(first),
                         str(second))  # fmt: skip
    assert done["status"] == "approved"


def test_a_stranger_cannot_sign_as_the_safe(
    city_run: CityRun, tmp_path: Path, safe_approver: tuple[SafeWallet, list[LocalAccount]]
) -> None:
    safe, _ = safe_approver
    case_id = open_case(city_run)
    refused = sign_as_safe(city_run, "safe-stranger", case_id, safe.address, tmp_path / "x.json")
    assert_one_line_error(refused, 1, f"is not an owner of Safe {safe.address}")
    both = city_run("--key", "safe-owner1", "case", "sign", case_id, "--approve",
                    "--as-safe", safe.address, "--wallet", safe.address)  # fmt: skip
    assert_one_line_error(both, 2, "--wallet or --as-safe")


def test_malformed_owner_files_are_refused_in_one_line(
    city_run: CityRun, tmp_path: Path, safe_approver: tuple[SafeWallet, list[LocalAccount]]
) -> None:
    safe, owners = safe_approver
    case_id = open_case(city_run)
    good = tmp_path / "good.json"
    assert sign_as_safe(city_run, "safe-owner1", case_id, safe.address, good).exit_code == 0
    data = json.loads(good.read_text())
    cases = {
        "other-owner": {**data, "safe": {"owner": owners[1].address}},
        "no-owner": {**data, "safe": {}},
        "not-erc1271": {**data, "erc1271": False},
        "long-eoa": {**data, "erc1271": False, "safe": None, "signature": "0x" + "11" * 130},
    }
    expected = {
        "other-owner": "not this owner's signature of Safe",
        "no-owner": 'expected {"owner": "0x..."}',
        "not-erc1271": 'needs "erc1271": true',
        "long-eoa": "a key signs 65 bytes",
    }
    for name, body in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({k: v for k, v in body.items() if v is not None}))
        result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(path))
        assert_one_line_error(result, 2, expected[name])


def test_a_safe_council_member_approves_with_its_owners_parts(
    city_run: CityRun, safe_and_owners: tuple[SafeWallet, list[LocalAccount]]
) -> None:
    """The council makes a 2-of-3 Safe DPF's ADMIN and a council member; on the next proposal
    two owners each run 'council sign --as-safe' and anyone submits both parts, joined into the
    Safe's one ERC-1271 approval; one part alone is refused in one line before sending."""
    safe, _ = safe_and_owners
    connection = city_run.platform.connection
    made = city_run.json("--key", "bdb-admin", "council", "propose", "replace-admin", "DPF",
                         "--new", safe.address)  # fmt: skip
    city_run.json("--key", "psb-admin", "council", "approve", made["id"])
    city_run.json("--key", "psb-admin", "council", "execute", made["id"])
    council = connection.contract("Council")
    bdb = city_run.platform.departments["BDB"].admin
    psb = city_run.platform.departments["PSB"].admin
    expiry = int(connection.w3.eth.get_block("latest")["timestamp"]) + 86_400
    add = council.functions.addMember(safe.address)._encode_transaction_data()
    receipt = Sender(connection.w3, bdb, connection.decoder()).transact(
        council.functions.propose(council.address, add, expiry)
    )
    pid = council.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["id"]
    Sender(connection.w3, psb, connection.decoder()).transact(council.functions.approve(pid))
    Sender(connection.w3, psb, connection.decoder()).transact(council.functions.execute(pid))
    assert council.functions.hasSeat(safe.address).call()

    suspend = city_run.json("--key", "bdb-admin", "council", "propose", "suspend", "HOUSING")
    tokens = [
        city_run.json(
            "--key", f"safe-owner{i}", "council", "sign", suspend["id"], "--as-safe", safe.address
        )["token"]
        for i in (1, 2)
    ]
    assert all(t.startswith(f"{safe.address}:") and t.count(":") == 2 for t in tokens)
    stranger = city_run("--key", "safe-stranger", "council", "sign", suspend["id"],
                        "--as-safe", safe.address)  # fmt: skip
    assert_one_line_error(stranger, 1, f"is not an owner of Safe {safe.address}")
    one = city_run("--key", "hrss-staff", "council", "approve", suspend["id"],
                   "--signature", tokens[0])  # fmt: skip
    assert_one_line_error(one, 1, f"Safe {safe.address} needs 2 owners' signatures")
    both = city_run.json("--key", "hrss-staff", "council", "approve", suspend["id"],
                         "--signature", tokens[0], "--signature", tokens[1])  # fmt: skip
    assert both["approvers"] == [safe.address]
    city_run.json("--key", "hrss-staff", "council", "execute", suspend["id"])
    registry = connection.contract("DepartmentRegistry")
    assert registry.functions.departmentStatus(department_code("HOUSING")).call() == 3  # Suspended
