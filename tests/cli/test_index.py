"""`govchain index sync|status|trail|grants|cases|attestations|anchors` on the reference city."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, Run, assert_one_line_error
from tests.cli.datanode import World, serving, world


def _fetch(city_run: CityRun, world: World, tmp_path: Path) -> str:
    gid = "0x" + world.grant.hex()
    with serving(world, tmp_path):
        data = city_run.json(
            "--key", "civil-staff", "data", "fetch", "--grant", gid, "--record", "pension-alice"
        )  # fmt: skip
    return str(data["access_tx"])


def _when_day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def test_sync_then_every_query(city_run: CityRun, world: World, tmp_path: Path) -> None:
    tx = _fetch(city_run, world, tmp_path)
    db = str(tmp_path / "index.db")
    report = city_run.json("index", "sync", "--db", db)
    assert report["caught_up"] is True and report["events"] > 50
    assert report["chain_id"] == 31337 and report["target"] >= report["last_block"]
    again = city_run.json("index", "sync", "--db", db)  # resumes: nothing new
    assert again["events"] == 0 and again["caught_up"] is True
    status = city_run.json("index", "status", "--db", db)
    assert status["behind"] == 0 and status["events"] == report["events"]
    assert set(status["contracts"]) >= {"AccessGrants", "AnchorRegistry", "DepartmentRegistry"}

    alice = world.alice.address
    (by_subject,) = city_run.json("index", "trail", "--db", db, "--subject", alice)
    assert by_subject["event"] == "AccessRecorded" and by_subject["tx_hash"] == tx
    assert by_subject["args"]["member"] == world.city.departments["CIVIL"].staff.address
    gid = "0x" + world.grant.hex()
    assert city_run.json("index", "trail", "--db", db, "--grant", gid) == [by_subject]
    assert city_run.json("index", "trail", "--db", db, "--dept", "CIVIL") == [by_subject]
    assert city_run.json("index", "trail", "--db", db, "--dept", "HRSS", "--limit", "1") == [by_subject]  # fmt: skip
    text = city_run("index", "trail", "--db", db, "--subject", alice)
    assert "of CIVIL read HRSS.PENSION of HRSS about " + alice in text.stdout
    assert by_subject["purpose"] is None  # a raw purpose hash: no text known in this home
    day = _when_day(by_subject["block_timestamp"])
    csv = city_run("index", "trail", "--db", db, "--subject", alice, "--csv", "--since", day, "--until", day)  # fmt: skip
    header, row = csv.stdout.strip().splitlines()
    assert header.split(",")[:6] == ["time", "member", "grantee", "owner", "category", "subject"]
    assert tx in row and "HRSS.PENSION" in row
    assert city_run.json("index", "trail", "--db", db, "--subject", alice, "--since", "2099-01-01") == []  # fmt: skip

    (grant,) = city_run.json("index", "grants", "--db", db, "--subject", alice)
    assert grant["grant_id"] == gid and grant["active"] is True
    assert "active  HRSS -> CIVIL [HRSS.PENSION]" in city_run("index", "grants", "--db", db, "--subject", alice).stdout  # fmt: skip

    anchors = city_run.json("index", "anchors", "--db", db, "--dept", "HRSS")
    assert sorted(a["event"] for a in anchors) == ["BatchAnchored"] * 2 + ["RecordAnchored"] * 3
    assert city_run.json("index", "attestations", "--db", db, "--subject", alice) == []
    assert city_run.json("index", "cases", "--db", db, "--dept", "CIVIL") == []
    assert (
        city_run("index", "cases", "--db", db, "--dept", "CIVIL").stdout.strip() == "no open cases"
    )


def test_follow_indexes_new_blocks_until_sigterm(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    db = str(tmp_path / "index.db")
    env = dict(os.environ, GOVCHAIN_HOME=str(city_run.home), PYTHONPATH=str(PROJECT_ROOT))
    env["GOVCHAIN_PASSPHRASE"] = CITY_PASSPHRASE
    argv = [sys.executable, "-m", "govchain.cli", "--rpc", str(city_run.rpc), "--json"]
    proc = subprocess.Popen(
        [*argv, "index", "sync", "--db", db, "--follow", "--interval", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    indexed = False
    try:
        _fetch(city_run, world, tmp_path)  # new events while it follows
        alice = world.alice.address
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = city_run("--json", "index", "trail", "--db", db, "--subject", alice)
            if rows.exit_code == 0 and json.loads(rows.stdout):
                indexed = True
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    # what the follower said, when it did not index the access in time
    assert indexed, ("the follower did not index the access", rows.exit_code, rows.stdout[-500:], rows.stderr[-500:], proc.returncode, out[-1500:], err[-1500:])  # fmt: skip
    assert proc.returncode == 0, err
    assert '"event": "stopped"' in out and '"signal": "SIGTERM"' in out
    assert "Traceback" not in err


def test_bad_input_is_one_line_exit_2(city_run: CityRun, world: World, tmp_path: Path) -> None:
    db = str(tmp_path / "index.db")
    assert_one_line_error(city_run("index", "trail", "--db", db, "--subject", "0x12"), 2, "--subject")  # fmt: skip
    assert city_run.json("index", "sync", "--db", db)["caught_up"]
    assert_one_line_error(
        city_run("index", "trail", "--db", db, "--subject", world.alice.address, "--dept", "HRSS"),
        2,
        "exactly one of",
    )
    assert_one_line_error(city_run("index", "trail", "--db", db), 2, "exactly one of")
    assert_one_line_error(city_run("index", "cases", "--db", db, "--dept", "D" * 40), 2, "--dept")
    assert_one_line_error(
        city_run(
            "index", "grants", "--db", str(tmp_path / "none.db"), "--subject", world.alice.address
        ),
        2,
        "index",
        "run 'govchain index sync' first",
    )
    assert_one_line_error(city_run("index", "sync", "--db", db, "--confirmations", "-1"), 2, "--confirmations")  # fmt: skip


def test_devnet_down_is_exit_1(offline: Run, tmp_path: Path) -> None:
    assert_one_line_error(
        offline("index", "sync", "--db", str(tmp_path / "i.db")), 1, "network unavailable"
    )


def test_an_index_that_is_not_one_is_one_line(offline: Run, tmp_path: Path) -> None:
    """A file that is not SQLite, a PostgreSQL server that is down, a database the index does
    not run on: one line each, never a traceback (review s31/3 F7)."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all, " * 100)
    alice = "0x000000000000000000000000000000000000bEEF"
    for db, code, words in (
        (str(junk), 1, "database: file is not a database"),
        (f"postgresql://nobody@127.0.0.1:{free_port()}/x", 1, "database: connection failed"),
        ("mysql://x/y", 2, "mysql:// is not a database the index runs on"),
    ):
        assert_one_line_error(
            offline("index", "trail", "--db", db, "--subject", alice), code, words
        )
    assert_one_line_error(offline("index", "status", "--db", str(junk)), 1, "not a database")
