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

Safe's four kinds of owner signature are produced here, each 65 bytes ``r ‖ s ‖ v`` in the
joined signature: an owner key's EIP-712 signature of the SafeMessage (``v`` 27 or 28,
:func:`sign_safe_message`); its ``eth_sign`` (EIP-191 personal message) signature of the
SafeMessage hash, ``v`` raised by 4 (:func:`eth_sign_safe_message`); a hash the owner approved on
chain with the Safe's ``approveHash`` (``v`` 1, ``r`` the owner: :func:`approved_hash_signature`,
:meth:`SafeWallet.approve_hash`); and a contract owner (``v`` 0, ``r`` the owner, ``s`` the offset
of its own signature appended after the static parts), whose ERC-1271 answer the Safe asks for
:func:`contract_owner_message` (Safe 1.4.1 asks the legacy ``isValidSignature(bytes,bytes)``
about the SafeMessage's EIP-712 preimage, Safe 1.5.0 ``isValidSignature(bytes32,bytes)`` about
its hash). A nested Safe as the owner: its own owners sign :func:`sign_safe_message` of that
message in the nested Safe's domain. An ERC-1271 check by the Safe never counts a hash as
approved by whoever asks (the handler, or ``address(0)`` in 1.5.0), so ``v`` 1 needs the
``approveHash`` transaction first. :class:`SafeWallet` reads a Safe's
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
from eth_account.messages import encode_defunct, encode_typed_data
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
ETH_SIGN_V_OFFSET = 4  # Safe's eth_sign owner signatures carry v + 4 (31 or 32)
V_CONTRACT, V_APPROVED = 0, 1
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
        "name": "approveHash",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "hashToApprove", "type": "bytes32"}],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "approvedHashes",
        "stateMutability": "view",
        "inputs": [{"name": "", "type": "address"}, {"name": "", "type": "bytes32"}],
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
    if not digest:
        raise InvalidInput("message", "0x", "expected a digest (or a nested Safe's message)")
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
    return keccak(safe_message_data(chain_id, safe, digest))


def safe_message_data(chain_id: int, safe: str, digest: bytes) -> bytes:
    """The EIP-712 preimage ``0x1901 ‖ domainSeparator ‖ structHash`` of the SafeMessage over
    ``digest`` (the handler's ``encodeMessageDataForSafe``)."""
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
    return b"\x19\x01" + domain_separator + struct


def contract_owner_message(safe_version: str, chain_id: int, safe: str, digest: bytes) -> bytes:
    """What Safe ``safe`` (of ``safe_version``) asks a contract owner's ERC-1271 to accept when
    checking its SafeMessage over ``digest``: Safe 1.4.1 and earlier pass the EIP-712 preimage to
    the legacy ``isValidSignature(bytes,bytes)``; Safe 1.5.0 passes the hash to
    ``isValidSignature(bytes32,bytes)``. A nested Safe's owners sign this with
    :func:`sign_safe_message` in the nested Safe's domain."""
    major_minor = tuple(int(x) for x in safe_version.split(".")[:2] if x.isdigit())
    if major_minor < (1, 5):
        return safe_message_data(chain_id, safe, digest)
    return safe_message_hash(chain_id, safe, digest)


def sign_safe_message(account: LocalAccount, chain_id: int, safe: str, digest: bytes) -> bytes:
    """``account``'s (an owner's) 65-byte EIP-712 signature of the SafeMessage over ``digest``."""
    signed = Account.sign_message(
        encode_typed_data(full_message=_safe_message(chain_id, safe, digest)), account.key
    )
    return bytes(signed.signature)


def eth_sign_safe_message(account: LocalAccount, chain_id: int, safe: str, digest: bytes) -> bytes:
    """``account``'s ``eth_sign`` signature of the SafeMessage hash over ``digest`` (EIP-191
    ``"\\x19Ethereum Signed Message:\\n32" ‖ hash``), ``v`` raised by 4 as the Safe expects."""
    message = encode_defunct(primitive=safe_message_hash(chain_id, safe, digest))
    signature = bytes(Account.sign_message(message, account.key).signature)
    return signature[:64] + bytes([signature[64] + ETH_SIGN_V_OFFSET])


