"""`govchain chain info|balance|transfer` and the errors every networked command shares."""

from __future__ import annotations

import pytest
from eth_account import Account

from govchain.network import Deployment, write_deployment
from govchain.toolchain.devnet import Devnet
from tests.cli.conftest import PASSPHRASE, Run, assert_one_line_error, fund

RECIPIENT = "0x00000000000000000000000000000000000000c3"


@pytest.fixture
def alice(run: Run, devnet: Devnet, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    address = str(run.json("keys", "new", "alice")["address"])
    fund(devnet, address)
    monkeypatch.delenv("GOVCHAIN_PASSPHRASE")
    return address


def test_chain_info_json_shape(run: Run, devnet: Devnet) -> None:
    data = run.json("chain", "info")
    assert data["rpc"] == devnet.url
    assert data["chain_id"] == 31337
    assert isinstance(data["block"], int)
    assert data["zero_fee"] is False
    assert data["manifest"] is None
    assert data["contracts"] == {}
    assert "deployment none" in run("chain", "info").stdout


def test_chain_info_lists_the_deployment(run: Run, env: dict[str, str]) -> None:
    deployment = Deployment.new(31337)
    deployment.add("DepartmentRegistry", RECIPIENT, 3)
    write_deployment(deployment, env["GOVCHAIN_HOME"])
    data = run.json("chain", "info")
    assert data["contracts"] == {"DepartmentRegistry": "0x00000000000000000000000000000000000000C3"}
    assert data["deploy_block"] == 3


def test_balance_of_an_address_or_a_key(run: Run, alice: str) -> None:
    data = run.json("chain", "balance", alice)
    assert data == {"address": alice, "wei": 10**21, "ether": "1000"}
    assert run.json("chain", "balance", "alice") == data
    assert run("chain", "balance", "alice").stdout.strip() == f"{alice} 1000 ether"


def test_transfer_signs_with_the_key(run: Run, alice: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        "--key",
        "alice",
        "--json",
        "chain",
        "transfer",
        RECIPIENT,
        "1.5ether",
        input=f"{PASSPHRASE}\n",
    )
    assert result.exit_code == 0, result.stderr
    assert run.json("chain", "balance", RECIPIENT)["wei"] >= 15 * 10**17
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    data = run.json("--key", "alice", "chain", "transfer", RECIPIENT, "20gwei")
    assert set(data) == {"from", "to", "wei", "tx_hash", "block"}
    assert data["from"] == alice
    assert data["wei"] == 20 * 10**9


def test_a_malformed_address_is_one_line_exit_2(run: Run) -> None:
    assert_one_line_error(run("chain", "balance", "0x1234"), 2, "invalid address '0x1234'")
    bad_checksum = "0x52908400098527886E0F7030069857D2E4169Ee7"
    assert_one_line_error(run("chain", "balance", bad_checksum), 2, "checksum does not match")


def test_a_malformed_amount_is_one_line_exit_2(run: Run, alice: str) -> None:
    assert_one_line_error(
        run("--key", "alice", "chain", "transfer", RECIPIENT, "lots"),
        2,
        "Invalid value for 'AMOUNT'",
    )


def test_a_missing_keystore_is_one_line_exit_2(run: Run) -> None:
    assert_one_line_error(
        run("--key", "ghost", "chain", "transfer", RECIPIENT, "1"), 2, "key 'ghost' not found"
    )


def test_a_wrong_passphrase_is_one_line_exit_2(
    run: Run, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    result = run("--key", "alice", "chain", "transfer", RECIPIENT, "1")
    assert_one_line_error(result, 2, "keystore 'alice': wrong passphrase")


def test_signing_without_a_key_is_bad_usage(run: Run) -> None:
    assert_one_line_error(
        run("chain", "transfer", RECIPIENT, "1"), 2, "choose a key with --key NAME"
    )


def test_a_node_refusal_is_one_line_exit_1(
    run: Run, devnet: Devnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("GOVCHAIN_PRIVATE_KEY", Account.create().key.hex())
    run.json("keys", "new", "broke", "--import")
    assert_one_line_error(
        run("--key", "broke", "chain", "transfer", RECIPIENT, "1ether"), 1, "transaction failed"
    )


def test_devnet_not_running_is_one_line_exit_1(offline: Run) -> None:
    assert_one_line_error(offline("chain", "info"), 1, "network unavailable", "connection refused")
    assert_one_line_error(offline("chain", "balance", RECIPIENT), 1, "network unavailable")


def test_the_wrong_chain_is_refused(run: Run) -> None:
    assert_one_line_error(
        run("--chain-id", "5", "chain", "info"), 1, "serves chain id 31337, expected 5"
    )


def test_an_unknown_command_or_option_is_one_line_exit_2(run: Run) -> None:
    assert_one_line_error(run("nonsense"), 2, "No such command 'nonsense'")
    assert_one_line_error(run("chain", "info", "--bogus"), 2, "No such option: --bogus")
