"""A citizen's signed operation, made by the identity's owner key or by the owners of a Safe that
owns the identity, and relayed by anyone: ``CitizenRegistry``'s ``addDelegateSigned``,
``revokeDelegateSigned``, ``setAttributeSigned``, ``revokeAttributeSigned``,
``setGuardiansSigned``, ``cancelRecoverySigned`` and ``changeOwnerSigned``
(:class:`CitizenAction`: the EIP-712 type, its fields, the registry call).

The registry checks the signature with OpenZeppelin's ``SignatureChecker`` against the
identity's owner, so an identity owned by a Safe is served through ERC-1271: each Safe owner
signs the Safe's ``SafeMessage`` over the action's digest (:func:`govchain.safe.sign_safe_message`),
and the relayer joins the owners' parts in ascending owner order
(:meth:`govchain.safe.SafeWallet.check_owner_signatures`). Every part names the same deadline
and was made at the identity's current nonce; a part of another owner, a part made at an older
nonce, or fewer parts than the Safe's threshold are refused before anything is sent.

A part can be written as a file (:func:`part_document`) naming the whole message (chain,
registry, identity, action, fields, nonce, deadline), so that another owner signs exactly that
message (:func:`sign_like`) instead of retyping its terms, or approves it on chain with the
Safe's ``approveHash`` (:func:`approve_like`; a ``v`` 1 part, which :func:`join_parts` checks
against the Safe's ``approvedHashes``). :func:`join_parts` also accepts ``eth_sign`` parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.contract.contract import ContractFunction

from govchain import validate
from govchain.eip712 import TypedMessage
from govchain.errors import InvalidInput
from govchain.identity.base import Refused, Sent, iso_time
from govchain.identity.citizen_types import check_guardians, delegate_type
from govchain.identity.citizens import Citizens
from govchain.identity.messages import (
    ADD_DELEGATE,
    CANCEL_RECOVERY,
    CHANGE_OWNER,
    REVOKE_ATTRIBUTE,
    REVOKE_DELEGATE,
    SET_ATTRIBUTE,
    SET_GUARDIANS,
    citizen_domain,
)
from govchain.safe import (
    OwnerSignature,
    SafeWallet,
    approved_hash_signature,
    recover_safe_owner,
    sign_safe_message,
)
from govchain.tx import Sender

PART_FORMAT = "govchain.citizen.part/1"


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


@dataclass(frozen=True)
class CitizenAction:
    """One signed citizen operation: its EIP-712 type, its own fields (as the typed message
    takes them) and the ``*Signed`` function of the registry they are passed to, in order."""

    typed: TypedMessage
    fields: Mapping[str, Any]
    function: str
    what: str

    @property
    def name(self) -> str:
        return self.typed.primary_type

    def call(
        self, citizens: Citizens, identity: str, deadline: int, signature: bytes
    ) -> ContractFunction:
        fn = citizens.contract.functions[self.function]
        return fn(validate.address(identity), *self.fields.values(), deadline, signature)

    def as_json(self) -> dict[str, Any]:
        """The fields as JSON values (addresses checksummed, bytes as 0x-hex)."""
        return {k: _to_json(v) for k, v in self.fields.items()}

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> CitizenAction:
        """The action ``name`` (a primary type, e.g. ``RevokeDelegate``) with ``data``'s fields,
        checked as its factory checks them."""
        try:
            return _FROM_JSON[name](data)
        except KeyError as exc:
            raise InvalidInput("part file", name, f"not a citizen action or no {exc}") from None
        except (TypeError, ValueError) as exc:
            raise InvalidInput("part file", name, f"a field is malformed: {exc}") from None


def _to_json(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def add_delegate(delegate: str, validity: int, kind: str | bytes = "agent") -> CitizenAction:
    if validity <= 0:
        raise InvalidInput("validity", validity, "must be longer than zero seconds")
    fields = {
        "delegateType": delegate_type(kind),
        "delegate": validate.address(delegate),
        "validity": validity,
    }
    return CitizenAction(ADD_DELEGATE, fields, "addDelegateSigned", "the delegate addition")


def revoke_delegate(delegate: str, kind: str | bytes = "agent") -> CitizenAction:
    fields = {"delegateType": delegate_type(kind), "delegate": validate.address(delegate)}
    return CitizenAction(REVOKE_DELEGATE, fields, "revokeDelegateSigned", "the delegate revocation")


def set_attribute(name: bytes, value: bytes, validity: int) -> CitizenAction:
    if validity <= 0:
        raise InvalidInput("validity", validity, "must be longer than zero seconds")
    fields: dict[str, Any] = {
        "name": validate.bytes32(name, "attribute name"),
        "value": bytes(value),
        "validity": validity,
    }
    return CitizenAction(SET_ATTRIBUTE, fields, "setAttributeSigned", "the attribute")


def revoke_attribute(name: bytes, value: bytes) -> CitizenAction:
    fields = {"name": validate.bytes32(name, "attribute name"), "value": bytes(value)}
    return CitizenAction(
        REVOKE_ATTRIBUTE, fields, "revokeAttributeSigned", "the attribute revocation"
    )


def set_guardians(guardians: Sequence[str], threshold: int, delay: int) -> CitizenAction:
    chosen = check_guardians(guardians, threshold, delay)
    fields = {"guardians": chosen, "threshold": threshold, "delay": delay}
    return CitizenAction(SET_GUARDIANS, fields, "setGuardiansSigned", "the guardian change")


def cancel_recovery() -> CitizenAction:
    return CitizenAction(CANCEL_RECOVERY, {}, "cancelRecoverySigned", "the recovery cancellation")


def change_owner(new_owner: str) -> CitizenAction:
    fields = {"newOwner": validate.address(new_owner)}
    return CitizenAction(CHANGE_OWNER, fields, "changeOwnerSigned", "the key rotation")


def _hex(value: Any) -> bytes:
    return validate.hex_bytes(str(value), None, "field")


_FROM_JSON: dict[str, Callable[[Mapping[str, Any]], CitizenAction]] = {
    "AddDelegate": lambda d: add_delegate(
        d["delegate"], int(d["validity"]), _hex(d["delegateType"])
    ),
    "RevokeDelegate": lambda d: revoke_delegate(d["delegate"], _hex(d["delegateType"])),
    "SetAttribute": lambda d: set_attribute(_hex(d["name"]), _hex(d["value"]), int(d["validity"])),
    "RevokeAttribute": lambda d: revoke_attribute(_hex(d["name"]), _hex(d["value"])),
    "SetGuardians": lambda d: set_guardians(
        list(d["guardians"]), int(d["threshold"]), int(d["delay"])
    ),
    "CancelRecovery": lambda d: cancel_recovery(),
    "ChangeOwner": lambda d: change_owner(d["newOwner"]),
}


# --- signing and relaying ------------------------------------------------------------------


def _message(
    citizens: Citizens, identity: ChecksumAddress, action: CitizenAction, deadline: int
) -> tuple[ChecksumAddress, int, dict[str, Any]]:
    """The identity's owner and nonce now and the message it must sign."""
    current = citizens.identity(identity)
    message = {
        "identity": identity,
        **action.fields,
        "owner": current.owner,
        "nonce": current.nonce,
        "deadline": deadline,
    }
    return current.owner, current.nonce, message


