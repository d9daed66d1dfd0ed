"""`govchain devnet up|down|status`: the long-lived devnet, in a folder of the test's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from govchain.toolchain.devnet import free_port, rpc
from tests.cli.conftest import Run, assert_one_line_error


def test_devnet_up_status_down(offline: Run, env: dict[str, str]) -> None:
    port = free_port()
    # `up` runs as its own process, as a user runs it: anvil outlives it (and is not left a
    # zombie of the test process, which `down` would wait on)
    started = subprocess.run(
        [sys.executable, "-m", "govchain.cli", "--json", "devnet", "up", "--port", str(port),
         "--chain-id", "4321", "--zero-fee"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    up = json.loads(started.stdout)
    try:
        assert up["url"] == f"http://127.0.0.1:{port}"
        assert up["chain_id"] == 4321
        assert up["zero_fee"] is True
        assert int(str(rpc(up["url"], "eth_chainId")), 16) == 4321
        status = offline.json("devnet", "status")
        assert status["running"] is True
        assert status["pid"] == up["pid"]
        text = offline("devnet", "status")
        assert text.stdout.strip() == (
            f"devnet running at {up['url']} (chain id 4321, zero fee, pid {up['pid']})"
        )
        assert offline.json("devnet", "up", "--port", str(free_port()))["pid"] == up["pid"]
        info = offline("--rpc", up["url"], "--json", "chain", "info", rpc_url=False)
        assert '"zero_fee": true' in info.stdout
    finally:
        assert offline.json("devnet", "down") == {"stopped": True}
    assert (Path(env["GOVCHAIN_DEVNET_DIR"]) / "state.json").is_file()


def test_status_of_a_devnet_that_is_not_running_exits_1(offline: Run) -> None:
    result = offline("devnet", "status")
    assert result.exit_code == 1
    assert result.stdout.strip() == "no devnet running"
    json_result = offline("--json", "devnet", "status")
    assert json_result.exit_code == 1
    assert json_result.stdout.strip().replace(" ", "").replace("\n", "") == '{"running":false}'
    assert offline("devnet", "down").stdout.strip() == "no devnet running"


def test_a_port_in_use_is_one_line_exit_1(offline: Run, run: Run) -> None:
    busy = run.rpc
    assert busy is not None
    port = busy.rsplit(":", 1)[1]
    assert_one_line_error(offline("devnet", "up", "--port", port), 1, "already in use")


def test_a_bad_port_is_bad_usage(offline: Run) -> None:
    assert_one_line_error(offline("devnet", "up", "--port", "99999"), 2, "--port")
