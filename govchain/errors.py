"""Every error the SDK raises, and the decoding of contract custom errors into plain language.

One root, :class:`GovchainError`. Subclasses also inherit the builtin they mean
(``InvalidInput`` is a ``ValueError``, ``NotFound`` a ``LookupError``...), build their message in
``__init__`` from the facts they carry, and say which CLI exit code they stand for:
2 for a user's bad input or usage, 1 for a refusal by the chain's rules or an unreachable network.

A revert's data (4-byte selector + ABI-encoded arguments) is decoded by :class:`ErrorDecoder`
against every ABI of the compiled artifacts; :data:`EXPLANATIONS` maps an error name to a
plain-language template (``str.format`` fields are the error's argument names). Contract
modules register their own entries with :func:`explain`. Errors without an entry still render
readably as ``ErrorName(arg=value, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# eth_abi and eth_utils are imported where used: every command imports this module, most
# never decode a revert (the CLI's start-up time).

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


class GovchainError(Exception):
    """Root of every error govchain raises on purpose."""

    exit_code: int = EXIT_REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- the user's input ---------------------------------------------------------------------


class InvalidInput(GovchainError, ValueError):
    """A value given by the user (or a caller) is malformed."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, what: str, value: object, reason: str) -> None:
        self.what = what
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {what} {value!r}: {reason}")


class InvalidAddress(InvalidInput):
    """Not a 20-byte hex address (or a checksum mismatch)."""

    def __init__(
        self, value: object, reason: str = "not a 0x-prefixed 20-byte hex address"
    ) -> None:
        super().__init__("address", value, reason)


class NotFound(GovchainError, LookupError):
    """Something named by the user does not exist (a keystore, a deployment, a contract...)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, kind: str, name: object, hint: str = "") -> None:
        self.kind = kind
        self.name = name
        self.hint = hint
        super().__init__(f"{kind} {name!s} not found" + (f" ({hint})" if hint else ""))


# --- keys ---------------------------------------------------------------------------------


class KeystoreError(GovchainError):
    """A keystore file cannot be created, read or used."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"keystore {name!r}: {reason}")


class WrongPassphrase(KeystoreError, PermissionError):
    """The passphrase does not decrypt the keystore."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "wrong passphrase")


# --- the network and the chain ------------------------------------------------------------


class NoSigningKey(GovchainError):
    """A write was asked of a client opened without a signing key: nothing was sent.

    The SDK's one "no signing key" error, whichever client was asked (identity, sharing,
    approval); a bad-input exit code, since the fix is to give a key.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(self, action: str = "this action") -> None:
        super().__init__(f"{action} needs a signing key (--key NAME)")


class NetworkUnavailable(GovchainError, ConnectionError):
    """No JSON-RPC node answers (or it keeps failing after retries)."""

    exit_code = EXIT_REFUSED

    def __init__(self, url: str, reason: str = "no answer") -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"network unavailable at {url}: {reason}")


class WrongChain(GovchainError):
    """The node serves another chain than the one expected (manifest, configuration)."""

    def __init__(self, expected: int, actual: int, url: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"{url} serves chain id {actual}, expected {expected}")


class ChainRefused(GovchainError, PermissionError):
    """The chain's rules refuse the action (a contract reverted, found before or after sending)."""

    exit_code = EXIT_REFUSED

    def __init__(
        self,
        error_name: str,
        arguments: Mapping[str, Any] | None = None,
        explanation: str | None = None,
        data: bytes = b"",
        tx_hash: str | None = None,
    ) -> None:
        self.error_name = error_name
        self.arguments: dict[str, Any] = dict(arguments or {})
        self.data = data
        self.tx_hash = tx_hash
        self.explanation = explanation or render_call(error_name, self.arguments)
        suffix = f" (transaction {tx_hash})" if tx_hash else ""
        super().__init__(f"refused by the chain: {self.explanation}{suffix}")


class TransactionFailed(GovchainError):
    """A transaction could not be sent or was not mined (not a rule of the chain: gas, nonce...)."""

    def __init__(self, reason: str, tx_hash: str | None = None) -> None:
        self.reason = reason
        self.tx_hash = tx_hash
        super().__init__(f"transaction failed: {reason}" + (f" ({tx_hash})" if tx_hash else ""))


class InsufficientFunds(TransactionFailed):
    """The sending key cannot pay for gas on a chain that charges for it."""

    def __init__(self, account: str, balance: int, price: int, tx_hash: str | None = None) -> None:
        self.account = account
        self.balance = balance
        self.price = price
        super().__init__(
            f"key {account} has no funds for gas (balance {balance} wei, gas price {price} wei "
            "on a chain that charges for gas): fund the key, or on a network where gas is not "
            "paid set GOVCHAIN_GAS_PRICE=0",
            tx_hash,
        )


# --- custom error decoding ----------------------------------------------------------------

#: Plain-language templates by error name; ``{arg}`` fields are formatted from the decoded
#: arguments (addresses checksummed, bytes as 0x-hex). Contract modules add their own entries.
EXPLANATIONS: dict[str, str] = {
    "SignatureExpired": "the signature's deadline {deadline} has passed; sign again",
    "SignatureInvalidSigner": "the signature was not made by {signer}",
    "Error": "{message}",
    "Panic": "the contract panicked: {reason}",
}

