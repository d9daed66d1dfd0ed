"""Objection texts through the owner department's data node: the messages and the client.

A citizen's reason and a department's rejection text never go on chain (the chain holds
``keccak256(salt || utf8(text))``); they travel through the owner's node
(:mod:`govchain.node.objections`):

- the citizen (identity owner key or agent) posts her reason with its salt, signing
  ``ObjectionText(department, objectionId, rejection=false, commitment, nonce, expiry)``; the
  node takes it only if the salted text hashes to the objection's commitment on chain;
- the department's approvers read it, signing ``ObjectionRead(department, objectionId,
  rejection=false, nonce, expiry)``; the answer is ECIES-encrypted to the signing key;
- an approver posts the rejection text (``rejection=true``) once the objection is rejected on
  chain with that commitment; the citizen reads it the same way.

Both messages are in the data nodes' domain (``GovchainDataNode``, chain id, AccessGrants) and
name the department whose node they are for: another node refuses them (``wrong_node``).
The client re-checks what it reads against the commitment it expects (the chain's), so a node
cannot hand over another text.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import ecies
from eth_utils.crypto import keccak

from govchain.eip712 import TypedMessage, message
from govchain.errors import GovchainError
from govchain.node.client import DEFAULT_VALIDITY, _Base
from govchain.node.protocol import hex32, unb64

OBJECTION_TEXT: TypedMessage = message(
    "ObjectionText",
    [
        ("bytes32", "department"),
        ("bytes32", "objectionId"),
        ("bool", "rejection"),
        ("bytes32", "commitment"),
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


class TextTampered(GovchainError):
    """A node's text does not hash to the commitment on chain (altered, or another text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"objection text refused: {reason}")


TEXT_PATH = "/v1/objections/text"
READ_PATH = "/v1/objections/read"


def text_commitment(salt: bytes, text: str) -> bytes:
    """``keccak256(salt || utf8(text))`` (the chain's reason commitment)."""
    return bytes(keccak(salt + text.encode("utf-8")))


@dataclass(frozen=True)
class ObjectionText:
    """A text read from a node, checked against the commitment expected."""

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
        *,
        rejection: bool = False,
    ) -> dict[str, Any]:
        """The signed JSON body of ``POST /v1/objections/text`` (a fresh nonce each call)."""
        commitment = text_commitment(salt, text)
        msg = {
            "department": department,
            "objectionId": objection,
            "rejection": rejection,
            "commitment": commitment,
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
                "nonce": str(msg["nonce"]),
                "expiry": msg["expiry"],
            },
            "signature": "0x" + signature.hex(),
            "text": text,
            "salt": hex32(salt),
        }

    def post(
        self,
        node_url: str,
        department: bytes,
        objection: bytes,
        text: str,
        salt: bytes,
        *,
        rejection: bool = False,
    ) -> dict[str, Any]:
        """Send a reason (or, ``rejection``, a rejection's text) to the node of ``department``."""
        body = self.text_body(department, objection, text, salt, rejection=rejection)
        return self._post(node_url.rstrip("/") + TEXT_PATH, body)

    def read(
        self,
        node_url: str,
        department: bytes,
        objection: bytes,
        expect: bytes,
        *,
        rejection: bool = False,
    ) -> ObjectionText:
        """The text whose salted hash is ``expect`` (the chain's commitment), or TextTampered."""
        msg = {
            "department": department,
            "objectionId": objection,
            "rejection": rejection,
            "nonce": secrets.randbits(128),
            "expiry": int(time.time()) + DEFAULT_VALIDITY,
        }
        signature = OBJECTION_READ.sign(self.account.key, self.domain, msg)
        body = {
            "request": {
                "department": hex32(department),
                "objectionId": hex32(objection),
                "rejection": rejection,
                "nonce": str(msg["nonce"]),
                "expiry": msg["expiry"],
            },
            "signature": "0x" + signature.hex(),
        }
        answer = self._post(node_url.rstrip("/") + READ_PATH, body)
        try:
            inner = json.loads(ecies.decrypt(self.account.key, unb64(str(answer["ciphertext"]))))
            text, salt = str(inner["text"]), bytes.fromhex(str(inner["salt"])[2:])
        except (KeyError, ValueError, TypeError) as exc:
            raise TextTampered(
                f"the answer cannot be decrypted or read ({type(exc).__name__})"
            ) from None
        if len(salt) != 32 or text_commitment(salt, text) != expect:
            raise TextTampered("the node's text does not hash to the commitment on chain")
        return ObjectionText(objection, rejection, text, salt, expect)


__all__ = [
    "OBJECTION_READ",
    "OBJECTION_TEXT",
    "ObjectionText",
    "ObjectionTextClient",
    "TextTampered",
    "text_commitment",
]
