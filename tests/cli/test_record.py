"""`govchain record anchor|anchor-batch|verify`: tamper evidence from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.sharing.anchors import record_id
from govchain.sharing.base import code
from govchain.sharing.merkle import record_hash
from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.sharing_fixtures import (  # noqa: F401
    SharingCity,
    sharing_city_fixture,
    srun_fixture,
)

SALT = "0x" + "ab" * 32
PENSION = '{"pension": 3200, "since": "2019-01"}'
HRSS = code("HRSS")
OCTETS = "application/octet-stream"


def _rh(
    record: str, version: int, content: bytes, salt: bytes, subject: str | None = None
) -> bytes:
    return record_hash(
        code("HRSS.PENSION"), record_id(record), version, HRSS, subject, OCTETS, content, salt
    )


def _registry(city: SharingCity):  # type: ignore[no-untyped-def]
    return city.city.connection.contract("AnchorRegistry")


def test_anchor_prints_the_salt_and_anchors_the_next_version(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    result = srun(
        "--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-1", "--content", PENSION
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("anchored version 1 of P-1 (HRSS.PENSION) in block ")
    salt = bytes.fromhex(lines[2].split()[1][2:])
    digest = _rh("P-1", 1, PENSION.encode(), salt)
    assert lines[1].split()[2] == "0x" + digest.hex()
    registry = _registry(sharing_city)
    assert registry.functions.latestVersion(code("HRSS.PENSION"), record_id("P-1")).call() == 1
    assert registry.functions.verifyRecord(code("HRSS.PENSION"), record_id("P-1"), digest).call()[0]

    data = srun.json(
        "--key", "hrss-admin", "record", "anchor", "HRSS.PENSION", "P-1",
        "--content", PENSION + " ", "--salt", SALT,
    )  # fmt: skip
    assert set(data) == {
        "record", "category", "record_id", "version", "record_hash", "tx_hash", "block", "salt",
        "subject", "media_type",
    }  # fmt: skip
    assert data["version"] == 2 and data["salt"] == SALT
    assert data["record_id"] == "0x" + record_id("P-1").hex()
    salt = bytes.fromhex("ab" * 32)
    assert data["record_hash"] == "0x" + _rh("P-1", 2, (PENSION + " ").encode(), salt).hex()
    assert registry.functions.latestVersion(code("HRSS.PENSION"), record_id("P-1")).call() == 2


def test_verify_accepts_only_the_latest_version_and_tells_an_altered_copy(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    alice = "0x" + "a1" * 20
    anchored = srun.json(
        "--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-2", "--content", PENSION,
        "--salt", SALT, "--subject", alice,
    )  # fmt: skip
    v1 = ("--content", PENSION, "--salt", SALT, "--subject", alice)
    ok = srun.json("record", "verify", "HRSS.PENSION", "P-2", *v1)
    assert ok["accepted"] and ok["version"] == 1 and ok["kind"] == "single"
    assert ok["block"] == anchored["block"] and ok["time"].endswith("Z")
    # the subject is bound: the same content about another citizen is not this record
    other = srun("record", "verify", "HRSS.PENSION", "P-2", *v1[:4], "--subject", "0x" + "b2" * 20)
    assert other.exit_code == 1 and other.stdout.startswith("REFUSED (altered)")
    srun.json(
        "--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-2", "--content", "v2",
        "--salt", SALT,
    )  # fmt: skip
    copy = tmp_path / "p2.json"
    copy.write_text(PENSION)
    old = srun(
        "record", "verify", "HRSS.PENSION", "P-2", "--content-file", str(copy), "--salt", SALT,
        "--subject", alice, "--version", "1",
    )  # fmt: skip
    assert old.exit_code == 1 and old.stdout.startswith("REFUSED (superseded)")
    assert "matches the anchor of version 1" in old.stdout
    data = json.loads(
        srun("--json", "record", "verify", "HRSS.PENSION", "P-2", *v1, "--version", "1").stdout
    )
    assert data["refusal"] == "superseded" and data["matches_version"] == 1
    assert data["latest_version"] == 2
    altered = srun(
        "record", "verify", "HRSS.PENSION", "P-2", "--content", "v2 edited", "--salt", SALT
    )
    assert altered.exit_code == 1 and altered.stdout.startswith("REFUSED (altered)")
    latest = srun.json("record", "verify", "HRSS.PENSION", "P-2", "--content", "v2", "--salt", SALT)
    by_hash = srun(
        "--json", "record", "verify", "HRSS.PENSION", "P-2", "--record-hash", latest["record_hash"]
    )
    assert by_hash.exit_code == 0 and json.loads(by_hash.stdout)["version"] == 2


def test_anchor_batch_writes_salts_and_proofs_that_verify(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    records = tmp_path / "pensions.jsonl"
    rows = [{"id": f"P-{i}", "content": {"pension": 1000 + i}} for i in range(37)]
    rows[0]["salt"] = SALT
    rows[1]["content"] = "plain text record"
    records.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    data = srun.json("--key", "hrss-staff", "record", "anchor-batch", "HRSS.PENSION", str(records))
    assert set(data) == {"category", "root", "leaf_count", "tx_hash", "block", "chain_id", "proofs"}
    assert data["leaf_count"] == 37
    proofs = json.loads(Path(data["proofs"]).read_text())
    assert data["proofs"] == str(tmp_path / "pensions.proofs.json")
    assert proofs["root"] == data["root"] and len(proofs["records"]) == 37
    assert proofs["records"][0]["salt"] == SALT
    assert len({r["salt"] for r in proofs["records"]}) == 37
    count, block, _ = (
        _registry(sharing_city)
        .functions.batchAnchor(code("HRSS.PENSION"), bytes.fromhex(data["root"][2:]))
        .call()
    )
    assert (count, block) == (37, data["block"])

    def body_of(index: int) -> str:
        content = rows[index]["content"]
        return content if isinstance(content, str) else json.dumps(content, separators=(",", ":"))

    for index in (0, 1, 36):
        body = body_of(index)
        leaf = srun.json(
            "record", "verify", "HRSS.PENSION", f"P-{index}", "--content", body, "--proofs",
            data["proofs"],
        )  # fmt: skip
        assert leaf["accepted"] and leaf["kind"] == "batch"
        assert leaf["root"] == data["root"] and leaf["block"] == data["block"]
    tampered = srun(
        "record",
        "verify",
        "HRSS.PENSION",
        "P-5",
        "--content",
        '{"pension":9999}',
        "--proofs",
        data["proofs"],
    )
    assert tampered.exit_code == 1 and "REFUSED (altered)" in tampered.stdout
    # version 2 of a batched record proves version 1 from the proofs file
    v2 = srun.json(
        "--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-3", "--content", "v2",
        "--after-batch", data["proofs"],
    )  # fmt: skip
    assert v2["version"] == 2
    registry = _registry(sharing_city).functions
    assert registry.latestVersion(code("HRSS.PENSION"), record_id("P-3")).call() == 2
    old = srun(
        "record", "verify", "HRSS.PENSION", "P-3", "--content", body_of(3), "--proofs",
        data["proofs"],
    )  # fmt: skip
    assert old.exit_code == 1 and old.stdout.startswith("REFUSED (superseded)")
    # a record published in a batch cannot be put in a second batch from the CLI
    srun.json("--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-7", "--content", "x")
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps({"id": "P-7", "content": "y"}) + "\n")
    refused = srun("--key", "hrss-staff", "record", "anchor-batch", "HRSS.PENSION", str(again))
    assert_one_line_error(refused, 2, "has an anchored version already")


def test_anchor_batch_reads_csv(srun: CityRun, tmp_path: Path) -> None:
    records = tmp_path / "batch.csv"
    records.write_text('id,content\nR-1,alpha\nR-2,"beta, gamma"\n')
    out = tmp_path / "out.json"
    result = srun(
        "--key",
        "hrss-staff",
        "record",
        "anchor-batch",
        "HRSS.PENSION",
        str(records),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert "anchored 2 records of HRSS.PENSION under root 0x" in result.stdout
    entry = json.loads(out.read_text())["records"][1]
    assert entry["id"] == "R-2"
    shown = srun.json(
        "record", "verify", "HRSS.PENSION", "R-2", "--content", "beta, gamma", "--proofs", str(out)
    )
    assert shown["accepted"]


def test_refusals_are_one_line(srun: CityRun, sharing_city: SharingCity, tmp_path: Path) -> None:
    anchor = ("record", "anchor", "HRSS.PENSION", "P-9", "--content", "x")
    psb = sharing_city.city.departments["PSB"].staff.address
    assert_one_line_error(
        srun("--key", "psb-staff", *anchor), 1, f"{psb} is not an active STAFF or ADMIN of HRSS"
    )
    gap = srun("--key", "hrss-staff", *anchor, "--version", "3")
    assert_one_line_error(
        gap, 1, "version 3 of record 0x", "(HRSS.PENSION) needs the previous version"
    )
    unknown = srun("--key", "hrss-staff", "record", "anchor", "HRSS.NOPE", "P-9", "--content", "x")
    assert_one_line_error(unknown, 2, "category HRSS.NOPE not found")
    assert_one_line_error(srun("--key", "hrss-staff", *anchor, "--salt", "0x12"), 2, "salt")
    assert_one_line_error(srun("--key", "hrss-staff", *anchor[:4]), 2, "--content")
    assert_one_line_error(srun("--key", "nobody", *anchor), 2, "key 'nobody' not found")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "A", "content": "a"}\nnot json\n')
    batch = srun("--key", "hrss-staff", "record", "anchor-batch", "HRSS.PENSION", str(bad))
    assert_one_line_error(batch, 2, "bad.jsonl:2", "not a JSON line")
    missing = srun(
        "--key", "hrss-staff", "record", "anchor-batch", "HRSS.PENSION", str(tmp_path / "no.jsonl")
    )
    assert_one_line_error(missing, 2, "no.jsonl")
    assert_one_line_error(
        srun("record", "verify", "HRSS.PENSION", "P-9", "--content", "x"), 2, "--salt"
    )


def test_wrong_passphrase(srun: CityRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    result = srun(
        "--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-1", "--content", "x"
    )
    assert_one_line_error(result, 2, "wrong passphrase")


def test_devnet_down(offline: Run) -> None:
    verify = ("record", "verify", "HRSS.PENSION", "P-1", "--record-hash", SALT)
    assert_one_line_error(offline(*verify), 1, "network unavailable")
    anchor = ("record", "anchor", "HRSS.PENSION", "P-1", "--content", "x")
    assert_one_line_error(offline("--key", "hrss-staff", *anchor), 1, "network unavailable")
