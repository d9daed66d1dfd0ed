"""The privacy scanner finds personal data planted on chain in every encoding it claims."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from eth_utils.crypto import keccak

from govchain.audit.privacy import patterns, scan_bytes, scan_chain

NAME = "张秀英"  # a made-up citizen
ID_NUMBER = "330106195001011234"  # made-up, well-formed 18-digit resident ID number


@pytest.fixture
def w3(chain: Any) -> Any:
    return chain.provider.web3


def _send(w3: Any, sender: Any, data: bytes) -> None:
    tx_hash = w3.eth.send_transaction(
        {"from": sender.address, "to": sender.address, "data": "0x" + data.hex()}
    )
    w3.eth.wait_for_transaction_receipt(tx_hash)


@pytest.mark.parametrize(
    ("needle", "encoded"),
    [
        (NAME, NAME.encode()),
        (NAME, NAME.encode().hex().encode()),
        (NAME, NAME.encode("utf-16-be")),
        (ID_NUMBER, keccak(ID_NUMBER.encode())),
        (ID_NUMBER, hashlib.sha256(ID_NUMBER.encode()).digest()),
        (ID_NUMBER, int(ID_NUMBER).to_bytes(32, "big")),
    ],
)
def test_scanner_finds_planted_calldata_in_each_encoding(
    w3: Any, accounts: Any, needle: str, encoded: bytes
) -> None:
    start = w3.eth.block_number + 1
    _send(w3, accounts[57], b"\x01\x02" + encoded + b"\x03")
    hits = scan_chain(w3, [needle], from_block=start)
    assert [(h.needle, h.where) for h in hits] == [(needle, "calldata")]


def test_scanner_finds_personal_data_in_logs(
    project: Any, departments: Any, council: Any, accounts: Any, w3: Any
) -> None:
    # A department name is public; planting a citizen's name there shows logs are scanned.
    start = w3.eth.block_number + 1
    departments.propose(
        b"X".ljust(32, b"\0"), NAME, 330100, "", b"\0" * 32, accounts[57], sender=accounts[57]
    )
    hits = scan_chain(w3, [NAME], from_block=start)
    assert {h.where for h in hits} == {"calldata", "log"}


def test_scanner_reports_nothing_on_clean_data(w3: Any, accounts: Any) -> None:
    start = w3.eth.block_number + 1
    _send(w3, accounts[57], keccak(b"salt" + ID_NUMBER.encode()))  # a salted hash is fine
    assert scan_chain(w3, [NAME, ID_NUMBER], from_block=start) == []


def test_hex_text_is_found_in_either_case() -> None:
    compiled = patterns([NAME])
    assert scan_bytes(NAME.encode().hex().upper().encode(), compiled)


def test_short_needles_are_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        patterns(["李"])
