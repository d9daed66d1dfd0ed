"""Helpers for SDK and CLI tests on a real anvil: funded keys, a reverting contract, a flaky proxy."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3

from govchain.toolchain.devnet import free_port

ETHER = 10**18


def funded(w3: Web3, ether: int = 1_000) -> LocalAccount:
    """A fresh key with a balance (anvil_setBalance), so each test owns its nonces."""
    account: LocalAccount = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(ether * ETHER)])  # type: ignore[arg-type]
    return account


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def deadline_checker_initcode() -> bytes:
    """Init code of a contract that behaves like a signature deadline check.

    Called with ``f(uint256 deadline)`` (any 4-byte selector), it stops successfully when
    ``deadline >= block.timestamp`` and otherwise reverts with ``SignatureExpired(deadline)``,
    an error of the real compiled ``SignatureVerifier``. Hand-assembled so the SDK tests need no
    test-only Solidity.
    """
    sel = selector("SignatureExpired(uint256)").hex()
    runtime = bytes.fromhex(
        "600435"  # PUSH1 4 CALLDATALOAD        -> deadline
        "42"  # TIMESTAMP
        "11"  # GT: timestamp > deadline
        "600957"  # PUSH1 9 JUMPI              -> expired
        "00"  # STOP
        "5b"  # JUMPDEST (9)
        "63" + sel + "60e01b600052"  # mstore(0, selector << 224)
        "600435600452"  # mstore(4, deadline)
        "60246000fd"  # revert(0, 36)
    )
    # CODECOPY the runtime (after these 11 bytes) to memory 0 and RETURN it.
    return bytes.fromhex(f"60{len(runtime):02x}80600b6000396000f3") + runtime


def call_data(deadline: int) -> bytes:
    return selector("check(uint256)") + deadline.to_bytes(32, "big")


@dataclass
class FlakyProxy:
    """An HTTP proxy in front of a node that fails chosen requests.

    ``plan`` maps the request number (1-based) to a failure: ``"drop"`` (never forwarded,
    connection closed), ``"lose-reply"`` (forwarded, then the reply is dropped: the node
    acted but the client cannot know) or ``"502"``. ``swallow_sends``: the first N requests that
    carry ``eth_sendRawTransaction`` are answered "accepted" with each transaction's hash and
    never forwarded (a transaction lost before the node's pool).
    """

    upstream: str
    plan: dict[int, str] = field(default_factory=dict)
    every: int = 0  # also fail every N-th request with ``every_mode``
    every_mode: str = "lose-reply"
    swallow_sends: int = 0
    swallowed: int = 0
    requests: int = 0
    failures: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _failure(self) -> str | None:
        self.requests += 1
        mode = self.plan.get(self.requests)
        if mode is None and self.every and self.requests % self.every == 0:
            mode = self.every_mode
        if mode is not None:
            self.failures += 1
        return mode


@contextmanager
def flaky_proxy(upstream: str, **kwargs: object) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(upstream, **kwargs)  # type: ignore[arg-type]
    lock = threading.Lock()
    session = httpx.Client(timeout=30)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                mode = proxy._failure()
                calls = json.loads(body) if b"eth_sendRawTransaction" in body else None
                swallow = calls is not None and proxy.swallowed < proxy.swallow_sends
                if swallow:
                    proxy.swallowed += 1
            if swallow:
                batch = calls if isinstance(calls, list) else [calls]
                answers = [
                    {"jsonrpc": "2.0", "id": c["id"],
                     "result": "0x" + keccak(bytes.fromhex(c["params"][0][2:])).hex()}
                    for c in batch
                ]  # fmt: skip
                content = json.dumps(answers if isinstance(calls, list) else answers[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                return
            if mode == "drop":
                self.close_connection = True
                return
            if mode == "502":
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with lock:
                reply = session.post(
                    upstream, content=body, headers={"Content-Type": "application/json"}
                )
            if mode == "lose-reply":
                self.close_connection = True
                return
            self.send_response(reply.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.content)))
            self.end_headers()
            self.wfile.write(reply.content)

    proxy.port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", proxy.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        session.close()
