"""What the sharing clients share: readable codes, refusals in plain words, events, results.

- Category and department codes travel as ASCII right-padded to 32 bytes; :func:`code_name`
  turns them back into ``HRSS.PENSION``. Refusals decoded from the contracts are re-rendered so
  their codes read as names and their times as dates (:func:`readable_refusals`).
- :func:`logs` reads one contract event from the deployment block on (the indexer answers the
  same questions faster at scale; these reads need nothing but a node).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from eth_utils.address import to_checksum_address
from web3.contract import Contract

from govchain import timefmt
from govchain.errors import EXPLANATIONS, ChainRefused, InvalidInput, NotFound, format_value
from govchain.network import Connection
from govchain.sharing.catalog import SharingClass, category_code
from govchain.tx import Sent

ZERO32 = b"\0" * 32
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# DepartmentRegistry roles and statuses (IDepartmentRegistry)
ROLE_STAFF, ROLE_APPROVER, ROLE_ADMIN, ROLE_AUDITOR = 1, 2, 4, 8
DEPARTMENT_STATUSES = ("None", "Proposed", "Active", "Suspended", "Retired")


def code(name: str, what: str = "category code") -> bytes:
    """``HRSS.PENSION`` -> its 32-byte code; :class:`InvalidInput` if not 1..32 ASCII characters."""
    try:
        return category_code(name)
    except (ValueError, UnicodeEncodeError):
        raise InvalidInput(what, name, "1 to 32 ASCII characters") from None


def code_name(raw: bytes) -> str:
    """A 32-byte code as text (``HRSS.PENSION``), or 0x-hex when it is not padded ASCII."""
    text = bytes(raw).rstrip(b"\0")
    if text and all(32 < b < 127 for b in text):
        return text.decode("ascii")
    return "0x" + bytes(raw).hex()


iso = timefmt.iso  # the one time formatter (ISO 8601 in the chosen zone)


def hex0x(raw: bytes) -> str:
    return "0x" + bytes(raw).hex()


# --- refusals in plain words ----------------------------------------------------------------

_TIME_ARGS = {"validFrom", "validUntil", "decisionDeadline", "deadline"}

#: Plain-language templates of the sharing contracts' custom errors.
SHARING_EXPLANATIONS: dict[str, str] = {
    "CatalogNotAdmin": "{account} is not an active ADMIN of {department}",
    "CatalogInvalidCode": "category code {code} is zero or its owner's department code",
    "CatalogCodeOutsideNamespace": (
        "category code {code} is not in {department}'s namespace: a department registers "
        "codes that start with its own code and a dot ({department}.NAME)"
    ),
    "CatalogInvalidSharingClass": "a category needs a sharing class",
    "CatalogCategoryExists": "category {code} already exists (owner {owner}); use 'catalog update'",
    "CatalogUnknownCategory": "category {code} is not in the catalog",
    "CatalogSensitiveIsFinal": (
        "category {code} is sensitive and stays so (an owner-wide grant must never come to "
        "cover it); publish data that is no longer sensitive under a new category code"
    ),
    "CatalogSensitiveUnconditional": (
        "sensitive category {code} cannot be unconditional: it is read only under a grant "
        "that names it"
    ),
    "AnchorNotPublisher": "{account} is not an active STAFF or ADMIN of {owner}",
    "AnchorUnknownCategory": "category {category} is not in the catalog",
    "AnchorZeroHash": "a record hash or Merkle root may not be zero",
    "AnchorZeroVersion": "versions start at 1",
    "AnchorVersionExists": "version {version} of record {recordId} ({category}) is anchored already",
    "AnchorVersionGap": "version {version} of record {recordId} ({category}) needs the previous "
    "version anchored first",
    "AnchorBatchExists": "batch {root} of {category} is anchored already",
    "AnchorBatchUnknown": "batch {root} of {category} is not anchored",
    "AnchorLengthMismatch": "record ids, versions and record hashes must be as many",
    "AnchorTooManyRecords": "{count} records in one call; at most {max}",
    "AnchorLeafNotProven": "the proof does not show version 1 of record {recordId} as a leaf of "
    "batch {root} of {category}",
    "AnchorBatchEmpty": "a batch needs at least one record",
    "AccessGrantZeroSubject": "a consent or statutory grant needs a subject",
    "AccessGrantWrongBasis": "this call does not create grants with legal basis {basis}",
    "AccessGrantNotSubjectController": "{account} is neither the owner key nor an agent of "
    "identity {subject}",
    "AccessGrantNotApprover": "{account} is not an active APPROVER of {owner}",
    "AccessGrantNotGrantor": "{account} did not give grant {grantId} and may not revoke it",
    "AccessGrantInvalidWindow": "the validity window {validFrom} .. {validUntil} is empty or over",
    "AccessGrantNoCategories": "a grant names at least one category",
    "AccessGrantGranteeInactive": "grantee department {grantee} is not active",
    "AccessGrantUnknownCategory": "category {category} is not in the catalog",
    "AccessGrantWrongOwner": "category {category} belongs to {actualOwner}, not to the "
    "grant's owner",
    "AccessGrantCategoryNotShared": "category {category} is NOT_SHARED (不予共享) and can never "
    "be granted or accessed",
    "AccessGrantAlreadyExists": "grant {grantId} exists already",
    "AccessGrantUnknown": "no grant {grantId} on chain",
    "AccessGrantRevoked": "grant {grantId} was revoked",
    "AccessGrantNotYetValid": "grant {grantId} is valid only from {validFrom}",
    "AccessGrantExpired": "grant {grantId} expired at {validUntil}",
    "AccessGrantNotStaff": "{account} is not an active STAFF member of {department}",
    "AccessGrantCategoryNotCovered": "grant {grantId} does not cover category {category}",
    "AccessGrantUsesExhausted": "grant {grantId} has used all of its {maxUses} uses",
    "AccessGrantNotUnconditional": "category {category} is not UNCONDITIONAL: an access needs "
    "a grant",
    "AccessGrantPreviousOwnerConsent": "grant {grantId} was consented under a previous key of "
    "its subject (owner epoch {grantEpoch}, now {ownerEpoch}): the subject's current owner key "
    "must confirm it ('govchain citizen confirm-consent') before it authorises access",
    "AccessGrantNotSubjectOwner": "{account} is not the current owner key of identity {subject} "
    "(an agent may not confirm or sweep the consents of previous keys)",
    "AccessGrantConsentCurrent": "grant {grantId} was given under the subject's current key "
    "(owner epoch {epoch}); it is not a consent of a previous key",
    "ShareRequestNotConditional": "category {category} is not CONDITIONAL: unconditional data "
    "needs no request, NOT_SHARED data is never shared",
    "ShareRequestInvalidDeadline": "the decision deadline {decisionDeadline} is not in the future",
    "ShareRequestExists": "request {requestId} was filed already",
    "ShareRequestUnknown": "no request {requestId} on chain",
    "ShareRequestDecided": "request {requestId} was decided already ({status})",
    "ShareRequestExpired": "request {requestId} passed its decision deadline {decisionDeadline}",
}
for _name, _template in SHARING_EXPLANATIONS.items():
    EXPLANATIONS.setdefault(_name, _template)

_REQUEST_STATUS = ("None", "Pending", "Approved", "Rejected")
_BASES = ("CONSENT", "STATUTORY_DUTY", "OWNER_APPROVAL")


def _readable(name: str, key: str, value: Any) -> str:
    if key in _TIME_ARGS and isinstance(value, int):
        return iso(value)
    if key == "sharing":
        return SharingClass(int(value)).name
    if key == "status" and name == "ShareRequestDecided":
        return _REQUEST_STATUS[int(value)].upper()
    if key == "basis":
        return _BASES[int(value)] if int(value) < len(_BASES) else str(value)
    if (
        isinstance(value, bytes)
        and len(value) == 32
        and key
        not in {
            "grantId",
            "requestId",
            "root",
            "recordId",
        }
    ):
        return code_name(value)
    return format_value(value)


def render(refused: ChainRefused) -> ChainRefused:
    """The same refusal with codes as names and times as dates."""
    template = SHARING_EXPLANATIONS.get(refused.error_name)
    if template is None:
        return refused
    values = {k: _readable(refused.error_name, k, v) for k, v in refused.arguments.items()}
    try:
        text = template.format_map(values)
    except (KeyError, IndexError, ValueError):
        return refused
    return ChainRefused(refused.error_name, refused.arguments, text, refused.data, refused.tx_hash)


@contextmanager
def readable_refusals() -> Iterator[None]:
    """Re-raise a :class:`ChainRefused` of the sharing contracts in readable words."""
    try:
        yield
    except ChainRefused as refused:
        raise render(refused) from None


# --- results and events ---------------------------------------------------------------------


TxResult = Sent  # the SDK's one transaction-result type (govchain.tx), under its sharing name


def logs(
    connection: Connection,
    contract: Contract,
    event: str,
    filters: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Every ``event`` of ``contract`` since the deployment block, oldest first."""
    start = connection.deployment.deploy_block
    found = contract.events[event]().get_logs(
        from_block=start, to_block="latest", argument_filters=dict(filters or {})
    )
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


