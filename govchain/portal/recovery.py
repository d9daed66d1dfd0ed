"""Recovery (citizen): my guardians, a pending recovery with its time lock, and cancel.

Reads ``CitizenRegistry`` through :class:`govchain.identity.citizens.Citizens`: the guardian
set (who, how many, the time lock), every recovery a guardian started in the current epoch
(its support and, once queued, when it may complete), and a queued owner or guardian change.
The owner cancels every pending recovery (``cancelRecovery``) or the queued change with one
signed transaction each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.errors import GovchainError
from govchain.identity.citizens import Citizens
from govchain.sharing.base import iso, logs

if TYPE_CHECKING:
    from govchain.portal.web import Portal


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def pending(citizens: Citizens) -> list[dict[str, Any]]:
        me = backend.address
        found = logs(citizens.connection, citizens.contract, "RecoveryApproved", {"identity": me})
        out = []
        for candidate in dict.fromkeys(str(e["args"]["newOwner"]) for e in found):
            status = citizens.recovery(me, candidate)
            if status.active:
                out.append(
                    {
                        "new_owner": status.new_owner,
                        "approvals": status.approvals,
                        "threshold": status.threshold,
                        "supporters": status.supporters,
                        "ready_at": iso(status.ready_at) if status.ready_at else None,
                    }
                )
        return out

    @app.get("/me/recovery", response_class=HTMLResponse)
    def recovery(request: Request, done: str = "") -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        context: dict[str, Any] = {"guardians": None, "pending": [], "queued": None, "done": done}
        if not any(p.what == "chain" for p in problems):
            citizens = Citizens(backend.connection())
            context["guardians"] = citizens.guardians(backend.address)
            context["pending"] = pending(citizens)
            queued = citizens.queued_change(backend.address)
            context["queued"] = (
                None if queued is None else queued.as_dict() | {"ready": iso(queued.ready_at)}
            )
        return portal.render(request, "recovery.html", context, 200, problems, roles)

    @app.post("/me/recovery/cancel", response_class=HTMLResponse)
    def cancel(request: Request, csrf: str = Form(""), what: str = Form("")) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        citizens = Citizens(backend.connection(), backend.sender(account))
        try:
            if what == "recovery":
                citizens.cancel_recovery()
            elif what == "queued":
                citizens.cancel_queued_change()
            else:
                return portal.render(request, "message.html", {"message": "field.error"}, 400)
        except GovchainError as exc:
            return portal.render(request, "message.html", {"detail": str(exc)}, 400)
        return RedirectResponse(f"/me/recovery?done={what}", 303)
