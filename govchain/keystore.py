"""Encrypted keystores (Web3 Secret Storage, via eth-account) in ``<home>/keys/<name>.json``.

The passphrase comes from ``$GOVCHAIN_PASSPHRASE`` or, when unset, a hidden prompt.
The key derivation is scrypt by default; ``$GOVCHAIN_KDF`` (``scrypt``/``pbkdf2``) and
``$GOVCHAIN_KDF_ITERATIONS`` choose others (tests use cheap parameters; never in production).
A keystore's address is stored in clear, so listing and showing need no passphrase.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from govchain import validate
from govchain.errors import InvalidInput, KeystoreError, NotFound, WrongPassphrase
from govchain.settings import state_home

ENV_PASSPHRASE = "GOVCHAIN_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)
ENV_KDF = "GOVCHAIN_KDF"
ENV_KDF_ITERATIONS = "GOVCHAIN_KDF_ITERATIONS"
KDFS: tuple[Literal["scrypt"], Literal["pbkdf2"]] = ("scrypt", "pbkdf2")


@dataclass(frozen=True)
class KeyInfo:
    name: str
    address: ChecksumAddress
    path: Path

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address, "path": str(self.path)}


def passphrase(
    name: str, confirm: bool = False, prompt: bool = True, env: str = ENV_PASSPHRASE
) -> str:
    """The passphrase for keystore ``name``: from ``$GOVCHAIN_PASSPHRASE`` or a hidden prompt."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not prompt:
        raise KeystoreError(name, f"no passphrase: set {env}")
    text = f"Passphrase for key {name!r}" if not confirm else f"New passphrase for key {name!r}"
    result = click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)
    return str(result)


class Keystore:
    """The keystore folder of one govchain home."""

    def __init__(
        self,
        home: str | Path | None = None,
        kdf: str | None = None,
        iterations: int | None = None,
    ) -> None:
        self.folder = state_home(home) / "keys"
        self.kdf = kdf or os.environ.get(ENV_KDF) or "scrypt"
        if self.kdf not in KDFS:
            raise InvalidInput("key derivation function", self.kdf, f"use one of {KDFS}")
        env_iterations = os.environ.get(ENV_KDF_ITERATIONS)
        self.iterations = iterations or (int(env_iterations) if env_iterations else None)

    def path(self, name: str) -> Path:
        return self.folder / f"{validate.name(name, 'key name')}.json"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def list(self) -> list[KeyInfo]:
        return [self.show(n) for n in self.names()]

    def _read(self, name: str) -> dict[str, Any]:
        path = self.path(name)
        if not path.is_file():
            raise NotFound("key", repr(name), "list keys with 'govchain keys list'")
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise KeystoreError(name, f"unreadable file {path} ({exc})") from None
        if not isinstance(data, dict) or ("crypto" not in data and "Crypto" not in data):
            raise KeystoreError(name, f"{path} is not an encrypted keystore")
        return data

    def show(self, name: str) -> KeyInfo:
        data = self._read(name)
        try:
            address = to_checksum_address("0x" + str(data["address"]).removeprefix("0x"))
        except (KeyError, ValueError):
            raise KeystoreError(name, "keystore has no address") from None
        return KeyInfo(name, address, self.path(name))

    def new(self, name: str, secret: str, private_key: bytes | str | None = None) -> KeyInfo:
        """Create keystore ``name`` for a fresh key, or for ``private_key`` (an import)."""
        path = self.path(name)
        if path.exists():
            raise KeystoreError(name, f"already exists at {path}")
        if secret == "":
            raise InvalidInput("passphrase", "", "must not be empty")
        account = (
            Account.from_key(validate.private_key(private_key))
            if private_key is not None
            else Account.create()
        )
        encrypted = Account.encrypt(
            account.key,
            secret,
            kdf=cast(Literal["scrypt", "pbkdf2"], self.kdf),
            iterations=self.iterations,
        )
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".json.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(encrypted, out)
        tmp.replace(path)
        return KeyInfo(name, account.address, path)

    def load(self, name: str, secret: str) -> LocalAccount:
        """Decrypt keystore ``name``; :class:`WrongPassphrase` if ``secret`` does not open it."""
        data = self._read(name)
        try:
            key = Account.decrypt(data, secret)
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise WrongPassphrase(name) from None
            raise KeystoreError(name, f"cannot decrypt ({exc})") from None
        account: LocalAccount = Account.from_key(key)
        return account

    def unlock(self, name: str, prompt: bool = True) -> LocalAccount:
        """:meth:`load` with the passphrase from the environment or a prompt."""
        self._read(name)  # a missing key is reported before asking for its passphrase
        return self.load(name, passphrase(name, prompt=prompt))
