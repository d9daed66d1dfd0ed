"""Objection texts through the owner department's data node: the messages and the client.

A citizen's reason and a department's rejection text never go on chain (the chain holds
``keccak256(salt || utf8(text))``), and they never leave the writer's machine in the clear:

- the citizen (identity owner key or agent) seals ``{objectionId, text, salt}`` with ECIES
  (eciespy) to the published encryption key of **each active APPROVER of the owner
  department** (:func:`govchain.services.objection_keys.approver_keys`: the ``keyAgreement`` key
  of each approver's did:ethr document, ERC-1056 attribute ``did/pub/Secp256k1/enc/hex``) and
  posts the envelopes, signing ``ObjectionText(department, objectionId, rejection=false,
  commitment, sealedHash, nonce, expiry)``;
- an approver reads the envelope sealed to him, signing ``ObjectionRead(department, objectionId,
  rejection=false, nonce, expiry)``, opens it with his key and checks it against the chain's
  commitment (:class:`TextTampered` otherwise);
- an approver posts the rejection text (``rejection=true``), sealed to the citizen's published
  encryption key, once the objection is rejected on chain with that commitment; the citizen
  reads it the same way.

``sealedHash`` (:func:`sealed_hash`) binds the envelopes to the signed request, hence to the
objection id and the signer: the node keeps exactly what was signed. The node cannot open an
envelope, so it cannot check that the text inside hashes to the commitment: the reader does.

Both messages are in the data nodes' domain (``GovchainDataNode``, chain id, AccessGrants) and
name the department whose node they are for: another node refuses them (``wrong_node``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ecies
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from govchain.eip712 import TypedMessage, message
from govchain.errors import GovchainError
from govchain.node.client import DEFAULT_VALIDITY, _Base
from govchain.node.protocol import b64, hex32, unb64

OBJECTION_TEXT: TypedMessage = message(
    "ObjectionText",
    [
        ("bytes32", "department"),
        ("bytes32", "objectionId"),
        ("bool", "rejection"),
        ("bytes32", "commitment"),
        ("bytes32", "sealedHash"),
        ("uint256", "nonce"),
        ("uint256", "expiry"),
    ],
)

OBJECTION_READ: TypedMessage = message(
    "ObjectionRead",
    [
        ("bytes32", "department"),
        ("bytes32", "objectionId"),
        ("bool", "rejection"),
        ("uint256", "nonce"),
        ("uint256", "expiry"),
    ],
)

#: At most this many envelopes in one post (one per recipient key).
MAX_RECIPIENTS = 32
TEXT_FORMAT = "govchain.objection-text/1"


class TextTampered(GovchainError):
    """A node's text does not hash to the commitment on chain (altered, or another text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"objection text refused: {reason}")


TEXT_PATH = "/v1/objections/text"
READ_PATH = "/v1/objections/read"


def text_commitment(salt: bytes, text: str) -> bytes:
    """``keccak256(salt || utf8(text))`` (the chain's reason commitment)."""
    return bytes(keccak(salt + text.encode("utf-8")))


def sealed_hash(envelopes: Mapping[str, bytes]) -> bytes:
    """``keccak256(abi.encode(address[] recipients, bytes32[] keccak256(ciphertext)))``, the
    recipients ascending: what the poster signs for the envelopes."""
    ordered = sorted((to_checksum_address(a), c) for a, c in envelopes.items())
    recipients = [a for a, _c in ordered]
    digests = [bytes(keccak(c)) for _a, c in ordered]
    return bytes(keccak(encode(["address[]", "bytes32[]"], [recipients, digests])))


def seal(objection: bytes, text: str, salt: bytes, keys: Mapping[str, bytes]) -> dict[str, bytes]:
    """``{objectionId, text, salt}`` sealed with ECIES to each recipient's public key."""
    inner = json.dumps(
        {"format": TEXT_FORMAT, "objectionId": hex32(objection), "text": text, "salt": hex32(salt)},
        sort_keys=True,
    ).encode()
    return {to_checksum_address(a): ecies.encrypt(k, inner) for a, k in keys.items()}


@dataclass(frozen=True)
class ObjectionText:
    """A text read from a node, opened and checked against the commitment expected."""

    objection: bytes
    rejection: bool
    text: str
    salt: bytes
    commitment: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": hex32(self.objection),
            "kind": "rejection" if self.rejection else "reason",
            "text": self.text,
            "salt": hex32(self.salt),
            "commitment": hex32(self.commitment),
        }


