"""Parameter types and helpers of the data-sharing commands (catalog, record, grant, share, access).

Times accept an ISO date (``2026-12-31``, midnight UTC), an ISO date-time (``2026-12-31T08:00``,
UTC unless an offset is given), ``now``, a unix timestamp, or a duration from the chain's
current time (``30d``, ``12h``, ``2w``, ``90m``, ``45s``; sums like ``1d12h``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click

from govchain.cli.context import CliContext
from govchain.errors import InvalidInput
from govchain.sharing.anchors import AnchorRegistry
from govchain.sharing.base import code
from govchain.sharing.catalog import SharingClass
from govchain.sharing.grants import AccessGrants, ShareRequests

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"^(?:\d+[smhdw])+$")
_PART_RE = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> int | None:
    """Seconds of ``30d``, ``1d12h``...; None if ``text`` is not a duration."""
    value = text.strip().lower()
    if not _DURATION_RE.match(value):
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART_RE.findall(value))


@dataclass(frozen=True)
class TimeValue:
    """An absolute time, or a duration counted from the chain's clock when resolved."""

    absolute: int | None = None
    relative: int = 0
    text: str = ""

    def resolve(self, now: int) -> int:
        return self.absolute if self.absolute is not None else now + self.relative


class TimeType(click.ParamType):
    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> TimeValue:
        if isinstance(value, TimeValue):
            return value
        text = str(value).strip()
        if text.lower() == "now":
            return TimeValue(relative=0, text=text)
        seconds = parse_duration(text)
        if seconds is not None:
            return TimeValue(relative=seconds, text=text)
        if text.isdigit():
            return TimeValue(absolute=int(text), text=text)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"expected an ISO date (2026-12-31), a date-time, 'now' or a duration "
                f"(30d, 12h): {text!r}",
                param,
                ctx,
            )
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return TimeValue(absolute=int(parsed.timestamp()), text=text)


class DurationType(click.ParamType):
    """A duration in seconds: ``3600``, ``30d``, ``12h``."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        seconds = parse_duration(text)
        if seconds is None:
            self.fail(f"expected seconds or a duration (30d, 12h, 1w): {text!r}", param, ctx)
        return seconds


class CodeType(click.ParamType):
    """A department or category code: 1 to 32 ASCII characters (``HRSS``, ``HRSS.PENSION``)."""

    def __init__(self, what: str) -> None:
        self.name = what
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            code(str(value), self.what)
        except InvalidInput as exc:
            self.fail(exc.reason + f": {value!r}", param, ctx)
        return str(value)


class SharingType(click.ParamType):
    """``unconditional``, ``conditional`` or ``not-shared`` (any case, ``_`` or ``-``)."""

    name = "sharing class"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> SharingClass:
        if isinstance(value, SharingClass):
            return value
        key = str(value).strip().upper().replace("-", "_")
        if key in ("UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED"):
            return SharingClass[key]
        self.fail(f"use unconditional, conditional or not-shared: {value!r}", param, ctx)


TIME = TimeType()
DURATION = DurationType()
DEPARTMENT = CodeType("department code")
CATEGORY = CodeType("category code")
SHARING = SharingType()


def anchors(obj: CliContext, signing: bool = False) -> AnchorRegistry:
    connection = obj.connection()
    return AnchorRegistry(connection, obj.sender() if signing else None)


def grants(obj: CliContext, signing: bool = False) -> AccessGrants:
    connection = obj.connection()
    return AccessGrants(connection, obj.sender() if signing else None)


def share_requests(obj: CliContext, signing: bool = False) -> ShareRequests:
    connection = obj.connection()
    return ShareRequests(connection, obj.sender() if signing else None)


def tx_line(verb: str, tx: dict[str, Any]) -> str:
    return f"{verb} in block {tx['block']} (transaction {tx['tx_hash']})"
