"""Signed ``Decision`` messages, portable as JSON between the approver and whoever submits.

An approver signs a step's ``Decision`` off chain (:func:`sign_decision`), naming themselves
(or the ERC-1271 wallet they sign for) as its signer; the :class:`SignedDecision` serialises to
a ``govchain.approval.decision/2`` document that states the signer, the signature and the
digest, and parses back with every field checked (a bad file is one readable error).
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
from govchain.approval.messages import DECISION, SignerSignature, decision, domain
from govchain.eip712 import Domain
from govchain.errors import InvalidInput

SIGNED_DECISION_FORMAT = "govchain.approval.decision/2"
"""Version 2: the signed ``Decision`` names its signer (R2-5); version 1 files sign the older
message the contract no longer accepts."""
_OLD_DECISION_FORMAT = "govchain.approval.decision/1"


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

    @property
    def domain(self) -> Domain:
        return domain(self.chain_id, self.contract)

    def message(self) -> dict[str, Any]:
        return decision(
            self.case_id, self.step, self.approve, self.comment_hash, self.signer, self.deadline
        )

    def digest(self) -> bytes:
        """The EIP-712 digest the signer signed (``CaseApprovals.decisionHash``)."""
        return DECISION.digest(self.domain, self.message())

    def recovered(self) -> ChecksumAddress | None:
        """The EOA that made the signature (``None`` for an ERC-1271 or unreadable signature)."""
        if self.erc1271:
            return None
        try:
            return validate.address(DECISION.recover(self.domain, self.message(), self.signature))
        except (ValueError, TypeError):
            return None

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
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "signed decision") -> SignedDecision:
        """Parse and check the fields; a wrong shape raises :class:`InvalidInput`."""
        if isinstance(data, Mapping) and data.get("format") == _OLD_DECISION_FORMAT:
            raise InvalidInput(
                source,
                _OLD_DECISION_FORMAT,
                "signed before decisions named their signer; sign the decision again",
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
            )
            stated = data.get("digest")
            if stated is not None and validate.bytes32(stated, "digest") != signed.digest():
                raise InvalidInput(
                    "digest", stated, "does not match the decision and signer the file states"
                )
            return signed
        except InvalidInput as exc:
            raise InvalidInput(source, exc.value, f"{exc.what}: {exc.reason}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(source, "...", f"missing or malformed field {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> SignedDecision:
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise InvalidInput(
                "signed decision file", str(path), exc.strerror or str(exc)
            ) from None
        except ValueError:
            raise InvalidInput("signed decision file", str(path), "not JSON") from None
        return cls.from_dict(data, f"signed decision file {path}")


def sign_decision(
    account: LocalAccount,
    dom: Domain,
    case_id: bytes,
    step: int,
    approve: bool,
    comment_hash: bytes,
    deadline: int,
    wallet: str | None = None,
) -> SignedDecision:
    """Sign a ``Decision`` with an approver's key, off chain (no check, no network).

    With ``wallet``, the approver is that ERC-1271 contract (a department's wallet) and the
    key signs for it: the message names the wallet as its signer, and the wallet's
    ``isValidSignature`` must accept the key's signature of that digest (as an owner-key wallet
    does; a multisig needs its own signature format). The key's signature of a ``Decision``
    naming the wallet is not one naming the key, so it counts for the wallet only.
    """
    signer = validate.address(wallet) if wallet else account.address
    signature = DECISION.sign(
        account.key, dom, decision(case_id, step, approve, comment_hash, signer, deadline)
    )
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
        erc1271=wallet is not None,
    )
