"""The reads of ``CitizenRegistry`` (:class:`CitizenReads`, the base of
:class:`govchain.identity.citizens.Citizens`): an identity's owner, nonce and epoch, its
delegates, the change queued for it, its guardians and a recovery's status; and the check that
the sender owns an identity."""

from __future__ import annotations

from eth_typing import ChecksumAddress

from govchain import validate
from govchain.identity.base import ContractClient, Refused, hex32
from govchain.identity.citizen_types import (
    DELEGATE_AGENT,
    Delegate,
    Guardians,
    Identity,
    QueuedChange,
    RecoveryStatus,
    delegate_type,
)


class CitizenReads(ContractClient):
    """``CitizenRegistry``'s views and event history."""

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
