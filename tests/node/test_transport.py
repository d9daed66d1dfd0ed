"""The data node's JSON-RPC transport (govchain.node.transport) against a real HTTP server.

Kept-alive connections are reused; a connection the server closed while it sat idle is noticed
on the next post, which is sent once more on a new connection; a server error, a reply that is
not JSON or no server at all is ``NetworkUnavailable`` (what the node answers with 503).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from govchain.errors import NetworkUnavailable
from govchain.node.transport import Transport
from tests.node.helpers import TcpProxy


class _Chain(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    mode = "json"
    connections: ClassVar[set[int]] = set()  # client ports: one per connection
    posts = 0
    together: ClassVar[threading.Barrier | None] = None  # posts answered only once all arrived

    def do_POST(self) -> None:
        type(self).posts += 1
        type(self).connections.add(self.client_address[1])
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.together is not None:
            self.together.wait(10)
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
    _Chain.mode, _Chain.posts, _Chain.connections, _Chain.together = "json", 0, set(), None
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


def test_every_kept_alive_connection_cut_at_once_costs_no_post(
    server: ThreadingHTTPServer,
) -> None:
    """The link to the chain node is cut and restored (a TCP proxy stopped and started, as a
    restart or a network cut does): all idle connections are dead at once. The next posts are
    all answered; none meets a second dead connection on its repeat (s30's red CI run: a
    resend after the link was back got 503 twice)."""
    proxy = TcpProxy("127.0.0.1", server.server_address[1])
    proxy.start()
    try:
        transport = Transport(proxy.url)
        _Chain.together = threading.Barrier(4)
        with ThreadPoolExecutor(4) as pool:  # four posts at once: four kept-alive connections
            assert list(pool.map(transport.post, range(4))) == [{"echo": i} for i in range(4)]
        _Chain.together = None
        assert len(transport._idle) == 4
        proxy.stop()
        time.sleep(0.3)  # the old accept loop lets go of its port within its 0.1 s timeout
        proxy.start()
        for i in range(4):
            assert transport.post(i) == {"echo": i}
        assert len(_Chain.connections) == 5  # the four cut ones, then one fresh connection
        transport.close()
    finally:
        proxy.stop()


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
