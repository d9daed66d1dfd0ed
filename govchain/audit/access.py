"""Access audit: who accessed a citizen's data, when, which data, for which purpose, under which grant.

The trail is every ``AccessGrants.AccessRecorded`` event about the subject, joined with the
``GrantCreated`` terms of its grant (purpose hash, legal basis, validity window, grantor) and any
``GrantRevoked``, with the block time of each access. Each entry is then checked against its
grant — the grant exists, names the same owner and grantee, covers the category, was within its
window and not revoked at the access — and, for the rest of the access rule (coverage of the
category, the member's role, the grantee's status, a previous key's consent, uses left), the
contract's own answer: ``AccessGrants.accessStatus`` asked at the block before the access
(:mod:`govchain.sharing.status`), not a copy of the rule. The contract enforces all of this when the access is
recorded, so on a sound chain the audit finds nothing; a finding means the rules were bypassed
(a contract defect, a forged deployment) and is reported as a problem.

Who may see a trail (:func:`check_viewer`): the citizen — the identity itself, its current owner
key, or a valid agent delegate (代办) — or an active AUDITOR of any department. The events are
public on chain; this is the platform's rule for its own tools, in line with PIPL art. 45 (the
subject's right to consult) and the auditors' supervisory role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address

from govchain import events
from govchain.audit.chainlog import get_logs, topic32, topic_address
from govchain.errors import GovchainError
from govchain.node.chain import (
    ACCESS_RECORDED_TOPIC,
    MEMBER_OF,
    ZERO32,
    RpcChain,
    RpcFailed,
    parse_access_record,
)
from govchain.sharing.messages import grant_tuple
from govchain.sharing.status import TEXTS, AccessStatus, call_data, decode_status

ROLE_AUDITOR = 8
GRANT_CREATED_TOPIC = events.topic("AccessGrants", "GrantCreated")
GRANT_REVOKED_TOPIC = events.topic("AccessGrants", "GrantRevoked")
BASIS_NAMES = ("Consent", "StatutoryDuty", "OwnerApproval")


class TrailRefused(GovchainError, PermissionError):
    """The viewer may not see this subject's access trail."""

    def __init__(self, viewer: str, subject: str) -> None:
        super().__init__(
            f"{viewer} may not see the access trail of {subject}: a trail is shown to the "
            "citizen (the identity, its owner key or an agent) and to an active AUDITOR of a "
            "department; use the citizen's key or an auditor's --key"
        )


def check_viewer(chain: RpcChain, viewer: str, subject: str) -> str:
    """``"subject"`` or ``"auditor"``: why ``viewer`` may see ``subject``'s trail (else raises)."""
    if viewer.lower() == subject.lower() or chain.controls_identity(subject, viewer):
        return "subject"
    result = chain.rpc(*RpcChain._call(chain.addresses.departments, MEMBER_OF.data(viewer)))
    dept, roles, active = MEMBER_OF.decode(result)
    if active and dept != ZERO32 and roles & ROLE_AUDITOR:
        return "auditor"
    raise TrailRefused(viewer, subject)


@dataclass(frozen=True)
class GrantTerms:
    grant_id: bytes
    subject: str
    grantee: bytes
    owner: bytes
    categories: tuple[bytes, ...]
    purpose_hash: bytes
    basis: int
    valid_from: int
    valid_until: int
    max_uses: int
    nonce: int
    grantor: str
    block: int
    revoked_block: int | None = None
    revoked_by: str | None = None

    def terms(self) -> dict[str, Any]:
        """The ``Grant`` terms as :mod:`govchain.sharing.messages` and the node client take them."""
        return {
            "subject": self.subject,
            "grantee": self.grantee,
            "owner": self.owner,
            "categories": list(self.categories),
            "purposeHash": self.purpose_hash,
            "basis": self.basis,
            "validFrom": self.valid_from,
            "validUntil": self.valid_until,
            "maxUses": self.max_uses,
            "nonce": self.nonce,
        }


