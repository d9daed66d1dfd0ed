"""Offers (免申即享): the services departments offer me without applying, accepted with one
signature.

Every Active department with a data node is asked for my offers with a request signed by the
unlocked key (the SDK's :class:`~govchain.services.inbox.OfferInbox`, what ``govchain citizen
offers`` uses); each offer is sealed to my key and opened here. The page shows the service, the
benefit the department would attest, and what the consent covers in plain words: the rule's
requirements, each an attestation of a schema by named departments, no older than a limit
(read from the chain: :meth:`Rulebook.requirements_of`), with the exact consent text signed.

*Accept* signs one EIP-712 ``AcceptOffer`` here and leaves it at the department's node
(:meth:`OfferInbox.accept`); the department's relayer sends it and pays: the case is opened,
decided by the rule and the benefit issued in one transaction. Before signing, the portal asks
the chain what would refuse it, each as a form message: the offer withdrawn (the service or its
rule retired, or the node no longer lists it), the rule no longer met (no valid attestation for
a requirement: :meth:`Rulebook.evidence`), the benefit already granted
(``CaseApprovals.benefitOf``). Once relayed, the page shows the case and the benefit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.errors import GovchainError, NotFound
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import DEPARTMENT_ACTIVE, NodeRefused
from govchain.portal.backend import Backend, Problem
from govchain.services.catalog import Catalog
from govchain.services.inbox import HeldOffer, OfferInbox
from govchain.services.rulebook import Rulebook
from govchain.sharing.base import code_name
from govchain.timefmt import day

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from govchain.portal.web import Portal

ZERO32 = b"\0" * 32
DAY = 86_400


@dataclass(frozen=True)
class Listed:
    department: str
    code: bytes
    url: str
    held: HeldOffer


def inbox(backend: Backend, account: LocalAccount) -> OfferInbox:
    connection = backend.connection()
    addresses = ChainAddresses.from_names(
        {n: c.address for n, c in connection.deployment.contracts.items()}
    )
    chain = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
    return OfferInbox(chain, account)


def collect(me: OfferInbox, problems: list[Problem]) -> list[Listed]:
    """My offers at every Active department's node (a node that fails is a banner)."""
    out: list[Listed] = []
    for view in me.departments():
        if view.status != DEPARTMENT_ACTIVE or not view.endpoint:
            continue
        code = code_name(view.code)
        try:
            found = me.list_offers(view.endpoint, view.code)
        except GovchainError as exc:
            problems.append(Problem(f"node {code}", f"{view.endpoint}: {exc}"))
            continue
        out.extend(Listed(code, view.code, view.endpoint, held) for held in found)
    return out


def _when(ts: Any) -> str:
    try:
        return day(int(ts))
    except (TypeError, ValueError, OverflowError):
        return ""


def _short(value: str) -> str:
    return value[:10] + "…" if len(value) > 12 else value


def covers(book: Rulebook, rule: str) -> list[dict[str, Any]]:
    """The rule's requirements, for the plain-words list of what the consent covers."""
    try:
        _active, requirements = book.requirements_of(bytes.fromhex(rule[2:]))
    except (NotFound, ValueError):
        return []
    return [
        {
            "schema": "0x" + r.schema.hex(),
            "schema_short": _short("0x" + r.schema.hex()),
            "departments": " / ".join(code_name(d) for d in r.departments),
            "days": max(1, r.max_age // DAY),
        }
        for r in requirements
    ]


def benefit_of(backend: Backend, service: str, citizen: str) -> str | None:
    """The benefit attestation ``service`` issued to ``citizen``, if valid now."""
    connection = backend.connection()
    cases = connection.contract("CaseApprovals")
    uid = bytes(cases.functions.benefitOf(bytes.fromhex(service[2:]), citizen).call())
    if uid == ZERO32:
        return None
    valid = connection.contract("AttestationRegistry").functions.isValid(uid).call()
    return "0x" + uid.hex() if valid else None


def blocker(backend: Backend, offer: dict[str, Any], citizen: str) -> str | None:
    """What would refuse accepting ``offer`` now (a message key and detail), or None."""
    connection = backend.connection()
    try:
        service = Catalog(connection).by_id(bytes.fromhex(str(offer["serviceId"])[2:]))
    except NotFound:
        return "offers.withdrawn"
    book = Rulebook(connection)
    active, requirements = book.requirements_of(service.rule_id)
    if not service.active or not active:
        return "offers.withdrawn"
    if benefit_of(backend, str(offer["serviceId"]), citizen) is not None:
        return "offers.granted"
    try:
        book.evidence(citizen, requirements)
    except NotFound:
        return "offers.not_met"
    return None


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def page(
        request: Request,
        status: int = 200,
        error: str | None = None,
        error_offer: str = "",
        notice: str | None = None,
    ) -> Response:
        account = portal.account(request)
        problems, roles = portal.page_state(request)
        rows: list[dict[str, Any]] = []
        if not any(p.what == "chain" for p in problems):
            me = inbox(backend, account)
            book = Rulebook(backend.connection())
            for item in collect(me, problems):
                held, content = item.held, item.held.content or {}
                service_id = str(content.get("serviceId", ""))
                benefit = None
                if held.state == "accepted" and service_id:
                    benefit = benefit_of(backend, service_id, me.identity)
                rows.append(
                    {
                        "id": held.offer_id,
                        "department": item.department,
                        "service": content.get("service"),
                        "benefit_schema": _short(str(content.get("benefit", ""))),
                        "state": held.state,
                        "expires": _when(content.get("expires")),
                        "consent": content.get("consentText"),
                        "covers": covers(book, str(content["ruleId"])) if content else [],
                        "case": held.case_id,
                        "reason": held.reason,
                        "benefit": benefit,
                        "error": held.error,
                    }
                )
        if error and error_offer not in {r["id"] for r in rows}:
            error_offer = ""  # an offer no node lists: the message goes above the list
        context = {"offers": rows, "error": error, "error_offer": error_offer, "notice": notice}
        return portal.render(request, "offers.html", context, status, problems, roles)

    @app.get("/me/offers", response_class=HTMLResponse)
    def offers(request: Request, done: str = "") -> Response:
        return page(request, notice="offers.signed" if done == "signed" else None)

    @app.post("/me/offers/accept", response_class=HTMLResponse)
    def accept(request: Request, csrf: str = Form(""), offer: str = Form("")) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        me = inbox(backend, account)
        problems: list[Problem] = []
        found = [i for i in collect(me, problems) if i.held.offer_id == offer.lower()]
        if not found:
            return page(request, 400, "offers.withdrawn", offer)
        item = found[0]
        if item.held.content is None:
            return page(request, 400, "offers.unreadable", offer)
        if item.held.state != "offered":
            return page(request, 400, "offers.not_open", offer)
        refused = blocker(backend, item.held.content, me.identity)
        if refused is not None:
            return page(request, 400, refused, offer)
        try:
            me.accept(item.url, item.code, item.held.content)
        except NodeRefused as exc:
            key = "offers.withdrawn" if exc.reason == "offer_not_found" else "offers.not_open"
            return page(request, 400, key, offer)
        except (GovchainError, ValueError) as exc:
            return page(request, 400, str(exc).splitlines()[0], offer)
        return RedirectResponse("/me/offers?done=signed", 303)
