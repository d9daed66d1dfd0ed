"""Objections (PIPL art. 46) answered from the index: filed, decided, withdrawn, overdue.

``ObjectionFiled`` rows are found through the extracted columns (``subject``; ``department``,
filled from the ``owner`` argument); their decisions (``ObjectionUpheld`` / ``ObjectionRejected``,
whose ``owner`` is the department column) through the department, and withdrawals
(``ObjectionWithdrawn``, which names the subject) through the subject, each matched to its
objection by the ``id`` argument. The index has no column of its own for an objection id, so a
lookup by owner reads that department's objection events (one index range each), not one row.

The state is the contract's rule over the indexed events: decided or withdrawn by the event
that closed it, else Overdue when ``now`` is past the deadline, else Open. ``now`` is the chain
time the caller reads (the index only knows block times); the index lags the chain by its
confirmations, so a decision in the last unindexed blocks is not seen yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govchain.indexer.queries import (
    Db,
    EventRow,
    _address,
    _names,
    _run,
    _select,
    _select_by_department,
    department_code,
)
from govchain.indexer.schema import events

CLOSING_STATE = {
    "ObjectionUpheld": "upheld",
    "ObjectionRejected": "rejected",
    "ObjectionWithdrawn": "withdrawn",
}


@dataclass(frozen=True)
class ObjectionRow:
    """An objection as the index knows it: its filing, and the event that closed it, if any."""

    id: str
    filed: EventRow
    closed: EventRow | None
    state: str  # open | overdue | upheld | rejected | withdrawn

    @property
    def deadline(self) -> int:
        return int(self.filed.args["deadline"])

    @property
    def subject(self) -> str:
        return str(self.filed.args["subject"])

    @property
    def owner(self) -> str:
        return str(self.filed.args["owner"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "subject": self.subject,
            "owner": self.owner,
            "deadline": self.deadline,
            "filed": self.filed.as_dict(),
            "closed": None if self.closed is None else self.closed.as_dict(),
        }


def objections_from_index(
    db: Db,
    now: int,
    *,
    subject: str | None = None,
    owner: str | bytes | None = None,
    chain_id: int | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[ObjectionRow]:
    """Objections filed (by ``subject`` and/or deciding department ``owner``), oldest first,
    with their state at chain time ``now``."""
    filed_names = _names("objection_filed", names)
    closing_names = _names("objection_closed", names)
    where = []
    if subject is not None:
        where.append(events.c.subject == _address(subject))
    if owner is not None:
        code = department_code(owner)
        filed = _run(db, _select_by_department(filed_names, code, where, chain_id, None, False))
        closing = _run(db, _select_by_department(closing_names, code, [], chain_id, None, False))
    else:
        filed = _run(db, _select([events.c.event.in_(filed_names), *where], chain_id, None, False))
        closing = _run(db, _select([events.c.event.in_(closing_names)], chain_id, None, False))
    # withdrawals name the subject, not the department
    subjects = sorted({str(f.args["subject"]) for f in filed})
    if owner is not None and subjects:
        withdrawn = [
            e
            for e in _run(
                db,
                _select(
                    [events.c.event.in_(closing_names), events.c.subject.in_(subjects)],
                    chain_id,
                    None,
                    False,
                ),
            )
            if e.event == "ObjectionWithdrawn"
        ]
        closing = [*closing, *withdrawn]
    closed_by: dict[str, EventRow] = {}
    for e in closing:
        closed_by.setdefault(str(e.args["id"]).lower(), e)
    out = []
    for f in filed:
        oid = str(f.args["id"]).lower()
        closed = closed_by.get(oid)
        if closed is not None:
            state = CLOSING_STATE.get(closed.event, closed.event)
        else:
            state = "overdue" if now > int(f.args["deadline"]) else "open"
        out.append(ObjectionRow(oid, f, closed, state))
    return out


def overdue_from_index(
    db: Db, now: int, *, owner: str | bytes | None = None, chain_id: int | None = None
) -> list[ObjectionRow]:
    """What ``govchain audit objections --index`` reports: open objections past their deadline."""
    rows = objections_from_index(db, now, owner=owner, chain_id=chain_id)
    return [r for r in rows if r.state == "overdue"]


__all__ = ["CLOSING_STATE", "ObjectionRow", "objections_from_index", "overdue_from_index"]
