"""A citizen's usage timeline from the event index: who accessed her data, when, why, under what.

One page is two indexed queries: the access records about the subject (newest first, with the
date and department filters, ``LIMIT``/``OFFSET``) and the ``GrantCreated`` events of the grants
those records name (legal basis, purpose, window). The purpose is on chain only as a hash; its
text comes from the :class:`PurposeBook` (purposes this portal signed, and well-known ones).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import Engine, Select, and_, exists, func, select

from govchain.indexer import QUERY_EVENTS, department_code
from govchain.indexer.schema import event_departments, events
from govchain.sharing.base import code_name
from govchain.sharing.catalog import LegalBasis

ZERO32 = "0x" + "00" * 32
PER_PAGE = 50
#: purposes any portal knows by text (the reference scenario's case purpose)
KNOWN_PURPOSES = ("govchain.purpose:living-subsidy-case",)


def purpose_digest(text: str) -> str:
    return "0x" + keccak(text=text).hex()


class PurposeBook:
    """Purpose hash -> text, from what is known off chain.

    Sources: the purposes this user signed or relayed through the portal (a JSON file next to
    the keystore, ``<home>/portal/purposes.json``), :data:`KNOWN_PURPOSES`, and any files of
    purposes published off chain (``--purposes FILE``: a JSON list of texts, or an object
    hash -> text). A published text is taken only when its keccak256 is the hash it claims, so
    a wrong file cannot put words on someone else's grant. Anything else shows as "purpose
    text not provided" beside its hash.
    """

    def __init__(self, path: Path, published: Sequence[Path] = ()) -> None:
        self.path = path
        self.published = tuple(published)
        self._known = {purpose_digest(t): t for t in KNOWN_PURPOSES}

    def _read(self) -> dict[str, str]:
        return _texts(self.path)

    def add(self, text: str) -> str:
        digest = purpose_digest(text)
        book = self._read()
        book[digest] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(book, ensure_ascii=False, indent=1), encoding="utf-8")
        return digest

    def texts(self) -> dict[str, str]:
        found = dict(self._known)
        for path in self.published:
            found.update(_texts(path))
        return {**found, **self._read()}


def _texts(path: Path) -> dict[str, str]:
    """The purpose texts in a JSON file whose hashes match (an unreadable file gives none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(data, list):
        return {purpose_digest(str(t)): str(t) for t in data if isinstance(t, str)}
    if not isinstance(data, dict):
        return {}
    out = {}
    for digest, text in data.items():
        if isinstance(text, str) and purpose_digest(text) == str(digest).lower():
            out[str(digest).lower()] = text
    return out


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
        return datetime.fromtimestamp(self.time, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


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
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for a in rows:
        writer.writerow(
            [
                a.when,
                a.grantee,
                a.member,
                a.category,
                a.owner,
                a.purpose or "",
                a.purpose_hash,
                a.basis,
                a.grant_id or "",
                a.tx_hash,
                a.block,
            ]
        )
    return out.getvalue()
