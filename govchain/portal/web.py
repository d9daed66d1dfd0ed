"""The FastAPI application: sessions, CSRF, security headers, language, banners, error pages.

One portal process serves one key. Every visitor gets a session (a random cookie, HttpOnly,
SameSite=Strict, its name this process's own) with a CSRF token derived from the cookie; after
the login form, a new session kept here holds the decrypted key, and forgets it once idle longer
than the configured minutes. Requests for another host name, requests another site or another program's page started,
bodies over :data:`~govchain.portal.guard.MAX_BODY` and fast passphrase guesses are refused
first (:mod:`govchain.portal.guard`). Every response carries a
Content-Security-Policy that allows scripts, styles and images only from the portal itself
(no inline script anywhere). A form error is shown beside its field; a refusal by the chain is
shown as the SDK's plain sentence; nothing the user types can produce a traceback or a 500 page.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware

from govchain.errors import WrongPassphrase
from govchain.indexer.errors import IndexerError
from govchain.portal import guard
from govchain.portal.backend import CHAIN_ERRORS, Backend, Problem, Roles
from govchain.portal.i18n import LANGUAGES, pick_language, translate
from govchain.sharing.base import code_name

log = logging.getLogger(__name__)

COOKIE = "govchain_portal"  # + this process's own suffix: two portals never share a cookie
#: kept sessions that lost their key idle (to tell her so) at most; the oldest go first
MAX_SESSIONS = 1000
SWEEP_SECONDS = 1.0
#: a cookie this portal could have issued (``secrets.token_urlsafe(32)``)
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # the portal's own addresses to itself only; and its own forms then say their Origin (with
    # no-referrer a browser sends "Origin: null" even to the same origin)
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Session:
    token: str
    csrf: str
    last_seen: float
    account: LocalAccount | None = None
    expired: bool = False


class LoginRequired(Exception):
    """Raised by pages that need the unlocked key; answered by a redirect to the login form."""


class Forbidden(Exception):
    """The unlocked key is not entitled to the page (its roles on chain)."""


class CsrfFailed(Exception):
    pass


def templates() -> Jinja2Templates:
    folder = resources.files("govchain.portal") / "templates"
    return Jinja2Templates(directory=str(folder))


class Portal:
    """The application's shared state: backend, sessions, templates."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.sessions: dict[str, Session] = {}
        self.templates = templates()
        self.templates.env.filters["code"] = code_name
        self.timeout = backend.config.session_minutes * 60
        self.cookie = f"{COOKIE}_{secrets.token_hex(4)}"
        self.pace = guard.Pace()
        self._secret = secrets.token_bytes(32)
        self._swept = 0.0

    # --- sessions ---------------------------------------------------------------------------

    def session(self, request: Request) -> Session:
        found: Session = request.state.session
        return found

    def _csrf(self, token: str) -> str:
        """A session's form token, derived from its cookie with this process's secret: a
        session without a key needs nothing kept here, so no flood of other visitors can make
        her open login form expire (review s31, second look, R3)."""
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    def open_session(self, token: str | None, set_cookie: bool = True) -> tuple[Session, bool]:
        """The session of the cookie ``token``: a kept one (it holds the key, or lost it idle),
        or one without a key for this request alone, the cookie's own if it is one this portal
        could have issued, else a new one (True: the response sets its cookie, if
        ``set_cookie``). Kept sessions idle too long forget their key at any request (at most
        every :data:`SWEEP_SECONDS`)."""
        now = time.monotonic()
        if now - self._swept >= SWEEP_SECONDS:
            self.forget_idle(now)
        found = self.sessions.get(token or "")
        if found is not None:
            self._expire(found, now)
            found.last_seen = now
            return found, False
        if token and TOKEN.fullmatch(token):
            return Session(token, self._csrf(token), now), False
        fresh = secrets.token_urlsafe(32)
        return Session(fresh, self._csrf(fresh), now), set_cookie

    def _expire(self, session: Session, now: float) -> None:
        if session.account is not None and now - session.last_seen > self.timeout:
            session.account = None
            session.expired = True

    def forget_idle(self, now: float) -> None:
        """Kept sessions idle longer than the timeout forget their key now, not when they come
        back; those that lost it stay, to say so, at most :data:`MAX_SESSIONS` of them (the
        oldest go first)."""
        self._swept = now
        for session in self.sessions.values():
            self._expire(session, now)
        keyless = [t for t, found in self.sessions.items() if found.account is None]
        for token in keyless[: max(0, len(keyless) - MAX_SESSIONS)]:
            del self.sessions[token]

    def new_login(self, account: LocalAccount, old: Session) -> Session:
        """A new session id at login: a cookie planted before cannot ride the unlocked key."""
        self.sessions.pop(old.token, None)
        token = secrets.token_urlsafe(32)
        fresh = Session(token, self._csrf(token), time.monotonic(), account)
        self.sessions[fresh.token] = fresh
        return fresh

    def account(self, request: Request) -> LocalAccount:
        session = self.session(request)
        if session.account is None:
            raise LoginRequired()
        return session.account

    def check_csrf(self, request: Request, token: str) -> None:
        if not secrets.compare_digest(token or "", self.session(request).csrf):
            raise CsrfFailed()

    # --- pages ------------------------------------------------------------------------------

    def language(self, request: Request) -> str:
        return pick_language(request.cookies.get("lang"), request.headers.get("accept-language"))

    def roles(self, problems: list[Problem]) -> Roles | None:
        if any(p.what == "chain" for p in problems):
            return None
        try:
            return self.backend.roles()
        except CHAIN_ERRORS as exc:
            problems.append(Problem("chain", str(exc).splitlines()[0]))
            return None

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status: int = 200,
        problems: list[Problem] | None = None,
        roles: Roles | None = None,
    ) -> HTMLResponse:
        lang = self.language(request)
        session = self.session(request)
        found = problems if problems is not None else []
        if roles is None and session.account is not None and problems is None:
            chain = self.backend.chain_problem()
            found = [chain] if chain else []
            roles = self.roles(found)
        values = {
            "t": lambda key: translate(lang, key),
            "lang": lang,
            "other_lang": "en" if lang == "zh" else "zh",
            "csrf": session.csrf,
            "logged_in": session.account is not None,
            "address": self.backend.address,
            "key_name": self.backend.config.key,
            "problems": found,
            "roles": roles,
            "path": quote(request.url.path),
            **(context or {}),
        }
        return self.templates.TemplateResponse(request, name, values, status_code=status)

    def page_state(self, request: Request) -> tuple[list[Problem], Roles | None]:
        """The banner's problems and the key's roles, for a page that needs the chain."""
        chain = self.backend.chain_problem()
        problems = [chain] if chain else []
        return problems, self.roles(problems)


