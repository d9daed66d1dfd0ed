"""Reading a contract's logs for an audit: bounded ``eth_getLogs`` ranges over raw JSON-RPC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govchain.network import log_matches
from govchain.node.chain import RpcChain, RpcFailed

DEFAULT_STEP = 50_000


def get_logs(
    chain: RpcChain,
    address: str,
    topics: Sequence[Any],
    from_block: int = 0,
    to_block: int | None = None,
    step: int = DEFAULT_STEP,
) -> list[dict[str, Any]]:
    """Every log of ``address`` matching ``topics`` in ``[from_block, to_block]`` (default: the
    latest block), read in ranges of ``step`` blocks, halved while the node refuses a range.
    The node's answer is checked: a log of another address, or whose topics do not match, is
    dropped (a look-alike contract's events never enter an audit)."""
    last = int(chain.rpc("eth_blockNumber", []), 16) if to_block is None else to_block
    out: list[dict[str, Any]] = []
    start = max(0, from_block)
    while start <= last:
        end = min(last, start + step - 1)
        query = {"address": address, "topics": list(topics), "fromBlock": hex(start)}
        query["toBlock"] = hex(end)
        try:
            logs = chain.rpc("eth_getLogs", [query])
        except RpcFailed:
            if end == start:
                raise
            step = max(1, (end - start + 1) // 2)
            continue
        out.extend(
            log
            for log in logs or []
            if not log.get("removed")
            and str(log.get("address", "")).lower() == address.lower()  # a node that ignores
            and log_matches(log, topics)  # the address filter (review s31/3 F6), or topics
        )
        start = end + 1
    return out


def topic32(value: bytes) -> str:
    return "0x" + value.rjust(32, b"\0").hex()


def topic_address(address: str) -> str:
    return "0x" + bytes.fromhex(address[2:]).rjust(32, b"\0").hex()
