"""The demo's processes: data nodes run as ``govchain node serve``, other CLI calls as commands.

Every process started here is stopped by :meth:`NodeProcess.stop` (SIGTERM, then SIGKILL after a
grace period), so the demo leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from govchain.errors import GovchainError

STARTUP_TIMEOUT = 30.0


class DemoProcessError(GovchainError):
    """A process of the demo did not start or answer."""


def _cli(rpc_url: str, home: Path, *args: str, key: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "govchain.cli", "--rpc", rpc_url, "--home", str(home)]
    if key:
        command += ["--key", key]
    return [*command, *args]


def _env(passphrase: str) -> dict[str, str]:
    env = dict(os.environ)
    env["GOVCHAIN_PASSPHRASE"] = passphrase
    env.pop("GOVCHAIN_KEY", None)
    return env


def run_cli(
    rpc_url: str, home: Path, passphrase: str, *args: str, key: str | None = None
) -> tuple[int, Any]:
    """Runs ``govchain --json ARGS``; returns its exit code and its parsed output (or stderr)."""
    done = subprocess.run(
        _cli(rpc_url, home, "--json", *args, key=key),
        capture_output=True,
        text=True,
        env=_env(passphrase),
        timeout=300,
        check=False,
    )
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        return done.returncode, (done.stderr or done.stdout).strip()


@dataclass
class NodeProcess:
    """A department's data node running as its own process."""

    department: str
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(
        cls,
        department: str,
        db_url: str,
        port: int,
        rpc_url: str,
        home: Path,
        log_path: Path,
        passphrase: str = "",
    ) -> NodeProcess:
        log = log_path.open("ab")
        command = _cli(
            rpc_url,
            home,
            "node",
            "serve",
            "--dept",
            department,
            "--db",
            db_url,
            "--port",
            str(port),
        )
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=_env(passphrase)
        )
        node = cls(department, f"http://127.0.0.1:{port}", process, log)
        try:
            node.wait_ready()
        except BaseException:
            node.stop()
            raise
        return node

    def wait_ready(self) -> None:
        # One client for the whole wait: each httpx.get() builds a client, and with it a TLS
        # context that loads the CA bundle (~10 ms of CPU), for every poll (issue 20).
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with httpx.Client(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise DemoProcessError(
                        f"{self.department} node exited with code {self.process.returncode}; "
                        f"see {self.log.name}"
                    )
                try:
                    if client.get(self.url + "/v1/health").status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise DemoProcessError(f"{self.department} node did not answer within {STARTUP_TIMEOUT}s")

    def stop(self, grace: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