def _first_line(exc: BaseException) -> str:
    """The error's first line without SQLAlchemy's wrapper name (no traceback, no query)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _refusal(request: Request, language: str) -> Response | None:
    """The answer to a request for another host name (421), one that another site or another
    program's page started (403) or one that says its body is too large (413), before any
    session is looked at; None for the others."""
    server = request.scope.get("server")
    host = request.headers.get("host")
    why = guard.host_refusal(host, server[1] if server else None)
    status, key = 421, "error.host"
    if why is None:
        own = f"{request.url.scheme}://{host}"
        why = guard.site_refusal(request.method, request.headers, own)
        status, key = 403, "error.elsewhere"
    if why is None:
        why = guard.size_refusal(request.headers.get("content-length"))
        status, key = 413, "error.too_large"
    if why is None:
        return None
    log.warning("portal: refused %s %s: %s", request.method, request.url.path, why)
    return PlainTextResponse(translate(language, key), status)


def create_app(backend: Backend) -> FastAPI:
    """The portal application for ``backend``'s key."""
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        form_limits=guard.FORM_LIMITS,  # type: ignore[arg-type]  # FastAPI's private TypedDict
    )
    # inside the headers' middleware (added after it is outer), so a body that turns out too
    # large while it is read is answered with the portal's headers too
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=guard.MAX_BODY)
    portal = Portal(backend)
    app.state.portal = portal
    static = resources.files("govchain.portal") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.middleware("http")
    async def sessions_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        refused = _refusal(request, portal.language(request))
        if refused is not None:
            response: Response = refused
        else:
            static = request.url.path.startswith("/static/")  # a file: no cookie of its own
            session, fresh = portal.open_session(request.cookies.get(portal.cookie), not static)
            request.state.session = session
            response = await call_next(request)
            if fresh:
                response.set_cookie(portal.cookie, session.token, httponly=True, samesite="strict")
        own = response.headers.get("X-Portal-CSP")
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if own is not None:  # an SVG image: no script at all, its own inline styles
            response.headers["Content-Security-Policy"] = own
            del response.headers["X-Portal-CSP"]
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        return portal.render(request, "message.html", {"message": "error.forbidden"}, 403, [])

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return portal.render(request, "message.html", {"message": "error.csrf"}, 400, [])

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _exc: RequestValidationError) -> Response:
        return portal.render(request, "message.html", {"message": "field.error"}, 400, [])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        key = {404: "error.not_found", 413: "error.too_large"}.get(exc.status_code, "field.error")
        return portal.render(request, "message.html", {"message": key}, exc.status_code, [])

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if isinstance(exc, IndexerError):  # e.g. an index that holds another chain's events
            problem = Problem("index", str(exc).splitlines()[0])
            return portal.render(request, "message.html", {}, 503, [problem])
        if isinstance(exc, CHAIN_ERRORS):
            problem = Problem("chain", str(exc).splitlines()[0])
            return portal.render(request, "message.html", {"detail": str(exc)}, 503, [problem])
        if isinstance(exc, SQLAlchemyError):  # the event index (e.g. PostgreSQL) is down
            log.warning("portal page %s: index unavailable: %s", request.url.path, exc)
            problem = Problem("index", _first_line(exc))
            return portal.render(request, "message.html", {}, 503, [problem])
        log.exception("portal page %s failed", request.url.path)
        return portal.render(request, "message.html", {"message": "error.unexpected"}, 500, [])

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        session = portal.session(request)
        if session.account is not None:
            return RedirectResponse("/", status_code=303)
        error = "login.expired" if session.expired else None
        return portal.render(request, "login.html", {"error": error}, problems=[])

    @app.post("/login", response_class=HTMLResponse)
    def login(request: Request, passphrase: str = Form(""), csrf: str = Form("")) -> Response:
        portal.check_csrf(request, csrf)
        session = portal.session(request)
        if not passphrase:
            return portal.render(request, "login.html", {"error": "login.empty"}, 400, [])
        with portal.pace.lock:  # one key decryption at a time
            wait = portal.pace.wait()
            if wait:
                context = {"error": "login.wait", "wait": str(wait)}
                return portal.render(request, "login.html", context, 429, [])
            try:
                account = backend.unlock(passphrase)
            except WrongPassphrase:
                portal.pace.failed()
                log.warning("portal: wrong passphrase (%d in a row)", portal.pace.failures)
                return portal.render(request, "login.html", {"error": "login.wrong"}, 400, [])
            portal.pace.succeeded()
        fresh = portal.new_login(account, session)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(portal.cookie, fresh.token, httponly=True, samesite="strict")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        portal.check_csrf(request, csrf)
        portal.sessions.pop(portal.session(request).token, None)
        return RedirectResponse("/login", status_code=303)

    @app.get("/lang/{code}")
    def language(request: Request, code: str, next: str = "/") -> Response:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if code in LANGUAGES:
            response.set_cookie("lang", code, httponly=True, samesite="strict")
        return response

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        return portal.render(request, "home.html", {}, problems=problems, roles=roles)

    from govchain.portal import (
        attestations,
        auditor,
        citizen,
        cosign,
        dataspace,
        department,
        objections,
        offers,
        publishing,
        recovery,
        relay,
        requests,
    )

    citizen.register(app, portal)
    dataspace.register(app, portal)
    department.register(app, portal)
    cosign.register(app, portal)
    auditor.register(app, portal)
    attestations.register(app, portal)
    requests.register(app, portal)
    recovery.register(app, portal)
    publishing.register(app, portal)
    relay.register(app, portal)
    offers.register(app, portal)
    objections.register(app, portal)
    return app
