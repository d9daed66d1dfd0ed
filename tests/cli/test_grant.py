"""`govchain grant give|sign|submit|revoke|list|show`: grants from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.audit.privacy import scan_chain
from govchain.sharing.purposes import PurposeBook, legacy_purpose_hash, purpose_commitment
from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.sharing_fixtures import (  # noqa: F401
    SharingCity,
    advance,
    sharing_city_fixture,
    srun_fixture,
)

TERMS = ("--grantee", "CIVIL", "--owner", "HRSS", "--purpose", "subsidy case")
GRANT_KEYS = {
    "grant_id", "subject", "grantee", "owner", "categories", "purpose_hash", "basis",
    "valid_from", "valid_until", "max_uses", "nonce", "valid_from_time", "valid_until_time",
    "grantor", "status", "uses", "block", "tx_hash", "revoked_by",
}  # fmt: skip


def _state(city: SharingCity, grant_id: str) -> tuple[str, int, int, int]:
    contract = city.city.connection.contract("AccessGrants")
    grantor, status, basis, uses, _epoch = contract.functions.grantState(
        bytes.fromhex(grant_id[2:])
    ).call()
    return grantor, status, basis, uses


def test_give_as_the_citizen(srun: CityRun, sharing_city: SharingCity) -> None:
    result = srun(
        "--key", "citizen", "grant", "give", *TERMS, "--category", "HRSS.PENSION",
        "--until", "30d",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    grant_id = result.stdout.split()[1]
    assert result.stdout.startswith(f"grant {grant_id} given (CONSENT) in block ")
    assert _state(sharing_city, grant_id) == (sharing_city.citizen.address, 1, 0, 0)
    data = srun.json(
        "--key", "citizen", "grant", "give", *TERMS, "--category", "HRSS", "--category",
        "HRSS.MEDICAL", "--from", "now", "--until", "2099-12-31", "--max-uses", "3",
        "--nonce", "7",
    )  # fmt: skip
    assert set(data) == {"grant_id", "tx_hash", "block", "terms"}
    assert data["terms"] == {
        "subject": sharing_city.citizen.address,
        "grantee": "CIVIL",
        "owner": "HRSS",
        "categories": ["HRSS", "HRSS.MEDICAL"],
        "purpose_hash": data["terms"]["purpose_hash"],
        "basis": "CONSENT",
        "valid_from": data["terms"]["valid_from"],
        "valid_until": 4102358400,
        "max_uses": 3,
        "nonce": "7",
    }
    assert _state(sharing_city, data["grant_id"])[1] == 1


def test_statutory_grants_come_from_an_approver_of_the_owner(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    citizen = sharing_city.citizen.address
    terms = (*TERMS, "--category", "HRSS.PENSION", "--until", "90d", "--subject", citizen)
    data = srun.json("--key", "hrss-approver1", "grant", "give", "--statutory", *terms)
    approver = sharing_city.city.departments["HRSS"].approvers[0].address
    assert _state(sharing_city, data["grant_id"]) == (approver, 1, 1, 0)
    assert data["terms"]["basis"] == "STATUTORY_DUTY"
    staff = srun("--key", "civil-staff", "grant", "give", "--statutory", *terms)
    assert_one_line_error(staff, 1, "is not an active APPROVER of HRSS")
    no_subject = srun("--key", "hrss-approver1", "grant", "give", "--statutory", *terms[:-2])
    assert_one_line_error(no_subject, 2, "--subject")


def test_a_signed_consent_is_relayed_by_the_grantee_and_costs_the_citizen_nothing(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    w3 = sharing_city.city.connection.w3
    citizen = sharing_city.citizen.address
    before = (w3.eth.get_balance(citizen), w3.eth.get_transaction_count(citizen))
    consent = tmp_path / "consent.json"
    signed = srun.json(
        "--key", "citizen", "grant", "sign", *TERMS, "--category", "HRSS.PENSION",
        "--category", "HRSS.MEDICAL", "--until", "30d", "--deadline", "2d", "--out", str(consent),
    )  # fmt: skip
    assert set(signed) == {"grant_id", "file", "signer", "deadline"}
    document = json.loads(consent.read_text())
    assert document["format"] == "govchain.GrantConsent/1"
    assert document["purpose"] == "subsidy case" and document["signer"] == citizen
    assert _state(sharing_city, signed["grant_id"])[1] == 0  # nothing on chain yet

    result = srun("--key", "civil-staff", "grant", "submit", str(consent))
    assert result.exit_code == 0, result.stderr
    assert f"grant {signed['grant_id']} created from {citizen}'s consent" in result.stdout
    assert _state(sharing_city, signed["grant_id"]) == (citizen, 1, 0, 0)
    assert (w3.eth.get_balance(citizen), w3.eth.get_transaction_count(citizen)) == before
    again = srun("--key", "civil-staff", "grant", "submit", str(consent))
    assert_one_line_error(again, 1, f"grant {signed['grant_id']} exists already")

    text = srun(
        "--key",
        "citizen",
        "grant",
        "sign",
        *TERMS,
        "--category",
        "HRSS.PENSION",
        "--until",
        "30d",
        "--out",
        str(tmp_path / "b.json"),
    )
    assert text.exit_code == 0 and "give it to CIVIL" in text.stdout
    data = srun.json("--key", "civil-staff", "grant", "submit", str(tmp_path / "b.json"))
    assert set(data) == {"grant_id", "tx_hash", "block", "signer"}


def test_consent_refusals(srun: CityRun, sharing_city: SharingCity, tmp_path: Path) -> None:
    sign = ("--key", "citizen", "grant", "sign", *TERMS, "--until", "30d")
    out = ("--out", str(tmp_path / "c.json"))
    not_shared = srun(*sign, "--category", "HRSS.INTERNAL", *out)
    assert_one_line_error(not_shared, 1, "category HRSS.INTERNAL is NOT_SHARED")
    wrong_owner = srun(*sign, "--category", "DPF.CERT", *out)
    assert_one_line_error(wrong_owner, 1, "category DPF.CERT belongs to DPF, not to HRSS")
    unknown = srun(*sign, "--category", "HRSS.NOPE", *out)
    assert_one_line_error(unknown, 2, "category HRSS.NOPE not found")
    grantee = srun(
        "--key",
        "citizen",
        "grant",
        "sign",
        "--grantee",
        "NOPE",
        *TERMS[2:],
        "--until",
        "30d",
        "--category",
        "HRSS.PENSION",
        *out,
    )
    assert_one_line_error(grantee, 2, "department NOPE not found")
    subject = srun(*sign, "--category", "HRSS.PENSION", "--subject", "0x1234", *out)
    assert_one_line_error(subject, 2, "0x1234")
    other = srun(
        *sign, "--category", "HRSS.PENSION", "--subject", sharing_city.neighbour.address, *out
    )
    assert_one_line_error(other, 1, "is neither the owner key nor an agent of identity")
    past = ("--from", "2019-01-01", "--until", "2020-01-01T08:00:00+08:00")
    late = srun(*sign[:-2], *past, "--category", "HRSS.PENSION", *out)
    assert_one_line_error(late, 1, "would end at 2020-01-01T00:00:00Z, which has passed")
    empty = srun(*sign[:-2], "--until", "2020-01-01", "--category", "HRSS.PENSION", *out)
    assert_one_line_error(empty, 2, "must end after it starts")
    bad_time = srun(*sign[:-2], "--until", "someday", "--category", "HRSS.PENSION", *out)
    assert_one_line_error(bad_time, 2, "someday")
    assert not (tmp_path / "c.json").exists()

    consent = tmp_path / "late.json"
    srun.json(*sign, "--category", "HRSS.PENSION", "--deadline", "1h", "--out", str(consent))
    advance(srun.rpc or "", 2 * 3600)
    late = srun("--key", "civil-staff", "grant", "submit", str(consent))
    assert_one_line_error(late, 1, "deadline", "has passed")

    forged = json.loads(consent.read_text())
    forged["terms"]["max_uses"] = 99
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    result = srun("--key", "civil-staff", "grant", "submit", str(tmp_path / "forged.json"))
    assert_one_line_error(result, 2, f"is not {sharing_city.citizen.address}'s signature")
    (tmp_path / "junk.json").write_text("{")
    junk = srun("--key", "civil-staff", "grant", "submit", str(tmp_path / "junk.json"))
    assert_one_line_error(junk, 2, "not JSON")


def test_revoke(srun: CityRun, sharing_city: SharingCity, tmp_path: Path) -> None:
    own = sharing_city.give(nonce=1)
    grant = "0x" + own.grant_id.hex()
    neighbour = srun("--key", "neighbour", "grant", "revoke", grant)
    assert_one_line_error(neighbour, 1, "is neither the owner key nor an agent of identity")
    data = srun.json("--key", "citizen", "grant", "revoke", grant)
    assert set(data) == {"grant_id", "tx_hash", "block"}
    assert _state(sharing_city, grant)[1] == 2
    assert_one_line_error(srun("--key", "citizen", "grant", "revoke", grant), 1, "revoked already")

    by_owner = "0x" + sharing_city.give(nonce=2).grant_id.hex()
    result = srun("--key", "hrss-approver2", "grant", "revoke", by_owner)
    assert result.exit_code == 0 and f"grant {by_owner} revoked in block" in result.stdout
    assert srun.json("grant", "show", by_owner)["revoked_by"] == (
        sharing_city.city.departments["HRSS"].approvers[1].address
    )

    consent = tmp_path / "consent.json"
    srun.json(
        "--key",
        "citizen",
        "grant",
        "sign",
        *TERMS,
        "--category",
        "HRSS.PENSION",
        "--until",
        "30d",
        "--out",
        str(consent),
    )
    cancelled = srun.json("--key", "citizen", "grant", "revoke", "--consent", str(consent))
    assert _state(sharing_city, cancelled["grant_id"])[1] == 2
    relay = srun("--key", "civil-staff", "grant", "submit", str(consent))
    assert_one_line_error(relay, 1, f"grant {cancelled['grant_id']} was revoked")
    unknown = srun("--key", "citizen", "grant", "revoke", "0x" + "00" * 32)
    assert_one_line_error(unknown, 2, "not found")
    assert_one_line_error(srun("--key", "citizen", "grant", "revoke", "0x12"), 2, "32 bytes")


def test_list_and_show(srun: CityRun, sharing_city: SharingCity) -> None:
    first = sharing_city.give(nonce=1, seconds=3600)
    second = sharing_city.give(("HRSS",), grantee="DPF", nonce=2, max_uses=2)
    listed = srun.json("grant", "list", "--subject", sharing_city.citizen.address)
    assert [g["grant_id"] for g in listed] == [
        "0x" + first.grant_id.hex(),
        "0x" + second.grant_id.hex(),
    ]
    assert all(set(g) == GRANT_KEYS for g in listed)
    assert listed[1]["categories"] == ["HRSS"] and listed[1]["max_uses"] == 2
    assert [g["grantee"] for g in srun.json("grant", "list", "--grantee", "DPF")] == ["DPF"]
    assert len(srun.json("grant", "list", "--owner", "HRSS")) == 2
    assert srun.json("grant", "list", "--owner", "PSB") == []
    shown = srun.json("grant", "show", listed[0]["grant_id"])
    assert shown == listed[0] and shown["status"] == "LIVE"
    advance(srun.rpc or "", 7200)
    assert srun.json("grant", "show", listed[0]["grant_id"])["status"] == "EXPIRED"
    text = srun("grant", "list").stdout.splitlines()
    assert len(text) == 2 and "EXPIRED" in text[0] and "LIVE" in text[1]
    assert "status      LIVE" in srun("grant", "show", listed[1]["grant_id"]).stdout
    assert_one_line_error(srun("grant", "show", "0x" + "00" * 32), 2, "not found")
    assert_one_line_error(srun("grant", "list", "--subject", "0xnope"), 2, "0xnope")
    assert_one_line_error(srun("grant", "list", "--grantee", "NOPE"), 2, "department NOPE")


GIVE = ("grant", "give", *TERMS, "--category", "HRSS.PENSION", "--until", "30d")


def test_missing_key_and_wrong_passphrase(srun: CityRun, monkeypatch: pytest.MonkeyPatch) -> None:
    give = GIVE
    assert_one_line_error(srun("--key", "nobody", *give), 2, "key 'nobody' not found")
    assert_one_line_error(srun(*give), 2, "--key")
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    assert_one_line_error(srun("--key", "citizen", *give), 2, "wrong passphrase")


def test_devnet_down(offline: Run) -> None:
    assert_one_line_error(offline("grant", "list"), 1, "network unavailable")
    assert_one_line_error(offline("grant", "show", "0x" + "11" * 32), 1, "network unavailable")


def test_a_purpose_goes_on_chain_salted_and_the_trail_shows_its_text(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    """House rule: no unsalted hash of free text on chain. The grant carries keccak256(salt ‖
    text); the text and its salt stay in the purpose book (and the signed consent's file), and
    the citizen's trail shows the text."""
    text = "salted purpose: housing allowance review 住房补贴复核"
    w3 = sharing_city.city.connection.w3
    start = w3.eth.block_number + 1
    data = srun.json(
        "--key", "citizen", "grant", "give", "--grantee", "CIVIL", "--owner", "HRSS",
        "--purpose", text, "--category", "HRSS.PENSION", "--until", "30d",
    )  # fmt: skip
    on_chain = bytes.fromhex(data["terms"]["purpose_hash"][2:])
    assert on_chain != legacy_purpose_hash(text)
    kept = PurposeBook(sharing_city.home).purposes()[data["terms"]["purpose_hash"]]
    assert kept.text == text and kept.salt is not None
    assert purpose_commitment(text, kept.salt) == on_chain

    consent = tmp_path / "salted.json"
    srun.json(
        "--key", "citizen", "grant", "sign", "--grantee", "CIVIL", "--owner", "HRSS",
        "--purpose", text, "--category", "HRSS.PENSION", "--until", "30d", "--out", str(consent),
    )  # fmt: skip
    document = json.loads(consent.read_text())
    salt = bytes.fromhex(document["purpose_salt"][2:])
    assert document["terms"]["purpose_hash"] == "0x" + purpose_commitment(text, salt).hex()
    assert document["terms"]["purpose_hash"] != data["terms"]["purpose_hash"]  # fresh salt

    srun.json("--key", "civil-staff", "access", "record", data["grant_id"], "--category",
              "HRSS.PENSION")  # fmt: skip
    trail = srun.json("--key", "citizen", "citizen", "trail")
    [row] = [r for r in trail["accesses"] if r["grant_id"] == data["grant_id"]]
    assert row["purpose"] == text and row["purpose_hash"] == data["terms"]["purpose_hash"]
    assert text in srun("--key", "citizen", "citizen", "trail").stdout
    shown = srun("grant", "show", data["grant_id"]).stdout
    assert repr(text) in shown and "legacy" not in shown
    old = sharing_city.give(nonce=99)  # made the old way: keccak256("subsidy case")
    PurposeBook(sharing_city.home).add("subsidy case")  # a legacy text, as it was filed then
    shown = srun("grant", "show", "0x" + old.grant_id.hex()).stdout
    assert "'subsidy case'  (legacy grant: unsalted hash of the text)" in shown
    # the privacy scanner finds the legacy purpose's unsalted hash, and nothing of the salted one
    hits = scan_chain(w3, [text, "subsidy case"], from_block=start)
    assert {(h.needle, h.encoding) for h in hits} == {("subsidy case", "keccak256")}
    bare = srun("--key", "citizen", "grant", "sign", "--grantee", "CIVIL", "--owner", "HRSS",
                "--purpose-hash", "0x" + "ab" * 32, "--purpose-salt", "0x" + "cd" * 32,
                "--category", "HRSS.PENSION", "--until", "30d")  # fmt: skip
    assert_one_line_error(bare, 2, "--purpose-salt goes with --purpose")
