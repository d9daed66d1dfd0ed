"""Click parameter types that turn malformed input into one line and exit code 2."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from govchain import validate
from govchain.errors import InvalidInput

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

_UNITS = {"wei": 0, "gwei": 9, "ether": 18, "eth": 18}
_AMOUNT_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")


class AddressType(click.ParamType):
    """A 20-byte hex address; a wrong checksum is refused."""

    name = "address"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ChecksumAddress:
        try:
            return validate.address(value)
        except InvalidInput as exc:
            self.fail(exc.reason + f": {value!r}", param, ctx)


class Bytes32Type(click.ParamType):
    name = "bytes32"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> bytes:
        try:
            return validate.bytes32(value)
        except InvalidInput as exc:
            self.fail(exc.reason + f": {value!r}", param, ctx)


class KeyNameType(click.ParamType):
    name = "key name"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return validate.name(value, "key name")
        except InvalidInput as exc:
            self.fail(exc.reason + f": {value!r}", param, ctx)


class AmountType(click.ParamType):
    """An amount of ether: ``123`` (wei), ``1.5ether``, ``20gwei``."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = _AMOUNT_RE.match(str(value))
        unit = match.group(2).lower() if match else ""
        if match is None or (unit and unit not in _UNITS):
            self.fail(
                f"expected a number with an optional unit (wei, gwei, ether): {value!r}", param, ctx
            )
        try:
            wei = Decimal(match.group(1)) * (Decimal(10) ** _UNITS[unit or "wei"])
        except InvalidOperation:
            self.fail(f"not a number: {value!r}", param, ctx)
        if wei != wei.to_integral_value():
            self.fail(f"less than one wei: {value!r}", param, ctx)
        return int(wei)


ADDRESS = AddressType()
BYTES32 = Bytes32Type()
KEY_NAME = KeyNameType()
AMOUNT = AmountType()
