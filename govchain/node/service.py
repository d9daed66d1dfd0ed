"""Running a data node as a service: uvicorn with TLS (optionally mutual), an access log, a log
level, metrics behind an optional bearer token, a reload on SIGHUP and a graceful stop.

On SIGTERM or SIGINT the node stops accepting connections, closes idle keep-alive connections,
and lets every request already received finish and be answered (up to ``shutdown_timeout``
seconds; then the remaining ones are cancelled — a release is one database transaction, so a
cancelled request leaves no half-written row, only nothing). The process then exits 0.

On SIGHUP the node reads its options again (``reload``, given by the CLI: the config file, with
the flags of the command line still winning) and applies what can change while it serves: the
log level, the access log (its file reopened: what logrotate's ``postrotate`` asks for), the TLS
certificate and key (new connections get the new ones) and the metrics token. Everything is
checked before anything is changed: a mistake keeps the old options whole and is logged as one
line. The listen address, the store, the department and the client CA need a restart.
"""

from __future__ import annotations

import logging
import math
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from logging.handlers import WatchedFileHandler
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from govchain.node.metrics import MetricsGate

ACCESS_LOGGER = "govchain.node.access"
log = logging.getLogger("govchain.node")

#: options a SIGHUP applies; the others are read once, at start
RELOADABLE = ("log_level", "access_log", "tls_cert", "tls_key", "metrics_token_file")
#: options the config file's [node] section gives (what a reload reads again)
CONFIGURED = (*RELOADABLE, "host", "port", "tls_client_ca", "shutdown_timeout")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8700
    log_level: str = "warning"
    #: JSON-lines access log: a file (appended; reopened if rotated away or on SIGHUP) or "-"
    access_log: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    #: mutual TLS: clients must present a certificate signed by this CA (PEM)
    tls_client_ca: str | None = None
    #: a file whose first line is the bearer token GET /metrics requires (None: open)
    metrics_token_file: str | None = None
    shutdown_timeout: float = 30.0
    metrics: bool = True


class ReloadError(ValueError):
    """New options that cannot be applied (the message is the one line logged)."""


def read_token(path: str) -> str:
    """The metrics bearer token: the first line of ``path``, at least 16 characters."""
    try:
        lines = Path(path).expanduser().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReloadError(f"metrics token file {path}: cannot read ({exc})") from None
    token = lines[0].strip() if lines else ""
    if len(token) < 16:
        raise ReloadError(f"metrics token file {path}: the token must be 16 characters or more")
    return token


