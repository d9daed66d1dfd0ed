"""Gas-free consent: the citizen signs, the grantee department relays (``grantBySignature``).

The citizen's portal signs the EIP-712 ``GrantConsent`` locally (:meth:`AccessGrants.sign_consent`:
nothing is sent, she pays nothing) and hands her a signed-consent file
(``govchain.GrantConsent/1``, the CLI's ``grant sign`` format, with the purpose text and its salt) to give to the
department by any channel (e-mail, the department's counter, a shared folder). A member of the
grantee department uploads the file in their own portal, reviews exactly what the citizen signed
(and whether the purpose text matches its hash), and relays it: the department's key pays the
``grantBySignature`` transaction. Until relayed, the citizen's consents page lists the signed
consent with its download link and a cancel button (``revokeByTerms`` from her key, which then
pays that one transaction: the signature can never be relayed afterwards).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound
from govchain.files import parse_json
from govchain.portal import citizen
from govchain.portal.backend import Backend, Roles
from govchain.portal.web import Forbidden
from govchain.sharing.base import hex0x, iso
from govchain.sharing.grants import AccessGrants, SignedConsent
from govchain.sharing.purposes import checked
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

#: how long the department has to relay a signed consent
RELAY_DAYS = 7
#: a signed-consent file is a few kilobytes; anything much larger is not one
MAX_FILE = 64 * 1024


def folder(backend: Backend) -> Path:
    """Where the citizen's portal keeps the consents she signed for relaying."""
    return backend.keystore.folder.parent / "portal" / "signed-consents"


def pending(backend: Backend) -> list[dict[str, Any]]:
    """Her signed consents not on chain yet (and not past their deadline)."""
    grants = AccessGrants(backend.connection())
    now = grants.now()
    out = []
    for path in sorted(folder(backend).glob("0x*.json")):
        try:
            consent = SignedConsent.read(path)
        except InvalidInput:
            continue
        if consent.deadline <= now or grants.state(consent.terms.grant_id).status != "NONE":
            continue
        out.append(summary(consent))
    return out