PANIC_REASONS = {
    0x00: "generic panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


def explain(name: str, template: str) -> None:
    """Register the plain-language template of a custom error (contract modules call this)."""
    EXPLANATIONS[name] = template


def _code_text(value: bytes) -> str | None:
    """A 32-byte department or category code (ASCII right-padded with zeros) as its text."""
    text = value.rstrip(b"\0")
    if len(value) != 32 or not text or len(text) == 32 or b"\0" in text:
        return None
    if all(0x21 <= c < 0x7F for c in text) and text[:1].isalpha():
        return text.decode()
    return None


def format_value(value: Any) -> str:
    """A decoded ABI value as a person reads it."""
    if isinstance(value, bytes):
        return _code_text(value) or "0x" + value.hex()
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        from eth_utils.address import to_checksum_address

        try:
            return str(to_checksum_address(value))
        except ValueError:
            return value
    if isinstance(value, tuple | list):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


#: Error arguments that are unix times: explanations show them as ISO 8601 dates.
TIME_ARGUMENTS = frozenset(
    {"expiry", "deadline", "decisionDeadline", "readyAt", "validFrom", "validTo", "validUntil"}
)


def _time_text(value: Any) -> str:
    from govchain import timefmt

    return timefmt.iso(value) if isinstance(value, int) and value > 0 else format_value(value)


def render_call(name: str, arguments: Mapping[str, Any]) -> str:
    """``Name(arg=value, ...)``: how an error without an explanation is shown."""
    inner = ", ".join(f"{k}={format_value(v)}" for k, v in arguments.items())
    return f"{name}({inner})"


def _canonical_type(item: Mapping[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@dataclass(frozen=True)
class ErrorSpec:
    """One custom error of an ABI."""

    name: str
    types: tuple[str, ...]
    arg_names: tuple[str, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def selector(self) -> bytes:
        from eth_utils.crypto import keccak

        return keccak(text=self.signature)[:4]

    @classmethod
    def from_abi(cls, entry: Mapping[str, Any]) -> ErrorSpec:
        inputs = list(entry.get("inputs", []))
        return cls(
            name=str(entry["name"]),
            types=tuple(_canonical_type(i) for i in inputs),
            arg_names=tuple(str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs)),
        )


@dataclass(frozen=True)
class DecodedError:
    """A revert decoded: the error's name and its arguments by name."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    data: bytes = b""

    def explanation(self) -> str:
        template = EXPLANATIONS.get(self.name)
        if template is None:
            return render_call(self.name, self.arguments)
        try:
            return template.format_map(
                {
                    k: _time_text(v) if k in TIME_ARGUMENTS else format_value(v)
                    for k, v in self.arguments.items()
                }
            )
        except (KeyError, IndexError, ValueError):
            return f"{template} [{render_call(self.name, self.arguments)}]"

    def to_exception(self, tx_hash: str | None = None) -> ChainRefused:
        return ChainRefused(self.name, self.arguments, self.explanation(), self.data, tx_hash)


_BUILTIN = (
    ErrorSpec("Error", ("string",), ("message",)),
    ErrorSpec("Panic", ("uint256",), ("code",)),
)


class ErrorDecoder:
    """Maps revert data to :class:`DecodedError` using the custom errors of many ABIs."""

    def __init__(self, abis: Iterable[Sequence[Mapping[str, Any]]] = ()) -> None:
        self._specs: dict[bytes, ErrorSpec] = {s.selector: s for s in _BUILTIN}
        for abi in abis:
            self.add_abi(abi)

    def add_abi(self, abi: Sequence[Mapping[str, Any]]) -> None:
        for entry in abi:
            if entry.get("type") == "error":
                spec = ErrorSpec.from_abi(entry)
                self._specs.setdefault(spec.selector, spec)

    def known(self) -> list[str]:
        """Signatures of every error this decoder knows."""
        return sorted(s.signature for s in self._specs.values())

    def decode(self, data: bytes | str | None) -> DecodedError:
        """Decode revert data; unknown or malformed data still yields a readable result."""
        raw = _as_bytes(data)
        if len(raw) == 0:
            return DecodedError("EmptyRevert", {}, raw)
        if len(raw) < 4:
            return DecodedError("UnknownRevert", {"data": raw}, raw)
        spec = self._specs.get(raw[:4])
        if spec is None:
            return DecodedError("UnknownError", {"selector": raw[:4], "data": raw[4:]}, raw)
        from eth_abi.abi import decode as abi_decode
        from eth_abi.exceptions import DecodingError

        try:
            values = abi_decode(list(spec.types), raw[4:])
        except (DecodingError, ValueError, OverflowError):
            return DecodedError(spec.name, {"data": raw[4:]}, raw)
        arguments = dict(zip(spec.arg_names, values, strict=True))
        if spec.name == "Panic":
            arguments["reason"] = PANIC_REASONS.get(int(arguments["code"]), "unknown panic code")
        return DecodedError(spec.name, arguments, raw)

    def refusal(self, data: bytes | str | None, tx_hash: str | None = None) -> ChainRefused:
        """The :class:`ChainRefused` a revert with this data stands for."""
        return self.decode(data).to_exception(tx_hash)


EXPLANATIONS.setdefault("EmptyRevert", "the contract refused without giving a reason")


def _as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    text = data[2:] if data.startswith("0x") else data
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


def revert_data(exc: BaseException) -> bytes | None:
    """The revert data carried by a web3 exception (``ContractLogicError`` and kin), if any."""
    data = getattr(exc, "data", None)
    if isinstance(data, bytes | str) and data:
        raw = _as_bytes(data)
        if raw:
            return raw
    if isinstance(data, Mapping):  # some nodes nest it: {"data": "0x..."}
        inner = data.get("data")
        if isinstance(inner, str):
            return _as_bytes(inner)
    # web3 raises ContractLogicError("execution reverted") with empty data for a bare revert
    if type(exc).__name__ in {"ContractLogicError", "ContractCustomError", "ContractPanicError"}:
        return b""
    return None