def action_digest(citizens: Citizens, identity: str, action: CitizenAction, deadline: int) -> bytes:
    """The EIP-712 digest the identity's owner signs for ``action`` now."""
    _, _, message = _message(citizens, validate.address(identity), action, deadline)
    domain = citizen_domain(citizens.connection.chain_id, citizens.address)
    return action.typed.digest(domain, message)


def sign_action(
    citizens: Citizens,
    account: LocalAccount,
    identity: str,
    action: CitizenAction,
    deadline: int,
    safe: str | None = None,
) -> SignedPart:
    """``account``'s signature of ``action`` for ``identity`` (sends nothing): as the owner key,
    or with ``safe`` as one owner of that Safe, which must own the identity."""
    if deadline <= citizens.now():
        raise InvalidInput("deadline", iso_time(deadline), "has passed")
    address = validate.address(identity)
    owner, _, message = _message(citizens, address, action, deadline)
    domain = citizen_domain(citizens.connection.chain_id, citizens.address)
    signer = validate.address(safe) if safe else account.address
    if owner != signer:
        raise Refused(f"{signer} does not own identity {address} (its owner is {owner})")
    if safe is None:
        return SignedPart(signer, deadline, action.typed.sign(account.key, domain, message))
    if account.address not in SafeWallet(citizens.w3, signer).owners():
        raise Refused(f"{account.address} is not an owner of Safe {signer}")
    digest = action.typed.digest(domain, message)
    part = sign_safe_message(account, citizens.connection.chain_id, signer, digest)
    return SignedPart(signer, deadline, part, account.address)


