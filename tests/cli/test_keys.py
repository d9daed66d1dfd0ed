"""`govchain keys new|list|show`: keystores from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import PASSPHRASE, Run, assert_one_line_error

KEY = "0x" + "4c" * 32


def test_keys_new_prompts_twice_and_creates_an_encrypted_keystore(
    run: Run, env: dict[str, str]
) -> None:
    result = run("keys", "new", "alice", input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    # (CliRunner echoes the hidden input's newlines to stdout; a terminal does not)
    assert result.stdout.strip().startswith("created key alice: 0x")
    assert (Path(env["GOVCHAIN_HOME"]) / "keys" / "alice.json").is_file()


def test_keys_new_json_shape(
    run: Run, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    data = run.json("keys", "new", "bob")
    assert set(data) == {"name", "address", "path"}
    assert data["name"] == "bob"
    assert data["address"].startswith("0x") and len(data["address"]) == 42
    assert data["path"] == str(Path(env["GOVCHAIN_HOME"]) / "keys" / "bob.json")


def test_keys_new_imports_a_private_key(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    result = run("--json", "keys", "new", "imported", "--import", input=f"{KEY}\n")
    assert result.exit_code == 0, result.stderr
    from eth_account import Account

    assert json.loads(result.stdout)["address"] == Account.from_key(KEY).address


def test_keys_list_and_show(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    alice = run.json("keys", "new", "alice")
    bob = run.json("keys", "new", "bob")
    assert run.json("keys", "list") == [alice, bob]
    listing = run("keys", "list")
    assert listing.stdout.splitlines() == [
        f"alice                {alice['address']}",
        f"bob                  {bob['address']}",
    ]
    assert run.json("keys", "show", "bob") == bob
    assert run.json("--key", "alice", "keys", "show") == alice
    assert alice["address"] in run("keys", "show", "alice").stdout


def test_an_empty_keystore_lists_nothing(run: Run) -> None:
    assert run.json("keys", "list") == []
    assert run("keys", "list").stdout.startswith("no keys in ")


def test_a_missing_keystore_is_one_line_exit_2(run: Run) -> None:
    assert_one_line_error(run("keys", "show", "ghost"), 2, "key 'ghost' not found")


def test_a_bad_key_name_is_one_line_exit_2(run: Run) -> None:
    assert_one_line_error(run("keys", "new", "../x"), 2, "Invalid value for 'NAME'")


def test_an_existing_key_is_not_overwritten(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    run.json("keys", "new", "alice")
    assert_one_line_error(run("keys", "new", "alice"), 2, "already exists")


def test_mismatched_confirmation_is_asked_again(run: Run) -> None:
    result = run("keys", "new", "carol", input=f"{PASSPHRASE}\nother\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    assert "do not match" in result.stderr


def test_show_without_a_name_or_key_is_bad_usage(run: Run) -> None:
    assert_one_line_error(run("keys", "show"), 2, "choose a key with --key NAME")


def test_get_prints_one_field_for_scripts(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    address = run.json("keys", "new", "scripted")["address"]
    result = run("--get", "address", "keys", "show", "scripted")
    assert (result.exit_code, result.stdout) == (0, f"{address}\n")
    assert run("--get", "name", "keys", "list").exit_code == 2  # a list has no field "name"
    assert run("--get", "0.name", "keys", "list").stdout == "scripted\n"
    assert_one_line_error(run("--get", "nope", "keys", "show", "scripted"), 2, "no field 'nope'")
