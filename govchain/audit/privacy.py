"""Scan a chain for personal data: every transaction's calldata and every log.

The rule is that no personal data goes on chain: not names, not ID numbers, not addresses or
birth dates, and not their unsalted hashes (an 18-digit ID number is brute-forceable). For
each needle the scanner looks for several encodings of it:

* its UTF-8 bytes, and the same bytes written as hex text (``"e5bca0..."``),
* UTF-16-BE bytes (how some systems store Chinese text),
* keccak-256 and SHA-256 of the UTF-8 bytes (an unsalted hash is as good as the value),
* for all-digit needles (ID numbers, dates), the number as a 32-byte big-endian word.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eth_utils.crypto import keccak
from web3 import Web3


@dataclass(frozen=True)
class Pattern:
    needle: str
    encoding: str
    data: bytes


@dataclass(frozen=True)
class Hit:
    needle: str
    encoding: str
    where: str  # "calldata" or "log"
    block: int
    tx_hash: str
    log_index: int | None = None


def patterns(needles: Iterable[str]) -> list[Pattern]:
    out: list[Pattern] = []
    for needle in needles:
        raw = needle.encode("utf-8")
        if len(raw) < 4:
            raise ValueError(f"needle too short to scan for without false alarms: {needle!r}")
        out += [
            Pattern(needle, "utf-8", raw),
            Pattern(needle, "utf-8 as hex text", raw.hex().encode()),
            Pattern(needle, "utf-16-be", needle.encode("utf-16-be")),
            Pattern(needle, "keccak256", keccak(raw)),
            Pattern(needle, "sha256", hashlib.sha256(raw).digest()),
        ]
        if needle.isdigit():
            out.append(Pattern(needle, "uint256", int(needle).to_bytes(32, "big")))
    return out


def scan_bytes(blob: bytes, compiled: Sequence[Pattern]) -> list[Pattern]:
    lowered = blob.lower()
    found = []
    for p in compiled:
        if p.data in blob or (p.encoding == "utf-8 as hex text" and p.data in lowered):
            found.append(p)
    return found


def scan_chain(
    w3: Web3, needles: Iterable[str], from_block: int = 0, to_block: int | None = None
) -> list[Hit]:
    """Every place in blocks ``from_block..to_block`` where a needle appears."""
    compiled = patterns(needles)
    last = w3.eth.block_number if to_block is None else to_block
    hits: list[Hit] = []
    for number in range(from_block, last + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            assert not isinstance(tx, bytes)
            tx_hash = tx["hash"].to_0x_hex()
            for p in scan_bytes(bytes(tx["input"]), compiled):
                hits.append(Hit(p.needle, p.encoding, "calldata", number, tx_hash))
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            for log in receipt["logs"]:
                blob = b"".join(bytes(t) for t in log["topics"]) + bytes(log["data"])
                for p in scan_bytes(blob, compiled):
                    hits.append(Hit(p.needle, p.encoding, "log", number, tx_hash, log["logIndex"]))
    return hits
