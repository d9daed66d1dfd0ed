"""Running a data node as a service: uvicorn with TLS, an access log, a log level, metrics, and
a graceful stop.

On SIGTERM or SIGINT the node stops accepting connections, closes idle keep-alive connections,
and lets every request already received finish and be answered (up to ``shutdown_timeout``
seconds; then the remaining ones are cancelled — a release is one database transaction, so a
cancelled request leaves no half-written row, only nothing). The process then exits 0.
"""

from __future__ import annotations

import logging
import math
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from logging.handlers import WatchedFileHandler
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

ACCESS_LOGGER = "govchain.node.access"


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8700
    log_level: str = "warning"
    #: JSON-lines access log: a file (appended; reopened if rotated away) or "-" (stdout)
    access_log: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    shutdown_timeout: float = 30.0
    metrics: bool = True


class NodeServer(uvicorn.Server):
    """uvicorn, stopping gracefully on SIGINT/SIGTERM (exit 0, without re-raising the signal)."""

    stopped_by: str | None = None

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, _frame: FrameType | None) -> None:
            self.stopped_by = signal.Signals(signum).name
            self.should_exit = True

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown, but an idle HTTPS keep-alive connection is dropped at
        once: closing it cleanly waits for the client's TLS close_notify, up to asyncio's 30 s,
        which an idle client never sends."""
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            cycle = getattr(connection, "cycle", None)
            idle = cycle is None or cycle.response_complete
            if idle and transport is not None and transport.get_extra_info("sslcontext"):
                transport.abort()
        await super().shutdown(sockets)


def access_logger(target: str | None) -> logging.Logger | None:
    """A logger writing each message as one line to ``target`` ("-": stdout), or None."""
    if not target:
        return None
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stdout)
    else:
        Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
        handler = WatchedFileHandler(Path(target).expanduser(), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


def configure_logging(level: str) -> None:
    """``--log-level``: the node's own messages (and uvicorn's) on stderr at this level."""
    numeric = logging.getLevelName(level.upper())
    root = logging.getLogger("govchain")
    root.setLevel(numeric)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


def make_server(node: Any, options: ServeOptions) -> NodeServer:
    """The uvicorn server of ``node`` (not started)."""
    from govchain.node.metrics import NodeMetrics
    from govchain.node.server import create_app

    configure_logging(options.log_level)
    metrics = NodeMetrics(node.store, node.chain) if options.metrics else None
    app = create_app(node, access_log=access_logger(options.access_log), metrics=metrics)
    tls: dict[str, Any] = {}
    if options.tls_cert or options.tls_key:
        tls = {"ssl_certfile": options.tls_cert, "ssl_keyfile": options.tls_key}
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        access_log=False,  # the JSON-lines access log replaces uvicorn's
        timeout_keep_alive=30,
        limit_concurrency=512,
        timeout_graceful_shutdown=math.ceil(options.shutdown_timeout),
        **tls,
    )
    config.load()  # a bad certificate or key fails here, before anything listens
    return NodeServer(config)


def run_node(node: Any, options: ServeOptions) -> NodeServer:
    """Serves until SIGINT/SIGTERM; the store is disposed of after the last request."""
    server = make_server(node, options)
    try:
        server.run()
    finally:
        node.store.dispose()
    return server
