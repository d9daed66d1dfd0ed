"""Client of ``CitizenRegistry``: self-sovereign citizen identities.

Any address is an identity; its owner key (the address itself until changed) controls it.
Here: the owner and history pointer, owner change (key rotation) directly or by the owner's
EIP-712 signature relayed by anyone (the citizen pays no gas), delegates (代办 agents) with a
validity, guardians for recovery, and recovery itself (guardians approve a new owner; once the
threshold is reached a time lock runs, during which the owner may cancel; then anyone finalises).

Owner epochs: every owner change (rotation or recovery) opens a new epoch; delegates of a
previous epoch are not valid until the new owner confirms them (:meth:`Citizens.confirm_delegate`)
or revokes them (:meth:`Citizens.evict_previous_delegates`); consents of a previous epoch are
handled by :class:`govchain.sharing.grants.Grants` (``previous_consents``, ``confirm_consent``,
``revoke_previous_consents``). While guardians are set, an owner or guardian change by the key
alone is queued for the guardians' time lock (:meth:`Citizens.queued_change`,
``execute_*``, :meth:`Citizens.cancel_queued_change`). :meth:`Citizens.use_nonce` voids an
unrelayed signed message.

Checks before sending: the sender owns the identity (for owner actions); a delegate to revoke
was added; guardians are distinct, 2 <= threshold <= their number, time lock >= 1 day; a
recovery to start has no support yet, one to support has some, the sender is a guardian who
has not supported it yet; a recovery to finalise is queued and its time lock has run out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.base import ContractClient, Refused, Sent, hex32, iso_time
from govchain.identity.messages import CHANGE_OWNER, citizen_domain

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


class Citizens(ContractClient):
    """``CitizenRegistry`` for citizens (owners), their guardians, and relayers."""

    NAME = "CitizenRegistry"

    # --- reads ---------------------------------------------------------------------------

    def owner(self, identity: str) -> ChecksumAddress:
        address = validate.address(identity)
        return validate.address(self.contract.functions.identityOwner(address).call())

    def identity(self, identity: str) -> Identity:
        address = validate.address(identity)
        return Identity(
            identity=address,
            owner=self.owner(address),
            changed=int(self.contract.functions.changed(address).call()),
            nonce=int(self.contract.functions.nonces(address).call()),
            epoch=self.owner_epoch(address),
        )

    def owner_epoch(self, identity: str) -> int:
        return int(self.contract.functions.ownerEpoch(validate.address(identity)).call())

    def valid_delegate(
        self, identity: str, delegate: str, kind: str | bytes = DELEGATE_AGENT
    ) -> bool:
        function = self.contract.functions.validDelegate(
            validate.address(identity), delegate_type(kind), validate.address(delegate)
        )
        return bool(function.call())

    def delegates(self, identity: str) -> list[Delegate]:
        """Every delegate ever named for ``identity`` (from ``DIDDelegateChanged``), with its
        stored validity and owner epoch and whether the registry counts it valid now."""
        address = validate.address(identity)
        seen: dict[tuple[bytes, ChecksumAddress], None] = {}
        for event in self._logs("DIDDelegateChanged", identity=address):
            args = event["args"]
            seen[(bytes(args["delegateType"]), validate.address(args["delegate"]))] = None
        epoch, now = self.owner_epoch(address), self.now()
        out = []
        for kind, who in seen:
            valid_to, added_in = self.contract.functions.delegateState(address, kind, who).call()
            out.append(
                Delegate(
                    who,
                    kind,
                    int(valid_to),
                    self.valid_delegate(address, who, kind),
                    int(added_in),
                    int(added_in) != epoch and int(valid_to) > now,
                )
            )
        return out

    def previous_delegates(self, identity: str) -> list[Delegate]:
        """Unexpired delegates installed under a previous owner key: not valid until confirmed."""
        return [d for d in self.delegates(identity) if d.previous_key]

    def queued_change(self, identity: str) -> QueuedChange | None:
        """The owner or guardian change queued for ``identity`` (None if none)."""
        address = validate.address(identity)
        change_hash, ready_at, _epoch = self.contract.functions.queuedChange(address).call()
        change_hash = bytes(change_hash)
        if change_hash == bytes(32):
            return None
        for event in reversed(self._logs("OwnerChangeQueued", identity=address)):
            if bytes(event["args"]["changeHash"]) == change_hash:
                return QueuedChange(
                    address,
                    "owner",
                    change_hash,
                    int(ready_at),
                    new_owner=validate.address(event["args"]["newOwner"]),
                )
        for event in reversed(self._logs("GuardianChangeQueued", identity=address)):
            if bytes(event["args"]["changeHash"]) == change_hash:
                args = event["args"]
                return QueuedChange(
                    address,
                    "guardians",
                    change_hash,
                    int(ready_at),
                    guardians=[validate.address(g) for g in args["guardians"]],
                    threshold=int(args["threshold"]),
                    delay=int(args["delay"]),
                )
        raise Refused(
            f"a change {hex32(change_hash)} is queued for {address} but no event names it"
        )

    def guardians(self, identity: str) -> Guardians:
        address = validate.address(identity)
        guardians, threshold, delay, epoch = self.contract.functions.guardianSet(address).call()
        return Guardians(
            address,
            [validate.address(g) for g in guardians],
            int(threshold),
            int(delay),
            int(epoch),
        )

    def recovery(self, identity: str, new_owner: str) -> RecoveryStatus:
        address, candidate = validate.address(identity), validate.address(new_owner)
        approvals, ready_at, active = self.contract.functions.recoveryStatus(
            address, candidate
        ).call()
        supporters: list[ChecksumAddress] = []
        if active:
            # supporters of this epoch: RecoveryApproved events since the latest epoch change
            since = self._epoch_block(address)
            for event in self._logs("RecoveryApproved", identity=address, newOwner=candidate):
                if event["blockNumber"] >= since:
                    supporters.append(validate.address(event["args"]["guardian"]))
        return RecoveryStatus(
            address,
            candidate,
            int(approvals),
            int(ready_at),
            bool(active),
            self.guardians(address).threshold,
            supporters[-int(approvals) :] if approvals else [],
        )

    def _epoch_block(self, identity: ChecksumAddress) -> int:
        blocks = [0]
        for name in ("GuardiansChanged", "RecoveryCancelled", "RecoveryFinalized"):
            blocks += [e["blockNumber"] for e in self._logs(name, identity=identity)]
        return max(blocks)

    # --- checks --------------------------------------------------------------------------

    def _owned(self, identity: str | None, action: str) -> tuple[ChecksumAddress, str]:
        """The identity (default: the sender's own address) the sender owns."""
        sender = self._signer(action)
        address = validate.address(identity) if identity else sender.address
        owner = self.owner(address)
        if owner != sender.address:
            raise Refused(
                f"{sender.address} does not own identity {address} (its owner is {owner})"
            )
        return address, action

    # --- owner change --------------------------------------------------------------------

    def change_owner(self, new_owner: str, identity: str | None = None) -> Sent:
        """Rotate the key of ``identity`` (default: the sender's address) to ``new_owner``.

        At once without guardians; with guardians the change is queued for their time lock
        (see :meth:`queued_change`, :meth:`execute_owner_change`)."""
        address, action = self._owned(identity, "rotating the key")
        new = validate.address(new_owner)
        return Sent.of(self._send(self.contract.functions.changeOwner(address, new), action))

    def sign_change_owner(
        self, owner: LocalAccount, new_owner: str, deadline: int, identity: str | None = None
    ) -> SignedOwnerChange:
        """The owner's signed owner change (reads the owner and nonce, sends nothing)."""
        address = validate.address(identity) if identity else validate.address(owner.address)
        current = self.identity(address)
        if current.owner != owner.address:
            raise Refused(f"{owner.address} does not own identity {address}")
        new = validate.address(new_owner)
        message = {
            "identity": address,
            "owner": current.owner,
            "newOwner": new,
            "nonce": current.nonce,
            "deadline": deadline,
        }
        domain = citizen_domain(self.connection.chain_id, self.address)
        return SignedOwnerChange(
            address, new, deadline, CHANGE_OWNER.sign(owner.key, domain, message)
        )

    def relay_change_owner(self, signed: SignedOwnerChange) -> Sent:
        """Submit a signed owner change (the sender pays; the owner signed)."""
        if signed.deadline < self.now():
            raise Refused(f"the signature's deadline {iso_time(signed.deadline)} has passed")
        function = self.contract.functions.changeOwnerSigned(
            signed.identity, signed.new_owner, signed.deadline, signed.signature
        )
        return Sent.of(self._send(function, "relaying the key rotation"))

    # --- delegates -----------------------------------------------------------------------

    def add_delegate(
        self,
        delegate: str,
        validity: int,
        kind: str | bytes = DELEGATE_AGENT,
        identity: str | None = None,
    ) -> Sent:
        """Make ``delegate`` an agent of the identity for ``validity`` seconds."""
        address, action = self._owned(identity, "adding a delegate")
        if validity <= 0:
            raise InvalidInput("validity", validity, "must be longer than zero seconds")
        function = self.contract.functions.addDelegate(
            address, delegate_type(kind), validate.address(delegate), validity
        )
        return Sent.of(self._send(function, action))

    def revoke_delegate(
        self, delegate: str, kind: str | bytes = DELEGATE_AGENT, identity: str | None = None
    ) -> Sent:
        address, action = self._owned(identity, "revoking a delegate")
        who, raw = validate.address(delegate), delegate_type(kind)
        if not any(d.delegate == who and d.type == raw for d in self.delegates(address)):
            raise Refused(f"{who} is not a {delegate_type_name(raw)} delegate of {address}")
        function = self.contract.functions.revokeDelegate(address, raw, who)
        return Sent.of(self._send(function, action))

    def confirm_delegate(
        self, delegate: str, kind: str | bytes = DELEGATE_AGENT, identity: str | None = None
    ) -> Sent:
        """As the new owner, keep a delegate a previous key installed (its validity unchanged)."""
        address, action = self._owned(identity, "confirming a delegate")
        who, raw = validate.address(delegate), delegate_type(kind)
        found = [d for d in self.delegates(address) if d.delegate == who and d.type == raw]
        if not found or found[0].valid_to == 0:
            raise Refused(f"{who} is not a {delegate_type_name(raw)} delegate of {address}")
        if not found[0].previous_key:
            raise Refused(
                f"{who} is valid under the current key already or has expired; nothing to confirm"
            )
        function = self.contract.functions.confirmDelegate(address, raw, who)
        return Sent.of(self._send(function, action))

    def evict_previous_delegates(self, identity: str | None = None) -> list[Sent]:
        """Revoke every unexpired delegate a previous key installed (one transaction each),
        so did:ethr resolvers, which do not know owner epochs, see their delegation end."""
        address, action = self._owned(identity, "revoking the previous key's delegates")
        sent = []
        for d in self.previous_delegates(address):
            function = self.contract.functions.revokeDelegate(address, d.type, d.delegate)
            sent.append(Sent.of(self._send(function, action)))
        return sent

    def use_nonce(self, identity: str | None = None) -> Sent:
        """Use up the identity's current nonce: an unrelayed signed message can never be relayed."""
        address, action = self._owned(identity, "voiding the signed messages of the current nonce")
        return Sent.of(self._send(self.contract.functions.useNonce(address), action))

    # --- queued changes (guardians watch) ------------------------------------------------

    def _ready(self, change: QueuedChange) -> None:
        if self.now() < change.ready_at:
            raise Refused(
                f"the change queued for {change.identity} is time-locked until "
                f"{iso_time(change.ready_at)}"
            )

    def execute_owner_change(self, identity: str) -> Sent:
        """Hand the identity to the owner queued for it, once the time lock has passed."""
        change = self.queued_change(identity)
        if change is None or change.kind != "owner" or change.new_owner is None:
            raise Refused(f"no owner change is queued for {validate.address(identity)}")
        self._ready(change)
        function = self.contract.functions.executeOwnerChange(change.identity, change.new_owner)
        return Sent.of(self._send(function, "executing the queued owner change"))

    def execute_guardian_change(self, identity: str) -> Sent:
        """Apply the guardian change queued for the identity, once the time lock has passed."""
        change = self.queued_change(identity)
        if change is None or change.kind != "guardians":
            raise Refused(f"no guardian change is queued for {validate.address(identity)}")
        self._ready(change)
        function = self.contract.functions.executeGuardianChange(
            change.identity, change.guardians, change.threshold, change.delay
        )
        return Sent.of(self._send(function, "executing the queued guardian change"))

    def cancel_queued_change(self, identity: str | None = None) -> Sent:
        """As the owner or a guardian, cancel the change queued for the identity."""
        sender = self._signer("cancelling a queued change")
        address = validate.address(identity) if identity else sender.address
        if self.owner(address) != sender.address and sender.address not in (
            self.guardians(address).guardians
        ):
            raise Refused(f"{sender.address} is neither the owner nor a guardian of {address}")
        if self.queued_change(address) is None:
            raise Refused(f"no change is queued for {address}")
        function = self.contract.functions.cancelQueuedChange(address)
        return Sent.of(self._send(function, "cancelling a queued change"))

    # --- guardians and recovery ----------------------------------------------------------

    def set_guardians(
        self, guardians: Sequence[str], threshold: int, delay: int, identity: str | None = None
    ) -> Sent:
        """Choose guardians (distinct, in distinct departments), a threshold and a time lock.

        An empty list with threshold 0 turns recovery off. Every pending recovery is void. If
        guardians are set already, the change is queued for their time lock.
        """
        address, action = self._owned(identity, "setting guardians")
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
        function = self.contract.functions.setGuardians(address, chosen, threshold, delay)
        return Sent.of(self._send(function, action))

    def _guardian(self, identity: ChecksumAddress, action: str) -> ChecksumAddress:
        sender = self._signer(action)
        guardians = self.guardians(identity)
        if sender.address not in guardians.guardians:
            raise Refused(f"{sender.address} is not a guardian of {identity}")
        return sender.address

    def start_recovery(self, identity: str, new_owner: str) -> Sent:
        """A guardian proposes handing ``identity`` to ``new_owner`` (their first support)."""
        address, candidate = validate.address(identity), validate.address(new_owner)
        self._guardian(address, "starting a recovery")
        status = self.recovery(address, candidate)
        if status.active:
            raise Refused(
                f"a recovery of {address} to {candidate} is under way already "
                f"({status.approvals} of {status.threshold}); use 'support'"
            )
        return self._approve_recovery(address, candidate)

    def support_recovery(self, identity: str, new_owner: str) -> Sent:
        """Another guardian supports a started recovery."""
        address, candidate = validate.address(identity), validate.address(new_owner)
        guardian = self._guardian(address, "supporting a recovery")
        status = self.recovery(address, candidate)
        if not status.active:
            raise Refused(f"no recovery of {address} to {candidate} was started; use 'start'")
        if guardian in status.supporters:
            raise Refused(f"{guardian} supported the recovery of {address} already")
        return self._approve_recovery(address, candidate)

    def _approve_recovery(self, identity: ChecksumAddress, candidate: ChecksumAddress) -> Sent:
        function = self.contract.functions.approveRecovery(identity, candidate)
        return Sent.of(self._send(function, "approving a recovery"))

    def finalize_recovery(self, identity: str, new_owner: str) -> Sent:
        """Hand ``identity`` to ``new_owner`` once the time lock ran out (anyone may)."""
        status = self.recovery(identity, new_owner)
        if not status.queued:
            raise Refused(
                f"the recovery of {status.identity} to {status.new_owner} has "
                f"{status.approvals} of the {status.threshold} guardians' support it needs"
            )
        if self.now() < status.ready_at:
            raise Refused(
                f"the recovery of {status.identity} is time-locked until {iso_time(status.ready_at)}"
            )
        function = self.contract.functions.finalizeRecovery(status.identity, status.new_owner)
        return Sent.of(self._send(function, "finalising a recovery"))

    def cancel_recovery(self, identity: str | None = None) -> Sent:
        """The owner voids every pending recovery of the identity."""
        address, action = self._owned(identity, "cancelling recovery")
        return Sent.of(self._send(self.contract.functions.cancelRecovery(address), action))
