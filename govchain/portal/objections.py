"""Objections (PIPL art. 46), the citizen's side: file one, follow it, read a rejection's reason.

A citizen objects to an attestation about her or to an anchored record. The SDK
(:class:`~govchain.services.objections.Objections`, what ``govchain objection file`` uses) puts
on chain only the target, a deadline and the salted commitment ``keccak256(salt ‖ reason)``;
the reason and its salt are kept here (``<home>/portal/objections/<id>.json``, the CLI's format)
and sent to the owner department's data node with a request she signs
(:class:`~govchain.node.objection_texts.ObjectionTextClient`). Her list shows each objection's
status (the contract's own view: open, overdue, upheld, rejected, withdrawn), deadline and the
decision; a rejection's reason is read from the owner's node and accepted only if it hashes to
the commitment on chain. The approvers' inbox is :mod:`govchain.portal.objection_inbox`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound
from govchain.identity.base import ZERO32, hex32, iso_time
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.objection_texts import ObjectionTextClient
from govchain.portal import attestations as att
from govchain.portal.backend import Backend, Problem
from govchain.services.objection_keys import approver_keys
from govchain.services.objections import Objection, Objections, ObjectionState
from govchain.sharing.anchors import record_id
from govchain.sharing.base import code_name
from govchain.sharing.catalog import category_code
from govchain.validate import bytes32

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from govchain.portal.web import Portal

REASON_MAX = 2000


def reader(backend: Backend) -> RpcChain:
    connection = backend.connection()
    addresses = ChainAddresses.from_names(
        {n: c.address for n, c in connection.deployment.contracts.items()}
    )
    return RpcChain(connection.url, addresses, chain_id=connection.chain_id)


def texts(backend: Backend, account: LocalAccount) -> ObjectionTextClient:
    return ObjectionTextClient(reader(backend), account)


def endpoint(backend: Backend, owner: bytes) -> str | None:
    """The data node the owner department registered on chain (None if none)."""
    view = backend.connection().contract("DepartmentRegistry").functions.department(owner).call()
    return str(view[4]) or None


def notes_folder(backend: Backend) -> Path:
    return backend.keystore.folder.parent / "portal" / "objections"


def kept(backend: Backend, objection: bytes) -> dict[str, Any]:
    path = notes_folder(backend) / f"{hex32(objection)}.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def keep(backend: Backend, objection: bytes, field: str, note: dict[str, Any]) -> None:
    """Keep a text, its salt and commitment beside the objection (the holder's own copy)."""
    folder = notes_folder(backend)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hex32(objection)}.json"
    data = kept(backend, objection)
    data[field] = {**data.get(field, {}), **note}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    path.chmod(0o600)


def send_reason(backend: Backend, account: LocalAccount, found: Objection) -> str | None:
    """Send the kept reason to the owner's node; None when done, else why not."""
    note = kept(backend, found.id).get("reason")
    if note is None:
        return "objections.no_note"
    url = endpoint(backend, found.owner)
    if url is None:
        return "objections.no_node"
    salt = bytes.fromhex(str(note["salt"])[2:])
    try:  # sealed here to each active approver of the owner who published a key
        recipients = approver_keys(backend.connection(), found.owner)
        texts(backend, account).post(
            url, found.owner, found.id, str(note["text"]), salt, recipients
        )
    except GovchainError as exc:
        return str(exc).splitlines()[0]
    keep(backend, found.id, "reason", {"sent": True})
    return None


