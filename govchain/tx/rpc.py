"""The JSON-RPC transport of the bulk path: batches over one kept-alive HTTP session.

A transport failure that may not have reached the node, or whose answer was lost, raises
:class:`TransientRpcError` (safe to resend the same signed bytes); an error *reply* is returned
as :class:`RpcError`, not raised, so a batch keeps the answers of its other calls.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from govchain.httprpc import client


class TransientRpcError(Exception):
    """The request may not have reached the node, or its answer was lost: safe to resend."""


@dataclass(frozen=True)
class RpcError:
    """An error reply to one JSON-RPC call."""

    code: int
    message: str
    data: Any = None

    @property
    def text(self) -> str:
        return self.message.lower()


_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}
_TRANSIENT_RPC_CODES = {-32005}  # "limit exceeded" / rate limiting (Infura, Besu)


class JsonRpc:
    """A small JSON-RPC 2.0 client over HTTP with batches and a kept-alive session."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self.session = client(timeout)
        self._ids = 0
        self._lock = threading.Lock()

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _post(self, payload: object) -> Any:
        try:
            response = self.session.post(self.url, json=payload)
        except (httpx.HTTPError, OSError) as exc:
            raise TransientRpcError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code in _TRANSIENT_HTTP:
            raise TransientRpcError(f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            if response.status_code >= 400:
                raise TransientRpcError(f"HTTP {response.status_code}") from None
            raise TransientRpcError("unreadable reply") from None

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; an error reply is returned as :class:`RpcError`, not raised."""
        reply = self._post(
            {"jsonrpc": "2.0", "id": self._next_id(), "method": method, "params": list(params)}
        )
        return _result(reply)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many calls in one request; results (or :class:`RpcError`) in the order of ``calls``."""
        if not calls:
            return []
        ids = [self._next_id() for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        reply = self._post(payload)
        if isinstance(reply, Mapping):  # the node refused the batch as a whole
            result = _result(reply)
            if isinstance(result, RpcError):
                raise BatchUnsupported(result.message)
        if not isinstance(reply, list):
            raise TransientRpcError("batch reply is not a list")
        by_id = {item.get("id"): item for item in reply if isinstance(item, Mapping)}
        if any(i not in by_id for i in ids):
            raise TransientRpcError("batch reply is missing answers")
        return [_result(by_id[i]) for i in ids]


class BatchUnsupported(Exception):
    """The node does not take JSON-RPC batches."""


def _result(reply: Any) -> Any:
    if not isinstance(reply, Mapping):
        raise TransientRpcError("reply is not a JSON-RPC object")
    if "error" in reply and reply["error"] is not None:
        error = reply["error"]
        if isinstance(error, Mapping):
            return RpcError(
                int(error.get("code", 0)), str(error.get("message", "")), error.get("data")
            )
        return RpcError(0, str(error))
    return reply.get("result")


# --- the bulk path --------------------------------------------------------------------------
