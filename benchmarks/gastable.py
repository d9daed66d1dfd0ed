"""One gas table: rows of ``operation, gas, floor, ratio, target, reference, note``.

``GasTable.add(operation, receipt, new=, upd=, sigs=)`` takes an ape receipt and the slot counts
the author expects (``new``: storage slots written from zero, ``upd``: slots updated or cleared,
``sigs``: signature recoveries). The floor uses the slots the node's trace shows the transaction
wrote (a difference from the stated counts is printed); calldata and logs come from the receipt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.gasfloor import floor, logs_of, traced_slots

TX_GAS_CAP = 16_777_216  # EIP-7825 per-transaction cap


def traced_counts(operation: str, receipt: Any, new: int, upd: int) -> tuple[int, int]:
    """The slots the transaction really wrote; says so when they differ from the stated ones."""
    traced = traced_slots(receipt)
    if traced != (new, upd):
        print(f"note: {operation}: stated {new} new/{upd} updated slots, traced {traced}")
    return traced


class GasTable:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        operation: str,
        receipt: Any,
        *,
        new: int = 0,
        upd: int = 0,
        sigs: int = 0,
        per: int = 1,
        target: int | None = None,
        reference: int | None = None,
        note: str = "",
    ) -> int:
        """Record one operation (``per`` > 1: a batch of that many, reported per item)."""
        new, upd = traced_counts(operation, receipt, new, upd)
        raw: list[dict[str, object]] = [
            {"topics": list(log["topics"]), "data": bytes(log["data"])} for log in receipt.logs
        ]
        f = floor(bytes(receipt.transaction.data), new, upd, logs_of(raw), sigs).total
        gas = int(receipt.gas_used)
        assert gas < TX_GAS_CAP
        if per > 1:
            gas, f = gas // per, f // per
        if target is not None and gas > target:
            assert note, f"{operation} misses its target without a reason"
            note = f"MISSES target by {gas - target:,}: {note}"
        self.rows.append(
            {
                "operation": operation,
                "gas": gas,
                "floor": f,
                "ratio": round(gas / f, 2),
                "target": target,
                "reference": reference,
                "new_slots": new,
                "updated_slots": upd,
                "signatures": sigs,
                "note": note,
            }
        )
        return gas

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.rows, indent=2) + "\n")
        for row in self.rows:
            print(f"{row['operation']:<70} {row['gas']:>9,} floor {row['floor']:>9,}")
