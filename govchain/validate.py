"""Parse and check user-facing values once, raising :class:`~govchain.errors.InvalidInput`.

Shared by the SDK's typed methods and the CLI's parameter types, so a malformed address reads
the same everywhere.
"""

from __future__ import annotations

import re

from eth_typing import ChecksumAddress
from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

from govchain.errors import InvalidAddress, InvalidInput

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def address(value: object) -> ChecksumAddress:
    """A checksummed address; all-lower or all-upper hex is accepted, a bad checksum is not."""
    if not isinstance(value, str) or not is_hex_address(value):
        raise InvalidAddress(value)
    hex_part = value[2:]
    mixed = hex_part != hex_part.lower() and hex_part != hex_part.upper()
    if mixed and not is_checksum_address(value):
        raise InvalidAddress(value, "checksum does not match (mistyped?)")
    return to_checksum_address(value)


def hex_bytes(value: object, size: int | None = None, what: str = "hex value") -> bytes:
    """``0x``-prefixed hex, optionally of exactly ``size`` bytes."""
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raise InvalidInput(what, value, "not hex") from None
    else:
        raise InvalidInput(what, value, "expected 0x-prefixed hex")
    if size is not None and len(raw) != size:
        raise InvalidInput(what, value, f"expected {size} bytes, got {len(raw)}")
    return raw


def bytes32(value: object, what: str = "bytes32") -> bytes:
    return hex_bytes(value, 32, what)


def name(value: object, what: str = "name") -> str:
    """A file-safe short name (keystores): letters, digits, ``_.-``, up to 64 characters."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise InvalidInput(what, value, "use letters, digits, '_', '.', '-' (max 64)")
    return value


def private_key(value: object) -> bytes:
    """A 32-byte secp256k1 private key given as hex (with or without 0x)."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and not text.startswith(("0x", "0X")):
        text = "0x" + text
    try:
        raw = hex_bytes(text, 32, "private key")
    except InvalidInput:
        raise InvalidInput("private key", "<hidden>", "expected 32 bytes of hex") from None
    if int.from_bytes(raw, "big") == 0:
        raise InvalidInput("private key", "<hidden>", "zero is not a key")
    return raw
