"""Parameter types and helpers shared by the identity commands (council, dept, citizen, attest).

* Department codes are text (``HRSS``, upper-cased) converted with
  :func:`govchain.deploy.department_code`; whether the department exists is checked on chain
  by the SDK before anything is sent (exit 2 if not).
* Times: ``7d``, ``12h``, ``30m``, ``1d12h`` (from the chain's current time), a unix
  timestamp, or an ISO date / date-time (UTC unless an offset is given).
* Accounts: a 0x address, or the name of a keystore in the home (its address; no passphrase).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.cli.context import CliContext
from govchain.deploy import department_code
from govchain.errors import InvalidInput
from govchain.identity.base import Sent, parse_roles

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"^(?:\d+[smhdw])+$")
_PART_RE = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> int | None:
    """Seconds of ``30d``, ``1d12h``, ``3600``...; ``None`` if ``text`` is not a duration."""
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    if not _DURATION_RE.match(value):
        return None
    return sum(int(n) * _UNITS[u] for n, u in _PART_RE.findall(value))


@dataclass(frozen=True)
class When:
    """An absolute unix time, or a duration from the chain's clock."""

    absolute: int | None = None
    relative: int = 0

    def resolve(self, now: int) -> int:
        return self.absolute if self.absolute is not None else now + self.relative


class TimeType(click.ParamType):
    """``7d`` / ``12h`` (from now on chain), a unix time, or an ISO date(-time)."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> When:
        if isinstance(value, When):
            return value
        text = str(value).strip()
        if text.isdigit() and len(text) >= 9:
            return When(absolute=int(text))
        seconds = parse_duration(text)
        if seconds is not None:
            return When(relative=seconds)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"expected a duration (7d, 12h), a unix time or an ISO date: {text!r}", param, ctx
            )
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return When(absolute=int(parsed.timestamp()))


class DurationType(click.ParamType):
    """Seconds: ``3600``, ``30d``, ``12h``."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        seconds = parse_duration(str(value))
        if seconds is None:
            self.fail(f"expected a duration such as 30d, 12h or 3600: {value!r}", param, ctx)
        return seconds


class DepartmentType(click.ParamType):
    """A department code as text (``HRSS``); its existence is checked on chain later."""

    name = "department"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> bytes:
        if isinstance(value, bytes):
            return value
        try:
            return department_code(str(value).strip().upper())
        except InvalidInput as exc:
            self.fail(f"{exc.reason}: {value!r}", param, ctx)


class RolesType(click.ParamType):
    """``staff``, ``approver,auditor``... as a role bit mask."""

    name = "roles"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_roles(str(value))
        except InvalidInput as exc:
            self.fail(f"{exc.reason}: {value!r}", param, ctx)


TIME = TimeType()
DURATION = DurationType()
DEPARTMENT = DepartmentType()
ROLES = RolesType()


def roles_mask(values: tuple[int, ...]) -> int:
    """The union of repeated ``--role`` options."""
    mask = 0
    for value in values:
        mask |= value
    if mask == 0:
        raise click.UsageError("give at least one --role (staff, approver, admin, auditor)")
    return mask


def account(obj: CliContext, who: str, what: str = "address or key name") -> ChecksumAddress:
    """A 0x address, or the address of a keystore in the home (no passphrase needed)."""
    if who.startswith(("0x", "0X")):
        return validate.address(who)
    return obj.keystore().show(validate.name(who, what)).address


def own_address(obj: CliContext, identity: str | None, purpose: str) -> ChecksumAddress:
    """``identity`` if given, else the --key's address (read from the keystore file)."""
    if identity:
        return account(obj, identity, "identity")
    return obj.keystore().show(obj.key_name(purpose)).address


def tx_text(sent: Sent, what: str) -> str:
    return f"{what} (tx {sent.tx_hash}, block {sent.block})"
