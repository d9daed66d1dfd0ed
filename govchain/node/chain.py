"""What a data node and its clients read from the chain, in as few round trips as possible.

:class:`ChainView` is the read interface the node's checks are written against; :class:`RpcChain`
implements it over plain JSON-RPC (one HTTP batch per data request, on a kept-alive
connection), so it works against any EVM node without ape. A transport failure raises
:class:`~govchain.errors.NetworkUnavailable`, which the node answers with 503; the next request
simply tries again, so the node recovers by itself when the chain is back.

Contract functions and events relied on:

- ``DepartmentRegistry.memberOf(address) -> (bytes32 dept, uint8 roles, bool active)``,
  ``isActiveMember(address,bytes32,uint8) -> bool`` (the view ``AccessGrants.recordAccess``
  asks: holds every bit of the role in an Active department), ``departmentStatus(bytes32) -> uint8``
- ``AccessGrants.grantState(bytes32) -> (address grantor, uint8 status, uint8 basis, uint32 uses,
  uint32 epoch)``, ``consentCurrent(bytes32,address) -> bool`` (false: a consent of a previous
  owner key of the subject, unconfirmed)
- ``AccessGrants`` event ``AccessRecorded(address indexed subject, bytes32 indexed owner,
  bytes32 indexed grantee, bytes32 category, bytes32 purposeHash, address member,
  bytes32 requestHash, bytes32 grantId)``
- ``AnchorRegistry`` (= DataCatalog): ``categoryInfo(bytes32) -> (bytes32 owner, uint8 sharing,
  bool sensitive)``, ``recordVersion(bytes32,bytes32,uint32) -> (bytes22,uint64,uint64)``,
  ``latestVersion(bytes32,bytes32) -> uint32``,
  ``batchAnchor(bytes32,bytes32) -> (uint64,uint64,uint64)``, events ``RecordAnchored`` and
  ``BatchAnchored`` (and ``FirstVersionPinned``)
- ``CitizenRegistry.identityOwner(address) -> address``,
  ``validDelegate(address,bytes32,address) -> bool``
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address

from govchain import events
from govchain.errors import GovchainError, NetworkUnavailable
from govchain.network import log_matches
from govchain.node.index import AccessIndex, HeadCache
from govchain.sharing.merkle import keccak256
from govchain.sharing.messages import grant_id as terms_id
from govchain.sharing.messages import grant_tuple
from govchain.sharing.status import AccessStatus, call_data, decode_status

ZERO32 = b"\0" * 32
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DELEGATE_AGENT = keccak256(b"govchain.delegate.agent")

# topics from the compiled ABIs (govchain.events), not from signatures written here
ACCESS_RECORDED_TOPIC = events.topic("AccessGrants", "AccessRecorded")
RECORD_ANCHORED_TOPIC = events.topic("AnchorRegistry", "RecordAnchored")
BATCH_ANCHORED_TOPIC = events.topic("AnchorRegistry", "BatchAnchored")
FIRST_VERSION_PINNED_TOPIC = events.topic("AnchorRegistry", "FirstVersionPinned")

# AccessGrants.GrantStatus
GRANT_NONE, GRANT_LIVE, GRANT_REVOKED = 0, 1, 2
# AccessGrants.AccessStatus -> the node's refusal code (govchain.node.protocol.REFUSALS).
# USED_UP is not refused: the access record being served spent that use.
STATUS_REFUSALS: dict[AccessStatus, str] = {
    AccessStatus.UNKNOWN: "no_grant",
    AccessStatus.REVOKED: "grant_revoked",
    AccessStatus.PREVIOUS_OWNER_CONSENT: "consent_previous_key",
    AccessStatus.NOT_YET_VALID: "grant_not_yet_valid",
    AccessStatus.EXPIRED: "grant_expired",
    AccessStatus.NOT_STAFF: "not_grantee_member",
    AccessStatus.GRANTEE_INACTIVE: "not_grantee_member",
    AccessStatus.NOT_COVERED: "category_not_covered",
    AccessStatus.NOT_SHARED: "category_not_covered",
}
# DataCatalog.SharingClass
NOT_SHARED = 3
# IDepartmentRegistry.DepartmentStatus
DEPARTMENT_ACTIVE = 2
# IDepartmentRegistry roles
ROLE_STAFF = 1


class RpcFailed(GovchainError):
    """The node answered a read with an error (not a transport failure)."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(f"chain read {what} failed: {message}")