def checksum(value: str) -> str:
    return str(to_checksum_address(value))


class Departments:
    """The few DepartmentRegistry reads the sharing clients check before sending."""

    def __init__(self, connection: Connection) -> None:
        self.contract = connection.contract("DepartmentRegistry")

    def require(self, name: str) -> bytes:
        """The code of department ``name``; :class:`NotFound` (exit 2) if it is not registered."""
        raw = code(name, "department code")
        if int(self.contract.functions.departmentStatus(raw).call()) == 0:
            raise NotFound("department", name, "not registered on this chain")
        return raw

    def status(self, raw: bytes) -> str:
        return DEPARTMENT_STATUSES[int(self.contract.functions.departmentStatus(raw).call())]

    def member_of(self, account: str) -> tuple[bytes, int, bool]:
        dept, roles, active = self.contract.functions.memberOf(account).call()
        return bytes(dept), int(roles), bool(active)

    def is_active_member(self, account: str, dept: bytes, role: int) -> bool:
        return bool(self.contract.functions.isActiveMember(account, dept, role).call())

    def department_of(self, account: str, role: int, what: str) -> bytes:
        """The department in which ``account`` is an active member with ``role``, else refuse."""
        dept, roles, active = self.member_of(account)
        if dept == ZERO32 or not active or roles & role == 0:
            where = f" of {code_name(dept)}" if dept != ZERO32 else " of any department"
            raise ChainRefused(
                "NotMember", {"account": account}, f"{account} is not an active {what}{where}"
            )
        return dept
