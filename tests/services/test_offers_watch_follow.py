"""`govchain offer watch --follow` outlives a failed round (review s27 W-2): one line to stderr,
then the next round, instead of ending with a traceback (and ending again when restarted)."""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.httpstub import StubHandler, serving


class _Switch(StubHandler):
    """Forwards JSON-RPC to the devnet, or answers 503 while ``broken`` (the chain away)."""

    upstream = ""
    broken = threading.Event()

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.broken.is_set():
            return 503, b"away"
        got = httpx.post(self.upstream, content=body, headers={"content-type": "application/json"})
        return got.status_code, got.content


@pytest.fixture
def switch(city_run: CityRun) -> Iterator[str]:
    _Switch.upstream = city_run.rpc or ""
    _Switch.broken.clear()
    with serving(_Switch) as url:
        yield url


def _wait_for(path: Path, text: str, proc: subprocess.Popen[bytes], seconds: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        assert proc.poll() is None, (content, proc.returncode)
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {path.read_text()!r}")


def test_a_failed_round_is_one_line_and_the_next_round_runs(
    city_run: CityRun, switch: str, tmp_path: Path
) -> None:
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    argv = [sys.executable, "-m", "govchain.cli", "--rpc", switch, "--json"]
    argv += ["--key", "civil-staff", "offer", "watch", "--store", str(tmp_path / "node.db")]
    argv += ["--db", str(tmp_path / "index.db"), "--follow", "--interval", "0.3"]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=dict(os.environ))
        try:
            _wait_for(out, '"department": "CIVIL"', proc, 120)  # a first round went through
            _Switch.broken.set()  # the chain goes away under it
            _wait_for(err, "error: this round failed", proc, 60)
            time.sleep(1.0)  # more rounds fail the same way, the process goes on
            rounds = out.read_text().count('"department": "CIVIL"')
            _Switch.broken.clear()  # back: the next round runs
            end = time.monotonic() + 60
            while out.read_text().count('"department": "CIVIL"') == rounds:
                assert proc.poll() is None and time.monotonic() < end
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = err.read_text()
    failed = [line for line in text.splitlines() if "this round failed" in line]
    assert failed and all(line.startswith("error: this round failed (") for line in failed)
    assert "Traceback" not in text
