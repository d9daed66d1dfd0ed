"""Misuse audit: every release in a data node's serve log must match an on-chain access record.

A node releases a record to another department only after the requester recorded the access on
chain (``AccessGrants.AccessRecorded``, whose ``requestHash`` is the signed request's EIP-712
digest). The audit reads the node's serve log (:class:`govchain.node.store.ServeLogEntry`) and
every ``AccessRecorded`` event whose owner is the department, and reports each ``grant`` release
that has no access record with that request hash, or whose record disagrees with the release
(another member, grant, category, grantee, subject or transaction). A citizen fetching their own
data (``subject`` releases) needs no access record; those are counted, not judged.

Access records with no release are listed as ``recorded_not_served`` for information: a member
may record an access and then not fetch (or fetch from a node that failed) — not misuse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from govchain.audit.chainlog import get_logs, topic32
from govchain.node.chain import (
    ACCESS_RECORDED_TOPIC,
    ZERO32,
    ZERO_ADDRESS,
    AccessRecord,
    RpcChain,
    parse_access_record,
)
from govchain.node.store import ServeLogEntry, Store

NO_RECORD = "no_record"
MISMATCH = "mismatch"


@dataclass(frozen=True)
class Recorded:
    record: AccessRecord
    tx_hash: str
    block: int


def read_access_records(
    chain: RpcChain, owner: bytes, from_block: int = 0
) -> dict[bytes, Recorded]:
    """``requestHash`` -> the ``AccessRecorded`` event, for every access to ``owner``'s data."""
    topics = ["0x" + ACCESS_RECORDED_TOPIC.hex(), None, topic32(owner)]
    out: dict[bytes, Recorded] = {}
    for log in get_logs(chain, chain.addresses.access_grants, topics, from_block):
        record = parse_access_record(log)
        out.setdefault(
            record.request_hash,
            Recorded(record, str(log["transactionHash"]).lower(), int(log["blockNumber"], 16)),
        )
    return out


@dataclass(frozen=True)
class Release:
    """One serve-log row judged a misuse."""

    kind: str  # NO_RECORD | MISMATCH
    reason: str
    log_id: int
    served_at: datetime
    requester: str
    department: bytes | None
    grant_id: bytes | None
    access_tx: str | None
    request_hash: bytes
    category: bytes
    record_id: bytes
    version: int
    subject: str | None

    def as_dict(self) -> dict[str, Any]:
        def hx(value: bytes | None) -> str | None:
            return None if value is None else "0x" + value.hex()

        return {
            "kind": self.kind,
            "reason": self.reason,
            "log_id": self.log_id,
            "served_at": self.served_at.isoformat(),
            "requester": self.requester,
            "department": hx(self.department),
            "grant_id": hx(self.grant_id),
            "access_tx": self.access_tx,
            "request_hash": hx(self.request_hash),
            "category": hx(self.category),
            "record_id": hx(self.record_id),
            "version": self.version,
            "subject": self.subject,
        }


@dataclass
class MisuseReport:
    department: bytes
    releases: int = 0  # serve-log rows read
    matched: int = 0  # grant releases with a matching access record
    own_data: int = 0  # a citizen's releases of their own data (no record needed)
    misuses: list[Release] = field(default_factory=list)
    recorded_not_served: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.misuses

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": "0x" + self.department.hex(),
            "releases": self.releases,
            "matched": self.matched,
            "own_data": self.own_data,
            "misuses": [m.as_dict() for m in self.misuses],
            "recorded_not_served": self.recorded_not_served,
            "clean": self.clean,
            "seconds": round(self.seconds, 3),
        }


def _mismatch(entry: ServeLogEntry, recorded: Recorded, owner: bytes) -> str | None:
    rec = recorded.record
    subject = (entry.subject or ZERO_ADDRESS).lower()
    if rec.member.lower() != entry.requester.lower():
        return f"the access was recorded by {rec.member}, the data released to {entry.requester}"
    if rec.owner != owner:
        return "the access record is for another owner department"
    if entry.department is not None and rec.grantee != entry.department:
        return "the access record names another grantee department"
    if rec.grant_id != (entry.grant_id or ZERO32):
        return f"the access record is under grant 0x{rec.grant_id.hex()}"
    if rec.category != entry.category:
        return "the access record is for another category"
    if rec.grant_id != ZERO32 and rec.subject.lower() != subject:
        return f"the access record is about {rec.subject}, the record about {entry.subject}"
    if entry.access_tx and entry.access_tx.lower() != recorded.tx_hash:
        return f"the access was recorded in {recorded.tx_hash}, the node logged {entry.access_tx}"
    return None


def audit_serve_log(
    store: Store, records: dict[bytes, Recorded], department: bytes
) -> MisuseReport:
    """Compares the serve log of ``store`` with ``records`` (see the module notes)."""
    started = time.perf_counter()
    report = MisuseReport(department)
    served: set[bytes] = set()
    with store.session() as s:
        for entry in s.scalars(select(ServeLogEntry).order_by(ServeLogEntry.id)):
            report.releases += 1
            if entry.kind == "subject":
                report.own_data += 1
                continue
            served.add(entry.request_hash)
            recorded = records.get(entry.request_hash)
            if recorded is None:
                kind, reason = NO_RECORD, "no on-chain access record has this request hash"
            else:
                problem = _mismatch(entry, recorded, department)
                if problem is None:
                    report.matched += 1
                    continue
                kind, reason = MISMATCH, problem
            report.misuses.append(
                Release(
                    kind,
                    reason,
                    entry.id,
                    entry.served_at,
                    entry.requester,
                    entry.department,
                    entry.grant_id,
                    entry.access_tx,
                    entry.request_hash,
                    entry.category,
                    entry.record_id,
                    entry.version,
                    entry.subject,
                )
            )
    for request_hash, recorded in records.items():
        if request_hash not in served:
            rec = recorded.record
            report.recorded_not_served.append(
                {
                    "request_hash": "0x" + request_hash.hex(),
                    "member": rec.member,
                    "grantee": "0x" + rec.grantee.hex(),
                    "category": "0x" + rec.category.hex(),
                    "tx_hash": recorded.tx_hash,
                    "block": recorded.block,
                }
            )
    report.seconds = time.perf_counter() - started
    return report


def audit_misuse(
    store: Store, chain: RpcChain, department: bytes, from_block: int = 0
) -> MisuseReport:
    """Reads the department's access records from the chain and judges its serve log."""
    started = time.perf_counter()
    report = audit_serve_log(store, read_access_records(chain, department, from_block), department)
    report.seconds = time.perf_counter() - started
    return report
