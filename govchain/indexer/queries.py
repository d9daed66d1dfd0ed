"""The questions auditors, inspectors and citizens ask, answered from the index.

Every query goes through the extracted, indexed columns (one index range scan each) and names
events only through :data:`QUERY_EVENTS`, so renaming an event in a contract is one edit here.
Rows come back in chain order (block, then log index) as :class:`EventRow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, exists, select
from sqlalchemy.sql.elements import ColumnElement

from govchain.indexer.abi import checksum
from govchain.indexer.errors import IndexerError
from govchain.indexer.schema import cursors, event_departments, events

#: query role -> event names (the lead adjusts these to the contracts' final names)
QUERY_EVENTS: dict[str, tuple[str, ...]] = {
    "access": ("AccessRecorded",),
    "grant_created": ("GrantCreated",),
    "grant_revoked": ("GrantRevoked",),
    "case_opened": ("CaseOpened",),
    "case_closed": ("CaseApproved", "CaseRejected", "CaseWithdrawn", "CaseExpired"),
    "attested": ("Attested",),
    "attestation_revoked": ("Revoked",),
    "anchors": ("RecordAnchored", "BatchAnchored", "FirstVersionPinned"),
    "objection_filed": ("ObjectionFiled",),
    "objection_closed": ("ObjectionUpheld", "ObjectionRejected", "ObjectionWithdrawn"),
}


@dataclass(frozen=True)
class EventRow:
    """One indexed event."""

    chain_id: int
    block_number: int
    log_index: int
    block_hash: str
    block_timestamp: int | None
    tx_hash: str
    contract: str
    address: str
    event: str
    args: dict[str, Any]
    subject: str | None
    department: str | None
    case_id: str | None
    grant_id: str | None
    attestation_uid: str | None
    category: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GrantRow:
    """A grant and, if it was revoked, the revocation."""

    grant_id: str
    created: EventRow
    revoked: EventRow | None

    @property
    def active(self) -> bool:
        """Not revoked (validity window and use limit are in ``created.args``)."""
        return self.revoked is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "grant_id": self.grant_id,
            "active": self.active,
            "created": self.created.as_dict(),
            "revoked": None if self.revoked is None else self.revoked.as_dict(),
        }


@dataclass(frozen=True)
class AttestationRow:
    """An attestation and, if it was revoked, the revocation."""

    uid: str
    attested: EventRow
    revoked: EventRow | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "revoked": self.revoked is not None,
            "attested": self.attested.as_dict(),
            "revocation": None if self.revoked is None else self.revoked.as_dict(),
        }


Db = Engine | Connection

_COLUMNS = [
    events.c.chain_id,
    events.c.block_number,
    events.c.log_index,
    events.c.block_hash,
    events.c.block_timestamp,
    events.c.tx_hash,
    events.c.contract,
    events.c.address,
    events.c.event,
    events.c.args,
    events.c.subject,
    events.c.department,
    events.c.case_id,
    events.c.grant_id,
    events.c.attestation_uid,
    events.c.category,
]


def _names(role: str, names: Mapping[str, Sequence[str]] | None) -> list[str]:
    table = QUERY_EVENTS if names is None else {**QUERY_EVENTS, **names}
    try:
        return list(table[role])
    except KeyError:
        raise IndexerError(f"no event names for query role {role!r}") from None


def _address(value: str) -> str:
    try:
        return checksum(value)
    except ValueError:
        raise IndexerError(f"invalid address {value!r}") from None


def _bytes32(value: str | bytes) -> str:
    if isinstance(value, bytes):
        if len(value) > 32:
            raise IndexerError(f"not a bytes32: {value!r}")
        return "0x" + value.ljust(32, b"\0").hex()
    text = value.lower()
    if not text.startswith("0x") or len(text) != 66:
        raise IndexerError(f"not a 0x-prefixed 32-byte hex value: {value!r}")
    return text


def department_code(value: str | bytes) -> str:
    """A department code as stored: bytes or a 0x hex bytes32 as is, else ASCII right-padded."""
    if isinstance(value, str) and not value.startswith("0x"):
        return _bytes32(value.encode())
    return _bytes32(value)


def _run(db: Db, query: Select[Any]) -> list[EventRow]:
    if isinstance(db, Engine):
        with db.connect() as conn:
            return _run(conn, query)
    return [EventRow(**row._asdict()) for row in db.execute(query)]


def _select(
    where: Sequence[ColumnElement[bool]],
    chain_id: int | None,
    limit: int | None,
    newest_first: bool,
) -> Select[Any]:
    clauses = list(where)
    if chain_id is not None:
        clauses.append(events.c.chain_id == chain_id)
    order = (events.c.block_number, events.c.log_index)
    query = select(*_COLUMNS).where(*clauses)
    query = query.order_by(*(c.desc() for c in order) if newest_first else order)
    return query.limit(limit) if limit is not None else query


def _select_by_department(
    role_names: list[str],
    department: str,
    where: Sequence[ColumnElement[bool]],
    chain_id: int | None,
    limit: int | None,
    newest_first: bool,
) -> Select[Any]:
    """Events of `role_names` linked to `department`, driven by the link table's index
    (department, event, block, log index) so a newest-first page stops after `limit` rows."""
    d = event_departments
    clauses = [d.c.department == department, d.c.event.in_(role_names), *where]
    if chain_id is not None:
        clauses.append(d.c.chain_id == chain_id)
    joined = d.join(
        events,
        and_(
            events.c.chain_id == d.c.chain_id,
            events.c.block_number == d.c.block_number,
            events.c.log_index == d.c.log_index,
        ),
    )
    order = (d.c.block_number, d.c.log_index)
    query = select(*_COLUMNS).select_from(joined).where(*clauses)
    query = query.order_by(*(c.desc() for c in order) if newest_first else order)
    return query.limit(limit) if limit is not None else query


# --- access trails ----------------------------------------------------------------------------


def access_by_subject(
    db: Db,
    subject: str,
    *,
    chain_id: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[EventRow]:
    """Every access record about `subject` (a citizen identity address)."""
    where = [events.c.subject == _address(subject), events.c.event.in_(_names("access", names))]
    return _run(db, _select(where, chain_id, limit, newest_first))


def access_by_department(
    db: Db,
    department: str | bytes,
    *,
    chain_id: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[EventRow]:
    """Every access record where `department` is the owner of the data or the grantee."""
    role = _names("access", names)
    code = department_code(department)
    return _run(db, _select_by_department(role, code, [], chain_id, limit, newest_first))


def access_by_grant(
    db: Db,
    grant_id: str | bytes,
    *,
    chain_id: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[EventRow]:
    """Every access record made under `grant_id`."""
    where = [events.c.grant_id == _bytes32(grant_id), events.c.event.in_(_names("access", names))]
    return _run(db, _select(where, chain_id, limit, newest_first))


# --- grants, cases, attestations, anchors -----------------------------------------------------


def grants_by_subject(
    db: Db,
    subject: str,
    *,
    chain_id: int | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[GrantRow]:
    """Every grant given about `subject`, each with its revocation if any."""
    created = _run(
        db,
        _select(
            [
                events.c.subject == _address(subject),
                events.c.event.in_(_names("grant_created", names)),
            ],
            chain_id,
            None,
            False,
        ),
    )
    revoked = _closing(
        db, "grant_id", [r.grant_id for r in created], "grant_revoked", chain_id, names
    )
    return [GrantRow(r.grant_id, r, revoked.get(r.grant_id)) for r in created if r.grant_id]


def open_cases_by_department(
    db: Db,
    department: str | bytes,
    *,
    chain_id: int | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[EventRow]:
    """Opening events of cases not yet closed (approved, rejected, withdrawn, expired) in which
    `department` takes part: accepting department, applicant, or a step of the route."""
    opened = _names("case_opened", names)
    closed = _names("case_closed", names)
    later = events.alias("closing")
    not_closed = ~exists().where(
        later.c.chain_id == events.c.chain_id,
        later.c.case_id == events.c.case_id,
        later.c.event.in_(closed),
    )
    code = department_code(department)
    return _run(db, _select_by_department(opened, code, [not_closed], chain_id, None, False))


def attestations_by_subject(
    db: Db,
    subject: str,
    *,
    chain_id: int | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[AttestationRow]:
    """Every attestation issued to `subject`, each with its revocation if any."""
    attested = _run(
        db,
        _select(
            [events.c.subject == _address(subject), events.c.event.in_(_names("attested", names))],
            chain_id,
            None,
            False,
        ),
    )
    uids = [r.attestation_uid for r in attested]
    revoked = _closing(db, "attestation_uid", uids, "attestation_revoked", chain_id, names)
    return [
        AttestationRow(r.attestation_uid, r, revoked.get(r.attestation_uid))
        for r in attested
        if r.attestation_uid
    ]


def anchors_by_department(
    db: Db,
    department: str | bytes,
    *,
    chain_id: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[EventRow]:
    """Every record and batch anchor published by `department` (the owner of the data)."""
    role = _names("anchors", names)
    code = department_code(department)
    return _run(db, _select_by_department(role, code, [], chain_id, limit, newest_first))


def events_of(
    db: Db,
    *,
    chain_id: int | None = None,
    contract: str | None = None,
    event: str | None = None,
    limit: int | None = None,
) -> list[EventRow]:
    """Indexed events, optionally of one contract and/or event name, in chain order."""
    where: list[ColumnElement[bool]] = []
    if contract is not None:
        where.append(events.c.contract == contract)
    if event is not None:
        where.append(events.c.event == event)
    return _run(db, _select(where, chain_id, limit, False))


def _closing(
    db: Db,
    column: str,
    ids: Sequence[str | None],
    role: str,
    chain_id: int | None,
    names: Mapping[str, Sequence[str]] | None,
) -> dict[str, EventRow]:
    """The first closing event (revocation) for each id."""
    wanted = sorted({i for i in ids if i})
    out: dict[str, EventRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        where = [events.c[column].in_(chunk), events.c.event.in_(_names(role, names))]
        for row in _run(db, _select(where, chain_id, None, False)):
            key = getattr(row, column)
            if key is not None:
                out.setdefault(key, row)
    return out


def chains_held(db: Db) -> list[int]:
    """The chain ids an index holds events of (its cursors'), in order. An index file synced
    against two chains must not mix them in one trail: the CLI and the portal ask this first
    (review s31/3 F2)."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            return chains_held(conn)
    return sorted(int(c) for c in db.execute(select(cursors.c.chain_id).distinct()).scalars())