def _handler(target: str) -> logging.Handler:
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stdout)
    else:
        path = Path(target).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = WatchedFileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def access_logger(target: str | None) -> logging.Logger:
    """The access logger writing each message as one line to ``target`` ("-": stdout); without
    a target it has no handler and the node skips the log (a reload may give it one)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    _swap_handlers(logger, [_handler(target)] if target else [])
    return logger


def _swap_handlers(logger: logging.Logger, handlers: list[logging.Handler]) -> None:
    old, logger.handlers = logger.handlers, handlers  # one assignment: no window without
    for handler in old:
        handler.close()


def configure_logging(level: str) -> None:
    """``--log-level``: the node's own messages (and uvicorn's) on stderr at this level."""
    numeric = logging.getLevelName(level.upper())
    root = logging.getLogger("govchain")
    root.setLevel(numeric)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(numeric)


class Runtime:
    """What a running node can change on SIGHUP: logging, access log, certificate, token."""

    def __init__(
        self,
        options: ServeOptions,
        access_log: logging.Logger,
        gate: MetricsGate,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.options = options
        self.access_log = access_log
        self.gate = gate
        self.tls = tls

    def apply(self, new: ServeOptions) -> list[str]:
        """Apply ``new`` (all of it, or nothing: :class:`ReloadError`); returns the options that
        changed but wait for a restart (the listen address, the client CA, turning TLS on or
        off), which keep their running values."""
        old = self.options
        restart = [
            f.name
            for f in fields(ServeOptions)
            if f.name not in RELOADABLE and getattr(old, f.name) != getattr(new, f.name)
        ]
        if bool(new.tls_cert) != bool(old.tls_cert):
            restart += ["tls_cert", "tls_key"]
        new = replace(new, **{name: getattr(old, name) for name in restart})
        token = read_token(new.metrics_token_file) if new.metrics_token_file else None
        if new.tls_cert and self.tls is not None:
            check = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                check.load_cert_chain(new.tls_cert, new.tls_key)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise ReloadError(f"cannot load {new.tls_cert} with {new.tls_key}: {exc}") from None
        try:
            handlers = [_handler(new.access_log)] if new.access_log else []
        except OSError as exc:
            raise ReloadError(f"cannot open the access log {new.access_log}: {exc}") from None
        # all checked: now change (nothing below fails on what was read above)
        configure_logging(new.log_level)
        _swap_handlers(self.access_log, handlers)
        if new.tls_cert and self.tls is not None:
            # the listening socket keeps this context: new handshakes use the new chain
            self.tls.load_cert_chain(new.tls_cert, new.tls_key)
        self.gate.token = token
        self.options = new
        return restart


class NodeServer(uvicorn.Server):
    """uvicorn, stopping gracefully on SIGINT/SIGTERM (exit 0, without re-raising the signal)
    and reloading on SIGHUP (between two ticks of its main loop)."""

    stopped_by: str | None = None

    def __init__(
        self,
        config: uvicorn.Config,
        runtime: Runtime,
        reload: Callable[[], ServeOptions] | None = None,
    ) -> None:
        super().__init__(config)
        self.runtime = runtime
        self.reload = reload
        self.reload_requested = False
        self.reloads = 0

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, _frame: FrameType | None) -> None:
            self.stopped_by = signal.Signals(signum).name
            self.should_exit = True

        def hangup(_signum: int, _frame: FrameType | None) -> None:
            self.reload_requested = True

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, hangup)
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    async def on_tick(self, counter: int) -> bool:
        if self.reload_requested:
            self.reload_requested = False
            self.apply_reload()
        return await super().on_tick(counter)

    def apply_reload(self) -> bool:
        """Read the options again and apply them; on a mistake keep the old ones, log one line."""
        if self.reload is None:
            log.warning("SIGHUP: nothing to reload (the node was not started from the CLI)")
            return False
        try:
            new = self.reload()
            restart = self.runtime.apply(new)
        except Exception as exc:  # a config mistake of any kind: one line, old options kept
            text = " ".join(str(exc).split())
            log.error("reload refused, the running configuration is kept: %s", text)
            return False
        self.reloads += 1
        left = f"; {', '.join(restart)} changed: restart to apply" if restart else ""
        log.warning("reloaded (SIGHUP %d): log level %s%s", self.reloads, new.log_level, left)
        return True

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


def make_server(
    node: Any, options: ServeOptions, reload: Callable[[], ServeOptions] | None = None
) -> NodeServer:
    """The uvicorn server of ``node`` (not started). ``reload``: how SIGHUP reads the options
    again (None: SIGHUP changes nothing). Raises :class:`ReloadError` (a ``ValueError``) or
    ``OSError`` for a token file, certificate or key that cannot be used."""
    from govchain.node.metrics import MetricsGate, NodeMetrics
    from govchain.node.server import create_app

    configure_logging(options.log_level)
    gate = MetricsGate(
        read_token(options.metrics_token_file) if options.metrics_token_file else None
    )
    metrics = NodeMetrics(node.store, node.chain, gate) if options.metrics else None
    logger = access_logger(options.access_log)
    app = create_app(node, access_log=logger, metrics=metrics)
    tls: dict[str, Any] = {}
    if options.tls_cert or options.tls_key:
        tls = {"ssl_certfile": options.tls_cert, "ssl_keyfile": options.tls_key}
        if options.tls_client_ca:
            tls.update(ssl_ca_certs=options.tls_client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    elif options.tls_client_ca:
        raise ReloadError("a client CA (mutual TLS) needs the node's own certificate and key")
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
    config.load()  # a bad certificate, key or CA fails here, before anything listens
    runtime = Runtime(options, logger, gate, config.ssl if tls else None)
    return NodeServer(config, runtime, reload)


def run_node(node: Any, options: ServeOptions) -> NodeServer:
    """Serves until SIGINT/SIGTERM; the store is disposed of after the last request."""
    server = make_server(node, options)
    try:
        server.run()
    finally:
        node.store.dispose()
    return server
