"""Where published records get anchored: the :class:`AnchorSink` interface and its chain implementation.

The worker (:mod:`govchain.node.publisher`) never sends blindly: before each transaction it asks
the sink whether the chain already holds that anchor, so a crash after the transaction but
before the database noted it never anchors twice. Sending is split in ``submit`` (returns the
transaction hash) and ``wait`` so that crash points between them can be exercised.

Contract functions relied on (``AnchorRegistry``): ``anchorRecord(bytes32 category, bytes32
recordId, uint32 version, bytes32 recordHash)``, ``anchorBatch(bytes32 category, bytes32 root,
uint64 leafCount)``, ``anchorRecordAfterBatch(category, recordId, root, firstHash, proof,
recordHash)``, ``recordVersion(...)`` and ``batchAnchor(...)`` (see :mod:`govchain.node.chain`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from eth_account.signers.local import LocalAccount
from web3 import Web3

from govchain.errors import ErrorDecoder, NetworkUnavailable
from govchain.network import TRANSPORT_ERRORS
from govchain.node.chain import ChainAddresses, RpcChain, View
from govchain.tx import Sender

# encoded from the packaged ABI (govchain.node.calls)
ANCHOR_RECORD = View("AnchorRegistry", "anchorRecord")
ANCHOR_BATCH = View("AnchorRegistry", "anchorBatch")
ANCHOR_AFTER_BATCH = View("AnchorRegistry", "anchorRecordAfterBatch")

DIGEST_BYTES = 22  # AnchorRegistry keeps the first 22 bytes of a record hash


class AnchorSink(Protocol):
    """Reads and writes anchors of one department's records."""

    def single_digest(self, category: bytes, record_id: bytes, version: int) -> bytes | None:
        """The stored digest (first 22 bytes of the record hash) of that version, or None."""
        ...

    def submit_single(
        self, category: bytes, record_id: bytes, version: int, content_hash: bytes
    ) -> str: ...

    def submit_after_batch(
        self,
        category: bytes,
        record_id: bytes,
        root: bytes,
        first_hash: bytes,
        proof: list[bytes],
        record_hash: bytes,
    ) -> str:
        """Version 2 of a record whose version 1 is a leaf of batch ``root``."""
        ...

    def batch_anchored(self, category: bytes, root: bytes) -> bool: ...

    def submit_batch(self, category: bytes, root: bytes, leaf_count: int) -> str: ...

    def wait(self, tx_hash: str) -> int:
        """Waits for the transaction; returns its block number (raises if it failed)."""
        ...


class ChainAnchorSink:
    """:class:`AnchorSink` on ``AnchorRegistry``, sending from a STAFF/ADMIN key of the owner.

    A chain node out of reach raises :class:`~govchain.errors.NetworkUnavailable` from every
    method (reads and sends alike), so a supervisor can wait and drain again.
    """

    def __init__(
        self,
        w3: Web3,
        addresses: ChainAddresses,
        account: LocalAccount,
        decoder: ErrorDecoder | None = None,
    ) -> None:
        self.addresses = addresses
        self.reader = RpcChain(w3.provider.endpoint_uri, addresses)  # type: ignore[attr-defined]
        self.sender = Sender(w3, account, decoder or _default_decoder(), poll_latency=0.02)
        self.url = str(self.reader.url)

    @contextmanager
    def _link(self) -> Iterator[None]:
        try:
            yield
        except NetworkUnavailable:
            raise
        except TRANSPORT_ERRORS as exc:
            raise NetworkUnavailable(self.url, f"{type(exc).__name__}: {exc}") from None

    def single_digest(self, category: bytes, record_id: bytes, version: int) -> bytes | None:
        anchor = self.reader.record_version(category, record_id, version)
        return anchor.digest if anchor.block_number else None

    def submit_single(
        self, category: bytes, record_id: bytes, version: int, record_hash: bytes
    ) -> str:
        data = ANCHOR_RECORD.data(category, record_id, version, record_hash)
        with self._link():
            tx_hash, _ = self.sender.submit({"to": self.addresses.anchors, "data": data})  # type: ignore[typeddict-item]
        return tx_hash

    def submit_after_batch(
        self,
        category: bytes,
        record_id: bytes,
        root: bytes,
        first_hash: bytes,
        proof: list[bytes],
        record_hash: bytes,
    ) -> str:
        data = ANCHOR_AFTER_BATCH.data(category, record_id, root, first_hash, proof, record_hash)
        with self._link():
            tx_hash, _ = self.sender.submit({"to": self.addresses.anchors, "data": data})  # type: ignore[typeddict-item]
        return tx_hash

    def batch_anchored(self, category: bytes, root: bytes) -> bool:
        return self.reader.batch_anchor(category, root).block_number != 0

    def submit_batch(self, category: bytes, root: bytes, leaf_count: int) -> str:
        data = ANCHOR_BATCH.data(category, root, leaf_count)
        with self._link():
            tx_hash, _ = self.sender.submit({"to": self.addresses.anchors, "data": data})  # type: ignore[typeddict-item]
        return tx_hash

    def wait(self, tx_hash: str) -> int:
        with self._link():
            return int(self.sender.wait(tx_hash)["blockNumber"])


def _default_decoder() -> ErrorDecoder:
    try:
        from govchain.artifacts import load_artifacts

        return load_artifacts().error_decoder()
    except Exception:  # no compiled artifacts: refusals are still raised, less well explained
        return ErrorDecoder()
