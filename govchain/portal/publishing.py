"""Publishing (department member): records stored vs anchored, the last batch, failures.

Reads the department's own store (given with ``--store DEPT=URL|FILE``): how many records it
holds and how many are anchored on chain, per category; the newest Merkle batch; and the
outbox entries that failed or are still waiting (with their last error). Only members of the
store's department see it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from govchain.node.store import DONE, Batch, OutboxEntry, Record, Store
from govchain.portal.backend import Problem
from govchain.portal.web import Forbidden
from govchain.sharing.base import code_name
from govchain.timefmt import iso

if TYPE_CHECKING:
    from govchain.portal.web import Portal

FAILURES_SHOWN = 50


def summary(store: Store) -> dict[str, Any]:
    with store.session() as s:
        rows = s.execute(select(Record.category, Record.anchored)).all()
        counts: dict[str, dict[str, Any]] = {}
        for category, anchored in rows:
            entry = counts.setdefault(
                code_name(category), {"category": code_name(category), "stored": 0, "anchored": 0}
            )
            entry["stored"] += 1
            entry["anchored"] += 1 if anchored else 0
        per_category = sorted(counts.values(), key=lambda e: str(e["category"]))
        batch = s.scalars(select(Batch).order_by(Batch.id.desc()).limit(1)).first()
        waiting = s.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.state != DONE)
            .order_by(OutboxEntry.id.desc())
            .limit(FAILURES_SHOWN)
        ).all()
        return {
            "categories": per_category,
            "stored": sum(int(e["stored"]) for e in per_category),
            "anchored": sum(int(e["anchored"]) for e in per_category),
            "batch": None
            if batch is None
            else {
                "category": code_name(batch.category),
                "leaves": batch.leaf_count,
                "state": batch.state,
                "root": "0x" + batch.root.hex(),
                "tx": batch.tx_hash,
                "created": iso(_aware(batch.created_at).timestamp()),
            },
            "waiting": [
                {
                    "id": o.id,
                    "mode": o.mode,
                    "state": o.state,
                    "attempts": o.attempts,
                    "error": o.last_error,
                }
                for o in waiting
            ],
        }


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    @app.get("/dept/publishing", response_class=HTMLResponse)
    def publishing(request: Request) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        if roles is None or not roles.names or roles.department is None:
            raise Forbidden()
        stores = dict(backend.config.stores)
        url = stores.get(roles.department)
        found: dict[str, Any] | None = None
        if url is not None:
            store = Store(url)
            try:
                found = summary(store)
            except (SQLAlchemyError, OSError) as exc:
                problems.append(Problem(f"store {roles.department}", str(exc).splitlines()[0]))
            finally:
                store.dispose()
        context = {"summary": found, "department": roles.department, "has_store": url is not None}
        return portal.render(request, "publishing.html", context, 200, problems, roles)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back the stored UTC time without its zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
