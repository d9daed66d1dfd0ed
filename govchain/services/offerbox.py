"""The offering department's box of sealed offers (免申即享), kept beside its data node's store.

An offer is sensitive (eligibility derived from age, income or disability: PIPL art. 28), so
it never goes on chain. The eligibility watcher seals each offer with ECIES (eciespy) to the
citizen's published encryption key and stores the ciphertext here; the data node serves it to
the citizen on a request she signs (``govchain.node.offers``). The clear columns are what the
node needs to find and refuse: the offer id, the service, the citizen, the times and state.
The department's node operator therefore knows who was offered what (said in
docs/services.md); what the offer says is readable by the citizen's key only.

The ``offers`` table is part of the node's store schema (:data:`govchain.node.store.Base`),
created and upgraded by its Alembic revisions (``govchain/node/migrations``, 0002), not here.

``(service_id, citizen)`` is unique: at most one offer per citizen and service, whatever
re-runs or crashes of the watcher happen (each offer is one insert in its own transaction).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from govchain.node.migrate import upgrade
from govchain.node.store import Base, Store

metadata = Base.metadata

OFFERED = "offered"  # sealed and waiting for the citizen
SIGNED = "signed"  # she signed the acceptance; the department's relayer sends it
ACCEPTED = "accepted"  # the case is on chain (opened, rule-decided, benefit issued)
REFUSED = "refused"  # the chain refused the acceptance (e.g. a required attestation revoked)

offers = Table(
    "offers",
    metadata,
    Column("offer_id", String(66), primary_key=True),
    Column("service_id", String(66), nullable=False),
    Column("citizen", String(42), nullable=False, index=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("documents_hash", String(66), nullable=False),
    Column("step_deadline", BigInteger, nullable=False),
    Column("acceptance", Text),
    Column("case_id", String(66)),
    Column("reason", Text),
    UniqueConstraint("service_id", "citizen", name="uq_offers_service_citizen"),
)


@dataclass(frozen=True)
class StoredOffer:
    """One row of the box: clear routing columns and the sealed offer."""

    offer_id: str
    service_id: str
    citizen: str
    created_at: int
    expires_at: int
    state: str
    sealed: bytes
    documents_hash: str
    step_deadline: int
    acceptance: str | None
    case_id: str | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "offerId": self.offer_id,
            "serviceId": self.service_id,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
            "state": self.state,
            "caseId": self.case_id,
            "reason": self.reason,
        }


class OfferBox:
    """The ``offers`` table in a department's store (its URL, or its engine), brought to this
    code's schema revision first (:func:`govchain.node.migrate.upgrade`)."""

    def __init__(self, target: str | Engine) -> None:
        if isinstance(target, str):
            self.engine = Store(target).engine
        else:
            self.engine = target
            upgrade(target)

    @contextmanager
    def _begin(self, within: Connection | None = None) -> Iterator[Connection]:
        """A transaction of its own, or the caller's (``within``: a connection in a
        transaction the caller commits, e.g. the node's with the request's nonce)."""
        if within is not None:
            yield within
            return
        with self.engine.begin() as conn:
            yield conn

    def add(
        self,
        offer_id: str,
        service_id: str,
        citizen: str,
        expires_at: int,
        sealed: bytes,
        documents_hash: str,
        step_deadline: int,
    ) -> bool:
        """Store a sealed offer; False (and nothing written) if the citizen already has an
        offer of the service."""
        row = {
            "offer_id": offer_id,
            "service_id": service_id,
            "citizen": citizen,
            "created_at": int(time.time()),
            "expires_at": int(expires_at),
            "state": OFFERED,
            "sealed": sealed,
            "documents_hash": documents_hash,
            "step_deadline": int(step_deadline),
        }
        try:
            with self._begin() as conn:
                conn.execute(insert(offers).values(**row))
        except IntegrityError:
            return False
        return True

    def has(self, service_id: str, citizen: str) -> bool:
        with self._begin() as conn:
            query = select(offers.c.offer_id).where(
                offers.c.service_id == service_id, offers.c.citizen == citizen
            )
            return conn.execute(query).first() is not None

    def _rows(self, *where: Any, within: Connection | None = None) -> list[StoredOffer]:
        with self._begin(within) as conn:
            result = conn.execute(select(offers).where(*where).order_by(offers.c.created_at))
            return [StoredOffer(**dict(r._mapping)) for r in result]

    def of_citizen(self, citizen: str) -> list[StoredOffer]:
        return self._rows(offers.c.citizen == citizen)

    def get(self, offer_id: str, within: Connection | None = None) -> StoredOffer | None:
        found = self._rows(offers.c.offer_id == offer_id, within=within)
        return found[0] if found else None

    def all(self) -> list[StoredOffer]:
        return self._rows()

    def of_state(self, state: str) -> list[StoredOffer]:
        return self._rows(offers.c.state == state)

    def sign(self, offer_id: str, acceptance: str, within: Connection | None = None) -> bool:
        """Keep the citizen's signed acceptance of an open offer; False if it is not open
        (``within``: in the caller's transaction)."""
        with self._begin(within) as conn:
            done = conn.execute(
                update(offers)
                .where(offers.c.offer_id == offer_id, offers.c.state == OFFERED)
                .values(state=SIGNED, acceptance=acceptance)
            )
            return bool(done.rowcount)

    def settle(
        self, offer_id: str, state: str, case_id: str | None, reason: str | None = None
    ) -> None:
        """Record the outcome of relaying a signed acceptance."""
        with self._begin() as conn:
            conn.execute(
                update(offers)
                .where(offers.c.offer_id == offer_id)
                .values(state=state, case_id=case_id, reason=reason)
            )