def relay_action(
    citizens: Citizens, identity: str, action: CitizenAction, parts: Sequence[SignedPart]
) -> Sent:
    """Relay the owner's signed ``action`` (the sender pays): the parts joined into the owner's
    one signature, checked first against the identity's owner and nonce now."""
    address = validate.address(identity)
    deadlines = {p.deadline for p in parts}
    if len(deadlines) > 1:
        raise InvalidInput("signature", "deadlines", "every part must name the same deadline")
    deadline = deadlines.pop() if deadlines else 0
    if parts and deadline < citizens.now():
        raise Refused(f"the signature's deadline {iso_time(deadline)} has passed")
    owner, _, message = _message(citizens, address, action, deadline)
    domain = citizen_domain(citizens.connection.chain_id, citizens.address)
    signature = join_parts(citizens, owner, action.typed.digest(domain, message), parts)
    function = action.call(citizens, address, deadline, signature)
    return Sent.of(citizens._send(function, f"relaying {action.what}"))


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
    wallet = SafeWallet(citizens.w3, owner)
    owners = []
    for p in safe_parts:
        if p.owner is not None and p.signature == approved_hash_signature(p.owner):
            if not wallet.approved(p.owner, digest):
                raise InvalidInput(
                    "signature",
                    p.owner,
                    f"{p.owner} has not approved Safe {owner}'s message on chain (approveHash)",
                )
        elif p.owner is None or recover_safe_owner(chain_id, owner, digest, p.signature) != p.owner:
            raise InvalidInput(
                "signature",
                str(p.owner),
                f"the part given for {p.owner} is not its signature of Safe {owner}'s message "
                "(other terms, or made before the identity's nonce moved on)",
            )
        owners.append(OwnerSignature(p.owner, p.signature))
    return wallet.check_owner_signatures(owners)


# --- part files: sign exactly the message another owner signed -------------------------------


def part_document(
    citizens: Citizens, identity: str, action: CitizenAction, part: SignedPart
) -> dict[str, Any]:
    """A Safe owner's part as a file: the whole message it signs, so that another owner signs
    exactly that message (:func:`sign_like`), and the token that relays it."""
    address = validate.address(identity)
    owner, nonce, _ = _message(citizens, address, action, part.deadline)
    return {
        "format": PART_FORMAT,
        "chain_id": citizens.connection.chain_id,
        "contract": citizens.address,
        "identity": address,
        "action": action.name,
        "fields": action.as_json(),
        "identity_owner": owner,
        "nonce": nonce,
        "deadline": part.deadline,
        "deadline_time": iso_time(part.deadline),
        "digest": "0x" + action_digest(citizens, address, action, part.deadline).hex(),
        "signer": part.signer,
        "safe_owner": part.owner,
        "signature": "0x" + part.signature.hex(),
        "token": part.token(),
    }


@dataclass(frozen=True)
class PartFile:
    """What a part file says is signed (read by :func:`read_part`)."""

    chain_id: int
    contract: ChecksumAddress
    identity: ChecksumAddress
    action: CitizenAction
    nonce: int
    deadline: int
    signer: ChecksumAddress

    def describe(self) -> str:
        terms = ", ".join(f"{k} {_readable(v)}" for k, v in self.action.as_json().items())
        return (
            f"{self.action.name} of identity {self.identity} ({terms or 'no terms'}), signed for "
            f"{self.signer} at nonce {self.nonce}, deadline {iso_time(self.deadline)}, "
            f"chain {self.chain_id}, registry {self.contract}"
        )


def _readable(value: Any) -> str:
    """A term as a person checks it: 0x-hex that is printable text (an attribute name or value,
    a delegate type) is followed by that text."""
    text = str(value)
    if not text.startswith("0x") or len(text) < 4:
        return text
    try:
        decoded = bytes.fromhex(text[2:]).rstrip(b"\0").decode("utf-8")
    except ValueError:
        return text
    return f'{text} ("{decoded}")' if decoded.isprintable() and decoded else text


