"""Department approver pages: the case inbox and the case page with the e-signature.

Built on :mod:`govchain.approval` (``Cases.list/state/sign/submit/decide``) so the typed
``Decision`` the portal shows and signs is the SDK's own. The flow: the case page offers
Approve/Reject with an optional comment; the next page shows the exact EIP-712 typed data
(domain, types, message) that will be signed; only the confirm button signs, and the portal
refuses if what the SDK signed differs from what was shown. A step whose threshold is 1 is
then submitted with that signature (``submitDecisions``); a step that needs more approvers
takes her decision as an on-chain vote (``decide``), unless the department's approvers share a
signatures folder (``--signatures DIR``): then each signs and the signatures are collected and
submitted together (:mod:`govchain.portal.cosign`).
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.approval import DECISION, CaseStatus, decision
from govchain.approval.cases import Cases, CaseState, Comment, code_text, when
from govchain.approval.messages import ANY_SIGNER
from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound
from govchain.portal import cosign
from govchain.portal.backend import ROLE_APPROVER, Roles
from govchain.portal.web import Forbidden
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

ZERO32 = b"\x00" * 32
COMMENT_MAX = 500


def _json(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def approver(request: Request) -> tuple[Roles, Any]:
        account = portal.account(request)
        problems, roles = portal.page_state(request)
        if roles is None or not roles.has(ROLE_APPROVER) or roles.department is None:
            raise Forbidden()
        return roles, (account, problems)

    def names() -> dict[str, str]:
        """Address -> keystore name for the keys this machine holds (signer names)."""
        out: dict[str, str] = {}
        for name in backend.keystore.names():
            with contextlib.suppress(GovchainError):  # an unreadable keystore has no name
                out[backend.keystore.show(name).address] = name
        return out

    def case_of(text: str) -> bytes:
        try:
            return bytes32(text, "case id")
        except InvalidInput:
            raise NotFound("case", text) from None

    def mine(state: CaseState, roles: Roles) -> bool:
        """Whether the case concerns the key's department (its inbox shows only those)."""
        t = state.terms
        dept = (roles.department or "").encode().ljust(32, b"\0")
        return dept in (t.accepting_department, t.applicant_department) or any(
            s.department == dept for s in t.route
        )

    @app.get("/dept/inbox", response_class=HTMLResponse)
    def inbox(request: Request) -> Response:
        roles, (_account, problems) = approver(request)
        dept = (roles.department or "").encode().ljust(32, b"\0")
        cases = Cases(backend.connection())
        rows = []
        for c in cases.list(awaiting=dept):
            step = c.terms.route[c.current_step]
            rows.append(
                {
                    "id": "0x" + c.case_id.hex(),
                    "accepting": code_text(c.terms.accepting_department),
                    "route": [code_text(s.department) for s in c.terms.route],
                    "step": c.current_step,
                    "deadline": when(step.deadline),
                    "voted": cases.has_voted(c.case_id, c.current_step, backend.address),
                }
            )
        context = {"cases": rows, "department": roles.department}
        return portal.render(request, "inbox.html", context, 200, problems, roles)

    def case_context(state: CaseState, cases: Cases) -> dict[str, Any]:
        known = names()
        route = []
        for i, s in enumerate(state.terms.route):
            if state.status == CaseStatus.APPROVED or i < state.current_step:
                progress = "done"
            elif i == state.current_step and state.is_open:
                progress = "open"
            elif i == state.current_step and state.status == CaseStatus.REJECTED:
                progress = "rejected"
            else:
                progress = "waiting"
            route.append(
                {
                    "department": code_text(s.department),
                    "threshold": s.threshold,
                    "deadline": when(s.deadline),
                    "progress": progress,
                }
            )
        decisions = []
        for e in state.history:
            if e.name not in ("StepDecided", "DecisionCast"):
                continue
            signers = e.args.get("signers") or [e.args.get("approver")]
            decisions.append(
                {
                    "event": e.name,
                    "step": e.args.get("step"),
                    "approve": e.args.get("approve"),
                    "signers": [(str(a), known.get(str(a), "")) for a in signers if a],
                    "block": e.block,
                    "tx": e.tx_hash,
                }
            )
        return {
            "case": state.as_dict(),
            "status": state.status.name,
            "route": route,
            "decisions": decisions,
            "events": [e.as_dict() for e in state.history],
            "can_decide": state.is_open,
            "opener_name": known.get(state.opener, ""),
        }

    @app.get("/dept/cases/{case}", response_class=HTMLResponse)
    def case_page(request: Request, case: str, done: str = "", signed: str = "") -> Response:
        roles, (_account, problems) = approver(request)
        cases = Cases(backend.connection())
        try:
            state = cases.state(case_of(case))
        except NotFound:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        if not mine(state, roles):
            raise Forbidden()
        context = case_context(state, cases)
        mine_open = state.is_open and state.open_step.department == _code(roles)
        if mine_open:
            context |= cosign.context(backend, cases, state, names())
        context["can_decide"] = mine_open and not context.get("i_signed")
        context["threshold"] = state.open_step.threshold if state.is_open else 0
        context["done"] = done if done.startswith("0x") and len(done) == 66 else None
        context["signed"] = signed == "1"
        return portal.render(request, "case.html", context, 200, problems, roles)

    def preview(cases: Cases, state: CaseState, approve: bool, comment: bytes) -> dict[str, Any]:
        """The exact EIP-712 typed data the SDK will sign for this decision: the one message
        every approver's key of the step signs (``signer`` zero; the key is who recovers)."""
        step = state.open_step
        message = decision(
            state.case_id, state.current_step, approve, comment, ANY_SIGNER, step.deadline
        )
        return DECISION.full_message(cases.domain, message)

    def decision_form(
        request: Request, case: str, verdict: str, comment: str
    ) -> tuple[Cases, CaseState, bool, Comment | None, dict[str, str]]:
        roles, _ = approver(request)
        errors: dict[str, str] = {}
        if verdict not in ("approve", "reject"):
            errors["verdict"] = "give.choose"
        if len(comment) > COMMENT_MAX:
            errors["comment"] = "case.comment_long"
        cases = Cases(backend.connection())
        state = cases.state(case_of(case))
        if (
            not mine(state, roles)
            or not state.is_open
            or state.open_step.department != _code(roles)
        ):
            raise Forbidden()
        note = Comment.new(comment.strip()) if comment.strip() else None
        return cases, state, verdict == "approve", note, errors

    @app.post("/dept/cases/{case}/review", response_class=HTMLResponse)
    def review(
        request: Request,
        case: str,
        csrf: str = Form(""),
        verdict: str = Form(""),
        comment: str = Form(""),
    ) -> Response:
        portal.check_csrf(request, csrf)
        cases, state, approve, note, errors = decision_form(request, case, verdict, comment)
        if errors:
            context = case_context(state, cases) | {"errors": errors, "can_decide": True}
            return portal.render(request, "case.html", context, 400)
        commitment = note.commitment if note else ZERO32
        typed = preview(cases, state, approve, commitment)
        context = {
            "case_id": "0x" + state.case_id.hex(),
            "verdict": verdict,
            "comment": note.text if note else "",
            "salt": "0x" + note.salt.hex() if note else "",
            "typed": json.dumps(_json(typed), indent=2, ensure_ascii=False),
            "digest": "0x" + DECISION.digest(cases.domain, typed["message"]).hex(),
            "threshold": state.open_step.threshold,
            "collecting": state.open_step.threshold > 1 and backend.config.signatures is not None,
        }
        return portal.render(request, "case_review.html", context)

    @app.post("/dept/cases/{case}/sign", response_class=HTMLResponse)
    def sign(
        request: Request,
        case: str,
        csrf: str = Form(""),
        verdict: str = Form(""),
        comment: str = Form(""),
        salt: str = Form(""),
        digest: str = Form(""),
    ) -> Response:
        portal.check_csrf(request, csrf)
        account = portal.account(request)
        cases, state, approve, _note, errors = decision_form(request, case, verdict, comment)
        if errors:
            return portal.render(request, "message.html", {"message": "field.error"}, 400)
        try:
            note = Comment.new(comment.strip(), bytes32(salt, "salt")) if comment.strip() else None
        except InvalidInput:
            return portal.render(request, "message.html", {"message": "field.error"}, 400)
        commitment = note.commitment if note else ZERO32
        typed = preview(cases, state, approve, commitment)
        shown = "0x" + DECISION.digest(cases.domain, typed["message"]).hex()
        if shown != digest:  # the case moved on since the review page: show it again
            return RedirectResponse(f"/dept/cases/{case}", 303)
        signing = Cases(backend.connection(), backend.sender(account))
        try:
            if state.open_step.threshold == 1:
                signed = signing.sign(account, state.case_id, approve, commitment)
                if "0x" + signed.digest().hex() != shown:
                    raise InvalidInput("decision", shown, "differs from the typed data shown")
                sent = signing.submit(state.case_id, [signed])
            elif backend.config.signatures is not None:  # collected across approvers' portals
                signed = signing.sign(account, state.case_id, approve, commitment)
                if "0x" + signed.digest().hex() != shown:
                    raise InvalidInput("decision", shown, "differs from the typed data shown")
                cosign.keep(backend.config.signatures, signed)
                if note is not None:
                    portal.backend.keep_comment(state.case_id, note.text, note.salt)
                return RedirectResponse(f"/dept/cases/{case}?signed=1", 303)
            else:
                sent = signing.decide(state.case_id, approve, commitment)
        except (ChainRefused, InvalidInput) as exc:
            return portal.render(request, "message.html", {"detail": str(exc)}, 400)
        if note is not None:
            portal.backend.keep_comment(state.case_id, note.text, note.salt)
        return RedirectResponse(f"/dept/cases/{case}?done={sent.tx_hash}", 303)


def _code(roles: Roles) -> bytes:
    return (roles.department or "").encode().ljust(32, b"\0")
