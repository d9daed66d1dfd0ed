"""Safe (Gnosis Safe) wallets as govchain signers, through ERC-1271.

A Safe 1.4.1 answers ``isValidSignature(bytes32 hash, bytes signature)`` through its
``CompatibilityFallbackHandler``: it wraps ``hash`` in a ``SafeMessage(bytes message)`` (the
message being the 32 bytes of ``hash``) in the Safe's own EIP-712 domain
``EIP712Domain(uint256 chainId, address verifyingContract)`` and runs ``checkSignatures`` on it:
``threshold`` owners' 65-byte signatures of that SafeMessage digest, joined in ascending owner
order. So for any govchain digest (a case ``Decision`` naming the Safe, a council approval, a
citizen's signed operation) each owner signs :func:`safe_message_hash` with their own key
(:func:`sign_safe_message`, no network), and whoever relays joins them
(:func:`combine_owner_signatures`) into the Safe's signature bytes.

Only owners that are keys (EOAs) are supported, signing the SafeMessage with EIP-712 (``v`` 27
or 28); Safe's other owner kinds (``eth_sign`` with ``v`` + 4, a contract owner with ``v`` 0, a
hash approved on chain with ``v`` 1) are not produced here. :class:`SafeWallet` reads a Safe's
owners and threshold so a client can refuse, before sending, what the Safe would refuse, and
:meth:`SafeWallet.execute` makes the Safe send a call (e.g. accept a department's membership
offer) with its owners' signatures of the ``SafeTx``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.types import TxReceipt

from govchain import validate
from govchain.errors import InvalidInput

SIGNATURE_LENGTH = 65
ERC1271_MAGIC = bytes.fromhex("1626ba7e")  # isValidSignature(bytes32,bytes)

SAFE_DOMAIN_FIELDS = [
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
SAFE_MESSAGE_TYPE = "SafeMessage(bytes message)"

# The part of Safe 1.4.1's ABI the SDK uses (the full ABI ships in the npm package).
SAFE_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "getOwners",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "address[]"}],
    },
    {
        "type": "function",
        "name": "getThreshold",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "nonce",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "VERSION",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "string"}],
    },
    {
        "type": "function",
        "name": "getTransactionHash",
        "stateMutability": "view",
        "inputs": [
            {"name": "to", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "data", "type": "bytes"},
            {"name": "operation", "type": "uint8"},
            {"name": "safeTxGas", "type": "uint256"},
            {"name": "baseGas", "type": "uint256"},
            {"name": "gasPrice", "type": "uint256"},
            {"name": "gasToken", "type": "address"},
            {"name": "refundReceiver", "type": "address"},
            {"name": "_nonce", "type": "uint256"},
        ],
        "outputs": [{"name": "", "type": "bytes32"}],
    },
    {
        "type": "function",
        "name": "execTransaction",
        "stateMutability": "payable",
        "inputs": [
            {"name": "to", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "data", "type": "bytes"},
            {"name": "operation", "type": "uint8"},
            {"name": "safeTxGas", "type": "uint256"},
            {"name": "baseGas", "type": "uint256"},
            {"name": "gasPrice", "type": "uint256"},
            {"name": "gasToken", "type": "address"},
            {"name": "refundReceiver", "type": "address"},
            {"name": "signatures", "type": "bytes"},
        ],
        "outputs": [{"name": "success", "type": "bool"}],
    },
]

ZERO_ADDRESS = "0x" + "00" * 20


def _safe_message(chain_id: int, safe: str, digest: bytes) -> dict[str, Any]:
    if len(digest) != 32:
        raise InvalidInput("digest", "0x" + bytes(digest).hex(), "expected 32 bytes")
    return {
        "types": {
            "EIP712Domain": SAFE_DOMAIN_FIELDS,
            "SafeMessage": [{"name": "message", "type": "bytes"}],
        },
        "primaryType": "SafeMessage",
        "domain": {"chainId": chain_id, "verifyingContract": validate.address(safe)},
        "message": {"message": bytes(digest)},
    }


def safe_message_hash(chain_id: int, safe: str, digest: bytes) -> bytes:
    """The digest a Safe's owners sign for ``digest`` (the Safe's ``getMessageHashForSafe``)."""
    domain_separator = keccak(
        encode(
            ["bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)"),
                chain_id,
                validate.address(safe),
            ],
        )
    )
    struct = keccak(
        encode(["bytes32", "bytes32"], [keccak(text=SAFE_MESSAGE_TYPE), keccak(bytes(digest))])
    )
    return keccak(b"\x19\x01" + domain_separator + struct)


def sign_safe_message(account: LocalAccount, chain_id: int, safe: str, digest: bytes) -> bytes:
    """``account``'s (an owner's) 65-byte EIP-712 signature of the SafeMessage over ``digest``."""
    signed = Account.sign_message(
        encode_typed_data(full_message=_safe_message(chain_id, safe, digest)), account.key
    )
    return bytes(signed.signature)


def recover_safe_owner(chain_id: int, safe: str, digest: bytes, signature: bytes) -> str | None:
    """The key that made ``signature`` of the SafeMessage over ``digest`` (``None`` if none)."""
    if len(signature) != SIGNATURE_LENGTH or signature[64] not in (27, 28):
        return None
    try:
        return validate.address(
            Account.recover_message(
                encode_typed_data(full_message=_safe_message(chain_id, safe, digest)),
                signature=signature,
            )
        )
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class OwnerSignature:
    """One Safe owner's signature of a SafeMessage (or a SafeTx hash)."""

    owner: ChecksumAddress
    signature: bytes


