"""Portal fixtures: a portal server on a free port, and headless Debian Chromium via Playwright.

The devnet, the reference city and the HRSS ``world`` (records anchored, citizen ``alice``) are
the CLI tests' module fixtures, reused as they are.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from govchain.node.client import DataNodeClient
from govchain.portal import Backend, PortalConfig, create_app
from govchain.sharing.grants import AccessGrants
from govchain.toolchain.devnet import free_port
from govchain.tx import Sender
from tests.cli.conftest import CITY_PASSPHRASE, city, devnet
from tests.cli.datanode import PENSION, World, world

__all__ = ["city", "devnet", "world"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def running_portal(config: PortalConfig) -> Iterator[str]:
    """Serves the portal for ``config`` with uvicorn in a thread; yields its base URL."""
    port = free_port()
    app = create_app(Backend(config))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("portal did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def new_page(browser: Browser, language: str = "en-US") -> Page:
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def login(page: Page, url: str, passphrase: str = CITY_PASSPHRASE) -> None:
    page.goto(url + "/login")
    page.fill("#passphrase", passphrase)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def logged_in_client(url: str, passphrase: str = CITY_PASSPHRASE) -> httpx.Client:
    """An HTTP client with an unlocked session (for status codes and headers)."""
    client = httpx.Client(base_url=url, timeout=30)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"passphrase": passphrase, "csrf": token})
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def index_path(tmp: Path) -> str:
    return str(tmp / "index.db")


def civil_fetch(world: World, node_url: str, grant: bytes) -> str:
    """Civil Affairs' staff fetches Alice's pension under ``grant``; returns the access tx."""
    connection = world.city.connection
    staff = world.city.departments["CIVIL"].staff
    terms = AccessGrants(connection).terms(grant).message()
    client = DataNodeClient(world.reader(), staff)
    prepared = client.prepare(terms, PENSION, world.ids["pension"], subject=world.alice.address)
    tx = client.record_access(Sender(connection.w3, staff, connection.decoder()), prepared)
    record = client.fetch(node_url, prepared, tx)
    assert record.json()["monthly"] == 3260
    return tx


def wait_drawn(page: Page, element: str, timeout: float = 20.0) -> None:
    """Wait until the image ``#element`` has loaded and drawn (naturalWidth > 0).

    Polled from Python with ``page.evaluate`` (run over the DevTools protocol): Playwright's
    ``wait_for_function`` polls with an eval the portal's Content-Security-Policy forbids.
    """
    deadline = time.monotonic() + timeout
    script = f"document.getElementById({element!r}).naturalWidth"
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            raise AssertionError(f"#{element} was not drawn within {timeout} s")
        time.sleep(0.05)