class ObjectionTextClient(_Base):
    """Posts and reads objection texts at a department's node with ``account``'s key."""

    def text_body(
        self,
        department: bytes,
        objection: bytes,
        text: str,
        salt: bytes,
        recipients: Mapping[str, bytes],
        *,
        rejection: bool = False,
    ) -> dict[str, Any]:
        """The signed JSON body of ``POST /v1/objections/text``: the text sealed to each of
        ``recipients`` (address -> public encryption key), a fresh nonce each call."""
        if not recipients:
            raise ValueError("no recipient to seal the text to")
        envelopes = seal(objection, text, salt, recipients)
        commitment = text_commitment(salt, text)
        msg: dict[str, Any] = {
            "department": department,
            "objectionId": objection,
            "rejection": rejection,
            "commitment": commitment,
            "sealedHash": sealed_hash(envelopes),
            "nonce": secrets.randbits(128),
            "expiry": int(time.time()) + DEFAULT_VALIDITY,
        }
        signature = OBJECTION_TEXT.sign(self.account.key, self.domain, msg)
        return {
            "request": {
                "department": hex32(department),
                "objectionId": hex32(objection),
                "rejection": rejection,
                "commitment": hex32(commitment),
                "sealedHash": hex32(msg["sealedHash"]),
                "nonce": str(msg["nonce"]),
                "expiry": msg["expiry"],
            },
            "signature": "0x" + signature.hex(),
            "sealed": [{"recipient": a, "ciphertext": b64(c)} for a, c in envelopes.items()],
        }

    def post(
        self,
        node_url: str,
        department: bytes,
        objection: bytes,
        text: str,
        salt: bytes,
        recipients: Mapping[str, bytes],
        *,
        rejection: bool = False,
    ) -> dict[str, Any]:
        """Send a reason (or, ``rejection``, a rejection's text) sealed to ``recipients`` to the
        node of ``department``."""
        body = self.text_body(department, objection, text, salt, recipients, rejection=rejection)
        return self._post(node_url.rstrip("/") + TEXT_PATH, body)

    def read_body(
        self, department: bytes, objection: bytes, *, rejection: bool = False
    ) -> dict[str, Any]:
        """The signed JSON body of ``POST /v1/objections/read``, a fresh nonce each call."""
        msg: dict[str, Any] = {
            "department": department,
            "objectionId": objection,
            "rejection": rejection,
            "nonce": secrets.randbits(128),
            "expiry": int(time.time()) + DEFAULT_VALIDITY,
        }
        signature = OBJECTION_READ.sign(self.account.key, self.domain, msg)
        return {
            "request": {
                "department": hex32(department),
                "objectionId": hex32(objection),
                "rejection": rejection,
                "nonce": str(msg["nonce"]),
                "expiry": msg["expiry"],
            },
            "signature": "0x" + signature.hex(),
        }

    def read(
        self,
        node_url: str,
        department: bytes,
        objection: bytes,
        expect: bytes,
        *,
        rejection: bool = False,
    ) -> ObjectionText:
        """The text whose salted hash is ``expect`` (the chain's commitment), opened with this
        key, or TextTampered."""
        body = self.read_body(department, objection, rejection=rejection)
        answer = self._post(node_url.rstrip("/") + READ_PATH, body)
        try:
            inner = json.loads(ecies.decrypt(self.account.key, unb64(str(answer["ciphertext"]))))
            text, salt = str(inner["text"]), bytes.fromhex(str(inner["salt"])[2:])
            named = str(inner["objectionId"])
        except Exception as exc:  # eciespy raises several types for a wrong key or bytes
            raise TextTampered(
                f"the answer cannot be opened with this key or read ({type(exc).__name__})"
            ) from None
        if named != hex32(objection):
            raise TextTampered("the sealed text names another objection")
        if len(salt) != 32 or text_commitment(salt, text) != expect:
            raise TextTampered("the sealed text does not hash to the commitment on chain")
        return ObjectionText(objection, rejection, text, salt, expect)


__all__ = [
    "MAX_RECIPIENTS",
    "OBJECTION_READ",
    "OBJECTION_TEXT",
    "ObjectionText",
    "ObjectionTextClient",
    "TextTampered",
    "seal",
    "sealed_hash",
    "text_commitment",
]