@dataclass(frozen=True)
class ChainAddresses:
    """The deployments a data node reads."""

    departments: str
    access_grants: str
    anchors: str  # AnchorRegistry, which is also the DataCatalog
    citizens: str
    objections: str = ""  # ObjectionRegistry (objection texts; "" if not deployed)

    @classmethod
    def from_names(cls, addresses: Mapping[str, str]) -> ChainAddresses:
        """From a contract-name map such as a deployment manifest's."""
        return cls(
            departments=addresses["DepartmentRegistry"],
            access_grants=addresses["AccessGrants"],
            anchors=addresses["AnchorRegistry"],
            citizens=addresses["CitizenRegistry"],
            objections=addresses.get("ObjectionRegistry", ""),
        )


@dataclass(frozen=True)
class Membership:
    department: bytes
    roles: int
    active: bool


@dataclass(frozen=True)
class CategoryInfo:
    owner: bytes
    sharing: int
    sensitive: bool


@dataclass(frozen=True)
class AccessRecord:
    """One ``AccessRecorded`` event."""

    subject: str
    owner: bytes
    grantee: bytes
    category: bytes
    purpose_hash: bytes
    member: str
    request_hash: bytes
    grant_id: bytes


@dataclass(frozen=True)
class RequestContext:
    """Everything the node reads to judge one data request, from one block's view."""

    member: Membership
    category: CategoryInfo
    access_tx_found: bool
    access_tx_ok: bool
    access_records: list[AccessRecord]
    # AccessGrants.accessStatus(terms, category, signer) at the head: the contract's own rule
    # (the function recordAccess refuses with), asked again when the right is used; UNKNOWN for
    # an open (no grant) request
    access_status: AccessStatus = AccessStatus.UNKNOWN
    head: int = 0  # the block number every answer above was read at
    # DepartmentRegistry.departmentStatus of the node's own department at the same head (None
    # when not asked)
    owner_status: int | None = None


@dataclass(frozen=True)
class RecordAnchor:
    digest: bytes  # first 22 bytes of the record hash; zero if not anchored
    block_number: int
    timestamp: int


@dataclass(frozen=True)
class BatchAnchorInfo:
    leaf_count: int
    block_number: int
    timestamp: int


class ChainView(Protocol):
    """The chain reads of a data node and its clients."""

    addresses: ChainAddresses

    @property
    def chain_id(self) -> int: ...

    def request_context(
        self,
        signer: str,
        grant_id: bytes,
        category: bytes,
        access_tx: str,
        terms: Mapping[str, Any] | None = None,
        request_hash: bytes | None = None,
        owner: bytes | None = None,
    ) -> RequestContext: ...

    def identity_owner(self, identity: str) -> str: ...

    def controls_identity(self, identity: str, signer: str) -> bool: ...

    def department_status(self, department: bytes) -> int: ...

    def record_version(self, category: bytes, record_id: bytes, version: int) -> RecordAnchor: ...

    def batch_anchor(self, category: bytes, root: bytes) -> BatchAnchorInfo: ...

    def latest_version(self, category: bytes, record_id: bytes) -> int: ...

    def category_owner(self, category: bytes) -> bytes: ...


def _selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


class _Fn:
    """An ABI-encoded view call."""

    def __init__(
        self, signature: str, returns: Sequence[str], args: Sequence[str] | None = None
    ) -> None:
        self.selector = _selector(signature)
        inner = signature[signature.index("(") + 1 : -1]
        self.args = list(args) if args is not None else (inner.split(",") if inner else [])
        self.returns = list(returns)

    def data(self, *args: Any) -> str:
        return "0x" + (self.selector + encode(self.args, list(args))).hex()

    def decode(self, result: str) -> tuple[Any, ...]:
        return tuple(decode(self.returns, bytes.fromhex(result[2:])))


