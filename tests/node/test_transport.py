"""The data node's JSON-RPC transport (govchain.node.transport) against a real HTTP server.

Kept-alive connections are reused; a connection the server closed while it sat idle is noticed
on the next post, which is sent once more on a new connection; a server error, a reply that is
not JSON or no server at all is ``NetworkUnavailable`` (what the node answers with 503).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from govchain.errors import NetworkUnavailable
from govchain.node.transport import Transport


class _Chain(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    mode = "json"
    connections: ClassVar[set[int]] = set()
    posts = 0

    def do_POST(self) -> None:
        type(self).posts += 1
        type(self).connections.add(id(self.connection))
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.mode == "error":
            body, status = b"busy", 503
        elif self.mode == "garbage":
            body, status = b"<html>not json</html>", 200
        else:
            body, status = json.dumps({"echo": payload}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    _Chain.mode, _Chain.posts, _Chain.connections = "json", 0, set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Chain)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(httpd: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/rpc"


def test_posts_reuse_one_kept_alive_connection(server: ThreadingHTTPServer) -> None:
    transport = Transport(_url(server))
    for i in range(5):
        assert transport.post({"id": i}) == {"echo": {"id": i}}
    assert _Chain.posts == 5 and len(_Chain.connections) == 1
    transport.close()


def test_no_chain_node_listening_is_network_unavailable(server: ThreadingHTTPServer) -> None:
    transport = Transport(_url(server))
    assert transport.post({"id": 1}) == {"echo": {"id": 1}}
    server.shutdown()
    server.server_close()
    transport.close()
    with pytest.raises(NetworkUnavailable):  # nobody listens now: a refusal, not a hang
        transport.post({"id": 2})


def test_a_stale_kept_alive_connection_is_retried_once_on_a_new_one(
    server: ThreadingHTTPServer,
) -> None:
    transport = Transport(_url(server))
    assert transport.post({"id": 1}) == {"echo": {"id": 1}}
    # the server closes every kept-alive connection it holds (e.g. its keep-alive timeout)
    for conn in transport._idle:
        assert conn.sock is not None
        conn.sock.shutdown(2)  # our end reads EOF / gets a reset on the next request
    assert transport.post({"id": 2}) == {"echo": {"id": 2}}
    assert _Chain.posts == 2
    transport.close()


@pytest.mark.parametrize(("mode", "message"), [("error", "HTTP 503"), ("garbage", "unreadable")])
def test_a_server_error_or_a_reply_not_json_is_network_unavailable(
    server: ThreadingHTTPServer, mode: str, message: str
) -> None:
    _Chain.mode = mode
    with pytest.raises(NetworkUnavailable, match=message):
        Transport(_url(server)).post({"id": 1})


def test_only_http_urls_are_taken() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Transport("ws://127.0.0.1:8545")
