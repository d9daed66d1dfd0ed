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

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.base import Refused, Sent, iso_time
from govchain.identity.citizen_reads import CitizenReads
from govchain.identity.citizen_types import (
    DELEGATE_AGENT,
    MAX_GUARDIANS,
    MIN_RECOVERY_DELAY,
    Delegate,
    Guardians,
    Identity,
    QueuedChange,
    RecoveryStatus,
    SignedOwnerChange,
    check_guardians,
    delegate_type,
    delegate_type_name,
)
from govchain.identity.messages import CHANGE_OWNER, citizen_domain

__all__ = [
    "DELEGATE_AGENT",
    "MAX_GUARDIANS",
    "MIN_RECOVERY_DELAY",
    "Citizens",
    "Delegate",
    "Guardians",
    "Identity",
    "QueuedChange",
    "RecoveryStatus",
    "SignedOwnerChange",
    "check_guardians",
    "delegate_type",
    "delegate_type_name",
]


class Citizens(CitizenReads):
    """``CitizenRegistry`` for citizens (owners), their guardians, and relayers."""

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

    # --- attributes (ERC-1056: keys and services of the identity's DID document) ---------

    def set_attribute(
        self, name: bytes, value: bytes, validity: int, identity: str | None = None
    ) -> Sent:
        """Publish attribute ``name`` = ``value`` for ``validity`` seconds (public on chain)."""
        address, action = self._owned(identity, "setting an attribute")
        if validity <= 0:
            raise InvalidInput("validity", validity, "must be longer than zero seconds")
        function = self.contract.functions.setAttribute(
            address, validate.bytes32(name, "attribute name"), bytes(value), validity
        )
        return Sent.of(self._send(function, action))

    def revoke_attribute(self, name: bytes, value: bytes, identity: str | None = None) -> Sent:
        """End attribute ``name`` = ``value`` now."""
        address, action = self._owned(identity, "revoking an attribute")
        function = self.contract.functions.revokeAttribute(
            address, validate.bytes32(name, "attribute name"), bytes(value)
        )
        return Sent.of(self._send(function, action))

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
        chosen = check_guardians(guardians, threshold, delay)
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
