"""The data node under granian's RSGI interface: its POST routes without ASGI at all.

granian (a Rust HTTP server) parses the request, keeps connections alive and writes the answer
outside Python; RSGI hands the application a scope object and a protocol whose body is read by
iterating it and whose answer is one ``response_bytes`` call. :class:`RsgiNode` answers a
``POST`` to a route the node mounts (``NodeApp.post_routes``: the record endpoints, offers,
objection texts) through the same :func:`govchain.node.fastpath.answer_post` as the ASGI fast
path - the same size limit, deadline, refusal codes and bodies - and hands every other request
(``GET /v1/health``, ``/openapi.json``, ``/metrics``, any other method or path) to the FastAPI
app through a small RSGI-to-ASGI bridge, so the OpenAPI schema and every other answer are
FastAPI's, unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from govchain.node.fastpath import Chunks, Message, NodeApp, dumps
from govchain.node.protocol import Refusal

JSON_HEADERS = [("content-type", "application/json")]


class RsgiNode:
    """An RSGI application (granian's ``__rsgi__`` protocol) over a :class:`NodeApp`."""

    def __init__(self, app: NodeApp) -> None:
        self.app = app

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":  # websockets are off (granian's websockets=False)
            return
        if scope.method == "POST":
            post = self.app.post_routes.get(scope.path)
            if post is not None:
                declared = scope.headers.get("content-length")
                chunks = _rsgi_chunks(protocol, declared)
                status, body = await post(declared, chunks)
                protocol.response_bytes(status, JSON_HEADERS, body)
                return
        await _bridge(self.app, scope, protocol)


def _rsgi_chunks(protocol: Any, declared: str | None) -> Chunks:
    """The body's chunks from RSGI (a client gone before the end: a bad request). A body that
    declares its length is read whole, in one call (``answer_post`` refused it unread if that
    length is past the limit, and the server reads no more than it declares); one without is
    read chunk by chunk, so ``answer_post`` stops it at the limit."""
    whole = declared is not None and declared.isdigit()
    stream: AsyncIterator[bytes] | None = None

    async def next_chunk() -> tuple[bytes, bool]:
        nonlocal stream
        try:
            if whole:
                return await protocol(), False
            if stream is None:
                stream = protocol.__aiter__()
            return await stream.__anext__(), True
        except StopAsyncIteration:
            return b"", False
        except RuntimeError:  # granian's RSGIProtocolClosed / RSGIProtocolError
            raise Refusal("malformed_request", "the client left before the body ended") from None

    return next_chunk


async def _bridge(app: NodeApp, scope: Any, protocol: Any) -> None:
    """One request to the FastAPI app as ASGI; its answer (small: health, schema, metrics,
    refusals of unknown paths) sent whole. A request whose query or headers cannot be handed
    over as ASGI's bytes is refused ``400 malformed_request`` (review s27 G-1: raw UTF-8 in a
    query ended in a bare 500 and a logged traceback)."""
    try:
        asgi_scope = _asgi_scope(scope)
    except (UnicodeError, ValueError):
        refusal = Refusal("malformed_request", "the request line or a header is not valid")
        protocol.response_bytes(refusal.status, JSON_HEADERS, dumps(refusal.body()))
        return
    await _bridge_asgi(app, asgi_scope, protocol)


def _asgi_scope(scope: Any) -> dict[str, Any]:
    """ASGI's scope of granian's ``scope``: the query string as the bytes granian decoded
    (as UTF-8), header names and values as latin-1 (what HTTP/1.1 carries)."""
    host, _, port = scope.client.rpartition(":")
    server_host, _, server_port = (scope.server or ":0").rpartition(":")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,
        "raw_path": scope.path.encode(),
        "query_string": scope.query_string.encode("utf-8"),
        "root_path": "",
        "headers": [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()
        ],
        "client": (host, int(port or 0)),
        "server": (server_host, int(server_port or 0)),
    }


async def _bridge_asgi(app: NodeApp, asgi_scope: dict[str, Any], protocol: Any) -> None:
    stream = protocol.__aiter__()
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        try:
            chunk = await stream.__anext__()
            return {"type": "http.request", "body": chunk, "more_body": True}
        except StopAsyncIteration:
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        except RuntimeError:
            done = True
            return {"type": "http.disconnect"}

    start: dict[str, Any] = {}
    parts: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(asgi_scope, receive, send)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    protocol.response_bytes(int(start.get("status", 500)), headers, b"".join(parts))
