"""A store made slow without mocks: another writer holds SQLite's write lock for a while
(the timeout tests of the node's POST routes that write: tests/node/test_*_timeout.py).

The node's store waits up to 10 s for the lock (``busy_timeout``), so a request that reaches
the store while it is held waits, as it would behind a long transaction of another process.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from govchain.node.store import Store


@contextmanager
def write_lock_held(store: Store, seconds: float) -> Iterator[threading.Event]:
    """Hold ``store``'s write lock for ``seconds`` (from now); yields the event set once it is
    freed."""
    path = store.engine.url.database
    assert path is not None, "a SQLite store on a file"
    writer = sqlite3.connect(path, timeout=10, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    freed = threading.Event()

    def free() -> None:
        writer.rollback()
        freed.set()

    timer = threading.Timer(seconds, free)
    timer.start()
    try:
        yield freed
    finally:
        timer.cancel()
        if timer.is_alive():
            timer.join()
        if not freed.is_set():
            free()
        writer.close()


def post(url: str, body: Mapping[str, Any]) -> tuple[int, Any]:
    """(status, JSON answer) of a POST of ``body`` to ``url``."""
    answer = httpx.post(url, json=dict(body), timeout=30)
    return answer.status_code, answer.json()


def answered_timeout(store: Store, url: str, body: Mapping[str, Any], timeout: float) -> None:
    """POST ``body`` to ``url`` (a node over ``store`` answering ``timeout`` after ``timeout``
    seconds) while the store's write lock is held longer: it is answered 504 ``timeout`` on
    time, not once the lock is freed. Returns after its worker thread, still running, has
    found the store free and settled."""
    with write_lock_held(store, timeout + 1.5) as freed:
        started = time.monotonic()
        status, answer = post(url, body)
        assert (status, answer["reason"]) == (504, "timeout"), answer
        assert time.monotonic() - started < timeout + 1.0
        freed.wait()
    time.sleep(1.0)
