"""Citizen pages (我的数据): usage timeline, consents (give Myinfo-style, revoke), records.

Only the unlocked key's own identity is ever queried: the subject of every page is
``backend.address``; nothing in a URL or form chooses whose data is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound
from govchain.indexer.schema import events
from govchain.portal import timeline as tl
from govchain.portal.backend import Backend, Problem
from govchain.sharing.anchors import AnchorRegistry
from govchain.sharing.base import hex0x, iso
from govchain.sharing.catalog import LegalBasis, SharingClass
from govchain.sharing.grants import AccessGrants, GrantInfo, GrantTerms, new_nonce
from govchain.sharing.purposes import Purpose
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

PURPOSE_MAX = 200


def _date(text: str, errors: dict[str, str], name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = "error.invalid_date"
        return None


@dataclass
class ConsentForm:
    grantee: str = ""
    owner: str = ""
    purpose: str = ""
    items: list[str] = field(default_factory=list)
    until: str = ""
    max_uses: str = "0"
    errors: dict[str, str] = field(default_factory=dict)

    def check(
        self, departments: dict[str, str], categories: dict[str, str], today: date
    ) -> tuple[date, int] | None:
        """Fill ``errors`` (field -> message key); the window end and use limit when valid."""
        e = self.errors
        if self.grantee not in departments:
            e["grantee"] = "give.choose"
        if self.owner not in departments:
            e["owner"] = "give.choose"
        text = self.purpose.strip()
        if not text or len(text) > PURPOSE_MAX:
            e["purpose"] = "give.purpose_bad"
        if not self.items:
            e["items"] = "give.no_items"
        elif any(categories.get(item) != self.owner for item in self.items):
            e["items"] = "give.item_owner"
        until = _date(self.until, e, "until")
        if until is None and "until" not in e:
            e["until"] = "error.invalid_date"
        elif until is not None and until <= today:
            e["until"] = "give.until_past"
        try:
            uses = int(self.max_uses)
            if not 0 <= uses < 2**32:
                raise ValueError(uses)
        except ValueError:
            e["max_uses"] = "give.max_uses_bad"
            uses = 0
        if e or until is None:
            return None
        return until, uses


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    book = backend.purpose_book

    departments = backend.departments

    def shareable() -> dict[str, str]:
        return shareable_categories(backend)

    # --- usage timeline ---------------------------------------------------------------------

    def filters(since: str, until: str, department: str, errors: dict[str, str]) -> tl.Filters:
        start = _date(since, errors, "since")
        end = _date(until, errors, "until")
        if start and end and end < start:
            errors["until"] = "error.date_order"
        dept = department.strip().upper()
        if dept and (len(dept) > 29 or not dept.replace("_", "").isalnum()):
            errors["department"] = "error.unknown_department"
            dept = ""
        return tl.Filters(start, end, dept or None)

    @app.get("/me/timeline", response_class=HTMLResponse)
    def timeline(
        request: Request,
        since: str = "",
        until: str = "",
        department: str = "",
        page: str = "1",
    ) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        errors: dict[str, str] = {}
        chosen = filters(since, until, department, errors)
        try:
            number = max(1, int(page))
        except ValueError:
            number = 0
        if not 1 <= number <= tl.MAX_PAGE:  # past SQLite's integers too (review s31 F5)
            errors["page"] = "error.page"
            number = 1
        index_problem = backend.sync_index()
        if index_problem and not any(p.what == index_problem.what for p in problems):
            problems.append(index_problem)
        found = tl.Page([], number, False, 0)
        if not errors:
            try:
                found = tl.page(backend.engine(), backend.address, chosen, book().texts(), number)
            except GovchainError as exc:
                problems.append(Problem("index", str(exc)))
        pages = None if found.total is None else max(1, -(-found.total // tl.PER_PAGE))
        context = {
            "rows": found.rows,
            "total": found.total,
            "has_next": found.has_next,
            "number": number,
            "pages": pages,
            "since": since,
            "until": until,
            "department": department,
            "errors": errors,
            "departments": _safe(departments, problems),
            "legacy": book().legacy(),
        }
        status = 400 if errors else 200
        return portal.render(request, "timeline.html", context, status, problems, roles)

    @app.get("/me/timeline.csv")
    def timeline_csv(
        request: Request, since: str = "", until: str = "", department: str = ""
    ) -> Response:
        portal.account(request)
        errors: dict[str, str] = {}
        chosen = filters(since, until, department, errors)
        if errors:
            return RedirectResponse("/me/timeline", status_code=303)
        backend.sync_index()
        rows = tl.every(backend.engine(), backend.address, chosen, book().texts())
        return Response(
            tl.to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="my-data-use.csv"'},
        )

    # --- consents ---------------------------------------------------------------------------

    def consents_page(
        request: Request,
        form: ConsentForm,
        status: int = 200,
        notice: str | None = None,
        tx: str | None = None,
    ) -> Response:
        problems, roles = portal.page_state(request)
        grants: list[GrantInfo] = []
        depts: dict[str, str] = {}
        cats: dict[str, str] = {}
        waiting: list[dict[str, Any]] = []
        if not problems:
            grants = AccessGrants(backend.connection()).list_grants(subject=backend.address)
            depts, cats = departments(), shareable()
            from govchain.portal.relay import pending

            waiting = pending(backend)
        consents = [g for g in grants if g.terms.basis == LegalBasis.CONSENT]
        texts = book().purposes()
        context = {
            "live": [_grant(g, texts) for g in consents if g.status == "LIVE"],
            "ended": [_grant(g, texts) for g in consents if g.status != "LIVE"],
            "form": form,
            "pending": waiting,
            "departments": depts,
            "categories": cats,
            "notice": notice,
            "notice_tx": tx,
        }
        return portal.render(request, "consents.html", context, status, problems, roles)

    @app.get("/me/consents", response_class=HTMLResponse)
    def consents(request: Request, done: str = "", tx: str = "") -> Response:
        portal.account(request)
        notice = None
        if done in ("given", "revoked") and tx.startswith("0x") and len(tx) == 66:
            notice = f"consents.{done}"
        return consents_page(request, ConsentForm(), notice=notice, tx=tx if notice else None)

    def read_form(
        grantee: str, owner: str, purpose: str, items: list[str], until: str, max_uses: str
    ) -> ConsentForm:
        return ConsentForm(grantee, owner, purpose, list(items), until, max_uses)

    @app.post("/me/consents/review", response_class=HTMLResponse)
    def review(
        request: Request,
        csrf: str = Form(""),
        grantee: str = Form(""),
        owner: str = Form(""),
        purpose: str = Form(""),
        items: list[str] = Form([]),  # noqa: B008 (FastAPI's way to read a repeated field)
        until: str = Form(""),
        max_uses: str = Form("0"),
    ) -> Response:
        portal.account(request)
        portal.check_csrf(request, csrf)
        form = read_form(grantee, owner, purpose, items, until, max_uses)
        depts = departments()
        checked = form.check(depts, shareable(), _today(backend))
        if checked is None:
            return consents_page(request, form, 400)
        end, uses = checked
        context = {"form": form, "end": end.isoformat(), "uses": uses, "departments": depts}
        return portal.render(request, "consent_review.html", context)

    @app.post("/me/consents", response_class=HTMLResponse)
    def give(
        request: Request,
        csrf: str = Form(""),
        grantee: str = Form(""),
        owner: str = Form(""),
        purpose: str = Form(""),
        items: list[str] = Form([]),  # noqa: B008
        until: str = Form(""),
        max_uses: str = Form("0"),
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        form = read_form(grantee, owner, purpose, items, until, max_uses)
        client = AccessGrants(backend.connection(), backend.sender(account))
        checked = form.check(departments(), shareable(), _today(backend))
        if checked is None:
            return consents_page(request, form, 400)
        end, uses = checked
        digest, _salt = book().commit(form.purpose.strip())  # only the salted commitment signs
        terms = consent_terms(form, backend.address, client.now(), end, uses, hex0x(digest))
        try:
            created = client.give(terms)
        except (ChainRefused, InvalidInput, NotFound) as exc:
            form.errors["form"] = str(exc)
            return consents_page(request, form, 400)
        return RedirectResponse(f"/me/consents?done=given&tx={created.tx.tx_hash}", 303)

    def own_grant(grant: str) -> GrantInfo:
        try:
            raw = bytes32(grant)
        except InvalidInput:
            raise NotFound("grant", grant) from None
        info = AccessGrants(backend.connection()).info(raw)
        if info.terms.subject.lower() != backend.address.lower():
            raise NotFound("grant", grant)  # another person's grant does not exist for this key
        return info

    @app.get("/me/consents/{grant}/revoke", response_class=HTMLResponse)
    def revoke_confirm(request: Request, grant: str) -> Response:
        portal.account(request)
        try:
            info = own_grant(grant)
        except NotFound:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        context = {"grant": _grant(info, book().purposes())}
        return portal.render(request, "consent_revoke.html", context)

    @app.post("/me/consents/{grant}/revoke", response_class=HTMLResponse)
    def revoke(request: Request, grant: str, csrf: str = Form("")) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        try:
            info = own_grant(grant)
            tx = AccessGrants(backend.connection(), backend.sender(account)).revoke(info.grant_id)
        except NotFound:
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        except ChainRefused as exc:
            return portal.render(request, "message.html", {"detail": str(exc)}, 400)
        return RedirectResponse(f"/me/consents?done=revoked&tx={tx.tx_hash}", 303)

    # --- one on-chain record ----------------------------------------------------------------

    @app.get("/record/{tx}", response_class=HTMLResponse)
    def record(request: Request, tx: str) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        found: list[Any] = []
        if tx.startswith("0x") and len(tx) == 66:
            backend.sync_index()
            with backend.engine().connect() as conn:
                query = events.select().where(events.c.tx_hash == tx.lower())
                found = list(conn.execute(query.order_by(events.c.log_index)))
        # a citizen sees only events about herself; a department member or auditor sees all
        if roles is None or not roles.names:
            me = backend.address
            found = [r for r in found if r.subject in (None, me) and _mentions(r.args, me)]
        context = {"tx": tx, "events": found}
        return portal.render(request, "record.html", context, 200, problems, roles)


def shareable_categories(backend: Backend) -> dict[str, str]:
    """Category -> owner, for every category a consent may name (not NOT_SHARED)."""
    found = AnchorRegistry(backend.connection()).list_categories()
    return {c.code: c.owner for c in found if c.sharing != SharingClass.NOT_SHARED}


def consent_terms(
    form: ConsentForm, subject: str, now: int, end: date, uses: int, digest: str
) -> GrantTerms:
    """The CONSENT grant a checked form describes, from now to the end of its last day."""
    return GrantTerms(
        subject=subject,
        grantee=form.grantee,
        owner=form.owner,
        categories=tuple(dict.fromkeys(form.items)),
        purpose_hash=bytes32(digest),
        basis=LegalBasis.CONSENT,
        valid_from=now,
        valid_until=tl._epoch(end) + 86_399,
        max_uses=uses,
        nonce=new_nonce(),
    )


def _mentions(args: dict[str, Any], address: str) -> bool:
    return address.lower() in str(args).lower()


def _today(_backend: Any) -> date:
    return datetime.now(UTC).date()


def _safe(read: Any, problems: list[Problem]) -> dict[str, str]:
    if any(p.what == "chain" for p in problems):
        return {}
    try:
        result: dict[str, str] = read()
        return result
    except GovchainError as exc:
        problems.append(Problem("chain", str(exc)))
        return {}


def _grant(info: GrantInfo, texts: dict[str, Purpose]) -> dict[str, Any]:
    t = info.terms
    digest = hex0x(t.purpose_hash)
    known = texts.get(digest)
    return {
        "id": hex0x(info.grant_id),
        "grantee": t.grantee,
        "owner": t.owner,
        "categories": ", ".join(t.categories),
        "purpose": known.text if known else None,
        "purpose_legacy": bool(known and known.legacy),
        "purpose_hash": digest,
        "window": f"{iso(t.valid_from)} .. {iso(t.valid_until)}",
        "uses": f"{info.uses}" + (f" / {t.max_uses}" if t.max_uses else ""),
        "status": info.status,
        "tx": info.tx_hash,
    }
