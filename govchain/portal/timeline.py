"""A citizen's usage timeline from the event index: who accessed her data, when, why, under what.

One page is two indexed queries: the access records about the subject (newest first, with the
date and department filters, ``LIMIT``/``OFFSET``) and the ``GrantCreated`` events of the grants
those records name (legal basis, purpose, window). The purpose is on chain only as a hash; its
text comes from the purpose book (purposes this portal signed or relayed, with their salts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, exists, func, select

from govchain import csvout
from govchain.indexer import QUERY_EVENTS, department_code
from govchain.indexer.schema import event_departments, events
from govchain.sharing.base import code_name
from govchain.sharing.catalog import LegalBasis
from govchain.sharing.purposes import purpose_key
from govchain.timefmt import iso

ZERO32 = "0x" + "00" * 32
PER_PAGE = 50
#: the last page number a link may ask for (50 events a page: more events than any chain holds)
MAX_PAGE = 10**9


def purpose_digest(text: str, salt: bytes | None = None) -> str:
    """The key the chain carries for ``text``: salted, or (no salt) a legacy unsalted hash."""
    return purpose_key(text, salt)


@dataclass(frozen=True)
class Access:
    time: int | None
    owner: str
    grantee: str
    member: str
    category: str
    purpose_hash: str
    purpose: str | None
    basis: str  # CONSENT, STATUTORY_DUTY, OWNER_APPROVAL, or OPEN (no grant)
    grant_id: str | None
    tx_hash: str
    block: int

    @property
    def when(self) -> str:
        if self.time is None:
            return "?"
        return iso(self.time)


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    department: str | None = None

    def where(self, subject: str) -> list[Any]:
        clauses: list[Any] = [
            events.c.subject == subject,
            events.c.event.in_(QUERY_EVENTS["access"]),
        ]
        if self.since is not None:
            clauses.append(events.c.block_timestamp >= _epoch(self.since))
        if self.until is not None:
            clauses.append(events.c.block_timestamp < _epoch(self.until) + 86_400)
        if self.department:
            d = event_departments
            clauses.append(
                exists(
                    select(d.c.department).where(
                        and_(
                            d.c.chain_id == events.c.chain_id,
                            d.c.block_number == events.c.block_number,
                            d.c.log_index == events.c.log_index,
                            d.c.department == department_code(self.department),
                        )
                    )
                )
            )
        return clauses


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _code(value: Any) -> str:
    text = str(value or "")
    return code_name(bytes.fromhex(text[2:])) if text.startswith("0x") else text


_ROW = (events.c.block_timestamp, events.c.block_number, events.c.tx_hash, events.c.args)


def _accesses(engine: Engine, query: Select[Any], texts: dict[str, str]) -> list[Access]:
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        grant_ids = sorted(
            {r.args.get("grantId") for r in rows if r.args.get("grantId", ZERO32) != ZERO32}
        )
        bases = _bases(conn, grant_ids)
    out = []
    for r in rows:
        a = r.args
        grant = a.get("grantId") if a.get("grantId", ZERO32) != ZERO32 else None
        purpose = str(a.get("purposeHash", ZERO32))
        out.append(
            Access(
                r.block_timestamp,
                _code(a.get("owner")),
                _code(a.get("grantee")),
                str(a.get("member", "")),
                _code(a.get("category")),
                purpose,
                texts.get(purpose),
                bases.get(grant, "?") if grant else "OPEN",
                grant,
                r.tx_hash,
                int(r.block_number),
            )
        )
    return out


def _bases(conn: Any, grant_ids: Sequence[str]) -> dict[str, str]:
    if not grant_ids:
        return {}
    query = select(events.c.grant_id, events.c.args).where(
        events.c.grant_id.in_(grant_ids), events.c.event.in_(QUERY_EVENTS["grant_created"])
    )
    return {row.grant_id: LegalBasis(int(row.args["basis"])).name for row in conn.execute(query)}


@dataclass(frozen=True)
class Page:
    rows: list[Access]
    number: int
    has_next: bool
    total: int | None  # counted only without filters (an index-only count); else None


def page(
    engine: Engine,
    subject: str,
    filters: Filters,
    texts: dict[str, str],
    number: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Page ``number`` (from 1) of the subject's accesses, newest first.

    One row more than the page is read to know whether a next page exists, so a filtered page
    stops scanning as soon as it is full; the total is counted only when nothing is filtered
    (then it is a count over the subject index alone, without reading the rows).
    """
    where = filters.where(subject)
    query = (
        select(*_ROW)
        .where(*where)
        .order_by(events.c.block_number.desc(), events.c.log_index.desc())
        .limit(per_page + 1)
        .offset((number - 1) * per_page)
    )
    rows = _accesses(engine, query, texts)
    total = None
    if filters == Filters():
        with engine.connect() as conn:
            count = select(func.count()).select_from(events).where(*where)
            total = int(conn.execute(count).scalar_one())
    return Page(rows[:per_page], number, len(rows) > per_page, total)


def every(engine: Engine, subject: str, filters: Filters, texts: dict[str, str]) -> list[Access]:
    query = (
        select(*_ROW)
        .where(*filters.where(subject))
        .order_by(events.c.block_number.desc(), events.c.log_index.desc())
    )
    return _accesses(engine, query, texts)


CSV_COLUMNS = (
    "time",
    "department",
    "official_key",
    "category",
    "data_held_by",
    "purpose",
    "purpose_hash",
    "legal_basis",
    "grant_id",
    "transaction",
    "block",
)


def to_csv(rows: Iterable[Access]) -> str:
    """The timeline as CSV (:mod:`govchain.csvout`: cells a spreadsheet opens as text)."""
    return csvout.table(
        CSV_COLUMNS,
        (
            [
                a.when,
                a.grantee,
                a.member,
                a.category,
                a.owner,
                a.purpose,
                a.purpose_hash,
                a.basis,
                a.grant_id,
                a.tx_hash,
                a.block,
            ]
            for a in rows
        ),
    )
