"""Numbers read from a file someone else wrote (a credential, an evidence bundle): each is
checked against the range its use allows when the file is read, so a negative version or JSON's
``1e400`` (a float infinity) is refused with one line instead of failing deep inside an
encoder (``int.to_bytes``, ``int(inf)``: an ``OverflowError``, review s26 L-1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

UINT32 = 2**32 - 1
UINT64 = 2**64 - 1


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "…"


def _bound(high: int) -> str:
    for bits in (32, 64, 256):
        if high == 2**bits - 1:
            return f"2^{bits}-1"
    return str(high)


def whole(value: Any, what: str, low: int, high: int, refuse: Callable[[str], Exception]) -> int:
    """``value`` if it is a JSON whole number (not a bool, a float or a string) from ``low`` to
    ``high``; otherwise ``refuse(reason)`` is raised."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refuse(f"{what} {_shown(value)} is not a whole number from {low} to {_bound(high)}")
    return value
