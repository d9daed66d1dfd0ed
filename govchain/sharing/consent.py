"""A citizen's consent signed off line (EIP-712 ``GrantConsent``), and its file form.

The grantee's staff relays it (:meth:`govchain.sharing.grants.AccessGrants.submit`), so the
citizen pays nothing; :meth:`~govchain.sharing.grants.AccessGrants.sign_consent` makes one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from govchain import validate
from govchain.eip712 import Domain
from govchain.errors import InvalidInput
from govchain.files import read_json
from govchain.sharing.base import (
    checksum,
    hex0x,
    iso,
)
from govchain.sharing.messages import GRANT_CONSENT, consent_message
from govchain.sharing.purposes import checked
from govchain.sharing.terms import GrantTerms

CONSENT_FORMAT = "govchain.GrantConsent/1"


@dataclass(frozen=True)
class SignedConsent:
    """A subject's EIP-712 ``GrantConsent`` signature, made off line, relayed by the grantee."""

    terms: GrantTerms
    deadline: int
    signer: str
    signature: bytes
    chain_id: int
    verifying_contract: str
    purpose: str = ""
    safe_owner: str | None = None
    """Set when ``signer`` is a Safe: ``signature`` is this owner's part (its signature of the
    Safe's SafeMessage over the consent), joined with the other owners' parts at relay."""
    purpose_salt: bytes | None = None
    """The salt of the purpose's commitment (``terms.purpose_hash`` = keccak256(salt ‖ text),
    :mod:`govchain.sharing.purposes`); None for a legacy unsalted purpose. Off chain only."""

    def purpose_checked(self) -> bool:
        """Whether ``purpose`` (with ``purpose_salt``) hashes to the signed purpose hash."""
        found = checked(self.terms.purpose_hash, self.purpose, self.purpose_salt)
        return found is not None

    @property
    def domain(self) -> Domain:
        return Domain("AccessGrants", self.chain_id, self.verifying_contract)

    def recover(self) -> str:
        """The address that made the signature (whatever ``signer`` claims)."""
        full = GRANT_CONSENT.full_message(
            self.domain, consent_message(self.terms.message(), checksum(self.signer), self.deadline)
        )
        return str(
            Account.recover_message(encode_typed_data(full_message=full), signature=self.signature)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": CONSENT_FORMAT,
            "grant_id": hex0x(self.terms.grant_id),
            "terms": self.terms.as_dict(),
            "purpose": self.purpose,
            **({"purpose_salt": hex0x(self.purpose_salt)} if self.purpose_salt else {}),
            "deadline": self.deadline,
            "deadline_time": iso(self.deadline),
            "signer": checksum(self.signer),
            "signature": hex0x(self.signature),
            "chain_id": self.chain_id,
            "verifying_contract": checksum(self.verifying_contract),
            **({"safe": {"owner": checksum(self.safe_owner)}} if self.safe_owner else {}),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedConsent:
        if data.get("format") != CONSENT_FORMAT:
            raise InvalidInput("consent", data.get("format"), f"expected format {CONSENT_FORMAT}")
        safe = data.get("safe")
        if safe is not None and not (isinstance(safe, dict) and "owner" in safe):
            raise InvalidInput("consent", "safe", 'expected {"owner": "0x..."}')
        try:
            return cls(
                terms=GrantTerms.from_dict(data["terms"]),
                deadline=int(data["deadline"]),
                signer=validate.address(data["signer"]),
                signature=validate.hex_bytes(data["signature"], 65, "signature"),
                chain_id=int(data["chain_id"]),
                verifying_contract=validate.address(data["verifying_contract"]),
                purpose=str(data.get("purpose", "")),
                safe_owner=validate.address(safe["owner"]) if safe else None,
                purpose_salt=(
                    validate.hex_bytes(data["purpose_salt"], 32, "purpose salt")
                    if data.get("purpose_salt")
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput("consent", "file", f"missing or malformed {exc}") from None

    @classmethod
    def read(cls, path: Path) -> SignedConsent:
        return cls.from_dict(read_json(path, "consent file"))
