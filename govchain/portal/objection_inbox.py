"""Objections, the owner department's and the auditor's side.

Approvers of the department that owns the target get an inbox (``/dept/objections``): pending
objections, overdue first, then by deadline; decided ones below. On an objection's page an
approver reads the citizen's reason from the department's own node (a request they sign; the
text is accepted only if it hashes to the commitment on chain) and signs a decision: uphold
(an attestation must be revoked first, a record's corrected version anchored and named) or
reject with a reason. A decision needs ``ObjectionRegistry.SIGNATURES`` approvers' EIP-712
``ObjectionDecision`` signatures (k of n), collected like the case co-signatures
(:mod:`govchain.portal.cosign`): each approver's portal signs (the SDK's
:meth:`Objections.sign_uphold` / :meth:`~Objections.sign_reject` / :meth:`~Objections.cosign`)
and drops the ``govchain.objection.decision/1`` file into ``<--signatures DIR>/objections``;
every approver's page reads the folder back, keeps signatures of this objection that recover to
the approver they name, who is an active APPROVER of the owner, before their deadline, and
groups them by the decision signed. Once a group holds k, any of them submits it in one
transaction (:meth:`Objections.decide`); a rejection's text then goes to the citizen through
the department's node. The auditor's page (``/audit/objections``) lists overdue objections from
the event index (what ``govchain audit objections --index`` reports).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils.crypto import keccak
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound
from govchain.identity.base import hex32, iso_time
from govchain.indexer.objections import overdue_from_index
from govchain.portal.backend import ROLE_APPROVER, ROLE_AUDITOR, Backend, Problem
from govchain.portal.objections import endpoint, row, texts
from govchain.portal.web import Forbidden
from govchain.services.objection_decisions import OBJECTION_DECISION, SignedDecision
from govchain.services.objection_keys import subject_key
from govchain.services.objections import Objection, Objections, ObjectionState
from govchain.sharing.base import Departments, code_name
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

REASON_MAX = 2000
#: how long an approver's signature stays usable for the collection (seconds)
SIGNATURE_VALIDITY = 3 * 86_400


def folder(backend: Backend) -> Path | None:
    shared = backend.config.signatures
    return None if shared is None else shared / "objections"


@dataclass(frozen=True)
class Group:
    """Signatures of one and the same decision of one objection."""

    key: str
    decisions: tuple[SignedDecision, ...]

    @property
    def first(self) -> SignedDecision:
        return self.decisions[0]

    @property
    def signers(self) -> list[str]:
        return [d.signer for d in self.decisions]


def collected(
    backend: Backend, client: Objections, found: Objection, unreadable: list[str] | None = None
) -> list[Group]:
    """The valid signatures in the shared folder for ``found``, grouped by decision; the names of
    its files that are not signed decisions at all go to ``unreadable``, for the page to name."""
    shared = folder(backend)
    if shared is None or found.state not in (ObjectionState.OPEN, ObjectionState.OVERDUE):
        return []
    members = Departments(backend.connection())
    now = client.now()
    groups: dict[str, dict[str, SignedDecision]] = {}
    for path in sorted(shared.glob(f"{hex32(found.id)}-*.json")):
        try:
            signed = SignedDecision.load(path)  # read_json: nested or not JSON is InvalidInput
        except InvalidInput:
            if unreadable is not None:
                unreadable.append(path.name)
            continue
        if signed.objection != found.id or signed.deadline <= now:
            continue
        if _recovered(client, signed) != signed.signer:
            continue
        with contextlib.suppress(GovchainError, ValueError):
            if members.is_active_member(signed.signer, found.owner, ROLE_APPROVER):
                groups.setdefault(_key(signed), {})[signed.signer] = signed
    out = [Group(k, tuple(v.values())) for k, v in groups.items()]
    return sorted(out, key=lambda g: -len(g.decisions))


def _recovered(client: Objections, signed: SignedDecision) -> str:
    try:
        return OBJECTION_DECISION.recover(client.domain, signed.message(), signed.signature)
    except (ValueError, TypeError):
        return ""


def _key(signed: SignedDecision) -> str:
    objection, uphold, version, commitment, deadline = signed.decision()
    text = f"{objection.hex()}:{int(uphold)}:{version}:{commitment.hex()}:{deadline}"
    return "0x" + keccak(text=text).hex()[:16]


def save(backend: Backend, signed: SignedDecision) -> None:
    shared = folder(backend)
    assert shared is not None
    shared.mkdir(parents=True, exist_ok=True)
    path = shared / f"{hex32(signed.objection)}-{signed.signer}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(signed.as_dict(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)  # readers never see half a file


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def approver(request: Request) -> tuple[list[Problem], Any, bytes]:
        portal.account(request)
        problems, roles = portal.page_state(request)
        if roles is None or not roles.has(ROLE_APPROVER) or roles.department is None:
            raise Forbidden()
        return problems, roles, roles.department.encode().ljust(32, b"\0")

    @app.get("/dept/objections", response_class=HTMLResponse)
    def inbox(request: Request) -> Response:
        problems, roles, dept = approver(request)
        found = Objections(backend.connection()).find(owner=dept)
        pending = [o for o in found if o.state in (ObjectionState.OPEN, ObjectionState.OVERDUE)]
        pending.sort(key=lambda o: (o.state != ObjectionState.OVERDUE, o.deadline))
        decided = [o for o in found if o not in pending]
        context = {
            "pending": [row(o, {}) for o in pending],
            "decided": [row(o, {}) for o in reversed(decided)],
        }
        return portal.render(request, "objection_inbox.html", context, 200, problems, roles)

    def detail(
        request: Request,
        objection: str,
        status: int = 200,
        errors: dict[str, str] | None = None,
        reason: str | None = None,
        notice: str | None = None,
        extra: list[Problem] | None = None,
    ) -> Response:
        problems, roles, dept = approver(request)
        problems += extra or []
        client = Objections(backend.connection())
        try:
            found = client.get(bytes32(objection, "objection id"))
        except (InvalidInput, NotFound):
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        if found.owner != dept:
            raise Forbidden()
        unreadable: list[str] = []
        groups = collected(backend, client, found, unreadable)
        need = client.signatures_needed
        context = {
            "unreadable": unreadable,
            "o": row(found, {}),
            "reason": reason,
            "errors": errors or {},
            "notice": notice,
            "open": found.state in (ObjectionState.OPEN, ObjectionState.OVERDUE),
            "collecting": folder(backend) is not None,
            "need": need,
            "groups": [
                {
                    "key": g.key,
                    "uphold": g.first.uphold,
                    "version": g.first.corrected_version,
                    "reason": g.first.reason,
                    "signers": g.signers,
                    "count": len(g.decisions),
                    "ready": len(g.decisions) >= need,
                    "mine": backend.address in g.signers,
                }
                for g in groups
            ],
        }
        return portal.render(request, "objection_decide.html", context, status, problems, roles)

    @app.get("/dept/objections/{objection}", response_class=HTMLResponse)
    def show(request: Request, objection: str, done: str = "") -> Response:
        notice = {"signed": "objections.signed", "decided": "objections.decided"}.get(done)
        return detail(request, objection, notice=notice)

    @app.post("/dept/objections/{objection}/read", response_class=HTMLResponse)
    def read(request: Request, objection: str, csrf: str = Form("")) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        _problems, _roles, dept = approver(request)
        try:
            found = Objections(backend.connection()).get(bytes32(objection, "objection id"))
        except (InvalidInput, NotFound):
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        url = endpoint(backend, dept)
        if found.owner != dept or url is None:
            return detail(request, objection, 400, {"read": "objections.no_node"})
        try:
            got = texts(backend, account).read(url, dept, found.id, found.reason_commitment)
        except GovchainError as exc:
            problem = Problem(f"node {code_name(dept)}", str(exc).splitlines()[0])
            return detail(request, objection, 502, extra=[problem])
        return detail(request, objection, reason=got.text)

    @app.post("/dept/objections/{objection}/sign", response_class=HTMLResponse)
    def sign(
        request: Request,
        objection: str,
        csrf: str = Form(""),
        verdict: str = Form(""),
        reason: str = Form(""),
        version: str = Form(""),
        like: str = Form(""),
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        _problems, _roles, dept = approver(request)
        if folder(backend) is None:
            return detail(request, objection, 400, {"form": "objections.no_folder"})
        client = Objections(backend.connection())
        errors: dict[str, str] = {}
        try:
            found = client.get(bytes32(objection, "objection id"))
        except (InvalidInput, NotFound):
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        if found.owner != dept:
            raise Forbidden()
        try:
            until = client.now() + SIGNATURE_VALIDITY
            if like:
                chosen = [g for g in collected(backend, client, found) if g.key == like]
                if not chosen:
                    return detail(request, objection, 400, {"form": "objections.group_gone"})
                signed = client.cosign(account, chosen[0].first)
            elif verdict == "uphold":
                number = 0
                if version.strip():
                    number = int(version)
                signed = client.sign_uphold(account, found.id, number, until)
            elif verdict == "reject":
                text = reason.strip()
                if not text or len(text) > REASON_MAX:
                    return detail(request, objection, 400, {"reason": "objections.reason_bad"})
                signed = client.sign_reject(account, found.id, text, until)
            else:
                errors["form"] = "objections.choose"
                return detail(request, objection, 400, errors)
        except ValueError:
            return detail(request, objection, 400, {"version": "objections.version_bad"})
        except (ChainRefused, InvalidInput, NotFound) as exc:
            return detail(request, objection, 400, {"form": str(exc)})
        save(backend, signed)
        return RedirectResponse(f"/dept/objections/{hex32(found.id)}?done=signed", 303)

    @app.post("/dept/objections/{objection}/submit", response_class=HTMLResponse)
    def submit(
        request: Request, objection: str, csrf: str = Form(""), group: str = Form("")
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        _problems, _roles, dept = approver(request)
        client = Objections(backend.connection(), backend.sender(account))
        try:
            found = client.get(bytes32(objection, "objection id"))
        except (InvalidInput, NotFound):
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        if found.owner != dept:
            raise Forbidden()
        need = client.signatures_needed
        chosen = [g for g in collected(backend, client, found) if g.key == group]
        if not chosen or len(chosen[0].decisions) < need:
            return detail(request, objection, 400, {"form": "objections.group_gone"})
        decisions = list(chosen[0].decisions[:need])
        try:
            client.decide(decisions)
        except (ChainRefused, InvalidInput) as exc:
            return detail(request, objection, 400, {"form": str(exc)})
        first = decisions[0]
        url = endpoint(backend, dept)
        if not first.uphold and first.reason and first.salt and url:
            try:  # the rejection's reason goes to the citizen through our node, sealed to her
                recipients = subject_key(backend.connection(), found.subject)
                texts(backend, account).post(
                    url, dept, found.id, first.reason, first.salt, recipients, rejection=True
                )
            except GovchainError as exc:
                problem = Problem(f"node {code_name(dept)}", str(exc).splitlines()[0])
                return detail(request, objection, 200, extra=[problem], notice="objections.decided")
        return RedirectResponse(f"/dept/objections/{hex32(found.id)}?done=decided", 303)

    @app.get("/audit/objections", response_class=HTMLResponse)
    def overdue(request: Request) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        if roles is None or not roles.has(ROLE_AUDITOR):
            raise Forbidden()
        index = backend.sync_index()
        if index is not None and not any(p.what == index.what for p in problems):
            problems.append(index)
        connection = backend.connection()
        now = int(connection.w3.eth.get_block("latest")["timestamp"])
        found = overdue_from_index(backend.engine(), now, chain_id=connection.chain_id)
        rows = [
            {
                "id": r.id,
                "subject": r.subject,
                "owner": code_name(bytes.fromhex(r.owner[2:])),
                "deadline": iso_time(r.deadline),
                "days": max(0, (now - r.deadline) // 86_400),
            }
            for r in sorted(found, key=lambda r: r.deadline)
        ]
        context = {"rows": rows}
        return portal.render(request, "objections_overdue.html", context, 200, problems, roles)
