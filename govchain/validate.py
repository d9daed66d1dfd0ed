"""Parse and check user-facing values once, raising :class:`~govchain.errors.InvalidInput`.

Shared by the SDK's typed methods and the CLI's parameter types, so a malformed address reads
the same everywhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from govchain.errors import InvalidAddress, InvalidInput

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ADDRESS_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]{40})")


def checksum(hex40: str) -> ChecksumAddress:
    """EIP-55: each letter of the address upper-cased where the keccak-256 of its lower-case hex
    has a nibble >= 8. What ``eth_utils.to_checksum_address`` does, on the keccak of
    pycryptodome that eth-hash uses: importing eth_utils (and eth-hash's version lookup) cost a
    one-call CLI command ~0.3 s; tests/sdk/test_validate.py checks both agree."""
    from Crypto.Hash import keccak

    lower = hex40.lower()
    nibbles = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()
    mixed = "".join(
        c.upper() if int(n, 16) >= 8 else c for c, n in zip(lower, nibbles[:40], strict=True)
    )
    return cast("ChecksumAddress", "0x" + mixed)


def address(value: object) -> ChecksumAddress:
    """A checksummed address; all-lower or all-upper hex is accepted, a bad checksum is not."""
    match = _ADDRESS_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidAddress(value)
    hex_part = match.group(1)
    result = checksum(hex_part)
    mixed = hex_part != hex_part.lower() and hex_part != hex_part.upper()
    if mixed and hex_part != result[2:]:
        raise InvalidAddress(value, "checksum does not match (mistyped?)")
    return result


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
