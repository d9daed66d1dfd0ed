"""Fault-injection helpers: chain outages through :class:`tests.node.helpers.TcpProxy`."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from tests.node.helpers import TcpProxy


@contextmanager
def proxy_to(rpc_url: str) -> Iterator[TcpProxy]:
    """A started TCP proxy in front of ``rpc_url``; stopped on exit."""
    target = urlparse(rpc_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 80)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


class Outages:
    """Cuts the proxy (every open connection dropped, new ones refused) at chosen crash points
    (``hook(name)``: the ``(name, n)`` pairs of ``at``, n-th time reached) or on demand, and
    restores it ``down_for`` seconds later from a timer thread."""

    def __init__(
        self, proxy: TcpProxy, at: set[tuple[str, int]] | None = None, down_for: float = 0.5
    ) -> None:
        self.proxy = proxy
        self.at = at or set()
        self.down_for = down_for
        self.seen: Counter[str] = Counter()
        self.cuts: list[str] = []
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()

    def hook(self, name: str) -> None:
        self.seen[name] += 1
        if (name, self.seen[name]) in self.at:
            self.cut(f"{name}:{self.seen[name]}")

    def cut(self, label: str, down_for: float | None = None) -> bool:
        """Cuts the link unless it is down already; True if it cut."""
        with self._lock:
            if not self._up.is_set():
                return False
            self._up.clear()
            self.proxy.stop()
            self.cuts.append(label)
        timer = threading.Timer(self.down_for if down_for is None else down_for, self._restore)
        timer.daemon = True
        timer.start()
        return True

    def _restore(self) -> None:
        with self._lock:
            self.proxy.start()
            self._up.set()

    @property
    def down(self) -> bool:
        return not self._up.is_set()

    def wait_up(self, timeout: float = 30.0) -> None:
        assert self._up.wait(timeout), "the link was not restored"

    @contextmanager
    def chaos(
        self, seed: int, up: tuple[float, float] = (0.3, 0.9), max_cuts: int | None = None
    ) -> Iterator[None]:
        """While inside: a thread cuts the link after random up-times (seconds, uniform in
        ``up``), wherever the code under test is; on exit it stops and the link is restored.
        With ``max_cuts`` the link stays up after that many cuts: a loaded machine's round
        trips can outlast short up-times, and endless chaos would then test the load, not
        the code."""
        rng = random.Random(seed)
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(rng.uniform(*up)):
                if max_cuts is not None and len(self.cuts) >= max_cuts:
                    return
                if not self.down:
                    self.cut(f"t{len(self.cuts)}")

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.wait_up()
