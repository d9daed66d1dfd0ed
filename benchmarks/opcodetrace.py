"""Gas per opcode and call depth of a transaction, from the node's opcode trace.

``opcode_gas(receipt)`` asks ``debug_traceTransaction`` (struct logs, no memory or stack) and
charges each step what it really cost: the drop in gas to the next step at the same depth. A
step that enters a call is charged the call's own overhead (its drop across the whole call
minus what the callee's steps cost), so the table adds up to the execution gas; a precompile
(``ecrecover``) runs no steps, so its 3,000 stays on the ``STATICCALL`` that called it.
``difference`` of two such tables shows what one more signature, say, costs and where.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

Table = Counter[tuple[int, str]]


def opcode_gas(receipt: Any) -> Table:
    """``{(depth, opcode): gas}`` of an ape receipt's transaction."""
    trace = receipt.provider.make_request(
        "debug_traceTransaction",
        [
            receipt.txn_hash,
            {"disableStorage": True, "disableMemory": True, "disableStack": True},
        ],
    )
    steps = trace["structLogs"]
    assert steps, (
        "no opcode steps: anvil records them only with --steps-tracing "
        "(benchmarks/conftest.py asks for it; GOVCHAIN_TEST_STEPS_TRACING=0 turns it off)"
    )
    n = len(steps)
    table: Table = Counter()
    # a call step: its drop to the next step at its depth, less what the callee consumed
    # (the callee's first step's gas less its last step's gas after that step's own cost)
    open_calls: list[int] = []
    last_inside: dict[int, int] = {}
    for i, step in enumerate(steps):
        depth = step["depth"]
        while open_calls and steps[open_calls[-1]]["depth"] >= depth:
            _charge_call(table, steps, open_calls.pop(), i, last_inside)
        if open_calls and steps[open_calls[-1]]["depth"] == depth - 1:
            last_inside[open_calls[-1]] = i
        if i + 1 < n and steps[i + 1]["depth"] > depth:
            open_calls.append(i)
        elif i + 1 < n and steps[i + 1]["depth"] == depth:
            table[(depth, step["op"])] += step["gas"] - steps[i + 1]["gas"]
        else:
            table[(depth, step["op"])] += int(step["gasCost"])
    for j in open_calls:
        table[(steps[j]["depth"], steps[j]["op"])] += int(steps[j]["gasCost"])
    return table


def _charge_call(
    table: Table, steps: list[dict[str, Any]], j: int, back: int, last_inside: dict[int, int]
) -> None:
    """Charge call step ``j`` (returned to at step ``back``) its own overhead."""
    last = steps[last_inside.get(j, j + 1)]
    consumed = steps[j + 1]["gas"] - last["gas"] + int(last["gasCost"])
    table[(steps[j]["depth"], steps[j]["op"])] += steps[j]["gas"] - steps[back]["gas"] - consumed


def difference(more: Table, less: Table, per: int = 1) -> dict[tuple[int, str], float]:
    """``(more - less) / per`` by depth and opcode, non-zero entries only."""
    keys = set(more) | set(less)
    out = {k: (more[k] - less[k]) / per for k in keys}
    return {k: v for k, v in sorted(out.items()) if v}
