"""The real `govchain` entry point in a subprocess: exit codes and one-line errors, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govchain.toolchain.devnet import Devnet, free_port
from tests.cli.conftest import PASSPHRASE, fund

ROOT = Path(__file__).resolve().parents[2]


def govchain(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govchain.cli", *args],
        capture_output=True, text=True, env=env, input=stdin, timeout=60, cwd=ROOT,
    )  # fmt: skip


@pytest.fixture
def proc_env(env: dict[str, str], devnet: Devnet) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "GOVCHAIN_RPC": devnet.url}


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("error: ") and fragment in lines[0], lines


def test_happy_path_through_the_entry_point(proc_env: dict[str, str], devnet: Devnet) -> None:
    created = govchain(
        "--json", "keys", "new", "ops", env={**proc_env, "GOVCHAIN_PASSPHRASE": PASSPHRASE}
    )
    assert created.returncode == 0, created.stderr
    address = json.loads(created.stdout)["address"]
    fund(devnet, address)
    sent = govchain(
        "--key", "ops", "--json", "chain", "transfer", "0x" + "00" * 19 + "d4", "7",
        env={**proc_env, "GOVCHAIN_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["from"] == address
    listed = govchain("--json", "keys", "list", env=proc_env)
    assert [k["name"] for k in json.loads(listed.stdout)] == ["ops"]


def test_user_mistakes_through_the_entry_point(proc_env: dict[str, str]) -> None:
    assert_one_line(govchain("chain", "balance", "0xnope", env=proc_env), 2, "invalid address")
    assert_one_line(govchain("keys", "show", "ghost", env=proc_env), 2, "key 'ghost' not found")
    created = govchain("keys", "new", "ops", env={**proc_env, "GOVCHAIN_PASSPHRASE": PASSPHRASE})
    assert created.returncode == 0, created.stderr
    wrong = govchain(
        "--key", "ops", "chain", "transfer", "0x" + "00" * 20, "1",
        env={**proc_env, "GOVCHAIN_PASSPHRASE": "nope"},
    )  # fmt: skip
    assert_one_line(wrong, 2, "wrong passphrase")


def test_a_devnet_that_is_not_running_through_the_entry_point(proc_env: dict[str, str]) -> None:
    down = {**proc_env, "GOVCHAIN_RPC": f"http://127.0.0.1:{free_port()}"}
    assert_one_line(govchain("chain", "info", env=down), 1, "network unavailable")


def test_no_passphrase_and_no_terminal_is_one_line(proc_env: dict[str, str]) -> None:
    govchain("keys", "new", "ops", env={**proc_env, "GOVCHAIN_PASSPHRASE": PASSPHRASE})
    result = govchain("--key", "ops", "chain", "transfer", "0x" + "00" * 20, "1", env=proc_env)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
