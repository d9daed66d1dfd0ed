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


def _up(*args: str) -> dict[str, object]:
    """`govchain devnet up` as its own process (anvil outlives it, as for a user)."""
    started = subprocess.run(
        [sys.executable, "-m", "govchain.cli", "--json", "devnet", "up", *args],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    return dict(json.loads(started.stdout))


def test_a_saved_devnet_resumes_with_its_chain_id_and_fees(offline: Run) -> None:
    first = _up("--port", str(free_port()), "--chain-id", "4321", "--zero-fee")
    assert offline.json("devnet", "down") == {"stopped": True}
    # restarted without its flags: the saved chain id and zero fee come back
    again = _up("--port", str(free_port()))
    try:
        assert again["chain_id"] == 4321
        assert again["zero_fee"] is True
        assert int(str(rpc(str(again["url"]), "eth_chainId")), 16) == 4321
        assert again["pid"] != first["pid"]
    finally:
        assert offline.json("devnet", "down") == {"stopped": True}


def test_restarting_a_saved_devnet_with_other_settings_is_refused(offline: Run) -> None:
    _up("--port", str(free_port()), "--chain-id", "4321")
    assert offline.json("devnet", "down") == {"stopped": True}
    port = str(free_port())
    assert_one_line_error(
        offline("devnet", "up", "--port", port, "--chain-id", "31337"), 1, "chain id 4321"
    )
    assert_one_line_error(offline("devnet", "up", "--port", port, "--zero-fee"), 1, "fees")
    assert offline("devnet", "status").exit_code == 1  # nothing was started


def test_advance_moves_the_devnet_clock(offline: Run) -> None:
    up = _up("--port", str(free_port()))
    try:
        before = int(
            str(rpc(str(up["url"]), "eth_getBlockByNumber", ["latest", False])["timestamp"]), 16
        )  # type: ignore[index]
        moved = offline.json("devnet", "advance", "7d")
        assert moved["advanced"] == 7 * 86_400
        assert moved["timestamp"] >= before + 7 * 86_400
        text = offline("devnet", "advance", "1h30m").stdout
        assert text.startswith(f"devnet at {up['url']} advanced 5400 s; latest block time ")
    finally:
        offline.json("devnet", "down")


def test_advance_refuses_a_bad_duration_and_a_missing_devnet(offline: Run) -> None:
    assert_one_line_error(offline("devnet", "advance", "7 days"), 2, "DURATION")
    assert_one_line_error(offline("devnet", "advance", "7d"), 1, "no devnet answers")


def test_make_devnet_honours_port() -> None:
    shown = subprocess.run(
        ["make", "-n", "devnet", "PORT=18555", "CHAIN_ID=77", "ZERO_FEE=1"],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    joined = shown.stdout.replace("\\\n", " ")
    line = next(x for x in joined.splitlines() if "govchain.toolchain.devnet up" in x)
    assert "--port 18555" in line
    assert "--chain-id 77" in line
