"""Conditional-sharing requests awaiting my department: approve or reject (its APPROVERs).

Another department's staff files a request for this department's CONDITIONAL data
(``ShareRequests.file``); an APPROVER of the owner approves it into a grant (legal basis
OWNER_APPROVAL) or rejects it with a reason. The reason text stays with the portal; only its
salted commitment goes on chain (as for case comments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.approval.cases import Comment
from govchain.errors import ChainRefused, InvalidInput, NotFound
from govchain.portal.backend import ROLE_APPROVER
from govchain.portal.web import Forbidden
from govchain.sharing.base import hex0x, iso
from govchain.sharing.grants import ShareRequests
from govchain.sharing.purposes import Purpose
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

REASON_MAX = 500


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def approver(request: Request) -> tuple[Any, Any, str]:
        portal.account(request)
        problems, roles = portal.page_state(request)
        if roles is None or not roles.has(ROLE_APPROVER) or roles.department is None:
            raise Forbidden()
        return problems, roles, roles.department

    def page(request: Request, status: int = 200, error: str | None = None) -> Response:
        problems, roles, dept = approver(request)
        texts = backend.purpose_book().purposes()
        found = ShareRequests(backend.connection()).list_requests(owner=dept)
        rows = [
            {
                "id": hex0x(r.request_id),
                "grantee": r.terms.grantee,
                "categories": ", ".join(r.terms.categories),
                "purpose": _text(texts, hex0x(r.terms.purpose_hash)),
                "purpose_legacy": hex0x(r.terms.purpose_hash) in texts
                and texts[hex0x(r.terms.purpose_hash)].legacy,
                "purpose_hash": hex0x(r.terms.purpose_hash),
                "window": f"{iso(r.terms.valid_from)} .. {iso(r.terms.valid_until)}",
                "deadline": iso(r.terms.decision_deadline),
                "requester": r.requester,
                "status": r.status,
            }
            for r in found
        ]
        context = {
            "pending": [r for r in rows if r["status"] == "PENDING"],
            "decided": [r for r in rows if r["status"] != "PENDING"],
            "department": dept,
            "error": error,
        }
        return portal.render(request, "requests.html", context, status, problems, roles)

    @app.get("/dept/requests", response_class=HTMLResponse)
    def requests(request: Request) -> Response:
        return page(request)

    @app.post("/dept/requests/{req}", response_class=HTMLResponse)
    def decide(
        request: Request,
        req: str,
        csrf: str = Form(""),
        verdict: str = Form(""),
        reason: str = Form(""),
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        approver(request)
        if verdict not in ("approve", "reject") or len(reason) > REASON_MAX:
            return page(request, 400, "field.error")
        try:
            raw = bytes32(req, "request id")
        except InvalidInput:
            return page(request, 404, "error.not_found")
        client = ShareRequests(backend.connection(), backend.sender(account))
        try:
            if verdict == "approve":
                client.approve(raw)
            else:
                note = Comment.new(reason.strip())
                client.reject(raw, note.commitment)
                backend.keep_comment(raw, note.text, note.salt)
        except NotFound:
            return page(request, 404, "error.not_found")
        except ChainRefused as exc:
            return page(request, 400, str(exc))
        return RedirectResponse("/dept/requests", 303)


def _text(texts: dict[str, Purpose], digest: str) -> str | None:
    found = texts.get(digest)
    return found.text if found else None