MEMBER_OF = _Fn("memberOf(address)", ["bytes32", "uint8", "bool"])
IS_ACTIVE_MEMBER = _Fn("isActiveMember(address,bytes32,uint8)", ["bool"])
DEPARTMENT_STATUS = _Fn("departmentStatus(bytes32)", ["uint8"])
GRANT_STATE = _Fn("grantState(bytes32)", ["address", "uint8", "uint8", "uint32", "uint32"])
CONSENT_CURRENT = _Fn("consentCurrent(bytes32,address)", ["bool"])
CATEGORY_INFO = _Fn("categoryInfo(bytes32)", ["bytes32", "uint8", "bool"])
IDENTITY_OWNER = _Fn("identityOwner(address)", ["address"])
VALID_DELEGATE = _Fn("validDelegate(address,bytes32,address)", ["bool"])
RECORD_VERSION = _Fn("recordVersion(bytes32,bytes32,uint32)", ["bytes22", "uint64", "uint64"])
BATCH_ANCHOR = _Fn("batchAnchor(bytes32,bytes32)", ["uint64", "uint64", "uint64"])
LATEST_VERSION = _Fn("latestVersion(bytes32,bytes32)", ["uint32"])


def parse_access_record(log: Mapping[str, Any]) -> AccessRecord:
    """One raw ``AccessRecorded`` log, decoded by the compiled ABI."""
    args = events.decode("AccessGrants", "AccessRecorded", log)
    return AccessRecord(
        subject=args["subject"],
        owner=events.b32(args["owner"]),
        grantee=events.b32(args["grantee"]),
        category=events.b32(args["category"]),
        purpose_hash=events.b32(args["purposeHash"]),
        member=args["member"],
        request_hash=events.b32(args["requestHash"]),
        grant_id=events.b32(args["grantId"]),
    )


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
        self._http = httpx.Client(
            timeout=timeout, limits=httpx.Limits(max_keepalive_connections=32)
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._chain_id = chain_id
        self._views = HeadCache()
        self._index = AccessIndex(self._access_logs, parse_access_record) if index else None

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc("eth_chainId", []), 16)
        return self._chain_id

    def close(self) -> None:
        self._http.close()

    # --- transport --------------------------------------------------------------------------

    def _post(self, payload: Any) -> Any:
        try:
            response = self._http.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise NetworkUnavailable(self.url, f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise NetworkUnavailable(self.url, f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise NetworkUnavailable(self.url, "unreadable reply") from None

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

    def _head_block(self) -> tuple[int, str]:
        """The latest block's number and hash (one ``eth_getBlockByNumber``)."""
        block = self.rpc("eth_getBlockByNumber", ["latest", False])
        return int(block["number"], 16), str(block["hash"])

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
                [("eth_call", [{"to": calls[i][1], "data": calls[i][2]()}, tag]) for i in missing]
            )
            for i, answer in zip(missing, answers, strict=True):
                self._views.put(head, calls[i][0], answer)
                out[i] = answer
        return [str(v) for v in out]

    def _access_logs(self, start: int, end: int) -> list[dict[str, Any]]:
        return list(
            self.rpc(
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
        )

    def _access_records(
        self, head: int, access_tx: str, request_hash: bytes | None
    ) -> tuple[bool, bool, list[AccessRecord]]:
        """(found, succeeded, records) of the access transaction: from the local index when it
        knows ``request_hash``, else from the transaction's receipt."""
        if self._index is not None and request_hash is not None:
            self._index.sync(head)
            known = self._index.lookup(request_hash, access_tx)
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
        a = self.addresses
        block = self._head_block()
        head = block[0]
        # the call data is encoded only on a cache miss
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
                    ("accessStatus", terms_id(terms), category, signer.lower()),
                    a.access_grants,
                    lambda: call_data(grant_tuple(terms), category, signer),
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
        answers = self._views_at(block, calls)
        owner_status = int(DEPARTMENT_STATUS.decode(answers[-1])[0]) if owner is not None else None
        dept, roles, active = MEMBER_OF.decode(answers[0])
        owner, sharing, sensitive = CATEGORY_INFO.decode(answers[1])
        status = decode_status(answers[2]) if terms is not None else AccessStatus.UNKNOWN
        found, ok, records = self._access_records(head, access_tx, request_hash)
        return RequestContext(
            member=Membership(dept, roles, active),
            category=CategoryInfo(owner, sharing, sensitive),
            access_tx_found=found,
            access_tx_ok=ok,
            access_records=records,
            access_status=status,
            head=head,
            owner_status=owner_status,
        )

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
