"""The data node's HTTP transport to its chain node: JSON-RPC posts on kept-alive connections of
the standard library's ``http.client``.

A data node posts a head read for most requests it answers, so the client's own CPU per post
counts: ``http.client`` costs a fraction of httpx's (no request/response models, event hooks,
auth and redirect handling, or connection-pool bookkeeping a JSON-RPC post never needs;
docs/nodeperf.md). Connections are kept in a small idle stack (thread-safe); a connection the
chain node closed while it sat idle is noticed on its next post, which is sent once more on a
fresh connection (every call the node makes is a read, so a repeat is harmless); the other idle
connections the chain node has closed too (a restart or a cut link closes them all at once) are
dropped then, so no later post meets them. Any other
transport failure, an HTTP 5xx/408/429 or a reply that is not JSON raises
:class:`~govchain.errors.NetworkUnavailable`, as before.
"""

from __future__ import annotations

import http.client
import json
import select
import threading
from typing import Any
from urllib.parse import urlsplit

from govchain.errors import NetworkUnavailable

#: a kept-alive connection closed by the other side: the post is sent again on a new one
_STALE = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


def _readable(sock: Any) -> bool:
    """An idle kept-alive socket that is readable has been closed by the other side (EOF or a
    reset; a server sends nothing unasked). ``poll``, not ``select``: no limit on the fd's number."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class Transport:
    """JSON-RPC over HTTP(S) to one URL (thread-safe)."""

    def __init__(self, url: str, timeout: float = 5.0, keep: int = 32) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._keep = keep
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if parts.username is not None:  # a URL with credentials: HTTP basic auth, as httpx did
            import base64

            token = f"{parts.username}:{parts.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(token).decode()

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def post(self, payload: Any) -> Any:
        """``payload`` posted as JSON; the reply's JSON."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        for attempt in (0, 1):
            conn = self._pop() if attempt == 0 else None  # the repeat: on a fresh connection
            reused = conn is not None
            if conn is None:
                conn = self._connect()
            try:
                conn.request("POST", self._path, body, self._headers)
                response = conn.getresponse()
                data = response.read()
            except _STALE as exc:
                conn.close()
                if reused and attempt == 0:
                    self._drop_closed()
                    continue
                raise NetworkUnavailable(self.url, f"{type(exc).__name__}: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise NetworkUnavailable(self.url, f"{type(exc).__name__}: {exc}") from None
            self._release(conn, response)
            status = response.status
            if status >= 500 or status in (408, 429):
                raise NetworkUnavailable(self.url, f"HTTP {status}")
            try:
                return json.loads(data)
            except ValueError:
                raise NetworkUnavailable(self.url, "unreadable reply") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _pop(self) -> http.client.HTTPConnection | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _drop_closed(self) -> None:
        """Closes the idle connections the other side has closed (their socket reads EOF)."""
        with self._lock:
            idle, self._idle = self._idle, []
        keep = []
        for conn in idle:
            if conn.sock is not None and not _readable(conn.sock):
                keep.append(conn)
            else:
                conn.close()
        with self._lock:
            self._idle.extend(keep)

    def _release(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        if response.will_close:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < self._keep:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
