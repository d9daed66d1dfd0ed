"""What the portal refuses before any page runs (govchain/portal/guard.py; outside review s31):
another host name (DNS rebinding), requests another site or another port's page started, bodies
over the limit, fast passphrase guesses; and the sessions a flood of cookie-less requests leaves.

No chain is needed: a keystore in a temporary home, the chain URL a port nobody listens on.
The browser tests run Debian's Chromium: its own Fetch Metadata headers, its own cookie jar.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser

from govchain.keystore import Keystore
from govchain.portal import Backend, PortalConfig, create_app, guard
from govchain.portal.web import CSP, MAX_SESSIONS, Portal
from govchain.toolchain.devnet import free_port
from tests.httpstub import StubHandler
from tests.httpstub import serving as stub_serving
from tests.portal.conftest import csrf_of, new_page

PASSPHRASE = "correct horse battery staple"
NAME = "alice-zhang"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVCHAIN_KDF", "pbkdf2")  # cheap for the test; scrypt in production
    monkeypatch.setenv("GOVCHAIN_KDF_ITERATIONS", "2")
    Keystore(tmp_path).new(NAME, PASSPHRASE)
    return tmp_path


@contextmanager
def serving(home: Path, **options: Any) -> Iterator[tuple[str, Portal]]:
    """A portal for the key, on a free loopback port; its URL and its state."""
    config = PortalConfig(
        key=NAME,
        rpc=f"http://127.0.0.1:{free_port()}",
        home=home,
        index=str(options.pop("index", home / "index.db")),
        rpc_timeout=0.5,
        **options,
    )
    app = create_app(Backend(config))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app.state.portal
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def portal(home: Path) -> Iterator[tuple[str, Portal]]:
    with serving(home) as running:
        yield running


def _login(client: httpx.Client, passphrase: str = PASSPHRASE) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"passphrase": passphrase, "csrf": token})


# --- Host (DNS rebinding) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "refused"),
    [
        ("127.0.0.1:8600", None),
        ("localhost:8600", None),
        ("LocalHost:8600", None),
        ("[::1]:8600", None),
        ("192.168.1.5:8600", None),  # --host on a LAN address: an address is no rebindable name
        ("attacker.example:8600", "a name, not this machine's address ('attacker.example')"),
        ("127.0.0.1.nip.io:8600", "a name, not this machine's address ('127.0.0.1.nip.io')"),
        ("localhost.attacker.example:8600", "a name"),
        ("127.0.0.1:8601", "another port (8601)"),
        ("127.0.0.1", "another port (none)"),
        ("attacker.example", "another port (none)"),
        ("[::1", "a malformed Host"),
        ("::1:8600", "a malformed Host"),
        ("", "no Host header"),
        (None, "no Host header"),
    ],
)
def test_host_refusal(host: str | None, refused: str | None) -> None:
    why = guard.host_refusal(host, 8600)
    assert why == refused if refused is None else why is not None and why.startswith(refused)


def test_port_80_may_be_left_out() -> None:
    assert guard.host_refusal("localhost", 80) is None
    assert guard.host_refusal("localhost:80", 80) is None


def test_a_rebound_name_gets_421_no_session_and_no_key_name(
    portal: tuple[str, Portal],
) -> None:
    url, state = portal
    port = url.rsplit(":", 1)[1]
    before = len(state.sessions)
    with httpx.Client(base_url=url) as client:
        for path in ("/login", "/no-such-page", "/static/portal.css", "/"):
            answer = client.get(path, headers={"Host": f"attacker.example:{port}"})
            assert answer.status_code == 421, path
            assert NAME not in answer.text and "0x" not in answer.text
            assert "set-cookie" not in answer.headers
            assert answer.headers["content-security-policy"] == CSP
        guess = client.post(
            "/login",
            data={"passphrase": PASSPHRASE, "csrf": "x"},
            headers={"Host": f"attacker.example:{port}"},
        )
        assert guess.status_code == 421 and "set-cookie" not in guess.headers
        assert len(state.sessions) == before
        assert client.get("/login", headers={"Host": f"localhost:{port}"}).status_code == 200
        assert client.get("/login").status_code == 200


# --- Fetch Metadata and Origin ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("GET", {}, False),  # no browser headers: a client of its own (curl, the tests)
        ("GET", {"sec-fetch-site": "none"}, False),  # a typed address, a bookmark
        ("GET", {"sec-fetch-site": "same-origin"}, False),
        ("GET", {"sec-fetch-site": "same-site"}, True),  # another port of 127.0.0.1
        ("GET", {"sec-fetch-site": "cross-site"}, True),
        ("POST", {"origin": "http://127.0.0.1:8600"}, False),
        ("POST", {"origin": "http://127.0.0.1:8601"}, True),  # an older browser, another port
        ("POST", {"origin": "null"}, True),
        ("GET", {"origin": "http://elsewhere.example"}, False),  # a GET changes nothing
        # a browser that sends Sec-Fetch-Site is believed on it alone (its Origin may be null)
        ("POST", {"sec-fetch-site": "same-origin", "origin": "null"}, False),
        ("POST", {"sec-fetch-site": "same-site", "origin": "http://127.0.0.1:8600"}, True),
    ],
)
def test_site_refusal(method: str, headers: dict[str, str], refused: bool) -> None:
    why = guard.site_refusal(method, headers, "http://127.0.0.1:8600")
    assert (why is not None) == refused


def test_requests_other_sites_started_are_refused_before_the_session(
    portal: tuple[str, Portal],
) -> None:
    url, _ = portal
    with httpx.Client(base_url=url) as client:
        assert _login(client).status_code == 303
        for site in ("same-site", "cross-site"):
            answer = client.get("/me/consents", headers={"Sec-Fetch-Site": site})
            assert answer.status_code == 403 and "Another site or another program" in answer.text
            assert NAME not in answer.text
        logout = client.post(
            "/logout", data={"csrf": "x"}, headers={"Origin": "http://127.0.0.1:1"}
        )
        assert logout.status_code == 403
        assert client.get("/", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
        zh = client.get("/", headers={"Sec-Fetch-Site": "cross-site", "Accept-Language": "zh-CN"})
        assert zh.status_code == 403 and "门户未处理" in zh.text


class _OtherService(StubHandler):
    """Another program on loopback: a page linking into the portal, and what it was sent."""

    target = ""
    cookies: list[str] = []  # noqa: RUF012  (the class is the test's record)

    def do_GET(self) -> None:
        type(self).cookies.append(self.headers.get("Cookie", ""))
        body = (
            f'<a id="go" href="{self.target}/me/consents">my consents</a>'
            f'<form id="out" method="post" action="{self.target}/logout">'
            '<input name="csrf" value="x"><button id="send">send</button></form>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def other_service(target: str) -> Iterator[str]:
    _OtherService.target, _OtherService.cookies = target, []
    with stub_serving(_OtherService) as url:
        yield url


def test_in_chromium_a_page_on_another_loopback_port_cannot_use_her_session(
    browser: Browser, portal: tuple[str, Portal]
) -> None:
    """Her cookie goes to every port of 127.0.0.1 (browsers do not separate cookies by port),
    so a page served there is same-site; what it makes her browser ask of the portal is
    refused, and the portal's own pages go on working."""
    url, _ = portal
    page = new_page(browser)
    page.goto(url + "/login")
    page.fill("#passphrase", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    with other_service(url) as elsewhere:
        page.goto(elsewhere + "/")
        page.click("#go")
        assert "Another site or another program" in page.content()
        page.goto(elsewhere + "/")
        page.click("#send")
        page.wait_for_load_state()
        assert "Another site or another program" in page.content()
        assert any("govchain_portal_" in c for c in _OtherService.cookies)  # not covered: sent
    page.goto(url + "/me/consents")  # typed by her: still logged in, not logged out
    assert page.url == url + "/me/consents"
    page.context.close()


def test_two_portals_in_one_browser_keep_their_own_sessions(browser: Browser, home: Path) -> None:
    with serving(home) as (first, a), serving(home) as (second, b):
        assert a.cookie != b.cookie and a.cookie.startswith("govchain_portal_")
        page = new_page(browser)
        for url in (first, second):
            page.goto(url + "/login")
            page.fill("#passphrase", PASSPHRASE)
            page.click("button[type=submit]")
            page.wait_for_url(url + "/")
        page.goto(first + "/me/consents")  # the second login did not log the first out
        assert page.url == first + "/me/consents"
        page.context.close()


# --- bodies ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_unread(portal: tuple[str, Portal]) -> None:
    url, _ = portal
    with httpx.Client(base_url=url) as client:
        big = b"x" * (guard.MAX_BODY + 1)
        files = {"consent": ("c.json", big, "application/json")}
        answer = client.post("/dept/consents/review", files=files, data={"csrf": "x"})
        assert answer.status_code == 413
        fields = client.post("/logout", content=b"csrf=" + big, headers=_FORM)
        assert fields.status_code == 413 and "too large" in fields.text
        assert fields.headers["content-security-policy"] == CSP
        assert "set-cookie" not in fields.headers  # refused before any session

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield (
                b'--b\r\nContent-Disposition: form-data; name="consent"; filename="c.json"\r\n'
                b"Content-Type: application/json\r\n\r\n"
            )
            for _ in range(guard.MAX_BODY // 65536 + 1):
                yield b"x" * 65536
            yield b"\r\n--b--\r\n"

        multipart = {"Content-Type": "multipart/form-data; boundary=b"}
        streamed = client.post("/dept/consents/review", content=chunks(), headers=multipart)
        assert streamed.status_code == 413 and "too large" in streamed.text
        assert streamed.headers["content-security-policy"] == CSP
        field = client.post("/logout", content=b"csrf=" + b"x" * 300_000, headers=_FORM)
        assert field.status_code == 400  # one field over its own limit (256 KiB)
        many = "&".join(f"f{i}=1" for i in range(guard.FORM_LIMITS["max_fields"] + 1))
        answer = client.post("/logout", content=many.encode(), headers=_FORM)
        assert answer.status_code == 400 and "Traceback" not in answer.text
        assert client.get("/login").status_code == 200


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# --- sessions ----------------------------------------------------------------------------------


def test_visitors_without_a_key_keep_nothing_and_cannot_expire_her_login_form(
    portal: tuple[str, Portal],
) -> None:
    """Only sessions with a key (or that lost it idle) are kept: a flood of cookie-less requests
    leaves nothing behind, and the form token of her open login form, derived from her cookie,
    still holds after it (review s31 F4; second look R3: the old cap evicted it)."""
    url, state = portal

    def flood(path: str, times: int) -> None:  # one client, no cookie kept between requests
        with httpx.Client(base_url=url) as others:
            for _ in range(times):
                others.cookies.clear()
                assert others.get(path).status_code == 200

    with httpx.Client(base_url=url) as her:
        form = her.get("/login")
        flood("/static/portal.css", 50)
        flood("/login", MAX_SESSIONS + 200)
        assert state.sessions == {}
        answer = her.post("/login", data={"passphrase": PASSPHRASE, "csrf": csrf_of(form.text)})
        assert answer.status_code == 303
        assert len(state.sessions) == 1 and her.get("/").status_code == 200
        flood("/login", MAX_SESSIONS + 200)
        assert her.get("/").status_code == 200  # her session, with its key, stayed


def test_a_cookie_this_portal_did_not_issue_gets_a_new_one_and_a_planted_one_no_key(
    portal: tuple[str, Portal],
) -> None:
    url, state = portal
    with httpx.Client(base_url=url) as client:
        client.cookies.set(state.cookie, "not-ours")
        assert state.cookie in client.get("/login").headers.get("set-cookie", "")
    planted = "A" * 43  # a well-formed token someone else chose: no key until a login, and
    with httpx.Client(base_url=url, cookies={state.cookie: planted}) as client:  # the login
        form = client.get("/login")  # issues a new one (no fixation)
        assert "set-cookie" not in form.headers
        login = client.post("/login", data={"passphrase": PASSPHRASE, "csrf": csrf_of(form.text)})
        assert login.status_code == 303 and planted not in login.headers["set-cookie"]
    with httpx.Client(base_url=url, cookies={state.cookie: planted}) as other:
        assert other.get("/", follow_redirects=False).headers["location"] == "/login"


def test_idle_sessions_forget_their_key_without_coming_back(home: Path) -> None:
    with serving(home) as (url, state):
        with httpx.Client(base_url=url) as client:
            assert _login(client).status_code == 303
        (hers,) = [s for s in state.sessions.values() if s.account is not None]
        state.forget_idle(time.monotonic() + state.timeout + 1)  # a later visitor's request
        assert hers.account is None and hers.expired
        assert hers.token in state.sessions  # kept, to tell her the session ended


# --- passphrase guesses --------------------------------------------------------------------------


def test_pace_doubles_the_wait_after_three_wrong_passphrases() -> None:
    now = [0.0]
    pace = guard.Pace(clock=lambda: now[0])
    waits = []
    for _ in range(11):
        pace.failed()
        waits.append(pace.wait())
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    now[0] += 59.5
    assert pace.wait() == 1
    now[0] += 0.5
    assert pace.wait() == 0
    pace.succeeded()
    pace.failed()
    assert pace.wait() == 0


def test_a_run_of_wrong_passphrases_is_forgotten_after_a_quiet_while() -> None:
    """A program that guessed for an hour and stopped does not cost her next typo a minute."""
    now = [0.0]
    pace = guard.Pace(clock=lambda: now[0])
    for _ in range(20):
        pace.failed()
    now[0] += guard.FORGIVE_SECONDS + 1
    assert pace.wait() == 0 and pace.failures == 0
    pace.failed()
    assert pace.wait() == 0


def test_wrong_passphrases_slow_the_next_try_over_http(portal: tuple[str, Portal]) -> None:
    url, state = portal
    with httpx.Client(base_url=url) as client:
        for _ in range(guard.FREE_TRIES):
            assert _login(client, "wrong").status_code == 400
        answer = _login(client)  # the right one, too early: not even tried
        assert answer.status_code == 429 and "try again in 1 s" in answer.text
        assert state.pace.failures == guard.FREE_TRIES
        time.sleep(1.1)
        assert _login(client).status_code == 303
        assert state.pace.failures == 0


# --- an index shared with another chain ----------------------------------------------------------


def test_an_index_holding_another_chains_events_is_a_banner_not_her_trail(
    home: Path,
) -> None:
    """Review s31/3 F2: one index file synced against two chains would mix them in her trail.
    The chain is down here, so the portal judges by its configured chain id."""
    from govchain.indexer import open_database
    from govchain.indexer.schema import cursors

    index = home / "index.db"
    engine = open_database(index)
    with engine.begin() as conn:
        for chain in (4242, 31337):
            conn.execute(
                cursors.insert().values(
                    chain_id=chain, address="0x" + "11" * 20, contract="AccessGrants",
                    block_number=1, block_hash="0x" + "22" * 32,
                )
            )  # fmt: skip
    engine.dispose()
    with (
        serving(home, index=index, chain_id=31337) as (url, _),
        httpx.Client(base_url=url) as client,
    ):
        assert _login(client).status_code == 303
        page = client.get("/me/timeline")
        assert "holds events of chain 4242, not only this portal" in page.text
        assert "Traceback" not in page.text and page.status_code in (200, 503)