def combine_owner_signatures(signatures: Iterable[OwnerSignature]) -> bytes:
    """Join owners' signatures as the Safe checks them: ascending owner address, no owner twice."""
    ordered = sorted(signatures, key=lambda s: int(s.owner, 16))
    owners = [int(s.owner, 16) for s in ordered]
    if len(set(owners)) != len(owners):
        raise InvalidInput("Safe signatures", "...", "an owner signed twice")
    for s in ordered:
        if len(s.signature) != SIGNATURE_LENGTH:
            raise InvalidInput("Safe owner signature", s.owner, "an owner signs 65 bytes")
    return b"".join(s.signature for s in ordered)


class SafeWallet:
    """A Safe deployed at ``address``: its owners, threshold, ERC-1271 answer; run a call."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = validate.address(address)
        self.contract = w3.eth.contract(address=self.address, abi=SAFE_ABI)

    def owners(self) -> list[ChecksumAddress]:
        return [validate.address(o) for o in self.contract.functions.getOwners().call()]

    def threshold(self) -> int:
        return int(self.contract.functions.getThreshold().call())

    def version(self) -> str | None:
        """The Safe's ``VERSION`` (``None`` when the address is not a Safe)."""
        try:
            return str(self.contract.functions.VERSION().call())
        except (Web3Exception, ValueError):
            return None

    def accepts(self, digest: bytes, signature: bytes) -> bool:
        """Whether the Safe answers ERC-1271's magic value for ``signature`` of ``digest``."""
        data = ERC1271_MAGIC + encode(["bytes32", "bytes"], [bytes(digest), bytes(signature)])
        try:
            answer = bytes(self.w3.eth.call({"to": self.address, "data": HexBytes(data)}))
        except (Web3Exception, ValueError):
            return False
        return answer[:4] == ERC1271_MAGIC

    def check_owner_signatures(self, signatures: Sequence[OwnerSignature]) -> bytes:
        """The Safe's signature from ``signatures``: each by a current owner, at least the
        threshold of them (the first ``threshold`` by owner address are kept). Raises
        :class:`InvalidInput` naming what the Safe would refuse."""
        owners = set(self.owners())
        for s in signatures:
            if s.owner not in owners:
                raise InvalidInput(
                    "Safe owner signature",
                    s.owner,
                    f"{s.owner} is not an owner of Safe {self.address} now",
                )
        threshold = self.threshold()
        if len({s.owner for s in signatures}) < threshold:
            raise InvalidInput(
                "Safe signatures",
                self.address,
                f"Safe {self.address} needs {threshold} owners' signatures (its threshold), "
                f"got {len(signatures)}",
            )
        ordered = sorted(signatures, key=lambda s: int(s.owner, 16))
        return combine_owner_signatures(ordered[:threshold])

    def execute(
        self, sender: Any, owners: Sequence[LocalAccount], to: str, data: bytes, value: int = 0
    ) -> TxReceipt:
        """Make the Safe call ``to`` with ``data``: ``owners`` sign the ``SafeTx`` (its hash
        read from the Safe at its current nonce), ``sender`` (a :class:`~govchain.tx.Sender`)
        relays ``execTransaction``."""
        fn = self.contract.functions
        nonce = int(fn.nonce().call())
        args = (validate.address(to), value, bytes(data), 0, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS)
        tx_hash = bytes(fn.getTransactionHash(*args, nonce).call())
        signatures = [
            OwnerSignature(o.address, bytes(Account.unsafe_sign_hash(tx_hash, o.key).signature))
            for o in owners
        ]
        call = fn.execTransaction(*args, combine_owner_signatures(signatures))
        receipt: TxReceipt = sender.transact(call)
        return receipt
