"""What the tamper audit reports: its statuses, one :class:`Finding` per record that is not
``ok``, and the :class:`TamperReport` of a department's store (see :mod:`govchain.audit.tamper`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

OK, ALTERED, MISSING, NOT_ANCHORED, PENDING_STATUS, UNVERIFIED, REANCHORED = (
    "ok",
    "altered",
    "missing",
    "not_anchored",
    "pending",
    "unverified",
    "reanchored",
)
STATUSES = (OK, ALTERED, MISSING, NOT_ANCHORED, PENDING_STATUS, UNVERIFIED, REANCHORED)
PROBLEMS = (ALTERED, MISSING, NOT_ANCHORED, UNVERIFIED, REANCHORED)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Finding:
    """One record (or batch leaf) that is not ``ok``."""

    status: str
    category: bytes
    record_id: bytes | None  # None for a missing batch leaf (the chain keeps only the root)
    version: int | None
    reason: str
    row: int | None = None  # the store's primary key
    batch_root: bytes | None = None
    leaf_index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("category", "record_id", "batch_root"):
            if out[key] is not None:
                out[key] = "0x" + out[key].hex()
        return out


@dataclass
class TamperReport:
    department: bytes
    records: int = 0  # rows of the store checked
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems(self) -> int:
        return sum(self.counts[s] for s in PROBLEMS)

    @property
    def clean(self) -> bool:
        return self.problems == 0

    def add(self, finding: Finding) -> None:
        self.counts[finding.status] += 1
        self.findings.append(finding)

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": "0x" + self.department.hex(),
            "records": self.records,
            "counts": dict(self.counts),
            "problems": self.problems,
            "clean": self.clean,
            "findings": [f.as_dict() for f in self.findings],
            "seconds": round(self.seconds, 3),
        }
