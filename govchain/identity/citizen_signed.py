"""A citizen's signed delegate addition or key rotation, made by the identity's owner key or by
the owners of a Safe that owns the identity, and relayed by anyone
(``CitizenRegistry.addDelegateSigned``, ``changeOwnerSigned``).

The registry checks the signature with OpenZeppelin's ``SignatureChecker`` against the
identity's owner, so an identity owned by a Safe 1.4.1 is served through ERC-1271: each Safe
owner signs the Safe's ``SafeMessage`` over the ``AddDelegate`` (``ChangeOwner``) digest
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
from govchain.eip712 import TypedMessage
from govchain.errors import InvalidInput
from govchain.identity.base import Refused, Sent, iso_time
from govchain.identity.citizens import Citizens, delegate_type
from govchain.identity.messages import ADD_DELEGATE, CHANGE_OWNER, citizen_domain
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


def _message(
    citizens: Citizens, identity: ChecksumAddress, fields: dict[str, Any], deadline: int
) -> tuple[ChecksumAddress, dict[str, Any]]:
    """The identity's owner now and the message it must sign (at the identity's nonce now)."""
    current = citizens.identity(identity)
    message = {
        "identity": identity,
        **fields,
        "owner": current.owner,
        "nonce": current.nonce,
        "deadline": deadline,
    }
    return current.owner, message


def _sign(
    citizens: Citizens,
    typed: TypedMessage,
    account: LocalAccount,
    identity: str,
    fields: dict[str, Any],
    deadline: int,
    safe: str | None,
) -> SignedPart:
    if deadline <= citizens.now():
        raise InvalidInput("deadline", iso_time(deadline), "has passed")
    address = validate.address(identity)
    owner, message = _message(citizens, address, fields, deadline)
    domain = citizen_domain(citizens.connection.chain_id, citizens.address)
    signer = validate.address(safe) if safe else account.address
    if owner != signer:
        raise Refused(f"{signer} does not own identity {address} (its owner is {owner})")
    if safe is None:
        return SignedPart(signer, deadline, typed.sign(account.key, domain, message))
    if account.address not in SafeWallet(citizens.w3, signer).owners():
        raise Refused(f"{account.address} is not an owner of Safe {signer}")
    digest = typed.digest(domain, message)
    part = sign_safe_message(account, citizens.connection.chain_id, signer, digest)
    return SignedPart(signer, deadline, part, account.address)


def _joined(
    citizens: Citizens,
    typed: TypedMessage,
    identity: ChecksumAddress,
    fields: dict[str, Any],
    parts: Sequence[SignedPart],
) -> tuple[int, bytes]:
    """The deadline all ``parts`` name and the owner's one signature joined from them."""
    deadlines = {p.deadline for p in parts}
    if len(deadlines) > 1:
        raise InvalidInput("signature", "deadlines", "every part must name the same deadline")
    deadline = deadlines.pop() if deadlines else 0
    if parts and deadline < citizens.now():
        raise Refused(f"the signature's deadline {iso_time(deadline)} has passed")
    owner, message = _message(citizens, identity, fields, deadline)
    digest = typed.digest(citizen_domain(citizens.connection.chain_id, citizens.address), message)
    return deadline, join_parts(citizens, owner, digest, parts)


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
    fields = _delegate_fields(delegate, validity, kind)
    return _sign(citizens, ADD_DELEGATE, account, identity, fields, deadline, safe)


def _delegate_fields(delegate: str, validity: int, kind: str | bytes) -> dict[str, Any]:
    return {
        "delegateType": delegate_type(kind),
        "delegate": validate.address(delegate),
        "validity": validity,
    }


def sign_change_owner(
    citizens: Citizens,
    account: LocalAccount,
    identity: str,
    new_owner: str,
    deadline: int,
    safe: str | None = None,
) -> SignedPart:
    """``account``'s signature handing ``identity`` to ``new_owner`` (key rotation; sends
    nothing), as the owner key or, with ``safe``, as one owner of that Safe."""
    fields = {"newOwner": validate.address(new_owner)}
    return _sign(citizens, CHANGE_OWNER, account, identity, fields, deadline, safe)


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
    address, fields = validate.address(identity), _delegate_fields(delegate, validity, kind)
    deadline, signature = _joined(citizens, ADD_DELEGATE, address, fields, parts)
    function = citizens.contract.functions.addDelegateSigned(
        address, fields["delegateType"], fields["delegate"], validity, deadline, signature
    )
    return Sent.of(citizens._send(function, "relaying the signed delegate addition"))


def relay_change_owner(
    citizens: Citizens, identity: str, new_owner: str, parts: Sequence[SignedPart]
) -> Sent:
    """Relay the owner's signed owner change (the sender pays); queued if guardians watch."""
    address, new = validate.address(identity), validate.address(new_owner)
    deadline, signature = _joined(citizens, CHANGE_OWNER, address, {"newOwner": new}, parts)
    function = citizens.contract.functions.changeOwnerSigned(address, new, deadline, signature)
    return Sent.of(citizens._send(function, "relaying the signed key rotation"))
