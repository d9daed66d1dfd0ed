"""EIP-712 typed data: the one builder used by the SDK, the CLI and the tests.

Each contract's message types are declared next to its client (``govchain.identity.messages``,
``govchain.sharing.messages``, ``govchain.approval.messages``) as :class:`TypedMessage`
definitions; this module turns them into digests and signatures with eth-account's
``encode_typed_data``, so the bytes match what OpenZeppelin's ``EIP712`` computes on chain
(tests compare both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

DOMAIN_VERSION = "1"

EIP712_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain bound to one contract on one chain."""

    name: str
    chain_id: int
    verifying_contract: str
    version: str = DOMAIN_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


@dataclass(frozen=True)
class TypedMessage:
    """A primary type and the struct types it references, e.g. ``Grant(address subject,...)``."""

    primary_type: str
    types: Mapping[str, Sequence[Mapping[str, str]]]

    def type_string(self) -> str:
        """The canonical encodeType string: the primary type, then referenced types sorted."""

        def one(name: str) -> str:
            fields = ",".join(f"{f['type']} {f['name']}" for f in self.types[name])
            return f"{name}({fields})"

        referenced = sorted(t for t in self.types if t != self.primary_type)
        return one(self.primary_type) + "".join(one(t) for t in referenced)

    def typehash(self) -> bytes:
        return keccak(text=self.type_string())

    def full_message(self, domain: Domain, message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "types": {
                "EIP712Domain": EIP712_DOMAIN_FIELDS,
                **{k: list(v) for k, v in self.types.items()},
            },
            "primaryType": self.primary_type,
            "domain": domain.as_dict(),
            "message": dict(message),
        }

    def signable(self, domain: Domain, message: Mapping[str, Any]) -> SignableMessage:
        return encode_typed_data(full_message=self.full_message(domain, message))

    def digest(self, domain: Domain, message: Mapping[str, Any]) -> bytes:
        """``keccak256(0x19 0x01 || domainSeparator || structHash)`` (EIP-191 version 0x01)."""
        signable = self.signable(domain, message)
        return keccak(b"\x19" + signable.version + signable.header + signable.body)

    def recover(self, domain: Domain, message: Mapping[str, Any], signature: bytes) -> str:
        """The address that signed; raises ``ValueError``/``TypeError`` on malformed bytes."""
        return str(Account.recover_message(self.signable(domain, message), signature=signature))

    def sign(self, private_key: bytes | str, domain: Domain, message: Mapping[str, Any]) -> bytes:
        """A 65-byte ``r || s || v`` signature (low s, as OpenZeppelin ECDSA requires)."""
        signed = Account.sign_message(self.signable(domain, message), private_key)
        return bytes(signed.signature)


def message(
    primary_type: str, fields: Sequence[tuple[str, str]], **others: Sequence[tuple[str, str]]
) -> TypedMessage:
    """Declare a typed message: ``message("Grant", [("address", "subject"), ...])``."""
    types = {primary_type: [{"type": t, "name": n} for t, n in fields]}
    for name, sub in others.items():
        types[name] = [{"type": t, "name": n} for t, n in sub]
    return TypedMessage(primary_type, types)
