"""What a client reads about cases: a case's state and trail, list entries, sent
transactions, and the text forms of codes and times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes

from govchain import timefmt, tx, validate
from govchain.approval import CaseStatus, CaseTerms, Step

ZERO32 = b"\x00" * 32


def code_text(code: bytes) -> str:
    """A department code as text (``b"CIVIL\\0..."`` -> ``"CIVIL"``); hex if not printable."""
    raw = bytes(code).rstrip(b"\x00")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + bytes(code).hex()
    return text if text.isprintable() and text else "0x" + bytes(code).hex()


when = timefmt.iso  # the one time formatter (ISO 8601 in the chosen zone)


@dataclass(frozen=True)
class CaseEvent:
    """One event of a case's trail, its arguments made JSON-friendly."""

    name: str
    block: int
    tx_hash: str
    args: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.name, "block": self.block, "tx_hash": self.tx_hash, **self.args}


@dataclass(frozen=True)
class CaseState:
    """A case's stored state (``caseOf``), its terms (from ``CaseOpened``) and its events."""

    case_id: bytes
    status: CaseStatus
    current_step: int
    step_count: int
    approvals: int
    rejections: int
    opener: ChecksumAddress
    opened_at: int
    documents_hash: bytes
    outcome: bytes
    terms: CaseTerms
    history: tuple[CaseEvent, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    @property
    def open_step(self) -> Step:
        return self.terms.route[self.current_step]

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        return {
            "case_id": "0x" + self.case_id.hex(),
            "status": self.status.name.lower(),
            "current_step": self.current_step,
            "step_count": self.step_count,
            "approvals": self.approvals,
            "rejections": self.rejections,
            "opener": self.opener,
            "opened_at": self.opened_at,
            "documents_hash": "0x" + self.documents_hash.hex(),
            "outcome": "0x" + self.outcome.hex(),
            "accepting_department": code_text(t.accepting_department),
            "applicant_citizen": None if not int(t.applicant_citizen, 16) else t.applicant_citizen,
            "applicant_department": (
                None if t.applicant_department == ZERO32 else code_text(t.applicant_department)
            ),
            "schema": "0x" + t.schema.hex(),
            "attestation_expiry": t.attestation_expiry,
            "attestation_ref_uid": "0x" + t.attestation_ref_uid.hex(),
            "previous_case": "0x" + t.previous_case.hex(),
            "route": [
                {
                    "step": i,
                    "department": code_text(s.department),
                    "threshold": s.threshold,
                    "deadline": s.deadline,
                }
                for i, s in enumerate(t.route)
            ],
            "history": [e.as_dict() for e in self.history],
        }


@dataclass(frozen=True)
class CaseSummary:
    """A case as listed: id, terms and current status."""

    case_id: bytes
    opened_block: int
    opener: ChecksumAddress
    terms: CaseTerms
    status: CaseStatus
    current_step: int

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        applicant = (
            t.applicant_citizen
            if int(t.applicant_citizen, 16)
            else code_text(t.applicant_department)
        )
        step = t.route[min(self.current_step, len(t.route) - 1)]
        return {
            "case_id": "0x" + self.case_id.hex(),
            "status": self.status.name.lower(),
            "accepting_department": code_text(t.accepting_department),
            "applicant": applicant,
            "current_step": self.current_step,
            "step_department": code_text(step.department),
            "step_deadline": step.deadline,
            "route": [code_text(s.department) for s in t.route],
            "opened_block": self.opened_block,
            "opener": self.opener,
        }


@dataclass(frozen=True)
class Sent(tx.Sent):
    """A mined transaction of this client (the SDK's one result type) and the case it concerns."""

    case_id: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": "0x" + self.case_id.hex(), **super().as_dict()}


def plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def terms_from_event(raw: Any) -> CaseTerms:
    """``CaseTerms`` from the decoded ``terms`` argument of ``CaseOpened``."""
    values = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    route_raw = values[8]
    route = []
    for s in route_raw:
        parts = list(s.values()) if isinstance(s, Mapping) else list(s)
        route.append(Step(bytes(parts[0]), int(parts[1]), int(parts[2])))
    return CaseTerms(
        documents_hash=bytes(values[0]),
        accepting_department=bytes(values[1]),
        applicant_citizen=validate.address(values[2]),
        applicant_department=bytes(values[3]),
        schema=bytes(values[4]),
        attestation_expiry=int(values[5]),
        attestation_ref_uid=bytes(values[6]),
        previous_case=bytes(values[7]),
        route=tuple(route),
    )
