"""JSON-RPC over HTTP with httpx: the one HTTP client stack of the package.

web3 goes through :class:`govchain.network.HttpxProvider` (built on :func:`client`), the bulk
sender, the indexer and the data node post here too, so all of them fail the same way when the
network does: :data:`TRANSPORT_ERRORS`. :func:`call` is one JSON-RPC call for readers that do
not need web3 at all (this module imports no web3: it is much cheaper to load).
"""

from __future__ import annotations

import itertools
import json
import ssl
from collections.abc import Sequence
from functools import cache
from typing import Any

import httpx

#: The request did not reach the node or its answer was lost (as opposed to "it answered no").
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TransportError,
    ConnectionError,
    TimeoutError,
)
TIMEOUT_ERRORS: tuple[type[BaseException], ...] = (httpx.TimeoutException, TimeoutError)
HEADERS = {"Content-Type": "application/json"}

_ids = itertools.count(1)


class RpcReplyError(ValueError):
    """The node answered a :func:`call` with a JSON-RPC error object."""

    def __init__(self, method: str, error: Any) -> None:
        self.method = method
        self.error = error
        message = error.get("message", error) if isinstance(error, dict) else error
        self.code = error.get("code") if isinstance(error, dict) else None
        super().__init__(f"{method}: {message}")


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS settings (the system's or certifi's CAs, as ``verify=True`` gives),
    built once per process: a client built with ``verify=True`` loads the CA bundle again,
    ~20-40 ms of CPU per client, paid by every connection, CLI command and RPC call (issue 20).
    """
    return httpx.create_ssl_context()


def client(timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(timeout=timeout, headers=HEADERS, verify=_tls())


def post(session: httpx.Client, url: str, payload: object) -> Any:
    """POST a JSON-RPC request (or batch) and return the decoded JSON reply."""
    response = session.post(url, content=json.dumps(payload).encode())
    response.raise_for_status()
    return response.json()


def call(url: str, method: str, params: Sequence[Any] = (), timeout: float = 30.0) -> Any:
    """The ``result`` of one JSON-RPC call; an error reply raises :class:`RpcReplyError`."""
    with client(timeout) as session:
        reply = post(
            session,
            url,
            {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": list(params)},
        )
    if not isinstance(reply, dict):
        raise RpcReplyError(method, "reply is not a JSON-RPC object")
    if reply.get("error"):
        raise RpcReplyError(method, reply["error"])
    return reply.get("result")


def describe(exc: BaseException) -> str:
    """Why a request failed, in a few words."""
    if isinstance(exc, TIMEOUT_ERRORS):
        return "timed out"
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        return "connection refused (is the node running? 'govchain devnet up' starts one)"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
