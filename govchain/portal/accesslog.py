"""Data nodes' JSON-lines access logs: what a node served, refused or failed, read back.

The chain refuses an access under a revoked or expired grant without an event, so the only
trace of the attempt is the data node's access log (written by the node's middleware; the
format is the one agreed in briefs/shared-contracts.md): one JSON object per line with at least
``time`` (ISO 8601 UTC), ``event`` ("request"), ``path``, ``status`` (HTTP), ``outcome``
("served" | "refused" | "error"), ``reason`` (a refusal code of
:data:`govchain.node.protocol.REFUSALS`, or null), ``signer``, ``grant``, ``category`` (0x or
null) and ``duration_ms``. Lines that are not such an object (a torn last line, another event,
a line nested past the parser's recursion limit) are counted as skipped, never fatal: the
auditor's pages show how many (an insider may hide something behind them). Nothing here writes a log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govchain.errors import InvalidInput
from govchain.files import parse_json

OUTCOMES = ("served", "refused", "error")
#: refusals that mean "an access was attempted under a grant that no longer holds"
ENDED_GRANT = ("grant_revoked", "grant_expired")


@dataclass(frozen=True)
class LogEntry:
    """One request line of a node's access log."""

    time: str
    path: str
    status: int
    outcome: str
    reason: str | None
    signer: str | None
    grant: str | None
    category: str | None

    @classmethod
    def parse(cls, line: str) -> LogEntry | None:
        """The entry on ``line``, or None when the line is not a request record."""
        try:
            data = parse_json(line, "access log line", "", expect=dict, fractions=True)
        except InvalidInput:  # not JSON, nested past the parser's limit, not an object
            return None
        if data.get("event") != "request":
            return None
        outcome = data.get("outcome")
        if outcome not in OUTCOMES:
            return None
        raw = data.get("status") or 0
        if isinstance(raw, float) and not raw.is_integer():  # 403.5 is not a status
            return None
        try:
            status = int(raw)
        except (TypeError, ValueError):  # parse_json refused 1e400/NaN: no OverflowError
            return None
        return cls(
            time=str(data.get("time") or ""),
            path=str(data.get("path") or ""),
            status=status,
            outcome=str(outcome),
            reason=_text(data.get("reason")),
            signer=_text(data.get("signer")),
            grant=_text(data.get("grant")),
            category=_text(data.get("category")),
        )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


@dataclass(frozen=True)
class Refusal:
    """Refusals of one reason to one signer at one node, grouped."""

    department: str  # the node's department (whose data was asked for)
    reason: str
    signer: str | None
    count: int
    last: str  # the latest time
    grants: tuple[str, ...]


@dataclass
class NodeLog:
    """One node's access log, summarised: counts by outcome, refusals grouped, skipped lines."""

    department: str
    source: str
    outcomes: Counter[str] = field(default_factory=Counter)
    refusals: list[Refusal] = field(default_factory=list)
    refused_by_signer: Counter[str] = field(default_factory=Counter)
    skipped: int = 0

    @property
    def refused(self) -> int:
        return self.outcomes["refused"]

    @property
    def errors(self) -> int:
        return self.outcomes["error"]

    @property
    def served(self) -> int:
        return self.outcomes["served"]


def summarise(department: str, source: str, lines: Iterable[str]) -> NodeLog:
    """Count a node's request lines by outcome and group its refusals by (reason, signer)."""
    log = NodeLog(department, source)
    groups: dict[tuple[str, str | None], list[LogEntry]] = {}
    for line in lines:
        if not line.strip():
            continue
        entry = LogEntry.parse(line)
        if entry is None:
            log.skipped += 1
            continue
        log.outcomes[entry.outcome] += 1
        if entry.outcome == "refused":
            reason = entry.reason or "unknown"
            groups.setdefault((reason, entry.signer), []).append(entry)
            if entry.signer:
                log.refused_by_signer[entry.signer] += 1
    for (reason, signer), found in groups.items():
        grants = tuple(dict.fromkeys(e.grant for e in found if e.grant))
        log.refusals.append(
            Refusal(department, reason, signer, len(found), max(e.time for e in found), grants)
        )
    # attempts under ended grants first, then by how often
    log.refusals.sort(key=lambda r: (r.reason not in ENDED_GRANT, -r.count, r.reason))
    return log


def read(department: str, path: str | Path) -> NodeLog:
    """Summarise the access log at ``path`` (OSError when it cannot be read)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return summarise(department, str(path), handle)
