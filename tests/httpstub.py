"""A local HTTP server whose POST answers a test chooses (a hostile data node, a chain that goes
away): a real socket and a real HTTP exchange, on a free port, stopped when the test ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubHandler(BaseHTTPRequestHandler):
    """Answers each POST with :meth:`answer`'s status and JSON body; logs nothing."""

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        raise NotImplementedError

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        status, answer = self.answer(self.path, body)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def serving(handler: type[StubHandler], host: str = "127.0.0.1") -> Iterator[str]:
    """``handler`` served on a free port of ``host`` (a loopback address): its base URL."""
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
