"""`govchain node serve|status|publish|anchor`: a real node process, its endpoint on chain, anchors."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from govchain.node.publisher import Publisher
from govchain.node.store import Store, sqlite_url
from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, Run, assert_one_line_error
from tests.cli.datanode import HRSS, PENSION, World, rid, serving, world


def _endpoint(world: World, code: bytes = HRSS) -> str:
    return str(world.contract("DepartmentRegistry").functions.department(code).call()[4])


def _spawn(city_run: CityRun, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        GOVCHAIN_HOME=str(city_run.home),
        GOVCHAIN_PASSPHRASE=CITY_PASSPHRASE,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    argv = [sys.executable, "-m", "govchain.cli", "--rpc", str(city_run.rpc), *args]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_up(url: str, proc: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=1) as client:  # one client (and TLS context) for every poll
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(proc.communicate())
            try:
                return dict(client.get(url + "/v1/health").json())
            except httpx.HTTPError:
                time.sleep(0.1)
    proc.kill()
    raise AssertionError("the node did not come up")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_registers_its_endpoint_and_stops_cleanly(
    city_run: CityRun, world: World, tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    store = world.copy_store(tmp_path)
    proc = _spawn(
        city_run, "--key", "hrss-admin", "node", "serve", "--dept", "HRSS",
        "--db", str(store), "--port", str(port), "--register",
    )  # fmt: skip
    try:
        health = _wait_up(url, proc)
        assert health["chain"] == "ok" and health["department"] == "0x" + HRSS.hex()
        assert _endpoint(world) == url  # other departments discover it on chain
        shown = city_run.json("node", "status", "HRSS")
        assert shown == [
            {
                "department": "HRSS",
                "status": "Active",
                "endpoint": url,
                "reachable": True,
                "chain": "ok",
                "chain_id": 31337,
            }
        ]
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "serving HRSS on " + url in out and "endpoint registered in 0x" in out
    assert f"stopped ({sig.name})" in out
    assert "Traceback" not in err


def test_serve_refusals(city_run: CityRun, world: World, tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    base = ("node", "serve", "--dept", "HRSS", "--db", store, "--port", str(free_port()))
    assert_one_line_error(
        city_run("--key", "hrss-staff", *base, "--register"), 1, "is not an ADMIN of HRSS"
    )
    assert_one_line_error(
        city_run("--key", "civil-admin", *base), 1, "not an active member of HRSS"
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = str(busy.getsockname()[1])
        assert_one_line_error(
            city_run("node", "serve", "--dept", "HRSS", "--db", store, "--port", port),
            1,
            "cannot listen on 127.0.0.1:" + port,
        )
    assert_one_line_error(city_run(*base[:2], "--dept", "NOPE", *base[4:]), 2, "department NOPE")
    assert_one_line_error(city_run(*base[:-1], "99999"), 2, "--port")


def test_status_of_every_department_and_of_a_url(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    with serving(world, tmp_path) as (url, _):
        rows = city_run.json("node", "status")
        direct = city_run.json("node", "status", url)
    assert [r["department"] for r in rows] == ["BDB", "PSB", "HRSS", "HOUSING", "DPF", "CIVIL", "FINANCE"]  # fmt: skip
    hrss = next(r for r in rows if r["department"] == "HRSS")
    assert hrss["reachable"] is True and hrss["endpoint"] == url
    civil = next(r for r in rows if r["department"] == "CIVIL")
    assert civil["reachable"] is False and civil["error"] == "no endpoint registered"
    assert direct[0]["department"] == "HRSS" and direct[0]["reachable"] is True
    # the node is gone now; asking for it by name fails
    assert city_run("node", "status", "HRSS").exit_code == 1
    assert city_run("node", "status", "CIVIL").exit_code == 1


def test_publish_writes_and_anchors(city_run: CityRun, world: World, tmp_path: Path) -> None:
    file = tmp_path / "records.jsonl"
    lines = [
        {"category": "HRSS.PENSION", "record": "pension-carol", "subject": world.bob.address,
         "content": {"monthly": 2800}},
        {"category": "HRSS.PENSION", "record": "pension-alice", "subject": world.alice.address,
         "content": {"monthly": 3300}},
    ]  # fmt: skip
    file.write_text("\n".join(json.dumps(line) for line in lines))
    store = world.copy_store(tmp_path)
    data = city_run.json("--key", "hrss-staff", "node", "publish", "--dept", "HRSS", "--db", str(store), str(file))  # fmt: skip
    assert data["anchored"] == 2 and data["pending"] == 0
    assert [(p["record"], p["version"]) for p in data["published"]] == [
        ("pension-carol", 1),
        ("pension-alice", 3),
    ]
    anchors = world.contract("AnchorRegistry")
    assert anchors.functions.latestVersion(PENSION, rid("pension-alice")).call() == 3
    digest, block, _ = anchors.functions.recordVersion(PENSION, rid("pension-carol"), 1).call()
    assert block > 0 and "0x" + digest.hex() == data["published"][0]["record_hash"][:46]
    audit = city_run.json("audit", "tamper", "--dept", "HRSS", "--db", str(store))
    assert audit["counts"]["ok"] == 10 and audit["clean"] is True
    # batch mode: one Merkle root for the file
    batch = city_run.json(
        "--key", "hrss-staff", "node", "publish", "--dept", "HRSS", "--batch",
        "--db", str(tmp_path / "fresh.db"), str(file),
    )  # fmt: skip
    assert batch["anchored"] == 2


def test_anchor_finishes_what_waits_in_the_outbox(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    path = world.copy_store(tmp_path)
    store = Store(sqlite_url(path))
    Publisher(store, b"HRSS".ljust(32, b"\0")).publish(
        PENSION, rid("pension-late"), {"monthly": 1}, subject=world.bob.address
    )
    store.dispose()
    data = city_run.json("--key", "hrss-staff", "node", "anchor", "--dept", "HRSS", "--db", str(path))  # fmt: skip
    assert data == {"department": "HRSS", "anchored": 1, "pending": 0}
    anchors = world.contract("AnchorRegistry")
    assert anchors.functions.latestVersion(PENSION, rid("pension-late")).call() == 1


def test_publish_refusals_and_bad_input(city_run: CityRun, world: World, tmp_path: Path) -> None:
    file = tmp_path / "r.json"
    file.write_text(json.dumps([{"category": "HRSS.PENSION", "record": "r", "content": {}}]))
    db = str(tmp_path / "p.db")
    base = ("node", "publish", "--dept", "HRSS", "--db", db)
    assert_one_line_error(city_run("--key", "hrss-auditor", *base, str(file)), 1, "STAFF or ADMIN")
    assert_one_line_error(city_run("--key", "civil-staff", *base, str(file)), 1, "not an active member of HRSS")  # fmt: skip
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"category": "DPF.CARD", "record": "r", "content": "x"}))
    assert_one_line_error(city_run("--key", "hrss-staff", *base, str(other)), 2, "category DPF.CARD not found")  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert_one_line_error(city_run("--key", "hrss-staff", *base, str(bad)), 2, "not JSON")
    assert_one_line_error(city_run("--key", "hrss-staff", *base, str(tmp_path / "none")), 2, "records file")  # fmt: skip
    assert_one_line_error(city_run("--key", "hrss-staff", "node", "anchor", "--dept", "HRSS", "--db", str(tmp_path / "n.db")), 2, "n.db")  # fmt: skip


def test_devnet_down_is_exit_1(offline: Run) -> None:
    assert_one_line_error(offline("node", "status", "HRSS"), 1, "network unavailable")