def row(o: Objection, note: dict[str, Any]) -> dict[str, Any]:
    record = o.category != ZERO32
    return {
        "id": hex32(o.id),
        "kind": "record" if record else "attestation",
        "target": hex32(o.target),
        "category": code_name(o.category) if record else None,
        "version": o.version,
        "owner": code_name(o.owner),
        "state": o.state.label,
        "filed": iso_time(o.filed_at),
        "deadline": iso_time(o.deadline),
        "deadline_ts": o.deadline,
        "subject": o.subject,
        "signers": list(o.signers),
        "decision_tx": o.decision_tx,
        "corrected_version": o.corrected_version,
        "reason": (note.get("reason") or {}).get("text"),
        "reason_sent": bool((note.get("reason") or {}).get("sent")),
        "rejection": (note.get("rejection") or {}).get("text"),
        "rejected": o.state == ObjectionState.REJECTED,
    }


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def page(
        request: Request,
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        notice: str | None = None,
        extra: list[Problem] | None = None,
    ) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        problems += extra or []
        rows: list[dict[str, Any]] = []
        targets: list[dict[str, Any]] = []
        if not any(p.what == "chain" for p in problems):
            found = Objections(backend.connection()).find(subject=backend.address)
            rows = [row(o, kept(backend, o.id)) for o in reversed(found)]
            index = backend.sync_index()
            if index is not None and not any(p.what == index.what for p in problems):
                problems.append(index)  # the index as it stands: still offered to choose from
            targets = [
                a
                for a in att.attestations(backend.engine(), subject=backend.address)
                if a["status"] == "valid"
            ]
        context = {
            "objections": rows,
            "targets": targets,
            "errors": errors or {},
            "form": form or {},
            "notice": notice,
        }
        return portal.render(request, "objections.html", context, status, problems, roles)

    @app.get("/me/objections", response_class=HTMLResponse)
    def mine(request: Request, category: str = "", record: str = "", done: str = "") -> Response:
        notice = "objections.filed_done" if done == "filed" else None
        return page(request, form={"category": category, "record": record}, notice=notice)

    @app.post("/me/objections", response_class=HTMLResponse)
    def file(
        request: Request,
        csrf: str = Form(""),
        kind: str = Form(""),
        attestation: str = Form(""),
        category: str = Form(""),
        record: str = Form(""),
        reason: str = Form(""),
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        form = {"kind": kind, "attestation": attestation, "category": category, "record": record}
        form["reason"] = reason
        errors: dict[str, str] = {}
        text = reason.strip()
        if not text or len(text) > REASON_MAX:
            errors["reason"] = "objections.reason_bad"
        uid = cat = rid = None
        if kind == "attestation":
            try:
                uid = bytes32(attestation, "attestation uid")
            except InvalidInput:
                errors["attestation"] = "objections.choose"
        elif kind == "record":
            try:
                cat = category_code(category.strip())
            except ValueError:
                errors["category"] = "objections.category_bad"
            if not record.strip():
                errors["record"] = "objections.record_bad"
            else:
                rid = record_id(record.strip())
        else:
            errors["kind"] = "objections.choose"
        if errors:
            return page(request, 400, errors, form)
        client = Objections(backend.connection(), backend.sender(account))
        try:
            if uid is not None:
                made = client.file_attestation(backend.address, uid, text)
            else:
                assert cat is not None and rid is not None
                made = client.file_record(backend.address, cat, rid, text)
        except (ChainRefused, InvalidInput, NotFound) as exc:
            errors["form"] = str(exc)
            return page(request, 400, errors, form)
        note = {"text": text, "salt": hex32(made.salt), "commitment": hex32(made.commitment)}
        keep(backend, made.id, "reason", note)
        problem = send_reason(backend, account, Objections(backend.connection()).get(made.id))
        if problem is not None:  # filed on chain; the reason waits here for "send again"
            extra = [Problem("node", problem)]
            return page(request, 200, notice="objections.filed_done", extra=extra)
        return RedirectResponse("/me/objections?done=filed", 303)

    def own(objection: str) -> Objection:
        try:
            found = Objections(backend.connection()).get(bytes32(objection, "objection id"))
        except InvalidInput:
            raise NotFound("objection", objection) from None
        if found.subject != backend.address:
            raise NotFound("objection", objection)  # another person's objection does not exist
        return found

    @app.post("/me/objections/{objection}/send", response_class=HTMLResponse)
    def resend(request: Request, objection: str, csrf: str = Form("")) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        try:
            found = own(objection)
        except NotFound:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        problem = send_reason(backend, account, found)
        if problem is not None:
            return page(request, 502, extra=[Problem(f"node {code_name(found.owner)}", problem)])
        return RedirectResponse("/me/objections", 303)

    @app.post("/me/objections/{objection}/rejection", response_class=HTMLResponse)
    def rejection(request: Request, objection: str, csrf: str = Form("")) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        try:
            found = own(objection)
        except NotFound:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        url = endpoint(backend, found.owner)
        if found.rejection_commitment is None or url is None:
            return page(request, 400, {"form": "objections.no_rejection"})
        try:
            got = texts(backend, account).read(
                url, found.owner, found.id, found.rejection_commitment, rejection=True
            )
        except GovchainError as exc:
            problem = Problem(f"node {code_name(found.owner)}", str(exc).splitlines()[0])
            return page(request, 502, extra=[problem])
        note = {"text": got.text, "salt": hex32(got.salt), "commitment": hex32(got.commitment)}
        keep(backend, found.id, "rejection", note)
        return RedirectResponse("/me/objections", 303)

    from govchain.portal import objection_inbox

    objection_inbox.register(app, portal)