def summary(consent: SignedConsent) -> dict[str, Any]:
    t = consent.terms
    found = checked(t.purpose_hash, consent.purpose, consent.purpose_salt)
    text = found.text if found else None
    return {
        "id": hex0x(t.grant_id),
        "subject": t.subject,
        "signer": consent.signer,
        "grantee": t.grantee,
        "owner": t.owner,
        "categories": ", ".join(t.categories),
        "purpose": text,
        "purpose_given": consent.purpose,
        "purpose_hash": hex0x(t.purpose_hash),
        "purpose_legacy": bool(found and found.legacy),
        "window": f"{iso(t.valid_from)} .. {iso(t.valid_until)}",
        "max_uses": t.max_uses,
        "deadline": iso(consent.deadline),
    }


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    # --- the citizen signs ------------------------------------------------------------------

    @app.post("/me/consents/sign-only", response_class=HTMLResponse)
    def sign_only(
        request: Request,
        csrf: str = Form(""),
        grantee: str = Form(""),
        owner: str = Form(""),
        purpose: str = Form(""),
        items: list[str] = Form([]),  # noqa: B008 (FastAPI's way to read a repeated field)
        until: str = Form(""),
        max_uses: str = Form("0"),
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        form = citizen.ConsentForm(grantee, owner, purpose, list(items), until, max_uses)
        checked = form.check(
            backend.departments(), citizen.shareable_categories(backend), citizen._today(backend)
        )
        if checked is None:
            return portal.render(request, "message.html", {"message": "field.error"}, 400)
        end, uses = checked
        grants = AccessGrants(backend.connection())
        text = form.purpose.strip()
        digest, salt = backend.purpose_book().commit(text)
        now = grants.now()
        terms = citizen.consent_terms(form, backend.address, now, end, uses, hex0x(digest))
        try:
            signed = grants.sign_consent(terms, now + RELAY_DAYS * 86_400, account, text)
            consent = replace(signed, purpose_salt=salt)  # the file carries text and salt
        except (ChainRefused, InvalidInput, NotFound) as exc:
            return portal.render(request, "message.html", {"detail": str(exc)}, 400)
        target = folder(backend) / f"{hex0x(terms.grant_id)}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        consent.write(target)
        context = {"consent": summary(consent)}
        return portal.render(request, "consent_signed.html", context)

    @app.get("/me/consents/signed/{grant}.json")
    def download(request: Request, grant: str) -> Response:
        portal.account(request)
        try:
            name = hex0x(bytes32(grant, "grant id"))
        except InvalidInput:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        path = folder(backend) / f"{name}.json"
        if not path.is_file():
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        return Response(
            path.read_bytes(),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="consent-{name[:10]}.json"'},
        )

    @app.post("/me/consents/signed/{grant}/cancel", response_class=HTMLResponse)
    def cancel(request: Request, grant: str, csrf: str = Form("")) -> Response:
        """Cancel a signed consent before the department relays it (``revokeByTerms``, sent
        and paid by her key: the signature can then never be relayed)."""
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        try:
            path = folder(backend) / f"{hex0x(bytes32(grant, 'grant id'))}.json"
            consent = SignedConsent.read(path)
            sent = AccessGrants(backend.connection(), backend.sender(account)).cancel(consent)
        except InvalidInput:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        except ChainRefused as exc:
            return portal.render(request, "message.html", {"detail": str(exc)}, 400)
        path.unlink(missing_ok=True)
        return RedirectResponse(f"/me/consents?done=revoked&tx={sent.tx_hash}", 303)

    # --- the department relays --------------------------------------------------------------

    def member(request: Request) -> Roles:
        portal.account(request)
        _problems, roles = portal.page_state(request)
        if roles is None or not roles.active or roles.department is None:
            raise Forbidden()
        return roles

    def relay_page(
        request: Request, roles: Roles, error: str | None = None, done: str | None = None
    ) -> Response:
        context = {"error": error, "done": done, "department": roles.department}
        return portal.render(request, "relay.html", context, 400 if error else 200, roles=roles)

    @app.get("/dept/consents", response_class=HTMLResponse)
    def relay_form(request: Request, done: str = "") -> Response:
        roles = member(request)
        tx = done if done.startswith("0x") and len(done) == 66 else None
        return relay_page(request, roles, done=tx)

    def check(raw: str, roles: Roles) -> SignedConsent:
        """The uploaded consent, checked as far as can be before sending (InvalidInput)."""
        consent = SignedConsent.from_dict(parse_json(raw, "consent file", "upload"))
        if consent.terms.grantee != roles.department:
            raise InvalidInput(
                "consent", consent.terms.grantee, f"names another grantee than {roles.department}"
            )
        if consent.recover().lower() != consent.signer.lower():
            raise InvalidInput("consent", consent.signer, "the signature is not the signer's")
        return consent

    @app.post("/dept/consents/review", response_class=HTMLResponse)
    async def relay_review(
        request: Request, consent: UploadFile | None = None, csrf: str = Form("")
    ) -> Response:
        roles = member(request)
        portal.check_csrf(request, csrf)
        raw = await consent.read(MAX_FILE + 1) if consent is not None else b""
        if not raw:
            return relay_page(request, roles, "relay.no_file")
        if len(raw) > MAX_FILE:
            return relay_page(request, roles, "relay.too_large")
        text = raw.decode("utf-8", errors="replace")
        try:
            checked = check(text, roles)
        except InvalidInput as exc:
            return relay_page(request, roles, str(exc))
        context = {"consent": summary(checked), "raw": text}
        return portal.render(request, "relay_review.html", context, roles=roles)

    @app.post("/dept/consents/relay", response_class=HTMLResponse)
    def relay(request: Request, csrf: str = Form(""), raw: str = Form("")) -> Response:
        roles = member(request)
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        try:
            consent = check(raw, roles)
            created = AccessGrants(backend.connection(), backend.sender(account)).submit(consent)
        except (ChainRefused, InvalidInput, NotFound) as exc:
            return relay_page(request, roles, str(exc))
        except GovchainError as exc:
            return relay_page(request, roles, str(exc).splitlines()[0])
        if summary(consent)["purpose"]:  # the department keeps the words the citizen signed
            backend.purpose_book().add(consent.purpose, consent.purpose_salt)
        return RedirectResponse(f"/dept/consents?done={created.tx.tx_hash}", 303)
