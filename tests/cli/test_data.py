"""`govchain data fetch`: a CIVIL staff member fetches HRSS records under a grant, verified on chain."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import update

from govchain.node.store import Record, Store, sqlite_url
from govchain.sharing import grant_tuple
from govchain.sharing.merkle import record_hash
from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.datanode import World, serving, world


def test_fetch_under_a_grant_records_the_access_and_verifies(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    gid = "0x" + world.grant.hex()
    with serving(world, tmp_path):
        result = city_run("--key", "civil-staff", "data", "fetch", "--grant", gid, "--record", "pension-alice")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"monthly": 3260}  # the latest version
    assert "verified against its single anchor" in result.stderr
    logs = world.contract("AccessGrants").events.AccessRecorded.get_logs(from_block=0)
    assert [(e.args.member, e.args.subject, e.args.grantId) for e in logs] == [
        (world.city.departments["CIVIL"].staff.address, world.alice.address, world.grant)
    ]


def test_fetch_json_shape_and_out_file(city_run: CityRun, world: World, tmp_path: Path) -> None:
    out = tmp_path / "pension.json"
    gid = "0x" + world.grant.hex()
    with serving(world, tmp_path):
        data = city_run.json(
            "--key", "civil-staff", "data", "fetch", "--grant", gid,
            "--subject", world.alice.address, "--category", "HRSS.PENSION",
            "--record", "pension-alice", "--out", str(out),
        )  # fmt: skip
    assert out.read_bytes() == b'{"monthly":3260}'
    assert data["content"] == {"monthly": 3260}
    assert data["department"] == "HRSS" and data["category"] == "HRSS.PENSION"
    assert data["record"] == "pension-alice" and data["version"] == 2
    assert data["subject"] == world.alice.address
    assert data["anchor"]["kind"] == "single" and data["anchor"]["block"] > 0
    assert data["verified"] is True and data["grant_id"] == gid
    assert data["access_tx"].startswith("0x") and data["out"] == str(out)
    receipt = world.city.connection.w3.eth.get_transaction_receipt(data["access_tx"])
    assert receipt["status"] == 1


def test_open_data_needs_no_grant(city_run: CityRun, world: World, tmp_path: Path) -> None:
    with serving(world, tmp_path):
        data = city_run.json(
            "--key", "civil-staff", "data", "fetch", "--category", "HRSS.POLICY",
            "--record", "policy-2026", "--purpose", "statistics",
        )  # fmt: skip
    assert data["anchor"]["kind"] == "batch"
    assert data["content"] == "cGVuc2lvbiBwb2xpY3kgdGV4dA=="  # base64 of the octet stream


def test_refusals_are_one_line(city_run: CityRun, world: World, tmp_path: Path) -> None:
    gid = "0x" + world.grant.hex()
    with serving(world, tmp_path):
        # another department's staff: the grant is CIVIL's
        assert_one_line_error(
            city_run(
                "--key",
                "housing-staff",
                "data",
                "fetch",
                "--grant",
                gid,
                "--record",
                "pension-alice",
            ),
            1,
            "the grant is for CIVIL",
        )
        # an approver is not STAFF
        assert_one_line_error(
            city_run("--key", "civil-approver1", "data", "fetch", "--grant", gid, "--record", "x"),
            1,
            "not an active STAFF member",
        )
        # conditional data without a grant
        assert_one_line_error(
            city_run(
                "--key",
                "civil-staff",
                "data",
                "fetch",
                "--category",
                "HRSS.PENSION",
                "--record",
                "x",
            ),
            1,
            "HRSS.PENSION is conditional",
        )
        # a record that does not exist: the access is recorded, the node says so
        assert_one_line_error(
            city_run(
                "--key", "civil-staff", "data", "fetch", "--grant", gid, "--record", "nothing"
            ),
            1,
            "record_not_found",
            "the access was recorded in 0x",
        )
        # the subject revokes the grant
        grants = world.contract("AccessGrants")
        world.sender(world.alice).transact(grants.functions.revoke(world.grant))
        assert_one_line_error(
            city_run(
                "--key", "civil-staff", "data", "fetch", "--grant", gid, "--record", "pension-alice"
            ),
            1,
            "was revoked at block",
        )
    assert grant_tuple(world.terms)  # the terms stayed usable for other tests


def test_a_record_altered_in_the_store_is_rejected(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    gid = "0x" + world.grant.hex()
    with serving(world, tmp_path) as (_, path):
        store = Store(sqlite_url(path))
        with store.session() as s:
            row = s.query(Record).filter(Record.version == 2, Record.subject == world.alice.address).one()  # fmt: skip
            forged = b'{"monthly":9999}'
            s.execute(
                update(Record)
                .where(Record.id == row.id)
                .values(
                    content=forged,
                    content_hash=record_hash(
                        row.category,
                        row.record_id,
                        2,
                        b"HRSS".ljust(32, b"\0"),
                        row.subject,
                        row.media_type,
                        forged,
                        row.salt,
                    ),
                )
            )
        store.dispose()
        result = city_run("--key", "civil-staff", "data", "fetch", "--grant", gid, "--record", "pension-alice")  # fmt: skip
    assert_one_line_error(result, 1, "record rejected (altered)", "differs from the anchor")


def test_bad_input_is_exit_2(city_run: CityRun, world: World) -> None:
    gid = "0x" + world.grant.hex()
    base = ("--key", "civil-staff", "data", "fetch")
    assert_one_line_error(city_run(*base, "--grant", "0x12", "--record", "r"), 2, "--grant")
    assert_one_line_error(
        city_run(*base, "--grant", gid, "--subject", "0x1234", "--record", "r"), 2, "--subject"
    )
    assert_one_line_error(city_run(*base, "--record", "r"), 2, "name the grant with --grant")
    assert_one_line_error(
        city_run(*base, "--grant", gid, "--record", "r" * 33), 2, "--record", "32 ASCII"
    )
    assert_one_line_error(
        city_run(*base, "--grant", "0x" + "ab" * 32, "--record", "r"),
        2,
        "grant 0xabab",
        "not found",
    )
    assert_one_line_error(
        city_run("--key", "nobody", "data", "fetch", "--grant", gid, "--record", "r"), 2, "nobody"
    )


def test_devnet_down_is_exit_1(offline: Run) -> None:
    result = offline("--key", "civil-staff", "data", "fetch", "--category", "HRSS.POLICY", "--record", "p")  # fmt: skip
    assert_one_line_error(result, 1, "network unavailable")