@dataclass
class TrailEntry:
    """One access: who (member of grantee), when, what (owner's category), why, under what."""

    block: int
    timestamp: int
    tx_hash: str
    member: str
    grantee: bytes
    owner: bytes
    category: bytes
    purpose_hash: bytes
    request_hash: bytes
    grant_id: bytes
    grant: GrantTerms | None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        g = self.grant
        return {
            "block": self.block,
            "timestamp": self.timestamp,
            "tx_hash": self.tx_hash,
            "member": self.member,
            "grantee": _hex(self.grantee),
            "owner": _hex(self.owner),
            "category": _hex(self.category),
            "purpose_hash": _hex(self.purpose_hash),
            "request_hash": _hex(self.request_hash),
            "grant_id": None if self.grant_id == ZERO32 else _hex(self.grant_id),
            "basis": None if g is None else BASIS_NAMES[g.basis],
            "grantor": None if g is None else g.grantor,
            "valid_from": None if g is None else g.valid_from,
            "valid_until": None if g is None else g.valid_until,
            "revoked_block": None if g is None else g.revoked_block,
            "problems": list(self.problems),
        }


@dataclass
class AccessTrail:
    subject: str
    viewer_role: str
    entries: list[TrailEntry]

    @property
    def problems(self) -> int:
        return sum(1 for e in self.entries if e.problems)

    @property
    def clean(self) -> bool:
        return self.problems == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "viewer_role": self.viewer_role,
            "accesses": len(self.entries),
            "problems": self.problems,
            "clean": self.clean,
            "entries": [e.as_dict() for e in self.entries],
        }


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def grants_by_id(chain: RpcChain, ids: list[bytes], from_block: int = 0) -> dict[bytes, GrantTerms]:
    """The terms (``GrantCreated``) and revocation (``GrantRevoked``) of each grant id found."""
    out: dict[bytes, GrantTerms] = {}
    if not ids:
        return out
    address = chain.addresses.access_grants
    for start in range(0, len(ids), 100):
        wanted = [topic32(i) for i in ids[start : start + 100]]
        for log in get_logs(chain, address, ["0x" + GRANT_CREATED_TOPIC.hex(), wanted], from_block):
            g = events.decode("AccessGrants", "GrantCreated", log)
            grant_id = events.b32(g["grantId"])
            out.setdefault(
                grant_id,
                GrantTerms(
                    grant_id,
                    g["subject"],
                    events.b32(g["grantee"]),
                    events.b32(g["owner"]),
                    tuple(events.b32(c) for c in g["categories"]),
                    events.b32(g["purposeHash"]),
                    int(g["basis"]),
                    int(g["validFrom"]),
                    int(g["validUntil"]),
                    int(g["maxUses"]),
                    int(g["nonce"]),
                    g["grantor"],
                    int(log["blockNumber"], 16),
                ),
            )
        for log in get_logs(chain, address, ["0x" + GRANT_REVOKED_TOPIC.hex(), wanted], from_block):
            r = events.decode("AccessGrants", "GrantRevoked", log)
            grant_id = events.b32(r["grantId"])
            terms = out.get(grant_id)
            if terms is not None and terms.revoked_block is None:
                out[grant_id] = GrantTerms(
                    **{
                        **terms.__dict__,
                        "revoked_block": int(log["blockNumber"], 16),
                        "revoked_by": r["revokedBy"],
                    }
                )
    return out


# statuses the audit leaves to its own checks at the access's exact time and block (the status
# is read at the block before, whose clock and revocations may differ by one block)
_CHECKED_LOCALLY = {
    AccessStatus.LIVE,
    AccessStatus.REVOKED,
    AccessStatus.NOT_YET_VALID,
    AccessStatus.EXPIRED,
}


