"""`govchain node serve` as a service: config file, HTTPS, access log, metrics, OpenAPI, graceful
stop and store migrations, each against a real node process."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import json
import signal
import socket
import sqlite3
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from govchain.node import migrate
from govchain.node.client import CitizenClient
from govchain.toolchain.devnet import free_port
from tests.cli.conftest import CityRun, assert_one_line_error
from tests.cli.datanode import HRSS, PENSION, World, rid, world
from tests.cli.test_node import _spawn, _wait_up


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA)."""
    cert, key = folder / "node.pem", folder / "node.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _revision(path: Path) -> str | None:
    with sqlite3.connect(path) as db:
        try:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return None if row is None else str(row[0])


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out, err


def test_a_node_from_its_config_file_over_https_logs_and_counts_every_request(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    cert, key = _certificate(tmp_path)
    store = world.copy_store(tmp_path)
    with sqlite3.connect(store) as db:  # a store as the code before migrations left it
        db.execute("DROP TABLE alembic_version")
    assert _revision(store) is None
    port, log = free_port(), tmp_path / "logs" / "access.jsonl"
    config = tmp_path / "govchain.toml"
    config.write_text(
        f'[node]\ndepartment = "HRSS"\ndb = "{store}"\nport = {port}\n'
        f'access_log = "{log}"\nlog_level = "info"\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
        f'[cli]\nca_file = "{cert}"\n'
    )
    proc = _spawn(city_run, "--config", str(config), "node", "serve")
    url = f"https://127.0.0.1:{port}"
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                health = httpx.get(url + "/v1/health", verify=trusted, timeout=2).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the node did not come up"
                time.sleep(0.1)
        assert health["chain"] == "ok" and health["department"] == "0x" + HRSS.hex()
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(url + "/v1/health", timeout=2)  # not signed by a CA the system trusts
        # the citizen's client verifies the node against the CA file and gets her record
        client = CitizenClient(world.reader(), world.alice, ca_file=str(cert))
        record = client.fetch(url, PENSION, world.ids["pension"])
        # its HTTPS connection stays open, idle: the stop below must not wait for it
        assert record.json() == {"monthly": 3260}
        refused = httpx.post(url + "/v1/records/fetch", content=b"not json", verify=trusted)
        assert (refused.status_code, refused.json()["reason"]) == (400, "malformed_request")
        # the CLI checks the node against the config's [cli] ca_file, or the system's CAs
        shown = city_run.json("--config", str(config), "node", "status", url)
        assert shown[0]["reachable"] is True and shown[0]["department"] == "HRSS"
        plain = city_run("--json", "node", "status", url)
        assert plain.exit_code == 1
        untrusted = json.loads(plain.stdout)
        assert untrusted[0]["reachable"] is False
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted[0]["error"]
        metrics = httpx.get(url + "/metrics", verify=trusted).text
        schema = httpx.get(url + "/openapi.json", verify=trusted).json()
    finally:
        stopping = time.monotonic()
        out, _ = _stop(proc)
    assert time.monotonic() - stopping < 10
    assert f"serving HRSS on {url}" in out and "stopped (SIGTERM)" in out
    assert _revision(store) == migrate.head()  # upgraded on start
    # metrics: requests by outcome and reason, latency, head lag, anchoring backlog
    assert (
        'govchain_node_requests_total{outcome="served",path="/v1/subject/fetch",reason=""} 1.0'
        in metrics
    )
    assert (
        'govchain_node_requests_total{outcome="served",path="/v1/health",reason=""} 2.0' in metrics
    )
    assert (
        'govchain_node_requests_total{outcome="refused",path="/v1/records/fetch",'
        'reason="malformed_request"} 1.0' in metrics
    )
    assert 'govchain_node_request_seconds_bucket{le="+Inf",path="/v1/subject/fetch"} 1.0' in metrics
    lag = next(line for line in metrics.splitlines() if line.startswith("govchain_node_chain_head"))
    assert 0 <= float(lag.split()[-1]) < 3600
    assert "govchain_node_anchoring_backlog 0.0" in metrics
    assert set(schema["paths"]) == {  # the services' endpoints have their models too
        "/v1/records/fetch",
        "/v1/subject/fetch",
        "/v1/subject/list",
        "/v1/health",
        "/v1/offers/list",
        "/v1/offers/accept",
        "/v1/objections/text",
        "/v1/objections/read",
    }
    # the access log: one JSON line per request, refusals with their reason, no content
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    served = next(x for x in lines if x["path"] == "/v1/subject/fetch")
    assert served["status"] == 200 and served["outcome"] == "served" and served["reason"] is None
    assert served["signer"] == world.alice.address and served["event"] == "request"
    assert served["category"] == "0x" + PENSION.hex() and served["grant"] is None
    assert served["time"].endswith("Z") and served["duration_ms"] > 0
    bad = next(x for x in lines if x["path"] == "/v1/records/fetch")
    assert (bad["status"], bad["outcome"], bad["reason"], bad["signer"]) == (
        400,
        "refused",
        "malformed_request",
        None,
    )
    assert "3260" not in log.read_text()


def test_sigterm_lets_a_request_in_flight_finish(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    """SIGTERM arrives while a citizen's request is half sent: the node answers it in full,
    then exits 0; the store holds its nonce and its serve-log row (one transaction), nothing
    half-written."""
    store = world.copy_store(tmp_path)
    port = free_port()
    proc = _spawn(
        city_run, "node", "serve", "--dept", "HRSS", "--db", str(store), "--port", str(port)
    )
    url = f"http://127.0.0.1:{port}"
    client = CitizenClient(world.reader(), world.alice)
    body = json.dumps(client._signed(PENSION, world.ids["pension"])).encode()
    head = (
        f"POST /v1/subject/fetch HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        _wait_up(url, proc)
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(head + body[:40])
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert proc.poll() is None  # still finishing the request in flight
            with pytest.raises(httpx.ConnectError):  # while it accepts no new connection
                httpx.get(url + "/v1/health", timeout=2)
            sock.sendall(body[40:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    finally:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 200 OK", answer[:300]
    payload = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert payload["recordId"] == "0x" + world.ids["pension"].hex()
    assert "stopped (SIGTERM)" in out
    nonce = str(json.loads(body)["request"]["nonce"])
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        used = db.execute(
            "SELECT count(*) FROM used_nonces WHERE signer = ? AND nonce = ?",
            (world.alice.address, nonce),
        ).fetchone()
        served = db.execute(
            "SELECT count(*) FROM serve_log WHERE requester = ? AND kind = 'subject'",
            (world.alice.address,),
        ).fetchone()
    assert used == (1,) and served == (1,)


def test_a_store_written_by_a_newer_govchain_is_refused_in_one_line(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    store = world.copy_store(tmp_path)
    with sqlite3.connect(store) as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffff'")
    result = city_run(
        "node", "serve", "--dept", "HRSS", "--db", str(store), "--port", str(free_port())
    )
    assert_one_line_error(result, 1, "schema revision ffff, newer than this govchain")
    assert _revision(store) == "ffff"  # untouched


def test_config_mistakes_are_one_line_each(
    city_run: CityRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[node]\nport = 70000\n")
    assert_one_line_error(
        city_run("--config", str(config), "node", "serve"),
        2,
        f"{config}: [node] port: must be 1–65535",  # noqa: RUF001
    )
    config.write_text('[node]\nport = 8700\ncolour = "red"\nlog_level = "loud"\n[nodes]\n')
    result = city_run("--config", str(config), "node", "status")
    assert_one_line_error(result, 2)
    mistakes = result.stderr.strip().removeprefix("error: ").split("; ")
    assert sorted(mistakes) == sorted(
        [
            f"{config}: [node] colour: unknown key",
            f"{config}: [node] log_level: must be 'critical', 'error', 'warning', 'info' or 'debug'",
            f"{config}: unknown section [nodes]",
        ]
    )
    config.write_text("[node\n")
    assert_one_line_error(city_run("--config", str(config), "node", "status"), 2, "not TOML")
    assert_one_line_error(
        city_run("--config", str(tmp_path / "none.toml"), "node", "status"), 2, "no such file"
    )
    # the environment overrides the file, and is checked as strictly
    config.write_text("[node]\nport = 8700\n")
    monkeypatch.setenv("GOVCHAIN_NODE_PORT", "eighty")
    assert_one_line_error(
        city_run("--config", str(config), "node", "serve"),
        2,
        "GOVCHAIN_NODE_PORT (overrides",
        "[node] port: must be an integer",
    )


def test_flags_win_over_the_environment_over_the_file(
    city_run: CityRun, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = world.copy_store(tmp_path)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    taken = busy.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text(f'[node]\ndepartment = "HRSS"\ndb = "{store}"\nport = {taken}\n')
    with busy:
        # the file's port is taken; the environment's wins over it, the flag over both
        result = city_run("--config", str(config), "node", "serve")
        assert_one_line_error(result, 1, f"cannot listen on 127.0.0.1:{taken}")
        monkeypatch.setenv("GOVCHAIN_NODE_PORT", str(taken))
        config.write_text(f'[node]\ndepartment = "HRSS"\ndb = "{store}"\nport = 1\n')
        result = city_run("--config", str(config), "node", "serve")
        assert_one_line_error(result, 1, f"cannot listen on 127.0.0.1:{taken}")
        result = city_run("--config", str(config), "node", "serve", "--port", "99999")
        assert_one_line_error(result, 2, "--port")  # the flag's value, not the environment's
