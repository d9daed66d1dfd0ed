"""Signed ``Decision`` messages, portable as JSON between the approver and whoever submits.

An approver signs a step's ``Decision`` off chain (:func:`sign_decision`): a key signs the one
``Decision`` of the step's decision whose ``signer`` is zero (every key of the step signs the
same digest), a key signing for an ERC-1271 wallet signs the ``Decision`` naming that wallet
(R2-5). The :class:`SignedDecision` serialises to a ``govchain.approval.decision/3`` document
that states the signer (the key, or the wallet), the signature and the digest, and parses back
with every field checked (a bad or older file is one readable error).

For a Safe signer each owner's file holds that owner's signature of the Safe's ``SafeMessage``
over the digest (:mod:`govchain.safe`), with a ``safe`` section naming the owner; the
submitter joins the owners' files into the Safe's one ERC-1271 signature.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.approval.messages import ANY_SIGNER, DECISION, SignerSignature, decision, domain
from govchain.eip712 import Domain
from govchain.errors import InvalidInput
from govchain.files import read_json
from govchain.safe import (
    SIGNATURE_LENGTH,
    recover_safe_owner,
    safe_message_hash,
    sign_safe_message,
)

SIGNED_DECISION_FORMAT = "govchain.approval.decision/3"
"""Version 3: a key signs the ``Decision`` naming no signer (packed as a 65-byte entry), a
wallet's ``Decision`` names the wallet. Version 1 (no ``signer`` field) and version 2 (each key
named itself, packed as an 85-byte entry) sign messages the contract no longer accepts."""
_OLD_DECISION_FORMATS = {
    "govchain.approval.decision/1": "signed before decisions had a signer field",
    "govchain.approval.decision/2": "signed when each key's decision named the key",
}


@dataclass(frozen=True)
class SignedDecision:
    """One approver's signature of a step's ``Decision``, portable as JSON (:meth:`as_dict`)."""

    chain_id: int
    contract: ChecksumAddress
    case_id: bytes
    step: int
    approve: bool
    comment_hash: bytes
    deadline: int
    signer: ChecksumAddress
    signature: bytes
    erc1271: bool = False
    safe_owner: ChecksumAddress | None = None
    """Set when ``signature`` is this owner's signature of the Safe ``signer``'s SafeMessage."""

    @property
    def domain(self) -> Domain:
        return domain(self.chain_id, self.contract)

    @property
    def named(self) -> str:
        """The ``signer`` field of the signed ``Decision``: the wallet for an ERC-1271 signer,
        :data:`ANY_SIGNER` for a key."""
        return self.signer if self.erc1271 else ANY_SIGNER

    def message(self) -> dict[str, Any]:
        return decision(
            self.case_id, self.step, self.approve, self.comment_hash, self.named, self.deadline
        )

    def digest(self) -> bytes:
        """The EIP-712 digest the signer signed (``CaseApprovals.decisionHash`` with
        :attr:`named`): one digest for all keys of a decision, a wallet's own for a wallet."""
        return DECISION.digest(self.domain, self.message())

    def recovered(self) -> ChecksumAddress | None:
        """The EOA that made the signature (``None`` for an ERC-1271 or unreadable signature)."""
        if self.erc1271:
            return None
        try:
            return validate.address(DECISION.recover(self.domain, self.message(), self.signature))
        except (ValueError, TypeError):
            return None

    def safe_message_hash(self) -> bytes:
        """The SafeMessage digest a Safe signer's owners sign (for :attr:`safe_owner` files)."""
        return safe_message_hash(self.chain_id, self.signer, self.digest())

    def owner_recovered(self) -> ChecksumAddress | None:
        """The key that signed the Safe's SafeMessage (``None`` unless a Safe owner's file)."""
        if self.safe_owner is None:
            return None
        found = recover_safe_owner(self.chain_id, self.signer, self.digest(), self.signature)
        return validate.address(found) if found else None

    def same_decision(self, other: SignedDecision) -> bool:
        """Whether both sign the same message (so they may be submitted together)."""
        return (self.chain_id, self.contract, self.case_id, self.step, self.approve) == (
            other.chain_id,
            other.contract,
            other.case_id,
            other.step,
            other.approve,
        ) and (self.comment_hash, self.deadline) == (other.comment_hash, other.deadline)

    def signer_signature(self) -> SignerSignature:
        return SignerSignature(self.signer, self.signature, self.erc1271)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": SIGNED_DECISION_FORMAT,
            "chain_id": self.chain_id,
            "contract": self.contract,
            "case_id": "0x" + self.case_id.hex(),
            "step": self.step,
            "approve": self.approve,
            "comment_hash": "0x" + self.comment_hash.hex(),
            "deadline": self.deadline,
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
            "erc1271": self.erc1271,
            "digest": "0x" + self.digest().hex(),
            **(
                {}
                if self.safe_owner is None
                else {
                    "safe": {
                        "owner": self.safe_owner,
                        "safe_message_hash": "0x" + self.safe_message_hash().hex(),
                    }
                }
            ),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "signed decision") -> SignedDecision:
        """Parse and check the fields; a wrong shape raises :class:`InvalidInput`."""
        old = data.get("format") if isinstance(data, Mapping) else None
        if isinstance(old, str) and old in _OLD_DECISION_FORMATS:
            raise InvalidInput(
                source,
                old,
                f"{_OLD_DECISION_FORMATS[old]}, which the contract no longer accepts; "
                "sign the decision again",
            )
        if not isinstance(data, Mapping) or data.get("format") != SIGNED_DECISION_FORMAT:
            raise InvalidInput(source, "...", f"not a {SIGNED_DECISION_FORMAT} document")
        try:
            step, chain_id, deadline = (
                int(data["step"]),
                int(data["chain_id"]),
                int(data["deadline"]),
            )
            approve = data["approve"]
            erc1271 = data.get("erc1271", False)
            if not isinstance(approve, bool) or not isinstance(erc1271, bool):
                raise InvalidInput(source, "approve", "expected true or false")
            signed = cls(
                chain_id=chain_id,
                contract=validate.address(data["contract"]),
                case_id=validate.bytes32(data["case_id"], "case id"),
                step=step,
                approve=approve,
                comment_hash=validate.bytes32(data["comment_hash"], "comment hash"),
                deadline=deadline,
                signer=validate.address(data["signer"]),
                signature=validate.hex_bytes(data["signature"], None, "signature"),
                erc1271=erc1271,
                safe_owner=_safe_owner(data.get("safe"), erc1271),
            )
            if not erc1271 and len(signed.signature) != SIGNATURE_LENGTH:
                raise InvalidInput(
                    "signature",
                    "...",
                    f"a key signs {SIGNATURE_LENGTH} bytes; a contract wallet's signature "
                    'needs "erc1271": true',
                )
            stated = data.get("digest")
            if stated is not None and validate.bytes32(stated, "digest") != signed.digest():
                raise InvalidInput("digest", stated, "does not match the decision the file states")
            _check_safe_section(signed)
            return signed
        except InvalidInput as exc:
            raise InvalidInput(source, exc.value, f"{exc.what}: {exc.reason}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(source, "...", f"missing or malformed field {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> SignedDecision:
        data = read_json(path, "signed decision file")
        return cls.from_dict(data, f"signed decision file {path}")


def _safe_owner(section: object, erc1271: bool) -> ChecksumAddress | None:
    """The owner a ``safe`` section names (``None`` without one)."""
    if section is None:
        return None
    if not isinstance(section, Mapping) or "owner" not in section:
        raise InvalidInput("safe", "...", 'expected {"owner": "0x..."}')
    if not erc1271:
        raise InvalidInput("safe", "...", 'a Safe owner\'s signature needs "erc1271": true')
    return validate.address(section["owner"])


def _check_safe_section(signed: SignedDecision) -> None:
    """A Safe owner's file: 65 bytes, made by the owner it names over the Safe's SafeMessage."""
    if signed.safe_owner is None:
        return
    if len(signed.signature) != SIGNATURE_LENGTH:
        raise InvalidInput("safe owner signature", "...", f"expected {SIGNATURE_LENGTH} bytes")
    if signed.owner_recovered() != signed.safe_owner:
        raise InvalidInput(
            "safe owner signature",
            signed.safe_owner,
            f"not this owner's signature of Safe {signed.signer}'s message for the decision",
        )


def sign_decision(
    account: LocalAccount,
    dom: Domain,
    case_id: bytes,
    step: int,
    approve: bool,
    comment_hash: bytes,
    deadline: int,
    wallet: str | None = None,
    safe: str | None = None,
) -> SignedDecision:
    """Sign a ``Decision`` with an approver's key, off chain (no check, no network).

    The key signs the decision's one ``Decision`` for keys (``signer`` zero); the file names
    the key as its signer (the address the signature recovers to).

    With ``wallet``, the approver is that ERC-1271 contract (a department's wallet) and the
    key signs for it: the message names the wallet as its signer, and the wallet's
    ``isValidSignature`` must accept the key's signature of that digest (as an owner-key wallet
    does; a multisig needs its own signature format). The key's signature of the ``Decision``
    naming the wallet is not its signature of the one for keys, so it counts for the wallet
    only, and the key's own approval does not count for the wallet (R2-5).

    With ``safe``, the approver is that Safe and ``account`` one of its owners: the key signs the
    Safe's ``SafeMessage`` over the digest of a ``Decision`` naming the Safe; the submitter joins
    ``threshold`` owners' signatures (:meth:`SignedDecision.safe_owner` files).
    """
    if wallet and safe:
        raise InvalidInput("signer", safe, "give a wallet or a Safe, not both")
    signer = validate.address(wallet or safe) if wallet or safe else account.address
    named = signer if wallet or safe else ANY_SIGNER
    message = decision(case_id, step, approve, comment_hash, named, deadline)
    if safe:
        signature = sign_safe_message(account, dom.chain_id, signer, DECISION.digest(dom, message))
    else:
        signature = DECISION.sign(account.key, dom, message)
    return SignedDecision(
        chain_id=dom.chain_id,
        contract=validate.address(dom.verifying_contract),
        case_id=bytes(case_id),
        step=step,
        approve=approve,
        comment_hash=bytes(comment_hash),
        deadline=deadline,
        signer=signer,
        signature=signature,
        erc1271=bool(wallet or safe),
        safe_owner=account.address if safe else None,
    )
