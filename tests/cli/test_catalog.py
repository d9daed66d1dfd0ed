"""`govchain catalog add|update|list|show`: the data catalog from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from govchain.sharing.base import code
from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.sharing_fixtures import SharingCity, sharing_city_fixture, srun_fixture  # noqa: F401

ENTRY_KEYS = {
    "code",
    "owner",
    "sharing",
    "sensitive",
    "schema_hash",
    "update_cycle",
    "registered_block",
    "updated_block",
}


def _entry(city: SharingCity, name: str) -> tuple[object, ...]:
    contract = city.city.connection.contract("AnchorRegistry")
    return tuple(contract.functions.category(code(name)).call())


def test_add_registers_a_category_for_the_admins_department(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}')
    result = srun(
        "--key", "hrss-admin", "catalog", "add", "HRSS.SUBSIDY", "--sharing", "conditional",
        "--sensitive", "--update-cycle", "30d", "--schema", str(schema),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("registered HRSS.SUBSIDY (CONDITIONAL) in block ")
    owner, sharing, sensitive, cycle, schema_hash = _entry(sharing_city, "HRSS.SUBSIDY")
    assert owner == code("HRSS") and sharing == 2 and sensitive is True
    assert cycle == 30 * 86400 and schema_hash == keccak(schema.read_bytes())


def test_add_json_shape(srun: CityRun, sharing_city: SharingCity) -> None:
    data = srun.json(
        "--key", "psb-admin", "catalog", "add", "PSB.REALNAME", "--sharing", "unconditional"
    )
    assert set(data) == {"code", "tx_hash", "block"}
    assert data["code"] == "PSB.REALNAME" and data["tx_hash"].startswith("0x")
    assert _entry(sharing_city, "PSB.REALNAME")[:3] == (code("PSB"), 1, False)


def test_update_changes_only_the_named_fields(srun: CityRun, sharing_city: SharingCity) -> None:
    data = srun.json(
        "--key", "hrss-admin", "catalog", "update", "HRSS.PENSION", "--sharing", "not-shared"
    )
    assert set(data) == {"code", "tx_hash", "block"}
    _, sharing, sensitive, cycle, schema_hash = _entry(sharing_city, "HRSS.PENSION")
    assert (sharing, sensitive, cycle, schema_hash) == (3, False, 30 * 86400, b"\x11" * 32)
    shown = srun.json("catalog", "show", "HRSS.PENSION")
    assert shown["sharing"] == "NOT_SHARED" and shown["updated_block"] == data["block"]
    text = srun("--key", "hrss-admin", "catalog", "update", "HRSS.PENSION", "--sensitive")
    assert text.exit_code == 0, text.stderr
    assert "updated HRSS.PENSION (NOT_SHARED)" in text.stdout
    assert _entry(sharing_city, "HRSS.PENSION")[2] is True


def test_list_and_show(srun: CityRun) -> None:
    listed = srun.json("catalog", "list")
    assert [e["code"] for e in listed] == [
        "HRSS.PENSION", "HRSS.MEDICAL", "HRSS.POLICY", "HRSS.INTERNAL", "DPF.CERT",
    ]  # fmt: skip
    assert all(set(e) == ENTRY_KEYS for e in listed)
    assert [e["code"] for e in srun.json("catalog", "list", "--owner", "DPF")] == ["DPF.CERT"]
    assert srun.json("catalog", "list", "--owner", "FINANCE") == []
    shown = srun.json("catalog", "show", "HRSS.PENSION")
    assert shown == listed[0]
    assert shown | {"registered_block": 0} == {
        "code": "HRSS.PENSION",
        "owner": "HRSS",
        "sharing": "CONDITIONAL",
        "sensitive": False,
        "schema_hash": "0x" + "11" * 32,
        "update_cycle": 30 * 86400,
        "registered_block": 0,
        "updated_block": 0,
    }
    text = srun("catalog", "list").stdout.splitlines()
    assert text[3].split() == ["HRSS.INTERNAL", "HRSS", "NOT_SHARED", "-"]
    assert "sensitive     yes" in srun("catalog", "show", "HRSS.MEDICAL").stdout


def test_only_an_admin_of_an_active_department_adds(srun: CityRun) -> None:
    result = srun("--key", "hrss-staff", "catalog", "add", "HRSS.X", "--sharing", "conditional")
    staff = srun.platform.departments["HRSS"].staff.address
    assert_one_line_error(result, 1, f"{staff} is not an active ADMIN of HRSS")
    other = srun("--key", "psb-admin", "catalog", "update", "HRSS.PENSION", "--sensitive")
    assert_one_line_error(other, 1, "is not an active ADMIN of HRSS")


def test_bad_input_is_one_line_exit_2(srun: CityRun) -> None:
    add = ("catalog", "add", "HRSS.NEW", "--sharing", "conditional")
    assert_one_line_error(srun("--key", "hrss-admin", *add[:3], "--sharing", "maybe"), 2, "maybe")
    too_long = srun("--key", "hrss-admin", "catalog", "add", "X" * 33, "--sharing", "conditional")
    assert_one_line_error(too_long, 2, "1 to 32 ASCII characters")
    exists = srun(
        "--key", "hrss-admin", "catalog", "add", "HRSS.PENSION", "--sharing", "conditional"
    )
    assert_one_line_error(exists, 2, "exists already (owner HRSS)")
    assert_one_line_error(srun("--key", "nobody", *add), 2, "key 'nobody' not found")
    assert_one_line_error(srun("catalog", "show", "HRSS.NOPE"), 2, "HRSS.NOPE not found")
    unknown = srun("--key", "hrss-admin", "catalog", "update", "HRSS.NOPE", "--sensitive")
    assert_one_line_error(unknown, 2, "category HRSS.NOPE not found")
    assert_one_line_error(srun("catalog", "list", "--owner", "NOPE"), 2, "department NOPE")
    cycle = srun("--key", "hrss-admin", *add, "--update-cycle", "soon")
    assert_one_line_error(cycle, 2, "soon")


def test_wrong_passphrase(srun: CityRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    result = srun("--key", "hrss-admin", "catalog", "add", "HRSS.NEW", "--sharing", "conditional")
    assert_one_line_error(result, 2, "wrong passphrase")


def test_devnet_down(offline: Run) -> None:
    assert_one_line_error(offline("catalog", "list"), 1, "network unavailable")
    result = offline(
        "--key", "hrss-admin", "catalog", "add", "HRSS.NEW", "--sharing", "conditional"
    )
    assert_one_line_error(result, 1, "network unavailable")


def test_a_sensitive_category_stays_sensitive_and_is_never_unconditional(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    """Review s28 S-1: one ADMIN key may not clear the flag (that would widen every owner-wide
    consent to the category) nor make sensitive data open; each refusal is one readable line."""
    cleared = srun("--key", "hrss-admin", "catalog", "update", "HRSS.MEDICAL", "--not-sensitive")
    assert_one_line_error(cleared, 1, "category HRSS.MEDICAL is sensitive and stays so")
    opened = srun(
        "--key", "hrss-admin", "catalog", "update", "HRSS.MEDICAL", "--sharing", "unconditional"
    )
    assert_one_line_error(opened, 1, "sensitive category HRSS.MEDICAL cannot be unconditional")
    added = srun(
        "--key", "hrss-admin", "catalog", "add", "HRSS.GENOME", "--sharing", "unconditional",
        "--sensitive",
    )  # fmt: skip
    assert_one_line_error(added, 1, "sensitive category HRSS.GENOME cannot be unconditional")
    assert _entry(sharing_city, "HRSS.MEDICAL")[1:3] == (2, True)
