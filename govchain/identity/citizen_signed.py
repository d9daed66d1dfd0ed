"""A citizen's signed delegate addition, made by the identity's owner key or by the owners of a
Safe that owns the identity, and relayed by anyone (``CitizenRegistry.addDelegateSigned``).

The registry checks the signature with OpenZeppelin's ``SignatureChecker`` against the
identity's owner, so an identity owned by a Safe 1.4.1 is served through ERC-1271: each Safe
owner signs the Safe's ``SafeMessage`` over the ``AddDelegate`` digest
(:func:`govchain.safe.sign_safe_message`), and the relayer joins the owners' parts in ascending
owner order (:meth:`govchain.safe.SafeWallet.check_owner_signatures`). Every part names the same
deadline and was made at the identity's current nonce; a part of another owner, a part made at
an older nonce, or fewer parts than the Safe's threshold are refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.base import Refused, Sent, iso_time
from govchain.identity.citizens import Citizens, delegate_type
from govchain.identity.messages import ADD_DELEGATE, citizen_domain
from govchain.safe import OwnerSignature, SafeWallet, recover_safe_owner, sign_safe_message


@dataclass(frozen=True)
class SignedPart:
    """A signature of a citizen action: the owner key's own 65 bytes (``owner`` unset), or one
    Safe owner's part of the Safe ``signer``'s signature."""

    signer: ChecksumAddress
    deadline: int
    signature: bytes
    owner: ChecksumAddress | None = None

    def token(self) -> str:
        """``SIGNER:DEADLINE:0xSIG`` (a Safe owner's part: ``SAFE:OWNER:DEADLINE:0xSIG``)."""
        owner = f"{self.owner}:" if self.owner else ""
        return f"{self.signer}:{owner}{self.deadline}:0x{self.signature.hex()}"

    @classmethod
    def parse(cls, token: str) -> SignedPart:
        parts = [p.strip() for p in token.split(":")]
        if len(parts) not in (3, 4):
            raise InvalidInput(
                "signature", token, "expected SIGNER:DEADLINE:0xSIG or SAFE:OWNER:DEADLINE:0xSIG"
            )
        if not parts[-2].isdigit():
            raise InvalidInput("signature", token, "the deadline is a unix time")
        owner = validate.address(parts[1]) if len(parts) == 4 else None
        signature = validate.hex_bytes(parts[-1], 65, "signature")
        return cls(validate.address(parts[0]), int(parts[-2]), signature, owner)


def _add_delegate_message(
    citizens: Citizens,
    identity: ChecksumAddress,
    delegate: ChecksumAddress,
    kind: bytes,
    validity: int,
    deadline: int,
) -> tuple[ChecksumAddress, dict[str, Any]]:
    """The identity's owner now and the ``AddDelegate`` message it must sign."""
    current = citizens.identity(identity)
    message = {
        "identity": identity,
        "delegateType": kind,
        "delegate": delegate,
        "validity": validity,
        "owner": current.owner,
        "nonce": current.nonce,
        "deadline": deadline,
    }
    return current.owner, message


def sign_add_delegate(
    citizens: Citizens,
    account: LocalAccount,
    identity: str,
    delegate: str,
    validity: int,
    kind: str | bytes,
    deadline: int,
    safe: str | None = None,
) -> SignedPart:
    """``account``'s signature making ``delegate`` an agent of ``identity`` (sends nothing):
    as the owner key, or with ``safe`` as one owner of that Safe, which must own the identity."""
    if validity <= 0:
        raise InvalidInput("validity", validity, "must be longer than zero seconds")
    if deadline <= citizens.now():
        raise InvalidInput("deadline", iso_time(deadline), "has passed")
    address = validate.address(identity)
    owner, message = _add_delegate_message(
        citizens, address, validate.address(delegate), delegate_type(kind), validity, deadline
    )
    domain = citizen_domain(citizens.connection.chain_id, citizens.address)
    signer = validate.address(safe) if safe else account.address
    if owner != signer:
        raise Refused(f"{signer} does not own identity {address} (its owner is {owner})")
    if safe is None:
        return SignedPart(signer, deadline, ADD_DELEGATE.sign(account.key, domain, message))
    if account.address not in SafeWallet(citizens.w3, signer).owners():
        raise Refused(f"{account.address} is not an owner of Safe {signer}")
    digest = ADD_DELEGATE.digest(domain, message)
    part = sign_safe_message(account, citizens.connection.chain_id, signer, digest)
    return SignedPart(signer, deadline, part, account.address)


def join_parts(
    citizens: Citizens, owner: ChecksumAddress, digest: bytes, parts: Sequence[SignedPart]
) -> bytes:
    """The one signature ``owner`` (a key or a Safe) gives for ``digest`` from ``parts``."""
    if not parts:
        raise InvalidInput("signature", "", "give at least one --signature")
    for p in parts:
        if p.signer != owner:
            raise Refused(f"{p.signer} does not own the identity (its owner is {owner})")
    safe_parts = [p for p in parts if p.owner is not None]
    if not safe_parts:
        return parts[0].signature
    chain_id = citizens.connection.chain_id
    owners = []
    for p in safe_parts:
        if p.owner is None or recover_safe_owner(chain_id, owner, digest, p.signature) != p.owner:
            raise InvalidInput(
                "signature",
                str(p.owner),
                f"the part given for {p.owner} is not its signature of Safe {owner}'s message "
                "(other terms, or made before the identity's nonce moved on)",
            )
        owners.append(OwnerSignature(p.owner, p.signature))
    return SafeWallet(citizens.w3, owner).check_owner_signatures(owners)


def relay_add_delegate(
    citizens: Citizens,
    identity: str,
    delegate: str,
    validity: int,
    kind: str | bytes,
    parts: Sequence[SignedPart],
) -> Sent:
    """Relay the owner's signed delegate addition (the sender pays)."""
    deadlines = {p.deadline for p in parts}
    if len(deadlines) > 1:
        raise InvalidInput("signature", "deadlines", "every part must name the same deadline")
    deadline = deadlines.pop() if deadlines else 0
    if parts and deadline < citizens.now():
        raise Refused(f"the signature's deadline {iso_time(deadline)} has passed")
    address, who, raw = validate.address(identity), validate.address(delegate), delegate_type(kind)
    owner, message = _add_delegate_message(citizens, address, who, raw, validity, deadline)
    digest = ADD_DELEGATE.digest(
        citizen_domain(citizens.connection.chain_id, citizens.address), message
    )
    signature = join_parts(citizens, owner, digest, parts)
    function = citizens.contract.functions.addDelegateSigned(
        address, raw, who, validity, deadline, signature
    )
    return Sent.of(citizens._send(function, "relaying the signed delegate addition"))