def approved_hash_signature(owner: str) -> bytes:
    """The 65-byte part of an owner who approved the SafeMessage hash on chain with
    ``approveHash`` (:meth:`SafeWallet.approve_hash`): ``r`` the owner, ``s`` 0, ``v`` 1."""
    return bytes(12) + bytes.fromhex(validate.address(owner)[2:]) + bytes(32) + bytes([V_APPROVED])


def recover_safe_owner(chain_id: int, safe: str, digest: bytes, signature: bytes) -> str | None:
    """The key that made ``signature`` of the SafeMessage over ``digest``: an EIP-712 (``v`` 27,
    28) or an ``eth_sign`` (``v`` 31, 32) part (``None`` if none, or another kind)."""
    if len(signature) != SIGNATURE_LENGTH or signature[64] not in (27, 28, 31, 32):
        return None
    if signature[64] > 30:
        plain = signature[:64] + bytes([signature[64] - ETH_SIGN_V_OFFSET])
        try:
            hashed = encode_defunct(primitive=safe_message_hash(chain_id, safe, digest))
            return validate.address(Account.recover_message(hashed, signature=plain))
        except (ValueError, TypeError):
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
    """One Safe owner's signature of a SafeMessage (or a SafeTx hash): 65 bytes for an owner
    key (EIP-712 or ``eth_sign``) or an approved hash; for a contract owner (``contract``), the
    bytes its own ERC-1271 check accepts (a nested Safe's joined owners' signatures)."""

    owner: ChecksumAddress
    signature: bytes
    contract: bool = False


def combine_owner_signatures(signatures: Iterable[OwnerSignature]) -> bytes:
    """Join owners' signatures as the Safe checks them: ascending owner address, no owner twice;
    a contract owner's static part points (``s``) at its own signature, appended after all the
    static parts as ``length ‖ bytes``."""
    ordered = sorted(signatures, key=lambda s: int(s.owner, 16))
    owners = [int(s.owner, 16) for s in ordered]
    if len(set(owners)) != len(owners):
        raise InvalidInput("Safe signatures", "...", "an owner signed twice")
    static, dynamic = b"", b""
    for s in ordered:
        if s.contract:
            offset = SIGNATURE_LENGTH * len(ordered) + len(dynamic)
            static += bytes(12) + bytes.fromhex(s.owner[2:]) + offset.to_bytes(32, "big")
            static += bytes([V_CONTRACT])
            dynamic += len(s.signature).to_bytes(32, "big") + bytes(s.signature)
            continue
        if len(s.signature) != SIGNATURE_LENGTH:
            raise InvalidInput("Safe owner signature", s.owner, "an owner signs 65 bytes")
        static += bytes(s.signature)
    return static + dynamic


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

    def approved(self, owner: str, digest: bytes) -> bool:
        """Whether ``owner`` approved the SafeMessage hash over ``digest`` on chain."""
        message_hash = safe_message_hash(self.w3.eth.chain_id, self.address, digest)
        fn = self.contract.functions.approvedHashes(validate.address(owner), message_hash)
        return int(fn.call()) != 0

    def approve_hash(self, owner_sender: Any, digest: bytes) -> TxReceipt:
        """An owner (``owner_sender``, a :class:`~govchain.tx.Sender` of the owner's key, which
        pays) approves the SafeMessage hash over ``digest`` on chain (``approveHash``); its part is
        then :func:`approved_hash_signature`. The Safe refuses a non-owner (``GS030``)."""
        owner = validate.address(owner_sender.account.address)
        if owner not in self.owners():
            raise InvalidInput(
                "Safe owner", owner, f"{owner} is not an owner of Safe {self.address}"
            )
        message_hash = safe_message_hash(self.w3.eth.chain_id, self.address, digest)
        receipt: TxReceipt = owner_sender.transact(
            self.contract.functions.approveHash(message_hash)
        )
        return receipt

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
