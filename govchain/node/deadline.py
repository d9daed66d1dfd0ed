"""A request's deadline, shared by the event loop that answers it and the thread working on it.

A worker thread cannot be stopped, so a request answered ``timeout`` used to go on working: it
spent its nonce and wrote the serve-log row once the store let it, and the serve log said a
record was released that the caller never got (review s26, N-2). Now the two sides settle, under
one lock, which of them wins: the group commit asks :meth:`Deadline.begin_commit` before it
writes a request's spend (refused once the deadline passed or the caller gave up: nothing is
written, the work fails ``timeout``), and the caller asks :meth:`Deadline.abandon` when its
timeout fires (refused once the spend began: the caller waits for the answer it is owed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_OPEN, _COMMITTING, _ABANDONED = range(3)
_local = threading.local()


class Deadline:
    """The monotonic time ``at`` by which a request's spend must begin."""

    def __init__(self, at: float) -> None:
        self.at = at
        self._lock = threading.Lock()
        self._state = _OPEN

    def begin_commit(self) -> bool:
        """True if the request's spend may be written now (and the caller will wait for it);
        False once the deadline passed or the caller gave up (nothing may be written)."""
        with self._lock:
            if self._state == _OPEN and time.monotonic() >= self.at:
                self._state = _ABANDONED
            if self._state == _ABANDONED:
                return False
            self._state = _COMMITTING
            return True

    def abandon(self) -> bool:
        """True if the caller gives up before the spend began (it will never be written);
        False if it began: the caller must wait for the answer."""
        with self._lock:
            if self._state == _COMMITTING:
                return False
            self._state = _ABANDONED
            return True


def current() -> Deadline | None:
    """The deadline of the request this thread works on (None outside a request)."""
    return getattr(_local, "deadline", None)


@contextmanager
def working_under(deadline: Deadline | None) -> Iterator[None]:
    """Run this thread's work for a request under its ``deadline``."""
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = None
