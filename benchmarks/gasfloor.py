"""The first-principles gas floor of a transaction, to compare each operation with.

floor = 21,000 base
      + calldata: 4 per zero byte, 16 per non-zero byte
      + 22,100 per storage slot written from zero (20,000 set + 2,100 cold access)
      + 5,000 per storage slot updated (2,900 reset + 2,100 cold access)
      + logs: 375 + 375 per topic + 8 per data byte
      + 3,000 per signature recovery (ecrecover precompile)

The slot counts are taken from the transaction itself (:func:`traced_slots`), so they are
exact; gas_used is net of refunds (4,800 per cleared slot), so an operation that clears
slots can come in under its floor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

BASE = 21_000
NEW_SLOT = 22_100
UPDATED_SLOT = 5_000
ECRECOVER = 3_000


def calldata_gas(data: bytes) -> int:
    return sum(4 if b == 0 else 16 for b in data)


def log_gas(topics: int, data_len: int) -> int:
    return 375 + 375 * topics + 8 * data_len


@dataclass(frozen=True)
class Floor:
    calldata: int
    storage: int
    logs: int
    signatures: int

    @property
    def total(self) -> int:
        return BASE + self.calldata + self.storage + self.logs + self.signatures


def floor(
    calldata: bytes,
    new_slots: int = 0,
    updated_slots: int = 0,
    logs: Iterable[tuple[int, int]] = (),
    signatures: int = 0,
) -> Floor:
    """``logs`` is a list of ``(number of topics, data length in bytes)``."""
    return Floor(
        calldata=calldata_gas(calldata),
        storage=NEW_SLOT * new_slots + UPDATED_SLOT * updated_slots,
        logs=sum(log_gas(t, n) for t, n in logs),
        signatures=ECRECOVER * signatures,
    )


def logs_of(receipt_logs: Sequence[dict[str, object]]) -> list[tuple[int, int]]:
    """``(topics, data length)`` of each raw log in a web3 receipt."""
    out = []
    for log in receipt_logs:
        topics = log["topics"]
        data = log["data"]
        assert isinstance(topics, list)
        assert isinstance(data, bytes | bytearray | str)
        length = len(data) if not isinstance(data, str) else (len(data) - 2) // 2
        out.append((len(topics), length))
    return out


def traced_slots(receipt: Any) -> tuple[int, int]:
    """``(new, updated)`` storage slots an ape receipt's transaction wrote, from the node's
    ``prestateTracer`` in diff mode: *new* went from zero to non-zero, *updated* from non-zero
    to another value (cleared included). Slots written back to their old value, or set and
    cleared within the transaction, are not counted (they cost less than the floor's rates).
    """
    trace = receipt.provider.make_request(
        "debug_traceTransaction",
        [receipt.txn_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}],
    )
    pre, post = trace.get("pre", {}), trace.get("post", {})
    new = updated = 0
    for address in set(pre) | set(post):
        before_slots = pre.get(address, {}).get("storage", {})
        after_slots = post.get(address, {}).get("storage", {})
        for slot in set(before_slots) | set(after_slots):
            before = int(before_slots.get(slot, "0x0"), 16)
            after = int(after_slots.get(slot, "0x0"), 16)
            if before == 0 and after != 0:
                new += 1
            elif before != 0 and before != after:
                updated += 1
    return new, updated
