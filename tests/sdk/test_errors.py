"""Errors: one root, builtin meanings, and custom-error data decoded into plain language."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from govchain import errors
from govchain.artifacts import Artifacts
from govchain.errors import (
    EXPLANATIONS,
    ChainRefused,
    ErrorDecoder,
    GovchainError,
    InvalidAddress,
    InvalidInput,
    KeystoreError,
    NetworkUnavailable,
    NotFound,
    WrongPassphrase,
)
from tests.sdk.chainhelpers import selector

SIGNER = "0x52908400098527886E0F7030069857D2E4169EE7"

CUSTOM_ABI = [
    {
        "type": "error",
        "name": "AccessGrantExpired",
        "inputs": [
            {"name": "grantId", "type": "bytes32"},
            {"name": "validUntil", "type": "uint64"},
        ],
    },
    {
        "type": "error",
        "name": "RouteInvalid",
        "inputs": [
            {
                "name": "step",
                "type": "tuple",
                "components": [
                    {"name": "department", "type": "bytes32"},
                    {"name": "needed", "type": "uint8"},
                ],
            }
        ],
    },
]


def test_every_error_has_one_root_and_means_its_builtin() -> None:
    assert issubclass(InvalidInput, ValueError)
    assert issubclass(NotFound, LookupError)
    assert issubclass(WrongPassphrase, PermissionError)
    assert issubclass(WrongPassphrase, KeystoreError)
    assert issubclass(NetworkUnavailable, ConnectionError)
    assert issubclass(ChainRefused, PermissionError)
    for cls in (InvalidInput, NotFound, KeystoreError, NetworkUnavailable, ChainRefused):
        assert issubclass(cls, GovchainError)


def test_messages_are_built_from_the_facts() -> None:
    assert (
        str(InvalidAddress("0x12"))
        == "invalid address '0x12': not a 0x-prefixed 20-byte hex address"
    )
    assert str(NotFound("key", "'alice'", "list keys")) == "key 'alice' not found (list keys)"
    assert str(WrongPassphrase("alice")) == "keystore 'alice': wrong passphrase"
    assert "connection refused" in str(NetworkUnavailable("http://x", "connection refused"))


def test_exit_codes_separate_bad_input_from_refusals() -> None:
    assert InvalidAddress("x").exit_code == 2
    assert NotFound("key", "a").exit_code == 2
    assert WrongPassphrase("a").exit_code == 2
    assert ChainRefused("X").exit_code == 1
    assert NetworkUnavailable("u").exit_code == 1


def test_decoder_knows_the_errors_of_every_compiled_contract(
    artifacts: Artifacts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCHAIN_TZ", "UTC")
    decoder = artifacts.error_decoder()
    assert "SignatureExpired(uint256)" in decoder.known()
    decoded = decoder.decode(selector("SignatureExpired(uint256)") + encode(["uint256"], [1700]))
    assert decoded.name == "SignatureExpired"
    assert decoded.arguments == {"deadline": 1700}
    assert decoded.explanation() == (
        "the signature's deadline 1970-01-01T00:28:20Z has passed; sign again"
    )


def test_address_arguments_are_checksummed_in_the_explanation(artifacts: Artifacts) -> None:
    data = selector("SignatureInvalidSigner(address)") + encode(["address"], [SIGNER])
    refusal = artifacts.error_decoder().refusal("0x" + data.hex())
    assert isinstance(refusal, ChainRefused)
    assert refusal.error_name == "SignatureInvalidSigner"
    assert str(refusal) == f"refused by the chain: the signature was not made by {SIGNER}"


def test_an_error_without_explanation_renders_as_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    # the sharing SDK registers a plain message for this error when it is imported
    monkeypatch.delitem(errors.EXPLANATIONS, "AccessGrantExpired", raising=False)
    decoder = ErrorDecoder([CUSTOM_ABI])
    grant = bytes(range(32))
    data = selector("AccessGrantExpired(bytes32,uint64)") + encode(
        ["bytes32", "uint64"], [grant, 99]
    )
    decoded = decoder.decode(data)
    assert decoded.explanation() == f"AccessGrantExpired(grantId=0x{grant.hex()}, validUntil=99)"


def test_registered_explanations_are_formatted_with_the_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(EXPLANATIONS, "AccessGrantExpired", "the grant expired at {validUntil}")
    monkeypatch.setenv("GOVCHAIN_TZ", "UTC")
    data = selector("AccessGrantExpired(bytes32,uint64)") + encode(
        ["bytes32", "uint64"], [b"\1" * 32, 5]
    )
    assert (
        ErrorDecoder([CUSTOM_ABI]).decode(data).explanation()
        == "the grant expired at 1970-01-01T00:00:05Z"
    )


def test_explain_registers_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "EXPLANATIONS", dict(EXPLANATIONS))
    errors.explain("RouteInvalid", "step {step} is not a valid route step")
    assert errors.EXPLANATIONS["RouteInvalid"] == "step {step} is not a valid route step"


def test_a_template_with_a_wrong_field_still_shows_the_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(EXPLANATIONS, "AccessGrantExpired", "expired at {typo}")
    data = selector("AccessGrantExpired(bytes32,uint64)") + encode(
        ["bytes32", "uint64"], [b"\1" * 32, 5]
    )
    text = ErrorDecoder([CUSTOM_ABI]).decode(data).explanation()
    assert text.startswith("expired at {typo} [AccessGrantExpired(")


def test_tuple_arguments_decode() -> None:
    data = selector("RouteInvalid((bytes32,uint8))") + encode(
        ["(bytes32,uint8)"], [(b"\2" * 32, 3)]
    )
    decoded = ErrorDecoder([CUSTOM_ABI]).decode(data)
    assert decoded.name == "RouteInvalid"
    assert decoded.arguments["step"] == (b"\2" * 32, 3)


def test_require_strings_and_panics_decode() -> None:
    decoder = ErrorDecoder()
    reason = decoder.decode(bytes.fromhex("08c379a0") + encode(["string"], ["not allowed"]))
    assert reason.explanation() == "not allowed"
    panic = decoder.decode(bytes.fromhex("4e487b71") + encode(["uint256"], [0x11]))
    assert panic.explanation() == "the contract panicked: arithmetic overflow or underflow"


def test_unknown_and_empty_reverts_are_still_readable() -> None:
    decoder = ErrorDecoder()
    assert decoder.decode(b"").explanation() == "the contract refused without giving a reason"
    unknown = decoder.decode(bytes.fromhex("deadbeef") + b"\0" * 32)
    assert unknown.name == "UnknownError"
    assert "selector=0xdeadbeef" in unknown.explanation()
    garbled = ErrorDecoder([CUSTOM_ABI]).decode(
        selector("AccessGrantExpired(bytes32,uint64)") + b"\1"
    )
    assert garbled.name == "AccessGrantExpired"
    assert garbled.arguments == {"data": b"\1"}


def test_codes_read_as_text_and_hashes_as_hex() -> None:
    from govchain.errors import format_value

    assert format_value(b"HRSS.PENSION".ljust(32, b"\0")) == "HRSS.PENSION"
    digest = bytes(range(1, 33))
    assert format_value(digest) == "0x" + digest.hex()
    assert format_value(b"\0" * 32) == "0x" + "00" * 32
    assert format_value(b"A" * 32) == "0x" + "41" * 32  # no padding: not a code
