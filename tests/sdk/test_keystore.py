"""Keystores: encrypted at rest, listed without a passphrase, opened only with the right one."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from govchain.errors import InvalidInput, KeystoreError, NotFound, WrongPassphrase
from govchain.keystore import Keystore, passphrase

KEY = "0x" + "4c" * 32


def test_a_new_key_is_encrypted_and_listed(home: Path) -> None:
    keys = Keystore()
    info = keys.new("alice", "secret")
    assert info.path == home / "keys" / "alice.json"
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    stored = json.loads(info.path.read_text())
    assert stored["crypto"]["kdf"] == "pbkdf2"
    assert "secret" not in info.path.read_text()
    assert keys.names() == ["alice"]
    assert keys.show("alice") == info
    assert [k.as_dict() for k in keys.list()] == [info.as_dict()]
    assert keys.load("alice", "secret").address == info.address


def test_scrypt_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVCHAIN_KDF", raising=False)
    keys = Keystore(tmp_path, iterations=16)
    info = keys.new("bob", "pw")
    assert json.loads(info.path.read_text())["crypto"]["kdf"] == "scrypt"
    assert keys.load("bob", "pw").address == info.address


def test_an_existing_key_can_be_imported(home: Path) -> None:
    info = Keystore().new("imported", "pw", private_key=KEY[2:])
    assert info.address == Account.from_key(KEY).address
    assert Keystore().load("imported", "pw").key.hex() == KEY[2:]


def test_the_wrong_passphrase_is_refused(home: Path) -> None:
    Keystore().new("alice", "secret")
    with pytest.raises(WrongPassphrase, match="keystore 'alice': wrong passphrase"):
        Keystore().load("alice", "guess")


def test_a_missing_key_is_not_found(home: Path) -> None:
    with pytest.raises(NotFound, match="key 'nobody' not found"):
        Keystore().show("nobody")
    with pytest.raises(NotFound):
        Keystore().load("nobody", "pw")


def test_keys_are_not_overwritten(home: Path) -> None:
    Keystore().new("alice", "secret")
    with pytest.raises(KeystoreError, match="already exists"):
        Keystore().new("alice", "other")


def test_names_and_inputs_are_checked(home: Path) -> None:
    with pytest.raises(InvalidInput, match="key name"):
        Keystore().new("../escape", "pw")
    with pytest.raises(InvalidInput, match="passphrase"):
        Keystore().new("empty", "")
    with pytest.raises(InvalidInput, match="private key"):
        Keystore().new("short", "pw", private_key="0x1234")
    with pytest.raises(InvalidInput, match="key derivation"):
        Keystore(kdf="md5")


def test_a_file_that_is_not_a_keystore_is_reported(home: Path) -> None:
    (home / "keys").mkdir(parents=True)
    (home / "keys" / "junk.json").write_text("[]")
    with pytest.raises(KeystoreError, match="not an encrypted keystore"):
        Keystore().show("junk")


def test_the_passphrase_comes_from_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = Keystore().new("alice", "from-env")
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "from-env")
    assert passphrase("alice") == "from-env"
    assert Keystore().unlock("alice").address == info.address


def test_without_environment_or_prompt_there_is_no_passphrase(home: Path) -> None:
    with pytest.raises(KeystoreError, match="set GOVCHAIN_PASSPHRASE"):
        passphrase("alice", prompt=False)
