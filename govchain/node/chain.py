"""What a data node and its clients read from the chain, in as few round trips as possible.

:class:`RpcChain` implements :class:`~govchain.node.chaintypes.ChainView` (the read interface the
node's checks are written against; the values and the contract functions relied on are in
:mod:`govchain.node.chaintypes`) over plain JSON-RPC: one HTTP batch per data request at most,
on kept-alive connections (:mod:`govchain.node.transport`), so it works against any EVM node without ape. The calls are encoded
and decoded from the packaged ABIs (:mod:`govchain.node.calls`). A transport failure raises
:class:`~govchain.errors.NetworkUnavailable`, which the node answers with 503; the next request
simply tries again, so the node recovers by itself when the chain is back.

The head: every request is judged at a block read after it arrived. Concurrent requests share
one read (:class:`~govchain.node.index.HeadReads`): a request waits for the next
``eth_getBlockByNumber("latest")`` to *start* after it arrived, never for one already under way,
so no request is judged at a block older than the chain's head when it came in; under load one
head read answers every request that arrived while the previous one ran.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from eth_utils.address import to_checksum_address

from govchain.errors import NetworkUnavailable
from govchain.network import log_matches
from govchain.node.calls import (
    ACCESS_STATUS,
    BATCH_ANCHOR,
    CATEGORY_INFO,
    CONSENT_CURRENT,
    DEPARTMENT_STATUS,
    GRANT_STATE,
    IDENTITY_OWNER,
    IS_ACTIVE_MEMBER,
    LATEST_VERSION,
    MEMBER_OF,
    RECORD_VERSION,
    VALID_DELEGATE,
    View,
)
from govchain.node.chaintypes import (
    ACCESS_RECORDED_TOPIC,
    BATCH_ANCHORED_TOPIC,
    DELEGATE_AGENT,
    DEPARTMENT_ACTIVE,
    FIRST_VERSION_PINNED_TOPIC,
    GRANT_LIVE,
    GRANT_NONE,
    GRANT_REVOKED,
    NOT_SHARED,
    RECORD_ANCHORED_TOPIC,
    ROLE_STAFF,
    STATUS_REFUSALS,
    ZERO32,
    ZERO_ADDRESS,
    AccessRecord,
    BatchAnchorInfo,
    CategoryInfo,
    ChainAddresses,
    ChainView,
    Membership,
    RecordAnchor,
    RequestContext,
    RpcFailed,
    grant_id_of,
    parse_access_record,
)
from govchain.node.index import AccessIndex, HeadCache, HeadReads
from govchain.node.transport import Transport
from govchain.sharing.messages import grant_tuple
from govchain.sharing.status import AccessStatus, decode_status

__all__ = [
    "ACCESS_RECORDED_TOPIC",
    "BATCH_ANCHOR",
    "BATCH_ANCHORED_TOPIC",
    "CATEGORY_INFO",
    "CONSENT_CURRENT",
    "DELEGATE_AGENT",
    "DEPARTMENT_ACTIVE",
    "DEPARTMENT_STATUS",
    "FIRST_VERSION_PINNED_TOPIC",
    "GRANT_LIVE",
    "GRANT_NONE",
    "GRANT_REVOKED",
    "GRANT_STATE",
    "IDENTITY_OWNER",
    "IS_ACTIVE_MEMBER",
    "LATEST_VERSION",
    "MEMBER_OF",
    "NOT_SHARED",
    "RECORD_ANCHORED_TOPIC",
    "RECORD_VERSION",
    "ROLE_STAFF",
    "STATUS_REFUSALS",
    "VALID_DELEGATE",
    "ZERO32",
    "ZERO_ADDRESS",
    "AccessRecord",
    "BatchAnchorInfo",
    "CategoryInfo",
    "ChainAddresses",
    "ChainView",
    "Membership",
    "RecordAnchor",
    "RequestContext",
    "RpcChain",
    "RpcFailed",
    "View",
    "grant_id_of",
    "parse_access_record",
]


class RpcChain:
    """:class:`ChainView` over JSON-RPC batches (thread-safe; one connection pool)."""

    def __init__(
        self,
        url: str,
        addresses: ChainAddresses,
        *,
        chain_id: int | None = None,
        timeout: float = 5.0,
        index: bool = True,
    ) -> None:
        self.url = url
        self.addresses = addresses
        self._http = Transport(url, timeout=timeout)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._chain_id = chain_id
        self._views = HeadCache()
        #: the call data of each view key (a pure function of the key: the same call at every
        #: head), so a new head re-reads the views without encoding them again
        self._call_data: OrderedDict[Hashable, str] = OrderedDict()
        self._heads = HeadReads(self._read_head)
        self._index = (
            AccessIndex(
                self._access_logs,
                parse_access_record,
                self._block_hash,
                hash_and_logs=self._hash_and_logs,
            )
            if index
            else None
        )
        self.posts = 0  # JSON-RPC HTTP requests made (for the benchmarks)
        self.loop_head_reads = 0  # of them, head reads for the event loop's requests

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc("eth_chainId", []), 16)
        return self._chain_id

    @property
    def head_reads(self) -> int:
        """Head reads made (shared by the requests that waited for each; for the benchmarks)."""
        return self._heads.reads + self.loop_head_reads

    @property
    def index_counters(self) -> dict[str, int]:
        """The access index's rebuilds (reorganisations seen) and discarded reads (the head
        replaced while its logs were read); empty without an index (for the benchmarks)."""
        if self._index is None:
            return {}
        return {"index_rebuilds": self._index.rebuilds, "index_discarded": self._index.discarded}

    def close(self) -> None:
        self._http.close()

    # --- transport --------------------------------------------------------------------------

    def _post(self, payload: Any) -> Any:
        self.posts += 1
        return self._http.post(payload)

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Many JSON-RPC calls in one HTTP request; results in order (errors raise)."""
        with self._lock:
            ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        reply = self._post(payload)
        if not isinstance(reply, list):
            raise NetworkUnavailable(self.url, f"batch refused: {reply!r:.200}")
        by_id = {item.get("id"): item for item in reply}
        out = []
        for i, (method, _) in zip(ids, calls, strict=True):
            item = by_id.get(i)
            if item is None:
                raise NetworkUnavailable(self.url, "batch reply is missing answers")
            if item.get("error"):
                raise RpcFailed(method, str(item["error"].get("message", item["error"])))
            out.append(item.get("result"))
        return out

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.batch([(method, params)])[0]

    @staticmethod
    def _call(to: str, data: str) -> tuple[str, list[Any]]:
        return ("eth_call", [{"to": to, "data": data}, "latest"])

    # --- the reads --------------------------------------------------------------------------

    def head(self) -> int:
        """The latest block number (one ``eth_blockNumber``): what every cached answer is keyed by."""
        return int(self.rpc("eth_blockNumber", []), 16)

    def warm(self) -> None:
        """Index the chain's access records up to the latest block now (a worker calls it before
        it serves, so its first requests do not pay for reading the chain's history; a chain
        that cannot be read now is indexed at the first request instead)."""
        if self._index is None:
            return
        try:
            self._index.sync(self._read_head())
        except (NetworkUnavailable, RpcFailed):
            return

    def _read_head(self) -> tuple[int, str]:
        block = self.rpc("eth_getBlockByNumber", ["latest", False])
        return int(block["number"], 16), str(block["hash"])

    def _head_block(self) -> tuple[int, str]:
        """The latest block's number and hash, from a read that began after this call (shared
        with the calls made while it runs: :class:`~govchain.node.index.HeadReads`)."""
        return self._heads.latest()

    def _views_at(
        self, head: tuple[int, str], calls: Sequence[tuple[Hashable, str, Callable[[], str]]]
    ) -> list[str]:
        """Raw ``eth_call`` results of ``(key, to, data)`` at block ``head`` (number, hash): from
        the per-block cache, the misses in one batch pinned to that block."""
        out: list[str | None] = [self._views.get(head, key) for key, _, _ in calls]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:
            tag = hex(head[0])
            answers = self.batch(
                [
                    ("eth_call", [{"to": calls[i][1], "data": self._data_of(calls[i])}, tag])
                    for i in missing
                ]
            )
            for i, answer in zip(missing, answers, strict=True):
                self._views.put(head, calls[i][0], answer)
                out[i] = answer
        return [str(v) for v in out]

    def _data_of(self, call: tuple[Hashable, str, Callable[[], str]]) -> str:
        """The call data of a view (encoded once per key; the last 4,096 keys kept)."""
        key, _, encode = call
        with self._lock:
            data = self._call_data.get(key)
        if data is None:
            data = encode()
            with self._lock:
                self._call_data[key] = data
                while len(self._call_data) > 4096:
                    self._call_data.popitem(last=False)
        return data

    def _block_hash(self, number: int) -> str | None:
        block = self.rpc("eth_getBlockByNumber", [hex(number), False])
        return None if block is None else str(block["hash"])

    def _logs_call(self, start: int, end: int) -> tuple[str, list[Any]]:
        return (
            "eth_getLogs",
            [
                {
                    "address": self.addresses.access_grants,
                    "topics": ["0x" + ACCESS_RECORDED_TOPIC.hex()],
                    "fromBlock": hex(start),
                    "toBlock": hex(end),
                }
            ],
        )

    def _access_logs(self, start: int, end: int) -> list[dict[str, Any]]:
        return list(self.rpc(*self._logs_call(start, end)))

    def _hash_and_logs(
        self, number: int, start: int, end: int
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """Block ``number``'s hash now and the access logs of ``start``..``end``, one batch."""
        block, logs = self.batch(
            [("eth_getBlockByNumber", [hex(number), False]), self._logs_call(start, end)]
        )
        return (None if block is None else str(block["hash"])), list(logs)

    def _access_records(
        self, head: tuple[int, str], access_tx: str, request_hash: bytes | None
    ) -> tuple[bool, bool, list[AccessRecord]]:
        """(found, succeeded, records) of the access transaction: from the local index when it
        knows ``request_hash``, else from the transaction's receipt."""
        if self._index is not None and request_hash is not None:
            self._index.sync(head)
            known = self._index.lookup(request_hash, access_tx, head[0])
            if known is not None:
                return True, True, known  # logs exist only for transactions that succeeded
        receipt = self.rpc("eth_getTransactionReceipt", [access_tx])
        if receipt is None:
            return False, False, []
        records = [
            parse_access_record(log)
            for log in receipt["logs"]
            if log["address"].lower() == self.addresses.access_grants.lower()
            and log["topics"]
            and bytes.fromhex(log["topics"][0][2:]) == ACCESS_RECORDED_TOPIC
        ]
        return True, int(receipt["status"], 16) == 1, records

    def request_context(
        self,
        signer: str,
        grant_id: bytes,
        category: bytes,
        access_tx: str,
        terms: Mapping[str, Any] | None = None,
        request_hash: bytes | None = None,
        owner: bytes | None = None,
    ) -> RequestContext:
        """What the node judges one request by, at the latest block: one ``eth_blockNumber``,
        then only what the per-block cache and the access index do not hold (one batch)."""
        block = self._head_block()
        calls = self.context_calls(signer, category, terms, owner)
        answers = self._views_at(block, calls)
        found = self._access_records(block, access_tx, request_hash)
        return self.context_of(block, answers, found, terms is not None, owner is not None)

    def context_calls(
        self,
        signer: str,
        category: bytes,
        terms: Mapping[str, Any] | None,
        owner: bytes | None,
    ) -> list[tuple[Hashable, str, Callable[[], str]]]:
        """The views one request is judged by, as (cache key, contract, call data) - the call
        data encoded only on a cache miss."""
        a = self.addresses
        calls: list[tuple[Hashable, str, Callable[[], str]]] = [
            (("memberOf", signer.lower()), a.departments, lambda: MEMBER_OF.data(signer)),
            (("categoryInfo", category), a.anchors, lambda: CATEGORY_INFO.data(category)),
        ]
        if terms is not None:
            # the contract's own rule, by the function recordAccess refuses with; keyed by the
            # id the terms hash to (never the id the request claims: terms that do not hash to
            # it must not answer for it)
            calls.append(
                (
                    ("accessStatus", grant_id_of(terms), category, signer.lower()),
                    a.access_grants,
                    lambda: ACCESS_STATUS.data(tuple(grant_tuple(terms)), category, signer),
                )
            )
        if owner is not None:  # the node's own department, checked before every release
            calls.append(
                (
                    ("departmentStatus", owner),
                    a.departments,
                    lambda: DEPARTMENT_STATUS.data(owner),
                )
            )
        return calls

    @staticmethod
    def context_of(
        block: tuple[int, str],
        answers: Sequence[str],
        found: tuple[bool, bool, list[AccessRecord]],
        with_terms: bool,
        with_owner: bool,
    ) -> RequestContext:
        """The :class:`RequestContext` of the views' answers (in :meth:`context_calls` order)
        and the access records found, at ``block``."""
        owner_status = int(DEPARTMENT_STATUS.decode(answers[-1])[0]) if with_owner else None
        dept, roles, active = MEMBER_OF.decode(answers[0])
        owner, sharing, sensitive = CATEGORY_INFO.decode(answers[1])
        status = decode_status(answers[2]) if with_terms else AccessStatus.UNKNOWN
        tx_found, ok, records = found
        return RequestContext(
            member=Membership(dept, roles, active),
            category=CategoryInfo(owner, sharing, sensitive),
            access_tx_found=tx_found,
            access_tx_ok=ok,
            access_records=records,
            access_status=status,
            head=block[0],
            owner_status=owner_status,
        )

    def cached_views(
        self, head: tuple[int, str], calls: Sequence[tuple[Hashable, str, Callable[[], str]]]
    ) -> list[str] | None:
        """The views' answers at ``head`` if the per-block cache holds all of them, else None."""
        out = []
        for key, _, _ in calls:
            answer = self._views.get(head, key)
            if answer is None:
                return None
            out.append(str(answer))
        return out

    def indexed_records(
        self, head: tuple[int, str], access_tx: str, request_hash: bytes | None
    ) -> tuple[bool, bool, list[AccessRecord]] | None:
        """The access records of :meth:`_access_records` when the index, already synced to
        ``head``, knows ``request_hash``; None when that needs the chain (a sync or a receipt)."""
        if self._index is None or request_hash is None or not self._index.synced_at(head):
            return None
        known = self._index.lookup(request_hash, access_tx, head[0])
        return None if known is None else (True, True, known)

    def read_head_and_index(self) -> tuple[int, str]:
        """A head read, then the access index synced to it (a failed sync is left to the
        request that needs it, which syncs again and fails as it would have)."""
        head = self._read_head()
        self.loop_head_reads += 1
        if self._index is not None:
            with contextlib.suppress(NetworkUnavailable, RpcFailed):
                self._index.sync(head)
        return head

    def identity_owner(self, identity: str) -> str:
        """``CitizenRegistry.identityOwner``: the key that controls ``identity`` now."""
        result = self.rpc(*self._call(self.addresses.citizens, IDENTITY_OWNER.data(identity)))
        (owner,) = IDENTITY_OWNER.decode(result)
        return to_checksum_address(owner)

    def controls_identity(self, identity: str, signer: str) -> bool:
        c = self.addresses.citizens
        owner, delegate = self.batch(
            [
                self._call(c, IDENTITY_OWNER.data(identity)),
                self._call(c, VALID_DELEGATE.data(identity, DELEGATE_AGENT, signer)),
            ]
        )
        (owner_address,) = IDENTITY_OWNER.decode(owner)
        (is_agent,) = VALID_DELEGATE.decode(delegate)
        return bool(owner_address.lower() == signer.lower() or is_agent)

    def department_status(self, department: bytes) -> int:
        """``DepartmentRegistry.departmentStatus`` at the latest block (2 is Active): the head is
        read every time, the answer is cached for that block only."""
        [result] = self._views_at(
            self._head_block(),
            [
                (
                    ("departmentStatus", department),
                    self.addresses.departments,
                    lambda: DEPARTMENT_STATUS.data(department),
                )
            ],
        )
        (status,) = DEPARTMENT_STATUS.decode(result)
        return int(status)

    def record_version(self, category: bytes, record_id: bytes, version: int) -> RecordAnchor:
        result = self.rpc(
            *self._call(self.addresses.anchors, RECORD_VERSION.data(category, record_id, version))
        )
        digest, block, ts = RECORD_VERSION.decode(result)
        return RecordAnchor(digest, block, ts)

    def batch_anchor(self, category: bytes, root: bytes) -> BatchAnchorInfo:
        result = self.rpc(*self._call(self.addresses.anchors, BATCH_ANCHOR.data(category, root)))
        count, block, ts = BATCH_ANCHOR.decode(result)
        return BatchAnchorInfo(count, block, ts)

    def latest_version(self, category: bytes, record_id: bytes) -> int:
        result = self.rpc(
            *self._call(self.addresses.anchors, LATEST_VERSION.data(category, record_id))
        )
        (latest,) = LATEST_VERSION.decode(result)
        return int(latest)

    def category_owner(self, category: bytes) -> bytes:
        """The category's owner department in the catalog (zero if not in the catalog)."""
        result = self.rpc(*self._call(self.addresses.anchors, CATEGORY_INFO.data(category)))
        owner, _, _ = CATEGORY_INFO.decode(result)
        return bytes(owner)

    def logs(self, address: str, topics: list[Any], from_block: int = 0) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.rpc(
            "eth_getLogs",
            [
                {
                    "address": address,
                    "topics": topics,
                    "fromBlock": hex(from_block),
                    "toBlock": "latest",
                }
            ],
        )
        return [log for log in result if log_matches(log, topics)]
