"""Attestations: about me (my credit file), and the auditor's explorer (issuer, schema, subject).

Both read the event index: every ``Attested`` event and its ``Revoked`` if any. An attestation
holds only a salted commitment to its data on chain; the page shows the issuer department, the
attesting key, the schema, the validity (expiry) and revocation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine, select

from govchain.errors import InvalidInput
from govchain.indexer import QUERY_EVENTS, department_code
from govchain.indexer.schema import events
from govchain.portal.backend import ROLE_AUDITOR
from govchain.portal.timeline import _code
from govchain.portal.web import Forbidden
from govchain.timefmt import iso
from govchain.validate import address, bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

LIMIT = 500


def attestations(
    engine: Engine,
    *,
    subject: str | None = None,
    issuer: str | None = None,
    schema: str | None = None,
) -> list[dict[str, Any]]:
    """Attestations (newest first, at most LIMIT) with their revocation, from the index."""
    query = select(events).where(events.c.event.in_(QUERY_EVENTS["attested"]))
    if subject:
        query = query.where(events.c.subject == subject)
    if issuer:
        query = query.where(events.c.department == department_code(issuer))
    query = query.order_by(events.c.block_number.desc(), events.c.log_index.desc())
    now = int(datetime.now(UTC).timestamp())
    with engine.connect() as conn:
        rows = [
            r
            for r in conn.execute(query)
            if not schema or str(r.args.get("schema", "")).lower() == schema.lower()
        ][:LIMIT]
        uids = [r.attestation_uid for r in rows if r.attestation_uid]
        revoked = {
            r.attestation_uid: r
            for r in conn.execute(
                select(events).where(
                    events.c.attestation_uid.in_(uids),
                    events.c.event.in_(QUERY_EVENTS["attestation_revoked"]),
                )
            )
        }
    out = []
    for r in rows:
        expiry = int(r.args.get("expiry") or 0)
        gone = revoked.get(r.attestation_uid)
        if gone is not None:
            status = "revoked"
        elif expiry and expiry <= now:
            status = "expired"
        else:
            status = "valid"
        out.append(
            {
                "uid": r.attestation_uid,
                "subject": r.subject,
                "issuer": _code(r.args.get("department")),
                "attester": r.args.get("attester"),
                "schema": r.args.get("schema"),
                "expiry": _when(expiry) if expiry else None,
                "status": status,
                "revoked_by": gone.args.get("revoker") if gone is not None else None,
                "block": r.block_number,
                "tx": r.tx_hash,
            }
        )
    return out


def _when(ts: int) -> str:
    return iso(ts)


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def synced(request: Request) -> tuple[Any, Any]:
        portal.account(request)
        problems, roles = portal.page_state(request)
        index = backend.sync_index()
        if index is not None and not any(p.what == index.what for p in problems):
            problems.append(index)
        return problems, roles

    @app.get("/me/attestations", response_class=HTMLResponse)
    def mine(request: Request) -> Response:
        problems, roles = synced(request)
        found = attestations(backend.engine(), subject=backend.address)
        context = {"rows": found, "explorer": False, "errors": {}, "query": {}}
        return portal.render(request, "attestations.html", context, 200, problems, roles)

    @app.get("/audit/attestations", response_class=HTMLResponse)
    def explorer(
        request: Request, issuer: str = "", schema: str = "", subject: str = ""
    ) -> Response:
        problems, roles = synced(request)
        if roles is None or not roles.has(ROLE_AUDITOR):
            raise Forbidden()
        errors: dict[str, str] = {}
        chosen: dict[str, str | None] = {"issuer": None, "schema": None, "subject": None}
        if issuer.strip():
            code = issuer.strip().upper()
            if len(code) > 29 or not code.replace("_", "").isalnum():
                errors["issuer"] = "error.unknown_department"
            chosen["issuer"] = code
        for name, value, parse in (("schema", schema, bytes32), ("subject", subject, address)):
            if value.strip():
                try:
                    parsed = parse(value.strip())
                    chosen[name] = "0x" + parsed.hex() if isinstance(parsed, bytes) else parsed
                except InvalidInput:
                    errors[name] = "field.error"
        found = [] if errors else attestations(backend.engine(), **chosen)
        context = {
            "rows": found,
            "explorer": True,
            "errors": errors,
            "query": {"issuer": issuer, "schema": schema, "subject": subject},
        }
        status = 400 if errors else 200
        return portal.render(request, "attestations.html", context, status, problems, roles)
