"""What a data node reads from the chain, as values: the deployments it reads, the answers of
its views, the context one request is judged by, and :class:`ChainView`, the read interface the
node's checks are written against (:class:`govchain.node.chain.RpcChain` implements it over
JSON-RPC).

Contract functions and events relied on (encoded and decoded from the packaged ABIs by
:mod:`govchain.node.calls`):

- ``DepartmentRegistry.memberOf(address) -> (bytes32 dept, uint8 roles, bool active)``,
  ``isActiveMember(address,bytes32,uint8) -> bool`` (the view ``AccessGrants.recordAccess``
  asks: holds every bit of the role in an Active department), ``departmentStatus(bytes32) -> uint8``
- ``AccessGrants.accessStatus(Grant, bytes32 category, address member) -> uint8`` (the access
  rule's one status view, :mod:`govchain.sharing.status`)
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

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from govchain import events
from govchain.errors import GovchainError
from govchain.sharing.merkle import keccak256
from govchain.sharing.messages import grant_id
from govchain.sharing.status import AccessStatus

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


_TERMS = (
    "subject", "grantee", "owner", "categories", "purposeHash",
    "basis", "validFrom", "validUntil", "maxUses", "nonce",
)  # fmt: skip


@lru_cache(maxsize=4096)
def _grant_id(key: tuple[Any, ...]) -> bytes:
    terms = dict(zip(_TERMS, key, strict=True))
    terms["categories"] = list(terms["categories"])
    return grant_id(terms)


def grant_id_of(terms: Mapping[str, Any]) -> bytes:
    """:func:`govchain.sharing.messages.grant_id` of ``terms`` (the ``Grant`` fields), remembered
    for the last few thousand terms: under load most requests name the same grant."""
    key = tuple(tuple(terms[k]) if k == "categories" else terms[k] for k in _TERMS)
    return _grant_id(key)
