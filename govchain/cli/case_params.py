"""What the ``govchain case`` command modules share: department codes, times (``7d``, unix,
ISO), route steps, the verdict option and salted comment commitments (split from
:mod:`govchain.cli.case`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from govchain.approval import Step
from govchain.approval.cases import Cases, Comment
from govchain.cli.context import CliContext
from govchain.cli.params import BYTES32
from govchain.deploy import department_code
from govchain.errors import InvalidInput

ZERO32 = b"\x00" * 32
F = TypeVar("F", bound=Callable[..., Any])
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+)([smhdw])$")


class DepartmentCodeType(click.ParamType):
    """A department code (``CIVIL``) as the contracts store it; existence is checked on chain."""

    name = "code"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> bytes:
        if isinstance(value, bytes):
            return value
        try:
            return department_code(str(value).upper())
        except InvalidInput as exc:
            self.fail(f"{exc.reason}: {value!r}", param, ctx)


DEPARTMENT = DepartmentCodeType()


def parse_when(text: str, now: int, what: str = "deadline") -> int:
    """``7d``/``12h``/``30m``/``90s``/``2w`` from chain time ``now``, unix seconds, or ISO-8601."""
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return now + int(match.group(1)) * _UNITS[match.group(2)]
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            what, text, "expected a duration (7d, 12h, 30m), unix seconds or an ISO date"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def parse_step(text: str, now: int) -> Step:
    """``CODE:K:WHEN``, e.g. ``DPF:1:7d`` (1 approver of DPF within 7 days)."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        raise InvalidInput("route step", text, "expected DEPT:K:WHEN, e.g. DPF:1:7d")
    threshold = int(parts[1])
    if not 1 <= threshold <= 255:
        raise InvalidInput("route step", text, "K is 1 to 255 approvers")
    return Step(department_code(parts[0].upper()), threshold, parse_when(parts[2], now))


def commitment(
    text: str | None, digest: bytes | None, salt: bytes | None, what: str = "comment"
) -> tuple[bytes, Comment | None]:
    """The 32 bytes that go on chain for ``--WHAT`` and the off-chain comment, if text was given.

    Text is committed as ``keccak256(salt ‖ text)`` with ``--WHAT-salt`` or a fresh random salt
    (never an unsalted hash: a short text is brute-forced from it); the salt is printed so it is
    kept with the case's documents and given to co-signers of the same decision.
    """
    if text is not None and digest is not None:
        raise click.UsageError(f"give --{what} or --{what}-hash, not both")
    if salt is not None and text is None:
        raise click.UsageError(f"--{what}-salt goes with --{what}")
    if digest is not None:
        return digest, None
    if text is None:
        return ZERO32, None
    comment = Comment.new(text, salt)
    return comment.commitment, comment


def salted(comment: Comment | None, what: str = "comment") -> dict[str, str]:
    """The salt to keep off chain with the text, as output fields (none without text)."""
    return {f"{what}_salt": hex0x(comment.salt)} if comment else {}


def salt_note(comment: Comment | None, what: str = "comment") -> str:
    if comment is None:
        return ""
    return (
        f"; keep the {what} and its salt {hex0x(comment.salt)} with the case's documents "
        f"(co-signers pass --{what}-salt)"
    )


def verdict_of(approve: bool | None) -> bool:
    if approve is None:
        raise click.UsageError("say --approve or --reject")
    return approve


def cases_client(obj: CliContext, signing: bool = False) -> Cases:
    return Cases(obj.connection(), obj.sender() if signing else None)


def hex0x(value: bytes) -> str:
    return "0x" + value.hex()


def comment_options(what: str, help_text: str) -> Callable[[F], F]:
    """``--WHAT TEXT`` (committed with a salt), ``--WHAT-salt 0x..`` and ``--WHAT-hash 0x..``
    (exclusive with the text), see :func:`commitment`."""

    def decorate(f: F) -> F:
        f = click.option(
            f"--{what}-salt",
            f"{what}_salt",
            type=BYTES32,
            metavar="SALT",
            help=f"the 32-byte salt of the {what}'s commitment (default: a fresh one); "
            "co-signers of one decision use the same",
        )(f)
        f = click.option(
            f"--{what}-hash",
            f"{what}_hash",
            type=BYTES32,
            metavar="HASH",
            help=f"the {what}'s salted commitment, if it was made elsewhere",
        )(f)
        return click.option(f"--{what}", what, metavar="TEXT", help=help_text)(f)

    return decorate


verdict_option = click.option(
    "--approve/--reject", "approve", default=None, help="the decision (one is required)"
)
