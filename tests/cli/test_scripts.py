"""The client scripts of scripts/ (department, citizen, auditor), each run through `ape run`
against a real devnet and a real data node: publish a CSV and anchor it, consent, fetch under
the grant, list the trail with its purpose text, audit, revoke."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from eth_utils.crypto import keccak

from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, new_key
from tests.cli.test_onboard import spawn, wait_up

APE = str(Path(sys.executable).parent / "ape")


def ape_run(city_run: CityRun, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        GOVCHAIN_HOME=str(city_run.home),
        GOVCHAIN_PASSPHRASE=CITY_PASSPHRASE,
        GOVCHAIN_RPC=str(city_run.rpc),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return subprocess.run(
        [APE, "run", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_client_scripts_run_through_ape(city_run: CityRun, tmp_path: Path) -> None:
    alice, alice_address = new_key(city_run, "alice")
    added = city_run("--key", "hrss-admin", "catalog", "add", "HRSS.PENSION", "--sharing", "conditional")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    csv = tmp_path / "pension.csv"
    csv.write_text(
        "category,record,subject,content\n"
        f'HRSS.PENSION,PEN-1,{alice_address},"{{""monthly_cny"": 2860}}"\n'
    )
    db = tmp_path / "hrss.db"
    published = ape_run(city_run, "department", "publish", "--key", "hrss-staff", "--dept", "HRSS", "--db", str(db), str(csv))  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert "published 1 new records of HRSS; anchored 1" in published.stdout
    again = ape_run(city_run, "department", "publish", "--key", "hrss-staff", "--dept", "HRSS", "--db", str(db), str(csv))  # fmt: skip
    assert "published 0 new records" in again.stdout  # a re-run publishes nothing twice

    port = free_port()
    node = spawn(city_run, "--key", "hrss-admin", "node", "serve", "--dept", "HRSS", "--db", str(db), "--port", str(port), "--register")  # fmt: skip
    try:
        wait_up(f"http://127.0.0.1:{port}", node)
        consent = tmp_path / "consent.json"
        signed = ape_run(city_run, "citizen", "consent", "--key", alice, "--grantee", "CIVIL", "--owner", "HRSS", "--category", "HRSS.PENSION", "--purpose", "pension check for the subsidy", "--out", str(consent))  # fmt: skip
        assert signed.returncode == 0, signed.stderr
        grant = city_run.json("--key", "civil-staff", "grant", "submit", str(consent))["grant_id"]
        assert grant in signed.stdout
        kept = json.loads(consent.read_text())
        on_chain, salt = kept["terms"]["purpose_hash"], kept["purpose_salt"]
        assert (
            on_chain
            == "0x" + keccak(bytes.fromhex(salt[2:]) + b"pension check for the subsidy").hex()
        )
        assert on_chain != "0x" + keccak(text="pension check for the subsidy").hex()  # salted
        fetched = ape_run(city_run, "department", "fetch", "--key", "civil-staff", "--grant", grant, "--record", "PEN-1")  # fmt: skip
        assert fetched.returncode == 0, fetched.stderr
        assert '"monthly_cny":2860' in fetched.stdout.replace(" ", "")
    finally:
        node.send_signal(signal.SIGTERM)
        node.communicate(timeout=30)

    trail = ape_run(city_run, "citizen", "trail", "--key", alice)
    assert trail.returncode == 0, trail.stderr
    assert "'pension check for the subsidy'" in trail.stdout and "1 accesses" in trail.stdout
    audited = ape_run(city_run, "auditor", "trail", "--key", "bdb-auditor", "--subject", alice_address)  # fmt: skip
    assert audited.returncode == 0, audited.stderr
    assert "1 accesses, 0 with problems" in audited.stdout
    tamper = ape_run(city_run, "auditor", "tamper", "--dept", "HRSS", "--db", str(db))
    assert tamper.returncode == 0 and "clean" in tamper.stdout, tamper.stderr
    revoked = ape_run(city_run, "citizen", "revoke", "--key", alice, "--grant", grant)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    assert "revoked" in city_run("grant", "show", grant).stdout.lower()
