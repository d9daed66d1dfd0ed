"""A node that runs for years: SIGHUP reloads its config file (log level, access log reopened
after logrotate moved it, TLS certificate, metrics token) and keeps the running one when the
file has a mistake; /metrics behind a bearer token; mutual TLS between departments. Each against
a real `govchain node serve` process and certificates made by openssl."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from govchain.node.client import CitizenClient
from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, assert_one_line_error
from tests.cli.datanode import PENSION, World, world


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Pki:
    """A CA made in the test, and certificates it signs (or that sign themselves)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca = folder / "ca.pem"
        self.ca_key = folder / "ca.key"
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-keyout", str(self.ca_key), "-out", str(self.ca), "-subj", "/CN=govchain test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip

    def issue(self, name: str, *, server: bool, signed: bool = True) -> tuple[Path, Path]:
        cert, key, csr = (self.folder / f"{name}{ext}" for ext in (".pem", ".key", ".csr"))
        ext = self.folder / f"{name}.ext"
        ext.write_text(
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
            if server
            else "extendedKeyUsage=clientAuth\n"
        )
        subject = f"/CN={'127.0.0.1' if server else name}"
        if not signed:  # its own issuer: no CA of the node's vouches for it
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout",
                     str(key), "-out", str(cert), "-subj", subject)  # fmt: skip
            return cert, key
        _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                 "-out", str(csr), "-subj", subject)  # fmt: skip
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(self.ca_key),
                 "-CAcreateserial", "-days", "1", "-out", str(cert), "-extfile", str(ext))  # fmt: skip
        return cert, key

    def client_context(self, chain: tuple[Path, Path] | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca))
        if chain is not None:
            context.load_cert_chain(*map(str, chain))
        return context


def _spawn(city_run: CityRun, stderr: Path, *args: str) -> subprocess.Popen[str]:
    """`govchain … node serve` with its stderr in a file (read while it runs)."""
    env = dict(os.environ)
    env.update(
        GOVCHAIN_HOME=str(city_run.home),
        GOVCHAIN_PASSPHRASE=CITY_PASSPHRASE,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    argv = [sys.executable, "-m", "govchain.cli", "--rpc", str(city_run.rpc), *args]
    with stderr.open("w") as err:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, text=True)


