"""Where logs come from: a JSON-RPC node, read with raw httpx posts (no web3, no formatting).

``eth_getLogs`` refusals for size differ per client (geth: "query returned more than 10000
results"; Besu: "... exceeds maximum"; Infura/Alchemy: code -32005, "limit exceeded",
"response size"...). :data:`TOO_MANY_PATTERNS` recognises them, and a timeout of a log query
counts as one too; the indexer then halves its range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import httpx

from govchain.httprpc import TIMEOUT_ERRORS, client, post
from govchain.indexer.errors import RpcError, TooManyResults

RawLog = dict[str, Any]

TOO_MANY_PATTERNS = re.compile(
    r"too many|more than \d+|limit exceeded|exceeds? (the )?(max|limit)|response size|"
    r"block range|range too (large|wide|big)|query timeout|query returned",
    re.IGNORECASE,
)
TOO_MANY_CODES = frozenset({-32005})


class LogSource(Protocol):
    """What the indexer reads from a chain."""

    def chain_id(self) -> int: ...

    def block_number(self) -> int: ...

    def block(self, number: int) -> tuple[str, int]:
        """(hash, timestamp) of a block."""
        ...

    def get_logs(
        self, from_block: int, to_block: int, addresses: Sequence[str]
    ) -> list[RawLog]: ...


class RpcLogSource:
    """A JSON-RPC node over HTTP."""

    def __init__(self, endpoint: str, timeout: float = 60.0) -> None:
        self.url = endpoint
        self._client = client(timeout)
        self._ids = 0
        self._chain_id: int | None = None

    def _raw(self, method: str, params: Sequence[Any]) -> Any:
        """The JSON-RPC response object (``result`` or ``error``) as the node sent it."""
        self._ids += 1
        payload = {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": list(params)}
        reply = post(self._client, self.url, payload)
        if not isinstance(reply, dict):
            raise RpcError(method, None, "reply is not a JSON-RPC object")
        return reply

    def request(self, method: str, params: Sequence[Any]) -> Any:
        """The result of one JSON-RPC call; node errors raised as :class:`RpcError`."""
        try:
            response = self._raw(method, params)
        except TIMEOUT_ERRORS as exc:
            if method == "eth_getLogs":
                raise TooManyResults(method, None, f"timed out: {exc}") from exc
            raise RpcError(method, None, f"timed out: {exc}") from exc
        except (httpx.HTTPError, OSError, ValueError) as exc:
            raise RpcError(method, None, f"node unreachable: {exc}") from exc
        error = response.get("error")
        if error:
            code = error.get("code") if isinstance(error, dict) else None
            message = str(error.get("message", error) if isinstance(error, dict) else error)
            if method == "eth_getLogs" and (
                code in TOO_MANY_CODES or TOO_MANY_PATTERNS.search(message)
            ):
                raise TooManyResults(method, code, message)
            raise RpcError(method, code, message)
        return response.get("result")

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.request("eth_chainId", []), 16)
        return self._chain_id

    def block_number(self) -> int:
        return int(self.request("eth_blockNumber", []), 16)

    def block(self, number: int) -> tuple[str, int]:
        result = self.request("eth_getBlockByNumber", [hex(number), False])
        if not result:
            raise RpcError("eth_getBlockByNumber", None, f"block {number} not found")
        return str(result["hash"]), int(result["timestamp"], 16)

    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        query = {"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": list(addresses)}
        return list(self.request("eth_getLogs", [query]) or [])
