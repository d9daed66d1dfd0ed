"""`govchain audit tamper|access|misuse`: each finds what was planted and nothing on clean data."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update

from govchain.node.publisher import Publisher
from govchain.node.store import OutboxEntry, Record, ServeLogEntry, Store, sqlite_url
from govchain.sharing.merkle import new_salt, record_hash
from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.datanode import PENSION, World, rid, serving, world

HRSS = b"HRSS".ljust(32, b"\0")


def _store(world: World, tmp_path: Path) -> tuple[Path, Store]:
    path = world.copy_store(tmp_path)
    return path, Store(sqlite_url(path))


def _tamper(city_run: CityRun, path: Path) -> tuple[int, Any]:
    result = city_run("--json", "audit", "tamper", "--dept", "HRSS", "--db", str(path))
    assert "Traceback" not in result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_tamper_on_clean_data_reports_nothing(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    path = world.copy_store(tmp_path)
    code, data = _tamper(city_run, path)
    assert code == 0
    assert data["records"] == 8 and data["counts"]["ok"] == 8
    assert data["problems"] == 0 and data["clean"] is True and data["findings"] == []
    text = city_run("audit", "tamper", "--dept", "HRSS", "--db", str(path))
    assert text.exit_code == 0 and "8 ok" in text.stdout and "clean" in text.stdout


def test_tamper_finds_an_edited_a_deleted_and_an_unanchored_row(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    path, store = _store(world, tmp_path)
    with store.session() as s:
        # a DBA edits the current pension and recomputes its hash so the row looks consistent
        row = s.query(Record).filter(Record.record_id == world.ids["pension"], Record.version == 2).one()  # fmt: skip
        forged = b'{"monthly":9000}'
        s.execute(
            update(Record)
            .where(Record.id == row.id)
            .values(
                content=forged,
                content_hash=record_hash(
                    PENSION, row.record_id, 2, HRSS, row.subject, row.media_type, forged, row.salt
                ),
            )
        )
        edited = row.id
        # ... deletes the bank-account record (and its outbox row)
        bank = s.query(Record).filter(Record.record_id == world.ids["bank"]).one()
        s.execute(delete(OutboxEntry).where(OutboxEntry.record_pk == bank.id))
        s.execute(delete(Record).where(Record.id == bank.id))
        # ... and slips in a record that was never anchored, marked as anchored
        salt, content = new_salt(), b'{"monthly":5000}'
        s.add(
            Record(
                category=PENSION,
                record_id=rid("pension-ghost"),
                version=1,
                subject=world.alice.address,
                content=content,
                salt=salt,
                content_hash=record_hash(
                    PENSION,
                    rid("pension-ghost"),
                    1,
                    HRSS,
                    world.alice.address,
                    "application/json",
                    content,
                    salt,
                ),
                anchored=True,
            )
        )
    store.dispose()
    code, data = _tamper(city_run, path)
    assert code == 1
    assert data["counts"] == {
        "ok": 6,
        "altered": 1,
        "missing": 1,
        "not_anchored": 1,
        "pending": 0,
        "unverified": 0,
        "reanchored": 0,
    }
    by_status = {f["status"]: f for f in data["findings"]}
    assert by_status["altered"]["row"] == edited
    assert by_status["altered"]["record_id"] == "0x" + world.ids["pension"].hex()
    assert "rewritten to match" in by_status["altered"]["reason"]
    assert by_status["missing"]["record_id"] == "0x" + world.ids["bank"].hex()
    assert by_status["not_anchored"]["record_id"] == "0x" + rid("pension-ghost").hex()
    text = city_run("audit", "tamper", "--dept", "HRSS", "--db", str(path))
    assert text.exit_code == 1
    assert "ALTERED" in text.stdout and "pension-alice v2" in text.stdout
    assert "MISSING" in text.stdout and "bank-alice v1" in text.stdout
    assert "NOT_ANCHORED" in text.stdout and "3 problems" in text.stdout


def test_tamper_pinpoints_an_edited_batch_leaf_and_counts_pending_rows(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    path, store = _store(world, tmp_path)
    with store.session() as s:  # content edited, stored hash left: the batch still proves it
        s.execute(
            update(Record)
            .where(Record.record_id == world.ids["bob-2"])
            .values(content=b'{"month":99}')
        )
    Publisher(store, HRSS).publish(
        PENSION, rid("pension-new"), {"monthly": 1}, subject=world.bob.address
    )
    store.dispose()
    code, data = _tamper(city_run, path)
    assert code == 1
    assert data["counts"]["altered"] == 1 and data["counts"]["pending"] == 1
    assert data["counts"]["ok"] == 7 and data["counts"]["unverified"] == 0
    altered = next(f for f in data["findings"] if f["status"] == "altered")
    assert altered["record_id"] == "0x" + world.ids["bob-2"].hex()
    assert altered["leaf_index"] is not None and altered["batch_root"].startswith("0x")


def test_tamper_with_only_pending_rows_is_clean(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    path, store = _store(world, tmp_path)
    Publisher(store, HRSS).publish(
        PENSION, rid("pension-new"), {"monthly": 1}, subject=world.bob.address
    )
    store.dispose()
    code, data = _tamper(city_run, path)
    assert code == 0 and data["counts"]["pending"] == 1 and data["clean"] is True


def _fetch(city_run: CityRun, world: World) -> str:
    gid = "0x" + world.grant.hex()
    data = city_run.json(
        "--key", "civil-staff", "data", "fetch", "--grant", gid, "--record", "pension-alice"
    )  # fmt: skip
    return str(data["access_tx"])


def test_access_trail_for_the_citizen_and_an_auditor(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    with serving(world, tmp_path):
        tx = _fetch(city_run, world)
    alice = world.alice.address
    data = city_run.json("--key", "alice", "audit", "access", "--subject", alice)
    assert data["subject"] == alice and data["viewer_role"] == "subject"
    assert data["accesses"] == 1 and data["clean"] is True and data["problems"] == 0
    (entry,) = data["entries"]
    assert entry["tx_hash"] == tx
    assert entry["member"] == world.city.departments["CIVIL"].staff.address
    assert (entry["grantee"], entry["owner"], entry["category"]) == (
        "CIVIL",
        "HRSS",
        "HRSS.PENSION",
    )
    assert entry["grant_id"] == "0x" + world.grant.hex() and entry["basis"] == "Consent"
    assert entry["purpose_hash"] == "0x" + (b"\x9a" * 32).hex()
    assert entry["grantor"] == alice and entry["problems"] == []
    audited = city_run.json("--key", "psb-auditor", "audit", "access", "--subject", alice)
    assert audited["viewer_role"] == "auditor" and audited["accesses"] == 1
    text = city_run("--key", "hrss-auditor", "audit", "access", "--subject", alice)
    assert text.exit_code == 0
    assert "of CIVIL read HRSS.PENSION of HRSS" in text.stdout and "(Consent)" in text.stdout


def test_access_trail_is_refused_to_others(city_run: CityRun, world: World) -> None:
    alice = world.alice.address
    assert_one_line_error(
        city_run("--key", "civil-staff", "audit", "access", "--subject", alice),
        1,
        f"may not see the access trail of {alice}",
        "active AUDITOR",
    )
    assert_one_line_error(
        city_run("--key", "bob", "audit", "access", "--subject", alice), 1, "citizen"
    )


def test_misuse_clean_then_a_release_without_a_record(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    with serving(world, tmp_path) as (_, path):
        _fetch(city_run, world)
    clean = city_run.json("audit", "misuse", "--dept", "HRSS", "--db", str(path))
    assert clean["releases"] == 1 and clean["matched"] == 1
    assert clean["misuses"] == [] and clean["clean"] is True
    store = Store(sqlite_url(path))
    with store.session() as s:  # the node released a record to a member with no access record
        s.add(
            ServeLogEntry(
                kind="grant",
                requester=world.city.departments["HOUSING"].staff.address,
                department=b"HOUSING".ljust(32, b"\0"),
                grant_id=world.grant,
                access_tx="0x" + "00" * 32,
                request_hash=b"\x42" * 32,
                category=PENSION,
                record_id=world.ids["pension"],
                version=2,
                subject=world.alice.address,
                content_hash=b"\x01" * 32,
            )
        )
    store.dispose()
    result = city_run("--json", "audit", "misuse", "--dept", "HRSS", "--db", str(path))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    (misuse,) = data["misuses"]
    assert misuse["kind"] == "no_record" and misuse["request_hash"] == "0x" + "42" * 32
    assert misuse["requester"] == world.city.departments["HOUSING"].staff.address
    assert data["matched"] == 1 and data["clean"] is False
    text = city_run("audit", "misuse", "--dept", "HRSS", "--db", str(path))
    assert text.exit_code == 1 and "MISUSE log #2" in text.stdout and "1 misuses" in text.stdout


def test_bad_input_is_one_line_exit_2(city_run: CityRun, world: World, tmp_path: Path) -> None:
    store = str(world.copy_store(tmp_path))
    assert_one_line_error(
        city_run("audit", "tamper", "--dept", "NOPE", "--db", store), 2, "department NOPE"
    )
    assert_one_line_error(
        city_run("audit", "tamper", "--dept", "HRSS", "--db", str(tmp_path / "none.db")),
        2,
        "none.db",
    )
    assert_one_line_error(
        city_run("audit", "misuse", "--dept", "X" * 33, "--db", store), 2, "--dept"
    )
    assert_one_line_error(
        city_run("--key", "alice", "audit", "access", "--subject", "0x12"), 2, "--subject"
    )
    assert_one_line_error(city_run("audit", "access", "--subject", world.alice.address), 2, "--key")


def test_devnet_down_is_exit_1(offline: Run, tmp_path: Path) -> None:
    assert_one_line_error(
        offline("audit", "tamper", "--dept", "HRSS", "--db", str(tmp_path / "x.db")),
        1,
        "network unavailable",
    )