def _until(what: str, check: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert proc.poll() is None, f"the node exited: {proc.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting: {what}"
        time.sleep(0.1)


def _answers(url: str, verify: ssl.SSLContext) -> bool:
    try:
        return httpx.get(url + "/v1/health", verify=verify, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    return out


def _served_certificate(port: int) -> str:
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def _fingerprint(cert: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.read_text())).hexdigest()


def _answer(port: int, context: ssl.SSLContext) -> bytes:
    """The first bytes a raw HTTPS request over ``context`` gets back (b"" when the node closes
    the connection; TLS 1.3 ends the handshake before the node checks the client's side)."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        try:
            tls.sendall(b"GET /v1/health HTTP/1.1\r\nHost: node\r\n\r\n")
            return tls.recv(15)
        except (ssl.SSLError, ConnectionError):
            return b""


def test_sighup_reloads_the_config_and_keeps_it_when_the_file_is_wrong(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    pki = Pki(tmp_path)
    first, second = pki.issue("node-1", server=True), pki.issue("node-2", server=True)
    store, port = world.copy_store(tmp_path), free_port()
    log, token = tmp_path / "logs" / "access.jsonl", tmp_path / "metrics.token"
    token.write_text("first-token-0123456789\n")
    config = tmp_path / "govchain.toml"

    def write(log_level: str, chain: tuple[Path, Path], extra: str = "") -> None:
        config.write_text(
            f'[node]\ndepartment = "HRSS"\ndb = "{store}"\nport = {port}\n'
            f'access_log = "{log}"\nlog_level = "{log_level}"\ntls_cert = "{chain[0]}"\n'
            f'tls_key = "{chain[1]}"\nmetrics_token_file = "{token}"\n{extra}'
        )

    write("warning", first)
    stderr = tmp_path / "node.err"
    proc = _spawn(city_run, stderr, "--config", str(config), "node", "serve")
    url, trusted = f"https://127.0.0.1:{port}", pki.client_context()

    def scrape(bearer: str | None) -> int:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return httpx.get(url + "/metrics", headers=headers, verify=trusted).status_code

    def hup(reloads: str) -> None:
        proc.send_signal(signal.SIGHUP)
        _until(reloads, lambda: reloads in stderr.read_text(), proc)

    try:
        _until("the node serves HTTPS", lambda: _answers(url, trusted), proc)
        assert _served_certificate(port) == _fingerprint(first[0])
        refused = httpx.get(url + "/metrics", verify=trusted)
        assert refused.status_code == 401 and refused.json()["reason"] == "unauthorized"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert scrape("wrong-token-0123456789") == 401
        assert scrape("first-token-0123456789") == 200
        assert len(log.read_text().splitlines()) == 1  # the health check; /metrics is not logged

        # logrotate moves the log away, the operator renews the certificate and the token and
        # raises the log level; SIGHUP applies all of it to the running node
        log.rename(log.with_suffix(".jsonl.1"))
        token.write_text("second-token-0123456789\n")
        write("info", second)
        hup("reloaded (SIGHUP 1): log level info")
        assert scrape("first-token-0123456789") == 401
        assert scrape("second-token-0123456789") == 200
        assert _served_certificate(port) == _fingerprint(second[0])
        assert _answers(url, trusted)
        assert [json.loads(x)["path"] for x in log.read_text().splitlines()] == ["/v1/health"]
        assert len(log.with_suffix(".jsonl.1").read_text().splitlines()) == 1

        # mistakes: the running configuration stays whole, one line each
        write("loud", first)
        hup("reload refused")
        write("info", (first[0], second[1]))  # a key that is not the certificate's
        hup("cannot load")
        write("info", second, 'host = "0.0.0.0"\n')
        hup("reloaded (SIGHUP 2)")  # applied, but the listen address waits for a restart
        assert scrape("second-token-0123456789") == 200
        assert _served_certificate(port) == _fingerprint(second[0])
    finally:
        out = _stop(proc)
    assert "stopped (SIGTERM)" in out
    lines = stderr.read_text().splitlines()
    refusals = [x for x in lines if "reload refused" in x]
    assert len(refusals) == 2 and all("Traceback" not in x for x in lines)
    assert "[node] log_level: must be 'critical'" in refusals[0]
    assert f"cannot load {first[0]} with {second[1]}" in refusals[1]
    assert "host changed: restart to apply" in next(x for x in lines if "SIGHUP 2" in x)


def test_mutual_tls_admits_only_certified_departments_and_signatures_still_decide(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    pki = Pki(tmp_path)
    server = pki.issue("node", server=True)
    department = pki.issue("civil", server=False)
    stranger = pki.issue("stranger", server=False, signed=False)
    store, port = world.copy_store(tmp_path), free_port()
    stderr = tmp_path / "node.err"
    proc = _spawn(
        city_run, stderr, "node", "serve", "--dept", "HRSS", "--db", str(store),
        "--port", str(port), "--tls-cert", str(server[0]), "--tls-key", str(server[1]),
        "--tls-client-ca", str(pki.ca),
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    certified = pki.client_context(department)
    try:
        _until("the node serves mutual TLS", lambda: _answers(url, certified), proc)
        # without a certificate, or with one no CA of the node signed, no request is read
        assert _answer(port, certified) == b"HTTP/1.1 200 OK"
        assert _answer(port, pki.client_context()) == b""
        assert _answer(port, pki.client_context(stranger)) == b""
        with pytest.raises(httpx.HTTPError):
            httpx.get(url + "/v1/health", verify=pki.client_context(), timeout=5)
        # the SDK's client and the CLI present the department's certificate from the config
        client = CitizenClient(
            world.reader(),
            world.alice,
            ca_file=str(pki.ca),
            client_cert=tuple(map(str, department)),
        )
        assert client.fetch(url, PENSION, world.ids["pension"]).json() == {"monthly": 3260}
        config = tmp_path / "civil.toml"
        config.write_text(
            f'[cli]\nca_file = "{pki.ca}"\ntls_client_cert = "{department[0]}"\n'
            f'tls_client_key = "{department[1]}"\n'
        )
        shown = city_run.json("--config", str(config), "node", "status", url)
        assert shown[0]["reachable"] is True and shown[0]["department"] == "HRSS"
        anonymous = tmp_path / "anonymous.toml"
        anonymous.write_text(f'[cli]\nca_file = "{pki.ca}"\n')
        plain = city_run("--json", "--config", str(anonymous), "node", "status", url)
        assert plain.exit_code == 1 and json.loads(plain.stdout)[0]["reachable"] is False
        # the certificate only admits the connection: an unsigned request is still refused
        body = client._signed(PENSION, world.ids["pension"])
        body.pop("signature")
        unsigned = httpx.post(url + "/v1/subject/fetch", json=body, verify=certified)
        assert (unsigned.status_code, unsigned.json()["reason"]) == (401, "unsigned")
    finally:
        out = _stop(proc)
    assert "stopped (SIGTERM)" in out


def test_unusable_mtls_and_token_options_are_refused_in_one_line(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    store, port = world.copy_store(tmp_path), str(free_port())
    serve = ("node", "serve", "--dept", "HRSS", "--db", str(store), "--port", port)
    pki = Pki(tmp_path)
    alone = city_run(*serve, "--tls-client-ca", str(pki.ca))
    assert_one_line_error(alone, 2, "--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")
    short = tmp_path / "short.token"
    short.write_text("secret\n")
    refused = city_run(*serve, "--metrics-token-file", str(short))
    assert_one_line_error(refused, 1, "the token must be 16 characters or more")