def statuses_before(chain: RpcChain, entries: list[TrailEntry]) -> dict[int, AccessStatus | None]:
    """``AccessGrants.accessStatus(terms, category, member)`` at the block before each access
    with a known grant, by entry index (None: the node keeps no state that old)."""
    wanted = [(i, e) for i, e in enumerate(entries) if e.grant is not None]
    out: dict[int, AccessStatus | None] = {}
    for start in range(0, len(wanted), 100):
        chunk = wanted[start : start + 100]
        calls = [
            (
                "eth_call",
                [
                    {
                        "to": chain.addresses.access_grants,
                        "data": call_data(
                            grant_tuple(e.grant.terms()),  # type: ignore[union-attr]
                            e.category,
                            e.member,
                        ),
                    },
                    hex(max(e.block - 1, 0)),
                ],
            )
            for _, e in chunk
        ]
        try:
            answers = chain.batch(calls)
        except RpcFailed:  # historical state pruned: one by one, None where missing
            answers = []
            for call in calls:
                try:
                    answers.append(chain.rpc(*call))
                except RpcFailed:
                    answers.append(None)
        for (i, _), answer in zip(chunk, answers, strict=True):
            out[i] = None if answer is None else decode_status(answer)
    return out


def _check(entry: TrailEntry, subject: str, status: AccessStatus | None = None) -> None:
    g = entry.grant
    if entry.grant_id == ZERO32:
        entry.problems.append("an open (no grant) access names a personal subject")
        return
    if g is None:
        entry.problems.append("no GrantCreated event for this grant id")
        return
    if g.subject.lower() != subject.lower():
        entry.problems.append(f"the grant is about {g.subject}")
    if g.grantee != entry.grantee:
        entry.problems.append("the grant names another grantee department")
    if g.owner != entry.owner:
        entry.problems.append("the grant names another owner department")
    if status is None:
        entry.problems.append("the access rule could not be evaluated at the access's block")
    elif status not in _CHECKED_LOCALLY:
        # the contract's own rule (accessStatus), not a copy: e.g. an owner-wide grant does
        # not cover a sensitive category or another owner's
        text = TEXTS[status].format_map(_Names(entry))
        entry.problems.append(f"the contract's rule refused it ({status.name}): {text}")
    if not g.valid_from <= entry.timestamp < g.valid_until:
        entry.problems.append("the access is outside the grant's validity window")
    if g.revoked_block is not None and g.revoked_block < entry.block:
        entry.problems.append(f"the grant was revoked at block {g.revoked_block}")


def access_trail(
    chain: RpcChain, subject: str, viewer_role: str = "subject", from_block: int = 0
) -> AccessTrail:
    """The subject's trail in chain order, each entry checked against its grant."""
    subject = to_checksum_address(subject)
    topics = ["0x" + ACCESS_RECORDED_TOPIC.hex(), topic_address(subject)]
    logs = get_logs(chain, chain.addresses.access_grants, topics, from_block)
    blocks = sorted({int(log["blockNumber"], 16) for log in logs})
    times: dict[int, int] = {}
    for start in range(0, len(blocks), 200):
        chunk = blocks[start : start + 200]
        found = chain.batch([("eth_getBlockByNumber", [hex(b), False]) for b in chunk])
        times.update({b: int(blk["timestamp"], 16) for b, blk in zip(chunk, found, strict=True)})
    records = [(parse_access_record(log), log) for log in logs]
    ids = sorted({r.grant_id for r, _ in records if r.grant_id != ZERO32})
    grants = grants_by_id(chain, ids, from_block)
    entries: list[TrailEntry] = []
    for rec, log in records:
        block = int(log["blockNumber"], 16)
        entry = TrailEntry(
            block=block,
            timestamp=times[block],
            tx_hash=str(log["transactionHash"]).lower(),
            member=rec.member,
            grantee=rec.grantee,
            owner=rec.owner,
            category=rec.category,
            purpose_hash=rec.purpose_hash,
            request_hash=rec.request_hash,
            grant_id=rec.grant_id,
            grant=grants.get(rec.grant_id),
        )
        entries.append(entry)
    statuses = statuses_before(chain, entries)
    for i, entry in enumerate(entries):
        _check(entry, subject, statuses.get(i))
    return AccessTrail(subject, viewer_role, entries)


class _Names(dict[str, str]):
    def __init__(self, entry: TrailEntry) -> None:
        super().__init__(
            grant=_hex(entry.grant_id),
            category=entry.category.rstrip(b"\0").decode("ascii", "replace"),
            member=entry.member,
            grantee=entry.grantee.rstrip(b"\0").decode("ascii", "replace"),
            subject=entry.grant.subject if entry.grant else "?",
        )
