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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address

from govchain import events
from govchain.errors import GovchainError, NetworkUnavailable
from govchain.network import log_matches
from govchain.sharing.merkle import keccak256

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
class GrantState:
    grantor: str
    status: int
    basis: int
    uses: int


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
    grant: GrantState
    category: CategoryInfo
    access_tx_found: bool
    access_tx_ok: bool
    access_records: list[AccessRecord]
    timestamp: int
    consent_current: bool = True  # AccessGrants.consentCurrent(grantId, subject)
    # DepartmentRegistry.isActiveMember(signer, grantee, ROLE_STAFF): the contract's own rule
    # for recording access under a grant (AccessGrantNotStaff), asked at release time too
    grantee_staff: bool = False


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
        subject: str = ZERO_ADDRESS,
        grantee: bytes = ZERO32,
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
    ) -> None:
        self.url = url
        self.addresses = addresses
        self._http = httpx.Client(
            timeout=timeout, limits=httpx.Limits(max_keepalive_connections=32)
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._chain_id = chain_id

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

    def request_context(
        self,
        signer: str,
        grant_id: bytes,
        category: bytes,
        access_tx: str,
        subject: str = ZERO_ADDRESS,
        grantee: bytes = ZERO32,
    ) -> RequestContext:
        a = self.addresses
        member, grant, info, receipt, block, current, staff = self.batch(
            [
                self._call(a.departments, MEMBER_OF.data(signer)),
                self._call(a.access_grants, GRANT_STATE.data(grant_id)),
                self._call(a.anchors, CATEGORY_INFO.data(category)),
                ("eth_getTransactionReceipt", [access_tx]),
                ("eth_getBlockByNumber", ["latest", False]),
                # the contract's own rule: is this a consent of a previous owner key?
                self._call(a.access_grants, CONSENT_CURRENT.data(grant_id, subject)),
                # the contract's own rule: may the signer record access for the grantee?
                self._call(a.departments, IS_ACTIVE_MEMBER.data(signer, grantee, ROLE_STAFF)),
            ]
        )
        dept, roles, active = MEMBER_OF.decode(member)
        grantor, status, basis, uses, _epoch = GRANT_STATE.decode(grant)
        (consent_current,) = CONSENT_CURRENT.decode(current)
        (grantee_staff,) = IS_ACTIVE_MEMBER.decode(staff)
        owner, sharing, sensitive = CATEGORY_INFO.decode(info)
        records: list[AccessRecord] = []
        ok = False
        if receipt is not None:
            ok = int(receipt["status"], 16) == 1
            for log in receipt["logs"]:
                if (
                    log["address"].lower() == a.access_grants.lower()
                    and log["topics"]
                    and bytes.fromhex(log["topics"][0][2:]) == ACCESS_RECORDED_TOPIC
                ):
                    records.append(parse_access_record(log))
        return RequestContext(
            member=Membership(dept, roles, active),
            grant=GrantState(grantor, status, basis, uses),
            category=CategoryInfo(owner, sharing, sensitive),
            access_tx_found=receipt is not None,
            access_tx_ok=ok,
            access_records=records,
            timestamp=int(block["timestamp"], 16),
            consent_current=bool(consent_current),
            grantee_staff=bool(grantee_staff),
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
        """``DepartmentRegistry.departmentStatus`` at the latest block (2 is Active)."""
        result = self.rpc(
            *self._call(self.addresses.departments, DEPARTMENT_STATUS.data(department))
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
