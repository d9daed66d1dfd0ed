"""Every time a person reads: ISO 8601 in one time zone, chosen once.

The zone is, in order: :func:`set_zone` (the CLI's ``--tz``), ``$GOVCHAIN_TZ``, else this
machine's own zone. A zone is an IANA name (``Asia/Shanghai``), ``UTC`` or ``local``. UTC is
written with ``Z`` (``2026-12-01T00:00:00Z``), any other zone with its offset
(``2026-12-01T08:00:00+08:00``). ``--json`` output keeps the unix time beside the text.

Formats that other software reads (a W3C credential's dates, a DID document's ``updated``, an
evidence bundle) are always UTC: :func:`utc_iso`, whatever zone people chose.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from govchain.errors import InvalidInput

ENV_TZ = "GOVCHAIN_TZ"
_chosen: tzinfo | None = None


def parse_zone(name: str) -> tzinfo | None:
    """The zone called ``name`` (``None`` for the machine's own); bad names raise InvalidInput."""
    text = name.strip()
    if text.lower() in ("", "local"):
        return None
    if text.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "time zone", name, "expected an IANA name such as Asia/Shanghai, UTC or local"
        ) from None


def set_zone(name: str | None) -> None:
    """Use zone ``name`` from now on (``None``: back to ``$GOVCHAIN_TZ`` / the machine's)."""
    global _chosen
    _chosen = None if name is None else (parse_zone(name) or _local())


def _local() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def zone() -> tzinfo:
    if _chosen is not None:
        return _chosen
    env = os.environ.get(ENV_TZ)
    parsed = parse_zone(env) if env else None
    return parsed if parsed is not None else _local()


def iso(timestamp: int | float) -> str:
    """A unix time as ISO 8601 in the chosen zone, to the second."""
    moment = datetime.fromtimestamp(int(timestamp), UTC).astimezone(zone())
    if moment.utcoffset() == UTC.utcoffset(None):
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat(timespec="seconds")


def iso_or_never(timestamp: int) -> str:
    """:func:`iso`, or ``never`` for 0 (a limit that is not set)."""
    return "never" if int(timestamp) == 0 else iso(timestamp)


def day(timestamp: int | float) -> str:
    """The calendar day (``2026-12-01``) of a unix time in the chosen zone."""
    return datetime.fromtimestamp(int(timestamp), UTC).astimezone(zone()).date().isoformat()


def utc_iso(timestamp: int | float) -> str:
    """A unix time as ISO 8601 UTC with ``Z``, for formats other software reads."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
