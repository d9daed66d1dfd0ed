"""The values of :mod:`govchain.identity.citizens`: delegate types, an identity, a delegate, a
queued change, guardians, a recovery's status, a signed owner change; and the checks a guardian
set must pass before it is sent (the SDK's and the signed commands' one rule)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.base import hex32, iso_time

#: ``DELEGATE_AGENT`` of ICitizenRegistry: an agent who may act for the identity (代办).
DELEGATE_AGENT = keccak(text="govchain.delegate.agent")
MAX_GUARDIANS = 16
MIN_RECOVERY_DELAY = 24 * 3600


def delegate_type(value: str | bytes) -> bytes:
    """``agent`` (the default type) or any 32-byte type given as hex."""
    if isinstance(value, bytes):
        return validate.bytes32(value, "delegate type")
    if value.lower() == "agent":
        return DELEGATE_AGENT
    if value.startswith(("0x", "0X")):
        return validate.bytes32(value, "delegate type")
    raise InvalidInput("delegate type", value, "expected 'agent' or a 32-byte hex type")


def attribute_name(value: str | bytes) -> bytes:
    """An ERC-1056 attribute name: 32 bytes as 0x-hex, or text (e.g. ``did/svc/HubService``) of
    at most 32 UTF-8 bytes, right-padded with zeros as did:ethr resolvers read it."""
    if isinstance(value, bytes):
        return validate.bytes32(value, "attribute name")
    if value.startswith(("0x", "0X")):
        return validate.bytes32(value, "attribute name")
    raw = value.encode()
    if not raw or len(raw) > 32:
        raise InvalidInput("attribute name", value, "expected 1 to 32 bytes of text or 0x + 64 hex")
    return raw.ljust(32, b"\0")


def attribute_value(value: str | bytes) -> bytes:
    """An attribute value: 0x-hex bytes, or text as UTF-8. Public on chain: a key or a service
    endpoint, never personal data."""
    if isinstance(value, bytes):
        return value
    if value.startswith(("0x", "0X")):
        return validate.hex_bytes(value, None, "attribute value")
    return value.encode()


def delegate_type_name(raw: bytes) -> str:
    return "agent" if raw == DELEGATE_AGENT else hex32(raw)


@dataclass(frozen=True)
class Identity:
    """An identity's owner, the block of its latest change, its signing nonce and owner epoch."""

    identity: ChecksumAddress
    owner: ChecksumAddress
    changed: int
    nonce: int
    epoch: int = 0

    @property
    def rotated(self) -> bool:
        return self.owner != self.identity

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "owner": self.owner,
            "rotated": self.rotated,
            "changed_block": self.changed,
            "nonce": self.nonce,
            "owner_epoch": self.epoch,
        }


@dataclass(frozen=True)
class Delegate:
    """A delegate of an identity: its stored validity and owner epoch, and whether it is valid.

    ``previous_key``: installed under a previous owner epoch and unexpired, so not valid until
    the current owner confirms it.
    """

    delegate: ChecksumAddress
    type: bytes
    valid_to: int
    valid: bool
    epoch: int = 0
    previous_key: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "delegate": self.delegate,
            "type": delegate_type_name(self.type),
            "valid_to": self.valid_to,
            "valid_until": iso_time(self.valid_to),
            "valid": self.valid,
            "epoch": self.epoch,
            "previous_key": self.previous_key,
        }


@dataclass(frozen=True)
class QueuedChange:
    """An owner or guardian change waiting for the guardians' time lock."""

    identity: ChecksumAddress
    kind: str  # "owner" or "guardians"
    change_hash: bytes
    ready_at: int
    new_owner: ChecksumAddress | None = None
    guardians: list[ChecksumAddress] = field(default_factory=list)
    threshold: int = 0
    delay: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identity": self.identity,
            "kind": self.kind,
            "change_hash": hex32(self.change_hash),
            "ready_at": self.ready_at,
            "ready_at_text": iso_time(self.ready_at),
        }
        if self.kind == "owner":
            out["new_owner"] = self.new_owner
        else:
            out.update(guardians=list(self.guardians), threshold=self.threshold, delay=self.delay)
        return out


@dataclass(frozen=True)
class Guardians:
    """Who may recover an identity, how many of them, after what time lock."""

    identity: ChecksumAddress
    guardians: list[ChecksumAddress]
    threshold: int
    delay: int
    epoch: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "guardians": list(self.guardians),
            "threshold": self.threshold,
            "delay": self.delay,
            "epoch": self.epoch,
        }


@dataclass(frozen=True)
class RecoveryStatus:
    """The recovery of an identity to one candidate owner, in the current epoch."""

    identity: ChecksumAddress
    new_owner: ChecksumAddress
    approvals: int
    ready_at: int
    active: bool
    threshold: int
    supporters: list[ChecksumAddress] = field(default_factory=list)

    @property
    def queued(self) -> bool:
        return self.active and self.ready_at != 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "new_owner": self.new_owner,
            "approvals": self.approvals,
            "threshold": self.threshold,
            "supporters": list(self.supporters),
            "active": self.active,
            "queued": self.queued,
            "ready_at": self.ready_at,
            "ready_at_text": iso_time(self.ready_at) if self.ready_at else None,
        }


@dataclass(frozen=True)
class SignedOwnerChange:
    """The owner's EIP-712 ``ChangeOwner``, to be relayed by anyone."""

    identity: ChecksumAddress
    new_owner: ChecksumAddress
    deadline: int
    signature: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "new_owner": self.new_owner,
            "deadline": self.deadline,
            "signature": "0x" + self.signature.hex(),
        }


def check_guardians(guardians: Sequence[str], threshold: int, delay: int) -> list[ChecksumAddress]:
    """The guardians as addresses, once they pass what ``setGuardians`` checks: distinct, at
    most 16, 2 <= threshold <= their number (0 without guardians), time lock >= one day."""
    chosen = [validate.address(g) for g in guardians]
    if len(set(chosen)) != len(chosen):
        raise InvalidInput("guardians", ", ".join(chosen), "a guardian is named twice")
    if len(chosen) > MAX_GUARDIANS:
        raise InvalidInput("guardians", len(chosen), f"at most {MAX_GUARDIANS}")
    if chosen and not 2 <= threshold <= len(chosen):
        raise InvalidInput(
            "threshold", threshold, f"expected 2 to {len(chosen)} (the number of guardians)"
        )
    if not chosen and threshold != 0:
        raise InvalidInput("threshold", threshold, "must be 0 without guardians")
    if chosen and delay < MIN_RECOVERY_DELAY:
        raise InvalidInput("time lock", delay, "must be at least one day (86400 s)")
    return chosen