def read_part(data: Mapping[str, Any]) -> PartFile:
    if data.get("format") != PART_FORMAT:
        raise InvalidInput("part file", data.get("format"), f"expected format {PART_FORMAT}")
    try:
        return PartFile(
            chain_id=int(data["chain_id"]),
            contract=validate.address(data["contract"]),
            identity=validate.address(data["identity"]),
            action=CitizenAction.from_json(str(data["action"]), dict(data["fields"])),
            nonce=int(data["nonce"]),
            deadline=int(data["deadline"]),
            signer=validate.address(data["signer"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("part file", "fields", f"missing or malformed: {exc}") from None


def sign_like(citizens: Citizens, account: LocalAccount, part: PartFile) -> SignedPart:
    """``account`` (another owner of the part's Safe) signs exactly the part's message. Refused
    for a part of another chain or registry, a passed deadline, or a nonce that moved on."""
    check_like(citizens, part)
    return sign_action(citizens, account, part.identity, part.action, part.deadline, part.signer)


def approve_like(citizens: Citizens, owner: Sender, part: PartFile) -> SignedPart:
    """Another owner of the part's Safe (``owner``, who pays) approves the part's message on
    chain (the Safe's ``approveHash`` of its SafeMessage hash) instead of signing it: its part
    is then ``v`` 1, which the relay checks on chain. Refused as :func:`sign_like` is."""
    check_like(citizens, part)
    wallet = SafeWallet(citizens.w3, part.signer)
    if owner.account.address not in wallet.owners():
        raise Refused(f"{owner.account.address} is not an owner of Safe {part.signer}")
    digest = action_digest(citizens, part.identity, part.action, part.deadline)
    wallet.approve_hash(owner, digest)
    signature = approved_hash_signature(owner.account.address)
    return SignedPart(part.signer, part.deadline, signature, owner.account.address)


def check_like(citizens: Citizens, part: PartFile) -> None:
    """The part's message can still be relayed here: same chain and registry, deadline ahead,
    the identity's nonce unchanged."""
    if part.chain_id != citizens.connection.chain_id:
        raise Refused(
            f"the part file is for chain {part.chain_id}, this is chain "
            f"{citizens.connection.chain_id}"
        )
    if part.contract != citizens.address:
        raise Refused(
            f"the part file is for registry {part.contract}, this chain's is {citizens.address}"
        )
    if part.deadline <= citizens.now():
        raise Refused(f"the part file's deadline {iso_time(part.deadline)} has passed")
    nonce = citizens.identity(part.identity).nonce
    if nonce != part.nonce:
        raise Refused(
            f"the part file was made at nonce {part.nonce}; identity {part.identity} is at "
            f"{nonce} now (its message can no longer be relayed)"
        )


# --- the earlier entry points ----------------------------------------------------------------


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
    """``account``'s signature making ``delegate`` an agent of ``identity`` (sends nothing)."""
    action = add_delegate(delegate, validity, kind)
    return sign_action(citizens, account, identity, action, deadline, safe)


def sign_change_owner(
    citizens: Citizens,
    account: LocalAccount,
    identity: str,
    new_owner: str,
    deadline: int,
    safe: str | None = None,
) -> SignedPart:
    """``account``'s signature handing ``identity`` to ``new_owner`` (key rotation)."""
    return sign_action(citizens, account, identity, change_owner(new_owner), deadline, safe)


def relay_add_delegate(
    citizens: Citizens,
    identity: str,
    delegate: str,
    validity: int,
    kind: str | bytes,
    parts: Sequence[SignedPart],
) -> Sent:
    """Relay the owner's signed delegate addition (the sender pays)."""
    return relay_action(citizens, identity, add_delegate(delegate, validity, kind), parts)


def relay_change_owner(
    citizens: Citizens, identity: str, new_owner: str, parts: Sequence[SignedPart]
) -> Sent:
    """Relay the owner's signed owner change (the sender pays); queued if guardians watch."""
    return relay_action(citizens, identity, change_owner(new_owner), parts)
